"""Every performance figure of mediatui as a ratio against a peer, in one table.

    .venv/bin/python benchmarks/run.py            # host rows (virtual devices, --demo)
    .venv/bin/python benchmarks/run.py --vm       # kernel rows, in the test kernel's VM
    .venv/bin/python benchmarks/run.py --smoke    # one quick pass: checks it works (CI)

Method, for every row:

* each row is a pair, mediatui and a peer, run **alternately** (peer, mediatui, then
  mediatui, peer: each round starts one command further on, so neither always runs
  first) ``--reps`` times each (at least 5 for figures), so drift in the machine's load
  weighs on both alike;
* whole processes are measured: wall time from ``fork`` to exit (or to the first
  frame, for the TUI rows), CPU as user+sys from the kernel's ``wait4`` accounting,
  peak RSS from ``ru_maxrss``. Nothing is timed from inside the process, so interpreter
  start-up and imports count;
* the figure is the ratio of the **medians** (the "fig" column; for the key-latency
  rows the named quantile of all samples pooled); min and figure of both sides are
  printed;
* a row is flagged ``noisy`` when either side's spread, (max - min) / median, is
  over ``--spread`` (default 0.5): its ratio is then not to be trusted. These machines
  have 2 cores shared with other work, so absolute times are not comparable between
  runs, ratios are.

The Python floor (VM rows ``list``, ``info`` and the stream rows): a goal may sit below
what any Python program can reach here. Those rows run a third command in the same
rotation, ``benchmarks/floor.py`` (the least a Python program does for the same
result: its docstring says what that is), and print two more rows under the goal's:
the floor against the same peer, and mediatui against the floor. A goal the floor
itself misses cannot be met by a Python program in this VM; mediatui's own cost is
what it spends above the floor.

TUI first paint: the apps run in a pseudo terminal (100x32, ``TERM=xterm-256color``);
the time is from spawn to the moment the terminal output shows the device tree: its
first group, expanded (``▼ vidtv`` in the demo), read with ``select`` on the pty (an
event, not a poll of a screen capture). Not a node's name such as ``video0``: the node
may be below the fold of mediatui's browser, and mediatui's ioctl log names nodes too
(discovery's QUERYCAPs), so that marker timed the log, not the list. The peer is
``benchmarks/bare_tree.py``, a bare Textual ``Tree`` listing the same nodes found the
same way. Peak RSS is read when the first frame is seen. The Textual floor: a third app
in the same rotation, ``benchmarks/bare_screen.py``, draws mediatui's first screen
(browser, six tabs, the inspector's hint, the ioctl log with discovery's ioctls, the
footer's keys; the same style sheets) from stock Textual widgets with none of
mediatui's code. Its rows say what that screen costs in Textual over the bare tree, and
what mediatui's own code costs over the screen.

Key → repaint (host rows): ``benchmarks/ui_latency.py`` (its docstring has the method):
both apps in a pty, keys written at a fixed 50 ms rate alternating next-stream and
next-queue (each stream is one queue in both apps, so next-queue has nothing to redraw:
it times a key's way to the next refresh under the streams' updates), the repaint timed
by a byte the app writes to a pipe after the refresh that follows each key (read with
``select``), at least 500 keys per side over alternating rounds; p50/p90/p99 and the
largest stall, which must stay under 200 ms.

Stream CPU per frame (VM rows): the whole process's CPU (every thread's on-CPU time in
ns from /proc/PID/task/*/schedstat; /proc/PID/stat's 10 ms ticks where a kernel has no
schedstat) over a 6 s window of steady streaming, starting 1 s after the stream's buffers appear in
/proc/PID/maps, divided by the frame rate, against ``v4l2-ctl --stream-mmap`` with the
same node, format, buffers and frame rate. Start-up is excluded (it has its own rows).
Idle CPU: the same at 5 fps with ``--quiet``, per second.

``--vm`` boots ``../shared/kernel/bzImage`` through vng once per node count (the
default boot and ``vivid.n_devs=16``, 198 nodes) and runs this script there with
``--in-vm``; it waits its turn for the kernel tier's machine-wide VM lock.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import fcntl
import functools
import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
# The installed command, as users run it (its start-up is part of what is measured).
_COMMAND = Path(PY).with_name("mediatui")
MEDIATUI = [str(_COMMAND)] if _COMMAND.exists() else [PY, "-m", "mediatui"]
FLOOR = [PY, str(REPO / "benchmarks" / "floor.py")]  # the Python floor of a VM row
ANSI = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


@dataclasses.dataclass
class Sample:
    wall_s: float
    cpu_s: float
    maxrss_kib: int


@dataclasses.dataclass
class Row:
    what: str
    unit: str  # what the figures are: "s wall", "ms CPU/frame", "MiB peak RSS", ...
    ours: list[float]
    peer: list[float]
    peer_name: str
    goal: float | None = None  # the ratio to stay at or under
    spread_bound: float = 0.5
    # Pooled samples (the key-latency rows): the figure is this quantile of them (1.0:
    # the largest), ``bound`` an absolute limit on ours, and the noise check is made on
    # the per-round figures instead.
    q: float = 0.5
    bound: float | None = None
    ours_rounds: list[float] | None = None
    peer_rounds: list[float] | None = None

    def figure(self, xs: list[float]) -> float:
        if self.q == 0.5:
            return statistics.median(xs)
        ordered = sorted(xs)
        return ordered[min(len(ordered) - 1, round(self.q * (len(ordered) - 1)))]

    @property
    def ratio(self) -> float:
        """ours / peer; infinite when the peer's figure is 0 (an idle peer measured in
        /proc/PID/stat's 10 ms ticks)."""
        peer = self.figure(self.peer)
        return self.figure(self.ours) / peer if peer else float("inf")

    def noisy(self) -> bool:
        def spread(xs: list[float]) -> float:
            med = statistics.median(xs)
            return (max(xs) - min(xs)) / med if med else 0.0

        ours, peer = self.ours, self.peer
        if self.ours_rounds is not None and self.peer_rounds is not None:
            ours, peer = self.ours_rounds, self.peer_rounds
        return len(ours) > 1 and max(spread(ours), spread(peer)) > self.spread_bound


