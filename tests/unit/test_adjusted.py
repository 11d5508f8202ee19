"""What the driver changed is said, on stderr and in JSON (issue 12 part 3)."""

from __future__ import annotations

import json

import pytest

from core import adjusted
from mediatui.cli import main
from mediatui.demo import uninstall_demo


@pytest.fixture(autouse=True)
def _demo():
    yield
    uninstall_demo()


def test_messages_name_asked_and_granted() -> None:
    a = adjusted.buffer_count("/dev/video0", "VIDIOC_REQBUFS", 1, 2)
    assert a is not None and a.message == "VIDIOC_REQBUFS: asked 1 buffer, granted 2"
    b = adjusted.buffer_size("/dev/dvb/adapter0/demux0", "DMX_REQBUFS", 2_000_000, 770_048)
    assert b is not None and b.message == "DMX_REQBUFS: asked 2,000,000 bytes, granted 770,048"
    f = adjusted.pixel_format("/dev/video0", "NV12", (1920, 1080), "YUYV", 640, 360)
    assert f is not None
    assert f.message == "VIDIOC_S_FMT: asked NV12 1920x1080, driver gave YUYV 640x360"
    assert adjusted.buffer_count("x", "VIDIOC_REQBUFS", 4, 4) is None
    assert adjusted.pixel_format("x", "YUYV", None, "YUYV", 640, 360) is None
    assert adjusted.frame_rate("x", 30.0, 1, 30) is None
    assert adjusted.frame_rate("x", 29.97, 1001, 30000) is None
    r = adjusted.frame_rate("x", 7777.0, 1, 2)
    assert r is not None and "driver gave 2 fps" in r.message
    assert adjusted.ts_size_warning(188 * 256) is None
    assert "not a multiple of 188" in (adjusted.ts_size_warning(2_000_000) or "")


def test_stream_says_what_the_driver_changed(capsys) -> None:
    code = main(["--demo", "stream", "/dev/video0", "-b", "1", "--size", "99999x99999",
                 "--fps", "7777", "-n", "2", "-q", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "VIDIOC_REQBUFS: asked 1 buffer, granted 2" in err
    assert "VIDIOC_S_FMT: asked 99999x99999, driver gave YUYV 3840x2160" in err
    assert "VIDIOC_S_PARM: asked 7777 fps" in err
    doc = json.loads(out)  # the JSON contract: the requested keys the driver changed
    assert set(doc["adjusted"]) >= {"buffers", "width", "height", "frame_interval"}


def test_dvb_size_clamped_and_not_a_multiple_of_188(capsys) -> None:
    code = main(["--demo", "stream", "/dev/dvb/adapter0/demux0", "--tune", "474000000",
                 "--buffer-size", "2000000", "-n", "2", "-q", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "DMX_REQBUFS: asked 2,000,000 bytes, granted 770,048" in err
    assert "not a multiple of 188" in err
    doc = json.loads(out)
    assert doc["adjusted"] == ["buffer_size_bytes"]
    assert doc["requested"]["buffer_size_bytes"] == 2_000_000
    assert doc["negotiated"]["buffer_size_bytes"] == 770_048
    assert any("multiple of 188" in w for w in doc["warnings"])
