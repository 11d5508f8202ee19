"""Virtual dma-bufs are real fds on real pages: sizes, fdinfo answers, orphan lifetime."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator

import pytest
from scenarios.helpers import CAP, DMABUF, MMAP, dequeue_wait

from core.dmabuf import DmaHeap, Udmabuf, dmabuf_size, is_dmabuf
from core.fdinfo import dmabuf_info
from core.video import VideoDevice
from core.virtual import InstantClock, Roles, VirtualBackend, scenario_board
from core.virtual.memory import REGISTRY, Memory, page_align


@pytest.fixture
def board() -> Iterator[tuple[VirtualBackend, Roles]]:
    backend, roles = scenario_board(InstantClock())
    fds = set(os.listdir("/proc/self/fd"))
    with backend:
        yield backend, roles
    assert set(os.listdir("/proc/self/fd")) == fds, "the backend leaked fds"


def test_memory_is_page_rounded_memfd() -> None:
    mem = Memory(460800)
    try:
        assert mem.alloc_size == 462848 == os.fstat(mem.fd).st_size
        mem.write(0, b"\x01\x02")
        with mmap.mmap(mem.fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ) as m:
            assert m[:2] == b"\x01\x02"
    finally:
        mem.close()
    assert mem.closed


def test_export_fdinfo_like_the_kernel(board: tuple[VirtualBackend, Roles]) -> None:
    """EXPBUF gives a new fd whose fdinfo says videobuf2_vmalloc, page-rounded size,
    count 1, O_CLOEXEC in flags; a pipe is no dma-buf."""
    _, roles = board
    with VideoDevice(roles.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        exported = dev.export_buffer(CAP, 0, 0, os.O_CLOEXEC | os.O_RDONLY)
        info = dmabuf_info(exported.fd)
        assert info.exp_name == "videobuf2_vmalloc"
        assert info.size == page_align(460800) == dmabuf_size(exported.fd)
        assert info.count == 1
        assert info.flags == os.O_CLOEXEC
        exported.close()
    r, w = os.pipe()
    try:
        assert not is_dmabuf(r)
    finally:
        os.close(r)
        os.close(w)


def test_orphaned_buffer_lives_until_its_last_fd(board: tuple[VirtualBackend, Roles]) -> None:
    """After REQBUFS(0) an exported plane keeps its frame; closing the fd frees it."""
    _, roles = board
    with VideoDevice(roles.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        exported = dev.export_buffer(CAP, 0, 0, os.O_CLOEXEC | os.O_RDWR)
        dev.queue_buffer(CAP, 0)
        dev.stream_on(CAP)
        dequeue_wait(dev, CAP)
        dev.stream_off(CAP)
        dev.free_buffers(CAP)
        assert dev.queue_state(CAP).num_buffers == 0
        with mmap.mmap(exported.fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ) as m:
            assert any(m[:4096]), "the orphaned frame is gone"
        key = os.fstat(exported.fd).st_ino
        exported.close()
        REGISTRY.sweep()
        assert all(k[1] != key for k in REGISTRY._records)


def test_heap_and_udmabuf(board: tuple[VirtualBackend, Roles]) -> None:
    """The system heap rounds to pages; udmabuf shares the memfd's pages; bad requests
    get the kernel's EINVAL."""
    heap = DmaHeap("system").allocate(1000)
    try:
        assert heap.info().exp_name == "system" and heap.size == 4096
    finally:
        heap.close()
    udma = Udmabuf().allocate(5000)
    try:
        assert udma.info().exp_name == "udmabuf" and udma.size == 8192
    finally:
        udma.close()
    from core import ioctl as chokepoint
    from core.abi import dmabuf as abi

    fd = chokepoint.open_node("/dev/udmabuf", os.O_RDWR | os.O_CLOEXEC)
    memfd = os.memfd_create("unsealed")
    try:
        os.ftruncate(memfd, 4096)
        create = abi.udmabuf_create(memfd=memfd, flags=0, offset=0, size=4096)
        with pytest.raises(OSError) as err:
            chokepoint.ioctl(fd, abi.UDMABUF_CREATE, create)  # no F_SEAL_SHRINK
        assert err.value.errno == 22
    finally:
        os.close(memfd)
        chokepoint.close_fd(fd)


def test_import_keeps_a_reference(board: tuple[VirtualBackend, Roles]) -> None:
    """vb2's dma_buf_get: a queued import counts once more in fdinfo until freed."""
    _, roles = board
    with VideoDevice(roles.capture) as dev:
        dev.request_buffers(CAP, DMABUF, 2)
        with DmaHeap("system").allocate(460800) as dbuf:
            dev.queue_buffer(CAP, 0, dmabufs=[dbuf])
            assert dbuf.info().count == 2
            dev.free_buffers(CAP)
            assert dbuf.info().count == 1
