"""What the streaming loop hands its caller: frozen, slotted values, safe across threads.

A :class:`StreamSnapshot` is produced at a bounded rate (≤ 10 Hz by default) and once
more when the loop ends.  It holds no buffer memory, no ctypes struct and no fd that
the receiver could use: only numbers, strings and :class:`core.queue.BufferState`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from core.abi import v4l2 as v
from core.compat import StrEnum
from core.dvb_stats import FrontendStats
from core.errors import MediaError
from core.queue import BufferState


class StreamState(StrEnum):
    STREAMING = "streaming"
    PAUSED = "paused"  # re-queueing stopped: the driver starves once it has used its buffers
    MANUAL = "manual"  # neither dequeueing nor re-queueing: only the step commands move buffers
    STOPPED = "stopped"  # ended normally (stop event, frame count or duration reached)
    FAILED = "failed"  # ended with an error (device gone, queue error…)


@dataclass(frozen=True, slots=True)
class DepthStats:
    """Buffers queued in the driver (from the application's side) and starvation."""

    in_driver: int
    starved: bool  # nothing queued right now: the driver has nowhere to put a frame
    starvations: int  # times the count fell to 0 while streaming
    starved_s: float  # total time with nothing queued
    history: tuple[int, ...]  # per snapshot period, the lowest count seen


@dataclass(frozen=True, slots=True)
class StreamStats:
    """One video queue's frame statistics (see :class:`core.stream.stats.FrameStats`)."""

    frames: int
    bytes: int
    fps: float | None  # from buffer timestamps over the sliding window
    fps_arrival: float | None  # from the loop's clock when each buffer was dequeued
    fps_overall: float | None  # arrival-based, since the first buffer
    drops: int  # from sequence gaps (fields, with V4L2_FIELD_ALTERNATE)
    drops_while_queued: int  # of those, lost although the driver always had a buffer queued
    errors: int  # buffers with V4L2_BUF_FLAG_ERROR
    first_sequence: int | None
    last_sequence: int | None
    sequence_resets: int
    sequence_repeats: int
    sequence_stuck: bool  # every sequence number was 0
    zero_timestamps: int
    nonmonotonic_timestamps: int
    timestamp_type: str  # "monotonic", "copy", "unknown" ("" before the first buffer)
    timestamp_source: str  # "eof" or "soe"
    since_last_frame: float | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TsStreamStats:
    """A DVB demux/dvr stream: bytes, TS packets and their integrity."""

    buffers: int
    bytes: int
    packets: int
    bytes_per_s: float | None
    packets_per_s: float | None
    sync_losses: int
    cc_errors: int
    cc_errors_by_pid: tuple[tuple[int, int], ...]
    duplicates: int
    tei_packets: int
    pid_packets: tuple[tuple[int, int], ...]  # (pid, packets) for every PID seen
    dmx_flags: tuple[tuple[str, int], ...]  # dmx_buffer.flags bit name -> buffers with it
    since_last_buffer: float | None
    # Why nothing arrives, e.g. "no packet for 3.0 s: the frontend is not tuned or not
    # locked (frontend0 status: none)" (core.stream.stall).
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One queue of the stream: where every buffer is, and its statistics."""

    path: str
    buf_type: int  # V4L2_BUF_TYPE_*, or 0 for a DVB queue
    role: str  # "capture", "output" or "dvb"
    memory: str  # "mmap", "dmabuf"…
    buffers: tuple[BufferState, ...]
    depth: DepthStats
    stats: StreamStats | None  # video queues
    ts: TsStreamStats | None = None  # DVB queues
    source: str | None = None  # where imported dma-bufs come from, e.g. "heap /dev/dma_heap/system"
    # DVB queues: the adapter's frontend statistics (DTV_STAT_*) at most ~0.5 s old, None
    # when no frontend could be read (frontend_error says why).
    frontend: FrontendStats | None = None
    frontend_error: str | None = None

    @property
    def name(self) -> str:
        return "dvb" if self.role == "dvb" else v.buf_type_name(self.buf_type)

    @property
    def with_app(self) -> int:
        return sum(1 for b in self.buffers if b.status in ("dequeued", "prepared", "error"))

    @property
    def queued(self) -> int:
        return sum(1 for b in self.buffers if b.status == "queued")

    @property
    def done(self) -> int:
        return sum(1 for b in self.buffers if b.status == "done")

    @property
    def frames(self) -> int:
        if self.stats is not None:
            return self.stats.frames
        return self.ts.buffers if self.ts is not None else 0


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A :class:`core.errors.MediaError` as plain values (exceptions are not frozen)."""

    kind: str  # the MediaError subclass, e.g. "DeviceGone"
    path: str | None
    ioctl: str | None
    errno: int | None
    errno_name: str | None
    title: str
    explanation: str

    @classmethod
    def from_error(cls, exc: MediaError) -> ErrorInfo:
        return cls(type(exc).__name__, exc.path, exc.ioctl, exc.errno, exc.errno_name or None,
                   exc.title, exc.explanation)

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        what = f"{self.ioctl} " if self.ioctl else ""
        code = f"failed with {self.errno_name}: " if self.errno_name else ""
        return f"{where}{what}{code}{self.title}. {self.explanation}"


@dataclass(frozen=True, slots=True)
class StreamSnapshot:
    """The stream at one moment; ``final`` is set on the last one, after cleanup."""

    number: int  # 0, 1, 2… in the order produced
    time: float  # the loop's clock
    elapsed: float  # since streaming started
    state: StreamState
    queues: tuple[QueueSnapshot, ...]
    primary: int  # index in ``queues`` of the queue whose frames are "the" frames
    notes: tuple[str, ...] = ()  # outcomes of step commands since the last snapshot
    error: ErrorInfo | None = None
    final: bool = False

    @property
    def main(self) -> QueueSnapshot:
        return self.queues[self.primary]

    @property
    def frames(self) -> int:
        return self.main.frames

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (``snapshot`` in ``mediatui.stream/1``).

        Times carry their unit (``time_s``, ``elapsed_s``, ``since_last_frame_s``,
        buffers' ``timestamp_s``); ``buf_type`` and buffer ``field`` are names; per-PID
        counters are ``[{"pid": int, "count": int}]``, ``dmx_flags`` ``{name: buffers}``.
        """
        out: dict[str, Any] = {
            "number": self.number,
            "time_s": self.time,
            "elapsed_s": self.elapsed,
            "state": str(self.state),
            "queues": [_queue_dict(q) for q in self.queues],
            "primary": self.primary,
            "notes": list(self.notes),
            "error": asdict(self.error) if self.error is not None else None,
            "final": self.final,
        }
        return out


def _queue_dict(q: QueueSnapshot) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": q.path,
        "buf_type": q.name,
        "role": q.role,
        "memory": q.memory,
        "source": q.source,
        "buffer_states": [_buffer_dict(b) for b in q.buffers],
        "depth": asdict(q.depth),
        "stats": None,
        "ts": None,
    }
    out["depth"]["history"] = list(q.depth.history)
    if q.stats is not None:
        stats = asdict(q.stats)
        stats["since_last_frame_s"] = stats.pop("since_last_frame")
        stats["warnings"] = list(q.stats.warnings)
        out["stats"] = stats
    if q.ts is not None:
        t = q.ts
        out["ts"] = {
            "frames": t.buffers,
            "bytes": t.bytes,
            "packets": t.packets,
            "bytes_per_s": t.bytes_per_s,
            "packets_per_s": t.packets_per_s,
            "sync_losses": t.sync_losses,
            "cc_errors": t.cc_errors,
            "cc_errors_by_pid": per_pid(t.cc_errors_by_pid),
            "duplicates": t.duplicates,
            "tei_packets": t.tei_packets,
            "pid_packets": per_pid(t.pid_packets),
            "dmx_flags": dict(t.dmx_flags),
            "since_last_buffer_s": t.since_last_buffer,
        }
    if q.role == "dvb":
        # The adapter's frontend statistics (DTV_STAT_*) as last read, or None.
        out["frontend"] = q.frontend.as_dict() if q.frontend is not None else None
    return out


def per_pid(pairs: tuple[tuple[int, int], ...]) -> list[dict[str, int]]:
    """The one JSON shape of a per-PID counter: ``[{"pid": 256, "count": 3}]``, by PID."""
    return [{"pid": pid, "count": n} for pid, n in sorted(pairs)]


def _buffer_dict(b: BufferState) -> dict[str, Any]:
    return {
        "index": b.index,
        "status": str(b.status),
        "sequence": b.sequence,
        "timestamp_s": b.timestamp,
        "flags": v.buf_flag_names(b.flags),
        "flags_raw": b.flags,
        "field": v.FIELD_NAMES.get(b.field, str(b.field)),
        "bytesused": [p.bytesused for p in b.planes],
    }
