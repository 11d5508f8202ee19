"""Key → repaint latency on the stream screen with two streams, in a real terminal,
against a bare Textual tab app with the same updates.

Method (the issue's item 5; the old method ran headless, waited for each repaint before
the next key and polled the app's own loop):

* each app runs as its own process in a **pseudo terminal** this script owns
  (``pty.openpty``, 120x40, ``TERM=xterm-256color``): Textual's Linux driver, its input
  thread and its output writer are the ones a person's terminal gets;
* mediatui runs on the demo's virtual devices with **two vivid captures streaming** at
  1,000 fps each with 32 buffers (vivid offers at most 60 fps, so the child sets the
  virtual nodes' frame interval to 1/1000 directly, and 320x180 frames): the engine
  sees an ordinary 1 kHz capture and the views get the usual 10 snapshots a second each;
* the peer (``--child peer``) is a bare Textual ``TabbedContent`` with two tabs of the
  same shape (header, a 33-row lanes text, numbers, sparkline, notes), each updated ten
  times a second by a timer: the same number of widgets updated per second;
* keys are written into the pty's master side at a **fixed rate** (every ``--interval``
  s, 50 ms by default), whether or not the previous one was painted, alternating ``.``
  (next stream) and ``]`` (next queue). Each stream is one capture queue in both apps
  (``QUEUES``), so ``]`` selects the queue already selected: neither app has anything
  to redraw, and that key times the way of a key through the terminal, the input
  thread and the event loop to the next refresh, under the same update load;
* the **repaint is an event**: in the child the key's action asks Textual to call back
  after the next screen refresh (``call_after_refresh``, i.e. once the compositor has
  produced the frame with the key's change and handed it to the output writer), and the
  callback writes one byte (the key) to a pipe.  This script sleeps in ``select`` on
  that pipe and on the pty (whose output it drains), and timestamps each byte as it
  arrives: latency = byte's arrival - the key's write, both on this process's
  monotonic clock.  Nothing polls;
* rounds of the two apps **alternate** (peer first) so the machine's other load weighs
  on both alike; samples are pooled per side: p50, p90, p99 and the largest stall (the
  worst latency).  The load average is printed with the figures, and the CPU each app
  used while the keys went in (read from ``/proc/PID/task/*/stat``): the whole process
  and its main thread, where Textual's event loop runs.  mediatui's process also runs
  the two stream engines and the virtual devices (the demo's stand-in for the kernel,
  in the same interpreter): on a loaded machine they compete with the UI for the CPU
  and the interpreter lock, which the peer does not have to.

From the repository root::

    .venv/bin/python benchmarks/ui_latency.py [--samples 500] [--rounds 4] [--json]
        [--compare CHECKOUT]   # a third side: another checkout's mediatui (before/after)

``benchmarks/run.py`` imports :func:`measure` for its key-latency rows.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import errno
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NODES = ("/dev/video7", "/dev/video15")  # vivid-000 and vivid-002: single-planar captures
FPS = 1000
BUFFERS = 32
COLS, ROWS = 120, 40
KEYS = (b".", b"]")  # next stream, next queue
QUEUES = 1  # queues per stream: mediatui's two streams are one capture each
HOOK_ENV = "MEDIATUI_BENCH_HOOK_FD"
REPO_ENV = "MEDIATUI_BENCH_REPO"  # --compare: another checkout's mediatui
READY = b"R"
STALL_MS = 200.0


# --- the children (run inside the pty) ------------------------------------------------


def _hook() -> Callable[[bytes], None]:
    fd = int(os.environ[HOOK_ENV])

    def write(byte: bytes) -> None:
        os.write(fd, byte)

    return write


def child_mediatui() -> None:
    """mediatui's stream screen with two 1 kHz virtual streams; each key's action
    reports the refresh that follows it."""
    sys.path.insert(0, os.environ.get(REPO_ENV, str(REPO)))
    from core.abi import v4l2 as v
    from core.discovery import discover
    from core.service.stream import StreamSpec
    from core.video import VideoDevice
    from core.virtual import RealClock, scenario_board
    from mediatui.app import make_app
    from mediatui.screens import stream as stream_screen

    hook = _hook()
    cls = stream_screen.StreamScreen
    next_tab, select_queue = cls.action_next_tab, cls.action_select_queue

    # Patched in this benchmark process only: the actions are the product's own.
    def probed_next_tab(self: stream_screen.StreamScreen, delta: int) -> None:
        next_tab(self, delta)
        self.call_after_refresh(hook, b".")

    def probed_select_queue(self: stream_screen.StreamScreen, delta: int) -> None:
        select_queue(self, delta)
        self.call_after_refresh(hook, b"]")

    cls.action_next_tab = probed_next_tab  # type: ignore[method-assign]
    cls.action_select_queue = probed_select_queue  # type: ignore[method-assign]

    backend = scenario_board(RealClock())[0]
    with backend:
        for path in NODES:
            with VideoDevice(path) as dev:
                dev.set_format(v.V4L2_BUF_TYPE_VIDEO_CAPTURE, width=320, height=180)
            backend.node(path).timeperframe = (1, FPS)
        app = make_app(discover_fn=discover, watch=False)

        async def setup() -> None:
            while not app.is_screen_installed(stream_screen.SCREEN_NAME):
                await asyncio.sleep(0.05)
            # The rest in the app's own context (as a worker of the app).
            app.call_later(lambda: app.run_worker(streams()))

        async def streams() -> None:
            await stream_screen.show_streams(app)
            screen = stream_screen.stream_screen(app)
            for path in NODES:
                spec = StreamSpec((path,), count=BUFFERS, label=Path(path).name)
                assert len(spec.paths) == QUEUES  # the peer's tabs have as many queues
                await screen.open_stream(path, spec=spec)
            await asyncio.sleep(2.0)  # streams up and steady
            hook(READY)

        async def main() -> None:
            task = asyncio.ensure_future(setup())
            await app.run_async()
            task.cancel()

        asyncio.run(main())


def child_peer() -> None:
    """A bare Textual tab app: two tabs shaped like a stream view, each updated ten
    times a second (header, lanes, numbers; the sparkline once a second)."""
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.widgets import Footer, RichLog, Sparkline, Static, TabbedContent, TabPane

    hook = _hook()

    class Pane(Vertical):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.label = name
            self.n = 0
            self.selected = 0
            self.spark: list[float] = []

        def compose(self) -> ComposeResult:
            yield Static("", classes="head")
            with Horizontal():
                with VerticalScroll():
                    yield Static("", classes="lanes")
                with Vertical(classes="panel"):
                    yield Static("", classes="numbers")
                    yield Sparkline([], classes="spark")
            yield RichLog(classes="notes", max_lines=200)

        def on_mount(self) -> None:
            self.set_interval(0.1, self.tick)

        def tick(self) -> None:
            self.n += 1
            n = self.n
            self.query_one(".head", Static).update(
                f" ● streaming  {self.label}  {n / 10:.1f} s  {n * 100} frames  1000.0 fps",
                layout=False)
            glyphs = "▁▄█"
            rows = [f"{'▶ ' if self.selected else '  '}{self.label} queue · mmap x{BUFFERS}"]
            rows += [f"{k:>3} ▕{''.join(glyphs[(n + k + i) % 3] for i in range(60))}▏ queued"
                     f"   seq {n * BUFFERS + k:>7}  57.6 KiB" for k in range(BUFFERS)]
            self.query_one(".lanes", Static).update("\n".join(rows), layout=False)
            self.show_numbers()
            if n % 10 == 0:
                self.spark = [*self.spark[-59:], 1000.0 + n % 7]
                self.query_one(".spark", Sparkline).data = self.spark

        def show_numbers(self) -> None:
            n = self.n
            self.query_one(".numbers", Static).update(
                f"queue      {'capture' if not self.selected else 'capture (2)'} {self.label}\n"
                f"fps        {1000 - n % 3:.2f}\narrival    999.{n % 10}\nframes     {n * 100}"
                f"\ndrops      0\nsequence   0 .. {n * 100}\ndriver     ▮▮▮▮▮▮▮▯ 31/32",
                layout=False)

    class Peer(App[None]):
        CSS = """
        TabPane { padding: 0; }
        .head { height: 1; background: $boost; }
        .lanes { height: auto; }
        .panel { width: 46; border: round $primary; }
        .spark { height: 3; }
        .notes { height: 6; border: round $primary; }
        """
        BINDINGS = [(".", "next_tab", "Next"), ("]", "select_queue", "Queue")]

        def compose(self) -> ComposeResult:
            with TabbedContent(id="tabs"):
                for k, path in enumerate(NODES):
                    with TabPane(Path(path).name, id=f"t{k}"):
                        yield Pane(Path(path).name)
            yield Footer()

        def on_mount(self) -> None:
            self.set_timer(2.0, lambda: hook(READY))

        def _active(self) -> Pane:
            tabs = self.query_one(TabbedContent)
            return tabs.get_pane(tabs.active).query_one(Pane)

        def action_next_tab(self) -> None:
            tabs = self.query_one(TabbedContent)
            tabs.active = "t1" if tabs.active == "t0" else "t0"
            self.call_after_refresh(hook, b".")

        def action_select_queue(self) -> None:
            # As mediatui's: the numbers are redrawn when the selection moves.
            pane = self._active()
            selected = (pane.selected + 1) % QUEUES
            if selected != pane.selected:
                pane.selected = selected
                pane.show_numbers()
            self.call_after_refresh(hook, b"]")

    Peer().run()


# --- the measuring side ---------------------------------------------------------------


@dataclasses.dataclass
class Round:
    """One run of one app: latencies (ms) by key, in the order the keys went in, and
    the CPU the app used while the keys went in (shares of one core: the whole process,
    its main thread, where Textual's event loop runs)."""

    latencies: dict[str, list[float]]
    cpu: float = 0.0
    ui_cpu: float = 0.0

    @property
    def all(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]


def _thread_ticks(pid: int) -> dict[int, int]:
    """utime + stime (clock ticks) of each thread of ``pid`` (proc(5): /proc/PID/task)."""
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        ticks[int(tid)] = int(fields[11]) + int(fields[12])
    return ticks


def run_round(which: str, samples: int, interval: float, timeout: float = 240.0,
              repo: Path | None = None) -> Round:
    """Start one child in a pty, wait for it to be ready, send ``samples`` keys at the
    fixed rate, pair each hook byte with the oldest unanswered key of its kind.
    ``repo``: import mediatui from that checkout instead of this one."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    hook_r, hook_w = os.pipe()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS),
               **{HOOK_ENV: str(hook_w)}, **({REPO_ENV: str(repo)} if repo else {}))
    proc = subprocess.Popen([sys.executable, __file__, "--child", which], stdin=slave,
                            stdout=slave, stderr=slave, cwd=REPO, env=env,
                            start_new_session=True, pass_fds=(hook_w,))
    os.close(slave)
    os.close(hook_w)
    tail = b""
    waiting: dict[bytes, deque[float]] = {k: deque() for k in KEYS}
    latencies: dict[str, list[float]] = {k.decode(): [] for k in KEYS}
    try:
        deadline = time.monotonic() + timeout
        ready = False
        sent = 0
        next_send = 0.0
        while sum(len(v) for v in latencies.values()) < samples:
            now = time.monotonic()
            if now > deadline:
                raise SystemExit(f"{which}: {sent} keys sent, "
                                 f"{sum(map(len, latencies.values()))} repaints in "
                                 f"{timeout:.0f} s; screen tail:\n{tail[-1500:]!r}")
            if ready and sent < samples and now >= next_send:
                key = KEYS[sent % len(KEYS)]
                waiting[key].append(time.monotonic())
                os.write(master, key)
                sent += 1
                next_send += interval
                continue
            wait = max(0.0, next_send - now) if ready and sent < samples else deadline - now
            readable, _, _ = select.select([master, hook_r], [], [], wait)
            stamp = time.monotonic()
            if hook_r in readable:
                for byte in os.read(hook_r, 4096):
                    key = bytes([byte])
                    if key == READY:
                        ready, next_send = True, time.monotonic()
                        ticks0, wall0 = _thread_ticks(proc.pid), next_send
                    elif waiting.get(key):
                        latencies[key.decode()].append((stamp - waiting[key].popleft()) * 1e3)
            if master in readable:
                try:
                    tail = (tail + os.read(master, 1 << 16))[-4096:]
                except OSError as exc:
                    if exc.errno == errno.EIO:  # the child closed the terminal
                        raise SystemExit(f"{which} exited: {tail[-1500:]!r}") from None
                    raise
        ticks1, wall = _thread_ticks(proc.pid), time.monotonic() - wall0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)
        os.close(hook_r)
    hz = os.sysconf("SC_CLK_TCK")
    cpu = sum(t - ticks0.get(tid, 0) for tid, t in ticks1.items()) / hz / wall
    ui = (ticks1.get(proc.pid, 0) - ticks0.get(proc.pid, 0)) / hz / wall
    return Round(latencies, cpu, ui)


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


@dataclasses.dataclass
class Side:
    rounds: list[Round]

    @property
    def samples(self) -> list[float]:
        return [x for r in self.rounds for x in r.all]

    def figures(self) -> dict[str, float]:
        xs = self.samples
        return {"n": len(xs), "p50_ms": statistics.median(xs), "p90_ms": pct(xs, 0.9),
                "p99_ms": pct(xs, 0.99), "max_ms": max(xs)}

    def cpu(self) -> tuple[float, float]:
        """Mean CPU shares over the rounds: (process, main thread)."""
        return (statistics.mean(r.cpu for r in self.rounds),
                statistics.mean(r.ui_cpu for r in self.rounds))

    def by_key(self, key: str) -> dict[str, float]:
        xs = [x for r in self.rounds for x in r.latencies[key]]
        return {"n": len(xs), "p50_ms": statistics.median(xs), "p90_ms": pct(xs, 0.9),
                "p99_ms": pct(xs, 0.99), "max_ms": max(xs)}


def measure(samples: int, rounds: int, interval: float = 0.05,
            compare: Path | None = None) -> tuple[Side, Side, Side | None]:
    """(mediatui, peer, mediatui of ``compare``): ``samples`` keys per side in all, over
    ``rounds`` alternating rounds (peer first)."""
    per = max(2, -(-samples // rounds))
    ours, peer = Side([]), Side([])
    other = Side([]) if compare is not None else None
    for _ in range(rounds):
        peer.rounds.append(run_round("peer", per, interval))
        if other is not None:
            other.rounds.append(run_round("mediatui", per, interval, repo=compare))
        ours.rounds.append(run_round("mediatui", per, interval))
    return ours, peer, other


def report(ours: Side, peer: Side, other: Side | None = None) -> str:
    lines = [f"{'':<10} {'key':<12} {'n':>5} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
             f"{'max ms':>7} {'CPU':>5} {'UI thr':>6}"]
    sides = [("mediatui", ours), ("peer", peer), *([("compare", other)] if other else [])]
    for name, side in sides:
        cpu, ui = side.cpu()
        for label, fig in (("all", side.figures()), (". stream", side.by_key(".")),
                           ("] queue", side.by_key("]"))):
            shares = f" {100 * cpu:>4.0f}% {100 * ui:>5.0f}%" if name else ""
            lines.append(f"{name:<10} {label:<12} {fig['n']:>5} {fig['p50_ms']:>7.1f} "
                         f"{fig['p90_ms']:>7.1f} {fig['p99_ms']:>7.1f} {fig['max_ms']:>7.1f}"
                         + shares)
            name = ""
    for name, side in sides:
        lines.append(f"{name} per round p50/p90/max ms: " + "  ".join(
            f"{statistics.median(r.all):.0f}/{pct(r.all, 0.9):.0f}/{max(r.all):.0f}"
            for r in side.rounds))
    # Rounds run back to back (peer, then mediatui): the median of the per-round ratios
    # is less at the mercy of one loaded stretch than the pooled figures.
    for name, side in sides[::2] if other is None else (sides[0], sides[2]):
        lines.append(f"{name}/peer, median of per-round ratios: " + "  ".join(
            f"{label} x" + format(statistics.median(
                pct(r.all, q) / pct(p.all, q)
                for r, p in zip(side.rounds, peer.rounds, strict=True)), ".2f")
            for label, q in (("p50", 0.5), ("p90", 0.9), ("max", 1.0))))
    a, b = ours.figures(), peer.figures()
    ratios = "  ".join(f"{k[:3]} x{a[k] / b[k]:.2f}" for k in ("p50_ms", "p90_ms", "p99_ms"))
    if other is not None:
        c = other.figures()
        lines.append("ratio compare/peer: " + "  ".join(
            f"{k[:3]} x{c[k] / b[k]:.2f}" for k in ("p50_ms", "p90_ms", "p99_ms")))
    met = all(a[k] <= b[k] for k in ("p50_ms", "p90_ms", "p99_ms")) and a["max_ms"] <= STALL_MS
    lines += [f"ratio mediatui/peer: {ratios}; largest stall {a['max_ms']:.0f} ms "
              f"(peer {b['max_ms']:.0f} ms); goal <= 1.0x and no stall > {STALL_MS:.0f} ms: "
              f"{'met' if met else 'NOT met'}",
              f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"on {os.cpu_count()} CPUs"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=500, help="keys per side, in all")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per side")
    parser.add_argument("--interval", type=float, default=0.05, help="s between keys")
    parser.add_argument("--json", action="store_true", help="results as JSON as well")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT",
                        help="also run the mediatui of another checkout (before/after)")
    parser.add_argument("--child", choices=("mediatui", "peer"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "mediatui":
        child_mediatui()
        return 0
    if args.child == "peer":
        child_peer()
        return 0
    ours, peer, other = measure(args.samples, args.rounds, args.interval, args.compare)
    print(report(ours, peer, other))
    if args.json:
        print(json.dumps({"mediatui": ours.figures(), "peer": peer.figures(),
                          **({"compare": other.figures()} if other else {}),
                          "load": os.getloadavg()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
