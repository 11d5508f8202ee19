"""More DMABUF importing (seed: "Streaming I/O (DMA buffer importing)", K11): per-plane
sizes, a different dma-buf at each QBUF, the importer's reference and when it is
dropped, attach and map failures (EFAULT), and what a DMABUF queue cannot do."""

from __future__ import annotations

import errno
import mmap

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.dmabuf import DmaHeap
from core.fdinfo import dmabuf_info
from core.video import VideoDevice
from scenarios import Rig, scenario
from scenarios.helpers import CAP, CAP_MP, DMABUF, MMAP, dequeue_wait, expect_error, set_fast


@scenario
def scenario_import_multi_planar_plane_too_small(rig: Rig) -> None:
    """NV12M: a big enough plane 0 does not excuse a too-small plane 1 (EINVAL), and the
    kernel refuses it without pre-flight too."""
    with VideoDevice(rig.capture_mplane) as dev:
        fmt = dev.set_format(CAP_MP, pixelformat="NV12M")
        dev.request_buffers(CAP_MP, DMABUF, 2)
        heap = DmaHeap(rig.heap)
        with heap.allocate(fmt.planes[0].sizeimage) as luma, heap.allocate(4096) as chroma:
            with expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF") as e:
                dev.queue_buffer(CAP_MP, 0, dmabufs=[luma, chroma])
            assert "4096" in e.value.explanation
            with expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF"):
                dev.queue_buffer(CAP_MP, 0, dmabufs=[luma.fd, chroma.fd])
        assert dev.queue_state(CAP_MP).buffers[0].status == "dequeued"


@scenario
def scenario_import_different_dmabuf_each_qbuf(rig: Rig) -> None:
    """Each QBUF may bring another dma-buf for the same index; DQBUF reports the new fd."""
    with VideoDevice(rig.capture) as dev:
        set_fast(dev, CAP)
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 2)
        heap = DmaHeap(rig.heap)
        bufs = [heap.allocate(size) for _ in range(3)]
        try:
            dev.queue_buffer(CAP, 0, dmabufs=[bufs[0]])
            dev.queue_buffer(CAP, 1, dmabufs=[bufs[1]])
            dev.stream_on(CAP)
            first = dequeue_wait(dev, CAP)
            spare = bufs[2]
            dev.queue_buffer(CAP, first.index, dmabufs=[spare])
            seen = set()
            for _ in range(3):
                done = dequeue_wait(dev, CAP)
                seen.add((done.index, done.planes[0].imported_fd))
                if done.index == first.index:
                    break
                dev.queue_buffer(CAP, done.index, dmabufs=[bufs[done.index]])
            assert (first.index, spare.fd) in seen, seen
            dev.stream_off(CAP)
        finally:
            for dbuf in bufs:
                dbuf.close()


@scenario
def scenario_import_reference_dropped_on_free(rig: Rig) -> None:
    """vb2 holds its own reference on a queued dma-buf (fdinfo count 2) until the queue
    is freed (REQBUFS 0), which "unlocks" the memory."""
    with VideoDevice(rig.capture) as dev:
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 2)
        with DmaHeap(rig.heap).allocate(size) as dbuf:
            alone = dmabuf_info(dbuf.fd).count
            dev.queue_buffer(CAP, 0, dmabufs=[dbuf])
            assert dmabuf_info(dbuf.fd).count == alone + 1
            dev.stream_off(CAP)
            dev.free_buffers(CAP)
            assert dmabuf_info(dbuf.fd).count == alone


@scenario
def scenario_import_length_beyond_dmabuf_efault(rig: Rig) -> None:
    """A plane length larger than the dma-buf fails to attach: EFAULT, not EINVAL."""
    with VideoDevice(rig.capture) as dev:
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, DMABUF, 2)
        with DmaHeap(rig.heap).allocate(size) as dbuf:
            too_long = dbuf.size + 2 * mmap.PAGESIZE
            with expect_error(errno.EFAULT, ioctl="VIDIOC_QBUF"):
                dev.queue_buffer(CAP, 0, dmabufs=[dbuf.fd], lengths=[too_long])


@scenario
def scenario_import_contig_refuses_scattered(rig: Rig) -> None:
    """A dma-contig queue cannot map a vmalloc export or a system-heap buffer: EFAULT at
    QBUF; a vmalloc queue maps a dma-contig export."""
    if rig.capture_contig is None:
        raise AssertionError("this rig has no dma-contig capture node")
    with VideoDevice(rig.capture) as vmalloc, VideoDevice(rig.capture_contig) as contig:
        # One format on both (earlier tests leave vivid nodes at other sizes and formats):
        # each export must be large enough that only its memory kind is refused.
        for dev in (vmalloc, contig):
            dev.set_format(CAP, width=640, height=360, pixelformat="YUYV")
        size = contig.get_format(CAP).planes[0].sizeimage
        assert vmalloc.get_format(CAP).planes[0].sizeimage == size
        vmalloc.request_buffers(CAP, MMAP, 2)
        contig.request_buffers(CAP, DMABUF, 2)
        with vmalloc.export_buffer(CAP, 0) as scattered, \
                expect_error(errno.EFAULT, ioctl="VIDIOC_QBUF"):
            contig.queue_buffer(CAP, 0, dmabufs=[scattered])
        with DmaHeap(rig.heap).allocate(size) as heap_buf, \
                expect_error(errno.EFAULT, ioctl="VIDIOC_QBUF"):
            contig.queue_buffer(CAP, 0, dmabufs=[heap_buf])
        contig.free_buffers(CAP)
        vmalloc.free_buffers(CAP)
        contig.request_buffers(CAP, MMAP, 2)
        vmalloc.request_buffers(CAP, DMABUF, 2)
        with contig.export_buffer(CAP, 0) as exported:
            assert exported.info().exp_name == "videobuf2_dma_contig"
            assert vmalloc.queue_buffer(CAP, 0, dmabufs=[exported]).status == "queued"
            vmalloc.stream_off(CAP)
            vmalloc.free_buffers(CAP)


@scenario
def scenario_dmabuf_queue_cannot_mmap(rig: Rig) -> None:
    """A DMABUF queue has no mmap cookies: mmap on the node gives EINVAL."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, DMABUF, 2)
        try:
            chokepoint.mmap_fd(dev.fd, 4096, mmap.PROT_READ, 0).close()
        except OSError as exc:
            assert exc.errno == errno.EINVAL
        else:
            raise AssertionError("mmap on a DMABUF queue succeeded")


@scenario
def scenario_reqbufs_dmabuf_reports_capability(rig: Rig) -> None:
    """REQBUFS(DMABUF) switches the queue to importing and reports SUPPORTS_DMABUF."""
    with VideoDevice(rig.capture) as dev:
        alloc = dev.request_buffers(CAP, DMABUF, 2)
        assert alloc.capabilities & v.V4L2_BUF_CAP_SUPPORTS_DMABUF
        assert alloc.granted >= 2 and dev.queue_state(CAP).memory == DMABUF
        assert dev.query_buffer(CAP, 0).planes[0].length == (
            dev.get_format(CAP).planes[0].sizeimage)
