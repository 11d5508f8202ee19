"""Holders service: who holds media nodes and dma-bufs, as documents and snapshots.

Used by ``mediatui who``, ``mediatui dmabufs`` and the TUI's Holders view.  The scan
reads the running system's /proc, unless a virtual backend is installed (``--demo``)
that offers its own tree (``holders_roots()``): then the same scan code reads that.

Documents: ``mediatui.who/1`` and ``mediatui.dmabufs/1`` (schemas in
``core/service/schemas/``).  Sizes in bytes (``*_bytes``), device numbers as
``"MAJOR:MINOR"``, processes always as a list of objects with ``pid``.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.holders import SYSTEM, Holders, ScanRoots, join, scan
from core.holders.join import V4L2_MAJOR, DmabufView, NodeView, ProcessView
from core.holders.model import ProcessInfo, Unreadable
from core.holders.roots import is_chr
from core.holders.text import command_line
from core.service.jsondoc import schema_id

if TYPE_CHECKING:
    from core.holders.confirm import Confirmation

WHO_SCHEMA = schema_id("who")  # "mediatui.who/1"
DMABUFS_SCHEMA = schema_id("dmabufs")


class NotADevice(ValueError):
    """``who DEVICE`` got a path that is not a character device node."""


def holders_roots() -> ScanRoots:
    """The installed virtual backend's tree, else the system's /proc."""
    # A backend is installed through core.ioctl: if nothing imported it, there is none
    # (and the CLI does not pay for importing the ioctl layer).
    chokepoint = sys.modules.get("core.ioctl")
    if chokepoint is None:
        return SYSTEM
    for backend in chokepoint.installed_backends():
        provider = getattr(backend, "holders_roots", None)
        if provider is not None:
            roots = provider()
            if isinstance(roots, ScanRoots):
                return roots
    return SYSTEM


@dataclass(frozen=True, slots=True)
class HoldersSnapshot:
    """One joined scan and when it was taken (monotonic seconds, duration in s)."""

    holders: Holders
    taken_at: float
    duration_s: float


def take_snapshot(roots: ScanRoots | None = None, *, rdev: int | None = None,
                  polite: bool = False) -> HoldersSnapshot:
    """Scan and join once (blocking: call from a worker thread in the UI, with
    ``polite`` so the walk leaves the interpreter to the UI thread often)."""
    roots = roots or holders_roots()
    start = time.monotonic()
    holders = join(scan(roots, rdev=rdev, polite=polite), roots)
    return HoldersSnapshot(holders, start, time.monotonic() - start)


def device_rdev(path: str, roots: ScanRoots | None = None) -> int:
    """``st_rdev`` of a node; raises :class:`NotADevice` (FileNotFoundError for none)."""
    roots = roots or holders_roots()
    st = roots.stat_path(path)
    if st is None:
        raise FileNotFoundError(path)
    if not is_chr(st[0]):
        raise NotADevice(path)
    return st[1]


# --- JSON ---------------------------------------------------------------------------


def rdev_str(rdev: int) -> str:
    return f"{os.major(rdev)}:{os.minor(rdev)}"


def process_record(info: ProcessInfo) -> dict[str, Any]:
    return {
        "pid": info.pid,
        "comm": info.comm,
        "cmdline": list(info.cmdline),
        "command": command_line(info),
        "uid": info.uid,
        "user": info.user,
    }


def node_record(n: NodeView) -> dict[str, Any]:
    return {
        "pid": n.pid,
        "path": n.path,
        "devnum": rdev_str(n.rdev),
        "parent": n.device,
        "fds": list(n.fds),
        "buffers_mapped": n.buffers_mapped,
        "exports_held": n.exports_held,
        "owns_queue": n.owns_queue,
        "role": n.role,
        "evidence": list(n.evidence),
    }


def dmabuf_record(b: DmabufView) -> dict[str, Any]:
    return {
        "inode": b.inode,
        "size_bytes": b.size,
        "exp_name": b.exp_name,
        "name": b.name,
        "count": b.count,
        "exporter_node": b.exporter_node,
        "exporter_evidence": b.exporter_evidence,
        "attached": list(b.attached) if b.attached is not None else None,
        "other_refs": b.other_refs,
        "fd_holders": [{"pid": h.pid, "fds": list(h.fds)} for h in b.fd_holders],
        "map_holders": [{"pid": h.pid, "mappings": h.mappings,
                         "mapped_bytes": h.mapped_bytes} for h in b.map_holders],
    }


def process_holds_record(p: ProcessView) -> dict[str, Any]:
    return {
        **process_record(p.info),
        "fd_bytes": p.fd_bytes,
        "map_bytes": p.map_bytes,
        "total_bytes": p.total_bytes,
        "fd_dmabufs": p.fd_dmabufs,
        "map_dmabufs": p.map_dmabufs,
        "dmabufs": list(p.dmabufs),
        "nodes": [node_record(n) for n in p.nodes],
    }


def unreadable_record(u: Unreadable) -> dict[str, Any]:
    return {"source": u.source, "pid": u.pid, "errno_name": u.errno_name, "reason": u.reason}


def scan_record(snap: HoldersSnapshot) -> dict[str, Any]:
    h = snap.holders
    return {
        "pids_seen": h.pids_seen,
        "vanished": h.vanished,
        "hidepid": h.hidepid,
        "bufinfo_read": h.bufinfo_read,
        "duration_s": round(snap.duration_s, 6),
        "unreadable": [unreadable_record(u) for u in h.unreadable],
    }


def confirmation_record(c: Confirmation) -> dict[str, Any]:
    return {
        "path": c.path,
        "note": c.note,
        "queues": [{"buf_type": q.buf_type, "buffers": q.buffers, "in_use": q.in_use,
                    "queued": q.queued, "done": q.done} for q in c.queues],
    }


def who_document(device: str | None = None, *, confirm: bool = True) -> dict[str, Any]:
    """``mediatui.who/1``: with ``device``, its holders, the QUERYBUF confirmation from
    a second handle and the dma-bufs inferred to come from it; without, every held node.
    Raises FileNotFoundError / :class:`NotADevice` for a bad ``device``."""
    roots = holders_roots()
    rdev = device_rdev(device, roots) if device is not None else None
    snap = take_snapshot(roots, rdev=rdev)
    h = snap.holders
    own = os.getpid() if roots is SYSTEM else None
    nodes: dict[int, list[NodeView]] = {}
    for n in h.nodes:
        # Mappings are found by path and kept whatever ``rdev`` asked: filter here.
        if n.pid != own and (rdev is None or n.rdev == rdev):
            nodes.setdefault(n.rdev, []).append(n)
    confirmation = None
    if device is not None and confirm and os.major(rdev or 0) == V4L2_MAJOR:
        # Imported here: it needs the V4L2 device layer, the rest of the scan does not.
        from core.holders.confirm import apply_confirmation, confirm_queue

        confirmation = confirm_queue(device)
        complete = not any(u.source == "fd" for u in h.unreadable) and not h.hidepid
        for r in nodes:
            nodes[r] = apply_confirmation(nodes[r], confirmation, complete)
    procs = {p.info.pid: p.info for p in h.processes}
    node_docs = []
    for r, views in sorted(nodes.items(), key=lambda kv: kv[1][0].path):
        node_docs.append({
            "path": views[0].path,
            "devnum": rdev_str(r),
            "parent": views[0].device,
            "holders": [
                {**process_record(procs.get(n.pid) or ProcessInfo(n.pid, "?", (), None, None)),
                 **{k: v for k, v in node_record(n).items()
                    if k not in ("pid", "path", "devnum", "parent")}}
                for n in sorted(views, key=lambda n: (not n.owns_queue, n.pid))
            ],
        })
    doc: dict[str, Any] = {
        "schema": WHO_SCHEMA,
        "path": device,
        "nodes": node_docs,
        "confirmation": confirmation_record(confirmation) if confirmation else None,
        "dmabufs": [],
        "scan": scan_record(snap),
    }
    if device is not None:
        paths = {device} | {v[0].path for v in nodes.values()}  # the fd links' names
        doc["dmabufs"] = [dmabuf_record(b) for b in h.dmabufs if b.exporter_node in paths]
    return doc


def dmabufs_document(pid: int | None = None) -> dict[str, Any]:
    """``mediatui.dmabufs/1``: every dma-buf (largest first) and every holder with
    fd-held, map-held and total bytes; ``pid`` keeps that process's."""
    snap = take_snapshot()
    h = snap.holders
    buffers = [b for b in h.dmabufs if pid is None or pid in b.holders()]
    processes = [p for p in h.processes if pid is None or p.info.pid == pid]
    processes = [p for p in processes if p.dmabufs or pid is not None]
    return {
        "schema": DMABUFS_SCHEMA,
        "pid": pid,
        "dmabufs": [dmabuf_record(b) for b in buffers],
        "processes": [process_holds_record(p) for p in processes],
        "total": totals(buffers),
        "scan": scan_record(snap),
    }


def totals(buffers: list[DmabufView]) -> dict[str, int]:
    """Counts and bytes: all, held by some fd, mapped somewhere, and held by nobody we
    could see (kernel references or processes we may not read)."""
    return {
        "count": len(buffers),
        "size_bytes": sum(b.size for b in buffers),
        "fd_held_bytes": sum(b.size for b in buffers if b.fd_holders),
        "mapped_bytes": sum(b.size for b in buffers if b.map_holders),
        "unattributed_bytes": sum(b.size for b in buffers if not b.held),
        "unattributed": sum(1 for b in buffers if not b.held),
    }


def node_holders_sentence(path: str) -> str | None:
    """Who else holds ``path`` (PID, command, user, owner or open), for the inspector;
    None when nobody else is seen or the scan could not run."""
    from core.holders.explain import holder_sentence

    try:
        return holder_sentence(path, holders_roots())
    except (OSError, ValueError):
        return None
