"""``--demo`` looks like the kernel tier: the demo board's ``list``/``probe``/``info``
JSON compared with what the same verbs printed in the VM on vivid, vim2m and vidtv
(``data/kernel_cli_reference.json``)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from core.virtual import InstantClock, demo_board

REFERENCE = json.loads((Path(__file__).parent / "data" / "kernel_cli_reference.json").read_text())
REPO = Path(__file__).resolve().parents[2]

# demo node -> the kernel tier's node with the same driver and queue layout
EQUIVALENT = {
    "/dev/video0": "vivid-001-vid-cap",  # the multi-planar camera
    "/dev/video2": "vim2m",
    "/dev/dvb/adapter0/frontend0": "frontend",
    "/dev/dvb/adapter0/demux0": "demux",
    "/dev/dvb/adapter0/dvr0": "dvr",
}
SAME_DEVICE_FIELDS = ("subsystem", "kind", "driver", "card", "capabilities", "device_caps")


def _cli(*args: str) -> Any:
    """Run the real command line in a subprocess, as a user would."""
    out = subprocess.run(
        [sys.executable, "-m", "mediatui", *args, "--demo", "--json"],
        capture_output=True, text=True, check=True, cwd=REPO, timeout=60,
    )
    return json.loads(out.stdout)


def _without_path(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in ("path", "bus_info")}


@pytest.fixture(scope="module")
def demo_list() -> Any:
    return _cli("list")


def test_list_has_the_board(demo_list: Any) -> None:
    """A camera, an output, a scaler and a DVB adapter, each with its media node."""
    kinds = {d["path"]: d["kind"] for d in demo_list["devices"]}
    assert kinds["/dev/video0"] == "video-capture"
    assert kinds["/dev/video1"] == "video-output"
    assert kinds["/dev/video2"] == "video-m2m"
    assert {kinds[f"/dev/dvb/adapter0/{n}"] for n in ("frontend0", "demux0", "dvr0")} == {
        "dvb-frontend", "dvb-demux", "dvb-dvr"}
    groups = {g["driver"]: g for g in demo_list["groups"]}
    assert set(groups) == {"vivid", "vim2m", "vidtv", "vimc"}
    assert groups["vimc"]["nodes"][0] == "/dev/media3"
    assert groups["vidtv"]["nodes"][0].startswith("/dev/media")  # media node first
    assert demo_list["source"] == "virtual (demo)"


def test_list_entries_match_the_kernel_tier(demo_list: Any) -> None:
    """Same keys, and the same identity (kind, driver, card, caps) as vivid/vim2m/vidtv."""
    real = {d["path"]: d for d in REFERENCE["list_devices"]}
    demo = {d["path"]: d for d in demo_list["devices"]}
    keys_by_subsystem = {d["subsystem"]: set(d) for d in real.values()}
    for entry in demo.values():
        # "adapter" needs the node's uevent facts, which discovery does not ask a
        # virtual node for yet (see test_node_properties_give_kernel_shaped_nodes).
        missing = keys_by_subsystem[entry["subsystem"]] - set(entry) - {"adapter"}
        if entry["kind"] == "v4l-subdev":  # no QUERYCAP on a subdev, on vimc neither
            missing -= {"capabilities", "device_caps", "capabilities_raw", "device_caps_raw"}
        assert not missing, f"{entry['path']} lacks {missing}"
    # demo path -> kernel-tier path (vivid-001-vid-cap, vim2m, vidtv's demux)
    pairs = {"/dev/video0": "/dev/video11", "/dev/video2": "/dev/video3",
             "/dev/dvb/adapter0/demux0": "/dev/dvb/adapter0/demux0"}
    for path, name in pairs.items():
        for field in SAME_DEVICE_FIELDS:
            if field in real[name]:
                assert demo[path][field] == real[name][field], (path, field)
    assert demo["/dev/video0"]["name"] == "vivid-000-vid-cap"
    # vimc's group is named after its media model, "VIMC MDEV" (not in the reference).
    assert {g["name"] for g in demo_list["groups"]} - {"VIMC MDEV"} == {
        g["name"] for g in REFERENCE["list_groups"]}


@pytest.mark.parametrize("path", sorted(EQUIVALENT))
def test_probe_matches_the_kernel_tier(path: str) -> None:
    """``probe --demo`` prints what ``probe`` printed on the real driver."""
    assert _without_path(_cli("probe", path)) == _without_path(
        REFERENCE["probe"][EQUIVALENT[path]])


@pytest.mark.parametrize("path", ["/dev/video0", "/dev/video2"])
def test_info_matches_the_kernel_tier(path: str) -> None:
    """Identity, current format, interval; every format both list is described the same.
    The reference was recorded with every size's intervals (--all-intervals today)."""
    demo = _without_path(_cli("info", path, "--all-intervals"))
    real = _without_path(REFERENCE["info"][EQUIVALENT[path]])
    assert demo.pop("intervals_listed") == "all"
    for dq, rq in zip(demo["queues"], real["queues"], strict=True):
        real_formats = {f["fourcc"]: f for f in rq.pop("formats")}
        demo_formats = {f["fourcc"]: f for f in dq.pop("formats")}
        shared = set(real_formats) & set(demo_formats)
        assert shared, "no format in common"
        for fourcc in shared:
            assert demo_formats[fourcc] == real_formats[fourcc], fourcc
    assert demo == real


