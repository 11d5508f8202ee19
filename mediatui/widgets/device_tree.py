"""The device browser: media nodes grouped by the hardware they belong to.

Built from discovery's frozen :class:`DeviceList`; rebuilt whole on every change (there
are tens of nodes, not thousands), keeping the cursor on the same path.  A node that
disappears while the app holds it open stays in the tree, greyed and marked "removed",
so the panels that still show it make sense.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from core.discovery import DeviceList, DeviceNode, PhysicalDevice
from mediatui.messages import DeviceSelected
from mediatui.widgets.text import plain

EMPTY_TEXT = "no media devices found: check permissions (video group) or try --demo"

# Short kind names: the tree is narrow, the inspector has the long form.
_SHORT_KIND = {
    "video-capture": "capture",
    "video-output": "output",
    "video-m2m": "m2m",
    "meta-capture": "meta-cap",
    "meta-output": "meta-out",
    "vbi-capture": "vbi-cap",
    "vbi-output": "vbi-out",
    "sdr-capture": "sdr",
    "v4l-subdev": "subdev",
}


def node_label(node: DeviceNode, *, is_open: bool, removed: bool) -> Text:
    base = node.path.removeprefix("/dev/").removeprefix("dvb/")
    kind = _SHORT_KIND.get(node.kind, node.kind.removeprefix("dvb-"))
    if base.rsplit("/", 1)[-1].startswith(kind):
        kind = ""  # "adapter0/demux0 demux" says it twice
    text = Text(no_wrap=True)
    text.append("● " if is_open else "  ", style="green")
    text.append(plain(base), style="strike dim" if removed else "bold")
    if kind:
        text.append(f" {kind}", style="dim" if removed else "")
    if removed:
        text.append(" removed", style="italic red")
    elif node.error:
        text.append(f" ({plain(node.error)})", style="yellow")
    elif node.name and node.subsystem == "video4linux":
        text.append(f" {plain(node.name)}", style="dim")
    return text


def group_label(group: PhysicalDevice) -> Text:
    text = Text(plain(group.name or group.sysname or "?"), style="bold")
    if group.driver:
        text.append(f" ({plain(group.driver)})", style="dim")
    return text


class DeviceTree(Tree[str | None]):
    """Groups are physical devices (data None); leaves are node paths."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("devices", id=id)
        self.show_root = False
        self.guide_depth = 2

    def show_devices(
        self,
        devices: DeviceList,
        *,
        ghosts: dict[str, tuple[str, DeviceNode]],
        open_paths: frozenset[str],
    ) -> None:
        """Rebuild from ``devices``; ``ghosts`` are removed nodes to keep (path ->
        (group name, last known node))."""
        cursor = self.cursor_node
        keep = cursor.data if cursor is not None else None
        keep_group = self._group_key(cursor) if cursor is not None and keep is None else None
        self.clear()
        target: TreeNode[str | None] | None = None
        first: TreeNode[str | None] | None = None  # where a new user should start
        by_name: dict[str, TreeNode[str | None]] = {}
        for group in devices.groups:
            branch = self.root.add(group_label(group), data=None, expand=True)
            by_name[group.name] = branch
            if keep_group is not None and self._group_key(branch) == keep_group:
                target = branch
            for node in group.nodes:
                leaf = branch.add_leaf(
                    node_label(node, is_open=node.path in open_paths, removed=False),
                    data=node.path,
                )
                if node.path == keep:
                    target = leaf
                if first is None and node.kind == "video-capture":
                    first = leaf
        for path, (group_name, node) in sorted(ghosts.items()):
            branch = by_name.get(group_name)
            if branch is None:
                branch = self.root.add(Text(plain(group_name) + " (gone)", style="dim"),
                                       data=None, expand=True)
                by_name[group_name] = branch
            leaf = branch.add_leaf(node_label(node, is_open=False, removed=True), data=path)
            if path == keep:
                target = leaf
        if target is None and keep is None and keep_group is None and self.root.children:
            top = self.root.children[0]
            target = first or (top.children[0] if top.children else top)
        if target is not None:
            # The line number, counted: a node's own line is only known once the tree
            # has laid its lines out, which move_cursor(node) does not wait for.
            lines = [n for g in self.root.children for n in (g, *g.children)]
            self.cursor_line = lines.index(target)

    def _group_key(self, node: TreeNode[str | None]) -> tuple[str, int] | None:
        """A group line as a rebuild can find it again: its label and how many groups
        above it have the same label (two vivid instances are both "vivid (vivid)").
        A rebuild (a hotplug event, Ctrl+R) that came while the cursor was on a group
        line used to send it back to the first capture node, under the keys the person
        was pressing."""
        if node.parent is not self.root:
            return None
        label = node.label.plain
        siblings = self.root.children
        above = siblings[: siblings.index(node)] if node in siblings else siblings
        return label, sum(1 for g in above if g.label.plain == label)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str | None]) -> None:
        if event.node.data is not None:
            event.stop()
            self.post_message(DeviceSelected(event.node.data))

    @property
    def cursor_path(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None


class DeviceBrowser(Vertical):
    """The tree, its empty state, and where the list came from."""

    BORDER_TITLE = "devices"

    def compose(self) -> ComposeResult:
        yield DeviceTree(id="device-tree")
        yield Static(EMPTY_TEXT, id="empty-devices", markup=False)
        yield Static("", id="device-source", markup=False)

    def on_mount(self) -> None:
        for empty in self.query("#empty-devices"):  # none if the app exits at start
            empty.display = False

    def show_devices(
        self,
        devices: DeviceList,
        *,
        ghosts: dict[str, tuple[str, DeviceNode]] | None = None,
        open_paths: frozenset[str] = frozenset(),
    ) -> None:
        ghosts = ghosts or {}
        empty = not devices.groups and not ghosts
        tree = self.query_one(DeviceTree)
        tree.display = not empty
        self.query_one("#empty-devices").display = empty
        tree.show_devices(devices, ghosts=ghosts, open_paths=open_paths)
        count = len(devices.nodes)
        source = f"{count} node{'s' * (count != 1)} · {devices.source}"
        if devices.notice:
            source += f" · {devices.notice}"
        self.query_one("#device-source", Static).update(plain(source))
