"""The TUI side of attach: s on a node another process streams fails with EBUSY and
offers a; a shows the observed lanes, the owner in the title, and refuses the step
keys with the reason.  On the demo board with its simulated camera client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
from textual.pilot import Pilot

from core.discovery import discover
from core.stream import StreamState
from core.virtual import RealClock, demo_board
from core.virtual.app import SimulatedApp
from mediatui.app import make_app
from mediatui.screens.stream import SCREEN_NAME, StreamScreen, stream_command
from mediatui.widgets.observed_view import READ_ONLY, ObservedView
from mediatui.widgets.stream_view import BUSY_HINT


@pytest.fixture
def owned() -> Iterator[SimulatedApp]:
    backend = demo_board(RealClock())
    with backend:
        client = SimulatedApp(backend, "/dev/video0").start()
        try:
            yield client
        finally:
            client.stop()


async def until(pilot: Pilot, what: str, cond: Callable[[], bool], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for: {what}")


def test_busy_node_offers_attach_and_observes_read_only(owned):
    async def body() -> None:
        app = make_app(discover_fn=discover, watch=False)
        async with app.run_test(size=(140, 44)) as pilot:
            await stream_command(app, "/dev/video0", "open")
            screen = app.get_screen(SCREEN_NAME)
            assert isinstance(screen, StreamScreen)
            view = screen.view_for("/dev/video0")
            assert view is not None
            await until(pilot, "EBUSY", lambda: view.phase is StreamState.FAILED)
            assert view.snapshot is not None and view.snapshot.error is not None
            assert view.snapshot.error.errno_name == "EBUSY"
            assert any(BUSY_HINT in str(n.message) for n in app._notifications)
            await pilot.press("a")
            observed = screen.view_for("/dev/video0")
            assert isinstance(observed, ObservedView)
            await until(pilot, "observed frames",
                        lambda: observed.snapshot is not None and observed.snapshot.frames > 5)
            assert observed.panel is not None  # the stream drawn
            header = str(observed.panel.query_one(".stream-header").render())
            assert "observed" in header and "camera-app" in header, header
            assert observed.snapshot.state is StreamState.STREAMING
            await pilot.press("p")
            await pilot.press("d")
            assert sum(READ_ONLY in str(n.message) for n in app._notifications) >= 1
            assert observed.snapshot.state is StreamState.STREAMING
            frames = owned.frames
            await until(pilot, "the owner keeps streaming", lambda: owned.frames > frames + 3)

    asyncio.run(body())


def test_T_records_a_perfetto_trace_of_an_own_stream(tmp_path):
    """T on mediatui's own stream starts the recorder (the demo's virtual trace bus
    here, tracefs on a kernel), T again writes the trace to the log directory: one
    track per buffer, spans tiling the recording (checked by the independent reader)."""
    from trace_reader import check_tiling, read_tracks

    async def body() -> None:
        backend = demo_board(RealClock())
        with backend:
            app = make_app(discover_fn=discover, watch=False, log_dir=tmp_path)
            async with app.run_test(size=(140, 44)) as pilot:
                await stream_command(app, "/dev/video0", "open")
                screen = app.get_screen(SCREEN_NAME)
                assert isinstance(screen, StreamScreen)
                view = screen.view_for("/dev/video0")
                assert view is not None
                await until(pilot, "streaming",
                            lambda: view.snapshot is not None and view.snapshot.frames > 2)
                await pilot.press("T")
                await until(pilot, "the recorder", lambda: any(
                    "recording every buffer" in n.plain for n in view.note_lines))
                frames = view.snapshot.frames
                await until(pilot, "frames while recording",
                            lambda: view.snapshot.frames > frames + 10)
                await pilot.press("T")
                await until(pilot, "the trace file",
                            lambda: any("wrote" in str(n.message)
                                        for n in app._notifications), timeout=20)
                files = list(tmp_path.glob("mediatui-trace-video0-*.json"))
                assert len(files) == 1, files
                trace = read_tracks(str(files[0]))
                tracks = [t for t in trace.tracks.values()
                          if t.thread.startswith("buffer ")]
                assert len(tracks) == view.spec.count
                lo = min(t.spans[0][0] for t in tracks)
                hi = max(t.spans[-1][1] for t in tracks)
                for t in tracks:
                    assert check_tiling(t, lo, hi) == []
                await pilot.press("T")  # a second recording on the same stream starts
                await until(pilot, "a second recorder", lambda: sum(
                    "recording every buffer" in n.plain for n in view.note_lines) >= 2)
                await pilot.press("x")  # closing the stream saves what was recorded
                await until(pilot, "the second file", lambda: sum(
                    "wrote" in str(n.message) for n in app._notifications) == 2,
                    timeout=20)
                assert len(list(tmp_path.glob("mediatui-trace-video0-*.json"))) == 2

    asyncio.run(body())
