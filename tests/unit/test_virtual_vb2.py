"""The virtual queues on a manual clock: pacing, drops, blocking, poll, error hygiene.

These pin what the scenario suite (fast tier and VM) cannot time exactly: that frames
arrive one period apart, that a starved queue skips sequence numbers like vivid, that
a blocked DQBUF wakes on STREAMOFF, and that a failed ioctl leaves the caller's struct
as it was (the kernel copies results back only on success).
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import threading
from collections.abc import Iterator

import pytest
from scenarios.helpers import CAP, MMAP, OUT

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.errors import MediaError
from core.video import VideoDevice
from core.virtual import ManualClock, Roles, VirtualBackend, scenario_board

FRAME_30 = 1_000_000_000 // 30


@pytest.fixture
def manual() -> Iterator[tuple[ManualClock, Roles]]:
    clock = ManualClock()
    backend, roles = scenario_board(clock)
    with backend:
        yield clock, roles


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def test_frames_arrive_one_period_apart(manual: tuple[ManualClock, Roles]) -> None:
    clock, roles = manual
    with VideoDevice(roles.capture) as dev:
        dev.set_frame_rate(CAP, 30)
        for i in range(dev.request_buffers(CAP, MMAP, 3).granted):
            dev.queue_buffer(CAP, i)
        assert _readable(dev.fd) is False or dev.queue_state(CAP).streaming is False
        dev.stream_on(CAP)
        start = clock.now_ns()
        clock.advance(0)  # vivid's thread makes its first frame at once
        clock.advance(2 * FRAME_30 / 1e9)
        done = [dev.dequeue_buffer(CAP) for _ in range(3)]
        assert [d.sequence for d in done] == [0, 1, 2]
        stamps = [round(d.timestamp * 1e9) for d in done]  # type: ignore[operator]
        assert all(abs(s - (start + i * FRAME_30)) < 2000 for i, s in enumerate(stamps))
        with pytest.raises(MediaError) as err:
            dev.dequeue_buffer(CAP)
        assert err.value.errno == errno.EAGAIN


def test_starved_queue_skips_sequence_numbers(manual: tuple[ManualClock, Roles]) -> None:
    """No buffer queued for ten frame periods: ten sequence numbers go by (dropped)."""
    clock, roles = manual
    with VideoDevice(roles.capture) as dev:
        dev.set_frame_rate(CAP, 30)
        dev.request_buffers(CAP, MMAP, 2)
        dev.queue_buffer(CAP, 0)
        dev.stream_on(CAP)
        clock.advance(0)
        first = dev.dequeue_buffer(CAP)
        clock.advance(10 * FRAME_30 / 1e9)
        dev.queue_buffer(CAP, first.index)
        clock.advance(FRAME_30 / 1e9)
        second = dev.dequeue_buffer(CAP)
        assert second.sequence is not None and first.sequence is not None
        assert second.sequence - first.sequence >= 10


def test_poll_follows_vb2(manual: tuple[ManualClock, Roles]) -> None:
    """Not streaming: EPOLLERR, which the virtual fd reports as readable; streaming with
    nothing done: not readable; a done buffer: readable."""
    clock, roles = manual
    with VideoDevice(roles.capture) as dev:
        assert _readable(dev.fd)
        dev.set_frame_rate(CAP, 30)
        dev.request_buffers(CAP, MMAP, 2)
        dev.queue_buffer(CAP, 0)
        dev.stream_on(CAP)  # vivid's first frame comes at once
        assert _readable(dev.fd)
        dev.dequeue_buffer(CAP)
        assert not _readable(dev.fd)
        dev.queue_buffer(CAP, 1)
        clock.advance(FRAME_30 / 2e9)
        assert not _readable(dev.fd)
        clock.advance(FRAME_30 / 1e9)
        assert _readable(dev.fd)


def test_blocked_dqbuf_wakes_on_streamoff(manual: tuple[ManualClock, Roles]) -> None:
    _, roles = manual
    fd = chokepoint.open_node(roles.capture, os.O_RDWR | os.O_CLOEXEC)
    try:
        req = v.v4l2_requestbuffers(count=2, type=CAP, memory=MMAP)
        chokepoint.ioctl(fd, v.VIDIOC_REQBUFS, req)
        chokepoint.ioctl(fd, v.VIDIOC_STREAMON, ctypes.c_int(CAP))
        errors: list[int] = []

        def blocked() -> None:
            try:
                chokepoint.ioctl(fd, v.VIDIOC_DQBUF, v.v4l2_buffer(type=CAP, memory=MMAP))
            except OSError as exc:
                errors.append(exc.errno)

        thread = threading.Thread(target=blocked)
        thread.start()
        thread.join(0.2)
        assert thread.is_alive(), "DQBUF on a blocking fd returned with nothing done"
        chokepoint.ioctl(fd, v.VIDIOC_STREAMOFF, ctypes.c_int(CAP))
        thread.join(5)
        assert errors == [errno.EINVAL]
    finally:
        chokepoint.close_fd(fd)


def test_failed_ioctl_leaves_struct_untouched(manual: tuple[ManualClock, Roles]) -> None:
    _, roles = manual
    fd = chokepoint.open_node(roles.capture)
    try:
        req = v.v4l2_requestbuffers(count=3, type=v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
                                    memory=MMAP, capabilities=0x1234)
        with pytest.raises(OSError):
            chokepoint.ioctl(fd, v.VIDIOC_REQBUFS, req)
        assert (req.count, req.capabilities) == (3, 0x1234)
        with pytest.raises(OSError) as err:
            chokepoint.ioctl(fd, 0xDEAD, None)
        assert err.value.errno == errno.ENOTTY
    finally:
        chokepoint.close_fd(fd)


def test_m2m_job_takes_transtime_and_copies_timestamps(
    manual: tuple[ManualClock, Roles],
) -> None:
    clock, roles = manual
    with VideoDevice(roles.m2m) as dev:
        dev.request_buffers(OUT, MMAP, 1)
        dev.request_buffers(CAP, MMAP, 1)
        dev.queue_buffer(CAP, 0)
        out = v.v4l2_buffer(index=0, type=OUT, memory=MMAP, bytesused=614400,
                            flags=v.V4L2_BUF_FLAG_KEYFRAME)
        out.timestamp.tv_sec, out.timestamp.tv_usec = 12, 345678
        chokepoint.ioctl(dev.fd, v.VIDIOC_QBUF, out)
        dev.stream_on(CAP)
        dev.stream_on(OUT)
        clock.advance(0.039)
        assert not _readable(dev.fd)
        clock.advance(0.002)
        cap = v.v4l2_buffer(type=CAP, memory=MMAP)
        chokepoint.ioctl(dev.fd, v.VIDIOC_DQBUF, cap)
        assert (cap.timestamp.tv_sec, cap.timestamp.tv_usec) == (12, 345678)
        assert cap.flags & v.V4L2_BUF_FLAG_KEYFRAME and cap.bytesused == 614400
        assert cap.flags & v.V4L2_BUF_FLAG_TIMESTAMP_MASK == v.V4L2_BUF_FLAG_TIMESTAMP_COPY


def test_shutdown_leaves_no_thread_or_fd() -> None:
    """Streaming on the real clock, then shutdown with the device still open."""
    from core.virtual import RealClock

    fds = set(os.listdir("/proc/self/fd"))
    threads = set(threading.enumerate())
    backend, roles = scenario_board(RealClock())
    backend.install()
    dev = VideoDevice(roles.capture)
    dev.request_buffers(CAP, MMAP, 2)
    dev.queue_buffer(CAP, 0)
    dev.stream_on(CAP)
    backend.shutdown()
    dev._fd = -1  # the backend closed it; the object must not close a reused number
    for thread in set(threading.enumerate()) - threads:
        thread.join(2.0)
    assert set(threading.enumerate()) <= threads
    assert set(os.listdir("/proc/self/fd")) == fds


def test_backend_paths(manual: tuple[ManualClock, Roles]) -> None:
    _, roles = manual
    backend = chokepoint.backend_for_path(roles.capture)
    assert isinstance(backend, VirtualBackend)
    facts = {f.path: f for f in backend.nodes()}
    assert facts[roles.capture].name == "vivid-000-vid-cap"
    assert facts[roles.demux].driver == "vidtv"
    assert roles.capture in backend.list_nodes() and "/dev/udmabuf" not in backend.list_nodes()
    with pytest.raises(OSError) as err:
        backend.open("/dev/video99", os.O_RDWR)
    assert err.value.errno == errno.ENOENT
