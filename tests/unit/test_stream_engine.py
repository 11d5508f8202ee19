"""The streaming loop on virtual devices with injected clocks: exact counts and timings.

``InstantClock``: a queued buffer is done by the time QBUF returns, so frames arrive as
fast as the loop takes them and nothing is ever dropped by the device.
``ManualClock``: a frame completes only when the test moves time past its deadline, so
starvation and drops happen exactly when the test makes them.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.abi import v4l2 as v
from core.dvb import DemuxDevice, FrontendDevice
from core.errors import DeviceGone, MediaError, MemoryFault
from core.stream import (
    HeapSource,
    StreamSnapshot,
    StreamState,
    UdmabufSource,
    dvb_stream,
    pipeline_stream,
    video_stream,
)
from core.video import VideoDevice
from core.virtual import InstantClock, ManualClock, scenario_board
from core.virtual.vivid import VividCapture

CAP = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
DMABUF = v.V4L2_MEMORY_DMABUF
_REAL_POLL = __import__("select").poll
PERIOD = 0.2  # the virtual vivid starts at 5 fps, like the real one


def _fds() -> set[str]:
    gc.collect()  # fds of earlier tests' objects must not close during this one
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def instant() -> Iterator[tuple[Any, Any, Callable[[], float]]]:
    clock = InstantClock()
    backend, roles = scenario_board(clock)
    with backend:
        yield backend, roles, lambda: clock.now_ns() / 1e9


@pytest.fixture
def manual() -> Iterator[tuple[Any, ManualClock, Callable[[], float]]]:
    clock = ManualClock()
    backend, roles = scenario_board(clock)
    with backend:
        yield backend, roles, clock


class Runner:
    """The loop in a thread, as a UI worker runs it, with helpers to wait on snapshots."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.snaps: list[StreamSnapshot] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.stream.run(self.stop, self.snaps.append)
        except BaseException as exc:
            self.error = exc

    @property
    def last(self) -> StreamSnapshot:
        return self.snaps[-1]

    def wait(self, what: str, cond: Callable[[StreamSnapshot], bool],
             timeout: float = 5.0, *, fresh: bool = False) -> StreamSnapshot:
        """The newest snapshot once it meets ``cond``; ``fresh``: only one taken after
        this call (the newest may predate what the test just did to the device)."""
        deadline = time.monotonic() + timeout
        start = len(self.snaps) if fresh else 0
        if fresh:
            self.stream.request_snapshot()
        while time.monotonic() < deadline:
            if len(self.snaps) > start and cond(self.snaps[-1]):
                return self.snaps[-1]
            self.stream.request_snapshot()
            time.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}; last: {self.snaps[-1:]}")

    def finish(self, timeout: float = 5.0) -> float:
        """Set the stop event; return how long the loop took to end."""
        start = time.monotonic()
        self.stop.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the loop did not stop"
        return time.monotonic() - start


# --- exact counts -------------------------------------------------------------------------


def test_exact_frame_count_and_no_drops(instant):
    """max_frames=100: exactly 100 buffers dequeued, sequence 0..99, nothing dropped."""
    _, roles, clock = instant
    before = _fds()
    with VideoDevice(roles.capture) as dev:
        final = video_stream(dev, count=4, max_frames=100, clock=clock).run()
        assert dev.queue_state(CAP).num_buffers == 0  # REQBUFS(0) in cleanup
    stats = final.main.stats
    assert final.final and final.state is StreamState.STOPPED and final.error is None
    assert final.frames == 100 and stats.frames == 100
    assert (stats.first_sequence, stats.last_sequence) == (0, 99)
    assert stats.drops == 0 and stats.errors == 0 and stats.warnings == ()
    assert stats.fps == pytest.approx(1 / PERIOD)  # from the device's own timestamps
    assert _fds() == before


