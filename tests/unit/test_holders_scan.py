"""The holders scan and join on a /proc + debugfs tree recorded in the kernel-tier VM
(tests/kernel/test_holders.py, scripts/record_holders_tree.py): a helper process (PID
156) holding vivid exports by fd only, by mapping only, imported into vim2m and into a
dma-contig queue, a system-heap buffer (fd + mapping) and a udmabuf."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from core.holders import ScanRoots, holder_sentence, join, scan
from core.holders.bufinfo import parse_bufinfo
from core.holders.model import ProcessInfo
from core.holders.text import command_line

TREE = Path(__file__).parent / "data" / "holders" / "vm-helper"
PID = int(next(p.name for p in (TREE / "proc").iterdir() if p.name.isdigit()))


def roots(base: Path = TREE) -> ScanRoots:
    return ScanRoots(proc=str(base / "proc"), debugfs=str(base / "debug"),
                     sysfs=str(base / "sys"))


@pytest.fixture(scope="module")
def holders():  # type: ignore[no-untyped-def]
    r = roots()
    return join(scan(r), r)


def test_bufinfo_parses_every_object_with_attachments() -> None:
    """Every object of 6.1's bufinfo, sizes and exporters as printed; the dma-contig
    importer's attachment (vivid.0) is there, vim2m's vmalloc import attaches nothing."""
    entries = parse_bufinfo((TREE / "debug" / "dma_buf" / "bufinfo").read_text())
    assert len(entries) == 6
    assert {e.exp_name for e in entries.values()} == {
        "videobuf2_vmalloc", "videobuf2_dma_contig", "system", "udmabuf"}
    (contig,) = [e for e in entries.values() if e.exp_name == "videobuf2_dma_contig"]
    assert contig.attached == ("vivid.0",)
    assert all(e.attached == () for e in entries.values() if e is not contig)
    assert all(e.name is None for e in entries.values())


def test_every_kind_of_hold_is_told_apart(holders) -> None:  # type: ignore[no-untyped-def]
    bufs = {b.inode: b for b in holders.dmabufs}
    assert len(bufs) == 6
    vmalloc = [b for b in bufs.values() if b.exp_name == "videobuf2_vmalloc"]
    map_only = [b for b in vmalloc if b.map_holders and not b.fd_holders]
    fd_only = [b for b in vmalloc if b.fd_holders and not b.map_holders]
    assert len(map_only) == 1 and len(fd_only) == 2
    # the one imported into vim2m: one reference more than its fd (vb2's import)
    assert sorted(b.other_refs for b in fd_only) == [0, 1]
    assert map_only[0].map_holders[0].pid == PID and map_only[0].other_refs == 0
    (heap,) = [b for b in bufs.values() if b.exp_name == "system"]
    assert heap.size == 1 << 20 and heap.map_holders and len(heap.fd_holders[0].fds) == 2
    (udma,) = [b for b in bufs.values() if b.exp_name == "udmabuf"]
    assert udma.size == 64 << 10 and not udma.map_holders
    assert all(b.attached is not None for b in bufs.values())  # bufinfo was read
    # largest first
    assert [b.size for b in holders.dmabufs] == sorted((b.size for b in bufs.values()),
                                                       reverse=True)


def test_process_totals_count_each_buffer_once(holders) -> None:  # type: ignore[no-untyped-def]
    (proc,) = holders.processes
    assert proc.info.pid == PID and proc.info.user == "root"
    sizes = {b.inode: b.size for b in holders.dmabufs}
    assert proc.total_bytes == sum(sizes.values())
    # the heap buffer is held by fd and by mapping: counted in both, once in the total
    map_only = sum(b.size for b in holders.dmabufs if not b.fd_holders)
    assert proc.fd_bytes == proc.total_bytes - map_only
    assert proc.map_dmabufs == 2 and proc.fd_dmabufs == 5


def test_exporter_is_not_guessed_when_proc_cannot_tell(holders) -> None:  # type: ignore[no-untyped-def]
    """Four V4L2 nodes open, none mapped: the candidates are named, no node is claimed,
    and the nodes are only "open", with the dma-bufs as stated evidence."""
    for b in holders.dmabufs:
        if b.exp_name and b.exp_name.startswith("videobuf2"):
            assert b.exporter_node is None and "one of /dev/video" in b.exporter_evidence
    assert len(holders.nodes) == 4
    assert not any(n.owns_queue for n in holders.nodes)
    assert all("/proc does not say which" in n.evidence[0] for n in holders.nodes)
    assert {n.device for n in holders.nodes} == {"vivid.0", "vim2m.0"}


def test_one_node_scan_and_sentence() -> None:
    r = roots()
    st = r.stat_path("/dev/video7")
    assert st is not None
    h = join(scan(r, rdev=st[1], debugfs=False), r)
    # every media node is still collected (the exporter inference needs them all)
    assert [n.path for n in h.nodes if n.rdev == st[1]] == ["/dev/video7"]
    assert len(h.nodes) == 4
    sentence = holder_sentence("/dev/video7", r)
    assert sentence is not None
    assert f"PID {PID} `" in sentence and "(root)" in sentence
    # without debugfs the mapped-only buffer has no exporter name: 3 are known vb2 ones
    assert "which has it open (and holds 3 videobuf2 dma-bufs from one of" in sentence
    assert holder_sentence("/dev/video0", r) is None  # not in the tree: no device


def _copy(tmp_path: Path) -> Path:
    base = tmp_path / "tree"
    shutil.copytree(TREE, base, symlinks=True)
    # a second process, a copy of the first
    shutil.copytree(base / "proc" / str(PID), base / "proc" / "2000", symlinks=True)
    table = json.loads((base / "proc" / ".stat.json").read_text())
    table.update({k.replace(f"{PID}/", "2000/", 1): v for k, v in table.items()
                  if k.startswith(f"{PID}/")})
    (base / "proc" / ".stat.json").write_text(json.dumps(table))
    return base


def test_a_pid_vanishing_mid_walk_is_not_an_error(tmp_path: Path) -> None:
    """PID 2000 exits after its first fd was looked at; a listed PID that is already
    gone; both are counted as vanished, the other process is complete."""
    base = _copy(tmp_path)

    class Vanishing(ScanRoots):
        def pids(self) -> list[int]:
            return [2000, PID, 31337]

        def stat_fd(self, link: str, pid: int, fd: int):  # type: ignore[no-untyped-def]
            st = super().stat_fd(link, pid, fd)
            if pid == 2000:
                shutil.rmtree(base / "proc" / "2000", ignore_errors=True)
            return st

    r = Vanishing(proc=str(base / "proc"), debugfs=str(base / "debug"),
                  sysfs=str(base / "sys"))
    raw = scan(r)
    assert raw.vanished >= 2 and raw.unreadable == ()
    h = join(raw, r)
    full = next(p for p in h.processes if p.info.pid == PID)
    assert full.fd_dmabufs == 5 and full.map_dmabufs == 2


def test_unreadable_sources_are_reported_not_empty(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    base = _copy(tmp_path)
    real = os.listdir

    def listdir(path: str) -> list[str]:
        if path.endswith("/2000/fd"):
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "listdir", listdir)
    (base / "debug" / "dma_buf" / "bufinfo").unlink()
    r = roots(base)
    h = join(scan(r), r)
    assert {(u.source, u.pid, u.errno_name) for u in h.unreadable} >= {
        ("fd", 2000, "EACCES"), ("bufinfo", None, "ENOENT")}
    assert not h.bufinfo_read
    assert all(b.attached is None for b in h.dmabufs)  # unknown, not "none"
    # 2000's maps are readable: its mapped buffers are still attributed to it
    assert any(m.pid == 2000 for b in h.dmabufs for m in b.map_holders)


def test_hostile_command_lines_are_escaped() -> None:
    info = ProcessInfo(1, "x", ("evil\x1b[2J", "\u202eabc"), 0, "root")
    assert command_line(info) == "evil\\x1b[2J \\u202eabc"
    assert command_line(ProcessInfo(2, "kworker/0:1", (), 0, "root")) == "[kworker/0:1]"


def test_hidepid_is_reported(tmp_path: Path) -> None:
    """/proc mounted with hidepid=invisible: the scan says so, and the EBUSY sentence
    says other users' processes could not be seen instead of blaming nobody."""
    base = _copy(tmp_path)
    (base / "proc" / "self" / "mountinfo").write_text(
        "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc "
        "rw,hidepid=invisible\n")
    shutil.rmtree(base / "proc" / str(PID))
    shutil.rmtree(base / "proc" / "2000")
    r = roots(base)
    assert scan(r).hidepid == "invisible"
    sentence = holder_sentence("/dev/video7", r)
    assert sentence is not None and "hidepid=invisible" in sentence


