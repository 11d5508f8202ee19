"""`mediatui info`: frame intervals for the current format's size unless --all-intervals
(issue 16: vivid's capture node answers thousands of ENUM_FRAMEINTERVALS for every size)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

from core.service import jsondoc

REPO = Path(__file__).resolve().parents[2]


def _info(*extra: str) -> tuple[dict[str, Any], str]:
    base = [sys.executable, "-m", "mediatui", "--demo", "info", "/dev/video0", *extra]
    doc = subprocess.run([*base, "--json"], capture_output=True, text=True, cwd=REPO,
                         timeout=120, check=True).stdout
    text = subprocess.run(base, capture_output=True, text=True, cwd=REPO, timeout=120,
                          check=True).stdout
    return json.loads(doc), text


def _sizes_with_intervals(doc: dict[str, Any]) -> tuple[set[tuple[int, int]], int]:
    with_ivals, discrete = set(), 0
    for queue in doc["queues"]:
        for fmt in queue["formats"]:
            for size in fmt["sizes"]:
                if size["type"] == "discrete":
                    discrete += 1
                    if "intervals" in size:
                        assert size["intervals"], size  # listed means enumerated
                        with_ivals.add((size["width"], size["height"]))
    return with_ivals, discrete


def test_by_default_only_the_current_size_lists_its_intervals():
    doc, text = _info()
    jsonschema.validate(doc, jsondoc.load_schema("info"))
    assert doc["intervals_listed"] == "current-size"
    current = doc["queues"][0]["current_format"]
    sizes, discrete = _sizes_with_intervals(doc)
    assert sizes == {(current["width"], current["height"])}
    assert discrete > len(sizes)  # the other sizes are still listed, without intervals
    assert "--all-intervals lists them for every size" in text


def test_all_intervals_lists_every_discrete_sizes_intervals():
    doc, text = _info("--all-intervals")
    jsonschema.validate(doc, jsondoc.load_schema("info"))
    assert doc["intervals_listed"] == "all"
    sizes, _ = _sizes_with_intervals(doc)
    every = {(s["width"], s["height"]) for q in doc["queues"] for f in q["formats"]
             for s in f["sizes"] if s["type"] == "discrete"}
    assert sizes == every and len(every) > 1
    assert "--all-intervals" not in text
