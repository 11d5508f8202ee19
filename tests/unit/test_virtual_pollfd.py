"""A virtual node's fd is a real pollable fd: readable/writable exactly when told."""

from __future__ import annotations

import os
import select
import threading
import time

from core.virtual.pollfd import PollFd


def _events(fd: int, mask: int = select.POLLIN | select.POLLOUT) -> int:
    poller = select.poll()
    poller.register(fd, mask)
    result = poller.poll(0)
    return result[0][1] if result else 0


def test_states() -> None:
    pfd = PollFd(os.O_RDWR | os.O_NONBLOCK)
    try:
        assert _events(pfd.fd) == select.POLLOUT  # fresh: writable only
        pfd.set(readable=False, writable=False)
        assert _events(pfd.fd) == 0
        pfd.set(readable=True, writable=False)
        assert _events(pfd.fd) == select.POLLIN
        pfd.set(readable=True, writable=True)
        assert _events(pfd.fd) == select.POLLIN | select.POLLOUT
        pfd.set(readable=False, writable=True)
        assert _events(pfd.fd) == select.POLLOUT
    finally:
        pfd.close()


def test_blocked_poll_wakes_up() -> None:
    """A poll() blocked in another thread returns when the driver completes a buffer."""
    pfd = PollFd(os.O_RDWR)
    pfd.set(readable=False, writable=False)
    woke: list[float] = []

    def wait() -> None:
        start = time.monotonic()
        poller = select.poll()
        poller.register(pfd.fd, select.POLLIN)
        poller.poll(5000)
        woke.append(time.monotonic() - start)

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.05)
    pfd.set(readable=True, writable=False)
    thread.join(5)
    pfd.close()
    assert woke and woke[0] < 2.0


def test_open_flags_are_the_fds() -> None:
    import fcntl

    blocking = PollFd(os.O_RDWR | os.O_CLOEXEC)
    nonblocking = PollFd(os.O_RDWR | os.O_NONBLOCK)
    try:
        assert not blocking.nonblocking and nonblocking.nonblocking
        assert fcntl.fcntl(blocking.fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        # fcntl(F_SETFL) after open changes what DQBUF sees, as on a real node.
        flags = fcntl.fcntl(blocking.fd, fcntl.F_GETFL)
        fcntl.fcntl(blocking.fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        assert blocking.nonblocking
    finally:
        blocking.close()
        nonblocking.close()


def test_close_frees_both_ends() -> None:
    before = set(os.listdir("/proc/self/fd"))
    pfd = PollFd(os.O_RDWR)
    pfd.set(readable=True, writable=False)
    pfd.close()
    pfd.close()  # idempotent
    assert set(os.listdir("/proc/self/fd")) == before
