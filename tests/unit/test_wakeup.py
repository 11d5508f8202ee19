"""core.wakeup.SignalSafeEvent: a stop flag a SIGINT handler can set (mediatui attach)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from interrupt import interrupt

from core.wakeup import SignalSafeEvent

REPO = Path(__file__).resolve().parents[2]


def test_set_wait_and_timeout():
    with SignalSafeEvent() as ev:
        assert not ev.is_set()
        t0 = time.monotonic()
        assert ev.wait(0.05) is False
        assert time.monotonic() - t0 >= 0.04
        ev.set()
        ev.set()
        assert ev.is_set() and ev.wait(10) is True and ev.wait(None) is True
    ev.set()  # after close: the flag still works, the write is skipped
    ev.close()
    closed = SignalSafeEvent()
    closed.close()
    t0 = time.monotonic()
    assert closed.wait(5.0) is False  # no poll on a closed (maybe reused) fd number
    assert time.monotonic() - t0 < 1.0


def test_a_signal_handler_wakes_a_waiting_loop():
    """The handler runs while wait() sleeps in poll(); the retried poll wakes at once."""
    ev = SignalSafeEvent()
    previous = signal.signal(signal.SIGALRM, lambda *_: ev.set())
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        assert ev.wait(10.0) is True
        assert time.monotonic() - t0 < 2.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        ev.close()


LOOP = """
import signal, sys
from core.wakeup import SignalSafeEvent
ev = SignalSafeEvent()
signal.signal(signal.SIGINT, lambda *_: ev.set())
print("ready", flush=True)
while not ev.wait(0.0001):
    pass
print("stopped", flush=True)
"""


def test_sigint_always_stops_a_busy_wait_loop():
    """threading.Event.set() in the handler hung this loop in 2 of 80 runs (the handler
    blocked on the lock its own thread held inside Event.wait); here none may hang."""
    for i in range(25):
        proc = subprocess.Popen([sys.executable, "-c", LOOP], cwd=REPO, text=True,
                                stdout=subprocess.PIPE)
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        out, _ = interrupt(proc, after_s=0.002 * (i % 7), timeout_s=10,
                           what=f"run {i}: the loop")
        assert out == "stopped\n" and proc.returncode == 0


def test_stream_stop_from_signal_takes_no_lock():
    """mediatui stream's Ctrl-C: the handler may interrupt the main thread while it
    holds the stream's wake lock (the eventfd is made and closed under it); stop() would
    then wait for itself. stop_from_signal() must return and still stop the loop."""
    import os as _os

    from core.stream.control import StreamControl

    control = StreamControl()
    control._wake_fd = _os.eventfd(0, _os.EFD_NONBLOCK | _os.EFD_CLOEXEC)
    try:
        with control._wake_lock:  # what the interrupted main thread may hold
            control.stop_from_signal()
        assert control._stop_requested()
        assert _os.eventfd_read(control._wake_fd) == 1  # the loop's poll is woken
    finally:
        _os.close(control._wake_fd)
        control._wake_fd = -1
    idle = StreamControl()
    idle.stop_from_signal()  # before run() made the eventfd: the flag alone
    assert idle._stop_requested()
