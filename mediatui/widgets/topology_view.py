"""The Topology tab: a media device's graph as a tree from sources to video nodes.

Each entity shows its pads with their active formats; each data link is a child of its
source pad, dashed when disabled, red when the pipeline check finds it mismatching; the
upstream path of the selected video node is bold.  ``t`` toggles the link under the
cursor, ``F`` edits the pad format under the cursor (media-ctl ``-V`` syntax), ``g``
rereads; each change reruns the check.  Entity names are device text: only ever in
``Text`` objects built with :func:`plain`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from core.errors import MediaError
from core.media.check import CheckResult
from core.media.model import Entity, Topology
from core.service import topology as svc
from mediatui.widgets.text import plain


class TopologyLoaded(Message):
    """A worker read the graph (``snapshot`` None: the node has no media device)."""

    def __init__(self, path: str, snapshot: svc.TopologySnapshot | None,
                 error: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.snapshot = snapshot
        self.error = error


@dataclass(frozen=True)
class Target:
    """What a tree line stands for."""

    kind: str  # "entity", "pad", "link"
    entity: str
    pad: int = -1
    link: int = -1
    enabled: bool = False


class FormatEditor(ModalScreen[str | None]):
    """One line in media-ctl ``-V`` syntax, prefilled with the pad's format."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, initial: str) -> None:
        super().__init__()
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="format-editor"):
            yield Static("Pad format (media-ctl -V syntax); Enter applies, Esc cancels",
                         markup=False)
            yield Input(self.initial, id="format-input")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class TopologyView(Vertical):
    """The tab's content; :meth:`show_for` points it at a node."""

    BINDINGS = [
        Binding("t", "toggle_link", "Toggle link", id="topology.toggle"),
        Binding("F", "edit_format", "Edit pad format", id="topology.format"),
        Binding("g", "reload", "Reread graph", id="topology.reload"),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.path: str | None = None
        self.snapshot: svc.TopologySnapshot | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a media, subdev or video node of a media controller "
                          "device."), id="topology-status")
        tree: Tree[Target] = Tree(Text("(no media device)"), id="topology-tree")
        tree.show_root = True
        yield tree

    @property
    def graph_tree(self) -> Tree[Target]:
        return self.query_one("#topology-tree", Tree)

    def show_for(self, path: str) -> None:
        self.path = path
        self.load(path)

    @work(thread=True, group="topology", exclusive=True, exit_on_error=False)
    def load(self, path: str) -> None:
        try:
            snap = svc.snapshot(path)
        except (MediaError, LookupError, RuntimeError) as exc:
            self.post_message(TopologyLoaded(path, None, str(exc)))
            return
        self.post_message(TopologyLoaded(path, snap))

    def on_topology_loaded(self, message: TopologyLoaded) -> None:
        if message.path != self.path:
            return
        self.snapshot = message.snapshot
        status = self.query_one("#topology-status", Static)
        if message.error is not None:
            status.update(Text(plain(message.error), style="red"))
            return
        if message.snapshot is None:
            status.update(Text(f"{plain(message.path)} belongs to no media controller device."))
            self.graph_tree.clear()
            return
        self._show_snapshot(message.snapshot)

    def _selected_check(self, snap: svc.TopologySnapshot) -> CheckResult | None:
        return next((c for c in snap.checks if c.video == self.path), None)

    def _show_snapshot(self, snap: svc.TopologySnapshot) -> None:
        topo = snap.topology
        selected = self._selected_check(snap)
        on_path = set(selected.path) if selected else set()
        bad = snap.mismatched
        status = Text(plain(f"{snap.media}: {topo.info.model} ({topo.info.driver})"),
                      style="bold")
        for check in snap.checks:
            mark, style = ("✓", "green") if check.ok else ("✗", "red")
            status.append(f"\n {mark} ", style=style)
            status.append(plain(f"{check.video} {check.entity}"),
                          style="bold" if check.video == self.path else "")
            if not check.ok:
                status.append(" — " + plain(check.problems[0].message), style=style)
        self.query_one("#topology-status", Static).update(status)
        tree = self.graph_tree
        tree.clear()
        tree.root.set_label(Text(plain(snap.media)))
        seen: set[int] = set()
        for entity in self._sources(topo):
            self._add_entity(tree.root, topo, entity, bad, on_path, seen)
        for entity in topo.entities:  # what no source reaches (lenses, islands)
            if entity.id not in seen:
                self._add_entity(tree.root, topo, entity, bad, on_path, seen)
        tree.root.expand_all()

    @staticmethod
    def _sources(topo: Topology) -> list[Entity]:
        return [e for e in topo.entities if e.pads and all(p.is_source for p in e.pads)]

    def _add_entity(self, parent: TreeNode[Target], topo: Topology, entity: Entity,
                    bad: frozenset[int], on_path: set[str], seen: set[int]) -> None:
        label = Text(plain(entity.name), style="bold" if entity.name in on_path else "")
        label.append(plain(f"  {entity.function_name}"), style="dim")
        if entity.devnode:
            label.append(plain(f"  {entity.devnode}"), style="cyan")
        video = topo.video_formats.get(entity.id)
        if video:
            label.append(plain(f"  {video.short()} colorspace:{video.as_dict()['colorspace']}"))
        if entity.id in seen:
            parent.add_leaf(label.append(" (above)", style="dim"),
                            Target("entity", entity.name))
            return
        seen.add(entity.id)
        if not entity.pads:
            parent.add_leaf(label, Target("entity", entity.name))
            return
        node = parent.add(label, Target("entity", entity.name))
        for pad in entity.pads:
            text = Text(f"pad{pad.index} {'sink' if pad.is_sink else 'source'}", style="dim")
            if pad.format:
                text.append(plain(f"  [{pad.format.mediactl()}]"))
            elif pad.format_error:
                text.append(plain(f"  {pad.format_error}"), style="red")
            outgoing = [lk for lk in topo.links_of_pad(pad.id) if lk.source_id == pad.id]
            target = Target("pad", entity.name, pad.index)
            if not outgoing:
                node.add_leaf(text, target)
                continue
            pad_node = node.add(text, target)
            for lk in outgoing:
                sink = topo.pad(lk.sink_id)
                sink_entity = topo.entity(sink.entity_id)
                style = "bold red" if lk.id in bad else ("" if lk.enabled else "dim")
                arrow = "→" if lk.enabled else "⇢"
                flags = ",".join(n for n in ("ENABLED" if lk.enabled else "disabled",
                                             "IMMUTABLE" if lk.immutable else "") if n)
                link_label = Text(f"{arrow} ", style=style)
                link_label.append(plain(f"'{sink_entity.name}':{sink.index}"), style=style)
                link_label.append(f" [{flags}]", style="dim")
                if lk.id in bad:
                    link_label.append("  mismatch", style="bold red")
                link_node = pad_node.add(link_label, Target("link", entity.name, pad.index,
                                                            lk.id, lk.enabled))
                if lk.enabled:
                    self._add_entity(link_node, topo, sink_entity, bad, on_path, seen)

    # --- actions --------------------------------------------------------------------

    def _cursor(self) -> Target | None:
        node = self.graph_tree.cursor_node
        return node.data if node is not None else None

    def action_reload(self) -> None:
        if self.path:
            self.load(self.path)

    def action_toggle_link(self) -> None:
        target = self._cursor()
        if self.snapshot is None or target is None or target.kind != "link":
            self.notify("Put the cursor on a link (→ or ⇢) to toggle it.", markup=False)
            return
        self.change(lambda media: [svc.set_link_enabled(media, target.link,
                                                        not target.enabled)])

    def action_edit_format(self) -> None:
        target = self._cursor()
        snap = self.snapshot
        if snap is None or target is None or target.kind != "pad":
            self.notify("Put the cursor on a pad to edit its format.", markup=False)
            return
        pad = snap.topology.pad_of(target.entity, target.pad)
        fmt = pad.format.mediactl() if pad is not None and pad.format else "fmt:"
        initial = f'"{target.entity}":{target.pad}[{fmt}]'

        def apply(text: str | None) -> None:
            if text:
                self.change(lambda media: svc.set_pad_format(media, text))

        self.app.push_screen(FormatEditor(initial), apply)

    def change(self, step: object) -> None:
        """Run ``step(media) -> notes`` in a worker, then reread and recheck."""
        if self.snapshot is None or self.path is None:
            return
        self._change(self.snapshot.media, self.path, step)

    @work(thread=True, group="topology-change", exclusive=True, exit_on_error=False)
    def _change(self, media: str, path: str, step: object) -> None:
        try:
            notes = step(media)  # type: ignore[operator]
        except (MediaError, svc.SetupSyntaxError, LookupError) as exc:
            self.app.call_from_thread(self.notify, str(exc), title="topology",
                                      severity="error", markup=False)
            notes = []
        if notes:
            self.app.call_from_thread(self.notify, "\n".join(notes), title="topology",
                                      markup=False)
        self.app.call_from_thread(self.load, path)
