"""Small text helpers shared by ``who`` and ``dmabufs``."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from core.untrusted import escape

__all__ = ["escape", "human_size", "print_blind_spots"]


def human_size(n: int) -> str:
    """Bytes as B/KiB/MiB/GiB with one decimal."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def print_blind_spots(scan: dict[str, Any]) -> None:
    """What the scan could not read, on stderr, grouped (never silently empty)."""
    by: Counter[tuple[str, str]] = Counter()
    pids: dict[tuple[str, str], list[int]] = {}
    for u in scan["unreadable"]:
        key = (u["source"], u["errno_name"])
        by[key] += 1
        if u["pid"] is not None:
            pids.setdefault(key, []).append(u["pid"])
        else:
            print(f"mediatui: not read: {u['source']}: {escape(u['reason'])}", file=sys.stderr)
    for (source, err), n in sorted(by.items()):
        if (source, err) in pids:
            shown = ", ".join(map(str, sorted(pids[(source, err)])[:8]))
            more = ", ..." if n > 8 else ""
            print(f"mediatui: not read: {source} of {n} process{'es' * (n != 1)} ({err}): "
                  f"PIDs {shown}{more}; run as root to see them", file=sys.stderr)
    if scan["hidepid"]:
        print(f"mediatui: /proc is mounted with hidepid={scan['hidepid']}: other users' "
              "processes are invisible", file=sys.stderr)
