"""``mediatui who [DEVICE]``: which processes hold media nodes, and who owns each queue.

With DEVICE: who has it open, who owns its buffer queue (and the evidence), what a
second handle's QUERYBUF says, and which dma-bufs came from it and where they are.
Without: every held media node and its holders.
"""

from __future__ import annotations

import argparse
from typing import Any

from mediatui.verbs.sizes import escape, human_size, print_blind_spots


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("who", help="which processes hold media nodes and own their queues")
    p.add_argument("device", nargs="?", metavar="DEVICE", help="one node, e.g. /dev/video0")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def run(args: argparse.Namespace) -> int:
    # core is imported when the verb runs: `mediatui --help` stays quick.
    from core.service.holders import NotADevice, who_document
    from mediatui.verbs.output import EXIT_OK, fail, print_json

    try:
        doc = who_document(args.device)
    except FileNotFoundError:
        return fail(f"DEVICE {args.device}: no such file", as_json=args.json)
    except NotADevice:
        return fail(f"DEVICE {args.device}: not a character device node", as_json=args.json)
    if args.json:
        print_json("who", doc)
        return EXIT_OK
    print_who(doc)
    return EXIT_OK


def print_who(doc: dict[str, Any]) -> None:
    if not doc["nodes"]:
        what = doc["path"] or "any media node"
        print(f"nobody else holds {escape(what)}")
    for node in doc["nodes"]:
        parent = f" ({escape(node['parent'])})" if node["parent"] else ""
        print(f"{escape(node['path'])} [{node['devnum']}]{parent}")
        for h in node["holders"]:
            user = f" ({escape(h['user'])})" if h["user"] else ""
            fds = ",".join(map(str, h["fds"])) or "-"
            print(f"  PID {h['pid']:<7} {h['role']:<15} fd {fds:<8} {h['command']}{user}")
            for line in h["evidence"]:
                print(f"  {'':<11} evidence: {escape(line)}")
    conf = doc.get("confirmation")
    if conf:
        if conf["note"]:
            print(f"second handle: {escape(conf['note'])}")
        for q in conf["queues"]:
            print(f"second handle, VIDIOC_QUERYBUF {q['buf_type']}: {q['buffers']} buffers "
                  f"allocated, {q['in_use']} mapped or exported, {q['queued']} queued")
        if not conf["note"] and not conf["queues"]:
            print("second handle, VIDIOC_QUERYBUF: no buffers allocated on this node")
    if doc["dmabufs"]:
        print(f"dma-bufs exported from {escape(doc['path'])} (inferred):")
        for b in doc["dmabufs"]:
            holders = ", ".join(f"PID {h['pid']} fd {','.join(map(str, h['fds']))}"
                                for h in b["fd_holders"])
            maps = ", ".join(f"PID {h['pid']} mapped" for h in b["map_holders"])
            where = "; ".join(x for x in (holders, maps) if x) or "no process (kernel only)"
            print(f"  inode {b['inode']:<8} {human_size(b['size_bytes']):>10}  {where}")
    print_blind_spots(doc["scan"])
