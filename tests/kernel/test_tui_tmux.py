"""The stream view on real drivers (inside the VM), two ways:

* in a real terminal: ``mediatui`` runs in tmux (120x40); keys go in with
  ``send-keys`` exactly as a person types them, and ``capture-pane`` reads the screen.
  It streams vivid and shows a non-zero fps and advancing sequence numbers; and when
  vivid is unbound mid-stream the screen says the device was removed while the app
  stays alive (that run has the boot that test_stream_unplug.py uses, and re-binds);
* through the Textual pilot: the vivid → vim2m → vivid-out DMABUF pipeline and the
  DVB view on vidtv (tune, PES filter, DMX_REQBUFS, queue).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot

from core.abi import v4l2 as v
from core.discovery import discover
from core.video import VideoDevice
from mediatui.app import make_app
from mediatui.screens.stream import SCREEN_NAME, stream_command

ROOT = Path(__file__).resolve().parents[2]
SOCKET = "mediatui-test"  # a tmux server of our own (-L)
SESSION = "mtui"
DRIVER = Path("/sys/bus/platform/drivers/vivid")
FPS = 30
# Under TCG the app takes 20-30 s to draw its first screen (more on a loaded host).
START_S = 240.0


def _tmux(*args: str, check: bool = True) -> str:
    exe = shutil.which("tmux")
    if exe is None:
        pytest.fail("tmux not found in the guest (the host's /usr/bin/tmux should be visible)")
    proc = subprocess.run([exe, "-u", "-L", SOCKET, *args], capture_output=True, text=True,
                          timeout=30, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"tmux {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def _pane() -> str:
    return _tmux("capture-pane", "-p", "-t", SESSION)


def _pane_state() -> tuple[bool, int]:
    """(dead, pid) of the pane's process."""
    dead, pid = _tmux("list-panes", "-t", SESSION, "-F", "#{pane_dead} #{pane_pid}").split()
    return dead == "1", int(pid)


def _wait(what: str, cond: Callable[[str], bool], timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _pane()
        if cond(screen):
            return screen
        if _pane_state()[0]:
            break
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")


@contextlib.contextmanager
def _mediatui() -> Iterator[None]:
    """mediatui in a detached 120x40 tmux session; the pane stays if it dies (so the
    traceback can be read), and the server goes at the end."""
    env = "LANG=C.UTF-8 TERM=screen-256color COLUMNS=120 LINES=40"
    _tmux("kill-server", check=False)
    _tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", "-c", str(ROOT),
          f"env {env} {sys.executable} -m mediatui")
    _tmux("set-option", "-t", SESSION, "remain-on-exit", "on")
    try:
        yield
    finally:
        _tmux("kill-server", check=False)


def _tree_lines() -> list[str | None]:
    """The browser's rows as discovery orders them: each group (None) and its nodes."""
    lines: list[str | None] = []
    for group in discover().groups:
        lines.append(None)
        lines += [n.path for n in group.nodes]
    return lines


def _opened(screen: str) -> str | None:
    """The node the panels show: the tabs' border title (set when Enter opens it)."""
    m = re.search(r"╭─ (/dev/\S+) ─", screen)
    return m.group(1) if m else None


def _open_stream(node: str) -> str:
    """Wait for the browser, move the cursor to ``node`` (Enter shows which node the
    cursor is on; correct and retry), press s; returns the streaming screen."""
    # The node count under the tree appears once discovery has filled it (the node
    # itself may be below the fold: 55 nodes do not fit in 40 rows).
    _wait("the device browser", lambda s: re.search(r"\d+ nodes · ", s) is not None,
          timeout=START_S)
    lines = _tree_lines()
    assert node in lines, f"{node} is not in discovery's list"
    at, opened = 1, None  # the browser starts on the first group's first node
    for _ in range(6):
        step = lines.index(node) - at
        for _ in range(abs(step)):
            _tmux("send-keys", "-t", SESSION, "Down" if step > 0 else "Up")
        _tmux("send-keys", "-t", SESSION, "Enter")
        before = opened
        screen = _wait("a node opened", lambda s, b=before: _opened(s) not in (None, b),
                       timeout=60)
        opened = _opened(screen)
        if opened == node:
            break
        assert opened in lines, f"opened {opened}, which discovery does not list"
        at = lines.index(opened)
    else:
        raise AssertionError(f"could not move the browser's cursor to {node}:\n{screen}")
    _tmux("send-keys", "-t", SESSION, "s")
    name = Path(node).name
    return _wait(f"{name} streaming", lambda s: "streaming" in s and _fps(s) > 0
                 and re.search(rf"\b{name}\b", s) is not None, timeout=120)


def _fps(screen: str) -> float:
    m = re.search(r"(\d+\.\d) fps", screen)
    return float(m.group(1)) if m else 0.0


def _sequences(screen: str) -> list[int]:
    return [int(x) for x in re.findall(r"\bseq\s+(\d+)", screen)]


def _set_fps(node: str) -> None:
    with VideoDevice(node) as dev:
        dev.set_frame_rate(v.V4L2_BUF_TYPE_VIDEO_CAPTURE, FPS)


def test_tmux_streams_vivid_with_fps_and_advancing_sequence(vivid_cap: str) -> None:
    """s on vivid-000-vid-cap: the header shows the stream's fps, the lanes' sequence
    numbers advance; s again stops it and the buffers are released."""
    _set_fps(vivid_cap)
    with _mediatui():
        screen = _open_stream(vivid_cap)
        assert "vivid-000-vid-cap" in screen, screen
        first = max(_sequences(screen), default=-1)
        time.sleep(3.0)
        screen = _pane()
        later = max(_sequences(screen), default=-1)
        assert later > first >= 0, screen
        assert _fps(screen) == pytest.approx(FPS, rel=0.25), screen
        assert "drops" in screen and "driver" in screen
        _tmux("send-keys", "-t", SESSION, "s")
        # The header says stopped at STREAMOFF; the note comes with the final snapshot,
        # after the buffers are freed (REQBUFS 0), which a loaded host can delay.
        _wait("stopped, buffers released",
              lambda s: "stopped" in s and "buffers released" in s)
        assert not _pane_state()[0]


