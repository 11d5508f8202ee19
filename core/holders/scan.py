"""One walk of /proc: device-node fds, dma-buf fds and mappings of every process.

The walk is what ``fuser -v`` does (list ``/proc/PID/fd``, ``readlink`` each entry,
``stat`` only the interesting ones) plus one read of ``/proc/PID/maps`` per process.
fds that are sockets, pipes, anon inodes other than dma-buf, or ordinary files cost one
``readlink`` and a prefix test.  Sources that cannot be read are recorded as
:class:`~core.holders.model.Unreadable`; a PID or fd that vanishes mid-walk is skipped
(counted in ``vanished``), never an error.

Sources: proc(5) (``/proc/PID/fd``, ``fdinfo``, ``maps``); dma-buf files are named
``/dmabuf:NAME`` since Linux 5.3 (``dmabuffs_dname``) and ``anon_inode:dmabuf`` before;
their inode's ``i_size`` is the buffer size (``dma_buf_getfile``).
"""

from __future__ import annotations

import errno as E
import os
import pwd
import threading
import time
from collections.abc import Iterable

from core.fdinfo import parse_fdinfo
from core.holders.bufinfo import parse_bufinfo, read_sysfs_exporters
from core.holders.model import (
    BufinfoEntry,
    DmabufFd,
    DmabufMap,
    NodeFd,
    NodeMap,
    ProcessInfo,
    RawScan,
    Unreadable,
)
from core.holders.roots import SYSTEM, ScanRoots, is_chr

# Character majors of the subsystems whose nodes we report (fixed ones; the dynamic
# "media" and "dma_heap" majors come from /proc/devices).
MEDIA_MAJOR_NAMES = ("video4linux", "dvb", "media", "dma_heap", "cec")
_NOT_MEDIA = ("/dev/null", "/dev/zero", "/dev/pts/", "/dev/tty", "/dev/ptmx", "/dev/urandom",
              "/dev/random", "/dev/kmsg", "/dev/console", "/dev/shm/", "/dev/fuse",
              "/dev/net/", "/dev/hvc", "/dev/vhost", "/dev/kvm", "/dev/full")
_GONE = (FileNotFoundError, ProcessLookupError)
_DMABUF_NAMES = ("/dmabuf:", "anon_inode:dmabuf")
_INTERESTING = ("/dev/", *_DMABUF_NAMES)


def _is_dmabuf_target(target: str) -> bool:
    return target.startswith(_DMABUF_NAMES)


def media_majors(roots: ScanRoots) -> set[int]:
    """Character majors of the media subsystems, from ``/proc/devices``; udmabuf is a
    misc device (major 10) and is recognised by path instead."""
    majors: set[int] = set()
    try:
        with open(os.path.join(roots.proc, "devices")) as f:
            text = f.read()
    except OSError:
        return {81, 212}
    block = text.split("Block devices:")[0]
    for line in block.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1] in MEDIA_MAJOR_NAMES:
            majors.add(int(parts[0]))
    return majors


def _hidepid(roots: ScanRoots) -> str | None:
    """hidepid= of the proc mount (proc(5)): other users' PIDs are invisible."""
    try:
        with open(os.path.join(roots.proc, "self", "mountinfo")) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 4 and fields[4] == "/proc" and " - proc " in line:
            for opt in fields[-1].split(","):
                if opt.startswith("hidepid=") and opt not in ("hidepid=0", "hidepid=off"):
                    return opt.partition("=")[2]
    return None


_users: dict[int, str | None] = {}


def user_name(uid: int | None) -> str | None:
    if uid is None:
        return None
    if uid not in _users:
        try:
            _users[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            _users[uid] = None
    return _users[uid]


def read_process(roots: ScanRoots, pid: int) -> ProcessInfo | None:
    """comm, argv and owner of ``pid``; None when it is gone."""
    base = os.path.join(roots.proc, str(pid))
    try:
        uid: int | None = os.stat(base).st_uid
        with open(os.path.join(base, "comm"), "rb") as f:
            comm = f.read().decode(errors="replace").rstrip("\n")
        with open(os.path.join(base, "cmdline"), "rb") as f:
            raw = f.read()
    except _GONE:
        return None
    except PermissionError:
        return ProcessInfo(pid, "?", (), None, None)
    argv = tuple(a.decode(errors="replace") for a in raw.split(b"\0")[:-1]) if raw else ()
    status_uid = _status_uid(base)
    if status_uid is not None:
        uid = status_uid
    return ProcessInfo(pid, comm, argv, uid, user_name(uid))


def _status_uid(base: str) -> int | None:
    # /proc/PID is owned by the real uid only for dumpable processes; Uid: is exact.
    try:
        with open(os.path.join(base, "status")) as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[2])  # effective uid
    except (OSError, ValueError, IndexError):
        return None
    return None


def _fdinfo(path: str) -> dict[str, str]:
    with open(path) as f:
        return parse_fdinfo(f.read())


