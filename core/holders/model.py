"""What one walk of /proc (and debugfs) found, before any joining: small frozen facts.

Every record names the process by PID and keeps the kernel's own numbers (inode,
``st_rdev``, map offsets), so :mod:`core.holders.join` can join them the way Android's
``dmabuf_dump`` does: by the dma-buf's inode.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """Who a process is: ``cmdline`` as argv (empty for kernel threads), owner's uid."""

    pid: int
    comm: str
    cmdline: tuple[str, ...]
    uid: int | None
    user: str | None


@dataclass(frozen=True, slots=True)
class NodeFd:
    """An fd on a character device node: ``path`` is the fd link's target."""

    pid: int
    fd: int
    path: str
    rdev: int
    # (st_dev, st_ino) of the node's file: what /proc/PID/maps shows for its mappings.
    dev_ino: tuple[int, int]


@dataclass(frozen=True, slots=True)
class NodeMap:
    """One mapping of a device node (an mmapped buffer or plane) in a process."""

    pid: int
    path: str
    dev_ino: tuple[int, int]
    start: int
    end: int
    offset: int  # pgoff in bytes: the buffer's mem_offset for V4L2 MMAP buffers


@dataclass(frozen=True, slots=True)
class DmabufFd:
    """An fd on a dma-buf, with what ``fdinfo`` and ``stat`` say about it."""

    pid: int
    fd: int
    inode: int
    size: int  # bytes (the dma-buf inode's i_size, or fdinfo's size)
    exp_name: str | None
    name: str | None
    count: int | None  # the dma-buf file's reference count (fds + maps + kernel refs)
    flags: int | None  # open flags, octal in fdinfo


@dataclass(frozen=True, slots=True)
class DmabufMap:
    """One mapping of a dma-buf (``/dmabuf:`` in /proc/PID/maps)."""

    pid: int
    inode: int
    start: int
    end: int
    offset: int

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class BufinfoEntry:
    """One object of debugfs ``dma_buf/bufinfo`` (drivers/dma-buf/dma-buf.c,
    ``dma_buf_debug_show``): size, exporter, refcount and the devices attached."""

    inode: int
    size: int
    exp_name: str
    name: str | None
    count: int
    attached: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A source the scan could not read, and why (never reported as empty)."""

    source: str  # "fd", "fdinfo", "maps", "bufinfo", "sysfs-buffers", "proc"
    pid: int | None
    errno_name: str
    reason: str


@dataclass(frozen=True, slots=True)
class RawScan:
    """Everything one walk found; the join turns it into per-buffer/per-process views."""

    processes: dict[int, ProcessInfo]
    node_fds: tuple[NodeFd, ...]
    node_maps: tuple[NodeMap, ...]
    dmabuf_fds: tuple[DmabufFd, ...]
    dmabuf_maps: tuple[DmabufMap, ...]
    bufinfo: dict[int, BufinfoEntry] | None  # None: debugfs not readable
    sysfs_exporters: dict[int, str] | None  # /sys/kernel/dmabuf/buffers: inode -> exporter
    unreadable: tuple[Unreadable, ...]
    pids_seen: int
    vanished: int  # PIDs that went away during the walk (not errors)
    hidepid: str | None  # /proc's hidepid= option when set: other users' PIDs are hidden
    self_pid: int | None = None
    media_majors: frozenset[int] = field(default=frozenset())
    only_rdev: int | None = None  # the scan was for this node only (who DEVICE)
