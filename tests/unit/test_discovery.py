"""Discovery from plain property mappings: node identity, physical device, grouping,
the JSON contract, virtual node sources and udevd detection.

The property dicts below are what ``udevadm info`` printed for the test kernel's
drivers (vivid, vim2m, vidtv) plus a USB camera as uvcvideo registers it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from core import ioctl as chokepoint
from core.discovery import (
    DeviceList,
    DeviceNode,
    discover,
    installed_node_source,
    udevd_running,
)
from core.discovery.identity import (
    group_nodes,
    kind_from_name,
    node_from_properties,
    physical_of,
)
from core.nodes import NodeInfo

# --- what udev and sysfs say --------------------------------------------------------

PLATFORM_ROOT = {"DEVPATH": "/devices/platform"}  # a directory with a uevent, no bus
VIVID = {"DEVPATH": "/devices/platform/vivid.0", "SUBSYSTEM": "platform", "DRIVER": "vivid"}
VIM2M = {"DEVPATH": "/devices/platform/vim2m.0", "SUBSYSTEM": "platform", "DRIVER": "vim2m"}
VIDTV = {"DEVPATH": "/devices/platform/vidtv.0", "SUBSYSTEM": "platform", "DRIVER": "vidtv"}
VIDTV_I2C = {  # 6.1 puts no DEVTYPE in an i2c adapter's uevent
    "DEVPATH": "/devices/platform/vidtv.0/i2c-0",
    "SUBSYSTEM": "i2c",
}
USB_DEV = {
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-1",
    "SUBSYSTEM": "usb",
    "DEVTYPE": "usb_device",
    "DRIVER": "usb",
}
USB_IF = {
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0",
    "SUBSYSTEM": "usb",
    "DEVTYPE": "usb_interface",
    "DRIVER": "uvcvideo",
}
USB_CHAIN = [
    USB_IF,
    USB_DEV,
    {
        "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1",
        "SUBSYSTEM": "usb",
        "DEVTYPE": "usb_device",
    },
]

VIDEO7 = {
    "DEVPATH": "/devices/platform/vivid.0/video4linux/video7",
    "DEVNAME": "/dev/video7",
    "MAJOR": "81",
    "MINOR": "15",
    "SUBSYSTEM": "video4linux",
    "ID_V4L_VERSION": "2",
    "ID_V4L_PRODUCT": "vivid",
    "ID_V4L_CAPABILITIES": ":capture:video_overlay:audio:tuner:",
    "ID_PATH": "platform-vivid.0",
    "ID_PATH_TAG": "platform-vivid_0",
    "ID_FOR_SEAT": "video4linux-platform-vivid_0",
    "DEVLINKS": "/dev/v4l/by-path/platform-vivid.0-video-index0",
    "TAGS": ":uaccess:seat:",
}
VIDEO9_META = {
    **VIDEO7,
    "DEVPATH": "/devices/platform/vivid.0/video4linux/video9",
    "DEVNAME": "/dev/video9",
    "MINOR": "22",
    "ID_V4L_CAPABILITIES": ":audio:tuner:",  # udev does not know metadata nodes
    "DEVLINKS": "/dev/v4l/by-path/platform-vivid.0-video-index7",
}
MEDIA4 = {
    "DEVPATH": "/devices/platform/vivid.0/media4",
    "DEVNAME": "/dev/media4",
    "MAJOR": "252",
    "MINOR": "4",
    "SUBSYSTEM": "media",
    "ID_PATH": "platform-vivid.0",
}
VIDEO3_M2M = {
    "DEVPATH": "/devices/platform/vim2m.0/video4linux/video3",
    "DEVNAME": "/dev/video3",
    "MAJOR": "81",
    "MINOR": "3",
    "SUBSYSTEM": "video4linux",
    "ID_V4L_CAPABILITIES": ":",  # mem2mem: udev sees nothing
    "ID_PATH": "platform-vim2m.0",
}
VBI0 = {
    "DEVPATH": "/devices/platform/vivid.0/video4linux/vbi0",
    "DEVNAME": "/dev/vbi0",
    "MAJOR": "81",
    "MINOR": "17",
    "SUBSYSTEM": "video4linux",
}


def dvb(devtype: str, minor: int) -> dict[str, str]:
    return {
        "DEVPATH": f"/devices/platform/vidtv.0/i2c-0/dvb/dvb0.{devtype}0",
        "DEVNAME": f"/dev/dvb/adapter0/{devtype}0",
        "MAJOR": "212",
        "MINOR": str(minor),
        "SUBSYSTEM": "dvb",
        "DVB_ADAPTER_NUM": "0",
        "DVB_DEVICE_TYPE": devtype,
        "DVB_DEVICE_NUM": "0",
        "ID_PATH": "platform-vidtv.0",
    }


MEDIA0_VIDTV = {
    "DEVPATH": "/devices/platform/vidtv.0/media0",
    "DEVNAME": "/dev/media0",
    "MAJOR": "252",
    "MINOR": "0",
    "SUBSYSTEM": "media",
}

# What QUERYCAP / MEDIA_IOC_DEVICE_INFO answer (core.nodes.describe_node's job).
IDENTITY = {
    "/dev/video7": NodeInfo(
        "/dev/video7",
        "video4linux",
        "video-capture",
        "vivid-000-vid-cap",
        "vivid",
        "vivid",
        "platform:vivid-000",
        0x85208000,
        0x05200001,
    ),
    "/dev/video9": NodeInfo(
        "/dev/video9",
        "video4linux",
        "meta-capture",
        "vivid-000-meta-cap",
        "vivid",
        "vivid",
        "platform:vivid-000",
        0x85208000,
        0x04800000,
    ),
    "/dev/media4": NodeInfo(
        "/dev/media4", "media", "media", "vivid", "vivid", "vivid", "platform:vivid-000"
    ),
    "/dev/video3": NodeInfo(
        "/dev/video3",
        "video4linux",
        "video-m2m",
        "vim2m",
        "vim2m",
        "vim2m",
        "platform:vim2m",
        0x84208000,
        0x04208000,
    ),
    "/dev/vbi0": NodeInfo("/dev/vbi0", "video4linux", "v4l2", error="Permission denied"),
    "/dev/media0": NodeInfo(
        "/dev/media0", "media", "media", "vidtv", "vidtv", "vidtv", "platform:vidtv"
    ),
}


IDENTITY_VIDEO7, IDENTITY_MEDIA4 = IDENTITY["/dev/video7"], IDENTITY["/dev/media4"]


def describe(path: str) -> NodeInfo:
    if path in IDENTITY:
        return IDENTITY[path]
    if "/dvb/" in path:  # describe_node: kind from the name, driver from sysfs (none here)
        devtype = path.rsplit("/", 1)[1].rstrip("0123456789")
        return NodeInfo(path, "dvb", f"dvb-{devtype}", f"dvb0.{devtype}0")
    if path.startswith("/dev/video"):
        return NodeInfo(path, "video4linux", "video-capture", driver="vivid", card="vivid")
    raise AssertionError(f"unexpected describe({path!r})")


def node(props, ancestors: Sequence[dict[str, str]], **attrs: str) -> DeviceNode:
    result = node_from_properties(props, ancestors=ancestors, attrs=attrs, describe=describe)
    assert result is not None
    return result


# --- one node -------------------------------------------------------------------------


def test_video_capture_node_from_udev_properties():
    """Identity comes from QUERYCAP, stable names and numbers from udev and sysfs."""
    n = node(VIDEO7, [VIVID, PLATFORM_ROOT], name="vivid-000-vid-cap", index="0")
    assert n.path == "/dev/video7"
    assert n.subsystem == "video4linux"
    assert n.sysname == "video7"
    assert n.kind == "video-capture"
    assert (n.driver, n.card, n.bus_info) == ("vivid", "vivid", "platform:vivid-000")
    assert n.name == "vivid-000-vid-cap"
    assert n.devnum == (81, 15)
    assert n.index == 0
    assert n.physical == "/devices/platform/vivid.0"
    assert n.id_path == "platform-vivid.0"
    assert n.by_path == ("/dev/v4l/by-path/platform-vivid.0-video-index0",)
    assert n.prop("ID_V4L_PRODUCT") == "vivid"
    assert "ID_FOR_SEAT" not in dict(n.udev)  # only the useful properties are kept


def test_mem2mem_and_metadata_kinds_come_from_querycap_not_udev():
    """udev's ID_V4L_CAPABILITIES is empty for mem2mem and lacks metadata."""
    assert node(VIDEO3_M2M, [VIM2M]).kind == "video-m2m"
    assert node(VIDEO9_META, [VIVID]).kind == "meta-capture"


