"""Kernel uevents straight from a NETLINK_KOBJECT_UEVENT socket (no libudev needed).

The kernel multicasts every uevent on group 1 of this netlink family, whether or not
udevd runs, as ``action@devpath\\0KEY=VALUE\\0KEY=VALUE...``.  udevd re-broadcasts
processed events on group 2 in its own "libudev" format; we only bind group 1, but
the parser rejects that format anyway.  Joining a uevent multicast group needs no
privilege.
"""

from __future__ import annotations

import errno
import socket

NETLINK_KOBJECT_UEVENT = 15
KERNEL_GROUP = 1
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; not exported by the socket module

_LIBUDEV_MAGIC = b"libudev\0"
_MAX_UEVENT = 8192  # the kernel caps one uevent at UEVENT_BUFFER_SIZE (2048)


def parse_uevent(data: bytes) -> dict[str, str] | None:
    """The properties of one kernel uevent message, ACTION and DEVPATH included;
    None for anything else (udevd's messages, garbage)."""
    if data.startswith(_LIBUDEV_MAGIC):
        return None
    fields = data.split(b"\0")
    action, sep, devpath = fields[0].partition(b"@")
    if not sep or not action or not devpath.startswith(b"/"):
        return None
    props: dict[str, str] = {}
    for item in fields[1:]:
        key, sep, value = item.partition(b"=")
        if sep and key:
            props[key.decode("ascii", "replace")] = value.decode("utf-8", "replace")
    props.setdefault("ACTION", action.decode("ascii", "replace"))
    props.setdefault("DEVPATH", devpath.decode("utf-8", "replace"))
    return props


class UeventSocket:
    """A non-blocking socket on the kernel's uevent multicast group.

    ``fileno()`` is pollable; ``receive()`` drains what is queued.  A receive queue that
    overflowed (an event storm, or a reader that stalled) loses events: ``receive``
    then reports ``overflowed`` so the caller can rescan.
    """

    def __init__(self, rcvbuf: int = 1 << 20) -> None:
        self._rcvbuf = rcvbuf
        self._sock: socket.socket | None = None

    def open(self) -> None:
        sock = socket.socket(
            socket.AF_NETLINK,
            socket.SOCK_RAW | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK,
            NETLINK_KOBJECT_UEVENT,
        )
        try:
            # A large queue rides out bursts (unbinding a driver with 100 nodes); the
            # forced size needs CAP_NET_ADMIN, the plain one is capped by rmem_max.
            for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
                try:
                    sock.setsockopt(socket.SOL_SOCKET, option, self._rcvbuf)
                    break
                except OSError:
                    continue
            sock.bind((0, KERNEL_GROUP))
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def fileno(self) -> int:
        if self._sock is None:
            raise ValueError("uevent socket is not open")
        return self._sock.fileno()

    def receive(self, limit: int | None = None) -> tuple[list[dict[str, str]], bool]:
        """Queued uevents (all, or at most ``limit``), oldest first, and whether some
        were lost."""
        if self._sock is None:
            raise ValueError("uevent socket is not open")
        events: list[dict[str, str]] = []
        overflowed = False
        while True:
            try:
                data, address = self._sock.recvfrom(_MAX_UEVENT)
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    overflowed = True
                    continue
                raise
            if address[0] != 0:  # not from the kernel: another process could forge it
                continue
            props = parse_uevent(data)
            if props is not None:
                events.append(props)
                if limit is not None and len(events) >= limit:
                    break
        return events, overflowed

    def close(self) -> None:
        """Idempotent."""
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
