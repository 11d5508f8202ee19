"""Buffer lanes: one row per buffer, its recent states drawn as a strip that scrolls left.

Each applied snapshot adds one cell per buffer, so a lane reads like a logic analyser
trace: ``▁`` with the application, ``▄`` queued in the driver, ``█`` done (filled,
waiting for DQBUF), ``✗`` returned with the ERROR flag.  A healthy capture cycles
through all of them; pause shows every lane falling to ``▁``; manual mode shows them
climbing to ``█`` one frame at a time; a step moves exactly one lane.  After the strip
come the buffer's current state in words, its last sequence number (``count`` for DVB)
and bytesused.

Each queue has a header with its starvation meter: how many buffers the driver holds
right now out of how many there are (0 means it has nowhere to put the next frame).
Colours come from the component classes, styled in ``stream.tcss``.
"""

from __future__ import annotations

from collections import deque

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from core.queue import BufferState
from core.stream import QueueSnapshot, StreamSnapshot
from mediatui.widgets.text import plain, size

HISTORY = 240  # cells kept per lane (the widest terminal shows about this many)

# status -> (cell glyph, word, component class)
STATES: dict[str, tuple[str, str, str]] = {
    "dequeued": ("▁", "app", "lane--app"),
    "prepared": ("▂", "prepared", "lane--app"),
    "queued": ("▄", "queued", "lane--queued"),
    "done": ("█", "done", "lane--done"),
    "error": ("✗", "error", "lane--error"),
}
LEGEND = "▁ with the app  ▄ queued in the driver  █ done, not yet dequeued  ✗ error"
_FIXED = 4 + 2 + 9 + 13  # index, strip borders, state, sequence
_BYTES = 10  # the bytesused column, dropped when the lanes are narrow (80x24)
_MIN_STRIP = 12
Parts = list[tuple[str, str]]


def state_word(buf: BufferState) -> str:
    return STATES.get(buf.status.value, ("?", buf.status.value, ""))[1]


def meter(held: int, total: int, width: int = 8) -> str:
    """``▮▮▮▯`` for 3 of 4 buffers in the driver, squeezed into ``width`` cells."""
    if total <= 0:
        return ""
    if total <= width:
        return "▮" * held + "▯" * (total - held)
    filled = round(width * held / total)
    if held and not filled:
        filled = 1  # one buffer in the driver is not "starved"
    return "▮" * filled + "▯" * (width - filled)


def queue_title(q: QueueSnapshot) -> str:
    source = f" from {q.source.replace('/dev/', '')}" if q.source else ""
    return f"{q.path.removeprefix('/dev/')} {q.name} · {q.memory} x{len(q.buffers)}{source}"


