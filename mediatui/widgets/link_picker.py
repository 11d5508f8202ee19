"""The pipeline stage picker: which node the stream's frames go on to.

A pipeline links a capture's exported buffers into a mem2mem's (or a video output's)
OUTPUT queue as dma-bufs, index for index; this lists the nodes that can take them.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mediatui.widgets.text import text


class LinkPicker(ModalScreen[str | None]):
    """Choose the next stage of a pipeline (a mem2mem or video output node)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="link.cancel")]

    def __init__(self, candidates: list[tuple[str, str]]) -> None:
        super().__init__()
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(id="link-box"):
            yield Static("Link to: frames go on into this node's OUTPUT queue as dma-bufs",
                         markup=False)
            # Text prompts (never a str: OptionList would parse it as markup), and
            # markup=False as a second lock.
            yield OptionList(*(Option(text(label), id=path) for path, label in self.candidates),
                             markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
