"""The JSON contract on the real drivers: vivid, vim2m, vimc and vidtv.

Every verb's ``--json`` document, the error documents, ``watch``'s NDJSON lines and the
saved ioctl log validate against the schemas shipped in ``core/service/schemas``; one
key has one type across all of them; exit codes follow the contract (1 for a device
failure or a stream without data, 2 for a usage error).  Most verbs run in-process
through ``mediatui.cli.main`` (Python starts slowly under TCG); ``list`` and ``watch``
run as a user runs them.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from jsoncheck import assert_one_key_one_type, key_types

from core.service import jsondoc
from mediatui.cli import main

SEEN: dict[str, dict[str, str]] = {}  # key -> JSON type -> first document, across tests


def _verb(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    key_types(doc, " ".join(args), SEEN)
    return code, doc, err


def _valid(doc: dict[str, Any], name: str) -> None:
    assert doc["schema"] == f"mediatui.{name}/1", doc.get("schema")
    assert jsondoc.validate(doc) == name


def test_list_document(vivid_cap, vim2m, dvb_adapter):
    proc = subprocess.run([sys.executable, "-m", "mediatui", "list", "--json"],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    _valid(doc, "list")
    key_types(doc, "list", SEEN)
    devices = {d["path"]: d for d in doc["devices"]}
    assert devices[vivid_cap]["device_caps"][:1] == ["VIDEO_CAPTURE"]
    assert isinstance(devices[vivid_cap]["device_caps_raw"], int)
    assert devices[dvb_adapter["demux"]]["adapter"] == int(dvb_adapter["adapter"][-1])


def test_info_and_probe_documents(capsys, node_by_name, dvb_adapter):
    """Single- and multi-planar vivid, its output and metadata nodes, vim2m, a vimc
    capture node, and vidtv's frontend, demux and dvr."""
    names = ("vivid-000-vid-cap", "vivid-001-vid-cap", "vivid-000-vid-out",
             "vivid-000-meta-cap", "vim2m", "Raw Capture 0", "RGB/YUV Capture")
    paths = [node_by_name(n) for n in names]
    paths += [dvb_adapter[k] for k in ("frontend", "demux", "dvr")]
    for path in paths:
        for verb in ("info", "probe"):
            code, doc, err = _verb(capsys, verb, path)
            assert code == 0, err
            _valid(doc, verb)
    _, mplane, _ = _verb(capsys, "info", node_by_name("vivid-001-vid-cap"))
    (queue,) = mplane["queues"]
    assert queue["buf_type"] == "video-capture-mplane"
    assert queue["current_format"]["field"] in ("none", "interlaced", "alternate")
    assert all(isinstance(f["flags"], list) for f in queue["formats"])
    _, probe, _ = _verb(capsys, "probe", node_by_name("vim2m"))
    assert {q["buf_type"] for q in probe["queues"]} == {"video-output", "video-capture"}
    assert all("MMAP" in q["buf_caps"] for q in probe["queues"])
    _, fe, _ = _verb(capsys, "info", dvb_adapter["frontend"])
    assert fe["frequency_min_hz"] < fe["frequency_max_hz"]


def test_error_documents_exit_1(capsys):
    """`info` on a vimc subdev or a media node gives its subdev/topology document (exit 0);
    MEDIA_IOC_DEVICE_INFO on a subdev is ENOTTY and a missing node ENOENT: exit 1 with a
    mediatui.error/1 document."""
    subdev = sorted(Path("/dev").glob("v4l-subdev*"))[0]
    media = sorted(Path("/dev").glob("media*"))[0]
    for path, document in ((str(subdev), "subdev"), (str(media), "topology")):
        code, doc, err = _verb(capsys, "info", path)
        assert code == 0, err
        _valid(doc, document)
    for args, errno_name in ((("topology", str(subdev)), "ENOTTY"),
                             (("info", "/dev/video99"), "ENOENT")):
        code, doc, _ = _verb(capsys, *args)
        assert code == 1
        _valid(doc, "error")
        assert doc["exit_code"] == 1 and doc["error"]["errno_name"] == errno_name, doc