class BufferLanes(Widget):
    """Lanes for every queue of one stream; :meth:`apply` adds one column of history."""

    COMPONENT_CLASSES = {
        "lane--app", "lane--queued", "lane--done", "lane--error", "lane--title",
        "lane--selected", "lane--meter", "lane--starved", "lane--dim", "lane--plain",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: StreamSnapshot | None = None
        self.selected = 0  # the queue the step keys act on
        self.history: list[list[deque[str]]] = []  # [queue][buffer] -> statuses
        self._strips: list[Strip] | None = None
        # The device went away (DeviceGone): the last snapshot's states are history,
        # not what the driver holds now, so the lanes say "removed" instead.
        self.removed = False

    def mark_removed(self, removed: bool = True) -> None:
        """Say (or stop saying) that the device behind these lanes is gone."""
        if self.removed != removed:
            self.removed = removed
            self.refresh()

    def apply(self, snap: StreamSnapshot, *, paint: bool = True) -> None:
        """Record the snapshot's states (one cell per buffer); repaint if ``paint``."""
        if len(snap.queues) != len(self.history):
            self.history = [[] for _ in snap.queues]
        for lanes, q in zip(self.history, snap.queues, strict=True):
            while len(lanes) < len(q.buffers):
                lanes.append(deque(maxlen=HISTORY))
            del lanes[len(q.buffers):]
            for lane, buf in zip(lanes, q.buffers, strict=True):
                lane.append(buf.status.value)
        rows = sum(len(q.buffers) for q in snap.queues)
        relayout = self.snapshot is None or rows != sum(
            len(q.buffers) for q in self.snapshot.queues) or len(snap.queues) != len(
            self.snapshot.queues)
        self.snapshot = snap
        self.selected = min(self.selected, max(len(snap.queues) - 1, 0))
        if paint or relayout:
            self.refresh(layout=relayout)

    def reset(self) -> None:
        self.snapshot = None
        self.history = []
        self.refresh(layout=True)

    def refresh(self, *args: object, **kwargs: object) -> BufferLanes:  # type: ignore[override]
        self._strips = None  # rebuilt on the next render_line
        return super().refresh(*args, **kwargs)  # type: ignore[arg-type]

    def on_resize(self) -> None:
        self._strips = None

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.snapshot is None:
            return 1
        return sum(1 + len(q.buffers) for q in self.snapshot.queues) + 1

    # The Line API with plain Segments: a lane is a run of differently coloured cells,
    # and building Rich Text for Textual to convert back costs more than the lanes
    # themselves (a 32-buffer stream is about 1,300 spans per repaint).

    def render_line(self, y: int) -> Strip:
        if self._strips is None:
            self._strips = self._build_strips()
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _build_strips(self) -> list[Strip]:
        width = self.size.width
        base = self.rich_style
        styles: dict[str, Style] = {}

        def style(name: str) -> Style:
            if name not in styles:
                styles[name] = base + self.get_component_rich_style(name, partial=True)
            return styles[name]

        return [Strip([Segment(text, style(name)) for text, name in parts if text])
                .crop_extend(0, width, base) for parts in self.lines(width)]

    def lines(self, width: int) -> list[Parts]:
        """Each row as (text, component class) parts: plain text, never markup."""
        snap = self.snapshot
        if snap is None or not snap.queues:
            return [[("no buffers yet", "lane--dim")]]
        width = max(width, 30)
        show_bytes = width - _FIXED - _BYTES >= _MIN_STRIP
        strip = max(width - _FIXED - (_BYTES if show_bytes else 0), 4)
        rows: list[Parts] = []
        for k, q in enumerate(snap.queues):
            rows.append(self._header(k, q, width))
            lanes = self.history[k] if k < len(self.history) else []
            for buf, lane in zip(q.buffers, lanes, strict=False):
                rows.append(self._lane(buf, lane, strip, q.role == "dvb", show_bytes))
        rows.append([(LEGEND[:width], "lane--dim")])
        return rows

    def plain_lines(self) -> list[str]:
        """What the lanes say, without colour (tests read the states from it)."""
        return ["".join(text for text, _ in parts) for parts in self.lines(self.size.width)]

    def _header(self, k: int, q: QueueSnapshot, width: int) -> Parts:
        selected = k == self.selected and len(self.snapshot.queues) > 1  # type: ignore[union-attr]
        held, total = q.depth.in_driver, len(q.buffers)
        gauge = f" driver holds {meter(held, total)} {held}/{total}"
        if self.removed:
            gauge = " removed: device unplugged or unbound"
        title = plain(queue_title(q))
        room = width - len(gauge) - 3
        if len(title) > room > 8:
            title = title[: room - 1] + "…"
        starved = q.depth.starved and q.depth.starvations
        return [("▶ " if selected else "  ", "lane--selected"), (title, "lane--title"),
                (gauge, "lane--starved" if starved or self.removed else "lane--meter")]

    def _lane(self, buf: BufferState, lane: deque[str], strip: int, dvb: bool,
              show_bytes: bool) -> Parts:
        parts: Parts = [(f"{buf.index:>3} ▕", "lane--dim")]
        cells = list(lane)[-strip:]
        if len(cells) < strip:
            parts.append((" " * (strip - len(cells)), "lane--dim"))
        run_state, run_len = "", 0
        for state in [*cells, ""]:  # a sentinel flushes the last run
            if state == run_state:
                run_len += 1
                continue
            if run_len:
                glyph, _, cls = STATES.get(run_state, ("?", "", "lane--dim"))
                parts.append((glyph * run_len, cls))
            run_state, run_len = state, 1
        parts.append(("▏", "lane--dim"))
        _glyph, word, cls = STATES.get(buf.status.value, ("?", buf.status.value, "lane--dim"))
        if self.removed:
            word, cls = "removed", "lane--error"
        parts.append((f" {word:<8}", cls))
        seq = "-" if buf.sequence is None else str(buf.sequence)
        parts.append((f"{'count' if dvb else 'seq':<5}{seq:>7} ", "lane--dim"))
        if show_bytes:
            parts.append((f"{size(buf.bytesused):>{_BYTES}}", "lane--plain"))
        return parts
