"""The numbers of a DVB demux/dvr stream: bitrate, TS packet rate, continuity errors,
dmx_buffer flags, PIDs seen, how hungry the demux is, a bitrate sparkline, and beside
them the frontend's statistics (signal, C/N, BER, uncorrected blocks) with a C/N
sparkline, so a drop in the TS can be put next to what the tuner saw.

A continuity error means a TS packet of that PID went missing (or came twice); the
dmx_buffer flags are what the demux itself noticed per buffer (the first buffer after
the queue starts always has DISCONTINUITY_DETECTED).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from core.dvb_stats import FrontendStats, Stat
from core.stream import QueueSnapshot, StreamSnapshot
from mediatui.widgets.rate_panel import (
    RateHistory,
    depth_row,
    lines_text,
    num,
    row,
    warning_lines,
)

MAX_PIDS_SHOWN = 6


def mbit(bytes_per_s: float | None) -> float | None:
    return None if bytes_per_s is None else bytes_per_s * 8 / 1e6


def ts_lines(q: QueueSnapshot) -> list[Text]:
    t = q.ts
    if t is None:
        return [row("buffers", "-")]
    flags = [f"{name} x{n}" for name, n in t.dmx_flags if n]
    by_pid = ", ".join(f"{pid:#06x}: {n}" for pid, n in t.cc_errors_by_pid[:MAX_PIDS_SHOWN])
    pids = " ".join(f"{pid:#06x}" for pid, _ in t.pid_packets[:MAX_PIDS_SHOWN])
    if len(t.pid_packets) > MAX_PIDS_SHOWN:
        pids += f" +{len(t.pid_packets) - MAX_PIDS_SHOWN}"
    return [
        row("bitrate", (num(mbit(t.bytes_per_s)), "bold"), " Mbit/s",
            f"  {num(t.bytes_per_s, ',.0f')} B/s"),
        row("packets", (num(t.packets_per_s, ",.0f"), "bold"), " /s  total ",
            f"{t.packets:,}"),
        row("buffers", (f"{t.buffers:,}", "bold"), f"  bytes {t.bytes:,}"),
        row("continuity", (f"{t.cc_errors}", "bold red" if t.cc_errors else "bold"),
            " errors", f" ({by_pid})" if by_pid else ""),
        row("sync loss", (f"{t.sync_losses}", "bold red" if t.sync_losses else "bold"),
            f"  TEI {t.tei_packets}  duplicates {t.duplicates}"),
        row("dmx flags", ", ".join(flags) if flags else "-"),
        row("PIDs", pids or "-"),
        depth_row(q.depth, len(q.buffers)),
        # Why nothing arrives (no packet for 3 s: the frontend's status).
        *(warning_lines((w,)) for w in t.warnings),
    ]


def _level(stat: Stat, unit: str) -> str:
    db = stat.decibels()
    if db is not None:
        return f"{db:.2f} {unit}"
    rel = stat.relative()
    return "-" if rel is None else f"{rel * 100:.1f} %"


def frontend_lines(q: QueueSnapshot) -> list[Text]:
    """Signal, C/N, pre/post-Viterbi BER and uncorrected blocks as the kernel scales them."""
    fe: FrontendStats | None = q.frontend
    if fe is None:
        return [row("frontend", q.frontend_error or "-")]

    def ber(prefix: str) -> str:
        value = fe.ber(prefix)
        return "-" if value is None else f"{value:.2e}"

    ucb = fe.first("error_block_count").count()
    return [
        row("signal", (_level(fe.first("signal_strength"), "dBm"), "bold"),
            "  C/N ", (_level(fe.first("cnr"), "dB"), "bold")),
        row("BER", "pre ", (ber("pre"), "bold"), "  post ", (ber("post"), "bold"),
            "  UCB ", ("-" if ucb is None else f"{ucb:,}",
                       "bold red" if ucb else "bold")),
    ]


class TsPanel(Vertical):
    """Transport-stream statistics of the stream's queue and a bitrate sparkline."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = RateHistory()
        self.cnr_history = RateHistory()
        self._rows = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="ts-numbers", markup=False)
        yield Static("bitrate, last minute", classes="spark-title", markup=False)
        yield Sparkline([], id="ts-spark")
        yield Static("C/N dB, last minute", classes="spark-title", markup=False)
        yield Sparkline([], id="cnr-spark")

    def apply(self, snap: StreamSnapshot, selected: int = 0, *, paint: bool = True) -> None:
        """Record the bitrate for the sparkline; redraw only if ``paint``."""
        if not snap.final and snap.queues and snap.main.ts is not None:
            self.history.add(snap.time, mbit(snap.main.ts.bytes_per_s))
            fe = snap.main.frontend
            cnr = fe.first("cnr").decibels() if fe is not None else None
            if cnr is not None:
                self.cnr_history.add(snap.time, cnr)
        if paint:
            self.show(snap, selected)

    def show(self, snap: StreamSnapshot, selected: int = 0) -> None:
        if not snap.queues:
            return
        q = snap.queues[min(selected, len(snap.queues) - 1)]
        head = row("queue", ("dvb", "bold"), f" {q.path.removeprefix('/dev/dvb/')}")
        lines = [head, *ts_lines(q), *frontend_lines(q)]
        self.query_one("#ts-numbers", Static).update(lines_text(lines),
                                                     layout=len(lines) != self._rows)
        self._rows = len(lines)
        for spark_id, history in (("#ts-spark", self.history), ("#cnr-spark", self.cnr_history)):
            spark = self.query_one(spark_id, Sparkline)
            if spark.data != list(history.values):
                spark.data = list(history.values)

    def clear(self) -> None:
        self.history.clear()
        self.cnr_history.clear()
        self.query_one("#ts-spark", Sparkline).data = []
        self.query_one("#cnr-spark", Sparkline).data = []
