"""One model of an observed stream, fed by either source.

:class:`ObservedStream` takes :class:`~core.observe.events.BufferEvent` records (the
trace source: every movement, exact) or QUERYBUF samples (the sampling source:
occupancy only) and keeps, per queue (``minor``, ``buf_type``; a mem2mem device has
two):

* every buffer's state: QBUF -> ``queued`` (in the driver), buf_done -> ``done`` (or
  ``error`` with V4L2_BUF_FLAG_ERROR), DQBUF -> ``dequeued`` (with the application);
* frame statistics from the dequeued buffers (:class:`core.stream.stats.FrameStats`:
  fps from the buffer timestamps, drops from ``sequence`` gaps, as v4l2-ctl counts
  them);
* buffers in the driver over time and starvation (none in the driver while streaming:
  the driver has nowhere to put a frame, vb2 then drops or waits);
* how long buffers stay in the driver (QBUF -> done), out of it (done -> next QBUF)
  and with the application (DQBUF -> next QBUF), as p50/p99;
* which threads queue and dequeue (the record's pid and comm);
* the owner stopping: STREAMOFF returns the driver's buffers through vb2_buffer_done
  with VB2_BUF_STATE_ERROR (``__vb2_queue_cancel``, videobuf2-core.c), so a done
  record with ERROR that leaves the driver empty ends the stream; the next QBUF starts
  it again and forgets the old buffers (the owner may have re-allocated).

Pure and synchronous: the caller passes ``now_ns`` (CLOCK_MONOTONIC); nothing here
reads a clock, a file or a device.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.abi import v4l2 as v
from core.observe.events import BufferEvent, EventKind
from core.observe.observed import (
    AttachSnapshot,
    LaneInfo,
    Percentiles,
    ProcessInfo,
    Starvation,
)
from core.queue import BufferState, BufferStatus, PlaneState
from core.stream.snapshot import QueueSnapshot, StreamSnapshot, StreamState
from core.stream.stats import DepthTracker, FrameStats

_ERROR = int(v.V4L2_BUF_FLAG_ERROR)
_MAPPED = int(v.V4L2_BUF_FLAG_MAPPED)
_SAMPLES = 20_000  # durations kept per kind and queue for the percentiles
_UNMATCHED = 256  # vb2 records of owners not (yet) known to be the device's

# (pid) -> (tgid, cmdline) or None when the process is gone; swappable for the holders
# scan of core/holders (the same answer, system wide).
ProcessResolver = Callable[[int], "tuple[int, str] | None"]


def percentiles(samples: Iterable[float]) -> Percentiles:
    """p50/p99 by the nearest-rank method over ``samples`` (seconds)."""
    data = sorted(samples)
    n = len(data)
    if not n:
        return Percentiles(0, None, None, None)

    def rank(p: float) -> float:
        k = max(0, min(n - 1, -(-int(p * n * 100) // 10000) - 1))  # ceil(p/100 * n) - 1
        return data[k]

    return Percentiles(n, rank(50), rank(99), data[-1])


@dataclass(slots=True)
class _Buf:
    status: BufferStatus = BufferStatus.DEQUEUED
    flags: int = 0
    field: int = 0
    sequence: int | None = None
    timestamp: float | None = None
    bytesused: int = 0
    queued_ns: int | None = None
    done_ns: int | None = None
    dequeued_ns: int | None = None


class _Lane:
    """One queue's model."""

    def __init__(self, buf_type: int, now_ns: int) -> None:
        self.buf_type = buf_type
        self.is_output = v.is_output(buf_type)
        self.buffers: dict[int, _Buf] = {}
        self.stats = FrameStats(alternate=False)
        self.depth = DepthTracker()
        self.depth.start(0, now_ns / 1e9)
        self.driver: deque[float] = deque(maxlen=_SAMPLES)
        self.held: deque[float] = deque(maxlen=_SAMPLES)
        self.app: deque[float] = deque(maxlen=_SAMPLES)
        self.starvations: list[Starvation] = []
        self.streaming = False
        self.stops = 0
        self.qbufs = 0  # VIDIOC_QBUF calls seen (v4l2_qbuf records)
        self.dqbufs = 0
        self.mapped = False
        self.record = False
        # Perfetto: (time_ns, index, status), (time_ns, in_driver), (time_ns, name, n),
        # (time_ns, fps)
        self.transitions: list[tuple[int, int, str]] = []
        self.depths: list[tuple[int, int]] = []
        self.marks: list[tuple[int, str, int]] = []
        self.rates: list[tuple[int, float]] = []
        self.has_vb2 = False  # vb2 core records seen: exact in-driver counts
        self.has_buf_queue = False  # vb2_buf_queue records seen
        self.cancelling = False
        self.app_pids: set[int] = set()

    def in_driver(self) -> int:
        return sum(1 for b in self.buffers.values() if b.status is BufferStatus.QUEUED)

    def apply(self, ev: BufferEvent, now_ns: int) -> str | None:
        """Update from one record; returns a note when the stream stopped or restarted."""
        if not self.record:
            return self._apply(ev, now_ns)
        before = {i: b.status for i, b in self.buffers.items()}
        drops, errors, depth = self.stats.drops, self.stats.errors, self.depth.depth
        note = self._apply(ev, now_ns)
        self._record(ev.time_ns, before, drops, errors, depth)
        return note

    def _record(self, t: int, before: dict[int, BufferStatus], drops: int, errors: int,
                depth: int) -> None:
        for i, b in self.buffers.items():
            if before.get(i) is not b.status:
                self.transitions.append((t, i, str(b.status)))
        for i, status in before.items():
            if i not in self.buffers and status is not BufferStatus.DEQUEUED:
                self.transitions.append((t, i, str(BufferStatus.DEQUEUED)))
        if self.stats.drops > drops:
            self.marks.append((t, "drop", self.stats.drops - drops))
        if self.stats.errors > errors:
            self.marks.append((t, "error", self.stats.errors - errors))
        if self.depth.depth != depth or not self.depths:
            self.depths.append((t, self.depth.depth))

    def _apply(self, ev: BufferEvent, now_ns: int) -> str | None:
        note = None
        kind = ev.kind
        t = ev.time_ns
        if ev.flags & _MAPPED:
            self.mapped = True
        if kind is EventKind.QBUF and not self.streaming:
            if self.stops:
                note = (f"{v.buf_type_name(self.buf_type)}: the owner started again "
                        "(buffers re-learned: it may have re-allocated)")
                self.buffers.clear()
            self.streaming = True
            self.cancelling = False
        b = self.buffers.get(ev.index)
        if b is None:
            b = self.buffers[ev.index] = _Buf()
        was = b.status
        if kind is EventKind.QBUF:
            self.qbufs += 1
            self.app_pids.add(ev.pid)
            if b.done_ns is not None:
                self.held.append((t - b.done_ns) / 1e9)
            if b.dequeued_ns is not None:
                self.app.append((t - b.dequeued_ns) / 1e9)
            b.status, b.queued_ns, b.done_ns, b.dequeued_ns = BufferStatus.QUEUED, t, None, None
            b.flags, b.field, b.bytesused = ev.flags, ev.field, ev.bytesused
            b.sequence = b.timestamp = None  # vb2 clears them on queueing
            if not self.has_vb2:
                self._depth(self.in_driver(), t, now_ns)
            elif not self.has_buf_queue and was is not BufferStatus.QUEUED:
                # vb2_buf_queue not traced (the default: one record less per frame): the
                # driver holds one more, counted from the last exact vb2_buf_done.
                self._depth(self.depth.depth + 1, t, now_ns)
        elif kind is EventKind.DQBUF:
            self.dqbufs += 1
            self.app_pids.add(ev.pid)
            b.status, b.dequeued_ns = BufferStatus.DEQUEUED, t
            b.flags, b.field, b.bytesused = ev.flags, ev.field, ev.bytesused
            b.sequence = ev.sequence
            b.timestamp = ev.timestamp_ns / 1e9 if ev.timestamp_ns else None
            if b.done_ns is None:
                b.done_ns = t  # no vb2 record of the completion: the dequeue is the bound
            self.stats.add(ev.sequence, ev.timestamp_ns / 1e9, t / 1e9, ev.flags, ev.field,
                           ev.bytesused)
            if not self.has_vb2:
                self._depth(self.in_driver(), t, now_ns)
        elif kind is EventKind.BUF_QUEUE:
            self.has_vb2 = self.has_buf_queue = True
            if b.status is not BufferStatus.QUEUED:
                b.status, b.queued_ns = BufferStatus.QUEUED, t
            self._depth(ev.in_driver, t, now_ns)
        elif kind is EventKind.BUF_DONE:
            self.has_vb2 = True
            # STREAMOFF: __vb2_queue_cancel returns the driver's buffers in the caller's
            # context (the application's thread); a driver completes them in its own
            # (kernel thread, work queue, interrupt).
            if ev.pid in self.app_pids and self.streaming:
                self.cancelling = True
            if b.queued_ns is not None and not self.cancelling:
                self.driver.append((t - b.queued_ns) / 1e9)
            b.status = BufferStatus.ERROR if self.cancelling else BufferStatus.DONE
            b.done_ns = t
            b.timestamp = ev.timestamp_ns / 1e9 if ev.timestamp_ns else None
            b.bytesused = ev.bytesused
            if self.cancelling and ev.in_driver == 0:
                self.streaming = False
                self.cancelling = False
                self.stops += 1
                note = f"{v.buf_type_name(self.buf_type)}: the owner stopped streaming"
                for other in self.buffers.values():
                    other.status = BufferStatus.DEQUEUED
            self._depth(ev.in_driver, t, now_ns)
        return note

    def _depth(self, depth: int, time_ns: int, now_ns: int) -> None:
        self.depth.set(depth, time_ns / 1e9)
        open_ = bool(self.starvations) and self.starvations[-1].end_ns is None
        if depth == 0 and self.streaming and not self.cancelling and not open_:
            self.starvations.append(Starvation(time_ns, None, now_ns))
        elif (depth or not self.streaming) and open_:
            s = self.starvations[-1]
            self.starvations[-1] = Starvation(s.start_ns, time_ns, s.detected_ns)

    def sample(self, index: int, status: BufferStatus, flags: int, sequence: int | None,
               timestamp: float | None, field: int, bytesused: int, now_ns: int) -> None:
        """A QUERYBUF answer (sampling): state only; moves between samples are unseen."""
        if not self.record:
            self._sample(index, status, flags, sequence, timestamp, field, bytesused, now_ns)
            return
        before = {i: b.status for i, b in self.buffers.items()}
        drops, errors, depth = self.stats.drops, self.stats.errors, self.depth.depth
        self._sample(index, status, flags, sequence, timestamp, field, bytesused, now_ns)
        self._record(now_ns, before, drops, errors, depth)

    def _sample(self, index: int, status: BufferStatus, flags: int, sequence: int | None,
                timestamp: float | None, field: int, bytesused: int, now_ns: int) -> None:
        b = self.buffers.get(index)
        if b is None:
            b = self.buffers[index] = _Buf()
        if flags & _MAPPED:
            self.mapped = True
        if b.status is not status:
            if status is BufferStatus.QUEUED:
                if b.done_ns is not None:
                    self.held.append((now_ns - b.done_ns) / 1e9)
                b.queued_ns, b.done_ns = now_ns, None
            elif status in (BufferStatus.DONE, BufferStatus.ERROR) and b.done_ns is None:
                b.done_ns = now_ns
        b.status, b.flags, b.field, b.bytesused = status, flags, field, bytesused
        if sequence is not None and timestamp and status is not BufferStatus.QUEUED \
                and (b.sequence != sequence or b.timestamp != timestamp):
            # A frame seen while it sat done or with the application.  The frames
            # between two samples are unseen, not dropped: a sequence gap here says
            # nothing about drops, so sampling counts none (the document says null).
            self.stats.add(sequence, timestamp, now_ns / 1e9, flags, field, bytesused)
            self.stats.drops = self.stats.drops_queued = 0
        b.sequence, b.timestamp = sequence, timestamp
        self.streaming = True
        self._depth(self.in_driver(), now_ns, now_ns)

    def freeze(self, path: str, now_ns: int) -> tuple[QueueSnapshot, LaneInfo]:
        buffers = tuple(
            BufferState(i, b.status, b.flags, b.sequence, b.timestamp, b.field,
                        (PlaneState(length=0, bytesused=b.bytesused, mapped=False),))
            for i, b in sorted(self.buffers.items())
        )
        name = v.buf_type_name(self.buf_type)
        q = QueueSnapshot(
            path=path,
            buf_type=self.buf_type,
            role="output" if self.is_output else "capture",
            memory="mmap" if self.mapped else "unknown",
            buffers=buffers,
            depth=self.depth.sample(now_ns / 1e9),
            stats=self.stats.freeze(now_ns / 1e9, is_output=self.is_output),
        )
        if self.record and q.stats is not None and q.stats.fps is not None:
            self.rates.append((now_ns, q.stats.fps))
        lane = LaneInfo(
            buf_type=self.buf_type,
            queue=name,
            driver=percentiles(self.driver),
            held=percentiles(self.held),
            app=percentiles(self.app),
            starvations=tuple(self.starvations),
            streaming=self.streaming,
            stops=self.stops,
            qbuf=self.qbufs,
            dqbuf=self.dqbufs,
        )
        return q, lane