# --- measuring one process ----------------------------------------------------------


def run_process(argv: Sequence[str], env: dict[str, str] | None = None,
                timeout: float = 600.0) -> Sample:
    """Run *argv* to its end; wall time, user+sys CPU and peak RSS of the whole process."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=REPO, env=env)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"{' '.join(argv)}: still running after {timeout:.0f} s")
        time.sleep(0.001)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} exited {code}:\n{err[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def spawn_in_pty(argv: Sequence[str], cols: int, rows: int
                 ) -> tuple[subprocess.Popen[bytes], int]:
    """Start *argv* in its own session on a new pty of ``cols`` x ``rows`` (an xterm, as
    a person's terminal); returns the process and the pty's master fd (the caller's to
    close)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
    try:
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=REPO,
                                env=env, start_new_session=True, close_fds=True)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return proc, master


def first_paint(argv: Sequence[str], marker: bytes, *, cols: int = 100, rows: int = 32,
                timeout: float = 120.0) -> Sample:
    """Spawn *argv* in a pty; time until its output shows *marker*; then kill it.

    The output is read as it comes (``select`` on the pty's master side) and escape
    sequences are removed before searching, so styling between characters does not hide
    the marker. Peak RSS is the child's high-water mark (``VmHWM`` in /proc/PID/status)
    read as soon as the marker is seen, so what the app does after its first frame is not
    counted; CPU is the child's, from ``wait4`` after SIGKILL.
    """
    start = time.monotonic()
    proc, master = spawn_in_pty(argv, cols, rows)
    seen = b""
    found_at: float | None = None
    try:
        while found_at is None:
            left = start + timeout - time.monotonic()
            if left <= 0:
                raise SystemExit(f"{' '.join(argv)}: no {marker!r} on screen in {timeout:.0f} s")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError as exc:  # EIO: the child closed the terminal (it exited)
                if exc.errno == errno.EIO:
                    raise SystemExit(f"{' '.join(argv)} exited before showing {marker!r}:\n"
                                     f"{ANSI.sub(b'', seen)[-2000:].decode(errors='replace')}"
                                     ) from None
                raise
            seen += chunk
            if marker in ANSI.sub(b"", seen[-200_000:]):
                found_at = time.monotonic()
        peak_kib = _vm_hwm_kib(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        _, _, usage = os.wait4(proc.pid, 0)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return Sample(found_at - start, usage.ru_utime + usage.ru_stime,
                  peak_kib if peak_kib is not None else usage.ru_maxrss)


def _vm_hwm_kib(pid: int) -> int | None:
    """The process's peak resident set so far (kB), None where /proc does not say."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def alternate(reps: int, ours: Callable[[], Sample], peer: Callable[[], Sample]
              ) -> tuple[list[Sample], list[Sample]]:
    """Run the pair alternately, the peer first in the first round (see
    :func:`alternate_all`); one warm-up of each is thrown away."""
    b, a = alternate_all(reps, peer, ours)
    return a, b


def alternate_all(reps: int, *measures: Callable[[], Sample]) -> list[list[Sample]]:
    """Run the commands in turn, *reps* rounds, after one warm-up round that is thrown
    away (page cache, pyc files); their samples, in the order given. Each round starts
    one command further on (round r runs them from the r-th), so that none always runs
    first or last: in one round of three, the third slot ran 4-15% slower than the
    first for the same app on these machines."""
    for measure in measures:
        measure()
    out: list[list[Sample]] = [[] for _ in measures]
    n = len(measures)
    for r in range(reps):
        for k in range(n):
            i = (r + k) % n
            out[i].append(measures[i]())
    return out


# --- rows ---------------------------------------------------------------------------


def startup_rows(reps: int, demo: bool, info_node: str, nodes_label: str) -> list[Row]:
    """Start-up against the bare interpreter. The goals are the VM's (real nodes); with
    ``--demo`` the virtual board is built at every start, so those rows only inform."""
    demo_flag = ["--demo"] if demo else []
    python_pass = [PY, "-c", "pass"]
    rows = []
    cases: list[tuple[str, list[str], float | None, list[str] | None]] = [
        ("mediatui --version", [*MEDIATUI, "--version"], 1.3, None),
        (f"mediatui list --json ({nodes_label})", [*MEDIATUI, *demo_flag, "list", "--json"],
         None if demo else 2.0, None if demo else [*FLOOR, "list"]),
        (f"mediatui info {info_node}", [*MEDIATUI, *demo_flag, "info", info_node],
         None if demo else 1.8, None if demo else [*FLOOR, "info", info_node]),
    ]
    for what, argv, goal, floor in cases:
        if floor is None:
            ours, peer = alternate(reps, lambda a=argv: run_process(a),
                                   lambda: run_process(python_pass))
            rows.append(Row(what + " wall", "s", [s.wall_s for s in ours],
                            [s.wall_s for s in peer], "python3 -c pass", goal))
            continue
        peer, least, ours = alternate_all(reps, lambda: run_process(python_pass),
                                          lambda a=floor: run_process(a),
                                          lambda a=argv: run_process(a))
        rows += floor_rows(what + " wall", "s", [s.wall_s for s in ours],
                           [s.wall_s for s in least], [s.wall_s for s in peer],
                           "python3 -c pass", goal, "floor.py " + " ".join(floor[2:]))
    return rows


def floor_rows(what: str, unit: str, ours: list[float], least: list[float],
               peer: list[float], peer_name: str, goal: float | None, floor_name: str,
               spread_bound: float = 0.5, kind: str = "Python floor") -> list[Row]:
    """A goal's row and the two that say how far it can go: the floor (for ``kind``
    "Python floor", the least a Python program does for the same result,
    ``benchmarks/floor.py``; for "Textual floor", the same screen in stock widgets,
    ``benchmarks/bare_screen.py``) against the same peer, and mediatui against it."""
    return [
        Row(what, unit, ours, peer, peer_name, goal, spread_bound=spread_bound),
        Row(f"  its {kind}: {floor_name}", unit, least, peer, peer_name,
            spread_bound=spread_bound),
        Row(f"  mediatui against its {kind}", unit, ours, least, floor_name,
            spread_bound=spread_bound),
    ]


def tree_marker(demo: bool) -> bytes:
    """What both apps' trees show first: the first group discovery lists, expanded."""
    code = ("import sys\n"
            "if sys.argv[1:]:\n"
            "    from mediatui.demo import install_demo\n"
            "    install_demo()\n"
            "from core.discovery import discover\n"
            "print(discover().groups[0].name)")
    out = subprocess.run([PY, "-c", code, *(["demo"] if demo else [])], cwd=REPO,
                         check=True, capture_output=True, text=True).stdout
    return f"\u25bc {out.strip()}".encode()


