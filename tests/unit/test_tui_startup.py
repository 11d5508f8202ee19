"""What the first frame is built from (issue 16): only the panes on screen are composed,
the others when first shown or first needed by a key; discovery's list is in the first
frame when it is ready by then; ``mediatui [--demo]`` starts without the verbs' parsers.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_app import _devices, _entry, _node, notifications, settle, sync
from test_tui_demo import CAMERA, CAPTURE_MPLANE, device, open_node
from textual.pilot import Pilot

from mediatui.app import make_app
from mediatui.demo import install_demo, uninstall_demo
from mediatui.messages import DevicesChanged
from mediatui.screens.main import LAZY_PANES, STREAM_SCREEN, MainScreen
from mediatui.widgets.device_tree import DeviceTree
from mediatui.widgets.ioctl_log import IoctlLog, IoctlRecorder

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo() -> Iterator[None]:
    install_demo()
    try:
        yield
    finally:
        uninstall_demo()


def test_the_stream_screen_is_installed_under_its_own_name() -> None:
    """main.py spells the name so that the stream module loads on first use."""
    from mediatui.screens.stream import SCREEN_NAME

    assert STREAM_SCREEN == SCREEN_NAME


@sync
async def test_hidden_panes_are_built_when_first_shown() -> None:
    app = make_app(devices=_devices(_node("/dev/video0", "cam")), watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        for tab in LAZY_PANES:
            assert screen.pane(tab) is None, tab
            assert not screen.query(f"TabPane#{tab} > *"), tab
        assert screen.built_buffers is None
        await pilot.press("2")
        await settle(pilot)
        assert screen.built_buffers is not None and screen.built_buffers.display
        assert screen.pane("export") is None  # only what was shown
        await pilot.press("3")
        await settle(pilot)
        assert screen.built_exports is not None
        panel = screen.built_buffers
        await pilot.press("2")  # shown again: the same panel, not a second one
        await settle(pilot)
        assert screen.built_buffers is panel
        assert len(screen.query("#buffers-panel")) == 1
        await pilot.press("5")
        await settle(pilot)
        assert "Press s to stream" in str(screen.query_one("#stream-note").render())
        await pilot.click("Tab#--content-tab-topology")  # a click builds it too
        await settle(pilot)
        assert screen.pane("topology") is not None and screen.pane("topology").is_mounted


@sync
async def test_a_key_on_another_tab_builds_the_panel_it_reads(demo: None) -> None:
    """r on the inspector tab requests with the buffers panel's defaults for the open
    node (4 MMAP buffers of its first buffer type), as before the panel was lazy."""
    app = make_app(demo=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_node(pilot, CAMERA)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.pane("buffers") is None
        await pilot.press("r")
        await settle(pilot)
        assert not [n for n in notifications(app) if n[0] == "error"], notifications(app)
        state = device(app).queue_state(CAPTURE_MPLANE)
        assert state.requested == 4 and state.num_buffers >= 4
        assert screen.buffers.buf_type == CAPTURE_MPLANE
        assert screen.buffers.queue_state is not None
        await pilot.press("E")  # export all: builds the export panel, reads its flags
        await settle(pilot)
        assert screen.view is not None and len(screen.view.exports) == sum(
            len(b.planes) for b in state.buffers)
        await pilot.press("X", "f")
        await settle(pilot)


@sync
async def test_discovery_done_before_mount_is_shown_once() -> None:
    """The list discovery found while the screen was composed is shown by on_mount; its
    DevicesChanged message then changes nothing (no second rebuild of the tree)."""
    found = _devices(_node("/dev/video0", "cam"), _node("/dev/video1", "cam 2"))
    app = make_app(discover_fn=lambda: found, watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.devices is found
        tree = screen.query_one(DeviceTree)
        leaves = [leaf.data for group in tree.root.children for leaf in group.children]
        assert leaves == ["/dev/video0", "/dev/video1"]
        first = tree.root.children[0]
        screen.post_message(DevicesChanged(found))  # the same list again: a no-op
        await settle(pilot)
        assert tree.root.children[0] is first


def test_entries_traced_before_anyone_listens_do_not_silence_later_ones() -> None:
    """Discovery traces before the log's on_new is set: the first entry after it is set
    must still be announced."""
    recorder = IoctlRecorder()
    recorder(_entry(1))
    calls: list[int] = []
    recorder.on_new = lambda: calls.append(1)
    recorder(_entry(2))
    assert calls == [1]
    entries, _ = recorder.since(0)
    assert [e.summary for e in entries] == ["index=1", "index=2"]


def test_the_ui_starts_without_the_verbs_parsers() -> None:
    """`mediatui --demo` goes to the UI without argparse or any verb module (here
    without a terminal, so it stops at the terminal check: exit 2, said on stderr)."""
    code = ("import sys\n"
            "from mediatui.cli import main\n"
            "rc = main(['--demo'])\n"
            "loaded = [m for m in sys.modules\n"
            "          if m == 'argparse' or m.startswith('mediatui.verbs')]\n"
            "print(rc, loaded)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.stdout.strip() == "2 []", (proc.stdout, proc.stderr)
    assert "needs a terminal" in proc.stderr


@sync
async def test_panes_built_as_the_app_exits_do_not_crash_it(demo: None) -> None:
    """A tab shown (or a key needing its panel) in the same tick as quit: the panel is
    mounted while the app tears down, its children may be gone by its on_mount."""
    for tabs in (["buffers"], list(LAZY_PANES)):
        app = make_app(demo=True)
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            for tab in tabs:
                app.main_screen.action_show_tab(tab)
            app.exit()
        assert app._exception is None, app._exception
        assert app.return_code == 0


@sync
async def test_the_log_shows_its_last_lines_at_start(demo: None) -> None:
    """Discovery's ioctls are in the log before it is first laid out: it still follows
    the end (a scroll asked for before the scrollbar is shown must not be dropped)."""
    app = make_app(demo=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        log = app.screen.query_one(IoctlLog)
        assert len(log.text_lines) > log.scrollable_content_region.height  # it overflows
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y
        assert log.follow


def _first_screen(app: object) -> tuple[list[str], list[tuple[str, str]], int]:
    """(tab labels, footer keys as (key, description), widgets displayed) of a running
    app's screen."""
    from textual.app import App
    from textual.widgets import Tab
    from textual.widgets._footer import FooterKey

    assert isinstance(app, App)
    screen = app.screen
    tabs = [str(tab.label) for tab in screen.query(Tab)]
    keys = [(key.key_display, key.description) for key in screen.query(FooterKey)]
    shown = sum(1 for w in screen.walk_children(with_self=False) if w.display)
    return tabs, keys, shown


