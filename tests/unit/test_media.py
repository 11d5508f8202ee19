"""Media controller: the pipeline check's rules, media-ctl syntax, and the verbs on the
virtual vimc (``--demo``), including the JSON schema and hostile entity names."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from core.abi import mbus as mb
from core.abi import media as m
from core.abi import v4l2 as v
from core.media.check import check_pipeline, compare_subdev, compare_video
from core.media.model import MbusFormat, VideoFormat
from core.media.read import read_topology
from core.media.setup import SetupSyntaxError, parse_format, parse_link
from core.service import topology as svc
from core.virtual import InstantClock, VirtualBackend
from core.virtual.media import MediaNode
from core.virtual.node import FileHandle
from core.virtual.vb2 import fail
from core.virtual.vimc import build_vimc
from mediatui import cli

SCHEMAS = Path(__file__).resolve().parents[2] / "core" / "service" / "schemas"
SCHEMA = json.loads((SCHEMAS / "topology.schema.json").read_text())
CHECK_SCHEMA = json.loads((SCHEMAS / "check.schema.json").read_text())
SUBDEV_SCHEMA = json.loads((SCHEMAS / "subdev.schema.json").read_text())
RGB = MbusFormat(640, 480, mb.MEDIA_BUS_FMT_RGB888_1X24, v.V4L2_FIELD_NONE,
                 v.V4L2_COLORSPACE_SRGB)


@pytest.fixture
def vimc() -> Iterator[VirtualBackend]:
    backend = VirtualBackend(clock=InstantClock())
    _, nodes = build_vimc("/dev/media9", ("/dev/video90", "/dev/video91", "/dev/video92"),
                          tuple(f"/dev/v4l-subdev9{n}" for n in range(8)))
    for node in nodes:
        backend.add(node, "vimc.0")
    with backend:
        yield backend


def test_subdev_rule_is_v4l2_subdev_link_validate_default() -> None:
    """Width, height, code and field (unless the sink is progressive); never colorimetry."""
    assert compare_subdev(RGB, RGB) == []
    other = MbusFormat(320, 480, mb.MEDIA_BUS_FMT_SRGGB8_1X8, v.V4L2_FIELD_NONE, 0)
    assert compare_subdev(RGB, other) == ["width", "code"]
    interlaced = MbusFormat(640, 480, RGB.code, v.V4L2_FIELD_INTERLACED, 3)
    assert compare_subdev(interlaced, RGB) == []  # a NONE sink takes any field
    assert compare_subdev(RGB, interlaced) == ["field"]


def test_video_rule_is_vimc_vdev_link_validate() -> None:
    video = VideoFormat(640, 480, v.fourcc("RGB3"), v.V4L2_FIELD_NONE, v.V4L2_COLORSPACE_SRGB)
    assert compare_video(RGB, video) == []
    rec709 = MbusFormat(640, 480, RGB.code, v.V4L2_FIELD_NONE, v.V4L2_COLORSPACE_REC709)
    assert compare_video(rec709, video) == ["colorspace"]
    default = MbusFormat(640, 480, RGB.code, v.V4L2_FIELD_NONE, 0, 2, 2, 2)
    assert compare_video(default, video) == []  # DEFAULT on one side skips colorimetry
    quant = MbusFormat(640, 480, RGB.code, v.V4L2_FIELD_NONE, v.V4L2_COLORSPACE_SRGB, 0, 2)
    assert compare_video(quant, VideoFormat(640, 480, v.fourcc("RGB3"), 1, 8, 0, 1)) == [
        "quantization"]
    bayer = VideoFormat(640, 480, v.fourcc("BA81"), v.V4L2_FIELD_NONE, 8)
    assert compare_video(RGB, bayer) == ["code"]


def test_media_ctl_syntax() -> None:
    link = parse_link('"Debayer A":1->"Scaler":0[1]')
    assert (link.source, link.source_pad, link.sink, link.sink_pad, link.enable) == (
        "Debayer A", 1, "Scaler", 0, True)
    assert parse_link("5:1 -> 21:0[0]").enable is False
    fmt = parse_format('"Sensor A":0[fmt:SBGGR8_1X8/640x480 field:none colorspace:rec709 '
                       'crop:(0,0)/320x240]')
    assert (fmt.code, fmt.width, fmt.height, fmt.field, fmt.colorspace) == (
        mb.MEDIA_BUS_FMT_SBGGR8_1X8, 640, 480, v.V4L2_FIELD_NONE, v.V4L2_COLORSPACE_REC709)
    assert fmt.crop is not None and fmt.crop.width == 320
    for bad in ('"A":1->"B":0', '"A":0[fmt:NOPE/1x1]', '"A":0[colorspace:purple]',
                '"A":0[size:1]'):
        with pytest.raises(SetupSyntaxError):
            parse_format(bad) if "->" not in bad else parse_link(bad)


def test_power_on_defaults_name_the_debayer_link(vimc: VirtualBackend) -> None:
    """The kernel's walk takes "Debayer A" into Raw Capture 0's pipeline through
    "Sensor A"'s second enabled link, so its sink pad is compared too."""
    topo = read_topology("/dev/media9")
    result = check_pipeline(topo, "/dev/video90")
    assert result.path == ("Raw Capture 0", "Sensor A")
    assert "Debayer A" in result.pipeline
    assert [p.message for p in result.problems] == [
        "link 'Sensor A':0 → 'Debayer A':0: source is 640x480 RGB888_1X24, sink is 640x480 "
        "SRGGB8_1X8 (code differs)"]
    assert result.problems[0].errno_name == "EPIPE"
    other = check_pipeline(topo, "/dev/video91")  # Sensor B has its own debayer
    assert other.pipeline == ("Raw Capture 1", "Sensor B", "Debayer B")


