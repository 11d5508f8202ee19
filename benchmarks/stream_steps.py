"""What each piece of a stream loop's per-frame work costs, from the Python floor up to
``mediatui stream``, beside ``v4l2-ctl --stream-mmap``: the decomposition behind the
stream CPU rows of ``benchmarks/run.py --vm``.

Each step is a loop over the same vivid capture node (4 MMAP buffers, 30 fps) that does
what the step before did plus one piece of what mediatui's loop does per frame:

0. ``floor``: poll one fd, DQBUF and QBUF one reused ``bytearray`` (``floor.py stream``);
1. ``+wake+clock``: poll also the loop's wake eventfd, read the monotonic clock;
2. ``+ctypes``: DQBUF into a ctypes ``v4l2_buffer``, QBUF the buffer's own struct;
3. ``+chokepoint``: both ioctls through :func:`core.ioctl.ioctl` (tracing, virtual fds);
4. ``+fields``: the seven fields mediatui reads, in one ``struct`` unpack;
5. ``+bookkeeping``: mediatui's per-frame records: :class:`core.stream.stats.FrameStats`
   ``add`` (drops, repeats, timestamps), :class:`~core.stream.stats.DepthTracker`
   ``set`` after DQBUF and QBUF, the per-buffer state arrays the live view shows;
6. ``+bookkeeping, batched``: step 4, then the same records kept as step 5 keeps them
   but replayed 32 frames at a time, as :meth:`core.stream.vqueue.VideoQueue.settle`
   does (not cumulative: an alternative to step 5);
7. ``1 + fields + batched``: what :meth:`core.stream.vqueue.VideoQueue.recycle` does
   now, written flat: step 1, then DQBUF into one ``bytearray``, the fields unpacked
   from it, that bytearray queued back, the records of step 6 replayed in batches (no
   ctypes, no chokepoint): mediatui's row minus this one is its loop's own structure
   (the engine's checks, the method call);

then ``mediatui stream NODE --quiet`` and ``v4l2-ctl``.  Each is measured as
``run.py`` measures the stream rows (:func:`run.steady_cpu`: the whole process's CPU
over a window of steady streaming, start-up excluded), the commands alternated, the
median of ``--reps`` runs.  It needs vivid, so it runs inside the test VM, from the
repository root::

    .venv/bin/python benchmarks/stream_steps.py [--reps 5] [--fps 30]
"""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import mmap
import os
import select
import statistics
import struct
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STEPS = ("floor", "+wake+clock", "+ctypes", "+chokepoint", "+fields", "+bookkeeping",
         "+bookkeeping, batched", "1 + fields + batched")


