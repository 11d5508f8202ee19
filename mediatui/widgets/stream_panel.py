"""The drawing of one stream: its state line, buffer lanes, statistics and notes.

The stream screen has one panel (one more once a DVB stream is open: the tuning inputs
and the transport-stream numbers) and points it at the stream the user picks
(:meth:`StreamPanel.show_view`).  Switching streams swaps the facts the widgets draw
and repaints them; the widget tree, and so the layout, stays (a layout pass runs only
when a size changes: another number of lanes or rows of numbers, the error banner).  Each
stream's facts and history live in its :class:`~mediatui.widgets.stream_view.StreamView`,
which keeps recording while another stream is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from core.stream import StreamSnapshot, StreamState
from mediatui.widgets.buffer_lanes import BufferLanes
from mediatui.widgets.notes_view import NotesView
from mediatui.widgets.rate_panel import RatePanel

if TYPE_CHECKING:
    from mediatui.widgets.stream_view import StreamView

BADGES = {
    "ready": ("○ ready", "badge--idle"),
    "starting": ("… starting", "badge--idle"),
    StreamState.STREAMING: ("● streaming", "badge--streaming"),
    StreamState.PAUSED: ("‖ paused", "badge--paused"),
    StreamState.MANUAL: ("◆ step mode", "badge--paused"),
    StreamState.STOPPED: ("■ stopped", "badge--idle"),
    StreamState.FAILED: ("✗ failed", "badge--failed"),
}
NOTES_KEPT = 200  # lines of notes per stream


class StreamPanel(Vertical):
    """Header, lanes, numbers and notes of whichever stream :meth:`show_view` chose."""

    COMPONENT_CLASSES = {"badge--idle", "badge--streaming", "badge--paused", "badge--failed"}
    # The numbers panel: a class with new_history() / record() / use() / show().
    stats_class: ClassVar[Any] = RatePanel
    stats_title = "rates"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: StreamView | None = None
        self._banner: tuple[Text, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", classes="stream-header", markup=False)
        yield from self.compose_controls()
        yield Static("", classes="stream-banner", markup=False)
        with Horizontal(classes="stream-body"):
            with VerticalScroll(classes="lanes-scroll"):
                yield BufferLanes(id=None)
            yield self.stats_class()
        yield NotesView(classes="stream-notes")

    def compose_controls(self) -> ComposeResult:
        """Extra rows above the lanes (the DVB panel's tuning inputs)."""
        yield from ()

    def on_mount(self) -> None:
        self.banner.display = False
        self.query_one(".lanes-scroll").border_title = "buffer lanes"
        self.stats_panel.border_title = self.stats_title
        self.notes.border_title = "notes"

    @property
    def lanes(self) -> BufferLanes:
        return self.query_one(BufferLanes)

    @property
    def notes(self) -> NotesView:
        return self.query_one(NotesView)

    @property
    def banner(self) -> Static:
        return self.query_one(".stream-banner", Static)

    @property
    def stats_panel(self) -> Widget:
        return self.query_one(".stream-body").children[-1]

    # --- drawing a stream ----------------------------------------------------------

    def show_view(self, view: StreamView) -> None:
        """Draw ``view``'s stream: everything it has recorded so far, in one repaint."""
        self.view = view
        snap = view.snapshot
        with self.app.batch_update():
            self.lanes.show(view.lane_state)
            self.stats_panel.use(view.panel_history, snap,  # type: ignore[attr-defined]
                                 view.lane_state.selected)
            self._subtitle(snap)
            self.show_banner(view.banner)
            self.notes.show(view.note_lines)
            self.show_header(view)

    def paint(self, view: StreamView, snap: StreamSnapshot) -> None:
        """A new snapshot of the drawn stream (already recorded in ``view``)."""
        if snap.queues:
            self._subtitle(snap)
            self.lanes.show(view.lane_state)
            self.stats_panel.show(snap, view.lane_state.selected)  # type: ignore[attr-defined]

    def _subtitle(self, snap: StreamSnapshot | None) -> None:
        many = snap is not None and len(snap.queues) > 1
        scroll = self.query_one(".lanes-scroll")
        subtitle = "[ ] picks the queue e and d act on" if many else ""
        if scroll.border_subtitle != subtitle:
            scroll.border_subtitle = subtitle

    def show_banner(self, banner: tuple[Text, bool] | None) -> None:
        """The error banner: (text, device removed), or None for no banner."""
        if banner == self._banner:
            return
        self._banner = banner
        widget = self.banner
        if banner is not None:
            widget.update(banner[0])
            widget.set_class(banner[1], "-removed")
        widget.display = banner is not None

    def note_added(self) -> None:
        """The drawn stream has one more line of notes."""
        self.notes.added()

    def show_header(self, view: StreamView) -> None:
        text = view.header_text(lambda cls: self.get_component_rich_style(cls, partial=True))
        self.query_one(".stream-header", Static).update(text, layout=False)  # one row
