"""Typed media errors that say *why* the kernel refused, not only that it did.

Below this module everything is a raw ``OSError``.  Device objects catch it where they
know the context of the call and raise a :class:`MediaError` built by
:func:`media_error` from typed facts (:mod:`core.facts`: queue ownership, plane sizes,
export arguments, the frontend's range…).  Its ``title`` fits a notification and its
``explanation`` names the likely kernel reason, taken from the kernel documentation for
the ioctl and from videobuf2/dvb_vb2/dmxdev (rule ids in ``docs/kernel-rules.md``).
"""

from __future__ import annotations

import errno as E
import os
from collections.abc import Callable
from typing import Any

from core.facts import (
    AllocationFacts,
    BufferFacts,
    DvbAllocationFacts,
    ExportFacts,
    Facts,
    FilterFacts,
    FormatFacts,
    NodeAccess,
    NodeKind,
    PollFacts,
    QueueFacts,
    TuneFacts,
    node_access,
)

# Explanations fall back to this when nothing more specific is known.
NO_DETAIL = "The kernel gave no more detail for this error."


class MediaError(Exception):
    """A failed operation on a media node, with the kernel's errno and its likely cause."""

    def __init__(
        self,
        *,
        path: str | None,
        ioctl: str | None,
        errno: int | None,
        title: str,
        explanation: str,
    ) -> None:
        super().__init__(title)
        self.path = path
        self.ioctl = ioctl
        self.errno = errno
        self.title = title
        self.explanation = explanation

    @property
    def errno_name(self) -> str:
        return E.errorcode.get(self.errno, str(self.errno)) if self.errno else ""

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        what = f"{self.ioctl} " if self.ioctl else ""
        code = f"failed with {self.errno_name}: " if self.errno else ""
        return f"{where}{what}{code}{self.title}. {self.explanation}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ioctl": self.ioctl,
            "errno": self.errno,
            "errno_name": self.errno_name or None,
            "title": self.title,
            "explanation": self.explanation,
        }


class DeviceGone(MediaError):
    """The node disappeared (unplugged, driver unbound): ENODEV, or POLLERR on poll."""


class NoDevice(MediaError):
    """ENXIO: the node's device number has no device behind it (a stale node, /dev/tty
    without a controlling terminal); nothing was unplugged while in use."""


class NotAMediaNode(MediaError):
    """The path is not a V4L2, DVB, media-controller, dma-heap or udmabuf node; it was
    never opened (opening a watchdog arms it, opening a serial port raises DTR)."""

    def __str__(self) -> str:
        return f"{self.path}: not opened: {self.title}. {self.explanation}"


class PathError(MediaError):
    """The path itself is wrong: ENOENT, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG."""


class PermissionDenied(MediaError):
    """EACCES/EPERM opening or using a node."""


class NotSupported(MediaError):
    """The node or kernel lacks this API (ENOTTY, EOPNOTSUPP, or a missing DVB mmap API)."""


class Busy(MediaError):
    """EBUSY: streaming, another file handle owns the queue, or memory still in use."""


class InvalidRequest(MediaError):
    """EINVAL: the kernel rejected the arguments or the queue's state."""


class WouldBlock(MediaError):
    """EAGAIN on a non-blocking fd: nothing is ready yet (not a failure for a poll loop)."""


class MemoryFault(MediaError):
    """EFAULT: a buffer could not be mapped or pinned (e.g. a dma-buf without vmap)."""


class OutOfMemory(MediaError):
    """ENOMEM / ENOBUFS: allocation failed or the queue is at its maximum."""


class LastBufferDequeued(MediaError):
    """EPIPE from DQBUF: a mem2mem queue already returned its LAST buffer (K12)."""


class PipelineInvalid(MediaError):
    """EPIPE from STREAMON: media-controller link validation failed on the pipeline."""


_CLASS_BY_ERRNO: dict[int, type[MediaError]] = {
    E.ENODEV: DeviceGone,
    E.ENXIO: NoDevice,
    E.ENOENT: PathError,
    E.ENOTDIR: PathError,
    E.EISDIR: PathError,
    E.ELOOP: PathError,
    E.ENAMETOOLONG: PathError,
    E.EACCES: PermissionDenied,
    E.EPERM: PermissionDenied,
    E.ENOTTY: NotSupported,
    E.EOPNOTSUPP: NotSupported,
    E.EBUSY: Busy,
    E.EINVAL: InvalidRequest,
    E.EAGAIN: WouldBlock,
    E.EFAULT: MemoryFault,
    E.ENOMEM: OutOfMemory,
    E.ENOBUFS: OutOfMemory,
}