async def _footer_composed(pilot: Pilot) -> None:
    """Settled, and the footer's keys composed (the footer composes them after the
    screen's bindings are ready, a refresh or more after mount)."""
    from textual.widgets._footer import FooterKey

    await settle(pilot)
    for _ in range(100):
        if pilot.app.screen.query(FooterKey):
            return
        await pilot.pause(0.02)
    raise AssertionError("the footer composed no keys")


@sync
async def test_the_first_paints_textual_floor_draws_mediatuis_first_screen(demo: None) -> None:
    """benchmarks/bare_screen.py is the first-paint rows' Textual floor: mediatui's
    first screen in stock widgets. It must stay that screen: the same tabs, the same
    footer keys, the same groups in the tree, as many log lines as discovery traced, and
    about as many widgets (mediatui's browser adds its hidden empty-state note)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bare_screen  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    from textual.widgets import Log

    ours = make_app(demo=True)
    async with ours.run_test(size=(100, 32)) as pilot:
        await _footer_composed(pilot)
        our_screen = _first_screen(ours)
        our_groups = [str(n.label).split(" (")[0]
                      for n in ours.screen.query_one(DeviceTree).root.children]
        our_lines = ours.screen.query_one(IoctlLog).lines_written
    floor = bare_screen.BareScreen()
    async with floor.run_test(size=(100, 32)) as pilot:
        await _footer_composed(pilot)
        floor_screen = _first_screen(floor)
        floor_groups = [str(n.label).split(" (")[0]
                        for n in floor.query_one("#device-tree").root.children]
        floor_lines = floor.query_one(Log).line_count
    assert floor_screen[:2] == our_screen[:2]
    assert abs(floor_screen[2] - our_screen[2]) <= 2, (floor_screen[2], our_screen[2])
    assert floor_groups == our_groups and floor_groups
    assert floor_lines == our_lines > 0
