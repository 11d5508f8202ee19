"""``mediatui dmabufs [--pid PID]``: every dma-buf, its exporter, holders and
attachments, and per process what it holds by fd and by mapping (like Android's
``dmabuf_dump``), largest first, with a one-line total."""

from __future__ import annotations

import argparse
from typing import Any

from mediatui.verbs.sizes import escape, human_size, print_blind_spots


def _pid(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--pid must be a process id >= 1, got {text!r}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("dmabufs", help="every dma-buf: size, exporter, holders, attachments")
    p.add_argument("--pid", type=_pid, help="only this process's dma-bufs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def run(args: argparse.Namespace) -> int:
    from core.service.holders import dmabufs_document
    from mediatui.verbs.output import EXIT_OK, print_json

    doc = dmabufs_document(args.pid)
    if args.json:
        print_json("dmabufs", doc)
        return EXIT_OK
    print_dmabufs(doc)
    return EXIT_OK


def print_dmabufs(doc: dict[str, Any]) -> None:
    commands = {p["pid"]: p["command"] for p in doc["processes"]}
    for p in doc["processes"]:
        user = f" ({escape(p['user'])})" if p["user"] else ""
        print(f"PID {p['pid']} {p['command']}{user}: {human_size(p['total_bytes'])} "
              f"(fd {human_size(p['fd_bytes'])} in {p['fd_dmabufs']}, mapped "
              f"{human_size(p['map_bytes'])} in {p['map_dmabufs']})")
        for n in p["nodes"]:
            print(f"    {escape(n['path'])}: {n['role']}")
    if doc["processes"]:
        print()
    print(f"{'INODE':>8} {'SIZE':>10}  {'EXPORTER':<22} {'HELD BY':<28} ATTACHED")
    for b in doc["dmabufs"]:
        exporter = escape(b["exp_name"] or "?")
        if b["exporter_node"]:
            exporter += f" {escape(b['exporter_node'])}"
        holds = [f"{h['pid']} fd {','.join(map(str, h['fds']))}" for h in b["fd_holders"]]
        holds += [f"{h['pid']} map" for h in b["map_holders"]]
        held = "; ".join(holds) or "nobody visible"
        attached = ("?" if b["attached"] is None
                    else ", ".join(escape(a) for a in b["attached"]) or "-")
        print(f"{b['inode']:>8} {human_size(b['size_bytes']):>10}  {exporter:<22} "
              f"{held:<28} {attached}")
    t = doc["total"]
    print(f"dma-buf total: {t['count']} buffers, {human_size(t['size_bytes'])}; "
          f"held by fd {human_size(t['fd_held_bytes'])}, mapped "
          f"{human_size(t['mapped_bytes'])}, no visible holder "
          f"{human_size(t['unattributed_bytes'])} ({t['unattributed']}); "
          f"{len(commands)} processes")
    print_blind_spots(doc["scan"])
