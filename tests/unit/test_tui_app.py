"""Pilot tests that need no device: the empty state, help, palette, log, and errors that
are explained instead of crashing (a node that cannot be opened, hotplug removal).

``screen_text`` reads what the screen shows from the app's own SVG export, so the tests
assert on the words a person would see, not on widget internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import json
import os
import re
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from core.discovery import DeviceList, DeviceNode, HotplugEvent, PhysicalDevice, Watcher
from core.ioctl import TraceEntry
from mediatui.app import MediatuiApp, make_app
from mediatui.messages import HotplugReceived, IoctlTraced
from mediatui.screens.help import HelpScreen
from mediatui.screens.main import MainScreen
from mediatui.widgets.device_tree import EMPTY_TEXT, DeviceTree
from mediatui.widgets.ioctl_log import IoctlLog, IoctlRecorder

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
                   r'clip-path="url\(#[^)]*-line-(\d+)\)">([^<]*)</text>')


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async pilot test with asyncio.run (no async pytest plugin is installed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def screen_text(app: MediatuiApp) -> str:
    """The terminal's characters, row by row, from the SVG screenshot."""
    rows: dict[int, dict[int, str]] = {}
    for m in _TEXT.finditer(app.export_screenshot()):
        col = round(float(m.group(1)) / 12.2)
        row = rows.setdefault(int(m.group(2)), {})
        for i, ch in enumerate(html.unescape(m.group(3)).replace("\xa0", " ")):
            row[col + i] = ch
    return "\n".join(
        "".join(r.get(c, " ") for c in range(max(r, default=-1) + 1)).rstrip()
        for _, r in sorted(rows.items())
    )


def notifications(app: MediatuiApp) -> list[tuple[str, str, str]]:
    """(severity, title, message) of every notification shown so far."""
    return [(n.severity, n.title, n.message) for n in app._notifications]


def _node(path: str, name: str) -> DeviceNode:
    sysname = path.rsplit("/", 1)[-1]
    return DeviceNode(path=path, subsystem="video4linux", sysname=sysname,
                      devpath=f"/devices/virtual/{sysname}", kind="video-capture", name=name,
                      driver="ghost", card=name, bus_info="platform:ghost",
                      physical="/devices/virtual")


def _devices(*nodes: DeviceNode, name: str = "ghost cam") -> DeviceList:
    if not nodes:
        return DeviceList(source="test")
    group = PhysicalDevice("/devices/virtual", "", "virtual", "ghost", name, "",
                           "platform:ghost", tuple(nodes))
    return DeviceList(source="test", groups=(group,))


async def settle(pilot: Pilot) -> None:
    """Let workers finish and their messages be handled (not the hotplug watcher, which
    runs until the app exits)."""
    for _ in range(3):
        busy = [w for w in pilot.app.workers if w.group != "hotplug"]
        if busy:  # an empty list would mean "all", the watcher included
            await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()


