"""``mediatui info``: capabilities, formats and current format of a node."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("info", help="show a node's capabilities and formats")
    p.add_argument("device", help="node path, e.g. /dev/video0 or /dev/dvb/adapter0/demux0")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--all-intervals",
        action="store_true",
        help="list the frame intervals of every frame size (as v4l2-ctl --list-formats-ext); "
        "by default only those of the current format's size",
    )
    return p


def run(args: argparse.Namespace) -> int:
    # Imported here: every verb's parser is built at start-up, only one verb runs.
    from core.errors import MediaError
    from core.nodes import is_media_path, is_subdev_path
    from mediatui.verbs.output import fail, print_json

    try:
        if is_media_path(args.device) or is_subdev_path(args.device):
            return _media_or_subdev(args, media=is_media_path(args.device))
        # A video or DVB node: the inspector's reading. The media-controller service
        # is not imported for it (a quarter of `info /dev/videoN`'s start in the VM).
        from core.service.inspection import describe
        from core.service.session import Session
        from mediatui.verbs.render import render_info

        with Session() as session:
            result = describe(session, args.device, probe=False,
                              intervals="all" if args.all_intervals else "current-size")
    except MediaError as exc:
        return fail(exc, as_json=args.json)
    if args.json:
        print_json("info", result)
    else:
        print(render_info(result))
    return 0


def _media_or_subdev(args: argparse.Namespace, *, media: bool) -> int:
    """``info`` on /dev/mediaN (``media``: its topology) or /dev/v4l-subdevN (its pads)."""
    from core.service import topology as svc
    from mediatui.verbs.output import print_json

    if media:
        result = svc.media_info(args.device)
        if args.json:
            print_json("topology", result)
        elif "topology_error" in result:
            print(svc.media_info_text(result))
        else:
            print(svc.topology_text(svc.read_topology(args.device)))
        return 0
    result = svc.subdev_info(args.device)
    if args.json:
        print_json("subdev", result)
    else:
        print(svc.subdev_text(result))
    return 0