# EPIPE means different things per ioctl: never file it by errno alone.
_CLASS_BY_CALL: dict[tuple[str, int], type[MediaError]] = {
    ("VIDIOC_DQBUF", E.EPIPE): LastBufferDequeued,
    ("VIDIOC_STREAMON", E.EPIPE): PipelineInvalid,
}

Explanation = tuple[str, str]
Explainer = Callable[[Facts | None], Explanation]
_RULES: dict[tuple[str, int], Explainer] = {}


def _rule(*keys: tuple[str, int]) -> Callable[[Explainer], Explainer]:
    def register(fn: Explainer) -> Explainer:
        for key in keys:
            _RULES[key] = fn
        return fn

    return register


def media_error(
    exc: OSError | int,
    *,
    ioctl: str | None,
    path: str | None,
    facts: Facts | None = None,
) -> MediaError:
    """Turn an ``OSError`` (or a bare errno) from ``ioctl`` into a typed, explained error.

    ``ioctl`` is the kernel's name of the call ("VIDIOC_QBUF"; "open", "mmap", "poll"
    for those syscalls); ``facts`` is one :mod:`core.facts` value describing what the
    caller knew.  The explanation for (ioctl, errno) is chosen first, then one for the
    errno whatever the call; the class follows the call and errno the same way.
    """
    err = exc if isinstance(exc, int) else (exc.errno or 0)
    key = (ioctl or "open", err)
    explainer = _RULES.get(key) or _GENERIC.get(err)
    if explainer is not None:
        title, explanation = explainer(facts)
    else:
        title = f"{ioctl or 'operation'} failed: {os.strerror(err)}"
        explanation = NO_DETAIL
    cls = _CLASS_BY_CALL.get(key) or _CLASS_BY_ERRNO.get(err, MediaError)
    return cls(path=path, ioctl=ioctl, errno=err, title=title, explanation=explanation)


def has_specific_explanation(ioctl: str, err: int) -> bool:
    """True when (ioctl, errno) gets an explanation of its own or of its errno."""
    return (ioctl, err) in _RULES or err in _GENERIC


def open_error(exc: OSError, path: str) -> MediaError:
    """The explained error for a failed open of ``path``: EACCES/EPERM say who may open
    the node (its mode, owner and group, and whether the user is in that group)."""
    facts = node_access(path) if exc.errno in (E.EACCES, E.EPERM) else None
    return media_error(exc, ioctl="open", path=path, facts=facts)


def not_a_media_node(kind: NodeKind) -> NotAMediaNode:
    """The error for a path that :mod:`core.nodekind` refused to open."""
    return NotAMediaNode(
        path=kind.path,
        ioctl="open",
        errno=None,
        title=f"Not a media node: {kind.describe()}",
        explanation="mediatui opens only V4L2 (video4linux), DVB, media-controller, "
        "dma-heap and udmabuf character devices, and refused to open this path at all "
        "(opening some devices has side effects: a watchdog arms, a serial port raises "
        "DTR). Pick a node from `mediatui list`.",
    )


def _queue_of(facts: Facts | None) -> QueueFacts | None:
    if isinstance(facts, QueueFacts):
        return facts
    if isinstance(facts, AllocationFacts | BufferFacts | ExportFacts | DvbAllocationFacts):
        return facts.queue
    if isinstance(facts, FormatFacts):
        return facts.queue
    return None


# --- generic causes, whatever the call ----------------------------------------------------


def _eacces(facts: Facts | None) -> Explanation:
    if not isinstance(facts, NodeAccess):
        return (
            "Permission denied",
            "The node's mode bits do not let this user open it (see ls -l on the node); "
            "add the user to the node's group or run as root.",
        )
    who = f"{facts.mode_text} {facts.owner}:{facts.group}"
    if facts.euid == 0:
        return (
            "Permission denied to root",
            f"The node is {who}, but mode bits do not bind root: the filesystem holding "
            "the node is mounted nodev, or a security module (SELinux, AppArmor) or the "
            "device cgroup of this container denies it.",
        )
    if facts.root_only:
        return (
            "Permission denied: root only",
            f"The node is {who}: only its owner may open it, and no group or other access "
            f"is granted, so being in group '{facts.group}' would not help. Run as root, or "
            "have a udev rule give it a group and mode 0660.",
        )
    if facts.in_group:
        return (
            "Permission denied",
            f"The node is {who}; you ({facts.user}) are in group '{facts.group}', but the "
            "group bits do not grant the read/write access asked for. Change the node's "
            "mode (a udev rule) or run as root.",
        )
    return (
        "Permission denied",
        f"The node is {who}: its owner and group '{facts.group}' may open it; you "
        f"({facts.user}) are not in that group. sudo usermod -aG {facts.group} "
        f"{facts.user}, then log in again, or run as root.",
    )


