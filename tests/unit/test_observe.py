"""The observer (issue 17): trace-line parsing, the model, tracefs instance handling,
the sampling source and the Perfetto file, on recorded kernel lines and the virtual
devices."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from interrupt import interrupt
from jsonschema import Draft202012Validator

from core.abi import v4l2 as v
from core.observe import tracefs
from core.observe.events import BufferEvent, EventKind
from core.observe.model import ObservedStream, percentiles
from core.observe.observer import AttachError, Observer
from core.virtual import RealClock, demo_board
from core.virtual.app import SimulatedApp

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "core/service/schemas/attach.schema.json").read_text())

# Recorded on the test kernel (6.1.192, vivid minor 15, vim2m minor 3).
QBUF = ("v4l2-ctl-188     [001] .....    59.442785: v4l2_qbuf: minor = 15, index = 0, "
        "type = VIDEO_CAPTURE, bytesused = 115200, flags = MAPPED|QUEUED|TIMESTAMP_UNKNOWN|"
        "TIMESTAMP_MONOTONIC, field = ANY, timestamp = 0, timecode = { type = 0x0, flags = , "
        "frames = 0, seconds = 0, minutes = 0, hours = 0, userbits = { 0 0 0 0 } }, "
        "sequence = 0")
DONE = ("vivid-000-vid-c-189     [001] .....    59.455795: vb2_buf_done: owner = "
        "00000000ff7a08e7, queued = 4, owned_by_drv = 3, index = 0, type = 1, "
        "bytesused = 115200, timestamp = 0")
KWORKER = ("kworker/0:1-21      [000] .....    62.750309: vb2_buf_done: owner = "
           "00000000b5d6b7aa, queued = 4, owned_by_drv = 3, index = 0, type = 2, "
           "bytesused = 614400, timestamp = 61519850000")
DQBUF = ("v4l2-ctl-188     [000] .....    59.459063: v4l2_dqbuf: minor = 15, index = 0, "
         "type = VIDEO_CAPTURE, bytesused = 115200, flags = MAPPED|TIMESTAMP_UNKNOWN|"
         "TIMESTAMP_MONOTONIC, field = NONE, timestamp = 58429797000, timecode = { type = "
         "0x0, flags = , frames = 0, seconds = 0, minutes = 0, hours = 0, userbits = "
         "{ 0 0 0 0 } }, sequence = 7")


def test_parse_recorded_lines():
    q = tracefs.parse_line(QBUF)
    assert isinstance(q, BufferEvent)
    assert (q.kind, q.minor, q.index, q.buf_type, q.pid, q.comm) == (
        EventKind.QBUF, 15, 0, v.V4L2_BUF_TYPE_VIDEO_CAPTURE, 188, "v4l2-ctl")
    assert q.time_ns == 59_442_785_000
    assert q.flags == v.V4L2_BUF_FLAG_MAPPED | v.V4L2_BUF_FLAG_QUEUED \
        | v.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC
    d = tracefs.parse_line(DQBUF)
    assert isinstance(d, BufferEvent)
    assert (d.kind, d.sequence, d.timestamp_ns, d.field) == (
        EventKind.DQBUF, 7, 58_429_797_000, v.V4L2_FIELD_NONE)
    done = tracefs.parse_line(DONE)
    assert isinstance(done, BufferEvent)
    assert (done.kind, done.comm, done.pid, done.owner, done.in_driver, done.queued) == (
        EventKind.BUF_DONE, "vivid-000-vid-c", 189, "00000000ff7a08e7", 3, 4)
    kw = tracefs.parse_line(KWORKER)
    assert isinstance(kw, BufferEvent) and kw.comm == "kworker/0:1" and kw.buf_type == 2
    assert tracefs.parse_line("CPU:1 [LOST 12 EVENTS]") == 12
    # the positional fast path and the regular expressions agree
    for line in (QBUF, DQBUF, DONE, KWORKER):
        m = tracefs._LINE.match(line)
        slow = tracefs._v4l2_event(m) if m else tracefs._vb2_event(tracefs._VB2.match(line))
        assert slow == tracefs.parse_line(line)
    assert tracefs.parse_line("garbage") is None


def _ev(t_ms: float, kind: EventKind, index: int, *, seq: int = 0, pid: int = 100,
        drv: int = -1, owner: str = "o1", minor: int = 15, btype: int = 1,
        flags: int = 0) -> BufferEvent:
    vb2 = kind in (EventKind.VB2_QBUF, EventKind.VB2_DQBUF, EventKind.BUF_QUEUE,
                   EventKind.BUF_DONE)
    return BufferEvent(int(t_ms * 1e6), kind, -1 if vb2 else minor, index, btype, 10,
                       flags, 1, int(t_ms * 1e6) if kind is EventKind.DQBUF else 0, seq,
                       pid, "app" if pid == 100 else "kthread", owner if vb2 else "",
                       4, drv)


def _qbuf(m: ObservedStream, t: float, i: int, drv: int, *, owner: str = "o1",
          btype: int = 1) -> None:
    m.feed(_ev(t, EventKind.VB2_QBUF, i, owner=owner, btype=btype), 0)
    m.feed(_ev(t, EventKind.BUF_QUEUE, i, drv=drv, owner=owner, btype=btype), 0)
    m.feed(_ev(t, EventKind.QBUF, i, btype=btype), 0)


def _dqbuf(m: ObservedStream, t: float, i: int, seq: int, *, owner: str = "o1") -> None:
    m.feed(_ev(t, EventKind.VB2_DQBUF, i, owner=owner), 0)
    m.feed(_ev(t, EventKind.DQBUF, i, seq=seq), 0)


def test_model_frames_drops_starvation_stop():
    m = ObservedStream("/dev/video7", 15, source="trace", approximate=False, start_ns=0)
    for i in range(2):
        _qbuf(m, 1 + i, i, i + 1)
    # another device's vb2 record (other owner) is ignored
    m.feed(_ev(3, EventKind.BUF_DONE, 0, drv=0, owner="other", pid=7), 0)
    seq = 0
    t = 10.0
    for frame in range(10):
        i = frame % 2
        m.feed(_ev(t, EventKind.BUF_DONE, i, drv=1, pid=7), 0)
        _dqbuf(m, t + 1, i, seq)
        _qbuf(m, t + 2, i, 2)
        seq += 2 if frame == 5 else 1  # one frame lost after the 6th
        t += 33.3
    # the owner stops dequeueing: both done -> starvation, then it comes back
    m.feed(_ev(t, EventKind.BUF_DONE, 0, drv=1, pid=7), 0)
    m.feed(_ev(t + 30, EventKind.BUF_DONE, 1, drv=0, pid=7), int((t + 31) * 1e6))
    _dqbuf(m, t + 2000, 0, seq)
    _qbuf(m, t + 2001, 0, 1)
    # STREAMOFF: the app's own thread returns the driver's buffer: a stop, no starvation
    m.feed(_ev(t + 2100, EventKind.BUF_DONE, 0, drv=0, pid=100), 0)
    snap = m.freeze(int((t + 2200) * 1e6), final=True)
    q, lane = snap.stream.main, snap.lanes[0]
    assert q.stats is not None
    assert q.stats.frames == 11 and q.stats.drops == 1
    assert len(lane.starvations) == 1
    s = lane.starvations[0]
    assert s.start_ns == int((t + 30) * 1e6) and s.end_ns == int((t + 2001) * 1e6)
    assert s.detected_ns == int((t + 31) * 1e6)
    assert lane.stops == 1 and not lane.streaming
    assert lane.held.max_s == pytest.approx(2.001, abs=1e-6)  # done at t -> QBUF at t+2001
    assert lane.driver.count == 12
    assert [p.comm for p in snap.processes] == ["app"]
    assert snap.processes[0].dqbuf == 11


def test_model_keeps_m2m_queues_apart():
    m = ObservedStream("/dev/video3", 15, source="trace", approximate=False)
    _qbuf(m, 1, 0, 1, btype=2)
    _qbuf(m, 2, 0, 1, btype=1)
    m.feed(_ev(5, EventKind.BUF_DONE, 0, drv=0, btype=2, pid=7), 0)
    snap = m.freeze(10_000_000)
    states = {q.name: [b.status for b in q.buffers] for q in snap.stream.queues}
    assert states == {"video-capture": ["queued"], "video-output": ["done"]}


def test_sampling_counts_no_drops_from_unseen_frames():
    """Sampling saw sequences 0, 4, 8 (the rest were dequeued between samples): three
    frames, and no drops claimed; the document says null, which its schema allows."""
    from core.queue import BufferStatus
    from core.service.attach import document

    m = ObservedStream("/dev/video7", 15, source="sample", approximate=True, start_ns=0)
    cap = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
    for n, seq in enumerate((0, 4, 8)):
        t = (n + 1) * 100_000_000
        m.lane(cap, t).sample(n % 4, BufferStatus.DONE, 0, seq, t / 1e9, 1, 100, t)
    snap = m.freeze(400_000_000, final=True)
    st = snap.stream.main.stats
    assert st is not None and st.frames == 3 and st.drops == 0

    class _Obs:
        path, minor, fallback, removed_stale = "/dev/video7", 15, None, []

    doc = document(snap, _Obs())  # type: ignore[arg-type]
    assert doc["drops"] is None and doc["queues"][0]["drops"] is None
    assert doc["frames"] == 3
    doc["schema"] = "mediatui.attach/1"
    schema = json.loads((Path(__file__).resolve().parents[2]
                         / "core/service/schemas/attach.schema.json").read_text())
    assert not list(Draft202012Validator(schema).iter_errors(doc))


def test_percentiles_nearest_rank():
    p = percentiles([float(x) for x in range(1, 101)])
    assert (p.p50_s, p.p99_s, p.max_s, p.count) == (50.0, 99.0, 100.0, 100)
    assert percentiles([]).p50_s is None


def test_tracefs_absent_and_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(tracefs, "ROOTS", (str(tmp_path / "none"), str(tmp_path / "none2")))
    with pytest.raises(tracefs.TraceUnavailable, match="no tracefs"):
        tracefs.tracefs_root()
    (tmp_path / "none").mkdir()
    with pytest.raises(tracefs.TraceUnavailable, match="not mounted"):
        tracefs.tracefs_root()
    inst = tmp_path / "root" / "instances"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (inst / f"mediatui-{dead}").mkdir(parents=True)
    (inst / f"mediatui-{os.getpid()}").mkdir()  # ours: alive, kept
    (inst / "someone-else").mkdir()
    removed = tracefs.clean_stale(str(tmp_path / "root"))
    assert removed == [str(inst / f"mediatui-{dead}")]
    assert sorted(p.name for p in inst.iterdir()) == [f"mediatui-{os.getpid()}",
                                                       "someone-else"]
    with pytest.raises(tracefs.TraceUnavailable, match="events/v4l2 is absent"):
        tracefs.TraceSource(15, root=str(tmp_path / "root"))


def _bare_source(inst: Path) -> tracefs.TraceSource:
    """A TraceSource on a plain directory, its pipe /dev/null (no tracefs needed)."""
    inst.mkdir()
    src = tracefs.TraceSource.__new__(tracefs.TraceSource)
    src.path, src._raw, src._tail, src.leftover = str(inst), None, b"", None
    src._lock = threading.Lock()
    src._fd = os.open(os.devnull, os.O_RDONLY)
    return src


def test_teardown_stops_recording_then_closes_the_pipe_then_removes(tmp_path, monkeypatch):
    """Never rmdir with a pipe open: disable, close every fd, rmdir (EBUSY retried)."""
    src = _bare_source(tmp_path / "mediatui-1")
    fd = src._fd
    steps: list[str] = []
    real_rmdir = os.rmdir
    busy = [2]

    def write(path: str, text: str) -> None:
        steps.append(f"{os.path.relpath(path, src.path)}={text}")

    def rmdir(path: str) -> None:
        with pytest.raises(OSError):  # the pipe is closed before any rmdir
            os.fstat(fd)
        steps.append("rmdir")
        if busy[0]:
            busy[0] -= 1
            raise OSError(errno.EBUSY, "busy")
        real_rmdir(path)

    monkeypatch.setattr(tracefs, "_write", write)
    monkeypatch.setattr(tracefs.os, "rmdir", rmdir)
    monkeypatch.setattr(tracefs, "RMDIR_WAIT_S", 0.0)
    src.close()
    assert steps[:2] == ["tracing_on=0", "events/enable=0"]
    assert steps[-3:] == ["rmdir"] * 3
    assert not (tmp_path / "mediatui-1").exists() and src.leftover is None
    assert src.read() == ([], 0)
    src.close()  # idempotent


def test_teardown_says_when_the_instance_stays(tmp_path, monkeypatch):
    src = _bare_source(tmp_path / "mediatui-2")

    def rmdir(path: str) -> None:
        raise OSError(errno.EBUSY, "busy")

    monkeypatch.setattr(tracefs, "_write", lambda path, text: None)
    monkeypatch.setattr(tracefs.os, "rmdir", rmdir)
    monkeypatch.setattr(tracefs, "RMDIR_WAIT_S", 0.0)
    src.close()
    assert src.leftover == f"could not remove {src.path}: {os.strerror(errno.EBUSY)}"


@pytest.fixture
def board():
    backend = demo_board(RealClock())
    backend.install()
    try:
        yield backend
    finally:
        backend.shutdown()


def test_virtual_trace_counts_every_frame(board):
    obs = Observer("/dev/video0", duration=1.0, snapshot_interval=0.25, record=True)
    obs.open()  # before the client starts: every one of its records is seen
    client = SimulatedApp(board, "/dev/video0", fps=30).start()
    at_end = []
    final = obs.run(None, lambda snap: at_end.append(client.frames))
    client.stop()
    q = final.stream.main
    assert final.source == "virtual-trace" and not final.approximate
    assert q.stats is not None and q.stats.frames > 20
    assert 0 <= at_end[-1] - q.stats.frames <= 1  # a DQBUF may be between record and count
    assert q.stats.drops == 0 and q.stats.first_sequence == 0
    assert q.stats.fps == pytest.approx(30, rel=0.05)
    assert [p.cmdline for p in final.processes] == [client.cmdline]


def test_sampling_sees_occupancy_and_starvation(board):
    client = SimulatedApp(board, "/dev/video0", fps=30).start()
    obs = Observer("/dev/video0", source="sample", rate_hz=50, duration=1.2,
                   snapshot_interval=0.2)
    obs.open()
    seen = []

    def sink(snap):
        seen.append(tuple(b.status for b in snap.stream.main.buffers)
                    if snap.stream.queues else ())
        if len(seen) == 2:
            client.pause(True)

    final = obs.run(None, sink)
    client.stop()
    q = final.stream.main
    assert final.source == "sample" and final.approximate
    assert len(q.buffers) == 4
    assert [b.status for b in q.buffers] == ["done"] * 4
    assert q.depth.starved and final.lanes[0].starvations
    assert any(s.count("queued") >= 3 for s in seen[:2]), seen
    # The live line must not claim a drop count sampling cannot know.
    from mediatui.verbs.attach_ import progress

    line = progress(final)
    assert "drops not counted" in line and "approximate" in line, line


def test_sampling_refuses_mem2mem(board):
    obs = Observer("/dev/video2", source="sample")
    with pytest.raises(AttachError, match="mem2mem"):
        obs.open()


def test_model_follows_reallocation():
    m = ObservedStream("/dev/video7", 15, source="trace", approximate=False)
    for i in range(4):
        _qbuf(m, 1 + i, i, i + 1)
    for i in range(4):  # STREAMOFF by the owner's thread
        m.feed(_ev(10 + i, EventKind.BUF_DONE, i, drv=3 - i, pid=100), 0)
    assert m.freeze(20_000_000).lanes[0].stops == 1
    for i in range(2):  # re-allocated with 2 buffers (a new vb2 queue owner)
        _qbuf(m, 30 + i, i, i + 1, owner="o2")
    m.feed(_ev(40, EventKind.BUF_DONE, 0, drv=1, pid=7, owner="o2"), 0)
    _dqbuf(m, 41, 0, 0, owner="o2")
    snap = m.freeze(50_000_000)
    q, lane = snap.stream.main, snap.lanes[0]
    assert [b.index for b in q.buffers] == [0, 1]
    assert lane.streaming and lane.starvations == ()
    assert any("started again" in n for n in snap.notes)


def test_dvb_cannot_be_observed():
    with pytest.raises(AttachError, match="DVB"):
        Observer("/dev/dvb/adapter0/demux0")


def _mediatui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mediatui", "--demo", *args],
                          capture_output=True, text=True, timeout=120, check=False, cwd=REPO)


def test_demo_attach_json_matches_schema(tmp_path):
    trace = tmp_path / "t.json"
    proc = _mediatui("attach", "/dev/video0", "--duration", "1.5", "--json",
                     "--trace", str(trace))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    errors = [e.message for e in Draft202012Validator(SCHEMA).iter_errors(doc)]
    assert not errors, errors
    assert doc["schema"] == "mediatui.attach/1" and doc["source"] == "virtual-trace"
    q = doc["queues"][0]
    assert doc["frames"] > 10
    # drops are sequence gaps (the virtual vivid skips frames when the host is busy)
    assert q["last_sequence"] - q["first_sequence"] + 1 == doc["frames"] + doc["drops"]
    assert doc["processes"][0]["comm"] == "camera-app"
    assert doc["trace_file"] == str(trace)
    assert "attached to /dev/video0 via virtual-trace (exact)" in proc.stderr


def test_demo_attach_stops_on_ctrl_c_every_time():
    """Ctrl-C right after "attached", then later ones: a clean exit 0 with the final
    document each time (the SIGINT handler once deadlocked on threading.Event's lock)."""
    for delay in (0.0, 0.3, 0.05, 0.6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediatui", "--demo", "attach", "/dev/video0", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "attached to /dev/video0" in line, line
        out, err = interrupt(proc, after_s=delay, timeout_s=30,
                             what="attach (SIGINT after 'attached')")
        assert proc.returncode == 0, err
        assert json.loads(out)["schema"] == "mediatui.attach/1"


def test_demo_attach_bad_options():
    proc = _mediatui("attach", "/dev/video0", "--rate", "0")
    assert proc.returncode == 2 and "--rate" in proc.stderr
    proc = _mediatui("attach", "/dev/video0", "--duration", "-1")
    assert proc.returncode == 2 and "--duration" in proc.stderr


def test_demo_stream_trace_tiles(tmp_path):
    from trace_reader import check_tiling, read_tracks

    path = tmp_path / "s.json"
    start = time.monotonic_ns() / 1000
    proc = _mediatui("stream", "/dev/video0", "--duration", "1.5", "--trace", str(path),
                     "-q", "--fps", "30")
    assert proc.returncode == 0, proc.stderr
    trace = read_tracks(str(path))
    tracks = [t for t in trace.tracks.values() if t.thread.startswith("buffer ")]
    assert sorted(t.thread for t in tracks) == [f"buffer {i}" for i in range(4)]
    lo = min(t.spans[0][0] for t in tracks)
    hi = max(t.spans[-1][1] for t in tracks)
    assert lo >= start  # CLOCK_MONOTONIC microseconds
    for t in tracks:
        assert check_tiling(t, lo, hi) == []
        assert {s[2] for s in t.spans} >= {"queued", "dequeued"}
    assert trace.counters


DATA = Path(__file__).resolve().parent / "data" / "tracefs"


def test_raw_page_decoded_with_the_kernels_format_files():
    """trace_pipe_raw: a page with a small record, a time extension, a record with its
    length in the next word and padding, decoded with 6.1's format files."""
    import struct

    from core.observe.rawpipe import Decoder, parse_format, parse_page

    dq_id, dq_fields = parse_format((DATA / "v4l2_dqbuf.format").read_text())
    done_id, done_fields = parse_format((DATA / "vb2_buf_done.format").read_text())
    assert (dq_id, dq_fields["sequence"].offset, done_id) == (445, 56, 449)
    decoders = {dq_id: Decoder(EventKind.DQBUF, dq_fields),
                done_id: Decoder(EventKind.BUF_DONE, done_fields)}
    done = bytearray(48)
    struct.pack_into("<HBBi", done, 0, done_id, 0, 0, 189)
    struct.pack_into("<QIiIIIQ", done, 8, 0xFF7A08E7, 4, 0, 2, 1, 115200, 0)
    dq = bytearray(60)
    struct.pack_into("<HBBi", dq, 0, dq_id, 0, 0, 188)
    struct.pack_into("<iIIIIIq", dq, 8, 15, 2, 1, 115200, 0x2001, 1, 58_429_797_000)
    struct.pack_into("<I", dq, 56, 42)
    body = b"".join([
        struct.pack("<I", (len(done) // 4) | (1000 << 5)), bytes(done),  # +1000 ns
        struct.pack("<II", 30 | (5 << 5), 1), b"",  # time extend: +(1 << 27) + 5
        struct.pack("<II", 0 | (7 << 5), len(dq) + 4), bytes(dq),  # length word
        struct.pack("<II", 29 | (3 << 5), 8), bytes(8),  # padding
    ])
    page = struct.pack("<Qq", 1_000_000_000, len(body)) + body + bytes(4096 - 16 - len(body))
    events, lost = parse_page(page, decoders, lambda pid: {188: "v4l2-ctl"}.get(pid, "k"))
    assert lost == 0
    assert [e.kind for e in events] == [EventKind.BUF_DONE, EventKind.DQBUF]
    d, q = events
    assert d.time_ns == 1_000_001_000 and (d.index, d.in_driver, d.queued, d.pid) == (2, 0, 4, 189)
    assert q.time_ns == 1_000_001_000 + (1 << 27) + 5 + 7
    assert (q.minor, q.index, q.sequence, q.timestamp_ns, q.comm) == (
        15, 2, 42, 58_429_797_000, "v4l2-ctl")
    missed = struct.pack("<Qq", 0, (1 << 31) | (1 << 30) | 0) + struct.pack("<Q", 9)
    assert parse_page(missed + bytes(100), decoders, str)[1] == 9


def test_demo_pipeline_trace_tiles_every_stage(tmp_path):
    from trace_reader import check_tiling, read_tracks

    path = tmp_path / "p.json"
    proc = _mediatui("stream", "/dev/video0", "--to", "/dev/video2", "--duration", "1.5",
                     "--trace", str(path), "-q")
    assert proc.returncode == 0, proc.stderr
    trace = read_tracks(str(path))
    tracks = list(trace.tracks.values())
    assert sorted({t.process for t in tracks}) == [
        "/dev/video0 video-capture-mplane", "/dev/video2 video-capture",
        "/dev/video2 video-output"]
    lo = min(t.spans[0][0] for t in tracks)
    hi = max(t.spans[-1][1] for t in tracks)
    assert all(check_tiling(t, lo, hi) == [] for t in tracks)


def test_model_with_the_four_records_the_kernel_source_enables():
    """v4l2_qbuf, v4l2_dqbuf, vb2_dqbuf, vb2_buf_done only (the least the model needs,
    see core.observe.events.VB2_TRACED): a completion before the
    first dequeue is replayed once the owner is known; in-driver counts stay exact."""
    m = ObservedStream("/dev/video7", 15, source="trace", approximate=False)
    for i in range(4):
        m.feed(_ev(1 + i, EventKind.QBUF, i), 0)
    m.feed(_ev(40, EventKind.BUF_DONE, 0, drv=3, pid=7), 0)  # owner not known yet
    _dqbuf(m, 41, 0, 0)
    lane = m.lanes[1]
    assert lane.driver and lane.driver[0] == pytest.approx(0.039)
    assert lane.depth.depth == 3
    m.feed(_ev(42, EventKind.QBUF, 0), 0)
    assert lane.depth.depth == 4
    for k, i in enumerate((1, 2, 3, 0)):
        m.feed(_ev(70 + k, EventKind.BUF_DONE, i, drv=3 - k, pid=7), 0)
    assert lane.depth.depth == 0 and lane.starvations[-1].end_ns is None
    _dqbuf(m, 500, 1, 1)
    m.feed(_ev(501, EventKind.QBUF, 1), 0)
    snap = m.freeze(600_000_000)
    assert snap.lanes[0].starvations[0].end_ns == 501_000_000
    assert snap.stream.main.depth.in_driver == 1
    assert [b.status for b in snap.stream.main.buffers] == ["done", "queued", "done", "done"]
