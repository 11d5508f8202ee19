"""What the kernel says about an open dma-buf fd (``/proc/self/fdinfo``).

``count`` is the dma-buf file's reference count (every fd, every mmap and every kernel
reference such as videobuf2's import reference), so it cannot attribute ownership by
itself; ``inode`` joins an fd with other processes' fds and with debugfs ``bufinfo``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from core.record import record


@record
class DmabufInfo:
    """The facts a person checks when chasing a dma-buf leak or a refused import."""

    size: int
    exp_name: str | None
    inode: int | None
    count: int | None
    name: str | None
    flags: int | None

    @property
    def is_dmabuf(self) -> bool:
        return self.exp_name is not None


def parse_fdinfo(text: str) -> dict[str, str]:
    """``key:\\tvalue`` lines as a dict (later keys win; values stripped)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def _int(value: str | None, base: int = 10) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value, base)
    except ValueError:
        return None


def dmabuf_info_from_text(text: str, fallback_size: int | None = None) -> DmabufInfo:
    """Build :class:`DmabufInfo` from fdinfo text (pure, for tests and other pids)."""
    fields = parse_fdinfo(text)
    size = _int(fields.get("size"))
    return DmabufInfo(
        size=size if size is not None else (fallback_size or 0),
        exp_name=fields.get("exp_name"),
        inode=_int(fields.get("ino")),
        count=_int(fields.get("count")),
        name=fields.get("name") or None,
        flags=_int(fields.get("flags"), 8),
    )


# Answers fdinfo for fds the kernel does not know as dma-bufs (the virtual devices'
# memfd-backed dma-bufs); a provider returns None for fds that are not its own.
FdinfoProvider = Callable[[int], "DmabufInfo | None"]
_providers: list[FdinfoProvider] = []


def add_fdinfo_provider(provider: FdinfoProvider) -> None:
    """Consult ``provider`` before /proc for this process's fds."""
    if provider not in _providers:
        _providers.append(provider)


def remove_fdinfo_provider(provider: FdinfoProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def dmabuf_info(fd: int, pid: int | str = "self") -> DmabufInfo:
    """Read fdinfo of one of this process's fds.

    Kernels before 6.2 print no ``ino`` line for dma-bufs, so the inode comes from
    ``fstat`` when the fd is ours; the size falls back to ``lseek(SEEK_END)``, which
    dma-buf supports, if fdinfo has none.  Registered providers answer first.
    """
    if pid == "self":
        for provider in list(_providers):
            info = provider(fd)
            if info is not None:
                return info
    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
        text = f.read()
    info = dmabuf_info_from_text(text)
    if pid == "self":
        inode = info.inode if info.inode is not None else os.fstat(fd).st_ino
        size = info.size
        if not size:
            try:
                size = os.lseek(fd, 0, os.SEEK_END)
                os.lseek(fd, 0, os.SEEK_SET)
            except OSError:
                size = 0
        info = DmabufInfo(size, info.exp_name, inode, info.count, info.name, info.flags)
    return info


def open_fds(pid: int | str = "self") -> set[int]:
    """The fd numbers open in a process (for leak checks)."""
    return {int(n) for n in os.listdir(f"/proc/{pid}/fd")}
