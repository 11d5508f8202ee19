"""The streaming loop: blocking, run by the caller in a thread, stopped by an Event.

One :class:`Stream` drives one or more queues (a capture, an output, both queues of a
mem2mem device, a linked capture → mem2mem → output pipeline, or a DVB demux/dvr)
with ``select.poll()`` on their fds and an eventfd used to wake it. :meth:`Stream.stop`
(and every command) writes the eventfd, so a loop stopped that way sleeps until the next
buffer, snapshot or deadline, with no timeout at all when none is due (``--quiet`` with
no ``--duration``: no timer wakes an idle stream); a caller that hands
:meth:`Stream.run` a plain ``threading.Event`` instead (one the loop cannot be woken by)
gets a timeout of :data:`POLL_TIMEOUT_MS` so that event is seen promptly.  Per frame it
only does poll → one clock read → DQBUF → record → re-QBUF (four syscalls, as
``v4l2-ctl --stream-mmap``'s select, DQBUF, QBUF and progress write); a stream of one
capture queue whose per-frame ioctls nobody traces does both in one call
(:meth:`~core.stream.vqueue.VideoQueue.recycle`: one bytearray, straight to
``fcntl.ioctl`` on a kernel fd).  At a bounded rate (or never, with
``snapshot_interval=None``: nobody reads them) it freezes a
:class:`~core.stream.snapshot.StreamSnapshot` and hands it to the ``on_snapshot``
callback, which is the only thing that leaves the loop's thread.

Control from other threads (the UI's pause/step keys) goes through a small command
queue drained by the loop after the eventfd wakes it:

* :meth:`Stream.pause` stops re-queueing (buffers pile up with the application, so the
  driver starves and drops), :meth:`Stream.manual` also stops dequeueing (done buffers
  wait in the driver), :meth:`Stream.resume` goes back to streaming and re-queues what
  was held;
* :meth:`Stream.queue_one` passes one held buffer on (re-QBUF, or hand it to the next
  queue of a pipeline); :meth:`Stream.dequeue_one` DQBUFs one buffer by hand;
* :meth:`Stream.stop` sets the stream's own stop event and wakes the loop.

Device removal ends the loop: ENODEV from an ioctl, or POLLHUP/POLLNVAL from poll,
becomes :class:`core.errors.DeviceGone`, cleanup runs on what is left, the final
snapshot carries the error, and :meth:`Stream.run` raises it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue as queue_mod
import select
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from core import ioctl as chokepoint
from core.abi.v4l2 import VIDIOC_DQBUF, VIDIOC_QBUF
from core.errors import DeviceGone, MediaError, media_error
from core.facts import PollFacts
from core.stream.control import Command, StreamControl
from core.stream.dvbqueue import DvbQueue
from core.stream.snapshot import ErrorInfo, StreamSnapshot, StreamState
from core.stream.vqueue import VideoQueue

Clock = Callable[[], float]
SnapshotSink = Callable[[StreamSnapshot], None]
AnyQueue = VideoQueue | DvbQueue

POLL_TIMEOUT_MS = 100  # the longest a caller's stop Event can go unnoticed
_IN = select.POLLIN | select.POLLRDNORM
_OUT = select.POLLOUT | select.POLLWRNORM
_IDLE = select.POLLPRI  # asks nothing of vb2, but unregistration still reports ERR|HUP
_GONE = select.POLLHUP | select.POLLNVAL
_BAD = _GONE | select.POLLERR
_PER_FRAME = (VIDIOC_QBUF, VIDIOC_DQBUF)


class Stream(StreamControl):
    """Run ``queues`` until stopped, a frame count or a duration is reached, or an error.

    ``primary`` names the queue whose dequeued buffers count as "the frames"
    (``max_frames``).  ``clock`` times arrivals, the duration and snapshot pacing (inject
    a fake one in tests); poll timeouts stay in real time.  ``setup`` is the part before
    STREAMON (allocation, exports, links) and ``teardown`` what to undo besides the
    queues; both run in the loop's thread so errors and cleanup stay in one place.
    """

    def __init__(
        self,
        queues: Sequence[AnyQueue],
        *,
        primary: int = 0,
        max_frames: int | None = None,
        duration: float | None = None,
        clock: Clock = time.monotonic,
        snapshot_interval: float | None = 0.1,
        query_done: bool = True,
        setup: Callable[[], None] | None = None,
        teardown: Callable[[], None] | None = None,
        prime: Sequence[bool] | None = None,
    ) -> None:
        if not queues:
            raise ValueError("a stream needs at least one queue")
        self.queues: tuple[AnyQueue, ...] = tuple(queues)
        self.primary = primary
        self.max_frames = max_frames
        self.duration = duration
        self.clock = clock
        # None: no periodic snapshots (nobody shows them); the final one and those a
        # command asks for are still made.
        self.snapshot_interval = None if snapshot_interval is None else max(0.0, snapshot_interval)
        self.query_done = query_done
        self._setup = setup
        self._teardown = teardown
        self._prime = list(prime) if prime is not None else [q.prev is None for q in queues]
        super().__init__()
        self.state = StreamState.STREAMING
        self._notes: list[str] = []
        self._number = 0
        self._start = 0.0
        self._poll: Any = None
        self._masks: dict[int, int] = {}
        self._dirty = True
        self._erred: set[int] = set()
        self._snap_now = False
        self._cap_ms: int | None = POLL_TIMEOUT_MS
        self.last: StreamSnapshot | None = None

    # --- the loop -----------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None,
            on_snapshot: SnapshotSink | None = None) -> StreamSnapshot:
        """Set up, stream, clean up; return the final snapshot (raise the error, if any).

        *stop*, when given, is checked at least every :data:`POLL_TIMEOUT_MS`; without it
        the loop is stopped by :meth:`stop` (which wakes it at once) and otherwise sleeps
        until the next buffer, command, snapshot or deadline (no timeout when neither a
        snapshot nor a deadline is due: every other reason to wake writes the eventfd,
        and a vanished device wakes poll with POLLERR/POLLHUP).
        """
        self._cap_ms = POLL_TIMEOUT_MS if stop is not None else None
        sink = on_snapshot or (lambda _s: None)
        error: MediaError | None = None
        final: StreamSnapshot | None = None
        with self._wake_lock:
            self._wake_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        try:
            if self._setup is not None:
                self._setup()
            for q in self.queues:
                q.allocate()
            self._link_counts()
            now = self.clock()
            self._start = now
            for q, prime in zip(self.queues, self._prime, strict=True):
                q.start(now, prime)
            self._poll = select.poll()
            self._poll.register(self._wake_fd, select.POLLIN)
            self._loop(stop, sink)
        except MediaError as exc:
            error = exc
        finally:
            try:
                final = self._final(error)
            finally:
                self._cleanup()
        self.last = final
        sink(final)
        if error is not None:
            raise error
        return final

    def _link_counts(self) -> None:
        """Linked queues use the same indices: trim both to the smaller grant, then let
        each consumer import its producer's exports."""
        for q in self.queues:
            if isinstance(q, VideoQueue) and q.next is not None:
                n = min(q.count, q.next.count)
                q.limit(n)
                q.next.limit(n)
                q.next.import_from(q)

    def _loop(self, stop: threading.Event | None, sink: SnapshotSink) -> None:
        poll = self._poll.poll
        clock = self.clock
        # The caller's Event is looked at every turn; the stream's own stop only when the
        # eventfd woke the loop (stop() sets it, then writes the eventfd), and once here
        # for a stop() that came before the eventfd existed.
        stop_set = stop.is_set if stop is not None else None
        own_stop = self._stop_requested
        if own_stop():
            return
        woken = False
        streaming = StreamState.STREAMING
        erred = self._erred
        wake = self._wake_fd
        by_fd = self._fds()
        primary = self.queues[self.primary]
        # what --count counts: a video queue's dequeued buffers (its statistics are
        # settled in batches), a DVB queue's
        counter: Any = primary if isinstance(primary, VideoQueue) else primary.ts
        video = counter is primary
        max_frames = self.max_frames
        deadline = None if self.duration is None else self._start + self.duration
        interval = self.snapshot_interval
        # a first snapshot right away; none at all when nobody reads them
        next_snap = self._start if interval is not None else float("inf")
        cap_ms = self._cap_ms  # None: poll may sleep for ever (no clock read inside it)
        cap_s = float("inf") if cap_ms is None else cap_ms / 1000.0
        end = float("inf") if deadline is None else deadline
        wake_at = min(next_snap, end)  # the next thing the loop must do by the clock
        now = self._start
        # A capture queue alone on its fd, streaming, with nobody tracing its per-frame
        # ioctls, is recycled in one call (VideoQueue.recycle: DQBUF and QBUF straight to
        # the kernel); the rest goes the general way. Tracers can come and go in any
        # thread (one list, tested per frame); what this thread untraces and the state
        # change only in this thread, in a command or the snapshot sink.
        solo_fd, solo_q = self._solo()
        tracers = chokepoint.live_tracers()
        fast = self._fast_now()
        ready, bad = _IN, _BAD
        while True:
            if self._dirty:
                self._update_masks(by_fd)
            # Sleep until then at most; buffers, commands and stop() wake poll themselves.
            until = wake_at - now
            events = poll(cap_ms if until >= cap_s else int(until * 1000.0) + 1 if until > 0
                          else 0)
            now = clock()
            for fd, ev in events:
                if (fd == solo_fd and ev & ready and not ev & bad and fast is not None
                        and (fast or not tracers)):
                    solo_q.recycle(now)  # type: ignore[union-attr]
                    continue
                if fd == wake:
                    self._drain_commands(now)
                    fast = self._fast_now()  # a command may have paused the stream
                    woken = True
                    continue
                if ev & _GONE:
                    self._gone(fd, ev)
                for q in by_fd[fd]:
                    if ev & (_OUT if q.is_output else _IN):
                        i = q.dequeue(now)
                        if i < 0:
                            continue
                        if (self.state is streaming and q.next is None and q.prev is None
                                and i < q.count):
                            # a queue on its own, streaming: the buffer goes straight back
                            # (what _dispatch and _pass_on decide, without two calls)
                            q.queue(i, now)
                            if q.in_driver == 1:
                                self._dirty = True
                            if erred:
                                erred.discard(fd)
                        else:
                            self._dispatch(q, i, now)
                if ev & select.POLLERR:
                    self._poll_error(fd, by_fd[fd], now)
            if woken:
                woken = False
                if own_stop():
                    return
            if stop_set is not None and stop_set():
                return
            if max_frames is not None and (
                    counter.dequeued if video else counter.buffers) >= max_frames:
                return
            if deadline is not None and now >= deadline:
                return
            if now >= next_snap or self._snap_now:
                self._snap_now = False
                sink(self._snapshot(now))
                fast = self._fast_now()  # the sink may have untraced this thread's ioctls
                if interval is not None:
                    next_snap = now + interval
                    wake_at = min(next_snap, end)

    def _solo(self) -> tuple[int, VideoQueue | None]:
        """The fd and queue :meth:`VideoQueue.recycle` serves, (-1, None) if none: a
        stream of one unlinked video capture queue using every buffer it was granted
        (a stream of several queues links them, or has two on one mem2mem fd)."""
        if len(self.queues) == 1:
            q = self.queues[0]
            if (isinstance(q, VideoQueue) and not q.is_output and q.next is None
                    and q.prev is None and q.count == len(q.state)):
                return q.fd, q
        return -1, None

    def _fast_now(self) -> bool | None:
        """Whether solo queues are recycled now: None when the stream is not streaming
        (paused, manual: buffers are held), True when this thread untraces QBUF and
        DQBUF, False when that depends on whether anyone traces (checked per frame)."""
        if self.state is not StreamState.STREAMING:
            return None
        return chokepoint.untraced_here(_PER_FRAME)

    def _fds(self) -> dict[int, list[AnyQueue]]:
        by_fd: dict[int, list[AnyQueue]] = {}
        for q in self.queues:
            by_fd.setdefault(q.fd, []).append(q)
        return by_fd

    def _update_masks(self, by_fd: dict[int, list[AnyQueue]]) -> None:
        """Ask for IN/OUT only on queues that have buffers in the driver and are being
        dequeued automatically: vb2 answers POLLERR when nothing is queued (mem2mem,
        capture before the first QBUF), which would spin the loop."""
        self._dirty = False
        for fd, qs in by_fd.items():
            mask = _IDLE
            if self.state is not StreamState.MANUAL:
                for q in qs:
                    if q.in_driver > 0 and fd not in self._erred:
                        mask |= _OUT if q.is_output else _IN
            if self._masks.get(fd) != mask:
                if fd in self._masks:
                    self._poll.modify(fd, mask)
                else:
                    self._poll.register(fd, mask)
                self._masks[fd] = mask

    def _dispatch(self, q: AnyQueue, index: int, now: float) -> None:
        """Where a dequeued buffer goes: held (paused), to the next queue, back to the
        previous one, or straight back into its own queue."""
        if q.in_driver == 0:
            self._dirty = True
        if self.state is not StreamState.STREAMING:
            q.held.append(index)
            return
        self._pass_on(q, index, now)

    def _pass_on(self, q: AnyQueue, index: int, now: float) -> None:
        if index >= q.count:
            return  # an index beyond the linked range is never re-queued
        nxt, prev = q.next, q.prev
        if nxt is not None and isinstance(q, VideoQueue):  # only video queues are linked
            was_idle = nxt.in_driver == 0
            nxt.queue(index, now, q.used[index], q.stamp[index])  # set at its DQBUF
            if was_idle:
                self._dirty = True
            self._erred.discard(nxt.fd)
        elif prev is not None:
            was_idle = prev.in_driver == 0
            prev.queue(index, now)
            if was_idle:
                self._dirty = True
            self._erred.discard(prev.fd)
        else:
            q.queue(index, now)
            if q.in_driver == 1:
                self._dirty = True
            self._erred.discard(q.fd)

    def _gone(self, fd: int, ev: int) -> None:
        path = next((q.path for q in self.queues if q.fd == fd), None)
        raise media_error(errno.ENODEV, ioctl="poll", path=path, facts=PollFacts(ev))

    def _poll_error(self, fd: int, qs: list[AnyQueue], now: float) -> None:
        """POLLERR alone: ask the queues (ENODEV and EIO raise); if they have nothing to
        say, stop asking this fd for IN/OUT until something is queued on it again."""
        progressed = False
        for q in qs:
            if not q.streaming:
                continue
            i = q.dequeue(now)
            if i >= 0:
                progressed = True
                self._dispatch(q, i, now)
        if not progressed:
            self._erred.add(fd)
            self._dirty = True

    # --- commands (loop thread) -------------------------------------------------------

    def _drain_commands(self, now: float) -> None:
        with contextlib.suppress(OSError):
            os.eventfd_read(self._wake_fd)
        while True:
            try:
                command = self._commands.get_nowait()
            except queue_mod.Empty:
                return
            self._apply(command, now)

    def _apply(self, command: Command, now: float) -> None:
        kind = command.kind
        q = self.queues[self.primary if command.queue is None else command.queue]
        if kind == "pause":
            self.state = StreamState.PAUSED
            self._notes.append("paused: buffers are no longer re-queued")
        elif kind == "manual":
            self.state = StreamState.MANUAL
            self._notes.append("manual: buffers move only by hand")
        elif kind == "resume":
            self.state = StreamState.STREAMING
            held = sum(len(x.held) for x in self.queues)
            for x in self.queues:
                while x.held:
                    self._pass_on(x, x.held.popleft(), now)
            self._notes.append(f"resumed: {held} held buffer(s) queued again")
        elif kind == "queue":
            self._queue_one(q, command.index, now)
        elif kind == "dequeue":
            i = q.dequeue(now) if q.streaming else -1
            if i < 0:
                self._notes.append(f"{_qname(q)}: nothing done to dequeue yet")
            else:
                self._notes.append(f"{_qname(q)}: dequeued buffer {i}")
                self._dispatch(q, i, now)
        elif kind == "snapshot":
            pass
        self._dirty = True
        self._snap_now = True

    def _queue_one(self, q: AnyQueue, index: int | None, now: float) -> None:
        if not q.held:
            self._notes.append(f"{_qname(q)}: no buffer is held by the application")
            return
        if index is None:
            index = q.held[0]
        elif index not in q.held:
            self._notes.append(f"{_qname(q)}: buffer {index} is not held by the application")
            return
        q.held.remove(index)
        self._pass_on(q, index, now)
        self._notes.append(f"{_qname(q)}: queued buffer {index}")

    # --- snapshots and cleanup --------------------------------------------------------

    def _snapshot(self, now: float, *, final: bool = False, state: StreamState | None = None,
                  error: MediaError | None = None) -> StreamSnapshot:
        queues = []
        for q in self.queues:
            queues.append(q.snapshot(now, self.query_done and not final and error is None))
        notes, self._notes = tuple(self._notes), []
        snap = StreamSnapshot(
            number=self._number,
            time=now,
            elapsed=now - self._start if self._start else 0.0,
            state=state or self.state,
            queues=tuple(queues),
            primary=self.primary,
            notes=notes,
            error=ErrorInfo.from_error(error) if error is not None else None,
            final=final,
        )
        self._number += 1
        self.last = snap
        return snap

    def _final(self, error: MediaError | None) -> StreamSnapshot:
        state = StreamState.FAILED if error is not None else StreamState.STOPPED
        now = self.clock()
        try:
            return self._snapshot(now, final=True, state=state, error=error)
        except Exception:  # a dead device may refuse even the model reads
            return StreamSnapshot(
                number=self._number, time=now, elapsed=now - self._start if self._start else 0,
                state=state, queues=(), primary=0, notes=tuple(self._notes),
                error=ErrorInfo.from_error(error) if error is not None else None, final=True,
            )

    def _cleanup(self) -> None:
        """STREAMOFF everything first (consumers drop their dma-buf references), then
        unmap/close exports/REQBUFS(0) consumers before producers, then the wake fd."""
        try:
            for q in self.queues:
                q.stream_off()
            for q in reversed(self.queues):
                q.release()
            if self._teardown is not None:
                self._teardown()
        finally:
            with self._wake_lock:
                fd, self._wake_fd = self._wake_fd, -1
            if fd >= 0:
                os.close(fd)
            self._poll = None
            self._masks.clear()


def _qname(q: AnyQueue) -> str:
    from core.abi import v4l2 as v

    return f"{q.path} {'dvb' if isinstance(q, DvbQueue) else v.buf_type_name(q.buf_type)}"


__all__ = ["POLL_TIMEOUT_MS", "Command", "DeviceGone", "Stream"]
