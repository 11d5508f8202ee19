"""Record a small /proc + debugfs + sysfs tree for the holders scan's fast tests.

Run as root in the kernel-tier VM (``tests/kernel/test_holders.py`` calls
:func:`record`), while processes hold media nodes and dma-bufs.  Only what the scan
reads is kept, and only for the given PIDs: ``devices``, the proc line of
``self/mountinfo``, per PID ``comm``, ``cmdline``, the ``Uid:`` line of ``status``, the
dma-buf and device-node fd links (as symlinks) with their ``fdinfo``, and the ``maps``
lines of dma-bufs and device nodes; ``.stat.json`` keeps what ``stat`` on each fd link
(and on each held ``/dev`` path) returned; debugfs ``dma_buf/bufinfo``; the sysfs
``dev/char/M:m/device`` links of held nodes.

Usage: ``python scripts/record_holders_tree.py OUT_DIR PID...``
"""

from __future__ import annotations

import json
import os
import sys


def _stat(path: str) -> list[int]:
    st = os.stat(path)
    return [st.st_mode, st.st_rdev, st.st_dev, st.st_ino, st.st_size]


def _write(path: str, data: str | bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def record(out: str, pids: list[int], proc: str = "/proc",
           debugfs: str = "/sys/kernel/debug", sysfs: str = "/sys") -> None:
    """Write the tree for ``pids`` under ``out/{proc,debug,sys}``."""
    p_out = os.path.join(out, "proc")
    table: dict[str, list[int]] = {}
    with open(os.path.join(proc, "devices")) as f:
        _write(os.path.join(p_out, "devices"), f.read())
    with open(os.path.join(proc, "self", "mountinfo")) as f:
        lines = [ln for ln in f.read().splitlines() if " - proc " in ln]
    _write(os.path.join(p_out, "self", "mountinfo"), "\n".join(lines) + "\n")
    rdevs: set[int] = set()
    for pid in pids:
        base = os.path.join(proc, str(pid))
        dst = os.path.join(p_out, str(pid))
        try:
            for name in ("comm", "cmdline"):
                with open(os.path.join(base, name), "rb") as f:
                    _write(os.path.join(dst, name), f.read())
            with open(os.path.join(base, "status")) as f:
                uid = [ln for ln in f.read().splitlines() if ln.startswith("Uid:")]
            _write(os.path.join(dst, "status"), "\n".join(uid) + "\n")
            os.makedirs(os.path.join(dst, "fd"), exist_ok=True)
            for fd in os.listdir(os.path.join(base, "fd")):
                link = os.path.join(base, "fd", fd)
                target = os.readlink(link)
                if not (target.startswith(("/dmabuf:", "anon_inode:dmabuf", "/dev/video",
                                           "/dev/media", "/dev/dvb", "/dev/v4l",
                                           "/dev/dma_heap", "/dev/udmabuf"))):
                    continue
                os.symlink(target, os.path.join(dst, "fd", fd))
                st = _stat(link)
                table[f"{pid}/fd/{fd}"] = st
                if target.startswith("/dev/"):
                    rdevs.add(st[1])
                    table[target] = _stat(target)
                with open(os.path.join(base, "fdinfo", fd)) as f:
                    _write(os.path.join(dst, "fdinfo", fd), f.read())
            with open(os.path.join(base, "maps")) as f:
                maps = [ln for ln in f.read().splitlines() if "/dmabuf" in ln or " /dev/" in ln]
            _write(os.path.join(dst, "maps"), "".join(ln + "\n" for ln in maps))
        except FileNotFoundError:
            continue
    with open(os.path.join(p_out, ".stat.json"), "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)
    try:
        with open(os.path.join(debugfs, "dma_buf", "bufinfo")) as f:
            _write(os.path.join(out, "debug", "dma_buf", "bufinfo"), f.read())
    except OSError:
        pass
    for rdev in rdevs:
        key = f"{os.major(rdev)}:{os.minor(rdev)}"
        try:
            target = os.readlink(os.path.join(sysfs, "dev", "char", key, "device"))
        except OSError:
            continue
        link = os.path.join(out, "sys", "dev", "char", key, "device")
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(target, link)


if __name__ == "__main__":
    record(sys.argv[1], [int(p) for p in sys.argv[2:]])
