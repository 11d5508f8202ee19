"""First kernel-tier tests: the guest is the test kernel, and `mediatui list` sees it all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kernel import vm

# Node families `v4l2-ctl --list-devices` (v4l-utils 1.22) prints. It leaves out
# /dev/v4l-subdev* (vimc's subdevs are not listed), so those are checked against sysfs.
V4L2_CTL_PREFIXES = (
    "/dev/video",
    "/dev/vbi",
    "/dev/radio",
    "/dev/swradio",
    "/dev/v4l-touch",
    "/dev/media",
)


def _family(paths, prefixes=V4L2_CTL_PREFIXES) -> set[str]:
    return {p for p in paths if p.startswith(prefixes)}


def test_guest_is_the_test_kernel():
    assert os.environ.get(vm.ENV_IN_VM) == "1"
    assert os.uname().release == vm.GUEST_RELEASE
    assert Path("/dev/dma_heap/system").exists()
    assert Path("/dev/udmabuf").exists()
    cmdline = Path("/proc/cmdline").read_text().split()
    for arg in vm.DEFAULT_KERNEL_ARGS:
        assert arg in cmdline


@pytest.fixture(scope="module")
def listing() -> dict:
    """`mediatui list --json` in the guest, run once (Python starts slowly under TCG)."""
    proc = subprocess.run(
        [sys.executable, "-m", "mediatui", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"mediatui list --json failed:\n{proc.stderr}"
    return json.loads(proc.stdout)


def _v4l2_ctl_paths() -> set[str]:
    exe = shutil.which("v4l2-ctl")
    if exe is None:
        pytest.skip("v4l2-ctl not found: apt-get install v4l-utils")
    proc = subprocess.run(
        [exe, "--list-devices"], capture_output=True, text=True, timeout=60, check=False
    )
    # Cards are unindented lines; their nodes are indented /dev/... lines.
    return {
        line.strip()
        for line in proc.stdout.splitlines()
        if line[:1].isspace() and line.strip().startswith("/dev/")
    }


def test_list_json_reports_the_guest_devices(listing, vivid_cap, vim2m, dvb_adapter):
    assert isinstance(listing.get("source"), str)
    devices = {d["path"]: d for d in listing["devices"]}

    cap = devices.get(vivid_cap)
    assert cap is not None, f"{vivid_cap} (vivid-000-vid-cap) missing from {sorted(devices)}"
    assert cap["driver"] == "vivid"
    assert cap["subsystem"] == "video4linux"
    assert cap["kind"] == "video-capture"
    assert cap["name"] == "vivid-000-vid-cap"

    m2m = devices.get(vim2m)
    assert m2m is not None, f"{vim2m} (vim2m) missing from {sorted(devices)}"
    assert m2m["driver"] == "vim2m"
    assert m2m["kind"] == "video-m2m"

    assert dvb_adapter["adapter"] == "/dev/dvb/adapter0"
    for key in ("frontend", "demux", "dvr"):
        entry = devices.get(dvb_adapter[key])
        assert entry is not None, f"{dvb_adapter[key]} missing from {sorted(devices)}"
        assert entry["subsystem"] == "dvb"
        assert entry["kind"] == f"dvb-{key}"


def test_list_json_matches_v4l2_ctl_and_sysfs(listing):
    listed = {d["path"] for d in listing["devices"]}
    v4l2_ctl = _v4l2_ctl_paths()
    assert any(p.startswith("/dev/video") for p in v4l2_ctl), v4l2_ctl

    theirs, ours = _family(v4l2_ctl), _family(listed)
    assert ours == theirs, (
        f"only mediatui: {sorted(ours - theirs)}; only v4l2-ctl: {sorted(theirs - ours)}"
    )

    sysfs = {f"/dev/{p.name}" for p in Path("/sys/class/video4linux").iterdir()}
    v4l2_listed = {p for p in listed if not p.startswith(("/dev/media", "/dev/dvb/"))}
    assert v4l2_listed == sysfs, (
        f"only mediatui: {sorted(v4l2_listed - sysfs)}; only sysfs: {sorted(sysfs - v4l2_listed)}"
    )
