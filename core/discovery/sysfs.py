"""Reading the device tree straight from sysfs: how discovery enumerates nodes (with
udevd's properties from its database when udev runs, :mod:`core.discovery.udevdb`),
and the ancestry every source needs to find a node's physical device.

Embedded boards often run without udevd and sometimes without libudev; the kernel
still tells everything that matters: ``/sys/class/video4linux``, ``/sys/class/dvb`` and
``/sys/bus/media/devices`` list the nodes, each ``uevent`` file holds MAJOR, MINOR,
DEVNAME (and DVB_* for DVB), and the ``subsystem`` and ``driver`` links name the bus
and driver of every ancestor.  ``sys_root`` and ``dev_root`` are parameters so the
tests can build a fake tree in a temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from core.discovery import udevdb
from core.discovery.identity import Describe, Props, node_from_properties, physical_of
from core.discovery.model import UDEV_KEYS, DeviceNode

# Where each subsystem lists its devices.
CLASS_DIRS = {
    "video4linux": "class/video4linux",
    "dvb": "class/dvb",
    "media": "bus/media/devices",
}


def parse_uevent_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines of a sysfs ``uevent`` file."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key:
            out[key] = value
    return out


def device_properties(devpath: str, sys_root: str = "/sys") -> dict[str, str] | None:
    """The properties the kernel would put in this device's uevent, plus DEVPATH,
    SUBSYSTEM and DRIVER from the links (the uevent file of a device carries DRIVER but
    neither DEVPATH nor SUBSYSTEM).  None when the device is gone or not a device."""
    directory = sys_root + devpath  # f-strings, not os.path.join: hundreds of calls a list
    try:
        props = parse_uevent_file(read_text(f"{directory}/uevent"))
    except OSError:
        return None
    props["DEVPATH"] = devpath
    props["SUBSYSTEM"] = _link_name(f"{directory}/subsystem")
    driver = _link_name(f"{directory}/driver")
    if driver:
        props["DRIVER"] = driver
    return props


def ancestors(
    devpath: str, sys_root: str = "/sys", cache: dict[str, list[dict[str, str]]] | None = None
) -> list[dict[str, str]]:
    """Properties of every device above ``devpath``, nearest first (class directories
    such as ``video4linux/`` have no uevent file and are skipped).

    ``cache`` (keyed by parent devpath) saves re-reading the same chain for the dozen
    nodes one driver registers."""
    parent = os.path.dirname(devpath.rstrip("/"))
    if cache is not None and parent in cache:
        return cache[parent]
    out = []
    above = parent
    while above.startswith("/devices/"):
        props = device_properties(above, sys_root)
        if props is not None:
            out.append(props)
        above = os.path.dirname(above)
    if cache is not None:
        cache[parent] = out
    return out


def attr_names(subsystem: str) -> tuple[str, ...]:
    """The sysfs attributes worth reading for a node: a V4L2 node's ``index`` (the N of
    by-path's ``-video-indexN``).  Names come with the QUERYCAP identity already."""
    return ("index",) if subsystem == "video4linux" else ()


def read_attrs(
    devpath: str, sys_root: str = "/sys", names: tuple[str, ...] = ("name", "index")
) -> dict[str, str]:
    """Small sysfs attributes of one device (``name``, ``index``), stripped."""
    out = {}
    for name in names:
        try:  # not contextlib.suppress: `list` would import contextlib for this alone
            out[name] = read_text(f"{sys_root}{devpath}/{name}").strip()
        except OSError:
            continue
    return out


def read_text(path: str) -> str:
    """A small sysfs file, read with plain syscalls: a hotplug burst reads hundreds,
    and io's text layer costs more than the read itself under emulation."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, 65536).decode("utf-8", "replace")
    finally:
        os.close(fd)


def node_devpaths(sys_root: str = "/sys") -> Iterator[str]:
    """Devpaths of every video4linux, dvb and media device, as the kernel lists them.

    Each class entry is a symlink into ``/sys/devices``; its target is read with one
    ``readlink`` (``os.path.realpath`` stats every component on the way, a dozen
    calls a node), falling back to ``realpath`` for an entry that is not a link.
    """
    root = os.path.realpath(sys_root)
    for rel in CLASS_DIRS.values():
        directory = os.path.join(sys_root, rel)
        try:
            entries = os.listdir(directory)
        except OSError:  # subsystem not built, or not registered yet
            continue
        for entry in entries:
            link = f"{directory}/{entry}"
            try:
                real = os.path.normpath(os.path.join(root, rel, os.readlink(link)))
            except OSError:
                real = os.path.realpath(link)
            devpath = real.removeprefix(root)
            if devpath.startswith("/devices/"):
                yield devpath

def by_path_links(dev_root: str = "/dev") -> dict[str, list[str]]:
    """Persistent links udevd made, keyed by the real node path; empty without udevd."""
    out: dict[str, list[str]] = {}
    for rel in ("v4l/by-path", "dvb/by-path", "v4l/by-id"):
        directory = os.path.join(dev_root, rel)
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            link = os.path.join(directory, entry)
            out.setdefault(os.path.realpath(link), []).append(link)
    return out


def scan(
    describe: Describe,
    *,
    sys_root: str = "/sys",
    dev_root: str = "/dev",
    udev_root: str | None = None,
) -> tuple[list[DeviceNode], dict[str, Props]]:
    """All media nodes from sysfs, and the properties of their physical devices.

    With ``udev_root`` (``/run/udev``), each node also gets what udevd's rules added
    (ID_PATH, ID_V4L_*, its links) from udevd's database (:mod:`core.discovery.udevdb`);
    without it, only the links found under ``dev_root``'s by-path and by-id directories.
    """
    links = by_path_links(dev_root) if udev_root is None else {}
    nodes: list[DeviceNode] = []
    parents: dict[str, Props] = {}
    chains: dict[str, list[dict[str, str]]] = {}
    for devpath in node_devpaths(sys_root):
        props = device_properties(devpath, sys_root)
        if props is None or "DEVNAME" not in props:
            continue
        if udev_root is not None:
            _add_udev_properties(props, dev_root, udev_root)
        else:
            node_links = links.get(os.path.realpath(f"{dev_root}/{props['DEVNAME']}"), [])
            if node_links:
                props["DEVLINKS"] = " ".join(node_links)
        chain = ancestors(devpath, sys_root, chains)
        node = node_from_properties(
            props,
            ancestors=chain,
            attrs=read_attrs(devpath, sys_root, attr_names(props.get("SUBSYSTEM", ""))),
            describe=describe,
            dev_root=dev_root,
        )
        if node is None:
            continue
        nodes.append(node)
        phys = physical_of(chain)
        if phys is not None:
            parents[phys["DEVPATH"]] = phys
    return nodes, parents


def _add_udev_properties(props: dict[str, str], dev_root: str, udev_root: str) -> None:
    """udevd's keys (:data:`UDEV_KEYS`) of one node from its database entry."""
    try:
        major, minor = int(props["MAJOR"]), int(props["MINOR"])
    except (KeyError, ValueError):
        return
    record = udevdb.read_db(major, minor, dev_root, udev_root)
    if not record:
        return
    for key in UDEV_KEYS:
        value = record.get(key)
        if value:
            props[key] = value


def _link_name(link: str) -> str:
    try:
        return os.path.basename(os.readlink(link))
    except OSError:
        return ""
