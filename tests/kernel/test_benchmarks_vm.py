"""The benchmark command's VM rows work on the real kernel (issue 16: CI runs the
benchmark once in a smoke mode that checks it works; the figures are not checked).

The host rows are checked by ``tests/unit/test_benchmarks_smoke.py``; this runs the
guest half of ``benchmarks/run.py --vm`` (``--in-vm``) in the kernel tier's own boot,
so a row that breaks against real nodes (a v4l2-ctl option, a node name, the pty
marker of the first paint) fails here instead of in the next person's measurement.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_vm_rows_smoke() -> None:
    if shutil.which("v4l2-ctl") is None:
        pytest.skip("v4l2-ctl not found: apt-get install v4l-utils")
    proc = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--in-vm", "--smoke", "--json",
         "--label", "kernel tier"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("=== mediatui benchmarks in the VM (kernel tier, ")
    rows = json.loads(next(line for line in lines if line.startswith("[")))
    whats = [row["what"] for row in rows]
    for prefix in ("mediatui --version", "mediatui list --json", "mediatui info /dev/video",
                   "TUI first paint", "TUI peak RSS", "stream CPU/frame, 30 fps",
                   "stream CPU/frame, 60 fps", "idle CPU of a 5 fps stream"):
        assert any(w.startswith(prefix) for w in whats), (prefix, whats)
    # Each TUI row with its Textual floor (bare_screen.py on the real nodes).
    assert whats.count("  its Textual floor: bare_screen.py") == 2, whats
    assert whats.count("  mediatui against its Textual floor") == 2, whats
    for row in rows:
        assert row["ours"] and row["peer"], row
        # The idle row's peer (v4l2-ctl at 5 fps) can use no measurable CPU at all.
        if not row["what"].startswith("idle"):
            assert row["ratio"] > 0, row
