"""The values discovery hands out: device nodes, the physical devices they belong to,
and hotplug events.

All are frozen, slotted dataclasses made of plain values, so they can cross threads
(watcher thread -> UI) and be compared in tests.  Nothing here touches the system.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.nodes import identity_record
from core.record import record

SUBSYSTEMS = ("video4linux", "dvb", "media")

NO_LIBUDEV_ENV = "MEDIATUI_NO_LIBUDEV"  # set to 1 to force the sysfs/netlink fallback

# Where discovery and the watcher get their facts from (DeviceList.source, Watcher.source).
SOURCE_UDEV = "udev"  # libudev, udevd running: udev's properties and events
SOURCE_UDEV_KERNEL = "udev (kernel events: no udevd)"  # libudev, sysfs facts, kernel events
SOURCE_SYSFS = "sysfs (libudev unavailable)"  # discover() without libudev
SOURCE_NETLINK = "netlink (libudev unavailable)"  # Watcher without libudev

# "resync" is not a kernel action: the event socket overflowed and events were lost, so
# whoever keeps a device list must run discover() again.
TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Literal, Protocol, TypeGuard

    HotplugAction = Literal["add", "remove", "change", "bind", "unbind", "resync"]
else:
    HotplugAction = str  # typing loads only for type checkers (issue 16)

# The udev properties worth showing; everything else udev knows stays in udevadm info.
USEFUL_PROPERTIES = (
    "ID_PATH",
    "ID_PATH_TAG",
    "ID_V4L_PRODUCT",
    "ID_V4L_CAPABILITIES",
    "ID_V4L_VERSION",
    "ID_VENDOR_ID",
    "ID_MODEL_ID",
    "ID_SERIAL",
    "DVB_ADAPTER_NUM",
    "DVB_DEVICE_TYPE",
    "DVB_DEVICE_NUM",
)
# What udevd's rules add to a media node (the rest is in the kernel's uevent file).
UDEV_KEYS = (*(k for k in USEFUL_PROPERTIES if k.startswith("ID_")), "DEVLINKS")


@record
class DeviceNode:
    """One character device node of the video4linux, dvb or media class.

    ``kind`` comes from our own VIDIOC_QUERYCAP (udev's ID_V4L_CAPABILITIES misses
    mem2mem and metadata nodes); ``physical`` is the devpath of the hardware the node
    belongs to, the key nodes are grouped by.
    """

    path: str  # devnode: "/dev/video7", "/dev/dvb/adapter0/demux0"
    subsystem: str  # "video4linux", "dvb" or "media"
    sysname: str  # "video7", "dvb0.demux0", "media4"
    devpath: str  # "/devices/platform/vivid.0/video4linux/video7"
    kind: str  # "video-capture", "video-m2m", "meta-capture", "dvb-demux", "media", ...
    name: str = ""  # sysfs name (V4L2), model (media) or "dvbA.typeN"
    driver: str = ""
    card: str = ""
    bus_info: str = ""
    capabilities: int = 0
    device_caps: int = 0
    error: str | None = None  # why QUERYCAP could not be issued (permissions, gone)
    devnum: tuple[int, int] | None = None  # (major, minor)
    index: int | None = None  # sysfs "index": the N of by-path's "-video-indexN"
    physical: str = ""  # devpath of the physical device, "" when there is none
    by_path: tuple[str, ...] = ()  # /dev/v4l/by-path/... links (udevd only)
    udev: tuple[tuple[str, str], ...] = ()  # the USEFUL_PROPERTIES present, in order
    group: str = ""  # id of the PhysicalDevice it was grouped into (set by grouping)

    def prop(self, key: str, default: str = "") -> str:
        """One udev property, or ``default``."""
        for k, v in self.udev:
            if k == key:
                return v
        return default

    @property
    def id_path(self) -> str:
        return self.prop("ID_PATH")

    def as_dict(self) -> dict[str, object]:
        """The ``mediatui list --json`` record: the original keys first, then ours."""
        out = identity_record(self)
        if self.subsystem == "dvb":
            dvb = _DVB_NODE.search(self.path)
            adapter = self.prop("DVB_ADAPTER_NUM") or (dvb.group(1) if dvb else "")
            if adapter:
                out["adapter"] = int(adapter)
        out["sysname"] = self.sysname
        out["devpath"] = self.devpath
        out["devnum"] = f"{self.devnum[0]}:{self.devnum[1]}" if self.devnum else None
        out["group"] = self.group or self.physical or self.devpath
        out["id_path"] = self.id_path or None
        out["by_path"] = list(self.by_path)
        out["udev"] = dict(self.udev)
        return out


@record
class PhysicalDevice:
    """The hardware a person thinks of: one camera, one capture card, one DVB adapter,
    with all the nodes its driver registered (video, metadata, media, frontend...)."""

    devpath: str  # "/devices/platform/vivid.0", or the node's own devpath if parentless
    subsystem: str  # bus of the device: "platform", "usb", "pci", "" for virtual
    sysname: str  # "vivid.0", "1-1", "0000:03:00.0"
    driver: str  # the bound driver, "" when unbound or virtual
    name: str  # what to call it: media model, card, ID_V4L_PRODUCT or driver
    id_path: str  # udev's ID_PATH (stable across boots), "" without udevd
    bus_info: str  # QUERYCAP / media bus_info, e.g. "platform:vivid-000"
    nodes: tuple[DeviceNode, ...] = ()
    # Set when one sysfs device carries several instances told apart by bus_info
    # (vivid.0 registers every one of its n_devs instances): that bus_info.
    instance: str = ""

    @property
    def id(self) -> str:
        """Unique among groups: the devpath, plus the instance when there is one."""
        return f"{self.devpath}#{self.instance}" if self.instance else self.devpath

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "devpath": self.devpath,
            "name": self.name,
            "subsystem": self.subsystem,
            "sysname": self.sysname,
            "driver": self.driver,
            "id_path": self.id_path or None,
            "bus_info": self.bus_info,
            "nodes": [n.path for n in self.nodes],
        }


@record
class DeviceList:
    """What :func:`core.discovery.discover` found, and how it looked."""

    source: str  # "udev", "udev (kernel events: no udevd)", "sysfs (libudev unavailable)"
    groups: tuple[PhysicalDevice, ...] = ()
    notice: str | None = None  # one line to show the user (why a fallback is in use)

    @property
    def nodes(self) -> tuple[DeviceNode, ...]:
        """Every node, in the natural order of their paths."""
        return tuple(sorted((n for g in self.groups for n in g.nodes), key=node_sort_key))

    def find(self, path: str) -> DeviceNode | None:
        return next((n for n in self.nodes if n.path == path), None)

    def as_dict(self) -> dict[str, object]:
        """The ``mediatui list --json`` document."""
        return {
            "source": self.source,
            "devices": [n.as_dict() for n in self.nodes],
            "groups": [g.as_dict() for g in self.groups],
        }


@record
class HotplugEvent:
    """One uevent about a media node (add/remove/change) or about the physical device
    behind known nodes (bind/unbind), as received.

    ``path`` is the devnode so a UI can match a remove against the node it shows; it is
    None for bind/unbind (a physical device has no node).  ``node`` is the freshly
    described node on add, and on remove/change the last description the watcher kept
    (so a remove says which device and driver went away); None when it never knew it.
    """

    action: HotplugAction
    subsystem: str
    devpath: str
    sysname: str
    path: str | None
    kind: str | None
    timestamp: float  # time.monotonic() when the event was read from the socket
    seqnum: int | None = None
    driver: str = ""  # bind/unbind: the driver (un)bound
    node: DeviceNode | None = None

    def as_dict(self) -> dict[str, object]:
        """One ``mediatui.watch/1`` NDJSON record (without ``schema`` and ``time_s``,
        which the verb adds); ``node`` is a ``mediatui.list/1`` device record."""
        out: dict[str, object] = {
            "action": self.action,
            "subsystem": self.subsystem,
            "path": self.path,
            "kind": self.kind,
            "sysname": self.sysname,
            "devpath": self.devpath,
            "seqnum": self.seqnum,
            "monotonic_s": round(self.timestamp, 6),
        }
        if self.driver:
            out["driver"] = self.driver
        if self.node is not None:
            out["node"] = self.node.as_dict()
        return out


if TYPE_CHECKING:

    class NodeSource(Protocol):
        """Where discovery gets node paths from instead of the kernel (demo mode).

        A virtual backend implements it next to :class:`core.ioctl.Backend`: ``source`` is the
        label ``mediatui list`` shows (e.g. "virtual (demo)"), ``list_nodes()`` returns the
        devnode paths it serves.  Each path is then identified through the ioctl chokepoint
        (VIDIOC_QUERYCAP / MEDIA_IOC_DEVICE_INFO), so the backend answers those like the
        kernel would, and nodes are grouped by their bus_info.
        """

        source: str

        def list_nodes(self) -> Sequence[str]:
            """The devnode paths of every virtual node, e.g. ["/dev/video0", "/dev/media0"]."""
            ...

else:

    class NodeSource:
        """The Protocol above, for type checkers; at run time a name only (typing is not
        imported at run time): :func:`is_node_source` checks an object."""


def is_node_source(obj: object) -> TypeGuard[NodeSource]:
    """Whether ``obj`` is a :class:`NodeSource`: a ``source`` label and a ``list_nodes()``
    method, the members ``typing.runtime_checkable`` would check."""
    return hasattr(obj, "source") and callable(getattr(obj, "list_nodes", None))


# The order `mediatui list` has always printed nodes in (by name, then number), and
# DVB nodes in the order data flows through an adapter.
_PREFIX_ORDER = ("video", "vbi", "radio", "swradio", "v4l-touch", "v4l-subdev", "media", "dvb")
_DVB_ORDER = ("frontend", "demux", "dvr", "ca", "net")
_DVB_NODE = re.compile(r"dvb/adapter(\d+)/([a-z]+)(\d+)$")


def node_sort_key(node: DeviceNode) -> tuple[object, ...]:
    """Video nodes first, then vbi, radio, sdr, touch, subdevs, media, DVB (by adapter:
    frontend, demux, dvr, ...); numbers in natural order within each."""
    rel = node.path.rsplit("/dev/", 1)[-1]
    rank = next((i for i, p in enumerate(_PREFIX_ORDER) if rel.startswith(p)), len(_PREFIX_ORDER))
    dvb = _DVB_NODE.search(rel)
    if dvb:
        adapter, devtype, num = dvb.groups()
        devrank = _DVB_ORDER.index(devtype) if devtype in _DVB_ORDER else len(_DVB_ORDER)
        return (rank, 0, (int(adapter), devrank, int(num)))
    return (rank, 1, natural_key(rel))


def natural_key(text: str) -> tuple[object, ...]:
    """Sort "video10" after "video9" and "vivid.10" after "vivid.2"."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


__all__ = [
    "NO_LIBUDEV_ENV",
    "SOURCE_NETLINK",
    "SOURCE_SYSFS",
    "SOURCE_UDEV",
    "SOURCE_UDEV_KERNEL",
    "SUBSYSTEMS",
    "UDEV_KEYS",
    "USEFUL_PROPERTIES",
    "DeviceList",
    "DeviceNode",
    "HotplugAction",
    "HotplugEvent",
    "NodeSource",
    "PhysicalDevice",
    "is_node_source",
    "natural_key",
    "node_sort_key",
]