def test_demo_board_streams_in_real_time_and_leaks_nothing() -> None:
    """The demo board on the real clock: frames arrive, threads and fds go at the end."""
    import os

    from scenarios.helpers import CAP_MP, MMAP, dequeue_wait

    from core.video import VideoDevice

    fds_before = set(os.listdir("/proc/self/fd"))
    threads_before = set(threading.enumerate())
    backend = demo_board()
    with backend, VideoDevice("/dev/video0") as cam:
        cam.set_frame_rate(CAP_MP, 30)
        n = cam.request_buffers(CAP_MP, MMAP, 3).granted
        for i in range(n):
            cam.queue_buffer(CAP_MP, i)
        cam.stream_on(CAP_MP)
        first = dequeue_wait(cam, CAP_MP, timeout=5)
        cam.queue_buffer(CAP_MP, first.index)
        second = dequeue_wait(cam, CAP_MP, timeout=5)
        assert second.sequence > first.sequence
        assert second.timestamp is not None and first.timestamp is not None
        assert 0.02 < second.timestamp - first.timestamp < 1.0  # 30 fps, give or take
        cam.stream_off(CAP_MP)
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(2.0)
    assert set(threading.enumerate()) <= threads_before
    assert set(os.listdir("/proc/self/fd")) == fds_before


def test_demo_board_instant_clock_for_tests() -> None:
    """The same board runs on the instant clock (what UI tests inject)."""
    from scenarios.helpers import CAP_MP, MMAP

    from core.video import VideoDevice

    with demo_board(InstantClock()), VideoDevice("/dev/video0") as cam:
        cam.request_buffers(CAP_MP, MMAP, 2)
        cam.queue_buffer(CAP_MP, 0)
        cam.stream_on(CAP_MP)
        done = cam.dequeue_buffer(CAP_MP)
        assert done.sequence == 0 and done.bytesused == 460800


def test_node_properties_give_kernel_shaped_nodes() -> None:
    """The backend answers uevent/sysfs facts; fed to discovery's node_from_properties
    they give the kernel tier's devpath, devnum, group and DVB properties."""
    from core.discovery.identity import group_nodes, node_from_properties
    from core.nodes import describe_node

    real = {d["path"]: d for d in REFERENCE["list_devices"]}
    backend = demo_board(InstantClock())
    with backend:
        nodes = {}
        for path in backend.list_nodes():
            facts = backend.node_properties(path)
            assert facts is not None, path
            props, ancestors, attrs = facts
            node = node_from_properties(props, ancestors=ancestors, attrs=attrs,
                                        describe=describe_node)
            assert node is not None
            nodes[path] = node
    demux = nodes["/dev/dvb/adapter0/demux0"].as_dict()
    expected = real["/dev/dvb/adapter0/demux0"]
    for key in ("devpath", "devnum", "group", "name", "kind", "driver", "adapter"):
        assert demux[key] == expected[key], key
    cam = nodes["/dev/video0"].as_dict()
    assert cam["devpath"] == "/devices/platform/vivid.0/video4linux/video0"
    assert cam["group"] == real["/dev/video7"]["group"]
    # The reference was recorded without vimc, which the demo board has since.
    assert {g.sysname for g in group_nodes(nodes.values())} - {"vimc.0"} == {
        g["sysname"] for g in REFERENCE["list_groups"]}
