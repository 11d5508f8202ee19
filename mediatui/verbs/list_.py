"""``mediatui list``: the V4L2, media and DVB nodes and who drives them."""

from __future__ import annotations

import argparse

from core import nodes
from mediatui.verbs.output import print_json


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("list", help="list media device nodes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def run(args: argparse.Namespace) -> int:
    infos = [nodes.describe_node(path) for path in nodes.scan_dev()]
    if args.json:
        print_json({"source": "dev-scan", "devices": [i.as_dict() for i in infos]})
        return 0
    if not infos:
        print("no media devices found: check permissions (video group) or try --demo")
        return 0
    width = max(len(i.path) for i in infos)
    for info in infos:
        ident = info.error or "  ".join(x for x in (info.driver, info.card, info.bus_info) if x)
        print(f"{info.path:<{width}}  {info.kind:<14} {ident}")
    return 0
