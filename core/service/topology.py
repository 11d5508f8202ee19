"""Media controller service: topology documents (text like ``media-ctl -p``, JSON
``mediatui.topology/1``, Graphviz dot), the pipeline check, sub-device info and
media-ctl-like setup.  Used by ``mediatui info|topology|check|setup`` and the TUI's
Topology tab; no UI imports.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from core.abi import media as m
from core.abi import subdev as sd
from core.abi.mbus import mbus_code_name
from core.errors import MediaError
from core.media.check import CheckResult, check_pipeline
from core.media.device import MediaDevice, SubdevDevice
from core.media.model import MbusFormat, Topology
from core.media.read import media_device_of, read_topology
from core.media.setup import (
    FormatRequest,
    LinkRequest,
    SetupSyntaxError,
    parse_format,
    parse_link,
    propagate_step,
    set_format,
    set_link,
)
from core.nodes import is_media_path, is_subdev_path

SCHEMA = "mediatui.topology/1"
CHECK_SCHEMA = "mediatui.check/1"

_BIDI = {"\u061c", "\u200e", "\u200f", *(chr(c) for c in range(0x202A, 0x202F)),
         *(chr(c) for c in range(0x2066, 0x206A))}


def escape_text(text: str) -> str:
    """Device text for a terminal: C0, C1, DEL and bidi controls shown escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif ch in _BIDI or unicodedata.category(ch) == "Cf":
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


# --- documents ------------------------------------------------------------------------------


def topology_document(topo: Topology) -> dict[str, Any]:
    """The ``mediatui.topology/1`` JSON document (schema in schemas/)."""
    info = topo.info
    entities = []
    for e in topo.entities:
        pads = []
        for p in e.pads:
            pad: dict[str, Any] = {
                "pad": p.index, "pad_id": p.id, "flags": m.flag_names(p.flags, m.PAD_FLAG_NAMES),
                "format": p.format.as_dict() if p.format else None,
            }
            if p.format_error:
                pad["format_error"] = p.format_error
            if p.crop:
                pad["crop"] = {"left": p.crop.left, "top": p.crop.top,
                               "width": p.crop.width, "height": p.crop.height}
            pads.append(pad)
        video = topo.video_formats.get(e.id)
        entities.append({
            "entity": e.name, "entity_id": e.id, "function": e.function_name,
            "function_raw": e.function, "flags": m.flag_names(e.flags, m.ENTITY_FLAG_NAMES),
            "devnode": e.devnode,
            "interface": m.intf_type_name(e.intf_type) if e.intf_type is not None else None,
            "pads": pads, "video_format": video.as_dict() if video else None,
        })
    links = []
    for lk in topo.data_links:
        src, snk = topo.pad(lk.source_id), topo.pad(lk.sink_id)
        links.append({
            "link": lk.id,
            "source_pad": {"entity": topo.entity(src.entity_id).name, "pad": src.index},
            "sink_pad": {"entity": topo.entity(snk.entity_id).name, "pad": snk.index},
            "flags": m.link_flag_names(lk.flags), "flags_raw": lk.flags,
        })
    ancillary = []
    for lk in topo.links:
        if lk.kind == "ANCILLARY_LINK":
            ancillary.append({"link": lk.id, "primary_entity": topo.entity(lk.source_id).name,
                              "ancillary_entity": topo.entity(lk.sink_id).name,
                              "flags": m.link_flag_names(lk.flags)})
    return {
        "schema": SCHEMA, "path": topo.path,
        "device_info": {"driver": info.driver, "model": info.model, "serial": info.serial,
                   "bus_info": info.bus_info, "media_version": _version(info.media_version),
                   "driver_version": _version(info.driver_version),
                   "hw_revision": info.hw_revision},
        "topology_version": topo.version,
        "entities": entities, "links": links, "ancillary_links": ancillary,
        "interfaces": [{"intf_id": i.id, "type": m.intf_type_name(i.intf_type), "major": i.major,
                        "minor": i.minor, "devnode": i.devnode} for i in topo.interfaces],
    }


