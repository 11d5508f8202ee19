"""What one device node is: its kind and its identity (driver, card, bus_info).

udev's ``ID_V4L_CAPABILITIES`` misses mem2mem and metadata nodes, so the kind of a V4L2
node comes from our own VIDIOC_QUERYCAP (``device_caps`` when the driver sets
V4L2_CAP_DEVICE_CAPS).  DVB nodes have no QUERYCAP: their kind is in their name and
their driver in sysfs.  Discovery (which nodes exist, how they group) builds on this.
"""

from __future__ import annotations

import os
import re

from core import ioctl as chokepoint
from core.abi import media as media_abi
from core.abi import v4l2
from core.errors import NotAMediaNode
from core.record import field, record


def _reason(exc: OSError | NotAMediaNode) -> str:
    """One line for a node ``list`` could not describe."""
    if isinstance(exc, NotAMediaNode):
        return exc.title
    return os.strerror(exc.errno) if exc.errno is not None else str(exc)

DVB_TYPES = ("frontend", "demux", "dvr", "ca", "net", "video", "audio", "osd")

_DVB_PATH = re.compile(r"/dev/dvb/adapter(\d+)/([a-z]+)(\d+)$")


TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any, Protocol

    class NodeIdentity(Protocol):
        """What a listed node says about itself (NodeInfo, discovery's DeviceNode)."""

        # Read-only: the frozen NodeInfo and DeviceNode both satisfy it.
        @property
        def path(self) -> str: ...
        @property
        def subsystem(self) -> str: ...
        @property
        def kind(self) -> str: ...
        @property
        def name(self) -> str: ...
        @property
        def driver(self) -> str: ...
        @property
        def card(self) -> str: ...
        @property
        def bus_info(self) -> str: ...
        @property
        def capabilities(self) -> int: ...
        @property
        def device_caps(self) -> int: ...
        @property
        def error(self) -> str | None: ...


def identity_record(node: NodeIdentity) -> dict[str, object]:
    """The keys of a ``mediatui list --json`` record every node has, in contract order."""
    out: dict[str, object] = {
        "path": node.path,
        "subsystem": node.subsystem,
        "kind": node.kind,
        "name": node.name,
        "driver": node.driver,
        "card": node.card,
        "bus_info": node.bus_info,
    }
    if node.subsystem == "video4linux" and node.device_caps:
        # The contract (core/service/jsondoc.py): flag names, the raw number under *_raw.
        out["capabilities"] = v4l2.decode_flags(node.capabilities, v4l2.Cap)
        out["capabilities_raw"] = node.capabilities
        out["device_caps"] = v4l2.decode_flags(node.device_caps, v4l2.Cap)
        out["device_caps_raw"] = node.device_caps
    if node.error:
        # The one error shape of every document (mediatui.error/1's "error" object);
        # discovery keeps only the reason, so the errno and ioctl are unknown here.
        out["error"] = {"kind": "MediaError", "path": node.path, "ioctl": None, "errno": None,
                        "errno_name": None, "title": node.error, "explanation": ""}
    return out


@record
class NodeInfo:
    """A device node as a person identifies it."""

    path: str
    subsystem: str  # "video4linux", "dvb" or "media"
    kind: str  # e.g. "video-capture", "video-m2m", "dvb-demux", "media", "v4l-subdev"
    name: str = ""  # sysfs name (V4L2) or "dvbA.typeN"
    driver: str = ""
    card: str = ""
    bus_info: str = ""
    capabilities: int = 0
    device_caps: int = 0
    error: str | None = None  # why identity could not be read (permissions, gone)
    extra: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        out = identity_record(self)
        if self.extra:
            out.update(self.extra)
        return out


# Most specific first: touch nodes also set VIDEO_CAPTURE.  Plain ints, not Cap
# members: IntFlag arithmetic costs more than the QUERYCAP it classifies.
_KINDS: tuple[tuple[int, str], ...] = tuple(
    (int(mask), kind)
    for mask, kind in (
        (v4l2.V4L2_CAP_TOUCH, "touch"),
        (v4l2.V4L2_CAP_VIDEO_M2M | v4l2.V4L2_CAP_VIDEO_M2M_MPLANE, "video-m2m"),
        (v4l2.V4L2_CAP_VIDEO_CAPTURE | v4l2.V4L2_CAP_VIDEO_CAPTURE_MPLANE, "video-capture"),
        (v4l2.V4L2_CAP_VIDEO_OUTPUT | v4l2.V4L2_CAP_VIDEO_OUTPUT_MPLANE, "video-output"),
        (v4l2.V4L2_CAP_META_CAPTURE, "meta-capture"),
        (v4l2.V4L2_CAP_META_OUTPUT, "meta-output"),
        (v4l2.V4L2_CAP_VBI_CAPTURE | v4l2.V4L2_CAP_SLICED_VBI_CAPTURE, "vbi-capture"),
        (v4l2.V4L2_CAP_VBI_OUTPUT | v4l2.V4L2_CAP_SLICED_VBI_OUTPUT, "vbi-output"),
        (v4l2.V4L2_CAP_SDR_CAPTURE, "sdr-capture"),
        (v4l2.V4L2_CAP_SDR_OUTPUT, "sdr-output"),
        (v4l2.V4L2_CAP_RADIO | v4l2.V4L2_CAP_MODULATOR | v4l2.V4L2_CAP_TUNER, "radio"),
    )
)


