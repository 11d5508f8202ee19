"""``mediatui check VIDEO``: would STREAMON pass the media pipeline's link validation?
Exit 0 when it would, 1 with every mismatching link named."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help="check a video node's media pipeline before STREAMON")
    p.add_argument("device", help="video node of a media-controller pipeline, e.g. /dev/video4")
    p.add_argument("--media", help="its media device (found through sysfs by default)")
    p.add_argument("--json", action="store_true", help="mediatui.check/1 JSON")
    return p


def run(args: argparse.Namespace) -> int:
    from core.errors import MediaError
    from core.service import topology as svc
    from mediatui.verbs.output import EXIT_FAILURE, fail, print_json

    try:
        report = svc.check_video(args.device, args.media)
    except MediaError as exc:
        return fail(exc, as_json=args.json)
    except LookupError as exc:  # the node is in no media graph, or not in this one
        return fail(str(exc), as_json=args.json, code=EXIT_FAILURE)
    if args.json:
        print_json("check", svc.check_document(report))
    else:
        print(svc.check_text(report))
    return 0 if report.result.ok else 1
