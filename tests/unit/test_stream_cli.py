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
    assert result["queue"] == "video-capture-mplane" and result["buffers"] == 4
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
    assert code == 2 and out == ""
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
