"""DMABUF importing: from another device's exports, a dma-heap, udmabuf; length checks."""

from __future__ import annotations

import errno
import os

from core.dmabuf import DmaHeap, Udmabuf
from core.video import VideoDevice
from scenarios import Rig, scenario
from scenarios.helpers import (
    CAP,
    CAP_MP,
    DMABUF,
    MMAP,
    OUT,
    dequeue_wait,
    expect_error,
    fd_count_unchanged,
    set_fast,
)


@scenario
def scenario_import_capture_export_into_output(rig: Rig) -> None:
    """vivid capture's exported buffers queue on vivid output's DMABUF queue."""
    with fd_count_unchanged(), VideoDevice(rig.capture) as cap, VideoDevice(rig.output) as out:
        fmt = cap.get_format(CAP)
        out.set_format(OUT, width=fmt.width, height=fmt.height, pixelformat=fmt.fourcc)
        cap.request_buffers(CAP, MMAP, 2)
        exports = [cap.export_buffer(CAP, i, 0, os.O_CLOEXEC | os.O_RDWR) for i in range(2)]
        out.request_buffers(OUT, DMABUF, 2)
        for i, exported in enumerate(exports):
            state = out.queue_buffer(OUT, i, dmabufs=[exported])
            assert state.status == "queued"
            assert state.planes[0].imported_fd == exported.fd
        out.stream_off(OUT)
        out.free_buffers(OUT)


@scenario
def scenario_import_heap_into_capture_streams(rig: Rig) -> None:
    """System-heap dma-bufs imported into a capture queue receive frames."""
    with fd_count_unchanged(), VideoDevice(rig.capture) as dev:
        set_fast(dev, CAP)
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 3)
        heap = DmaHeap(rig.heap)
        bufs = [heap.allocate(size) for _ in range(3)]
        try:
            for i, dbuf in enumerate(bufs):
                dev.queue_buffer(CAP, i, dmabufs=[dbuf])
            dev.stream_on(CAP)
            for _ in range(5):
                done = dequeue_wait(dev, CAP)
                assert done.bytesused > 0
                dev.queue_buffer(CAP, done.index, dmabufs=[bufs[done.index]])
            dev.stream_off(CAP)
            dev.free_buffers(CAP)
        finally:
            for dbuf in bufs:
                dbuf.close()


@scenario
def scenario_import_multi_planar_heap(rig: Rig) -> None:
    """NV12M: one dma-buf per plane, each at least the plane's size, queues and streams."""
    with VideoDevice(rig.capture_mplane) as dev:
        set_fast(dev, CAP_MP)
        fmt = dev.set_format(CAP_MP, pixelformat="NV12M")
        dev.request_buffers(CAP_MP, DMABUF, 2)
        heap = DmaHeap(rig.heap)
        bufs = [[heap.allocate(p.sizeimage) for p in fmt.planes] for _ in range(2)]
        try:
            for i, planes in enumerate(bufs):
                state = dev.queue_buffer(CAP_MP, i, dmabufs=planes)
                assert len(state.planes) == fmt.num_planes
            dev.stream_on(CAP_MP)
            done = dequeue_wait(dev, CAP_MP)
            assert all(p.bytesused > 0 for p in done.planes)
            dev.stream_off(CAP_MP)
        finally:
            for planes in bufs:
                for dbuf in planes:
                    dbuf.close()


@scenario
def scenario_import_too_small_preflight(rig: Rig) -> None:
    """A dma-buf smaller than the plane is refused before QBUF, with both sizes named."""
    with VideoDevice(rig.capture) as dev:
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 2)
        with DmaHeap(rig.heap).allocate(4096) as small:
            with expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF") as e:
                dev.queue_buffer(CAP, 0, dmabufs=[small])
            assert str(size) in e.value.explanation and "4096" in e.value.explanation


@scenario
def scenario_import_too_small_kernel(rig: Rig) -> None:
    """The kernel itself refuses a too-small dma-buf at QBUF with EINVAL."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, DMABUF, 2)
        with (
            DmaHeap(rig.heap).allocate(4096) as small,
            expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF"),
        ):
            dev.queue_buffer(CAP, 0, dmabufs=[small.fd])  # a bare fd: no pre-flight
        assert dev.queue_state(CAP).buffers[0].status == "dequeued"


@scenario
def scenario_import_length_smaller_than_plane(rig: Rig) -> None:
    """A plane length below the minimum is refused even if the dma-buf is big enough."""
    with VideoDevice(rig.capture) as dev:
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 2)
        with (
            DmaHeap(rig.heap).allocate(size) as dbuf,
            expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF"),
        ):
            dev.queue_buffer(CAP, 0, dmabufs=[dbuf.fd], lengths=[size // 2])


@scenario
def scenario_import_not_a_dmabuf(rig: Rig) -> None:
    """An fd that is not a dma-buf (a pipe) gives EINVAL at QBUF."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, DMABUF, 2)
        r, w = os.pipe()
        try:
            with expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF"):
                dev.queue_buffer(CAP, 0, dmabufs=[r])
        finally:
            os.close(r)
            os.close(w)


@scenario
def scenario_import_udmabuf_vmalloc_efault(rig: Rig) -> None:
    """udmabuf on a vmalloc queue fails at QBUF with EFAULT (6.1 udmabuf has no vmap)."""
    if rig.udmabuf is None:
        raise AssertionError("this rig has no udmabuf")
    with VideoDevice(rig.capture) as dev:
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 2)
        with Udmabuf().allocate(size) as dbuf:
            with expect_error(errno.EFAULT, ioctl="VIDIOC_QBUF") as e:
                dev.queue_buffer(CAP, 0, dmabufs=[dbuf])
            assert "vmap" in e.value.explanation


@scenario
def scenario_import_same_dmabuf_requeue_keeps_fd(rig: Rig) -> None:
    """DQBUF returns the same m.fd that was queued (no new fd is created)."""
    with VideoDevice(rig.capture) as dev:
        set_fast(dev, CAP)
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 2)
        heap = DmaHeap(rig.heap)
        bufs = [heap.allocate(size) for _ in range(2)]
        try:
            for i, dbuf in enumerate(bufs):
                dev.queue_buffer(CAP, i, dmabufs=[dbuf])
            dev.stream_on(CAP)
            before = len(os.listdir("/proc/self/fd"))
            done = dequeue_wait(dev, CAP)
            assert len(os.listdir("/proc/self/fd")) == before
            assert done.planes[0].imported_fd == bufs[done.index].fd
            dev.stream_off(CAP)
        finally:
            for dbuf in bufs:
                dbuf.close()
