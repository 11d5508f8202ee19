"""Where the TUI's first paint goes: mediatui (or the bare peer) profiled up to its first
frame that shows the device tree, then stopped.

    .venv/bin/python benchmarks/paint_profile.py [--demo] [--app mediatui|bare]
        [--mode sample|cprofile] [--out DIR]

The app runs in a pseudo terminal (100x32, as ``run.py``'s first-paint rows) inside a
child process that profiles itself from its first line: the terminal driver's ``write``
is wrapped, and when the text written so far (escape sequences removed) shows the
marker (the first group of ``discover()``, expanded: ``▼ NAME``) the profile is written
and the process ends. Two modes:

* ``sample`` (default): a thread takes every thread's stack each ``--interval`` ms
  (wall clock, so time spent waiting for the GIL or in a blocking call counts where it
  was spent); writes ``DIR/APP.samples.txt``: per thread, the functions by inclusive
  and by own share of the samples, and the moment each thread was first/last seen;
  ``DIR/APP.raw.txt``, every sample: time, thread, its innermost 8 frames;
* ``cprofile``: ``cProfile`` in every thread; writes ``DIR/APP.THREAD.prof``;
* ``none``: only the event log below.

All write ``DIR/APP.timeline.txt``: when each function of ``EVENTS`` started and ended
(wall seconds from the child's start, the thread) and when the marker was written.
"""

from __future__ import annotations

import argparse
import collections
import errno
import os
import re
import select
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


class Sampler(threading.Thread):
    """Every ``interval`` s, the stacks of every other thread (sys._current_frames)."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="sampler", daemon=True)
        self.interval = interval
        self.stop = threading.Event()
        self.stacks: dict[str, collections.Counter[tuple[str, ...]]] = (
            collections.defaultdict(collections.Counter))
        self.seen: dict[str, list[float]] = {}
        self.t0 = time.monotonic()
        self.raw: list[str] = []  # "t thread innermost;...;outermost" (8 frames)

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stop.wait(self.interval):
            now = time.monotonic() - self.t0
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                name = names.get(ident, str(ident))
                span = self.seen.setdefault(name, [now, now])
                span[1] = now
                stack = _stack(frame)
                self.stacks[name][stack] += 1
                self.raw.append(f"{now:.3f} {name} {';'.join(reversed(stack[-8:]))}")

    def report(self, top: int = 45) -> str:
        out = []
        for name, counter in self.stacks.items():
            total = sum(counter.values())
            first, last = self.seen[name]
            out.append(f"=== thread {name}: {total} samples ({total * self.interval:.2f} s), "
                       f"seen {first:.2f}..{last:.2f} s")
            incl: collections.Counter[str] = collections.Counter()
            own: collections.Counter[str] = collections.Counter()
            for stack, n in counter.items():
                for fn in set(stack):
                    incl[fn] += n
                own[stack[-1]] += n
            out.append("-- inclusive")
            out += [f"{100 * n / total:6.1f}% {n * self.interval:7.2f}s  {fn}"
                    for fn, n in incl.most_common(top)]
            out.append("-- own")
            out += [f"{100 * n / total:6.1f}% {n * self.interval:7.2f}s  {fn}"
                    for fn, n in own.most_common(top // 2)]
        return "\n".join(out) + "\n"


def _stack(frame: FrameType | None) -> tuple[str, ...]:
    names = []
    while frame is not None:
        code = frame.f_code
        where = code.co_filename
        for cut in ("site-packages/", str(REPO) + "/", "lib/python3.11/"):
            if cut in where:
                where = where.split(cut, 1)[1]
                break
        names.append(f"{where}:{code.co_firstlineno}({code.co_name})")
        frame = frame.f_back
    return tuple(reversed(names))


# What the event log times (module, attribute path): entry and exit, with the thread.
EVENTS = {
    "both": [
        ("core.discovery", "discover"),
        ("textual.screen", "Screen._refresh_layout"),
        ("textual.screen", "Screen._compositor_refresh"),
        ("textual.app", "App._display"),
        ("textual.css.stylesheet", "Stylesheet.update_nodes"),
    ],
    "mediatui": [
        ("mediatui.app", "MediatuiApp.on_mount"),
        ("mediatui.screens.main", "MainScreen.compose"),
        ("mediatui.screens.main", "MainScreen.on_mount"),
        ("mediatui.screens.main", "MainScreen.on_devices_changed"),
        ("mediatui.widgets.device_tree", "DeviceBrowser.show_devices"),
        ("mediatui.widgets.ioctl_log", "IoctlLog.flush"),
        ("core.discovery", "Watcher.run"),
    ],
    "bare": [],
}


class EventLog:
    """Entry/exit times of a few functions (wrapped in place), in every thread."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.lines: list[str] = []

    def wrap_all(self, app: str) -> None:
        import functools
        import importlib

        for module_name, path in EVENTS["both"] + EVENTS[app]:
            owner: object = importlib.import_module(module_name)
            *parents, attr = path.split(".")
            for part in parents:
                owner = getattr(owner, part)
            fn = getattr(owner, attr)

            def wrapper(*a: object, __fn: object = fn, __path: str = path,
                        **kw: object) -> object:
                start = time.monotonic()
                who = threading.current_thread().name
                self.lines.append(f"{start - self.t0:8.3f}  start   {who:<14} {__path}")
                try:
                    return __fn(*a, **kw)  # type: ignore[operator]
                finally:
                    end = time.monotonic()
                    self.lines.append(f"{end - self.t0:8.3f} {end - start:7.3f}s {who:<14} "
                                      f"{__path}")

            setattr(owner, attr, functools.wraps(fn)(wrapper))
        if app == "mediatui":
            # The app module took discover by name when it was imported above.
            import core.discovery
            import mediatui.app

            mediatui.app.discover = core.discovery.discover  # type: ignore[attr-defined]

    def report(self) -> str:
        return "\n".join(self.lines) + "\n"


