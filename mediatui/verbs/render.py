"""Plain-text renderings of core's summaries for the terminal (the --json forms are the
same dictionaries).

Each function returns text ready to print: built as lines, then every line escaped by
:func:`mediatui.verbs.output.escaped_lines` (card, driver, bus_info, format
descriptions and frontend names are device-supplied).
"""

from __future__ import annotations

from typing import Any

from mediatui.verbs.output import escaped_lines


def _flags(values: list[str]) -> str:
    return ", ".join(values) if values else "-"


def render_info(info: dict[str, Any]) -> str:
    if info.get("kind", "").startswith("dvb"):
        return render_probe(info)
    lines = [
        f"{info['path']}: {info['card']} ({info['driver']} {info['version']})",
        f"  bus info:     {info['bus_info']}",
        f"  capabilities: {_flags(info['capabilities'])}",
        f"  device caps:  {_flags(info['device_caps'])}",
    ]
    for queue in info["queues"]:
        lines.append(f"  {queue['buf_type']}:")
        cur = queue.get("current_format", {})
        if "error" in cur:
            lines.append(f"    current format: {cur['error']}")
        else:
            planes = " + ".join(str(p["sizeimage"]) for p in cur.get("planes", []))
            lines.append(
                f"    current format: {cur.get('width')}x{cur.get('height')} "
                f"{cur.get('pixelformat')} ({planes} bytes)"
            )
        if queue.get("frame_interval"):
            lines.append(f"    frame interval: {queue['frame_interval']} s")
        for fmt in queue["formats"]:
            lines.append(f"    [{fmt['fourcc']}] {fmt['description']}")
            for size in fmt["sizes"]:
                ivals = ", ".join(size.get("intervals", []))
                lines.append(f"        {size['size']}" + (f"  @ {ivals}" if ivals else ""))
    return escaped_lines(lines)


def render_probe(probe: dict[str, Any]) -> str:
    if probe.get("kind") == "dvb-frontend":
        return escaped_lines([
            f"{probe['path']}: {probe['name']}",
            f"  delivery systems: {_flags(probe['delivery_systems'])}",
            f"  status: {_flags(probe['status'])}",
        ])
    if probe.get("kind", "").startswith("dvb"):
        api = "present" if probe["mmap_api"] else f"absent ({probe['note']})"
        return escaped_lines([f"{probe['path']}: {probe['kind']}", f"  DVB mmap API: {api}"])
    lines = [f"{probe['path']}: {probe['card']} ({probe['driver']})"]
    if not probe["streaming"]:
        lines.append("  no streaming I/O on this node")
    for q in probe["queues"]:
        lines += [
            f"  {q['buf_type']}:",
            f"    memory types:    {_flags(q['memory'])}",
            f"    capabilities:    {_flags(q['capabilities'])}",
            f"    max_num_buffers: {q['max_num_buffers']}",
            f"    orphaned bufs:   {'yes' if q['orphaned_bufs'] else 'no'}",
            f"    EXPBUF:          {'yes' if q['expbuf'] else 'no'}",
            f"    min buffers:     {q['min_buffers'] if q['min_buffers'] is not None else '-'}",
            f"    probed with:     {q['method']}",
        ]
    return escaped_lines(lines)
