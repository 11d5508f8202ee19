"""The benchmark command works (its figures are not checked: it is not a timed test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_run_smoke_prints_every_host_row() -> None:
    proc = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--smoke", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("=== mediatui benchmarks on the host")
    rows = json.loads(next(line for line in lines if line.startswith("[")))
    whats = [row["what"] for row in rows]
    assert any(w.startswith("mediatui --version") for w in whats)
    assert any(w.startswith("TUI first paint") for w in whats)
    assert any(w.startswith("TUI peak RSS") for w in whats)
    for row in rows:
        assert row["ours"] and row["peer"], row
        assert row["ratio"] > 0, row
