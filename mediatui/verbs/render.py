"""Plain-text renderings of core's summaries for the terminal (the --json forms are the
same dictionaries)."""

from __future__ import annotations

from typing import Any


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
    return "\n".join(lines)


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
        return (
            f"{probe['path']}: {probe['name']}\n"
            f"  delivery systems: {_flags(probe['delivery_systems'])}\n"
            f"  status: {_flags(probe['status'])}"
            + "".join(f"\n  {line}" for line in frontend_stats_lines(probe))
        )
    if probe.get("kind", "").startswith("dvb"):
        api = "present" if probe["mmap_api"] else f"absent ({probe['note']})"
        return f"{probe['path']}: {probe['kind']}\n  DVB mmap API: {api}"
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
    return "\n".join(lines)
