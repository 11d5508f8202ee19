"""From plain property mappings to device nodes and physical devices.

Every source feeds this module the same shapes: a node's uevent/udev properties
(``DEVPATH``, ``SUBSYSTEM``, ``DEVNAME``, ``MAJOR``, ``MINOR``, ``DVB_*``, ``ID_*``,
``DEVLINKS``), a few sysfs attributes (``name``, ``index``) and the properties of its
ancestors in the device tree, nearest first.  pyudev devices are such mappings; the
sysfs fallback reads ``uevent`` files into dicts; the tests write them by hand.
Nothing here touches the system except through the injected ``describe``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from core.discovery.model import (
    SUBSYSTEMS,
    USEFUL_PROPERTIES,
    DeviceNode,
    PhysicalDevice,
    natural_key,
    node_sort_key,
)
from core.nodes import NodeInfo
from core.record import replace

Props = Mapping[str, str]
Describe = Callable[[str], NodeInfo]

# Kinds by name prefix, for nodes we cannot QUERYCAP (removed, or no permission).
_KIND_BY_PREFIX = (
    ("v4l-subdev", "v4l-subdev"),
    ("v4l-touch", "touch"),
    ("swradio", "sdr"),
    ("radio", "radio"),
    ("vbi", "vbi"),
    ("video", "video"),
    ("media", "media"),
)


def devnode(props: Props, dev_root: str = "/dev") -> str | None:
    """The node path: udev gives DEVNAME absolute, the kernel relative to /dev."""
    name = props.get("DEVNAME", "")
    if not name:
        return None
    return name if name.startswith("/") else f"{dev_root}/{name}"


def sysname_of(devpath: str) -> str:
    return devpath.rstrip("/").rsplit("/", 1)[-1]


def kind_from_name(subsystem: str, sysname: str, props: Props | None = None) -> str:
    """The kind a node's name implies; coarser than QUERYCAP ("video" for any video
    node), but all there is once a node is gone."""
    if subsystem == "dvb":
        devtype = (props or {}).get("DVB_DEVICE_TYPE", "")
        if not devtype and "." in sysname:  # dvb0.demux0 -> demux
            devtype = sysname.split(".", 1)[1].rstrip("0123456789")
        return f"dvb-{devtype}" if devtype else "dvb"
    if subsystem == "media":
        return "media"
    return next((k for prefix, k in _KIND_BY_PREFIX if sysname.startswith(prefix)), "v4l2")


def physical_of(ancestors: Sequence[Props]) -> Props | None:
    """The ancestor a person would call "the device": the nearest one on a real bus.

    USB interfaces are functions of one USB device (a TV stick registers its DVB nodes
    on the device and its V4L2 nodes on an interface), and i2c adapters are buses a
    bridge driver creates (vidtv puts its DVB nodes under its own ``i2c-0``), so both are
    climbed past.  Device-less intermediate directories (``/devices/platform``) have no
    SUBSYSTEM and are skipped too.  None for virtual devices (v4l2loopback).
    """
    for anc in ancestors:
        subsystem, devtype = anc.get("SUBSYSTEM", ""), anc.get("DEVTYPE", "")
        if not subsystem or (subsystem, devtype) == ("usb", "usb_interface"):
            continue
        if subsystem == "i2c" and _is_i2c_adapter(anc):
            continue
        return anc
    return None


def _is_i2c_adapter(props: Props) -> bool:
    # 6.1's i2c_adapter_type has no name, so no DEVTYPE in its uevent: adapters are
    # told from clients ("1-0010") by their sysname, "i2c-N".
    if props.get("DEVTYPE") == "i2c_adapter":
        return True
    return re.fullmatch(r"i2c-\d+", sysname_of(props.get("DEVPATH", ""))) is not None


def node_from_properties(
    props: Props,
    *,
    ancestors: Sequence[Props] = (),
    attrs: Mapping[str, str] | None = None,
    describe: Describe | None = None,
    dev_root: str = "/dev",
) -> DeviceNode | None:
    """A :class:`DeviceNode` from one device's properties; None when it is not a media
    node (no DEVNAME, or another subsystem).

    ``describe`` (usually :func:`core.nodes.describe_node`) supplies the QUERYCAP
    identity; without it (remove events) the kind comes from the name.
    """
    subsystem = props.get("SUBSYSTEM", "")
    devpath = props.get("DEVPATH", "")
    path = devnode(props, dev_root)
    if subsystem not in SUBSYSTEMS or not devpath or path is None:
        return None
    attrs = attrs or {}
    sysname = sysname_of(devpath)
    phys = physical_of(ancestors)
    info = describe(path) if describe is not None else None
    kind = kind_from_name(subsystem, sysname, props)
    if info is not None and not (info.error and info.kind == "v4l2"):
        kind = info.kind
    driver = info.driver if info is not None else ""
    if not driver and phys is not None:  # DVB and subdev nodes have no QUERYCAP driver
        driver = phys.get("DRIVER", "")
    name = attrs.get("name", "") or (info.name if info is not None else "")
    if subsystem == "dvb":
        name = sysname
    links = props.get("DEVLINKS", "").split()
    return DeviceNode(
        path=path,
        subsystem=subsystem,
        sysname=sysname,
        devpath=devpath,
        kind=kind,
        name=name,
        driver=driver,
        card=info.card if info is not None else "",
        bus_info=info.bus_info if info is not None else "",
        capabilities=info.capabilities if info is not None else 0,
        device_caps=info.device_caps if info is not None else 0,
        error=info.error if info is not None else None,
        devnum=_devnum(props),
        index=_int_or_none(attrs.get("index")),
        physical=phys.get("DEVPATH", "") if phys is not None else "",
        by_path=tuple(sorted(link for link in links if "/by-path/" in link)),
        udev=tuple((k, props[k]) for k in USEFUL_PROPERTIES if props.get(k)),
    )


def group_nodes(
    nodes: Iterable[DeviceNode], parents: Mapping[str, Props] | None = None
) -> tuple[PhysicalDevice, ...]:
    """Group nodes by the physical device they belong to, in natural devpath order.

    ``parents`` maps a physical devpath to its properties (SUBSYSTEM, DRIVER); see
    :func:`group_key` for nodes without one.  A sysfs device whose nodes report
    different bus_info values is several devices to a person (vivid registers all its
    ``n_devs`` instances on ``vivid.0``): it is split by bus_info, and its nodes without
    a bus_info (subdevs, DVB) form one more group rather than join an instance at random.
    """
    parents = parents or {}
    by_key: dict[str, list[DeviceNode]] = {}
    for node in nodes:
        by_key.setdefault(group_key(node), []).append(node)
    groups = []
    for key, members in by_key.items():
        for instance, part in _split_by_bus_info(members):
            groups.append(_group(key, instance, part, parents.get(key, {})))
    groups.sort(key=lambda g: (natural_key(g.devpath), natural_key(g.instance)))
    return tuple(groups)


def _split_by_bus_info(
    members: list[DeviceNode],
) -> list[tuple[str, list[DeviceNode]]]:
    bus_infos = list(dict.fromkeys(n.bus_info for n in members if n.bus_info))
    if len(bus_infos) <= 1:
        return [("", members)]
    parts = [(b, [n for n in members if n.bus_info == b]) for b in bus_infos]
    rest = [n for n in members if not n.bus_info]
    return parts + ([("", rest)] if rest else [])


def _group(key: str, instance: str, members: list[DeviceNode], props: Props) -> PhysicalDevice:
    members.sort(key=_member_key)
    group_id = f"{key}#{instance}" if instance else key
    return PhysicalDevice(
        devpath=key,
        subsystem=props.get("SUBSYSTEM", ""),
        sysname=sysname_of(key),
        driver=props.get("DRIVER", "") or _first(n.driver for n in members),
        name=_group_name(members),
        id_path=_first(n.id_path for n in members),
        bus_info=_group_bus_info(members),
        nodes=tuple(replace(n, group=group_id) for n in members),
        instance=instance,
    )


def group_key(node: DeviceNode) -> str:
    """The physical devpath; for a node without one, its own devpath (a parentless
    v4l2loopback node is a device of its own), or for virtual nodes without sysfs, the
    bus_info or DVB adapter they share."""
    if node.physical:
        return node.physical
    if node.devpath:
        return node.devpath
    if node.bus_info:
        return f"virtual/{node.bus_info}"
    if node.subsystem == "dvb":  # one adapter, one device: /dev/dvb/adapterN/*
        return "virtual" + node.path.rsplit("/", 1)[0]
    return f"virtual/{node.path}"


def _member_key(node: DeviceNode) -> tuple[object, ...]:
    # The media node first: it stands for the whole device (its graph spans the rest).
    return (node.subsystem != "media", node_sort_key(node))


def _group_name(members: Sequence[DeviceNode]) -> str:
    media = [n for n in members if n.subsystem == "media" and n.card]
    return (
        (media[0].card if media else "")
        or _first(n.card for n in members)
        or _first(n.prop("ID_V4L_PRODUCT") for n in members)
        or _first(n.driver for n in members)
        or members[0].sysname
    )


def _group_bus_info(members: Sequence[DeviceNode]) -> str:
    media = [n for n in members if n.subsystem == "media" and n.bus_info]
    return media[0].bus_info if media else _first(n.bus_info for n in members)


def _first(values: Iterable[str]) -> str:
    return next((v for v in values if v), "")


def _devnum(props: Props) -> tuple[int, int] | None:
    major, minor = _int_or_none(props.get("MAJOR")), _int_or_none(props.get("MINOR"))
    return (major, minor) if major is not None and minor is not None else None


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def node_from_info(info: NodeInfo) -> DeviceNode:
    """A node known only by its path and QUERYCAP identity (virtual backends, which
    have no sysfs); grouped later by bus_info."""
    sysname = info.path.rsplit("/", 1)[-1]
    if info.subsystem == "dvb":
        sysname = info.name or sysname
    return DeviceNode(
        path=info.path,
        subsystem=info.subsystem,
        sysname=sysname,
        devpath="",
        kind=info.kind,
        name=info.name,
        driver=info.driver,
        card=info.card,
        bus_info=info.bus_info,
        capabilities=info.capabilities,
        device_caps=info.device_caps,
        error=info.error,
    )
