"""Frame statistics for one V4L2 queue: pure, synchronous, fed one dequeued buffer at a time.

Nothing here touches a device or a clock: the streaming loop passes the buffer's facts
and the arrival time (from its injectable clock), so every number can be tested with
made-up sequences.  :meth:`FrameStats.add` is on the per-frame hot path and only does
integer bookkeeping and two deque appends; everything derived (rates over the sliding
window, warnings) is computed in :meth:`FrameStats.freeze`, at snapshot rate.

Drops come from gaps in ``v4l2_buffer.sequence``, which counts frames "including
dropped or repeated frames".  With ``V4L2_FIELD_ALTERNATE`` each buffer holds one field
and both fields of a frame carry the same sequence number, so a gap is counted in
fields (buffers), the way v4l2-ctl counts "dropped buffers".
"""

from __future__ import annotations

from collections import deque

from core.abi import v4l2 as v
from core.stream.snapshot import DepthStats, StreamStats
from core.stream.ts import TsStats

__all__ = ["DepthTracker", "FrameStats", "TsStats"]

_ERROR = int(v.V4L2_BUF_FLAG_ERROR)
_TS_MASK = int(v.V4L2_BUF_FLAG_TIMESTAMP_MASK)
_SRC_MASK = int(v.V4L2_BUF_FLAG_TSTAMP_SRC_MASK)
_TS_COPY = int(v.V4L2_BUF_FLAG_TIMESTAMP_COPY)
_TS_MONO = int(v.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
_TS_SOE = int(v.V4L2_BUF_FLAG_TSTAMP_SRC_SOE)
_TOP = int(v.V4L2_FIELD_TOP)
_BOTTOM = int(v.V4L2_FIELD_BOTTOM)
_SEQ_WRAP = 1 << 32

TS_TYPE_NAMES = {0: "unknown", _TS_MONO: "monotonic", _TS_COPY: "copy"}


def rate(times: list[float] | deque[float], count: int | None = None) -> float | None:
    """Events per second over ``times`` (sorted): intervals divided by the span."""
    n = len(times)
    if n < 2:
        return None
    span = times[-1] - times[0]
    if span <= 0:
        return None
    return (n - 1 if count is None else count) / span


class FrameStats:
    """Statistics of the buffers dequeued from one queue.

    ``window_frames``/``window_s`` bound the sliding window the two frame rates are
    computed over: the last ``window_frames`` buffers, and of those only the ones that
    arrived within ``window_s`` of the snapshot (so a stalled stream shows 0 fps).
    """

    __slots__ = (
        "_alternate",
        "_fields_seen",
        "_first_field",
        "_last_field",
        "_last_seq",
        "_last_ts",
        "_window",
        "arrivals",
        "bytes",
        "drops",
        "drops_queued",
        "errors",
        "first_arrival",
        "first_seq",
        "frames",
        "last_arrival",
        "last_flags",
        "max_seq",
        "nonmonotonic",
        "repeats",
        "resets",
        "stamps",
        "window_s",
        "zero_timestamps",
    )

    def __init__(
        self, *, alternate: bool = False, window_frames: int = 120, window_s: float = 2.0
    ) -> None:
        self._alternate = alternate
        self.window_s = window_s
        self._window = window_frames
        self.stamps: deque[float] = deque(maxlen=window_frames)  # buffer timestamps
        self.arrivals: deque[float] = deque(maxlen=window_frames)  # loop clock
        self.frames = 0
        self.bytes = 0
        self.errors = 0
        self.drops = 0
        self.drops_queued = 0  # drops while the driver never ran out of queued buffers
        self.resets = 0
        self.repeats = 0
        self.zero_timestamps = 0
        self.nonmonotonic = 0
        self.first_seq: int | None = None
        self.max_seq = 0
        self.last_flags = 0
        self.first_arrival: float | None = None
        self.last_arrival: float | None = None
        self._last_seq: int | None = None
        self._last_ts = 0.0
        self._last_field = 0
        self._first_field = 0  # with ALTERNATE: the field each frame starts with
        self._fields_seen = 0  # fields of the current frame seen so far (1 or 2)

    @property
    def alternate(self) -> bool:
        return self._alternate

    def add(
        self,
        sequence: int,
        timestamp: float,
        arrival: float,
        flags: int,
        field: int = 1,
        bytesused: int = 0,
    ) -> None:
        """Record one dequeued buffer (``timestamp`` 0.0 when the driver left it unset)."""
        self.frames += 1
        self.bytes += bytesused
        self.last_flags = flags
        if flags & _ERROR:
            self.errors += 1
        if timestamp:
            if self._last_ts and timestamp <= self._last_ts:
                self.nonmonotonic += 1
            self._last_ts = timestamp
            self.stamps.append(timestamp)
        else:
            self.zero_timestamps += 1
        self.arrivals.append(arrival)
        self.last_arrival = arrival
        last = self._last_seq
        self._last_seq = sequence
        if sequence > self.max_seq:
            self.max_seq = sequence
        if last is None:
            self.first_arrival = arrival
            self.first_seq = sequence
            self._last_field = self._first_field = field
            self._fields_seen = 1
            return
        if self._alternate:
            self._add_field(sequence, last, field)
            return
        gap = sequence - last
        if gap == 1:
            return
        if gap > 1:
            self.drops += gap - 1
        elif gap == 0:
            if sequence:  # all-zero sequences are "stuck", reported by freeze()
                self.repeats += 1
        elif last - sequence > _SEQ_WRAP // 2:  # the 32-bit counter wrapped
            self.drops += gap + _SEQ_WRAP - 1
        else:
            self.resets += 1

    def _add_field(self, sequence: int, last: int, field: int) -> None:
        """ALTERNATE: two buffers (top, bottom) per sequence number."""
        if field not in (_TOP, _BOTTOM):
            return  # a driver bug; nothing sensible to count
        if sequence == last:
            if field == self._last_field or self._fields_seen != 1:
                self.repeats += 1
            else:
                self._fields_seen = 2
            self._last_field = field
            return
        gap = sequence - last
        if gap < 0:
            if last - sequence > _SEQ_WRAP // 2:
                gap += _SEQ_WRAP
            else:
                self.resets += 1
                self._first_field, self._last_field, self._fields_seen = field, field, 1
                return
        dropped = 2 * (gap - 1)
        if self._fields_seen == 1:
            dropped += 1  # the previous frame's second field never came
        if field != self._first_field:
            dropped += 1  # this frame's first field never came
        self.drops += dropped
        self._last_field = field
        self._fields_seen = 1 if field == self._first_field else 2

    def _trim(self, now: float) -> tuple[list[float], list[float]]:
        """The window's arrivals and stamps within ``window_s`` of ``now``."""
        arrivals = list(self.arrivals)
        stamps = list(self.stamps)
        cutoff = now - self.window_s
        keep = sum(1 for a in arrivals if a >= cutoff)
        arrivals = arrivals[len(arrivals) - keep:] if keep else []
        # Stamps were appended for non-zero timestamps only; keep as many as arrivals.
        stamps = stamps[max(0, len(stamps) - keep):] if keep else []
        return arrivals, stamps

    def freeze(self, now: float, *, is_output: bool = False) -> StreamStats:
        """The numbers at ``now`` (the loop's clock), with sanity warnings."""
        arrivals, stamps = self._trim(now)
        ts_type = self.last_flags & _TS_MASK
        src = "soe" if self.last_flags & _SRC_MASK == _TS_SOE else "eof"
        return StreamStats(
            frames=self.frames,
            bytes=self.bytes,
            fps=rate(stamps),
            fps_arrival=rate(arrivals),
            fps_overall=(
                (self.frames - 1) / (self.last_arrival - self.first_arrival)
                if self.frames > 1
                and self.last_arrival is not None
                and self.first_arrival is not None
                and self.last_arrival > self.first_arrival
                else None
            ),
            drops=self.drops,
            drops_while_queued=self.drops_queued,
            errors=self.errors,
            first_sequence=self.first_seq,
            last_sequence=self._last_seq,
            sequence_resets=self.resets,
            sequence_repeats=self.repeats,
            sequence_stuck=self.frames >= 3 and self.max_seq == 0,
            zero_timestamps=self.zero_timestamps,
            nonmonotonic_timestamps=self.nonmonotonic,
            timestamp_type=TS_TYPE_NAMES.get(ts_type, f"{ts_type:#x}") if self.frames else "",
            timestamp_source=src if self.frames else "",
            since_last_frame=None if self.last_arrival is None else now - self.last_arrival,
            warnings=self.warnings(is_output=is_output),
        )

    def warnings(self, *, is_output: bool = False) -> tuple[str, ...]:
        """Plain sentences for the sanity checks that fired (pain point 9)."""
        out: list[str] = []
        if self.frames >= 3 and self.max_seq == 0:
            out.append(
                "sequence stuck at 0: the driver does not fill v4l2_buffer.sequence, so "
                "dropped frames cannot be counted"
            )
        if self.drops_queued:
            out.append(
                f"{self.drops_queued} of {self.drops} dropped frame(s) were lost while buffers "
                "were queued: the driver fell behind its own frame rate (vivid does under "
                "load), or done buffers waited too long to be dequeued"
            )
        if self.resets:
            out.append(
                f"sequence went backwards {self.resets} time(s) (a reset or restart): gaps "
                "across a reset are not counted as drops"
            )
        if self.repeats:
            out.append(f"sequence repeated {self.repeats} time(s)")
        if self.zero_timestamps:
            out.append(
                f"{self.zero_timestamps} buffer(s) without a timestamp: the frame rate comes "
                "from arrival times"
            )
        if self.nonmonotonic:
            out.append(f"{self.nonmonotonic} timestamp(s) did not increase")
        ts_type = self.last_flags & _TS_MASK
        if self.frames and ts_type == _TS_COPY and not is_output:
            out.append(
                "timestamp type COPY: timestamps are copied from the OUTPUT buffers "
                "(mem2mem), not taken from a clock at capture"
            )
        elif self.frames and ts_type not in (_TS_MONO, _TS_COPY):
            out.append("timestamp type UNKNOWN: the driver does not say which clock it uses")
        if self.errors:
            out.append(f"{self.errors} buffer(s) flagged ERROR (corrupt or incomplete data)")
        return tuple(out)


class DepthTracker:
    """How many buffers the driver holds over time; 0 means it has nowhere to write.

    ``set`` is called after every QBUF/DQBUF with the count of buffers queued in the
    driver (from the application's side: queued and not yet dequeued).  ``sample`` is
    called at snapshot rate and keeps the minimum of each period as history.
    """

    __slots__ = ("_min", "_zero_since", "depth", "events", "history", "low", "starved_s")

    def __init__(self, history: int = 60) -> None:
        self.depth = 0
        self.events = 0  # times the depth fell to 0 while streaming
        self.starved_s = 0.0
        self._zero_since: float | None = None
        self._min = 0
        self.low = 0  # lowest depth since the owner last reset it (once per frame)
        self.history: deque[int] = deque(maxlen=history)

    def start(self, depth: int, now: float) -> None:
        """Streaming begins with ``depth`` buffers queued."""
        self.depth = self._min = self.low = depth
        self._zero_since = now if depth == 0 else None

    def set(self, depth: int, now: float) -> None:
        self.depth = depth
        if depth < self._min:
            self._min = depth
        if depth < self.low:
            self.low = depth
        if depth == 0:
            if self._zero_since is None:
                self._zero_since = now
                self.events += 1
        elif self._zero_since is not None:
            self.starved_s += now - self._zero_since
            self._zero_since = None

    def sample(self, now: float) -> DepthStats:
        """Close a snapshot period: its minimum joins the history."""
        self.history.append(self._min)
        self._min = self.depth
        starved = self.starved_s
        if self._zero_since is not None:
            starved += now - self._zero_since
        return DepthStats(
            in_driver=self.depth,
            starved=self.depth == 0,
            starvations=self.events,
            starved_s=starved,
            history=tuple(self.history),
        )