def test_injected_drops_counted_exactly(monkeypatch):
    """Sequence numbers skipped by the device (3 before frame 10, 4 before frame 30) are
    7 drops, all while buffers were queued (the driver's fault, not starvation)."""
    original = VividCapture.tick
    frames = {"n": 0}

    def tick(self: VividCapture, when_ns: int) -> None:
        frames["n"] += 1
        if frames["n"] == 10:
            self.sequence += 3
        elif frames["n"] == 30:
            self.sequence += 4
        original(self, when_ns)

    monkeypatch.setattr(VividCapture, "tick", tick)  # before the board binds it
    clock = InstantClock()
    backend, roles = scenario_board(clock)
    with backend, VideoDevice(roles.capture) as dev:
        final = video_stream(dev, count=4, max_frames=50,
                             clock=lambda: clock.now_ns() / 1e9).run()
    stats = final.main.stats
    assert stats.frames == 50 and stats.drops == 7 and stats.drops_while_queued == 7
    assert stats.last_sequence == 49 + 7
    assert final.main.depth.starvations == 0


def test_batched_bookkeeping_equals_recording_each_frame(monkeypatch):
    """The per-frame bookkeeping is logged and replayed in batches (vqueue.SETTLE_EVERY
    events at a time, and before every snapshot): a stream with drops ends with the
    same statistics, depth history and per-buffer facts, snapshot for snapshot, as
    replaying each event at once (what recording every frame did). The loop runs in
    this thread on the instant clock, so both runs see the same frames at the same
    times."""
    from core.stream import vqueue

    original = VividCapture.tick

    def tick(self: VividCapture, when_ns: int) -> None:
        if self.sequence % 37 == 5:
            self.sequence += 2  # two frames lost in the driver, now and then
        original(self, when_ns)

    monkeypatch.setattr(VividCapture, "tick", tick)  # before the board binds it

    start_ns = time.monotonic_ns()
    batch = vqueue.SETTLE_EVERY  # read before run_once patches it

    def run_once(every: int) -> list[tuple[object, ...]]:
        monkeypatch.setattr(vqueue, "SETTLE_EVERY", every)
        clock = InstantClock(start_ns=start_ns)  # the same times in both runs
        backend, roles = scenario_board(clock)
        snaps: list[StreamSnapshot] = []
        with backend, VideoDevice(roles.capture) as dev:
            video_stream(dev, count=4, max_frames=300, snapshot_interval=7.0,
                         clock=lambda: clock.now_ns() / 1e9).run(threading.Event(),
                                                                  snaps.append)
        return [(s.main.stats, s.main.depth, s.main.buffers) for s in snaps]

    each, batched = run_once(1), run_once(batch)
    stats = each[-1][0]
    assert batch > 1 and len(each) > 5 and stats.frames == 300  # type: ignore[attr-defined]
    assert stats.drops > 10 and stats.drops_while_queued == stats.drops  # type: ignore[attr-defined]
    assert batched == each


def test_snapshots_are_frozen_and_rate_bounded(instant):
    """Snapshots come at most every snapshot_interval of the loop's clock, plus the
    final one, and are immutable."""
    _, roles, clock = instant
    snaps: list[StreamSnapshot] = []
    with VideoDevice(roles.capture) as dev:
        video_stream(dev, count=4, max_frames=50, clock=clock,
                     snapshot_interval=1.0).run(threading.Event(), snaps.append)
    # 50 frames at 5 fps are 10 s of device time: one snapshot per second, and the final.
    assert 10 <= len(snaps) <= 12
    assert [s.number for s in snaps] == list(range(len(snaps)))
    assert snaps[-1].final and not any(s.final for s in snaps[:-1])
    with pytest.raises(AttributeError):
        snaps[0].state = StreamState.FAILED  # type: ignore[misc]
    buf = snaps[-1].main.buffers[0]
    with pytest.raises(AttributeError):
        buf.sequence = 1  # type: ignore[misc]


def test_no_periodic_snapshots_when_nobody_reads_them(instant):
    """snapshot_interval=None (--quiet, --json, hidden views): only the final snapshot."""
    _, roles, clock = instant
    snaps: list[StreamSnapshot] = []
    with VideoDevice(roles.capture) as dev:
        final = video_stream(dev, count=4, max_frames=50, clock=clock,
                             snapshot_interval=None).run(on_snapshot=snaps.append)
    assert final.main.stats.frames == 50
    assert len(snaps) == 1 and snaps[0].final