def _version(value: int) -> str:
    return f"{value >> 16}.{(value >> 8) & 0xFF}.{value & 0xFF}"


def topology_text(topo: Topology) -> str:
    """``media-ctl -p``'s layout, device text escaped."""
    info = topo.info
    lines = [f"Media device {topo.path}: {escape_text(info.model)} ({escape_text(info.driver)}, "
             f"{escape_text(info.bus_info)}, driver version {_version(info.driver_version)})",
             ""]
    for e in topo.entities:
        links = sum(1 for p in e.pads for _ in topo.links_of_pad(p.id))
        lines.append(f"- entity {e.id}: {escape_text(e.name)} ({len(e.pads)} pad"
                     f"{'s' if len(e.pads) != 1 else ''}, {links} link{'s' if links != 1 else ''})")
        lines.append(f"            function {e.function_name} flags {e.flags}")
        if e.devnode:
            lines.append(f"            device node name {e.devnode}")
        video = topo.video_formats.get(e.id)
        if video:
            lines.append(f"            video format {video.short()} "
                         f"colorspace:{video.as_dict()['colorspace']}")
        for p in e.pads:
            role = "Sink" if p.is_sink else "Source"
            if p.must_connect:
                role += ", Must Connect"
            lines.append(f"\tpad{p.index}: {role}")
            if p.format:
                extra = ""
                if p.crop_bounds:
                    extra += f"\n\t\t crop.bounds:{p.crop_bounds}"
                if p.crop:
                    extra += f"\n\t\t crop:{p.crop}"
                lines.append(f"\t\t[{p.format.mediactl()}{extra}]")
            elif p.format_error:
                lines.append(f"\t\t[{p.format_error}]")
            for lk in topo.links_of_pad(p.id):
                other = lk.sink_id if lk.source_id == p.id else lk.source_id
                arrow = "->" if lk.source_id == p.id else "<-"
                flags = ",".join(m.link_flag_names(lk.flags))
                label = topo.pad_label(other).replace("'", '"')
                lines.append(f"\t\t{arrow} {escape_text(label)} [{flags}]")
        lines.append("")
    return "\n".join(lines)


def _dot_id(entity_id: int) -> str:
    return f"n{entity_id:08x}"


def topology_dot(topo: Topology, mismatched: frozenset[int] = frozenset()) -> str:
    """Graphviz dot: entities as records with their pads, data links as edges labelled
    with the source pad's format; disabled links dashed, mismatching ones red."""
    lines = ["digraph board {", "\trankdir=TB", '\tnode [fontname="monospace"]']
    for e in topo.entities:
        sinks = "|".join(f"<port{p.index}> {p.index}" for p in e.pads if p.is_sink)
        sources = "|".join(f"<port{p.index}> {p.index}" for p in e.pads if p.is_source)
        label = json.dumps(e.name + (f"\n{e.devnode}" if e.devnode else ""))[1:-1]
        label = label.replace("{", "\\{").replace("}", "\\}").replace("|", "\\|")
        label = label.replace("<", "\\<").replace(">", "\\>")
        if e.is_video_node:
            lines.append(f'\t{_dot_id(e.id)} [label="{label}", shape=box, style=filled, '
                         'fillcolor=yellow]')
        else:
            lines.append(f'\t{_dot_id(e.id)} [label="{{{{{sinks}}} | {label} | {{{sources}}}}}", '
                         'shape=Mrecord, style=filled, fillcolor=green]')
    for lk in topo.data_links:
        src, snk = topo.pad(lk.source_id), topo.pad(lk.sink_id)
        head = _dot_id(snk.entity_id)
        if not topo.entity(snk.entity_id).is_video_node:
            head += f":port{snk.index}"
        attrs = []
        if src.format:
            attrs.append(f'label="{src.format.short()}"')
        if lk.id in mismatched:
            attrs.append("color=red, fontcolor=red")
        attrs.append("style=bold" if lk.immutable else (
            "style=solid" if lk.enabled else "style=dashed"))
        lines.append(f"\t{_dot_id(src.entity_id)}:port{src.index} -> {head} "
                     f"[{', '.join(attrs)}]")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- the check -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckReport:
    media: str
    result: CheckResult
    topology: Topology


