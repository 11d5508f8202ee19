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
from typing import TYPE_CHECKING

from textual.widgets import TabbedContent

from core.service import buffers as ops
from core.service.buffers import Outcome
from mediatui.screens.base import ServiceScreen
from mediatui.widgets.buffers_panel import BuffersPanel
from mediatui.widgets.device_tree import DeviceTree
from mediatui.widgets.export_panel import ExportPanel
from mediatui.widgets.import_panel import ImportPanel
from mediatui.widgets.inspector import Inspector
from mediatui.widgets.ioctl_log import IoctlLog
from mediatui.widgets.text import plain


class PanelActions(ServiceScreen):
    """The base of MainScreen: its panels, and the ``action_*`` methods of its bindings."""

    path: str | None = None  # the node the panels work on
    last_saved_log: Path | None = None

    @property
    def log_widget(self) -> IoctlLog:
        return self.query_one(IoctlLog)

    @property
    def buffers(self) -> BuffersPanel:
        return self.query_one(BuffersPanel)

    @property
    def exports(self) -> ExportPanel:
        return self.query_one(ExportPanel)

    @property
    def imports(self) -> ImportPanel:
        return self.query_one(ImportPanel)

    @property
    def inspector(self) -> Inspector:
        return self.query_one(Inspector)

    if TYPE_CHECKING:  # MainScreen defines them (they start its workers)

        def run_op(self, label: str, fn: Callable[[], Outcome]) -> None: ...

        def rescan(self) -> object: ...

        def open_path(self, path: str) -> None: ...

    def action_show_tab(self, tab: str) -> None:
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
        if (path := self._need_path()) is not None:
            session = self.backend.session
            self.run_op("device: close", lambda: ops.close_node(session, path))

    def action_rescan(self) -> None:
        self.rescan()

    def _buffer_op(self, label: str, fn: Callable[..., Outcome], *args: object) -> None:
        if (path := self._need_path()) is not None:
            session = self.backend.session
            self.run_op(label, lambda: fn(session, path, *args))

    def action_buffers_request(self) -> None:
        b = self.buffers
        self._buffer_op("buffers: request", ops.request, b.buf_type, b.memory, b.count,
                        b.dvb_size)

    def action_buffers_create(self) -> None:
        b = self.buffers
        self._buffer_op("buffers: create", ops.create, b.buf_type, b.memory, b.count)

    def action_buffers_free(self) -> None:
        self._buffer_op("buffers: free", ops.free, self.buffers.buf_type, self.buffers.dvb_size)

    def action_buffers_query(self) -> None:
        self._buffer_op("buffers: query", ops.query, self.buffers.buf_type)

    def action_buffers_map(self) -> None:
        self._buffer_op("buffers: map", ops.map_all, self.buffers.buf_type)

    def action_export_selected(self) -> None:
        e = self.exports
        self._buffer_op("export: buffer", ops.export, self.buffers.buf_type, e.index, e.plane,
                        e.flags)

    def action_export_all(self) -> None:
        self._buffer_op("export: all", ops.export, self.buffers.buf_type, None, None,
                        self.exports.flags)

    def action_export_close(self) -> None:
        session, fd = self.backend.session, self.exports.selected_fd
        self.run_op("export: close", lambda: ops.close_export(session, fd))

    def action_export_close_all(self) -> None:
        session = self.backend.session
        self.run_op("export: close all", lambda: ops.close_all_exports(session))

    def action_import_queue(self) -> None:
        i = self.imports
        source = i.source.key if i.source is not None else None
        self._buffer_op("import: queue", ops.import_queue, self.buffers.buf_type, i.index,
                        source, i.alloc_size)

    def action_import_close(self) -> None:
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
