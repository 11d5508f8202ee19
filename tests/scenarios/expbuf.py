"""VIDIOC_EXPBUF: export planes as dma-bufs, and every EINVAL cause of the seed document."""

from __future__ import annotations

import errno
import mmap
import os

from core.abi import v4l2 as v
from core.fdinfo import dmabuf_info
from core.video import VideoDevice, parse_pixelformat
from scenarios import Rig, scenario
from scenarios.helpers import (
    CAP,
    CAP_MP,
    DMABUF,
    MMAP,
    USERPTR,
    dequeue_wait,
    expect_error,
    fd_count_unchanged,
    page_align,
    set_fast,
)

RO = os.O_CLOEXEC | os.O_RDONLY


def _export_stream_free(path: str, buf_type: int, fourcc: str | None) -> None:
    with fd_count_unchanged(), VideoDevice(path) as dev:
        if fourcc:
            fmt = dev.set_format(buf_type, pixelformat=fourcc)
            assert fmt.pixelformat == parse_pixelformat(fourcc), f"driver chose {fmt.fourcc}"
        fmt = dev.get_format(buf_type)
        alloc = dev.request_buffers(buf_type, MMAP, 4)
        assert alloc.granted >= 4 - 2 and alloc.granted >= 1
        states = dev.query_all(buf_type)
        assert [s.index for s in states] == list(range(alloc.granted))
        for state in states:
            assert len(state.planes) == fmt.num_planes
            for p, plane in enumerate(state.planes):
                assert plane.length >= fmt.planes[p].sizeimage
                exported = dev.export_buffer(buf_type, state.index, p, RO)
                info = dmabuf_info(exported.fd)
                assert info.is_dmabuf, "EXPBUF must give a dma-buf fd"
                # Exporters round the size up to whole pages (vivid: 460800 -> 462848).
                assert info.size == page_align(plane.length), (info.size, plane.length)
                assert exported.origin.index == state.index and exported.origin.plane == p
        assert dev.close_exports(buf_type) == alloc.granted * fmt.num_planes
        set_fast(dev, buf_type)
        for state in states:
            dev.queue_buffer(buf_type, state.index)
        dev.stream_on(buf_type)
        last, last_ts, last_index = -1, 0.0, -1
        for _ in range(30):
            done = dequeue_wait(dev, buf_type)
            # vivid repeats a sequence number (and the timestamp it derives from it)
            # when its thread runs late: seen under TCG with a loaded host. Every
            # dequeue is still another buffer, in the order they were queued.
            assert done.sequence is not None and done.sequence >= last, (done, last)
            assert done.timestamp is not None and done.timestamp >= last_ts, (done, last_ts)
            assert done.index != last_index, f"buffer {done.index} dequeued twice in a row"
            assert done.bytesused > 0
            last, last_ts, last_index = done.sequence, done.timestamp, done.index
            dev.queue_buffer(buf_type, done.index)
        assert last >= 29, f"30 frames should reach sequence 29 at least, got {last}"
        dev.stream_off(buf_type)
        assert all(b.status == "dequeued" for b in dev.queue_state(buf_type).buffers)
        freed = dev.free_buffers(buf_type)
        assert freed.granted == 0


@scenario
def scenario_expbuf_single_planar_export_stream_free(rig: Rig) -> None:
    """4 MMAP buffers: every plane exports with its page-rounded size; 30 frames stream."""
    _export_stream_free(rig.capture, CAP, None)


@scenario
def scenario_expbuf_multi_planar_export_stream_free(rig: Rig) -> None:
    """NV12M (2 planes): each plane is exported by a separate EXPBUF; 30 frames stream."""
    _export_stream_free(rig.capture_mplane, CAP_MP, "NV12M")


def _with_buffers(path: str, buf_type: int, memory: int = MMAP, count: int = 2) -> VideoDevice:
    dev = VideoDevice(path)
    dev.request_buffers(buf_type, memory, count)
    return dev


@scenario
def scenario_expbuf_bad_index(rig: Rig) -> None:
    """An index past the allocated buffers gives EINVAL, explained as a bad index."""
    with _with_buffers(rig.capture, CAP) as dev:
        n = dev.queue_state(CAP).num_buffers
        with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF") as e:
            dev.export_buffer(CAP, n, 0, RO)
        assert f"No buffer {n}" in e.value.title


@scenario
def scenario_expbuf_bad_plane_single_planar(rig: Rig) -> None:
    """Plane 1 of a single-planar queue gives EINVAL: the single-planar API uses plane 0."""
    with _with_buffers(rig.capture, CAP) as dev:
        with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF") as e:
            dev.export_buffer(CAP, 0, 1, RO)
        assert "Plane 1" in e.value.title and "plane 0" in e.value.explanation


@scenario
def scenario_expbuf_bad_plane_multi_planar(rig: Rig) -> None:
    """Plane == num_planes of a multi-planar format gives EINVAL."""
    with VideoDevice(rig.capture_mplane) as dev:
        fmt = dev.set_format(CAP_MP, pixelformat="NV12M")
        dev.request_buffers(CAP_MP, MMAP, 2)
        dev.export_buffer(CAP_MP, 0, fmt.num_planes - 1, RO).close()
        with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF") as e:
            dev.export_buffer(CAP_MP, 0, fmt.num_planes, RO)
        assert f"{fmt.num_planes} plane(s)" in e.value.explanation


