"""Unplugging a virtual node behaves like unbinding its driver (open fds stay, but
every ioctl answers ENODEV, poll reports a hang-up, new opens fail), and closing the
dead fd still releases everything."""

from __future__ import annotations

import errno
import os
import select

import pytest

from core.abi import v4l2 as v
from core.errors import DeviceGone, MediaError
from core.video import VideoDevice
from core.virtual.board import scenario_board
from core.virtual.clock import ManualClock

CAP = v.V4L2_BUF_TYPE_VIDEO_CAPTURE


def _fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_unplug_open_node_then_close_releases_everything() -> None:
    before = _fds()
    backend, roles = scenario_board(ManualClock())
    with backend:
        dev = VideoDevice(roles.capture)
        n = dev.request_buffers(CAP, v.V4L2_MEMORY_MMAP, 3).granted
        dev.map_buffer(CAP, 0)
        exported = dev.export_buffer(CAP, 1)
        for i in range(n):
            dev.queue_buffer(CAP, i)
        dev.stream_on(CAP)

        backend.unplug(roles.capture)

        poller = select.poll()
        poller.register(dev.fd, select.POLLIN)
        (_, events), = poller.poll(0)
        assert events & select.POLLHUP
        with pytest.raises(DeviceGone) as exc:
            dev.dequeue_buffer(CAP)
        assert exc.value.errno == errno.ENODEV and "unplugged" in exc.value.explanation
        with pytest.raises(MediaError) as gone:
            VideoDevice(roles.capture)
        assert gone.value.errno == errno.ENOENT
        assert roles.capture not in backend.list_nodes()
        exported.close()
        dev.close()
    assert _fds() == before


def test_replug_gives_a_working_node_but_old_fds_stay_dead() -> None:
    backend, roles = scenario_board(ManualClock())
    with backend:
        old = VideoDevice(roles.capture)
        backend.unplug(roles.capture)
        backend.replug(roles.capture)
        with VideoDevice(roles.capture) as new:
            assert new.request_buffers(CAP, v.V4L2_MEMORY_MMAP, 2).granted >= 2
        with pytest.raises(DeviceGone):
            old.capability()
        old.close()