class ObservedStream:
    """The observed queues of one device node (``path``, char-device ``minor``)."""

    def __init__(self, path: str, minor: int, *, source: str, approximate: bool,
                 resolve: ProcessResolver | None = None, start_ns: int = 0) -> None:
        self.path = path
        self.minor = minor
        self.source = source
        self.approximate = approximate
        self.resolve = resolve
        self.start_ns = start_ns
        self.lanes: dict[int, _Lane] = {}
        self.procs: dict[int, list[object]] = {}  # pid -> [comm, qbuf, dqbuf]
        self.events = 0
        self.lost = 0
        self.notes: list[str] = []
        self.first_ns: int | None = None
        self._number = 0
        self._cmd: dict[int, tuple[int, str] | None] = {}
        self._pending: dict[int, tuple[str, int, int]] = {}
        self._owners: set[tuple[str, int]] = set()
        self._unmatched: deque[BufferEvent] = deque(maxlen=_UNMATCHED)
        self.record = False  # keep transitions for a Perfetto trace

    def lane(self, buf_type: int, now_ns: int) -> _Lane:
        lane = self.lanes.get(buf_type)
        if lane is None:
            lane = self.lanes[buf_type] = _Lane(buf_type, now_ns)
            lane.record = self.record
        return lane

    def feed(self, ev: BufferEvent, now_ns: int) -> None:
        """One trace record; records of other devices are ignored.

        vb2 core records carry no minor: the (owner, type) of a vb2_dqbuf (or vb2_qbuf)
        is the device's when the same thread's next v4l2_dqbuf (v4l2_qbuf) names our
        minor with the same index and type (both fire for one ioctl, vb2's first).
        vb2_buf_done records of an owner not known yet are kept (the last 256) and
        replayed when it becomes known."""
        kind = ev.kind
        if kind is EventKind.VB2_QBUF or kind is EventKind.VB2_DQBUF:
            self._pending[ev.pid] = (ev.owner, ev.index, ev.buf_type)
            return
        if kind is EventKind.BUF_QUEUE or kind is EventKind.BUF_DONE:
            if (ev.owner, ev.buf_type) not in self._owners:
                self._unmatched.append(ev)  # perhaps ours, learnt at the next dequeue
                return
        elif ev.minor != self.minor:
            return
        else:
            pend = self._pending.pop(ev.pid, None)
            if pend is not None and pend[1] == ev.index and pend[2] == ev.buf_type:
                key = (pend[0], ev.buf_type)
                if key not in self._owners:
                    self._owners.add(key)
                    self._replay(key, now_ns)
        self._apply(ev, now_ns)

    def _replay(self, key: tuple[str, int], now_ns: int) -> None:
        """Records of a newly learnt owner that arrived before it was known."""
        mine = [e for e in self._unmatched if (e.owner, e.buf_type) == key]
        if mine:
            self._unmatched = deque((e for e in self._unmatched
                                     if (e.owner, e.buf_type) != key), maxlen=_UNMATCHED)
            for e in mine:
                self._apply(e, now_ns)

    def _apply(self, ev: BufferEvent, now_ns: int) -> None:
        self.events += 1
        if self.first_ns is None:
            self.first_ns = ev.time_ns
        if ev.kind in (EventKind.QBUF, EventKind.DQBUF) and ev.pid:
            p = self.procs.get(ev.pid)
            if p is None:
                p = self.procs[ev.pid] = [ev.comm, 0, 0]
                if self.resolve is not None and ev.pid not in self._cmd:
                    self._cmd[ev.pid] = self.resolve(ev.pid)
            p[1 if ev.kind is EventKind.QBUF else 2] += 1  # type: ignore[operator]
        note = self.lane(ev.buf_type, ev.time_ns).apply(ev, now_ns)
        if note is not None:
            self.notes.append(note)

    def lost_events(self, count: int) -> None:
        """The kernel overwrote ``count`` records before they were read."""
        self.lost += count

    def freeze(self, now_ns: int, *, final: bool = False,
               state: StreamState | None = None) -> AttachSnapshot:
        queues, lanes = [], []
        for buf_type in sorted(self.lanes, key=lambda t: (v.is_output(t), t)):
            q, lane = self.lanes[buf_type].freeze(self.path, now_ns)
            queues.append(q)
            lanes.append(lane)
        streaming = any(lane.streaming for lane in lanes)
        if state is None:
            state = StreamState.STREAMING if streaming else StreamState.STOPPED
        start = self.start_ns or (self.first_ns or now_ns)
        snap = StreamSnapshot(
            number=self._number,
            time=now_ns / 1e9,
            elapsed=max(0.0, (now_ns - start) / 1e9),
            state=state,
            queues=tuple(queues),
            primary=0,
            notes=tuple(self.notes[-8:]),
            final=final,
        )
        self._number += 1
        procs = []
        for pid, (comm, qn, dqn) in sorted(self.procs.items()):
            found = self._cmd.get(pid)
            procs.append(ProcessInfo(pid, found[0] if found else None, str(comm),
                                     found[1] if found else None, int(qn), int(dqn)))  # type: ignore[call-overload]
        return AttachSnapshot(
            stream=snap,
            source=self.source,
            approximate=self.approximate,
            lanes=tuple(lanes),
            processes=tuple(procs),
            events=self.events,
            lost_events=self.lost,
            notes=tuple(self.notes),
        )


__all__ = ["ObservedStream", "ProcessResolver", "percentiles"]
