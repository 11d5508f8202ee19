"""What a caller knew when an ioctl failed: one small frozen dataclass per family.

:func:`core.errors.media_error` picks the explanation that applies from these facts.
Each family is a type, so a producer and an explanation rule cannot disagree on a key:
a misspelt field is an ``AttributeError`` at once and a type error under ``mypy``.
The rule ids (K1…, D1…) are defined in ``docs/kernel-rules.md``.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat

from core.nodekind import NodeKind  # re-exported: one of the facts errors are built from
from core.record import record


@record
class QueueFacts:
    """One queue as this file handle sees it (ownership K1, allocation K3/K6, K13).

    ``num_buffers`` counts the buffers *this* file handle allocated: under videobuf2 only
    the owner holds any, so 0 while another handle gets EBUSY means another owns it.
    """

    buf_type: str  # "video-capture", …, or "dvb" for a demux/dvr queue
    memory: str | None  # the memory type of the buffers allocated ("mmap"), None if none
    streaming: bool  # STREAMON done (V4L2) or the first DMX_QBUF done (DVB, D4)
    num_buffers: int
    min_buffers: int | None = None  # V4L2_CID_MIN_BUFFERS_FOR_*; None if not reported
    orphaned_bufs: bool = False  # V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS (K6)
    in_use: bool = False  # some buffer still mmapped or exported

    @property
    def owns_queue(self) -> bool:
        """This handle allocated the buffers (K1: only the owner can have any)."""
        return self.num_buffers > 0


@record
class AllocationFacts:
    """VIDIOC_REQBUFS / VIDIOC_CREATE_BUFS as asked (K3, K7)."""

    queue: QueueFacts
    memory: str  # the memory type asked for
    count: int
    create: bool = False  # CREATE_BUFS rather than REQBUFS
    max_num_buffers: int | None = None

    @property
    def memory_mismatch(self) -> bool:
        """CREATE_BUFS with another memory type than the existing buffers (K7)."""
        return self.create and self.queue.memory is not None and self.queue.memory != self.memory


@record
class PlaneSizeFacts:
    """A dma-buf offered for one plane at QBUF/PREPARE_BUF (K11)."""

    plane: int
    min_length: int  # the plane's size from QUERYBUF: the least the kernel accepts
    dmabuf_size: int | None  # None: the fd is not a dma-buf
    length: int = 0  # what QBUF passes; 0 means "the dma-buf's size"
    source: str | None = None  # "heap", "udmabuf", "export"

    @property
    def not_a_dmabuf(self) -> bool:
        return self.dmabuf_size is None

    @property
    def too_small(self) -> bool:
        if self.dmabuf_size is None or not self.min_length:
            return False
        effective = self.length or self.dmabuf_size
        return min(effective, self.dmabuf_size) < self.min_length


@record
class BufferFacts:
    """One buffer named by index (QUERYBUF, QBUF, PREPARE_BUF, DQBUF; DMX_* likewise)."""

    queue: QueueFacts
    index: int | None  # None for DQBUF, which does not name one
    exists: bool = True  # the index is one this handle allocated (indices may be sparse, K8)
    state: str | None = None  # "dequeued", "queued", … as the queue model last saw it
    dmabuf: PlaneSizeFacts | None = None
    source: str | None = None  # where an imported buffer came from, when dmabuf is unknown

    @property
    def import_source(self) -> str | None:
        return self.dmabuf.source if self.dmabuf is not None else self.source


@record
class ExportFacts:
    """VIDIOC_EXPBUF / DMX_EXPBUF as asked (K10, D6)."""

    queue: QueueFacts
    index: int
    plane: int
    flags: int
    allowed_flags: int  # O_CLOEXEC and the access modes
    exists: bool  # the index is allocated
    num_planes: int | None  # of that buffer, None when it does not exist
    multiplanar: bool = False
    type_supported: bool | None = None  # the node's capabilities offer this buffer type

    @property
    def bad_flags(self) -> bool:
        return bool(self.flags & ~self.allowed_flags)

    @property
    def bad_index(self) -> bool:
        return self.queue.num_buffers > 0 and not self.exists

    @property
    def bad_plane(self) -> bool:
        if not self.multiplanar:
            return self.plane != 0
        return self.num_planes is not None and self.plane >= self.num_planes


@record
class FormatFacts:
    """VIDIOC_G_FMT / S_FMT / TRY_FMT / S_PARM on one buffer type (format mismatch)."""

    buf_type: str
    type_supported: bool | None  # None: capabilities not read yet
    queue: QueueFacts | None = None


@record
class DvbAllocationFacts:
    """DMX_REQBUFS as asked (D1, D3)."""

    queue: QueueFacts
    count: int
    size: int
    api_absent: bool  # the errno can only mean "no CONFIG_DVB_MMAP" (D1)


@record
class FilterFacts:
    """The demux filter of one file handle (DMX_SET_PES_FILTER, DMX_SET_FILTER, DMX_START)."""

    pid: int | None  # None: no filter set on this fd yet
    max_pid: int = 0x2000  # DMX_MAX_PID in dvb_demux.h: 0x2000 means "every PID"

    @property
    def filter_set(self) -> bool:
        return self.pid is not None


@record
class TuneFacts:
    """FE_SET_PROPERTY tuning parameters against the frontend's FE_GET_INFO limits."""

    frequency: int
    frequency_min: int | None  # None: FE_GET_INFO failed too
    frequency_max: int | None
    unit: str = "Hz"  # FE_GET_INFO reports kHz for satellite delivery systems
    delivery_system: str = ""

    @property
    def out_of_range(self) -> bool:
        lo, hi = self.frequency_min, self.frequency_max
        return bool((lo and self.frequency < lo) or (hi and self.frequency > hi))


