"""A stop flag that a signal handler may set.

``threading.Event.set()`` takes the event's lock.  A SIGINT handler runs in the main
thread between two bytecodes, so when the main thread is itself inside
``Event.wait()`` (which holds that lock around its bookkeeping before and after the
timed wait) the handler's ``set()`` blocks on a lock its own thread holds, forever.
With other threads in the process the kernel may deliver SIGINT to one of them: the
main thread's timed wait is then not interrupted, and the handler runs as that wait
ends, right in the bookkeeping that holds the lock.  ``mediatui attach`` waited that
way in its read loop: in one kernel-tier run, two of its tests hung for the 60 s they
allowed after Ctrl-C; on the host, a loop of ``Event.wait(0.0001)`` hung after SIGINT
in 2 of 80 runs.

:class:`SignalSafeEvent` keeps the three methods the loops use (``set``, ``is_set``,
``wait``) with no Python lock: ``set()`` stores a bool and writes an eventfd (both
async-signal-safe), ``wait()`` polls the eventfd.  ``poll()`` interrupted by the
signal returns to Python, which runs the handler, and the retried poll (PEP 475) sees
the eventfd readable at once; a wait the signal did not interrupt sees the flag when
it ends.
"""

from __future__ import annotations

import contextlib
import os
import select
from types import TracebackType
from typing import Protocol


class StopFlag(Protocol):
    """What a read loop needs of its stop signal: ``threading.Event`` or
    :class:`SignalSafeEvent`."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class SignalSafeEvent:
    """``set``/``is_set``/``wait(timeout_s)`` like ``threading.Event``, settable from a
    signal handler.  Owns one eventfd: :meth:`close` it (or use ``with``).  Raises
    OSError from ``eventfd(2)`` when the process is out of fds."""

    def __init__(self) -> None:
        self._flag = False
        self._fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self._poll = select.poll()
        self._poll.register(self._fd, select.POLLIN)

    def set(self) -> None:
        self._flag = True
        if self._fd < 0:
            return  # closed: the flag is what counts, wait() reads it first
        with contextlib.suppress(OSError):  # EAGAIN: the counter is saturated
            os.eventfd_write(self._fd, 1)

    def is_set(self) -> bool:
        return self._flag

    def wait(self, timeout: float | None = None) -> bool:
        """Block until :meth:`set` or *timeout* seconds (None: no limit); the flag."""
        if self._flag or self._fd < 0:  # closed: its fd number may belong to another file
            return self._flag
        ms = None if timeout is None else max(0, int(timeout * 1000))
        self._poll.poll(ms)
        return self._flag

    def close(self) -> None:
        """Close the eventfd (idempotent); later ``wait()`` calls return the flag at once."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            self._poll.unregister(fd)
            os.close(fd)

    def __enter__(self) -> SignalSafeEvent:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


__all__ = ["SignalSafeEvent", "StopFlag"]