class _RecordingPoll:
    """select.poll that remembers the timeout of every call."""

    def __init__(self, timeouts: list[Any]) -> None:
        self._poll = _REAL_POLL()
        self.timeouts = timeouts
        self.register = self._poll.register
        self.modify = self._poll.modify
        self.unregister = self._poll.unregister

    def poll(self, timeout: Any = None) -> list[tuple[int, int]]:
        self.timeouts.append(timeout)
        return self._poll.poll(timeout)


def _recorded_polls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The timeouts of the engine's poll (the virtual devices poll on their own)."""
    from core.stream import engine

    timeouts: list[Any] = []
    monkeypatch.setattr(engine, "select", _Select(timeouts))
    return timeouts


class _Select:
    """The engine's view of the select module, with a recording poll."""

    def __init__(self, timeouts: list[Any]) -> None:
        self.timeouts = timeouts

    def poll(self) -> _RecordingPoll:
        return _RecordingPoll(self.timeouts)

    def __getattr__(self, name: str) -> Any:
        return getattr(__import__("select"), name)


def test_stop_wakes_a_loop_that_sleeps_without_timeout(monkeypatch):
    """Without a caller's Event, snapshots or a duration, nothing is due by the clock:
    the loop sleeps in poll with no timeout (no timer wakes an idle --quiet stream, and
    CPython's poll reads no clock), between frames of the real-time virtual vivid at
    5 fps; stop() must still end it at once, through the eventfd."""
    timeouts = _recorded_polls(monkeypatch)
    backend, roles = scenario_board()
    with backend, VideoDevice(roles.capture) as dev:
        stream = video_stream(dev, count=4, snapshot_interval=None)
        done = threading.Event()
        thread = threading.Thread(target=lambda: (stream.run(), done.set()), daemon=True)
        thread.start()
        time.sleep(0.5)  # streaming, between two frames most of the time
        start = time.monotonic()
        stream.stop()
        assert done.wait(5.0)
        assert time.monotonic() - start < 0.15
        thread.join(5.0)
    assert timeouts and set(timeouts) == {None}
    assert stream.last is not None and stream.last.frames >= 1


def test_poll_timeouts_follow_what_is_due(monkeypatch):
    """A duration or snapshots bound the sleep by when they are due; a caller's Event by
    POLL_TIMEOUT_MS."""
    from core.stream import POLL_TIMEOUT_MS

    timeouts = _recorded_polls(monkeypatch)
    backend, roles = scenario_board()
    with backend, VideoDevice(roles.capture) as dev:
        video_stream(dev, count=4, duration=0.5, snapshot_interval=None).run()
    assert timeouts and None not in timeouts and max(timeouts) <= 501
    timeouts.clear()
    backend, roles = scenario_board()
    with backend, VideoDevice(roles.capture) as dev:
        video_stream(dev, count=4, duration=0.5, snapshot_interval=None).run(threading.Event())
    assert timeouts and max(timeouts) <= POLL_TIMEOUT_MS


# --- starvation, pause and step ------------------------------------------------------------


def test_starvation_when_the_consumer_stops_requeueing(manual):
    """pause: the driver's buffers run out, it starves and drops frames; resume: it
    recovers, and the frames lost meanwhile show as drops caused by starvation, none
    blamed on the driver."""
    _, roles, clock = manual
    with VideoDevice(roles.capture) as dev:
        run = Runner(video_stream(dev, count=4, clock=lambda: clock.now_ns() / 1e9))
        # vivid produces its first frame as soon as streaming starts.
        run.wait("first frame", lambda s: s.frames == 1 and s.main.depth.in_driver == 4)
        for n in range(2, 5):
            clock.advance(PERIOD)
            run.wait(f"frame {n}", lambda s, n=n: s.frames == n and s.main.depth.in_driver == 4)
        run.stream.pause()
        run.wait("paused", lambda s: s.state is StreamState.PAUSED)
        for _ in range(10):  # 4 frames fill the 4 queued buffers, 6 find none
            clock.advance(PERIOD)
            time.sleep(0.01)
        snap = run.wait("starved", lambda s: s.main.depth.starved and s.frames == 8)
        assert snap.main.depth.in_driver == 0 and snap.main.depth.starvations == 1
        assert snap.main.with_app == 4 and snap.main.stats.drops == 0
        run.stream.resume()
        run.wait("refilled", lambda s: s.main.depth.in_driver == 4 and not s.main.depth.starved)
        clock.advance(PERIOD)
        snap = run.wait("next frame", lambda s: s.frames >= 9 and s.main.depth.in_driver == 4)
        stats = snap.main.stats
        skipped = stats.last_sequence - stats.first_sequence + 1 - stats.frames
        assert stats.drops == skipped >= 5 and stats.drops_while_queued == 0
        assert snap.main.depth.starved_s >= 5 * PERIOD
        assert "resumed: 4 held buffer(s) queued again" in " ".join(
            n for s in run.snaps for n in s.notes)
        run.finish()
    assert run.error is None


