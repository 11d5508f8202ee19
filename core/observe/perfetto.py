"""Write an observed stream as a trace ui.perfetto.dev and chrome://tracing open.

The format is the documented Chrome JSON "Trace Event Format" (the JSON object form:
``{"traceEvents": [...], "displayTimeUnit": "ms"}``), which Perfetto's importer
reads; no writer library is needed for it (the ``perfetto`` PyPI package writes the
protobuf format through its trace processor binary, which it downloads at run time:
not possible on these machines).

Layout, per observed queue (a "process" named ``<path> <QUEUE>``; pipeline stages
are separate queues, in the order given):

* one track (a "thread") per buffer index, tiled with ``X`` (complete) spans named
  by the buffer's state: ``queued`` (in the driver), ``done`` (filled, not yet
  dequeued), ``error``, ``dequeued`` (with the application) and ``unseen`` (before the
  observer first saw the buffer): each track covers the whole observation, spans
  never overlap;
* ``C`` counters ``buffers in driver`` and ``fps``;
* ``i`` instant events ``drop`` (frames lost, from sequence gaps) and ``error``.

Times are CLOCK_MONOTONIC in microseconds (``ts`` is the raw clock, not relative), the
clock of V4L2 timestamps and GStreamer's tracers, so traces of one run line up.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from core.abi import v4l2 as v
from core.observe.model import ObservedStream

SCHEMA = "mediatui.trace/1"


def _us(ns: int) -> float:
    return ns / 1000.0


def trace_events(models: Sequence[ObservedStream], end_ns: int) -> list[dict[str, Any]]:
    """The trace events of every queue of every model (pipeline stages in order)."""
    out: list[dict[str, Any]] = []
    pid = 0
    # One start for every track: the observers of a pipeline start one after another.
    start = min((m.start_ns for m in models), default=end_ns)
    for model in models:
        for buf_type in sorted(model.lanes, key=lambda t: (v.is_output(t), t)):
            lane = model.lanes[buf_type]
            pid += 1
            name = f"{model.path} {v.buf_type_name(buf_type)}"
            out.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                        "args": {"name": name}})
            out.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                        "args": {"sort_index": pid}})
            per_index: dict[int, list[tuple[int, str]]] = {}
            for t, index, status in lane.transitions:
                per_index.setdefault(index, []).append((t, status))
            for index in sorted(per_index):
                tid = index + 1
                out.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                            "args": {"name": f"buffer {index}"}})
                out.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                            "args": {"sort_index": tid}})
                spans = [(start, "unseen"), *per_index[index]]
                for k, (t, status) in enumerate(spans):
                    t = max(t, start)
                    stop = spans[k + 1][0] if k + 1 < len(spans) else end_ns
                    stop = max(stop, t)
                    if stop == t and k + 1 < len(spans):
                        continue  # two changes at one instant: the later one wins
                    out.append({"ph": "X", "name": status, "cat": "buffer", "pid": pid,
                                "tid": tid, "ts": _us(t), "dur": _us(stop) - _us(t),
                                "args": {"index": index}})
            for t, depth in lane.depths:
                out.append({"ph": "C", "name": "buffers in driver", "pid": pid,
                            "ts": _us(max(t, start)), "args": {"in_driver": depth}})
            for t, fps in lane.rates:
                out.append({"ph": "C", "name": "fps", "pid": pid, "ts": _us(t),
                            "args": {"fps": round(fps, 3)}})
            for t, what, count in lane.marks:
                out.append({"ph": "i", "name": what, "cat": "stream", "pid": pid, "tid": 0,
                            "s": "p", "ts": _us(max(t, start)), "args": {"count": count}})
    return out


def write_trace(path: str, models: Sequence[ObservedStream], end_ns: int, *,
                source: str) -> int:
    """Write the trace file (atomically: a temporary file renamed); returns the count
    of trace events.  Raises OSError when the file cannot be written."""
    events = trace_events(models, end_ns)
    doc = {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {"schema": SCHEMA, "clock": "CLOCK_MONOTONIC", "source": source,
                      "devices": [m.path for m in models]},
    }
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    os.replace(tmp, path)
    return len(events)


__all__ = ["SCHEMA", "trace_events", "write_trace"]
