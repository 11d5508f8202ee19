"""The stream screen: every stream the user started, one tab each, and the keys that drive
them (start/stop, pause, step mode, queue one, dequeue one).

The tabs are a bare ``Tabs`` bar over one :class:`~mediatui.widgets.stream_panel.StreamPanel`
(and one DVB panel once a DVB stream is open): picking a tab points the panel at that
stream, which repaints it from the stream's recorded facts.  Each stream's
:class:`~mediatui.widgets.stream_view.StreamView` (its worker, snapshots and history)
is mounted hidden and keeps recording whichever stream is drawn, so a switch costs a
repaint, not the layout of another widget tree (issue 16: a ``TabbedContent`` pane per
stream made every switch a full layout).

The main screen installs it once (``"streams"``), handing it the backend and a way to
read its device list; ``s`` shows it over the browser and Escape goes back while the
streams keep running in their workers.  While it exists it puts a
:class:`~mediatui.workers.FrameTraceFilter` in front of the app's ioctl recorder, so the
log shows per-frame ioctls only while a stream is paused or stepped.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.widgets import Footer, Static, Tab, Tabs

from core.discovery import DeviceList
from core.inspect import dvb_kind
from core.service.session import NO_QUEUE_KINDS
from core.service.stream import MAX_BUFFERS, Clock, StreamSpec
from mediatui.backend import Backend
from mediatui.screens.base import ServiceScreen
from mediatui.widgets.dvb_view import DvbPanel, DvbView
from mediatui.widgets.link_picker import LinkPicker
from mediatui.widgets.observed_view import ObservedView
from mediatui.widgets.stream_panel import StreamPanel
from mediatui.widgets.stream_view import StreamView
from mediatui.widgets.text import content
from mediatui.workers import FrameTraceFilter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from core.service.attach import TraceRecorder

SCREEN_NAME = "streams"
EMPTY = "No streams yet: select a node in the browser and press s."
LINK_KINDS = ("video-m2m", "video-output")  # what can take frames in a pipeline
# Each stream holds one thread of the default executor (min(32, cpus + 4) threads) for
# its whole life; the browser's workers need a few too.
MAX_STREAMS = max(2, min(8, (os.cpu_count() or 1) + 4 - 3))

STEPS = ("toggle_pause", "manual", "queue_one", "dequeue_one")
Candidates = Callable[[], Iterable[tuple[str, str]]]  # (path, label) of linkable nodes
Devices = Callable[[], DeviceList]  # the browser's current device list


class StreamScreen(ServiceScreen):
    """Streams in tabs, drawn one at a time by a shared panel; keys act on the active one."""

    CSS_PATH = "../stream.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "toggle", "Start/stop", id="stream.toggle"),
        Binding("p", "step('toggle_pause')", "Pause", id="stream.pause"),
        Binding("m", "step('manual')", "Step mode", id="stream.manual"),
        Binding("e", "step('queue_one')", "Queue one", id="stream.queue_one"),
        Binding("d", "step('dequeue_one')", "Dequeue one", id="stream.dequeue_one"),
        Binding("left_square_bracket", "select_queue(-1)", "Prev queue", key_display="[",
                show=False, id="stream.queue_prev"),
        Binding("right_square_bracket", "select_queue(1)", "Next queue", key_display="]",
                show=False, id="stream.queue_next"),
        Binding("comma", "next_tab(-1)", "Prev stream", key_display=",", show=False,
                id="stream.prev"),
        Binding("full_stop", "next_tab(1)", "Next stream", key_display=".", show=False,
                id="stream.next"),
        Binding("l", "link", "Link to", show=False, id="stream.link"),
        Binding("plus", "buffers(1)", "More buffers", key_display="+", show=False,
                id="stream.more"),
        Binding("minus", "buffers(-1)", "Fewer buffers", key_display="-", show=False,
                id="stream.fewer"),
        Binding("a", "attach", "Attach", show=False, id="stream.attach"),
        Binding("T", "trace", "Record trace", show=False, id="stream.trace"),
        Binding("x", "close", "Close", id="stream.close"),
        Binding("escape", "back", "Browser", id="stream.back"),
        Binding("question_mark", "help", "Help", key_display="?", show=False,
                id="stream.help"),
    ]

    def __init__(self, backend: Backend, *, devices: Devices | None = None,
                 candidates: Candidates | None = None, clock: Clock = time.monotonic,
                 snapshot_interval: float = 0.1) -> None:
        super().__init__(backend)
        self.session = backend.session
        self.trace = FrameTraceFilter(backend.recorder)
        self.devices = devices
        self.candidates = candidates
        self.clock = clock
        self.snapshot_interval = snapshot_interval
        self._serial = 0
        self._shown: StreamView | None = None
        self._panels: dict[type[StreamPanel], StreamPanel] = {}
        self._recorders: dict[str, TraceRecorder] = {}  # by the view's tab id
        self._trace_files: set[str] = set()  # names taken (written or being written)

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, id="streams-empty", markup=False)
        yield Tabs(id="stream-tabs")
        with Vertical(id="streams"):  # the panels, one per kind of stream
            yield StreamPanel(id="video-panel")
            yield DvbPanel(id="dvb-panel")
        yield Container(id="stream-views")  # the streams themselves (hidden)
        yield Footer()

    def on_mount(self) -> None:
        for panel in self.query(StreamPanel):
            panel.display = False
            self._panels[type(panel)] = panel
        self.trace.install()
        self._show_empty()
        # Streams allocate snapshots ten times a second, so full collections come every
        # few seconds; over the whole app (Textual, the screens, the device lists) one
        # took 50-70 ms, a visible stall.  Freeze what exists now so they walk only
        # what the streams allocate.
        gc.collect()
        gc.freeze()

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """A tab picked with the mouse (keys switch through :meth:`show_stream` directly)."""
        event.stop()
        view = next((v for v in self.views if v.tab_id == event.tab.id), None)
        if view is not None and view is not self._shown:
            self.show_stream(view)

    def on_screen_resume(self) -> None:
        if (view := self.active) is not None:
            view.repaint()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")
        self.set_class(self.size.height < 30, "-short")

    async def on_unmount(self) -> None:
        """The screen (the app) is going: stop every stream and let their cleanup finish
        (awaited, never blocking the event loop) before the tracer steps aside."""
        views = self.views if self.query("#stream-views") else []
        for recorder in self._recorders.values():
            recorder.stop.set()  # the app is going: its observers remove their instances
        for view in views:
            view.stop()
        for view in views:
            await view.stopped()
        self.trace.uninstall(restore=self.app.is_running)
        gc.unfreeze()  # the app is going: let its objects be collected again

    # --- views --------------------------------------------------------------------

    @property
    def tabs(self) -> Tabs:
        return self.query_one("#stream-tabs", Tabs)

    @property
    def views(self) -> list[StreamView]:
        return list(self.query_one("#stream-views").query_children(StreamView))

    @property
    def active(self) -> StreamView | None:
        """The stream drawn (the active tab's)."""
        view = self._shown
        return view if view is not None and view.is_attached else None

    def view_for(self, path: str) -> StreamView | None:
        return next((v for v in self.views if v.spec.path == path), None)

    def _show_empty(self) -> None:
        empty = not self.views
        self.query_one("#streams-empty").display = empty
        self.tabs.display = not empty
        self.query_one("#streams").display = not empty

    def show_stream(self, view: StreamView) -> None:
        """Draw ``view``'s stream in its kind's panel and make its tab the active one.
        Streams of one kind share the panel: a repaint, no new layout."""
        panel = self._panels[view.panel_class]
        for other in self._panels.values():
            if other is not panel:
                if other.view is not None:
                    other.view.panel = None
                    other.view = None
                if other.display:
                    other.display = False
        if panel.view is not None and panel.view is not view:
            panel.view.panel = None
        view.panel = panel
        self._shown = view
        panel.show_view(view)
        if not panel.display:
            panel.display = True
        if self.tabs.active != view.tab_id:
            self.tabs.active = view.tab_id

    async def open_stream(self, path: str, *, start: bool = True,
                          spec: StreamSpec | None = None,
                          observe: bool = False) -> StreamView | None:
        """Show the stream of ``path`` (a new tab the first time) and start it;
        ``observe``: attach read-only to the stream another process runs there."""
        view = self.view_for(path)
        if view is not None and observe != isinstance(view, ObservedView):
            await self._close_view(view)
            view = None
        if view is None:
            if len(self.views) >= MAX_STREAMS:
                self.notify(f"At most {MAX_STREAMS} streams at once: close one with x.",
                            title="stream: open", severity="warning", markup=False)
                return None
            spec = spec or StreamSpec.default(path, label=self._name_of(path))
            self._serial += 1
            cls = ObservedView if observe else DvbView if spec.is_dvb else StreamView
            view = cls(spec, self.session, clock=self.clock, trace=self.trace,
                       snapshot_interval=self.snapshot_interval)
            view.tab_id = f"stream-{self._serial}"
            await self.query_one("#stream-views").mount(view)
            await self.tabs.add_tab(Tab(content(spec.title), id=view.tab_id))
            self._show_empty()
        self.show_stream(view)
        if start and not view.running:
            view.start()
        return view

    # --- actions ------------------------------------------------------------------

    def _view(self) -> StreamView | None:
        view = self.active
        if view is None:
            self.notify(EMPTY, severity="warning", markup=False)
        return view

    def action_toggle(self) -> None:
        if (view := self._view()) is None:
            return
        if view.running:
            view.stop()
        elif not view.start():
            self.notify("The previous run is still cleaning up.", markup=False)

    def action_step(self, command: str) -> None:
        """p, m, e, d: the active view passes them to its engine (no ioctl here)."""
        if command in STEPS and (view := self._view()) is not None:
            steps = {"toggle_pause": view.toggle_pause, "manual": view.manual,
                     "queue_one": view.queue_one, "dequeue_one": view.dequeue_one}
            steps[command]()

    def action_select_queue(self, delta: int) -> None:
        if (view := self._view()) is not None:
            view.select_queue(delta)

    def action_next_tab(self, delta: int) -> None:
        views = self.views
        if views and (view := self.active) in views:
            self.show_stream(views[(views.index(view) + delta) % len(views)])

    def action_buffers(self, delta: int) -> None:
        if (view := self._view()) is None:
            return
        if view.running:
            self.notify("Stop the stream first (s): the count applies at REQBUFS.",
                        markup=False)
            return
        count = view.spec.count
        count = min(MAX_BUFFERS, count * 2) if delta > 0 else max(1, count // 2)
        view.set_count(count)

    def action_link(self) -> None:
        view = self._view()
        if view is None or view.spec.is_dvb:
            return
        if view.running:
            self.notify("Stop the stream first (s), then link.", markup=False)
            return
        options = [(p, label) for p, label in self._candidates() if p not in view.spec.paths]
        if not options:
            self.notify("No mem2mem or video output node to link to.", markup=False)
            return

        def linked(path: str | None) -> None:
            if path:
                view.spec = replace(view.spec, paths=(*view.spec.paths, path))
                view.note(f"pipeline: {view.spec.title} (DMABUF, zero copy)")
                view.show_header()
                tab = self.tabs.get_tab(view.tab_id)
                if tab is not None:
                    tab.label = content(view.spec.title)

        self.app.push_screen(LinkPicker(options), linked)

    def _devices(self) -> DeviceList | None:
        return self.devices() if self.devices is not None else None

    def _name_of(self, path: str) -> str:
        devices = self._devices()
        node = devices.find(path) if devices is not None else None
        return node.name if node is not None else ""

    def _candidates(self) -> list[tuple[str, str]]:
        if self.candidates is not None:
            return list(self.candidates())
        devices = self._devices()
        if devices is None:
            return []
        return [(n.path, f"{n.path} {n.name} ({n.kind})") for n in devices.nodes
                if n.kind in LINK_KINDS]

    async def action_close(self) -> None:
        view = self.active
        if view is None:
            return
        await self._close_view(view)

    async def _close_view(self, view: StreamView) -> None:
        """Stop ``view``'s stream, remove its tab (unmounting waits for the cleanup) and
        draw the next stream, if any."""
        views = self.views
        view.stop()
        if (recorder := self._recorders.pop(view.tab_id, None)) is not None:
            self._save_trace(view, recorder)  # a closed stream keeps what was recorded
        if view.panel is not None:
            view.panel.view = None
            view.panel = None
        self._shown = None
        await self.tabs.remove_tab(view.tab_id)
        await view.remove()  # unmount waits for the cleanup
        rest = [v for v in views if v is not view]
        if rest:
            at = min(views.index(view), len(rest) - 1)
            self.show_stream(rest[at])
        else:
            for panel in self._panels.values():
                panel.display = False
        self._show_empty()

    async def action_attach(self) -> None:
        """a: observe, read-only, the stream another process runs on the active node
        (what to do when s failed with EBUSY)."""
        view = self._view()
        if view is None or isinstance(view, ObservedView):
            return
        if view.spec.is_dvb or len(view.spec.paths) > 1:
            self.notify("Attach works on one video node (DVB buffers have no trace "
                        "events).", markup=False)
            return
        if view.running and view.phase not in ("starting",):
            self.notify("This stream is mediatui's own: stop it (s) first.", markup=False)
            return
        await self.open_stream(view.spec.path, observe=True)

    def action_trace(self) -> None:
        """T: start recording every buffer move of the drawn stream (kernel tracepoints,
        or QUERYBUF sampling without tracefs access) for a Perfetto trace; T again
        writes it to the log directory (what ``stream --trace`` and ``attach --trace``
        write)."""
        if (view := self._view()) is None:
            return
        if view.spec.is_dvb:
            self.notify("DVB buffers have no trace events: there is nothing to record.",
                        markup=False)
            return
        recorder = self._recorders.pop(view.tab_id, None)
        if recorder is not None:
            self._save_trace(view, recorder)
            return
        from core.service.attach import TraceRecorder

        recorder = TraceRecorder(view.spec.paths)
        self._recorders[view.tab_id] = recorder
        view.note("trace: starting the recorder")
        self.run_worker(lambda: self._start_recorder(view, recorder), thread=True,
                        name=f"trace {view.spec.title}", group="trace", exit_on_error=False)

    def _start_recorder(self, view: StreamView, recorder: TraceRecorder) -> None:
        """Worker thread: set the observers up (tracefs instances take a while)."""
        from core.errors import MediaError
        from core.service.attach import AttachError

        try:
            recorder.start()
        except (AttachError, MediaError) as exc:
            self.app.call_from_thread(self._recorders.pop, view.tab_id, None)
            if isinstance(exc, MediaError):
                raise
            raise MediaError(path=view.spec.path, ioctl=None, errno=None,
                             title="Cannot record a trace of this stream",
                             explanation=str(exc)) from None
        self.app.call_from_thread(
            view.note, f"trace: recording every buffer via {recorder.sources}; T again "
                       "writes the file")

    def _save_trace(self, view: StreamView, recorder: TraceRecorder) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = os.path.basename(view.spec.path)
        file = self.backend.log_dir / f"mediatui-trace-{name}-{stamp}.json"
        serial = 1
        while file.exists() or str(file) in self._trace_files:  # two within a second
            serial += 1
            file = self.backend.log_dir / f"mediatui-trace-{name}-{stamp}-{serial}.json"
        self._trace_files.add(str(file))
        self.run_worker(lambda: self._write_trace(view, recorder, str(file)), thread=True,
                        name=f"trace {file}", group="trace", exit_on_error=False)

    def _write_trace(self, view: StreamView, recorder: TraceRecorder, file: str) -> None:
        """Worker thread: stop the observers (they remove their tracefs instances), then
        write the file."""
        from core.errors import MediaError

        try:
            n, warnings = recorder.finish(file)
        except OSError as exc:
            raise MediaError(path=file, ioctl=None, errno=exc.errno,
                             title=f"Cannot write the trace file: {exc.strerror}",
                             explanation="The recording is lost. Traces, like the ioctl log, "
                             "are written to the directory mediatui was started in.") from None
        lines = [f"wrote {n} trace events to {file}", "open it in ui.perfetto.dev",
                 *warnings]
        self.app.call_from_thread(self.notify, "\n".join(lines), title="trace",
                                  markup=False, timeout=12)
        if view.is_attached:
            self.app.call_from_thread(view.note, f"trace: {n} events written to {file}")

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_help(self) -> None:
        from mediatui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.BINDINGS, self.app.BINDINGS))


    def target(self, path: str | None) -> str | None:
        """The node to stream for ``path``: itself, or a frontend's demux0 (the frontend
        only tunes; the transport stream comes out of the demux).  None, with a
        notification, for nodes without a buffer queue."""
        if path is not None and dvb_kind(path) == "frontend":
            return path.rsplit("/", 1)[0] + "/demux0"
        devices = self._devices()
        node = devices.find(path) if devices is not None and path is not None else None
        if path is None or (node is not None and node.kind in NO_QUEUE_KINDS):
            self.app.notify("Move the cursor to a video, demux or dvr node: media controller "
                            "and subdev nodes have no buffer queue.", title="stream: start",
                            severity="warning", markup=False)
            return None
        return path


def stream_screen(app: App) -> StreamScreen:
    """The stream screen the main screen installed."""
    screen = app.get_screen(SCREEN_NAME)
    assert isinstance(screen, StreamScreen)
    return screen


async def show_streams(app: App, path: str | None = None, *, start: bool = True) -> None:
    """Bring the stream screen up and open ``path``'s stream."""
    screen = stream_screen(app)
    if app.screen is not screen:
        await app.push_screen(screen)
    if path is not None:
        await screen.open_stream(path, start=start)


async def stream_command(app: App, path: str | None, verb: str = "open") -> None:
    """What the main screen's ``s`` and the "stream: …" palette commands do.

    ``open`` shows the stream screen with ``path``'s stream (started); ``show`` only
    shows the screen; the others act on the stream in the active tab."""
    screen = stream_screen(app)
    if verb == "open":
        path = screen.target(path)
        if path is None:
            return
    await show_streams(app, path if verb == "open" else None)
    step = {"pause": "toggle_pause", "manual": "manual", "queue": "queue_one",
            "dequeue": "dequeue_one"}.get(verb)
    if verb == "stop":
        view = screen.active
        if view is not None and view.running:
            view.stop()
    elif step is not None:
        screen.action_step(step)
