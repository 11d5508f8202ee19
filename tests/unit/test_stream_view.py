"""Pilot tests of the stream screen on virtual devices whose time moves only when the test
says so (ManualClock): a frame completes exactly when the clock passes its deadline, so
every lane's state after a known sequence of keys is exact.

The engine itself runs on real time (its snapshots every 100 ms reach the UI); the tests
wait until the screen shows what they expect, with a deadline.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from core import ioctl as chokepoint
from core.discovery import discover
from core.stream import StreamState
from core.virtual import InstantClock, ManualClock, Roles, scenario_board
from mediatui.app import MediatuiApp, make_app
from mediatui.screens.stream import SCREEN_NAME, StreamScreen, stream_command
from mediatui.widgets.stream_view import StreamView
from mediatui.workers import FrameTraceFilter

PERIOD = 0.2  # vivid's default 5 fps


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


@pytest.fixture
def rig() -> Iterator[tuple[ManualClock, Roles]]:
    """The kernel tier's devices (vivid at 5 fps, vim2m, vidtv), on a clock we move."""
    clock = ManualClock()
    backend, roles = scenario_board(clock)
    with backend:
        yield clock, roles


def _app() -> MediatuiApp:
    return make_app(discover_fn=discover, watch=False)


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


async def until(pilot: Pilot, what: str, cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for: {what}")


def statuses(view: StreamView, queue: int = 0) -> list[str]:
    snap = view.snapshot
    if snap is None or not snap.queues:
        return []
    return [b.status.value for b in snap.queues[queue].buffers]


def lane_words(view: StreamView) -> list[str]:
    """The state column as drawn (what a person reads), one per lane."""
    words = []
    for line in view.lanes.plain_lines():
        if "▏" in line:
            words.append(line.split("▏", 1)[1].split()[0])
    return words


async def open_view(pilot: Pilot, path: str) -> StreamView:
    await stream_command(pilot.app, path, "open")
    screen = pilot.app.get_screen(SCREEN_NAME)
    assert isinstance(screen, StreamScreen) and pilot.app.screen is screen
    view = screen.view_for(path)
    assert view is not None
    await until(pilot, "first snapshot", lambda: bool(statuses(view)))
    return view


@sync
async def test_pause_then_step_moves_exactly_one_buffer(rig) -> None:
    """vivid's first frame comes at STREAMON; pause + four frame periods: all four
    buffers with the app; e queues one; m + one period: that one is done in the driver;
    d dequeues it."""
    clock, roles = rig
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, roles.capture)
        await until(pilot, "the first frame, re-queued",
                    lambda: view.snapshot.frames == 1 and statuses(view) == ["queued"] * 4)
        assert lane_words(view) == ["queued"] * 4
        await pilot.press("p")
        await until(pilot, "paused", lambda: view.phase is StreamState.PAUSED)
        clock.advance(4 * PERIOD)
        await until(pilot, "all with the app", lambda: statuses(view) == ["dequeued"] * 4)
        assert lane_words(view) == ["app"] * 4
        assert view.snapshot.main.depth.in_driver == 0 and view.snapshot.main.depth.starved
        frames = view.snapshot.frames
        assert frames == 5

        await pilot.press("e")  # queue one: the oldest held buffer goes back
        await until(pilot, "one queued", lambda: sorted(statuses(view)) ==
                    ["dequeued"] * 3 + ["queued"])
        moved = statuses(view).index("queued")
        await pilot.press("m")
        await until(pilot, "step mode", lambda: view.phase is StreamState.MANUAL)
        clock.advance(PERIOD)
        await until(pilot, "done, not dequeued", lambda: statuses(view)[moved] == "done")
        assert lane_words(view).count("done") == 1 and view.snapshot.frames == frames
        await pilot.press("d")
        await until(pilot, "dequeued by hand", lambda: statuses(view) == ["dequeued"] * 4)
        assert view.snapshot.frames == frames + 1
        notes = "\n".join(line.text for line in view.notes.lines)
        assert "queued buffer" in notes and "dequeued buffer" in notes