def test_manual_step_queue_and_dequeue_one(manual):
    """manual: nothing moves by itself; dequeue_one takes one done buffer, queue_one
    puts one held buffer back."""
    _, roles, clock = manual
    with VideoDevice(roles.capture) as dev:
        run = Runner(video_stream(dev, count=2, clock=lambda: clock.now_ns() / 1e9))
        run.wait("streaming", lambda s: s.frames == 1 and s.main.depth.in_driver == 2)
        run.stream.manual()
        run.wait("manual", lambda s: s.state is StreamState.MANUAL)
        clock.advance(PERIOD)
        clock.advance(PERIOD)
        snap = run.wait("two done", lambda s: s.main.done == 2)
        assert snap.frames == 1  # done in the driver, not dequeued
        run.stream.dequeue_one()
        snap = run.wait("one dequeued", lambda s: s.frames == 2)
        assert snap.main.with_app == 1 and snap.main.done == 1
        run.stream.queue_one()
        snap = run.wait("queued again", lambda s: s.main.queued == 1 and s.main.with_app == 0)
        assert any("queued buffer" in n for s in run.snaps for n in s.notes)
        run.stream.queue_one()
        run.wait("nothing held", lambda s: any("no buffer is held" in n for n in s.notes))
        run.finish()
    assert run.error is None


# --- stopping, removal, leaks --------------------------------------------------------------


def test_stop_within_200_ms_when_idle(manual):
    """Nothing arriving (time stands still): the stop Event is seen within 200 ms."""
    _, roles, clock = manual
    before = _fds()
    with VideoDevice(roles.capture) as dev:
        run = Runner(video_stream(dev, count=4, clock=lambda: clock.now_ns() / 1e9))
        run.wait("streaming", lambda s: s.main.depth.in_driver == 4)
        time.sleep(0.15)  # well inside a poll() wait
        took = run.finish()
    assert took < 0.2, f"stop took {took * 1e3:.0f} ms"
    assert run.last.final and run.last.state is StreamState.STOPPED
    assert _fds() == before


def test_stop_within_200_ms_when_busy(instant):
    _, roles, clock = instant
    with VideoDevice(roles.capture) as dev:
        run = Runner(video_stream(dev, count=4, clock=clock))
        run.wait("frames", lambda s: s.frames > 20)
        took = run.finish()
    assert took < 0.2 and run.error is None


def test_stream_stop_method_wakes_the_loop(manual):
    _, roles, clock = manual
    with VideoDevice(roles.capture) as dev:
        run = Runner(video_stream(dev, count=4, clock=lambda: clock.now_ns() / 1e9))
        run.wait("streaming", lambda s: s.main.depth.in_driver == 4)
        start = time.monotonic()
        run.stream.stop()
        run.thread.join(1)
        assert time.monotonic() - start < 0.05


def test_device_removal_ends_the_loop_with_device_gone():
    """POLLHUP on the device fd (the node went away): DeviceGone, cleanup, no hang."""
    before = _fds()
    clock = ManualClock()
    backend, roles = scenario_board(clock)
    with backend:
        dev = VideoDevice(roles.capture)
        run = Runner(video_stream(dev, count=4, clock=lambda: clock.now_ns() / 1e9))
        run.wait("streaming", lambda s: s.main.depth.in_driver == 4)
        backend.unplug(roles.capture)
        run.thread.join(2)
        assert not run.thread.is_alive()
        assert isinstance(run.error, DeviceGone)
        assert run.last.final and run.last.state is StreamState.FAILED
        assert run.last.error is not None and run.last.error.kind == "DeviceGone"
        dev.close()
    # Nothing stays open: not the loop's fds, not the removed node's buffer memory.
    left = {f: _target(f) for f in _fds() - before}
    assert not left, left


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


