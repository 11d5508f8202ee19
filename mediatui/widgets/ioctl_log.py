"""The ioctl log: every ioctl mediatui issued, with its decoded argument and result.

:class:`IoctlRecorder` is the tracer installed in :mod:`core.ioctl`.  It is called from
whatever thread issued the ioctl (workers, mostly), appends to a bounded deque under a
lock and posts at most one :class:`IoctlTraced` at a time: a burst of a thousand
ENUM_FMTs is one message, and the widget then reads everything new in one go.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from core import ioctl as chokepoint
from core.ioctl import TraceEntry
from mediatui.messages import IoctlTraced
from mediatui.widgets.text import plain

MAX_ENTRIES = 10_000
FLUSH_INTERVAL_S = 0.1  # the log repaints at most this often while ioctls arrive


class IoctlRecorder:
    """A thread-safe, bounded record of TraceEntry values (the tracer itself)."""

    def __init__(self, maxlen: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: deque[TraceEntry] = deque(maxlen=maxlen)
        self._total = 0  # entries ever appended (so readers know what they missed)
        self._pending = False
        self.on_new: Callable[[], None] | None = None

    def __call__(self, entry: TraceEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            self._total += 1
            fire = not self._pending and self.on_new is not None
            # Pending only once someone was told: entries traced before on_new is set
            # must not keep the next ones from being announced.
            self._pending = self._pending or fire
        if fire and self.on_new is not None:
            self.on_new()

    def install(self) -> None:
        chokepoint.add_tracer(self)

    def uninstall(self) -> None:
        chokepoint.remove_tracer(self)

    @property
    def total(self) -> int:
        return self._total

    def since(self, seen: int) -> tuple[list[TraceEntry], int]:
        """Entries appended after the first ``seen`` (those still kept), and the new total."""
        with self._lock:
            self._pending = False
            new = min(self._total - seen, len(self._entries))
            entries = list(self._entries)[len(self._entries) - new:] if new > 0 else []
            return entries, self._total

    def entries(self) -> list[TraceEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def save_ndjson(self, path: Path) -> int:
        """Write every kept entry as one ``mediatui.ioctl/1`` JSON line; returns how many."""
        from core.service import jsondoc  # only when saving

        entries = self.entries()
        with path.open("w", encoding="utf-8") as f:
            return jsondoc.write_lines(f, (jsondoc.document("ioctl", e.as_dict())
                                           for e in entries))


def _entry_parts(entry: TraceEntry) -> tuple[str, str, str, str, str, bool]:
    """(stamp, node, ioctl, summary, result, ok): the pieces of a log line, escaped."""
    stamp = time.strftime("%H:%M:%S", time.localtime(entry.time))
    millis = int(entry.time * 1000) % 1000
    node = entry.path.rsplit("/", 1)[-1] if entry.path else f"fd{entry.fd}"
    summary = " " + plain(entry.summary) if entry.summary else ""
    result = f" → {entry.result}" if entry.ok else f" → {entry.as_dict()['errno_name']}"
    return (f"{stamp}.{millis:03d} ", f"{plain(node):<8} ", plain(entry.ioctl), summary,
            result, entry.ok)


def entry_plain(entry: TraceEntry) -> str:
    """The text of :func:`entry_text` without its styles (what the log measures and
    copies; a Rich ``Text`` costs several times more to build)."""
    return "".join(_entry_parts(entry)[:5])


def entry_text(entry: TraceEntry) -> Text:
    """``12:00:01.234 video0 VIDIOC_REQBUFS count=4 type=video-capture → 0``."""
    stamp, node, ioctl, summary, result, ok = _entry_parts(entry)
    text = Text(no_wrap=True)
    text.append(stamp, style="dim")
    text.append(node, style="cyan")
    text.append(ioctl, style="bold")
    if summary:
        text.append(summary)
    text.append(result, style="green" if ok else "bold red")
    return text


def _cell_width(line: Text | TraceEntry) -> int:
    """A log line's width in cells, without styling an entry that is not shown yet."""
    return line.cell_len if isinstance(line, Text) else cell_len(entry_plain(line))