@sync
async def test_counters_match_the_engine_and_stop_closes_every_fd(rig) -> None:
    """The panel shows the engine's own numbers; after s (stop) every fd the stream
    opened is closed again and the queue is freed."""
    clock, roles = rig
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = _fds()
        view = await open_view(pilot, roles.capture)
        for _ in range(7):
            clock.advance(PERIOD)
            await pilot.pause(0.02)
        # vivid's frame at STREAMON, then one per period
        await until(pilot, "eight frames", lambda: view.snapshot.frames == 8)
        await pilot.press("s")
        await until(pilot, "stopped", lambda: not view.running and view.snapshot.final)
        engine = view.stream.last
        assert engine is not None and engine.final and view.snapshot == engine
        stats = engine.main.stats
        assert stats.frames == 8 and stats.drops == 0
        assert stats.last_sequence == 7
        panel = str(view.stats_panel.query_one("#rate-numbers").render())
        assert "frames     8 " in panel and "drops      0" in panel and ".. 7 " in panel
        assert view.phase is StreamState.STOPPED
        assert not app.session.is_open(roles.capture)
        assert _fds() == before


@sync
async def test_two_streams_and_a_dmabuf_pipeline_run_at_once(rig) -> None:
    """A capture and a vivid → vim2m → vivid-out pipeline (DMABUF imports) stream side by
    side, each in its own worker, each view only with its own snapshots."""
    clock, roles = rig
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = _fds()
        screen_view = await open_view(pilot, roles.capture_mplane)
        screen = app.get_screen(SCREEN_NAME)
        assert isinstance(screen, StreamScreen)
        pipe = await screen.open_stream(roles.capture, start=False)
        assert pipe is not None
        pipe.spec = pipe.spec.__class__((roles.capture, roles.m2m, roles.output), count=4)
        pipe.start()
        await until(pilot, "pipeline snapshot", lambda: len(statuses(pipe)) == 4)
        assert [q.memory for q in pipe.snapshot.queues] == ["mmap", "dmabuf", "mmap", "dmabuf"]
        for _ in range(10):
            clock.advance(PERIOD)
            await pilot.pause(0.05)
        await until(pilot, "frames through the pipeline", lambda: pipe.snapshot.frames >= 3)
        await until(pilot, "the other stream", lambda: screen_view.snapshot.frames >= 3)
        assert {q.path for q in screen_view.snapshot.queues} == {roles.capture_mplane}
        assert pipe.snapshot.queues[1].source.startswith("export " + roles.capture)
        await pilot.press("s")  # stops the active tab only (the pipeline)
        await until(pilot, "pipeline stopped", lambda: not pipe.running)
        assert screen_view.running
        screen.show_stream(screen_view)
        await pilot.press("s")
        await until(pilot, "both stopped", lambda: not screen_view.running)
        assert _fds() == before


@sync
async def test_device_gone_says_removed_and_the_app_lives_on(rig) -> None:
    """POLLHUP on the stream's fd (as when the driver is unbound): the view says the
    device was removed, the session forgets the handle, the app keeps working."""
    _clock, roles = rig
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, roles.capture)
        fd = app.session.get(roles.capture).fd
        with socket.socket(fileno=os.dup(fd)) as dup:
            dup.shutdown(socket.SHUT_RDWR)  # the fd now polls POLLHUP
        await until(pilot, "removed", lambda: view.removed and not view.running)
        banner = str(view.panel.banner.render())
        assert "device removed" in banner and roles.capture in banner
        assert "device removed" in str(view.panel.query_one(".stream-header").render())
        # The lanes no longer claim the driver holds buffers: every one says removed.
        lanes = view.lanes.plain_lines()
        assert "removed: device unplugged or unbound" in lanes[0]
        assert "driver holds" not in "\n".join(lanes)
        assert all("removed" in line for line in lanes[1:-1] if "▕" in line)
        assert app.session.is_removed(roles.capture)
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MainScreen"
        await pilot.press("question_mark")  # still answering keys
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


