"""The peer of mediatui's first paint: a bare Textual app listing the same nodes in a Tree.

It discovers the nodes the way mediatui does (``core.discovery.discover``; ``--demo``
installs the same virtual board) and shows them grouped by device in a ``Tree`` with a
``Header`` and a ``Footer``, nothing else: what any Textual program that lists these
nodes has to pay. ``benchmarks/run.py`` starts it and mediatui alternately in a pseudo
terminal and times both to the first frame that shows a node.

    .venv/bin/python benchmarks/bare_tree.py [--demo]
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Tree


class BareTree(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Tree("devices", id="tree")
        yield Footer()

    def on_mount(self) -> None:
        from core.discovery import discover

        tree = self.query_one(Tree)
        for group in discover().groups:
            branch = tree.root.add(group.name, expand=True)
            for node in group.nodes:
                branch.add_leaf(node.path.removeprefix("/dev/"))
        tree.root.expand()


def main() -> int:
    if "--demo" in sys.argv[1:]:
        from mediatui.demo import install_demo

        install_demo()
    BareTree().run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
