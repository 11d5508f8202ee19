"""The buffers of a virtual vb2 queue: planes, states, and taking user memory.

``Plane.users`` is ``vb2_vmalloc_num_users`` minus vb2's own reference: live mappings
and exported dma-bufs, which is what V4L2_BUF_FLAG_MAPPED shows (K5).  The two checks
that run on user-supplied planes at QBUF live here too: ``verify_length`` (output
payloads) and ``attach_dmabufs`` (``__prepare_dmabuf``, K11).
"""

from __future__ import annotations

import errno
import mmap
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from core.virtual.memory import (
    REGISTRY,
    DmabufKind,
    Memory,
    dup_dmabuf,
    fd_key,
    identify_dmabuf,
)

VB2_MAX_FRAME = 32
VB2_MAX_PLANES = 8

MEMORY_MMAP = 1
MEMORY_USERPTR = 2
MEMORY_DMABUF = 4


def fail(err: int) -> OSError:
    """The OSError the kernel's ``-err`` becomes in user space."""
    return OSError(err, os.strerror(err))


class State(Enum):
    """``enum vb2_buffer_state`` (minus the request states we do not model)."""

    DEQUEUED = "dequeued"
    QUEUED = "queued"  # in vb2's queued list, not yet given to the driver
    ACTIVE = "active"  # owned by the driver
    DONE = "done"
    ERROR = "error"


@dataclass(slots=True)
class PlaneArgs:
    """What user space passes for one plane at QBUF/PREPARE_BUF."""

    bytesused: int = 0
    length: int = 0
    fd: int = -1
    userptr: int = 0
    data_offset: int = 0


@dataclass(slots=True)
class Plane:
    length: int
    min_length: int
    bytesused: int = 0
    data_offset: int = 0
    mem_offset: int = 0
    memory: Memory | None = None  # MMAP: our pages; DMABUF: our reference to theirs
    dmabuf_fd: int = 0  # m.fd as user space queued it (DMABUF)
    dmabuf_kind: DmabufKind | None = None
    dmabuf_mapped: bool = False
    userptr: int = 0
    app_maps: list[weakref.ref[mmap.mmap]] = field(default_factory=list)
    exports: list[tuple[int, tuple[int, int]]] = field(default_factory=list)

    def users(self) -> int:
        """Mappings and exported dma-bufs still alive (vb2_vmalloc_num_users - 1)."""
        live_maps = [r for r in self.app_maps if (m := r()) is not None and not m.closed]
        self.app_maps[:] = live_maps
        live_exports = []
        for fd, key in self.exports:
            try:
                if fd_key(fd) == key:
                    live_exports.append((fd, key))
            except OSError:
                pass
        self.exports[:] = live_exports
        return len(live_maps) + len(live_exports)

    def release_memory(self) -> None:
        if self.memory is not None:
            REGISTRY.drop_internal(self.memory.fd)
            self.memory.close()
            self.memory = None
        self.dmabuf_mapped = False


@dataclass(slots=True)
class Buffer:
    index: int
    planes: list[Plane]
    memory: int
    state: State = State.DEQUEUED
    prepared: bool = False
    flags: int = 0  # driver/user flags that survive (KEYFRAME, LAST, ERROR source...)
    field: int = 1  # V4L2_FIELD_NONE
    timestamp_ns: int = 0
    sequence: int = 0
    timecode: bytes = b""

    @property
    def num_planes(self) -> int:
        return len(self.planes)

    def in_use(self) -> bool:
        """vb2_buffer_in_use: MMAP memory with more users than vb2 itself (K5)."""
        return self.memory == MEMORY_MMAP and any(p.users() for p in self.planes)


def verify_length(buf: Buffer, args: Sequence[PlaneArgs], *, is_output: bool,
                  multiplanar: bool) -> None:
    """__verify_length: an output plane's bytesused must fit its length.  Like the
    kernel, the single-planar API takes the length from the user only for USERPTR,
    the multi-planar API for USERPTR and DMABUF."""
    if not is_output:
        return
    user_length = (MEMORY_USERPTR, MEMORY_DMABUF) if multiplanar \
        else (MEMORY_USERPTR,)
    for plane, arg in zip(buf.planes, args, strict=False):
        length = arg.length if buf.memory in user_length else plane.length
        bytesused = arg.bytesused or length
        if arg.bytesused > length:
            raise fail(errno.EINVAL)
        if multiplanar and arg.data_offset and arg.data_offset >= bytesused:
            raise fail(errno.EINVAL)


