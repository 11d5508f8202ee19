"""Fixed stream snapshots (what the engine would post) for the stream-view snapshot tests
and scripts/screenshots.py, plus a check that the data says what it claims.

Each series is one snapshot a second for a minute, so the lanes have history and the
sparklines a full minute: a 30 fps capture paused for three seconds (the driver
starves and drops), a vivid → vim2m → vivid-out DMABUF pipeline, and a demux at vidtv's
mux rate that loses two packets of one PID.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from core.abi import v4l2 as v
from core.abi.dvb import FE_SCALE_COUNTER, FE_SCALE_DECIBEL
from core.dvb_stats import FrontendStats, Stat
from core.queue import BufferState, BufferStatus, PlaneState
from core.stream import (
    DepthStats,
    ErrorInfo,
    QueueSnapshot,
    StreamSnapshot,
    StreamState,
    StreamStats,
    TsStreamStats,
)

CAP = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
OUT = v.V4L2_BUF_TYPE_VIDEO_OUTPUT
FRAME = 460800  # 640x360 YUYV
TS_BUF = 64 * 188
PHASES = "qqda"  # a buffer's cycle as 10 Hz snapshots catch it: queued, done, with the app
PAUSE = range(40, 43)
STATUS = {"a": BufferStatus.DEQUEUED, "q": BufferStatus.QUEUED, "d": BufferStatus.DONE,
          "e": BufferStatus.ERROR}


def buffers(states: str, *, seq0: int = 100, used: int = FRAME,
            flags: int = int(v.V4L2_BUF_FLAG_MAPPED)) -> tuple[BufferState, ...]:
    """``"aqqd"``: a = with the app, q = queued, d = done, e = error, per index."""
    out = []
    for i, c in enumerate(states):
        plane = PlaneState(length=used, bytesused=used, mem_offset=i * 0x71000, mapped=True)
        out.append(BufferState(i, STATUS[c], flags, seq0 + i, 1000.0 + i / 30, 1, (plane,)))
    return tuple(out)


def rotate(k: int, n: int) -> str:
    return "".join(PHASES[(k + i) % len(PHASES)] for i in range(n))


def depth(states: str, starvations: int = 0) -> DepthStats:
    held = sum(c in "qd" for c in states)
    return DepthStats(held, held == 0, starvations, 0.4 * starvations, (held,) * 10)


def stats(frames: int, *, fps: float = 30.0, drops: int = 0, first: int = 0,
          warnings: tuple[str, ...] = (), ts_type: str = "monotonic") -> StreamStats:
    return StreamStats(
        frames=frames, bytes=frames * FRAME, fps=fps, fps_arrival=max(fps - 0.03, 0.0),
        fps_overall=29.9, drops=drops, drops_while_queued=0, errors=0, first_sequence=first,
        last_sequence=first + frames + drops - 1, sequence_resets=0, sequence_repeats=0,
        sequence_stuck=False, zero_timestamps=0, nonmonotonic_timestamps=0,
        timestamp_type=ts_type, timestamp_source="eof", since_last_frame=0.02,
        warnings=warnings)


def _snap(k: int, queues: tuple[QueueSnapshot, ...], primary: int = 0,
          state: StreamState = StreamState.STREAMING,
          notes: tuple[str, ...] = ()) -> StreamSnapshot:
    return StreamSnapshot(number=k, time=1000.0 + k, elapsed=float(k), state=state,
                          queues=queues, primary=primary, notes=notes)


def capture_snapshot(k: int = 59) -> StreamSnapshot:
    """Second ``k`` of a 30 fps capture paused during PAUSE (90 frames dropped)."""
    paused = k in PAUSE
    states = "aaaa" if paused else rotate(k, 4)
    drops = 30 * max(0, min(k, PAUSE.stop) - PAUSE.start + (1 if paused else 0))
    frames = 30 * (k + 1) - drops
    fps = 0.0 if paused else 30.0 + 0.05 * ((k * 7) % 5 - 2)
    q = QueueSnapshot(path="/dev/video7", buf_type=CAP, role="capture", memory="mmap",
                      buffers=buffers(states, seq0=frames + drops - 4),
                      depth=depth(states, 1 if k >= PAUSE.start else 0),
                      stats=stats(frames, drops=drops, fps=fps))
    notes = (("paused: buffers are no longer re-queued",) if k == PAUSE.start else
             ("resumed: 4 held buffer(s) queued again",) if k == PAUSE.stop else ())
    return _snap(k, (q,), state=StreamState.PAUSED if paused else StreamState.STREAMING,
                 notes=notes)


def pipeline_snapshot(k: int = 59) -> StreamSnapshot:
    """vivid capture → vim2m (OUTPUT imports vivid's exports) → vim2m CAPTURE."""
    frames = 30 * (k + 1)
    vivid = QueueSnapshot(path="/dev/video7", buf_type=CAP, role="capture", memory="mmap",
                          buffers=buffers(rotate(k, 4), seq0=frames - 4), depth=depth("qqa"),
                          stats=stats(frames))
    m2m_out = QueueSnapshot(path="/dev/video3", buf_type=OUT, role="output", memory="dmabuf",
                            buffers=buffers(rotate(k + 2, 4), seq0=frames - 5),
                            depth=depth(rotate(k + 2, 4)), stats=stats(frames - 1,
                                                                       ts_type="copy"),
                            source="export /dev/video7 video-capture")
    m2m_cap = QueueSnapshot(
        path="/dev/video3", buf_type=CAP, role="capture", memory="mmap",
        buffers=buffers(rotate(k + 1, 4), seq0=frames - 6), depth=depth(rotate(k + 1, 4)),
        stats=stats(frames - 2, fps=30.0 + 0.04 * ((k * 5) % 7 - 3), ts_type="copy", warnings=(
            "timestamp type COPY: timestamps are copied from the OUTPUT buffers "
            "(mem2mem), not taken from a clock at capture",)))
    return _snap(k, (vivid, m2m_out, m2m_cap), primary=2)


def dvb_snapshot(k: int = 59) -> StreamSnapshot:
    """A demux with PID 0x2000 (all) at about 33.5 Mbit/s; PID 0x0100 loses two
    packets at second 30."""
    per_s = 4_194_304 / TS_BUF
    count = int(per_s * (k + 1))
    cc = 2 if k >= 30 else 0
    rate = 4_194_304.0 * (1 + 0.01 * ((k * 3) % 7 - 3))
    ts = TsStreamStats(
        buffers=count, bytes=count * TS_BUF, packets=count * 64, bytes_per_s=rate,
        packets_per_s=rate / 188, sync_losses=0, cc_errors=cc,
        cc_errors_by_pid=((0x0100, 2),) if cc else (), duplicates=0, tei_packets=0,
        pid_packets=((0x0000, 25 * k), (0x0010, 25 * k), (0x0011, 25 * k),
                     (0x0100, 9000 * k), (0x0200, 250 * k), (0x1FFF, 8000 * k)),
        dmx_flags=(("HAD_CRC32_DISCARD", 0), ("TEI", 0), ("PKT_COUNTER_MISMATCH", 0),
                   ("DISCONTINUITY_DETECTED", 1), ("DISCONTINUITY_INDICATOR", 0)),
        since_last_buffer=0.004)
    states = "".join("a" if i == k % 8 else "q" for i in range(8))
    q = QueueSnapshot(path="/dev/dvb/adapter0/demux0", buf_type=0, role="dvb", memory="mmap",
                      buffers=buffers(states, seq0=count - 8, used=TS_BUF, flags=0),
                      depth=depth(states), stats=None, ts=ts,
                      frontend=FrontendStats({
                          "signal_strength": (Stat(FE_SCALE_DECIBEL, -17_250 + 10 * k),),
                          "cnr": (Stat(FE_SCALE_DECIBEL, 32_750 + 10 * k),),
                          "pre_error_bit_count": (), "pre_total_bit_count": (),
                          "post_error_bit_count": (Stat(FE_SCALE_COUNTER, 12 * k),),
                          "post_total_bit_count": (Stat(FE_SCALE_COUNTER, 10_000_000 * k),),
                          "error_block_count": (Stat(FE_SCALE_COUNTER, 0),),
                          "total_block_count": (Stat(FE_SCALE_COUNTER, 4_000 * k),),
                      }))
    return _snap(k, (q,))


def removed_snapshot() -> StreamSnapshot:
    """The final snapshot after vivid was unbound mid-stream."""
    error = ErrorInfo("DeviceGone", "/dev/video7", "poll", 19, "ENODEV", "Device removed",
                      "The device was unplugged or its driver unbound.")
    q = capture_snapshot(30).main
    # STREAMOFF in the cleanup gave every buffer back to the application.
    q = replace(q, buffers=buffers("aaaa", seq0=q.buffers[0].sequence or 0),
                depth=depth("aaaa", 1))
    return StreamSnapshot(number=31, time=1030.5, elapsed=30.5, state=StreamState.FAILED,
                          queues=(q,), primary=0, error=error, final=True)


def series(make: Callable[[int], StreamSnapshot], steps: int = 60) -> list[StreamSnapshot]:
    return [make(k) for k in range(steps)]


def test_fixed_data_is_consistent() -> None:
    """The lanes' inputs agree with themselves: counts, depth, drops and the primary."""
    snap = capture_snapshot(59)
    assert snap.main.queued + snap.main.done == snap.main.depth.in_driver
    assert snap.main.stats.drops == 90 and snap.main.depth.starvations == 1
    assert capture_snapshot(41).main.with_app == 4 and capture_snapshot(41).main.depth.starved
    assert pipeline_snapshot().main.path == "/dev/video3"
    assert dvb_snapshot(40).main.ts.cc_errors == 2