class IoctlLog(ScrollView, can_focus=True):
    """The log panel: renders only the rows on screen (a Line API widget).

    A probe issues hundreds of ioctls at once; rendering each line as it arrives (what
    RichLog does) costs more than the ioctls.  Here an ioctl's line stays its
    ``TraceEntry`` until it scrolls into view (only its plain width is measured), then
    becomes a Rich ``Text`` once, and its strip is cached by (line, scroll, width).
    Discovery traces a few ioctls per node before the first paint, of which the panel
    shows a dozen: at 198 nodes, styling them all cost that paint 0.7 s in the VM.
    """

    BORDER_TITLE = "ioctl log"

    def __init__(self, recorder: IoctlRecorder, *, max_lines: int = 5000,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.recorder = recorder
        self.max_lines = max_lines
        self._seen = 0
        self._lines: list[Text | TraceEntry] = []  # entries become Text when shown
        self._dropped = 0  # lines trimmed from the top (keeps cache keys absolute)
        self._widest = 0
        self._cache: LRUCache[tuple[int, int, int], Strip] = LRUCache(1024)
        self.lines_written = 0
        self._last_flush = 0.0
        self._flush_timer: Timer | None = None
        # Follow new entries: an explicit flag, on until the user scrolls up, back on
        # when they reach the end again.  Inferring it from "scrolled to the end" at
        # each append broke on resize (a taller panel clamps the scroll, a shorter one
        # leaves the view above the end without anyone having scrolled).
        self.follow = True

    def on_mount(self) -> None:
        self.border_subtitle = "l hide · w save"
        self.flush()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value >= self.max_scroll_y:
            self.follow = True  # at the end (the user came back, or we scrolled there)
        elif new_value < old_value:
            self.follow = False  # the user went up to read: stay there

    def on_resize(self) -> None:
        if self.follow:
            self._follow_end()

    def watch_show_horizontal_scrollbar(self) -> None:
        # A scrollbar appearing shortens the view by a line: the end moved.
        if self.follow:
            self._follow_end()

    def watch_show_vertical_scrollbar(self) -> None:
        if self.follow:
            self._follow_end()

    def _follow_end(self) -> None:
        """Scroll to the last line after the next refresh. ``force``: that refresh may
        come before the layout that shows the scrollbar (entries already there when the
        log is first laid out, as discovery's are), and without it Textual refuses to
        scroll a view whose scrollbar is not shown yet."""
        self.scroll_end(animate=False, immediate=False, x_axis=False, force=True)

    def on_ioctl_traced(self, message: IoctlTraced) -> None:
        """At most one flush (and so one repaint) per FLUSH_INTERVAL_S: a worker issuing
        ioctls one by one (an inspector opening a node under emulation) would otherwise
        repaint the screen once per ioctl. The first of a burst shows at once."""
        if self._flush_timer is not None:
            return
        wait = self._last_flush + FLUSH_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self.flush()
        else:
            self._flush_timer = self.set_timer(wait, self._timed_flush)

    def _timed_flush(self) -> None:
        self._flush_timer = None
        self.flush()

    def flush(self) -> None:
        """Add every entry recorded since the last flush."""
        self._last_flush = time.monotonic()
        entries, self._seen = self.recorder.since(self._seen)
        if entries:
            self._append(entries)
            self.lines_written += len(entries)

    def note(self, text: Text) -> None:
        """Lines that are not ioctls (an error's explanation), after the ioctls so far;
        wrapped to the panel, unlike ioctl lines, because all of it should be read."""
        self.flush()
        width = max(self.scrollable_content_region.width - 1, 40)
        self._append(list(text.wrap(self.app.console, width)))

    def clear_log(self) -> None:
        self.recorder.clear()
        self._seen = self.recorder.total
        self._dropped += len(self._lines)
        self._lines.clear()
        self._widest = 0
        self.virtual_size = Size(0, 0)
        self.refresh()

    @property
    def text_lines(self) -> list[str]:
        """The plain text of every line kept (tests, copy)."""
        return [t.plain if isinstance(t, Text) else entry_plain(t) for t in self._lines]

    def _append(self, lines: list[Text] | list[TraceEntry]) -> None:
        follow = self.follow or not self._lines
        self._lines.extend(lines)
        self._widest = max(self._widest, max(map(_cell_width, lines), default=0))
        excess = len(self._lines) - self.max_lines
        if excess > 0:
            del self._lines[:excess]
            self._dropped += excess
        self.virtual_size = Size(self._widest, len(self._lines))
        if follow:
            self._follow_end()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        key = (index + self._dropped, scroll_x, width)
        strip = self._cache.get(key)
        if strip is None:
            line = self._lines[index]
            if not isinstance(line, Text):
                line = self._lines[index] = entry_text(line)
            full = Strip(list(line.render(self.app.console)))
            strip = self._cache[key] = full.crop_extend(scroll_x, scroll_x + width,
                                                        self.rich_style)
        return strip.apply_style(self.rich_style)