@pytest.mark.kernel_args("vivid.n_devs=3")  # the boot test_stream_unplug.py unbinds in
def test_tmux_unbind_while_streaming_says_removed_and_lives(node_by_name) -> None:
    """Unbinding vivid under a running stream: the screen says the device was removed,
    tmux's pane process is still alive and still answers keys."""
    node = node_by_name("vivid-000-vid-cap")
    _set_fps(node)
    instance = sorted(p.name for p in DRIVER.glob("vivid.*"))[0]
    try:
        with _mediatui():
            _open_stream(node)
            (DRIVER / "unbind").write_text(instance)
            screen = _wait("device removed", lambda s: "device removed" in s, timeout=20)
            assert node in screen or Path(node).name in screen, screen
            dead, pid = _pane_state()
            assert not dead, screen
            os.kill(pid, 0)  # raises if the process is gone
            _tmux("send-keys", "-t", SESSION, "Escape")
            _wait("the browser again", lambda s: "devices" in s and "removed" in s)
            assert not _pane_state()[0]
    finally:
        if not (DRIVER / instance).exists():
            (DRIVER / "bind").write_text(instance)
    deadline = time.monotonic() + 10
    while not os.path.exists(node) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert os.path.exists(node), "vivid did not come back after bind"


async def _until(pilot: Pilot, what: str, cond: Callable[[], bool],
                 timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not cond():
        await pilot.pause(0.1)
    assert cond(), f"timed out waiting for {what}"


def test_pilot_pipeline_vivid_vim2m_vivid_out_dmabuf(vivid_cap: str, vim2m: str,
                                                     vivid_out: str) -> None:
    """l (link) twice, then s: vivid's exported buffers go into vim2m's OUTPUT, vim2m's
    CAPTURE into vivid-out, zero copy; frames come out of the far end."""
    _set_fps(vivid_cap)
    before = set(os.listdir("/proc/self/fd"))

    async def run() -> None:
        app = make_app(watch=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)
            await stream_command(app, vivid_cap, "open")
            screen = app.get_screen(SCREEN_NAME)
            view = screen.view_for(vivid_cap)
            await _until(pilot, "vivid alone", lambda: view.snapshot is not None)
            await pilot.press("s")
            await _until(pilot, "stopped", lambda: not view.running)
            view.spec = replace(view.spec, paths=(vivid_cap, vim2m, vivid_out))
            await pilot.press("s")
            await _until(pilot, "30 frames out of vivid-out", lambda: view.snapshot is not None
                         and view.snapshot.frames >= 30, 60)
            snap = view.snapshot
            assert [q.memory for q in snap.queues] == ["mmap", "dmabuf", "mmap", "dmabuf"]
            assert snap.queues[1].source.startswith(f"export {vivid_cap}")
            assert all(q.stats.errors == 0 for q in snap.queues)
            await pilot.press("s")
            await _until(pilot, "stopped", lambda: not view.running and view.snapshot.final)
            assert view.snapshot.error is None

    asyncio.run(run())
    assert set(os.listdir("/proc/self/fd")) == before


def test_pilot_dvb_view_on_vidtv(dvb_adapter: dict[str, str]) -> None:
    """s on vidtv's frontend: the DVB view tunes 474 MHz (lock), sets the PES filter up
    stopped, DMX_REQBUFS, queues every buffer, then DMX_START (the service layer's one
    order, the same as ``mediatui stream --tune``); 10 s of TS arrive with bitrate and
    flags and 0 continuity errors."""

    async def run() -> None:
        app = make_app(watch=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)
            await stream_command(app, dvb_adapter["frontend"], "open")
            view = app.get_screen(SCREEN_NAME).view_for(dvb_adapter["demux"])
            assert view is not None
            await _until(pilot, "TS buffers", lambda: view.snapshot is not None
                         and view.snapshot.frames >= 5, 60)
            # When continuity was lost, if it was: (elapsed s, cc errors so far).
            losses: list[tuple[float, int]] = []
            deadline = time.monotonic() + 90
            while view.snapshot.elapsed < 10.0 and time.monotonic() < deadline:
                cc = view.snapshot.main.ts.cc_errors
                if cc != (losses[-1][1] if losses else 0):
                    losses.append((round(view.snapshot.elapsed, 2), cc))
                await pilot.pause(0.1)
            assert view.snapshot.elapsed >= 10.0
            ts = view.snapshot.main.ts
            assert ts.packets > 0 and ts.bytes_per_s and ts.sync_losses == 0
            assert ts.cc_errors == 0, (losses, dict(ts.cc_errors_by_pid), ts.buffers)
            panel = str(view.stats_panel.query_one("#ts-numbers").render())
            assert "Mbit/s" in panel and "dmx flags" in panel and "continuity" in panel
            notes = "\n".join(line.text for line in view.notes.lines)
            assert "LOCK" in notes and "DMX_SET_PES_FILTER" in notes
            assert "set up stopped" in notes and "then DMX_START" in notes
            await pilot.press("s")
            await _until(pilot, "stopped", lambda: not view.running)
            assert not app.session.is_open(dvb_adapter["demux"])

    asyncio.run(run())
