"""`mediatui stream` against `v4l2-ctl --stream-mmap` on the same vivid node.

Same node, format, buffer count and frame count for both; runs alternate (v4l2-ctl,
mediatui, v4l2-ctl, …) so drift in the machine's load hits both alike.  For each run
it takes the child's user+sys CPU time from the kernel's process accounting
(``wait4`` rusage), and prints per tool: frames delivered, drops, CPU per frame, and
the ratio mediatui / v4l2-ctl.

Two CPU-per-frame figures are printed, because a Python process pays a start-up cost
(interpreter, imports) that a C tool does not:

* **total**: the whole process's CPU divided by the frames;
* **marginal**: the extra CPU of ``--long`` frames over ``--short`` frames, divided by
  the extra frames: the cost of streaming one more frame, start-up and setup excluded.
  For v4l2-ctl this comes from the process totals; for mediatui from the CPU its own
  streaming call took (``cpu.stream_*`` in its ``--json`` output), because the
  interpreter's start-up alone varies by seconds between runs in a TCG guest (every
  import is a few hundred stat/open calls over 9p) and would drown the difference.

Inside a TCG guest on a busy host, CPU accounting includes time the vCPU spent
descheduled on the host, so absolute figures swing with the host's load; the
alternating runs and medians keep the ratio fair, the absolute numbers are not.

It needs vivid, so it runs inside the test VM; from the repository root::

    PATH=.venv/bin:$PATH vng --run ../shared/kernel/bzImage --disable-kvm --user root \\
        --cpus 2 --memory 2G \\
        --append 'vivid.n_devs=3 vivid.multiplanar=1,2,1 vivid.allocators=0,0,1' \\
        --exec "cd $PWD && .venv/bin/python benchmarks/stream_vs_v4l2ctl.py" | cat

(the same vng invocation the kernel test tier uses, see tests/kernel/vm.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    tool: str
    frames_asked: int
    frames: int
    drops: int
    cpu_s: float
    wall_s: float
    loop_cpu_s: float | None = None


def node_by_name(name: str) -> str:
    for entry in sorted(Path("/sys/class/video4linux").iterdir()):
        try:
            if (entry / "name").read_text().strip() == name:
                return f"/dev/{entry.name}"
        except OSError:
            continue
    raise SystemExit(f"no V4L2 node named {name!r}: is vivid loaded?")


def timed(cmd: list[str]) -> tuple[str, str, float, float]:
    """Run ``cmd``; return stdout, stderr, user+sys CPU (wait4 rusage), wall time."""
    import time

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return stdout, stderr, usage.ru_utime + usage.ru_stime, wall


def run_v4l2_ctl(node: str, buffers: int, frames: int) -> Run:
    exe = shutil.which("v4l2-ctl") or "v4l2-ctl"
    stdout, stderr, cpu, wall = timed(
        [exe, "-d", node, f"--stream-mmap={buffers}", f"--stream-count={frames}"]
    )
    text = stdout + stderr
    delivered = text.count("<")
    drops = sum(int(n) for n in re.findall(r"dropped buffers: (\d+)", text))
    return Run("v4l2-ctl", frames, delivered, drops, cpu, wall)


def run_mediatui(node: str, buffers: int, frames: int) -> Run:
    stdout, _, cpu, wall = timed(
        [sys.executable, "-m", "mediatui", "stream", node, "--buffers", str(buffers),
         "--count", str(frames), "--json", "--quiet"]
    )
    result = json.loads(stdout)
    loop = result.get("cpu", {})
    loop_cpu = None
    if "stream_user_s" in loop:
        loop_cpu = loop["stream_user_s"] + loop["stream_sys_s"]
    return Run("mediatui", frames, result["frames"], result["drops"], cpu, wall, loop_cpu)


def set_rate(node: str, fps: float) -> None:
    exe = shutil.which("v4l2-ctl") or "v4l2-ctl"
    subprocess.run([exe, "-d", node, f"--set-parm={fps:g}"], check=True,
                   capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--node", help="video node (default: vivid-000-vid-cap by name)")
    parser.add_argument("--fps", type=float, default=30.0, help="vivid frame rate (S_PARM)")
    parser.add_argument("--buffers", type=int, default=4)
    parser.add_argument("--short", type=int, default=60, help="frames in the short runs")
    parser.add_argument("--long", type=int, default=300, help="frames in the long runs")
    parser.add_argument("--reps", type=int, default=5, help="runs per tool and length")
    args = parser.parse_args(argv)

    node = args.node or node_by_name("vivid-000-vid-cap")
    set_rate(node, args.fps)
    print(f"node {node}, {args.fps:g} fps, {args.buffers} buffers, "
          f"{args.reps} alternating runs of {args.short} and {args.long} frames", flush=True)
    runs: list[Run] = []
    for rep in range(args.reps):
        for frames in (args.short, args.long):
            for fn in (run_v4l2_ctl, run_mediatui):
                run = fn(node, args.buffers, frames)
                runs.append(run)
                loop = "" if run.loop_cpu_s is None else f" loop {run.loop_cpu_s * 1e3:.1f} ms"
                print(f"  rep {rep} {run.tool:9s} {frames:4d} frames: delivered {run.frames}, "
                      f"drops {run.drops}, cpu {run.cpu_s * 1e3:.1f} ms, wall {run.wall_s:.2f} s"
                      f"{loop}", flush=True)

    def med(tool: str, frames: int, attr: str = "cpu_s") -> float:
        values = [getattr(r, attr) for r in runs if r.tool == tool and r.frames_asked == frames]
        return statistics.median(v for v in values if v is not None)

    print()
    print(f"{'':10s} {'frames':>8s} {'drops':>6s} {'total cpu/frame':>16s} "
          f"{'marginal cpu/frame':>19s}")
    dn = args.long - args.short
    figures = {}
    for tool in ("v4l2-ctl", "mediatui"):
        frames = [r.frames for r in runs if r.tool == tool and r.frames_asked == args.long]
        drops = sum(r.drops for r in runs if r.tool == tool)
        total = med(tool, args.long) / args.long
        attr = "loop_cpu_s" if tool == "mediatui" else "cpu_s"
        marginal = (med(tool, args.long, attr) - med(tool, args.short, attr)) / dn
        figures[tool] = (total, marginal)
        print(f"{tool:10s} {statistics.median(frames):8.0f} {drops:6d} "
              f"{total * 1e6:13.0f} us {marginal * 1e6:16.0f} us")
    (ctl_total, ctl_marg), (mt_total, mt_marg) = figures["v4l2-ctl"], figures["mediatui"]
    print(f"ratio mediatui / v4l2-ctl: total {mt_total / ctl_total:.2f}x, "
          + (f"marginal {mt_marg / ctl_marg:.2f}x" if ctl_marg > 0 else "marginal n/a"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