def test_node_we_cannot_open_keeps_a_kind_from_its_name_and_the_reason():
    n = node(VBI0, [VIVID])
    assert n.kind == "vbi"
    assert n.error == "Permission denied"
    assert n.driver == "vivid"  # from the physical device when QUERYCAP is impossible


def test_dvb_node_belongs_to_the_bridge_not_its_i2c_adapter():
    """vidtv puts its DVB nodes under its own i2c-0: climb past i2c adapters."""
    n = node(dvb("demux", 1), [VIDTV_I2C, VIDTV, PLATFORM_ROOT])
    assert n.kind == "dvb-demux"
    assert n.name == "dvb0.demux0"
    assert n.physical == "/devices/platform/vidtv.0"
    assert n.driver == "vidtv"
    assert n.as_dict()["adapter"] == 0


def test_a_sensor_on_an_i2c_bus_is_its_own_device():
    """i2c clients (sensors, tuners) are hardware; only adapters are climbed past."""
    sensor = {
        "DEVPATH": "/devices/platform/soc/fe205000.i2c/i2c-10/10-0010",
        "SUBSYSTEM": "i2c",
        "DRIVER": "imx219",
    }
    adapter = {
        "DEVPATH": "/devices/platform/soc/fe205000.i2c/i2c-10",
        "SUBSYSTEM": "i2c",
        "DEVTYPE": "i2c_adapter",
    }
    assert physical_of([sensor, adapter]) is sensor
    assert physical_of([adapter, VIDTV]) is VIDTV


