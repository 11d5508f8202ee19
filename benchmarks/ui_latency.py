"""How responsive the TUI stays while streams run: keypress → repaint latency and CPU.

Two virtual vivid captures stream at 1,000 fps each with 32 buffers (each in its own
thread worker, the core engine's poll loop) while keys arrive at random intervals of 50
to 150 ms, alternating ``]`` (select the next queue: the lanes' marker and the numbers
panel are redrawn) and ``.`` (next stream tab: the other stream's whole view is drawn).
The same app with the same two stream tabs, not started, is the baseline; rounds of the
two alternate so the machine's other load weighs on both alike.

Latency runs from just before the key event is posted (what the terminal driver does)
to the end of the first screen refresh after the key's change (``call_after_refresh``
set by the action itself), so it includes the wait in the app's queue behind snapshot
messages, the handler, layout and paint.  CPU is the whole process's (UI, stream
threads, the virtual devices' clock thread) and the UI thread's own
(``time.thread_time`` on the event loop's thread), as shares of one core.

The virtual devices are the fast tier's (core.virtual, real-time clock).  vivid offers
at most 60 fps, so the benchmark sets the virtual nodes' frame interval to 1/1000
directly (and the frame size to 320x180): no driver change, the engine sees an ordinary
1 kHz capture.  Python threads share one interpreter lock, so the figures depend on
the machine's load; the load average is printed with them.  From the repository root::

    .venv/bin/python benchmarks/ui_latency.py [--seconds 10] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events

from core.abi import v4l2 as v
from core.discovery import discover
from core.service.stream import StreamSpec
from core.video import VideoDevice
from core.virtual import RealClock, scenario_board
from mediatui.app import make_app
from mediatui.screens.stream import SCREEN_NAME, StreamScreen, show_streams

NODES = ("/dev/video7", "/dev/video15")  # vivid-000 and vivid-002: single-planar captures
FPS = 1000
BUFFERS = 32
TARGET_P99_MS = 50.0


KEYS = (("right_square_bracket", "]"), ("full_stop", "."))  # select queue, next tab


@dataclass
class Run:
    """One measured stretch of one app (with or without streams)."""

    latencies: dict[str, list[float]]  # key -> ms
    cpu_s: float
    ui_cpu_s: float
    wall_s: float
    fps: tuple[float, ...]  # achieved, per stream (by arrival)
    frames: tuple[int, ...]
    drops: tuple[int, ...]
    applied: tuple[int, ...]  # snapshots the views applied


@dataclass
class Result:
    streams: bool
    presses: dict[str, int]
    p50_ms: dict[str, float]
    p99_ms: dict[str, float]
    max_ms: dict[str, float]
    cpu_share: float  # whole process, of one core
    ui_cpu_share: float  # the event loop's thread
    wall_s: float
    fps: tuple[float, ...]
    frames: tuple[int, ...]
    drops: tuple[int, ...]
    applied_hz: tuple[float, ...]


class ProbedStreamScreen(StreamScreen):
    """The stream screen, noting when the change a key made has been painted: the tab
    switch (the other stream's lanes and numbers drawn) and the queue selection (the
    lanes' marker and the numbers panel redrawn)."""

    probe: list[float]

    def _painted(self) -> None:
        self.call_after_refresh(lambda: self.probe.append(time.perf_counter()))

    def action_next_tab(self, delta: int) -> None:
        super().action_next_tab(delta)
        self._painted()

    def action_select_queue(self, delta: int) -> None:
        super().action_select_queue(delta)
        self._painted()


def prepare(backend: object) -> None:
    """Small frames, and the 1 kHz frame interval vivid's S_PARM would not allow."""
    for path in NODES:
        with VideoDevice(path) as dev:
            dev.set_format(v.V4L2_BUF_TYPE_VIDEO_CAPTURE, width=320, height=180)
        backend.node(path).timeperframe = (1, FPS)  # type: ignore[attr-defined]


async def measure(seconds: float, streams: bool, rng: random.Random) -> Run:
    app = make_app(discover_fn=discover, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ProbedStreamScreen(app.backend)
        screen.probe = []
        app.uninstall_screen(SCREEN_NAME)  # the main screen's, replaced by the probed one
        app.install_screen(screen, SCREEN_NAME)
        await show_streams(app)
        views = []
        for path in NODES:
            spec = StreamSpec((path,), count=BUFFERS, label=Path(path).name)
            view = await screen.open_stream(path, start=streams, spec=spec)
            assert view is not None
            views.append(view)
        await pilot.pause(2.0)  # streams up and steady
        applied0 = [view.applied for view in views]
        latencies: dict[str, list[float]] = {char: [] for _, char in KEYS}
        cpu0, ui0, wall0 = _cpu(), time.thread_time(), time.perf_counter()
        n = 0
        while time.perf_counter() - wall0 < seconds:
            await asyncio.sleep(rng.uniform(0.05, 0.15))
            key, char = KEYS[n % len(KEYS)]
            n += 1
            before = len(screen.probe)
            t0 = time.perf_counter()
            # What the terminal driver does with a key (the pilot's press() would also
            # wait for the process to go idle, which it never does while streaming).
            app.post_message(events.Key(key, char))
            while len(screen.probe) == before:
                await asyncio.sleep(0.0005)
            latencies[char].append((screen.probe[before] - t0) * 1000)
        wall = time.perf_counter() - wall0
        cpu, ui = _cpu() - cpu0, time.thread_time() - ui0
        snaps = [view.snapshot for view in views]
        applied = tuple(view.applied - a for view, a in zip(views, applied0, strict=True))
        for view in views:
            view.stop()
        for view in views:
            await view.stopped()
    return Run(latencies, cpu, ui, wall, tuple(_stat(s, "fps_arrival") for s in snaps),
               tuple(int(_stat(s, "frames")) for s in snaps),
               tuple(int(_stat(s, "drops")) for s in snaps), applied)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def combine(streams: bool, runs: list[Run]) -> Result:
    """Pool the rounds: latencies together, CPU over the summed wall time."""
    wall = sum(r.wall_s for r in runs)
    lat = {char: [x for r in runs for x in r.latencies[char]] for _, char in KEYS}
    last = runs[-1]
    return Result(
        streams=streams, presses={c: len(v) for c, v in lat.items()},
        p50_ms={c: statistics.median(v) for c, v in lat.items()},
        p99_ms={c: _pct(v, 0.99) for c, v in lat.items()},
        max_ms={c: max(v) for c, v in lat.items()},
        cpu_share=sum(r.cpu_s for r in runs) / wall,
        ui_cpu_share=sum(r.ui_cpu_s for r in runs) / wall, wall_s=wall,
        fps=last.fps, frames=last.frames, drops=last.drops,
        applied_hz=tuple(round(sum(r.applied[i] for r in runs) / wall, 1)
                         for i in range(len(NODES))),
    )


def _stat(snap: object, name: str) -> float:
    stats = getattr(getattr(snap, "main", None), "stats", None) if snap is not None else None
    value = getattr(stats, name, None) if stats is not None else None
    return float(value or 0.0)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(seconds: float, rounds: int, seed: int) -> tuple[Result, Result]:
    """Alternate rounds without and with streams, so the machine's other load (and its
    drift) weighs on both alike."""
    rng = random.Random(seed)
    backend = scenario_board(RealClock())[0]
    idle: list[Run] = []
    busy: list[Run] = []
    with backend:
        prepare(backend)
        for _ in range(rounds):
            idle.append(asyncio.run(measure(seconds, False, rng)))
            busy.append(asyncio.run(measure(seconds, True, rng)))
    return combine(False, idle), combine(True, busy)


def report(idle: Result, busy: Result) -> str:
    names = {"]": "] select queue", ".": ". next tab"}
    lines = [f"{'':<32} {'key':<16} {'keys':>5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
             f"{'CPU':>5} {'UI thr':>6}"]
    for r in (idle, busy):
        label = f"2 streams x {FPS} fps x {BUFFERS} bufs" if r.streams else "no stream"
        for k, (_, char) in enumerate(KEYS):
            cpu = f"{100 * r.cpu_share:>4.0f}% {100 * r.ui_cpu_share:>5.0f}%" if k == 0 else ""
            lines.append(f"{label if k == 0 else '':<32} {names[char]:<16} "
                         f"{r.presses[char]:>5} {r.p50_ms[char]:>7.1f} {r.p99_ms[char]:>7.1f} "
                         f"{r.max_ms[char]:>7.1f} {cpu}")
    ratios = ", ".join(f"{names[c].split()[0]} p50 x{busy.p50_ms[c] / idle.p50_ms[c]:.2f} "
                       f"p99 x{busy.p99_ms[c] / idle.p99_ms[c]:.2f}" for _, c in KEYS)
    worst = max(busy.p99_ms.values())
    lines += [
        f"ratio (streams / none): {ratios}; CPU x{busy.cpu_share / idle.cpu_share:.2f}, "
        f"UI thread CPU x{busy.ui_cpu_share / idle.ui_cpu_share:.2f}",
        f"achieved: {', '.join(f'{f:.0f} fps' for f in busy.fps)} (asked {FPS}); frames "
        f"{', '.join(map(str, busy.frames))}; drops {', '.join(map(str, busy.drops))}; "
        f"snapshots applied {', '.join(f'{a} Hz' for a in busy.applied_hz)}",
        f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs",
        f"p99 target {TARGET_P99_MS:.0f} ms: {'met' if worst <= TARGET_P99_MS else 'MISSED'} "
        f"(worst key p99 {worst:.1f} ms)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each, alternating")
    parser.add_argument("--seed", type=int, default=1, help="key timing seed")
    parser.add_argument("--json", action="store_true", help="results as JSON")
    args = parser.parse_args(argv)
    idle, busy = run(args.seconds, args.rounds, args.seed)
    if args.json:
        print(json.dumps({"idle": asdict(idle), "streams": asdict(busy)}, indent=2))
    else:
        print(report(idle, busy))
    return 0 if max(busy.p99_ms.values()) <= TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())
