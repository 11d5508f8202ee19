"""Does the Holders view's once-a-second /proc scan move the TUI's keypress latency?

The Holders view (``h``) refreshes in a thread worker.  This measures keypress →
repaint latency on its process table (cursor down/up: the row highlight and the
table redrawn) while the worker scans a big process tree every second, against the
same view with the scan paused (it takes one snapshot, then waits an hour).  Keys
arrive at random intervals of 50 to 150 ms; rounds alternate.  The tree is
``benchmarks/holders.py``'s (``--procs`` processes, ``--fds`` fds, memfd or udmabuf
dma-bufs).  The host's tree has no real dma-bufs (memfd stand-ins unless udmabuf
exists), so the tables show the tree recorded in the VM (tests/unit/data/holders):
each refresh still pays for the full scan of the real /proc, then shows that tree; keys
move the dma-buf table's cursor.  From the repository root::

    .venv/bin/python benchmarks/holders_ui.py [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from holders import build_tree
from textual import events
from textual.widgets import DataTable

from core.discovery import DeviceList
from core.holders import SYSTEM, ScanRoots, join, scan
from core.service.holders import HoldersSnapshot, take_snapshot
from mediatui.app import make_app
from mediatui.screens.holders import HoldersScreen

DATA = Path(__file__).resolve().parent.parent / "tests" / "unit" / "data" / "holders" / "vm-helper"

FIXTURE = ScanRoots(proc=str(DATA / "proc"), debugfs=str(DATA / "debug"),
                    sysfs=str(DATA / "sys"))


def shown_tree() -> HoldersSnapshot:
    """The real scan (what the refresh costs), then the recorded tree's rows."""
    real = take_snapshot(SYSTEM, polite=True)
    shown = join(scan(FIXTURE), FIXTURE)
    return HoldersSnapshot(shown, real.taken_at, real.duration_s)


async def measure(
    seconds: float, scanning: bool, rng: random.Random
) -> tuple[list[float], int]:
    app = make_app(discover_fn=lambda: DeviceList(source="bench"), watch=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = HoldersScreen(app.backend, shown_tree, interval_s=1.0 if scanning else 3600.0)
        await app.push_screen(screen)
        while screen.holders is None:
            await pilot.pause(0.05)
        table = screen.query_one("#holders-dmabufs", DataTable)
        table.focus()
        painted: list[float] = []
        applied = 0
        taken = screen._take

        def counted():  # type: ignore[no-untyped-def]
            nonlocal applied
            applied += 1
            return taken()

        screen._take = counted
        latencies: list[float] = []
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            await asyncio.sleep(rng.uniform(0.05, 0.15))
            key = "down" if n % 2 == 0 else "up"
            n += 1
            before, row = len(painted), table.cursor_row
            t0 = time.perf_counter()
            # What the terminal driver does with a key; done when the moved cursor has
            # been painted.
            app.post_message(events.Key(key, None))
            while table.cursor_row == row:
                await asyncio.sleep(0.0005)
            app.call_after_refresh(lambda: painted.append(time.perf_counter()))
            while len(painted) == before:
                await asyncio.sleep(0.0005)
            latencies.append((painted[before] - t0) * 1000)
    return latencies, applied


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--procs", type=int, default=500)
    ap.add_argument("--fds", type=int, default=20_000)
    args = ap.parse_args()
    pids = build_tree(args.procs, args.fds, 200, "/dev/zero")
    rng = random.Random(1)
    results: dict[bool, list[float]] = {True: [], False: []}
    scans = 0
    try:
        for _ in range(args.rounds):
            for scanning in (False, True):
                lat, n = asyncio.run(measure(args.seconds, scanning, rng))
                results[scanning] += lat
                scans += n if scanning else 0
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        for pid in pids:
            os.waitpid(pid, 0)
    print(f"tree: {args.procs} processes; load average {os.getloadavg()[0]:.2f}; "
          f"{scans} scans applied while measuring")
    for scanning, lat in results.items():
        lat.sort()
        p95 = lat[int(len(lat) * 0.95) - 1]
        print(f"{'scan every 1 s' if scanning else 'scan paused   '}: {len(lat)} keys, "
              f"median {statistics.median(lat):.1f} ms, p95 {p95:.1f} ms, max {lat[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
