"""dma-buf ABI: dma-heaps (``linux/dma-heap.h``), udmabuf (``linux/udmabuf.h``) and the
ioctls of a dma-buf fd itself (``linux/dma-buf.h``), as in Debian 12's 6.1 headers.

These are how mediatui gets dma-bufs that did not come from a V4L2/DVB export: from a
heap (``/dev/dma_heap/system``) or by wrapping a memfd (``/dev/udmabuf``), to import them
with V4L2_MEMORY_DMABUF; and DMA_BUF_IOCTL_SYNC brackets CPU access to any dma-buf.
"""

from __future__ import annotations

import ctypes
import enum
import os

from core.abi.ioctl import IOW, IOW_ALIAS, IOWR
from core.abi.layout import c_u64

# =======================================================================================
# linux/dma-heap.h
# =======================================================================================

# "Valid FD_FLAGS are O_CLOEXEC, O_RDONLY, O_WRONLY, O_RDWR": (O_CLOEXEC | O_ACCMODE).
DMA_HEAP_VALID_FD_FLAGS = os.O_CLOEXEC | os.O_ACCMODE
DMA_HEAP_VALID_HEAP_FLAGS = 0  # "Currently no heap flags"


class dma_heap_allocation_data(ctypes.Structure):
    """DMA_HEAP_IOCTL_ALLOC: ``len`` bytes in, a dma-buf ``fd`` out.

    ``fd_flags`` are open(2) flags for the new fd (only those in DMA_HEAP_VALID_FD_FLAGS);
    ``heap_flags`` must be 0.
    """

    _fields_ = [
        ("len", c_u64),
        ("fd", ctypes.c_uint32),
        ("fd_flags", ctypes.c_uint32),
        ("heap_flags", c_u64),
    ]


DMA_HEAP_IOC_MAGIC = ord("H")
DMA_HEAP_IOCTL_ALLOC = IOWR("DMA_HEAP_IOCTL_ALLOC", DMA_HEAP_IOC_MAGIC, 0x0,
                            dma_heap_allocation_data)

# =======================================================================================
# linux/udmabuf.h
# =======================================================================================

UDMABUF_FLAGS_CLOEXEC = 0x01