def tui_rows(reps: int, demo: bool, nodes_label: str, marker: bytes | None = None
             ) -> list[Row]:
    marker = marker or tree_marker(demo)
    demo_flag = ["--demo"] if demo else []
    ours_argv = [*MEDIATUI, *demo_flag]
    peer_argv = [PY, str(REPO / "benchmarks" / "bare_tree.py"), *demo_flag]
    screen_argv = [PY, str(REPO / "benchmarks" / "bare_screen.py"), *demo_flag]
    peer, screen, ours = alternate_all(reps, lambda: first_paint(peer_argv, marker),
                                       lambda: first_paint(screen_argv, marker),
                                       lambda: first_paint(ours_argv, marker))
    where = "host --demo" if demo else nodes_label
    floor_name = "bare_screen.py"
    return [
        *floor_rows(f"TUI first paint ({where})", "s", [s.wall_s for s in ours],
                    [s.wall_s for s in screen], [s.wall_s for s in peer],
                    "bare Textual Tree app", 1.2 if not demo else 1.15, floor_name,
                    kind="Textual floor"),
        *floor_rows(f"TUI peak RSS at first paint ({where})", "MiB",
                    [s.maxrss_kib / 1024 for s in ours], [s.maxrss_kib / 1024 for s in screen],
                    [s.maxrss_kib / 1024 for s in peer], "bare Textual Tree app", 1.2,
                    floor_name, kind="Textual floor"),
    ]


