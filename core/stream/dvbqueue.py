"""A DVB demux/dvr mmap queue inside the streaming loop (DMX_QBUF/DMX_DQBUF, TS stats).

Setup goes through :class:`core.dvb.DemuxDevice`/:class:`~core.dvb.DvrDevice`
(DMX_REQBUFS, DMX_QUERYBUF, mmap); the per-buffer DMX_DQBUF and DMX_QBUF use one
``dmx_buffer`` per index through the chokepoint.  There is no STREAMON: the first
DMX_QBUF starts the queue (D4), and DMX_STOP does not stop it, so the buffers stay
allocated until the caller closes the fd (DMX_REQBUFS(0) would be EBUSY).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
from collections import deque
from collections.abc import Callable
from typing import Any

from core import ioctl as chokepoint
from core.abi import dvb as d
from core.dvb import DVB_QUEUE, TS_PACKET, DemuxDevice, DvrDevice, FrontendDevice
from core.dvb_stats import FrontendStats
from core.errors import MediaError, media_error
from core.facts import BufferFacts, QueueFacts
from core.queue import BufferStatus
from core.stream.snapshot import QueueSnapshot, TsStreamStats
from core.stream.stall import StallWatch
from core.stream.stats import DepthTracker, TsStats
from core.stream.vqueue import IN_DRIVER, WITH_APP

_EAGAIN = errno.EAGAIN
_QBUF = d.DMX_QBUF
_DQBUF = d.DMX_DQBUF


class DvbQueue:
    """The one mmap queue of a demux or dvr file handle."""

    role = "dvb"
    is_output = False
    buf_type = DVB_QUEUE
    prev = None
    next = None

    # How often the frontend's statistics are read (FE_READ_STATUS, FE_GET_PROPERTY).
    FRONTEND_INTERVAL_S = 0.5

    def __init__(self, node: DemuxDevice | DvrDevice, *, count: int = 8,
                 size: int = 64 * TS_PACKET, parse: bool = True,
                 start_filter: Callable[[], None] | None = None,
                 frontend: FrontendDevice | None = None) -> None:
        self.dev = node
        self.frontend = frontend  # owned by the caller; only read here
        self._fe_stats: FrontendStats | None = None
        self._fe_error: str | None = None
        self._fe_read_at = float("-inf")
        self.start_filter = start_filter
        self.requested = count
        self.size = size
        self.parse = parse  # False: count bytes only (a section filter, not TS packets)
        self.count = 0
        self.maps: list[Any] = []
        self.state: list[int] = []
        self.dmx_count: list[int] = []
        self.dmx_flags: list[int] = []
        self.used: list[int] = []
        self.held: deque[int] = deque()
        self.in_driver = 0
        self.streaming = False
        self.ts = TsStats()
        self.depth = DepthTracker()
        self.started_at: float | None = None
        self.stall = StallWatch(node.path)
        self._dq = d.dmx_buffer()
        self._qbufs: list[Any] = []

    @property
    def fd(self) -> int:
        return self.dev.fd

    @property
    def path(self) -> str:
        return self.dev.path

    @property
    def frames(self) -> int:
        return self.ts.buffers

    def _queue_facts(self) -> QueueFacts:
        return QueueFacts("dvb", "mmap" if self.count else None, self.streaming, self.count)

    def allocate(self) -> int:
        alloc = self.dev.request_buffers(self.requested, self.size)
        if alloc.count == 0:
            raise MediaError(path=self.path, ioctl="DMX_REQBUFS", errno=None,
                             title="No buffers granted",
                             explanation="DMX_REQBUFS returned count 0.")
        self.count = alloc.count
        self.size = alloc.size
        self.maps = [self.dev.map_buffer(i) for i in range(self.count)]
        self.state = [WITH_APP] * self.count
        self.dmx_count = [0] * self.count
        self.dmx_flags = [0] * self.count
        self.used = [0] * self.count
        self._qbufs = [d.dmx_buffer(index=i) for i in range(self.count)]
        return self.count

    def preflight(self) -> None:
        """Nothing to check: DVB buffers are always the queue's own (mmap)."""

    def start(self, now: float, prime: bool = True) -> None:
        """Queue every buffer (the first DMX_QBUF starts the queue), then start the filter.

        With the filter already running, data arrives while the buffers are still being
        queued one ioctl at a time; a non-blocking demux completes a buffer per callback
        and drops what finds no buffer, so a stream could begin with continuity errors.
        ``start_filter`` (e.g. ``DemuxDevice.start``) lets the caller set the filter up
        stopped and have it started once every buffer is waiting."""
        for i in range(self.count):
            self.queue(i, now)
        self.streaming = True
        self.dev.started = True
        self.started_at = now
        self.depth.start(self.in_driver, now)
        if self.start_filter is not None:
            self.start_filter()

    def queue(self, index: int, now: float, used: object = None, stamp: float = 0.0) -> None:
        try:
            chokepoint.ioctl(self.dev.fd, _QBUF, self._qbufs[index])
        except OSError as exc:
            raise media_error(exc, ioctl="DMX_QBUF", path=self.path,
                              facts=BufferFacts(self._queue_facts(), index)) from None
        self.state[index] = IN_DRIVER
        self.in_driver += 1
        self.depth.set(self.in_driver, now)

    def dequeue(self, now: float) -> int:
        buf = self._dq
        try:
            chokepoint.ioctl(self.dev.fd, _DQBUF, buf)
        except OSError as exc:
            if exc.errno == _EAGAIN:
                return -1
            raise media_error(exc, ioctl="DMX_DQBUF", path=self.path,
                              facts=BufferFacts(self._queue_facts(), None)) from None
        i: int = buf.index
        used = buf.bytesused
        flags = buf.flags
        count = buf.count
        if i < self.count:
            self.state[i] = WITH_APP
            self.used[i] = used
            self.dmx_flags[i] = flags
            self.dmx_count[i] = count
            data = self.maps[i][:used] if self.parse else b""
        else:
            data = b""
        self.in_driver -= 1
        self.depth.set(self.in_driver, now)
        if self.parse:
            self.ts.add_buffer(data, now, flags, count)
        else:
            self.ts.add_buffer(b"", now, flags, count)
            self.ts.bytes += used
        return i

    def _read_frontend(self, now: float) -> None:
        """FE_READ_STATUS (drivers refresh their statistics on it, as dvb-fe-tool relies
        on), then every DTV_STAT_*; throttled to :attr:`FRONTEND_INTERVAL_S`.  A failure
        is kept as text for the snapshot, never raised: the TS keeps streaming."""
        if self.frontend is None or now - self._fe_read_at < self.FRONTEND_INTERVAL_S:
            return
        self._fe_read_at = now
        try:
            self.frontend.read_status()
            self._fe_stats = self.frontend.stats()
            self._fe_error = None
        except MediaError as exc:
            self._fe_stats = None
            self._fe_error = str(exc)

    def snapshot(self, now: float, query_done: bool) -> QueueSnapshot:
        self._read_frontend(now)
        queue = self.dev.queue
        with queue.lock:
            for i in range(self.count):
                entry = queue.buffers.get(i)
                if entry is None:
                    continue
                entry.status = (BufferStatus.QUEUED if self.state[i] == IN_DRIVER
                                else BufferStatus.DEQUEUED)
                entry.flags = self.dmx_flags[i]
                entry.sequence = self.dmx_count[i]
                entry.planes[0].bytesused = self.used[i]
        return QueueSnapshot(
            path=self.path,
            buf_type=DVB_QUEUE,
            role="dvb",
            memory="mmap",
            buffers=self.dev.queue_state().buffers[: self.count],
            depth=self.depth.sample(now),
            stats=None,
            ts=self._ts_stats(now),
            frontend=self._fe_stats,
            frontend_error=self._fe_error,
        )

    def _ts_stats(self, now: float) -> TsStreamStats:
        ts = self.ts.freeze(now)
        last = self.ts.last_arrival if self.ts.last_arrival is not None else self.started_at
        since = None if last is None or not self.streaming else now - last
        warnings = self.stall.warnings(now, since)
        return dataclasses.replace(ts, warnings=warnings) if warnings else ts

    def stream_off(self) -> None:
        """DVB has no STREAMOFF; the queue stops when the fd is closed (D4)."""
        self.streaming = False

    def release(self) -> None:
        """Unmap our mappings; the buffers themselves go when the caller closes the fd."""
        self.maps = []
        with contextlib.suppress(MediaError, OSError, ValueError):
            self.dev.queue.release(exports=True)