@record
class PollFacts:
    """What poll() said about an fd."""

    events: int


@record
class NodeAccess:
    """Who may open a node (mode bits, owner, group) and who is asking: for EACCES."""

    path: str
    mode: int  # st_mode permission bits (0o660)
    owner: str
    group: str
    gid: int
    user: str  # the effective user
    euid: int
    in_group: bool  # the effective user is in the node's group

    @property
    def root_only(self) -> bool:
        """Only root may read or write: no group or other access bits."""
        return not self.mode & 0o066

    @property
    def mode_text(self) -> str:
        return stat.filemode(self.mode | stat.S_IFCHR)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def node_access(path: str) -> NodeAccess | None:
    """Stat ``path`` and say who may open it; None when it cannot be stat()ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    euid = os.geteuid()
    return NodeAccess(
        path=path,
        mode=stat.S_IMODE(st.st_mode),
        owner=_user_name(st.st_uid),
        group=_group_name(st.st_gid),
        gid=st.st_gid,
        user=_user_name(euid),
        euid=euid,
        in_group=st.st_gid == os.getegid() or st.st_gid in os.getgroups(),
    )


@record
class LinkFacts:
    """MEDIA_IOC_SETUP_LINK as asked: the link's two pads and the flags wanted
    (``Documentation/userspace-api/media/mediactl/media-ioc-setup-link.rst``)."""

    source_entity: int
    source_pad: int
    sink_entity: int
    sink_pad: int
    flags: int  # MEDIA_LNK_FL_* asked for

    @property
    def source(self) -> str:
        return f"{self.source_entity}:{self.source_pad}"

    @property
    def sink(self) -> str:
        return f"{self.sink_entity}:{self.sink_pad}"

    @property
    def enabling(self) -> bool:
        return bool(self.flags & 0x1)  # MEDIA_LNK_FL_ENABLED


@record
class PadFacts:
    """A subdev pad ioctl as asked (``v4l/vidioc-subdev-*.rst``): the pad, ``which``
    (0 TRY, 1 ACTIVE), and the enumeration index or selection target when there is one."""

    pad: int
    which: int
    index: int | None = None  # ENUM_MBUS_CODE / ENUM_FRAME_SIZE
    target: int | None = None  # G/S_SELECTION

    @property
    def which_name(self) -> str:
        return {0: "TRY", 1: "ACTIVE"}.get(self.which, f"invalid ({self.which})")


Facts = (
    QueueFacts
    | AllocationFacts
    | BufferFacts
    | ExportFacts
    | FormatFacts
    | DvbAllocationFacts
    | FilterFacts
    | TuneFacts
    | PollFacts
    | NodeAccess
    | LinkFacts
    | PadFacts
)

__all__ = [
    "AllocationFacts",
    "BufferFacts",
    "DvbAllocationFacts",
    "ExportFacts",
    "Facts",
    "FilterFacts",
    "FormatFacts",
    "LinkFacts",
    "NodeAccess",
    "NodeKind",
    "PadFacts",
    "PlaneSizeFacts",
    "PollFacts",
    "QueueFacts",
    "TuneFacts",
    "node_access",
]
