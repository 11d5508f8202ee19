"""The virtual devices' clocks and frame pacer: time moves as the tests say."""

from __future__ import annotations

import threading
import time

from core.virtual.clock import InstantClock, ManualClock, RealClock
from core.virtual.pacing import Pacer


def test_instant_clock_fires_in_deadline_order_and_moves_time() -> None:
    clock = InstantClock(start_ns=1000)
    fired: list[tuple[str, int]] = []
    clock.schedule(3000, lambda: fired.append(("b", clock.now_ns())))
    clock.schedule(2000, lambda: fired.append(("a", clock.now_ns())))
    assert fired == [] and clock.now_ns() == 1000
    clock.settle()
    assert fired == [("a", 2000), ("b", 3000)]
    assert clock.now_ns() == 3000


def test_manual_clock_fires_only_what_is_due() -> None:
    clock = ManualClock(start_ns=0)
    fired: list[int] = []
    for when in (10, 20, 30):
        clock.schedule(when, lambda w=when: fired.append(w))
    clock.settle()
    assert fired == []
    assert clock.advance(25e-9) == 2
    assert fired == [10, 20] and clock.now_ns() == 25
    clock.close()
    assert clock.advance(1) == 0


def test_cancelled_timer_never_fires() -> None:
    clock = InstantClock(start_ns=0)
    fired: list[int] = []
    timer = clock.schedule(5, lambda: fired.append(1))
    timer.cancel()
    clock.settle()
    assert fired == []


def test_real_clock_thread_exists_only_while_timers_are_pending() -> None:
    clock = RealClock()
    done = threading.Event()
    clock.schedule(time.monotonic_ns() + 5_000_000, done.set)
    assert done.wait(2.0)
    deadline = time.monotonic() + 2.0
    while clock._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert clock._thread is None, "the scheduler thread outlived its last timer"
    clock.close()
    assert clock.schedule(0, done.set).cancelled  # closed: nothing runs any more


def _pacer(clock: ManualClock, period_ns: int, work: list[int], ticks: list[int],
           missed: list[int]) -> Pacer:
    return Pacer(lambda: clock, lambda: period_ns, lambda: bool(work),
                 lambda when: (work.pop(), ticks.append(when)),  # type: ignore[func-returns-value]
                 missed.append)


def test_pacer_ticks_once_per_period_while_there_is_work() -> None:
    """30 fps: three buffers complete at 33.3 ms intervals, then the pacer idles."""
    clock = ManualClock(start_ns=0)
    period = 1_000_000_000 // 30
    work, ticks, missed = [1, 2, 3], [], []
    pacer = _pacer(clock, period, work, ticks, missed)
    pacer.start(delay_ns=0)
    clock.advance(0.2)
    assert ticks == [0, period, 2 * period]
    assert missed == [] and work == []
    pacer.stop()


def test_pacer_reports_frames_missed_while_idle() -> None:
    """Work arriving after a gap resumes on the frame grid and counts the missed frames
    (vivid advances its sequence for frames that had no buffer)."""
    clock = ManualClock(start_ns=0)
    period = 10_000_000
    work, ticks, missed = [1], [], []
    pacer = _pacer(clock, period, work, ticks, missed)
    pacer.start(delay_ns=0)
    clock.advance(0.001)
    assert ticks == [0]
    clock.advance(0.1)  # ten frame periods with nothing queued
    work.append(2)
    pacer.kick()
    clock.advance(0.02)
    assert missed == [9]
    assert ticks[1] % period == 0 and ticks[1] >= 100_000_000
    pacer.stop()


def test_pacer_stop_then_start_ignores_the_old_timer() -> None:
    clock = ManualClock(start_ns=0)
    work, ticks, missed = [1, 2], [], []
    pacer = _pacer(clock, 10, work, ticks, missed)
    pacer.start()
    pacer.stop()
    pacer.start()
    clock.advance(1e-6)
    assert len(ticks) == 2  # each item once, none twice from the stale timer
