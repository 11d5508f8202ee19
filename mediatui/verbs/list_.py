"""``mediatui list``: the V4L2, media and DVB nodes, grouped by the hardware they belong to."""

from __future__ import annotations

import argparse
import sys

from core.untrusted import escape
from mediatui.verbs.output import print_json

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from core.discovery import DeviceList, DeviceNode, PhysicalDevice


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("list", help="list media device nodes, grouped by device")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--no-udev",
        action="store_true",
        help="ignore udev (its database and links), read sysfs only (as on boards without udev)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from core.discovery import discover  # imported when the verb runs, not at --help

    devices = discover(force_fallback=args.no_udev)
    if devices.notice:
        print(f"mediatui: {escape(devices.notice)}", file=sys.stderr)
    if args.json:
        print_json("list", devices.as_dict())
        return 0
    if not devices.groups:
        print("no media devices found: check permissions (video group) or try --demo")
        return 0
    print_groups(devices)
    return 0


def print_groups(devices: DeviceList) -> None:
    width = max(len(n.path) for n in devices.nodes)
    for i, group in enumerate(devices.groups):
        if i:
            print()
        print(group_title(group))
        for node in group.nodes:
            print(f"  {node_line(node, width)}")
    count = len(devices.nodes)
    print(
        f"\n{count} node{'s' * (count != 1)} in {len(devices.groups)} devices "
        f"(source: {devices.source})"
    )


def group_title(group: PhysicalDevice) -> str:
    where = " ".join(x for x in (group.bus_info, group.id_path and f"[{group.id_path}]") if x)
    return clean(f"{group.name} ({group.driver or '?'}) {where}".rstrip())


def node_line(node: DeviceNode, width: int) -> str:
    ident = f"error: {node.error}" if node.error else node.name or node.card
    if node.by_path:
        ident += f"  {node.by_path[0]}"
    return clean(f"{node.path:<{width}}  {node.kind:<14} {ident}".rstrip())


def clean(text: str) -> str:
    """Device-reported names are untrusted: the one escaping function
    (:func:`core.untrusted.escape`) shows control and bidi characters as escapes."""
    return escape(text)