class udmabuf_create(ctypes.Structure):
    """UDMABUF_CREATE: a dma-buf over ``size`` bytes of ``memfd`` from ``offset``.

    The memfd must be sealed against shrinking (F_SEAL_SHRINK) and offset/size must be
    page aligned, or the kernel answers EINVAL.
    """

    _fields_ = [
        ("memfd", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("offset", c_u64),
        ("size", c_u64),
    ]


class udmabuf_create_item(ctypes.Structure):
    _fields_ = [
        ("memfd", ctypes.c_uint32),
        ("__pad", ctypes.c_uint32),
        ("offset", c_u64),
        ("size", c_u64),
    ]


class udmabuf_create_list(ctypes.Structure):
    """UDMABUF_CREATE_LIST header; ``list`` is a C flexible array member.

    The ioctl number encodes only this 8-byte header.  To issue it, build a struct with
    room for the items with :func:`udmabuf_create_list_of`.
    """

    _fields_ = [
        ("flags", ctypes.c_uint32),
        ("count", ctypes.c_uint32),
        ("list", udmabuf_create_item * 0),
    ]


_LIST_TYPES: dict[int, type[ctypes.Structure]] = {}


def udmabuf_create_list_of(items: list[udmabuf_create_item], flags: int = 0) -> ctypes.Structure:
    """A ``udmabuf_create_list`` followed by ``items``, laid out as the kernel reads it.

    The returned struct is binary-compatible with the header plus ``count`` items, which
    is what the kernel copies from user space after reading ``count``.
    """
    count = len(items)
    cls = _LIST_TYPES.get(count)
    if cls is None:
        cls = type(
            f"udmabuf_create_list_{count}",
            (ctypes.Structure,),
            {
                "_fields_": [
                    ("flags", ctypes.c_uint32),
                    ("count", ctypes.c_uint32),
                    ("list", udmabuf_create_item * count),
                ]
            },
        )
        _LIST_TYPES[count] = cls
    out = cls(flags=flags, count=count)
    for i, item in enumerate(items):
        out.list[i] = item
    return out


UDMABUF_CREATE = IOW("UDMABUF_CREATE", "u", 0x42, udmabuf_create)
UDMABUF_CREATE_LIST = IOW("UDMABUF_CREATE_LIST", "u", 0x43, udmabuf_create_list)

# =======================================================================================
# linux/dma-buf.h
# =======================================================================================


class DmaBufSyncFlag(enum.IntFlag):
    """``DMA_BUF_SYNC_*``.  START is 0, so a sync is START unless END is set."""

    READ = 1 << 0
    WRITE = 2 << 0
    END = 1 << 2


DMA_BUF_SYNC_READ = DmaBufSyncFlag.READ
DMA_BUF_SYNC_WRITE = DmaBufSyncFlag.WRITE
DMA_BUF_SYNC_RW = DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE
DMA_BUF_SYNC_START = 0 << 2
DMA_BUF_SYNC_END = DmaBufSyncFlag.END
DMA_BUF_SYNC_VALID_FLAGS_MASK = DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END

DMA_BUF_NAME_LEN = 32


def dma_buf_sync_names(flags: int) -> list[str]:
    """``START``/``END`` plus the access bits, e.g. ``["START", "READ"]``."""
    phase = "END" if flags & DMA_BUF_SYNC_END else "START"
    access = [n for n in ("READ", "WRITE") if flags & DmaBufSyncFlag[n]]
    unknown = flags & ~DMA_BUF_SYNC_VALID_FLAGS_MASK
    return [phase, *access, *([f"{unknown:#x}"] if unknown else [])]


class dma_buf_sync(ctypes.Structure):
    """DMA_BUF_IOCTL_SYNC: bracket CPU access (START|READ … END|READ)."""

    _fields_ = [("flags", c_u64)]


class dma_buf_export_sync_file(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint32), ("fd", ctypes.c_int32)]


class dma_buf_import_sync_file(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint32), ("fd", ctypes.c_int32)]


DMA_BUF_BASE = ord("b")
DMA_BUF_IOCTL_SYNC = IOW("DMA_BUF_IOCTL_SYNC", DMA_BUF_BASE, 0, dma_buf_sync)
# DMA_BUF_SET_NAME is _IOW(DMA_BUF_BASE, 1, const char *): the argument is the address of
# a NUL-terminated name (at most DMA_BUF_NAME_LEN bytes with the NUL).  Through the
# chokepoint pass ctypes.create_string_buffer(name): fcntl.ioctl() hands the kernel a
# pointer to those bytes.  The header also spells the number by argument size, since the
# pointer is 4 bytes on 32-bit user space: _A (__u32) and _B (__u64).  One of them is the
# same number as DMA_BUF_SET_NAME (_B on 64-bit, _A on 32-bit), so both are aliases
# rather than second registrations.
DMA_BUF_SET_NAME = IOW("DMA_BUF_SET_NAME", DMA_BUF_BASE, 1, ctypes.c_char_p)
DMA_BUF_SET_NAME_A = IOW_ALIAS("DMA_BUF_SET_NAME_A", DMA_BUF_BASE, 1, ctypes.c_uint32)
DMA_BUF_SET_NAME_B = IOW_ALIAS("DMA_BUF_SET_NAME_B", DMA_BUF_BASE, 1, c_u64)
DMA_BUF_IOCTL_EXPORT_SYNC_FILE = IOWR("DMA_BUF_IOCTL_EXPORT_SYNC_FILE", DMA_BUF_BASE, 2,
                                      dma_buf_export_sync_file)
DMA_BUF_IOCTL_IMPORT_SYNC_FILE = IOW("DMA_BUF_IOCTL_IMPORT_SYNC_FILE", DMA_BUF_BASE, 3,
                                     dma_buf_import_sync_file)