def test_stream_documents(capsys, vivid_cap, vim2m, node_by_name, dvb_adapter):
    """What was asked and what the driver gave, on vivid (641 wide: vivid rounds), vim2m,
    vimc's raw capture and vidtv; the documents validate."""
    code, doc, err = _verb(capsys, "stream", vivid_cap, "--size", "641x480", "--fps", "30",
                           "--count", "5", "-q")
    assert code == 0, err
    _valid(doc, "stream")
    got = doc["negotiated"]
    assert doc["requested"]["width"] == 641 and got["width"] != 641
    assert "width" in doc["adjusted"]
    assert got["planes"][0]["sizeimage"] >= got["planes"][0]["bytesperline"] * got["height"]
    assert got["frame_interval"] is not None and got["buffers"] == doc["buffers"]
    code, doc, err = _verb(capsys, "stream", vim2m, "--count", "5", "-q")
    assert code == 0, err
    _valid(doc, "stream")
    assert doc["buf_type"] == "video-capture" and doc["negotiated"]["fourcc"]
    # vimc's capture needs its pipeline configured; either outcome is a valid document.
    code, doc, err = _verb(capsys, "stream", node_by_name("Raw Capture 0"), "--count", "3",
                           "-q", "--duration", "5")
    assert code in (0, 1), err
    _valid(doc, "stream" if "snapshot" in doc else "error")
    code, doc, err = _verb(capsys, "stream", dvb_adapter["demux"], "--tune", "474000000",
                           "--duration", "1", "-q")
    assert code == 0, err
    _valid(doc, "stream")
    assert doc["packets"] > 0 and doc["cc_errors"] == 0
    pids = doc["snapshot"]["queues"][0]["ts"]["pid_packets"]
    assert pids and all(set(p) == {"pid", "count"} for p in pids)
    assert doc["negotiated"]["buffers"] == 32


def test_stream_without_data_exits_1_and_says_why(capsys, dvb_adapter):
    """A PID vidtv never sends: the stream ends with 0 packets, says so, exits 1."""
    code, doc, err = _verb(capsys, "stream", dvb_adapter["demux"], "--pid", "0x1abc",
                           "--duration", "1", "-q")
    assert code == 1
    _valid(doc, "stream")
    assert doc["packets"] == 0 and "no data: 0 TS packets" in err


def test_usage_error_exit_2(capsys, vivid_cap):
    code, doc, err = _verb(capsys, "stream", vivid_cap, "--memory", "dmabuf")
    assert code == 2 and "--heap" in err
    _valid(doc, "error")


def test_ioctl_log_lines(vivid_cap, vim2m, dvb_adapter, tmp_path):
    """The TUI's recorder saving what inspecting and streaming issued on real drivers."""
    from core import ioctl as chokepoint
    from mediatui.widgets.ioctl_log import IoctlRecorder

    recorder = IoctlRecorder()
    chokepoint.add_tracer(recorder)
    try:
        for path in (vivid_cap, vim2m, dvb_adapter["frontend"], dvb_adapter["demux"]):
            assert main(["info", path]) == 0
            assert main(["probe", path]) == 0
        assert main(["stream", vivid_cap, "--size", "320x180", "--count", "3", "-q"]) == 0
    finally:
        chokepoint.remove_tracer(recorder)
    saved = tmp_path / "ioctls.ndjson"
    count = recorder.save_ndjson(saved)
    text = saved.read_text()
    assert count > 50 and "b'" not in text
    names = set()
    for line in text.splitlines():
        doc = json.loads(line)
        _valid(doc, "ioctl")
        key_types(doc, "ioctl", SEEN)
        names.add(doc["ioctl"])
        if doc["ioctl"] == "VIDIOC_QUERYCAP" and doc["errno"] is None:
            assert isinstance(doc["args"]["card"], str) and doc["args"]["capabilities"]
    assert {"VIDIOC_QUERYCAP", "VIDIOC_ENUM_FMT", "VIDIOC_S_FMT", "VIDIOC_REQBUFS",
            "VIDIOC_STREAMON", "FE_GET_INFO"} <= names, names


def test_watch_lines(vivid_cap):
    """``watch --json`` while the kernel re-announces vivid's node (a "change" uevent)."""
    sysname = os.path.basename(vivid_cap)
    proc = subprocess.Popen([sys.executable, "-m", "mediatui", "watch", "--json",
                             "--count", "1", "--timeout", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 120)
        assert ready, "watch never said it was watching"
        assert "watching" in proc.stderr.readline()
        deadline = time.monotonic() + 60
        out = ""
        while not out and time.monotonic() < deadline:
            Path(f"/sys/class/video4linux/{sysname}/uevent").write_text("change")
            out, _ = _communicate(proc, 5)
        assert out, "no event line"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    (line,) = out.splitlines()
    doc = json.loads(line)
    _valid(doc, "watch")
    key_types(doc, "watch", SEEN)
    assert doc["action"] == "change" and doc["path"] == vivid_cap


def _communicate(proc: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        return "", ""


def test_one_key_one_type_across_the_kernel_documents():
    """Runs last in this module: every document above, one type per key."""
    assert len(SEEN) > 50, "the documents above did not run"
    assert_one_key_one_type(SEEN, required=("path", "buf_type", "capabilities", "device_caps",
                                            "buf_caps", "field", "flags", "fourcc", "error",
                                            "elapsed_s", "time_s", "pid_packets"))
