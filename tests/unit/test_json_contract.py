"""The JSON contract on ``--demo``: every verb's ``--json`` document, every NDJSON line
(``watch``, the saved ioctl log) and every error document validates against the schema
shipped in ``core/service/schemas``, with the ``jsonschema`` package; and one concept has
one key with one type across all of them.

The verbs run as a user runs them (``python -m mediatui ... --demo --json`` in a
subprocess), so the documents are exactly what a script would read.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsoncheck import assert_one_key_one_type, key_types

from core.service import jsondoc

REPO = Path(__file__).resolve().parents[2]
DEMO_NODES = (
    "/dev/video0", "/dev/video1", "/dev/video2",
    "/dev/dvb/adapter0/frontend0", "/dev/dvb/adapter0/demux0", "/dev/dvb/adapter0/dvr0",
)
DVB_TUNED = ("stream", "/dev/dvb/adapter0/demux0", "--tune", "474000000", "--count", "3", "-q")
# (arguments, expected exit code): every --json command a script might run on the demo
# board, the failures included (their stdout is a mediatui.error/1 document).
COMMANDS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("list",), 0),
    *((("info", p), 0) for p in DEMO_NODES),
    *((("probe", p), 0) for p in DEMO_NODES),
    (("info", "/dev/media0"), 0),  # a media node: its topology document
    (("topology", "/dev/media3"), 0),  # vimc
    (("check", "/dev/video3"), 1),  # vimc Raw Capture 0: power-on formats do not validate
    (("probe", "/dev/video9"), 1),  # no such node: ENOENT
    (("stream", "/dev/video0", "--count", "3", "--size", "641x480", "--fps", "31", "-q"), 0),
    (("stream", "/dev/video2", "--count", "3", "-q"), 0),  # mem2mem
    (("stream", "/dev/video0", "--to", "/dev/video2", "--count", "3", "-q"), 0),
    (("stream", "/dev/video0", "--heap", "system", "--count", "3", "-q"), 0),
    (DVB_TUNED, 0),
    (("stream", "/dev/dvb/adapter0/dvr0", "--duration", "0.3", "-q"), 1),  # untuned: no data
    (("stream", "/dev/video0", "--udmabuf", "--count", "3", "-q"), 1),  # EFAULT at QBUF
    (("stream", "/dev/video0", "--memory", "dmabuf"), 2),  # usage: no dma-buf source
    (("stream", "/dev/video0", "--size", "big"), 2),  # usage: --size wants WxH
    (("who",), 0),
    (("who", "/dev/video6"), 0),  # the demo client owns its queue and holds exports
    (("who", "/dev/video9"), 2),  # usage: no such DEVICE
    (("dmabufs",), 0),
    (("dmabufs", "--pid", "4242"), 0),  # the demo client's PID
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mediatui", *args, "--demo", "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


@pytest.fixture(scope="module")
def documents() -> dict[tuple[str, ...], tuple[int, dict[str, Any]]]:
    """Every command's exit code and parsed stdout, run once for the module."""
    out = {}
    for args, _ in COMMANDS:
        proc = _run(*args)
        assert "Traceback" not in proc.stderr, proc.stderr
        out[args] = (proc.returncode, json.loads(proc.stdout))
    return out


