"""What an observer hands its caller: the stream snapshot the ``stream`` views already
render, plus what only observing can tell (who queues and dequeues, hold times,
starvation intervals, the source and whether its numbers are exact).

Frozen, slotted values only: safe to pass between threads and to the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.stream.snapshot import StreamSnapshot


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """A thread seen queueing or dequeueing, with its process's command line."""

    pid: int  # the thread id the trace record carries
    tgid: int | None  # its process (None when it is gone)
    comm: str
    cmdline: str | None  # /proc/TGID/cmdline, arguments joined by spaces
    qbuf: int  # VIDIOC_QBUF calls seen
    dqbuf: int  # VIDIOC_DQBUF calls seen


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Durations in seconds over every completed interval seen."""

    count: int
    p50_s: float | None
    p99_s: float | None
    max_s: float | None


@dataclass(frozen=True, slots=True)
class Starvation:
    """An interval with no buffer in the driver while streaming."""

    start_ns: int  # CLOCK_MONOTONIC, from the event that emptied the driver
    end_ns: int | None  # None while it lasts
    detected_ns: int  # CLOCK_MONOTONIC when the observer saw it

    @property
    def duration_s(self) -> float | None:
        return None if self.end_ns is None else (self.end_ns - self.start_ns) / 1e9


@dataclass(frozen=True, slots=True)
class LaneInfo:
    """One observed queue: timing the stream snapshot does not carry."""

    buf_type: int
    queue: str  # the kernel's name of the buffer type, e.g. "VIDEO_CAPTURE"
    driver: Percentiles  # QBUF -> done: the driver holds the buffer
    held: Percentiles  # done -> next QBUF: out of the driver (done list plus the application)
    app: Percentiles  # DQBUF -> next QBUF: with the application
    starvations: tuple[Starvation, ...]
    streaming: bool
    stops: int  # times the owner stopped (STREAMOFF seen)
    qbuf: int = 0  # VIDIOC_QBUF calls seen on this queue (trace sources)
    dqbuf: int = 0  # VIDIOC_DQBUF calls seen on this queue (trace sources)


@dataclass(frozen=True, slots=True)
class AttachSnapshot:
    """An observed stream at one moment."""

    stream: StreamSnapshot
    source: str  # "trace" (kernel tracepoints), "sample" (QUERYBUF) or "virtual-trace"
    approximate: bool  # True for sampling: occupancy and states, not every frame
    lanes: tuple[LaneInfo, ...]
    processes: tuple[ProcessInfo, ...]
    events: int  # records consumed
    lost_events: int  # records the kernel dropped (ring buffer overrun)
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        lanes: list[dict[str, Any]] = []
        out: dict[str, Any] = {
            "source": self.source,
            "approximate": self.approximate,
            "events": self.events,
            "lost_events": self.lost_events,
            "notes": list(self.notes),
            "processes": [asdict(p) for p in self.processes],
            "lanes": lanes,
        }
        for lane in self.lanes:
            d = asdict(lane)
            d["starvations"] = [
                {"start_ns": s.start_ns, "end_ns": s.end_ns, "detected_ns": s.detected_ns,
                 "duration_s": s.duration_s} for s in lane.starvations
            ]
            lanes.append(d)
        return out


__all__ = ["AttachSnapshot", "LaneInfo", "Percentiles", "ProcessInfo", "Starvation"]
