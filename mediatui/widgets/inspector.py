"""The inspector: what one node is and can do, read without changing anything.

It renders core.inspect's dictionaries (the same ones ``mediatui info --json`` and
``mediatui probe --json`` print), so the TUI and the CLI never disagree about a device.
Facts are laid out as key/value grids so long flag lists wrap under their value, not
under the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.discovery import DeviceNode
from mediatui.verbs.render import format_text, fract_text, interval_text, size_text
from mediatui.widgets.text import flags, plain

if TYPE_CHECKING:
    from core.service.inspection import Inspection

HINT = "Select a node in the browser and press Enter to open and inspect it."
NO_DEVICES = ("No media devices found.\n\nCheck permissions: your user must be in the group "
              "of /dev/video* and /dev/dvb (usually 'video'; log in again after adding it). "
              "Check that a driver is loaded (lsmod, dmesg).\n\nOr run mediatui --demo to "
              "explore virtual devices.")

Rows = Sequence[tuple[str, object]]


def _yes(value: object) -> str:
    return "yes" if value else "no"


def grid(rows: Rows, *, indent: int = 2, key_width: int = 15) -> Table:
    """Keys dim on the left, values (plain text, wrapped) on the right."""
    table = Table.grid(padding=(0, 1))
    table.add_column(width=indent + key_width, no_wrap=True, style="dim")
    table.add_column(ratio=1, overflow="fold")
    for key, value in rows:
        shown = plain(value) if value not in (None, "", [], ()) else "-"
        table.add_row(" " * indent + key, Text(shown, style="dim" if shown == "-" else ""))
    return table


def title(text: str, style: str = "bold") -> Text:
    return Text(plain(text), style=style, no_wrap=True, overflow="ellipsis")


def identity(node: DeviceNode | None, path: str) -> list[RenderableType]:
    if node is None:
        return [title(path)]
    rows: list[tuple[str, object]] = [("kind", node.kind), ("name", node.name),
                                      ("driver", node.driver), ("bus info", node.bus_info)]
    if node.by_path:
        rows.append(("by-path", node.by_path[0]))
    if node.error:
        rows.append(("error", node.error))
    return [title(node.path), grid(rows)]


def video_header(info: dict[str, Any]) -> list[RenderableType]:
    return [
        title(f"{info['path']}  {info['card']}"),
        grid([("driver", f"{info['driver']} {info['version']}"),
              ("bus info", info["bus_info"]),
              ("device caps", flags(info["device_caps"])),
              ("capabilities", flags(info["capabilities"]))]),
    ]


def video_queues(info: dict[str, Any]) -> list[RenderableType]:
    """Per buffer type: current format and interval, then every format with its frame
    sizes and intervals."""
    out: list[RenderableType] = []
    for queue in info["queues"]:
        out += [Text(""), title(queue["buf_type"], "bold underline")]
        current = plain(format_text(queue.get("current_format", {})))
        rows: list[tuple[str, object]] = [("current format", current)]
        if queue.get("frame_interval"):
            rows.append(("frame interval", f"{fract_text(queue['frame_interval'])} s"))
        rows.append(("formats", len(queue["formats"])))
        out.append(grid(rows))
        # Plain lines, not a grid: vivid has dozens of formats with a dozen intervals
        # each, and a table that size costs more to lay out than it is worth.
        lines: list[Text] = []
        for fmt in queue["formats"]:
            line = Text(f"    {plain(fmt['fourcc']):<5} ", style="bold")
            line.append(plain(fmt["description"]), style="not bold")
            lines.append(line)
            for size in fmt["sizes"]:
                ivals = ", ".join(interval_text(i) for i in size.get("intervals", []))
                row = Text(f"          {size_text(size)}")
                if ivals:
                    row.append(f"  @ {plain(ivals)}", style="dim")
                lines.append(row)
        out.append(Text("\n").join(lines))
    return out


def probe_blocks(probe: dict[str, Any]) -> list[RenderableType]:
    """The non-destructive probe: memory types, limits, EXPBUF, DVB mmap API."""
    out: list[RenderableType] = [Text(""), title("probe (non-destructive: nothing allocated)",
                                                 "bold reverse")]
    if probe.get("kind", "").startswith("dvb"):
        present = probe.get("mmap_api")
        rows: list[tuple[str, object]] = [
            ("DVB mmap API", "present" if present else f"absent ({probe.get('note')})")]
        if probe.get("max_size_bytes"):
            rows.append(("max size", f"{probe['max_size_bytes']} B (4096 TS packets)"))
        return [*out, grid(rows)]
    if not probe.get("streaming"):
        out.append(Text("  no streaming I/O on this node", style="yellow"))
    for q in probe.get("queues", []):
        out += [title(f"  {q['buf_type']}"), grid([
            ("memory types", flags(q["memory_types"])),
            ("max buffers", q["max_num_buffers"]),
            ("min buffers", q["min_buffers"]),
            ("orphaned bufs", _yes(q["orphaned_bufs"])),
            ("EXPBUF", _yes(q["expbuf"])),
            ("buf caps", flags(q["buf_caps"])),
            ("probed with", q["method"]),
        ], indent=4)]
    return out


def frontend_blocks(info: dict[str, Any]) -> list[RenderableType]:
    return [title(f"{info['path']}  {info['name']}"), grid([
        ("frequency", f"{info['frequency_min_hz']} - {info['frequency_max_hz']} Hz"),
        ("delivery", flags(info["delivery_systems"])),
        ("status", flags(info["fe_status"])),
        *_frontend_stat_rows(info),
    ])]


def _frontend_stat_rows(info: dict[str, Any]) -> list[tuple[str, str]]:
    """The DTV_STAT_* rows, worded as ``mediatui info`` prints them."""
    from mediatui.verbs.render import frontend_stats_lines

    short = {"signal strength": "signal", "pre-Viterbi BER": "BER pre-Viterbi",
             "post-Viterbi BER": "BER post-Vit.", "uncorrected blocks": "uncorr. blocks"}
    rows = []
    for line in frontend_stats_lines(info):
        label, _, value = line.partition(":")
        rows.append((short.get(label.strip(), label.strip()), value.strip()))
    return rows


def inspection_renderable(inspection: Inspection, node: DeviceNode | None) -> Group:
    blocks: list[RenderableType] = []
    info, probe = inspection.info, inspection.probe
    if inspection.holders:
        # Who else has it (h: the Holders view): first, it is why operations get EBUSY.
        blocks += [Text(plain(inspection.holders), style="yellow"), Text("")]
    if inspection.error is not None:
        err = inspection.error
        failed = f"{err.ioctl or 'open'} failed" + (f": {err.errno_name}" if err.errno else "")
        blocks += [*identity(node, inspection.path), Text(""),
                   title(failed, "bold red"), Text(plain(err.title), style="bold"),
                   Text(plain(err.explanation))]
        return Group(*blocks)
    if inspection.kind == "dvb-frontend" and info is not None:
        blocks += frontend_blocks(info)
    elif info is not None:
        blocks += video_header(info)
    else:
        blocks += identity(node, inspection.path)
    # The probe before the format list: vivid alone lists forty formats.
    if probe is not None:
        blocks += probe_blocks(probe)
    if inspection.kind == "video" and info is not None:
        blocks += video_queues(info)
    return Group(*blocks)


class Inspector(VerticalScroll):
    """A scrolling, read-only description of the selected node."""

    BORDER_TITLE = "inspector"

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="inspector-body", markup=False)

    def _body(self) -> Static:
        return self.query_one("#inspector-body", Static)

    def show_hint(self, text: str = HINT) -> None:
        self._body().update(Text(text, style="dim"))

    def show_node(self, node: DeviceNode, note: str) -> None:
        """Discovery facts only, for nodes without a queue (media, subdev) or while
        the real inspection loads."""
        self._body().update(Group(*identity(node, node.path), Text(""),
                                  Text(note, style="dim italic")))

    def show_inspection(self, inspection: Inspection, node: DeviceNode | None) -> None:
        self._body().update(inspection_renderable(inspection, node))
        self.scroll_home(animate=False)

    def show_removed(self, path: str) -> None:
        self._body().update(Text.assemble((plain(path), "bold"), " was removed ",
                                          ("(unplugged or its driver unbound)", "dim"),
                                          ": the panels show its last known state."))
