"""The trace source of the virtual devices (``--demo``): the same records as tracefs.

:mod:`core.virtual.tracebus` delivers them; vb2 core records carry no minor there
either, so the model's matching of owners to the device runs as on the kernel.
"""

from __future__ import annotations

import queue

from core.observe.events import BufferEvent
from core.virtual import tracebus


class VirtualTraceSource:
    """Subscribes to the virtual devices' events until :meth:`close`."""

    name = "virtual-trace"

    def __init__(self, minor: int) -> None:
        self.minor = minor
        self.removed_stale: list[str] = []
        self._q: queue.SimpleQueue[BufferEvent] | None = tracebus.subscribe()

    def read(self) -> tuple[list[BufferEvent], int]:
        out: list[BufferEvent] = []
        q = self._q
        if q is None:
            return out, 0
        while True:
            try:
                out.append(q.get_nowait())
            except queue.Empty:
                return out, 0

    def close(self) -> None:
        if self._q is not None:
            tracebus.unsubscribe(self._q)
            self._q = None


__all__ = ["VirtualTraceSource"]
