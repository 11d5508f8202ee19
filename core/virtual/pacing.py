"""Frame pacing: one callback per frame period while the driver has work.

vivid's kernel thread wakes once per frame whether or not a buffer is queued; a frame
with no buffer is dropped and the sequence number still advances, which is how a real
capture driver shows starvation (pain point 9).  The :class:`Pacer` does the same
without a thread spinning through idle frames: it is armed only while work is waiting,
and when it is re-armed after an idle gap it reports the frame periods that passed
(``missed``), so the driver can advance its sequence as vivid would.  On the instant
clock no real time passes, so no frame is ever dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from core.virtual.clock import Clock, Timer


class Pacer:
    """Calls ``tick(time_ns)`` every ``period_ns`` while ``ready()`` is true."""

    def __init__(
        self,
        clock: Callable[[], Clock],
        period_ns: Callable[[], int],
        ready: Callable[[], bool],
        tick: Callable[[int], None],
        missed: Callable[[int], None] = lambda n: None,
        *,
        lock: threading.Condition | None = None,
    ) -> None:
        # The driver's lock (set again when its node joins a backend).
        self.lock = lock or threading.Condition(threading.RLock())
        self._clock = clock
        self._period_ns = period_ns
        self._ready = ready
        self._tick = tick
        self._missed = missed
        self._timer: Timer | None = None
        self._next_ns: int | None = None
        self._generation = 0  # a timer from before stop() must not fire after start()

    @property
    def running(self) -> bool:
        return self._next_ns is not None

    def start(self, delay_ns: int | None = None) -> None:
        """Begin pacing: the first frame is one period (or ``delay_ns``) from now."""
        now = self._clock().now_ns()
        self._next_ns = now + (self._period_ns() if delay_ns is None else delay_ns)
        self.kick()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._next_ns = None
        self._generation += 1

    def kick(self) -> None:
        """Work may have arrived: arm for the next frame time if not armed already."""
        if self._next_ns is None or self._timer is not None or not self._ready():
            return
        clock = self._clock()
        now = clock.now_ns()
        period = max(self._period_ns(), 1)
        if now > self._next_ns + period:
            # Idle for a while: the frames in between were dropped, as in vivid.
            missed = (now - self._next_ns) // period
            self._next_ns += missed * period
            self._missed(missed)
        generation = self._generation
        self._timer = clock.schedule(max(self._next_ns, now), lambda: self._fire(generation))

    def _fire(self, generation: int) -> None:
        # Clock threads call in here: take the driver's lock like an interrupt handler
        # takes the driver's spinlock.
        with self.lock:
            if generation != self._generation:
                return
            self._timer = None
            if self._next_ns is None:
                return
            when = self._next_ns
            self._next_ns = when + max(self._period_ns(), 1)
            self._tick(when)
            self.kick()


__all__ = ["Pacer"]
