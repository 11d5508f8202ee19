"""Snapshot tests of the stream screen with fixed snapshot data (no device, no worker):
a capture with a pause episode, a DMABUF pipeline, the DVB view, and a device removed
mid-stream, at 100x32 and at 80x24.

The snapshots are the frozen values the engine would post, applied one a second for a
minute so the lanes and sparklines have history (memray's pattern).  Read the SVG diff
report before accepting a new snapshot (``pytest --snapshot-update``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from test_stream_view_data import (
    capture_snapshot,
    dvb_snapshot,
    pipeline_snapshot,
    removed_snapshot,
    series,
)
from textual.pilot import Pilot

from core.discovery import DeviceList
from core.service.stream import StreamSpec
from core.stream import StreamSnapshot
from mediatui.app import MediatuiApp, make_app
from mediatui.screens.stream import SCREEN_NAME, StreamScreen, show_streams

SIZES = [(100, 32), (80, 24)]
EMPTY = DeviceList(source="fixed (test)")

CAPTURE = StreamSpec(("/dev/video7",), count=4, label="vivid-000-vid-cap")
PIPELINE = StreamSpec(("/dev/video7", "/dev/video3"), count=4)
DEMUX = StreamSpec(("/dev/dvb/adapter0/demux0",), count=8, label="dvb0.demux0")


def _app() -> MediatuiApp:
    return make_app(devices=EMPTY, discover_fn=lambda: EMPTY, watch=False)


def shown(spec: StreamSpec, snaps: list[StreamSnapshot],
          selected: int | None = None) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        await show_streams(pilot.app)
        screen = pilot.app.get_screen(SCREEN_NAME)
        assert isinstance(screen, StreamScreen)
        view = await screen.open_stream(spec.path, start=False, spec=spec)
        assert view is not None
        await pilot.pause()
        for snap in snaps:
            view.apply_snapshot(snap)
        if selected is not None:
            view.select_queue(selected)
        await pilot.pause()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stream_view_capture(snap_compare, size: tuple[int, int]) -> None:
    """A minute at 30 fps: lanes cycling, the pause at 40 s (every lane falls to "with
    the app", 90 drops, one starvation), the fps sparkline dipping to 0 and back."""
    assert snap_compare(_app(), terminal_size=size,
                        run_before=shown(CAPTURE, series(capture_snapshot)))


def test_stream_view_paused(snap_compare) -> None:
    """Two seconds into the pause: the badge says paused, the driver holds nothing."""
    assert snap_compare(_app(), terminal_size=(100, 32),
                        run_before=shown(CAPTURE, series(capture_snapshot, 42)))


def test_stream_view_pipeline(snap_compare) -> None:
    """Three queues with their own lanes; the numbers show the selected one (vim2m's
    OUTPUT, importing vivid's exported dma-bufs)."""
    assert snap_compare(_app(), terminal_size=(100, 32),
                        run_before=shown(PIPELINE, series(pipeline_snapshot), selected=1))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dvb_view(snap_compare, size: tuple[int, int]) -> None:
    """Tuning inputs, eight demux lanes, bitrate, packet rate, two continuity errors on
    PID 0x0100, the first buffer's DISCONTINUITY_DETECTED."""
    assert snap_compare(_app(), terminal_size=size,
                        run_before=shown(DEMUX, series(dvb_snapshot)))


def test_stream_view_device_removed(snap_compare) -> None:
    """The final snapshot carries DeviceGone: the banner says removed, the app lives."""
    snaps = [*series(capture_snapshot, 30), removed_snapshot()]
    assert snap_compare(_app(), terminal_size=(100, 32), run_before=shown(CAPTURE, snaps))
