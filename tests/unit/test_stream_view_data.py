"""Fixed stream snapshots (what the engine would post) for the stream-view snapshot tests
and scripts/screenshots.py, plus a few checks that the data itself is what it claims.

A capture with four buffers at 30 fps, mid-stream: one with the app, two queued, one
done; a pipeline vivid → vim2m; a demux at vidtv's mux rate with two continuity errors.
"""

from __future__ import annotations

from core.abi import v4l2 as v
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


def buffers(states: str, *, seq0: int = 100, used: int = FRAME,
            flags: int = int(v.V4L2_BUF_FLAG_MAPPED)) -> tuple[BufferState, ...]:
    """``"aqqd"``: a = with the app, q = queued, d = done, e = error, per index."""
    status = {"a": BufferStatus.DEQUEUED, "q": BufferStatus.QUEUED, "d": BufferStatus.DONE,
              "e": BufferStatus.ERROR}
    out = []
    for i, c in enumerate(states):
        plane = PlaneState(length=used, bytesused=used, mem_offset=i * 0x71000, mapped=True)
        out.append(BufferState(i, status[c], flags, seq0 + i, 1000.0 + i / 30, 1, (plane,)))
    return tuple(out)


def depth(in_driver: int, starvations: int = 0, starved_s: float = 0.0) -> DepthStats:
    return DepthStats(in_driver, in_driver == 0, starvations, starved_s, (in_driver,) * 10)


def stats(frames: int, *, fps: float = 30.0, drops: int = 0, errors: int = 0,
          first: int = 0, warnings: tuple[str, ...] = (),
          ts_type: str = "monotonic") -> StreamStats:
    return StreamStats(
        frames=frames, bytes=frames * FRAME, fps=fps, fps_arrival=fps - 0.03,
        fps_overall=fps - 0.1, drops=drops, errors=errors, first_sequence=first,
        last_sequence=first + frames + drops - 1, sequence_resets=0, sequence_repeats=0,
        sequence_stuck=False, zero_timestamps=0, nonmonotonic_timestamps=0,
        timestamp_type=ts_type, timestamp_source="eof", since_last_frame=0.02,
        warnings=warnings)


def capture_queue(states: str = "aqqd", frames: int = 372, drops: int = 3) -> QueueSnapshot:
    return QueueSnapshot(path="/dev/video7", buf_type=CAP, role="capture", memory="mmap",
                         buffers=buffers(states, seq0=frames - 4 + drops),
                         depth=depth(states.count("q") + states.count("d"), 1, 0.4),
                         stats=stats(frames, drops=drops))


def capture_snapshot(state: StreamState = StreamState.STREAMING,
                     states: str = "aqqd", number: int = 124) -> StreamSnapshot:
    return StreamSnapshot(number=number, time=1012.4, elapsed=12.4, state=state,
                          queues=(capture_queue(states),), primary=0)


def pipeline_snapshot() -> StreamSnapshot:
    vivid = capture_queue("qqaq", frames=301, drops=0)
    m2m_out = QueueSnapshot(path="/dev/video3", buf_type=OUT, role="output", memory="dmabuf",
                            buffers=buffers("aqaa", seq0=297), depth=depth(1),
                            stats=stats(300, ts_type="copy"),
                            source="export /dev/video7 video-capture")
    m2m_cap = QueueSnapshot(
        path="/dev/video3", buf_type=CAP, role="capture", memory="mmap",
        buffers=buffers("qaqq", seq0=296), depth=depth(3),
        stats=stats(299, ts_type="copy", warnings=(
            "timestamp type COPY: timestamps are copied from the OUTPUT buffers "
            "(mem2mem), not taken from a clock at capture",)))
    return StreamSnapshot(number=100, time=1010.0, elapsed=10.0, state=StreamState.STREAMING,
                          queues=(vivid, m2m_out, m2m_cap), primary=2)


def dvb_snapshot() -> StreamSnapshot:
    ts = TsStreamStats(
        buffers=1745, bytes=1745 * 12032, packets=1745 * 64, bytes_per_s=2_097_152.0,
        packets_per_s=11_155.0, sync_losses=0, cc_errors=2,
        cc_errors_by_pid=((0x0100, 2),), duplicates=0, tei_packets=0,
        pid_packets=((0x0000, 250), (0x0010, 250), (0x0011, 250), (0x0100, 80_000),
                     (0x0200, 2500), (0x1FFF, 28_430)),
        dmx_flags=(("HAD_CRC32_DISCARD", 0), ("TEI", 0), ("PKT_COUNTER_MISMATCH", 0),
                   ("DISCONTINUITY_DETECTED", 1), ("DISCONTINUITY_INDICATOR", 0)),
        since_last_buffer=0.004)
    q = QueueSnapshot(path="/dev/dvb/adapter0/demux0", buf_type=0, role="dvb", memory="mmap",
                      buffers=buffers("qqqqqaqq", seq0=1737, used=12032, flags=0),
                      depth=depth(7), stats=None, ts=ts)
    return StreamSnapshot(number=100, time=1010.0, elapsed=10.0, state=StreamState.STREAMING,
                          queues=(q,), primary=0,
                          notes=("DMX_REQBUFS 8 x 12032 B, then DMX_QBUF each",))


def removed_snapshot() -> StreamSnapshot:
    error = ErrorInfo("DeviceGone", "/dev/video7", "poll", 19, "ENODEV", "Device removed",
                      "The device was unplugged or its driver unbound.")
    return StreamSnapshot(number=125, time=1012.5, elapsed=12.5, state=StreamState.FAILED,
                          queues=(capture_queue("aaaa"),), primary=0, error=error, final=True)


def test_fixed_data_is_consistent() -> None:
    """The lanes' inputs agree with themselves: counts, depth and primary queue."""
    snap = capture_snapshot()
    assert snap.main.queued == 2 and snap.main.done == 1 and snap.main.with_app == 1
    assert snap.main.depth.in_driver == 3
    assert pipeline_snapshot().main.path == "/dev/video3"
    assert dvb_snapshot().frames == 1745
