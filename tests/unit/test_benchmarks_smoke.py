"""The benchmark command works (its figures are not checked: it is not a timed test)."""

from __future__ import annotations

import ctypes
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
    # Each TUI row with its Textual floor (bare_screen.py) in the same rotation.
    assert sum(w == "  its Textual floor: bare_screen.py" for w in whats) == 2
    assert sum(w == "  mediatui against its Textual floor" for w in whats) == 2
    # The key-latency rows: both apps answered every key through their pty.
    latency = [row for row in rows if row["what"].startswith("key -> repaint")]
    assert [row["q"] for row in latency] == [0.5, 0.9, 0.99, 1.0]
    assert all(len(row["ours"]) >= 8 and len(row["peer"]) >= 8 for row in latency)
    for row in rows:
        assert row["ours"] and row["peer"], row
        assert row["ratio"] > 0, row


def test_steady_cpu_measures_the_window_after_the_mapping(tmp_path: Path) -> None:
    """The stream rows' sampler: a process that maps the "node" and then spins uses
    about one CPU second per second; one that maps it and sleeps, about none. The
    start-up burn before the mapping is left out."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import run  # type: ignore[import-not-found]

    node = tmp_path / "video7"
    node.write_bytes(b"\0" * 4096)
    body = (
        "import mmap, time\n"
        "t = time.monotonic()\n"
        "while time.monotonic() - t < 0.5: pass\n"  # start-up burn, not measured
        f"f = open({str(node)!r}, 'r+b'); m = mmap.mmap(f.fileno(), 4096)\n"
        "t = time.monotonic()\n"
        "while time.monotonic() - t < 5: {}\n"
    )
    spin = run.steady_cpu([sys.executable, "-c", body.format("pass")], str(node), 0.2, 1.0)
    idle = run.steady_cpu([sys.executable, "-c", body.format("time.sleep(0.05)")],
                          str(node), 0.2, 1.0)
    # One core's worth, minus what the shared 2-core machine takes from it.
    assert spin > 0.25, spin
    assert idle < 0.1, idle
    assert spin > 5 * idle, (spin, idle)


def test_floor_uses_the_kernel_headers_numbers_and_prints_json() -> None:
    """benchmarks/floor.py spells its ioctl numbers from the uapi sizes: they must equal
    core.abi's (checked against the headers by test_abi.py)."""
    from core.abi import media, subdev
    from core.abi import v4l2 as v

    sys.path.insert(0, str(REPO / "benchmarks"))
    import floor  # type: ignore[import-not-found]

    for name in ("VIDIOC_QUERYCAP", "VIDIOC_ENUM_FMT", "VIDIOC_G_FMT", "VIDIOC_G_PARM",
                 "VIDIOC_ENUM_FRAMESIZES", "VIDIOC_ENUM_FRAMEINTERVALS", "VIDIOC_REQBUFS",
                 "VIDIOC_QUERYBUF", "VIDIOC_QBUF", "VIDIOC_DQBUF", "VIDIOC_STREAMON",
                 "VIDIOC_STREAMOFF"):
        assert getattr(floor, name) == getattr(v, name), name
    buffer = v.v4l2_buffer
    layout = (ctypes.sizeof(buffer), buffer.memory.offset, buffer.m.offset,
              buffer.length.offset)
    assert layout == (floor.BUFFER_SIZE, floor.BUFFER_MEMORY, floor.BUFFER_M,
                      floor.BUFFER_LENGTH)
    assert floor.VIDIOC_SUBDEV_QUERYCAP == subdev.VIDIOC_SUBDEV_QUERYCAP
    assert floor.MEDIA_IOC_DEVICE_INFO == media.MEDIA_IOC_DEVICE_INFO
    proc = subprocess.run([sys.executable, "benchmarks/floor.py", "list"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=True)
    assert isinstance(json.loads(proc.stdout), list)
    proc = subprocess.run([sys.executable, "benchmarks/floor.py", "list", "--compare",
                           "--reps", "1"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=True)
    assert proc.stdout.startswith("=== the Python floor of mediatui list")
    assert proc.stdout.count("python3 -c pass") == 2 and "the floor" in proc.stdout
    proc = subprocess.run([sys.executable, "benchmarks/floor.py", "info"], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "info needs a NODE" in proc.stderr
    proc = subprocess.run([sys.executable, "benchmarks/floor.py", "stream", "/nonexistent"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1 and "No such file or directory" in proc.stderr


def test_startup_parts_splits_a_start_against_the_floor() -> None:
    """benchmarks/startup_parts.py: every side's parts and its whole wall time."""
    proc = subprocess.run([sys.executable, "benchmarks/startup_parts.py", "list", "--reps",
                           "1"], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=True)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("=== where `mediatui list --json` goes")
    assert [line for line in lines if line.startswith("-- ")] == [
        "-- python3 -c pass", "-- floor.py list", "-- mediatui list"]
    walls = [float(line.split()[-1]) for line in lines if "whole run, wall" in line]
    assert len(walls) == 3 and all(w > 0 for w in walls)
    assert any("mediatui's other modules" in line for line in lines)


def test_screen_parts_times_the_screen_without_each_part() -> None:
    """benchmarks/screen_parts.py: the bare tree, the whole floor screen and the screen
    without each part all reached their first frame, and each part got a cost."""
    proc = subprocess.run([sys.executable, "benchmarks/screen_parts.py", "--demo",
                           "--reps", "1"], cwd=REPO, capture_output=True, text=True,
                          timeout=180, check=True)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("=== first paint by part of the screen (host --demo")
    assert lines[-1] == "=== end"
    body = lines[2:-1]
    assert [line.split("  ")[0] for line in body[:2]] == [
        "bare Textual Tree app (run.py's peer)", "the whole screen (bare_screen.py)"]
    assert [line.split()[1] for line in body[2:]] == ["tabs", "log", "footer", "trace"]
    seconds = [float(line.rsplit(")", 1)[-1].split()[0] if ")" in line
                     else line.split()[2]) for line in body]
    assert all(s > 0 for s in seconds), body
    # Each part's share of the gap between the tree and the whole screen, as a percentage;
    # n/a exactly when one noisy round left no gap to share (equal as printed, to 4
    # digits: either).
    shares = {"%"} if seconds[1] > seconds[0] else {"n/a"} if seconds[1] < seconds[0] \
        else {"%", "n/a"}
    assert all(any(line.endswith(x) for x in shares) for line in body[2:]), body
