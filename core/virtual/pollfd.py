"""The real file descriptor an application gets when it opens a virtual node.

An application polls a video node for POLLIN (a capture buffer is done) and POLLOUT (an
output buffer is done), and vb2 reports exactly those, nothing else (``vb2_core_poll``).
An eventfd cannot do that: it is always writable.  So a virtual node's fd is one end of
an ``AF_UNIX`` stream socketpair whose other end the backend keeps:

* readable: the backend wrote a byte into the application's receive queue;
* not writable: the backend filled the application's (tiny) send buffer with bytes that
  sit unread on its own end; draining them makes the fd writable again.

Both ends are real kernel objects, so ``poll``/``select``/``epoll`` (and a blocked
``poll`` in another thread) behave as on a real node.  vb2's EPOLLERR conditions (not
streaming, queue error) cannot be raised on a socket; :class:`PollFd` reports them as
readable (and writable for output queues), which makes the next DQBUF return the
errno that explains them, as it does on a real node.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import socket
import threading

_FILL_LIMIT = 64  # sends needed to fill a minimal send buffer: 2 on Linux 6.x


class PollFd:
    """A socketpair whose application end is readable/writable when we say so."""

    def __init__(self, flags: int) -> None:
        app, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # The smallest send buffer: two one-byte sends make the application end
        # unwritable.
        app.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)
        app.setblocking(not flags & os.O_NONBLOCK)
        peer.setblocking(False)
        if not flags & os.O_CLOEXEC:
            app.set_inheritable(True)
        self._app = app
        self._peer = peer
        self._lock = threading.Lock()
        self._readable = False
        self._writable = True
        self._hung_up = False
        self.fd = app.fileno()

    @property
    def nonblocking(self) -> bool:
        """O_NONBLOCK as the fd has it now (fcntl(F_SETFL) can change it after open)."""
        try:
            return bool(fcntl.fcntl(self.fd, fcntl.F_GETFL) & os.O_NONBLOCK)
        except OSError:
            return True

    def set(self, *, readable: bool, writable: bool) -> None:
        """Make the application's fd poll as requested."""
        with self._lock:
            if self.fd < 0 or self._hung_up:
                return
            if readable != self._readable:
                if readable:
                    self._peer.send(b"\0")
                else:
                    _drain(self._app)
                self._readable = readable
            if writable != self._writable:
                if writable:
                    _drain(self._peer)
                else:
                    self._fill()
                self._writable = writable

    def _fill(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLOUT)
        for _ in range(_FILL_LIMIT):
            if not poller.poll(0):
                return
            try:
                self._app.send(b"\0", socket.MSG_DONTWAIT)
            except BlockingIOError:
                return

    @property
    def hung_up(self) -> bool:
        return self._hung_up

    def hang_up(self) -> None:
        """The device went away: the fd polls POLLHUP (with POLLIN) from now on, as
        v4l2_poll answers EPOLLERR | EPOLLHUP for an unregistered video device."""
        with self._lock:
            if self.fd < 0 or self._hung_up:
                return
            self._hung_up = True
            with contextlib.suppress(OSError):
                self._peer.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._app.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Close both ends (the application's fd number becomes free)."""
        with self._lock:
            if self.fd < 0:
                return
            self.fd = -1
            self._app.close()
            self._peer.close()


def _drain(sock: socket.socket) -> None:
    with contextlib.suppress(BlockingIOError, InterruptedError):
        while sock.recv(4096, socket.MSG_DONTWAIT):
            pass


__all__ = ["PollFd"]