def _eperm(facts: Facts | None) -> Explanation:
    return (
        "Operation not permitted",
        "The kernel refused this operation for this user or this open mode (a missing "
        "capability, a security module's policy, or a node opened read-only), not "
        "because of the node's permission bits.",
    )


def _enodev(facts: Facts | None) -> Explanation:
    detail = ""
    if isinstance(facts, PollFacts):
        detail = f" (poll reported events {facts.events:#x})"
    return (
        "Device removed",
        f"The node no longer has a driver behind it{detail}: it was unplugged or its "
        "driver was unbound. Close it; it may come back under the same or a new name.",
    )


def _enxio(facts: Facts | None) -> Explanation:
    return (
        "No device behind this node",
        "The node's device number has no device registered: a stale node left in /dev "
        "(or made by mknod) for a device that is not there, or a device that exists only "
        "in some context (/dev/tty without a controlling terminal). This is not a removal "
        "during use; look for the node again with `mediatui list`.",
    )


def _enotty(facts: Facts | None) -> Explanation:
    return (
        "Not supported by this node",
        "The driver has no handler for this ioctl: the node is not this kind of device "
        "(e.g. a V4L2 ioctl on a DVB or non-media node, or a subdev without video ioctls).",
    )


def _enoent(facts: Facts | None) -> Explanation:
    return (
        "No such device node",
        "The path does not exist: check it; device numbers change between boots.",
    )


def _enotdir(facts: Facts | None) -> Explanation:
    return (
        "Not a directory in the path",
        "The path is wrong: one of its components used as a directory is a file or a "
        "device (as in /dev/video0/x).",
    )


def _eisdir(facts: Facts | None) -> Explanation:
    return (
        "The path is a directory",
        "The path names a directory, not a device node; name a node inside it "
        "(e.g. /dev/video0, /dev/dvb/adapter0/demux0).",
    )


def _eloop(facts: Facts | None) -> Explanation:
    return (
        "Symbolic link loop in the path",
        "Resolving the path met too many symbolic links (a loop): the path is wrong, "
        "not the device. Check the links with namei -l PATH.",
    )


def _enametoolong(facts: Facts | None) -> Explanation:
    return (
        "Path too long",
        "The path or one of its components is longer than the kernel accepts "
        "(PATH_MAX 4096 bytes, NAME_MAX 255 per component).",
    )


def _ebusy_generic(facts: Facts | None) -> Explanation:
    return (
        "Device busy",
        "Another file handle owns the queue, or the queue is streaming.",
    )


def _enomem(facts: Facts | None) -> Explanation:
    return (
        "Out of memory",
        "The driver could not allocate the buffers: ask for fewer or smaller buffers.",
    )


def _eagain(facts: Facts | None) -> Explanation:
    return (
        "Nothing ready yet",
        "The node is non-blocking and has nothing for this call yet: poll() and try again.",
    )


def _eio(facts: Facts | None) -> Explanation:
    return (
        "I/O error from the driver",
        "The driver reported a hardware or protocol failure (or lost the signal); "
        "dmesg usually names it.",
    )


_GENERIC: dict[int, Explainer] = {
    E.EACCES: _eacces,
    E.EPERM: _eperm,
    E.ENODEV: _enodev,
    E.ENXIO: _enxio,
    E.ENOTTY: _enotty,
    E.ENOENT: _enoent,
    E.ENOTDIR: _enotdir,
    E.EISDIR: _eisdir,
    E.ELOOP: _eloop,
    E.ENAMETOOLONG: _enametoolong,
    E.EBUSY: _ebusy_generic,
    E.ENOMEM: _enomem,
    E.EAGAIN: _eagain,
    E.EIO: _eio,
}


# --- VIDIOC_QUERYCAP, formats -------------------------------------------------------------


@_rule(("VIDIOC_QUERYCAP", E.EINVAL))
def _querycap_einval(facts: Facts | None) -> Explanation:
    return (
        "Not a V4L2 node",
        "The driver rejects V4L2 ioctls with EINVAL instead of ENOTTY (a dma-heap or "
        "udmabuf node does): this node has no video capabilities to query.",
    )


