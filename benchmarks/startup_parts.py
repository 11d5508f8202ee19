"""Where a verb's start-up goes, against its Python floor: the time of each group of
imported modules (``python -X importtime``, each module's own time) and the rest of the
run, for ``mediatui list --json`` / ``info NODE`` and ``benchmarks/floor.py``'s same
verb, the median of ``--reps`` runs.

Groups: what ``python3 -c pass`` imports too (the interpreter's start), what the floor
imports too (argparse, json, ...), ctypes and mediatui's ABI (``core.abi``), the rest
of mediatui's own modules (``core``, ``mediatui``), the other standard-library modules
mediatui loads; "the rest" is the wall time left: the interpreter's own start beyond
imports, then the work (discovery, ioctls, the document).
``-X importtime`` slows imports a little, so the parts are shares, not benchmarks: the
ratios are ``benchmarks/run.py``'s. Run where the nodes are (in the VM, from the
repository root)::

    .venv/bin/python benchmarks/startup_parts.py list
    .venv/bin/python benchmarks/startup_parts.py info /dev/video7
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_LINE = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)")


def imports(argv: list[str]) -> tuple[float, dict[str, float]]:
    """Wall seconds of one run of *argv* under ``-X importtime``, and each imported
    module's own import time in seconds."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], cwd=REPO,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {tail[0]}")
    wall = time.monotonic() - start
    own = {m.group(3): int(m.group(1)) / 1e6 for m in map(_LINE.match, proc.stderr.splitlines())
           if m}
    return wall, own


def group(module: str, interpreter: set[str], floor: set[str] | None) -> str:
    """The group of a module's import time (*floor* None: on the floor's side)."""
    if module in interpreter:
        return "imported by python3 -c pass too"
    if floor is None:
        return "the floor's imports (argparse, json, ...)"
    if module in floor:
        return "imported by the floor too"
    if module.startswith(("core.abi", "ctypes", "_ctypes")):
        return "ctypes and the ABI (core.abi)"
    if module.split(".")[0] in ("core", "mediatui"):
        return "mediatui's other modules"
    return "other standard library"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("verb", choices=("list", "info"))
    parser.add_argument("node", nargs="?", help="info: the video node")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    if args.verb == "info" and not args.node:
        parser.error("info needs a NODE")
    if args.reps < 1:
        parser.error("--reps: at least 1")
    sys.path.insert(0, str(REPO / "benchmarks"))
    from run import MEDIATUI

    # the installed command is a Python script: run it by the same interpreter
    command = MEDIATUI[1:] if MEDIATUI[0] == sys.executable else MEDIATUI
    verb = ["list", "--json"] if args.verb == "list" else ["info", args.node]
    ours = [*command, *verb]
    floor = [str(REPO / "benchmarks" / "floor.py"), args.verb,
             *([args.node] if args.node else [])]
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {"ours": [], "floor": [],
                                                             "pass": []}
    for _ in range(args.reps):
        runs["pass"].append(imports(["-c", "pass"]))
        runs["floor"].append(imports(floor))
        runs["ours"].append(imports(ours))
    interpreter = set().union(*(own for _, own in runs["pass"]))
    floor_mods = set().union(*(own for _, own in runs["floor"]))
    print(f"=== where `mediatui {' '.join(verb)}` goes, against `floor.py {args.verb}`: "
          f"ms, median of {args.reps} runs (-X importtime)")
    for side in ("pass", "floor", "ours"):
        parts: dict[str, list[float]] = {}
        for wall, own in runs[side]:
            sums: dict[str, float] = {}
            for module, t in own.items():
                key = group(module, interpreter, floor_mods if side == "ours" else None)
                sums[key] = sums.get(key, 0.0) + t
            sums["the rest (interpreter, the work)"] = wall - sum(own.values())
            sums["whole run, wall"] = wall
            for key, t in sums.items():
                parts.setdefault(key, []).append(t)
        print("-- " + {"pass": "python3 -c pass", "floor": f"floor.py {args.verb}",
                       "ours": f"mediatui {args.verb}"}[side])
        for key, ts in parts.items():
            ts += [0.0] * (args.reps - len(ts))  # a group absent from some run
            print(f"   {key:40} {statistics.median(ts) * 1e3:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