def test_document_validates_and_lists_everything(vimc: VirtualBackend) -> None:
    doc = svc.topology_document(read_topology("/dev/media9"))
    jsonschema.validate(doc, SCHEMA)
    assert doc["schema"] == "mediatui.topology/1"
    assert [e["entity"] for e in doc["entities"]][:3] == ["Sensor A", "Sensor B", "Debayer A"]
    assert len(doc["links"]) == 8 and len(doc["ancillary_links"]) == 2
    sensor = doc["entities"][0]
    assert sensor["devnode"] == "/dev/v4l-subdev90"
    assert sensor["pads"][0]["format"]["code"] == "RGB888_1X24"
    assert {lk["sink_pad"]["entity"]: lk["flags"] for lk in doc["links"]}["RGB/YUV Capture"] == [
        "ENABLED", "IMMUTABLE"]


def test_setup_propagate_and_reset(vimc: VirtualBackend) -> None:
    notes = svc.setup("/dev/media9", links=[], formats=['"Sensor A":0[fmt:SGRBG8_1X8/1280x720]'],
                      propagate_from=["Sensor A"], do_reset=False)
    assert notes[0] == "'Sensor A':0 [fmt:SGRBG8_1X8/1280x720 field:none colorspace:srgb]"
    topo = read_topology("/dev/media9")
    deb = topo.pad_of("Debayer A", 0)
    assert deb is not None and deb.format is not None
    assert deb.format.short() == "1280x720 SGRBG8_1X8"
    scaler = topo.pad_of("Scaler", 1)
    assert scaler is not None and scaler.format is not None
    assert scaler.format.short() == "1280x720 RGB888_1X24"  # propagated through the debayer
    # The driver adjusts odd sizes; the note says so.
    notes = svc.setup("/dev/media9", links=[], formats=['"Sensor B":0[fmt:SBGGR8_1X8/641x9]'],
                      propagate_from=[], do_reset=False)
    assert "640x16" in notes[0] and "adjusted" in notes[1]
    svc.reset(read_topology("/dev/media9"))
    topo = read_topology("/dev/media9")
    assert not any(lk.enabled and not lk.immutable for lk in topo.data_links)
    sensor = topo.pad_of("Sensor A", 0)
    assert sensor is not None and sensor.format == RGB


def test_immutable_link_and_unknown_entity(vimc: VirtualBackend) -> None:
    from core.errors import MediaError

    with pytest.raises(MediaError) as info:
        svc.setup("/dev/media9", links=['"Sensor A":0->"Debayer A":0[0]'], formats=[],
                  propagate_from=[], do_reset=False)
    assert info.value.errno_name == "EINVAL" and info.value.ioctl == "MEDIA_IOC_SETUP_LINK"
    with pytest.raises(SetupSyntaxError, match="no entity named 'Nope'"):
        svc.setup("/dev/media9", links=['"Nope":0->"Scaler":0[1]'], formats=[],
                  propagate_from=[], do_reset=False)


def test_hostile_names_are_escaped(vimc: VirtualBackend) -> None:
    topo = read_topology("/dev/media9")
    backend_node = vimc.node("/dev/media9")
    backend_node.graph.entities[0].name = "Sensor\x1b[2J\u202eA"  # type: ignore[attr-defined]
    topo = read_topology("/dev/media9")
    text = svc.topology_text(topo)
    assert "\x1b" not in text and "\\x1b[2J\\u202eA" in text
    assert "\\x1b" in svc.check_text(svc.CheckReport("/dev/media9",
                                                     check_pipeline(topo, "/dev/video90"), topo))


@pytest.fixture
def demo() -> Iterator[None]:
    from mediatui.demo import uninstall_demo

    yield
    uninstall_demo()


