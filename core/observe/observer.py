"""Attach to a node: pick a source, run the read loop, hand out snapshots.

Source choice (``source="auto"``): the virtual devices' events for a virtual node;
otherwise the tracepoints (:class:`~core.observe.tracefs.TraceSource`), and when
tracefs is absent, unmounted or not permitted, QUERYBUF sampling
(:class:`~core.observe.sampler.SampleSource`), with the reason kept in
:attr:`Observer.fallback`.  ``"trace"`` or ``"sample"`` insist on one.

DVB demux/dvr buffers (``dvb_vb2.c``) use vb2 but not the V4L2 ioctl layer: no
``v4l2_qbuf``/``v4l2_dqbuf`` record names their device (the vb2 core records name no
device), and each demux file handle has its own queue, so another handle's
DMX_QUERYBUF sees nothing: they cannot be observed.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

from core import ioctl as chokepoint
from core.observe.events import BufferEvent
from core.observe.model import ObservedStream, ProcessResolver
from core.observe.observed import AttachSnapshot
from core.observe.procs import describe_pid
from core.observe.sampler import SampleSource, SampleUnavailable
from core.observe.tracefs import TraceSource, TraceUnavailable
from core.stream.snapshot import StreamState
from core.wakeup import StopFlag

SOURCES = ("auto", "trace", "sample")
_DVB = re.compile(r"/dev/dvb/adapter\d+/(demux|dvr)\d+$")
TRACE_PERIOD_S = 0.05  # trace pipe read period: bounds how late starvation is seen

AttachSink = Callable[[AttachSnapshot], None]


class AttachError(Exception):
    """Attaching is impossible; the message says why (and what would work)."""


class _EventSource(Protocol):
    name: str

    def read(self) -> tuple[list[BufferEvent], int]: ...

    def close(self) -> None: ...


def device_minor(path: str) -> int:
    """The node's char-device minor (the ``minor`` the v4l2 events carry)."""
    backend = chokepoint.backend_for_path(path)
    if backend is not None:
        node = backend.node(path)  # type: ignore[attr-defined]
        return int(node.minor or 0)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise AttachError(f"{path}: {os.strerror(exc.errno or 0)}") from None
    if not (st.st_mode & 0o170000 == 0o020000):
        raise AttachError(f"{path} is not a character device")
    return os.minor(st.st_rdev)


