"""The virtual devices' trace events: what the kernel's v4l2/vb2 tracepoints record.

The virtual V4L2 layer (``v4l2.py``) and vb2 queue (``vb2.py``) call :func:`emit` at
the points where Linux 6.1 fires ``v4l2_qbuf``/``v4l2_dqbuf`` (after the ioctl, with
the minor) and ``vb2_qbuf``/``vb2_buf_queue``/``vb2_buf_done``/``vb2_dqbuf`` (inside
vb2, with the owner, the queued and owned-by-driver counts, no minor), in the calling
thread's context, so the observer's trace model runs unchanged on ``--demo``.

Nothing is recorded while nobody listens (:func:`subscribe`), like a disabled
tracepoint.  ``register_process`` lets a simulated client give its threads a process
id and command line (the virtual equivalent of /proc).
"""

from __future__ import annotations

import queue
import threading
import time

from core.observe.events import BufferEvent, EventKind

_lock = threading.Lock()
_subscribers: list[queue.SimpleQueue[BufferEvent]] = []
_processes: dict[int, tuple[int, str]] = {}
active = False


def subscribe() -> queue.SimpleQueue[BufferEvent]:
    """A queue receiving every record from now on (until :func:`unsubscribe`)."""
    global active
    q: queue.SimpleQueue[BufferEvent] = queue.SimpleQueue()
    with _lock:
        _subscribers.append(q)
        active = True
    return q


def unsubscribe(q: queue.SimpleQueue[BufferEvent]) -> None:
    global active
    with _lock:
        if q in _subscribers:
            _subscribers.remove(q)
        active = bool(_subscribers)


def register_process(tid: int, tgid: int, cmdline: str) -> None:
    with _lock:
        _processes[tid] = (tgid, cmdline)


def forget_process(tid: int) -> None:
    with _lock:
        _processes.pop(tid, None)


def describe(tid: int) -> tuple[int, str] | None:
    """``(tgid, cmdline)`` of a simulated client's thread, else None."""
    with _lock:
        return _processes.get(tid)


def emit(kind: EventKind, *, minor: int = -1, index: int, buf_type: int,
         bytesused: int = 0, flags: int = 0, field: int = 0, timestamp_ns: int = 0,
         sequence: int = 0, owner: str = "", queued: int = -1, in_driver: int = -1) -> None:
    """Record one event in the calling thread's context (CLOCK_MONOTONIC time)."""
    thread = threading.current_thread()
    ev = BufferEvent(time.monotonic_ns(), kind, minor, index, buf_type, bytesused, flags,
                     field, timestamp_ns, sequence, threading.get_native_id(),
                     thread.name[:15], owner, queued, in_driver)
    with _lock:
        targets = list(_subscribers)
    for q in targets:
        q.put(ev)


__all__ = ["describe", "emit", "register_process", "subscribe", "unsubscribe"]
