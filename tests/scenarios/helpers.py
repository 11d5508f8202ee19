"""Small helpers shared by scenarios (waiting for buffers, checking errors)."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import time
from collections.abc import Iterator

import pytest

from core.abi import v4l2 as v
from core.errors import MediaError, WouldBlock
from core.video import VideoDevice

CAP = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
CAP_MP = v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
OUT = v.V4L2_BUF_TYPE_VIDEO_OUTPUT
OUT_MP = v.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE
MMAP = v.V4L2_MEMORY_MMAP
USERPTR = v.V4L2_MEMORY_USERPTR
DMABUF = v.V4L2_MEMORY_DMABUF
PAGE = os.sysconf("SC_PAGE_SIZE")


def page_align(n: int) -> int:
    return (n + PAGE - 1) // PAGE * PAGE


def expect_error(err: int, *, ioctl: str | None = None) -> pytest.RaisesContext:
    """``with expect_error(errno.EINVAL, ioctl="VIDIOC_EXPBUF") as info:``"""
    return _ExpectError(err, ioctl)


class _ExpectError:
    def __init__(self, err: int, ioctl: str | None) -> None:
        self.err, self.ioctl = err, ioctl
        self.value: MediaError | None = None

    def __enter__(self) -> _ExpectError:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            raise AssertionError(
                f"expected {errno.errorcode[self.err]} from {self.ioctl or 'the call'}, "
                "but it succeeded"
            )
        if not isinstance(exc, MediaError):
            return False
        assert exc.errno == self.err, (
            f"expected {errno.errorcode[self.err]}, got {exc.errno_name}: {exc}"
        )
        if self.ioctl:
            assert exc.ioctl == self.ioctl, f"error came from {exc.ioctl}, not {self.ioctl}"
        assert exc.title and exc.explanation, "every error must be explained"
        self.value = exc
        return True


def wait_readable(fd: int, timeout: float) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLERR)
    return bool(poller.poll(int(timeout * 1000)))


def wait_writable(fd: int, timeout: float) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLOUT | select.POLLERR)
    return bool(poller.poll(int(timeout * 1000)))


def dequeue_wait(dev: VideoDevice, buf_type: int, timeout: float = 10.0):
    """DQBUF on a non-blocking fd, waiting with poll() up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return dev.dequeue_buffer(buf_type)
        except WouldBlock:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no buffer done on {dev.path} within {timeout} s") from None
            wait_readable(dev.fd, min(left, 0.5))


def set_fast(dev: VideoDevice, buf_type: int, fps: float = 30.0) -> None:
    """vivid starts at 5 fps; scenarios do not need to wait that long."""
    with contextlib.suppress(MediaError):
        dev.set_frame_rate(buf_type, fps)


@contextlib.contextmanager
def fd_count_unchanged() -> Iterator[None]:
    before = set(os.listdir("/proc/self/fd"))
    yield
    after = set(os.listdir("/proc/self/fd"))
    leaked = after - before
    assert not leaked, f"fds leaked: {sorted(leaked)}"