def key_latency_rows(samples: int, rounds: int) -> list[Row]:
    """Key → repaint on the stream screen with two 1 kHz streams, in a pty, against a
    bare Textual tab app with the same updates (``benchmarks/ui_latency.py`` states the
    method): p50, p90, p99 and the largest stall of the pooled samples."""
    import ui_latency  # beside this script

    ours, peer, _ = ui_latency.measure(samples, rounds)
    rows = []
    for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        rows.append(Row(f"key -> repaint {label}, 2 streams (pty)", "ms", ours.samples,
                        peer.samples, "bare Textual tab app", 1.0, q=q,
                        ours_rounds=[ui_latency.pct(r.all, q) for r in ours.rounds],
                        peer_rounds=[ui_latency.pct(r.all, q) for r in peer.rounds]))
    rows.append(Row("key -> repaint largest stall, 2 streams (pty)", "ms", ours.samples,
                    peer.samples, "bare Textual tab app", None, q=1.0,
                    bound=ui_latency.STALL_MS,
                    ours_rounds=[max(r.all) for r in ours.rounds],
                    peer_rounds=[max(r.all) for r in peer.rounds]))
    return rows


def _v4l2_node(name: str) -> str:
    """The /dev path of the V4L2 node named ``name`` (the stream benchmark's lookup)."""
    from stream_vs_v4l2ctl import node_by_name  # beside this script

    return node_by_name(name)


def _set_fps(node: str, fps: float) -> None:
    subprocess.run(["v4l2-ctl", "-d", node, f"--set-parm={fps:g}"], check=True,
                   capture_output=True)


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds a live process has used: every live thread's on-CPU time in ns from
    /proc/PID/task/TID/schedstat (CONFIG_SCHED_INFO, as the test kernel has) when this
    kernel keeps it, else utime + stime from /proc/PID/stat. The stat figures count
    in clock ticks (10 ms at USER_HZ 100): over a 6 s window a program that idles at
    5 fps reads as 0 or 1.7 ms CPU/s, too coarse for a ratio; schedstat is exact.
    """
    if _schedstat_works():
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                    total += int(f.read().split()[0])
            except (OSError, IndexError, ValueError):  # the thread ended meanwhile
                continue
        return total / 1e9
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@functools.cache
def _schedstat_works() -> bool:
    """Whether /proc/PID/schedstat counts on-CPU time here (some sandboxes give zeros)."""
    try:
        with open("/proc/self/schedstat", "rb") as f:
            return int(f.read().split()[0]) > 0
    except (OSError, IndexError, ValueError):
        return False


def _maps_node(pid: int, node: str) -> bool:
    """Whether the process has buffers of *node* mapped (its stream is set up)."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
            return any(line.rstrip().endswith(node) for line in f)
    except OSError:
        return False


