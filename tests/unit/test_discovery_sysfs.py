"""The no-libudev fallback on a fake sysfs tree, and hotplug events built on it.

The tree mimics what the test kernel shows: vivid's nodes under
``/devices/platform/vivid.0``, vidtv's DVB nodes under its own ``i2c-0`` adapter, its
media node on the platform device, a USB camera whose nodes hang off an interface,
and a parentless v4l2loopback node.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from core.discovery import (
    SOURCE_SYSFS,
    SOURCE_UDEV,
    SOURCE_UDEV_KERNEL,
    HotplugEvent,
    Watcher,
    discover,
    sysfs,
)
from core.discovery.watcher import EventTracker
from core.nodes import NodeInfo

USB_IF = "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0"


class Tree:
    """Builds directories, uevent files and links the way the kernel lays them out."""

    def __init__(self, root: Path) -> None:
        self.sys = root / "sys"
        self.dev = root / "dev"
        self.dev.mkdir(parents=True)
        for bus in ("platform", "usb", "pci", "i2c", "media"):
            (self.sys / "bus" / bus / "drivers").mkdir(parents=True)
        for cls in ("video4linux", "dvb"):
            (self.sys / "class" / cls).mkdir(parents=True)
        (self.sys / "bus" / "media" / "devices").mkdir()

    def device(
        self, devpath: str, uevent: str = "", subsystem: str = "", driver: str = "", **attrs: str
    ) -> Path:
        d = self.sys / devpath.lstrip("/")
        d.mkdir(parents=True, exist_ok=True)
        (d / "uevent").write_text(uevent)
        if subsystem:
            target = {"video4linux": "class/video4linux", "dvb": "class/dvb"}.get(
                subsystem, f"bus/{subsystem}"
            )
            os.symlink(os.path.relpath(self.sys / target, d), d / "subsystem")
        if driver:
            drv = self.sys / "bus" / subsystem / "drivers" / driver
            drv.mkdir(parents=True, exist_ok=True)
            os.symlink(os.path.relpath(drv, d), d / "driver")
        for name, value in attrs.items():
            (d / name).write_text(value + "\n")
        return d

    def node(
        self,
        devpath: str,
        subsystem: str,
        devname: str,
        major: int,
        minor: int,
        extra: str = "",
        **attrs: str,
    ) -> None:
        uevent = f"MAJOR={major}\nMINOR={minor}\nDEVNAME={devname}\n{extra}"
        d = self.device(devpath, uevent, subsystem, **attrs)
        listing = {
            "video4linux": "class/video4linux",
            "dvb": "class/dvb",
            "media": "bus/media/devices",
        }[subsystem]
        link = self.sys / listing / d.name
        os.symlink(os.path.relpath(d, link.parent), link)
        node = self.dev / devname
        node.parent.mkdir(parents=True, exist_ok=True)
        node.touch()

    def by_path(self, name: str, devname: str) -> None:
        d = self.dev / "v4l" / "by-path"
        d.mkdir(parents=True, exist_ok=True)
        os.symlink(f"../../{devname}", d / name)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    t = Tree(tmp_path)
    t.device("/devices/platform")
    t.device(
        "/devices/platform/vivid.0", "DRIVER=vivid\nMODALIAS=platform:vivid\n", "platform", "vivid"
    )
    t.node(
        "/devices/platform/vivid.0/video4linux/video7",
        "video4linux",
        "video7",
        81,
        15,
        name="vivid-000-vid-cap",
        index="0",
    )
    t.node(
        "/devices/platform/vivid.0/video4linux/video9",
        "video4linux",
        "video9",
        81,
        22,
        name="vivid-000-meta-cap",
        index="7",
    )
    t.node("/devices/platform/vivid.0/media4", "media", "media4", 252, 4, model="vivid")
    t.by_path("platform-vivid.0-video-index0", "video7")
    t.device("/devices/platform/vidtv.0", "DRIVER=vidtv\n", "platform", "vidtv")
    t.device("/devices/platform/vidtv.0/i2c-0", "", "i2c")  # no DEVTYPE on 6.1
    for minor, devtype in enumerate(("frontend", "demux", "dvr")):
        t.node(
            f"/devices/platform/vidtv.0/i2c-0/dvb/dvb0.{devtype}0",
            "dvb",
            f"dvb/adapter0/{devtype}0",
            212,
            minor,
            f"DVB_ADAPTER_NUM=0\nDVB_DEVICE_TYPE={devtype}\nDVB_DEVICE_NUM=0\n",
        )
    t.node("/devices/platform/vidtv.0/media0", "media", "media0", 252, 0, model="vidtv")
    t.device("/devices/pci0000:00", "")
    t.device("/devices/pci0000:00/0000:00:14.0", "DRIVER=xhci_hcd\n", "pci", "xhci_hcd")
    t.device("/devices/pci0000:00/0000:00:14.0/usb1", "DEVTYPE=usb_device\n", "usb", "usb")
    t.device(
        "/devices/pci0000:00/0000:00:14.0/usb1/1-1",
        "DEVTYPE=usb_device\nDRIVER=usb\n",
        "usb",
        "usb",
    )
    t.device(USB_IF, "DEVTYPE=usb_interface\nDRIVER=uvcvideo\n", "usb", "uvcvideo")
    t.node(
        f"{USB_IF}/video4linux/video0", "video4linux", "video0", 81, 0, name="HD Webcam", index="0"
    )
    t.node(
        f"{USB_IF}/video4linux/video1", "video4linux", "video1", 81, 1, name="HD Webcam", index="1"
    )
    t.node(f"{USB_IF}/media9", "media", "media9", 252, 9, model="HD Webcam")
    t.device("/devices/virtual", "")
    t.node(
        "/devices/virtual/video4linux/video20",
        "video4linux",
        "video20",
        81,
        20,
        name="Dummy video device (0x0000)",
        index="0",
    )
    return t


def fake_describe(tree: Tree):
    """QUERYCAP answers for the fake nodes (paths under the tree's dev root)."""
    table = {  # sysfs name, subsystem, kind, driver, card, bus_info
        "video7": (
            "vivid-000-vid-cap",
            "video4linux",
            "video-capture",
            "vivid",
            "vivid",
            "platform:vivid-000",
        ),
        "video9": (
            "vivid-000-meta-cap",
            "video4linux",
            "meta-capture",
            "vivid",
            "vivid",
            "platform:vivid-000",
        ),
        "media4": ("vivid", "media", "media", "vivid", "vivid", "platform:vivid-000"),
        "media0": ("vidtv", "media", "media", "vidtv", "vidtv", "platform:vidtv"),
        "video0": (
            "HD Webcam",
            "video4linux",
            "video-capture",
            "uvcvideo",
            "HD Webcam",
            "usb-0000:00:14.0-1",
        ),
        "video1": (
            "HD Webcam",
            "video4linux",
            "meta-capture",
            "uvcvideo",
            "HD Webcam",
            "usb-0000:00:14.0-1",
        ),
        "media9": ("HD Webcam", "media", "media", "uvcvideo", "HD Webcam", "usb-0000:00:14.0-1"),
        "video20": (
            "Dummy video device (0x0000)",
            "video4linux",
            "video-capture",
            "v4l2 loopback",
            "Dummy",
            "platform:v4l2loopback-000",
        ),
    }
    calls: list[str] = []

    def describe(path: str) -> NodeInfo:
        calls.append(path)
        rel = path.rsplit("/dev/", 1)[-1]  # under the fake dev root, or /dev itself
        if rel.startswith("dvb/"):
            devtype = rel.rsplit("/", 1)[1].rstrip("0123456789")
            return NodeInfo(path, "dvb", f"dvb-{devtype}", f"dvb0.{devtype}0")
        name, subsystem, kind, driver, card, bus_info = table[rel]
        return NodeInfo(path, subsystem, kind, name, driver, card, bus_info)

    describe.calls = calls  # type: ignore[attr-defined]
    return describe


def scan(tree: Tree):
    return sysfs.scan(fake_describe(tree), sys_root=str(tree.sys), dev_root=str(tree.dev))


def test_parse_uevent_file():
    assert sysfs.parse_uevent_file("MAJOR=81\nMINOR=15\nDEVNAME=video7\n\nbogus\n") == {
        "MAJOR": "81",
        "MINOR": "15",
        "DEVNAME": "video7",
    }


def test_sysfs_scan_finds_every_node_with_its_identity(tree):
    nodes, parents = scan(tree)
    by_name = {n.sysname: n for n in nodes}
    assert sorted(by_name) == sorted(
        [
            "video7",
            "video9",
            "media4",
            "dvb0.frontend0",
            "dvb0.demux0",
            "dvb0.dvr0",
            "media0",
            "video0",
            "video1",
            "media9",
            "video20",
        ]
    )
    cap = by_name["video7"]
    assert cap.path == f"{tree.dev}/video7"
    assert cap.devpath == "/devices/platform/vivid.0/video4linux/video7"
    assert (cap.kind, cap.driver, cap.name, cap.index) == (
        "video-capture",
        "vivid",
        "vivid-000-vid-cap",
        0,
    )
    assert cap.devnum == (81, 15)
    assert cap.by_path == (f"{tree.dev}/v4l/by-path/platform-vivid.0-video-index0",)
    assert cap.id_path == ""  # ID_PATH is udev's invention
    demux = by_name["dvb0.demux0"]
    assert demux.path == f"{tree.dev}/dvb/adapter0/demux0"
    assert demux.prop("DVB_DEVICE_TYPE") == "demux"
    assert demux.driver == "vidtv"
    assert by_name["video1"].kind == "meta-capture"
    assert parents["/devices/platform/vivid.0"]["DRIVER"] == "vivid"
    assert parents["/devices/pci0000:00/0000:00:14.0/usb1/1-1"]["SUBSYSTEM"] == "usb"


def test_sysfs_discover_groups_like_a_person_would(tree, monkeypatch):
    monkeypatch.setenv("MEDIATUI_NO_LIBUDEV", "1")
    devices = discover(describe=fake_describe(tree), sys_root=str(tree.sys), dev_root=str(tree.dev))
    assert devices.source == SOURCE_SYSFS
    assert devices.notice is not None and "MEDIATUI_NO_LIBUDEV" in devices.notice
    groups = {g.sysname: [n.sysname for n in g.nodes] for g in devices.groups}
    assert groups == {
        "1-1": ["media9", "video0", "video1"],  # one camera, not one interface
        "vidtv.0": ["media0", "dvb0.frontend0", "dvb0.demux0", "dvb0.dvr0"],
        "vivid.0": ["media4", "video7", "video9"],
        "video20": ["video20"],
    }
    camera = next(g for g in devices.groups if g.sysname == "1-1")
    assert (camera.name, camera.subsystem, camera.driver) == ("HD Webcam", "usb", "usb")
    assert [g.sysname for g in devices.groups] == ["1-1", "vidtv.0", "vivid.0", "video20"]


def test_a_board_without_udev_falls_back_to_sysfs(tree, monkeypatch):
    """No udevd has ever run here (no /run/udev): sysfs facts and the links under /dev."""
    monkeypatch.delenv("MEDIATUI_NO_LIBUDEV", raising=False)
    devices = discover(describe=fake_describe(tree), sys_root=str(tree.sys),
                       dev_root=str(tree.dev), udev_root=str(tree.sys.parent / "run-udev"))
    assert devices.source == SOURCE_SYSFS
    assert devices.notice is not None and "run-udev/data missing" in devices.notice
    assert len(devices.nodes) == 11


def test_a_missing_class_directory_is_an_empty_subsystem(tmp_path):
    (tmp_path / "sys").mkdir()
    nodes, parents = sysfs.scan(fake_describe(Tree(tmp_path / "t")), sys_root=str(tmp_path / "sys"))
    assert (nodes, parents) == ([], {})


# --- events from uevents ---------------------------------------------------------------------


def tracker(tree: Tree, describe=None) -> EventTracker:
    t = EventTracker(describe, sys_root=str(tree.sys), dev_root=str(tree.dev))
    t.seed_from_sysfs()
    return t


def kernel_uevent(action: str, devpath: str, subsystem: str, **extra: str) -> dict[str, str]:
    return {"ACTION": action, "DEVPATH": devpath, "SUBSYSTEM": subsystem, "SEQNUM": "4711", **extra}


def test_add_event_carries_the_described_node(tree):
    describe = fake_describe(tree)
    t = tracker(tree, describe)
    assert describe.calls == []  # seeding reads sysfs only: no ioctl at start
    event = t.event(
        kernel_uevent(
            "add",
            "/devices/platform/vivid.0/video4linux/video7",
            "video4linux",
            DEVNAME="video7",
            MAJOR="81",
            MINOR="15",
        ),
        now=12.5,
    )
    assert event is not None
    assert (event.action, event.path, event.kind, event.sysname, event.seqnum) == (
        "add",
        f"{tree.dev}/video7",
        "video-capture",
        "video7",
        4711,
    )
    assert event.timestamp == 12.5
    assert event.node is not None and event.node.name == "vivid-000-vid-cap"
    assert event.node.physical == "/devices/platform/vivid.0"


def test_remove_event_carries_the_devnode_and_the_kind_last_known(tree):
    t = tracker(tree, fake_describe(tree))
    added = t.event(
        kernel_uevent(
            "add", "/devices/platform/vivid.0/video4linux/video9", "video4linux", DEVNAME="video9"
        ),
        now=1.0,
    )
    assert added is not None and added.node is not None and added.node.driver
    event = t.event(
        kernel_uevent(
            "remove",
            "/devices/platform/vivid.0/video4linux/video9",
            "video4linux",
            DEVNAME="video9",
        ),
        now=2.0,
    )
    assert event is not None
    assert (event.action, event.path, event.kind) == (
        "remove",
        f"{tree.dev}/video9",
        "meta-capture",
    )
    # What went away, as the add event described it: name, driver and bus.
    assert event.node is not None
    assert (event.node.name, event.node.driver, event.node.physical) == (
        added.node.name, added.node.driver, "/devices/platform/vivid.0")
    assert event.as_dict()["node"]["driver"] == added.node.driver


def test_remove_of_a_node_known_only_from_sysfs_has_its_name_kind(tree):
    t = tracker(tree)
    event = t.event(
        kernel_uevent(
            "remove",
            "/devices/platform/vidtv.0/i2c-0/dvb/dvb0.dvr0",
            "dvb",
            DEVNAME="dvb/adapter0/dvr0",
        ),
        now=3.0,
    )
    assert event is not None
    assert (event.path, event.kind) == (f"{tree.dev}/dvb/adapter0/dvr0", "dvb-dvr")


def test_unbind_from_udevd_has_no_driver_property_but_we_remember_it(tree):
    t = tracker(tree)
    event = t.event(kernel_uevent("unbind", "/devices/platform/vivid.0", "platform"), now=4.0)
    assert event is not None and event.driver == "vivid"


def test_unbind_is_reported_for_hardware_with_media_nodes_only(tree):
    t = tracker(tree)
    event = t.event(
        kernel_uevent("unbind", "/devices/platform/vivid.0", "platform", DRIVER="vivid"), now=4.0
    )
    assert event is not None
    assert (event.action, event.path, event.kind, event.driver, event.sysname) == (
        "unbind",
        None,
        None,
        "vivid",
        "vivid.0",
    )
    assert (
        t.event(kernel_uevent("unbind", "/devices/platform/serial8250", "platform"), now=4.0)
        is None
    )
    assert t.event(kernel_uevent("add", "/devices/virtual/net/lo", "net"), now=4.0) is None


def test_event_as_dict_is_one_ndjson_record(tree):
    t = tracker(tree, fake_describe(tree))
    event = t.event(
        kernel_uevent("add", "/devices/platform/vivid.0/media4", "media", DEVNAME="media4"), now=5.0
    )
    assert event is not None
    record = event.as_dict()
    assert record["action"] == "add"
    assert record["path"] == f"{tree.dev}/media4"
    assert record["kind"] == "media"
    assert record["node"]["driver"] == "vivid"


# --- the watcher loop ----------------------------------------------------------------------


class FakeSocket:
    """An event source whose fd is a real pipe, so poll() works on it: readable while
    events are queued, like a netlink socket."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()
        self.queue: list[dict[str, str]] = []
        self.overflow = False
        self.closed = False
        self.batches: list[int] = []

    def push(self, *events: dict[str, str], overflow: bool = False) -> None:
        if not self.queue and not self.overflow:
            os.write(self.w, b"x")
        self.queue.extend(events)
        self.overflow = overflow

    def fileno(self) -> int:
        return self.r

    def receive(self, limit: int | None = None) -> tuple[list[dict[str, str]], bool]:
        if not self.queue and not self.overflow:
            self.batches.append(0)
            return [], False
        n = len(self.queue) if limit is None else limit
        events, self.queue = self.queue[:n], self.queue[n:]
        overflow = self.overflow and not self.queue
        if not self.queue:
            self.overflow = False
            os.read(self.r, 1)  # no longer readable
        self.batches.append(len(events))
        return events, overflow

    def close(self) -> None:
        self.closed = True
        os.close(self.r)
        os.close(self.w)


def test_watcher_runs_until_stopped_and_closes_everything(tree):
    sock = FakeSocket()
    watcher = Watcher(
        describe=fake_describe(tree),
        event_socket=sock,
        clock=lambda: 7.0,
        sys_root=str(tree.sys),
        dev_root=str(tree.dev),
        poll_timeout=5.0,
    )
    events: list[HotplugEvent] = []
    got = threading.Event()
    stop = threading.Event()

    def on_event(event: HotplugEvent) -> None:
        events.append(event)
        if len(events) == 6:
            got.set()

    watcher.open()
    thread = threading.Thread(target=watcher.run, args=(stop, on_event))
    thread.start()
    removes = [
        ("/devices/platform/vivid.0/video4linux/video7", "video4linux", "video7"),
        ("/devices/platform/vivid.0/video4linux/video9", "video4linux", "video9"),
        ("/devices/platform/vivid.0/media4", "media", "media4"),
        ("/devices/platform/vidtv.0/i2c-0/dvb/dvb0.dvr0", "dvb", "dvb/adapter0/dvr0"),
    ]
    sock.push(
        *(kernel_uevent("remove", d, s, DEVNAME=n) for d, s, n in removes),
        kernel_uevent("unbind", "/devices/platform/vivid.0", "platform", DRIVER="vivid"),
        kernel_uevent("add", "/devices/virtual/net/lo", "net"),
        overflow=True,
    )
    assert got.wait(5)
    assert [(e.action, e.path, e.kind) for e in events] == [
        ("remove", f"{tree.dev}/video7", "video"),
        ("remove", f"{tree.dev}/video9", "video"),
        ("remove", f"{tree.dev}/media4", "media"),
        ("remove", f"{tree.dev}/dvb/adapter0/dvr0", "dvb-dvr"),
        ("unbind", None, None),
        ("resync", None, None),
    ]
    # One message at a time, so each is stamped when it was read.
    assert max(sock.batches) == 1 and sum(sock.batches) == 6
    assert all(e.timestamp == 7.0 for e in events)
    # The poll timeout is 5 s here: only the wake fd can end the loop this fast.
    start = time.monotonic()
    stop.set()
    watcher.wake()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - start < 1.0
    assert sock.closed
    watcher.close()  # idempotent


def test_watcher_notices_stop_within_its_poll_timeout(tree):
    sock = FakeSocket()
    watcher = Watcher(event_socket=sock, sys_root=str(tree.sys), dev_root=str(tree.dev))
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop, lambda e: None))
    thread.start()
    time.sleep(0.05)
    start = time.monotonic()
    stop.set()  # no wake(): the 100 ms poll timeout must do
    thread.join(2)
    assert not thread.is_alive()
    assert time.monotonic() - start < 0.5
    assert sock.closed


def test_watcher_read_events_without_a_thread(tree):
    """The asyncio / Textual way: add_reader(fileno) and read_events when readable."""
    sock = FakeSocket()
    with Watcher(
        event_socket=sock,
        describe=fake_describe(tree),
        sys_root=str(tree.sys),
        dev_root=str(tree.dev),
    ) as watcher:
        assert watcher.fileno() == sock.r
        sock.push(
            kernel_uevent("add", "/devices/platform/vidtv.0/media0", "media", DEVNAME="media0")
        )
        (event,) = watcher.read_events()
        assert (event.action, event.kind, event.node.card) == ("add", "media", "vidtv")
    assert sock.closed


def test_a_failing_socket_ends_run_with_its_error_and_closes(tree):
    class Broken(FakeSocket):
        def receive(self, limit=None):
            raise OSError(errno.EBADF, "socket went away")

    sock = Broken()
    watcher = Watcher(event_socket=sock, sys_root=str(tree.sys), dev_root=str(tree.dev))
    watcher.open()
    sock.push(kernel_uevent("add", "/devices/platform/vivid.0/media4", "media"))
    with pytest.raises(OSError, match="socket went away"):
        watcher.run(threading.Event(), lambda e: None)
    assert sock.closed


def test_an_on_event_error_stops_the_reader_and_closes(tree):
    sock = FakeSocket()
    watcher = Watcher(
        event_socket=sock,
        describe=fake_describe(tree),
        sys_root=str(tree.sys),
        dev_root=str(tree.dev),
    )
    watcher.open()
    sock.push(kernel_uevent("add", "/devices/platform/vivid.0/media4", "media", DEVNAME="media4"))

    def on_event(event: HotplugEvent) -> None:
        raise RuntimeError("UI went away")

    with pytest.raises(RuntimeError, match="UI went away"):
        watcher.run(threading.Event(), on_event)
    assert sock.closed
    assert not [t for t in threading.enumerate() if t.name == "uevent-reader"]


# --- udevd's database --------------------------------------------------------------------


def udev_run_dir(tree: Tree, *, control: bool) -> tuple[Path, socket.socket | None]:
    """A /run/udev with udevd's records of video7 (81:15) and the demux (212:1), and
    with ``control`` its control socket (a real AF_UNIX socket, bound and listening as
    udevd's is; the caller closes it)."""
    run = tree.sys.parent / "run-udev"
    (run / "data").mkdir(parents=True)
    (run / "data" / "c81:15").write_text(
        "S:v4l/by-path/platform-vivid.0-video-index0\n"
        "S:v4l/by-id/vivid-video-index0\n"
        "I:5628091\n"
        "E:ID_PATH=platform-vivid.0\n"
        "E:ID_V4L_CAPABILITIES=:capture:\n"
        "E:ID_FOR_SEAT=video4linux-platform-vivid_0\n"
        "G:uaccess\nQ:uaccess\nV:1\n"
    )
    (run / "data" / "c212:1").write_text("E:ID_PATH=platform-vidtv.0\nV:1\n")
    if not control:
        return run, None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.bind(str(run / "control"))
    sock.listen()
    return run, sock


def test_udevd_database_gives_udevs_properties_and_links(tree, monkeypatch):
    """The E: properties udevd's rules added and its S: links (relative to /dev), read
    from /run/udev/data/c<major>:<minor>, the file libudev reads; the kernel's keys
    still come from sysfs, and udev keys we do not show stay out."""
    monkeypatch.delenv("MEDIATUI_NO_LIBUDEV", raising=False)
    run, sock = udev_run_dir(tree, control=True)
    assert sock is not None
    with sock:
        devices = discover(describe=fake_describe(tree), sys_root=str(tree.sys),
                           dev_root=str(tree.dev), udev_root=str(run))
    assert (devices.source, devices.notice) == (SOURCE_UDEV, None)
    cap = devices.find(f"{tree.dev}/video7")
    assert cap is not None
    assert cap.id_path == "platform-vivid.0"
    assert cap.prop("ID_V4L_CAPABILITIES") == ":capture:"
    assert "ID_FOR_SEAT" not in dict(cap.udev)
    assert cap.by_path == (f"{tree.dev}/v4l/by-path/platform-vivid.0-video-index0",)
    demux = devices.find(f"{tree.dev}/dvb/adapter0/demux0")
    assert demux is not None and demux.devnum == (212, 1)
    assert (demux.id_path, demux.prop("DVB_DEVICE_TYPE")) == ("platform-vidtv.0", "demux")
    # No record (udevd has not processed it): sysfs facts only, no links from /dev.
    meta = devices.find(f"{tree.dev}/video9")
    assert meta is not None and (meta.id_path, meta.by_path) == ("", ())


def test_without_udevds_control_socket_the_source_says_no_udevd(tree, monkeypatch):
    """udevd stopped (its control socket gone): what it recorded is still read, as
    libudev does, and the source says udevd is not running."""
    monkeypatch.delenv("MEDIATUI_NO_LIBUDEV", raising=False)
    run, _ = udev_run_dir(tree, control=False)
    devices = discover(describe=fake_describe(tree), sys_root=str(tree.sys),
                       dev_root=str(tree.dev), udev_root=str(run))
    assert devices.source == SOURCE_UDEV_KERNEL
    cap = devices.find(f"{tree.dev}/video7")
    assert cap is not None and cap.id_path == "platform-vivid.0"


def test_a_control_socket_nobody_listens_on_is_no_udevd(tree):
    """`udevadm control --exit` leaves /run/udev/control behind (kernel tier): the
    kernel's socket table says nobody listens on it any more."""
    from core.discovery.udevdb import udevd_control

    run, sock = udev_run_dir(tree, control=True)
    assert sock is not None
    with sock:
        assert udevd_control(str(run))
    assert (run / "control").is_socket()
    assert not udevd_control(str(run))
    # Where /proc/net/unix cannot be read, the socket file decides (libudev's test).
    assert udevd_control(str(run), proc_net_unix=str(run / "absent"))


def test_parse_db_keeps_values_with_equals_signs_and_skips_bookkeeping():
    from core.discovery.udevdb import parse_db

    assert parse_db("E:ID_SERIAL=a=b\nI:1\nS:v4l/by-id/x\nE:bogus\nL:0\n", "/dev") == {
        "ID_SERIAL": "a=b",
        "DEVLINKS": "/dev/v4l/by-id/x",
    }
