"""The notes of the stream drawn: its latest lines at the bottom, scrolled back with the
mouse wheel or the arrow keys (when focused).

The lines belong to the stream (its view keeps up to 200); :meth:`NotesView.show`
points the widget at another stream's lines.  It is drawn through the Line API and its
height is fixed by the stylesheet, so neither a new line nor a switch of stream
changes any size: a repaint, never a layout.  (A ``RichLog`` changes its virtual size
with every line and every clear, and Textual lays the screen out again each time.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widget import Widget


class NotesView(Widget, can_focus=True):
    """The last lines of a sequence of ``Text`` lines (never markup), newest at the
    bottom; ``back`` lines scrolled back from the newest."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_back(1)", "Older", show=False),
        Binding("down", "scroll_back(-1)", "Newer", show=False),
        Binding("pageup", "scroll_back(4)", "Older", show=False),
        Binding("pagedown", "scroll_back(-4)", "Newer", show=False),
        Binding("end", "scroll_back(-1000)", "Newest", show=False),
    ]

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._lines: Sequence[Text] = deque()
        self.back = 0

    @property
    def lines(self) -> list[Strip]:
        """Every line kept, as drawn (``line.text`` is its plain text)."""
        console = self.app.console
        return [Strip(list(text.render(console))) for text in self._lines]

    def show(self, lines: Sequence[Text]) -> None:
        """Draw another sequence of lines (another stream's), from its newest."""
        self._lines = lines
        self._scroll(-self.back)

    def added(self) -> None:
        """A line was appended to the lines shown: draw it (or keep the place, when
        scrolled back)."""
        if self.back:
            self._scroll(1)
        else:
            self.refresh()

    def action_scroll_back(self, lines: int) -> None:
        self._scroll(lines)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll(1)

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll(-1)

    def _scroll(self, delta: int) -> None:
        most = max(0, len(self._lines) - self.size.height)
        self.back = min(max(0, self.back + delta), most)
        subtitle = f"{self.back} newer ↓" if self.back else ""
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        lines = self._lines
        first = max(0, len(lines) - height - self.back)
        index = first + y
        base = self.rich_style
        if index >= len(lines) or index < 0:
            return Strip.blank(width, base)
        segments = [Segment(s.text, base + s.style if s.style else base, s.control)
                    for s in lines[index].render(self.app.console)]
        return Strip(segments).crop_extend(0, width, base)
