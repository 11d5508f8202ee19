"""udevd's own record of a device: the properties its rules added and the links it made.

For every device it processed, udevd writes ``/run/udev/data/<id>`` (a character device's
id is ``c<major>:<minor>``): ``E:KEY=VALUE`` lines for the properties its rules and
builtins added (ID_PATH, ID_V4L_*, ...; the kernel's own are in sysfs' ``uevent``),
``S:`` lines for the symlinks it created, relative to /dev (``v4l/by-path/...``), and
bookkeeping lines (``I:``, ``G:``, ``Q:``, ``V:``, ``L:``, ``W:``) we do not need.
libudev answers ``udev_device_get_property_value`` from this same file, so reading it
gives what pyudev's enumeration gave, without pyudev's import, libudev's path chasing
through sysfs (thousands of ``openat``/``stat`` calls for a few dozen nodes) and a
ctypes call per property.

Source: systemd ``src/libsystemd/sd-device/device-private.c`` (``device_update_db``,
which writes the file) and ``sd-device.c`` (``device_read_db_internal``, which reads it);
eudev's ``libudev-device.c`` uses the same format.
"""

from __future__ import annotations

import os
import stat

UDEV_ROOT = "/run/udev"


def read_db(major: int, minor: int, dev_root: str = "/dev", udev_root: str = UDEV_ROOT,
            ) -> dict[str, str] | None:
    """udevd's properties of character device ``major:minor``, with ``DEVLINKS`` (the
    ``S:`` links as absolute paths under ``dev_root``, space-separated, as libudev
    builds it) when udevd made links.  None when udevd has no record of the device
    (no udevd, or it has not processed the device yet)."""
    path = f"{udev_root}/data/c{major}:{minor}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        text = os.read(fd, 1 << 20).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)
    return parse_db(text, dev_root)


def parse_db(text: str, dev_root: str = "/dev") -> dict[str, str]:
    """The ``E:`` properties and ``S:`` links (as ``DEVLINKS``) of one database file."""
    props: dict[str, str] = {}
    links: list[str] = []
    for line in text.splitlines():
        tag, value = line[:2], line[2:]
        if tag == "E:":
            key, sep, val = value.partition("=")
            if sep and key:
                props[key] = val
        elif tag == "S:" and value:
            links.append(f"{dev_root}/{value}")
    if links:
        props["DEVLINKS"] = " ".join(links)
    return props


def udevd_control(udev_root: str = UDEV_ROOT) -> bool:
    """Whether udevd's control socket exists: libudev's own test that udevd runs
    (``udev_queue_get_udev_is_active``).

    A udevd that exits removes it; one killed hard leaves it behind, which
    :func:`core.discovery.udev.udevd_running` also rules out by looking for the process
    in /proc.  A listing does not pay for that scan: a left-behind socket would only
    make it say "udev" for properties that are still udevd's (its database outlives
    it); the hotplug watcher, where the answer picks which events to wait for, does.
    """
    try:
        return stat.S_ISSOCK(os.stat(f"{udev_root}/control").st_mode)
    except OSError:
        return False


def has_db(udev_root: str = UDEV_ROOT) -> bool:
    """Whether udevd's database directory exists (it may be empty)."""
    return os.path.isdir(f"{udev_root}/data")
