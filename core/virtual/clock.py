"""Time for the virtual devices: when frames complete and what their timestamps say.

A real driver completes buffers from an interrupt or a kernel thread at the frame
rate; the virtual drivers instead ask a :class:`Clock` to call them back at a deadline.
Three clocks cover what the project needs:

* :class:`RealClock` (demo mode): ``CLOCK_MONOTONIC`` and one scheduler thread that
  exists only while something is scheduled, so nothing is left running after
  STREAMOFF or close;
* :class:`InstantClock` (fast tests): virtual time that jumps straight to the next
  deadline; the backend calls :meth:`Clock.settle` after every ioctl, so a queued
  buffer is complete by the time the ioctl returns, with the timestamp it would have
  had at the configured frame rate;
* :class:`ManualClock` (pacing tests): virtual time that moves only when the test calls
  :meth:`ManualClock.advance`.

Timestamps are nanoseconds on the monotonic clock, the clock vb2 stamps buffers with
(``V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC``, K12/K13 context).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Protocol

Callback = Callable[[], None]


class Timer:
    """A scheduled callback; :meth:`cancel` is idempotent and safe from any thread."""

    __slots__ = ("callback", "cancelled", "when_ns")

    def __init__(self, when_ns: int, callback: Callback) -> None:
        self.when_ns = when_ns
        self.callback: Callback | None = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self.callback = None


class Clock(Protocol):
    """What the virtual drivers need from time."""

    def now_ns(self) -> int:
        """Monotonic time in nanoseconds."""

    def schedule(self, when_ns: int, callback: Callback) -> Timer:
        """Call ``callback`` (from whatever thread the clock uses) at ``when_ns``."""

    def settle(self) -> None:
        """Run what is due now; the backend calls this after every ioctl."""

    def close(self) -> None:
        """Cancel everything and stop any thread."""


class _TimerHeap:
    """Deadline-ordered timers (ties keep scheduling order)."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Timer]] = []
        self._seq = itertools.count()

    def push(self, timer: Timer) -> None:
        heapq.heappush(self._heap, (timer.when_ns, next(self._seq), timer))

    def peek(self) -> Timer | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][2] if self._heap else None

    def pop(self) -> Timer:
        return heapq.heappop(self._heap)[2]

    def clear(self) -> None:
        for _, _, timer in self._heap:
            timer.cancel()
        self._heap.clear()


def _fire(timer: Timer) -> None:
    callback = timer.callback
    timer.cancel()
    if callback is not None:
        callback()


class RealClock:
    """Wall-clock pacing for demo mode: one daemon thread while timers are pending."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._timers = _TimerHeap()
        self._thread: threading.Thread | None = None
        self._closed = False

    def now_ns(self) -> int:
        return time.monotonic_ns()

    def schedule(self, when_ns: int, callback: Callback) -> Timer:
        timer = Timer(when_ns, callback)
        with self._cond:
            if self._closed:
                timer.cancel()
                return timer
            self._timers.push(timer)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="mediatui-virtual-clock", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return timer

    def settle(self) -> None:
        """Nothing to do: the scheduler thread runs timers when they are due."""

    def _run(self) -> None:
        while True:
            with self._cond:
                timer = self._timers.peek()
                while timer is not None and timer.when_ns > time.monotonic_ns():
                    # Wake at the deadline or when an earlier timer arrives.
                    self._cond.wait((timer.when_ns - time.monotonic_ns()) / 1e9)
                    timer = self._timers.peek()
                if timer is None or self._closed:
                    # Nothing pending: exit, a later schedule() starts a new thread.
                    self._thread = None
                    return
                self._timers.pop()
            _fire(timer)

    def pending(self) -> int:
        with self._cond:
            return sum(1 for _, _, t in self._timers._heap if not t.cancelled)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._timers.clear()
            thread = self._thread
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)


class _VirtualClock:
    """Shared by the instant and the manual clock: time is a number we move."""

    # A bound on callbacks per settle: a driver that re-arms forever is a bug, and a
    # test should fail with a message rather than hang.
    MAX_CALLBACKS = 1_000_000

    def __init__(self, start_ns: int | None = None) -> None:
        self._lock = threading.RLock()
        self._now = time.monotonic_ns() if start_ns is None else start_ns
        self._timers = _TimerHeap()
        # One thread fires at a time, so callbacks see time move forward only.
        self._firing = threading.RLock()

    def now_ns(self) -> int:
        with self._lock:
            return self._now

    def schedule(self, when_ns: int, callback: Callback) -> Timer:
        timer = Timer(when_ns, callback)
        with self._lock:
            self._timers.push(timer)
        return timer

    def _run_until(self, limit_ns: int | None) -> int:
        """Fire timers in deadline order up to ``limit_ns`` (None: until none is left)."""
        with self._firing:
            return self._fire_until(limit_ns)

    def _fire_until(self, limit_ns: int | None) -> int:
        fired = 0
        while True:
            with self._lock:
                timer = self._timers.peek()
                if timer is None or (limit_ns is not None and timer.when_ns > limit_ns):
                    if limit_ns is not None:
                        self._now = max(self._now, limit_ns)
                    return fired
                self._timers.pop()
                self._now = max(self._now, timer.when_ns)
            _fire(timer)
            fired += 1
            if fired > self.MAX_CALLBACKS:
                raise RuntimeError("virtual clock: a driver keeps re-arming its timer")

    def pending(self) -> int:
        with self._lock:
            return sum(1 for _, _, t in self._timers._heap if not t.cancelled)

    def close(self) -> None:
        with self._lock:
            self._timers.clear()


class InstantClock(_VirtualClock):
    """Frames complete as soon as a buffer is there to take them, in virtual time."""

    def settle(self) -> None:
        self._run_until(None)


class ManualClock(_VirtualClock):
    """Nothing happens until the test moves time forward."""

    def settle(self) -> None:
        self._run_until(self.now_ns())

    def advance(self, seconds: float) -> int:
        """Move time forward, firing every timer that falls due; returns how many fired."""
        return self._run_until(self.now_ns() + round(seconds * 1e9))


__all__ = ["Callback", "Clock", "InstantClock", "ManualClock", "RealClock", "Timer"]
