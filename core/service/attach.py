"""Attach to a stream another process runs: the observer, its document, its trace.

Both the ``mediatui attach`` verb and the TUI call this; it never prints.  The
document (:func:`document`) is ``mediatui.attach/1``, described by
``schemas/attach.schema.json``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from core.abi import v4l2 as v
from core.observe.observed import AttachSnapshot, Percentiles
from core.observe.observer import SOURCES, AttachError, Observer
from core.observe.perfetto import write_trace

SCHEMA = "mediatui.attach/1"

__all__ = ["SCHEMA", "SOURCES", "AttachError", "Observer", "TraceRecorder", "document",
           "open_observer", "save_trace"]


def open_observer(path: str, *, source: str = "auto", rate_hz: float = 20.0,
                  duration: float | None = None, snapshot_interval: float = 1.0,
                  record: bool = False) -> Observer:
    """An :class:`Observer` with its source started (see core.observe.observer).

    Raises ValueError (bad option: the message names it), AttachError (this node
    cannot be observed: says why) or core.errors.MediaError (opening/QUERYCAP failed).
    """
    if duration is not None and not duration > 0:
        raise ValueError(f"--duration must be > 0 seconds, not {duration}")
    obs = Observer(path, source=source, rate_hz=rate_hz, duration=duration,
                   snapshot_interval=snapshot_interval, record=record)
    obs.open()
    return obs


def save_trace(path: str, observers: Sequence[Observer]) -> int:
    """Write the Perfetto (Chrome JSON) trace of ``observers``; returns its event count.
    Raises OSError."""
    models = [o.model for o in observers if o.model is not None]
    source = ",".join(sorted({o.source for o in observers}))
    return write_trace(path, models, time.monotonic_ns(), source=source)


class TraceRecorder:
    """Record every buffer move of the queues of ``paths`` (one observer per node: each
    stage of a pipeline) for a Perfetto trace: ``stream --trace`` and the stream
    screen's ``T`` key.

    :meth:`start` opens the observers and runs each in its own daemon thread (it
    blocks while tracefs instances are set up: call it from a worker thread); it
    raises AttachError or core.errors.MediaError after closing any it opened.
    :meth:`finish` stops them, waits up to ``join_s`` for each to remove its tracefs
    instance, writes the Chrome JSON trace (core.observe.perfetto) and returns the
    event count and the warnings to show; it raises OSError if the file cannot be
    written.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        self.stop = threading.Event()
        self.observers: list[Observer] = []
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        try:
            for node in self.paths:
                self.observers.append(
                    open_observer(node, record=True, snapshot_interval=3600.0))
        except Exception:
            for obs in self.observers:
                obs.close()
            self.observers.clear()
            raise
        for obs in self.observers:
            t = threading.Thread(target=obs.run, args=(self.stop,), name="trace-observer",
                                 daemon=True)
            t.start()
            self.threads.append(t)

    @property
    def sources(self) -> str:
        return ", ".join(sorted({o.source for o in self.observers}))

    def finish(self, file: str, *, join_s: float = 60.0) -> tuple[int, list[str]]:
        self.stop.set()
        # Each observer removes its tracefs instance as its loop ends: wait for that
        # (a slow guest takes seconds), so the process never exits mid-teardown.
        for t in self.threads:
            t.join(join_s)
        warnings = []
        for obs, t in zip(self.observers, self.threads, strict=True):
            if t.is_alive():
                warnings.append(f"the observer of {obs.path} did not stop in {join_s:.0f} s")
            elif obs.leftover:
                warnings.append(obs.leftover)
        return save_trace(file, self.observers), warnings


def _pct(p: Percentiles) -> dict[str, Any]:
    return {"count": p.count, "p50_s": p.p50_s, "p99_s": p.p99_s, "max_s": p.max_s}


def document(snap: AttachSnapshot, obs: Observer, *, cpu: dict[str, float] | None = None,
             trace_file: str | None = None) -> dict[str, Any]:
    """The ``mediatui.attach/1`` document of a (final) snapshot.

    Top level: the primary queue's ``frames``/``drops``/``fps`` (capture first;
    ``drops`` is null for the approximate sampling source, which cannot tell a dropped
    frame from one dequeued between two samples), the
    source and whether it is approximate, the processes seen queueing and dequeueing
    (``pid``, ``tgid``, ``comm``, ``cmdline``, call counts), one entry per queue with
    its statistics, hold times (seconds) and starvation intervals (CLOCK_MONOTONIC ns).
    """
    s = snap.stream
    queues = []
    for q, lane in zip(s.queues, snap.lanes, strict=True):
        st = q.stats
        queues.append({
            "buf_type": v.buf_type_name(q.buf_type),
            "role": q.role,
            "memory": q.memory,
            "buffers": len(q.buffers),
            "frames": st.frames if st else 0,
            # Sampling sees some frames, not every one: gaps are not drops (null).
            "drops": None if snap.approximate else st.drops if st else 0,
            "errors": st.errors if st else 0,
            "fps": st.fps if st else None,
            "fps_arrival": st.fps_arrival if st else None,
            "first_sequence": st.first_sequence if st else None,
            "last_sequence": st.last_sequence if st else None,
            "sequence_repeats": st.sequence_repeats if st else 0,
            "sequence_resets": st.sequence_resets if st else 0,
            "timestamp_type": st.timestamp_type if st else "",
            "in_driver": q.depth.in_driver,
            "starved": q.depth.starved,
            "starved_s": q.depth.starved_s,
            "starvations": [
                {"start_ns": x.start_ns, "end_ns": x.end_ns, "detected_ns": x.detected_ns,
                 "duration_s": x.duration_s} for x in lane.starvations
            ],
            "driver": _pct(lane.driver),
            "held": _pct(lane.held),
            "app": _pct(lane.app),
            "streaming": lane.streaming,
            "stops": lane.stops,
            "qbuf": lane.qbuf,
            "dqbuf": lane.dqbuf,
            "warnings": list(st.warnings) if st else [],
            "buffer_states": [
                {"index": b.index, "status": str(b.status), "sequence": b.sequence,
                 "flags": v.buf_flag_names(b.flags)} for b in q.buffers
            ],
        })
    main = queues[s.primary] if queues else None
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "path": obs.path,
        "minor": obs.minor,
        "observed": True,
        "source": snap.source,
        "approximate": snap.approximate,
        "fallback": obs.fallback,
        "removed_stale_instances": list(obs.removed_stale),
        "elapsed_s": s.elapsed,
        "state": str(s.state),
        "frames": main["frames"] if main else 0,
        "drops": main["drops"] if main else None if snap.approximate else 0,
        "fps": main["fps"] if main else None,
        "events": snap.events,
        "lost_events": snap.lost_events,
        "processes": [
            {"pid": p.pid, "tgid": p.tgid, "comm": p.comm, "cmdline": p.cmdline,
             "qbuf": p.qbuf, "dqbuf": p.dqbuf} for p in snap.processes
        ],
        "queues": queues,
        "notes": list(snap.notes),
        "trace_file": trace_file,
    }
    if cpu is not None:
        out["cpu"] = cpu
    return out
