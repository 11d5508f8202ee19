"""dma-buf providers without a video device: the system dma-heap and udmabuf.

* ``/dev/dma_heap/system``: DMA_HEAP_IOCTL_ALLOC gives a new dma-buf (a memfd here) of
  the page-rounded length; exporter ``system``; not physically contiguous, so a
  dma-contig importer refuses it at QBUF (EFAULT) while a vmalloc importer maps it;
* ``/dev/udmabuf``: UDMABUF_CREATE turns a sealed memfd into a dma-buf (the same pages);
  6.1's udmabuf has no vmap, so a vmalloc importer refuses it at QBUF with EFAULT, as
  the kernel README records.

The argument checks are the kernel's (``dma-heap.c``, ``udmabuf.c``).
"""

from __future__ import annotations

import errno
import fcntl
import os
from typing import Any

from core.abi import dmabuf as abi
from core.virtual.memory import PAGE_SIZE, REGISTRY, SYSTEM_HEAP, UDMABUF, fd_key, page_align
from core.virtual.node import FileHandle, Node
from core.virtual.vb2 import fail

# Linux caps a single heap allocation by available memory; keep demos sane.
MAX_ALLOCATION = 1 << 30


class DmaHeapNode(Node):
    """``/dev/dma_heap/<name>``."""

    subsystem = "dma_heap"

    def __init__(self, path: str, name: str = "system") -> None:
        super().__init__(path, name, "system_heap")

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if request != abi.DMA_HEAP_IOCTL_ALLOC:
            raise fail(errno.ENOTTY)
        data: abi.dma_heap_allocation_data = arg
        if data.fd:
            raise fail(errno.EINVAL)  # "fd must be 0 on input"
        if data.fd_flags & ~abi.DMA_HEAP_VALID_FD_FLAGS:
            raise fail(errno.EINVAL)
        if data.heap_flags & ~abi.DMA_HEAP_VALID_HEAP_FLAGS:
            raise fail(errno.EINVAL)
        length = page_align(data.len)
        if length == 0:
            raise fail(errno.EINVAL)
        if length > MAX_ALLOCATION:
            raise fail(errno.ENOMEM)
        fd = os.memfd_create(f"dma-heap-{self.name}", os.MFD_CLOEXEC)
        try:
            os.ftruncate(fd, length)
            if not data.fd_flags & os.O_CLOEXEC:
                os.set_inheritable(fd, True)
            REGISTRY.register(fd_key(fd), length, SYSTEM_HEAP)
        except OSError:
            os.close(fd)
            raise
        data.fd = fd
        return 0


class UdmabufNode(Node):
    """``/dev/udmabuf``: UDMABUF_CREATE returns the new dma-buf fd as the ioctl result."""

    subsystem = "misc"

    def __init__(self, path: str = "/dev/udmabuf") -> None:
        super().__init__(path, "udmabuf", "udmabuf")

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if request != abi.UDMABUF_CREATE:
            raise fail(errno.ENOTTY)
        create: abi.udmabuf_create = arg
        if create.flags & ~abi.UDMABUF_FLAGS_CLOEXEC:
            raise fail(errno.EINVAL)
        if create.offset % PAGE_SIZE or create.size % PAGE_SIZE or create.size == 0:
            raise fail(errno.EINVAL)
        try:
            seals = fcntl.fcntl(create.memfd, fcntl.F_GET_SEALS)
            file_size = os.fstat(create.memfd).st_size
        except OSError:
            raise fail(errno.EBADF) from None
        # udmabuf wants a shmem memfd that cannot shrink and may still be written.
        if not seals & fcntl.F_SEAL_SHRINK or seals & fcntl.F_SEAL_WRITE:
            raise fail(errno.EINVAL)
        if create.offset + create.size > file_size:
            raise fail(errno.EINVAL)
        flags = os.O_RDWR | (os.O_CLOEXEC if create.flags & abi.UDMABUF_FLAGS_CLOEXEC else 0)
        fd = os.open(f"/proc/self/fd/{create.memfd}", flags | os.O_CLOEXEC)
        if not flags & os.O_CLOEXEC:
            os.set_inheritable(fd, True)
        REGISTRY.register(fd_key(fd), create.size, UDMABUF)
        return fd


__all__ = ["DmaHeapNode", "UdmabufNode"]
