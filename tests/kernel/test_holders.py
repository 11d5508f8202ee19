"""Who holds it, on the real drivers: `mediatui who` and `mediatui dmabufs`.

One scenario per test; all on the default boot.  The first test also records a small
/proc + debugfs tree (scripts/record_holders_tree.py) into the run directory, the
fast tier's fixture (tests/unit/data/holders/).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.service import jsondoc
from kernel import vm

REPO = Path(__file__).resolve().parents[2]
HELPER = Path(__file__).with_name("holders_helper.py")

if not vm.in_vm():
    import compileall

    compileall.compile_dir(REPO / "core", quiet=2)
    compileall.compile_dir(REPO / "mediatui", quiet=2)


def _mediatui(*args: str, user: str | None = None, timeout: float = 240) -> Any:
    argv = [sys.executable, "-m", "mediatui", *args]
    if user:
        argv = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          check=False)
    return proc


def _doc(*args: str, user: str | None = None) -> dict[str, Any]:
    proc = _mediatui(*args, "--json", user=user)
    assert proc.returncode == 0, f"mediatui {' '.join(args)} failed:\n{proc.stderr}"
    doc = json.loads(proc.stdout)
    assert jsondoc.validate(doc) == args[0]  # the shipped schema, through the contract
    return doc


@pytest.fixture(scope="module", autouse=True)
def _debugfs() -> None:
    """bufinfo is the only source of attachments: mount debugfs if the guest has not."""
    if not os.path.exists("/sys/kernel/debug/dma_buf/bufinfo"):
        subprocess.run(["mount", "-t", "debugfs", "none", "/sys/kernel/debug"], check=False)


def _wait(pred: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_who_names_the_streaming_v4l2_ctl(vivid_cap: str) -> None:
    """v4l2-ctl --stream-mmap in the background: `who DEVICE` names its PID and command
    and marks it as the queue owner with its mapped buffers as evidence, QUERYBUF from a
    second handle agrees, and `mediatui stream` fails with EBUSY naming that PID."""
    exe = shutil.which("v4l2-ctl")
    assert exe, "v4l2-ctl missing: apt-get install v4l-utils"
    ctl = subprocess.Popen([exe, "-d", vivid_cap, "--stream-mmap"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def owner() -> dict[str, Any] | None:
            doc = _doc("who", vivid_cap)
            allocated = sum(q["buffers"] for q in (doc["confirmation"] or {}).get("queues", []))
            for node in doc["nodes"]:
                for h in node["holders"]:
                    # v4l2-ctl maps its buffers one by one: wait for all of them.
                    if h["pid"] == ctl.pid and h["owns_queue"] and allocated and \
                            h["buffers_mapped"] == allocated:
                        return {"doc": doc, "holder": h}
            return None

        found = _wait(owner, "v4l2-ctl to map its buffers")
        _record_fixture(ctl.pid, "holders-fixture-v4l2ctl")
        h = found["holder"]
        print(json.dumps(found["doc"], indent=1))
        assert h["cmdline"][:3] == [exe, "-d", vivid_cap] or "v4l2-ctl" in h["command"]
        assert h["user"] == "root"
        assert h["buffers_mapped"] >= 2
        assert any(e.startswith("maps:") for e in h["evidence"])
        conf = found["doc"]["confirmation"]
        assert conf["queues"] and conf["queues"][0]["buffers"] >= h["buffers_mapped"]
        assert conf["queues"][0]["in_use"] == conf["queues"][0]["buffers"]
        text = _mediatui("who", vivid_cap)
        assert f"PID {ctl.pid}" in text.stdout and "owns the queue" in text.stdout

        busy = _mediatui("stream", vivid_cap, "--count", "1")
        print(busy.stderr)
        assert busy.returncode != 0, busy.stderr
        assert "EBUSY" in busy.stderr and f"PID {ctl.pid}" in busy.stderr
        assert "owns the queue" in busy.stderr
    finally:
        ctl.terminate()
        ctl.wait(timeout=60)


def _buffer(doc: dict[str, Any], inode: int) -> dict[str, Any] | None:
    return next((b for b in doc["dmabufs"] if b["inode"] == inode), None)


def test_dmabufs_attributes_every_kind_of_hold(
    vivid_cap: str, vim2m: str, vivid_cap_contig: str, node_by_name: Any
) -> None:
    """A helper keeps vivid exports by fd only, by mapping only, imported into vim2m and
    into a dma-contig queue, plus heap and udmabuf allocations: `dmabufs --json`
    attributes each to it with the right hold, size and exporter, shows the attachment
    where bufinfo has one (the dma-contig importer; vim2m's vmalloc importer takes only a
    reference, seen as other_refs); `who` confirms the queue owner by QUERYBUF; orphans
    survive REQBUFS(0); after the helper exits nothing of it remains; as nobody the scan
    says what it could not read."""
    contig_out = node_by_name("vivid-002-vid-out")
    helper = subprocess.Popen([sys.executable, str(HELPER), vivid_cap, vim2m,
                               vivid_cap_contig, contig_out],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=REPO)
    assert helper.stdout and helper.stdin
    try:
        facts = json.loads(helper.stdout.readline())
        pid = facts["pid"]
        _record_fixture(pid, "holders-fixture")
        doc = _doc("dmabufs")
        print(json.dumps(doc, indent=1))
        by_fd, by_map = _buffer(doc, facts["by_fd"]), _buffer(doc, facts["by_map"])
        imported, heap = _buffer(doc, facts["imported"]), _buffer(doc, facts["heap"])
        udma = _buffer(doc, facts["udmabuf"])
        assert by_fd and by_map and imported and heap and udma, doc["dmabufs"]
        assert [h["pid"] for h in by_fd["fd_holders"]] == [pid] and not by_fd["map_holders"]
        assert not by_map["fd_holders"] and [h["pid"] for h in by_map["map_holders"]] == [pid]
        assert by_fd["size_bytes"] == by_map["size_bytes"] == facts["vivid_size"]
        assert by_fd["exp_name"] == by_map["exp_name"] == "videobuf2_vmalloc"
        assert [h["pid"] for h in heap["fd_holders"]] == [pid]
        assert [h["pid"] for h in heap["map_holders"]] == [pid]
        assert heap["size_bytes"] == facts["heap_size"] and heap["exp_name"] == "system"
        assert udma["size_bytes"] == facts["udmabuf_size"] and udma["exp_name"] == "udmabuf"
        assert imported["attached"] == [] and imported["other_refs"] == 1, imported
        contig = _buffer(doc, facts["attached"])
        assert contig and contig["attached"] == ["vivid.0"], contig
        assert contig["exp_name"] == "videobuf2_dma_contig"
        assert by_fd["other_refs"] == by_map["other_refs"] == 0
        # Four V4L2 nodes open in one process: /proc cannot say which exported what.
        assert by_fd["exporter_node"] is None and vivid_cap in by_fd["exporter_evidence"]
        proc = next(p for p in doc["processes"] if p["pid"] == pid)
        assert proc["total_bytes"] == (3 * facts["vivid_size"] + facts["heap_size"]
                                       + facts["udmabuf_size"] + facts["attached_size"])
        assert proc["map_bytes"] == facts["vivid_size"] + facts["heap_size"]
        assert proc["fd_bytes"] == proc["total_bytes"] - facts["vivid_size"]
        assert _doc("dmabufs", "--pid", str(pid))["processes"][0]["pid"] == pid
        who = _doc("who", vivid_cap)
        (holder,) = who["nodes"][0]["holders"]
        assert holder["pid"] == pid and holder["owns_queue"], holder
        assert any("VIDIOC_QUERYBUF" in e for e in holder["evidence"]), holder
        assert who["confirmation"]["queues"][0]["in_use"] == 3

        nobody = _doc("dmabufs", user="nobody")
        assert not any(pid in [h["pid"] for h in b["fd_holders"]] for b in nobody["dmabufs"])
        denied = {(u["source"], u["pid"]) for u in nobody["scan"]["unreadable"]}
        assert ("fd", pid) in denied and ("bufinfo", None) in denied, denied
        text = _mediatui("dmabufs", user="nobody")
        assert text.returncode == 0 and "not read: fd of" in text.stderr, text.stderr

        helper.stdin.write("reqbufs0\n")
        helper.stdin.flush()
        assert helper.stdout.readline().strip() == "ok"
        after = _doc("dmabufs", "--pid", str(pid))
        for key in ("by_fd", "by_map", "imported", "attached"):
            assert _buffer(after, facts[key]) is not None, f"orphaned {key} export missing"
    finally:
        helper.stdin.write("exit\n")
        helper.stdin.close()
        helper.wait(timeout=120)
    ours = {facts[k] for k in ("by_fd", "by_map", "imported", "attached", "heap", "udmabuf")}

    def gone() -> bool:
        return not ours & {b["inode"] for b in _doc("dmabufs")["dmabufs"]}

    _wait(gone, "the helper's dma-bufs to be freed")


def _record_fixture(pid: int, name: str) -> None:
    """Keep this moment's tree for the fast tier (MEDIATUI_VM_KEEP=1 keeps the run dir)."""
    out = os.environ.get(vm.ENV_VM_DIR)
    if not out:
        return
    sys.path.insert(0, str(REPO / "scripts"))
    from record_holders_tree import record

    target = Path(out) / name
    shutil.rmtree(target, ignore_errors=True)
    record(str(target), [pid])
