"""More of the DVB mmap API (seeds: DMX_REQBUFS, DMX_EXPBUF; D2-D6) as vidtv on the test
kernel shows it: count adjustments, re-allocation, export while streaming, poll, what
a TS filter and a section filter deliver, dmx_buffer.count, the dvr and the tuner."""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import select
import time

from core import ioctl as chokepoint
from core.abi import dvb as d
from core.dvb import DVB_V2_MAX_SIZE, DemuxDevice, DvrDevice, FrontendDevice
from core.errors import WouldBlock
from core.fdinfo import dmabuf_info
from scenarios import Rig, scenario
from scenarios.helpers import expect_error, fd_count_unchanged, page_align, wait_readable

TS = 188
ALL_PIDS = 0x2000
PAT_PID = 0x0000


def _tune(rig: Rig) -> None:
    with FrontendDevice(rig.frontend) as fe:
        fe.tune_dvbt(474_000_000)
        fe.wait_for_lock(10.0)


def _dequeue(node: DemuxDevice | DvrDevice, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return node.dequeue_buffer()
        except WouldBlock:
            left = deadline - time.monotonic()
            assert left > 0, f"no buffer from {node.path} within {timeout} s"
            wait_readable(node.fd, min(left, 0.5))


def _check_ts(data: bytes) -> dict[int, int]:
    """Sync byte every 188 bytes and continuous counters per PID; packets per PID."""
    assert len(data) % TS == 0, f"{len(data)} bytes is not whole packets"
    counters: dict[int, int] = {}
    seen: dict[int, int] = {}
    for off in range(0, len(data), TS):
        pkt = data[off:off + TS]
        assert pkt[0] == 0x47, f"no sync byte at {off}"
        pid = (pkt[1] & 0x1F) << 8 | pkt[2]
        seen[pid] = seen.get(pid, 0) + 1
        if pid == 0x1FFF or not pkt[3] & 0x10:
            continue
        cc = pkt[3] & 0xF
        if pid in counters:
            assert (counters[pid] + 1) & 0xF == cc, f"continuity error on PID {pid:#x}"
        counters[pid] = cc
    return seen


@scenario
def scenario_dmx_reqbufs_count_adjusted(rig: Rig) -> None:
    """DMX_REQBUFS: 64 buffers become 32 (VB2_MAX_FRAME), 1 stays 1, size 0 is EINVAL."""
    with DemuxDevice(rig.demux) as dmx:
        many = dmx.request_buffers(64, 10 * TS)
        assert many.requested_count == 64 and many.count == 32
        one = dmx.request_buffers(1, TS)
        assert one.count == 1 and one.size == TS
        with expect_error(errno.EINVAL, ioctl="DMX_REQBUFS"):
            dmx.request_buffers(2, 0)
        assert dmx.request_buffers(0, 0).count == 0


@scenario
def scenario_dmx_reqbufs_again_while_mapped(rig: Rig) -> None:
    """DMX_REQBUFS again before streaming re-allocates even with a buffer mmapped (the
    memory is orphaned and stays readable), despite what the document says."""
    with DemuxDevice(rig.demux) as dmx:
        dmx.request_buffers(3, 10 * TS)
        mapping = dmx.map_buffer(0)
        view = memoryview(mapping)
        try:
            again = dmx.request_buffers(5, 20 * TS)
            assert again.count == 5 and again.size == 20 * TS
            offsets = [s.planes[0].mem_offset for s in dmx.queue_state().buffers]
            assert offsets == [i * page_align(20 * TS) for i in range(5)]
            assert len(view) == 10 * TS and view[0] == view[0]
        finally:
            view.release()
            mapping.close()


@scenario
def scenario_dmx_expbuf_access_modes(rig: Rig) -> None:
    """DMX_EXPBUF accepts O_RDONLY, O_WRONLY and O_RDWR, with or without O_CLOEXEC."""
    with fd_count_unchanged(), DemuxDevice(rig.demux) as dmx:
        dmx.request_buffers(2, 10 * TS)
        for flags in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_CLOEXEC | os.O_RDWR):
            exported = dmx.export_buffer(1, flags)
            assert dmabuf_info(exported.fd).exp_name == "videobuf2_vmalloc"
            exported.close()