def child(args: argparse.Namespace) -> None:
    t0 = time.monotonic()
    out = Path(args.out)
    marker = args.marker
    sampler: Sampler | None = None
    profiles: list[tuple[str, object]] = []
    if args.mode == "sample":
        sampler = Sampler(args.interval / 1000)
        sampler.t0 = t0
        sampler.start()
    elif args.mode == "cprofile":
        import cProfile

        main_prof = cProfile.Profile()
        profiles.append(("main", main_prof))

        def thread_start(frame: FrameType, event: str, arg: object) -> None:
            sys.setprofile(None)
            prof = cProfile.Profile()
            profiles.append((threading.current_thread().name, prof))
            prof.enable()

        threading.setprofile(thread_start)  # type: ignore[arg-type]
        main_prof.enable()

    events = EventLog(t0)
    if args.events:
        events.wrap_all(args.app)
    from textual.drivers.linux_driver import LinuxDriver

    written: list[str] = []
    original = LinuxDriver.write

    def write(self: LinuxDriver, data: str) -> None:
        original(self, data)
        written.append(data)
        if args.events:
            events.lines.append(f"{time.monotonic() - t0:8.3f}  write   {len(data)} chars: "
                                f"{ANSI.sub('', data)[:60]!r}")
        if marker in ANSI.sub("", "".join(written[-400:])):
            at = time.monotonic() - t0
            tag = args.app
            if sampler is not None:
                sampler.stop.set()
                (out / f"{tag}.samples.txt").write_text(sampler.report())
                (out / f"{tag}.raw.txt").write_text("\n".join(sampler.raw) + "\n")
            for name, prof in profiles:
                prof.disable()  # type: ignore[attr-defined]
                safe = re.sub(r"[^\w.-]", "_", name)
                prof.dump_stats(str(out / f"{tag}.{safe}.prof"))  # type: ignore[attr-defined]
            (out / f"{tag}.timeline.txt").write_text(events.report() + f"marker at {at:.3f} s\n")
            os._exit(0)

    LinuxDriver.write = write  # type: ignore[method-assign]
    sys.argv = [args.app, *(["--demo"] if args.demo else [])]
    if args.app == "bare":
        sys.path.insert(0, str(REPO / "benchmarks"))
        import bare_tree

        bare_tree.main()
    else:
        from mediatui.cli import main

        main()


def parent(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from run import spawn_in_pty, tree_marker

    marker = tree_marker(args.demo).decode()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, __file__, "--child", "--marker", marker, "--app", args.app,
            "--mode", args.mode, "--interval", str(args.interval), "--out", str(out),
            *([] if args.events else ["--no-events"]), *(["--demo"] if args.demo else [])]
    start = time.monotonic()
    proc, master = spawn_in_pty(argv, 100, 32)
    tail = b""
    try:
        while proc.poll() is None and time.monotonic() - start < args.timeout:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    tail = (tail + os.read(master, 65536))[-4000:]
                except OSError as exc:
                    if exc.errno != errno.EIO:
                        raise
                    break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        os.close(master)
    timeline = out / f"{args.app}.timeline.txt"
    if not timeline.exists():
        print(ANSI.sub("", tail.decode(errors="replace"))[-2000:], file=sys.stderr)
        print(f"{args.app}: no first paint seen", file=sys.stderr)
        return 1
    print(f"{args.app} ({args.mode}): {timeline.read_text().splitlines()[-1]}, "
          f"process {time.monotonic() - start:.2f} s")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--demo", action="store_true")
    p.add_argument("--app", choices=("mediatui", "bare"), default="mediatui")
    p.add_argument("--mode", choices=("sample", "cprofile", "none"), default="sample")
    p.add_argument("--interval", type=float, default=20.0, help="sampling period, ms")
    p.add_argument("--out", default="paint-profile")
    p.add_argument("--no-events", dest="events", action="store_false",
                   help="do not time the few functions of EVENTS")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--marker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