def test_touch_nodes_are_touch_although_they_set_video_capture():
    """vivid's touch node reports VIDEO_CAPTURE | TOUCH in its device caps."""
    from core.abi import v4l2
    from core.nodes import v4l2_kind

    caps = v4l2.V4L2_CAP_VIDEO_CAPTURE | v4l2.V4L2_CAP_TOUCH | v4l2.V4L2_CAP_STREAMING
    assert v4l2_kind(caps) == "touch"
    assert v4l2_kind(v4l2.V4L2_CAP_VIDEO_CAPTURE | v4l2.V4L2_CAP_STREAMING) == "video-capture"


def test_usb_camera_nodes_belong_to_the_usb_device_not_the_interface():
    assert physical_of(USB_CHAIN) is USB_DEV


def test_virtual_device_without_a_bus_has_no_physical_device():
    assert physical_of([{"DEVPATH": "/devices/virtual"}]) is None


def test_kernel_devname_is_relative_to_dev():
    props = {**VIDEO7, "DEVNAME": "video7"}
    assert node(props, [VIVID]).path == "/dev/video7"


def test_other_subsystems_and_nameless_devices_are_not_nodes():
    assert node_from_properties(VIVID, describe=describe) is None
    nameless = {k: v for k, v in VIDEO7.items() if k != "DEVNAME"}
    assert node_from_properties(nameless, describe=describe) is None


