"""Join a :class:`~core.holders.model.RawScan` by inode, as Android's ``dmabuf_dump``
does: per dma-buf, who holds it by fd and by mapping and which devices are attached;
per process, fd-held and map-held totals (each buffer counted once per process); per
device node, who has it open and who owns its buffer queue.

Queue ownership is inferred, and every conclusion keeps its evidence (see
:func:`_role`): videobuf2 gives the queue to the file handle that allocated buffers
(``vb2_queue_is_busy``, drivers/media/common/videobuf2/videobuf2-v4l2.c), and only that
handle can mmap (``vb2_fop_mmap``) or export (``vb2_ioctl_expbuf``) them, so a process
with the node's buffers mapped or exported owns the queue.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

from core.holders.model import ProcessInfo, RawScan, Unreadable
from core.holders.roots import ScanRoots, is_chr

# exp_name of the videobuf2 memory allocators (KBUILD_MODNAME of each).
VB2_EXPORTERS = ("videobuf2_vmalloc", "videobuf2_dma_contig", "videobuf2_dma_sg")
V4L2_MAJOR = 81


@dataclass(frozen=True, slots=True)
class FdHold:
    pid: int
    fds: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MapHold:
    pid: int
    mappings: int
    mapped_bytes: int


@dataclass(frozen=True, slots=True)
class DmabufView:
    """One dma-buf, joined across processes and the kernel's list."""

    inode: int
    size: int  # bytes; from fdinfo/stat, else bufinfo, else the largest mapping
    exp_name: str | None
    name: str | None
    count: int | None  # the kernel's file refcount (fds + mappings + kernel refs)
    fd_holders: tuple[FdHold, ...]
    map_holders: tuple[MapHold, ...]
    attached: tuple[str, ...] | None  # None: bufinfo unreadable, unknown
    # count minus the fds and mappings we saw: references held by the kernel (an
    # importing queue, a driver) or by processes we could not read.
    other_refs: int | None
    exporter_node: str | None
    exporter_evidence: str | None

    @property
    def held(self) -> bool:
        return bool(self.fd_holders or self.map_holders)

    def holders(self) -> set[int]:
        return {h.pid for h in self.fd_holders} | {h.pid for h in self.map_holders}


@dataclass(frozen=True, slots=True)
class NodeView:
    """One process's hold on one device node, with the queue-owner conclusion."""

    path: str
    rdev: int
    device: str | None  # parent device's name in sysfs ("vivid.0", "vim2m")
    pid: int
    fds: tuple[int, ...]
    buffers_mapped: int  # mappings of this node: one per mmapped buffer (plane if mplane)
    exports_held: int  # vb2 dma-bufs held by this process and attributed to this node
    owns_queue: bool
    evidence: tuple[str, ...]

    @property
    def role(self) -> str:
        return "owns the queue" if self.owns_queue else "has it open"


@dataclass(frozen=True, slots=True)
class ProcessView:
    info: ProcessInfo
    fd_bytes: int
    map_bytes: int
    total_bytes: int  # every dma-buf held by fd or mapping, once
    fd_dmabufs: int
    map_dmabufs: int
    dmabufs: tuple[int, ...]  # inodes, largest first
    nodes: tuple[NodeView, ...]


@dataclass(frozen=True, slots=True)
class Holders:
    """The joined view of one scan."""

    dmabufs: tuple[DmabufView, ...]  # largest first
    processes: tuple[ProcessView, ...]  # largest total first
    nodes: tuple[NodeView, ...]
    unreadable: tuple[Unreadable, ...]
    bufinfo_read: bool
    pids_seen: int
    vanished: int
    hidepid: str | None

    @property
    def total_bytes(self) -> int:
        return sum(b.size for b in self.dmabufs)

    def dmabuf(self, inode: int) -> DmabufView | None:
        return next((b for b in self.dmabufs if b.inode == inode), None)


def node_device(roots: ScanRoots, rdev: int) -> str | None:
    """Name of the device a char node hangs off (``/sys/dev/char/M:m/device``)."""
    link = os.path.join(roots.sysfs, "dev", "char",
                        f"{os.major(rdev)}:{os.minor(rdev)}", "device")
    try:
        return os.path.basename(os.readlink(link))
    except OSError:
        return None


