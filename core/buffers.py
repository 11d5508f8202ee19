"""Translation between ``v4l2_buffer`` and the queue model: one place that knows how
the kernel reports a buffer (single- or multi-planar, MMAP cookie or dma-buf fd)."""

from __future__ import annotations

from core.abi import v4l2 as v
from core.dmabuf import Dmabuf
from core.queue import Buffer, BufferStatus, Plane, Queue

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any


def _timestamp(tv: Any) -> float | None:
    if tv.tv_sec == 0 and tv.tv_usec == 0:
        return None
    return float(tv.tv_sec) + float(tv.tv_usec) / 1e6


def status_from_flags(flags: int) -> BufferStatus:
    """vb2's state as QUERYBUF reports it through the flags."""
    if flags & v.V4L2_BUF_FLAG_QUEUED:
        return BufferStatus.QUEUED
    if flags & v.V4L2_BUF_FLAG_DONE:
        return BufferStatus.ERROR if flags & v.V4L2_BUF_FLAG_ERROR else BufferStatus.DONE
    if flags & v.V4L2_BUF_FLAG_PREPARED:
        return BufferStatus.PREPARED
    return BufferStatus.DEQUEUED


def new_v4l2_buffer(buf_type: int, memory: int, index: int = 0) -> Any:
    """A zeroed v4l2_buffer; multi-planar ones get their own plane array."""
    buf = v.v4l2_buffer(index=index, type=buf_type, memory=memory)
    if v.is_multiplanar(buf_type):
        planes = (v.v4l2_plane * v.VIDEO_MAX_PLANES)()
        buf.m.planes = planes
        buf.length = v.VIDEO_MAX_PLANES
        buf._planes_keepalive = planes  # the kernel writes through this pointer
    return buf

def record_buffer(queue: Queue, buf: Any, status: BufferStatus | None = None) -> Buffer:
    """Update the model from a v4l2_buffer the kernel filled in."""
    entry = queue.buffers.get(buf.index)
    if v.is_multiplanar(queue.buf_type):
        n = buf.length
        raw = [buf.m.planes[i] for i in range(n)]
    else:
        n = 1
        raw = None
    if entry is None or len(entry.planes) != n:
        entry = Buffer(buf.index, [Plane() for _ in range(n)])
        queue.buffers[buf.index] = entry
    if raw is None:
        p = entry.planes[0]
        p.length, p.bytesused = buf.length, buf.bytesused
        if buf.memory == v.V4L2_MEMORY_MMAP:
            p.mem_offset = buf.m.offset
        elif buf.memory == v.V4L2_MEMORY_DMABUF:
            note_kernel_fd(p, buf.m.fd)
    else:
        for p, r in zip(entry.planes, raw, strict=True):
            p.length, p.bytesused, p.data_offset = r.length, r.bytesused, r.data_offset
            if buf.memory == v.V4L2_MEMORY_MMAP:
                p.mem_offset = r.m.mem_offset
            elif buf.memory == v.V4L2_MEMORY_DMABUF:
                note_kernel_fd(p, r.m.fd)
    entry.flags = buf.flags
    entry.field = buf.field
    entry.status = status if status is not None else status_from_flags(buf.flags)
    if buf.flags & (v.V4L2_BUF_FLAG_DONE | v.V4L2_BUF_FLAG_QUEUED) or status in (
        BufferStatus.DEQUEUED,
        BufferStatus.DONE,
        BufferStatus.ERROR,
    ):
        ts = _timestamp(buf.timestamp)
        if ts is not None or status is not None:
            entry.timestamp = ts
            entry.sequence = buf.sequence
    return entry


def note_kernel_fd(plane: Plane, fd: int) -> None:
    """DQBUF/QUERYBUF report the dma-buf fd last queued; keep our object if it matches."""
    current = plane.imported
    current_fd = current.fd if isinstance(current, Dmabuf) and not current.closed else current
    if fd > 0 and fd != current_fd:
        plane.imported = fd