@pytest.mark.parametrize(
    ("subsystem", "sysname", "kind"),
    [
        ("video4linux", "video7", "video"),
        ("video4linux", "vbi1", "vbi"),
        ("video4linux", "radio0", "radio"),
        ("video4linux", "swradio0", "sdr"),
        ("video4linux", "v4l-touch0", "touch"),
        ("video4linux", "v4l-subdev3", "v4l-subdev"),
        ("media", "media2", "media"),
        ("dvb", "dvb0.frontend0", "dvb-frontend"),
        ("dvb", "dvb1.net0", "dvb-net"),
        ("dvb", "dvb0.ca0", "dvb-ca"),
    ],
)
def test_kind_from_name(subsystem, sysname, kind):
    """What a removed node was, when it can no longer be asked."""
    assert kind_from_name(subsystem, sysname) == kind


# --- grouping ---------------------------------------------------------------------------


def sample_nodes() -> list[DeviceNode]:
    return [
        node(VIDEO7, [VIVID]),
        node(VIDEO9_META, [VIVID]),
        node(MEDIA4, [VIVID]),
        node(VIDEO3_M2M, [VIM2M]),
        node(dvb("frontend", 0), [VIDTV_I2C, VIDTV]),
        node(dvb("demux", 1), [VIDTV_I2C, VIDTV]),
        node(dvb("dvr", 2), [VIDTV_I2C, VIDTV]),
        node(MEDIA0_VIDTV, [VIDTV]),
    ]


def test_nodes_group_by_physical_device_with_the_media_node_first():
    parents = {p["DEVPATH"]: p for p in (VIVID, VIM2M, VIDTV)}
    groups = group_nodes(reversed(sample_nodes()), parents)
    assert [g.sysname for g in groups] == ["vidtv.0", "vim2m.0", "vivid.0"]
    vidtv, vim2m, vivid = groups
    assert [n.path for n in vivid.nodes] == ["/dev/media4", "/dev/video7", "/dev/video9"]
    assert (vivid.name, vivid.driver, vivid.subsystem) == ("vivid", "vivid", "platform")
    assert vivid.bus_info == "platform:vivid-000"
    assert vivid.id_path == "platform-vivid.0"
    assert [n.path for n in vidtv.nodes] == [
        "/dev/media0",
        "/dev/dvb/adapter0/frontend0",
        "/dev/dvb/adapter0/demux0",
        "/dev/dvb/adapter0/dvr0",
    ]
    assert vidtv.name == "vidtv"
    assert [n.kind for n in vim2m.nodes] == ["video-m2m"]


def test_groups_sort_naturally():
    """vivid.10 comes after vivid.2, like the numbers say."""
    nodes = [
        node(
            {
                **VIDEO7,
                "DEVPATH": f"/devices/platform/vivid.{i}/video4linux/video{7 + i}",
                "DEVNAME": f"/dev/video{7 + i}",
            },
            [{**VIVID, "DEVPATH": f"/devices/platform/vivid.{i}"}],
        )
        for i in (10, 2, 1)
    ]
    assert [g.sysname for g in group_nodes(nodes)] == ["vivid.1", "vivid.2", "vivid.10"]


def test_one_sysfs_device_with_several_instances_splits_by_bus_info():
    """vivid.0 carries every vivid instance; each has its own bus_info and media node."""
    nodes = []
    for i, minor in ((0, 7), (1, 11)):
        path = f"/dev/video{minor}"
        IDENTITY[path] = NodeInfo(
            path,
            "video4linux",
            "video-capture",
            f"vivid-00{i}-vid-cap",
            "vivid",
            "vivid",
            f"platform:vivid-00{i}",
        )
        media = f"/dev/media{4 + i}"
        IDENTITY[media] = NodeInfo(
            media, "media", "media", "vivid", "vivid", "vivid", f"platform:vivid-00{i}"
        )
        nodes.append(
            node(
                {
                    **VIDEO7,
                    "DEVPATH": f"/devices/platform/vivid.0/video4linux/video{minor}",
                    "DEVNAME": path,
                },
                [VIVID],
            )
        )
        nodes.append(
            node(
                {**MEDIA4, "DEVPATH": f"/devices/platform/vivid.0/media{4 + i}", "DEVNAME": media},
                [VIVID],
            )
        )
    del IDENTITY["/dev/video11"], IDENTITY["/dev/media5"]
    IDENTITY["/dev/video7"] = IDENTITY_VIDEO7
    IDENTITY["/dev/media4"] = IDENTITY_MEDIA4
    groups = group_nodes(nodes, {VIVID["DEVPATH"]: VIVID})
    assert [(g.id, [n.path for n in g.nodes]) for g in groups] == [
        ("/devices/platform/vivid.0#platform:vivid-000", ["/dev/media4", "/dev/video7"]),
        ("/devices/platform/vivid.0#platform:vivid-001", ["/dev/media5", "/dev/video11"]),
    ]
    assert all(g.sysname == "vivid.0" and g.driver == "vivid" for g in groups)
    assert {n.group for n in groups[1].nodes} == {groups[1].id}


