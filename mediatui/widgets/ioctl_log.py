"""The ioctl log: every ioctl mediatui issued, with its decoded argument and result.

:class:`IoctlRecorder` is the tracer installed in :mod:`core.ioctl`.  It is called from
whatever thread issued the ioctl (workers, mostly), appends to a bounded deque under a
lock and posts at most one :class:`IoctlTraced` at a time: a burst of a thousand
ENUM_FMTs is one message, and the widget then reads everything new in one go.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.widgets import RichLog

from core import ioctl as chokepoint
from core.ioctl import TraceEntry
from mediatui.messages import IoctlTraced
from mediatui.widgets.text import plain

MAX_ENTRIES = 10_000


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
            self._pending = True
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
        """Write every kept entry as one JSON object a line; returns how many."""
        entries = self.entries()
        with path.open("w", encoding="utf-8") as f:
            for entry in entries:
                f.write(json.dumps(entry.as_dict(), default=str) + "\n")
        return len(entries)


def entry_text(entry: TraceEntry) -> Text:
    """``12:00:01.234 video0 VIDIOC_REQBUFS count=4 type=video-capture → 0``."""
    stamp = time.strftime("%H:%M:%S", time.localtime(entry.time))
    millis = int(entry.time * 1000) % 1000
    node = entry.path.rsplit("/", 1)[-1] if entry.path else f"fd{entry.fd}"
    text = Text(no_wrap=True)
    text.append(f"{stamp}.{millis:03d} ", style="dim")
    text.append(f"{plain(node):<8} ", style="cyan")
    text.append(plain(entry.ioctl), style="bold")
    if entry.summary:
        text.append(" " + plain(entry.summary))
    if entry.ok:
        text.append(f" → {entry.result}", style="green")
    else:
        name = entry.as_dict()["errno_name"]
        text.append(f" → {name}", style="bold red")
    return text


class IoctlLog(RichLog):
    """The log panel; renders from the recorder when told there is something new."""

    BORDER_TITLE = "ioctl log"

    def __init__(self, recorder: IoctlRecorder, *, id: str | None = None) -> None:
        super().__init__(max_lines=2000, wrap=False, markup=False, highlight=False, id=id)
        self.recorder = recorder
        self._seen = 0
        self.lines_written = 0

    def on_mount(self) -> None:
        self.border_subtitle = "l hide · w save"
        self.flush()

    def on_ioctl_traced(self, message: IoctlTraced) -> None:
        self.flush()

    def flush(self) -> None:
        """Write every entry recorded since the last flush."""
        entries, self._seen = self.recorder.since(self._seen)
        for entry in entries:
            self.write(entry_text(entry))
        self.lines_written += len(entries)

    def note(self, text: Text) -> None:
        """A line that is not an ioctl (an error's explanation), after the ioctls so far."""
        self.flush()
        self.write(text)

    def clear_log(self) -> None:
        self.recorder.clear()
        self._seen = self.recorder.total
        self.clear()
