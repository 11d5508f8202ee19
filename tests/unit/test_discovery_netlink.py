"""The raw uevent path: parsing fabricated kernel messages and draining the socket."""

from __future__ import annotations

import errno
import socket

import pytest

from core.discovery.netlink import UeventSocket, parse_uevent


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


class FakeNetlink:
    """recvfrom() results in order; then EAGAIN like an empty non-blocking socket."""

    def __init__(self, results) -> None:
        self.results = list(results)
        self.closed = False

    def recvfrom(self, size: int):
        if not self.results:
            raise BlockingIOError(errno.EAGAIN, "empty")
        item = self.results.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.closed = True


def test_receive_drains_keeps_kernel_messages_and_reports_overflow():
    sock = UeventSocket()
    fake = FakeNetlink(
        [
            (VIDEO7_ADD, (0, 1)),
            (kernel_message("add@/devices/forged", "SUBSYSTEM=video4linux"), (4242, 1)),
            OSError(errno.ENOBUFS, "No buffer space available"),
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