def check_video(video: str, media: str | None = None) -> CheckReport:
    """The pipeline check for a video node; raises LookupError when the node has no
    media device, MediaError when the graph cannot be read."""
    media = media or media_device_of(video)
    if media is None:
        raise LookupError(f"{video} belongs to no media controller device")
    topo = read_topology(media)
    return CheckReport(media, check_pipeline(topo, video), topo)


def check_document(report: CheckReport) -> dict[str, Any]:
    r = report.result
    return {"schema": CHECK_SCHEMA, "path": r.video, "media": report.media,
            "entity": r.entity, "ok": r.ok, "pipeline": list(r.pipeline),
            "path_upstream": list(r.path), "links_checked": r.links_checked,
            "problems": [p.as_dict() for p in r.problems]}


def check_text(report: CheckReport) -> str:
    r = report.result
    head = (f"{r.video} ({escape_text(r.entity or '?')}) on {report.media}: pipeline "
            f"{' ← '.join(escape_text(n) for n in r.path)}")
    if r.ok:
        return head + f"\n  OK: {r.links_checked} link(s) validate; STREAMON would pass."
    lines = [head, f"  STREAMON would fail with {r.problems[0].errno_name}:"]
    lines += [f"  - {escape_text(p.message)}" for p in r.problems]
    return "\n".join(lines)


# --- info on media and subdev nodes --------------------------------------------------------


def media_info(path: str) -> dict[str, Any]:
    """``mediatui info /dev/mediaN``: the topology document with ``kind``; when
    G_TOPOLOGY fails, the device info with ``topology_error`` (raises MediaError when
    even MEDIA_IOC_DEVICE_INFO fails)."""
    try:
        doc = topology_document(read_topology(path))
    except MediaError as exc:
        if exc.ioctl != "MEDIA_IOC_G_TOPOLOGY":
            raise
        with MediaDevice(path) as dev:
            info = dev.device_info()
        return {"schema": SCHEMA, "kind": "media", "path": path, "topology_version": 0,
                "entities": [], "links": [], "ancillary_links": [], "interfaces": [],
                "device_info": {"driver": info.driver, "model": info.model, "serial": info.serial,
                           "bus_info": info.bus_info,
                           "media_version": _version(info.media_version),
                           "driver_version": _version(info.driver_version),
                           "hw_revision": info.hw_revision},
                "topology_error": str(exc)}
    doc["kind"] = "media"
    return doc


def media_info_text(info: dict[str, Any]) -> str:
    """The text form of :func:`media_info` when there is no topology to print."""
    d = info["device_info"]
    return (f"Media device {info['path']}: {escape_text(d['model'])} ({escape_text(d['driver'])}, "
            f"{escape_text(d['bus_info'])}, driver version {d['driver_version']})\n"
            f"  topology: {escape_text(info['topology_error'])}")


def subdev_info(path: str) -> dict[str, Any]:
    """``mediatui info /dev/v4l-subdevN``: caps, and per pad the active format, the
    media bus codes and their frame sizes, the crop rectangles."""
    out: dict[str, Any] = {"schema": "mediatui.subdev/1", "kind": "subdev", "path": path}
    with SubdevDevice(path) as node:
        try:
            version, caps = node.querycap()
            out["version"] = _version(version)
            out["capabilities"] = m.flag_names(caps, {sd.V4L2_SUBDEV_CAP_RO_SUBDEV: "RO_SUBDEV"})
        except MediaError as exc:
            out["querycap_error"] = exc.title
        pads = []
        for index in range(64):
            try:
                fmt = node.get_format(index)
            except MediaError as exc:
                if index == 0 and exc.errno_name == "ENOTTY":
                    out["pads_note"] = "no pad operations (VIDIOC_SUBDEV_G_FMT: ENOTTY)"
                break
            codes = []
            for code in node.mbus_codes(index):
                sizes = [{"min_width": a, "max_width": b, "min_height": c, "max_height": d}
                         for a, b, c, d in node.frame_sizes(index, code)]
                codes.append({"code": mbus_code_name(code), "code_raw": code, "sizes": sizes})
            pad: dict[str, Any] = {"pad": index, "format": fmt.as_dict(), "mbus_codes": codes}
            try:
                crop = node.get_selection(index, sd.V4L2_SEL_TGT_CROP)
                pad["crop"] = str(crop)
            except MediaError:
                pass
            try:
                num, den = node.get_frame_interval(index)
                pad["frame_interval"] = f"{num}/{den}"
            except MediaError:
                pass
            pads.append(pad)
        out["pads"] = pads
    media = media_device_of(path)
    if media:
        out["media"] = media
        try:
            topo = read_topology(media, formats=False)
            entity = topo.entity_of_devnode(path)
            if entity is not None:
                out["entity"] = entity.name
                out["function"] = entity.function_name
        except MediaError:
            pass
    return out


