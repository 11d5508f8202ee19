"""``mediatui watch``: media nodes appearing and disappearing, as they happen.

For field debugging: plug, unplug, bind or unbind a driver and see which nodes the
kernel (or udevd) announced, in which order and how fast.  ``--json`` prints one JSON
object a line (NDJSON).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from mediatui.verbs import options
from mediatui.verbs.list_ import clean
from mediatui.verbs.output import print_line

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from core.discovery import HotplugEvent


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("watch", help="print media devices as they are added and removed")
    p.add_argument("--json", action="store_true", help="one JSON object per event (NDJSON)")
    p.add_argument(
        "--no-udev",
        action="store_true",
        help="skip libudev: read kernel uevents from a netlink socket",
    )
    p.add_argument("--timeout", type=options.duration("--timeout"), metavar="SECONDS",
                   help="stop after this long (a positive number of seconds)")
    p.add_argument("--count", type=options.event_count(), metavar="N",
                   help="stop after N events (1 or more)")
    return p


def run(args: argparse.Namespace) -> int:
    from core.discovery import Watcher, discover, installed_node_source

    if getattr(args, "demo", False) and installed_node_source() is not None:
        print("mediatui: virtual devices do not hotplug; nothing to watch", file=sys.stderr)
        return 0
    # Knowing the current nodes first lets remove events say exactly what went away.
    known = discover(force_fallback=args.no_udev).nodes
    watcher = Watcher(known=known, force_fallback=args.no_udev)
    watcher.open()
    if watcher.notice:
        print(f"mediatui: {clean(watcher.notice)}", file=sys.stderr)
    print(
        f"watching video4linux, dvb and media via {watcher.source}"
        f" ({len(known)} nodes present); Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    timer = None
    if args.timeout is not None:
        timer = threading.Timer(args.timeout, lambda: (stop.set(), watcher.wake()))
        timer.daemon = True
        timer.start()
    seen = 0

    def on_event(event: HotplugEvent) -> None:
        nonlocal seen
        print_event(event, as_json=args.json)
        seen += 1
        if args.count is not None and seen >= args.count:
            stop.set()

    try:
        watcher.run(stop, on_event)
    finally:
        if timer is not None:
            timer.cancel()
    return 0


def print_event(event: HotplugEvent, *, as_json: bool) -> None:
    wall = time.time() - (time.monotonic() - event.timestamp)
    if as_json:
        print_line("watch", {"time_s": round(wall, 6), **event.as_dict()})
        return
    sys.stdout.write(event_line(event, wall) + "\n")
    sys.stdout.flush()


def event_line(event: HotplugEvent, wall: float) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int(wall * 1000) % 1000:03d}"
    if event.action == "resync":
        return f"{stamp}  resync  events were lost (socket overflow): run `mediatui list`"
    if event.path is None:  # bind/unbind of the hardware behind the nodes
        return clean(
            f"{stamp}  {event.action:<6}  {event.subsystem} {event.sysname}"
            f"  driver={event.driver or '?'}"
        )
    line = f"{stamp}  {event.action:<6}  {event.path:<24} {event.kind or '?':<14}"
    node = event.node
    if node is not None:
        detail = f"error: {node.error}" if node.error else node.name or node.card
        line += f" {detail}  {node.driver} {node.bus_info}"
    return clean(line.rstrip())