@scenario
def scenario_dmx_expbuf_while_streaming(rig: Rig) -> None:
    """A buffer exported while the queue streams shows the TS the demux wrote into it."""
    _tune(rig)
    with fd_count_unchanged(), DemuxDevice(rig.demux) as dmx:
        dmx.set_pes_filter(ALL_PIDS, start=True)
        alloc = dmx.request_buffers(4, 16 * TS)
        for i in range(alloc.count):
            dmx.queue_buffer(i)
        exported = {i: dmx.export_buffer(i, os.O_CLOEXEC | os.O_RDONLY)
                    for i in range(alloc.count)}
        done = _dequeue(dmx)
        with mmap.mmap(exported[done.index].fd, page_align(alloc.size), mmap.MAP_SHARED,
                       mmap.PROT_READ) as m:
            _check_ts(bytes(m[: done.bytesused]))
        for e in exported.values():
            e.close()
        dmx.stop()


@scenario
def scenario_dmx_poll(rig: Rig) -> None:
    """poll() on the demux: nothing before the filter starts; once it runs, the read()
    ring buffer makes it readable; after DMX_QBUF only a full vb2 buffer does."""
    _tune(rig)
    with DemuxDevice(rig.demux) as dmx:
        dmx.set_pes_filter(ALL_PIDS, start=False)
        dmx.request_buffers(2, 10 * TS)
        assert not wait_readable(dmx.fd, 0.2), "readable before the filter started"
        dmx.start()
        assert wait_readable(dmx.fd, 10.0), "the ring buffer never became readable"
        dmx.queue_buffer(0)
        assert wait_readable(dmx.fd, 10.0), "a full buffer did not poll readable"
        done = dmx.dequeue_buffer()
        assert done.index == 0 and done.bytesused == 10 * TS
        assert not wait_readable(dmx.fd, 0.2), "readable with no buffer queued"
        dmx.stop()


@scenario
def scenario_dmx_ts_filter_full_valid_buffers(rig: Rig) -> None:
    """A TS filter fills whole buffers (bytesused = length) with valid TS: sync bytes and
    continuity per PID within each buffer (between buffers data may be dropped while
    none is queued), PAT and nulls present; dmx_buffer.count counts dequeues, flags 0."""
    _tune(rig)
    with DemuxDevice(rig.demux) as dmx:
        dmx.set_pes_filter(ALL_PIDS, start=True)
        alloc = dmx.request_buffers(8, 64 * TS)
        maps = {i: dmx.map_buffer(i) for i in range(alloc.count)}
        for i in range(alloc.count):
            dmx.queue_buffer(i)
        pids: set[int] = set()
        counts, flags = [], 0
        for _ in range(12):
            done = _dequeue(dmx)
            assert done.bytesused == done.length == alloc.size
            pids |= set(_check_ts(bytes(maps[done.index][: done.bytesused])))
            counts.append(done.count)
            flags |= done.flags
            dmx.queue_buffer(done.index)
        assert counts == list(range(counts[0], counts[0] + 12))
        assert flags == 0, d.dmx_buffer_flag_names(flags)
        assert PAT_PID in pids and 0x1FFF in pids
        dmx.stop()
        del maps


@scenario
def scenario_dmx_section_filter_one_per_buffer(rig: Rig) -> None:
    """A section filter completes one buffer per section (PAT: 20 bytes). Whether the
    first carries DISCONTINUITY_DETECTED depends on the continuity counter the feed kept
    from before (dvb_demux.c compares each packet's CC with the last one seen), so only
    the sections are checked here, not that flag."""
    _tune(rig)
    with DemuxDevice(rig.demux) as dmx:
        dmx.set_section_filter(PAT_PID, 0x00)
        alloc = dmx.request_buffers(4, 4096)
        maps = {i: dmx.map_buffer(i) for i in range(alloc.count)}
        for i in range(alloc.count):
            dmx.queue_buffer(i)
        first = _dequeue(dmx)
        second = _dequeue(dmx)
        for done in (first, second):
            section = bytes(maps[done.index][: done.bytesused])
            assert section[0] == 0x00, "not a PAT"
            assert done.bytesused == 3 + ((section[1] & 0x0F) << 8 | section[2])
        assert second.count == first.count + 1
        dmx.stop()
        del maps