def test_parentless_nodes_are_devices_of_their_own():
    loopback = {
        "DEVPATH": "/devices/virtual/video4linux/video20",
        "DEVNAME": "/dev/video20",
        "SUBSYSTEM": "video4linux",
    }
    IDENTITY["/dev/video20"] = NodeInfo(
        "/dev/video20",
        "video4linux",
        "video-capture",
        "Dummy",
        "v4l2 loopback",
        "Dummy",
        "platform:v4l2loopback-000",
    )
    try:
        lone = node(loopback, [{"DEVPATH": "/devices/virtual"}])
        groups = group_nodes([lone, node(VIDEO7, [VIVID])])
    finally:
        del IDENTITY["/dev/video20"]
    assert [g.devpath for g in groups] == [
        "/devices/platform/vivid.0",
        "/devices/virtual/video4linux/video20",
    ]


# --- the `mediatui list --json` contract ---------------------------------------------------


def test_json_keeps_the_original_keys_and_adds_groups():
    listing = DeviceList("udev", group_nodes(sample_nodes())).as_dict()
    assert listing["source"] == "udev"
    paths = [d["path"] for d in listing["devices"]]
    # Video nodes first, then media, then DVB (the order `list` always had).
    assert paths == [
        "/dev/video3",
        "/dev/video7",
        "/dev/video9",
        "/dev/media0",
        "/dev/media4",
        "/dev/dvb/adapter0/frontend0",
        "/dev/dvb/adapter0/demux0",
        "/dev/dvb/adapter0/dvr0",
    ]
    for device in listing["devices"]:
        for key in ("path", "subsystem", "kind", "name", "driver", "card", "bus_info"):
            assert key in device, (key, device)
    cap = listing["devices"][1]
    assert cap["capabilities_raw"] == 0x85208000
    assert cap["device_caps_raw"] == 0x05200001
    assert cap["device_caps"] == ["VIDEO_CAPTURE", "EXT_PIX_FORMAT", "READWRITE", "STREAMING"]
    assert cap["group"] == "/devices/platform/vivid.0"
    assert cap["by_path"] == ["/dev/v4l/by-path/platform-vivid.0-video-index0"]
    assert cap["udev"]["ID_V4L_PRODUCT"] == "vivid"
    assert cap["devnum"] == "81:15"
    assert cap["group"] == listing["groups"][2]["id"]
    groups = {g["id"]: g for g in listing["groups"]}
    assert groups["/devices/platform/vivid.0"]["nodes"] == [
        "/dev/media4",
        "/dev/video7",
        "/dev/video9",
    ]


# --- virtual node sources (demo mode) -----------------------------------------------------


class FakeSource:
    """A virtual backend's node listing: NodeSource needs only these two members."""

    source = "virtual (test)"

    def list_nodes(self) -> list[str]:
        return [
            "/dev/video7",
            "/dev/media4",
            "/dev/video3",
            "/dev/dvb/adapter0/demux0",
            "/dev/dvb/adapter0/dvr0",
        ]


def test_discover_lists_a_node_source_through_describe():
    devices = discover(FakeSource(), describe=describe)
    assert devices.source == "virtual (test)"
    demux = devices.find("/dev/dvb/adapter0/demux0")
    assert demux is not None and demux.as_dict()["adapter"] == 0
    groups = {g.devpath: [n.path for n in g.nodes] for g in devices.groups}
    assert groups == {
        "virtual/platform:vivid-000": ["/dev/media4", "/dev/video7"],
        "virtual/platform:vim2m": ["/dev/video3"],
        "virtual/dev/dvb/adapter0": ["/dev/dvb/adapter0/demux0", "/dev/dvb/adapter0/dvr0"],
    }


