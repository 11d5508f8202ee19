"""The Holders view (``h``): every process holding media nodes or dma-bufs, system-wide.

A thread worker takes a holders snapshot (core.service.holders: one /proc walk, joined)
every second and posts it; the screen applies the newest one (older ones are replaced
unread).  Top table: processes, largest dma-buf total first, with a trend of the total
over the last three minutes; bottom table: every dma-buf.  ``s`` flips the size order,
Enter on a dma-buf shows which node exported it, who holds it and which devices are
attached.  Process and device text only ever enters widgets as ``Text``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from core.holders.join import DmabufView, Holders
from core.holders.text import command_line, escape
from core.service.holders import HoldersSnapshot, take_snapshot
from mediatui.backend import Backend
from mediatui.screens.base import ServiceScreen
from mediatui.verbs.sizes import human_size
from mediatui.widgets.trend import trend

HISTORY = 180  # samples: three minutes at one a second
COMMAND_WIDTH = 48
SCREEN_NAME = "holders"


class HoldersUpdated(Message):
    """A new holders snapshot; a newer one replaces it unread."""

    def __init__(self, snapshot: HoldersSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, HoldersUpdated)


def polite_snapshot() -> HoldersSnapshot:
    """The system-wide snapshot, walked so that keys stay responsive meanwhile."""
    return take_snapshot(polite=True)


def _t(text: str, style: str = "") -> Text:
    return Text(escape(text), style=style)


class HoldersScreen(ServiceScreen):
    """Processes and dma-bufs, refreshed every second without blocking the UI; a failing
    scan is notified by :class:`ServiceScreen` (worker name "holders scan")."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="holders.back"),
        Binding("s", "flip_sort", "Sort by size", id="holders.sort"),
        Binding("tab", "app.focus_next", "Next table", show=False, id="holders.next"),
    ]
    DEFAULT_CSS = """
    HoldersScreen #holders-processes { height: 1fr; }
    HoldersScreen #holders-dmabufs { height: 1fr; }
    HoldersScreen #holders-detail { height: auto; max-height: 8; padding: 0 1;
                                    border-top: solid $accent; }
    HoldersScreen #holders-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, backend: Backend,
                 take: Callable[[], HoldersSnapshot] = polite_snapshot,
                 interval_s: float = 1.0) -> None:
        super().__init__(backend, name=SCREEN_NAME)
        self._take = take
        self._interval_s = interval_s
        self._largest_first = True
        self._history: dict[int, deque[int]] = {}
        self.holders: Holders | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="holders-status")
        yield DataTable(id="holders-processes", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="holders-dmabufs", cursor_type="row", zebra_stripes=True)
        yield Static(Text("Enter on a dma-buf: its exporter, holders and attached devices",
                          style="dim"), id="holders-detail")
        yield Footer()

    def on_mount(self) -> None:
        procs = self.query_one("#holders-processes", DataTable)
        procs.add_columns("PID", "user", "total", "fd", "mapped", "trend (3 min)",
                          "command", "nodes")
        bufs = self.query_one("#holders-dmabufs", DataTable)
        bufs.add_columns("inode", "size", "exporter", "node", "held by", "attached")
        self.scan_loop()

    @work(thread=True, exclusive=True, group="holders", exit_on_error=False,
          name="holders scan")
    def scan_loop(self) -> None:
        """Snapshot, post, wait a second; until the screen goes (worker cancelled)."""
        worker = get_current_worker()
        while not worker.cancelled_event.is_set():
            self.post_message(HoldersUpdated(self._take()))
            worker.cancelled_event.wait(self._interval_s)

    def on_holders_updated(self, message: HoldersUpdated) -> None:
        holders = message.snapshot.holders
        self.holders = holders
        seen = set()
        for p in holders.processes:
            seen.add(p.info.pid)
            self._history.setdefault(p.info.pid, deque(maxlen=HISTORY)).append(p.total_bytes)
        for pid in list(self._history):
            if pid not in seen:
                del self._history[pid]  # gone: a new process may get its PID
        with self.app.batch_update():
            self._fill_processes(holders)
            self._fill_dmabufs(holders)
            self._status(message.snapshot)

    def _status(self, snap: HoldersSnapshot) -> None:
        h = snap.holders
        text = Text(f"{len(h.dmabufs)} dma-bufs, {human_size(h.total_bytes)}; "
                    f"{len(h.processes)} processes hold nodes or dma-bufs; "
                    f"scan {snap.duration_s * 1000:.0f} ms")
        blind = sorted({u.source for u in h.unreadable})
        if blind:
            text.append(f"; not read: {', '.join(blind)} (see `mediatui dmabufs`)",
                        style="yellow")
        self.query_one("#holders-status", Static).update(text)

    def _ordered(self, items: list, size: Callable) -> list:  # type: ignore[type-arg]
        return sorted(items, key=size, reverse=self._largest_first)

    def _fill_processes(self, holders: Holders) -> None:
        table = self.query_one("#holders-processes", DataTable)
        keep = table.cursor_row
        table.clear()
        for p in self._ordered(list(holders.processes), lambda p: p.total_bytes):
            nodes = ", ".join(f"{n.path} ({'owner' if n.owns_queue else 'open'})"
                              for n in p.nodes)
            table.add_row(
                Text(str(p.info.pid)), _t(p.info.user or "?"),
                Text(human_size(p.total_bytes)), Text(human_size(p.fd_bytes)),
                Text(human_size(p.map_bytes)), trend(self._history.get(p.info.pid, ())),
                Text(command_line(p.info, COMMAND_WIDTH)), _t(nodes), key=str(p.info.pid))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def _fill_dmabufs(self, holders: Holders) -> None:
        table = self.query_one("#holders-dmabufs", DataTable)
        keep = table.cursor_row
        table.clear()
        for b in self._ordered(list(holders.dmabufs), lambda b: b.size):
            held = [f"{h.pid} fd" for h in b.fd_holders] + [f"{h.pid} map"
                                                           for h in b.map_holders]
            attached = "?" if b.attached is None else ", ".join(b.attached) or "-"
            table.add_row(Text(str(b.inode)), Text(human_size(b.size)),
                          _t(b.exp_name or "?"), _t(b.exporter_node or "?"),
                          _t("; ".join(held) or "nobody visible"), _t(attached),
                          key=str(b.inode))
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    def action_flip_sort(self) -> None:
        self._largest_first = not self._largest_first
        if self.holders is not None:
            self._fill_processes(self.holders)
            self._fill_dmabufs(self.holders)
        self.notify("largest first" if self._largest_first else "smallest first")

    @on(DataTable.RowSelected, "#holders-dmabufs")
    def _show_dmabuf(self, event: DataTable.RowSelected) -> None:
        if self.holders is None or event.row_key.value is None:
            return
        buf = self.holders.dmabuf(int(event.row_key.value))
        if buf is not None:
            self.query_one("#holders-detail", Static).update(dmabuf_detail(buf, self.holders))


def dmabuf_detail(buf: DmabufView, holders: Holders) -> Text:
    """Exporter node (with the evidence), holders by fd and by mapping, attachments."""
    names = {p.info.pid: command_line(p.info) for p in holders.processes}
    text = Text()
    text.append(f"dma-buf inode {buf.inode}, {human_size(buf.size)}, exporter ", style="bold")
    text.append(escape(buf.exp_name or "?"))
    text.append("\nexported by: ", style="bold")
    text.append(escape(buf.exporter_node or "unknown"))
    if buf.exporter_evidence:
        text.append(f" ({escape(buf.exporter_evidence)})", style="dim")
    for h in buf.fd_holders:
        text.append(f"\nfd {','.join(map(str, h.fds))} in PID {h.pid} ")
        text.append(names.get(h.pid, "?"), style="cyan")
    for m in buf.map_holders:
        text.append(f"\nmapped {m.mappings}x in PID {m.pid} ")
        text.append(names.get(m.pid, "?"), style="cyan")
    text.append("\nattached devices: ", style="bold")
    if buf.attached is None:
        text.append("unknown (debugfs bufinfo not readable)", style="yellow")
    else:
        text.append(escape(", ".join(buf.attached) or "none"))
    if buf.other_refs:
        text.append(f"\n{buf.other_refs} other reference(s): the kernel (an importing "
                    "queue) or processes we could not read", style="dim")
    return text
