"""The chokepoint: tracing and backend dispatch."""

from __future__ import annotations

import ctypes
import errno
import mmap
import os

import pytest

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.facts import NodeKind


class _EchoBackend:
    """The smallest Backend: QUERYCAP answers 'echo', anything else is ENOTTY."""

    def __init__(self) -> None:
        self.closed: list[int] = []

    def owns_path(self, path: str) -> bool:
        return path == "/dev/echo0"

    def node_kind(self, path: str) -> NodeKind:
        return NodeKind(path, "character device", 81, 0, "video4linux", "video4linux/echo0",
                        "video4linux")

    def open(self, path: str, flags: int) -> int:
        return os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)

    def ioctl(self, fd: int, request: int, arg: object) -> int:
        if request == v.VIDIOC_QUERYCAP:
            assert isinstance(arg, v.v4l2_capability)
            arg.driver = b"echo"
            return 0
        raise OSError(errno.ENOTTY, os.strerror(errno.ENOTTY))

    def mmap(self, fd: int, length: int, prot: int, offset: int) -> mmap.mmap:
        return mmap.mmap(-1, length)

    def close(self, fd: int) -> None:
        self.closed.append(fd)
        os.close(fd)


@pytest.fixture
def backend():
    b = _EchoBackend()
    chokepoint.install_backend(b)
    yield b
    chokepoint.uninstall_backend(b)


def test_virtual_fd_dispatch_and_trace(backend: _EchoBackend) -> None:
    entries: list[chokepoint.TraceEntry] = []
    chokepoint.add_tracer(entries.append)
    try:
        fd = chokepoint.open_node("/dev/echo0")
        assert chokepoint.is_virtual(fd) and chokepoint.path_of(fd) == "/dev/echo0"
        cap = v.v4l2_capability()
        chokepoint.ioctl(fd, v.VIDIOC_QUERYCAP, cap)
        with pytest.raises(OSError) as exc:
            chokepoint.ioctl(fd, v.VIDIOC_STREAMON, ctypes.c_int(1))
        assert exc.value.errno == errno.ENOTTY
        chokepoint.close_fd(fd)
    finally:
        chokepoint.remove_tracer(entries.append)
    assert v.cstr(cap.driver) == "echo"
    assert [e.ioctl for e in entries] == ["VIDIOC_QUERYCAP", "VIDIOC_STREAMON"]
    assert entries[0].ok and entries[0].path == "/dev/echo0" and "echo" in entries[0].summary
    assert entries[1].errno == errno.ENOTTY and entries[1].as_dict()["errno_name"] == "ENOTTY"
    assert backend.closed == [fd] and not chokepoint.is_virtual(fd)


def test_real_fd_error_is_raw_oserror() -> None:
    """Below the device objects errors stay OSError with the kernel's errno."""
    fd = os.open("/dev/null", os.O_RDWR)
    try:
        with pytest.raises(OSError) as exc:
            chokepoint.ioctl(fd, v.VIDIOC_QUERYCAP, v.v4l2_capability())
        assert exc.value.errno == errno.ENOTTY
    finally:
        os.close(fd)


def test_no_tracer_no_cost() -> None:
    """Without a tracer nothing is recorded (the streaming hot path pays nothing)."""
    assert not chokepoint._tracers


def test_untraced_requests_are_skipped_only_in_their_thread(backend: _EchoBackend) -> None:
    """A thread can stop tracing chosen ioctls (a free-running stream's per-frame ones);
    other threads and other ioctls are still traced."""
    import threading

    entries: list[chokepoint.TraceEntry] = []
    chokepoint.add_tracer(entries.append)
    fd = chokepoint.open_node("/dev/echo0")
    try:
        def quiet_thread() -> None:
            chokepoint.untrace_in_thread(frozenset({v.VIDIOC_QUERYCAP}))
            try:
                chokepoint.ioctl(fd, v.VIDIOC_QUERYCAP, v.v4l2_capability())
                with pytest.raises(OSError):
                    chokepoint.ioctl(fd, v.VIDIOC_STREAMON, ctypes.c_int(1))
            finally:
                chokepoint.untrace_in_thread()

        worker = threading.Thread(target=quiet_thread)
        worker.start()
        worker.join()
        chokepoint.ioctl(fd, v.VIDIOC_QUERYCAP, v.v4l2_capability())
    finally:
        chokepoint.close_fd(fd)
        chokepoint.remove_tracer(entries.append)
    assert [e.ioctl for e in entries] == ["VIDIOC_STREAMON", "VIDIOC_QUERYCAP"]