def user_range_ok(address: int, length: int, *, write: bool) -> bool:
    """Is ``[address, address + length)`` mapped in this process, writable if the
    driver will write it?  What pinning the pages (``vb2_vmalloc_get_userptr``)
    finds out; a hole or a read-only page is EFAULT there."""
    if address <= 0 or length <= 0:
        return False
    end = address + length
    try:
        with open("/proc/self/maps") as f:
            spans = []
            for line in f:
                rng, perms = line.split(None, 2)[:2]
                lo, hi = (int(x, 16) for x in rng.split("-"))
                spans.append((lo, hi, perms))
    except OSError:
        return False
    cursor = address
    for lo, hi, perms in sorted(spans):
        if hi <= cursor or lo > cursor:
            continue
        if "r" not in perms or (write and "w" not in perms):
            return False
        cursor = hi
        if cursor >= end:
            return True
    return False


def take_userptrs(buf: Buffer, args: Sequence[PlaneArgs], *, write: bool) -> None:
    """__prepare_userptr: each plane at least its setup size (EINVAL), its pages
    really there (EFAULT)."""
    for plane, arg in zip(buf.planes, args, strict=False):
        if arg.length < plane.min_length:
            raise fail(errno.EINVAL)  # "provided buffer size is less than setup size"
        if not user_range_ok(arg.userptr, arg.length, write=write):
            raise fail(errno.EFAULT)
    for plane, arg in zip(buf.planes, args, strict=False):
        plane.userptr, plane.length = arg.userptr, arg.length


def attach_dmabufs(buf: Buffer, args: Sequence[PlaneArgs], allocator: str) -> None:
    """__prepare_dmabuf (K11): fd, length, attach and map checks, in vb2's order."""
    taken: list[tuple[int, DmabufKind, int, int]] = []  # (dup fd, kind, length, user fd)
    try:
        for plane, arg in zip(buf.planes, args, strict=False):
            found = identify_dmabuf(arg.fd) if arg.fd >= 0 else None
            if found is None:
                raise fail(errno.EINVAL)  # "invalid dmabuf fd"
            kind, size = found
            length = arg.length or size
            if length < plane.min_length:
                raise fail(errno.EINVAL)  # "invalid dmabuf length"
            if size < length:
                raise fail(errno.EFAULT)  # attach: vb2_vmalloc/dc "size < length"
            taken.append((dup_dmabuf(arg.fd), kind, length, arg.fd))
        for _, kind, _, _ in taken:
            # map_dmabuf: vmalloc needs a kernel vmap, dma-contig a contiguous chunk.
            if (allocator == "vmalloc" and not kind.vmap) or (
                allocator == "dma-contig" and not kind.contiguous
            ):
                raise fail(errno.EFAULT)
    except BaseException:
        for fd, *_ in taken:
            os.close(fd)
        raise
    for plane, (fd, kind, length, user_fd) in zip(buf.planes, taken, strict=False):
        same = (
            plane.memory is not None
            and plane.memory.key == fd_key(fd)
            and plane.length == length
        )
        if same:
            os.close(fd)  # already attached: keep the reference we hold
        else:
            plane.release_memory()
            plane.memory = Memory.adopt(fd, length)
        plane.length = length
        plane.dmabuf_fd = user_fd
        plane.dmabuf_kind = kind
        plane.dmabuf_mapped = True


__all__ = [
    "MEMORY_DMABUF",
    "MEMORY_MMAP",
    "MEMORY_USERPTR",
    "VB2_MAX_FRAME",
    "VB2_MAX_PLANES",
    "Buffer",
    "Plane",
    "PlaneArgs",
    "State",
    "attach_dmabufs",
    "fail",
    "take_userptrs",
    "user_range_ok",
    "verify_length",
]
