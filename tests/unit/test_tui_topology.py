"""The Topology tab on the demo board's vimc: the mismatching link is highlighted, keys
toggle a link and edit a pad format, the check reruns; ``s`` on a video node whose
pipeline fails says why instead of streaming."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_tui_app import notifications, screen_text, settle, sync
from test_tui_demo import _app, open_node
from textual.widgets import Input

from core.media.read import read_topology
from mediatui.demo import install_demo, uninstall_demo
from mediatui.widgets.topology_view import FormatEditor, TopologyView

RAW = "/dev/video3"  # "Raw Capture 0" on the demo board


@pytest.fixture(autouse=True)
def demo() -> Iterator[None]:
    install_demo()
    try:
        yield
    finally:
        uninstall_demo()


async def _loaded(pilot, view: TopologyView, old: object = None) -> None:
    """Wait until the view shows a snapshot other than ``old``."""
    for _ in range(50):
        await settle(pilot)
        if view.snapshot is not None and view.snapshot is not old:
            return
    raise AssertionError("the topology never loaded")


def _cursor_to(view: TopologyView, kind: str, entity: str, pad: int = -1) -> None:
    tree = view.graph_tree

    def walk(node):
        yield node
        for child in node.children:
            yield from walk(child)

    node = next(n for n in walk(tree.root) if n.data is not None and n.data.kind == kind
                and n.data.entity == entity and (pad < 0 or n.data.pad == pad))
    tree.move_cursor(node)


@sync
async def test_topology_tab_highlights_toggles_and_edits() -> None:
    app = _app()
    async with app.run_test(size=(140, 48)) as pilot:
        await open_node(pilot, RAW)
        await pilot.press("6")
        view = app.screen.query_one(TopologyView)
        await _loaded(pilot, view)
        text = screen_text(app)
        assert "mismatch" in text and "code differs" in text
        assert view.snapshot is not None and view.snapshot.mismatched
        # t on the Debayer A -> Scaler link disables it (the check reruns).
        view.graph_tree.focus()
        _cursor_to(view, "link", "Debayer A", 1)
        old = view.snapshot
        await pilot.press("t")
        await _loaded(pilot, view, old)
        topo = read_topology("/dev/media3")
        assert not next(lk for lk in topo.data_links
                        if topo.pad_label(lk.source_id) == "'Debayer A':1"
                        and topo.pad_label(lk.sink_id) == "'Scaler':0").enabled
        # F on "Sensor A":0, a Bayer code: the debayer link validates now, and the
        # Raw Capture 0 link (an RGB3 node) is the mismatch.
        _cursor_to(view, "pad", "Sensor A", 0)
        await pilot.press("F")
        await settle(pilot)
        assert isinstance(app.screen, FormatEditor)
        app.screen.query_one(Input).value = '"Sensor A":0[fmt:SRGGB8_1X8/640x480]'
        old = view.snapshot
        await pilot.press("enter")
        await _loaded(pilot, view, old)
        checks = {c.video: c for c in view.snapshot.checks}
        assert [p.sink for p in checks[RAW].problems] == ["'Raw Capture 0':0"]


@sync
async def test_s_on_a_failing_pipeline_says_why() -> None:
    app = _app()
    async with app.run_test(size=(140, 48)) as pilot:
        await open_node(pilot, RAW)
        await pilot.press("s")
        await settle(pilot)
        errors = [n for n in notifications(app) if n[0] == "error"]
        assert errors and "pipeline does not validate" in errors[-1][1]
        assert "'Sensor A':0 → 'Debayer A':0" in errors[-1][2]


@sync
async def test_keys_route_the_scaler_and_s_streams() -> None:
    """Two `t` presses route the scaler to "RGB/YUV Input"; then `s` streams."""
    from mediatui.screens.stream import StreamScreen

    app = _app()
    async with app.run_test(size=(140, 48)) as pilot:
        await open_node(pilot, "/dev/video5")  # RGB/YUV Capture
        await pilot.press("6")
        view = app.screen.query_one(TopologyView)
        await _loaded(pilot, view)
        view.graph_tree.focus()
        for source in ("Debayer A", "RGB/YUV Input"):
            _cursor_to(view, "link", source)
            old = view.snapshot
            await pilot.press("t")
            await _loaded(pilot, view, old)
        checks = {c.video: c for c in view.snapshot.checks}
        assert checks["/dev/video5"].ok
        await pilot.press("s")
        for _ in range(50):  # not settle(): the stream's worker runs until stopped
            await pilot.pause(0.05)
            if isinstance(app.screen, StreamScreen):
                break
        assert not [n for n in notifications(app) if n[0] == "error"]
        assert isinstance(app.screen, StreamScreen)
        assert app.screen.active is not None and app.screen.active.running
        app.screen.active.stop()
        await pilot.pause(0.2)
