"""The worker glue without a screen: snapshot pacing at the sink, coalescing of unread
snapshots, and the ioctl-log filter for per-frame ioctls."""

from __future__ import annotations

import threading

from test_stream_view_data import capture_snapshot, removed_snapshot

from core import ioctl as chokepoint
from core.ioctl import TraceEntry
from core.stream import StreamSnapshot, StreamState
from mediatui.messages import StreamSnapshotReady
from mediatui.workers import FrameTraceFilter, SnapshotPoster


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _entry(name: str) -> TraceEntry:
    return TraceEntry(0.0, 3, "/dev/video7", name, 0, "", 0, None, 1000)


def test_poster_keeps_to_ten_per_second_but_never_drops_final_or_notes() -> None:
    """50 snapshots 1/64 s apart (0.78 s) become 8 posts, 7/64 s apart; a note-carrying
    and a final one always go."""
    clock = FakeClock()
    posted: list[StreamSnapshot] = []
    poster = SnapshotPoster(posted.append, clock=clock)
    for k in range(50):
        poster(capture_snapshot(k % 30))  # seconds 0-29 carry no notes
        clock.now += 1 / 64
    assert [s.number for s in posted] == [0, 7, 14, 21, 28, 5, 12, 19]
    assert poster.skipped == 42
    poster(capture_snapshot(40))  # carries "paused: ..."
    poster(removed_snapshot())  # final, with DeviceGone
    assert posted[-2].notes and posted[-1].final
    assert poster.posted == 10


def test_poster_reports_each_state_to_the_trace_filter() -> None:
    states: list[StreamState] = []
    poster = SnapshotPoster(lambda _s: None, clock=FakeClock(), on_state=states.append)
    poster(capture_snapshot(10))
    poster(capture_snapshot(41))
    assert states == [StreamState.STREAMING, StreamState.PAUSED]


def test_an_unread_snapshot_is_replaced_by_the_next_of_the_same_run_only() -> None:
    old = StreamSnapshotReady(1, capture_snapshot(10))
    assert old.can_replace(StreamSnapshotReady(1, capture_snapshot(11)))
    assert not old.can_replace(StreamSnapshotReady(2, capture_snapshot(11)))  # another run
    # A snapshot that says something (notes, the end) is never skipped.
    assert not StreamSnapshotReady(1, capture_snapshot(40)).can_replace(old)
    assert not StreamSnapshotReady(1, removed_snapshot()).can_replace(old)


def test_trace_filter_hides_per_frame_ioctls_of_a_streaming_thread_only() -> None:
    """While the stream's thread is streaming freely its QBUF/DQBUF stay out of the log;
    other threads, other ioctls and a paused stream's steps still get through."""
    seen: list[str] = []
    trace = FrameTraceFilter(lambda e: seen.append(e.ioctl))

    def stream_thread(state: StreamState) -> None:
        trace.follow(state)
        for name in ("VIDIOC_DQBUF", "VIDIOC_QBUF", "VIDIOC_STREAMOFF"):
            trace(_entry(name))

    worker = threading.Thread(target=stream_thread, args=(StreamState.STREAMING,))
    worker.start()
    worker.join()
    trace(_entry("VIDIOC_DQBUF"))  # the UI's own worker: not quiet
    assert seen == ["VIDIOC_STREAMOFF", "VIDIOC_DQBUF"] and trace.dropped == 2
    seen.clear()
    worker = threading.Thread(target=stream_thread, args=(StreamState.PAUSED,))
    worker.start()
    worker.join()
    assert seen == ["VIDIOC_DQBUF", "VIDIOC_QBUF", "VIDIOC_STREAMOFF"]


def test_trace_filter_takes_the_recorders_place_and_gives_it_back() -> None:
    recorded: list[TraceEntry] = []
    recorder = recorded.append
    chokepoint.add_tracer(recorder)
    trace = FrameTraceFilter(recorder)
    try:
        trace.install()
        assert trace in chokepoint._tracers and recorder not in chokepoint._tracers
        trace.uninstall(restore=True)
        assert recorder in chokepoint._tracers and trace not in chokepoint._tracers
        trace.install()
        trace.uninstall(restore=False)  # the app is exiting: it removes its recorder
        assert recorder not in chokepoint._tracers and trace not in chokepoint._tracers
    finally:
        chokepoint.remove_tracer(trace)
        chokepoint.remove_tracer(recorder)