@sync
async def test_dvb_view_tunes_filters_and_counts_packets(rig) -> None:
    """s on the frontend streams the adapter's demux: tune, PES filter, DMX_REQBUFS,
    queue; buffers arrive as virtual time passes and the TS panel counts packets."""
    clock, roles = rig
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await stream_command(app, roles.frontend, "open")
        screen = app.get_screen(SCREEN_NAME)
        view = screen.view_for(roles.demux)
        assert view is not None and view.spec.is_dvb
        for _ in range(40):
            clock.advance(0.05)
            await pilot.pause(0.02)
            if view.snapshot is not None and view.snapshot.frames >= 2:
                break
        await until(pilot, "TS buffers", lambda: view.snapshot.frames >= 2)
        ts = view.snapshot.main.ts
        assert ts.packets > 0 and ts.sync_losses == 0
        notes = "\n".join(line.text for line in view.notes.lines)
        assert "tuned DVB-T 474.000 MHz" in notes and "LOCK" in notes
        assert "DMX_SET_PES_FILTER PID 0x2000" in notes
        panel = str(view.stats_panel.query_one("#ts-numbers").render())
        assert "Mbit/s" in panel and "continuity" in panel
        # The frontend's statistics beside the TS numbers (vidtv: dB scales, no counters).
        fe = view.snapshot.main.frontend
        assert fe is not None, view.snapshot.main.frontend_error
        assert fe.first("cnr").decibels() is not None
        assert fe.first("signal_strength").decibels() is not None
        assert "dBm" in panel and "C/N" in panel and "UCB" in panel
        await pilot.press("s")
        await until(pilot, "stopped", lambda: not view.running)
        assert not app.session.is_open(roles.demux)  # closed: DMX_STOP would not free it


@sync
async def test_a_fast_stream_reaches_the_screen_at_ten_hz_at_most() -> None:
    """On the instant clock the capture runs as fast as the loop can go; the view still
    applies at most ten snapshots a second (paced at the engine and at the sink)."""
    backend, roles = scenario_board(InstantClock())
    with backend:
        app = _app()
        async with app.run_test(size=(120, 40)) as pilot:
            view = await open_view(pilot, roles.capture)
            await until(pilot, "frames", lambda: view.snapshot.frames > 100)
            applied, start = view.applied, time.monotonic()
            frames = view.snapshot.frames
            await pilot.pause(1.5)
            rate = (view.applied - applied) / (time.monotonic() - start)
            assert rate <= 11, rate
            assert view.snapshot.frames - frames > 100  # many frames, few repaints


@sync
async def test_quitting_while_streaming_cleans_up(rig) -> None:
    """q with a stream running: the stream screen stops it and waits for its cleanup
    before the session closes the nodes; no fd is left and the recorder is removed."""
    clock, roles = rig
    before = _fds()
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, roles.capture)
        clock.advance(PERIOD)
        await pilot.pause(0.2)
        await pilot.press("escape", "q")
        await pilot.pause()
    assert not view.running
    assert app.recorder not in chokepoint._tracers
    assert not any(isinstance(t, FrameTraceFilter) for t in chokepoint._tracers)
    assert _fds() <= before


@sync
async def test_the_ioctl_log_shows_frames_only_while_paused(rig) -> None:
    """Streaming: QBUF/DQBUF stay out of the ioctl log (STREAMON is there); paused, each
    step's QBUF appears."""
    clock, roles = rig
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, roles.capture)
        names = lambda: [e.ioctl for e in app.recorder.entries()]  # noqa: E731
        for _ in range(5):
            clock.advance(PERIOD)
            await pilot.pause(0.05)
        await until(pilot, "frames", lambda: view.snapshot.frames >= 4)
        assert "VIDIOC_STREAMON" in names()
        dqbufs = names().count("VIDIOC_DQBUF")
        assert dqbufs <= 1  # at most the first, before the first snapshot
        await pilot.press("p")
        await until(pilot, "paused", lambda: view.phase is StreamState.PAUSED)
        clock.advance(4 * PERIOD)
        await until(pilot, "all held", lambda: statuses(view) == ["dequeued"] * 4)
        assert names().count("VIDIOC_DQBUF") > dqbufs
        qbufs = names().count("VIDIOC_QBUF")
        await pilot.press("e")
        await until(pilot, "a step's QBUF in the log",
                    lambda: names().count("VIDIOC_QBUF") == qbufs + 1)


