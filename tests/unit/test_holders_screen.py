"""The Holders view: fed by a fixed scan (the tree recorded in the VM, see
test_holders_scan.py) through the same worker loop; the tables, the size sort, the
dma-buf details on Enter, the trend, and hostile process text kept out of markup."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

from test_holders_scan import TREE, roots
from test_tui_app import _devices, screen_text, sync

from core.holders import join, scan
from core.holders.model import ProcessInfo
from core.service.holders import HoldersSnapshot
from mediatui.app import make_app
from mediatui.screens.holders import HoldersScreen
from mediatui.widgets.trend import trend

assert Path(TREE).is_dir()


def fixed_take(grow: bool = False, hostile: bool = False):  # type: ignore[no-untyped-def]
    r = roots()
    base = join(scan(r), r)
    counter = itertools.count()

    def take() -> HoldersSnapshot:
        holders = base
        if hostile:
            procs = tuple(dataclasses.replace(p, info=ProcessInfo(
                p.info.pid, "x", ("[bold red]evil[/]", "\x1b[2J"), 0, "[i]root[/i]"))
                for p in base.processes)
            holders = dataclasses.replace(base, processes=procs)
        if grow:
            n = next(counter)
            procs = tuple(dataclasses.replace(p, total_bytes=p.total_bytes * (n + 1))
                          for p in holders.processes)
            holders = dataclasses.replace(holders, processes=procs)
        return HoldersSnapshot(holders, 0.0, 0.001)

    return take


async def _open(pilot, take) -> HoldersScreen:  # type: ignore[no-untyped-def]
    screen = HoldersScreen(pilot.app.backend, take, interval_s=0.05)
    await pilot.app.push_screen(screen)
    for _ in range(40):
        await pilot.pause(0.05)
        if screen.holders is not None:
            break
    return screen


@sync
async def test_tables_sort_and_details() -> None:
    app = make_app(discover_fn=lambda: _devices(), watch=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open(pilot, fixed_take())
        text = screen_text(app)
        assert "6 dma-bufs" in text and "bin/python3 /work" in text
        bufs = screen.query_one("#holders-dmabufs")
        sizes = [screen.holders.dmabuf(int(k.value)).size for k in bufs.rows]
        assert sizes == sorted(sizes, reverse=True)
        await pilot.press("s")
        sizes = [screen.holders.dmabuf(int(k.value)).size for k in bufs.rows]
        assert sizes == sorted(sizes)
        await pilot.press("tab", "enter")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "attached devices:" in text and "exported by:" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HoldersScreen)


@sync
async def test_trend_climbs_for_a_leaking_process() -> None:
    app = make_app(discover_fn=lambda: _devices(), watch=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open(pilot, fixed_take(grow=True))
        await pilot.pause(0.5)
        (history,) = screen._history.values()
        assert len(history) >= 3 and list(history) == sorted(history)
        line = trend(list(history)).plain
        assert line[-1] == "█" and line[0] != "█"


@sync
async def test_hostile_process_text_is_not_markup() -> None:
    app = make_app(discover_fn=lambda: _devices(), watch=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await _open(pilot, fixed_take(hostile=True))
        text = screen_text(app)
        assert "[bold red]evil[/] \\x1b[2J" in text
        assert "[i]root[/i]" in text


@sync
async def test_h_opens_the_view_and_a_failing_scan_is_reported() -> None:
    def broken() -> HoldersSnapshot:
        raise PermissionError(13, "Permission denied", "/proc")

    app = make_app(discover_fn=lambda: _devices(), watch=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("h")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HoldersScreen)
        await pilot.press("escape")
        await app.push_screen(HoldersScreen(app.backend, broken))
        await pilot.pause(0.3)
        assert any("holders scan failed" in n.message for n in app._notifications)