def subdev_text(info: dict[str, Any]) -> str:
    lines = [f"{info['path']}: {escape_text(info.get('entity', 'sub-device'))}"
             + (f" ({info['function']}) on {info['media']}" if "media" in info else "")]
    if "capabilities" in info:
        caps = ", ".join(info["capabilities"]) or "-"
        lines.append(f"  subdev API {info['version']}, capabilities: {caps}")
    if info.get("pads_note"):
        lines.append(f"  {info['pads_note']}")
    for pad in info["pads"]:
        f = pad["format"]
        lines.append(f"  pad{pad['pad']}: {f['code']}/{f['width']}x{f['height']} "
                     f"field:{f['field']} colorspace:{f['colorspace']}"
                     + (f" crop:{pad['crop']}" if "crop" in pad else ""))
        for code in pad["mbus_codes"]:
            sizes = ", ".join(f"{s['min_width']}x{s['min_height']} - {s['max_width']}x"
                              f"{s['max_height']}" for s in code["sizes"])
            tail = f"  {sizes}" if sizes else ""
            lines.append(f"    {code['code_raw']:#06x} {code['code']}{tail}")
    return "\n".join(lines)


# --- setup ---------------------------------------------------------------------------------


def reset(topo: Topology) -> list[str]:
    """Disable every mutable enabled link (``media-ctl -r``) and set each subdev pad to
    the format a fresh file handle's TRY state holds (the driver's init_cfg defaults)."""
    notes = []
    with MediaDevice(topo.path) as dev:
        for lk in topo.data_links:
            if lk.enabled and not lk.immutable:
                src, snk = topo.pad(lk.source_id), topo.pad(lk.sink_id)
                dev.setup_link(src.entity_id, src.index, snk.entity_id, snk.index, 0)
                notes.append(f"link {topo.pad_label(src.id)} → {topo.pad_label(snk.id)} disabled")
    for e in topo.entities:
        if not e.is_subdev or not e.devnode or not e.pads:
            continue
        with SubdevDevice(e.devnode) as node:
            for p in e.pads:
                if not p.is_sink and any(q.is_sink for q in e.pads):
                    continue  # a source pad of a processing entity follows its sink
                try:
                    default = node.get_format(p.index, sd.V4L2_SUBDEV_FORMAT_TRY)
                    got = node.set_format(p.index, default)
                except MediaError:
                    continue
                notes.append(f"'{e.name}':{p.index} [{got.mediactl()}]")
    return notes


def setup(media: str, *, links: list[str], formats: list[str],
          propagate_from: list[str], do_reset: bool) -> list[str]:
    """Apply ``-r``, then ``-l`` links, ``-V`` formats and ``--propagate`` in that order,
    re-reading the graph between steps; returns one line per change.  Raises
    SetupSyntaxError (a usage error) or MediaError (the kernel refused)."""
    link_reqs: list[LinkRequest] = [parse_link(t) for t in links]
    fmt_reqs: list[FormatRequest] = [parse_format(t) for t in formats]
    notes: list[str] = []
    if do_reset:
        notes += reset(read_topology(media))
    for req in link_reqs:
        notes.append(set_link(read_topology(media, formats=False), req))
    for freq in fmt_reqs:
        notes += set_format(read_topology(media), freq)
    for name in propagate_from:
        todo, seen = [name], set()
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            requests, downstream = propagate_step(read_topology(media), current)
            for freq in requests:
                notes += set_format(read_topology(media), freq)
            todo += downstream
    return notes


