"""``--demo``: the simulated other client on /dev/video6 seen through the same holders
scan as on real systems (a virtual /proc tree), and EBUSY naming it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from core.service import jsondoc

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "core" / "service" / "schemas"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mediatui", *args, "--demo"],
                          capture_output=True, text=True, cwd=REPO, timeout=120, check=False)


def _doc(*args: str) -> dict[str, Any]:
    proc = _run(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert jsondoc.validate(doc) == args[0]  # the shipped schema, through the contract
    return doc


@pytest.fixture(scope="module")
def who() -> dict[str, Any]:
    return _doc("who", "/dev/video6")


def test_schemas_are_valid_draft_2020_12() -> None:
    for path in SCHEMAS.glob("*.schema.json"):
        Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_who_names_the_client_as_queue_owner(who: dict[str, Any]) -> None:
    """PID 4242 owns the queue; the evidence is its 4 mapped buffers and 2 exports, and
    QUERYBUF from our second handle agrees (4 allocated, 4 in use)."""
    assert who["schema"] == "mediatui.who/1"
    (node,) = who["nodes"]
    (holder,) = node["holders"]
    assert holder["pid"] == 4242 and holder["owns_queue"]
    assert holder["cmdline"][0] == "gst-launch-1.0"
    # two exports at start, one more every 5 s (the simulated leak)
    assert holder["buffers_mapped"] == 4 and holder["exports_held"] >= 2
    assert any(e.startswith("maps: 4 buffers") for e in holder["evidence"])
    assert who["confirmation"]["queues"][0]["buffers"] == 4
    assert who["confirmation"]["queues"][0]["in_use"] == 4
    assert {b["exporter_node"] for b in who["dmabufs"]} == {"/dev/video6"}


def test_who_without_device_lists_only_held_nodes() -> None:
    doc = _doc("who")
    assert [n["path"] for n in doc["nodes"]] == ["/dev/video6"]
    assert doc["confirmation"] is None


def test_dmabufs_lists_the_exports_with_totals() -> None:
    doc = _doc("dmabufs")
    assert len(doc["dmabufs"]) >= 2
    assert all(b["exp_name"] == "videobuf2_vmalloc" for b in doc["dmabufs"])
    (proc,) = doc["processes"]
    assert proc["pid"] == 4242 and proc["fd_dmabufs"] == len(doc["dmabufs"])
    assert proc["total_bytes"] == doc["total"]["size_bytes"] == sum(
        b["size_bytes"] for b in doc["dmabufs"])
    assert _doc("dmabufs", "--pid", "1")["dmabufs"] == []


def test_dmabufs_text_has_the_total_line() -> None:
    out = _run("dmabufs")
    assert out.returncode == 0
    assert re.search(r"^dma-buf total: \d+ buffers, ", out.stdout, re.M)


def test_stream_on_the_held_camera_names_the_holder() -> None:
    """Our REQBUFS gets EBUSY and the explanation names PID 4242 and its command."""
    out = _run("stream", "/dev/video6", "--count", "1")
    assert out.returncode != 0
    assert "EBUSY" in out.stderr
    assert "PID 4242 `gst-launch-1.0 v4l2src" in out.stderr
    assert "4 of its buffers mapped: it owns the queue" in out.stderr


def test_bad_arguments_are_usage_errors() -> None:
    assert _run("who", "/nonexistent").returncode == 2
    assert _run("who", str(REPO)).returncode == 2
    bad = _run("dmabufs", "--pid", "0")
    assert bad.returncode == 2 and "--pid" in bad.stderr
