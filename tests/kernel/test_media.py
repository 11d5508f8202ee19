"""Media controller on vimc (default boot): topology against media-ctl, the pipeline
check against STREAMON, setup through mediatui only, subdev info against v4l2-ctl."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scenarios.media_pipeline import DEFAULT_MISMATCH, power_on_defaults

from core.media.read import media_device_of

SCHEMAS = Path(__file__).resolve().parents[2] / "core" / "service" / "schemas"


def mediatui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mediatui", *args], capture_output=True,
                          text=True, timeout=240, check=False)


def tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} not found: apt-get install v4l-utils")
    return exe


@pytest.fixture
def vimc(node_by_name) -> Iterator[dict[str, str]]:
    raw = node_by_name("Raw Capture 0")
    media = media_device_of(raw)
    assert media, f"no media device found for {raw} in sysfs"
    power_on_defaults(media)
    yield {"media": media, "raw": raw, "rgb": node_by_name("RGB/YUV Capture")}
    power_on_defaults(media)


def parse_media_ctl(text: str) -> tuple[dict[str, list[str]], set[tuple[str, int, str, int, str]]]:
    """media-ctl -p: entity -> pad roles, and (source, pad, sink, pad, flags) links."""
    entities: dict[str, list[str]] = {}
    links: set[tuple[str, int, str, int, str]] = set()
    current = ""
    pad = -1
    for line in text.splitlines():
        if m := re.match(r"- entity \d+: (.*) \(\d+ pads?, \d+ links?\)", line):
            current = m.group(1)
            entities[current] = []
        elif m := re.match(r"\tpad(\d+): (\w+)", line):
            pad = int(m.group(1))
            entities[current].append(m.group(2))
        elif m := re.match(r'\t\t-> "(.*)":(\d+) \[(.*)\]', line):
            links.add((current, pad, m.group(1), int(m.group(2)), m.group(3)))
    return entities, links


def test_topology_json_matches_media_ctl(vimc) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    out = subprocess.run([tool("media-ctl"), "-d", vimc["media"], "-p"], capture_output=True,
                         text=True, check=True).stdout
    entities, links = parse_media_ctl(out)
    got = mediatui("topology", vimc["media"], "--json")
    assert got.returncode == 0, got.stderr
    doc = json.loads(got.stdout)
    schema = json.loads((SCHEMAS / "topology.schema.json").read_text())
    jsonschema.validate(doc, schema)
    ours = {e["entity"]: ["Sink" if "SINK" in p["flags"] else "Source" for p in e["pads"]]
            for e in doc["entities"]}
    assert ours == entities
    our_links = {(lk["source_pad"]["entity"], lk["source_pad"]["pad"], lk["sink_pad"]["entity"],
                  lk["sink_pad"]["pad"], ",".join(lk["flags"])) for lk in doc["links"]}
    assert our_links == links
    assert doc["device_info"]["driver"] == "vimc"


def test_topology_dot_is_valid(vimc) -> None:
    got = mediatui("topology", vimc["media"], "--dot")
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith("digraph board {")
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("graphviz not installed: only the header was checked")
    svg = subprocess.run([dot, "-Tsvg"], input=got.stdout, capture_output=True, text=True)
    assert svg.returncode == 0, svg.stderr
    assert "<svg" in svg.stdout and "Debayer A" in svg.stdout


def test_defaults_fail_with_epipe_naming_the_link(vimc) -> None:
    streamed = mediatui("stream", vimc["raw"], "-n", "3")
    assert streamed.returncode != 0
    assert "EPIPE" in streamed.stderr and DEFAULT_MISMATCH in streamed.stderr, streamed.stderr
    checked = mediatui("check", vimc["raw"])
    assert checked.returncode == 1
    assert DEFAULT_MISMATCH in checked.stdout, checked.stdout


def _frames(out: str) -> int:
    m = re.search(r"frames (\d+)", out)
    assert m, out
    return int(m.group(1))


def test_configured_with_mediatui_streams(vimc) -> None:
    media = vimc["media"]
    setup = mediatui(
        "setup", media,
        "-V", '"Sensor A":0[fmt:SBGGR8_1X8/640x480]',
        "-V", '"Debayer A":0[fmt:SBGGR8_1X8/640x480]',
        "-V", '"Sensor B":0[fmt:SBGGR8_1X8/640x480]',
        "-V", '"Debayer B":0[fmt:SBGGR8_1X8/640x480]',
        "--video", f"{vimc['raw']}:640x480/BA81")
    assert setup.returncode == 0, setup.stderr
    checked = mediatui("check", vimc["raw"])
    assert checked.returncode == 0, checked.stdout
    streamed = mediatui("stream", vimc["raw"], "-n", "30")
    assert streamed.returncode == 0, streamed.stderr
    assert _frames(streamed.stdout) == 30
    # Through the scaler: its source pad at 1920x1440 and the capture node alike.
    setup = mediatui("setup", media, "-V", '"Scaler":1[fmt:RGB888_1X24/1920x1440]',
                     "--video", f"{vimc['rgb']}:1920x1440/RGB3")
    assert setup.returncode == 0, setup.stderr
    checked = mediatui("check", vimc["rgb"])
    assert checked.returncode == 0, checked.stdout + setup.stdout
    streamed = mediatui("stream", vimc["rgb"], "-n", "30")
    assert streamed.returncode == 0, streamed.stderr
    assert _frames(streamed.stdout) == 30
    # One field changed on one pad: the check reports exactly that field.
    mediatui("setup", media, "-V", '"Sensor A":0[colorspace:rec709]')
    checked = mediatui("check", vimc["raw"], "--json")
    assert checked.returncode == 1
    document = json.loads(checked.stdout)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(document, json.loads((SCHEMAS / "check.schema.json").read_text()))
    problems = document["problems"]
    assert [(p["sink"], p["fields"]) for p in problems] == [("'Raw Capture 0':0", ["colorspace"])]
    mediatui("setup", media, "-V", '"Sensor A":0[colorspace:srgb field:none]')
    assert mediatui("check", vimc["raw"]).returncode == 0


def test_subdev_info_matches_v4l2_ctl(vimc, node_by_name) -> None:
    v4l2_ctl = tool("v4l2-ctl")
    for name in ("Sensor A", "Debayer A", "Scaler"):
        path = node_by_name(name)
        got = mediatui("info", path, "--json")
        assert got.returncode == 0, got.stderr
        info = json.loads(got.stdout)
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(info, json.loads((SCHEMAS / "subdev.schema.json").read_text()))
        for pad in info["pads"]:
            codes = subprocess.run([v4l2_ctl, "-d", path, "--list-subdev-mbus-codes",
                                    str(pad["pad"])], capture_output=True, text=True).stdout
            theirs = re.findall(r"(0x[0-9a-f]+): MEDIA_BUS_FMT_(\w+)", codes)
            assert [(hex(c["code_raw"]), c["code"]) for c in pad["mbus_codes"]] == [
                (hex(int(x, 16)), n) for x, n in theirs]
            fmt = subprocess.run([v4l2_ctl, "-d", path, "--get-subdev-fmt", str(pad["pad"])],
                                 capture_output=True, text=True).stdout
            size = re.search(r"Width/Height\s*:\s*(\d+)/(\d+)", fmt)
            code = re.search(r"Mediabus Code\s*:\s*0x([0-9a-f]+)", fmt)
            assert size and code, fmt
            f = pad["format"]
            assert (f["width"], f["height"], f["code_raw"]) == (
                int(size.group(1)), int(size.group(2)), int(code.group(1), 16))


def test_tui_fixes_the_pipeline_with_the_keys(vimc) -> None:
    """Open "RGB/YUV Capture", see the mismatch in the Topology tab, route the scaler to
    "RGB/YUV Input" with two `t` presses, then `s` streams."""
    import asyncio

    from kernel.test_tui import _notes, _open, _settle, _text
    from mediatui.app import make_app
    from mediatui.screens.stream import StreamScreen
    from mediatui.widgets.topology_view import TopologyView

    async def loaded(pilot, view: TopologyView, old: object) -> None:
        for _ in range(100):
            await _settle(pilot)
            if view.snapshot is not None and view.snapshot is not old:
                return
            await pilot.pause(0.1)
        raise AssertionError("the topology never loaded")

    def cursor_to_link(view: TopologyView, source: str, sink: str) -> None:
        def walk(node):
            yield node
            for child in node.children:
                yield from walk(child)

        node = next(n for n in walk(view.graph_tree.root) if n.data is not None
                    and n.data.kind == "link" and n.data.entity == source
                    and sink in str(n.label))
        view.graph_tree.move_cursor(node)

    async def run() -> None:
        app = make_app(watch=False)
        async with app.run_test(size=(160, 60)) as pilot:
            await _settle(pilot)
            await _open(pilot, vimc["rgb"])
            await pilot.press("6")
            view = app.screen.query_one(TopologyView)
            await loaded(pilot, view, None)
            assert "mismatch" in _text(app) and "code differs" in _text(app)
            view.graph_tree.focus()
            for source in ("Debayer A", "RGB/YUV Input"):
                cursor_to_link(view, source, "Scaler")
                old = view.snapshot
                await pilot.press("t")
                await loaded(pilot, view, old)
            checks = {c.video: c for c in view.snapshot.checks}
            assert checks[vimc["rgb"]].ok, checks[vimc["rgb"]].problems
            await pilot.press("s")
            for _ in range(200):  # not _settle(): the stream's worker runs until stopped
                screen = app.screen
                if isinstance(screen, StreamScreen) and screen.active is not None and (
                        screen.active.snapshot is not None
                        and screen.active.snapshot.frames >= 5):
                    break
                await pilot.pause(0.1)
            assert not [n for n in _notes(app) if n[0] == "error"], _notes(app)
            screen = app.screen
            assert isinstance(screen, StreamScreen) and screen.active is not None
            assert screen.active.snapshot is not None and screen.active.snapshot.frames >= 5
            screen.active.stop()
            await pilot.pause(0.5)

    asyncio.run(run())