def set_link_enabled(media: str, link_id: int, enable: bool) -> str:
    """Toggle one data link by id (the TUI's key)."""
    topo = read_topology(media, formats=False)
    lk = next((x for x in topo.data_links if x.id == link_id), None)
    if lk is None:
        raise LookupError(f"no data link {link_id} in {media}")
    src, snk = topo.pad(lk.source_id), topo.pad(lk.sink_id)
    return set_link(topo, LinkRequest(src.entity_id, src.index, snk.entity_id, snk.index,
                                      enable))


def set_pad_format(media: str, text: str) -> list[str]:
    """``-V`` syntax for one pad (the TUI's format editor)."""
    return set_format(read_topology(media), parse_format(text))


def video_nodes(topo: Topology) -> list[str]:
    """The graph's video node paths, each once, in entity order (a mem2mem node's one
    interface reaches both its source and its sink entity)."""
    return list(dict.fromkeys(e.devnode for e in topo.entities if e.is_video_node and e.devnode))




# --- the TUI's snapshot ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopologySnapshot:
    """What the Topology tab shows: the graph and the check of every video node."""

    media: str
    topology: Topology
    checks: tuple[CheckResult, ...]

    @property
    def mismatched(self) -> frozenset[int]:
        out: frozenset[int] = frozenset()
        for c in self.checks:
            out |= c.mismatch_link_ids
        return out


def media_of(path: str) -> str | None:
    """The media device of ``path`` (itself for a /dev/mediaN), None without one."""
    if is_media_path(path):
        return path
    return media_device_of(path)


def snapshot(path: str) -> TopologySnapshot | None:
    """Read the graph ``path`` belongs to and check every video node; None when the node
    is not part of a media controller device.  Raises MediaError."""
    media = media_of(path)
    if media is None:
        return None
    topo = read_topology(media)
    checks = tuple(check_pipeline(topo, video) for video in video_nodes(topo))
    return TopologySnapshot(media, topo, checks)


def precheck_stream(video: str) -> CheckResult | None:
    """The check before the TUI starts streaming ``video``: None when it has no media
    device or its graph cannot be read (STREAMON will tell), else the result."""
    try:
        media = media_device_of(video)
        if media is None:
            return None
        return check_pipeline(read_topology(media), video)
    except (MediaError, LookupError, RuntimeError):
        return None


def set_video_format(path: str, width: int, height: int, fourcc: str | None) -> str:
    """S_FMT on a video node of a pipeline (``--video NODE:WxH/FOURCC``); returns what
    the driver chose, with a note when it adjusted the request."""
    from core.abi import v4l2 as v
    from core.media.device import set_video_format as set_format

    got = set_format(path, width, height, v.fourcc(fourcc) if fourcc else None)
    asked = f"{width}x{height}" + (f" {fourcc}" if fourcc else "")
    note = f"{path}: {got.short()}"
    if (got.width, got.height) != (width, height) or (fourcc and got.fourcc != fourcc):
        note += f" (the driver adjusted {asked})"
    return note


__all__ = [
    "CheckReport",
    "MbusFormat",
    "SetupSyntaxError",
    "Topology",
    "TopologySnapshot",
    "check_document",
    "check_pipeline",
    "check_text",
    "check_video",
    "escape_text",
    "is_media_path",
    "is_subdev_path",
    "media_device_of",
    "media_info",
    "media_info_text",
    "media_of",
    "precheck_stream",
    "read_topology",
    "reset",
    "set_link_enabled",
    "set_pad_format",
    "set_video_format",
    "setup",
    "snapshot",
    "subdev_info",
    "subdev_text",
    "topology_document",
    "topology_dot",
    "topology_text",
    "video_nodes",
]
