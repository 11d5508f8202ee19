"""A DVB stream that gets no packet for 3 s says why: the frontend's status, in the
stream statistics (so the CLI and the TUI both show it)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator

import pytest

from core.abi import dvb as d
from core.stream.stall import NO_PACKET_S, StallWatch, frontend_of, stall_warning
from core.virtual import RealClock, demo_board
from mediatui import cli

DEMUX = "/dev/dvb/adapter0/demux0"


def test_frontend_of_the_adapter() -> None:
    assert frontend_of(DEMUX) == "/dev/dvb/adapter0/frontend0"
    assert frontend_of("/dev/dvb/adapter3/dvr1") == "/dev/dvb/adapter3/frontend0"
    assert frontend_of("/dev/video0") is None


def test_no_warning_while_packets_arrive_then_the_status_after_3_s() -> None:
    reads: list[str] = []

    def read(path: str) -> int:
        reads.append(path)
        return 0

    watch = StallWatch(DEMUX, read)
    assert watch.warnings(10.0, 0.5) == ()
    assert watch.warnings(12.0, NO_PACKET_S - 0.01) == ()
    assert reads == []  # the frontend is not touched while all is well
    (w,) = watch.warnings(13.0, NO_PACKET_S)
    assert "not tuned or not locked" in w and "frontend0 status: none" in w
    watch.warnings(13.5, 3.5)
    assert len(reads) == 1  # re-read at most once a second
    watch.warnings(14.1, 4.1)
    assert len(reads) == 2
    assert watch.warnings(14.2, 0.1) == ()  # data again: the warning goes


def test_locked_frontend_points_at_the_pid() -> None:
    locked = int(d.FE_HAS_SIGNAL | d.FE_HAS_CARRIER | d.FE_HAS_VITERBI | d.FE_HAS_SYNC
                 | d.FE_HAS_LOCK)
    w = stall_warning(DEMUX, locked)
    assert "has lock" in w and "LOCK" in w and "PID" in w
    assert "unreadable: EACCES" in stall_warning(DEMUX, "EACCES: Permission denied")


@pytest.fixture
def board() -> Iterator[None]:
    backend = demo_board(RealClock()).install()
    try:
        yield
    finally:
        backend.shutdown()


def run_verb(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def test_untuned_stream_says_the_frontend_is_not_locked(board: None) -> None:
    """The virtual vidtv sends nothing until tuned, as the real one: the progress line
    and the final statistics (text and JSON) name the frontend's status."""
    rc, out, err = run_verb("stream", DEMUX, "-t", "4.2")
    assert rc == 1  # no data is a failure (exit codes, README)
    assert "not tuned or not locked (frontend0 status: none)" in out
    assert "not tuned or not locked" in err  # the progress line, once a second
    rc, out, _ = run_verb("stream", DEMUX, "-t", "3.6", "--json", "-q")
    assert rc == 1
    assert any("not tuned or not locked" in w for w in json.loads(out)["warnings"])


def test_tuned_stream_has_no_stall_warning(board: None) -> None:
    rc, out, _ = run_verb("stream", DEMUX, "-n", "3", "--tune", "474000000", "-q")
    assert rc == 0 and "warning" not in out


def test_info_reads_a_frontend_another_process_tunes(board: None) -> None:
    """Inspecting never disturbs: with the frontend held read-write (one writer at a
    time: a second O_RDWR open is EBUSY), info and probe still read it, read-only, as
    dvb-fe-tool does."""
    from core.dvb import FrontendDevice

    frontend = "/dev/dvb/adapter0/frontend0"
    with FrontendDevice(frontend) as tuner:
        tuner.tune_dvbt(474_000_000)
        with pytest.raises(Exception, match="EBUSY"):
            FrontendDevice(frontend)
        for verb in ("info", "probe"):
            rc, out, err = run_verb(verb, frontend)
            assert rc == 0, err
            assert "delivery systems" in out
        with FrontendDevice.read_only(frontend) as fe, pytest.raises(Exception, match="EPERM"):
            fe.tune_dvbt(474_000_000)  # a read-only handle cannot tune (dvb_frontend_ioctl)


def test_ts_panel_shows_the_stall_warning() -> None:
    """The TUI's transport-stream panel lists the warning under the numbers."""
    from core.stream.snapshot import DepthStats, QueueSnapshot, TsStreamStats
    from mediatui.widgets.ts_panel import ts_lines

    ts = TsStreamStats(buffers=0, bytes=0, packets=0, bytes_per_s=None, packets_per_s=None,
                       sync_losses=0, cc_errors=0, cc_errors_by_pid=(), duplicates=0,
                       tei_packets=0, pid_packets=(), dmx_flags=(), since_last_buffer=None,
                       warnings=(stall_warning(DEMUX, 0),))
    q = QueueSnapshot(path=DEMUX, buf_type=0, role="dvb", memory="mmap", buffers=(),
                      depth=DepthStats(8, False, 0, 0.0, ()), stats=None, ts=ts)
    text = "\n".join(line.plain for line in ts_lines(q))
    assert "not tuned or not locked (frontend0 status: none)" in text
