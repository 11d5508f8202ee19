"""An independent reader of Chrome JSON trace files (the "Trace Event Format" document:
``traceEvents`` with ``ph`` M/X/B/E/C/i, ``ts``/``dur`` in microseconds), used to check
what mediatui's writer produced without importing it.

:func:`read_tracks` groups complete (``X``) and begin/end (``B``/``E``) spans by
(pid, tid) with the names the ``process_name``/``thread_name`` metadata give them;
:func:`check_tiling` says how a track's spans fail to tile an interval.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Track:
    process: str
    thread: str
    spans: list[tuple[float, float, str]] = field(default_factory=list)  # start, end (us)


@dataclass
class Trace:
    tracks: dict[tuple[int, int], Track]
    counters: dict[tuple[int, str], list[tuple[float, dict[str, Any]]]]
    instants: list[dict[str, Any]]
    other: dict[str, Any]


def read_tracks(path: str) -> Trace:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    pnames: dict[int, str] = {}
    tnames: dict[tuple[int, int], str] = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "process_name":
            pnames[e["pid"]] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "thread_name":
            tnames[(e["pid"], e["tid"])] = e["args"]["name"]
    tracks: dict[tuple[int, int], Track] = {}
    open_b: dict[tuple[int, int], list[tuple[float, str]]] = {}
    counters: dict[tuple[int, str], list[tuple[float, dict[str, Any]]]] = {}
    instants = []

    def track(key: tuple[int, int]) -> Track:
        if key not in tracks:
            tracks[key] = Track(pnames.get(key[0], str(key[0])), tnames.get(key, str(key[1])))
        return tracks[key]

    for e in events:
        ph = e.get("ph")
        key = (e.get("pid", 0), e.get("tid", 0))
        if ph == "X":
            track(key).spans.append((float(e["ts"]), float(e["ts"]) + float(e["dur"]),
                                     e["name"]))
        elif ph == "B":
            open_b.setdefault(key, []).append((float(e["ts"]), e["name"]))
        elif ph == "E":
            start, name = open_b[key].pop()
            track(key).spans.append((start, float(e["ts"]), name))
        elif ph == "C":
            counters.setdefault((key[0], e["name"]), []).append((float(e["ts"]), e["args"]))
        elif ph in ("i", "I"):
            instants.append(e)
    for t in tracks.values():
        t.spans.sort()
    other = doc.get("otherData", {}) if isinstance(doc, dict) else {}
    return Trace(tracks, counters, instants, other)


def check_tiling(track: Track, start: float, end: float, slack_us: float = 1.0) -> list[str]:
    """Problems with ``track`` covering [start, end] with back-to-back spans."""
    problems = []
    spans = track.spans
    if not spans:
        return ["no spans"]
    if abs(spans[0][0] - start) > slack_us:
        problems.append(f"first span starts at {spans[0][0]}, not {start}")
    if abs(spans[-1][1] - end) > slack_us:
        problems.append(f"last span ends at {spans[-1][1]}, not {end}")
    for (s0, e0, n0), (s1, e1, n1) in itertools.pairwise(spans):
        if e0 - s1 > slack_us:
            problems.append(f"{n0} [{s0}, {e0}] overlaps {n1} [{s1}, {e1}]")
        elif s1 - e0 > slack_us:
            problems.append(f"gap between {e0} and {s1}")
    for s, e, n in spans:
        if e < s:
            problems.append(f"{n} ends before it starts")
    return problems
