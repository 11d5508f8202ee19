"""`textual serve` (textual-dev) puts mediatui in a browser: the README's recipe works.

The server is started exactly as the README says (bound to 127.0.0.1), the page is
fetched, and the websocket a browser would open drives ``mediatui --demo``; the test
reads the terminal output that comes back until the first screen (the device browser
with the virtual devices, and the inspector) has been drawn.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ANSI = re.compile(rb"\x1b(?:\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


# What the first screen of `mediatui --demo` shows: the device browser with its virtual
# devices and the inspector's hint.
FIRST_SCREEN = ("devices", "Inspector", "Select a node in the browser", "virtual")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = log.read_text(errors="replace")
            pytest.fail(f"textual serve exited with {proc.returncode}:\n{out}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"textual serve did not listen on 127.0.0.1:{port} within {timeout} s")


async def _first_screen(port: int, timeout: float) -> str:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        async with http.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200
            html = await page.text()
            assert "/ws" in html, "the page does not point the browser at the websocket"
        async with http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=120&height=36") as ws:
            await ws.send_json(["resize", {"width": 120, "height": 36}])
            screen = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    msg = await ws.receive(timeout=max(0.1, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                if msg.type == aiohttp.WSMsgType.BINARY:
                    screen += msg.data
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                  aiohttp.WSMsgType.ERROR):
                    break
                text = ANSI.sub(b"", screen).decode(errors="replace")
                if all(marker in text for marker in FIRST_SCREEN):
                    return text
            return ANSI.sub(b"", screen).decode(errors="replace")


def test_textual_serve_on_localhost_shows_the_first_screen(tmp_path: Path) -> None:
    textual = shutil.which("textual", path=str(Path(sys.executable).parent))
    if textual is None:
        message = "textual-dev is not installed (pip install -e '.[test]')"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    command = f"{sys.executable} -m mediatui --demo"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([textual, "serve", "--command", "-h", "127.0.0.1", "-p",
                                 str(port), command],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_listening(port, proc, log, 30)
        text = asyncio.run(asyncio.wait_for(_first_screen(port, 60), 90))
        assert all(marker in text for marker in FIRST_SCREEN), (
            f"first screen not seen through the websocket; got:\n{text[-2000:]}\n"
            f"server log:\n{log.read_text(errors='replace')[-2000:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
