"""What /proc, debugfs and sysfs would show about simulated processes, as files.

The holders scan (:mod:`core.holders`) reads a directory tree; for ``--demo`` this
module writes one in a private temporary directory, in the same layout as the trees
recorded on the test kernel (``scripts/record_holders_tree.py``): per PID ``comm``,
``cmdline``, ``status``, ``fd/`` links, ``fdinfo/`` and ``maps``; ``.stat.json`` for
what ``stat`` on each fd would return; ``devices``; debugfs ``dma_buf/bufinfo``; the
sysfs ``dev/char/M:m/device`` link.  Formats follow proc(5) and dma-buf.c (6.1).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from core.fdinfo import DmabufInfo
from core.holders.roots import ScanRoots

V4L2_MAJOR = 81
DEVTMPFS = os.makedev(0, 6)
DMABUF_FS = os.makedev(0, 12)
MAP_BASE = 0x7F3A_0000_0000


@dataclass(frozen=True)
class SimulatedProcess:
    pid: int
    argv: Sequence[str]
    uid: int
    node_path: str
    node_minor: int
    node_fd: int
    maps: Sequence[tuple[int, int]]  # (offset, length) of each mapped buffer
    dmabufs: Sequence[tuple[int, DmabufInfo]]  # (fd number, fdinfo facts)


class ProcTree:
    """A temporary tree; :attr:`roots` points the scan at it."""

    def __init__(self) -> None:
        self.base = tempfile.mkdtemp(prefix="mediatui-demo-proc-")
        self._generation = 0
        self.roots = ScanRoots(proc=os.path.join(self.base, "proc"),
                               debugfs=os.path.join(self.base, "debug"),
                               sysfs=os.path.join(self.base, "sys"))

    def _write(self, rel: str, text: str | bytes) -> None:
        path = os.path.join(self.base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)

    def write(self, proc: SimulatedProcess, nodes: dict[str, int] | None = None) -> None:
        """(Re)write the whole tree for one simulated process; ``nodes`` (path ->
        rdev) are the other device nodes ``stat`` should know (``who DEVICE``)."""
        # Each version in its own directory, swapped in through the "proc" symlink: a
        # scan that is walking sees the old version or the new one, as on a live /proc.
        self._generation += 1
        gen = f"proc-{self._generation}"
        pid = f"{gen}/{proc.pid}"
        self._write(f"{gen}/devices", "Character devices:\n 81 video4linux\n212 dvb\n"
                    "252 media\n\nBlock devices:\n")
        self._write(f"{pid}/comm", os.path.basename(proc.argv[0])[:15] + "\n")
        self._write(f"{pid}/cmdline", b"".join(a.encode() + b"\0" for a in proc.argv))
        self._write(f"{pid}/status", f"Uid:\t{proc.uid}\t{proc.uid}\t{proc.uid}\t{proc.uid}\n")
        os.makedirs(os.path.join(self.base, pid, "fd"), exist_ok=True)
        rdev = os.makedev(V4L2_MAJOR, proc.node_minor)
        node_ino = 1000 + proc.node_minor
        chr_mode = stat.S_IFCHR | 0o660
        table: dict[str, list[int]] = {
            f"{proc.pid}/fd/{proc.node_fd}": [chr_mode, rdev, DEVTMPFS, node_ino, 0],
            proc.node_path: [chr_mode, rdev, DEVTMPFS, node_ino, 0],
        }
        for path, other in (nodes or {}).items():
            table.setdefault(path, [chr_mode, other, DEVTMPFS, 2000 + len(table), 0])
        os.symlink(proc.node_path, os.path.join(self.base, pid, "fd", str(proc.node_fd)))
        self._write(f"{pid}/fdinfo/{proc.node_fd}", "pos:\t0\nflags:\t02004002\nmnt_id:\t5\n")
        maps = []
        addr = MAP_BASE
        dev = f"{os.major(DEVTMPFS):02x}:{os.minor(DEVTMPFS):02x}"
        for offset, length in proc.maps:
            end = addr + (length + 4095) // 4096 * 4096
            maps.append(f"{addr:x}-{end:x} r--s {offset:08x} {dev} {node_ino}"
                        f"{' ' * 20}{proc.node_path}\n")
            addr = end + 0x1000
        bufinfo = ["\nDma-buf Objects:\nsize    \tflags   \tmode    \tcount   \texp_name"
                   "\tino     \tname\n"]
        for fd, info in proc.dmabufs:
            ino = info.inode or 0
            os.symlink("/dmabuf:", os.path.join(self.base, pid, "fd", str(fd)))
            table[f"{proc.pid}/fd/{fd}"] = [stat.S_IFREG | 0o600, 0, DMABUF_FS, ino,
                                            info.size]
            self._write(f"{pid}/fdinfo/{fd}",
                        f"pos:\t0\nflags:\t02000002\nmnt_id:\t14\nino:\t{ino}\n"
                        f"size:\t{info.size}\ncount:\t1\nexp_name:\t{info.exp_name}\n"
                        "name:\t\n")
            bufinfo.append(f"{info.size:08d}\t00000002\t00080005\t00000001\t"
                           f"{info.exp_name}\t{ino:08d}\t<none>\n\tAttached Devices:\n"
                           "Total 0 devices attached\n\n")
        bufinfo.append(f"\nTotal {len(proc.dmabufs)} objects, "
                       f"{sum(i.size for _fd, i in proc.dmabufs)} bytes\n")
        self._write(f"{pid}/maps", "".join(maps))
        self._write(f"{gen}/.stat.json", json.dumps(table))
        link = os.path.join(self.base, "proc")
        os.symlink(gen, link + ".new")
        os.replace(link + ".new", link)
        shutil.rmtree(os.path.join(self.base, f"proc-{self._generation - 2}"),
                      ignore_errors=True)
        self._write("debug/dma_buf/bufinfo.new", "".join(bufinfo))
        os.replace(os.path.join(self.base, "debug/dma_buf/bufinfo.new"),
                   os.path.join(self.base, "debug/dma_buf/bufinfo"))
        link = os.path.join(self.base, "sys/dev/char", f"{V4L2_MAJOR}:{proc.node_minor}",
                            "device")
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.islink(link):
            os.symlink("../../../devices/platform/vivid.0", link)

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
