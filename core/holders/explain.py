"""The sentence an EBUSY explanation appends: who holds the node.

"held by PID 342 `v4l2-ctl -d /dev/video7 --stream-mmap` (root), which has 4 of its
buffers mapped: it owns the queue".  Our own process is left out (it is the one that
got EBUSY).  Device-supplied and process-supplied text is escaped (control and bidi
characters as ``\\x1b``/``\\u202e``).
"""

from __future__ import annotations

import os

from core.holders.join import Holders, NodeView, join
from core.holders.roots import SYSTEM, ScanRoots, is_chr
from core.holders.scan import scan
from core.holders.text import command_line


def holders_of(path: str, roots: ScanRoots = SYSTEM, *, exclude_pid: int | None = None,
               debugfs: bool = False) -> tuple[Holders, list[NodeView]] | None:
    """Scan for one node; None when ``path`` is not a character device."""
    st = roots.stat_path(path)
    if st is None or not is_chr(st[0]):
        return None
    holders = join(scan(roots, rdev=st[1], debugfs=debugfs), roots)
    views = [n for n in holders.nodes if n.rdev == st[1] and n.pid != exclude_pid]
    return holders, views


def holder_sentence(path: str, roots: ScanRoots = SYSTEM) -> str | None:
    """One sentence naming every other process holding ``path``, owners first; None
    when nobody else is seen (then the scan's blind spots, if any, are named)."""
    own = os.getpid() if os.path.realpath(roots.proc) == "/proc" else None
    found = holders_of(path, roots, exclude_pid=own)
    if found is None:
        return None
    holders, views = found
    if not views:
        denied = sum(1 for u in holders.unreadable if u.source == "fd")
        if denied or holders.hidepid:
            return (f"No other process we may inspect holds {path}; {denied} processes' fds "
                    "could not be read" + (f" and /proc hides other users' (hidepid="
                                           f"{holders.hidepid})" if holders.hidepid else "")
                    + ": run as root to see them.")
        return None
    procs = {p.info.pid: p.info for p in holders.processes}
    parts = []
    for n in sorted(views, key=lambda n: (not n.owns_queue, n.pid)):
        info = procs.get(n.pid)
        who = f"PID {n.pid}"
        if info is not None:
            who += f" `{command_line(info)}`"
            if info.user:
                who += f" ({info.user})"
        if n.buffers_mapped:
            what = (f"which has {n.buffers_mapped} of its buffers mapped: it owns the queue")
        elif n.exports_held:
            what = f"which holds {n.exports_held} of its buffers exported: it owns the queue"
        else:
            what = "which has it open"
            vague = [e for e in n.evidence if "from one of its V4L2 nodes" in e]
            if vague:
                what += " (and " + vague[0].removeprefix("fds/maps: ") + ")"
        parts.append(f"{who}, {what}")
    return f"{path} is held by " + "; and by ".join(parts) + "."