def _type_unsupported(buf_type: str) -> Explanation:
    return (
        f"No {buf_type} queue on this node",
        "The node's capabilities (QUERYCAP device_caps) do not offer this buffer type: "
        "pick the type the node has (see `mediatui info`).",
    )


@_rule(("VIDIOC_G_FMT", E.EINVAL), ("VIDIOC_S_FMT", E.EINVAL), ("VIDIOC_TRY_FMT", E.EINVAL),
       ("VIDIOC_S_PARM", E.EINVAL))
def _fmt_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, FormatFacts) and facts.type_supported is False:
        return _type_unsupported(facts.buf_type)
    return (
        "Format refused",
        "The buffer type is not supported by this node, or (S_PARM) the driver does not "
        "let the frame interval be set.",
    )


@_rule(("VIDIOC_S_FMT", E.EBUSY), ("VIDIOC_S_PARM", E.EBUSY))
def _fmt_busy(facts: Facts | None) -> Explanation:
    queue = _queue_of(facts)
    if queue is not None and queue.streaming:
        return ("Queue is streaming", "The format cannot change while streaming: STREAMOFF "
                "and free the buffers (REQBUFS 0) first.")
    if queue is not None and queue.owns_queue:
        return ("Buffers are allocated", "Drivers refuse a new format while buffers sized "
                "for the old one exist: free them with REQBUFS 0 first.")
    return (
        "Format locked by another file handle",
        "Another process has buffers allocated on this node (it owns the queue, K1), so "
        "the format cannot change until it frees them or closes (fuser -v DEVICE).",
    )


# --- VIDIOC_REQBUFS / CREATE_BUFS -------------------------------------------------------


@_rule(("VIDIOC_REQBUFS", E.EBUSY), ("VIDIOC_CREATE_BUFS", E.EBUSY))
def _reqbufs_busy(facts: Facts | None) -> Explanation:
    queue = _queue_of(facts)
    if queue is not None and queue.streaming:
        return (
            "Queue is streaming",
            "Buffers cannot be (re)allocated while the queue streams: STREAMOFF first.",
        )
    if queue is not None and not queue.owns_queue:
        return (
            "Another file handle owns this queue",
            "videobuf2 gives the queue to the file handle whose REQBUFS/CREATE_BUFS "
            "allocated it; others get EBUSY until it frees them (REQBUFS 0) or closes. "
            "Look for another process with the node open (fuser -v DEVICE).",
        )
    if (isinstance(facts, AllocationFacts) and facts.count == 0 and facts.queue.in_use
            and not facts.queue.orphaned_bufs):
        return (
            "Buffers are still mapped or exported",
            "This queue does not support orphaned buffers (no ORPHANED_BUFS capability), "
            "so REQBUFS cannot free buffers that are still mmapped or have open exported "
            "dma-buf fds: unmap them and close the exports first.",
        )
    return (
        "Queue busy",
        "The queue is streaming, owned by another file handle, or (on drivers without "
        "ORPHANED_BUFS) its buffers are still mapped or exported.",
    )


@_rule(("VIDIOC_REQBUFS", E.EINVAL), ("VIDIOC_CREATE_BUFS", E.EINVAL))
def _reqbufs_einval(facts: Facts | None) -> Explanation:
    memory = facts.memory if isinstance(facts, AllocationFacts) else "this"
    if isinstance(facts, AllocationFacts) and facts.memory_mismatch:
        return (
            "Memory type differs from the existing buffers",
            f"CREATE_BUFS must use the memory type of the buffers already allocated "
            f"({facts.queue.memory}); free them with REQBUFS 0 to switch.",
        )
    return (
        f"{memory} buffers not supported on this queue",
        f"The buffer type is not supported by this node, or the queue does not support "
        f"{memory} memory (see the probe's memory types), or (CREATE_BUFS) the format's "
        f"plane sizes are invalid.",
    )


@_rule(("VIDIOC_CREATE_BUFS", E.ENOBUFS), ("VIDIOC_REQBUFS", E.ENOBUFS))
def _create_enobufs(facts: Facts | None) -> Explanation:
    most = facts.max_num_buffers if isinstance(facts, AllocationFacts) else None
    return (
        "Queue is full",
        f"The queue already holds its maximum number of buffers "
        f"(max_num_buffers={most if most is not None else 'not reported'}).",
    )


# --- VIDIOC_QUERYBUF / mmap --------------------------------------------------------------


def _index_text(facts: Facts | None) -> str:
    index = facts.index if isinstance(facts, BufferFacts | ExportFacts) else None
    return "?" if index is None else str(index)


