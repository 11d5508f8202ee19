"""Pilot tests on the demo board (the virtual devices ``mediatui --demo`` shows): every
action of the browser, inspector, buffers, export and import panels and the ioctl log,
asserting on what the screen shows and on the device state behind it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_app import notifications, screen_text, settle, sync
from textual.pilot import Pilot
from textual.widgets import Input, Select

from core.abi import v4l2 as v
from core.fdinfo import open_fds
from core.video import VideoDevice
from mediatui.app import MediatuiApp, make_app
from mediatui.demo import install_demo, uninstall_demo
from mediatui.widgets.device_tree import DeviceTree

CAMERA = "/dev/video0"  # vivid-000, multi-planar capture
OUTPUT = "/dev/video1"  # vivid-000 output
DEMUX = "/dev/dvb/adapter0/demux0"
CAPTURE_MPLANE = v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE


@pytest.fixture(autouse=True)
def demo() -> Iterator[None]:
    """The board ``mediatui --demo`` installs, fresh for every test."""
    install_demo()
    try:
        yield
    finally:
        uninstall_demo()


def _app(tmp_path: Path | None = None) -> MediatuiApp:
    return make_app(demo=True, log_dir=tmp_path or ".")


async def open_node(pilot: Pilot, path: str) -> None:
    """Cursor to the node in the browser, then Enter: the way a person opens it."""
    await settle(pilot)
    tree = pilot.app.screen.query_one(DeviceTree)
    leaves = [leaf for group in tree.root.children for leaf in group.children]
    node = next(n for n in leaves if n.data == path)
    tree.focus()
    tree.move_cursor(node)
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)


def device(app: MediatuiApp, path: str = CAMERA) -> VideoDevice:
    node = app.session.get(path)
    assert isinstance(node, VideoDevice)
    return node


def errors(app: MediatuiApp) -> list[tuple[str, str, str]]:
    return [n for n in notifications(app) if n[0] == "error"]


async def request(pilot: Pilot, count: int, memory: int = v.V4L2_MEMORY_MMAP) -> None:
    screen = pilot.app.screen
    await pilot.press("2")
    screen.query_one("#count", Input).value = str(count)
    screen.query_one("#memory", Select).value = memory
    await pilot.press("r")
    await settle(pilot)


@sync
async def test_demo_browser_lists_the_board() -> None:
    """Grouped by physical device; the source line says these are virtual."""
    app = _app()
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        for name in ("vivid", "vim2m", "vidtv", "video0 capture", "adapter0/demux0"):
            assert name in text
        assert "virtual (demo)" in text
        assert app.watcher_factory is None  # no udev in demo mode


@sync
async def test_inspector_shows_caps_probe_and_formats() -> None:
    app = _app()
    async with app.run_test(size=(100, 60)) as pilot:
        await open_node(pilot, CAMERA)
        text = screen_text(app)
        for expected in ("VIDEO_CAPTURE_MPLANE", "memory types", "mmap, userptr, dmabuf",
                         "orphaned bufs", "EXPBUF", "max buffers", "video-capture-mplane",
                         "current format", "YUYV 4:2:2", "320x180  @ 1/1"):
            assert expected in text, expected
        assert CAMERA in app.session.open_paths


@sync
async def test_request_create_map_free() -> None:
    """REQBUFS shows asked vs granted and one row per buffer; CREATE_BUFS adds; m maps
    every plane; f frees them all."""
    app = _app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_node(pilot, CAMERA)
        await request(pilot, 3)
        state = device(app).queue_state(CAPTURE_MPLANE)
        assert state.requested == 3 and state.granted == state.num_buffers >= 3
        assert f"asked 3 → granted {state.granted}" in screen_text(app)
        table = app.screen.query_one("#buffers-table")
        assert table.row_count == sum(len(b.planes) for b in state.buffers)

        # Typing a count then Enter requests again (letters would go into the field).
        app.screen.query_one("#count", Input).focus()
        await pilot.press("backspace", "backspace", "5", "enter")
        await settle(pilot)
        state = device(app).queue_state(CAPTURE_MPLANE)
        assert state.requested == 5 and state.num_buffers == state.granted
        app.screen.query_one(DeviceTree).focus()

        app.screen.query_one("#count", Input).value = "2"
        await pilot.press("c")
        await settle(pilot)
        created = device(app).queue_state(CAPTURE_MPLANE)
        assert created.num_buffers == state.num_buffers + 2
        assert "CREATE_BUFS" in " ".join(n[2] for n in notifications(app))

        await pilot.press("m")
        await settle(pilot)
        mapped = device(app).queue_state(CAPTURE_MPLANE)
        assert all(p.mapped for b in mapped.buffers for p in b.planes)
        assert "yes" in screen_text(app)

        await pilot.press("f")
        await settle(pilot)
        assert device(app).queue_state(CAPTURE_MPLANE).num_buffers == 0
        assert app.screen.query_one("#buffers-table").row_count == 0
        assert not errors(app)


@sync
async def test_export_all_then_close_all() -> None:
    """After "export all" the table lists one fd per plane with fdinfo; after "close all"
    /proc/self/fd is back to its count before."""
    app = _app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_node(pilot, CAMERA)
        await request(pilot, 4)
        before = open_fds()
        await pilot.press("3", "E")
        await settle(pilot)
        state = device(app).queue_state(CAPTURE_MPLANE)
        planes = [p for b in state.buffers for p in b.planes]
        assert all(len(p.exported_fds) == 1 for p in planes)
        view = app.screen.view
        assert view is not None and len(view.exports) == len(planes)
        assert app.screen.query_one("#export-table").row_count == len(planes)
        assert all(row.exp_name and row.size >= planes[0].length for row in view.exports)
        text = screen_text(app)
        assert f"{len(planes)} dma-buf fds exported" in text
        assert str(view.exports[0].fd) in text
        assert len(open_fds() - before) == len(planes)

        await pilot.press("X")
        await settle(pilot)
        assert open_fds() == before
        assert app.screen.query_one("#export-table").row_count == 0
        assert "0 dma-buf fds exported" in screen_text(app)


@sync
async def test_export_one_plane_with_flags_and_close_it() -> None:
    app = _app()
    async with app.run_test(size=(140, 32)) as pilot:
        await open_node(pilot, CAMERA)
        await request(pilot, 2)
        await pilot.press("3")
        app.screen.query_one("#export-index", Select).value = 1
        app.screen.query_one("#export-plane", Select).value = 0
        app.screen.query_one("#export-access", Select).value = os.O_RDWR
        await pilot.press("e")
        await settle(pilot)
        (row,) = app.screen.view.exports
        assert (row.index, row.plane) == (1, 0)
        assert row.flags == os.O_RDWR | os.O_CLOEXEC
        assert "RDWR|CLOEXEC" in screen_text(app)
        app.screen.query_one("#export-table").focus()
        await pilot.press("x")
        await settle(pilot)
        assert not app.screen.view.exports
        assert not device(app).exports()


@sync
async def test_bad_plane_is_explained_and_logged() -> None:
    """EXPBUF of a plane the format does not have: EINVAL, explained on screen and in
    the log; nothing crashes."""
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_node(pilot, CAMERA)
        await request(pilot, 2)
        await pilot.press("3")
        app.screen.query_one("#export-index", Select).value = 0
        app.screen.query_one("#export-plane", Select).value = 3
        await pilot.press("e")
        await settle(pilot)
        (_severity, title, message), *_ = errors(app)
        assert title == "VIDIOC_EXPBUF failed: EINVAL"
        assert "Plane 3 does not exist" in message
        text = screen_text(app)
        assert "VIDIOC_EXPBUF" in text and "EINVAL" in text
        assert "✗ export: buffer: Plane 3 does not exist" in text


@sync
async def test_dvb_reqbufs_shows_the_clamp_and_exports() -> None:
    """DMX_REQBUFS with a size over 4096 TS packets: granted size and clamp on screen;
    DMX_EXPBUF gives one fd per buffer."""
    app = _app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_node(pilot, DEMUX)
        assert "DVB mmap API" in screen_text(app)
        await pilot.press("2")
        app.screen.query_one("#count", Input).value = "3"
        app.screen.query_one("#dvb-size", Input).value = "1000000"
        await pilot.press("r")
        await settle(pilot)
        view = app.screen.view
        assert view.dvb_allocation is not None and view.dvb_allocation.size_clamped
        text = screen_text(app)
        assert "asked 3 x 1000000 B" in text
        assert f"clamped by the kernel to {view.dvb_allocation.size}" in text
        await pilot.press("3", "E")
        await settle(pilot)
        assert len(app.screen.view.exports) == view.dvb_allocation.count
        await pilot.press("X")
        await settle(pilot)
        assert not app.screen.view.exports
        assert not errors(app)


@sync
async def test_import_exports_and_heap_on_a_dmabuf_queue() -> None:
    """The camera's exports and a heap allocation queued on the output's DMABUF queue,
    with the pre-flight check shown first; a too-small heap buffer is refused with the
    size explained."""
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_node(pilot, CAMERA)
        await request(pilot, 2)
        await pilot.press("3", "E")
        await settle(pilot)
        await open_node(pilot, OUTPUT)
        await request(pilot, 2, memory=v.V4L2_MEMORY_DMABUF)
        out_type = app.screen.buffers.buf_type
        assert device(app, OUTPUT).queue_state(out_type).memory == v.V4L2_MEMORY_DMABUF
        await pilot.press("4")
        await settle(pilot)
        panel = app.screen.imports
        keys = [s.key for s in panel._sources]
        assert any(k.startswith("export:/dev/video0") for k in keys)
        assert "heap:system" in keys and "udmabuf" in keys
        # The heap, at each plane's length: the pre-flight says ok, QBUF succeeds.
        app.screen.query_one("#import-source", Select).value = "heap:system"
        app.screen.query_one("#import-index", Select).value = 0
        await pilot.pause()
        assert "ok" in screen_text(app) and "pre-flight" in screen_text(app)
        await pilot.press("i")
        await settle(pilot)
        assert not errors(app), errors(app)
        queued = device(app, OUTPUT).queue_state(out_type).buffers[0]
        assert queued.status.value == "queued"
        assert all(p.imported_fd is not None for p in queued.planes)
        assert app.screen.query_one("#import-table").row_count == len(queued.planes)
        assert "queued on" in screen_text(app) and "video1 buf 0" in screen_text(app)
        # The camera's exports hold a 640x360 YUYV frame; the output wants more.  The
        # pre-flight says so before anything is queued.
        export_key = next(k for k in keys if k.startswith("export:/dev/video0"))
        app.screen.query_one("#import-index", Select).value = 1
        app.screen.query_one("#import-source", Select).value = export_key
        await pilot.pause()
        assert "too small: QBUF → EINVAL" in screen_text(app)
        # udmabuf of 4096 bytes: refused, and the size is what the explanation names.
        app.screen.query_one("#import-source", Select).value = "udmabuf"
        app.screen.query_one("#import-size", Input).value = "4096"
        await pilot.pause()
        assert "too small" in screen_text(app)
        await pilot.press("i")
        await settle(pilot)
        (_severity, title, message), *_ = errors(app)
        assert "EINVAL" in title
        assert "4096" in message or "small" in message.lower()
        assert device(app, OUTPUT).queue_state(out_type).buffers[1].status.value == "dequeued"
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one("#import-table").row_count == 0


@sync
async def test_log_lists_ioctls_and_saves_ndjson(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_node(pilot, CAMERA)
        await request(pilot, 2)
        text = screen_text(app)
        assert "VIDIOC_REQBUFS" in text and "VIDIOC_QUERYBUF" in text
        await pilot.press("w")
        await pilot.pause()
        (saved,) = tmp_path.glob("*.ndjson")
        records = [json.loads(line) for line in saved.read_text().splitlines()]
        reqbufs = [r for r in records if r["ioctl"] == "VIDIOC_REQBUFS"]
        assert reqbufs and reqbufs[-1]["path"] == CAMERA and reqbufs[-1]["errno"] is None
        assert "count=2" in reqbufs[-1]["summary"]
        args = reqbufs[-1]["args"]
        assert args["count"] == 2 and args["memory"] == "mmap" and args["type_raw"] == 9
        assert "MMAP" in args["capabilities"]  # the driver's answer, decoded
        from core.service import jsondoc

        for record in records:  # every saved line is a mediatui.ioctl/1 document
            assert jsondoc.validate(record) == "ioctl"


@sync
async def test_palette_runs_buffer_commands() -> None:
    """"buffers: request" and "export: close all" from the command palette."""
    app = _app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_node(pilot, CAMERA)
        for command in ("buffers: request", "export: all", "export: close all"):
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*command)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
        state = device(app).queue_state(CAPTURE_MPLANE)
        assert state.num_buffers == 4
        assert not device(app).exports()
        assert not errors(app)


@sync
async def test_close_device_releases_every_fd() -> None:
    """The whole lifecycle, then d: every fd the app opened is closed again."""
    app = _app()
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        before = open_fds()
        await open_node(pilot, CAMERA)
        await request(pilot, 4)
        await pilot.press("m", "3", "E")
        await settle(pilot)
        assert len(open_fds()) > len(before)
        await pilot.press("d")
        await settle(pilot)
        assert CAMERA not in app.session.open_paths
        assert open_fds() == before
        assert "● video0" not in screen_text(app)


@sync
async def test_mouse_opens_and_buttons_act() -> None:
    """Mouse too: a click opens a node; the panel buttons do what the keys do."""
    app = _app()
    async with app.run_test(size=(100, 48)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(DeviceTree)
        leaves = [leaf for group in tree.root.children for leaf in group.children]
        line = [n for g in tree.root.children for n in (g, *g.children)].index(
            next(n for n in leaves if n.data == OUTPUT))
        await pilot.click(DeviceTree, offset=(8, line))
        await settle(pilot)
        assert app.screen.path == OUTPUT
        await pilot.click("Tab#--content-tab-buffers")
        await pilot.pause()
        await pilot.click("#buffers_request")
        await settle(pilot)
        out_type = app.screen.buffers.buf_type
        assert device(app, OUTPUT).queue_state(out_type).num_buffers == 4
        await pilot.click("#buffers_free")
        await settle(pilot)
        assert device(app, OUTPUT).queue_state(out_type).num_buffers == 0
        assert not errors(app)


@sync
async def test_a_rebuild_keeps_the_cursor_on_a_group_line() -> None:
    """A rescan (hotplug, Ctrl+R) while the cursor is on a group line leaves it there:
    it used to jump to the first capture node, under the keys being pressed. Of two
    groups with the same label, it stays on the same one."""
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(DeviceTree)
        twins = [g for g in tree.root.children if g.label.plain == "vivid (vivid)"]
        assert len(twins) == 2
        tree.focus()
        tree.move_cursor(twins[1])
        await pilot.pause()
        line = tree.cursor_line
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert tree.root.children[0] is not twins[0]  # rebuilt: new nodes
        assert tree.cursor_line == line
        cursor = tree.cursor_node
        assert cursor is not None and cursor.data is None
        assert cursor.label.plain == "vivid (vivid)"
        assert [g for g in tree.root.children if g.label.plain == "vivid (vivid)"][1] is cursor
