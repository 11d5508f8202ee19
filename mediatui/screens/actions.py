"""What every key, button and palette command does on the main screen.

The base of the main screen, so its module keeps to composition, messages and workers.
Keys, palette commands and the panels' buttons (``Button(action="screen.…")``) all land
on these ``action_*`` methods.  Each reads the user's choices from the panels and hands
a closure over a service function (:mod:`core.service.buffers`) to ``run_op`` (a
worker); nothing here touches a device on the UI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual.widget import AwaitMount, Widget
from textual.widgets import TabbedContent

from mediatui.screens.base import ServiceScreen
from mediatui.widgets.device_tree import DeviceTree
from mediatui.widgets.inspector import Inspector
from mediatui.widgets.ioctl_log import IoctlLog
from mediatui.widgets.text import plain

# The panels' modules and the buffer operations (core.service.buffers, with the device
# classes behind it) are imported when first used, not before the first frame (issue 16).
if TYPE_CHECKING:
    from core.service.buffers import Outcome
    from mediatui.widgets.buffers_panel import BuffersPanel
    from mediatui.widgets.export_panel import ExportPanel
    from mediatui.widgets.import_panel import ImportPanel


class PanelActions(ServiceScreen):
    """The base of MainScreen: its panels, and the ``action_*`` methods of its bindings."""

    path: str | None = None  # the node the panels work on
    last_saved_log: Path | None = None

    @property
    def log_widget(self) -> IoctlLog:
        return self.query_one(IoctlLog)

    # The panels of the tabs built when first shown. ``buffers``/``exports``/``imports``
    # raise NoMatches until their tab was shown (tests read them after showing it);
    # ``built_*`` are None until the panel is mounted, for code that runs at any time.

    @property
    def buffers(self) -> BuffersPanel:
        return cast("BuffersPanel", self.query_one("#buffers-panel"))

    @property
    def exports(self) -> ExportPanel:
        return cast("ExportPanel", self.query_one("#export-panel"))

    @property
    def imports(self) -> ImportPanel:
        return cast("ImportPanel", self.query_one("#import-panel"))

    def _mounted(self, tab: str) -> Widget | None:
        widget = self.pane(tab)
        if widget is None or not widget.is_mounted or not widget.is_attached:
            return None  # not built yet, or the app is exiting
        return widget

    @property
    def built_buffers(self) -> BuffersPanel | None:
        return cast("BuffersPanel | None", self._mounted("buffers"))

    @property
    def built_exports(self) -> ExportPanel | None:
        return cast("ExportPanel | None", self._mounted("export"))

    @property
    def built_imports(self) -> ImportPanel | None:
        return cast("ImportPanel | None", self._mounted("import"))

    async def _buffers_panel(self) -> BuffersPanel:
        """The buffers panel, built first if its tab was never shown: a key pressed on
        another tab acts with the panel's defaults for the open node."""
        return cast("BuffersPanel", await self.ensure_pane("buffers"))

    async def _exports_panel(self) -> ExportPanel:
        return cast("ExportPanel", await self.ensure_pane("export"))

    async def _imports_panel(self) -> ImportPanel:
        return cast("ImportPanel", await self.ensure_pane("import"))

    @property
    def inspector(self) -> Inspector:
        return self.query_one(Inspector)

    if TYPE_CHECKING:  # MainScreen defines them (they start its workers, build panes)

        def run_op(self, label: str, fn: Callable[[], Outcome]) -> None: ...

        def rescan(self) -> object: ...

        def open_path(self, path: str) -> None: ...

        def pane(self, tab: str) -> Widget | None: ...

        def build_pane(self, tab: str) -> AwaitMount | None: ...

        async def ensure_pane(self, tab: str) -> Widget | None: ...

    def action_show_tab(self, tab: str) -> None:
        self.build_pane(tab)  # its content, if this is its first showing
        self.query_one("#tabs", TabbedContent).active = tab

    def _need_path(self) -> str | None:
        if self.path is None:
            self.notify("Select a node in the browser and press Enter first.",
                        title="no device", severity="warning", markup=False)
        return self.path

    def action_open_device(self) -> None:
        path = self.query_one(DeviceTree).cursor_path
        if path is None:
            self.notify("Move the cursor to a node first.", severity="warning", markup=False)
            return
        self.open_path(path)

    def action_close_device(self) -> None:
        from core.service import buffers as ops

        if (path := self._need_path()) is not None:
            session = self.backend.session
            self.run_op("device: close", lambda: ops.close_node(session, path))

    def action_rescan(self) -> None:
        self.rescan()

    def _buffer_op(self, label: str, fn: Callable[..., Outcome], *args: object) -> None:
        if (path := self._need_path()) is not None:
            session = self.backend.session
            self.run_op(label, lambda: fn(session, path, *args))

    async def action_buffers_request(self) -> None:
        from core.service import buffers as ops

        b = await self._buffers_panel()
        self._buffer_op("buffers: request", ops.request, b.buf_type, b.memory, b.count,
                        b.dvb_size)

    async def action_buffers_create(self) -> None:
        from core.service import buffers as ops

        b = await self._buffers_panel()
        self._buffer_op("buffers: create", ops.create, b.buf_type, b.memory, b.count)

    async def action_buffers_free(self) -> None:
        from core.service import buffers as ops

        b = await self._buffers_panel()
        self._buffer_op("buffers: free", ops.free, b.buf_type, b.dvb_size)

    async def action_buffers_query(self) -> None:
        from core.service import buffers as ops

        self._buffer_op("buffers: query", ops.query, (await self._buffers_panel()).buf_type)

    async def action_buffers_map(self) -> None:
        from core.service import buffers as ops

        self._buffer_op("buffers: map", ops.map_all, (await self._buffers_panel()).buf_type)

    async def action_export_selected(self) -> None:
        from core.service import buffers as ops

        e = await self._exports_panel()
        self._buffer_op("export: buffer", ops.export, self.buffers.buf_type, e.index, e.plane,
                        e.flags)

    async def action_export_all(self) -> None:
        from core.service import buffers as ops

        e = await self._exports_panel()
        self._buffer_op("export: all", ops.export, self.buffers.buf_type, None, None, e.flags)

    async def action_export_close(self) -> None:
        from core.service import buffers as ops

        session, fd = self.backend.session, (await self._exports_panel()).selected_fd
        self.run_op("export: close", lambda: ops.close_export(session, fd))

    def action_export_close_all(self) -> None:
        from core.service import buffers as ops

        session = self.backend.session
        self.run_op("export: close all", lambda: ops.close_all_exports(session))

    async def action_import_queue(self) -> None:
        from core.service import buffers as ops

        i = await self._imports_panel()
        source = i.source.key if i.source is not None else None
        self._buffer_op("import: queue", ops.import_queue, self.buffers.buf_type, i.index,
                        source, i.alloc_size)

    def action_import_close(self) -> None:
        from core.service import buffers as ops

        session = self.backend.session
        self.run_op("import: close allocations", lambda: ops.close_allocations(session))

    def action_toggle_log(self) -> None:
        self.log_widget.display = not self.log_widget.display

    def action_clear_log(self) -> None:
        self.log_widget.clear_log()

    def action_save_log(self) -> None:
        """Every kept ioctl as NDJSON, in the log directory (default: the cwd)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.backend.log_dir / f"mediatui-ioctls-{stamp}.ndjson"
        try:
            count = self.backend.recorder.save_ndjson(target)
        except OSError as exc:
            self.notify(plain(f"{target}: {exc.strerror}"), title="log: save failed",
                        severity="error", markup=False)
            return
        self.last_saved_log = target
        self.notify(plain(f"{count} ioctls written to {target}"), title="log: save", markup=False)