def _int(value: str | None, base: int = 10) -> int | None:
    try:
        return int(value, base) if value else None
    except ValueError:
        return None


class _Walk:
    def __init__(self, roots: ScanRoots, majors: set[int], rdev: int | None) -> None:
        self.roots = roots
        self.majors = majors
        self.only_rdev = rdev
        self.node_fds: list[NodeFd] = []
        self.node_maps: list[NodeMap] = []
        self.dmabuf_fds: list[DmabufFd] = []
        self.dmabuf_maps: list[DmabufMap] = []
        self.unreadable: list[Unreadable] = []
        self.processes: dict[int, ProcessInfo] = {}
        self.vanished = 0
        self.denied_fd: set[int] = set()

    def merge(self, other: _Walk) -> None:
        """Take another thread's findings."""
        self.node_fds += other.node_fds
        self.node_maps += other.node_maps
        self.dmabuf_fds += other.dmabuf_fds
        self.dmabuf_maps += other.dmabuf_maps
        self.unreadable += other.unreadable
        self.vanished += other.vanished
        self.denied_fd |= other.denied_fd

    def _deny(self, source: str, pid: int | None, exc: OSError, why: str) -> None:
        name = E.errorcode.get(exc.errno or 0, str(exc.errno))
        self.unreadable.append(Unreadable(source, pid, name, why))

    def fds(self, pid: int) -> bool:
        """Walk one process's fds; False when the process is gone."""
        fd_dir = f"{self.roots.proc}/{pid}/fd"
        try:
            names = os.listdir(fd_dir)
        except _GONE:
            self.vanished += 1
            return False
        except PermissionError as exc:
            self.denied_fd.add(pid)
            self._deny("fd", pid, exc, "another user's process (needs root or CAP_SYS_PTRACE)")
            return True
        except OSError as exc:
            self.denied_fd.add(pid)
            self._deny("fd", pid, exc, f"{fd_dir} not listable")
            return True
        readlink = os.readlink
        prefix = fd_dir + "/"
        for name in names:
            try:
                target = readlink(prefix + name)
            except _GONE:
                continue
            except PermissionError as exc:
                self.denied_fd.add(pid)
                self._deny("fd", pid, exc, "fd links not readable (needs root or CAP_SYS_PTRACE)")
                return True
            # One test for the common case (sockets, pipes, eventfds, files).
            if not target.startswith(_INTERESTING):
                continue
            if target.startswith("/dev/"):
                # Asked about one node (who DEVICE), any character device may be it.
                if self.only_rdev is None and target.startswith(_NOT_MEDIA):
                    continue
                self._node_fd(pid, int(name), prefix + name, target)
            else:
                self._dmabuf_fd(pid, int(name), prefix + name)
        return True

    def _node_fd(self, pid: int, fd: int, link: str, target: str) -> None:
        try:
            st = self.roots.stat_fd(link, pid, fd)
        except PermissionError:
            return
        if st is None or not is_chr(st[0]):
            return
        rdev = st[1]
        # Media nodes always (the exporter inference needs every V4L2 node a process
        # has open, even for who DEVICE), and the asked-for node whatever it is.
        if (rdev != self.only_rdev and os.major(rdev) not in self.majors
                and not target.startswith("/dev/udmabuf")):
            return
        self.node_fds.append(NodeFd(pid, fd, target, rdev, (st[2], st[3])))

    def _dmabuf_fd(self, pid: int, fd: int, link: str) -> None:
        try:
            st = self.roots.stat_fd(link, pid, fd)
        except PermissionError:
            st = None
        try:
            info = _fdinfo(f"{self.roots.proc}/{pid}/fdinfo/{fd}")
        except _GONE:
            return
        except PermissionError as exc:
            self._deny("fdinfo", pid, exc, "fdinfo not readable")
            info = {}
        inode = _int(info.get("ino")) or (st[3] if st else None)
        if inode is None:
            return
        size = _int(info.get("size")) or (st[4] if st else 0) or 0
        self.dmabuf_fds.append(DmabufFd(
            pid, fd, inode, size, info.get("exp_name"), info.get("name") or None,
            _int(info.get("count")), _int(info.get("flags"), 8),
        ))

    def maps(self, pid: int) -> None:
        try:
            # Bytes: most processes map no dma-buf and no device, and their text is
            # then never decoded.
            with open(f"{self.roots.proc}/{pid}/maps", "rb") as f:
                data = f.read()
        except _GONE:
            return
        except PermissionError as exc:
            if pid not in self.denied_fd:
                self._deny("maps", pid, exc, "another user's process (needs root)")
            return
        except OSError as exc:
            self._deny("maps", pid, exc, "maps not readable")
            return
        if b"dmabuf" not in data and b" /dev/" not in data:
            return
        for raw in data.splitlines():
            if b"dmabuf" not in raw and b" /dev/" not in raw:
                continue
            parts = raw.decode(errors="replace").split(None, 5)
            if len(parts) < 6:
                continue
            span, _perms, offset, dev, inode, path = parts
            path = path.removesuffix(" (deleted)")
            lo, _, hi = span.partition("-")
            start, end, off = int(lo, 16), int(hi, 16), int(offset, 16)
            if _is_dmabuf_target(path):
                self.dmabuf_maps.append(DmabufMap(pid, int(inode), start, end, off))
            elif path.startswith("/dev/") and not path.startswith(_NOT_MEDIA):
                major, _, minor = dev.partition(":")
                dev_no = os.makedev(int(major, 16), int(minor, 16))
                self.node_maps.append(
                    NodeMap(pid, path, (dev_no, int(inode)), start, end, off)
                )


