"""The streaming loop alone: maximum frames per second on virtual devices, zero-delay clock.

The virtual vivid runs on an ``InstantClock``: a queued buffer is done by the time QBUF
returns, so the loop never waits and its speed is the cost of one turn (poll, DQBUF,
statistics, re-QBUF) plus the virtual device's own Python.  The loop's clock is the
real monotonic clock, so snapshots come at their usual 10 Hz.

    .venv/bin/python benchmarks/stream_loop.py [--frames 20000] [--profile]

``--profile`` runs once more under cProfile and splits the time between the loop
(``core.stream``), the virtual device (``core.virtual``) and the rest.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from core.abi import v4l2 as v
from core.stream import video_stream
from core.video import VideoDevice
from core.virtual import InstantClock, scenario_board


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
    args = parser.parse_args(argv)

    best = None
    for rep in range(args.reps):
        wall, cpu, frames = run_once(args.frames, args.buffers, args.mplane)
        print(f"run {rep}: {frames} frames in {wall:.3f} s wall, {cpu:.3f} s cpu: "
              f"{frames / wall:,.0f} frames/s, {cpu / frames * 1e6:.1f} us cpu/frame")
        best = wall if best is None else min(best, wall)
    assert best is not None
    print(f"best: {args.frames / best:,.0f} frames/s")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
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
