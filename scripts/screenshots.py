"""Render the README's screenshots into ``screenshots/*.svg``.

The browser, the inspector and the buffers panel show the ``--demo`` board (virtual
devices: no hardware needed, the same output on every machine); the stream view, the
pipeline and the DVB view show the fixed snapshots the snapshot tests use
(``tests/unit/test_stream_view_data.py``: a minute of a 30 fps capture with a pause,
a vivid → vim2m DMABUF pipeline, a demux at vidtv's mux rate), so no frame timing or
machine load changes them.  Run from the repository root::

    .venv/bin/python scripts/screenshots.py [--size 120x36] [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))  # fixed data
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from test_stream_view_data import (
    capture_snapshot,
    dvb_snapshot,
    pipeline_snapshot,
    series,
)
from textual.pilot import Pilot
from textual.widgets import Input

from core.service.stream import StreamSpec
from core.stream import StreamSnapshot
from mediatui.app import MediatuiApp, make_app
from mediatui.demo import install_demo, uninstall_demo
from mediatui.screens.stream import SCREEN_NAME, StreamScreen, show_streams
from mediatui.widgets.device_tree import DeviceTree

REPO = Path(__file__).resolve().parents[1]
CAMERA = "/dev/video0"
Scene = Callable[[Pilot], Awaitable[None]]


async def settle(pilot: Pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.1)


async def browser(pilot: Pilot) -> None:
    await settle(pilot)


async def inspector(pilot: Pilot) -> None:
    await settle(pilot)
    tree = pilot.app.screen.query_one(DeviceTree)
    node = next(leaf for group in tree.root.children for leaf in group.children
                if leaf.data == CAMERA)
    tree.move_cursor(node)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


async def buffers(pilot: Pilot) -> None:
    await inspector(pilot)
    await pilot.press("2")
    pilot.app.screen.query_one("#count", Input).value = "4"
    await pilot.press("r")
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)


async def holders(pilot: Pilot) -> None:
    """The Holders view on the demo board: the simulated client on /dev/video6."""
    await settle(pilot)
    await pilot.press("h")
    for _ in range(30):
        await pilot.pause(0.1)
        if getattr(pilot.app.screen, "holders", None) is not None:
            break
    await pilot.pause(2.2)  # a few samples in the trend
    await pilot.press("tab", "enter")
    await pilot.pause(0.2)


async def topology(pilot: Pilot) -> None:
    """vimc's "Raw Capture 0" at the power-on defaults: the Topology tab (6)."""
    await settle(pilot)
    tree = pilot.app.screen.query_one(DeviceTree)
    node = next(leaf for group in tree.root.children for leaf in group.children
                if leaf.data == "/dev/video3")
    tree.move_cursor(node)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("6")
    await pilot.press("l")  # the ioctl log away: room for the graph
    await settle(pilot)


def stream(spec: StreamSpec, snaps: list[StreamSnapshot], selected: int = 0) -> Scene:
    async def scene(pilot: Pilot) -> None:
        await settle(pilot)
        await show_streams(pilot.app)
        screen = pilot.app.get_screen(SCREEN_NAME)
        assert isinstance(screen, StreamScreen)
        view = await screen.open_stream(spec.path, start=False, spec=spec)
        assert view is not None
        await pilot.pause()
        for snap in snaps:
            view.apply_snapshot(snap)
        if selected:
            view.select_queue(selected)
        await pilot.pause(0.2)

    return scene


async def attach(pilot: Pilot) -> None:
    """The demo's simulated camera app streams the camera; mediatui observes it."""
    from mediatui.demo import demo_client

    demo_client(CAMERA)
    await settle(pilot)
    await show_streams(pilot.app)
    screen = pilot.app.get_screen(SCREEN_NAME)
    assert isinstance(screen, StreamScreen)
    await screen.open_stream(CAMERA, observe=True)
    await pilot.pause(4.0)


SCENES: dict[str, Scene] = {
    "browser": browser,
    "inspector": inspector,
    "buffers": buffers,
    "topology": topology,
    "stream-view": stream(StreamSpec(("/dev/video7",), label="vivid-000-vid-cap"),
                          series(capture_snapshot)),
    "holders": holders,
    "pipeline": stream(StreamSpec(("/dev/video7", "/dev/video3")), series(pipeline_snapshot),
                       selected=1),
    "dvb-view": stream(StreamSpec(("/dev/dvb/adapter0/demux0",), count=8,
                                  label="dvb0.demux0"), series(dvb_snapshot)),
    "attach": attach,
}


async def shoot(name: str, scene: Scene, size: tuple[int, int], out: Path) -> Path:
    install_demo()
    try:
        app: MediatuiApp = make_app(demo=True)
        async with app.run_test(size=size) as pilot:
            await scene(pilot)
            path = out / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"mediatui: {name}"), encoding="utf-8")
            return path
    finally:
        uninstall_demo()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="120x36", help="terminal size, COLSxROWS")
    parser.add_argument("--out", type=Path, default=REPO / "screenshots")
    parser.add_argument("names", nargs="*", choices=[[], *SCENES], help="scenes (default all)")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or SCENES:
        path = asyncio.run(shoot(name, SCENES[name], (cols, rows), args.out))
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
