"""The DVB view: a stream view for a demux (or dvr) with the tuning and filter settings.

Starting it walks the DVB mmap lifecycle in order, each step a line in the notes: tune
the adapter's frontend (FE_SET_PROPERTY DVB-T, wait for FE_HAS_LOCK: vidtv sends no TS
data before that), set the PES filter on the PID, DMX_REQBUFS, then DMX_QBUF every
buffer (the first QBUF starts the queue).  The lanes are the same as a video stream's;
the statistics are the transport stream's.
"""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label

from core.dvb import ALL_PIDS, TS_PACKET
from mediatui.widgets.stream_view import StreamView
from mediatui.widgets.ts_panel import TsPanel


def parse_pid(text: str) -> int | None:
    """``0x100``, ``256`` or ``all``; None when it is not a PID (0..0x1fff) or 0x2000."""
    text = text.strip().lower()
    if text in ("all", "*", ""):
        return ALL_PIDS
    try:
        pid = int(text, 0)
    except ValueError:
        return None
    return pid if 0 <= pid <= ALL_PIDS else None


def parse_mhz(text: str) -> int | None:
    """``474`` or ``474.0`` MHz as Hz; ``0`` (or ``off``) means do not tune."""
    text = text.strip().lower()
    if text in ("off", "0", ""):
        return 0
    try:
        mhz = float(text)
    except ValueError:
        return None
    return round(mhz * 1e6) if 40 <= mhz <= 3000 else None


class DvbView(StreamView):
    """Tune, filter, DMX_REQBUFS, queue: a demux or dvr through the DVB mmap API."""

    def compose_controls(self) -> ComposeResult:
        spec = self.spec
        with Horizontal(classes="dvb-controls"):
            yield Label("DVB-T MHz")
            yield Input(f"{spec.frequency / 1e6:g}" if spec.frequency else "off",
                        id="dvb-frequency", compact=True)
            yield Label("PID")
            yield Input("all" if spec.pid == ALL_PIDS else f"{spec.pid:#06x}",
                        id="dvb-pid", compact=True)
            yield Label("buffer B")
            yield Input(str(spec.buffer_size), id="dvb-bufsize", compact=True, type="integer")
            yield Label("", id="dvb-hint")

    def make_stats_panel(self) -> Widget:
        return TsPanel()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#dvb-hint", Label).update("Enter applies; s starts")

    @on(Input.Submitted)
    def _apply_settings(self, event: Input.Submitted) -> None:
        """Settings apply to the next start (a running demux keeps its filter)."""
        event.stop()
        self.apply_settings()
        self.screen.set_focus(None)

    def apply_settings(self) -> bool:
        freq = parse_mhz(self.query_one("#dvb-frequency", Input).value)
        pid = parse_pid(self.query_one("#dvb-pid", Input).value)
        try:
            size = int(self.query_one("#dvb-bufsize", Input).value)
        except ValueError:
            size = 0
        bad = [name for name, ok in (("frequency", freq is not None), ("PID", pid is not None),
                                     ("buffer size", size >= TS_PACKET)) if not ok]
        if bad:
            self.note(f"not applied: invalid {', '.join(bad)}")
            self.app.bell()
            return False
        assert freq is not None and pid is not None
        self.spec = replace(self.spec, frequency=freq, pid=pid, buffer_size=size)
        what = f"{freq / 1e6:g} MHz" if freq else "no tuning"
        self.note(f"settings: {what}, PID {'all' if pid == ALL_PIDS else f'{pid:#06x}'}, "
                  f"{self.spec.count} x {size} B" + (" (next start)" if self.running else ""))
        self.show_header()
        return True

    def start(self) -> bool:
        if not self.running and not self.apply_settings():
            return False
        return super().start()