class FakeBackend(FakeSource):
    def owns_path(self, path: str) -> bool:
        return path in self.list_nodes()


def test_an_installed_virtual_backend_becomes_the_node_source():
    assert installed_node_source() is None
    backend = FakeBackend()
    chokepoint.install_backend(backend)  # type: ignore[arg-type]
    try:
        assert installed_node_source() is backend
        assert discover(describe=describe).source == "virtual (test)"
    finally:
        chokepoint.uninstall_backend(backend)  # type: ignore[arg-type]
    assert installed_node_source() is None


# --- is udevd running? -----------------------------------------------------------------------


def make_run_dir(tmp_path: Path, *, socket_file: bool) -> str:
    run = tmp_path / "run-udev"
    run.mkdir()
    if socket_file:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.bind(str(run / "control"))
        sock.close()  # the file stays, like a socket udevd left behind
    return str(run)


def make_proc(tmp_path: Path, comms: dict[int, str]) -> str:
    proc = tmp_path / "proc"
    for pid, comm in comms.items():
        (proc / str(pid)).mkdir(parents=True)
        (proc / str(pid) / "comm").write_text(comm + "\n")
    (proc / "self").mkdir(parents=True, exist_ok=True)
    return str(proc)


def test_udevd_running_needs_the_control_socket_and_a_udevd_process(tmp_path):
    run = make_run_dir(tmp_path, socket_file=True)
    proc = make_proc(tmp_path, {1: "systemd", 312: "systemd-udevd", 400: "bash"})
    assert udevd_running(run, proc)


def test_eudev_counts_too(tmp_path):
    run = make_run_dir(tmp_path, socket_file=True)
    assert udevd_running(run, make_proc(tmp_path, {1: "init", 90: "udevd"}))


def test_a_socket_left_behind_by_a_dead_udevd_is_not_udevd(tmp_path):
    run = make_run_dir(tmp_path, socket_file=True)
    assert not udevd_running(run, make_proc(tmp_path, {1: "init", 7: "sh"}))


def test_no_control_socket_means_no_udevd(tmp_path):
    run = make_run_dir(tmp_path, socket_file=False)
    assert not udevd_running(run, make_proc(tmp_path, {1: "init", 90: "udevd"}))
    (Path(run) / "control").write_text("not a socket")
    assert not udevd_running(run, make_proc(tmp_path / "x", {1: "init", 90: "udevd"}))


def test_when_proc_hides_processes_the_socket_decides(tmp_path):
    """hidepid=2: pid 1 is invisible to us, so the absence of udevd proves nothing."""
    run = make_run_dir(tmp_path, socket_file=True)
    proc = make_proc(tmp_path, {4242: "python3"})
    assert udevd_running(run, proc)


def test_real_system_answer_is_a_bool():
    assert isinstance(udevd_running(), bool)
    assert os.path.exists("/run/udev/control") or not udevd_running()


def test_libudev_loads_by_soname_without_find_library(monkeypatch):
    """pyudev must not run find_library (an ldconfig subprocess) when the soname loads."""
    pytest.importorskip("pyudev")
    from ctypes import CDLL

    from pyudev._ctypeslib import utils

    from core.discovery import udev

    try:
        CDLL(udev.LIBUDEV_SONAME)
    except OSError:
        pytest.skip("libudev.so.1 is not installed here")

    def no_lookup(name: str) -> str | None:
        raise AssertionError(f"find_library({name!r}) ran")

    monkeypatch.setattr(utils, "find_library", no_lookup)
    monkeypatch.delenv(udev.NO_LIBUDEV_ENV, raising=False)
    context = udev.load_context()
    assert context is not None
    assert utils.find_library is no_lookup  # restored after the load