def steady_cpu(argv: Sequence[str], node: str, settle_s: float, window_s: float,
               timeout: float = 600.0) -> float:
    """CPU seconds per second of *argv* while it streams, start-up excluded.

    The window starts ``settle_s`` after the process has *node*'s buffers mapped (seen
    in /proc/PID/maps: an event of the kernel's, the same for every program, not an
    output format) and lasts ``window_s``; the CPU is the whole process's
    (:func:`_proc_cpu_s`: every thread). The stream must outlast the window.
    """
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, cwd=REPO)
    try:
        deadline = time.monotonic() + timeout
        while not _maps_node(proc.pid, node):
            if proc.poll() is not None:
                raise SystemExit(f"{' '.join(argv)} exited {proc.returncode} before streaming")
            if time.monotonic() > deadline:
                raise SystemExit(f"{' '.join(argv)}: no buffers of {node} mapped")
            time.sleep(0.02)
        time.sleep(settle_s)
        t1, c1 = time.monotonic(), _proc_cpu_s(proc.pid)
        time.sleep(window_s)
        t2, c2 = time.monotonic(), _proc_cpu_s(proc.pid)
        if proc.poll() is not None:
            raise SystemExit(f"{' '.join(argv)} ended inside the measuring window")
        return (c2 - c1) / (t2 - t1)
    finally:
        proc.kill()
        proc.wait()


def stream_rows(reps: int, window_s: float = 6.0) -> list[Row]:
    """CPU per frame and idle CPU against v4l2-ctl on vivid (in the VM only).

    Steady state: CPU per second over a window that starts 1 s after the stream's
    buffers are mapped (see :func:`steady_cpu`), divided by the frame rate the driver
    paces. Start-up is excluded here because it has its own rows; the difference of
    300- and 30-frame runs, the first method, drowned the per-frame cost in start-up
    noise under TCG (it gave negative figures).
    """
    node = _v4l2_node("vivid-000-vid-cap")
    rows = []
    settle = 1.0
    for fps in (30.0, 60.0, 5.0):
        _set_fps(node, fps)
        frames = int(fps * (settle + window_s + 30))  # outlasts start-up and the window
        ours = [*MEDIATUI, "stream", node, "--buffers", "4", "--count", str(frames), "--quiet"]
        peer = ["v4l2-ctl", "-d", node, "--stream-mmap=4", f"--stream-count={frames}"]
        floor = [*FLOOR, "stream", node, "--buffers", "4", "--count", str(frames)]
        p, f, o = alternate_all(reps, *(lambda a=argv: _cpu_sample(a, node, settle, window_s)
                                        for argv in (peer, floor, ours)))
        # per second at 5 fps (idle), per frame at 30 and 60
        scale = 1e3 if fps == 5.0 else 1e3 / fps
        what = ("idle CPU of a 5 fps stream, --quiet (steady state)" if fps == 5.0 else
                f"stream CPU/frame, {fps:g} fps, --quiet (steady state)")
        rows += floor_rows(what, "ms CPU/s" if fps == 5.0 else "ms",
                           [s.cpu_s * scale for s in o], [s.cpu_s * scale for s in f],
                           [s.cpu_s * scale for s in p], "v4l2-ctl --stream-mmap", 1.5,
                           "floor.py stream", spread_bound=1.0)
    _set_fps(node, 30.0)
    return rows


def _cpu_sample(argv: Sequence[str], node: str, settle_s: float, window_s: float) -> Sample:
    return Sample(window_s, steady_cpu(argv, node, settle_s, window_s), 0)


# --- output -------------------------------------------------------------------------


