"""The raw uevent path: parsing fabricated kernel messages and draining the socket."""

from __future__ import annotations

import errno
import os
import socket
import struct

import pytest

from core.discovery.netlink import (
    UeventSocket,
    parse_udev_message,
    parse_uevent,
    receive_messages,
)


def kernel_message(header: str, *pairs: str) -> bytes:
    """How lib/kobject_uevent.c lays a message out: header, then KEY=VALUE, NUL-separated."""
    return b"\0".join([header.encode(), *(p.encode() for p in pairs)]) + b"\0"


VIDEO7_ADD = kernel_message(
    "add@/devices/platform/vivid.0/video4linux/video7",
    "ACTION=add",
    "DEVPATH=/devices/platform/vivid.0/video4linux/video7",
    "SUBSYSTEM=video4linux",
    "MAJOR=81",
    "MINOR=15",
    "DEVNAME=video7",
    "SEQNUM=2231",
)


def test_add_message():
    assert parse_uevent(VIDEO7_ADD) == {
        "ACTION": "add",
        "DEVPATH": "/devices/platform/vivid.0/video4linux/video7",
        "SUBSYSTEM": "video4linux",
        "MAJOR": "81",
        "MINOR": "15",
        "DEVNAME": "video7",
        "SEQNUM": "2231",
    }


def test_dvb_remove_message_keeps_the_dvb_properties():
    props = parse_uevent(
        kernel_message(
            "remove@/devices/platform/vidtv.0/i2c-0/dvb/dvb0.demux0",
            "ACTION=remove",
            "DEVPATH=/devices/platform/vidtv.0/i2c-0/dvb/dvb0.demux0",
            "SUBSYSTEM=dvb",
            "DEVNAME=dvb/adapter0/demux0",
            "DVB_ADAPTER_NUM=0",
            "DVB_DEVICE_TYPE=demux",
            "DVB_DEVICE_NUM=0",
            "SEQNUM=2300",
        )
    )
    assert props is not None
    assert (props["ACTION"], props["DVB_DEVICE_TYPE"], props["DEVNAME"]) == (
        "remove",
        "demux",
        "dvb/adapter0/demux0",
    )


def test_bind_message_without_action_property_uses_the_header():
    props = parse_uevent(kernel_message("unbind@/devices/platform/vivid.0", "DRIVER=vivid"))
    assert props == {"DRIVER": "vivid", "ACTION": "unbind", "DEVPATH": "/devices/platform/vivid.0"}


def test_value_with_equals_and_bad_utf8_survive():
    props = parse_uevent(b"change@/devices/x\0KEY=a=b\0NAME=\xff\xfe\0")
    assert props is not None
    assert props["KEY"] == "a=b"
    assert props["NAME"] == "\ufffd\ufffd"


@pytest.mark.parametrize(
    "data",
    [
        b"libudev\0\xfe\xed\xca\xfe" + b"\0" * 32,  # udevd's re-broadcast format
        b"",
        b"garbage without header",
        b"add@relative/path\0ACTION=add\0",
        b"@/devices/x\0",
    ],
)
def test_anything_else_is_rejected(data):
    assert parse_uevent(data) is None


def udev_message(*pairs: str, magic: int = 0xFEEDCAFE) -> bytes:
    """What udevd sends on group 2: libudev's header, then the properties."""
    body = b"\0".join(p.encode() for p in pairs) + b"\0"
    header_size = 40  # prefix, magic, sizes and offsets, filter hashes and tag bloom
    header = struct.pack("=8s", b"libudev") + magic.to_bytes(4, "big")
    header += struct.pack("=III", header_size, header_size, len(body))
    header += b"\0" * (header_size - len(header))
    return header + body


VIDEO7_UDEV = udev_message(
    "ACTION=add",
    "DEVPATH=/devices/platform/vivid.0/video4linux/video7",
    "SUBSYSTEM=video4linux",
    "DEVNAME=/dev/video7",
    "SEQNUM=2231",
    "ID_PATH=platform-vivid.0",
    "DEVLINKS=/dev/v4l/by-path/platform-vivid.0-video-index0",
)


def test_udev_message():
    props = parse_udev_message(VIDEO7_UDEV)
    assert props is not None
    assert props["ACTION"] == "add"
    assert props["DEVNAME"] == "/dev/video7"
    assert props["ID_PATH"] == "platform-vivid.0"
    assert props["DEVLINKS"] == "/dev/v4l/by-path/platform-vivid.0-video-index0"


