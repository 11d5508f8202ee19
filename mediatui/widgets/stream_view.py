"""One stream: its state line, buffer lanes, statistics and notes, and the thread worker
that runs it.

The worker runs :func:`core.service.stream.run_stream` (set-up through the service
layer, then the core engine's poll loop) with the worker's ``cancelled_event`` as the
stop event.  It runs on the view's screen, whose one ``Worker.StateChanged`` handler
explains a failure; snapshots come back as
:class:`StreamSnapshotReady` messages posted to this view and are applied together in
one ``batch_update``.  Keys reach the engine through its thread-safe command methods
(``pause``, ``queue_one``...), never through an ioctl on the UI thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import RichLog, Static
from textual.worker import Worker, get_current_worker

from core.service.session import Session
from core.service.stream import Clock, StreamRun, StreamSpec, run_stream
from core.stream import Stream, StreamSnapshot, StreamState
from mediatui.messages import StreamNoted, StreamSnapshotReady
from mediatui.widgets.buffer_lanes import BufferLanes
from mediatui.widgets.rate_panel import RatePanel
from mediatui.widgets.text import plain
from mediatui.workers import FrameTraceFilter, SnapshotPoster

STOP_WAIT_S = 3.0  # longest the UI waits for a stream's cleanup when the view goes

BADGES = {
    "ready": ("○ ready", "badge--idle"),
    "starting": ("… starting", "badge--idle"),
    StreamState.STREAMING: ("● streaming", "badge--streaming"),
    StreamState.PAUSED: ("‖ paused", "badge--paused"),
    StreamState.MANUAL: ("◆ step mode", "badge--paused"),
    StreamState.STOPPED: ("■ stopped", "badge--idle"),
    StreamState.FAILED: ("✗ failed", "badge--failed"),
}
BUSY_HINT = ("Another process owns this queue: press a to attach and observe its stream "
             "read-only.")
REMOVED = ("device removed: {path} went away while streaming (unplugged or driver unbound). "
           "The stream stopped and released what it could; everything else keeps working.")


class StreamView(Vertical):
    """A stream of one node (or a pipeline); keys arrive as method calls from the screen."""

    COMPONENT_CLASSES = {"badge--idle", "badge--streaming", "badge--paused", "badge--failed"}

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
        self._done = threading.Event()
        self._done.set()

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", classes="stream-header", markup=False)
        yield from self.compose_controls()
        yield Static("", classes="stream-banner", markup=False)
        with Horizontal(classes="stream-body"):
            with VerticalScroll(classes="lanes-scroll"):
                yield BufferLanes(id=None)
            yield self.make_stats_panel()
        yield RichLog(classes="stream-notes", max_lines=200, markup=False, wrap=False)

    def compose_controls(self) -> ComposeResult:
        """Extra rows above the lanes (the DVB view's tuning inputs)."""
        yield from ()

    def make_stats_panel(self) -> Widget:
        return RatePanel()

    def on_mount(self) -> None:
        self.query_one(".stream-banner").display = False
        self.query_one(".lanes-scroll").border_title = "buffer lanes"
        self.stats_panel.border_title = "transport stream" if self.spec.is_dvb else "rates"
        self.notes.border_title = "notes"
        self.show_header()

    @property
    def lanes(self) -> BufferLanes:
        return self.query_one(BufferLanes)

    @property
    def notes(self) -> RichLog:
        return self.query_one(".stream-notes", RichLog)

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
        self.lanes.mark_removed(False)
        self.lanes.reset()
        self.stats_panel.clear()  # type: ignore[attr-defined]
        self.query_one(".stream-banner").display = False
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
            self.stream.queue_one(self.lanes.selected)  # type: ignore[union-attr]

    def dequeue_one(self) -> None:
        if self._command("dequeue one"):
            self.stream.dequeue_one(self.lanes.selected)  # type: ignore[union-attr]

    def select_queue(self, delta: int) -> None:
        count = len(self.snapshot.queues) if self.snapshot is not None else 1
        self.lanes.selected = (self.lanes.selected + delta) % max(count, 1)
        self.lanes.refresh()
        if self.snapshot is not None:
            self.stats_panel.show(self.snapshot, self.lanes.selected)  # type: ignore[attr-defined]

    def set_count(self, count: int) -> None:
        self.spec = replace(self.spec, count=count)
        self.show_header()

    # --- facts arriving ----------------------------------------------------------------

    @property
    def stats_panel(self) -> Widget:
        return self.query_one(".stream-body").children[-1]

    def on_stream_snapshot_ready(self, message: StreamSnapshotReady) -> None:
        message.stop()
        if message.key != self.run_key:
            return
        self.apply_snapshot(message.snapshot)

    def apply_snapshot(self, snap: StreamSnapshot) -> None:
        """Everything one snapshot changes, in one repaint."""
        self.snapshot = snap
        self.phase = snap.state
        self.applied += 1
        # A view in a hidden tab (or under the browser) only records: its lanes and
        # sparkline keep their history, the painting waits until it is shown.
        paint = self.showing
        with self.app.batch_update():
            if snap.queues:
                many = len(snap.queues) > 1
                scroll = self.query_one(".lanes-scroll")
                subtitle = "[ ] picks the queue e and d act on" if many else ""
                if scroll.border_subtitle != subtitle:
                    scroll.border_subtitle = subtitle
                self.lanes.apply(snap, paint=paint)
                self.stats_panel.apply(snap, self.lanes.selected,  # type: ignore[attr-defined]
                                       paint=paint)
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
        """On screen: the active tab of the current screen."""
        pane = self.parent
        return (self.is_attached and pane is not None and pane.display
                and self.screen.is_current)

    def repaint(self) -> None:
        """Draw the latest snapshot (the view was hidden while it arrived)."""
        snap = self.snapshot
        if snap is not None and snap.queues:
            with self.app.batch_update():
                self.lanes.refresh()
                self.stats_panel.show(snap, self.lanes.selected)  # type: ignore[attr-defined]
                self.show_header()

    def on_stream_noted(self, message: StreamNoted) -> None:
        message.stop()
        if message.key == self.run_key:
            self.note(message.note)

    def show_error(self, snap: StreamSnapshot) -> None:
        error = snap.error
        assert error is not None
        banner = self.query_one(".stream-banner", Static)
        if error.kind == "DeviceGone":
            self.removed = True
            self.lanes.mark_removed()
            banner.update(Text(plain(REMOVED.format(path=error.path or self.spec.path))))
            banner.set_class(True, "-removed")
        else:
            message = str(error)
            if error.errno_name == "EBUSY":
                message += f"\n{BUSY_HINT}"
                self.app.notify(BUSY_HINT, title="stream: busy", markup=False, timeout=8)
            banner.update(Text(plain(message)))
            banner.set_class(False, "-removed")
        banner.display = True
        self.note(f"✗ {error.title}" + (f" ({error.errno_name})" if error.errno_name else ""))

    def note(self, text: str) -> None:
        stamp = f"{self.snapshot.elapsed:7.2f}s " if self.snapshot is not None else "         "
        self.notes.write(Text(stamp + plain(text), no_wrap=True))

    def show_header(self) -> None:
        label, cls = BADGES.get(self.phase, ("?", "badge--idle"))
        if self.removed:
            label, cls = "✗ device removed", "badge--failed"
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {label} ", style=self.get_component_rich_style(cls, partial=True))
        text.append(f" {plain(self.spec.title)}", style="bold")
        snap = self.snapshot
        if snap is not None and snap.queues:
            text.append(f"  {snap.elapsed:.1f} s  {snap.frames} "
                        f"{'buffers' if self.spec.is_dvb else 'frames'}")
            stats = snap.main.stats
            if stats is not None and stats.fps is not None:
                text.append(f"  {stats.fps:.1f} fps", style="bold")
        else:
            text.append(f"  {self.spec.count} buffers", style="dim")
        self.query_one(".stream-header", Static).update(text, layout=False)  # one row

    async def on_unmount(self) -> None:
        """The view (or the app) is going: stop the stream and let its cleanup finish
        before the session closes the fds under it (awaited, not a blocking wait)."""
        self.stop()
        await self.stopped()
