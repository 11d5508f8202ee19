"""The virtual DVB adapter and its transport stream."""

from __future__ import annotations

import mmap
from collections.abc import Iterator

import pytest

from core.abi import dvb as d
from core.dvb import DemuxDevice, FrontendDevice
from core.errors import WouldBlock
from core.virtual import ManualClock, Roles, scenario_board
from core.virtual.ts import (
    PID_AUDIO,
    PID_NULL,
    PID_PAT,
    PID_PCR,
    PID_PMT,
    PID_SDT,
    TS_PACKET,
    TransportStream,
    check_stream,
    pat_section,
    pmt_section,
    sdt_section,
    section_crc_ok,
)


def test_stream_is_valid_ts_at_the_bitrate() -> None:
    ts = TransportStream()
    data = ts.packets(1234, 4 * ts.packets_per_cycle)
    seen = check_stream(data)
    assert {PID_PAT, PID_SDT, PID_PMT, PID_PCR, PID_AUDIO, PID_NULL} <= set(seen)
    assert seen[PID_PAT] == 4  # once per 40 ms cycle
    # 192 packets every 40 ms: 7.2 Mbit/s, what vidtv delivered on the test kernel
    assert ts.packets_per_cycle == 192
    assert ts.packets_before(ts.packet_ns(99)) == 100


def test_sections_have_good_crcs() -> None:
    for section in (pat_section(), pmt_section(), sdt_section()):
        assert section_crc_ok(section)
    assert len(pat_section()) == 20
    assert b"Beethoven" in sdt_section()


def test_packet_is_a_pure_function_of_its_index() -> None:
    ts = TransportStream()
    assert ts.packet(5000) == ts.packet(5000)
    assert check_stream(ts.packets(4990, 10) + ts.packets(5000, 10))


@pytest.fixture
def dvb() -> Iterator[tuple[ManualClock, Roles]]:
    clock = ManualClock()
    backend, roles = scenario_board(clock)
    with backend:
        yield clock, roles


def test_nothing_flows_before_the_tune(dvb: tuple[ManualClock, Roles]) -> None:
    clock, roles = dvb
    with DemuxDevice(roles.demux) as dmx:
        dmx.set_pes_filter(0x2000)
        dmx.request_buffers(2, 10 * TS_PACKET)
        dmx.queue_buffer(0)
        clock.advance(1.0)
        with pytest.raises(WouldBlock):
            dmx.dequeue_buffer()
        with FrontendDevice(roles.frontend) as fe:
            assert fe.read_status() == 0
            fe.tune_dvbt(474_000_000)
            assert fe.read_status() == 0x1F
        clock.advance(0.01)
        done = dmx.dequeue_buffer()
        assert done.bytesused == 10 * TS_PACKET and done.flags == 0 and done.count == 0


def test_wrong_frequency_does_not_lock(dvb: tuple[ManualClock, Roles]) -> None:
    _, roles = dvb
    with FrontendDevice(roles.frontend) as fe:
        fe.tune_dvbt(522_000_000)
        assert not fe.read_status() & d.FE_HAS_LOCK


def test_buffers_fill_at_the_bitrate(dvb: tuple[ManualClock, Roles]) -> None:
    """A 64-packet buffer takes 64 packet times; the bytes continue across buffers."""
    clock, roles = dvb
    with FrontendDevice(roles.frontend) as fe:
        fe.tune_dvbt(474_000_000)
    ts = TransportStream()
    with DemuxDevice(roles.demux) as dmx:
        dmx.set_pes_filter(0x2000)
        alloc = dmx.request_buffers(2, 1000)  # not a packet multiple: packets split
        maps = [dmx.map_buffer(i) for i in range(2)]
        dmx.queue_buffer(0)
        dmx.queue_buffer(1)
        clock.advance(ts.packet_ns(5) / 1e9 + 0.001)
        first = dmx.dequeue_buffer()
        second = None
        clock.advance(ts.packet_ns(11) / 1e9)
        second = dmx.dequeue_buffer()
        data = bytes(maps[first.index][:1000]) + bytes(maps[second.index][:1000])
        assert alloc.size == 1000 and data[0] == 0x47 and data[1000 - 60] == 0x47
        check_stream(data[: (len(data) // TS_PACKET) * TS_PACKET])
        for m in maps:
            m.close()


def test_section_filter_and_first_flag(dvb: tuple[ManualClock, Roles]) -> None:
    clock, roles = dvb
    with FrontendDevice(roles.frontend) as fe:
        fe.tune_dvbt(474_000_000)
    with DemuxDevice(roles.demux) as dmx:
        dmx.set_section_filter(PID_SDT, 0x42)
        dmx.request_buffers(2, 4096)
        maps = [dmx.map_buffer(i) for i in range(2)]
        dmx.queue_buffer(0)
        dmx.queue_buffer(1)
        clock.advance(0.1)
        first, second = dmx.dequeue_buffer(), dmx.dequeue_buffer()
        assert first.flags == d.DMX_BUFFER_FLAG_DISCONTINUITY_DETECTED and second.flags == 0
        assert bytes(maps[first.index][: first.bytesused]) == sdt_section()
        for m in maps:
            m.close()


def test_export_is_readable_ts(dvb: tuple[ManualClock, Roles]) -> None:
    clock, roles = dvb
    with FrontendDevice(roles.frontend) as fe:
        fe.tune_dvbt(474_000_000)
    with DemuxDevice(roles.demux) as dmx:
        dmx.set_pes_filter(PID_PAT)
        dmx.request_buffers(1, 2 * TS_PACKET)
        exported = dmx.export_buffer(0)
        dmx.queue_buffer(0)
        clock.advance(0.1)
        done = dmx.dequeue_buffer()
        with mmap.mmap(exported.fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ) as m:
            assert check_stream(m[: done.bytesused]) == {PID_PAT: 2}
        exported.close()
