"""The export panel: turn buffer planes into dma-buf fds (VIDIOC_EXPBUF / DMX_EXPBUF)
and see every fd the app holds, with what the kernel's fdinfo says about it.

The refcount column is the dma-buf *file's* count: every fd, every mmap and every
kernel import adds one, which is why closing our fd does not always free the buffer.
"""

from __future__ import annotations

import os

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, DataTable, Select, Static

from core.queue import QueueState
from core.service.session import DeviceView, DmabufRow
from mediatui.widgets.buffers_panel import CONTROLS_CSS, cell
from mediatui.widgets.text import size

ALL = -1
COLUMNS = ("fd", "from", "size", "refs", "inode", "exporter", "flags")
ACCESS_OPTIONS = [("O_RDONLY", os.O_RDONLY), ("O_RDWR", os.O_RDWR), ("O_WRONLY", os.O_WRONLY)]
PLANE_CHOICES = 4  # planes offered even when the format has fewer: EINVAL is a lesson


def open_flag_text(flags: int | None) -> str:
    if flags is None:
        return "-"
    mode = {os.O_RDONLY: "RDONLY", os.O_WRONLY: "WRONLY", os.O_RDWR: "RDWR"}.get(
        flags & os.O_ACCMODE, hex(flags & os.O_ACCMODE))
    return f"{mode}|CLOEXEC" if flags & os.O_CLOEXEC else mode


def dmabuf_row(row: DmabufRow) -> tuple[Text, ...]:
    where = row.path.rsplit("/", 1)[-1]
    origin = (f"{where} buf {row.index} pl {row.plane}" if row.kind == "export"
              else f"{row.kind} {where}")
    return (
        cell(row.fd, "bold"),
        cell(origin),
        cell(size(row.size)),
        cell(row.count if row.count is not None else "?"),
        cell(row.inode if row.inode is not None else "?", "dim"),
        cell(row.exp_name or "?", "cyan"),
        cell(open_flag_text(row.flags), "dim"),
    )


class ExportPanel(Vertical):
    """What to export, with which flags; the table of exported fds."""

    BORDER_TITLE = "export"
    DEFAULT_CSS = f"""
    ExportPanel {{
        {CONTROLS_CSS}
        #export-index {{
            width: 11;
        }}
        #export-plane {{
            width: 13;
        }}
        #export-summary {{
            height: auto;
            max-height: 4;
            padding: 0 1;
        }}
        #export-table {{
            height: 1fr;
            scrollbar-size: 1 1;
        }}
    }}
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: DeviceView | None = None
        self._indices: tuple[int, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="controls"):
            yield Select[int]([("buf all", ALL)], value=ALL, allow_blank=False, compact=True,
                              id="export-index")
            yield Select[int]([("plane all", ALL),
                               *((f"plane {p}", p) for p in range(PLANE_CHOICES))],
                              value=ALL, allow_blank=False, compact=True, id="export-plane")
            yield Select[int](ACCESS_OPTIONS, value=os.O_RDONLY, allow_blank=False,
                              compact=True, id="export-access")
            yield Checkbox("O_CLOEXEC", value=True, compact=True, id="export-cloexec")
        with Horizontal(classes="controls buttons"):
            yield Button("Export", id="export_selected",
                         action="screen.export_selected", compact=True)
            yield Button("Export all", id="export_all", action="screen.export_all", compact=True)
            yield Button("Close fd", id="export_close", action="screen.export_close", compact=True)
            yield Button("Close all", id="export_close_all",
                         action="screen.export_close_all", compact=True)
        yield Static("", id="export-summary", markup=False)
        table: DataTable[Text] = DataTable(id="export-table", cursor_type="row",
                                           zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        # Built when its tab is first shown: the app may be exiting meanwhile, its
        # children already gone (query, not query_one: nothing to set up then).
        tables = self.query(DataTable)
        if not self.is_attached or not tables:
            return
        tables.first().add_columns(*COLUMNS)
        self.show(None, None)

    # --- what the user chose --------------------------------------------------------

    def _choice(self, selector: str) -> int:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, int) else ALL

    @property
    def index(self) -> int | None:
        """The chosen buffer, None for all."""
        value = self._choice("#export-index")
        return None if value == ALL else value

    @property
    def plane(self) -> int | None:
        value = self._choice("#export-plane")
        return None if value == ALL else value

    @property
    def flags(self) -> int:
        cloexec = self.query_one("#export-cloexec", Checkbox).value
        return self._choice("#export-access") | (os.O_CLOEXEC if cloexec else 0)

    @property
    def selected_fd(self) -> int | None:
        table: DataTable[Text] = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    # --- rendering --------------------------------------------------------------------

    def show(self, view: DeviceView | None, queue: QueueState | None) -> None:
        self.view = view
        indices = tuple(b.index for b in queue.buffers) if queue is not None else ()
        if indices != self._indices:
            self._indices = indices
            select = self.query_one("#export-index", Select)
            current = select.value
            select.set_options([(Text("buf all"), ALL), *((Text(f"buf {i}"), i) for i in indices)])
            select.value = current if current in indices else ALL
        dvb = view is not None and view.kind.startswith("dvb")
        self.query_one("#export-plane").display = not dvb
        table: DataTable[Text] = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        rows = view.exports if view is not None else ()
        for row in rows:
            table.add_row(*dmabuf_row(row), key=str(row.fd))
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1), animate=False)
        summary = Text(no_wrap=True, overflow="ellipsis")
        if queue is None or not queue.buffers:
            summary.append("No buffers to export here: request MMAP buffers first.  ",
                           style="dim")
        n = len(rows)
        summary.append(f"{n} dma-buf fd{'s' * (n != 1)} exported by mediatui", style="bold")
        self.query_one("#export-summary", Static).update(summary)
