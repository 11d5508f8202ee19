"""Buffer memory and dma-bufs of the virtual devices: real pages, real fds.

Every MMAP plane is a memfd (the virtual vmalloc area).  What makes it behave like the
kernel's memory is that its lifetime is the kernel's rule (K6): the pages live while any
fd or mapping refers to them, so a buffer orphaned by REQBUFS(0) stays readable through
an application's mapping or exported fd until that goes away, without any bookkeeping.

A *virtual dma-buf* is an fd on such a memfd that the registry here knows by inode:
EXPBUF (K10) re-opens the plane's memfd through ``/proc/self/fd`` (a new open file with
the requested access mode), the system heap hands out a fresh memfd, udmabuf re-opens
the application's memfd.  :func:`fdinfo_provider` answers ``core.fdinfo.dmabuf_info`` for
them the way ``/proc/self/fdinfo`` answers for a real dma-buf (``exp_name``, page-rounded
``size``, ``count``), and the importer (QBUF with V4L2_MEMORY_DMABUF, K11) uses the same
registry to decide whether an fd is a dma-buf at all.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import threading
from dataclasses import dataclass

from core.fdinfo import DmabufInfo, dmabuf_info_from_text

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

Key = tuple[int, int]  # (st_dev, st_ino) of the memfd behind a dma-buf


def page_align(size: int) -> int:
    return (size + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE


def fd_key(fd: int) -> Key:
    st = os.fstat(fd)
    return (st.st_dev, st.st_ino)


@dataclass(frozen=True, slots=True)
class DmabufKind:
    """What an importer needs to know about an exporter."""

    exp_name: str  # "videobuf2_vmalloc", "videobuf2_dma_contig", "system", "udmabuf"
    contiguous: bool  # physically contiguous (dma-contig importers need it)
    vmap: bool  # dma_buf_vmap works (vmalloc importers need it; 6.1 udmabuf has none)


VB2_VMALLOC = DmabufKind("videobuf2_vmalloc", contiguous=False, vmap=True)
VB2_DMA_CONTIG = DmabufKind("videobuf2_dma_contig", contiguous=True, vmap=True)
SYSTEM_HEAP = DmabufKind("system", contiguous=False, vmap=True)
# 6.1's udmabuf has no vmap (vmalloc importers fail with EFAULT); a dma-contig importer
# did map a fresh memfd's pages as one chunk on the test kernel, so it passes here.
UDMABUF = DmabufKind("udmabuf", contiguous=True, vmap=False)


class Memory:
    """Page-rounded pages behind one plane or one heap buffer (a memfd)."""

    def __init__(self, size: int, name: str = "mediatui-virtual") -> None:
        self.size = size
        self.alloc_size = page_align(max(size, 1))
        self.fd = os.memfd_create(name, os.MFD_CLOEXEC)
        try:
            os.ftruncate(self.fd, self.alloc_size)
            self.key = fd_key(self.fd)
        except OSError:
            os.close(self.fd)
            raise
        self._map: mmap.mmap | None = None

    @classmethod
    def adopt(cls, fd: int, size: int) -> Memory:
        """Wrap an fd we own already (a dup of an imported dma-buf)."""
        self = cls.__new__(cls)
        self.size = size
        self.alloc_size = page_align(max(size, 1))
        self.fd = fd
        self.key = fd_key(fd)
        self._map = None
        return self

    @property
    def closed(self) -> bool:
        return self.fd < 0

    def view(self) -> mmap.mmap:
        """The driver's own read/write mapping (what vb2_plane_vaddr gives a driver)."""
        if self._map is None or self._map.closed:
            self._map = mmap.mmap(self.fd, self.alloc_size, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE)
            # CPython's mmap holds a dup of the fd; the kernel's own mapping of a
            # buffer (vmalloc, vmap) holds no reference on the dma-buf file, so this
            # one is not counted in fdinfo's "count".
            REGISTRY.add_driver_view(self.key)
        return self._map

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        view = self.view()
        end = min(offset + len(data), self.alloc_size)
        if end > offset:
            view[offset:end] = data[: end - offset]

    def map_for_app(self, length: int, prot: int) -> mmap.mmap:
        """A MAP_SHARED mapping for the application (raises OSError like mmap(2))."""
        return mmap.mmap(self.fd, length, mmap.MAP_SHARED, prot)

    def reopen(self, flags: int) -> int:
        """A new open file on the same pages with ``flags``' access mode and O_CLOEXEC."""
        fd = os.open(f"/proc/self/fd/{self.fd}", flags & os.O_ACCMODE | os.O_CLOEXEC)
        if not flags & os.O_CLOEXEC:
            os.set_inheritable(fd, True)
        return fd

    def close(self) -> None:
        """Drop the driver's references; pages live on while others hold them (K6)."""
        if self._map is not None:
            # A frame writer may still hold a view: the mapping then goes with it.
            with contextlib.suppress(BufferError):
                self._map.close()
            if self._map.closed:
                REGISTRY.drop_driver_view(self.key)
            self._map = None
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


