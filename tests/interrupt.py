"""Ctrl-C for a child process in a test: SIGINT after a given delay, its output, and no
process left behind when it does not stop."""

from __future__ import annotations

import signal
import subprocess
import time


def interrupt(proc: subprocess.Popen[str], *, after_s: float, timeout_s: float,
              what: str) -> tuple[str, str]:
    """Sleep *after_s*, send SIGINT, return (stdout, stderr) once *proc* exits. If it
    has not exited within *timeout_s*, kill it and fail with *what* (what did not
    stop), so a hang is one failure instead of a stuck run."""
    time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"{what} did not stop {after_s} s after SIGINT") from None
    return out or "", err or ""