# --- dma-buf sources and pipelines ----------------------------------------------------------


def test_heap_dmabuf_capture_keeps_index_association(instant):
    _, roles, clock = instant
    before = _fds()
    with VideoDevice(roles.capture) as dev:
        stream = video_stream(dev, count=3, memory=DMABUF, source=HeapSource("system"),
                              max_frames=30, clock=clock)
        final = stream.run()
    q = final.main
    assert final.frames == 30 and q.memory == "dmabuf" and q.source == "heap /dev/dma_heap/system"
    fds = [b.planes[0].imported_fd for b in q.buffers]
    assert len(set(fds)) == 3 and None not in fds
    assert _fds() == before


def test_udmabuf_on_a_vmalloc_queue_is_explained(instant):
    _, roles, clock = instant
    before = _fds()
    with VideoDevice(roles.capture) as dev:
        stream = video_stream(dev, count=2, memory=DMABUF, source=UdmabufSource(),
                              max_frames=5, clock=clock)
        with pytest.raises(MemoryFault) as info:
            stream.run()
    assert info.value.ioctl == "VIDIOC_QBUF" and "vmap" in info.value.explanation
    assert _fds() == before


def test_too_small_dmabuf_refused_before_qbuf(instant):
    """A dma-buf smaller than the plane: refused by the pre-flight, naming both sizes."""
    _, roles, clock = instant

    class Small(HeapSource):
        def _one(self, size: int):  # type: ignore[no-untyped-def]
            return super()._one(4096)

    with VideoDevice(roles.capture) as dev:
        size = dev.get_format(CAP).planes[0].sizeimage
        stream = video_stream(dev, count=2, memory=DMABUF, source=Small(), clock=clock)
        with pytest.raises(MediaError) as info:
            stream.run()
    assert str(size) in info.value.explanation and "4096" in info.value.explanation


def test_pipeline_capture_m2m_output(instant):
    """vivid → vim2m → vivid-out, zero copy: every stage moves, indices keep their
    dma-bufs, nothing leaks."""
    _, roles, clock = instant
    before = _fds()
    devs = [VideoDevice(p) for p in (roles.capture, roles.m2m, roles.output)]
    try:
        final = pipeline_stream(devs, count=3, max_frames=20, clock=clock).run()
    finally:
        for dev in devs:
            dev.close()
    names = [(q.path, q.name, q.memory) for q in final.queues]
    assert names == [
        (roles.capture, "video-capture", "mmap"),
        (roles.m2m, "video-output", "dmabuf"),
        (roles.m2m, "video-capture", "mmap"),
        (roles.output, "video-output", "dmabuf"),
    ]
    assert final.frames == 20 and all(q.frames >= 20 for q in final.queues)
    assert final.queues[1].source.startswith(f"export {roles.capture}")
    assert final.queues[3].source.startswith(f"export {roles.m2m}")
    assert _fds() == before


def test_multiplanar_output_imports_with_explicit_lengths(instant):
    """vivid-001 capture → vivid-001 output, both multi-planar: vb2 checks an output
    plane's bytesused against the length passed with the dma-buf, so a length of 0
    ("the dma-buf's size") would make every QBUF fail with EINVAL."""
    _, roles, clock = instant
    out_mplane = "/dev/video12"  # vivid-001-vid-out in the scenario board
    with VideoDevice(roles.capture_mplane) as cap, VideoDevice(out_mplane) as out:
        final = pipeline_stream([cap, out], count=3, max_frames=10, clock=clock).run()
    assert [q.name for q in final.queues] == ["video-capture-mplane", "video-output-mplane"]
    assert final.frames == 10 and final.queues[1].memory == "dmabuf"


def test_output_alone_fills_and_requeues(instant):
    """A video output on its own: buffers filled with a pattern, displayed, re-queued."""
    _, roles, clock = instant
    before = _fds()
    with VideoDevice(roles.output) as dev:
        final = video_stream(dev, count=3, max_frames=12, clock=clock).run()
    q = final.main
    assert q.role == "output" and q.name == "video-output" and final.frames == 12
    assert q.stats.drops == 0 and q.stats.errors == 0
    assert _fds() == before