@_rule(("VIDIOC_QUERYBUF", E.EINVAL))
def _querybuf_einval(facts: Facts | None) -> Explanation:
    return (
        f"No buffer {_index_text(facts)} on this queue",
        "The index is out of range or the buffer type is wrong for this queue "
        "(indices come from REQBUFS/CREATE_BUFS; they can be sparse).",
    )


@_rule(("mmap", E.EACCES))
def _mmap_eacces(facts: Facts | None) -> Explanation:
    return (
        "Mapping not allowed by the open mode",
        "The node (or dma-buf) was opened without the access the mapping asks for: "
        "PROT_WRITE needs an fd opened read-write. The node's permissions are not the cause.",
    )


@_rule(("mmap", E.EINVAL))
def _mmap_einval(facts: Facts | None) -> Explanation:
    return (
        "Cannot map this buffer",
        "Only MMAP queues can be mapped, with MAP_SHARED, a length no larger than the "
        "plane and the offset cookie from QUERYBUF.",
    )


# --- VIDIOC_EXPBUF / DMX_EXPBUF ------------------------------------------------------------


def _bad_export_flags(facts: ExportFacts) -> Explanation:
    """VIDIOC_EXPBUF and DMX_EXPBUF accept the same open(2) flags."""
    return (
        f"Invalid export flags {facts.flags:#x}",
        "Only O_CLOEXEC and an access mode (O_RDONLY, O_WRONLY, O_RDWR) are allowed.",
    )


@_rule(("VIDIOC_EXPBUF", E.EINVAL))
def _expbuf_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, ExportFacts):
        queue = facts.queue
        if facts.type_supported is False:
            return _type_unsupported(queue.buf_type)
        if queue.memory is not None and queue.memory != "mmap":
            return (
                "Queue is not in MMAP mode",
                f"VIDIOC_EXPBUF exports MMAP buffers only; this queue holds {queue.memory} "
                "buffers. Request MMAP buffers to export them.",
            )
        if facts.bad_flags:
            return _bad_export_flags(facts)
        if facts.bad_index:
            return (
                f"No buffer {facts.index} on this queue",
                f"Valid indices are those allocated with REQBUFS/CREATE_BUFS "
                f"({queue.num_buffers} buffer(s) here).",
            )
        if facts.bad_plane:
            if facts.multiplanar:
                detail = f"the format has {facts.num_planes} plane(s), numbered from 0"
            else:
                detail = "the single-planar API requires plane 0"
            return (f"Plane {facts.plane} does not exist", f"Invalid plane: {detail}.")
        if not queue.owns_queue:
            return ("No buffers allocated", "Allocate MMAP buffers with REQBUFS first.")
    return (
        "Export refused",
        "The queue is not in MMAP mode, or DMABUF exporting is not supported by its "
        "allocator, or the flags, type, index or plane fields are invalid.",
    )


@_rule(("VIDIOC_EXPBUF", E.ENOTTY))
def _expbuf_enotty(facts: Facts | None) -> Explanation:
    return (
        "Exporting is not supported",
        "The driver has no VIDIOC_EXPBUF handler (it does not use videobuf2's "
        "helpers), so its buffers cannot be shared as dma-bufs.",
    )


@_rule(("VIDIOC_EXPBUF", E.EBUSY))
def _expbuf_ebusy(facts: Facts | None) -> Explanation:
    return (
        "Queue owned by another file handle",
        "Only the file handle that allocated the buffers can export them "
        "(or read()/write() emulation is active).",
    )


@_rule(("DMX_EXPBUF", E.EINVAL))
def _dmx_expbuf_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, ExportFacts):
        if facts.bad_flags:
            return _bad_export_flags(facts)
        if facts.bad_index:
            return (
                f"No buffer {facts.index} on this demux",
                f"Valid indices are 0..count-1 from DMX_REQBUFS "
                f"({facts.queue.num_buffers} here).",
            )
        if not facts.queue.owns_queue:
            return ("No buffers allocated", "Call DMX_REQBUFS before DMX_EXPBUF.")
    return (
        "Export refused",
        "The queue is not in MMAP mode, or DMABUF exporting is not supported, or the "
        "flags or index fields are invalid.",
    )


# --- DVB mmap API ----------------------------------------------------------------------------


def _dmx_api_absent(facts: Facts | None) -> Explanation:
    return (
        "No DVB mmap API in this kernel",
        "The DMX_REQBUFS/QUERYBUF/EXPBUF/QBUF/DQBUF ioctls exist only when the kernel "
        "is built with CONFIG_DVB_MMAP (ENOTTY, EINVAL on early kernels, or EOPNOTSUPP "
        "as documented). Use read() on the dvr/demux node instead.",
    )


