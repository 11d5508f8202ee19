"""The import panel: queue dma-bufs on a DMABUF queue, from another node's exports, a
dma-heap allocation or udmabuf, and see the size check before the kernel does it.

The size rule (videobuf2): each plane's dma-buf must be at least the plane's length
(what QUERYBUF reports: the format's sizeimage), otherwise QBUF fails with EINVAL.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from core.abi import v4l2 as v
from core.dmabuf import page_align
from core.queue import QueueState
from core.service.session import DeviceView, DmabufRow
from core.video import buf_type_name, memory_name
from mediatui.widgets.buffers_panel import CONTROLS_CSS, cell
from mediatui.widgets.export_panel import dmabuf_row
from mediatui.widgets.text import plain, text

COLUMNS = ("fd", "from", "size", "refs", "inode", "exporter", "flags", "queued on")


@dataclass(frozen=True, slots=True)
class Source:
    """Where the dma-bufs for one QBUF come from (one per plane)."""

    key: str  # "export:PATH:TYPE:INDEX", "alloc:FD", "heap:NAME" or "udmabuf"
    label: str
    sizes: tuple[int, ...] | None  # per plane; None: allocated at queue time


def sources(view: DeviceView | None) -> list[Source]:
    if view is None:
        return []
    out: list[Source] = []
    groups: dict[tuple[str, str | None, int | None], list[DmabufRow]] = {}
    for row in view.exports:
        groups.setdefault((row.path, row.buf_type, row.index), []).append(row)
    for (path, buf_type, index), rows in groups.items():
        rows.sort(key=lambda r: r.plane or 0)
        name = path.rsplit("/", 1)[-1]
        out.append(Source(f"export:{path}:{buf_type}:{index}",
                          f"exports of {name} {buf_type} buf {index} ({len(rows)} pl)",
                          tuple(r.size for r in rows)))
    for row in view.allocations:
        out.append(Source(f"alloc:{row.fd}", f"fd {row.fd} ({row.kind}, {row.size} B)",
                          (row.size,)))
    out += [Source(f"heap:{h}", f"new dma-heap '{h}' buffer", None) for h in view.heaps]
    if view.udmabuf:
        out.append(Source("udmabuf", "new udmabuf buffer", None))
    return out


def planned_sizes(source: Source, lengths: tuple[int, ...], size: int | None,
                  ) -> tuple[int, ...]:
    """What each plane will get: known sizes, or what an allocation will round to."""
    if source.sizes is not None:
        return source.sizes
    return tuple(page_align(size if size else length) for length in lengths)


def preflight_text(queue: QueueState | None, index: int | None, source: Source | None,
                   size: int | None) -> Text:
    """The check core repeats before QBUF: one dma-buf per plane, each large enough."""
    text = Text()
    if queue is None or index is None or source is None:
        text.append("pre-flight: choose a target buffer and a source", style="dim")
        return text
    buf = next((b for b in queue.buffers if b.index == index), None)
    if buf is None:
        return Text(f"pre-flight: no buffer {index} on this queue", style="yellow")
    lengths = tuple(p.length for p in buf.planes)
    sizes = planned_sizes(source, lengths, size)
    text.append("pre-flight", style="bold")
    if len(sizes) != len(lengths):
        text.append(f"  {len(lengths)} plane(s) need {len(lengths)} dma-buf(s); the source "
                    f"has {len(sizes)}", style="bold red")
        return text
    for p, (need, have) in enumerate(zip(lengths, sizes, strict=True)):
        ok = have >= need
        text.append(f"\n  plane {p}: needs ≥ {need} B, source {have} B  ")
        text.append("ok" if ok else "too small: QBUF → EINVAL",
                    style="green" if ok else "bold red")
    return text


class ImportPanel(Vertical):
    """Target buffer and source; the pre-flight size check; the app's allocations."""

    BORDER_TITLE = "import"
    DEFAULT_CSS = f"""
    ImportPanel {{
        {CONTROLS_CSS}
        #import-source {{
            width: 1fr;
        }}
        #import-target, #import-preflight {{
            height: auto;
            max-height: 4;
            padding: 0 1;
        }}
        #import-table {{
            height: 1fr;
            scrollbar-size: 1 1;
        }}
    }}
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: DeviceView | None = None
        self.queue: QueueState | None = None
        self._sources: list[Source] = []
        self._indices: tuple[int, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("", id="import-target", markup=False)
        with Horizontal(classes="controls"):
            yield Label("buffer", classes="label")
            yield Select[int]([], prompt="-", compact=True, id="import-index")
            yield Label("from", classes="label")
            yield Select[str]([], prompt="source", compact=True, id="import-source")
        with Horizontal(classes="controls buttons"):
            yield Label("size", classes="label")
            yield Input("", placeholder="plane length", type="integer", compact=True,
                        id="import-size")
            yield Button("Queue (QBUF)", id="import_queue",
                         action="screen.import_queue", compact=True)
            yield Button("Close allocations", id="import_close",
                         action="screen.import_close", compact=True)
        yield Static("", id="import-preflight", markup=False)
        table: DataTable[Text] = DataTable(id="import-table", cursor_type="row")
        yield table

    def on_mount(self) -> None:
        # Built when its tab is first shown: the app may be exiting meanwhile, its
        # children already gone (query, not query_one: nothing to set up then).
        tables = self.query(DataTable)
        if not self.is_attached or not tables:
            return
        tables.first().add_columns(*COLUMNS)
        self.show(None, None)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._render_preflight()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._render_preflight()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the size field queues, as the button does."""
        event.stop()
        await self.app.run_action("screen.import_queue")

    # --- what the user chose --------------------------------------------------------

    @property
    def index(self) -> int | None:
        value = self.query_one("#import-index", Select).value
        return value if isinstance(value, int) else None

    @property
    def source(self) -> Source | None:
        value = self.query_one("#import-source", Select).value
        return next((s for s in self._sources if s.key == value), None)

    @property
    def alloc_size(self) -> int | None:
        """Size for new heap/udmabuf allocations; None means each plane's length."""
        try:
            return int(self.query_one("#import-size", Input).value) or None
        except ValueError:
            return None

    # --- rendering --------------------------------------------------------------------

    def show(self, view: DeviceView | None, queue: QueueState | None) -> None:
        self.view, self.queue = view, queue
        self.query_one("#import-target", Static).update(self._target_text())
        indices = tuple(b.index for b in queue.buffers) if queue is not None else ()
        if indices != self._indices:
            self._indices = indices
            select = self.query_one("#import-index", Select)
            current = select.value
            select.set_options([(Text(str(i)), i) for i in indices])
            if indices:
                select.value = current if current in indices else indices[0]
        new_sources = sources(view)
        if [s.key for s in new_sources] != [s.key for s in self._sources]:
            select_src = self.query_one("#import-source", Select)
            current_src = select_src.value
            select_src.set_options([(text(s.label), s.key) for s in new_sources])
            keys = [s.key for s in new_sources]
            if keys:
                select_src.value = current_src if current_src in keys else keys[0]
        self._sources = new_sources
        table: DataTable[Text] = self.query_one(DataTable)
        table.clear()
        for row in view.allocations if view is not None else ():
            table.add_row(*dmabuf_row(row), cell(row.queued_on or "-"), key=str(row.fd))
        self._render_preflight()

    def _target_text(self) -> Text:
        q = self.queue
        if self.view is None or not self.view.is_open or q is None:
            return Text("No queue: open a video node and choose its buffer type in Buffers.",
                        style="dim")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("target ", style="dim")
        text.append(f"{plain(self.view.path)} {buf_type_name(q.buf_type)}", style="bold")
        text.append(f"  memory {memory_name(q.memory)}  {q.num_buffers} buffers")
        if q.memory != v.V4L2_MEMORY_DMABUF:
            text.append("\nnot a DMABUF queue: in Buffers choose memory dmabuf and Request",
                        style="yellow")
        return text

    def _render_preflight(self) -> None:
        self.query_one("#import-preflight", Static).update(
            preflight_text(self.queue, self.index, self.source, self.alloc_size))
