"""The numbers of one video queue: frame rates, drops, errors, sequence, timestamps, how
hungry the driver is, the engine's warnings, and a sparkline of fps over the last minute.

Two frame rates, because they answer different questions: from buffer timestamps (what
the driver says it captured) and from arrival (when the loop dequeued them).  They
differ when the driver's clock, the timestamp type or the application is off.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from core.stream import DepthStats, QueueSnapshot, StreamSnapshot
from mediatui.widgets.buffer_lanes import meter
from mediatui.widgets.text import plain

HISTORY_S = 60


def num(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


class RateHistory:
    """One sample a second (of the loop's clock) over the last minute, for a sparkline."""

    def __init__(self, seconds: int = HISTORY_S) -> None:
        self.values: deque[float] = deque(maxlen=seconds)
        self._next: float | None = None

    def add(self, when: float, value: float | None) -> bool:
        """Keep ``value`` if a second has passed since the last kept one."""
        if self._next is not None and when < self._next:
            return False
        self.values.append(value or 0.0)
        self._next = when + 1.0
        return True

    def clear(self) -> None:
        self.values.clear()
        self._next = None


def row(label: str, *parts: tuple[str, str] | str) -> Text:
    """``label`` in an 11-cell column, then the parts (plain text, styled by name)."""
    text = Text(f"{label:<11}", style="dim", no_wrap=True, overflow="ellipsis")
    for part in parts:
        if isinstance(part, tuple):
            text.append(plain(part[0]), style=part[1])
        else:
            text.append(plain(part))
    return text


def depth_row(depth: DepthStats, total: int) -> Text:
    """The starvation meter: buffers held by the driver, and time with none."""
    starved = depth.starved and depth.starvations > 0
    return row("driver", (f"{meter(depth.in_driver, total, 8)} {depth.in_driver}/{total}",
                          "bold red" if starved else "bold"),
               f"  starved {depth.starvations}x {depth.starved_s:.2f} s")


def video_lines(q: QueueSnapshot) -> list[Text]:
    s = q.stats
    if s is None:
        return [row("frames", "-")]
    return [
        row("fps", (num(s.fps), "bold"), " from timestamps"),
        row("arrival", (num(s.fps_arrival), "bold"), f" fps  {num(s.fps_overall)} overall"),
        row("frames", (f"{s.frames}", "bold"), "  errors ",
            (f"{s.errors}", "bold red" if s.errors else "bold")),
        # Drops while the driver had buffers are the driver's (or hardware's) doing;
        # the rest happened while it starved, which is the application's.
        row("drops", (f"{s.drops}", "bold red" if s.drops else "bold"),
            f"  while queued {s.drops_while_queued}" if s.drops else ""),
        row("sequence", f"{num(s.first_sequence, 'd')} .. ",
            (num(s.last_sequence, "d"), "bold"),
            f"  resets {s.sequence_resets}  repeats {s.sequence_repeats}"),
        row("timestamps", f"{s.timestamp_type or '-'} / {s.timestamp_source or '-'}",
            f"  last {num(s.since_last_frame)} s ago"),
        depth_row(q.depth, len(q.buffers)),
    ]


def lines_text(lines: list[Text]) -> Text:
    """Rows joined without wrapping: a narrow panel cuts a row, never folds it."""
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)


def warning_lines(warnings: tuple[str, ...]) -> Text:
    return Text("\n").join(Text("⚠ " + plain(w), style="yellow") for w in warnings)


class RatePanel(Vertical):
    """Statistics of the selected queue, fps sparkline of the stream's main queue.

    The sparkline's history belongs to the stream (``new_history()``; the stream view
    keeps it and :meth:`record` adds to it while the stream is not drawn); :meth:`use`
    makes the panel draw another stream's."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = RateHistory()
        self._rows = 0
        self._warnings: tuple[str, ...] | None = None

    @staticmethod
    def new_history() -> RateHistory:
        return RateHistory()

    @staticmethod
    def record(history: RateHistory, snap: StreamSnapshot) -> None:
        """Keep the main queue's fps for the sparkline (one sample a second)."""
        main = snap.main.stats if snap.queues else None
        if not snap.final and main is not None:
            history.add(snap.time, main.fps)

    def use(self, history: RateHistory, snap: StreamSnapshot | None, selected: int) -> None:
        """Draw another stream: its history and its latest snapshot (blank if none)."""
        self.history = history
        if snap is not None and snap.queues:
            self.show(snap, selected)
        else:
            self.blank()

    def blank(self) -> None:
        self.query_one("#rate-numbers", Static).update("", layout=self._rows != 0)
        self._rows = 0
        self.query_one("#rate-spark", Sparkline).data = list(self.history.values)
        if self._warnings:
            self._warnings = ()
            box = self.query_one("#rate-warnings", Static)
            box.update("")
            box.display = False

    def compose(self) -> ComposeResult:
        yield Static("", id="rate-numbers", markup=False)
        yield Static("fps, last minute", classes="spark-title", markup=False)
        yield Sparkline([], id="rate-spark")
        yield Static("", id="rate-warnings", markup=False)

    def on_mount(self) -> None:
        self.query_one("#rate-warnings").display = False

    def apply(self, snap: StreamSnapshot, selected: int, *, paint: bool = True) -> None:
        """Record the fps for the sparkline; redraw only if ``paint`` (the view shows)."""
        self.record(self.history, snap)
        if paint:
            self.show(snap, selected)

    def show(self, snap: StreamSnapshot, selected: int) -> None:
        if not snap.queues:
            return
        q = snap.queues[min(selected, len(snap.queues) - 1)]
        head = row("queue", (f"{q.name}", "bold"), f" {q.path.removeprefix('/dev/')}")
        lines = [head, *video_lines(q)]
        # A layout pass costs more than the repaint: only when the row count changes.
        self.query_one("#rate-numbers", Static).update(lines_text(lines),
                                                       layout=len(lines) != self._rows)
        self._rows = len(lines)
        spark = self.query_one("#rate-spark", Sparkline)
        if spark.data != list(self.history.values):
            spark.data = list(self.history.values)
        warnings = q.stats.warnings if q.stats is not None else ()
        if warnings != self._warnings:
            self._warnings = warnings
            box = self.query_one("#rate-warnings", Static)
            box.update(warning_lines(warnings))
            box.display = bool(warnings)

    def clear(self) -> None:
        self.history.clear()
        self.query_one("#rate-spark", Sparkline).data = []
