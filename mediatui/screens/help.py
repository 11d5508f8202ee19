"""``?``: every key, built from the bindings themselves so it can never fall out of date,
and the lifecycle a first-time user should walk."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

LIFECYCLE = (
    "A buffer's life, on any capture node (or --demo):",
    "  Enter   open the node under the cursor (the inspector shows what it supports)",
    "  2 r     Buffers: request (REQBUFS); the table shows what the driver granted",
    "  m       mmap every plane (the 'map' column)",
    "  3 E     Export: every plane as a dma-buf fd (EXPBUF), with fdinfo",
    "  X       close every exported fd",
    "  f       free the buffers (REQBUFS 0)",
    "  4 i     Import: on a DMABUF queue, QBUF dma-bufs from another node, a heap, udmabuf",
    "Every ioctl appears in the log (l); every failure is explained in a notification.",
)


def _key(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return {"question_mark": "?", "ctrl+r": "^r", "ctrl+l": "^l"}.get(binding.key, binding.key)


def bindings_text(groups: Iterable[tuple[str, Iterable[BindingType]]]) -> Text:
    lines = [Text(line, style="bold" if i == 0 else "") for i, line in enumerate(LIFECYCLE)]
    for title, bindings in groups:
        lines += [Text(""), Text(title, style="bold underline")]
        for binding in bindings:
            if not isinstance(binding, Binding) or binding.system:
                continue
            row = Text(f"  {_key(binding):<8}", style="bold cyan")
            row.append(binding.description or binding.action)
            if binding.id:
                row.append(f"  ({binding.id})", style="dim")
            lines.append(row)
    lines += [Text(""), Text("  ^p       command palette: every action as \"noun: verb\"",
                             style="")]
    return Text("\n").join(lines)


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
            yield Static(bindings_text(self._groups), markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "keys (Esc closes)"
