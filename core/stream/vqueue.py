"""One V4L2 queue inside the streaming loop: allocation, the per-frame QBUF/DQBUF, cleanup.

Setup and cleanup go through :class:`core.video.VideoDevice` (REQBUFS, QUERYBUF, mmap,
EXPBUF, the first QBUF with its dma-buf pre-flight, STREAMON/OFF), so errors there are
explained the usual way.  The per-frame DQBUF and re-QBUF (:meth:`VideoQueue.dequeue`,
:meth:`VideoQueue.queue`) go through the same chokepoint (:func:`core.ioctl.ioctl`, so
tracing and the virtual backend see them) with ``v4l2_buffer`` structs allocated once
per index: building a fresh struct, a facts dict and a frozen ``BufferState`` per frame
costs more than the two syscalls.  A capture queue streaming on its own while nobody
traces its per-frame ioctls is served by :meth:`VideoQueue.recycle` instead: one
bytearray, DQBUF'd and queued back, straight to ``fcntl.ioctl`` on a kernel fd.  What a
frame changes is written into plain per-index lists here and copied into the device's
queue model at snapshot rate (:meth:`sync_model`), so ``VideoDevice.queue_state`` stays
true to within one snapshot period.

Per frame, only what the loop decides on is updated at once (where each buffer is, how
many the driver holds, frames dequeued); the bookkeeping behind statistics (sequence
gaps, timestamps, the queue-depth history, the per-buffer facts) is logged and replayed
in order by :meth:`VideoQueue.settle` every :data:`SETTLE_EVERY` events and before
anything reads it (a snapshot, STREAMOFF, the next start); a linked producer stores the
bytesused and timestamp it passes on at its DQBUF.  The replay does exactly what
recording each frame did, in the same order: in the test VM (TCG) the same work costs a
fraction when it runs in a batch, measured, not explained (``benchmarks/stream_steps.py``;
issue 16).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import mmap
import os
import struct
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.dmabuf import Dmabuf, dmabuf_size
from core.errors import MediaError, media_error
from core.facts import BufferFacts, PlaneSizeFacts, QueueFacts
from core.queue import BufferStatus
from core.stream.snapshot import QueueSnapshot
from core.stream.stats import DepthTracker, FrameStats
from core.video import VideoDevice, buf_type_name, memory_name

_EAGAIN = errno.EAGAIN
_QBUF = v.VIDIOC_QBUF
_DQBUF = v.VIDIOC_DQBUF
_ERROR = int(v.V4L2_BUF_FLAG_ERROR)
_TS_MASK = int(v.V4L2_BUF_FLAG_TIMESTAMP_MASK)
_TS_COPY = int(v.V4L2_BUF_FLAG_TIMESTAMP_COPY)

# Where a buffer is, as this loop knows it (no QUERYBUF needed).
WITH_APP, IN_DRIVER = 0, 1

SETTLE_EVERY = 64  # logged QBUF/DQBUF events replayed at once (see the module doc)


def _field_reader(struct_type: Any, names: Sequence[str]) -> struct.Struct:
    """One ``struct.Struct`` that reads ``names`` (dotted for nested structs) out of a
    ctypes ``struct_type`` in one call, at the offsets and sizes ctypes gives them (the
    ones ``tests/unit/test_abi.py`` checks against the kernel headers): reading eight
    ctypes attributes, one of them a nested ``timeval`` object, costs more per frame
    than the DQBUF itself in a slow guest."""
    fields = []
    for name in names:
        owner, offset = struct_type, 0
        for part in name.split("."):
            desc = getattr(owner, part)
            offset += desc.offset
            owner = dict(owner._fields_)[part]
        size = ctypes.sizeof(owner)
        code = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
        fields.append((offset, code if owner._type_.islower() else code.upper(), size))
    fmt, at = "=", 0
    for offset, code, size in fields:
        if offset < at:
            raise ValueError(f"{struct_type.__name__}: fields not in offset order")
        fmt += "x" * (offset - at) + code
        at = offset + size
    return struct.Struct(fmt)


# What DQBUF tells about a buffer, in this order.
_DQ_FIELDS = ("index", "bytesused", "flags", "field", "timestamp.tv_sec", "timestamp.tv_usec",
              "sequence")
_read_dq = _field_reader(v.v4l2_buffer, _DQ_FIELDS).unpack_from

Filler = Callable[[int, Sequence[mmap.mmap]], None]


def _through_chokepoint(fd: int, request: int, raw: bytearray) -> int:
    """An ioctl on a ``struct v4l2_buffer`` held in a bytearray, through the chokepoint
    (a virtual fd's backend takes ctypes structs: a view on the same bytes)."""
    return chokepoint.ioctl(fd, request, v.v4l2_buffer.from_buffer(raw))


class DmabufSource(Protocol):
    """Where a DMABUF queue's buffers come from (see :mod:`core.stream.pipeline`)."""

    description: str

    def allocate(self, sizes: Sequence[int], count: int) -> list[list[Dmabuf]]:
        """``count`` buffers of one dma-buf per plane, each at least ``sizes[plane]``."""

    def close(self) -> None:
        """Close every dma-buf this source allocated (idempotent)."""


class VideoQueue:
    """A (device, buffer type) queue driven by the loop.

    ``prev``/``next`` link queues of a pipeline: a capture-like queue with a ``next``
    hands each filled buffer to it (same index, its exported dma-buf imported there);
    a queue with a ``prev`` returns each buffer it is done with to that queue.
    """

    def __init__(
        self,
        dev: VideoDevice,
        buf_type: int,
        *,
        count: int = 4,
        memory: int = v.V4L2_MEMORY_MMAP,
        source: DmabufSource | None = None,
        export: bool = False,
        fill: Filler | None = None,
        window_frames: int = 120,
    ) -> None:
        self.dev = dev
        self.buf_type = int(buf_type)
        self.requested = count
        self.memory = int(memory)
        self.is_output = v.is_output(buf_type)
        self.role = "output" if self.is_output else "capture"
        self.mplane = v.is_multiplanar(buf_type)
        self.dmabufs: list[list[Dmabuf]] = []
        self.dmabuf_source = source
        self.source = source.description if source is not None else None
        self.export = export  # export every plane (a pipeline's producer)
        self.exports: list[list[Dmabuf]] = []
        self.fill = fill
        self.prev: VideoQueue | None = None
        self.next: VideoQueue | None = None
        self.count = 0
        self.nplanes = 1
        self.plane_sizes: list[int] = []
        self.maps: list[list[mmap.mmap]] = []
        self.state: list[int] = []
        self.seq: list[int] = []
        self.stamp: list[float] = []
        self.flags: list[int] = []
        self.field: list[int] = []
        self.used: list[tuple[int, ...]] = []
        self.held: deque[int] = deque()  # dequeued, not yet passed on (paused/manual)
        self.in_driver = 0
        self.dequeued = 0  # buffers dequeued (stats.frames once settled)
        # QBUF (the clock, a float) and DQBUF (the unpacked fields, the planes' bytesused
        # or None, the clock) events not yet replayed into stats, depth and the lists
        self._log: list[Any] = []
        self.allocated = False
        self.streaming = False
        self.stats = FrameStats(window_frames=window_frames)
        self.depth = DepthTracker()
        self._window_frames = window_frames
        self._dq: Any = None
        self._qbufs: list[Any] = []
        self._keep: list[Any] = []  # plane arrays the structs point into
        self._set_stamp = False
        self._fd = -1  # the node's fd while streaming (read once: a property per frame)
        # what recycle() issues its ioctls with: fcntl.ioctl on a kernel fd (set by start)
        self._direct: Callable[[int, int, bytearray], int] = _through_chokepoint
        self._raw = bytearray()

    # --- setup ----------------------------------------------------------------------------

    @property
    def fd(self) -> int:
        return self.dev.fd

    @property
    def path(self) -> str:
        return self.dev.path

    def allocate(self, count: int | None = None) -> int:
        """REQBUFS, QUERYBUF each, mmap (MMAP queues), EXPBUF (producers); returns count."""
        dev, bt = self.dev, self.buf_type
        fmt = dev.get_format(bt)
        field = fmt.field
        self.stats = FrameStats(alternate=field == v.V4L2_FIELD_ALTERNATE,
                                window_frames=self._window_frames)
        self.dequeued = 0  # counts into these statistics
        self._log = []
        alloc = dev.request_buffers(bt, self.memory, self.requested if count is None else count)
        self.allocated = True
        self._fd = dev.fd
        n = alloc.granted
        if n == 0:
            raise MediaError(path=dev.path, ioctl="VIDIOC_REQBUFS", errno=None,
                             title="No buffers granted",
                             explanation="REQBUFS returned count 0: the driver cannot "
                             "allocate buffers of this memory type for this format.")
        state = dev.queue(bt)
        self.nplanes = len(state.buffers[0].planes)
        self.plane_sizes = [p.sizeimage for p in fmt.planes][: self.nplanes]
        if len(self.plane_sizes) < self.nplanes:
            self.plane_sizes = [p.length for p in state.buffers[0].planes]
        self.count = n
        if self.memory == v.V4L2_MEMORY_MMAP:
            self.maps = [dev.map_buffer(bt, i) for i in range(n)]
            if self.export:
                flags = os.O_CLOEXEC | os.O_RDWR
                self.exports = [
                    [dev.export_buffer(bt, i, p, flags) for p in range(self.nplanes)]
                    for i in range(n)
                ]
            if self.fill is not None:
                for i in range(n):
                    self.fill(i, self.maps[i])
        elif self.memory == v.V4L2_MEMORY_DMABUF and self.dmabuf_source is not None:
            self.dmabufs = self.dmabuf_source.allocate(self.plane_sizes, n)
            self.source = self.dmabuf_source.description  # now names the exporter's queue
        self.state = [WITH_APP] * n
        self.seq = [0] * n
        self.stamp = [0.0] * n
        self.flags = [0] * n
        self.field = [0] * n
        self.used = [(0,) * self.nplanes] * n
        self._build_structs()
        return n

    def limit(self, n: int) -> None:
        """Use only the first ``n`` buffers (a linked queue granted fewer)."""
        self.count = min(self.count, n)

    def _build_structs(self) -> None:
        """One DQBUF struct, one QBUF struct per index with its memory filled in, and
        :meth:`recycle`'s bytearray (the DQBUF struct's bytes, its planes pointer too)."""
        self._dq = self._new_struct(0, v.VIDEO_MAX_PLANES)
        # recycle()'s struct: the same bytes (type, memory, the planes pointer), as a
        # bytearray, which fcntl.ioctl and struct read without ctypes' per-call work
        self._raw = bytearray(bytes(self._dq))
        self._qbufs = [self._new_struct(i, self.nplanes) for i in range(self.count)]
        for i, buf in enumerate(self._qbufs):
            if self.memory == v.V4L2_MEMORY_DMABUF and i < len(self.dmabufs):
                self._attach_fds(buf, [d.fd for d in self.dmabufs[i]])

    def _new_struct(self, index: int, nplanes: int) -> Any:
        buf = v.v4l2_buffer(index=index, type=self.buf_type, memory=self.memory)
        if self.mplane:
            planes = (v.v4l2_plane * v.VIDEO_MAX_PLANES)()
            buf.m.planes = planes
            buf.length = nplanes
            self._keep.append(planes)
            buf._planes = planes  # quick access without going through the pointer
        return buf

    def _attach_fds(self, buf: Any, fds: Sequence[int]) -> None:
        """Put the dma-buf fds in an index's QBUF struct, with their sizes as lengths.

        A length of 0 means "the dma-buf's size" at import, but vb2 checks an output
        plane's bytesused against the length *passed in* for multi-planar DMABUF
        (``__verify_length``), so 0 there makes every QBUF fail with EINVAL."""
        sizes = []
        for fd in fds:
            try:
                sizes.append(dmabuf_size(fd))
            except OSError:
                sizes.append(0)  # not a dma-buf: QBUF will say so
        if self.mplane:
            for p, fd in enumerate(fds):
                buf._planes[p].m.fd = fd
                buf._planes[p].length = sizes[p]
        else:
            buf.m.fd = fds[0]
            buf.length = sizes[0]

    def import_from(self, producer: VideoQueue) -> None:
        """Import ``producer``'s exports index for index (a stable association)."""
        self.dmabufs = [list(planes) for planes in producer.exports[: self.count]]
        self.source = f"export {producer.path} {v.buf_type_name(producer.buf_type)}"
        for i, buf in enumerate(self._qbufs[: len(self.dmabufs)]):
            self._attach_fds(buf, [d.fd for d in self.dmabufs[i]])

    def preflight(self) -> None:
        """Check every dma-buf against the plane size before the first QBUF (K11)."""
        if self.memory != v.V4L2_MEMORY_DMABUF:
            return
        if len(self.dmabufs) < self.count:
            raise MediaError(path=self.path, ioctl="VIDIOC_QBUF", errno=None,
                             title="Not enough dma-bufs",
                             explanation=f"The queue has {self.count} buffers but only "
                             f"{len(self.dmabufs)} dma-buf sets were provided.")
        for i in range(self.count):
            planes = self.dmabufs[i]
            if len(planes) != self.nplanes:
                raise MediaError(path=self.path, ioctl="VIDIOC_QBUF", errno=None,
                                 title="One dma-buf per plane is needed",
                                 explanation=f"This queue's buffers have {self.nplanes} "
                                 f"plane(s); buffer {i} got {len(planes)}.")
            for p, dbuf in enumerate(planes):
                need = self.plane_sizes[p] if p < len(self.plane_sizes) else 0
                size = dmabuf_size(dbuf.fd)
                plane = PlaneSizeFacts(p, need, size, source=dbuf.origin.kind)
                if plane.too_small:
                    facts = BufferFacts(self._queue_facts(), i, dmabuf=plane)
                    raise media_error(errno.EINVAL, ioctl="VIDIOC_QBUF", path=self.path,
                                      facts=facts)

    def start(self, now: float, prime: bool) -> None:
        """Queue every buffer (unless a linked consumer) and STREAMON."""
        self.preflight()
        self._fd = self.dev.fd
        self._direct = chokepoint.kernel_ioctl(self._fd) or _through_chokepoint
        if prime:
            for i in range(self.count):
                self.queue(i, now)
        self.dev.stream_on(self.buf_type)
        self.streaming = True
        self.settle()
        self.depth.start(self.in_driver, now)
        if self.is_output:
            self._set_stamp = True  # refined from the first dequeued buffer's flags

    # --- per frame ----------------------------------------------------------------------

    def queue(self, index: int, now: float, used: tuple[int, ...] | None = None,
              stamp: float = 0.0) -> None:
        """QBUF ``index``; an output buffer carries ``used`` bytes (default: full planes)."""
        buf = self._qbufs[index]
        buf.flags = 0
        if self.is_output:
            sizes = used if used is not None else self.plane_sizes
            if self.mplane:
                planes = buf._planes
                for p in range(self.nplanes):
                    planes[p].bytesused = sizes[p]
            else:
                buf.bytesused = sizes[0]
            if self._set_stamp:
                t = stamp or now
                sec = int(t)
                buf.timestamp.tv_sec = sec
                buf.timestamp.tv_usec = int((t - sec) * 1e6)
        try:
            chokepoint.ioctl(self._fd, _QBUF, buf)
        except OSError as exc:
            raise self._error(exc, "VIDIOC_QBUF", index) from None
        self.state[index] = IN_DRIVER
        self.in_driver += 1
        log = self._log
        log.append(now)
        if len(log) >= SETTLE_EVERY:
            self.settle()

    def dequeue(self, now: float) -> int:
        """DQBUF one buffer and log it (:meth:`settle` records it); -1 when none is done
        (EAGAIN)."""
        buf = self._dq
        try:
            chokepoint.ioctl(self._fd, _DQBUF, buf)
        except OSError as exc:
            if exc.errno == _EAGAIN:
                return -1
            raise self._error(exc, "VIDIOC_DQBUF", None) from None
        fields = _read_dq(buf)  # index, bytesused, flags, field, tv_sec, tv_usec, sequence
        i: int = fields[0]
        used = self._planes_used() if self.mplane else None
        if i < len(self.state):
            self.state[i] = WITH_APP
            if self.next is not None:  # what the loop passes on with it, now
                self.used[i] = (fields[1],) if used is None else used
                self.stamp[i] = fields[4] + fields[5] * 1e-6
        self.in_driver -= 1
        if self.is_output and fields[2] & _TS_MASK != _TS_COPY:
            self._set_stamp = False
        self.dequeued += 1
        log = self._log
        log.append((fields, used, now))
        if len(log) >= SETTLE_EVERY:
            self.settle()
        return i

    def recycle(self, now: float) -> int:
        """DQBUF one buffer and QBUF it straight back: :meth:`dequeue` then :meth:`queue`
        for a capture queue streaming on its own, logged alike, in one call; -1 when none
        is done (EAGAIN).

        For the loop's per-frame path only, while nobody traces QBUF/DQBUF.  Both go
        through one ``bytearray`` holding a ``struct v4l2_buffer``, queued back as
        DQBUF filled it in, as ``v4l2-ctl --stream-mmap`` and the V4L2 capture example
        do: vb2 masks the state flags it set itself (``V4L2_BUFFER_MASK_FLAGS``), takes
        no bytesused, field or timestamp from a capture QBUF, and DQBUF returned the
        buffer's own index, memory, offset or dma-buf fd and length
        (``videobuf2-v4l2.c``: ``vb2_fill_vb2_v4l2_buffer``, ``__fill_v4l2_buffer``).
        On a kernel fd both ioctls go to ``fcntl.ioctl`` directly
        (:func:`core.ioctl.kernel_ioctl`); on a virtual one through the chokepoint, on a
        ctypes view of the same bytes.  A failed QBUF leaves the buffer with the
        application, as ``vb2_core_qbuf`` changes nothing on error.
        """
        raw = self._raw
        fd = self._fd
        ioctl = self._direct
        try:
            ioctl(fd, _DQBUF, raw)
        except OSError as exc:
            if exc.errno == _EAGAIN:
                return -1
            raise self._error(exc, "VIDIOC_DQBUF", None) from None
        fields = _read_dq(raw)  # index, bytesused, flags, field, tv_sec, tv_usec, sequence
        i: int = fields[0]
        used = self._planes_used() if self.mplane else None
        self.dequeued += 1
        log = self._log
        log.append((fields, used, now))
        if i >= self.count:
            # Beyond the range in use: stays with the application. Not reached from the
            # loop, which recycles only a queue using every buffer REQBUFS granted (vb2
            # returns no other index); kept so a wrong index is never queued back.
            self.in_driver -= 1
            return i
        try:
            ioctl(fd, _QBUF, raw)
        except OSError as exc:
            self.state[i] = WITH_APP
            self.in_driver -= 1
            raise self._error(exc, "VIDIOC_QBUF", i) from None
        log.append(now)
        if len(log) >= SETTLE_EVERY:
            self.settle()
        return i

    def _planes_used(self) -> tuple[int, ...]:
        """Each plane's bytesused from the last DQBUF (multi-planar), read before the
        next one reuses the planes array (``self._dq``'s; ``self._raw`` points to it)."""
        planes = self._dq._planes
        return tuple(planes[p].bytesused for p in range(self.nplanes))

    def settle(self) -> None:
        """Replay the logged QBUF and DQBUF events, in order, into the per-buffer lists,
        the depth tracker and the frame statistics: what recording each one at once did.

        A QBUF sets the depth one higher; a DQBUF stores the buffer's facts, notes
        whether the driver ran dry since the last one (a drop then is the driver's
        starvation, not the driver's own), sets the depth one lower and adds the frame
        to the statistics (:meth:`FrameStats.add`)."""
        log = self._log
        if not log:
            return
        self._log = []  # taken whole: nothing is replayed twice, whatever happens below
        n = self.in_driver  # the depth before the first logged event
        for event in log:
            n += 1 if event.__class__ is tuple else -1
        depth, stats = self.depth, self.stats
        count = len(self.state)
        for event in log:
            if event.__class__ is not tuple:  # a QBUF at that time
                n += 1
                depth.set(n, event)
                continue
            fields, used, now = event
            i, total, flags, field, sec, usec, seq = fields
            if used is None:
                used = (total,)
            else:
                total = sum(used)
            stamp = sec + usec * 1e-6
            if i < count:
                self.seq[i] = seq
                self.stamp[i] = stamp
                self.flags[i] = flags
                self.field[i] = field
                self.used[i] = used
            starved = depth.low == 0  # the driver had nothing queued at some point since
            n -= 1
            depth.set(n, now)
            depth.low = n
            before = stats.drops
            stats.add(seq, stamp, now, flags, field, total)
            if stats.drops != before and not starved:
                stats.drops_queued += stats.drops - before

    def _queue_facts(self) -> QueueFacts:
        return QueueFacts(buf_type_name(self.buf_type), memory_name(self.memory),
                          self.streaming, self.count)

    def _error(self, exc: OSError, name: str, index: int | None) -> MediaError:
        source = None
        if index is not None and self.memory == v.V4L2_MEMORY_DMABUF and index < len(
                self.dmabufs):
            source = self.dmabufs[index][0].origin.kind
        state = None
        if index is not None and index < len(self.state):
            state = "queued" if self.state[index] == IN_DRIVER else "dequeued"
        facts = BufferFacts(self._queue_facts(), index, state=state, source=source)
        return media_error(exc, ioctl=name, path=self.path, facts=facts)

    # --- snapshots and cleanup ------------------------------------------------------------

    def sync_model(self, query_done: bool) -> None:
        """Copy the per-frame facts into the device's queue model; optionally QUERYBUF
        the buffers in the driver to tell QUEUED (waiting) from DONE (filled, not yet
        dequeued)."""
        self.settle()
        queue = self.dev.queue(self.buf_type)
        with queue.lock:
            for i in range(self.count):
                entry = queue.buffers.get(i)
                if entry is None:
                    continue
                if self.state[i] == IN_DRIVER:
                    entry.status = BufferStatus.QUEUED
                else:
                    entry.status = (
                        BufferStatus.ERROR if self.flags[i] & _ERROR else BufferStatus.DEQUEUED
                    )
                if self.flags[i]:
                    entry.flags = self.flags[i]
                    entry.sequence = self.seq[i]
                    entry.timestamp = self.stamp[i] or None
                    entry.field = self.field[i]
                    for plane, used in zip(entry.planes, self.used[i], strict=False):
                        plane.bytesused = used
        if query_done and self.streaming:
            for i in range(self.count):
                if self.state[i] == IN_DRIVER:
                    state = self.dev.query_buffer(self.buf_type, i)
                    if state.status not in (BufferStatus.DONE, BufferStatus.ERROR):
                        with queue.lock:
                            queue.buffers[i].status = BufferStatus.QUEUED

    def snapshot(self, now: float, query_done: bool) -> QueueSnapshot:
        try:  # sync_model settles the log first: statistics and depth below are current
            self.sync_model(query_done)
        except MediaError:
            self.sync_model(False)
        buffers = self.dev.queue_state(self.buf_type).buffers[: self.count]
        return QueueSnapshot(
            path=self.path,
            buf_type=self.buf_type,
            role=self.role,
            memory=memory_name(self.memory),
            buffers=buffers,
            depth=self.depth.sample(now),
            stats=self.stats.freeze(now, is_output=self.is_output),
            source=self.source,
        )

    def stream_off(self) -> None:
        """STREAMOFF, tolerating a dead device (every buffer returns to the app)."""
        self.settle()
        if self.streaming:
            self.streaming = False
            with contextlib.suppress(MediaError, OSError, ValueError):
                self.dev.stream_off(self.buf_type)
            self.in_driver = 0
            self.state = [WITH_APP] * len(self.state)

    def release(self) -> None:
        """Unmap, close our exports, REQBUFS(0), close the dma-bufs we were given."""
        self._keep.clear()
        if self.allocated and not self.dev.closed:
            self.allocated = False
            try:
                self.dev.queue(self.buf_type).release(exports=True)
                self.dev.free_buffers(self.buf_type)
            except (MediaError, OSError, ValueError):
                pass
        self.maps = []
        self.exports = []
        self.dmabufs = []
        if self.dmabuf_source is not None:
            self.dmabuf_source.close()


def fill_pattern(index: int, planes: Sequence[mmap.mmap]) -> None:
    """A cheap, index-dependent pattern for output buffers (so frames differ)."""
    for plane in planes:
        if plane.closed:
            continue
        row = bytes(((index * 37 + k) & 0xFF) for k in range(256))
        size = len(plane)
        plane[:size] = (row * (size // 256 + 1))[:size]