def test_m2m_alone(instant):
    _, roles, clock = instant
    with VideoDevice(roles.m2m) as dev:
        final = video_stream(dev, count=2, max_frames=10, clock=clock).run()
    assert [q.name for q in final.queues] == ["video-output", "video-capture"]
    assert final.frames == 10 and final.main.stats.drops == 0


def test_dvb_demux_ts_statistics(manual):
    """The virtual vidtv, tuned: TS packets with no sync loss and no CC error."""
    _, roles, clock = manual
    with FrontendDevice(roles.frontend) as fe:
        fe.tune_dvbt(474_000_000)
        for _ in range(50):
            clock.advance(0.05)
        fe.wait_for_lock(1.0)
    before = _fds()
    with DemuxDevice(roles.demux) as dmx:
        dmx.set_pes_filter(0x2000)
        run = Runner(dvb_stream(dmx, count=8, clock=lambda: clock.now_ns() / 1e9))
        run.wait("queued", lambda s: s.main.depth.in_driver == 8)
        for _ in range(20):
            clock.advance(0.02)
            # Let the loop give every buffer back: data with no buffer queued is lost.
            run.wait("re-queued", lambda s: s.main.depth.in_driver == 8, fresh=True)
        snap = run.wait("TS buffers", lambda s: s.frames >= 5 and s.main.ts.packets > 0)
        run.finish()
    ts = run.last.main.ts
    assert run.last.main.depth.starvations == 0
    assert ts.sync_losses == 0 and ts.cc_errors == 0 and ts.tei_packets == 0
    assert ts.packets > 0 and ts.bytes >= 188 * ts.packets and snap.main.role == "dvb"
    assert _fds() == before


def test_dqbuf_reader_reads_what_ctypes_reads():
    """The per-frame reader of a dequeued v4l2_buffer (one struct.unpack_from) gives the
    same values as the ctypes fields, at their offsets, signs and sizes."""
    from core.stream.vqueue import _DQ_FIELDS, _read_dq

    buf = v.v4l2_buffer(index=3, type=CAP, bytesused=460800, flags=0x2001, field=7,
                        sequence=0xFFFF_FFFE, memory=v.V4L2_MEMORY_MMAP, length=460800)
    buf.timestamp.tv_sec = -5
    buf.timestamp.tv_usec = 999_999
    buf.timecode.frames = 0xAA  # neighbours must not leak in
    buf.m.offset = 0x153000
    expected = []
    for name in _DQ_FIELDS:
        value: Any = buf
        for part in name.split("."):
            value = getattr(value, part)
        expected.append(value)
    assert list(_read_dq(buf)) == expected == [3, 460800, 0x2001, 7, -5, 999_999, 0xFFFF_FFFE]