def test_who_and_dmabufs_text_escape_process_text(capsys: pytest.CaptureFixture[str]) -> None:
    from mediatui.verbs.dmabufs_ import print_dmabufs
    from mediatui.verbs.who_ import print_who

    holder = {"pid": 7, "role": "has it open", "fds": [3], "command": "evil\\x1b[2J",
              "user": "\u202eroot", "evidence": ["fd: /dev/video0 open"]}
    print_who({"path": None, "nodes": [{"path": "/dev/video0", "devnum": "81:0",
                                          "parent": "vivid\x1b.0", "holders": [holder]}],
               "confirmation": None, "dmabufs": [],
               "scan": {"unreadable": [], "hidepid": None}})
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "vivid\\x1b.0" in out and "\\u202eroot" in out
    print_dmabufs({"processes": [], "dmabufs": [{
        "inode": 1, "size_bytes": 4096, "exp_name": "evil\x07", "exporter_node": None,
        "fd_holders": [{"pid": 7, "fds": [3]}], "map_holders": [], "attached": None}],
        "total": {"count": 1, "size_bytes": 4096, "fd_held_bytes": 4096,
                  "mapped_bytes": 0, "unattributed_bytes": 0, "unattributed": 0},
        "scan": {"unreadable": [], "hidepid": None}})
    out = capsys.readouterr().out
    assert "evil\\x07" in out and "dma-buf total: 1 buffers, 4.0 KiB" in out


V4L2CTL = Path(__file__).parent / "data" / "holders" / "vm-v4l2ctl"


def test_v4l2_ctl_owns_the_queue_by_its_mappings() -> None:
    """`v4l2-ctl --stream-mmap` recorded in the VM: four mappings of /dev/video7 (all
    at offset 0: vb2_mmap zeroes vm_pgoff) make it the queue owner; its media node is
    merely open; the EBUSY sentence is the one the issue asks for."""
    r = roots(V4L2CTL)
    h = join(scan(r), r)
    by_path = {n.path: n for n in h.nodes}
    assert set(by_path) == {"/dev/video7", "/dev/media4"}
    video = by_path["/dev/video7"]
    assert video.owns_queue and video.buffers_mapped == 4 and video.fds == (3,)
    assert video.evidence == ("maps: 4 buffers of /dev/video7 mapped",)
    assert not by_path["/dev/media4"].owns_queue
    pid = video.pid
    assert holder_sentence("/dev/video7", r) == (
        f"/dev/video7 is held by PID {pid} `/bin/v4l2-ctl -d /dev/video7 --stream-mmap` "
        "(root), which has 4 of its buffers mapped: it owns the queue.")
