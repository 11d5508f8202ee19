"""The TUI on real drivers (inside the VM): it lists vivid, vim2m and vidtv, requests and
exports buffers on vivid, and explains the kernel's EINVAL for a plane that does not
exist, exactly as a person at the keyboard would see it."""

from __future__ import annotations

import asyncio
import html
import os
import re

from textual.pilot import Pilot
from textual.widgets import Select

from core.fdinfo import open_fds
from mediatui.app import MediatuiApp, make_app
from mediatui.widgets.device_tree import DeviceTree

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>')


def _text(app: MediatuiApp) -> str:
    """What the terminal shows, from the SVG screenshot (as tests/unit/test_tui_app.py)."""
    rows: dict[int, dict[int, str]] = {}
    for m in _TEXT.finditer(app.export_screenshot()):
        col = round(float(m.group(1)) / 12.2)
        row = rows.setdefault(int(m.group(2)), {})
        for i, ch in enumerate(html.unescape(m.group(3)).replace("\xa0", " ")):
            row[col + i] = ch
    return "\n".join("".join(r.get(c, " ") for c in range(max(r, default=-1) + 1))
                     for _, r in sorted(rows.items()))


def _notes(app: MediatuiApp) -> list[tuple[str, str, str]]:
    return [(n.severity, n.title, n.message) for n in app._notifications]


async def _settle(pilot: Pilot) -> None:
    """Workers done and their messages handled; the hotplug watcher runs until exit."""
    for _ in range(4):
        busy = [w for w in pilot.app.workers if w.group != "hotplug"]
        if busy:  # an empty list would mean "all", the watcher included
            await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()


async def _shows(pilot: Pilot, needle: str, timeout: float = 10.0) -> bool:
    """True once the terminal shows ``needle`` (checked every 0.1 s up to ``timeout``)."""
    for _ in range(int(timeout / 0.1)):
        if needle in _text(pilot.app):
            return True
        await pilot.pause(0.1)
    return needle in _text(pilot.app)


async def _open(pilot: Pilot, path: str) -> None:
    """Cursor to the node in the browser, then Enter, as a person would."""
    tree = pilot.app.screen.query_one(DeviceTree)
    node = None
    for _ in range(50):
        leaves = [leaf for group in tree.root.children for leaf in group.children]
        node = next((n for n in leaves if n.data == path), None)
        if node is not None:
            break
        await pilot.pause(0.1)
    assert node is not None, f"{path} is not in the browser"
    tree.focus()
    tree.move_cursor(node)
    await pilot.pause()
    await pilot.press("enter")
    await _settle(pilot)


def test_tui_lists_the_test_drivers(dvb_adapter: dict[str, str]) -> None:
    async def run() -> None:
        app = make_app(watch=True)
        async with app.run_test(size=(140, 60)) as pilot:
            await _settle(pilot)
            await pilot.pause(0.5)
            text = _text(app)
            for name in ("vivid-000", "vim2m", "vidtv", "adapter0/demux0"):
                assert name in text, text

    asyncio.run(run())


def test_tui_buffer_lifecycle_on_vivid(vivid_cap: str) -> None:
    """Open vivid-000's capture node, request, export every plane, try plane 1 (the
    node is single-planar: a real EINVAL, explained), close the exports, free: every fd
    the app opened is closed again.  One test, one app: the VM has no KVM."""

    async def run() -> None:
        before = open_fds()
        app = make_app(watch=False)
        async with app.run_test(size=(140, 50)) as pilot:
            await _settle(pilot)
            await _open(pilot, vivid_cap)
            assert "probe" in _text(app) and "EXPBUF" in _text(app)
            await pilot.press("2", "r")
            await _settle(pilot)
            queue = app.screen.buffers.queue_state
            assert queue is not None and queue.granted and queue.granted >= 4
            assert await _shows(pilot, f"granted {queue.granted}"), _text(app)

            await pilot.press("3", "E")
            await _settle(pilot)
            view = app.screen.view
            planes = sum(len(b.planes) for b in queue.buffers)
            assert view is not None and len(view.exports) == planes
            assert all(row.exp_name for row in view.exports)
            # The table repaints from the worker's result message: wait for it as a
            # person would (four pauses were not always enough under emulation).
            assert await _shows(pilot, view.exports[0].exp_name), _text(app)  # vb2_vmalloc

            app.screen.query_one("#export-index", Select).value = 0
            app.screen.query_one("#export-plane", Select).value = 1
            await pilot.pause()
            await pilot.press("e")
            await _settle(pilot)
            errors = [n for n in _notes(app) if n[0] == "error"]
            assert errors, _notes(app)
            _severity, title, message = errors[-1]
            assert title == "VIDIOC_EXPBUF failed: EINVAL"
            assert "Plane 1 does not exist" in message
            assert "single-planar" in message
            # The ioctl log is fed by a throttled message: give it time to repaint.
            assert await _shows(pilot, "Plane 1 does not exist"), _text(app)  # the log's note

            await pilot.press("X")
            await _settle(pilot)
            assert not app.screen.view.exports
            await pilot.press("2", "f")
            await _settle(pilot)
            assert not app.screen.buffers.queue_state.buffers
            assert os.path.exists(vivid_cap)
        assert open_fds() == before

    asyncio.run(run())