def join(raw: RawScan, roots: ScanRoots) -> Holders:
    """Build the views; pure apart from reading sysfs device links of held nodes."""
    sizes: dict[int, int] = {}
    meta: dict[int, tuple[str | None, str | None, int | None]] = {}
    fd_by: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in raw.dmabuf_fds:
        fd_by[r.inode][r.pid].append(r.fd)
        if r.size:
            sizes[r.inode] = r.size
        meta[r.inode] = (r.exp_name, r.name, r.count)
    map_by: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for m in raw.dmabuf_maps:
        map_by[m.inode][m.pid].append(m.size)
    bufinfo = raw.bufinfo or {}
    inodes = set(fd_by) | set(map_by) | set(bufinfo)

    # Node fds and maps per (pid, node file).
    rdev_of: dict[tuple[int, int], int] = {}
    path_of: dict[int, str] = {}
    node_fds: dict[tuple[int, int], list[int]] = defaultdict(list)
    for n in raw.node_fds:
        rdev_of[n.dev_ino] = n.rdev
        path_of.setdefault(n.rdev, n.path)
        node_fds[(n.pid, n.rdev)].append(n.fd)
    # vb2_mmap sets vm_pgoff to 0 (the offset is only a cookie), so maps shows offset 0
    # for every buffer: count distinct mappings by start address.
    node_offsets: dict[tuple[int, int], set[int]] = defaultdict(set)
    for nm in raw.node_maps:
        rdev = rdev_of.get(nm.dev_ino)
        if rdev is None:
            # Mapped, but no fd on it in any process we read: stat the path once.
            st = roots.stat_path(nm.path)
            if st is None or (st[2], st[3]) != nm.dev_ino or not is_chr(st[0]):
                continue  # not a node we report (or renamed since)
            wanted = (st[1] == raw.only_rdev if raw.only_rdev is not None
                      else os.major(st[1]) in raw.media_majors)
            if not wanted:
                continue  # a GPU or other device's mapping
            rdev = rdev_of[nm.dev_ino] = st[1]
            path_of.setdefault(rdev, nm.path)
        node_offsets[(nm.pid, rdev)].add(nm.start)
    devices = {rdev: node_device(roots, rdev) for rdev in path_of}
    v4l2_by_pid: dict[int, list[int]] = defaultdict(list)
    for (pid, rdev) in set(node_fds) | set(node_offsets):
        if os.major(rdev) == V4L2_MAJOR:
            v4l2_by_pid[pid].append(rdev)

    views: list[DmabufView] = []
    for inode in inodes:
        info = bufinfo.get(inode)
        exp_name, name, count = meta.get(inode, (None, None, None))
        if info is not None:
            exp_name = exp_name or info.exp_name
            name = name or info.name
            count = info.count if count is None else count
        elif raw.sysfs_exporters and exp_name is None:
            exp_name = raw.sysfs_exporters.get(inode)
        size = sizes.get(inode) or (info.size if info else 0)
        if not size and inode in map_by:
            size = max(s for spans in map_by[inode].values() for s in spans)
        attached = info.attached if info is not None else (() if raw.bufinfo is not None
                                                           else None)
        holders = set(fd_by.get(inode, {})) | set(map_by.get(inode, {}))
        exporter, evidence = _exporter(exp_name, holders, v4l2_by_pid, path_of,
                                       node_offsets)
        views.append(DmabufView(
            inode=inode, size=size, exp_name=exp_name, name=name, count=count,
            fd_holders=tuple(FdHold(p, tuple(sorted(f))) for p, f in
                             sorted(fd_by.get(inode, {}).items())),
            map_holders=tuple(MapHold(p, len(s), sum(s)) for p, s in
                              sorted(map_by.get(inode, {}).items())),
            attached=attached, exporter_node=exporter, exporter_evidence=evidence,
            other_refs=None if count is None else max(0, count - sum(
                len(f) for f in fd_by.get(inode, {}).values()) - sum(
                len(s) for s in map_by.get(inode, {}).values())),
        ))
    views.sort(key=lambda b: (-b.size, b.inode))

    exports: dict[tuple[int, str], int] = defaultdict(int)
    vague: dict[int, int] = defaultdict(int)  # vb2 dma-bufs of unknown node, per holder
    for b in views:
        for pid in b.holders():
            if b.exporter_node is not None:
                exports[(pid, b.exporter_node)] += 1
            elif b.exp_name and b.exp_name.startswith(VB2_EXPORTERS):
                vague[pid] += 1
    nodes: list[NodeView] = []
    for key in sorted(set(node_fds) | set(node_offsets)):
        pid, rdev = key
        path = path_of[rdev]
        mapped = len(node_offsets.get(key, ()))
        exported = exports.get((pid, path), 0)
        owns, role_evidence = _role(path, mapped, exported, bool(node_fds.get(key)),
                               vague.get(pid, 0) if os.major(rdev) == V4L2_MAJOR else 0)
        nodes.append(NodeView(path, rdev, devices.get(rdev), pid, tuple(sorted(
            node_fds.get(key, ()))), mapped, exported, owns, role_evidence))

    processes = _processes(raw, views, nodes)
    return Holders(tuple(views), processes, tuple(nodes), raw.unreadable,
                   raw.bufinfo is not None, raw.pids_seen, raw.vanished, raw.hidepid)