for _ioctl in ("DMX_REQBUFS", "DMX_QUERYBUF", "DMX_EXPBUF", "DMX_QBUF", "DMX_DQBUF"):
    _RULES[(_ioctl, E.ENOTTY)] = _dmx_api_absent
    _RULES[(_ioctl, E.EOPNOTSUPP)] = _dmx_api_absent


@_rule(("DMX_REQBUFS", E.EINVAL))
def _dmx_reqbufs_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, DvbAllocationFacts) and facts.api_absent:
        return _dmx_api_absent(facts)
    return (
        "DMX_REQBUFS refused",
        "The count or size is invalid, or this kernel has no DVB mmap API "
        "(early kernels answered EINVAL for it).",
    )


@_rule(("DMX_REQBUFS", E.EBUSY))
def _dmx_reqbufs_busy(facts: Facts | None) -> Explanation:
    return (
        "Demux queue is streaming",
        "The first DMX_QBUF started the queue and DMX_STOP does not stop it: buffers "
        "cannot be reallocated or freed until the file is closed.",
    )


@_rule(("DMX_QBUF", E.EINVAL), ("DMX_QUERYBUF", E.EINVAL), ("DMX_DQBUF", E.EINVAL))
def _dmx_buf_einval(facts: Facts | None) -> Explanation:
    queue = _queue_of(facts)
    if isinstance(facts, BufferFacts) and facts.index is None and queue is not None \
            and not queue.streaming:
        return (
            "Demux queue is not streaming",
            "DMX_DQBUF only works after the first DMX_QBUF started the queue.",
        )
    return (
        f"No buffer {_index_text(facts)} on this demux",
        "The index is out of range or the buffer is already queued.",
    )


@_rule(("DMX_SET_PES_FILTER", E.EINVAL), ("DMX_SET_FILTER", E.EINVAL))
def _dmx_filter_einval(facts: Facts | None) -> Explanation:
    return (
        "Filter refused",
        "The filter's input, output or PES type is not one the demux knows "
        "(dmxdev checks pes_type <= DMX_PES_OTHER and the output against its capabilities).",
    )


@_rule(("DMX_START", E.EINVAL))
def _dmx_start_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, FilterFacts):
        if not facts.filter_set:
            return (
                "No filter set on this demux fd",
                "DMX_START starts the filter set by DMX_SET_PES_FILTER or DMX_SET_FILTER on "
                "the same file handle; none was set (dmxdev: state below DMXDEV_STATE_SET).",
            )
        if facts.pid is not None and facts.pid > facts.max_pid:
            return (
                f"PID {facts.pid:#x} out of range",
                f"The demux feeds PIDs 0..{facts.max_pid - 1:#x}, and {facts.max_pid:#x} for "
                "the whole transport stream; the filter was accepted but cannot start.",
            )
    return (
        "DMX_START refused",
        "No filter is set on this file handle, or the filter's PID is above 0x2000, or "
        "the demux feed is in a state that cannot start.",
    )


@_rule(("DMX_SET_BUFFER_SIZE", E.EBUSY))
def _dmx_size_busy(facts: Facts | None) -> Explanation:
    return (
        "Filter is running",
        "The demux ring buffer cannot be resized while its filter runs: DMX_STOP first.",
    )


# --- DVB frontend -----------------------------------------------------------------------


@_rule(("FE_SET_PROPERTY", E.EINVAL))
def _fe_set_property_einval(facts: Facts | None) -> Explanation:
    if not isinstance(facts, TuneFacts):
        return (
            "Tuning parameters refused",
            "A property value is outside what this frontend supports (frequency, "
            "bandwidth, delivery system).",
        )
    lo, hi = facts.frequency_min, facts.frequency_max
    known = lo is not None and hi is not None
    span = f"{lo:,} to {hi:,} {facts.unit}" if known else "unknown (FE_GET_INFO failed)"
    if facts.out_of_range:
        return (
            f"Frequency {facts.frequency:,} {facts.unit} out of range",
            f"This frontend tunes {span} (FE_GET_INFO); dvb_frontend refuses any "
            "frequency outside it with EINVAL.",
        )
    system = f" for {facts.delivery_system}" if facts.delivery_system else ""
    return (
        "Tuning parameters refused",
        f"The frequency {facts.frequency:,} {facts.unit} is inside the frontend's range "
        f"({span}), so another parameter{system} is not supported (delivery system, "
        "bandwidth, modulation).",
    )


