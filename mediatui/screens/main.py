"""The main screen: device browser on the left, inspector and buffer panels in tabs, the
ioctl log below.

It is handed the :class:`~mediatui.backend.Backend` and owns the workers.  Every device
call is a service-layer function (:mod:`core.service`) run in a thread worker under the
session lock (the kernel may take a while to allocate, and vivid lists forty formats);
it comes back as frozen values in messages that the screen applies in one
``batch_update``.  A worker that fails anyway is explained by the base screen.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import AwaitMount, Widget
from textual.widgets import Footer, Select, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from core.discovery import DeviceList, DeviceNode
from core.errors import MediaError
from core.service.failure import unexpected
from core.service.session import NO_QUEUE_KINDS, DeviceView
from mediatui.backend import Backend
from mediatui.messages import (
    DeviceRemoved,
    DevicesChanged,
    DeviceSelected,
    HotplugReceived,
    InspectionLoaded,
    IoctlTraced,
    OperationFinished,
    SessionChanged,
)
from mediatui.screens.actions import PanelActions
from mediatui.widgets.device_tree import DeviceBrowser, DeviceTree
from mediatui.widgets.inspector import NO_DEVICES, Inspector
from mediatui.widgets.ioctl_log import IoctlLog
from mediatui.widgets.text import plain, plain_lines

if TYPE_CHECKING:
    from core.service.buffers import Outcome
    from mediatui.widgets.topology_view import TopologyView

TABS = ("inspector", "buffers", "export", "import", "stream")
STREAM_NOTE = "Press s to stream the node under the cursor (buffer lanes, fps, drops)."
# mediatui.screens.stream.SCREEN_NAME, spelled here so that the stream screen's module
# (and its widgets) load when a stream is first shown, not at start-up; a unit test
# checks that the two agree.
STREAM_SCREEN = "streams"


def _buffers_panel() -> Widget:
    from mediatui.widgets.buffers_panel import BuffersPanel

    return BuffersPanel(id="buffers-panel")


def _export_panel() -> Widget:
    from mediatui.widgets.export_panel import ExportPanel

    return ExportPanel(id="export-panel")


def _import_panel() -> Widget:
    from mediatui.widgets.import_panel import ImportPanel

    return ImportPanel(id="import-panel")


def _stream_note() -> Widget:
    return Static(STREAM_NOTE, id="stream-note", markup=False)


def _topology_view() -> Widget:
    from mediatui.widgets.topology_view import TopologyView

    return TopologyView(id="topology-view")


# The panes built when first shown (or first needed by a key): at start only the
# browser, the inspector and the log are on screen, and composing the hidden panels
# (seven Selects, eleven Buttons, three DataTables...) and matching their CSS was most
# of the first frame's cost (issue 16). Export and import read the buffer type chosen
# in the buffers panel, so they need it built first.
LAZY_PANES: dict[str, tuple[Callable[[], Widget], tuple[str, ...]]] = {
    "buffers": (_buffers_panel, ()),
    "export": (_export_panel, ("buffers",)),
    "import": (_import_panel, ("buffers",)),
    "stream": (_stream_note, ()),
    "topology": (_topology_view, ()),
}


class MainScreen(PanelActions):
    """Browser, panels, log; the actions every key, button and palette command run."""

    BINDINGS = [
        Binding("1", "show_tab('inspector')", "Inspector", show=False, id="view.inspector"),
        Binding("2", "show_tab('buffers')", "Buffers", show=False, id="view.buffers"),
        Binding("3", "show_tab('export')", "Export", show=False, id="view.export"),
        Binding("4", "show_tab('import')", "Import", show=False, id="view.import"),
        Binding("5", "show_tab('stream')", "Stream", show=False, id="view.stream"),
        Binding("6", "show_tab('topology')", "Topology", show=False, id="view.topology"),
        Binding("o", "open_device", "Open device", show=False, id="device.open"),
        Binding("d", "close_device", "Close device", show=False, id="device.close"),
        Binding("ctrl+r", "rescan", "Rescan devices", show=False, id="device.rescan"),
        Binding("r", "buffers_request", "Request", id="buffers.request"),
        Binding("c", "buffers_create", "Create bufs", show=False, id="buffers.create"),
        Binding("f", "buffers_free", "Free", id="buffers.free"),
        Binding("u", "buffers_query", "Query bufs", show=False, id="buffers.query"),
        Binding("m", "buffers_map", "Map all", show=False, id="buffers.map"),
        Binding("e", "export_selected", "Export", id="export.selected"),
        Binding("E", "export_all", "Export all", show=False, id="export.all"),
        Binding("x", "export_close", "Close fd", show=False, id="export.close"),
        Binding("X", "export_close_all", "Close all", id="export.close_all"),
        Binding("i", "import_queue", "Import (QBUF)", show=False, id="import.queue"),
        Binding("a", "import_close", "Close allocations", show=False, id="import.close"),
        Binding("s", "stream('open')", "Stream", show=False, id="stream.open"),
        Binding("l", "toggle_log", "Log", id="log.toggle"),
        Binding("w", "save_log", "Save log", show=False, id="log.save"),
        Binding("ctrl+l", "clear_log", "Clear log", show=False, id="log.clear"),
    ]

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.devices = DeviceList(source="")
        self.ghosts: dict[str, tuple[str, DeviceNode]] = {}
        self.view: DeviceView | None = None
        self._watching = False
        self._panes: dict[str, tuple[Widget, AwaitMount]] = {}
        # Discovery's list when it came before on_mount, kept for on_mount (which shows
        # it in the first frame); under the lock, with whether on_mount has run.
        self._early_devices: DeviceList | None = None
        self._early_lock = threading.Lock()
        self._early_taken = False
        self._discovering = False  # the first discovery was started (discover_first)

    async def discover_first(self, timeout: float) -> bool:
        """Start the first discovery before this screen is composed and wait until it
        returned or failed, at most ``timeout`` seconds; True unless it timed out.

        The app calls this before it builds any screen (MediatuiApp.on_load): then the
        list is there when the browser is first drawn, and discovery runs alone. Run
        beside the screen's compose and styling, it took 7-9x as long in the kernel
        tier's VM (and more with more nodes): a thread making thousands of syscalls
        (sysfs reads, opens) waits for the GIL after each one while the UI thread,
        busy with CPU work, holds it for up to the switch interval (5 ms); and the
        frames painted before the list came were painted again after (issue 16).
        Its result and failure reach this screen as they would later: the list
        through on_mount (``_early_devices``), a failure through the base screen.
        """
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        self._discovering = True
        self.rescan(on_done=lambda: loop.call_soon_threadsafe(done.set))
        try:
            await asyncio.wait_for(done.wait(), timeout)
        except asyncio.TimeoutError:  # a slow board: the screen first, the list later
            return False
        return True

    def compose(self) -> ComposeResult:
        if self.backend.initial_devices is None and not self._discovering:
            # Not started by the app (discover_first): started now, so discovery runs
            # while the screen is composed. When it is done by on_mount, on_mount shows
            # its list; otherwise DevicesChanged shows it when it comes.
            self._discovering = True
            self.rescan()
        with Horizontal(id="body"):
            yield DeviceBrowser(id="browser")
            with TabbedContent(id="tabs", initial="inspector"):
                with TabPane("Inspector", id="inspector"):
                    yield Inspector(id="inspector-view")
                # Empty until first shown: see LAZY_PANES.
                yield TabPane("Buffers", id="buffers")
                yield TabPane("Export", id="export")
                yield TabPane("Import", id="import")
                yield TabPane("Stream", id="stream")
                yield TabPane("Topology", id="topology")
        yield IoctlLog(self.backend.recorder, id="ioctl-log")
        yield Footer()

    def on_mount(self) -> None:
        if not self.app.is_screen_installed(STREAM_SCREEN):
            # Handed the same backend, and this screen's device list (for names and
            # the nodes a pipeline can link to), instead of looking for this screen.
            # Installed as a factory: the app builds it when a stream is first shown.
            self.app.install_screen(self._stream_screen, STREAM_SCREEN)  # type: ignore[arg-type]
        log = self.log_widget  # captured: the tracer calls this from worker threads
        self.backend.recorder.on_new = lambda: log.post_message(IoctlTraced())
        log.post_message(IoctlTraced())  # what discovery traced before on_new was set
        if self.backend.initial_devices is not None:
            self.post_message(DevicesChanged(self.backend.initial_devices))
        else:
            with self._early_lock:
                self._early_taken = True
                early = self._early_devices
            if early is not None:
                self.on_devices_changed(DevicesChanged(early))
        self.query_one(DeviceTree).focus()

    def _stream_screen(self) -> Screen[None]:
        from mediatui.screens.stream import StreamScreen

        return StreamScreen(self.backend, devices=lambda: self.devices)

    def on_resize(self) -> None:
        self.set_class(self.size.height < 30, "-short")

    # --- panes built when first needed ----------------------------------------------

    def pane(self, tab: str) -> Widget | None:
        """The content of a lazily built tab, None until it is built."""
        built = self._panes.get(tab)
        return built[0] if built is not None else None

    def build_pane(self, tab: str) -> AwaitMount | None:
        """Mount ``tab``'s content (and what it depends on) if it is not there yet.

        Idempotent and synchronous (a key's handler calls it before showing the tab);
        the returned awaitable completes when the content is mounted. None when the
        tab is not a lazy one or the screen is going away (the app is exiting)."""
        if tab not in LAZY_PANES:
            return None
        factory, needs = LAZY_PANES[tab]
        for other in needs:
            self.build_pane(other)
        built = self._panes.get(tab)
        if built is not None:
            return built[1]
        pane = next(iter(self.query(f"TabPane#{tab}")), None) if self.is_attached else None
        if pane is None or not pane.is_attached:
            return None  # not composed yet, or the app is exiting (is_attached says so)
        widget = factory()
        waiter = pane.mount(widget)
        self._panes[tab] = (widget, waiter)
        # Runs after the widget's own Mount (its queue starts with Compose, Mount).
        widget.call_later(self._pane_built, tab)
        return waiter

    async def ensure_pane(self, tab: str) -> Widget | None:
        """``tab``'s content, built and mounted first if needed (for keys and commands
        that read a panel's choices while another tab is shown)."""
        fresh = tab in LAZY_PANES and any(
            t not in self._panes for t in (tab, *LAZY_PANES[tab][1]))
        waiter = self.build_pane(tab)
        if waiter is not None:
            for other in LAZY_PANES[tab][1]:
                if (dependency := self._panes.get(other)) is not None:
                    await dependency[1]
            await waiter
            if fresh:  # its choices (the buffer type...) follow the open node first
                self._apply_view(self.view)
        return self.pane(tab)

    def _pane_built(self, tab: str) -> None:
        """A freshly built pane shows what the screen knows already."""
        if not self.is_attached or tab == "stream":
            return
        if tab == "topology":
            topology = self.pane("topology")
            if topology is not None and self.path is not None:
                cast("TopologyView", topology).show_for(self.path)
            return
        self._apply_view(self.view)

    # --- workers ------------------------------------------------------------------

    @work(thread=True, group="discover", exclusive=True, exit_on_error=False,
          name="discovery")
    def rescan(self, on_done: Callable[[], None] | None = None) -> None:
        """discover() off the UI thread: it opens and QUERYCAPs every node.  A failure is
        the base screen's to explain ("discovery failed unexpectedly"). ``on_done`` is
        called in the worker's thread when discover() returned or raised."""
        try:
            devices = self.backend.discover()
        finally:
            if on_done is not None:
                on_done()
        if get_current_worker().is_cancelled:
            return
        with self._early_lock:
            if not self._early_taken:
                # Before on_mount (the screen may not even be attached yet: see
                # discover_first): on_mount shows it.
                self._early_devices = devices
                return
        self.post_message(DevicesChanged(devices))

    @work(thread=True, group="hotplug", exclusive=True, exit_on_error=False, name="hotplug")
    def watch_hotplug(self) -> None:
        """The discovery watcher until the screen goes (cancel sets the stop event)."""
        factory = self.backend.watcher_factory
        if factory is None:
            return
        worker = get_current_worker()
        try:
            watcher = factory(self.devices.nodes)
            watcher.run(worker.cancelled_event, lambda e: self.post_message(HotplugReceived(e)))
        except Exception as exc:  # no netlink permission, no libudev...: say so, keep going
            raise MediaError(path=None, ioctl=None, errno=getattr(exc, "errno", None),
                             title="Hotplug updates unavailable",
                             explanation=f"{exc}. The list still refreshes with Ctrl+R.",
                             ) from exc

    @work(thread=True, group="inspect", exclusive=True, exit_on_error=False, name="inspect")
    def inspect_node(self, path: str) -> None:
        """Open (once, through the session) and read info and the non-destructive probe."""
        from core.service.holders import node_holders_sentence
        from core.service.inspection import inspect

        session = self.backend.session
        inspection = inspect(session, path)
        view = session.view(path)
        inspection = replace(inspection, holders=node_holders_sentence(path))
        if not get_current_worker().is_cancelled:
            self.post_message(InspectionLoaded(inspection))
            self.post_message(SessionChanged(view))

    def run_op(self, label: str, fn: Callable[[], Outcome]) -> None:
        """Run one action in a worker; its result (or explained error) comes back as
        OperationFinished, the new state as SessionChanged."""
        self._op_worker(label, fn, self.path)

    @work(thread=True, group="ops", exit_on_error=False, name="operation")
    def _op_worker(self, label: str, fn: Callable[[], Outcome], path: str | None) -> None:
        session = self.backend.session
        summary: str | None = None
        error: MediaError | None = None
        with session.lock:
            try:
                summary = fn().summary
            except MediaError as exc:
                error = exc
            except Exception as exc:
                error = unexpected(label, exc)
            if error is not None and error.errno_name == "ENODEV" and path is not None:
                session.mark_removed(path)
            view = session.view(path, queue_less=self._queue_less(path))
        self.post_message(OperationFinished(label, summary, error))
        self.post_message(SessionChanged(view))

    # --- facts arriving -----------------------------------------------------------

    def _queue_less(self, path: str | None) -> bool:
        node = self.devices.find(path) if path else None
        return node is not None and node.kind in NO_QUEUE_KINDS

    def on_devices_changed(self, message: DevicesChanged) -> None:
        if message.devices is self.devices:
            return  # this very list is shown (on_mount took discovery's early result)
        session = self.backend.session
        present = {n.path for n in message.devices.nodes}
        for path in present:
            self.ghosts.pop(path, None)
            session.mark_present(path)
        # Nodes that went while we held them (or looked at them) stay, greyed.
        for node in self.devices.nodes:
            if node.path not in present and (session.is_open(node.path)
                                             or node.path == self.path):
                group = next((g.name for g in self.devices.groups if node in g.nodes), "")
                self.ghosts[node.path] = (group, node)
                self._removed(node.path)
        self.devices = message.devices
        self._show_devices()
        if not self._watching and self.backend.watcher_factory is not None:
            # After the first list: the watcher then knows what a remove takes away.
            # After the frame that shows it: opening udev's socket and loading its
            # parser in a thread would slow that frame down.
            self._watching = True
            self.call_after_refresh(self.watch_hotplug)
        if not message.devices.groups and self.path is None:
            self.inspector.show_hint(NO_DEVICES)

    def _show_devices(self) -> None:
        self.query_one(DeviceBrowser).show_devices(
            self.devices, ghosts=self.ghosts,
            open_paths=frozenset(self.backend.session.open_paths))

    def on_hotplug_received(self, message: HotplugReceived) -> None:
        event = message.event
        if event.action == "remove" and event.path:
            self._removed(event.path)
        self.rescan()

    def _removed(self, path: str) -> None:
        """Close our handle once and say so once (hotplug and rescan both notice)."""
        session = self.backend.session
        if not session.is_removed(path):
            self.post_message(DeviceRemoved(path, session.mark_removed(path)))

    def on_device_removed(self, message: DeviceRemoved) -> None:
        if message.path != self.path:
            return
        self.inspector.show_removed(message.path)
        self.notify(plain(f"{message.path} was removed (unplugged or driver unbound)"),
                    title="device: removed", severity="warning", markup=False)
        self.post_message(SessionChanged(self.backend.session.view(message.path)))

    def on_device_selected(self, message: DeviceSelected) -> None:
        self.open_path(message.path)

    def open_path(self, path: str) -> None:
        """Make ``path`` the node the panels work on; open and inspect it."""
        self.path = path
        node = self.devices.find(path) or (self.ghosts.get(path, ("", None))[1])
        # Text, not str: a str border title would be parsed as markup.
        self.query_one("#tabs", TabbedContent).border_title = Text(plain(path))
        if (topology := self.pane("topology")) is not None and topology.is_mounted:
            cast("TopologyView", topology).show_for(path)  # else: when the tab is built
        if node is not None and node.kind in NO_QUEUE_KINDS:
            self.inspector.show_node(node, "A media controller or subdev node: no buffer "
                                     "queue to open here.")
            self.post_message(SessionChanged(self.backend.session.view(path, queue_less=True)))
            return
        if self.backend.session.is_removed(path):
            self.inspector.show_removed(path)
            self.post_message(SessionChanged(self.backend.session.view(path)))
            return
        if node is not None:
            self.inspector.show_node(node, "opening and probing...")
        self.inspect_node(path)

    def on_inspection_loaded(self, message: InspectionLoaded) -> None:
        inspection = message.inspection
        if inspection.path != self.path:
            return
        self.inspector.show_inspection(inspection, self.devices.find(inspection.path))
        if inspection.error is not None:
            self.explain("device: open", inspection.error)
        self._show_devices()  # the open marker

    def on_session_changed(self, message: SessionChanged) -> None:
        view = message.view
        if view is not None and view.path != self.path:
            return
        self._apply_view(view)

    def _apply_view(self, view: DeviceView | None) -> None:
        """Show ``view`` in the panels built so far (the others show it when built)."""
        self.view = view
        buffers = self.built_buffers
        if buffers is None:
            return
        with self.app.batch_update():
            buffers.show(view)
            self._show_dmabufs()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # A click on a tab: build its content if this is its first showing.
        self.build_pane(event.pane.id or "")
        # A DataTable filled while its tab was hidden can keep stale column widths
        # until its next update: fill it again once it is visible.
        self.call_after_refresh(lambda: self._apply_view(self.view))

    @on(Select.Changed, "#buf-type")
    def _buf_type_changed(self) -> None:
        self._show_dmabufs()

    def _show_dmabufs(self) -> None:
        buffers = self.built_buffers
        queue = buffers.queue_state if buffers is not None else None
        for panel in (self.built_exports, self.built_imports):
            if panel is not None:
                panel.show(self.view, queue)

    def on_operation_finished(self, message: OperationFinished) -> None:
        if message.error is not None:
            self.explain(message.label, message.error)
        elif message.summary:
            self.notify(plain_lines(message.summary), title=plain(message.label), timeout=4,
                        markup=False)
        if message.label.startswith("device:"):
            self._show_devices()

    def explain(self, label: str, error: MediaError) -> None:
        """A failure, on screen and in the log: what failed, errno, the likely cause."""
        super().explain(label, error)
        note = Text("  ✗ ", style="bold red")
        note.append(plain(f"{label}: {error.title}"), style="bold")
        if error.explanation:
            note.append(" — " + plain(error.explanation), style="red")
        self.log_widget.note(note)

    async def action_stream(self, verb: str = "open") -> None:
        """s and the "stream: ..." commands: the stream screen (mediatui.screens.stream)."""
        path = self.query_one(DeviceTree).cursor_path or self.path
        if verb == "open" and path and await self._pipeline_refuses(path):
            return
        from mediatui.screens.stream import stream_command

        await stream_command(self.app, path, verb)

    async def _pipeline_refuses(self, path: str) -> bool:
        """Before STREAMON on a media-controller video node: say why it would fail."""
        import asyncio

        from core.service.topology import precheck_stream

        result = await asyncio.to_thread(precheck_stream, path)
        if result is None or result.ok:
            return False
        body = "\n".join(plain(p.message) for p in result.problems)
        self.notify(body + "\nFix it in the Topology tab (6): t toggles a link, F edits a "
                    "pad format.", title=f"{plain(path)}: pipeline does not validate",
                    severity="error", timeout=15, markup=False)
        return True
