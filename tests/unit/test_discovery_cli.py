"""``mediatui list`` and ``mediatui watch`` output, on fixed discovery results."""

from __future__ import annotations

import json

import pytest

from core.discovery import DeviceList, DeviceNode, HotplugEvent, PhysicalDevice
from mediatui import cli
from mediatui.verbs import watch_

CAP = DeviceNode(
    path="/dev/video7",
    subsystem="video4linux",
    sysname="video7",
    devpath="/devices/platform/vivid.0/video4linux/video7",
    kind="video-capture",
    name="vivid-000-vid-cap",
    driver="vivid",
    card="vivid",
    bus_info="platform:vivid-000",
    capabilities=0x85208000,
    device_caps=0x05200001,
    devnum=(81, 15),
    index=0,
    physical="/devices/platform/vivid.0",
    by_path=("/dev/v4l/by-path/platform-vivid.0-video-index0",),
    udev=(("ID_PATH", "platform-vivid.0"), ("ID_V4L_PRODUCT", "vivid")),
)
MEDIA = DeviceNode(
    path="/dev/media4",
    subsystem="media",
    sysname="media4",
    devpath="/devices/platform/vivid.0/media4",
    kind="media",
    name="vivid\x1b[2J",  # untrusted: a device could name itself anything
    driver="vivid",
    card="vivid",
    bus_info="platform:vivid-000",
    physical="/devices/platform/vivid.0",
)
VIVID = PhysicalDevice(
    devpath="/devices/platform/vivid.0",
    subsystem="platform",
    sysname="vivid.0",
    driver="vivid",
    name="vivid",
    id_path="platform-vivid.0",
    bus_info="platform:vivid-000",
    nodes=(MEDIA, CAP),
)
LISTING = DeviceList("udev", (VIVID,))


@pytest.fixture
def fixed_discovery(monkeypatch):
    calls = []

    def fake_discover(*args, **kwargs):
        calls.append(kwargs)
        return LISTING

    import core.discovery

    # list_ imports discover when it runs (not at parser build): patch it at the source
    monkeypatch.setattr(core.discovery, "discover", fake_discover)
    return calls


def test_list_json_document(fixed_discovery, capsys):
    assert cli.main(["list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["source"] == "udev"
    assert [d["path"] for d in doc["devices"]] == ["/dev/video7", "/dev/media4"]
    assert doc["devices"][0]["kind"] == "video-capture"
    assert doc["groups"][0]["nodes"] == ["/dev/media4", "/dev/video7"]
    assert fixed_discovery == [{"force_fallback": False}]


def test_list_text_groups_nodes_under_their_device(fixed_discovery, capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "vivid (vivid) platform:vivid-000 [platform-vivid.0]",
        "  /dev/media4  media          vivid\\x1b[2J",
        "  /dev/video7  video-capture  vivid-000-vid-cap"
        "  /dev/v4l/by-path/platform-vivid.0-video-index0",
        "",
        "2 nodes in 1 devices (source: udev)",
    ]


def test_list_no_udev_forces_the_fallback(fixed_discovery, capsys):
    assert cli.main(["list", "--no-udev", "--json"]) == 0
    assert fixed_discovery == [{"force_fallback": True}]


def event(action, path=None, kind=None, node=None, **kw) -> HotplugEvent:
    defaults = {
        "subsystem": "video4linux",
        "devpath": "/devices/platform/vivid.0/video4linux/video7",
        "sysname": "video7",
    }
    return HotplugEvent(
        action, **{**defaults, **kw}, path=path, kind=kind, timestamp=0.0, node=node
    )


def test_watch_lines():
    wall = 3600.123  # only the milliseconds are checked: the hour depends on the zone
    remove = watch_.event_line(event("remove", "/dev/video7", "video-capture"), wall)
    assert remove.endswith(".123  remove  /dev/video7              video-capture")
    add = watch_.event_line(event("add", "/dev/video7", "video-capture", node=CAP), wall)
    assert add.endswith(
        "add     /dev/video7              video-capture  vivid-000-vid-cap  vivid "
        "platform:vivid-000"
    )
    unbind = watch_.event_line(
        event(
            "unbind",
            subsystem="platform",
            devpath="/devices/platform/vivid.0",
            sysname="vivid.0",
            driver="vivid",
        ),
        wall,
    )
    assert unbind.endswith("unbind  platform vivid.0  driver=vivid")
    assert "resync" in watch_.event_line(event("resync"), wall)


def test_watch_json_is_one_object_per_line(capsys):
    watch_.print_event(event("add", "/dev/video7", "video-capture", node=CAP), as_json=True)
    watch_.print_event(event("remove", "/dev/video7", "video-capture"), as_json=True)
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["action"] for r in records] == ["add", "remove"]
    assert records[0]["node"]["bus_info"] == "platform:vivid-000"
    assert records[1]["path"] == "/dev/video7"
    assert isinstance(records[1]["time_s"], float)
    assert {r["schema"] for r in records} == {"mediatui.watch/1"}
