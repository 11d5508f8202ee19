"""``mediatui topology MEDIA``: the media graph as text (like ``media-ctl -p``), JSON
(``mediatui.topology/1``) or Graphviz dot with pad formats on the edges."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("topology", help="show a media device's entities, pads, links, formats")
    p.add_argument("device", help="media controller node, e.g. /dev/media3")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="mediatui.topology/1 JSON")
    out.add_argument("--dot", action="store_true", help="Graphviz dot (dot -Tsvg)")
    return p


def run(args: argparse.Namespace) -> int:
    from core.errors import MediaError
    from core.service import topology as svc
    from mediatui.verbs.output import fail, print_json

    try:
        topo = svc.read_topology(args.device)
    except MediaError as exc:
        return fail(exc, as_json=args.json)
    if args.json:
        print_json("topology", svc.topology_document(topo))
    elif args.dot:
        mismatched: frozenset[int] = frozenset()
        for video in svc.video_nodes(topo):
            try:
                mismatched |= svc.check_pipeline(topo, video).mismatch_link_ids
            except LookupError:
                continue
        print(svc.topology_dot(topo, mismatched), end="")
    else:
        print(svc.topology_text(topo))
    return 0