def test_cli_check_topology_info_setup(demo: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "check", "/dev/video3"]) == 1
    assert "(code differs)" in capsys.readouterr().out
    assert cli.main(["--demo", "topology", "/dev/media3", "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), SCHEMA)
    assert cli.main(["--demo", "check", "/dev/video3", "--json"]) == 1
    checked = json.loads(capsys.readouterr().out)
    jsonschema.validate(checked, CHECK_SCHEMA)
    assert checked["problems"][0]["fields"] == ["code"]
    assert cli.main(["--demo", "info", "/dev/v4l-subdev2", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    jsonschema.validate(info, SUBDEV_SCHEMA)
    assert info["entity"] == "Debayer A"
    assert [c["code"] for c in info["pads"][0]["mbus_codes"]][:2] == ["SBGGR8_1X8", "SGBRG8_1X8"]
    # vivid's media node: its graph, as the kernel's vivid registers it.
    assert cli.main(["--demo", "info", "/dev/media0"]) == 0
    out = capsys.readouterr().out
    assert "vivid-000-vid-cap (1 pad, 0 links)" in out and "device node name /dev/video1" in out
    assert cli.main(["--demo", "info", "/dev/media0", "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), SCHEMA)
    assert cli.main(["--demo", "info", "/dev/media3"]) == 0
    assert '-> "Scaler":0 [ENABLED]' in capsys.readouterr().out
    assert cli.main(["--demo", "setup", "/dev/media3", "-V", '"Sensor A":0[fmt:BOGUS/1x1]']) == 2
    assert "unknown media bus code" in capsys.readouterr().err
    assert cli.main(["--demo", "setup", "/dev/media3",
                     "-V", '"Sensor A":0[fmt:SBGGR8_1X8/640x480]',
                     "-V", '"Debayer A":0[fmt:SBGGR8_1X8/640x480]',
                     "--video", "/dev/video3:640x480/BA81"]) == 0
    capsys.readouterr()
    assert cli.main(["--demo", "check", "/dev/video3"]) == 0
    assert "STREAMON would pass" in capsys.readouterr().out
    assert cli.main(["--demo", "topology", "/dev/media3", "--dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph board {") and 'label="640x480 SBGGR8_1X8"' in dot


class _NoTopology(MediaNode):
    """A media node whose driver answers DEVICE_INFO only (as a pre-4.9 kernel would)."""

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if request == m.MEDIA_IOC_G_TOPOLOGY:
            raise fail(errno.ENOTTY)
        return super().ioctl(fh, request, arg)


def test_info_without_g_topology(capsys: pytest.CaptureFixture[str]) -> None:
    """G_TOPOLOGY refused: ``info`` still shows the device info and names the ioctl."""
    backend = VirtualBackend(clock=InstantClock())
    backend.add(_NoTopology("/dev/media9", "old", "old", "platform:old"), "old.0")
    with backend:
        assert cli.main(["info", "/dev/media9"]) == 0
        assert "topology: /dev/media9: MEDIA_IOC_G_TOPOLOGY failed with ENOTTY" in (
            capsys.readouterr().out)
        assert cli.main(["info", "/dev/media9", "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["entities"] == [] and "ENOTTY" in doc["topology_error"]


@pytest.mark.parametrize(("media", "driver", "videos"), [
    ("/dev/media0", "vivid", {"/dev/video0", "/dev/video1"}),
    ("/dev/media1", "vim2m", {"/dev/video2"}),
    ("/dev/media2", "vidtv", set()),
])
def test_demo_media_nodes_have_graphs(demo: None, capsys: pytest.CaptureFixture[str],
                                      media: str, driver: str, videos: set[str]) -> None:
    """Every media node of the demo board answers G_TOPOLOGY like its kernel driver:
    ``topology --json`` validates, each of its video nodes is an entity with its
    interface, and ``check`` passes on them (vim2m's plain-entity links are not
    validated by the kernel, so they are no problem)."""
    assert cli.main(["--demo", "topology", media, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["device_info"]["driver"] == driver and doc["entities"]
    assert {i["devnode"] for i in doc["interfaces"]} >= videos
    if driver == "vidtv":
        assert {i["devnode"] for i in doc["interfaces"]} == {
            "/dev/dvb/adapter0/frontend0", "/dev/dvb/adapter0/demux0", "/dev/dvb/adapter0/dvr0"}
    for video in sorted(videos):
        assert cli.main(["--demo", "check", video, "--json"]) == 0
        checked = json.loads(capsys.readouterr().out)
        jsonschema.validate(checked, CHECK_SCHEMA)
        assert checked["problems"] == []
        assert cli.main(["--demo", "check", video]) == 0
        assert f"on {media}" in capsys.readouterr().out
