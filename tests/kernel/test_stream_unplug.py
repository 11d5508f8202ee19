"""Device removal while streaming: the loop ends with DeviceGone, promptly, leaking nothing.

Unbinding vivid removes its nodes (all instances: vivid is one platform device) under
an open, streaming fd; the kernel then answers poll() with POLLERR|POLLHUP and every
ioctl with ENODEV.  This test has a boot of its own (the marker's argument only
repeats a default), so the other kernel tests never see vivid go away, and a driver
that misbehaves on unbind cannot take them down with it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from core.abi import v4l2 as v
from core.errors import DeviceGone, MediaError
from core.stream import StreamState, video_stream
from core.video import VideoDevice

DRIVER = Path("/sys/bus/platform/drivers/vivid")


def _platform_device() -> str:
    """vivid is one platform device (``vivid.0``) carrying every instance."""
    names = sorted(p.name for p in DRIVER.glob("vivid.*"))
    assert names, f"no vivid platform device bound in {DRIVER}"
    return names[0]


@pytest.mark.kernel_args("vivid.n_devs=3")
@pytest.mark.parametrize("quiet", [False, True], ids=["caller-event", "no-timeout"])
def test_unbind_while_streaming_ends_with_device_gone(node_by_name, quiet):
    """``quiet``: the CLI's --quiet loop (no caller Event, no snapshots): poll has no
    timeout at all, so only the kernel's wakeup on removal can end it."""
    node = node_by_name("vivid-002-vid-cap")
    before = set(os.listdir("/proc/self/fd"))
    snaps = []
    outcome: dict[str, BaseException] = {}
    instance = _platform_device()
    dev = VideoDevice(node)
    try:
        dev.set_frame_rate(v.V4L2_BUF_TYPE_VIDEO_CAPTURE, 30)
        stream = video_stream(dev, count=4, snapshot_interval=None if quiet else 0.1)

        def work() -> None:
            try:
                stream.run(None if quiet else threading.Event(), snaps.append)
            except MediaError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=work)
        worker.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and stream.queues[0].stats.frames < 5:
            time.sleep(0.05)
        assert stream.queues[0].stats.frames >= 5, "vivid never streamed"
        (DRIVER / "unbind").write_text(instance)
        unbound = time.monotonic()
        worker.join(10)
        ended = time.monotonic() - unbound
        assert not worker.is_alive(), "the loop hung after the device went away"
        assert isinstance(outcome.get("error"), DeviceGone), outcome
        assert ended < 2.0, f"took {ended:.2f} s to notice the removal"
        final = snaps[-1]
        assert final.final and final.state is StreamState.FAILED
        assert final.error is not None and final.error.kind == "DeviceGone"
        assert final.frames >= 5
    finally:
        dev.close()
        if not (DRIVER / instance).exists():
            (DRIVER / "bind").write_text(instance)
    assert set(os.listdir("/proc/self/fd")) == before