@_rule(("FE_GET_PROPERTY", E.EINVAL))
def _fe_get_property_einval(facts: Facts | None) -> Explanation:
    return (
        "Property not readable",
        "dvb_frontend rejects a property command it does not know (older kernels lack "
        "DTV_ENUM_DELSYS) or a property count of 0 or above DTV_IOCTL_MAX_MSGS.",
    )


@_rule(("FE_SET_PROPERTY", E.EPERM))
def _fe_set_property_eperm(facts: Facts | None) -> Explanation:
    return (
        "Frontend opened read-only",
        "dvb_frontend lets a read-only file handle only read (FE_GET_INFO, status): "
        "tuning needs the frontend opened read-write, which only one process may do.",
    )


# --- VIDIOC_QBUF / DQBUF / PREPARE_BUF ------------------------------------------------------


@_rule(("VIDIOC_QBUF", E.EINVAL), ("VIDIOC_PREPARE_BUF", E.EINVAL))
def _qbuf_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, BufferFacts):
        plane = facts.dmabuf
        if plane is not None and plane.too_small:
            return (
                "dma-buf too small for this plane",
                f"Plane {plane.plane} needs at least {plane.min_length} bytes but the "
                f"dma-buf has {plane.dmabuf_size} (videobuf2: 'invalid dmabuf length'). "
                "Allocate a larger buffer or pick a smaller format.",
            )
        if plane is not None and plane.not_a_dmabuf:
            return (
                "Not a dma-buf fd",
                "The fd passed in m.fd is not an open dma-buf file descriptor.",
            )
        if not facts.exists:
            return (
                f"No buffer {_index_text(facts)} on this queue",
                "The index is out of range for this queue.",
            )
        if facts.state and facts.state != "dequeued":
            return (
                f"Buffer {facts.index} is {facts.state}",
                "Only a buffer that is with the application (dequeued) can be queued; "
                "a buffer already queued must be dequeued first.",
            )
    return (
        "Queueing refused",
        "The buffer is not with the application, the index or memory type is wrong, "
        "or (DMABUF) the dma-buf is invalid or smaller than the plane needs.",
    )


@_rule(("VIDIOC_QBUF", E.EBADR), ("VIDIOC_PREPARE_BUF", E.EBADR))
def _qbuf_ebadr(facts: Facts | None) -> Explanation:
    return (
        "This queue needs the Request API",
        "The driver (a stateless codec) only takes buffers bound to a media request "
        "(V4L2_BUF_FLAG_REQUEST_FD, K12); mediatui queues buffers directly, which such "
        "queues refuse.",
    )


@_rule(("VIDIOC_QBUF", E.EFAULT), ("VIDIOC_PREPARE_BUF", E.EFAULT))
def _qbuf_efault(facts: Facts | None) -> Explanation:
    source = facts.import_source if isinstance(facts, BufferFacts) else None
    if source == "udmabuf":
        return (
            "The queue cannot map this udmabuf",
            "videobuf2-vmalloc maps an imported dma-buf into the kernel with "
            "dma_buf_vmap(), and udmabuf on this kernel (6.1) has no vmap: QBUF fails "
            "with EFAULT. Use a dma-heap buffer or another device's export instead.",
        )
    return (
        "The queue could not map the dma-buf",
        "videobuf2 maps (pins) an imported dma-buf at QBUF time. vmalloc queues need "
        "dma_buf_vmap() (udmabuf on 6.1 has none); dma-contig queues need physically "
        "contiguous memory ('contiguous chunk is too small'): try a CMA heap.",
    )


@_rule(("VIDIOC_QBUF", E.EBUSY), ("VIDIOC_DQBUF", E.EBUSY), ("VIDIOC_STREAMON", E.EBUSY),
       ("VIDIOC_PREPARE_BUF", E.EBUSY), ("VIDIOC_STREAMOFF", E.EBUSY))
def _qbuf_busy(facts: Facts | None) -> Explanation:
    return (
        "Queue owned by another file handle",
        "Only the file handle that allocated the buffers may queue, dequeue or stream.",
    )


@_rule(("VIDIOC_DQBUF", E.EAGAIN), ("DMX_DQBUF", E.EAGAIN))
def _dqbuf_eagain(facts: Facts | None) -> Explanation:
    return (
        "No buffer ready",
        "The node is non-blocking and no buffer is done yet: poll() and try again.",
    )


