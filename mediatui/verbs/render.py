"""Plain-text renderings of the JSON records (``mediatui.info/1``, ``mediatui.probe/1``)
for the terminal; the TUI's inspector uses the same record-to-text helpers.

Each ``render_*`` returns text ready to print: built as lines, then every line escaped by
:func:`mediatui.verbs.output.escaped_lines` (card, driver, bus_info, format
descriptions and frontend names are device-supplied).
"""

from __future__ import annotations

from mediatui.verbs.output import escaped_lines

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any


def _flags(values: list[str]) -> str:
    return ", ".join(values) if values else "-"


def fract_text(value: dict[str, Any] | None) -> str:
    """``{"numerator": 1, "denominator": 30}`` -> ``"1/30"`` (``"-"`` for None)."""
    if not value:
        return "-"
    return f"{value['numerator']}/{value['denominator']}"


def size_text(size: dict[str, Any]) -> str:
    """A ``sizes[]`` record: ``640x480`` or ``16x16-1920x1080 step 2x2``."""
    if size["type"] == "discrete":
        return f"{size['width']}x{size['height']}"
    return (f"{size['min_width']}x{size['min_height']}-{size['max_width']}x"
            f"{size['max_height']} step {size['step_width']}x{size['step_height']}")


def interval_text(ival: dict[str, Any]) -> str:
    """An ``intervals[]`` record: ``1/30`` or ``1/60-1/1``."""
    text = fract_text(ival)
    if ival["type"] != "discrete":
        text += f"-{ival['max_numerator']}/{ival['max_denominator']}"
    return text


def format_text(fmt: dict[str, Any]) -> str:
    """A format record: ``640x480 YUYV none (614400 bytes)`` or its error."""
    if "error" in fmt:
        return str(fmt["error"]["title"])
    planes = " + ".join(str(p["sizeimage"]) for p in fmt.get("planes", []))
    return f"{fmt['width']}x{fmt['height']} {fmt['fourcc']} {fmt['field']} ({planes} bytes)"


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
        lines.append(f"    current format: {format_text(queue.get('current_format', {}))}")
        if queue.get("frame_interval"):
            lines.append(f"    frame interval: {fract_text(queue['frame_interval'])} s")
        for fmt in queue["formats"]:
            lines.append(f"    [{fmt['fourcc']}] {fmt['description']}")
            for size in fmt["sizes"]:
                ivals = ", ".join(interval_text(i) for i in size.get("intervals", []))
                lines.append(f"        {size_text(size)}" + (f"  @ {ivals}" if ivals else ""))
    if info.get("intervals_listed") == "current-size":
        lines.append("  (frame intervals shown for the current format's size; "
                     "--all-intervals lists them for every size)")
    return escaped_lines(lines)


def _level(value: float | None, relative: float | None, unit: str) -> str:
    if value is not None:
        return f"{value:.2f} {unit}"
    if relative is not None:
        return f"{relative * 100:.1f} % (relative)"
    return "n/a"


def _ratio(errors: int | None, total: int | None, ber: float | None) -> str:
    if ber is not None:
        return f"{ber:.2e} ({errors:,} of {total:,} bits)"
    if errors is None:
        return "n/a"
    return f"n/a ({errors:,} error bits of {'?' if total is None else f'{total:,}'})"


def frontend_stats_lines(info: dict[str, Any]) -> list[str]:
    """The DTV_STAT_* lines of ``info`` on a frontend (its ``stats`` dict)."""
    stats = info.get("stats")
    if stats is None:
        return [f"statistics: unavailable ({info.get('stats_error', 'not read')})"]
    ucb = stats["error_block_count"]
    total_blocks = stats["total_block_count"]
    blocks = "n/a" if ucb is None else f"{ucb:,}" + (
        f" of {total_blocks:,}" if total_blocks is not None else "")
    strength = _level(stats["signal_strength_dbm"], stats["signal_strength_relative"], "dBm")
    dbm = stats["signal_strength_dbm"]
    if dbm is not None and not -200 <= dbm <= 100:
        # vidtv before its first lock: an uninitialised value with a dB scale (kernel tier).
        strength += " (implausible: the driver's value, shown as reported)"
    return [
        f"signal strength:    {strength}",
        f"C/N:                {_level(stats['cnr_db'], stats['cnr_relative'], 'dB')}",
        "pre-Viterbi BER:    " + _ratio(stats["pre_error_bit_count"],
                                        stats["pre_total_bit_count"], stats["pre_ber"]),
        "post-Viterbi BER:   " + _ratio(stats["post_error_bit_count"],
                                        stats["post_total_bit_count"], stats["post_ber"]),
        f"uncorrected blocks: {blocks}",
    ]


def render_probe(probe: dict[str, Any]) -> str:
    if probe.get("kind") == "dvb-frontend":
        return escaped_lines([
            f"{probe['path']}: {probe['name']}",
            f"  frequency: {probe['frequency_min_hz']} - {probe['frequency_max_hz']} Hz",
            f"  delivery systems: {_flags(probe['delivery_systems'])}",
            f"  status: {_flags(probe['fe_status'])}",
            *(f"  {line}" for line in frontend_stats_lines(probe)),
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
            f"    memory types:    {_flags(q['memory_types'])}",
            f"    buf caps:        {_flags(q['buf_caps'])}",
            f"    max_num_buffers: {q['max_num_buffers']}",
            f"    orphaned bufs:   {'yes' if q['orphaned_bufs'] else 'no'}",
            f"    EXPBUF:          {'yes' if q['expbuf'] else 'no'}",
            f"    min buffers:     {q['min_buffers'] if q['min_buffers'] is not None else '-'}",
            f"    probed with:     {q['method']}",
        ]
    return escaped_lines(lines)