@pytest.mark.parametrize(("args", "code"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_every_verb_document_validates(documents: dict, args: tuple[str, ...],
                                       code: int) -> None:
    got_code, doc = documents[args]
    assert got_code == code, doc
    # stream and check report a failed run in their own document
    expected = "error" if code in (1, 2) and args[0] not in ("stream", "check") else args[0]
    if args[:2] == ("info", "/dev/media0"):
        expected = "topology"  # info on a media node prints the media device's topology
    if args[0] == "stream" and "snapshot" not in doc:
        expected = "error"  # it failed before any statistics existed
    assert doc["schema"] == f"mediatui.{expected}/1"
    assert next(iter(doc)) == "schema"  # first, where a reader looks
    assert jsondoc.validate(doc) == expected
    if expected == "error":
        assert doc["exit_code"] == code and doc["error"]["title"]


def test_schemas_are_valid_draft_2020_12_and_reject_the_old_shapes() -> None:
    """The shipped schemas are themselves valid, and they are not vacuous: the pre-contract
    shapes (hex capabilities, ``device``/``queue``, per-PID dicts) fail validation."""
    for name in jsondoc.DOCUMENTS:
        schema = jsondoc.load_schema(name)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    listing = json.loads(_run("list").stdout)
    node = next(d for d in listing["devices"] if d["subsystem"] == "video4linux")
    old = copy.deepcopy(listing)
    old["devices"][listing["devices"].index(node)]["capabilities"] = "0x85208000"
    with pytest.raises(jsonschema.ValidationError):
        jsondoc.validate(old)
    no_schema = {k: v for k, v in listing.items() if k != "schema"}
    with pytest.raises(ValueError, match="not a mediatui document"):
        jsondoc.validate(no_schema)
    with pytest.raises(ValueError, match="no shipped schema"):
        jsondoc.validate({**listing, "schema": "mediatui.list/2"})


def test_stream_documents_reject_old_keys(documents: dict) -> None:
    _, doc = documents[DVB_TUNED]
    assert doc["packets"] > 0 and isinstance(doc["cc_errors_by_pid"], list)
    for mutate in (
        lambda d: d.update(device=d.pop("path")),
        lambda d: d.update(cc_errors_by_pid={"0x0100": 1}),
        lambda d: d.update(elapsed="1.0"),
    ):
        broken = copy.deepcopy(doc)
        mutate(broken)
        with pytest.raises(jsonschema.ValidationError):
            jsondoc.validate(broken)


# --- NDJSON lines ---------------------------------------------------------------------------


def _watch_lines() -> list[dict[str, Any]]:
    from core.discovery import DeviceNode, HotplugEvent
    from mediatui.verbs import watch_

    node = DeviceNode(path="/dev/video7", subsystem="video4linux", sysname="video7",
                      devpath="/devices/platform/vivid.0/video4linux/video7",
                      kind="video-capture", name="vivid-000-vid-cap", driver="vivid",
                      card="vivid", bus_info="platform:vivid-000", capabilities=0x85208000,
                      device_caps=0x05200001, devnum=(81, 7), physical="/devices/platform/vivid.0",
                      udev=(("ID_PATH", "platform-vivid.0"),))
    now = time.monotonic()
    events = [
        HotplugEvent("add", "video4linux", node.devpath, "video7", "/dev/video7",
                     "video-capture", now, 4001, node=node),
        HotplugEvent("remove", "video4linux", node.devpath, "video7", "/dev/video7",
                     "video-capture", now, 4002),
        HotplugEvent("unbind", "platform", "/devices/platform/vivid.0", "vivid.0", None, None,
                     now, 4003, driver="vivid"),
        HotplugEvent("resync", "", "", "", None, None, now),
    ]
    lines = []
    for event in events:
        captured: list[str] = []
        real = sys.stdout
        try:
            sys.stdout = _Capture(captured)
            watch_.print_event(event, as_json=True)
        finally:
            sys.stdout = real
        (line,) = "".join(captured).splitlines()
        lines.append(json.loads(line))
    return lines


class _Capture:
    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def write(self, text: str) -> int:
        self.sink.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_watch_lines_validate() -> None:
    lines = _watch_lines()
    for line in lines:
        assert jsondoc.validate(line) == "watch"
    assert lines[0]["node"]["capabilities_raw"] == 0x85208000
    assert lines[0]["node"]["device_caps"] == [
        "VIDEO_CAPTURE", "EXT_PIX_FORMAT", "READWRITE", "STREAMING"]


def test_watch_on_the_demo_board_says_why_it_prints_nothing() -> None:
    proc = subprocess.run([sys.executable, "-m", "mediatui", "watch", "--demo", "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
    assert proc.returncode == 0 and proc.stdout == "" and "do not hotplug" in proc.stderr


@pytest.fixture
def traced_demo() -> Iterator[list[Any]]:
    """The demo board with a tracer recording every ioctl (what the TUI's log holds)."""
    from core import ioctl as chokepoint
    from mediatui.demo import install_demo, uninstall_demo

    entries: list[Any] = []
    install_demo()
    chokepoint.add_tracer(entries.append)
    try:
        yield entries
    finally:
        chokepoint.remove_tracer(entries.append)
        uninstall_demo()


def test_ioctl_log_lines_validate_with_structured_args(traced_demo: list[Any],
                                                       tmp_path: Path) -> None:
    """Inspect, probe, stream a camera, stream DVB: every traced ioctl saved as
    mediatui.ioctl/1 validates, its args are fields (no pre-formatted string, no b'..')."""
    from mediatui.widgets.ioctl_log import IoctlRecorder

    for path in DEMO_NODES:
        assert in_process(["info", path]) == 0
        assert in_process(["probe", path]) == 0
    assert in_process(["topology", "/dev/media3"]) == 0  # the media structs' fields
    # a failing ioctl is logged too: vimc's sensor -> debayer link is immutable
    assert in_process(["setup", "/dev/media3", "-l", '"Sensor A":0->"Debayer A":0[0]']) == 1
    assert in_process(["stream", "/dev/video0", "--size", "320x180", "--count", "2", "-q"]) == 0
    assert in_process(["stream", "/dev/dvb/adapter0/demux0", "--tune", "474000000",
                       "--count", "2", "-q"]) == 0
    recorder = IoctlRecorder()
    for entry in traced_demo:
        recorder(entry)
    saved = tmp_path / "log.ndjson"
    assert recorder.save_ndjson(saved) == len(traced_demo) > 100
    text = saved.read_text()
    assert "b'" not in text and 'b\\"' not in text
    lines = [json.loads(line) for line in text.splitlines()]
    names = set()
    for line in lines:
        assert jsondoc.validate(line) == "ioctl"
        names.add(line["ioctl"])
        assert "b'" not in line["summary"]
    assert {"VIDIOC_QUERYCAP", "VIDIOC_S_FMT", "VIDIOC_REQBUFS", "DMX_SET_PES_FILTER",
            "FE_SET_PROPERTY"} <= names, names
    failed = [x for x in lines if x["errno"] is not None]
    assert failed and all(x["errno_name"] and x["result"] is None for x in failed)
    querycap = next(x for x in lines if x["ioctl"] == "VIDIOC_QUERYCAP" and x["errno"] is None)
    assert isinstance(querycap["args"]["driver"], str)
    assert "STREAMING" in querycap["args"]["device_caps"]
    assert isinstance(querycap["args"]["device_caps_raw"], int)
    s_fmt = next(x for x in lines if x["ioctl"] == "VIDIOC_S_FMT")
    pix = s_fmt["args"]["fmt"]["pix_mp"]
    assert s_fmt["args"]["type"] == "video-capture-mplane" and pix["pixelformat"] == "YUYV"
    assert pix["plane_fmt"][0]["sizeimage"] > 0 and len(pix["plane_fmt"]) == pix["num_planes"]
    pes = next(x for x in lines if x["ioctl"] == "DMX_SET_PES_FILTER")["args"]
    assert pes["pid"] == 0x2000 and pes["output"] == "tsdemux-tap"


def in_process(args: list[str]) -> int:
    """A verb run in this process, output discarded (the demo backend is installed)."""
    from mediatui.cli import build_parser

    ns = build_parser().parse_args(args)
    out, err = sys.stdout, sys.stderr
    try:
        sys.stdout = sys.stderr = _Capture([])
        code: int = ns.run(ns)
        return code
    finally:
        sys.stdout, sys.stderr = out, err


# --- one concept, one key, one type ---------------------------------------------------------


def test_one_concept_has_one_key_and_one_type_across_verbs(documents: dict,
                                                           traced_demo: list[Any]) -> None:
    seen: dict[str, dict[str, str]] = {}
    for args, (_, doc) in documents.items():
        key_types(doc, " ".join(args), seen)
    for line in _watch_lines():
        key_types(line, "watch", seen)
    assert in_process(["info", "/dev/video0"]) == 0
    for entry in traced_demo:
        key_types(jsondoc.document("ioctl", entry.as_dict()), "ioctl", seen)
    assert_one_key_one_type(seen)


def test_no_bytes_repr_in_generic_summaries_or_fields() -> None:
    """A struct without its own summarizer (media_device_info) is described as text: the
    log line and the structured fields show ``'vim2m'``, never ``b'vim2m'``."""
    from core import ioctl as chokepoint
    from core.abi import fields
    from core.abi.media import media_device_info

    info = media_device_info(driver=b"vim2m", model=b"vim2m\x1b[31m", hw_revision=2)
    line = chokepoint.summarize(info)
    assert "driver='vim2m'" in line and "b'" not in line
    got = fields.arg_fields(info)
    assert got["driver"] == "vim2m" and got["model"] == "vim2m\x1b[31m"
    assert '"model": "vim2m\\u001b[31m"' in jsondoc.dumps(got)  # JSON escapes it