@pytest.mark.parametrize(
    "data",
    [
        udev_message("ACTION=add", "DEVPATH=/devices/x", magic=0xDEADBEEF),
        VIDEO7_UDEV[:50],  # properties cut off
        udev_message("SUBSYSTEM=video4linux"),  # no ACTION/DEVPATH
        VIDEO7_ADD,  # a kernel message is not udevd's
    ],
)
def test_malformed_udev_messages_are_rejected(data):
    assert parse_udev_message(data) is None


def creds(uid: int) -> list[tuple[int, int, bytes]]:
    return [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack("=iII", 321, uid, 0))]


class FakeNetlink:
    """recvmsg() results in order; then EAGAIN like an empty non-blocking socket."""

    def __init__(self, results) -> None:
        self.results = list(results)
        self.closed = False

    def recvmsg(self, size: int, ancsize: int):
        if not self.results:
            raise BlockingIOError(errno.EAGAIN, "empty")
        item = self.results.pop(0)
        if isinstance(item, BaseException):
            raise item
        data, address, *rest = item
        ancdata = rest[0] if rest else []
        flags = rest[1] if len(rest) > 1 else 0
        return data, ancdata, flags, address

    def close(self) -> None:
        self.closed = True


def test_receive_drains_keeps_kernel_messages_and_reports_overflow():
    sock = UeventSocket()
    fake = FakeNetlink(
        [
            (VIDEO7_ADD, (0, 1)),
            (kernel_message("add@/devices/forged", "SUBSYSTEM=video4linux"), (4242, 1)),
            OSError(errno.ENOBUFS, "No buffer space available"),
            (VIDEO7_UDEV, (321, 2), creds(0)),  # udevd's kind: not what this socket reads
            (kernel_message("remove@/devices/platform/vivid.0/media4", "SUBSYSTEM=media"), (0, 1)),
        ]
    )
    sock._sock = fake  # type: ignore[assignment]
    events, overflowed = sock.receive()
    assert overflowed
    assert [e["DEVPATH"] for e in events] == [
        "/devices/platform/vivid.0/video4linux/video7",  # a user process's forgery is dropped
        "/devices/platform/vivid.0/media4",
    ]
    sock.close()
    sock.close()
    assert fake.closed


def test_udev_messages_count_only_from_root_and_whole():
    fake = FakeNetlink(
        [
            (VIDEO7_UDEV, (321, 2), creds(1000)),  # a user impersonating udevd
            (VIDEO7_UDEV, (321, 2), []),  # no credentials at all
            (VIDEO7_UDEV, (321, 2), creds(0), socket.MSG_TRUNC),
            (VIDEO7_ADD, (0, 1)),  # the kernel's kind: not asked for
            (VIDEO7_UDEV, (321, 2), creds(0)),
        ]
    )
    events, overflowed = receive_messages(fake, kernel=False, udev=True)  # type: ignore[arg-type]
    assert not overflowed
    assert [e["ID_PATH"] for e in events] == ["platform-vivid.0"]


def test_receive_stops_at_the_limit():
    fake = FakeNetlink([(VIDEO7_ADD, (0, 1))] * 3)
    events, _ = receive_messages(fake, kernel=True, udev=False, limit=2)  # type: ignore[arg-type]
    assert len(events) == 2
    assert len(fake.results) == 1


def test_a_real_uevent_socket_opens_and_is_empty_or_readable():
    sock = UeventSocket()
    try:
        sock.open()
    except OSError as exc:  # containers may forbid netlink sockets altogether
        pytest.skip(f"no NETLINK_KOBJECT_UEVENT socket here: {exc}")
    try:
        assert sock.fileno() >= 0
        assert sock.receive()[1] is False
        assert sock._sock is not None
        assert sock._sock.family == socket.AF_NETLINK
    finally:
        sock.close()
    with pytest.raises(ValueError):
        sock.fileno()


def test_a_libudev_kernel_monitor_opens_reads_nothing_and_closes():
    """pyudev sets the socket up; we read it.  (No devices on a build host.)"""
    from core.discovery import udev

    try:
        context = udev.load_context()
    except udev.LibudevUnavailable as exc:
        pytest.skip(str(exc))
    try:
        monitor = udev.UdevMonitor(context, "kernel")
    except OSError as exc:
        pytest.skip(f"no netlink socket here: {exc}")
    fd = monitor.fileno()
    assert fd >= 0
    assert monitor.receive() == ([], False)
    monitor.close()
    with pytest.raises(OSError):
        os.fstat(fd)
