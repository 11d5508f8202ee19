"""A videobuf2 queue in Python: the state machine every virtual driver shares.

This is ``videobuf2-core.c`` as it is on Linux 6.1 (the kernel the differential tests run
on), with the same checks in the same order so the same mistake gives the same errno:

* REQBUFS (K3): EBUSY while streaming; frees everything first (orphaning mapped or
  exported memory, K6); count raised to ``min_buffers_needed``, capped at
  VB2_MAX_FRAME (32), then the driver's ``queue_setup`` has the last word;
* CREATE_BUFS (K7): ENOBUFS at 32 buffers, EINVAL on a memory model mismatch, appends;
* QUERYBUF (K4/K5) is a read of the state; QBUF/PREPARE_BUF (K11/K12): EINVAL for a
  bad index, memory type or state; DMABUF imports are checked (fd, length, attach, map)
  at QBUF; DQBUF (K12): EINVAL when not streaming, EAGAIN when non-blocking and nothing
  is done, blocking otherwise;
* STREAMON/STREAMOFF (K13): start_streaming deferred until ``min_buffers_needed`` are
  queued; STREAMOFF returns every buffer and drops the done list;
* EXPBUF (K10): MMAP queues only, flags O_CLOEXEC + access mode, plane < num_planes.

The V4L2 and DVB front ends (``v4l2.py``, ``dvb_vb2.py``) translate their structs to and
from these calls; the drivers (capture pattern, output sink, m2m job, TS feed) plug in
through :class:`QueueOps`.  Every method runs under the backend's lock (the queue's
``cond``), like vb2 runs under the driver's queue mutex.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from core.observe.events import EventKind
from core.virtual import tracebus
from core.virtual.memory import (
    REGISTRY,
    VB2_DMA_CONTIG,
    VB2_VMALLOC,
    DmabufKind,
    Memory,
    page_align,
)
from core.virtual.vb2_buffer import (
    MEMORY_DMABUF,
    MEMORY_MMAP,
    MEMORY_USERPTR,
    VB2_MAX_FRAME,
    VB2_MAX_PLANES,
    Buffer,
    Plane,
    PlaneArgs,
    State,
    attach_dmabufs,
    fail,
    take_userptrs,
    verify_length,
)


class QueueOps(Protocol):
    """The driver side of a queue (``struct vb2_ops``)."""

    def queue_setup(
        self, queue: Queue, count: int, sizes: Sequence[int] | None
    ) -> tuple[int, list[int]]:
        """Buffers and plane sizes; ``sizes`` given means CREATE_BUFS checks them."""

    def buf_prepare(self, queue: Queue, buf: Buffer) -> None:
        """Check the buffer fits the format (EINVAL) and set capture payloads."""

    def buf_queue(self, queue: Queue, buf: Buffer) -> None:
        """The buffer now belongs to the driver."""

    def start_streaming(self, queue: Queue) -> None: ...

    def stop_streaming(self, queue: Queue) -> None:
        """Stop using buffers; the queue takes the active ones back as ERROR."""


class Queue:
    """One vb2 queue.  ``cond`` is the backend lock's condition (vb2's queue lock)."""

    def __init__(
        self,
        *,
        buf_type: int,
        is_output: bool,
        ops: QueueOps,
        cond: threading.Condition,
        multiplanar: bool = False,
        io_modes: Sequence[int] = (MEMORY_MMAP, MEMORY_USERPTR, MEMORY_DMABUF),
        min_buffers_needed: int = 0,
        allocator: str = "vmalloc",
        timestamp_flags: int = 0x2000,  # V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC
        supports_requests: bool = False,
        name: str = "",
    ) -> None:
        self.buf_type = buf_type
        self.is_output = is_output
        self.ops = ops
        self.cond = cond
        self.multiplanar = multiplanar
        self.io_modes = tuple(io_modes)
        self.min_buffers_needed = min_buffers_needed
        self.allocator = allocator
        self.timestamp_flags = timestamp_flags
        self.supports_requests = supports_requests
        self.name = name
        self.owner: object | None = None
        self.memory: int | None = None
        self.buffers: list[Buffer] = []
        self.queued: list[Buffer] = []  # queued_list: QUEUED, ACTIVE and DONE buffers
        self.done: deque[Buffer] = deque()
        self.streaming = False
        self.start_streaming_called = False
        self.error = False
        self.last_buffer_dequeued = False
        self.waiting_for_buffers = False
        self.waiting_in_dqbuf = False
        self.on_change: Callable[[], None] = lambda: None

    # --- helpers ----------------------------------------------------------------------

    @property
    def num_buffers(self) -> int:
        return len(self.buffers)

    @property
    def queued_count(self) -> int:
        return len(self.queued)

    @property
    def export_kind(self) -> DmabufKind:
        return VB2_DMA_CONTIG if self.allocator == "dma-contig" else VB2_VMALLOC

    def is_busy(self, fh: object) -> bool:
        """vb2_queue_is_busy: another file handle owns the queue (K1)."""
        return self.owner is not None and self.owner is not fh

    def _changed(self) -> None:
        self.cond.notify_all()
        self.on_change()

    def verify_memory_type(self, memory: int, buf_type: int) -> None:
        """vb2_verify_memory_type: EINVAL for a memory model or type this queue lacks."""
        if memory not in (MEMORY_MMAP, MEMORY_USERPTR, MEMORY_DMABUF):
            raise fail(errno.EINVAL)
        if buf_type != self.buf_type:
            raise fail(errno.EINVAL)
        if memory not in self.io_modes:
            raise fail(errno.EINVAL)

    # --- allocation -------------------------------------------------------------------

    def reqbufs(self, memory: int, count: int) -> int:
        """vb2_core_reqbufs: returns the count really allocated."""
        if self.streaming:
            raise fail(errno.EBUSY)
        if self.waiting_in_dqbuf and count:
            raise fail(errno.EBUSY)
        if count == 0 or self.buffers or (self.memory is not None and self.memory != memory):
            # Free what is there; memory still mapped or exported is orphaned (K6).
            self._cancel()
            self._free()
            if count == 0:
                self._changed()
                return 0
        num = min(max(count, self.min_buffers_needed), VB2_MAX_FRAME)
        self.memory = memory
        try:
            num, sizes = self.ops.queue_setup(self, num, None)
            if not sizes or any(s == 0 for s in sizes) or len(sizes) > VB2_MAX_PLANES:
                raise fail(errno.EINVAL)
            if num < self.min_buffers_needed or num == 0:
                raise fail(errno.ENOMEM)
        except OSError:
            self.memory = None
            raise
        self._alloc(memory, num, sizes)
        self.waiting_for_buffers = not self.is_output
        self._changed()
        return num

    def create_bufs(self, memory: int, count: int, sizes: Sequence[int]) -> tuple[int, int]:
        """vb2_core_create_bufs: (first index, count allocated); ``count`` > 0."""
        if self.num_buffers >= VB2_MAX_FRAME:
            raise fail(errno.ENOBUFS)
        if not self.buffers:
            if self.waiting_in_dqbuf and count:
                raise fail(errno.EBUSY)
            self.memory = memory
            self.waiting_for_buffers = not self.is_output
        elif self.memory != memory:
            raise fail(errno.EINVAL)  # "memory model mismatch"
        num = min(count, VB2_MAX_FRAME - self.num_buffers)
        first = self.num_buffers
        try:
            num, plane_sizes = self.ops.queue_setup(self, num, list(sizes))
        except OSError:
            if not self.buffers:
                self.memory = None
            raise
        num = min(num, VB2_MAX_FRAME - self.num_buffers)
        self._alloc(memory, num, plane_sizes)
        self._changed()
        return first, num

    def _alloc(self, memory: int, count: int, sizes: Sequence[int]) -> None:
        """__vb2_queue_alloc + __setup_offsets: mmap cookies are page-aligned running
        offsets across buffers and planes (6.1 layout: 0, 0x1000... for small planes)."""
        for _ in range(count):
            index = len(self.buffers)
            if index:
                prev = self.buffers[-1].planes[-1]
                offset = page_align(prev.mem_offset + prev.length)
            else:
                offset = 0
            planes = []
            for size in sizes:
                plane = Plane(length=size, min_length=size)
                if memory == MEMORY_MMAP:
                    plane.memory = Memory(size, f"vb2-{self.name}-{index}")
                    # vb2_vmalloc_alloc maps the pages for the driver as it allocates
                    # them; so does this (CPython's mmap keeps a dup of the fd, which
                    # would otherwise appear at the buffer's first frame, not here).
                    plane.memory.view()
                    REGISTRY.add_internal(plane.memory.fd, plane.memory.key)
                    plane.mem_offset = offset
                    offset = page_align(offset + size)
                planes.append(plane)
            self.buffers.append(Buffer(index, planes, memory))

    def _free(self) -> None:
        """__vb2_queue_free: drop our references; user mappings/exports keep the pages."""
        for buf in self.buffers:
            for plane in buf.planes:
                plane.release_memory()
        self.buffers.clear()
        self.memory = None
        self.queued.clear()
        self.done.clear()

    # --- queueing ---------------------------------------------------------------------

    def buffer(self, index: int) -> Buffer:
        if not 0 <= index < self.num_buffers:
            raise fail(errno.EINVAL)
        return self.buffers[index]

    def qbuf(self, index: int, memory: int, args: Sequence[PlaneArgs],
             *, prepare_only: bool = False, timestamp_ns: int | None = None) -> Buffer:
        """vb2_queue_or_prepare_buf + vb2_core_qbuf/prepare_buf."""
        buf = self.buffer(index)
        if memory != self.memory:
            raise fail(errno.EINVAL)
        if self.error and not prepare_only:
            raise fail(errno.EIO)
        if buf.state is not State.DEQUEUED:
            raise fail(errno.EINVAL)
        if prepare_only and buf.prepared:
            raise fail(errno.EINVAL)  # "buffer already prepared"
        if not buf.prepared:
            verify_length(buf, args, is_output=self.is_output,
                          multiplanar=self.multiplanar)
            self._prepare(buf, args)
        if prepare_only:
            self._changed()
            return buf
        if self.is_output and timestamp_ns is not None and self.timestamp_flags & 0x4000:
            buf.timestamp_ns = timestamp_ns  # V4L2_BUF_FLAG_TIMESTAMP_COPY
        self.queued.append(buf)
        self.waiting_for_buffers = False
        buf.state = State.QUEUED
        if tracebus.active:
            self.trace(EventKind.VB2_QBUF, buf)
        if self.start_streaming_called:
            self._enqueue_in_driver(buf)
        elif self.streaming and self.queued_count >= self.min_buffers_needed:
            try:
                self._start_streaming()
            except OSError:
                self.queued.remove(buf)
                buf.state = State.DEQUEUED
                raise
        self._changed()
        return buf

    def _prepare(self, buf: Buffer, args: Sequence[PlaneArgs]) -> None:
        """__buf_prepare: take user memory (USERPTR/DMABUF), then the driver's check."""
        if buf.memory == MEMORY_DMABUF:
            attach_dmabufs(buf, args, self.allocator)
        elif buf.memory == MEMORY_USERPTR:
            take_userptrs(buf, args, write=not self.is_output)
        for plane, arg in zip(buf.planes, args, strict=False):
            if self.is_output:
                # bytesused 0 means "the whole plane" (with a kernel warning).
                plane.bytesused = arg.bytesused or plane.length
                plane.data_offset = arg.data_offset
            else:
                plane.bytesused = 0
        self.ops.buf_prepare(self, buf)
        buf.prepared = True

    def _enqueue_in_driver(self, buf: Buffer) -> None:
        buf.state = State.ACTIVE
        if tracebus.active:
            self.trace(EventKind.BUF_QUEUE, buf)
        self.ops.buf_queue(self, buf)

    def trace(self, kind: EventKind, buf: Buffer) -> None:
        """The vb2 core trace event (include/trace/events/vb2.h): owner, counts, index."""
        tracebus.emit(kind, index=buf.index, buf_type=self.buf_type,
                      bytesused=buf.planes[0].bytesused if buf.planes else 0,
                      timestamp_ns=buf.timestamp_ns, owner=f"{id(self):016x}",
                      queued=len(self.queued),
                      in_driver=sum(1 for b in self.queued if b.state is State.ACTIVE))

    def _start_streaming(self) -> None:
        """vb2_start_streaming: hand every queued buffer to the driver, then start."""
        for buf in list(self.queued):
            if buf.state is State.QUEUED:
                self._enqueue_in_driver(buf)
        self.start_streaming_called = True
        try:
            self.ops.start_streaming(self)
        except OSError:
            self.start_streaming_called = False
            for buf in self.queued:
                if buf.state is State.ACTIVE:
                    buf.state = State.QUEUED
            raise

    def buffer_done(self, buf: Buffer, state: State = State.DONE) -> None:
        """vb2_buffer_done: the driver is finished with ``buf``."""
        if buf.state is not State.ACTIVE or buf not in self.queued:
            return
        buf.state = state
        self.done.append(buf)
        if tracebus.active:
            self.trace(EventKind.BUF_DONE, buf)
        self._changed()

    def active(self) -> list[Buffer]:
        """Buffers the driver owns, oldest first."""
        return [b for b in self.queued if b.state is State.ACTIVE]

    def dqbuf(self, nonblocking: bool,
              verify: Callable[[Buffer], None] | None = None) -> Buffer:
        """vb2_core_dqbuf: wait (or not) for a done buffer and give it back; ``verify``
        (the user's plane array) may refuse it, which leaves it in the done list."""
        while True:
            if self.waiting_in_dqbuf:
                raise fail(errno.EBUSY)
            if not self.streaming:
                raise fail(errno.EINVAL)
            if self.error:
                raise fail(errno.EIO)
            if self.last_buffer_dequeued:
                raise fail(errno.EPIPE)
            if self.done:
                break
            if nonblocking:
                raise fail(errno.EAGAIN)
            self.waiting_in_dqbuf = True
            try:
                self.cond.wait()
            finally:
                self.waiting_in_dqbuf = False
        if verify is not None:
            verify(self.done[0])
        buf = self.done.popleft()
        self.queued.remove(buf)
        buf.prepared = False
        if tracebus.active:
            self.trace(EventKind.VB2_DQBUF, buf)
        self._changed()
        return buf

    def finish_dequeue(self, buf: Buffer) -> None:
        """__vb2_dqbuf: after the caller filled the user struct from the done state."""
        buf.state = State.DEQUEUED
        for plane in buf.planes:
            if buf.memory == MEMORY_DMABUF:
                plane.dmabuf_mapped = False
        self._changed()

    # --- streaming --------------------------------------------------------------------

    def streamon(self) -> None:
        """vb2_core_streamon (K13)."""
        if self.streaming:
            return
        if not self.buffers:
            raise fail(errno.EINVAL)
        if self.num_buffers < self.min_buffers_needed:
            raise fail(errno.EINVAL)
        if self.queued_count >= self.min_buffers_needed:
            self._start_streaming()
        self.streaming = True
        self._changed()

    def streamoff(self) -> None:
        """vb2_core_streamoff: always succeeds; every buffer returns dequeued (K13)."""
        self._cancel()
        self.waiting_for_buffers = not self.is_output
        self.last_buffer_dequeued = False
        self._changed()

    def _cancel(self) -> None:
        """__vb2_queue_cancel."""
        if self.start_streaming_called:
            self.ops.stop_streaming(self)
        self.streaming = False
        self.start_streaming_called = False
        self.error = False
        self.queued.clear()
        self.done.clear()
        for buf in self.buffers:
            buf.prepared = False
            buf.state = State.DEQUEUED
            for plane in buf.planes:
                plane.dmabuf_mapped = False

    def release(self) -> None:
        """vb2_queue_release (owner's close): stop, free, forget the owner (K1)."""
        self._cancel()
        self._free()
        self.owner = None
        self._changed()

    # --- export and mmap --------------------------------------------------------------

    def expbuf(self, buf_type: int, index: int, plane: int, flags: int) -> int:
        """vb2_core_expbuf (K10): a new dma-buf fd on the plane's pages."""
        if self.memory != MEMORY_MMAP:
            raise fail(errno.EINVAL)
        if flags & ~(os.O_CLOEXEC | os.O_ACCMODE):
            raise fail(errno.EINVAL)
        if buf_type != self.buf_type:
            raise fail(errno.EINVAL)
        buf = self.buffer(index)
        if plane >= buf.num_planes:
            raise fail(errno.EINVAL)
        memory = buf.planes[plane].memory
        if memory is None:
            raise fail(errno.EINVAL)
        REGISTRY.register(memory.key, memory.size, self.export_kind)
        fd = memory.reopen(flags)
        buf.planes[plane].exports.append((fd, memory.key))
        return fd

    def find_plane(self, offset: int) -> Plane:
        """__find_plane_by_offset: the plane whose cookie is ``offset`` (EINVAL if none)."""
        for buf in self.buffers:
            for plane in buf.planes:
                if plane.mem_offset == offset:
                    return plane
        raise fail(errno.EINVAL)

    def mmap(self, length: int, prot: int, offset: int) -> mmap.mmap:
        """vb2_mmap (K9): MMAP queue, right protection, length within the plane."""
        if self.memory != MEMORY_MMAP:
            raise fail(errno.EINVAL)
        if self.is_output and not prot & mmap.PROT_WRITE:
            raise fail(errno.EINVAL)
        if not self.is_output and not prot & mmap.PROT_READ:
            raise fail(errno.EINVAL)
        plane = self.find_plane(offset)
        if plane.memory is None or length > page_align(plane.length) or length <= 0:
            raise fail(errno.EINVAL)
        mapping = plane.memory.map_for_app(length, prot)
        plane.app_maps.append(weakref.ref(mapping))
        return mapping

    # --- poll -------------------------------------------------------------------------

    def poll_error(self) -> bool:
        """vb2_core_poll's EPOLLERR cases (nothing to wait for)."""
        if not self.streaming or self.error:
            return True
        return not self.is_output and self.waiting_for_buffers

    def poll_ready(self) -> bool:
        """A buffer is done (or the last one was dequeued: DQBUF would say EPIPE)."""
        if self.done:
            return self.done[0].state in (State.DONE, State.ERROR)
        return self.last_buffer_dequeued

    def capabilities(self) -> int:
        """fill_buf_caps: V4L2_BUF_CAP_* (K14); vb2 always sets ORPHANED_BUFS (K6)."""
        caps = 0x10  # SUPPORTS_ORPHANED_BUFS
        for memory, bit in ((MEMORY_MMAP, 0x1), (MEMORY_USERPTR, 0x2), (MEMORY_DMABUF, 0x4)):
            if memory in self.io_modes:
                caps |= bit
        if self.supports_requests:
            caps |= 0x8
        return caps


__all__ = [
    "MEMORY_DMABUF",
    "MEMORY_MMAP",
    "MEMORY_USERPTR",
    "VB2_MAX_FRAME",
    "VB2_MAX_PLANES",
    "Buffer",
    "Plane",
    "PlaneArgs",
    "Queue",
    "QueueOps",
    "State",
    "fail",
]
