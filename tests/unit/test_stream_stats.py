"""Pure statistics: frame rates, sequence-gap drops (field-aware), warnings, starvation, TS."""

from __future__ import annotations

import pytest

from core.abi import v4l2 as v
from core.stream.stats import DepthTracker, FrameStats
from core.stream.ts import TsStats

MONO = int(v.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
COPY = int(v.V4L2_BUF_FLAG_TIMESTAMP_COPY)
ERROR = int(v.V4L2_BUF_FLAG_ERROR)
NONE, TOP, BOTTOM = int(v.V4L2_FIELD_NONE), int(v.V4L2_FIELD_TOP), int(v.V4L2_FIELD_BOTTOM)


def feed(stats: FrameStats, seqs, *, fps=30.0, flags=MONO, field=NONE, t0=100.0):
    for k, seq in enumerate(seqs):
        t = t0 + k / fps
        stats.add(seq, t, t, flags, field, 1000)
    return t0 + (len(seqs) - 1) / fps


def test_rates_from_timestamps_and_arrival():
    """30 evenly spaced buffers give 30 fps from both clocks."""
    s = FrameStats()
    now = feed(s, range(30))
    frozen = s.freeze(now)
    assert frozen.frames == 30 and frozen.bytes == 30_000
    assert frozen.fps == pytest.approx(30.0)
    assert frozen.fps_arrival == pytest.approx(30.0)
    assert frozen.drops == 0 and frozen.warnings == ()
    assert frozen.timestamp_type == "monotonic" and frozen.timestamp_source == "eof"


def test_rate_window_is_sliding():
    """The window forgets old frames: 60 frames at 10 fps then 30 at 30 fps reads 30."""
    s = FrameStats(window_frames=20)
    end = feed(s, range(60), fps=10)
    now = feed(s, range(60, 90), fps=30, t0=end + 1 / 30)
    assert s.freeze(now).fps == pytest.approx(30.0)


def test_stalled_stream_reads_zero_rate():
    """Nothing within window_s of the snapshot: no rate, and since_last_frame grows."""
    s = FrameStats(window_s=2.0)
    now = feed(s, range(10))
    frozen = s.freeze(now + 5)
    assert frozen.fps is None and frozen.fps_arrival is None
    assert frozen.since_last_frame == pytest.approx(5.0)


def test_gaps_count_exactly():
    """Skipped sequence numbers are counted one by one."""
    s = FrameStats()
    feed(s, [0, 1, 2, 5, 6, 10, 11])
    assert s.drops == 2 + 3


def test_drops_across_the_32_bit_wrap():
    s = FrameStats()
    feed(s, [2**32 - 2, 2**32 - 1, 1])  # 0 was skipped
    assert s.drops == 1 and s.resets == 0


def test_sequence_reset_is_not_a_drop():
    s = FrameStats()
    feed(s, [100, 101, 102, 0, 1, 2])
    frozen = s.freeze(200.0)
    assert frozen.drops == 0 and frozen.sequence_resets == 1
    assert any("backwards" in w for w in frozen.warnings)


def test_sequence_stuck_at_zero_warns_and_counts_nothing():
    s = FrameStats()
    now = feed(s, [0] * 10)
    frozen = s.freeze(now)
    assert frozen.sequence_stuck and frozen.drops == 0 and frozen.sequence_repeats == 0
    assert any("stuck at 0" in w for w in frozen.warnings)


def test_repeated_sequence_warns():
    s = FrameStats()
    feed(s, [1, 2, 2, 3])
    assert s.repeats == 1 and s.drops == 0


def test_alternate_fields_share_a_sequence():
    """V4L2_FIELD_ALTERNATE: top and bottom carry the same sequence; nothing dropped."""
    s = FrameStats(alternate=True)
    for seq in range(5):
        for field in (TOP, BOTTOM):
            s.add(seq, 1.0 + seq / 25 + (field == BOTTOM) / 50, 0.0, MONO, field)
    assert s.drops == 0 and s.repeats == 0


def test_alternate_missing_fields_are_counted_in_fields():
    """A lost bottom field, a lost whole frame and a lost top field: 1 + 2 + 1 buffers."""
    s = FrameStats(alternate=True)
    for seq, field in [(0, TOP), (0, BOTTOM), (1, TOP), (2, TOP), (2, BOTTOM),
                       (4, BOTTOM), (5, TOP), (5, BOTTOM)]:
        s.add(seq, 1.0, 0.0, MONO, field)
    # (1, BOTTOM) lost: 1; frame 3 lost: 2; (4, TOP) lost: 1.
    assert s.drops == 4


def test_timestamp_warnings():
    s = FrameStats()
    for seq, ts in enumerate([1.0, 1.1, 1.05, 0.0, 1.2]):
        s.add(seq, ts, float(seq), MONO)
    frozen = s.freeze(5.0)
    assert frozen.nonmonotonic_timestamps == 1 and frozen.zero_timestamps == 1
    assert any("did not increase" in w for w in frozen.warnings)
    assert any("without a timestamp" in w for w in frozen.warnings)


def test_copy_timestamps_warn_on_capture_only():
    s = FrameStats()
    now = feed(s, range(3), flags=COPY)
    assert any("COPY" in w for w in s.freeze(now).warnings)
    assert not any("COPY" in w for w in s.freeze(now, is_output=True).warnings)
    assert s.freeze(now).timestamp_type == "copy"


def test_error_flag_counted():
    s = FrameStats()
    now = feed(s, range(2))
    s.add(2, now + 0.1, now + 0.1, MONO | ERROR)
    frozen = s.freeze(now + 0.1)
    assert frozen.errors == 1 and any("ERROR" in w for w in frozen.warnings)


def test_depth_tracker_starvation():
    """The driver starved twice, for 0.5 s and then 0.25 s (still starved)."""
    d = DepthTracker()
    d.start(4, 0.0)
    for depth, t in [(3, 0.1), (0, 1.0), (1, 1.5), (2, 1.6), (0, 2.0)]:
        d.set(depth, t)
    stats = d.sample(2.25)
    assert stats.starvations == 2 and stats.starved
    assert stats.starved_s == pytest.approx(0.75)
    assert stats.history == (0,)
    assert d.sample(2.5).history == (0, 0)


# --- transport stream ------------------------------------------------------------------------


def packet(pid: int, cc: int, *, payload: bool = True, adaptation: bool = False,
           discontinuity: bool = False, tei: bool = False) -> bytes:
    afc = (2 if adaptation else 0) | (1 if payload else 0)
    head = bytes([0x47, (0x80 if tei else 0) | (pid >> 8) & 0x1F, pid & 0xFF,
                  (afc << 4) | (cc & 0xF)])
    body = b""
    if adaptation:
        body = bytes([1, 0x80 if discontinuity else 0])
    return (head + body).ljust(188, b"\xff")


def stream(pid: int, ccs) -> bytes:
    return b"".join(packet(pid, cc) for cc in ccs)


def test_ts_clean_stream():
    t = TsStats()
    t.add_buffer(stream(0x100, range(16)) + stream(0x101, range(5)), 0.0)
    frozen = t.freeze(0.0)
    assert frozen.packets == 21 and frozen.cc_errors == 0 and frozen.sync_losses == 0
    assert dict(frozen.pid_packets) == {0x100: 16, 0x101: 5}


def test_ts_continuity_errors_per_pid():
    t = TsStats()
    t.feed(stream(0x100, [0, 1, 2, 4, 5]) + stream(0x200, [7, 8, 15, 0]))
    frozen = t.freeze(0.0)
    assert frozen.cc_errors == 2
    assert frozen.cc_errors_by_pid == ((0x100, 1), (0x200, 1))


def test_ts_continuity_exceptions():
    """Adaptation-only packets keep the counter, one duplicate is allowed, the
    discontinuity indicator restarts it, the null PID and TEI packets are ignored."""
    t = TsStats()
    data = b"".join([
        packet(0x100, 0), packet(0x100, 0, payload=False, adaptation=True),
        packet(0x100, 1), packet(0x100, 1),  # duplicate
        packet(0x100, 9, adaptation=True, discontinuity=True),
        packet(0x100, 10),
        packet(0x1FFF, 3), packet(0x1FFF, 3),
        packet(0x100, 2, tei=True),
        packet(0x100, 11),
    ])
    t.feed(data)
    frozen = t.freeze(0.0)
    assert frozen.cc_errors == 0 and frozen.duplicates == 1 and frozen.tei_packets == 1


def test_ts_packets_split_across_buffers():
    data = stream(0x100, range(10))
    t = TsStats()
    for k in range(0, len(data), 1000):
        t.feed(data[k:k + 1000])
    assert t.packets == 10 and t.cc_errors == {} and t.sync_losses == 0


def test_ts_sync_loss_and_resync():
    """Garbage between packets is one sync loss; parsing resumes after it."""
    t = TsStats()
    t.feed(stream(0x100, range(3)) + b"\x00" * 50 + stream(0x100, range(3, 8)))
    assert t.sync_losses == 1 and t.packets == 8 and t.cc_errors == {}


def test_ts_rates_and_dmx_flags():
    t = TsStats()
    for k in range(11):
        t.add_buffer(stream(0x100, range(k * 10, k * 10 + 10)), k * 0.1, flags=0x8 if k == 0
                     else 0, count=k)
    frozen = t.freeze(1.0)
    assert frozen.packets_per_s == pytest.approx(100.0)
    assert frozen.bytes_per_s == pytest.approx(100.0 * 188)
    assert dict(frozen.dmx_flags)["DISCONTINUITY_DETECTED"] == 1