def _walk_pids(walk: _Walk, pids: list[int], polite: bool = False) -> None:
    for n, pid in enumerate(pids):
        if walk.fds(pid):
            walk.maps(pid)
        if polite and n % 8 == 7:
            time.sleep(0)  # hand the interpreter to the UI thread between processes


def scan(
    roots: ScanRoots = SYSTEM,
    *,
    pids: Iterable[int] | None = None,
    rdev: int | None = None,
    debugfs: bool = True,
    threads: int = 4,
    polite: bool = False,
) -> RawScan:
    """Walk every process (or ``pids``) once.

    ``rdev`` adds one node of any kind (``who DEVICE``: ``fuser``'s question) to the
    media nodes; dma-bufs are always collected.  ``debugfs=False`` skips bufinfo (the
    EBUSY explanation needs none).  ``threads`` walk interleaved slices of the PIDs;
    ``polite`` walks on one thread and yields the interpreter every few processes (a UI
    thread sharing the process then keeps its keypress latency).
    Returns a :class:`RawScan`; raises OSError only when the proc root itself cannot be
    listed.
    """
    roots.refresh()
    majors = media_majors(roots)
    pid_list = list(pids) if pids is not None else roots.pids()
    # The walk is syscalls (readlink, listdir, read of maps), which release the GIL:
    # a few threads over interleaved slices of the PIDs overlap them.
    workers = max(1, min(threads, len(pid_list) // 64))
    walks = [_Walk(roots, majors, rdev) for _ in range(workers)]
    if polite:
        workers = 1
        walks = walks[:1]
    if workers == 1:
        _walk_pids(walks[0], pid_list, polite)
    else:
        runners = [threading.Thread(target=_walk_pids, args=(w, pid_list[i::workers]))
                   for i, w in enumerate(walks)]
        for t in runners:
            t.start()
        for t in runners:
            t.join()
    walk = walks[0]
    for other in walks[1:]:
        walk.merge(other)
    holders = {r.pid for r in walk.node_fds} | {r.pid for r in walk.node_maps}
    holders |= {r.pid for r in walk.dmabuf_fds} | {r.pid for r in walk.dmabuf_maps}
    for pid in sorted(holders):
        info = read_process(roots, pid)
        if info is None:
            walk.vanished += 1
            info = ProcessInfo(pid, "?", (), None, None)
        walk.processes[pid] = info
    bufinfo = None
    exporters = None
    if debugfs:
        bufinfo, exporters = _kernel_lists(roots, walk)
    # Our own PID, when the proc root is the live one (recorded trees have none).
    self_pid = os.getpid() if os.path.realpath(roots.proc) == "/proc" else None
    return RawScan(
        processes=walk.processes,
        node_fds=tuple(walk.node_fds),
        node_maps=tuple(walk.node_maps),
        dmabuf_fds=tuple(walk.dmabuf_fds),
        dmabuf_maps=tuple(walk.dmabuf_maps),
        bufinfo=bufinfo,
        sysfs_exporters=exporters,
        unreadable=tuple(walk.unreadable),
        pids_seen=len(pid_list),
        vanished=walk.vanished,
        hidepid=_hidepid(roots),
        self_pid=self_pid,
        media_majors=frozenset(majors),
        only_rdev=rdev,
    )


def _kernel_lists(
    roots: ScanRoots, walk: _Walk
) -> tuple[dict[int, BufinfoEntry] | None, dict[int, str] | None]:
    path = os.path.join(roots.debugfs, "dma_buf", "bufinfo")
    try:
        with open(path) as f:
            return parse_bufinfo(f.read()), None
    except FileNotFoundError as exc:
        walk._deny("bufinfo", None, exc,
                   f"{path} missing: debugfs not mounted (mount -t debugfs none "
                   f"{roots.debugfs}) or CONFIG_DEBUG_FS off; attachments unknown")
    except PermissionError as exc:
        walk._deny("bufinfo", None, exc, f"{path}: debugfs is root-only; attachments unknown")
    buffers = os.path.join(roots.sysfs, "kernel", "dmabuf", "buffers")
    try:
        return None, read_sysfs_exporters(buffers)
    except OSError as exc:
        walk._deny("sysfs-buffers", None, exc, f"{buffers} not readable (optional)")
    return None, None
