"""More vb2 queue rules, each as the test kernel shows it: blocking DQBUF, ownership of
every buffer ioctl (K1), formats frozen while allocated, CREATE_BUFS limits (K7),
PREPARED/MAPPED flags (K5), mmap protections (K9), granted counts (K3), EXPBUF type."""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import threading

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.video import VideoDevice
from scenarios import Rig, scenario
from scenarios.helpers import (
    CAP,
    CAP_MP,
    MMAP,
    OUT,
    USERPTR,
    dequeue_wait,
    expect_error,
    set_fast,
)


@scenario
def scenario_dqbuf_blocking_waits_for_frame(rig: Rig) -> None:
    """On a blocking fd, DQBUF waits until a frame is done instead of saying EAGAIN."""
    fd = chokepoint.open_node(rig.capture, os.O_RDWR | os.O_CLOEXEC)
    try:
        parm = v.v4l2_streamparm(type=CAP)
        parm.parm.capture.timeperframe.numerator = 1
        parm.parm.capture.timeperframe.denominator = 30
        chokepoint.ioctl(fd, v.VIDIOC_S_PARM, parm)
        req = v.v4l2_requestbuffers(count=2, type=CAP, memory=MMAP)
        chokepoint.ioctl(fd, v.VIDIOC_REQBUFS, req)
        for i in range(req.count):
            chokepoint.ioctl(fd, v.VIDIOC_QBUF, v.v4l2_buffer(index=i, type=CAP, memory=MMAP))
        chokepoint.ioctl(fd, v.VIDIOC_STREAMON, ctypes.c_int(CAP))
        result: dict[str, object] = {}

        def dequeue() -> None:
            buf = v.v4l2_buffer(type=CAP, memory=MMAP)
            try:
                chokepoint.ioctl(fd, v.VIDIOC_DQBUF, buf)
                result["buf"] = (buf.index, buf.bytesused, buf.flags)
            except OSError as exc:
                result["errno"] = exc.errno

        worker = threading.Thread(target=dequeue)
        worker.start()
        worker.join(10.0)
        assert not worker.is_alive(), "blocking DQBUF never returned"
        assert "errno" not in result, f"blocking DQBUF failed: {result}"
        index, bytesused, flags = result["buf"]  # type: ignore[misc]
        assert index in range(req.count) and bytesused > 0
        assert not flags & v.V4L2_BUF_FLAG_DONE, "DQBUF clears DONE in what it returns"
        chokepoint.ioctl(fd, v.VIDIOC_STREAMOFF, ctypes.c_int(CAP))
    finally:
        chokepoint.close_fd(fd)


@scenario
def scenario_non_owner_buffer_ioctls_busy(rig: Rig) -> None:
    """QBUF, DQBUF, STREAMON, STREAMOFF and REQBUFS(0) from another handle: EBUSY (K1)."""
    with VideoDevice(rig.capture) as owner, VideoDevice(rig.capture) as other:
        owner.request_buffers(CAP, MMAP, 2)
        calls = {
            "VIDIOC_QBUF": lambda: chokepoint.ioctl(
                other.fd, v.VIDIOC_QBUF, v.v4l2_buffer(index=0, type=CAP, memory=MMAP)),
            "VIDIOC_DQBUF": lambda: chokepoint.ioctl(
                other.fd, v.VIDIOC_DQBUF, v.v4l2_buffer(type=CAP, memory=MMAP)),
            "VIDIOC_STREAMON": lambda: chokepoint.ioctl(
                other.fd, v.VIDIOC_STREAMON, ctypes.c_int(CAP)),
            "VIDIOC_STREAMOFF": lambda: chokepoint.ioctl(
                other.fd, v.VIDIOC_STREAMOFF, ctypes.c_int(CAP)),
            "VIDIOC_REQBUFS": lambda: chokepoint.ioctl(
                other.fd, v.VIDIOC_REQBUFS, v.v4l2_requestbuffers(count=0, type=CAP,
                                                                  memory=MMAP)),
        }
        for name, call in calls.items():
            try:
                call()
            except OSError as exc:
                assert exc.errno == errno.EBUSY, f"{name}: {errno.errorcode[exc.errno]}"
            else:
                raise AssertionError(f"{name} from a non-owner succeeded")
        # mmap is not an ioctl: anyone may map (vb2_fop_mmap has no owner check).
        length = owner.queue_state(CAP).buffers[0].planes[0].length
        chokepoint.mmap_fd(other.fd, length, mmap.PROT_READ, 0).close()