def _exporter(
    exp_name: str | None,
    holders: set[int],
    v4l2_by_pid: dict[int, list[int]],
    path_of: dict[int, str],
    node_offsets: dict[tuple[int, int], set[int]],
) -> tuple[str | None, str | None]:
    """Which node exported a videobuf2 dma-buf.  The kernel records only the
    allocator's name, so this is an inference from the holders' open V4L2 nodes: when
    they have exactly one open, or exactly one whose buffers they have mapped (the
    queue they own).  Attachments cannot narrow it: an importer may hang off the same
    device as the exporter (vivid.0), so otherwise the candidates are listed."""
    if exp_name is None or not exp_name.startswith(VB2_EXPORTERS):
        return None, None
    candidates: set[int] = set()
    for pid in holders:
        candidates.update(v4l2_by_pid.get(pid, ()))
    if len(candidates) > 1:
        owning = {r for r in candidates if any(node_offsets.get((p, r)) for p in holders)}
        if len(owning) == 1:
            (rdev,) = owning
            return path_of[rdev], (f"inferred: exported by {exp_name}; of its holders' "
                                   "V4L2 nodes only this one has buffers mapped")
    if len(candidates) == 1:
        (rdev,) = candidates
        return path_of[rdev], (f"inferred: exported by {exp_name}; the only V4L2 node "
                               "its holders have open")
    if candidates:
        paths = ", ".join(sorted(path_of[r] for r in candidates))
        return None, f"exported by {exp_name} from one of {paths}"
    return None, f"exported by {exp_name}; no holder we could read has its node open"


def _role(path: str, mapped: int, exported: int, has_fd: bool,
          vague: int = 0) -> tuple[bool, tuple[str, ...]]:
    evidence: list[str] = []
    if vague and not mapped and not exported:
        evidence.append(f"fds/maps: holds {vague} videobuf2 dma-buf{'s' * (vague != 1)} "
                        "from one of its V4L2 nodes, /proc does not say which")
    if mapped:
        evidence.append(f"maps: {mapped} buffer{'s' * (mapped != 1)} of {path} mapped")
    if exported:
        evidence.append(f"fds/maps: holds {exported} dma-buf{'s' * (exported != 1)} "
                        f"exported from {path} (inferred exporter)")
    if not has_fd:
        evidence.append("no fd on the node left: the mappings keep its file open")
    if not mapped and not exported:
        evidence.append(f"fd: {path} open, no buffer of it mapped or known exported")
    return bool(mapped or exported), tuple(evidence)


def _processes(
    raw: RawScan, views: list[DmabufView], nodes: list[NodeView]
) -> tuple[ProcessView, ...]:
    by_fd: dict[int, list[DmabufView]] = defaultdict(list)
    by_map: dict[int, list[DmabufView]] = defaultdict(list)
    for b in views:
        for h in b.fd_holders:
            by_fd[h.pid].append(b)
        for m in b.map_holders:
            by_map[m.pid].append(b)
    nodes_by: dict[int, list[NodeView]] = defaultdict(list)
    for n in nodes:
        nodes_by[n.pid].append(n)
    out: list[ProcessView] = []
    for pid in set(by_fd) | set(by_map) | set(nodes_by):
        info = raw.processes.get(pid) or ProcessInfo(pid, "?", (), None, None)
        held = {b.inode: b for b in by_fd[pid] + by_map[pid]}
        ordered = sorted(held.values(), key=lambda b: (-b.size, b.inode))
        out.append(ProcessView(
            info=info,
            fd_bytes=sum(b.size for b in by_fd[pid]),
            map_bytes=sum(b.size for b in by_map[pid]),
            total_bytes=sum(b.size for b in ordered),
            fd_dmabufs=len(by_fd[pid]),
            map_dmabufs=len(by_map[pid]),
            dmabufs=tuple(b.inode for b in ordered),
            nodes=tuple(nodes_by[pid]),
        ))
    out.sort(key=lambda p: (-p.total_bytes, p.info.pid))
    return tuple(out)
