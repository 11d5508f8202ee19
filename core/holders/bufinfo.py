"""debugfs ``dma_buf/bufinfo`` and ``/sys/kernel/dmabuf/buffers``: the kernel's own list.

bufinfo (drivers/dma-buf/dma-buf.c, ``dma_buf_debug_show``, Linux 6.1) prints a header,
then per object one line ``size\\tflags\\tmode\\tcount\\texp_name\\tino\\tname`` (numbers
zero-padded, flags/mode in hex, name ``<none>`` when unset), fence lines, then
``\\tAttached Devices:``, one ``\\tDEVNAME`` per attachment and
``Total N devices attached``.  Only root can read debugfs.

``/sys/kernel/dmabuf/buffers/INODE/{exporter_name,size}`` (CONFIG_DMABUF_SYSFS_STATS)
is deprecated upstream: it is read only when bufinfo is not, and nothing needs it.
"""

from __future__ import annotations

import os
import re

from core.holders.model import BufinfoEntry

_OBJECT = re.compile(
    r"^(\d+)\t([0-9a-fA-F]+)\t([0-9a-fA-F]+)\t(\d+)\t(.*)\t(\d+)\t(.*)$"
)


def parse_bufinfo(text: str) -> dict[int, BufinfoEntry]:
    """Objects of a bufinfo text by inode."""
    entries: dict[int, BufinfoEntry] = {}
    current: dict[str, object] | None = None
    attached: list[str] = []
    in_attached = False

    def flush() -> None:
        if current is not None:
            entry = BufinfoEntry(attached=tuple(attached), **current)  # type: ignore[arg-type]
            entries[entry.inode] = entry

    for line in text.splitlines():
        m = _OBJECT.match(line)
        if m:
            flush()
            size, _flags, _mode, count, exp_name, ino, name = m.groups()
            current = {
                "inode": int(ino),
                "size": int(size),
                "exp_name": exp_name,
                "name": None if name == "<none>" else name,
                "count": int(count),
            }
            attached = []
            in_attached = False
        elif current is None:
            continue
        elif line.strip() == "Attached Devices:":
            in_attached = True
        elif line.startswith("Total ") and "devices attached" in line:
            in_attached = False
        elif in_attached and line.startswith("\t"):
            attached.append(line.strip())
    flush()
    return entries


def read_sysfs_exporters(buffers_dir: str) -> dict[int, str]:
    """inode -> exporter_name from ``/sys/kernel/dmabuf/buffers``.  Raises OSError when
    the directory is missing or unreadable."""
    exporters: dict[int, str] = {}
    for name in os.listdir(buffers_dir):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(buffers_dir, name, "exporter_name")) as f:
                exporters[int(name)] = f.read().strip()
        except FileNotFoundError:
            continue  # freed while we listed
    return exporters
