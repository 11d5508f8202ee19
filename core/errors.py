"""Typed media errors that say *why* the kernel refused, not only that it did.

Below this module everything is a raw ``OSError``.  Device objects catch it where they
know the context of the call (which queue, which memory type, whether it is
streaming, the requested index/plane/flags…) and raise a :class:`MediaError` built by
:func:`media_error`, whose ``title`` fits a notification and whose ``explanation``
names the likely kernel reason, taken from the kernel documentation for the ioctl
(VIDIOC_EXPBUF, DMX_EXPBUF, DMX_REQBUFS, DMABUF importing) and from videobuf2/dvb_vb2.
"""

from __future__ import annotations

import errno as E
import grp
import os
from collections.abc import Callable, Mapping
from typing import Any

Facts = Mapping[str, Any]


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
    """EPIPE: a mem2mem queue already returned its LAST buffer."""


_CLASS_BY_ERRNO: dict[int, type[MediaError]] = {
    E.ENODEV: DeviceGone,
    E.ENXIO: DeviceGone,
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
    E.EPIPE: LastBufferDequeued,
}

Explainer = Callable[[Facts], tuple[str, str]]
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

    ``facts`` is what the caller knows about the call and the queue; the explainers use
    it to pick the cause that applies (see each ``_rule`` for the keys it reads).
    """
    err = exc if isinstance(exc, int) else (exc.errno or 0)
    facts = facts or {}
    key = (ioctl or "open", err)
    explainer = _RULES.get(key) or _GENERIC.get(err)
    if explainer is not None:
        title, explanation = explainer(facts)
    else:
        title = f"{ioctl or 'operation'} failed: {os.strerror(err)}"
        explanation = "The kernel gave no more detail for this error."
    if err == E.EBUSY and path:
        explanation = _with_holders(explanation, path)
    cls = _CLASS_BY_ERRNO.get(err, MediaError)
    return cls(path=path, ioctl=ioctl, errno=err, title=title, explanation=explanation)


def _with_holders(explanation: str, path: str) -> str:
    """EBUSY: name the other processes holding ``path`` (core/holders/explain.py)."""
    from core.holders.explain import holder_sentence
    from core.service.holders import holders_roots

    try:
        sentence = holder_sentence(path, holders_roots())
    except (OSError, ValueError):
        return explanation  # the scan must never hide the error it explains
    return f"{explanation} {sentence}" if sentence else explanation


# --- generic causes, whatever the ioctl -------------------------------------------------


def _node_group(facts: Facts) -> str:
    path = facts.get("path")
    try:
        st = os.stat(path) if path else None
    except OSError:
        st = None
    if st is None:
        return "video"
    try:
        return grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        return str(st.st_gid)


def _eacces(facts: Facts) -> tuple[str, str]:
    group = _node_group(facts)
    if group == "root":
        return (
            "Permission denied",
            "The node belongs to root:root (devtmpfs without udev rules): run as root, or "
            "let udev apply its rules so media nodes get the 'video' group.",
        )
    return (
        "Permission denied",
        f"The node belongs to group '{group}': add your user to it "
        f"(sudo usermod -aG {group} $USER, then log in again) or run as root.",
    )


def _enodev(facts: Facts) -> tuple[str, str]:
    return (
        "Device removed",
        "The node no longer has a driver behind it: it was unplugged or its driver was "
        "unbound. Close it; it may come back under the same or a new name.",
    )


def _enotty(facts: Facts) -> tuple[str, str]:
    return (
        "Not supported by this node",
        "The driver has no handler for this ioctl: the node is not this kind of device "
        "(e.g. a V4L2 ioctl on a DVB or non-media node, or a subdev without video ioctls).",
    )


def _enoent(facts: Facts) -> tuple[str, str]:
    return ("No such device node", "Check the path; device numbers change between boots.")


def _ebusy_generic(facts: Facts) -> tuple[str, str]:
    return (
        "Device busy",
        "Another file handle owns the queue, or the queue is streaming.",
    )


def _enomem(facts: Facts) -> tuple[str, str]:
    return (
        "Out of memory",
        "The driver could not allocate the buffers: ask for fewer or smaller buffers.",
    )


_GENERIC: dict[int, Explainer] = {
    E.EACCES: _eacces,
    E.EPERM: _eacces,
    E.ENODEV: _enodev,
    E.ENXIO: _enodev,
    E.ENOTTY: _enotty,
    E.ENOENT: _enoent,
    E.EBUSY: _ebusy_generic,
    E.ENOMEM: _enomem,
}


# --- VIDIOC_REQBUFS / CREATE_BUFS -------------------------------------------------------


@_rule(("VIDIOC_REQBUFS", E.EBUSY), ("VIDIOC_CREATE_BUFS", E.EBUSY))
def _reqbufs_busy(facts: Facts) -> tuple[str, str]:
    if facts.get("streaming"):
        return (
            "Queue is streaming",
            "Buffers cannot be (re)allocated while the queue streams: STREAMOFF first.",
        )
    if facts.get("owner") is False or not facts.get("has_buffers", True):
        return (
            "Another file handle owns this queue",
            "videobuf2 gives the queue to the file handle whose REQBUFS/CREATE_BUFS "
            "allocated it; others get EBUSY until it frees them (REQBUFS 0) or closes. "
            "Look for another process with the node open (fuser -v DEVICE).",
        )
    if facts.get("count") == 0 and facts.get("in_use") and not facts.get("orphaned_bufs"):
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
def _reqbufs_einval(facts: Facts) -> tuple[str, str]:
    memory = facts.get("memory", "this")
    if facts.get("memory_mismatch"):
        return (
            "Memory type differs from the existing buffers",
            "CREATE_BUFS must use the memory type of the buffers already allocated "
            "(free them with REQBUFS 0 to switch).",
        )
    return (
        f"{memory} buffers not supported on this queue",
        f"The buffer type is not supported by this node, or the queue does not support "
        f"{memory} memory (see the probe's memory types), or (CREATE_BUFS) the format's "
        f"plane sizes are invalid.",
    )


@_rule(("VIDIOC_CREATE_BUFS", E.ENOBUFS), ("VIDIOC_REQBUFS", E.ENOBUFS))
def _create_enobufs(facts: Facts) -> tuple[str, str]:
    return (
        "Queue is full",
        f"The queue already holds its maximum number of buffers "
        f"(max_num_buffers={facts.get('max_num_buffers', '?')}).",
    )


# --- VIDIOC_QUERYBUF / mmap --------------------------------------------------------------


@_rule(("VIDIOC_QUERYBUF", E.EINVAL))
def _querybuf_einval(facts: Facts) -> tuple[str, str]:
    return (
        f"No buffer {facts.get('index', '?')} on this queue",
        "The index is out of range or the buffer type is wrong for this queue "
        "(indices come from REQBUFS/CREATE_BUFS; they can be sparse).",
    )


@_rule(("mmap", E.EINVAL))
def _mmap_einval(facts: Facts) -> tuple[str, str]:
    return (
        "Cannot map this buffer",
        "Only MMAP queues can be mapped, with MAP_SHARED, a length no larger than the "
        "plane and the offset cookie from QUERYBUF.",
    )


# --- VIDIOC_EXPBUF / DMX_EXPBUF ------------------------------------------------------------


def _bad_export_flags(facts: Facts) -> tuple[str, str]:
    """VIDIOC_EXPBUF and DMX_EXPBUF accept the same open(2) flags."""
    flags = facts.get("flags")
    return (
        f"Invalid export flags {flags:#x}" if isinstance(flags, int) else "Invalid flags",
        "Only O_CLOEXEC and an access mode (O_RDONLY, O_WRONLY, O_RDWR) are allowed.",
    )


def _index_out_of_range(facts: Facts) -> bool:
    index, num_buffers = facts.get("index"), facts.get("num_buffers")
    return bool(facts.get("bad_index")) or (
        isinstance(index, int) and isinstance(num_buffers, int) and index >= num_buffers
    )


@_rule(("VIDIOC_EXPBUF", E.EINVAL))
def _expbuf_einval(facts: Facts) -> tuple[str, str]:
    index, plane = facts.get("index"), facts.get("plane")
    memory = facts.get("memory")
    if memory is not None and memory != "mmap":
        return (
            "Queue is not in MMAP mode",
            f"VIDIOC_EXPBUF exports MMAP buffers only; this queue holds {memory} buffers. "
            "Request MMAP buffers to export them.",
        )
    if facts.get("bad_flags"):
        return _bad_export_flags(facts)
    num_buffers = facts.get("num_buffers")
    if _index_out_of_range(facts):
        return (
            f"No buffer {index} on this queue",
            f"Valid indices are those allocated with REQBUFS/CREATE_BUFS "
            f"({num_buffers} buffer(s) here).",
        )
    num_planes = facts.get("num_planes")
    if facts.get("bad_plane") or (
        isinstance(plane, int) and isinstance(num_planes, int) and plane >= num_planes
    ):
        if facts.get("multiplanar"):
            detail = f"the format has {num_planes} plane(s), numbered from 0"
        else:
            detail = "the single-planar API requires plane 0"
        return (f"Plane {plane} does not exist", f"Invalid plane: {detail}.")
    if facts.get("type_mismatch"):
        return (
            "Wrong buffer type",
            "The type must be the buffer type used with REQBUFS for this queue.",
        )
    if facts.get("no_buffers"):
        return ("No buffers allocated", "Allocate MMAP buffers with REQBUFS first.")
    return (
        "Export refused",
        "The queue is not in MMAP mode, or DMABUF exporting is not supported by its "
        "allocator, or the flags, type, index or plane fields are invalid.",
    )


@_rule(("VIDIOC_EXPBUF", E.ENOTTY))
def _expbuf_enotty(facts: Facts) -> tuple[str, str]:
    return (
        "Exporting is not supported",
        "The driver has no VIDIOC_EXPBUF handler (it does not use videobuf2's "
        "helpers), so its buffers cannot be shared as dma-bufs.",
    )


@_rule(("VIDIOC_EXPBUF", E.EBUSY))
def _expbuf_ebusy(facts: Facts) -> tuple[str, str]:
    return (
        "Queue owned by another file handle",
        "Only the file handle that allocated the buffers can export them "
        "(or read()/write() emulation is active).",
    )


@_rule(("DMX_EXPBUF", E.EINVAL))
def _dmx_expbuf_einval(facts: Facts) -> tuple[str, str]:
    index = facts.get("index")
    if facts.get("bad_flags"):
        return _bad_export_flags(facts)
    num_buffers = facts.get("num_buffers")
    if _index_out_of_range(facts):
        return (
            f"No buffer {index} on this demux",
            f"Valid indices are 0..count-1 from DMX_REQBUFS ({num_buffers} here).",
        )
    if facts.get("no_buffers"):
        return ("No buffers allocated", "Call DMX_REQBUFS before DMX_EXPBUF.")
    return (
        "Export refused",
        "The queue is not in MMAP mode, or DMABUF exporting is not supported, or the "
        "flags or index fields are invalid.",
    )


# --- DVB mmap API ----------------------------------------------------------------------------


def _dmx_api_absent(facts: Facts) -> tuple[str, str]:
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
def _dmx_reqbufs_einval(facts: Facts) -> tuple[str, str]:
    if facts.get("api_absent"):
        return _dmx_api_absent(facts)
    return (
        "DMX_REQBUFS refused",
        "The count or size is invalid, or this kernel has no DVB mmap API "
        "(early kernels answered EINVAL for it).",
    )


@_rule(("DMX_REQBUFS", E.EBUSY))
def _dmx_reqbufs_busy(facts: Facts) -> tuple[str, str]:
    return (
        "Demux queue is streaming",
        "The first DMX_QBUF started the queue and DMX_STOP does not stop it: buffers "
        "cannot be reallocated or freed until the file is closed.",
    )


@_rule(("DMX_QBUF", E.EINVAL), ("DMX_QUERYBUF", E.EINVAL), ("DMX_DQBUF", E.EINVAL))
def _dmx_buf_einval(facts: Facts) -> tuple[str, str]:
    if facts.get("not_streaming"):
        return (
            "Demux queue is not streaming",
            "DMX_DQBUF only works after the first DMX_QBUF started the queue.",
        )
    return (
        f"No buffer {facts.get('index', '?')} on this demux",
        "The index is out of range or the buffer is already queued.",
    )


# --- VIDIOC_QBUF / DQBUF / PREPARE_BUF ------------------------------------------------------


@_rule(("VIDIOC_QBUF", E.EINVAL), ("VIDIOC_PREPARE_BUF", E.EINVAL))
def _qbuf_einval(facts: Facts) -> tuple[str, str]:
    if facts.get("too_small"):
        return (
            "dma-buf too small for this plane",
            f"Plane {facts.get('plane', 0)} needs at least {facts.get('min_length')} bytes "
            f"but the dma-buf has {facts.get('dmabuf_size')} (videobuf2: 'invalid dmabuf "
            "length'). Allocate a larger buffer or pick a smaller format.",
        )
    if facts.get("bad_fd"):
        return (
            "Not a dma-buf fd",
            "The fd passed in m.fd is not an open dma-buf file descriptor.",
        )
    if facts.get("state") and facts.get("state") != "dequeued":
        return (
            f"Buffer {facts.get('index')} is {facts.get('state')}",
            "Only a buffer that is with the application (dequeued) can be queued; "
            "a buffer already queued must be dequeued first.",
        )
    if facts.get("bad_index"):
        return (
            f"No buffer {facts.get('index')} on this queue",
            "The index is out of range for this queue.",
        )
    if facts.get("memory_mismatch"):
        return (
            "Memory type differs from the queue's",
            f"The queue holds {facts.get('queue_memory')} buffers.",
        )
    return (
        "Queueing refused",
        "The buffer is not with the application, the index or memory type is wrong, "
        "or (DMABUF) the dma-buf is invalid or smaller than the plane needs.",
    )


@_rule(("VIDIOC_QBUF", E.EFAULT), ("VIDIOC_PREPARE_BUF", E.EFAULT))
def _qbuf_efault(facts: Facts) -> tuple[str, str]:
    source = facts.get("source")
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


@_rule(("VIDIOC_QBUF", E.EBUSY), ("VIDIOC_DQBUF", E.EBUSY), ("VIDIOC_STREAMON", E.EBUSY))
def _qbuf_busy(facts: Facts) -> tuple[str, str]:
    return (
        "Queue owned by another file handle",
        "Only the file handle that allocated the buffers may queue, dequeue or stream.",
    )


@_rule(("VIDIOC_DQBUF", E.EAGAIN), ("DMX_DQBUF", E.EAGAIN))
def _dqbuf_eagain(facts: Facts) -> tuple[str, str]:
    return (
        "No buffer ready",
        "The node is non-blocking and no buffer is done yet: poll() and try again.",
    )


@_rule(("VIDIOC_DQBUF", E.EINVAL))
def _dqbuf_einval(facts: Facts) -> tuple[str, str]:
    if facts.get("streaming") is False or facts.get("streaming") is None:
        return (
            "Queue is not streaming",
            "DQBUF only works between STREAMON and STREAMOFF.",
        )
    return (
        "Dequeue refused",
        "The buffer type or memory type does not match the queue, or it is not streaming.",
    )


@_rule(("VIDIOC_DQBUF", E.EPIPE))
def _dqbuf_epipe(facts: Facts) -> tuple[str, str]:
    return (
        "Last buffer already dequeued",
        "A mem2mem queue returned its LAST buffer (end of stream / drain): restart "
        "streaming to continue.",
    )


@_rule(("VIDIOC_DQBUF", E.EIO), ("VIDIOC_QBUF", E.EIO))
def _qbuf_eio(facts: Facts) -> tuple[str, str]:
    return (
        "Queue in error state",
        "The driver flagged an unrecoverable error (or lost the signal): STREAMOFF and "
        "start again.",
    )


# --- STREAMON / STREAMOFF -------------------------------------------------------------------


@_rule(("VIDIOC_STREAMON", E.EINVAL))
def _streamon_einval(facts: Facts) -> tuple[str, str]:
    num, minimum = facts.get("num_buffers"), facts.get("min_buffers")
    if num == 0:
        return ("No buffers allocated", "Request buffers with REQBUFS before STREAMON.")
    if isinstance(num, int) and isinstance(minimum, int) and num < minimum:
        return (
            "Too few buffers",
            f"The driver needs at least {minimum} buffers to stream; the queue has {num}.",
        )
    return (
        "STREAMON refused",
        "The buffer type is wrong, no buffers are allocated, or fewer than the driver's "
        "minimum are allocated.",
    )


@_rule(("VIDIOC_STREAMON", E.ENOSPC), ("VIDIOC_STREAMON", E.ENOLINK))
def _streamon_pipeline(facts: Facts) -> tuple[str, str]:
    return (
        "Pipeline not configured",
        "A media-controller pipeline must be linked and its formats must match on every "
        "pad (media-ctl) before this node can stream.",
    )


# --- open -------------------------------------------------------------------------------


@_rule(("open", E.EBUSY))
def _open_busy(facts: Facts) -> tuple[str, str]:
    return (
        "Node already open elsewhere",
        "This node allows one opener at a time (e.g. a DVB dvr opened for reading by "
        "another process).",
    )


@_rule(("open", E.EOPNOTSUPP))
def _open_eopnotsupp(facts: Facts) -> tuple[str, str]:
    return (
        "Read-write open not supported",
        "A dvr node without CONFIG_DVB_MMAP refuses O_RDWR opens.",
    )