@scenario
def scenario_dmx_stop_stops_data_not_queue(rig: Rig) -> None:
    """After DMX_STOP no data arrives (DQBUF: EAGAIN) but the queue still streams."""
    _tune(rig)
    with DemuxDevice(rig.demux) as dmx:
        dmx.set_pes_filter(ALL_PIDS, start=True)
        dmx.request_buffers(2, 10 * TS)
        dmx.queue_buffer(0)
        _dequeue(dmx)
        dmx.stop()
        dmx.queue_buffer(0)
        dmx.queue_buffer(1)
        assert not wait_readable(dmx.fd, 0.3)
        with expect_error(errno.EAGAIN, ioctl="DMX_DQBUF"):
            dmx.dequeue_buffer()
        with expect_error(errno.EBUSY, ioctl="DMX_REQBUFS"):
            dmx.request_buffers(4, 10 * TS)


@scenario
def scenario_dvr_streams_ts_tap(rig: Rig) -> None:
    """A DMX_OUT_TS_TAP filter feeds the dvr, whose mmap queue fills whole buffers."""
    _tune(rig)
    with DemuxDevice(rig.demux) as dmx:
        dmx.set_pes_filter(ALL_PIDS, output=d.DMX_OUT_TS_TAP, start=True)
        with DvrDevice(rig.dvr) as dvr:
            alloc = dvr.request_buffers(4, 32 * TS)
            maps = {i: dvr.map_buffer(i) for i in range(alloc.count)}
            for i in range(alloc.count):
                dvr.queue_buffer(i)
            for expected in range(3):
                done = _dequeue(dvr)
                assert done.count == expected and done.bytesused == alloc.size
                _check_ts(bytes(maps[done.index][: done.bytesused]))
                dvr.queue_buffer(done.index)
            del maps
        dmx.stop()


@scenario
def scenario_dvr_single_reader(rig: Rig) -> None:
    """The dvr takes one reader: a second open for reading gives EBUSY (D2)."""
    with DvrDevice(rig.dvr), expect_error(errno.EBUSY, ioctl="open"):
        DvrDevice(rig.dvr)


@scenario
def scenario_frontend_single_writer(rig: Rig) -> None:
    """One read-write open of the frontend at a time (EBUSY); read-only opens may look,
    and the lock outlives the tuning handle (vidtv has no sleep)."""
    _tune(rig)
    with FrontendDevice(rig.frontend), expect_error(errno.EBUSY, ioctl="open"):
        FrontendDevice(rig.frontend)
    fd = chokepoint.open_node(rig.frontend, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = ctypes.c_uint(0)
        chokepoint.ioctl(fd, d.FE_READ_STATUS, status)
        assert status.value & d.FE_HAS_LOCK
    finally:
        chokepoint.close_fd(fd)


@scenario
def scenario_dmx_reqbufs_size_clamp_exact(rig: Rig) -> None:
    """The clamp is exactly 4096 x 188 and the granted size is not rounded to pages."""
    with DemuxDevice(rig.demux) as dmx:
        alloc = dmx.request_buffers(2, DVB_V2_MAX_SIZE + 1)
        assert alloc.size == DVB_V2_MAX_SIZE
        states = dmx.queue_state().buffers
        assert states[1].planes[0].mem_offset == page_align(DVB_V2_MAX_SIZE)
        poller = select.poll()
        poller.register(dmx.fd, select.POLLIN)
        assert not poller.poll(0), "readable without a filter"