def is_media_path(path: str) -> bool:
    """A media controller node by its name (``/dev/mediaN``, devtmpfs's name from
    drivers/media/mc/mc-devnode.c)."""
    return path.rsplit("/", 1)[-1].startswith("media")


def is_subdev_path(path: str) -> bool:
    """A V4L2 sub-device node by its name (``/dev/v4l-subdevN``, v4l2-dev.c)."""
    return path.rsplit("/", 1)[-1].startswith("v4l-subdev")


def v4l2_kind(device_caps: int) -> str:
    """The node's main function from its device caps, most specific first."""
    caps = int(device_caps)
    return next((kind for mask, kind in _KINDS if caps & mask), "v4l2")


def _virtual_facts(path: str) -> Any | None:
    """What a virtual backend serving ``path`` says sysfs would (its ``sysfs_facts``:
    ``name``, ``driver``); None for kernel nodes."""
    backend = chokepoint.backend_for_path(path)
    facts = getattr(backend, "sysfs_facts", None)
    return facts(path) if facts is not None else None


def _sysfs_name(path: str) -> str:
    virtual = _virtual_facts(path)
    if virtual is not None:
        name: str = virtual.name
        return name
    try:  # one readlink instead of realpath's lstat of every component
        os.readlink(path)
    except OSError:  # not a link (EINVAL), the usual /dev/videoN; or gone
        target = path
    else:  # a /dev/v4l/by-path/... link
        target = os.path.realpath(path)
    base = os.path.basename(target)
    try:  # plain syscalls: listing a hundred nodes reads a hundred of these
        fd = os.open(f"/sys/class/video4linux/{base}/name", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        return os.read(fd, 4096).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    finally:
        os.close(fd)


def _dvb_driver(adapter: str, devtype: str, num: str) -> str:
    link = f"/sys/class/dvb/dvb{adapter}.{devtype}{num}/device/driver"
    try:
        return os.path.basename(os.readlink(link))
    except OSError:
        return ""


def querycap(fd: int) -> v4l2.v4l2_capability:
    """VIDIOC_QUERYCAP on an open fd (raw OSError on failure)."""
    cap = v4l2.v4l2_capability()
    chokepoint.ioctl(fd, v4l2.VIDIOC_QUERYCAP, cap)
    return cap


def describe_node(path: str) -> NodeInfo:
    """Identify one node.  Never raises for a node that cannot be opened: the reason
    goes into ``error`` so a listing still shows it."""
    dvb = _DVB_PATH.search(path)
    if dvb:
        adapter, devtype, num = dvb.groups()
        virtual = _virtual_facts(path)
        return NodeInfo(
            path=path,
            subsystem="dvb",
            kind=f"dvb-{devtype}",
            name=f"dvb{adapter}.{devtype}{num}",
            driver=virtual.driver if virtual is not None else _dvb_driver(adapter, devtype, num),
            # A virtual adapter has no sysfs parent to group by: its bus_info joins it
            # to its media node, as the physical device does for a real one.
            bus_info=virtual.bus_info if virtual is not None else "",
            extra={"adapter": adapter},
        )
    base = os.path.basename(path)
    if base.startswith("media"):
        return _describe_media(path)
    if base.startswith("v4l-subdev"):
        # No QUERYCAP on a subdev: a virtual one says its driver the way sysfs would.
        virtual = _virtual_facts(path)
        return NodeInfo(path, "video4linux", "v4l-subdev", name=_sysfs_name(path),
                        driver=virtual.driver if virtual is not None else "",
                        bus_info=virtual.bus_info if virtual is not None else "")
    name = _sysfs_name(path)
    try:
        fd = chokepoint.open_node(path)
    except (OSError, NotAMediaNode) as exc:
        return NodeInfo(path, "video4linux", "v4l2", name=name, error=_reason(exc))
    try:
        cap = querycap(fd)
    except OSError as exc:
        return NodeInfo(path, "video4linux", "v4l2", name=name, error=_reason(exc))
    finally:
        chokepoint.close_fd(fd)
    has_device_caps = cap.capabilities & v4l2.V4L2_CAP_DEVICE_CAPS
    device_caps = cap.device_caps if has_device_caps else cap.capabilities
    return NodeInfo(
        path=path,
        subsystem="video4linux",
        kind=v4l2_kind(device_caps),
        name=name,
        driver=v4l2.cstr(cap.driver),
        card=v4l2.cstr(cap.card),
        bus_info=v4l2.cstr(cap.bus_info),
        capabilities=cap.capabilities,
        device_caps=device_caps,
    )


def _describe_media(path: str) -> NodeInfo:
    try:
        fd = chokepoint.open_node(path)
    except (OSError, NotAMediaNode) as exc:
        return NodeInfo(path, "media", "media", error=_reason(exc))
    try:
        info = media_abi.media_device_info()
        chokepoint.ioctl(fd, media_abi.MEDIA_IOC_DEVICE_INFO, info)
    except OSError as exc:
        return NodeInfo(path, "media", "media", error=_reason(exc))
    finally:
        chokepoint.close_fd(fd)
    return NodeInfo(
        path=path,
        subsystem="media",
        kind="media",
        name=v4l2.cstr(info.model),
        driver=v4l2.cstr(info.driver),
        card=v4l2.cstr(info.model),
        bus_info=v4l2.cstr(info.bus_info),
    )

