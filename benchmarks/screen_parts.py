"""What each part of mediatui's first screen costs the first paint, measured on its
Textual floor (``benchmarks/bare_screen.py``: the same screen in stock widgets).

The first-paint rows of ``benchmarks/run.py`` compare mediatui with a bare ``Tree``
app, and mediatui with ``bare_screen.py``. This script splits the second figure, the
screen's own cost over the bare tree: it times the bare tree, the whole screen, and the
screen without each part in turn (``bare_screen.py --without PART``: the tabs, the
ioctl log, the footer, the tracing of discovery's ioctls for the log), alternated in
one rotation, ``--reps`` rounds after one warm-up round, by ``run.py``'s method (a pty
of 100x32, spawn to the first frame showing the tree's first group). A part's cost is
the whole screen's median minus the median without it.

    .venv/bin/python benchmarks/screen_parts.py [--demo] [--reps 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (benchmarks/run.py: the method and the helpers)
from bare_screen import PARTS  # noqa: E402  (what --without can leave out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="store_true", help="the virtual devices (host)")
    parser.add_argument("--reps", type=int, default=5, help="rounds (>= 5 for figures)")
    args = parser.parse_args(argv)
    demo = ["--demo"] if args.demo else []
    marker = run.tree_marker(args.demo)
    screen = [run.PY, str(HERE / "bare_screen.py"), *demo]
    commands = {
        "bare Textual Tree app (run.py's peer)": [run.PY, str(HERE / "bare_tree.py"), *demo],
        "the whole screen (bare_screen.py)": screen,
        **{f"  without {part}": [*screen, "--without", part] for part in PARTS},
    }
    samples = run.alternate_all(args.reps, *(
        (lambda a=argv: run.first_paint(a, marker)) for argv in commands.values()))
    medians = [statistics.median(s.wall_s for s in side) for side in samples]
    tree, whole = medians[0], medians[1]
    print(f"=== first paint by part of the screen ({'host --demo' if demo else 'real nodes'}"
          f", {args.reps} rounds, medians)")
    print(f"{'what':<40} {'s':>8} {'x tree':>7} {'part costs':>11} {'share of gap':>13}")
    for (what, _), median in zip(commands.items(), medians, strict=True):
        line = f"{what:<40} {median:>8.4g} {median / tree:>6.2f}x"
        if what.startswith("  without"):
            part = whole - median
            share = f"{part / (whole - tree):>12.0%}" if whole > tree else f"{'n/a':>12}"
            line += f" {part * 1000:>8.0f} ms {share}"
        print(line)
    print("=== end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
