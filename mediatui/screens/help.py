"""``?``: every key, built from the bindings themselves so it can never fall out of date,
and the lifecycle a first-time user should walk."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

LIFECYCLE = (
    ("Enter", "open the node under the cursor; the inspector shows what it supports"),
    ("2 r", "Buffers: request (REQBUFS); the table shows what the driver granted"),
    ("m", "mmap every plane (the 'map' column)"),
    ("3 E", "Export: every plane as a dma-buf fd (EXPBUF), with its fdinfo"),
    ("X", "close every exported fd"),
    ("f", "free the buffers (REQBUFS 0)"),
    ("4 i", "Import: QBUF dma-bufs from another node, a heap or udmabuf on a DMABUF queue"),
)


def _key(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return {"question_mark": "?", "ctrl+r": "^r", "ctrl+l": "^l"}.get(binding.key, binding.key)


def _grid() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(width=7, no_wrap=True, style="bold cyan")
    table.add_column(ratio=1, overflow="fold")
    return table


def bindings_help(groups: Iterable[tuple[str, Iterable[BindingType]]]) -> Group:
    """The lifecycle walk-through, then every binding with its id, by group."""
    walk = _grid()
    for key, what in LIFECYCLE:
        walk.add_row(key, what)
    parts: list[RenderableType] = [
        Text("A buffer's life, on any capture node (or mediatui --demo):", style="bold"),
        walk,
        Text("Every ioctl appears in the log (l); every failure is explained in a "
             "notification and in the log.", style="dim"),
    ]
    for title, bindings in groups:
        table = _grid()
        for binding in bindings:
            if not isinstance(binding, Binding) or binding.system:
                continue
            row = Text(binding.description or binding.action)
            if binding.id:
                row.append(f"  {binding.id}", style="dim")
            table.add_row(_key(binding), row)
        parts += [Text(""), Text(title, style="bold underline"), table]
    palette = _grid()
    palette.add_row("^p", 'command palette: every action as "noun: verb"')
    return Group(*parts, palette)


class HelpScreen(ModalScreen[None]):
    """The key reference; Escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, screen_bindings: Iterable[BindingType],
                 app_bindings: Iterable[BindingType]) -> None:
        super().__init__()
        self._groups = [("Panels", list(screen_bindings)), ("App", list(app_bindings))]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(bindings_help(self._groups), markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "keys (Esc closes)"