@sync
async def test_switching_streams_repaints_one_panel_and_keeps_both_histories(rig) -> None:
    """Two captures: , and . point the one panel at the other stream (the same widget
    tree, nothing mounted or removed); the stream not drawn keeps recording, and its
    lanes, numbers and notes are back when it is drawn again; x closes the drawn one
    and the panel draws the other."""
    clock, roles = rig
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        first = await open_view(pilot, roles.capture)
        second = await open_view(pilot, roles.capture_mplane)
        screen = app.get_screen(SCREEN_NAME)
        assert isinstance(screen, StreamScreen) and screen.active is second
        widgets = list(screen.query("*"))
        cells = len(first.lane_state.history[0][0])
        for _ in range(3):
            clock.advance(PERIOD)
            await pilot.pause(0.05)
        await until(pilot, "the hidden stream records",
                    lambda: len(first.lane_state.history[0][0]) > cells)
        with pytest.raises(LookupError):
            first.lanes  # noqa: B018 - drawn by nobody while the other is shown
        await pilot.press("comma")
        assert screen.active is first and second.panel is None
        assert list(screen.query("*")) == widgets
        assert screen.tabs.active == first.tab_id
        assert first.lanes.snapshot is first.snapshot
        await until(pilot, "the first stream's lanes", lambda: lane_words(first) == [
            statuses(first)[k].replace("dequeued", "app") for k in range(4)])
        panel = str(first.stats_panel.query_one("#rate-numbers").render())
        assert roles.capture.removeprefix("/dev/") in panel
        assert [line.text for line in first.notes.lines] == [t.plain for t in first.note_lines]
        await pilot.press("full_stop")
        assert screen.active is second and first.panel is None
        assert [line.text for line in second.notes.lines] == [
            t.plain for t in second.note_lines]
        await pilot.press("x")
        await until(pilot, "closed", lambda: len(screen.views) == 1)
        assert screen.active is first and first.panel is not None
        assert not second.running
        await pilot.press("s")
        await until(pilot, "stopped", lambda: not first.running)


@sync
async def test_selecting_a_queue_repaints_only_when_the_selection_moves() -> None:
    """] on a pipeline moves the mark and the numbers to the next queue, with one
    repaint of the lanes; on a stream of one queue it changes nothing and repaints
    nothing (a key that does nothing costs the screen nothing)."""
    from test_stream_view_data import capture_snapshot, pipeline_snapshot

    from core.discovery import DeviceList
    from core.service.stream import StreamSpec
    from mediatui.screens.stream import show_streams

    empty = DeviceList(source="fixed (test)")
    app = make_app(devices=empty, discover_fn=lambda: empty, watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await show_streams(app)
        screen = app.get_screen(SCREEN_NAME)
        assert isinstance(screen, StreamScreen)
        repaints: list[str] = []
        for spec, snap in (
                (StreamSpec(("/dev/video7",), count=4), capture_snapshot()),
                (StreamSpec(("/dev/video7", "/dev/video3"), count=4), pipeline_snapshot())):
            view = await screen.open_stream(spec.path, start=False, spec=spec)
            assert view is not None
            await pilot.pause()
            view.apply_snapshot(snap)
            await pilot.pause()
            lanes = view.lanes
            refresh = lanes.refresh

            def counted(*a: Any, refresh: Any = refresh, path: str = spec.path,
                        **k: Any) -> Any:
                repaints.append(path)
                return refresh(*a, **k)

            lanes.refresh = counted  # type: ignore[method-assign]
            numbers = view.stats_panel.query_one("#rate-numbers")
            before = str(numbers.render())
            view.select_queue(1)
            await pilot.pause()
            if len(snap.queues) == 1:
                assert repaints == [] and view.lane_state.selected == 0
                assert str(numbers.render()) == before
            else:
                assert repaints == [spec.path] and view.lane_state.selected == 1
                assert str(numbers.render()) != before
                assert any(line.startswith("▶ ") for line in lanes.plain_lines())
            lanes.refresh = refresh
