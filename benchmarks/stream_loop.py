"""The streaming loop alone: maximum frames per second on virtual devices, zero-delay clock.

The virtual vivid runs on an ``InstantClock``: a queued buffer is done by the time QBUF
returns, so the loop never waits and its speed is the cost of one turn (poll, DQBUF,
statistics, re-QBUF) plus the virtual device's own Python.  The loop's clock is the
real monotonic clock, so snapshots come at their usual 10 Hz.

    .venv/bin/python benchmarks/stream_loop.py [--frames 20000] [--profile]

``--profile`` runs once more under cProfile and splits the time between the loop
(``core.stream``), the virtual device (``core.virtual``) and the rest.

``--null`` replaces the virtual vivid by a stand-in that completes a buffer the moment
it is queued and does nothing else (no pattern, no vb2 rules): what is left is the
loop's own cost, poll() and the chokepoint included.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import errno
import mmap
import os
import pstats
import time
from typing import Any

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.nodekind import NodeKind
from core.stream import video_stream
from core.video import VideoDevice
from core.virtual import InstantClock, scenario_board


class NullCapture:
    """A capture node reduced to QBUF → done → DQBUF, readable through an eventfd."""

    path = "/dev/null-capture"
    size = 320 * 180 * 2

    def __init__(self) -> None:
        self.fd = -1
        self.count = 0
        self.done: collections.deque[int] = collections.deque()
        self.streaming = False
        self.seq = 0

    def owns_path(self, path: str) -> bool:
        return path == self.path

    def node_kind(self, path: str) -> NodeKind:
        return NodeKind(path, "character device", 81, 99, "video4linux", None,
                        "video4linux")

    def open(self, path: str, flags: int) -> int:
        self.fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        return self.fd

    def close(self, fd: int) -> None:
        os.close(fd)

    def mmap(self, fd: int, length: int, prot: int, offset: int) -> mmap.mmap:
        return mmap.mmap(-1, length)

    def ioctl(self, fd: int, request: int, arg: Any) -> int:
        if request == v.VIDIOC_DQBUF:
            if not self.done:
                raise OSError(errno.EAGAIN, "nothing done")
            arg.index = self.done.popleft()
            arg.sequence = self.seq
            arg.bytesused = self.size
            arg.flags = v.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC
            arg.timestamp.tv_sec, arg.timestamp.tv_usec = divmod(self.seq * 33333, 1_000_000)
            self.seq += 1
            if not self.done:
                os.eventfd_read(fd)
            return 0
        if request == v.VIDIOC_QBUF:
            if self.streaming:
                if not self.done:
                    os.eventfd_write(fd, 1)
                self.done.append(arg.index)
            else:
                self.done.append(arg.index)
            return 0
        if request == v.VIDIOC_STREAMON:
            self.streaming = True
            if self.done:
                os.eventfd_write(fd, 1)
            return 0
        if request == v.VIDIOC_STREAMOFF:
            self.streaming = False
            self.done.clear()
            return 0
        if request == v.VIDIOC_QUERYCAP:
            arg.capabilities = arg.device_caps = (
                v.V4L2_CAP_VIDEO_CAPTURE | v.V4L2_CAP_STREAMING | v.V4L2_CAP_DEVICE_CAPS)
            return 0
        if request in (v.VIDIOC_G_FMT, v.VIDIOC_S_FMT):
            pix = arg.fmt.pix
            pix.width, pix.height, pix.field = 320, 180, v.V4L2_FIELD_NONE
            pix.pixelformat, pix.sizeimage = v.fourcc("YUYV"), self.size
            return 0
        if request == v.VIDIOC_REQBUFS:
            self.count = arg.count
            return 0
        if request == v.VIDIOC_QUERYBUF:
            arg.length, arg.m.offset = self.size, arg.index * 0x100000
            return 0
        raise OSError(errno.ENOTTY, "not handled")


def run_null(frames: int, buffers: int) -> tuple[float, float, int]:
    backend = NullCapture()
    chokepoint.install_backend(backend)
    try:
        with VideoDevice(backend.path) as dev:
            stream = video_stream(dev, count=buffers, max_frames=frames)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            final = stream.run()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        chokepoint.uninstall_backend(backend)
    return wall, cpu, final.frames


def run_once(frames: int, buffers: int, mplane: bool) -> tuple[float, float, int]:
    backend, roles = scenario_board(InstantClock())
    path = roles.capture_mplane if mplane else roles.capture
    with backend, VideoDevice(path) as dev:
        bt = v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE if mplane else v.V4L2_BUF_TYPE_VIDEO_CAPTURE
        # The smallest frame: the virtual device writes a pattern into every buffer.
        dev.set_format(bt, width=320, height=180)
        stream = video_stream(dev, count=buffers, max_frames=frames)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        final = stream.run()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return wall, cpu, final.frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--buffers", type=int, default=4)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--mplane", action="store_true", help="the multi-planar capture")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--null", action="store_true",
                        help="a do-nothing device instead of the virtual vivid")
    args = parser.parse_args(argv)

    best = None
    for rep in range(args.reps):
        if args.null:
            wall, cpu, frames = run_null(args.frames, args.buffers)
        else:
            wall, cpu, frames = run_once(args.frames, args.buffers, args.mplane)
        print(f"run {rep}: {frames} frames in {wall:.3f} s wall, {cpu:.3f} s cpu: "
              f"{frames / wall:,.0f} frames/s, {cpu / frames * 1e6:.1f} us cpu/frame")
        best = wall if best is None else min(best, wall)
    assert best is not None
    print(f"best: {args.frames / best:,.0f} frames/s")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        if args.null:
            run_null(args.frames, args.buffers)
        else:
            run_once(args.frames, args.buffers, args.mplane)
        profiler.disable()
        stats = pstats.Stats(profiler)
        split: dict[str, float] = {}
        total = 0.0
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
            part = ("core/stream" if "core/stream" in filename else
                    "core/virtual" if "core/virtual" in filename else
                    "core/ioctl+video" if "/core/" in filename else "other (stdlib, C)")
            split[part] = split.get(part, 0.0) + tottime
            total += tottime
        print("\nprofile (own time by package):")
        for part, t in sorted(split.items(), key=lambda kv: -kv[1]):
            print(f"  {part:20s} {t:7.3f} s  {t / total:5.1%}  "
                  f"{t / args.frames * 1e6:6.1f} us/frame")
        stats.sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