@scenario
def scenario_expbuf_bad_flags(rig: Rig) -> None:
    """Flags other than O_CLOEXEC and the access mode (here O_NONBLOCK) give EINVAL."""
    with _with_buffers(rig.capture, CAP) as dev:
        with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF") as e:
            dev.export_buffer(CAP, 0, 0, RO | os.O_NONBLOCK)
        assert "flags" in e.value.title.lower()


@scenario
def scenario_expbuf_access_modes(rig: Rig) -> None:
    """O_RDONLY, O_WRONLY and O_RDWR (with or without O_CLOEXEC) all export."""
    with _with_buffers(rig.capture, CAP) as dev:
        for flags in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_CLOEXEC | os.O_RDWR):
            exported = dev.export_buffer(CAP, 0, 0, flags)
            assert exported.size >= dev.queue_state(CAP).buffers[0].planes[0].length
            exported.close()


@scenario
def scenario_expbuf_not_mmap_queue_dmabuf(rig: Rig) -> None:
    """EXPBUF on a DMABUF queue gives EINVAL: exporting needs MMAP buffers."""
    with _with_buffers(rig.capture, CAP, DMABUF) as dev:
        with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF") as e:
            dev.export_buffer(CAP, 0, 0, RO)
        assert "MMAP" in e.value.title


@scenario
def scenario_expbuf_not_mmap_queue_userptr(rig: Rig) -> None:
    """EXPBUF on a USERPTR queue gives EINVAL as well."""
    with _with_buffers(rig.capture, CAP, USERPTR) as dev:
        with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF") as e:
            dev.export_buffer(CAP, 0, 0, RO)
        assert "MMAP" in e.value.title


@scenario
def scenario_expbuf_no_buffers(rig: Rig) -> None:
    """EXPBUF before any REQBUFS gives EINVAL (the queue is in no memory mode yet)."""
    with VideoDevice(rig.capture) as dev, expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF"):
        dev.export_buffer(CAP, 0, 0, RO)


@scenario
def scenario_expbuf_twice_gives_distinct_dmabufs(rig: Rig) -> None:
    """Two EXPBUF calls on one plane give two fds; each is a dma-buf of the same size."""
    with _with_buffers(rig.capture, CAP) as dev:
        a = dev.export_buffer(CAP, 0, 0, RO)
        b = dev.export_buffer(CAP, 0, 0, RO)
        assert a.fd != b.fd and a.size == b.size
        assert len(dev.queue_state(CAP).buffers[0].planes[0].exported_fds) == 2
        a.close()
        b.close()


@scenario
def scenario_reqbufs_zero_with_export_orphans(rig: Rig) -> None:
    """REQBUFS(0) while a plane is exported follows the ORPHANED_BUFS bit; the fd lives on."""
    with fd_count_unchanged(), VideoDevice(rig.capture) as dev:
        alloc = dev.request_buffers(CAP, MMAP, 2)
        exported = dev.export_buffer(CAP, 0, 0, RO)
        size = exported.size
        orphans = bool(alloc.capabilities & v.V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS)
        if orphans:
            assert dev.free_buffers(CAP).granted == 0
            assert dev.queue_state(CAP).num_buffers == 0
        else:
            with expect_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS"):
                dev.free_buffers(CAP)
        # The orphaned dma-buf stays valid until its last fd closes.
        assert dmabuf_info(exported.fd).size == size
        exported.close()


@scenario
def scenario_reqbufs_zero_with_mapping(rig: Rig) -> None:
    """REQBUFS(0) with a buffer still mmapped succeeds when ORPHANED_BUFS is set."""
    with VideoDevice(rig.capture) as dev:
        alloc = dev.request_buffers(CAP, MMAP, 2)
        (mapping,) = dev.map_buffer(CAP, 0)
        view = memoryview(mapping)  # keeps the mapping alive across REQBUFS(0)
        try:
            if alloc.capabilities & v.V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS:
                assert dev.free_buffers(CAP).granted == 0
                assert len(view) >= 1 and view[0] == view[0]  # still readable
        finally:
            view.release()
            mapping.close()


@scenario
def scenario_exported_fd_mmap_readable(rig: Rig) -> None:
    """An exported capture plane can be mmapped read-only and holds the frame's bytes."""
    with VideoDevice(rig.capture) as dev:
        set_fast(dev, CAP)
        dev.request_buffers(CAP, MMAP, 3)
        exports = [dev.export_buffer(CAP, i, 0, os.O_CLOEXEC | os.O_RDWR) for i in range(3)]
        for i in range(3):
            dev.queue_buffer(CAP, i)
        dev.stream_on(CAP)
        done = dequeue_wait(dev, CAP)
        length = done.planes[0].length
        with mmap.mmap(exports[done.index].fd, length, mmap.MAP_SHARED, mmap.PROT_READ) as m:
            assert any(m[: min(4096, done.bytesused)]), "the frame should not be all zero"
        dev.stream_off(CAP)
