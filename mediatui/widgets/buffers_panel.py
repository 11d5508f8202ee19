"""The buffers panel: ask for buffers, see what the driver granted, and every buffer's
state, one row per plane.

It only renders a frozen :class:`DeviceView` and says what the user chose (buffer type,
memory, count, DVB size); the screen runs the ioctls.  V4L2 queues show REQBUFS /
CREATE_BUFS; a demux or dvr shows DMX_REQBUFS with its count *and* size, because the
kernel clamps the size and people expect it to be rounded to TS packets.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from core.abi import v4l2 as v
from core.dvb import DVB_V2_MAX_SIZE, TS_PACKET
from core.queue import BufferState, QueueState
from core.service.session import DeviceView
from core.video import buf_type_name, memory_name
from mediatui.widgets.text import plain

# The panels' controls row, in each panel's DEFAULT_CSS (scoped to it: these rules are
# parsed and matched only once a panel is built, not at start-up; issue 16).
CONTROLS_CSS = """
    height: 1fr;

    .controls {
        height: 1;
        margin: 0 0 0 1;
    }
    .controls Select {
        width: 12;
        margin-right: 1;
    }
    .controls Label {
        padding: 0 1 0 0;
        color: $text-muted;
    }
    .controls Input {
        width: 8;
        margin-right: 1;
    }
    .controls Button {
        margin-right: 1;
        min-width: 6;
    }
    .controls Checkbox {
        width: auto;
    }
"""

COLUMNS = ("buf", "state", "flags", "pl", "length", "used", "offset", "map", "exp fd", "imp fd")
NO_DEVICE = "No device open: select a node in the browser and press Enter."
MEMORY_OPTIONS = [("mmap", v.V4L2_MEMORY_MMAP), ("userptr", v.V4L2_MEMORY_USERPTR),
                  ("dmabuf", v.V4L2_MEMORY_DMABUF)]
_STATE_STYLE = {"queued": "yellow", "done": "green", "error": "red", "prepared": "cyan"}
_QUIET_FLAGS = {"QUEUED", "DONE", "PREPARED", "ERROR"}  # the state column says these


def cell(value: object, style: str = "") -> Text:
    """A table cell: plain text, never markup."""
    return Text(plain(value), style=style, no_wrap=True)


def flag_text(flags: int) -> str:
    """The flags worth a column: not the state's (QUEUED, DONE...), not the timestamp
    type and source every buffer of the queue shares."""
    names = [n for n in v.buf_flag_names(flags)
             if n not in _QUIET_FLAGS and not n.startswith(("TIMESTAMP_", "TSTAMP_SRC_"))]
    return "|".join(names) or "-"


def buffer_rows(buf: BufferState) -> list[tuple[Text, ...]]:
    """One row per plane; the buffer's own columns only on its first plane."""
    rows = []
    for p, plane in enumerate(buf.planes):
        first = p == 0
        rows.append((
            cell(buf.index if first else "", "bold"),
            cell(buf.status.value if first else "", _STATE_STYLE.get(buf.status.value, "")),
            cell(flag_text(buf.flags) if first else "", "dim"),
            cell(p),
            cell(plane.length),
            cell(plane.bytesused),
            cell("-" if plane.mem_offset is None else f"{plane.mem_offset:#x}"),
            cell("yes" if plane.mapped else "-", "green" if plane.mapped else "dim"),
            cell(",".join(map(str, plane.exported_fds)) or "-",
                 "magenta" if plane.exported_fds else "dim"),
            cell("-" if plane.imported_fd is None else plane.imported_fd,
                 "cyan" if plane.imported_fd is not None else "dim"),
        ))
    return rows


def video_summary(q: QueueState) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(buf_type_name(q.buf_type), style="bold")
    text.append(f"  {memory_name(q.memory)}")
    if q.requested is None:
        text.append("  no REQBUFS yet", style="dim")
    else:
        text.append(f"  asked {q.requested} → granted ")
        short = q.granted is not None and q.granted != q.requested
        text.append(str(q.granted), style="bold yellow" if short else "bold")
    if q.min_buffers is not None:
        text.append(f" (min {q.min_buffers})")
    text.append("  streaming" if q.streaming else "", style="green")
    if q.capabilities:
        text.append("\ncaps " + "|".join(v.decode_flags(q.capabilities, v.BufCap)), style="dim")
    return text


def dvb_summary(view: DeviceView, q: QueueState | None) -> Text:
    text = Text("DMX_REQBUFS", style="bold")
    alloc = view.dvb_allocation
    if alloc is None:
        text.append(f"  count and size (max {DVB_V2_MAX_SIZE} B = 4096 TS packets)",
                    style="dim")
        return text
    text.append(f"  asked {alloc.requested_count} x {alloc.requested_size} B → granted ")
    text.append(f"{alloc.count} x {alloc.size} B", style="bold")
    if alloc.size_clamped:
        text.append(f"\nsize clamped by the kernel to {alloc.size} B", style="yellow")
    if alloc.size and not alloc.whole_packets:
        text.append(f"\nnot a multiple of {TS_PACKET} (the kernel does not round to TS "
                    "packets)", style="yellow")
    return text