@sync
async def test_empty_state_says_what_to_do() -> None:
    """No media devices: the browser says to check the video group or try --demo."""
    app = make_app(discover_fn=lambda: _devices(), watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#empty-devices").display
        assert not app.screen.query_one(DeviceTree).display
        text = screen_text(app)
        for word in ("no media devices", "permissions", "--demo"):
            assert word in text
        assert "no media devices found" in EMPTY_TEXT


@sync
async def test_help_lists_every_key_and_closes() -> None:
    app = make_app(devices=_devices(), watch=False)
    async with app.run_test(size=(100, 60)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for expected in ("Request", "buffers.request", "export.close_all", "Save log"):
            assert expected in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


@sync
async def test_log_toggles_with_l_and_from_the_palette() -> None:
    app = make_app(devices=_devices(), watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        log = app.screen.query_one(IoctlLog)
        assert log.display
        await pilot.press("l")
        assert not log.display
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"log: toggle")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(IoctlLog).display


@sync
async def test_open_failure_is_explained_not_fatal() -> None:
    """A node that cannot be opened: an error notification with the kernel's reason,
    the same explanation in the inspector and a note in the log; the app runs on."""
    app = make_app(devices=_devices(_node("/dev/video-nonexistent-42", "gone cam")),
                   watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        errors = [n for n in notifications(app) if n[0] == "error"]
        assert errors, notifications(app)
        _severity, title, message = errors[-1]
        assert "ENOENT" in title
        assert "No such device node" in message
        text = screen_text(app)
        assert "No such device node" in text
        assert "open failed: ENOENT" in text
        await pilot.press("r")  # buffers: request on a node that cannot open
        await settle(pilot)
        assert app.is_running


@sync
async def test_hotplug_remove_greys_out_the_open_node() -> None:
    """A node removed while selected stays in the tree, marked removed; panels say so."""
    node = _node("/dev/video-nonexistent-7", "unplugged cam")
    lists = [_devices(node), _devices()]
    app = make_app(devices=lists[0], discover_fn=lambda: lists[-1], watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        event = HotplugEvent("remove", "video4linux", node.devpath, node.sysname,
                             path=node.path, kind=node.kind, timestamp=time.monotonic())
        app.screen.post_message(HotplugReceived(event))
        await settle(pilot)
        text = screen_text(app)
        assert "removed" in text
        assert "was removed" in text
        assert any("removed" in n[2] for n in notifications(app))
        await pilot.press("2")
        await pilot.pause()
        assert "was removed" in screen_text(app)


@sync
async def test_device_strings_are_not_markup() -> None:
    """A card name full of markup shows literally (and does not crash the renderer)."""
    evil = "[bold red]evil[/] [link=http://x]cam[/link] \x1b[31m"
    app = make_app(devices=_devices(_node("/dev/video-nonexistent-9", evil), name=evil),
                   watch=False)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]evil[/]" in text
        assert "\x1b" not in text
        await pilot.press("enter")  # the inspector's identity lines, before open fails
        await settle(pilot)
        assert "[bold red]evil[/]" in screen_text(app)


def _entry(n: int, err: int | None = None) -> TraceEntry:
    return TraceEntry(time=1_700_000_000.0 + n, fd=3, path="/dev/video0", ioctl="VIDIOC_QUERYBUF",
                      request=0xC0585609, summary=f"index={n}", result=None if err else 0,
                      errno=err, duration_ns=1000)


def test_recorder_coalesces_and_keeps_order() -> None:
    """Entries from many threads: one notification until read, none lost, bounded."""
    recorder = IoctlRecorder(maxlen=500)
    calls = []
    recorder.on_new = lambda: calls.append(1)
    threads = [threading.Thread(target=lambda k=k: [recorder(_entry(k * 100 + i))
                                                    for i in range(100)]) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    entries, total = recorder.since(0)
    assert total == 400 and len(entries) == 400
    recorder(_entry(1000))
    assert len(calls) == 2
    entries, total = recorder.since(total)
    assert [e.summary for e in entries] == ["index=1000"]


def test_recorder_saves_ndjson(tmp_path: Path) -> None:
    recorder = IoctlRecorder()
    recorder(_entry(1))
    recorder(_entry(2, err=22))
    target = tmp_path / "log.ndjson"
    assert recorder.save_ndjson(target) == 2
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert records[1]["errno_name"] == "EINVAL"
    assert records[0]["ioctl"] == "VIDIOC_QUERYBUF"


@sync
async def test_log_shows_entries_and_saves(tmp_path: Path) -> None:
    """w writes the log as NDJSON in the log directory and says where."""
    recorder = IoctlRecorder()
    app = make_app(devices=_devices(), watch=False, recorder=recorder, log_dir=tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        recorder(_entry(1))
        recorder(_entry(2, err=22))
        app.screen.query_one(IoctlLog).post_message(IoctlTraced())
        await pilot.pause()
        text = screen_text(app)
        assert "VIDIOC_QUERYBUF index=2 → EINVAL" in text
        await pilot.press("w")
        await pilot.pause()
        saved = list(tmp_path.glob("mediatui-ioctls-*.ndjson"))
        assert len(saved) == 1
        assert len(saved[0].read_text().splitlines()) >= 2


class FakeUevents:
    """An event socket for core.discovery.Watcher: a pipe to poll, events pushed by
    the test (what udev would send on unplug)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._queue: list[dict[str, str]] = []

    def fileno(self) -> int:
        return self._read

    def push(self, props: dict[str, str]) -> None:
        self._queue.append(props)
        os.write(self._write, b"x")

    def receive(self, limit: int | None = None) -> tuple[list[dict[str, str]], bool]:
        with contextlib.suppress(BlockingIOError):
            os.read(self._read, 4096)
        events, self._queue = self._queue, []
        return events, False

    def close(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)


@sync
async def test_watcher_thread_reports_unplug() -> None:
    """The real Watcher in its thread worker: a remove uevent greys the node out and the
    rescan that follows drops it from the list; quitting stops the thread."""
    node = _node("/dev/video-nonexistent-3", "usb cam")
    lists = [_devices(node), _devices()]
    events = FakeUevents()

    def watcher(known: object) -> Watcher:
        return Watcher(known=list(known), event_socket=events, describe=None)

    app = make_app(devices=lists[0], discover_fn=lambda: lists[-1], watch=True,
                   watcher_factory=watcher)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        events.push({"ACTION": "remove", "SUBSYSTEM": "video4linux",
                     "DEVPATH": node.devpath, "DEVNAME": node.path, "SEQNUM": "7"})
        for _ in range(40):
            await pilot.pause(0.05)
            if "removed" in screen_text(app):
                break
        await settle(pilot)
        assert "removed" in screen_text(app), (notifications(app), list(app.workers))
        assert any(w.group == "hotplug" and w.is_running for w in app.workers)
    assert not any(w.is_running for w in app.workers)
