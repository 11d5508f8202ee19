"""DVB demux mmap API: DMX_REQBUFS, QUERYBUF, EXPBUF, QBUF/DQBUF (the first QBUF starts)."""

from __future__ import annotations

import errno
import os
import time

from core.abi import dvb as d
from core.dvb import DVB_V2_MAX_SIZE, DemuxDevice, FrontendDevice
from core.errors import WouldBlock
from core.fdinfo import dmabuf_info
from scenarios import Rig, scenario
from scenarios.helpers import expect_error, fd_count_unchanged, wait_readable

TS = 188
ALL_PIDS = 0x2000


def _tune(rig: Rig) -> None:
    with FrontendDevice(rig.frontend) as fe:
        fe.tune_dvbt(474_000_000)
        fe.wait_for_lock(10.0)


def _dequeue(dmx: DemuxDevice, timeout: float = 10.0) -> d.dmx_buffer:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return dmx.dequeue_buffer()
        except WouldBlock:
            left = deadline - time.monotonic()
            assert left > 0, f"no TS buffer from {dmx.path} within {timeout} s"
            wait_readable(dmx.fd, min(left, 0.5))


@scenario
def scenario_dvb_frontend_tunes_and_locks(rig: Rig) -> None:
    """FE_SET_PROPERTY (DVB-T 474 MHz) leads to FE_HAS_LOCK."""
    with FrontendDevice(rig.frontend) as fe:
        info = fe.info()
        assert info.name
        fe.tune_dvbt(474_000_000)
        assert fe.wait_for_lock(10.0) & d.FE_HAS_LOCK


@scenario
def scenario_dmx_reqbufs_count_and_size(rig: Rig) -> None:
    """DMX_REQBUFS grants the count and size asked (not rounded to 188)."""
    with DemuxDevice(rig.demux) as dmx:
        alloc = dmx.request_buffers(4, 10 * TS)
        assert alloc.count == 4 and alloc.size == 10 * TS
        odd = dmx.request_buffers(3, 1000)
        assert odd.count == 3 and odd.size == 1000 and not odd.whole_packets


@scenario
def scenario_dmx_reqbufs_size_clamped(rig: Rig) -> None:
    """A size above 4096 x 188 bytes is clamped to DVB_V2_MAX_SIZE."""
    with DemuxDevice(rig.demux) as dmx:
        alloc = dmx.request_buffers(2, DVB_V2_MAX_SIZE * 2)
        assert alloc.size == DVB_V2_MAX_SIZE and alloc.size_clamped


@scenario
def scenario_dmx_reqbufs_zero_frees(rig: Rig) -> None:
    """DMX_REQBUFS(0) before streaming frees the buffers, even with one exported."""
    with fd_count_unchanged(), DemuxDevice(rig.demux) as dmx:
        dmx.request_buffers(4, 10 * TS)
        exported = dmx.export_buffer(0)
        dmx.map_buffer(1)
        freed = dmx.request_buffers(0, 10 * TS)
        assert freed.count == 0 and dmx.queue_state().num_buffers == 0
        assert dmabuf_info(exported.fd).size >= 10 * TS
        exported.close()


@scenario
def scenario_dmx_querybuf_offsets(rig: Rig) -> None:
    """DMX_QUERYBUF gives page-spaced mmap offsets and the granted length."""
    with DemuxDevice(rig.demux) as dmx:
        alloc = dmx.request_buffers(4, 10 * TS)
        states = dmx.queue_state().buffers
        offsets = [s.planes[0].mem_offset for s in states]
        assert offsets == sorted(set(offsets)) and offsets[0] == 0
        assert all(o % os.sysconf("SC_PAGE_SIZE") == 0 for o in offsets)
        assert all(s.planes[0].length == alloc.size for s in states)
        with expect_error(errno.EINVAL, ioctl="DMX_QUERYBUF"):
            dmx.query_buffer(alloc.count)


