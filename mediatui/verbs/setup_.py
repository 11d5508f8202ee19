"""``mediatui setup MEDIA``: links and pad formats in media-ctl's syntax, then the
pipeline check of every video node.

  mediatui setup /dev/media3 -l '"Debayer A":1->"Scaler":0[1]' \\
      -V '"Sensor A":0[fmt:SBGGR8_1X8/640x480 field:none]'

Unlike media-ctl, format fields left out keep the pad's current value.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("setup", help="set links and pad formats (media-ctl -l/-V syntax)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("device", help="media controller node, e.g. /dev/media3")
    p.add_argument("-r", "--reset", action="store_true",
                   help="first disable every mutable link and reset pad formats to the "
                        "driver's defaults")
    p.add_argument("-l", "--link", action="append", default=[], metavar="LINK",
                   help="a link, as media-ctl -l: "
                        "'\"SOURCE\":PAD->\"SINK\":PAD[0|1]' (repeatable)")
    p.add_argument("-V", "--set-format", action="append", default=[], metavar="FORMAT",
                   help="a pad format, as media-ctl -V: '\"ENTITY\":PAD[fmt:CODE/WxH "
                        "field:F colorspace:C xfer:X ycbcr:Y "
                        "quantization:Q crop:(L,T)/WxH]' (repeatable)")
    p.add_argument("--propagate", action="append", default=[], metavar="ENTITY",
                   help="copy each enabled link's source format to its sink, downstream "
                        "from ENTITY")
    p.add_argument("--video", action="append", default=[], metavar="NODE:WxH/FOURCC",
                   help="set a video node's format, e.g. /dev/video4:640x480/BA81")
    return p


def run(args: argparse.Namespace) -> int:
    from core.errors import MediaError
    from core.service import topology as svc
    from mediatui.verbs.output import EXIT_FAILURE, fail

    try:
        notes = svc.setup(args.device, links=args.link, formats=args.set_format,
                          propagate_from=args.propagate, do_reset=args.reset)
        for spec in args.video:
            node, _, rest = spec.partition(":")
            size, _, fourcc = rest.partition("/")
            w, _, h = size.partition("x")
            if not (node and w.isdigit() and h.isdigit()):
                return fail(f"--video {spec!r}: expected NODE:WIDTHxHEIGHT[/FOURCC]")
            notes.append(svc.set_video_format(node, int(w), int(h), fourcc or None))
        for note in notes:
            print(svc.escape_text(note))
        topo = svc.read_topology(args.device)
    except svc.SetupSyntaxError as exc:
        return fail(str(exc))  # usage: exit 2
    except MediaError as exc:
        return fail(exc)
    except LookupError as exc:  # an entity or pad name the graph does not have
        return fail(str(exc), code=EXIT_FAILURE)
    for video in svc.video_nodes(topo):
        report = svc.CheckReport(args.device, svc.check_pipeline(topo, video), topo)
        print(svc.check_text(report))
    return 0