class Observer:
    """Observe ``path`` until stopped or ``duration`` seconds.

    ``rate_hz`` is the sampling source's QUERYBUF rounds per second (the trace
    source reads its pipe every 50 ms); ``snapshot_interval`` how often the sink is
    called; ``record`` keeps every transition for a Perfetto trace.
    """

    def __init__(self, path: str, *, source: str = "auto", rate_hz: float = 20.0,
                 snapshot_interval: float = 1.0, duration: float | None = None,
                 record: bool = False) -> None:
        if source not in SOURCES:
            raise ValueError(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
        if not rate_hz > 0:
            raise ValueError(f"--rate must be > 0 (rounds per second), not {rate_hz}")
        if _DVB.search(path):
            raise AttachError(
                f"{path}: DVB buffers go through vb2 but not the V4L2 ioctl layer, so no "
                "v4l2_qbuf/v4l2_dqbuf record names the device (the vb2 core records name "
                "none), and each demux file handle has its own queue, so DMX_QUERYBUF from "
                "another handle sees nothing: a DVB stream cannot be observed from outside")
        self.path = path
        self.want = source
        self.rate_hz = rate_hz
        self.interval = snapshot_interval
        self.duration = duration
        self.record = record
        self.fallback: str | None = None
        self.removed_stale: list[str] = []
        self.leftover: str | None = None
        self.minor = device_minor(path)
        self._events: _EventSource | None = None
        self._sampler: SampleSource | None = None
        self.model: ObservedStream | None = None
        self.last: AttachSnapshot | None = None

    @property
    def source(self) -> str:
        if self._events is not None:
            return self._events.name
        return "sample"

    def open(self) -> None:
        """Choose and start the source. Raises AttachError or MediaError."""
        resolve: ProcessResolver = describe_pid
        if chokepoint.backend_for_path(self.path) is not None and self.want != "sample":
            from core.observe.virtual import VirtualTraceSource
            from core.virtual import tracebus

            self._events = VirtualTraceSource(self.minor)

            def resolve(pid: int) -> tuple[int, str] | None:
                return tracebus.describe(pid)
        elif self.want != "sample":
            try:
                src = TraceSource(self.minor)
                self.removed_stale = src.removed_stale
                self._events = src
            except TraceUnavailable as exc:
                if self.want == "trace":
                    raise AttachError(f"trace source: {exc}") from None
                self.fallback = f"tracepoints unavailable ({exc}); sampling QUERYBUF instead"
        if self._events is None:
            try:
                self._sampler = SampleSource(self.path)
            except SampleUnavailable as exc:
                why = f"{self.fallback.split(';')[0]}, and sampling cannot work: " \
                    if self.fallback else ""
                raise AttachError(f"{why}{exc}") from None
            if not self._sampler.types:
                self._sampler.close()
                raise AttachError(f"{self.path} has no video or meta buffer queue")
        self.model = ObservedStream(self.path, self.minor, source=self.source,
                                    approximate=self._events is None, resolve=resolve,
                                    start_ns=time.monotonic_ns())
        if self.record:
            self.model.record = True

    def run(self, stop: StopFlag | None = None,
            sink: AttachSink | None = None) -> AttachSnapshot:
        """The read loop (blocking: call it from a worker thread in a UI) until *stop*
        is set or the duration ends; the final snapshot.  A stop set from a signal
        handler must be a core.wakeup.SignalSafeEvent (threading.Event.set() there
        can deadlock with this loop's wait)."""
        if self.model is None:
            self.open()
        assert self.model is not None
        stop = stop or threading.Event()
        start = self.model.start_ns
        next_snap = start + int(self.interval * 1e9)
        period = TRACE_PERIOD_S if self._events is not None else 1.0 / self.rate_hz
        end = None if self.duration is None else start + int(self.duration * 1e9)
        try:
            while True:
                now = time.monotonic_ns()
                self._poll(now)
                if end is not None and now >= end:
                    break
                if now >= next_snap:
                    self.last = self.model.freeze(now)
                    if sink is not None:
                        sink(self.last)
                    next_snap += int(self.interval * 1e9)
                wait = period
                if end is not None:
                    wait = min(wait, max(0.0, (end - now) / 1e9))
                if stop.wait(wait):
                    break
            now = time.monotonic_ns()
            self._poll(now)
            state = None if stop.is_set() or end is not None else StreamState.STOPPED
            self.last = self.model.freeze(now, final=True, state=state)
            if sink is not None:
                sink(self.last)
            return self.last
        finally:
            self.close()

    def _poll(self, now: int) -> None:
        model = self.model
        assert model is not None
        if self._events is not None:
            events, lost = self._events.read()
            for ev in events:
                model.feed(ev, now)
            if lost:
                model.lost_events(lost)
        elif self._sampler is not None:
            for s in self._sampler.read(now / 1e9):
                model.lane(s.buf_type, now).sample(
                    s.index, s.status, s.flags, s.sequence, s.timestamp, s.field,
                    s.bytesused, now)

    def close(self) -> None:
        """Stop the source: the tracefs instance is removed, the node closed.  When
        the instance could not be removed, :attr:`leftover` says why."""
        if self._events is not None:
            self._events.close()
            self.leftover = getattr(self._events, "leftover", None)
        if self._sampler is not None:
            self._sampler.close()


__all__ = ["SOURCES", "AttachError", "Observer", "device_minor"]