@scenario
def scenario_dmx_expbuf_valid_and_invalid(rig: Rig) -> None:
    """DMX_EXPBUF: a page-rounded dma-buf; EINVAL for a bad index or bad flags."""
    with fd_count_unchanged(), DemuxDevice(rig.demux) as dmx:
        alloc = dmx.request_buffers(4, 10 * TS)
        exported = dmx.export_buffer(0, os.O_CLOEXEC | os.O_RDONLY)
        info = dmabuf_info(exported.fd)
        assert info.is_dmabuf and info.size == 4096
        exported.close()
        with expect_error(errno.EINVAL, ioctl="DMX_EXPBUF") as e:
            dmx.export_buffer(alloc.count)
        assert "No buffer" in e.value.title
        with expect_error(errno.EINVAL, ioctl="DMX_EXPBUF") as e:
            dmx.export_buffer(0, os.O_CLOEXEC | os.O_RDONLY | os.O_NONBLOCK)
        assert "flags" in e.value.title.lower()


@scenario
def scenario_dmx_expbuf_before_reqbufs(rig: Rig) -> None:
    """DMX_EXPBUF before DMX_REQBUFS gives EINVAL."""
    with DemuxDevice(rig.demux) as dmx, expect_error(errno.EINVAL, ioctl="DMX_EXPBUF"):
        dmx.export_buffer(0)


@scenario
def scenario_dmx_dqbuf_before_qbuf(rig: Rig) -> None:
    """DMX_DQBUF before any DMX_QBUF gives EINVAL (the queue is not streaming)."""
    with DemuxDevice(rig.demux) as dmx:
        dmx.request_buffers(2, 10 * TS)
        with expect_error(errno.EINVAL, ioctl="DMX_DQBUF") as e:
            dmx.dequeue_buffer()
        assert "not streaming" in e.value.title


@scenario
def scenario_dmx_stream_ts_packets(rig: Rig) -> None:
    """Tuned vidtv: a PES filter on all PIDs fills >= 10 buffers of 0x47-synced packets."""
    _tune(rig)
    with fd_count_unchanged(), DemuxDevice(rig.demux) as dmx:
        dmx.set_pes_filter(ALL_PIDS, start=True)
        alloc = dmx.request_buffers(8, 64 * TS)
        maps = {i: dmx.map_buffer(i) for i in range(alloc.count)}
        for i in range(alloc.count):
            dmx.queue_buffer(i)
        counts, flags = [], 0
        for _ in range(10):
            done = _dequeue(dmx)
            assert done.bytesused > 0
            data = maps[done.index][: done.bytesused]
            assert all(data[k] == 0x47 for k in range(0, len(data) - TS + 1, TS)), (
                "TS sync byte missing"
            )
            counts.append(done.count)
            flags |= done.flags
            dmx.queue_buffer(done.index)
        assert counts == sorted(counts)
        dmx.stop()
        del maps


@scenario
def scenario_dmx_reqbufs_after_start_busy(rig: Rig) -> None:
    """After the first DMX_QBUF, DMX_STOP does not stop the queue: REQBUFS(0) is EBUSY."""
    _tune(rig)
    with DemuxDevice(rig.demux) as dmx:
        dmx.set_pes_filter(ALL_PIDS, start=True)
        dmx.request_buffers(2, 64 * TS)
        dmx.queue_buffer(0)
        dmx.stop()
        with expect_error(errno.EBUSY, ioctl="DMX_REQBUFS") as e:
            dmx.request_buffers(0, 64 * TS)
        assert "DMX_STOP" in e.value.explanation


@scenario
def scenario_dmx_qbuf_bad_index(rig: Rig) -> None:
    """DMX_QBUF with an index past the allocated buffers gives EINVAL."""
    with DemuxDevice(rig.demux) as dmx:
        alloc = dmx.request_buffers(2, 10 * TS)
        with expect_error(errno.EINVAL, ioctl="DMX_QBUF"):
            dmx.queue_buffer(alloc.count)