def table(rows: list[Row], title: str) -> str:
    # A floor row (the indented "its Python floor") has the floor's figures where the
    # others have mediatui's: the row's "what" says which command they are.
    head = ("what", "unit", "mediatui (min/fig)", "peer (min/fig)", "peer", "ratio", "goal",
            "runs", "note")
    lines = [head]
    for r in rows:
        ratio = r.ratio
        note = []
        if r.goal is not None:
            note.append("met" if ratio <= r.goal else "NOT met")
        if r.bound is not None:
            ok = r.figure(r.ours) <= r.bound
            note.append(f"{'met' if ok else 'NOT met'}: ours <= {r.bound:g} {r.unit}")
        if r.noisy():
            note.append("noisy")
        lines.append((
            r.what, r.unit,
            f"{min(r.ours):.4g}/{r.figure(r.ours):.4g}",
            f"{min(r.peer):.4g}/{r.figure(r.peer):.4g}",
            r.peer_name, f"{ratio:.2f}x", "" if r.goal is None else f"<= {r.goal:g}x",
            f"{len(r.ours)}+{len(r.peer)}", ", ".join(note),
        ))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = [title]
    for n, line in enumerate(lines):
        out.append("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def rows_as_json(rows: list[Row]) -> list[dict[str, object]]:
    return [dataclasses.asdict(r) | {"ratio": r.ratio, "noisy": r.noisy()} for r in rows]


# --- the VM -------------------------------------------------------------------------


def run_in_vm(args: argparse.Namespace) -> int:
    from kernel import vm  # the kernel tier's own harness: same vng command and lock

    pre = vm.check_prereqs()
    if not pre.ok:
        raise SystemExit(f"cannot boot the VM: {pre.reason()}")
    assert pre.vng and pre.kernel
    boots = [("default", ()), ("198 nodes", ("vivid.n_devs=16",))]
    if args.smoke:
        boots = boots[:1]
    if args.boot:
        boots = [b for b in boots if b[0].split()[0] in args.boot]
    status = 0
    for label, extra in boots:
        inner = [PY, "benchmarks/run.py", "--in-vm", "--reps", str(args.reps),
                 "--label", label, *(["--smoke"] if args.smoke else [])]
        if extra:
            inner.append("--no-stream")
        rundir = Path(tempfile.mkdtemp(prefix="mediatui-bench-"))
        command = f"cd {shlex.quote(str(REPO))} && " + shlex.join(inner)
        argv = vm.vng_command(pre, extra, rundir, vm.guest_script(command, rundir))
        env = dict(os.environ, PATH=f"{pre.vng.parent}{os.pathsep}{os.environ['PATH']}")
        lock = vm.acquire_vm_lock(print)
        try:
            proc = subprocess.run(argv, env=env, cwd=REPO, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        finally:
            if lock is not None:
                lock.close()
        text = proc.stdout.decode(errors="replace")
        block = re.search(r"^=== mediatui benchmarks.*?(?=^=== end)", text, re.M | re.S)
        print(block.group(0) if block else text[-4000:])
        status |= proc.returncode
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="runs of each side per row (>= 5)")
    parser.add_argument("--spread", type=float, default=0.5,
                        help="flag a row as noisy over this (max-min)/median")
    parser.add_argument("--vm", action="store_true", help="the kernel rows, in the test VM")
    parser.add_argument("--smoke", action="store_true",
                        help="one quick pass of each row: checks the benchmark works (CI)")
    parser.add_argument("--json", action="store_true", help="the rows as JSON as well")
    parser.add_argument("--boot", action="append", choices=("default", "198"),
                        help="with --vm: only this boot (default: both)")
    parser.add_argument("--in-vm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    parser.add_argument("--no-stream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.reps = 1
    elif args.reps < 5:
        parser.error("--reps: at least 5 runs per side make a figure (use --smoke to check)")
    # Measure what an installed wheel runs: with the project's .pyc files written (pip
    # compiles a wheel at install; PYTHONDONTWRITEBYTECODE or a read-only checkout would
    # otherwise make every start compile every module from source).
    sys.path.insert(0, str(REPO / "tests"))
    from kernel.vm import compile_bytecode

    if not args.in_vm:  # the guest sees the checkout read-only: the host wrote them
        compile_bytecode(REPO)
    if args.vm:
        return run_in_vm(args)

    rows: list[Row] = []
    if args.in_vm:
        count = sum(1 for _ in Path("/sys/class/video4linux").iterdir())
        label = f"{args.label}, {count} V4L2 nodes"
        rows += startup_rows(args.reps, False, _v4l2_node("vivid-000-vid-cap"), label)
        rows += tui_rows(args.reps, False, label)
        if not args.no_stream and shutil.which("v4l2-ctl"):
            rows += stream_rows(args.reps, 1.0 if args.smoke else 6.0)
        title = f"=== mediatui benchmarks in the VM ({label}), {os.uname().release}"
    else:
        rows += startup_rows(args.reps, True, "/dev/video0", "--demo")
        rows += tui_rows(args.reps, True, "--demo")
        rows += key_latency_rows(*((8, 1) if args.smoke else (500, max(4, args.reps))))
        title = f"=== mediatui benchmarks on the host ({os.cpu_count()} CPUs, load " \
                f"{os.getloadavg()[0]:.2f})"
    for r in rows:
        r.spread_bound = max(r.spread_bound, args.spread)
    print(table(rows, title))
    if args.json:
        print(json.dumps(rows_as_json(rows)))
    print("=== end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