@scenario
def scenario_s_fmt_busy_while_allocated(rig: Rig) -> None:
    """S_FMT gives EBUSY while buffers are allocated; TRY_FMT still answers."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        with expect_error(errno.EBUSY, ioctl="VIDIOC_S_FMT"):
            dev.set_format(CAP, pixelformat="RGB3")
        tried = dev.set_format(CAP, pixelformat="RGB3", try_only=True)
        assert tried.fourcc == "RGB3"
        assert dev.get_format(CAP).fourcc == "YUYV"
        dev.free_buffers(CAP)
        assert dev.set_format(CAP, pixelformat="RGB3").fourcc == "RGB3"


@scenario
def scenario_create_bufs_too_small_einval(rig: Rig) -> None:
    """CREATE_BUFS with a plane smaller than the format needs gives EINVAL (K7)."""
    with VideoDevice(rig.capture) as dev:
        need = dev.get_format(CAP).planes[0].sizeimage
        with expect_error(errno.EINVAL, ioctl="VIDIOC_CREATE_BUFS"):
            dev.create_buffers(CAP, MMAP, 1, sizes=[need // 2])
        assert dev.queue_state(CAP).num_buffers == 0


@scenario
def scenario_create_bufs_stops_at_32(rig: Rig) -> None:
    """CREATE_BUFS grants what fits under 32 buffers, then ENOBUFS (K7)."""
    with VideoDevice(rig.capture) as dev:
        first = dev.request_buffers(CAP, MMAP, 2)
        more = dev.create_buffers(CAP, MMAP, 40)
        assert more.first_index == first.granted
        assert first.granted + more.granted == v.VIDEO_MAX_FRAME
        with expect_error(errno.ENOBUFS, ioctl="VIDIOC_CREATE_BUFS"):
            dev.create_buffers(CAP, MMAP, 1)


@scenario
def scenario_prepare_buf_then_qbuf(rig: Rig) -> None:
    """PREPARE_BUF sets PREPARED; preparing again is EINVAL; QBUF then queues it."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        state = dev.queue_buffer(CAP, 1, prepare_only=True)
        assert state.status == "prepared"
        assert dev.query_buffer(CAP, 1).flags & v.V4L2_BUF_FLAG_PREPARED
        with expect_error(errno.EINVAL, ioctl="VIDIOC_PREPARE_BUF"):
            dev.queue_buffer(CAP, 1, prepare_only=True)
        assert dev.queue_buffer(CAP, 1).status == "queued"
        dev.stream_off(CAP)
        assert not dev.query_buffer(CAP, 1).flags & v.V4L2_BUF_FLAG_PREPARED


