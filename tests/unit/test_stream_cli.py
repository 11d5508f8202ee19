"""`mediatui --demo stream` as a user runs it: JSON and text output, errors, DVB."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.inspect import dvb_kind
from mediatui.cli import main
from mediatui.demo import uninstall_demo


@pytest.fixture(autouse=True)
def _demo() -> Iterator[None]:
    yield
    uninstall_demo()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--demo", "stream", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_capture_json(capsys):
    code, out, err = run(capsys, "/dev/video0", "--count", "6", "--fps", "30", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["frames"] == 6 and result["drops"] == result["drops_while_queued"]
    assert result["buf_type"] == "video-capture-mplane" and result["buffers"] == 4
    assert result["schema"] == "mediatui.stream/1" and result["path"] == "/dev/video0"
    assert result["snapshot"]["final"] and result["state"] == "stopped"
    assert set(result["cpu"]) >= {"user_s", "sys_s", "stream_user_s", "stream_sys_s"}


def test_text_output_names_queues_and_sources(capsys):
    code, out, _ = run(capsys, "/dev/video0", "--heap", "system", "--count", "3", "--fps", "30")
    assert code == 0
    assert "(dmabuf x4, heap /dev/dma_heap/system)" in out
    assert "frames 3" in out and "driver starved 0 time(s)" in out


def test_pipeline_to_m2m_and_display(capsys):
    code, out, err = run(capsys, "/dev/video0", "--to", "/dev/video2", "--to", "/dev/video1",
                         "--count", "4", "--fps", "30", "--json")
    assert code == 0, err
    queues = json.loads(out)["snapshot"]["queues"]
    assert [(q["path"], q["memory"]) for q in queues] == [
        ("/dev/video0", "mmap"), ("/dev/video2", "dmabuf"), ("/dev/video2", "mmap"),
        ("/dev/video1", "dmabuf")]


def test_udmabuf_error_is_one_explained_line(capsys):
    code, out, err = run(capsys, "/dev/video0", "--udmabuf", "--count", "3")
    assert code == 1 and out == ""  # the device refused: a runtime failure, not usage
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "VIDIOC_QBUF" in lines[0] and "EFAULT" in lines[0]
    assert "vmap" in lines[0]


def test_dmabuf_without_a_source_is_refused(capsys):
    code, _, err = run(capsys, "/dev/video0", "--memory", "dmabuf")
    assert code == 2 and "--heap" in err


def test_dvb_demux_tuned(capsys):
    code, out, err = run(capsys, "/dev/dvb/adapter0/demux0", "--tune", "474000000",
                         "--count", "3", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["frames"] == 3 and result["packets"] > 0 and result["sync_losses"] == 0
    assert result["buffers"] == 32


def test_dvb_kind():
    assert dvb_kind("/dev/dvb/adapter0/dvr0") == "dvr"
    assert dvb_kind("/dev/video0") is None


def test_requested_and_negotiated_format(capsys):
    """The driver rounds 641x480 down and picks the nearest interval: both are reported."""
    code, out, err = run(capsys, "/dev/video0", "--size", "641x480", "--fps", "31",
                         "--count", "3", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["requested"] == {"buffers": 4, "fourcc": None, "width": 641, "height": 480,
                                   "frame_interval": {"numerator": 1000, "denominator": 31000}}
    got = result["negotiated"]
    assert (got["width"], got["height"], got["fourcc"]) == (640, 480, "YUYV")
    assert got["planes"] == [{"bytesperline": 1280, "sizeimage": 614400}]
    assert got["buffers"] == 4 and got["field"] == "none"
    assert result["adjusted"] == ["width", "frame_interval"]
    code, out, _ = run(capsys, "/dev/video0", "--size", "641x480", "--count", "2")
    assert "adjusted by the driver: width" in out


def test_dvb_without_data_exits_1_and_says_why(capsys):
    """No --tune: vidtv's demux delivers nothing; that is a failure, explained on stderr."""
    code, out, err = run(capsys, "/dev/dvb/adapter0/demux0", "--duration", "0.3", "--json")
    assert code == 1
    result = json.loads(out)
    from core.service.stream import DVB_BUFFER_SIZE, DVB_BUFFERS

    assert result["packets"] == 0 and result["negotiated"] == {
        "buffers": DVB_BUFFERS, "buffer_size_bytes": DVB_BUFFER_SIZE}
    assert "no data: 0 TS packets" in err and "--tune" in err


def test_usage_error_with_json_prints_an_error_document(capsys):
    code, out, err = run(capsys, "/dev/video0", "--memory", "dmabuf", "--json")
    assert code == 2 and "--heap" in err
    doc = json.loads(out)
    assert doc["schema"] == "mediatui.error/1" and doc["exit_code"] == 2
    assert doc["error"]["kind"] == "UsageError"


def test_interrupted_stream_prints_statistics_and_exits_130(capsys, monkeypatch):
    """Ctrl-C (SIGINT) stops the stream: the statistics still print, the exit code is 130."""
    import os
    import signal
    import threading

    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        code, out, _ = run(capsys, "/dev/video0", "--fps", "30", "--duration", "20", "--json")
    finally:
        timer.cancel()
    assert code == 130
    result = json.loads(out)
    assert result["interrupted"] is True and result["elapsed_s"] < 10


@pytest.mark.parametrize(("option", "value", "allowed"), [
    ("--count", "-1", "0 (until stopped) or a positive frame count"),
    ("--buffers", "0", "from 1 to 4294967295"),
    ("--pid", "0x2001", "from 0 to 0x1fff, or 0x2000"),
    ("--duration", "-1", "a positive number of seconds"),
    ("--fps", "0", "above 0 and at most 4294967295")])
def test_bad_option_values_are_usage_errors_naming_the_range(capsys, option, value, allowed):
    """argparse refuses them (the full matrix: tests/badinput.py)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--demo", "stream", "/dev/video0", option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert option in err and allowed in err


def test_more_buffers_than_the_queue_holds_is_a_usage_error(capsys):
    """Above the queue's maximum (32 on 6.1) vb2 would clamp without a word: refused
    once the node is open, exit 2, naming the option and the queue's range."""
    code, out, err = run(capsys, "/dev/video0", "--buffers", "33", "-n", "1")
    assert code == 2 and out == ""
    assert "--buffers" in err and "1 to 32 on this queue" in err



def test_ctrl_c_stops_a_slow_stream_at_once(capsys):
    """At 1 fps the loop sleeps about a second between frames; Ctrl-C wakes it through
    the stream's eventfd, so it ends long before the next frame would have."""
    import os
    import signal
    import threading

    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        code, out, _ = run(capsys, "/dev/video0", "--fps", "1", "--duration", "20", "--json",
                           "--quiet")
    finally:
        timer.cancel()
    assert code == 130
    result = json.loads(out)
    assert result["interrupted"] is True and result["elapsed_s"] < 0.9
