"""One stream: its facts and history, and the thread worker that runs it.

The worker runs :func:`core.service.stream.run_stream` (set-up through the service
layer, then the core engine's poll loop) with the worker's ``cancelled_event`` as the
stop event.  It runs on the view's screen, whose one ``Worker.StateChanged`` handler
explains a failure; snapshots come back as
:class:`StreamSnapshotReady` messages posted to this view and are applied together in
one ``batch_update``.  Keys reach the engine through its thread-safe command methods
(``pause``, ``queue_one``...), never through an ioctl on the UI thread.

The view draws nothing itself (it is mounted hidden): the stream screen points its one
:class:`~mediatui.widgets.stream_panel.StreamPanel` at the stream the user picks, so a
switch between streams repaints one widget tree instead of laying out another.  Every
view keeps recording (lanes, sparkline, notes) while another one is drawn.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.widget import Widget
from textual.worker import Worker, get_current_worker

from core.service.session import Session
from core.service.stream import Clock, StreamRun, StreamSpec, run_stream
from core.stream import Stream, StreamSnapshot, StreamState
from mediatui.messages import StreamNoted, StreamSnapshotReady
from mediatui.widgets.buffer_lanes import BufferLanes, LaneHistory
from mediatui.widgets.notes_view import NotesView
from mediatui.widgets.stream_panel import BADGES, NOTES_KEPT, StreamPanel
from mediatui.widgets.text import plain
from mediatui.workers import FrameTraceFilter, SnapshotPoster

__all__ = ["BADGES", "BUSY_HINT", "REMOVED", "STOP_WAIT_S", "StreamView"]

STOP_WAIT_S = 3.0  # longest the UI waits for a stream's cleanup when the view goes

BUSY_HINT = ("Another process owns this queue: press a to attach and observe its stream "
             "read-only.")
REMOVED = ("device removed: {path} went away while streaming (unplugged or driver unbound). "
           "The stream stopped and released what it could; everything else keeps working.")


class StreamView(Widget):
    """A stream of one node (or a pipeline); keys arrive as method calls from the screen.

    ``panel`` is the panel drawing it (set by the screen while it is the shown stream);
    ``lanes``, ``stats_panel`` and ``notes`` are that panel's widgets."""

    DEFAULT_CSS = "StreamView { display: none; }"
    panel_class: ClassVar[type[StreamPanel]] = StreamPanel

    def __init__(self, spec: StreamSpec, session: Session, *, clock: Clock = time.monotonic,
                 trace: FrameTraceFilter | None = None, snapshot_interval: float = 0.1,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.spec = spec
        self.session = session
        self.clock = clock
        self.trace = trace
        self.snapshot_interval = snapshot_interval
        self.stream: Stream | None = None
        self.snapshot: StreamSnapshot | None = None
        self.phase: str | StreamState = "ready"
        self.run_key = 0  # which run a message belongs to (a stopped run may still post)
        self.applied = 0
        self.removed = False
        self.worker: Worker[None] | None = None
        self.tab_id = ""  # the screen's tab for it
        self.panel: StreamPanel | None = None
        # What the panel draws, kept while another stream is drawn.
        self.lane_state = LaneHistory()
        self.panel_history: Any = self.panel_class.stats_class.new_history()
        self.note_lines: deque[Text] = deque(maxlen=NOTES_KEPT)
        self.banner: tuple[Text, bool] | None = None  # (text, device removed)
        self._done = threading.Event()
        self._done.set()

    # --- the panel's widgets (while this stream is the one drawn) -----------------------

    def _panel(self) -> StreamPanel:
        if self.panel is None:
            raise LookupError(f"{self.spec.title}: not the stream shown")
        return self.panel

    @property
    def lanes(self) -> BufferLanes:
        return self._panel().lanes

    @property
    def notes(self) -> NotesView:
        return self._panel().notes

    @property
    def stats_panel(self) -> Widget:
        return self._panel().stats_panel

    # --- running ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """A worker is still at it (streaming, or cleaning up after a stop)."""
        return not self._done.is_set()

    def start(self) -> bool:
        """Start a new run; False while the previous one is still cleaning up."""
        if self.running:
            return False
        self._done.clear()
        self.run_key += 1
        self.stream = None
        self.snapshot = None
        self.removed = False
        self.phase = "starting"
        self.lane_state.reset()
        self.lane_state.removed = False
        self.panel_history.clear()
        self.banner = None
        if self.panel is not None:
            self.panel.show_view(self)
        self.note(f"start: {self.spec.title}, {self.spec.count} buffers")
        self.show_header()
        # On the screen, not on this view: Worker.StateChanged goes to the worker's node
        # only, and the screen is where failures are explained.
        self.worker = self.screen.run_worker(
            partial(self._stream_body, self.spec, self.run_key), name="stream",
            group="stream", thread=True, exit_on_error=False)
        return True

    def stop(self) -> None:
        """Ask the engine to stop; its cleanup (STREAMOFF, unmap, REQBUFS 0) follows."""
        if self.stream is not None:
            self.stream.stop()
        if self.worker is not None:
            self.worker.cancel()

    async def stopped(self, timeout: float = STOP_WAIT_S) -> bool:
        """Wait (without blocking the event loop) until the run's cleanup is over;
        False if it took longer than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self._done.is_set():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def _stream_body(self, spec: StreamSpec, key: int) -> None:
        """The engine's thread: build, stream until cancelled or stopped, clean up."""
        worker = get_current_worker()
        trace = self.trace
        run = StreamRun(self.session, spec, clock=self.clock,
                        snapshot_interval=self.snapshot_interval,
                        note=lambda text: self.post_message(StreamNoted(key, text)))
        poster = SnapshotPoster(lambda snap: self.post_message(StreamSnapshotReady(key, snap)),
                                on_state=trace.follow if trace is not None else None)
        try:
            run_stream(run, worker.cancelled_event, poster, on_built=self._built)
        finally:
            if trace is not None:
                trace.quiet(False)
            self._done.set()

    def _built(self, stream: Stream) -> None:
        # A plain attribute, set once from the worker; the UI only calls the stream's
        # thread-safe command methods through it.
        self.stream = stream

    # --- steps (the engine applies them in its thread) ----------------------------------

    def _command(self, what: str) -> bool:
        if self.stream is None or not self.running:
            self.app.bell()
            self.note(f"{what}: the stream is not running (s starts it)")
            return False
        return True

    def toggle_pause(self) -> None:
        """Paused: no more re-queueing, so the driver starves and drops frames."""
        if self._command("pause"):
            if self.phase is StreamState.STREAMING:
                self.stream.pause()  # type: ignore[union-attr]
            else:
                self.stream.resume()  # type: ignore[union-attr]

    def manual(self) -> None:
        """Step mode: no automatic DQBUF either; buffers move only with the step keys."""
        if self._command("step mode"):
            self.stream.manual()  # type: ignore[union-attr]

    def queue_one(self) -> None:
        if self._command("queue one"):
            self.stream.queue_one(self.lane_state.selected)  # type: ignore[union-attr]

    def dequeue_one(self) -> None:
        if self._command("dequeue one"):
            self.stream.dequeue_one(self.lane_state.selected)  # type: ignore[union-attr]

    def select_queue(self, delta: int) -> None:
        """Select the queue ``delta`` places on (wrapping): the step keys act on it, the
        lanes mark it, the numbers show it. On a stream of one queue nothing changes,
        and nothing is repainted."""
        count = len(self.snapshot.queues) if self.snapshot is not None else 1
        lanes = self.lane_state
        selected = (lanes.selected + delta) % max(count, 1)
        if selected == lanes.selected:
            return
        lanes.selected = selected
        if self.panel is not None:
            self.panel.lanes.refresh()
            if self.snapshot is not None:
                self.panel.stats_panel.show(  # type: ignore[attr-defined]
                    self.snapshot, lanes.selected)

    def set_count(self, count: int) -> None:
        self.spec = replace(self.spec, count=count)
        self.show_header()

    # --- facts arriving ----------------------------------------------------------------

    def on_stream_snapshot_ready(self, message: StreamSnapshotReady) -> None:
        message.stop()
        if message.key != self.run_key:
            return
        self.apply_snapshot(message.snapshot)

    def apply_snapshot(self, snap: StreamSnapshot) -> None:
        """Record everything one snapshot changes; if this stream is drawn, paint it in
        one repaint."""
        self.snapshot = snap
        self.phase = snap.state
        self.applied += 1
        self.lane_state.record(snap)
        self.panel_class.stats_class.record(self.panel_history, snap)
        # A stream not drawn (another is, or the screen is under the browser) only
        # records: its lanes and sparkline keep their history for when it is shown.
        panel = self.panel if self.showing else None
        with self.app.batch_update():
            if panel is not None:
                panel.paint(self, snap)
            for text in snap.notes:
                self.note(text)
            if snap.error is not None:
                self.show_error(snap)
            elif snap.final:
                self.note(f"stopped after {snap.elapsed:.1f} s, {snap.frames} frames; "
                          "buffers released")
            self.show_header()

    @property
    def showing(self) -> bool:
        """On screen: the stream drawn on the current screen."""
        return self.panel is not None and self.is_attached and self.screen.is_current

    def repaint(self) -> None:
        """Draw the latest snapshot (it arrived while the screen was not shown)."""
        snap = self.snapshot
        if self.panel is not None and snap is not None:
            with self.app.batch_update():
                self.panel.paint(self, snap)
                self.show_header()

    def on_stream_noted(self, message: StreamNoted) -> None:
        message.stop()
        if message.key == self.run_key:
            self.note(message.note)

    def show_error(self, snap: StreamSnapshot) -> None:
        error = snap.error
        assert error is not None
        if error.kind == "DeviceGone":
            self.removed = True
            self.lane_state.removed = True
            text = REMOVED.format(path=error.path or self.spec.path)
        else:
            text = str(error)
            if error.errno_name == "EBUSY":
                text += f"\n{BUSY_HINT}"
                self.app.notify(BUSY_HINT, title="stream: busy", markup=False, timeout=8)
        self.banner = (Text(plain(text)), error.kind == "DeviceGone")
        if self.panel is not None:
            self.panel.show_banner(self.banner)
            self.panel.lanes.refresh()
        self.note(f"✗ {error.title}" + (f" ({error.errno_name})" if error.errno_name else ""))

    def note(self, text: str) -> None:
        stamp = f"{self.snapshot.elapsed:7.2f}s " if self.snapshot is not None else "         "
        line = Text(stamp + plain(text), no_wrap=True)
        self.note_lines.append(line)
        if self.panel is not None:
            self.panel.note_added()

    def show_header(self) -> None:
        if self.panel is not None:
            self.panel.show_header(self)

    def header_text(self, badge: Callable[[str], Style]) -> Text:
        """The state line: badge (styled by ``badge(component class)``), title, time,
        frames and fps."""
        label, cls = BADGES.get(self.phase, ("?", "badge--idle"))
        if self.removed:
            label, cls = "✗ device removed", "badge--failed"
        spec = self.spec
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {label} ", style=badge(cls))
        text.append(f" {plain(spec.title)}", style="bold")
        snap = self.snapshot
        if snap is not None and snap.queues:
            text.append(f"  {snap.elapsed:.1f} s  {snap.frames} "
                        f"{'buffers' if spec.is_dvb else 'frames'}")
            stats = snap.main.stats
            if stats is not None and stats.fps is not None:
                text.append(f"  {stats.fps:.1f} fps", style="bold")
        else:
            text.append(f"  {spec.count} buffers", style="dim")
        return text

    async def on_unmount(self) -> None:
        """The view (or the app) is going: stop the stream and let its cleanup finish
        before the session closes the fds under it (awaited, not a blocking wait)."""
        self.stop()
        await self.stopped()