def loop(path: str, step: int, count: int) -> int:
    """Stream *count* frames doing the work of steps 0..*step*; returns the frames."""
    sys.path.insert(0, str(REPO))
    from core import ioctl as chokepoint
    from core.abi import v4l2 as v
    from core.stream.stats import DepthTracker, FrameStats
    from core.stream.vqueue import _read_dq  # the one unpack mediatui's DQBUF makes

    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    req = v.v4l2_requestbuffers(count=4, type=v.V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                memory=v.V4L2_MEMORY_MMAP)
    fcntl.ioctl(fd, v.VIDIOC_REQBUFS, req, True)
    maps, qbufs = [], []
    for i in range(req.count):
        b = v.v4l2_buffer(index=i, type=req.type, memory=req.memory)
        fcntl.ioctl(fd, v.VIDIOC_QUERYBUF, b, True)
        maps.append(mmap.mmap(fd, b.length, mmap.MAP_SHARED,
                              mmap.PROT_READ | mmap.PROT_WRITE, offset=b.m.offset))
        fcntl.ioctl(fd, v.VIDIOC_QBUF, b, True)
        qbufs.append(b)
    fcntl.ioctl(fd, v.VIDIOC_STREAMON, ctypes.c_int(req.type))
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    wake = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    if step >= 1:
        poll.register(wake, select.POLLIN)
    raw = bytearray(ctypes.sizeof(v.v4l2_buffer))
    struct.pack_into("=II", raw, 0, 0, req.type)
    struct.pack_into("=I", raw, v.v4l2_buffer.memory.offset, req.memory)
    dq = v.v4l2_buffer(type=req.type, memory=req.memory)
    stats, depth = FrameStats(), DepthTracker()
    depth.start(len(qbufs), time.monotonic())
    arrays = [[0] * len(qbufs) for _ in range(6)]
    log: list[tuple[tuple[int, ...], float]] = []

    def record(fields: tuple[int, ...], now: float) -> None:
        """A DQBUF's records: depth one lower, the statistics, the per-buffer facts."""
        index, used, flags, field, sec, usec, seq = fields
        depth.set(depth.depth - 1, now)
        stats.add(seq, sec + usec * 1e-6, now, flags, field, used)
        for array, value in zip(arrays, (1, seq, sec, flags, field, used), strict=True):
            array[index] = value

    def replay() -> None:
        """Steps 6 and 7: the logged DQBUFs' records, each followed by its re-QBUF."""
        for fields, when in log:
            record(fields, when)
            depth.set(depth.depth + 1, when)
        log.clear()

    ioctl = chokepoint.ioctl if step >= 3 else lambda f, r, a: fcntl.ioctl(f, r, a, True)
    dqbuf, qbuf = v.VIDIOC_DQBUF, v.VIDIOC_QBUF
    frames, now = 0, 0.0
    while frames < count:
        poll.poll()
        if step >= 1:
            now = time.monotonic()
        if step < 2:
            try:
                fcntl.ioctl(fd, dqbuf, raw, True)
            except BlockingIOError:
                continue
            fcntl.ioctl(fd, qbuf, raw, True)
            frames += 1
            continue
        if step == 7:
            try:
                fcntl.ioctl(fd, dqbuf, raw, True)
            except BlockingIOError:
                continue
            log.append((_read_dq(raw), now))
            fcntl.ioctl(fd, qbuf, raw, True)
            if len(log) >= 32:
                replay()
            frames += 1
            continue
        try:
            ioctl(fd, dqbuf, dq)
        except BlockingIOError:  # woken with nothing done: poll again, as mediatui does
            continue
        index = dq.index
        if step >= 4:
            fields = _read_dq(dq)
            index = fields[0]
            if step == 5:
                record(fields, now)
            elif step == 6:
                log.append((fields, now))
        buf = qbufs[index]
        buf.flags = 0
        ioctl(fd, qbuf, buf)
        if step == 5:
            depth.set(depth.depth + 1, now)
        elif step == 6 and len(log) >= 32:
            replay()
        frames += 1
    fcntl.ioctl(fd, v.VIDIOC_STREAMOFF, ctypes.c_int(req.type))
    for m in maps:
        m.close()
    os.close(fd)
    return frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--window", type=float, default=5.0, help="seconds measured")
    parser.add_argument("--step", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--node", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step is not None:  # one loop, run by the measuring side below
        loop(args.node, args.step, args.count)
        return 0
    if args.reps < 1:
        parser.error("--reps: at least 1")
    sys.path.insert(0, str(REPO / "benchmarks"))
    from run import MEDIATUI, PY, _cpu_sample, _set_fps, _v4l2_node, alternate_all

    node = _v4l2_node("vivid-000-vid-cap")
    _set_fps(node, args.fps)
    frames = int(args.fps * (args.window + 30))
    cases = {name: [PY, __file__, "--step", str(n), "--node", node, "--count", str(frames)]
             for n, name in enumerate(STEPS)}
    cases["mediatui stream --quiet"] = [*MEDIATUI, "stream", node, "--buffers", "4",
                                        "--count", str(frames), "--quiet"]
    cases["v4l2-ctl --stream-mmap"] = ["v4l2-ctl", "-d", node, "--stream-mmap=4",
                                       f"--stream-count={frames}"]
    # run.py's rotation: a warm-up round dropped, each round starting one further on
    samples = alternate_all(args.reps, *(
        (lambda a=argv: _cpu_sample(a, node, 1.0, args.window)) for argv in cases.values()))
    ms = {name: [s.cpu_s / args.fps * 1e3 for s in side]
          for name, side in zip(cases, samples, strict=True)}
    peer = statistics.median(ms["v4l2-ctl --stream-mmap"])
    print(f"=== per-frame CPU, {args.fps:g} fps, {node}, {args.reps} runs each "
          f"(ms/frame: median, min; ratio of medians)")
    print(f"{'step':28} {'median':>8} {'min':>8} {'/ v4l2-ctl':>11} {'/ previous':>11}")
    before = None
    for name, xs in ms.items():
        med = statistics.median(xs)
        # each step against the one before (step 6 is an alternative to step 5, step 7
        # to steps 2 to 6)
        step_ratio = "" if before is None or name not in STEPS else f"{med / before:.2f}x"
        print(f"{name:28} {med:8.3f} {min(xs):8.3f} {med / peer:10.2f}x {step_ratio:>11}")
        before = med
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