@_rule(("VIDIOC_DQBUF", E.EINVAL))
def _dqbuf_einval(facts: Facts | None) -> Explanation:
    queue = _queue_of(facts)
    if queue is None or not queue.streaming:
        return (
            "Queue is not streaming",
            "DQBUF only works between STREAMON and STREAMOFF.",
        )
    return (
        "Dequeue refused",
        "The buffer type or memory type does not match the queue, or it is not streaming.",
    )


@_rule(("VIDIOC_DQBUF", E.EPIPE))
def _dqbuf_epipe(facts: Facts | None) -> Explanation:
    return (
        "Last buffer already dequeued",
        "A mem2mem queue returned its LAST buffer (end of stream / drain): restart "
        "streaming to continue.",
    )


@_rule(("VIDIOC_DQBUF", E.EIO), ("VIDIOC_QBUF", E.EIO))
def _qbuf_eio(facts: Facts | None) -> Explanation:
    return (
        "Queue in error state",
        "The driver flagged an unrecoverable error (or lost the signal): STREAMOFF and "
        "start again.",
    )


# --- STREAMON / STREAMOFF -------------------------------------------------------------------


@_rule(("VIDIOC_STREAMON", E.EINVAL))
def _streamon_einval(facts: Facts | None) -> Explanation:
    queue = _queue_of(facts)
    if queue is not None and queue.num_buffers == 0:
        return ("No buffers allocated", "Request buffers with REQBUFS before STREAMON.")
    if queue is not None and queue.min_buffers is not None and \
            queue.num_buffers < queue.min_buffers:
        return (
            "Too few buffers",
            f"The driver needs at least {queue.min_buffers} buffers to stream; the queue "
            f"has {queue.num_buffers}.",
        )
    return (
        "STREAMON refused",
        "The buffer type is wrong, no buffers are allocated, or fewer than the driver's "
        "minimum are allocated.",
    )


@_rule(("VIDIOC_STREAMOFF", E.EINVAL))
def _streamoff_einval(facts: Facts | None) -> Explanation:
    return (
        "STREAMOFF refused",
        "The buffer type is not one this node has (K13: STREAMOFF succeeds for the right "
        "type even without STREAMON).",
    )


@_rule(("VIDIOC_STREAMON", E.EPIPE))
def _streamon_epipe(facts: Facts | None) -> Explanation:
    return (
        "Media-controller link validation failed",
        "The pipeline this node belongs to did not validate when streaming started: an "
        "enabled link joins pads whose formats (size, media bus code, field) differ, or "
        "a required link is not enabled. `mediatui check VIDEO` names the link; fix it "
        "with media-ctl -V / -l.",
    )


@_rule(("VIDIOC_STREAMON", E.ENOSPC), ("VIDIOC_STREAMON", E.ENOLINK))
def _streamon_pipeline(facts: Facts | None) -> Explanation:
    return (
        "Pipeline not configured",
        "A media-controller pipeline must be linked and its formats must match on every "
        "pad (media-ctl) before this node can stream.",
    )


# --- dma-buf heaps and udmabuf -----------------------------------------------------------


@_rule(("DMA_HEAP_IOCTL_ALLOC", E.EINVAL))
def _heap_alloc_einval(facts: Facts | None) -> Explanation:
    return (
        "Heap allocation refused",
        "The length is 0, or fd_flags/heap_flags carry bits other than O_RDWR/O_CLOEXEC "
        "(dma-heap.c checks both).",
    )


@_rule(("UDMABUF_CREATE", E.EINVAL))
def _udmabuf_einval(facts: Facts | None) -> Explanation:
    return (
        "udmabuf refused the memfd",
        "udmabuf needs a memfd sealed against shrinking (F_SEAL_SHRINK), not writable "
        "sealed, with a page-aligned offset and size inside the file.",
    )


@_rule(("DMA_BUF_IOCTL_SYNC", E.EINVAL))
def _sync_einval(facts: Facts | None) -> Explanation:
    return (
        "Invalid sync flags",
        "DMA_BUF_IOCTL_SYNC takes START or END with READ, WRITE or both, and nothing else.",
    )


# --- open -------------------------------------------------------------------------------


@_rule(("open", E.EBUSY))
def _open_busy(facts: Facts | None) -> Explanation:
    return (
        "Node already open elsewhere",
        "This node allows one opener at a time (e.g. a DVB dvr opened for reading, or a "
        "frontend opened read-write, by another process).",
    )


@_rule(("open", E.EOPNOTSUPP))
def _open_eopnotsupp(facts: Facts | None) -> Explanation:
    return (
        "Read-write open not supported",
        "A dvr node without CONFIG_DVB_MMAP refuses O_RDWR opens.",
    )