@pytest.fixture
def recycles(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per VideoQueue.recycle call: whether a tracer was installed then."""
    from core import ioctl as chokepoint
    from core.stream.vqueue import VideoQueue

    calls: list[bool] = []
    real = VideoQueue.recycle

    def counting(self: VideoQueue, now: float) -> int:
        calls.append(bool(chokepoint.live_tracers()))
        return real(self, now)

    monkeypatch.setattr(VideoQueue, "recycle", counting)
    return calls


@pytest.mark.parametrize("role", ["capture", "capture_mplane"])
def test_recycled_solo_queue_equals_the_general_path(monkeypatch, recycles, role):
    """A capture queue alone on its fd is recycled in one call (VideoQueue.recycle:
    DQBUF and QBUF without the chokepoint's tracing) only while nobody traces its
    per-frame ioctls. Whichever path runs, a stream with drops ends with the same
    statistics, depth history and buffers snapshot for snapshot; a tracer that is not
    untraced in the loop's thread sees every DQBUF and QBUF (the general path), and one
    untraced there sees none of them (the recycle path again)."""
    from core import ioctl as chokepoint

    original = VividCapture.tick

    def tick(self: VividCapture, when_ns: int) -> None:
        if self.sequence % 41 == 7:
            self.sequence += 3  # three frames lost in the driver, now and then
        original(self, when_ns)

    monkeypatch.setattr(VividCapture, "tick", tick)
    start_ns = time.monotonic_ns()

    def run_once(trace: bool, untrace: bool) -> tuple[list[tuple[object, ...]], list[str]]:
        clock = InstantClock(start_ns=start_ns)
        backend, roles = scenario_board(clock)
        snaps: list[StreamSnapshot] = []
        seen: list[str] = []

        def tracer(entry: Any) -> None:
            seen.append(entry.ioctl)

        if trace:
            chokepoint.add_tracer(tracer)
        if untrace:
            chokepoint.untrace_in_thread(frozenset({v.VIDIOC_QBUF, v.VIDIOC_DQBUF}))
        try:
            with backend, VideoDevice(getattr(roles, role)) as dev:
                assert v.is_multiplanar(dev.capability().buf_types[0]) == (role == "capture_mplane")
                video_stream(dev, count=4, max_frames=200, snapshot_interval=5.0,
                             clock=lambda: clock.now_ns() / 1e9).run(threading.Event(),
                                                                     snaps.append)
        finally:
            chokepoint.remove_tracer(tracer)
            chokepoint.untrace_in_thread()
        return [(s.main.stats, s.main.depth, s.main.buffers) for s in snaps], seen

    fast, fast_seen = run_once(trace=False, untrace=False)
    fast_calls = len(recycles)
    recycles.clear()
    general, general_seen = run_once(trace=True, untrace=False)
    general_calls = len(recycles)
    recycles.clear()
    quiet, quiet_seen = run_once(trace=True, untrace=True)
    quiet_calls = len(recycles)

    stats = fast[-1][0]
    assert stats.frames == 200 and stats.drops > 10  # type: ignore[attr-defined]
    assert fast_calls >= 200 and quiet_calls >= 200 and general_calls == 0
    assert general == fast and quiet == fast
    assert general_seen.count("VIDIOC_DQBUF") >= 200
    assert general_seen.count("VIDIOC_QBUF") >= 200
    assert "VIDIOC_DQBUF" not in quiet_seen and "VIDIOC_QBUF" not in quiet_seen
    assert "VIDIOC_STREAMON" in quiet_seen  # the rest is traced as ever
    assert fast_seen == []  # (no tracer in that run: recorded only to keep the runs alike)


def test_a_tracer_added_mid_stream_sends_the_loop_the_general_way(instant, recycles):
    """Tracers come and go in any thread: the loop tests the live list every frame, so
    once one is installed (here from the snapshot sink, at the third snapshot) the next
    DQBUF/QBUF go through the chokepoint and are traced, and recycling stops; removed
    again, recycling resumes."""
    from core import ioctl as chokepoint

    _, roles, clock = instant
    seen: list[str] = []

    def tracer(entry: Any) -> None:
        seen.append(entry.ioctl)

    def sink(snap: StreamSnapshot) -> None:
        if snap.number == 2:
            chokepoint.add_tracer(tracer)
        elif snap.number == 5:
            chokepoint.remove_tracer(tracer)

    try:
        with VideoDevice(roles.capture) as dev:
            video_stream(dev, count=4, max_frames=60, clock=clock,
                         snapshot_interval=1.0).run(threading.Event(), sink)
    finally:
        chokepoint.remove_tracer(tracer)
    assert seen.count("VIDIOC_DQBUF") >= 10 and seen.count("VIDIOC_QBUF") >= 10
    assert sum(recycles) == 0  # never recycled while a tracer was installed
    assert len(recycles) >= 30  # recycled before and after


def test_kernel_ioctl_only_for_fds_the_kernel_serves(instant, tmp_path):
    """kernel_ioctl hands out fcntl.ioctl for a kernel fd and nothing for a virtual one
    (its backend must serve it through the chokepoint)."""
    import fcntl

    from core import ioctl as chokepoint

    _, roles, _ = instant
    with VideoDevice(roles.capture) as dev:
        assert chokepoint.kernel_ioctl(dev.fd) is None
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        assert chokepoint.kernel_ioctl(fd) is fcntl.ioctl
    finally:
        os.close(fd)