@dataclass(slots=True)
class DmabufRecord:
    key: Key
    size: int
    kind: DmabufKind


class DmabufRegistry:
    """Every virtual dma-buf, by the inode of its memfd (one per process)."""

    _SWEEP_EVERY = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[Key, DmabufRecord] = {}
        self._internal: dict[int, Key] = {}  # driver-owned fds, not counted in "count"
        self._views: dict[Key, int] = {}  # driver mappings (each holds an fd dup)
        self._since_sweep = 0

    def register(self, key: Key, size: int, kind: DmabufKind) -> DmabufRecord:
        record = DmabufRecord(key, page_align(max(size, 1)), kind)
        with self._lock:
            self._records[key] = record
            self._since_sweep += 1
            sweep = self._since_sweep >= self._SWEEP_EVERY
        if sweep:
            self.sweep()
        return record

    def add_internal(self, fd: int, key: Key) -> None:
        with self._lock:
            self._internal[fd] = key

    def add_driver_view(self, key: Key) -> None:
        with self._lock:
            self._views[key] = self._views.get(key, 0) + 1

    def drop_driver_view(self, key: Key) -> None:
        with self._lock:
            left = self._views.get(key, 0) - 1
            if left > 0:
                self._views[key] = left
            else:
                self._views.pop(key, None)

    def drop_internal(self, fd: int) -> None:
        with self._lock:
            self._internal.pop(fd, None)

    def lookup(self, fd: int) -> DmabufRecord | None:
        try:
            key = fd_key(fd)
        except OSError:
            return None
        with self._lock:
            return self._records.get(key)

    def references(self, key: Key) -> int:
        """Open fds in this process on ``key``, not counting the drivers' own."""
        with self._lock:
            internal = {fd for fd, k in self._internal.items() if k == key}
            count = -self._views.get(key, 0)
        for name in _listdir("/proc/self/fd"):
            fd = int(name)
            if fd in internal:
                continue
            try:
                if fd_key(fd) == key:
                    count += 1
            except OSError:
                continue
        return max(count, 0)

    def sweep(self) -> None:
        """Forget dma-bufs no fd refers to any more (their inodes may be reused)."""
        live: set[Key] = set()
        for name in _listdir("/proc/self/fd"):
            try:
                live.add(fd_key(int(name)))
            except OSError:
                continue
        with self._lock:
            for key in [k for k in self._records if k not in live]:
                del self._records[key]
            self._since_sweep = 0

    def info(self, fd: int) -> DmabufInfo | None:
        record = self.lookup(fd)
        if record is None:
            return None
        try:
            # A dma-buf file is not open()ed, so it has no O_LARGEFILE (0o100000) the
            # kernel adds to every open() on 64-bit: fdinfo "flags" shows only these.
            flags = fcntl.fcntl(fd, fcntl.F_GETFL) & ~0o100000
            if fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                flags |= os.O_CLOEXEC
        except OSError:
            flags = None
        return DmabufInfo(
            size=record.size,
            exp_name=record.kind.exp_name,
            inode=record.key[1],
            count=self.references(record.key),
            name=None,
            flags=flags,
        )


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


REGISTRY = DmabufRegistry()


def fdinfo_provider(fd: int) -> DmabufInfo | None:
    """``core.fdinfo`` hook: what fdinfo would say if this fd were a kernel dma-buf."""
    return REGISTRY.info(fd)


def identify_dmabuf(fd: int) -> tuple[DmabufKind, int] | None:
    """(kind, size) of any dma-buf fd, virtual or a real kernel one; None otherwise.

    A real dma-buf (from the kernel's system heap, say, while only some paths are
    virtual) is recognised by the ``exp_name`` line of its fdinfo.
    """
    record = REGISTRY.lookup(fd)
    if record is not None:
        return record.kind, record.size
    try:
        with open(f"/proc/self/fdinfo/{fd}") as f:
            text = f.read()
    except OSError:
        return None
    info = dmabuf_info_from_text(text)
    if info.exp_name is None:
        return None
    size = info.size
    if not size:
        try:
            size = os.lseek(fd, 0, os.SEEK_END)
        except OSError:
            return None
    kind = UDMABUF if info.exp_name == "udmabuf" else DmabufKind(
        info.exp_name, contiguous=info.exp_name.endswith("dma_contig"), vmap=True
    )
    return kind, size


def dup_dmabuf(fd: int) -> int:
    """The importer's own reference (dma_buf_get): EINVAL for a closed fd, like the kernel."""
    try:
        return os.dup(fd)
    except OSError:
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL)) from None


__all__ = [
    "PAGE_SIZE",
    "REGISTRY",
    "SYSTEM_HEAP",
    "UDMABUF",
    "VB2_DMA_CONTIG",
    "VB2_VMALLOC",
    "DmabufKind",
    "DmabufRecord",
    "DmabufRegistry",
    "Memory",
    "dup_dmabuf",
    "fd_key",
    "fdinfo_provider",
    "identify_dmabuf",
    "page_align",
]
