"""The thread-safe side of a stream: commands any thread may send to the loop.

A command goes into a queue and the loop is woken through an eventfd, so the UI's
pause/step keys act within one loop turn (not at the next 100 ms poll timeout), and
nothing the loop owns is touched from another thread.
"""

from __future__ import annotations

import contextlib
import os
import queue as queue_mod
import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    """A request from another thread; ``queue`` is an index into ``Stream.queues``."""

    kind: str  # "pause", "manual", "resume", "queue", "dequeue", "snapshot", "stop"
    queue: int | None = None
    index: int | None = None


class StreamControl:
    """Pause, resume, step and stop, callable from any thread while the loop runs."""

    def __init__(self) -> None:
        self._commands: queue_mod.SimpleQueue[Command] = queue_mod.SimpleQueue()
        self._stopping = False  # stop() or stop_from_signal() was called (no lock: a bool)
        self._wake_fd = -1  # the loop's eventfd while it runs
        self._wake_lock = threading.Lock()

    def _send(self, command: Command) -> None:
        self._commands.put(command)
        with self._wake_lock:
            if self._wake_fd >= 0:
                with contextlib.suppress(OSError):
                    os.eventfd_write(self._wake_fd, 1)

    def pause(self) -> None:
        """Stop re-queueing: the driver runs out of buffers and starts dropping."""
        self._send(Command("pause"))

    def manual(self) -> None:
        """Stop dequeueing and re-queueing: only :meth:`queue_one`/:meth:`dequeue_one` act."""
        self._send(Command("manual"))

    def resume(self) -> None:
        """Back to streaming: every held buffer is queued again."""
        self._send(Command("resume"))

    def queue_one(self, queue: int | None = None, index: int | None = None) -> None:
        """Pass one held buffer on (the oldest, or ``index``) on queue ``queue``."""
        self._send(Command("queue", queue, index))

    def dequeue_one(self, queue: int | None = None) -> None:
        """DQBUF one buffer by hand (it is held while paused or manual)."""
        self._send(Command("dequeue", queue))

    def request_snapshot(self) -> None:
        """Have the loop produce a snapshot now (it answers every command with one)."""
        self._send(Command("snapshot"))

    def stop(self) -> None:
        """Stop from any thread (same as setting the Event passed to ``run``)."""
        self._stopping = True
        self._send(Command("stop"))

    def stop_from_signal(self) -> None:
        """:meth:`stop` for a signal handler, taking no lock: a handler runs in the main
        thread between two bytecodes, possibly while that thread holds the wake lock
        (``run`` creates and closes the eventfd under it), and would wait for itself
        forever (core.wakeup).  Sets a flag and writes the eventfd as it is now; the
        main thread that runs the loop is the one interrupted, so the fd cannot be
        closed under the write.  Not for other threads: use :meth:`stop`."""
        self._stopping = True
        fd = self._wake_fd
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.eventfd_write(fd, 1)

    def _stop_requested(self) -> bool:
        """The stream's own stop: :meth:`stop` or :meth:`stop_from_signal` was called."""
        return self._stopping


__all__ = ["Command", "StreamControl"]
