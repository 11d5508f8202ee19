"""The floor of mediatui's first paint: its first screen built from stock Textual widgets.

``benchmarks/bare_tree.py`` (the goal's peer) is one ``Tree``. mediatui's first frame
shows more: the device browser, five more tabs beside the inspector, the ioctl log with
discovery's ioctls, and a footer of its keys. This app draws that same screen with
Textual's own widgets and nothing of mediatui's: no screen logic, no messages, no
workers, no device model beyond ``core.discovery.discover``:

* the same layout and the same style sheets (``mediatui/app.tcss``, ``panels.tcss``);
* a ``Tree`` of the same groups and nodes, each node labelled with its path, kind and
  name in plain strings (mediatui's labels say the same, shorter and styled), a
  ``Static`` saying how many nodes;
* a ``TabbedContent`` with the same six tabs, the inspector's hint in the first;
* a ``Log`` (Textual's line-API log) with one line per ioctl discovery traced, in the
  same words as mediatui's log (time, node, ioctl, summary, result);
* a ``Footer`` with the same keys shown.

It discovers in ``on_mount``, before the first frame, as the bare tree does, and, as
mediatui does (``mediatui.cli``), runs without the cyclic garbage collector until its
first frame is out. What it
costs over the bare tree is what Textual costs to draw mediatui's screen; what mediatui
costs over it is mediatui's own code. ``benchmarks/run.py`` times the three apps in one
rotation for its first-paint rows.

``--without PART`` (repeatable) leaves a part of the screen out, for
``benchmarks/screen_parts.py``, which says what each part costs: ``tabs`` (the
``TabbedContent``: the inspector's hint is then shown without tabs), ``log``, ``footer``,
``trace`` (the log shows no lines and discovery runs untraced: tracing decodes every
ioctl's argument for the log).

    .venv/bin/python benchmarks/bare_screen.py [--demo] [--without PART ...]
"""

from __future__ import annotations

import argparse
import gc
import time

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Log, Static, TabbedContent, TabPane, Tree

from core import ioctl as chokepoint

STYLES = ["../mediatui/app.tcss", "../mediatui/panels.tcss"]
TABS = ("Inspector", "Buffers", "Export", "Import", "Stream", "Topology")
HINT = "Select a node in the browser and press Enter to open and inspect it."


def log_line(entry: chokepoint.TraceEntry) -> str:
    """One traced ioctl in the words of mediatui's log line (``12:00:01.234 video0
    VIDIOC_QUERYCAP summary → 0``), built with plain string formatting."""
    stamp = time.strftime("%H:%M:%S", time.localtime(entry.time))
    node = entry.path.rsplit("/", 1)[-1] if entry.path else f"fd{entry.fd}"
    result = entry.result if entry.ok else entry.errno
    return (f"{stamp}.{int(entry.time * 1000) % 1000:03d} {node:<8} {entry.ioctl} "
            f"{entry.summary} → {result}")


PARTS = ("tabs", "log", "footer", "trace")


class BareScreen(App[None]):
    CSS_PATH = STYLES
    # The keys mediatui's footer shows at start (the rest are listed by its help).
    BINDINGS = [
        Binding("r", "nothing('r')", "Request"),
        Binding("f", "nothing('f')", "Free"),
        Binding("e", "nothing('e')", "Export"),
        Binding("X", "nothing('X')", "Close all"),
        Binding("l", "nothing('l')", "Log"),
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "nothing('question_mark')", "Help", key_display="?"),
    ]

    def __init__(self, without: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.without = without

    def action_nothing(self, key: str) -> None:
        """The panels' keys, shown but without panels to act on."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="browser"):
                yield Tree("devices", id="device-tree")
                yield Static("", id="device-source", markup=False)
            if "tabs" in self.without:
                with VerticalScroll(id="inspector-view"):
                    yield Static(HINT)
            else:
                with TabbedContent(id="tabs", initial="inspector"):
                    for title in TABS:
                        with TabPane(title, id=title.lower()):
                            if title == "Inspector":
                                with VerticalScroll(id="inspector-view"):
                                    yield Static(HINT)
        if "log" not in self.without:
            yield Log(id="ioctl-log")
        if "footer" not in self.without:
            yield Footer()

    def on_mount(self) -> None:
        from core.discovery import discover

        self.query_one("#browser").border_title = "devices"
        traced: list[chokepoint.TraceEntry] = []
        if "trace" in self.without:
            devices = discover()
        else:
            chokepoint.add_tracer(traced.append)
            try:
                devices = discover()
            finally:
                chokepoint.remove_tracer(traced.append)
        tree = self.query_one(Tree)
        tree.show_root = False
        tree.guide_depth = 2
        # Names come from the devices: Text, never markup (a str label is parsed as it).
        for group in devices.groups:
            label = group.name + (f" ({group.driver})" if group.driver else "")
            branch = tree.root.add(Text(label), expand=True)
            for node in group.nodes:
                branch.add_leaf(Text(f"  {node.path.removeprefix('/dev/')} {node.kind} "
                                     f"{node.name}"))
        tree.root.expand()
        self.query_one("#device-source", Static).update(
            Text(f"{len(devices.nodes)} nodes · {devices.source}"))
        for log in self.query(Log):
            log.border_title = "ioctl log"
            log.write_lines(log_line(entry) for entry in traced)
        tree.focus()
        if not gc.isenabled():
            self.call_after_refresh(gc.enable)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="store_true", help="the virtual devices")
    parser.add_argument("--without", action="append", choices=PARTS, default=[],
                        help="leave this part of the screen out (repeatable)")
    args = parser.parse_args()
    if args.demo:
        from mediatui.demo import install_demo

        install_demo()
    gc.disable()  # on again after the first frame (on_mount)
    BareScreen(frozenset(args.without)).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
