"""Streaming: QBUF/DQBUF state rules, blocking and non-blocking DQBUF, poll, STREAMOFF."""

from __future__ import annotations

import errno
import itertools
import time

from core.abi import v4l2 as v
from core.video import VideoDevice
from scenarios import Rig, scenario
from scenarios.helpers import (
    CAP,
    MMAP,
    OUT,
    dequeue_wait,
    expect_error,
    set_fast,
    wait_readable,
    wait_writable,
)


def _streaming(dev: VideoDevice, count: int = 3) -> int:
    set_fast(dev, CAP)
    n = dev.request_buffers(CAP, MMAP, count).granted
    for i in range(n):
        dev.queue_buffer(CAP, i)
    dev.stream_on(CAP)
    return n


@scenario
def scenario_qbuf_twice_einval(rig: Rig) -> None:
    """Queueing a buffer that is already queued gives EINVAL, explained by its state."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        dev.queue_buffer(CAP, 0)
        with expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF") as e:
            dev.queue_buffer(CAP, 0)
        assert "queued" in e.value.title


@scenario
def scenario_qbuf_bad_index(rig: Rig) -> None:
    """QBUF with an index past the allocated buffers gives EINVAL."""
    with VideoDevice(rig.capture) as dev:
        n = dev.request_buffers(CAP, MMAP, 2).granted
        with expect_error(errno.EINVAL, ioctl="VIDIOC_QBUF"):
            dev.queue_buffer(CAP, n)


@scenario
def scenario_dqbuf_not_streaming_einval(rig: Rig) -> None:
    """DQBUF before STREAMON gives EINVAL: the queue is not streaming."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        dev.queue_buffer(CAP, 0)
        with expect_error(errno.EINVAL, ioctl="VIDIOC_DQBUF") as e:
            dev.dequeue_buffer(CAP)
        assert "not streaming" in e.value.title


@scenario
def scenario_dqbuf_nonblocking_eagain(rig: Rig) -> None:
    """Non-blocking DQBUF with nothing done (no buffer queued) gives EAGAIN at once."""
    with VideoDevice(rig.capture) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        dev.queue_buffer(CAP, 0)
        dev.queue_buffer(CAP, 1)
        dev.stream_on(CAP)
        # Take both buffers back: nothing is queued, so nothing can complete.
        dequeue_wait(dev, CAP)
        dequeue_wait(dev, CAP)
        start = time.monotonic()
        with expect_error(errno.EAGAIN, ioctl="VIDIOC_DQBUF"):
            dev.dequeue_buffer(CAP)
        assert time.monotonic() - start < 0.5
        dev.stream_off(CAP)


@scenario
def scenario_poll_signals_done_buffer(rig: Rig) -> None:
    """poll() reports POLLIN when a capture buffer is done, and DQBUF then succeeds."""
    with VideoDevice(rig.capture) as dev:
        _streaming(dev)
        assert wait_readable(dev.fd, 10.0), "poll() never reported a done buffer"
        done = dev.dequeue_buffer(CAP)
        assert done.status == "dequeued" and done.bytesused > 0
        dev.stream_off(CAP)


@scenario
def scenario_poll_output_writable(rig: Rig) -> None:
    """A streaming output queue polls writable (POLLOUT) once a buffer is done."""
    with VideoDevice(rig.output) as dev:
        set_fast(dev, OUT)
        n = dev.request_buffers(OUT, MMAP, 2).granted
        for i in range(n):
            dev.queue_buffer(OUT, i)
        dev.stream_on(OUT)
        assert wait_writable(dev.fd, 10.0), "an output buffer should complete"
        done = dequeue_wait(dev, OUT)
        assert done.index in range(n)
        dev.stream_off(OUT)


@scenario
def scenario_sequence_and_timestamps_increase(rig: Rig) -> None:
    """Sequence numbers and timestamps never go backwards (TIMESTAMP_MONOTONIC)."""
    with VideoDevice(rig.capture) as dev:
        _streaming(dev, 4)
        seqs, stamps = [], []
        for _ in range(10):
            done = dequeue_wait(dev, CAP)
            seqs.append(done.sequence)
            stamps.append(done.timestamp)
            ts_type = done.flags & v.V4L2_BUF_FLAG_TIMESTAMP_MASK
            assert ts_type == v.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC
            dev.queue_buffer(CAP, done.index)
        # Never backwards; a late vivid may repeat one value (see expbuf scenarios).
        assert seqs == sorted(seqs) and seqs[-1] > seqs[0], seqs
        assert all(b >= a for a, b in itertools.pairwise(stamps)) and stamps[-1] > stamps[0]
        dev.stream_off(CAP)


@scenario
def scenario_streamoff_returns_all_buffers(rig: Rig) -> None:
    """STREAMOFF returns every buffer to the application, dropping done frames."""
    with VideoDevice(rig.capture) as dev:
        n = _streaming(dev, 4)
        assert wait_readable(dev.fd, 10.0)
        dev.stream_off(CAP)
        states = dev.query_all(CAP)
        assert len(states) == n
        assert all(s.status == "dequeued" for s in states), [s.status for s in states]
        assert not dev.queue_state(CAP).streaming


@scenario
def scenario_streamoff_then_requeue_restarts(rig: Rig) -> None:
    """After STREAMOFF, buffers can be queued again and streaming restarts."""
    with VideoDevice(rig.capture) as dev:
        n = _streaming(dev, 3)
        dequeue_wait(dev, CAP)
        dev.stream_off(CAP)
        for i in range(n):
            dev.queue_buffer(CAP, i)
        dev.stream_on(CAP)
        assert dequeue_wait(dev, CAP).bytesused > 0
        dev.stream_off(CAP)


@scenario
def scenario_reqbufs_while_streaming_busy(rig: Rig) -> None:
    """REQBUFS while streaming gives EBUSY, explained as streaming."""
    with VideoDevice(rig.capture) as dev:
        _streaming(dev)
        with expect_error(errno.EBUSY, ioctl="VIDIOC_REQBUFS") as e:
            dev.request_buffers(CAP, MMAP, 2)
        assert "streaming" in e.value.title
        dev.stream_off(CAP)


@scenario
def scenario_querybuf_flags_follow_state(rig: Rig) -> None:
    """QUERYBUF flags: QUEUED after QBUF, DONE when filled, neither after DQBUF."""
    with VideoDevice(rig.capture) as dev:
        _streaming(dev, 3)
        assert dev.query_buffer(CAP, 2).status in ("queued", "done")
        done = dequeue_wait(dev, CAP)
        assert dev.query_buffer(CAP, done.index).status == "dequeued"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            states = dev.query_all(CAP)
            if any(s.status == "done" for s in states):
                break
            time.sleep(0.02)
        assert any(s.status == "done" for s in states), [s.status for s in states]
        dev.stream_off(CAP)


@scenario
def scenario_m2m_output_to_capture(rig: Rig) -> None:
    """mem2mem: a frame queued on OUTPUT comes back processed on CAPTURE."""
    with VideoDevice(rig.m2m) as dev:
        out_n = dev.request_buffers(OUT, MMAP, 2).granted
        cap_n = dev.request_buffers(CAP, MMAP, 2).granted
        for i in range(cap_n):
            dev.queue_buffer(CAP, i)
        for i in range(out_n):
            dev.queue_buffer(OUT, i)
        dev.stream_on(CAP)
        dev.stream_on(OUT)
        done = dequeue_wait(dev, CAP)
        assert done.bytesused > 0
        src = dequeue_wait(dev, OUT)
        assert src.index in range(out_n)
        dev.stream_off(OUT)
        dev.stream_off(CAP)
