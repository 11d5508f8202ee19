"""Name the thread a trace record came from: its process and command line.

A small stand-in for the system-wide holders scan (``core/holders``), with the same
answer for one pid, so it can be swapped for it later.  Sources: ``/proc/PID/status``
(``Tgid:``, the process a thread belongs to) and ``/proc/TGID/cmdline`` (arguments
separated by NUL; empty for kernel threads), see proc(5).
"""

from __future__ import annotations


def describe_pid(pid: int, proc: str = "/proc") -> tuple[int, str] | None:
    """``(tgid, command line)`` of thread ``pid``, or None when it is gone or hidden.

    The command line is the arguments joined by spaces, ``[comm]`` for a kernel
    thread.  Device- and user-supplied text: callers escape it for display.
    """
    if pid <= 0:
        return None
    try:
        with open(f"{proc}/{pid}/status", encoding="utf-8", errors="replace") as fh:
            status = fh.read()
    except OSError:
        return None
    tgid = pid
    name = ""
    for line in status.splitlines():
        if line.startswith("Tgid:"):
            tgid = int(line.split()[1])
        elif line.startswith("Name:"):
            name = line.split(":", 1)[1].strip()
    try:
        with open(f"{proc}/{tgid}/cmdline", "rb") as fh:
            raw = fh.read()
    except OSError:
        raw = b""
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return tgid, " ".join(args) if args else f"[{name}]"


__all__ = ["describe_pid"]