class BuffersPanel(Vertical):
    """Controls, the count negotiation, and the live buffer table."""

    BORDER_TITLE = "buffers"
    DEFAULT_CSS = f"""
    BuffersPanel {{
        {CONTROLS_CSS}
        #buf-type {{
            width: 24;
        }}
        #dvb-size {{
            width: 10;
        }}
        #buffers-summary {{
            height: auto;
            max-height: 4;
            padding: 0 1;
        }}
        #buffers-table {{
            height: 1fr;
            scrollbar-size: 1 1;
        }}
    }}
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: DeviceView | None = None
        self._buf_types: tuple[int, ...] = ()

    def compose(self) -> ComposeResult:
        with Horizontal(classes="controls"):
            yield Select[int]([], prompt="buffer type", allow_blank=True, compact=True,
                              id="buf-type")
            yield Select[int](MEMORY_OPTIONS, value=v.V4L2_MEMORY_MMAP, allow_blank=False,
                              compact=True, id="memory")
            yield Label("count", classes="label")
            yield Input("4", type="integer", compact=True, id="count")
            yield Label("size", classes="label dvb")
            yield Input(str(TS_PACKET * 1024), type="integer", compact=True, id="dvb-size",
                        classes="dvb")
        with Horizontal(classes="controls buttons"):
            yield Button("Request", id="buffers_request",
                         action="screen.buffers_request", compact=True)
            yield Button("Create", id="buffers_create",
                         action="screen.buffers_create", compact=True, classes="video")
            yield Button("Free", id="buffers_free", action="screen.buffers_free", compact=True)
            yield Button("Query", id="buffers_query", action="screen.buffers_query", compact=True)
            yield Button("Map", id="buffers_map", action="screen.buffers_map", compact=True)
        yield Static(NO_DEVICE, id="buffers-summary", markup=False)
        table: DataTable[Text] = DataTable(id="buffers-table", cursor_type="row",
                                           zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        # Built when its tab is first shown: the app may be exiting meanwhile, its
        # children already gone (query, not query_one: nothing to set up then).
        tables = self.query(DataTable)
        if not self.is_attached or not tables:
            return
        tables.first().add_columns(*COLUMNS)
        self._set_mode(None)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "buf-type":
            self._render_queue()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the count (or size) field requests: letters go into the field."""
        event.stop()
        await self.app.run_action("screen.buffers_request")

    # --- what the user chose --------------------------------------------------------

    @property
    def buf_type(self) -> int | None:
        value = self.query_one("#buf-type", Select).value
        return value if isinstance(value, int) else None

    @property
    def memory(self) -> int:
        value = self.query_one("#memory", Select).value
        return value if isinstance(value, int) else v.V4L2_MEMORY_MMAP

    def _int(self, selector: str, default: int) -> int:
        try:
            return int(self.query_one(selector, Input).value)
        except ValueError:
            return default

    @property
    def count(self) -> int:
        return self._int("#count", 4)

    @property
    def dvb_size(self) -> int:
        return self._int("#dvb-size", TS_PACKET * 1024)

    @property
    def queue_state(self) -> QueueState | None:
        if self.view is None:
            return None
        if self.view.kind.startswith("dvb") and self.view.queues:
            return self.view.queues[0]
        return self.view.queue(self.buf_type) if self.buf_type is not None else None

    # --- rendering --------------------------------------------------------------------

    def _set_mode(self, kind: str | None) -> None:
        dvb = kind in ("dvb-demux", "dvb-dvr")
        for widget in self.query(".dvb"):
            widget.display = dvb
        for widget in self.query("#buf-type, #memory, .video"):
            widget.display = kind == "video"
        for widget in self.query(".controls"):
            widget.display = kind == "video" or dvb

    def show(self, view: DeviceView | None) -> None:
        """Apply a new snapshot (keeps the chosen buffer type if it still exists)."""
        self.view = view
        self._set_mode(view.kind if view and view.is_open else None)
        if view is not None and view.kind == "video":
            select = self.query_one("#buf-type", Select)
            current = select.value
            if view.buf_types != self._buf_types:
                self._buf_types = view.buf_types
                select.set_options([(Text(buf_type_name(t)), t) for t in view.buf_types])
                if current in view.buf_types:
                    select.value = current
                elif view.buf_types:
                    select.value = view.buf_types[0]
        self._render_queue()

    def _render_queue(self) -> None:
        view = self.view
        summary = self.query_one("#buffers-summary", Static)
        table: DataTable[Text] = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        if view is None:
            summary.update(Text(NO_DEVICE, style="dim"))
            return
        if view.kind in ("dvb-frontend", "none"):
            summary.update(Text(f"{plain(view.path)} has no buffer queue.", style="dim"))
            return
        if not view.is_open:
            note = "was removed" if view.removed else "is not open"
            summary.update(Text(f"{plain(view.path)} {note}.", style="dim"))
            return
        q = self.queue_state
        text = dvb_summary(view, q) if view.kind.startswith("dvb") else (
            video_summary(q) if q is not None else Text("choose a buffer type", style="dim"))
        if view.removed:
            text = Text.assemble(("device removed: last known state\n", "bold red"), text)
        summary.update(text)
        if q is None:
            return
        for buf in q.buffers:
            for n, row in enumerate(buffer_rows(buf)):
                table.add_row(*row, key=f"{buf.index}.{n}")
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1), animate=False)

    @property
    def selected_index(self) -> int | None:
        """The buffer under the table cursor."""
        table: DataTable[Text] = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key.split(".")[0]) if key else None
