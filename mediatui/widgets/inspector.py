"""The inspector: what one node is and can do, read without changing anything.

It renders core.inspect's dictionaries (the same ones ``mediatui info --json`` and
``mediatui probe --json`` print), so the TUI and the CLI never disagree about a device.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.discovery import DeviceNode
from mediatui.messages import Inspection
from mediatui.widgets.text import field, flags, join_lines, plain

HINT = "Select a node in the browser and press Enter to open and inspect it."
NO_DEVICES = ("No media devices found.\n\nCheck permissions: your user must be in the group "
              "of /dev/video* and /dev/dvb (usually 'video'; log in again after adding it). "
              "Check that a driver is loaded (lsmod, dmesg).\n\nOr run mediatui --demo to "
              "explore virtual devices.")


def _yes(value: object) -> str:
    return "yes" if value else "no"


def identity_lines(node: DeviceNode | None) -> list[Text]:
    if node is None:
        return []
    lines = [
        Text(plain(node.path), style="bold"),
        field("kind", node.kind),
        field("name", node.name),
        field("driver", node.driver),
        field("bus info", node.bus_info),
    ]
    if node.by_path:
        lines.append(field("by-path", node.by_path[0]))
    if node.error:
        lines.append(field("error", node.error))
    return lines


def video_header(info: dict[str, Any]) -> list[Text]:
    return [
        Text(f"{plain(info['path'])}  {plain(info['card'])}", style="bold"),
        field("driver", f"{info['driver']} {info['version']}"),
        field("bus info", info["bus_info"]),
        field("capabilities", flags(info["capabilities"])),
        field("device caps", flags(info["device_caps"])),
    ]


def video_queues(info: dict[str, Any]) -> list[Text]:
    """Per buffer type: current format and interval, then every format with its frame
    sizes and intervals."""
    lines: list[Text] = []
    for queue in info["queues"]:
        lines += [Text(""), Text(plain(queue["buf_type"]), style="bold underline")]
        cur = queue.get("current_format", {})
        if "error" in cur:
            lines.append(field("current format", cur["error"]))
        else:
            planes = " + ".join(str(p["sizeimage"]) for p in cur.get("planes", []))
            lines.append(field("current format",
                               f"{cur.get('width')}x{cur.get('height')} "
                               f"{cur.get('pixelformat')} ({planes} B)"))
        if queue.get("frame_interval"):
            lines.append(field("frame interval", f"{queue['frame_interval']} s"))
        lines.append(field("formats", len(queue["formats"])))
        for fmt in queue["formats"]:
            text = Text(f"    {plain(fmt['fourcc']):<5} ", style="bold")
            text.append(plain(fmt["description"]))
            lines.append(text)
            for size in fmt["sizes"]:
                ivals = ", ".join(size.get("intervals", []))
                row = Text(f"        {plain(size['size'])}")
                if ivals:
                    row.append(f"  @ {plain(ivals)}", style="dim")
                lines.append(row)
    return lines


def probe_lines(probe: dict[str, Any]) -> list[Text]:
    """The non-destructive probe: memory types, limits, EXPBUF, DVB mmap API."""
    lines = [Text("probe (CREATE_BUFS(0), nothing allocated)", style="bold reverse")]
    kind = probe.get("kind", "")
    if kind.startswith("dvb"):
        present = probe.get("mmap_api")
        lines.append(field("DVB mmap API", "present" if present else
                           f"absent ({probe.get('note')})"))
        if probe.get("max_size"):
            lines.append(field("max buffer size", f"{probe['max_size']} B (4096 TS packets)"))
        return lines
    if not probe.get("streaming"):
        lines.append(Text("  no streaming I/O on this node", style="yellow"))
    for q in probe.get("queues", []):
        lines += [
            Text(f"  {plain(q['buf_type'])}", style="bold"),
            field("  memory types", flags(q["memory"]), 18),
            field("  max buffers", q["max_num_buffers"], 18),
            field("  min buffers", q["min_buffers"], 18),
            field("  orphaned bufs", _yes(q["orphaned_bufs"]), 18),
            field("  EXPBUF", _yes(q["expbuf"]), 18),
            field("  capabilities", flags(q["capabilities"]), 18),
            field("  probed with", q["method"], 18),
        ]
    return lines


def frontend_lines(info: dict[str, Any]) -> list[Text]:
    return [
        Text(f"{plain(info['path'])}  {plain(info['name'])}", style="bold"),
        field("frequency", f"{info['frequency_min']} - {info['frequency_max']}"),
        field("delivery", flags(info["delivery_systems"])),
        field("status", flags(info["status"])),
    ]


def inspection_text(inspection: Inspection, node: DeviceNode | None) -> Text:
    lines: list[Text] = []
    if inspection.error is not None:
        err = inspection.error
        lines += identity_lines(node) or [Text(plain(inspection.path), style="bold")]
        lines += [Text(""), Text(plain(f"{err.ioctl or 'open'} failed: {err.errno_name}"),
                                 style="bold red"),
                  Text(plain(err.title), style="bold"), Text(plain(err.explanation))]
        return join_lines(lines)
    info, probe = inspection.info, inspection.probe
    if inspection.kind == "dvb-frontend" and info is not None:
        lines += frontend_lines(info)
    elif info is not None:
        lines += video_header(info)
    else:
        lines += identity_lines(node) or [Text(plain(inspection.path), style="bold")]
    # The probe before the format list: vivid alone lists forty formats.
    if probe is not None:
        lines += [Text(""), *probe_lines(probe)]
    if inspection.kind == "video" and info is not None:
        lines += video_queues(info)
    return join_lines(lines)


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
        self._body().update(join_lines([*identity_lines(node), Text(""),
                                        Text(note, style="dim italic")]))

    def show_inspection(self, inspection: Inspection, node: DeviceNode | None) -> None:
        self._body().update(inspection_text(inspection, node))
        self.scroll_home(animate=False)

    def show_removed(self, path: str) -> None:
        self._body().update(Text.assemble((plain(path), "bold"), " was removed ",
                                          ("(unplugged or its driver unbound)", "dim"),
                                          ": the panels show its last known state."))
