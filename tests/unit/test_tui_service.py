"""The TUI and the CLI over one service layer, and worker failures reaching the user.

- ``mediatui stream`` and the TUI's stream view set a DVB stream up through the same
  :meth:`core.service.stream.StreamRun.build`, and the kernel sees the same order from
  both: the PES filter set up stopped, every buffer queued, then DMX_START.
- ``mediatui info``/``probe`` read a node through the inspector's
  :func:`core.service.inspection.inspect`.
- A thread worker that raises (discovery, the hotplug watcher, any worker on a screen)
  becomes an explained notification, not a silent ERROR state.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_tui_app import _devices, notifications, sync
from textual.pilot import Pilot

from core import ioctl as chokepoint
from core.discovery import discover
from core.dvb import DemuxDevice
from core.errors import MediaError
from core.ioctl import TraceEntry
from core.service import inspection
from core.service.session import Session
from core.service.stream import StreamRun, StreamSpec
from core.virtual import ManualClock, scenario_board
from mediatui.app import make_app
from mediatui.cli import main
from mediatui.demo import uninstall_demo
from mediatui.screens.stream import SCREEN_NAME, stream_command


class Recorder:
    """Every DMX_/FE_ ioctl, in order; every StreamRun.build with its spec; whether each
    PES filter was set up started (DMX_IMMEDIATE_START)."""

    def __init__(self) -> None:
        self.ioctls: list[str] = []
        self.builds: list[StreamSpec] = []
        self.immediate: list[bool] = []

    def __call__(self, entry: TraceEntry) -> None:
        if entry.ioctl.startswith(("DMX_", "FE_")):
            self.ioctls.append(entry.ioctl)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    rec = Recorder()
    build = StreamRun.build

    def spy(run: StreamRun):  # type: ignore[no-untyped-def]
        rec.builds.append(run.spec)
        return build(run)

    monkeypatch.setattr(StreamRun, "build", spy)
    set_pes_filter = DemuxDevice.set_pes_filter

    def spy_filter(demux: DemuxDevice, pid: int, **kw: Any) -> None:
        rec.immediate.append(kw.get("start", True))
        set_pes_filter(demux, pid, **kw)

    monkeypatch.setattr(DemuxDevice, "set_pes_filter", spy_filter)
    chokepoint.add_tracer(rec)
    try:
        yield rec
    finally:
        chokepoint.remove_tracer(rec)


def assert_dvb_order(rec: Recorder, count: int) -> None:
    """Tuned, filter set (stopped), REQBUFS, ``count`` QBUFs, DMX_START, then DQBUFs."""
    ioctls = rec.ioctls
    assert rec.immediate == [False]
    assert "FE_SET_PROPERTY" in ioctls
    setup = ioctls[ioctls.index("DMX_SET_PES_FILTER"):]
    start = setup.index("DMX_START")
    assert setup[1] == "DMX_REQBUFS"
    assert setup[:start].count("DMX_QBUF") == count, setup[:start + 2]
    assert "DMX_DQBUF" not in setup[:start]


def test_cli_stream_sets_dvb_up_through_the_service(recorder: Recorder, capsys) -> None:
    try:
        code = main(["--demo", "stream", "/dev/dvb/adapter0/demux0", "--tune", "474000000",
                     "--buffers", "6", "--count", "3", "--quiet"])
    finally:
        uninstall_demo()
    assert code == 0, capsys.readouterr().err
    assert [s.paths for s in recorder.builds] == [("/dev/dvb/adapter0/demux0",)]
    assert recorder.builds[0].frequency == 474_000_000
    assert_dvb_order(recorder, 6)


@sync
async def test_tui_stream_sets_dvb_up_through_the_same_service(recorder: Recorder) -> None:
    clock = ManualClock()
    backend, roles = scenario_board(clock)
    with backend:
        app = make_app(discover_fn=discover, watch=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await stream_command(app, roles.frontend, "open")
            view = app.get_screen(SCREEN_NAME).view_for(roles.demux)  # type: ignore[attr-defined]
            for _ in range(100):
                clock.advance(0.05)
                await pilot.pause(0.02)
                if view.snapshot is not None and view.snapshot.frames >= 2:
                    break
            assert view.snapshot.frames >= 2
            await pilot.press("s")
            for _ in range(100):
                if not view.running:
                    break
                await pilot.pause(0.02)
    assert [s.paths for s in recorder.builds] == [(roles.demux,)]
    assert_dvb_order(recorder, view.spec.count)


def test_info_probe_and_the_inspector_read_through_one_inspect(monkeypatch, capsys) -> None:
    calls: list[tuple[str, dict[str, bool | str]]] = []
    real = inspection.read_node

    def spy(session: Session, path: str, **kw: bool | str) -> inspection.Read:
        calls.append((path, kw))
        return real(session, path, **kw)

    async def open_in_the_tui(path: str) -> None:
        app = make_app(demo=True)
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            app.main_screen.open_path(path)  # Enter in the browser
            await app.workers.wait_for_complete([w for w in app.workers
                                                 if w.group == "inspect"])
            await pilot.pause()

    monkeypatch.setattr(inspection, "read_node", spy)
    try:
        assert main(["--demo", "info", "/dev/video0", "--json"]) == 0
        assert main(["--demo", "probe", "/dev/video0", "--json"]) == 0
        # The inspector's worker looks the service function up when a node is opened.
        asyncio.run(open_in_the_tui("/dev/video0"))
    finally:
        uninstall_demo()
    assert calls == [("/dev/video0", {"info": True, "probe": False,
                                      "intervals": "current-size"}),
                     ("/dev/video0", {"info": False, "probe": True, "intervals": "all"}),
                     ("/dev/video0", {"info": True, "probe": True})]


# --- worker failures -------------------------------------------------------------------


async def notified(pilot: Pilot, title_part: str, timeout: float = 5.0) -> tuple[str, str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [n for n in notifications(pilot.app) if title_part in n[1]]  # type: ignore[arg-type]
        if found:
            return found[0]
        await pilot.pause(0.05)
    raise AssertionError(f"no notification titled *{title_part}*: "
                         f"{notifications(pilot.app)}")  # type: ignore[arg-type]


@sync
async def test_a_failing_discovery_worker_is_explained() -> None:
    def broken() -> object:
        raise RuntimeError("udev database unreadable")

    app = make_app(discover_fn=broken, watch=False)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 32)) as pilot:
        severity, title, message = await notified(pilot, "discovery")
    assert severity == "error" and title == "discovery"
    assert "discovery failed unexpectedly" in message
    assert "RuntimeError: udev database unreadable" in message


@sync
async def test_a_failing_hotplug_watcher_says_how_to_refresh() -> None:
    def no_netlink(_known: object) -> object:
        raise PermissionError(errno.EACCES, "Permission denied")

    app = make_app(devices=_devices(), discover_fn=_devices, watch=True,
                   watcher_factory=no_netlink)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 32)) as pilot:
        severity, title, message = await notified(pilot, "hotplug")
    assert severity == "error" and "EACCES" in title
    assert "Hotplug updates unavailable" in message and "Ctrl+R" in message


@sync
async def test_a_failing_worker_on_the_stream_screen_is_explained() -> None:
    """Any worker of a screen, not only the ones written with a try/except."""
    app = make_app(devices=_devices(), discover_fn=_devices, watch=False)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.get_screen(SCREEN_NAME)
        await app.push_screen(screen)

        def refused() -> None:
            raise MediaError(path="/dev/video9", ioctl="VIDIOC_STREAMON", errno=errno.EPIPE,
                             title="The pipeline is not linked",
                             explanation="Link the sensor to the capture node first.")

        screen.run_worker(refused, thread=True, name="test", exit_on_error=False)
        severity, title, message = await notified(pilot, "VIDIOC_STREAMON")
    assert severity == "error" and title == "VIDIOC_STREAMON failed: EPIPE"
    assert message.startswith("The pipeline is not linked\nLink the sensor")
