"""dma-buf file descriptors the application owns: exports, heap and udmabuf allocations.

Every object here owns exactly one fd and closes it idempotently; the fd's lifetime is
what keeps an orphaned buffer alive after REQBUFS(0), so nothing closes it behind the
owner's back.
"""

from __future__ import annotations

import errno
import fcntl
import os

from core import ioctl as chokepoint
from core.abi import dmabuf as abi
from core.errors import media_error, open_error
from core.fdinfo import DmabufInfo, dmabuf_info
from core.record import record

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# VIDIOC_EXPBUF / DMX_EXPBUF accept only these open(2) flags.
EXPORT_FLAGS_ALLOWED = os.O_CLOEXEC | os.O_ACCMODE


def page_align(size: int) -> int:
    return (size + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE


@record
class DmabufOrigin:
    """Where a dma-buf came from, for the export/import panels and error messages."""

    kind: str  # "export", "heap" or "udmabuf"
    path: str  # exporting node, heap node or /dev/udmabuf
    buf_type: str | None = None  # e.g. "video-capture-mplane"
    index: int | None = None
    plane: int | None = None

    def describe(self) -> str:
        if self.kind == "export":
            return f"{self.path} {self.buf_type} buffer {self.index} plane {self.plane}"
        return f"{self.kind} {self.path}"


class Dmabuf:
    """An open dma-buf fd that this process owns."""

    def __init__(self, fd: int, origin: DmabufOrigin, size: int | None = None) -> None:
        self._fd = fd
        self.origin = origin
        self._size = size

    @property
    def fd(self) -> int:
        if self._fd < 0:
            raise ValueError("dma-buf fd is closed")
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    @property
    def size(self) -> int:
        """The dma-buf's real size (page-rounded by most exporters)."""
        if self._size is None:
            self._size = self.info().size
        return self._size

    def info(self) -> DmabufInfo:
        """What /proc/self/fdinfo says now (refcount changes as others map or import)."""
        return dmabuf_info(self.fd)

    def sync(self, flags: int) -> None:
        """DMA_BUF_IOCTL_SYNC around CPU access to a mapped dma-buf."""
        arg = abi.dma_buf_sync(flags=flags)
        try:
            chokepoint.ioctl(self.fd, abi.DMA_BUF_IOCTL_SYNC, arg)
        except OSError as exc:
            raise media_error(exc, ioctl="DMA_BUF_IOCTL_SYNC", path=self.origin.path) from None

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def __enter__(self) -> Dmabuf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<Dmabuf {state} {self.origin.describe()}>"


class ExportedBuffer(Dmabuf):
    """A dma-buf from VIDIOC_EXPBUF or DMX_EXPBUF: one plane of one MMAP buffer."""

    def __init__(self, fd: int, origin: DmabufOrigin, flags: int) -> None:
        super().__init__(fd, origin)
        self.flags = flags


class DmaHeap:
    """A dma-buf heap (``/dev/dma_heap/NAME``), e.g. ``system`` or ``linux,cma``."""

    def __init__(self, name: str = "system") -> None:
        """``name`` is a heap's name in /dev/dma_heap ("system", "linux,cma"), never a
        path: raises ``ValueError`` for an empty name, "." or "..", or one with "/" or
        NUL, so ``--heap ../../dev/zero`` cannot leave the directory."""
        if not name or name in (".", "..") or "/" in name or "\0" in name:
            raise ValueError(
                f"--heap wants a heap name from /dev/dma_heap (e.g. system), not {name!r}"
            )
        self.name = name
        self.path = f"/dev/dma_heap/{name}"

    # Heap names a virtual backend may serve; real heaps are listed from /dev.
    KNOWN = ("system", "linux,cma", "reserved")

    @staticmethod
    def available() -> list[str]:
        """Heaps present in /dev/dma_heap, plus those the virtual backend serves."""
        try:
            names = set(os.listdir("/dev/dma_heap"))
        except OSError:
            names = set()
        names.update(h for h in DmaHeap.KNOWN if chokepoint.backend_for_path(DmaHeap(h).path))
        return sorted(names)

    def allocate(self, size: int) -> Dmabuf:
        """A new dma-buf of at least ``size`` bytes (heaps round up to pages)."""
        try:
            heap_fd = chokepoint.open_node(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise open_error(exc, self.path) from None
        try:
            data = abi.dma_heap_allocation_data(len=size, fd_flags=os.O_RDWR | os.O_CLOEXEC)
            try:
                chokepoint.ioctl(heap_fd, abi.DMA_HEAP_IOCTL_ALLOC, data)
            except OSError as exc:
                raise media_error(exc, ioctl="DMA_HEAP_IOCTL_ALLOC", path=self.path) from None
        finally:
            chokepoint.close_fd(heap_fd)
        return Dmabuf(data.fd, DmabufOrigin("heap", self.path))


class Udmabuf:
    """Turns a sealed memfd into a dma-buf through ``/dev/udmabuf``."""

    path = "/dev/udmabuf"

    @staticmethod
    def available() -> bool:
        return os.path.exists(Udmabuf.path) or chokepoint.backend_for_path(Udmabuf.path) is not None

    def allocate(self, size: int) -> Dmabuf:
        size = page_align(size)
        memfd = os.memfd_create("mediatui-udmabuf", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(memfd, size)
            # udmabuf refuses memfds that could shrink under it.
            fcntl.fcntl(memfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
            try:
                dev = chokepoint.open_node(self.path, os.O_RDWR | os.O_CLOEXEC)
            except OSError as exc:
                raise open_error(exc, self.path) from None
            try:
                create = abi.udmabuf_create(
                    memfd=memfd, flags=abi.UDMABUF_FLAGS_CLOEXEC, offset=0, size=size
                )
                try:
                    fd = chokepoint.ioctl(dev, abi.UDMABUF_CREATE, create)
                except OSError as exc:
                    raise media_error(exc, ioctl="UDMABUF_CREATE", path=self.path) from None
            finally:
                chokepoint.close_fd(dev)
        finally:
            os.close(memfd)  # the dma-buf keeps its own reference to the pages
        return Dmabuf(fd, DmabufOrigin("udmabuf", self.path), size)


def dmabuf_size(fd: int) -> int:
    """Size of any dma-buf fd (lseek to the end, which dma-buf supports)."""
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, 0, os.SEEK_SET)
        return size
    except OSError as exc:
        if exc.errno == errno.ESPIPE:
            return dmabuf_info(fd).size
        raise


def is_dmabuf(fd: int) -> bool:
    try:
        return dmabuf_info(fd).is_dmabuf
    except OSError:
        return False

