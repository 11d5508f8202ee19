"""uevents read from NETLINK_KOBJECT_UEVENT sockets, parsed in Python.

The kernel multicasts every uevent on group 1 of this netlink family, whether or not
udevd runs, as ``action@devpath\\0KEY=VALUE\\0KEY=VALUE...``.  udevd re-broadcasts
each event on group 2 once its rules ran, in libudev's format: a ``libudev\\0``
header (magic 0xfeedcafe) pointing at the same NUL-separated properties, now with
udev's own (ID_PATH, DEVLINKS...).  Joining a uevent multicast group needs no
privilege, so who sent a message is checked: the kernel (netlink port 0) for the
first kind, root (SCM_CREDENTIALS) for the second, as libudev does.
"""

from __future__ import annotations

import errno
import socket
import struct

NETLINK_KOBJECT_UEVENT = 15
KERNEL_GROUP = 1
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; not exported by the socket module

_LIBUDEV_MAGIC = b"libudev\0"
_UDEV_MONITOR_MAGIC = 0xFEEDCAFE  # big-endian on the wire
# struct monitor_netlink_header: prefix, magic, header_size, properties_off,
# properties_len (then filter hashes we do not need).
_UDEV_HEADER = struct.Struct("=8sIIII")
_UCRED = struct.Struct("=iII")  # struct ucred: pid, uid, gid
_MAX_MESSAGE = 16384  # kernel uevents stop at 2048 bytes; udevd's carry more properties
_CMSG_SPACE = socket.CMSG_SPACE(_UCRED.size)


def parse_uevent(data: bytes) -> dict[str, str] | None:
    """The properties of one kernel uevent message, ACTION and DEVPATH included;
    None for anything else (udevd's messages, garbage)."""
    if data.startswith(_LIBUDEV_MAGIC):
        return None
    fields = data.split(b"\0")
    action, sep, devpath = fields[0].partition(b"@")
    if not sep or not action or not devpath.startswith(b"/"):
        return None
    props = _properties(fields[1:])
    props.setdefault("ACTION", action.decode("ascii", "replace"))
    props.setdefault("DEVPATH", devpath.decode("utf-8", "replace"))
    return props


def parse_udev_message(data: bytes) -> dict[str, str] | None:
    """The properties of one message udevd broadcast after its rules ran; None for
    anything that is not a well-formed libudev message."""
    if len(data) < _UDEV_HEADER.size or not data.startswith(_LIBUDEV_MAGIC):
        return None
    if int.from_bytes(data[8:12], "big") != _UDEV_MONITOR_MAGIC:
        return None
    _prefix, _magic, _header_size, offset, length = _UDEV_HEADER.unpack_from(data)
    if offset < _UDEV_HEADER.size or offset + length > len(data):
        return None
    props = _properties(data[offset : offset + length].split(b"\0"))
    return props if "ACTION" in props and "DEVPATH" in props else None


def _properties(fields: list[bytes]) -> dict[str, str]:
    props: dict[str, str] = {}
    for item in fields:
        key, sep, value = item.partition(b"=")
        if sep and key:
            props[key.decode("ascii", "replace")] = value.decode("utf-8", "replace")
    return props


def receive_messages(
    sock: socket.socket, *, kernel: bool, udev: bool, limit: int | None = None
) -> tuple[list[dict[str, str]], bool]:
    """Queued messages (all, or at most ``limit``) from a non-blocking uevent socket,
    oldest first, and whether the queue overflowed (ENOBUFS: some were lost).

    ``kernel``/``udev`` say which kind to accept; the other kind, messages from
    anyone but the kernel or root, and truncated ones are dropped.
    """
    events: list[dict[str, str]] = []
    overflowed = False
    while limit is None or len(events) < limit:
        try:
            data, ancdata, flags, address = sock.recvmsg(_MAX_MESSAGE, _CMSG_SPACE)
        except BlockingIOError:
            break
        except InterruptedError:
            continue
        except OSError as exc:
            if exc.errno == errno.ENOBUFS:
                overflowed = True
                continue
            raise
        if flags & socket.MSG_TRUNC:
            continue
        if data.startswith(_LIBUDEV_MAGIC):
            props = parse_udev_message(data) if udev and _sender_uid(ancdata) == 0 else None
        else:
            # Port 0 is the kernel: any process may send to the multicast group.
            props = parse_uevent(data) if kernel and address[0] == 0 else None
        if props is not None:
            events.append(props)
    return events, overflowed


def _sender_uid(ancdata: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, payload in ancdata:
        if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS) and len(
            payload
        ) >= _UCRED.size:
            uid: int = _UCRED.unpack_from(payload)[1]
            return uid
    return None


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
        return receive_messages(self._sock, kernel=True, udev=False, limit=limit)

    def close(self) -> None:
        """Idempotent."""
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