@scenario
def scenario_mapped_flag_follows_users(rig: Rig) -> None:
    """MAPPED is set while a plane is mmapped or exported and clears after (K5)."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        assert not dev.query_buffer(CAP, 0).flags & v.V4L2_BUF_FLAG_MAPPED
        dev.map_buffer(CAP, 0)
        assert dev.query_buffer(CAP, 0).flags & v.V4L2_BUF_FLAG_MAPPED
        dev.unmap_buffer(CAP, 0)
        assert not dev.query_buffer(CAP, 0).flags & v.V4L2_BUF_FLAG_MAPPED
        exported = dev.export_buffer(CAP, 0)
        assert dev.query_buffer(CAP, 0).flags & v.V4L2_BUF_FLAG_MAPPED
        exported.close()
        assert not dev.query_buffer(CAP, 0).flags & v.V4L2_BUF_FLAG_MAPPED
        assert not dev.query_buffer(CAP, 1).flags & v.V4L2_BUF_FLAG_MAPPED


@scenario
def scenario_mmap_rules(rig: Rig) -> None:
    """mmap (K9): capture needs PROT_READ, the cookie must exist, the length must fit."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        plane = dev.queue_state(CAP).buffers[1].planes[0]
        cookie = plane.mem_offset or 0
        rounded = (plane.length + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE
        rw = chokepoint.mmap_fd(dev.fd, plane.length, mmap.PROT_READ | mmap.PROT_WRITE, cookie)
        rw.close()
        bad = [
            (plane.length, mmap.PROT_WRITE, cookie),  # capture without PROT_READ
            (4096, mmap.PROT_READ, cookie + 0xDEAD000),  # no such cookie
            (rounded + mmap.PAGESIZE, mmap.PROT_READ, cookie),  # longer than the plane
        ]
        for length, prot, offset in bad:
            try:
                chokepoint.mmap_fd(dev.fd, length, prot, offset).close()
            except OSError as exc:
                assert exc.errno == errno.EINVAL, errno.errorcode[exc.errno]
            else:
                raise AssertionError(f"mmap({length}, {prot}, {offset:#x}) succeeded")


@scenario
def scenario_m2m_granted_count_limited(rig: Rig) -> None:
    """vim2m grants fewer than asked (16 MiB per queue): the granted count is real (K3)."""
    with VideoDevice(rig.m2m) as dev:
        size = dev.get_format(OUT).planes[0].sizeimage
        alloc = dev.request_buffers(OUT, MMAP, 64)
        assert alloc.granted < v.VIDEO_MAX_FRAME
        assert alloc.granted * size <= 16 * 1024 * 1024 < (alloc.granted + 1) * size
        assert dev.queue_state(OUT).num_buffers == alloc.granted


@scenario
def scenario_m2m_handles_are_independent(rig: Rig) -> None:
    """mem2mem queues belong to each open: a second handle allocates freely."""
    with VideoDevice(rig.m2m) as first, VideoDevice(rig.m2m) as second:
        first.request_buffers(CAP, MMAP, 2)
        assert second.request_buffers(CAP, MMAP, 2).granted >= 2


@scenario
def scenario_expbuf_wrong_type(rig: Rig) -> None:
    """EXPBUF with a buffer type other than the queue's gives EINVAL."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF"):
            dev.export_buffer(OUT, 0, 0)


@scenario
def scenario_querybuf_multi_planar_needs_plane_array(rig: Rig) -> None:
    """Multi-planar QUERYBUF with no plane array, or one too short, gives EINVAL."""
    with VideoDevice(rig.capture_mplane) as dev:
        dev.set_format(CAP_MP, pixelformat="NV12M")
        dev.request_buffers(CAP_MP, MMAP, 2)
        bare = v.v4l2_buffer(index=0, type=CAP_MP, memory=MMAP)
        short = v.v4l2_buffer(index=0, type=CAP_MP, memory=MMAP)
        planes = v.attach_planes(short, 1)
        for buf in (bare, short):
            try:
                chokepoint.ioctl(dev.fd, v.VIDIOC_QUERYBUF, buf)
            except OSError as exc:
                assert exc.errno == errno.EINVAL
            else:
                raise AssertionError("QUERYBUF accepted a plane array without room")
        del planes
        full = dev.query_buffer(CAP_MP, 1)
        assert len(full.planes) == 2
        first = dev.query_buffer(CAP_MP, 0)
        # mmap cookies run on, page-aligned, across buffers and planes.
        assert full.planes[0].mem_offset == first.planes[1].mem_offset + (
            (first.planes[1].length + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE)


@scenario
def scenario_output_completes_at_frame_rate(rig: Rig) -> None:
    """An output buffer comes back done, with sequence 0 and its whole payload."""
    with VideoDevice(rig.output) as dev:
        set_fast(dev, OUT)
        n = dev.request_buffers(OUT, MMAP, 2).granted
        for i in range(n):
            dev.queue_buffer(OUT, i)
        dev.stream_on(OUT)
        done = dequeue_wait(dev, OUT)
        assert done.sequence == 0
        assert done.bytesused == dev.get_format(OUT).planes[0].sizeimage
        dev.stream_off(OUT)


@scenario
def scenario_userptr_rules(rig: Rig) -> None:
    """USERPTR: a plane shorter than the format is EINVAL, pages that are not mapped
    are EFAULT (pinning fails), and mapped memory receives the frame."""
    with VideoDevice(rig.capture) as dev:
        set_fast(dev, CAP)
        size = dev.get_format(CAP).planes[0].sizeimage
        dev.request_buffers(CAP, USERPTR, 2)
        memory = mmap.mmap(-1, size)
        window = (ctypes.c_char * size).from_buffer(memory)
        try:
            address = ctypes.addressof(window)
            with expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF"):
                dev.queue_buffer(CAP, 0, userptrs=[(address, size // 2)])
            with expect_error(errno.EFAULT, ioctl="VIDIOC_QBUF"):
                dev.queue_buffer(CAP, 0, userptrs=[(mmap.PAGESIZE, size)])
            dev.queue_buffer(CAP, 0, userptrs=[(address, size)])
            dev.stream_on(CAP)
            done = dequeue_wait(dev, CAP)
            assert done.index == 0 and done.bytesused == size
            assert any(memory[:4096]), "the frame did not land in user memory"
            dev.stream_off(CAP)
        finally:
            del window
            memory.close()
