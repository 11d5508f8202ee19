"""Where the holders scan reads from: /proc, debugfs and sysfs, injectable for tests.

Real trees are read as they are.  A recorded tree (a directory written by
``scripts/record_holders_tree.py`` or by the virtual board) cannot carry the kernel's
magic fd links, so it holds ``.stat.json`` next to its PID directories: for each
``PID/fd/N`` what ``stat`` on the real link returned (mode, rdev, dev, inode, size).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field

# (st_mode, st_rdev, st_dev, st_ino, st_size) of the file an fd refers to.
FdStat = tuple[int, int, int, int, int]


@dataclass
class ScanRoots:
    """The three roots; defaults are the running system's."""

    proc: str = "/proc"
    debugfs: str = "/sys/kernel/debug"
    sysfs: str = "/sys"
    _table: dict[str, FdStat] | None = field(default=None, init=False, repr=False)
    _loaded: bool = field(default=False, init=False, repr=False)

    @property
    def recorded(self) -> bool:
        """True for a recorded tree (it has ``.stat.json``)."""
        self._load()
        return self._table is not None

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            with open(os.path.join(self.proc, ".stat.json")) as f:
                raw = json.load(f)
        except FileNotFoundError:
            return
        self._table = {k: tuple(v) for k, v in raw.items()}

    def refresh(self) -> None:
        """Read ``.stat.json`` again at the next use (a simulated tree changes)."""
        self._loaded = False
        self._table = None

    def pids(self) -> list[int]:
        """Numeric entries of the proc root (a hidepid'd /proc lists only ours)."""
        return [int(n) for n in os.listdir(self.proc) if n.isdigit()]

    def stat_fd(self, link: str, pid: int, fd: int) -> FdStat | None:
        """What ``stat`` on ``/proc/PID/fd/N`` says (it follows the magic link to the
        open file, so a device node renamed or in another mount namespace still gives
        its ``st_rdev``); None if the fd went away.  Raises PermissionError."""
        self._load()
        if self._table is not None:
            return self._table.get(f"{pid}/fd/{fd}")
        try:
            st = os.stat(link)
        except (FileNotFoundError, ProcessLookupError):
            return None
        return (st.st_mode, st.st_rdev, st.st_dev, st.st_ino, st.st_size)

    def stat_path(self, path: str) -> FdStat | None:
        """``stat`` of a device path (``who DEVICE``); recorded trees keep ``/dev/...``."""
        self._load()
        if self._table is not None:
            return self._table.get(path)
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_mode, st.st_rdev, st.st_dev, st.st_ino, st.st_size)


def is_chr(mode: int) -> bool:
    return stat.S_ISCHR(mode)


SYSTEM = ScanRoots()
