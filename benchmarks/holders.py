"""`mediatui who` / `mediatui dmabufs` against `fuser -v` and `lsof` on a big process tree.

Builds a tree like a busy board's: ``--procs`` processes (default 500) holding about
``--fds`` fds in total (default 20,000: pipes, sockets, files, /dev/zero), ``--dmabufs``
of them (default 200) each hold one dma-buf (from ``/dev/udmabuf`` when the machine has
it, else a memfd as a stand-in: same fd walk, not counted as a dma-buf) and every other
one maps it, and one process in ten holds the ``--device`` node (default /dev/zero).
Then it times, as whole processes (interpreter start-up included), alternating the
tools each round so load drifts hit all alike, ``--reps`` rounds (default 5):

* the "who holds DEVICE" answer: ``mediatui who DEVICE`` vs ``fuser -v DEVICE`` vs
  ``lsof DEVICE``;
* the "every dma-buf and its holders" answer: ``mediatui dmabufs --json`` vs ``lsof``
  (lsof lists every fd and mapping of every process; dma-bufs are among them).

It prints medians and the ratios (mediatui / other; below 1 means mediatui is faster).
Goal (issue 13): no slower than fuser, at least 3x faster than lsof.  Run as root so
every tool reads every process::

    .venv/bin/python benchmarks/holders.py
"""

from __future__ import annotations

import argparse
import fcntl
import mmap
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIATUI = [sys.executable, "-m", "mediatui"]


def _dmabuf(size: int) -> int:
    """A dma-buf from udmabuf, or a memfd stand-in where there is none."""
    memfd = os.memfd_create("bench", os.MFD_ALLOW_SEALING)
    os.ftruncate(memfd, size)
    if not os.path.exists("/dev/udmabuf"):
        return memfd
    sys.path.insert(0, str(REPO))
    from core.abi import dmabuf as abi
    from core.ioctl import ioctl

    fcntl.fcntl(memfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
    dev = os.open("/dev/udmabuf", os.O_RDWR)
    try:
        return ioctl(dev, abi.UDMABUF_CREATE, abi.udmabuf_create(memfd=memfd, size=size))
    finally:
        os.close(dev)
        os.close(memfd)


def build_tree(procs: int, fds: int, dmabufs: int, device: str) -> list[int]:
    """Fork ``procs`` sleeping children; returns their PIDs."""
    # What every child inherits besides our fds (stdio, the interpreter's own).
    baseline = len(os.listdir("/proc/self/fd")) - 1
    per = max(1, fds // procs - baseline - 2)
    shared: list[int] = []
    for i in range(per):
        kind = i % 3
        if kind == 0:
            r, w = os.pipe()
            shared += [r, w]
        elif kind == 1:
            a, b = socket.socketpair()
            shared += [a.detach(), b.detach()]
        else:
            shared.append(os.open("/etc/hostname" if os.path.exists("/etc/hostname")
                                  else "/etc/passwd", os.O_RDONLY))
    for fd in shared[per:]:
        os.close(fd)
    shared = shared[:per]
    pids = []
    for n in range(procs):
        pid = os.fork()
        if pid == 0:
            try:
                keep = []
                if n % 10 == 0:
                    keep.append(os.open(device, os.O_RDONLY))
                if n < dmabufs:
                    fd = _dmabuf(64 << 10)
                    keep.append(fd)
                    if n % 2:
                        keep.append(mmap.mmap(fd, 64 << 10))  # type: ignore[arg-type]
                signal.pause()
            finally:
                os._exit(0)
        pids.append(pid)
    for fd in shared:
        os.close(fd)
    return pids


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
                   check=False)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--procs", type=int, default=500)
    ap.add_argument("--fds", type=int, default=20_000)
    ap.add_argument("--dmabufs", type=int, default=200)
    ap.add_argument("--device", default="/dev/zero")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    missing = [t for t in ("lsof", "fuser") if shutil.which(t) is None]
    if missing:
        print(f"missing {', '.join(missing)}: apt-get install lsof psmisc", file=sys.stderr)
        return 1
    pids = build_tree(args.procs, args.fds, args.dmabufs, args.device)
    try:
        time.sleep(1)
        total_fds = sum(len(os.listdir(f"/proc/{p}/fd")) for p in pids)
        kind = "udmabuf" if os.path.exists("/dev/udmabuf") else "memfd stand-ins"
        print(f"tree: {len(pids)} processes, {total_fds} fds, {args.dmabufs} "
              f"{kind}, {os.cpu_count()} CPUs, {args.reps} alternating rounds")
        tools = {
            "mediatui who DEV": [*MEDIATUI, "who", args.device],
            "fuser -v DEV": ["fuser", "-v", args.device],
            "lsof DEV": ["lsof", args.device],
            "mediatui dmabufs --json": [*MEDIATUI, "dmabufs", "--json"],
            "lsof (all)": ["lsof", "-n"],
            "python -c pass": [sys.executable, "-c", "pass"],
            # The CLI's own start-up (argparse with every verb imported), no scan.
            "mediatui --help": [*MEDIATUI, "--help"],
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        for rnd in range(args.reps):
            order = list(tools.items())
            if rnd % 2:
                order.reverse()
            for name, argv in order:
                times[name].append(timed(argv))
        med = {name: statistics.median(ts) for name, ts in times.items()}
        print(f"{'command':<26} {'median s':>9} {'min s':>8}")
        for name, ts in times.items():
            print(f"{name:<26} {med[name]:>9.3f} {min(ts):>8.3f}")
        print("ratios (mediatui / other, < 1: mediatui faster):")
        print(f"  who DEV / fuser -v DEV      {med['mediatui who DEV'] / med['fuser -v DEV']:.2f}")
        print(f"  who DEV / lsof DEV          {med['mediatui who DEV'] / med['lsof DEV']:.2f}")
        print(f"  dmabufs --json / lsof (all) "
              f"{med['mediatui dmabufs --json'] / med['lsof (all)']:.2f}")
        print(f"  (interpreter start-up alone: {med['python -c pass']:.3f} s; mediatui's CLI "
              f"start-up, no scan: {med['mediatui --help']:.3f} s)")
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        for pid in pids:
            os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
