"""A vidtv-like DVB adapter: frontend, demux and dvr with the DVB mmap API.

What it reproduces (``dvb_vb2.c``, ``dmxdev.c`` and vidtv on 6.1, D1-D7):

* nothing flows until the frontend is tuned (DVB-T/C at 474 MHz locks with status 0x1f)
  and the lock is adapter-wide: it survives the frontend's close (vidtv's demod has no
  sleep op);
* DMX_REQBUFS clamps ``size`` to 4096 x 188 and does not round it to packets; the count
  goes through vb2 (``min_buffers_needed`` 1, at most 32);
* DMX_QUERYBUF reports page-spaced offsets (0, 0x1000, ...), DMX_EXPBUF page-rounded
  dma-bufs; no STREAMON: the first successful DMX_QBUF starts the queue;
* DMX_DQBUF fills ``count`` (one more per dequeue) and ``flags`` (accumulated since the
  last dequeue); a TS filter's buffer completes only when full, a section filter
  completes one buffer per section (PAT: bytesused 20) and its first buffer has
  DISCONTINUITY_DETECTED (the section feed has no continuity history yet), exactly what
  the test kernel shows;
* DMX_STOP stops the filter, not the vb2 queue: DMX_REQBUFS(0) is EBUSY until close;
* data arriving while no buffer is queued is dropped.

Each open of the demux has its own filter and vb2 context; the dvr has one context and
takes one reader (EBUSY for a second).  Packets come from a :class:`TransportStream`
indexed by time since the tune, so every consumer sees the same stream.
"""

from __future__ import annotations

import errno
import mmap
import os
from dataclasses import dataclass
from typing import Any

from core.abi import dvb as d
from core.virtual.clock import Timer
from core.virtual.dvb_vb2 import ALL_PIDS, DVB_V2_MAX_SIZE, DvbVb2Ctx
from core.virtual.frontend import FE_LOCKED, AdapterNode, FrontendNode
from core.virtual.node import FileHandle, Node
from core.virtual.ts import TransportStream
from core.virtual.vb2 import fail

VALID_FREQUENCIES = (474_000_000,)  # vidtv_valid_dvb_t_freqs / _c_freqs
MAX_FREQUENCY_SHIFT = 100_000  # vidtv's max_frequency_shift_hz default is much larger


@dataclass
class DemuxFilter:
    """One demux file handle's filter (``struct dmxdev_filter``)."""

    ctx: DvbVb2Ctx
    kind: str = "none"  # "pes" or "section"
    pids: tuple[int, ...] = ()
    output: int = d.DMX_OUT_TSDEMUX_TAP
    started: bool = False
    buffer_size: int = 8192
    table: tuple[int, int] = (0, 0)  # section filter[0] and mask[0]
    # Without DMX_QBUF the filter fills its read() ring buffer instead, and poll()
    # reports it readable once data arrived; read() itself is not modelled.
    ring_data: bool = False
    ring_timer: Timer | None = None


class DvbAdapter:
    """``/dev/dvb/adapterN``: the shared tuner state and the transport stream."""

    def __init__(self, number: int = 0, stream: TransportStream | None = None,
                 name: str = "vidtv") -> None:
        self.number = number
        self.stream = stream or TransportStream()
        self.name = name
        # FE_GET_INFO's name (vidtv_demod's): a str, surrogate-escaped bytes allowed.
        self.frontend_name = "Dummy demod for DVB-T/T2/C/S/S2"
        self.status = 0
        self.frequency = 0
        self.delivery_system: int = d.SYS_DVBT
        self.start_ns: int = 0
        self.tuned = False
        self.frontend = FrontendNode(self)
        self.demux = DemuxNode(self)
        self.dvr = DvrNode(self)

    @property
    def frontend_path(self) -> str:
        return self.frontend.path

    @property
    def demux_path(self) -> str:
        return self.demux.path

    @property
    def dvr_path(self) -> str:
        return self.dvr.path

    def nodes(self) -> list[Node]:
        return [self.frontend, self.demux, self.dvr]

    def packets_at(self, now_ns: int) -> int | None:
        """Packets delivered since the tune, or None while not locked."""
        if not self.tuned:
            return None
        return self.stream.packets_before(now_ns - self.start_ns)

    def tune(self, frequency: int, delivery_system: int, now_ns: int) -> None:
        """vidtv: a valid frequency locks at once (mock_tune_delay_msec 0)."""
        self.frequency = frequency
        self.delivery_system = delivery_system
        valid = delivery_system in (d.SYS_DVBT, d.SYS_DVBT2, d.SYS_DVBC_ANNEX_A) and any(
            abs(frequency - f) <= MAX_FREQUENCY_SHIFT for f in VALID_FREQUENCIES)
        if valid and not self.tuned:
            self.tuned = True
            self.start_ns = now_ns
        elif not valid:
            self.tuned = False
        self.status = FE_LOCKED if self.tuned else 0
        for ctx in self.contexts():
            if ctx.streaming and ctx.cursor is None:
                self.start_consumer(ctx)
            ctx.kick()

    def contexts(self) -> list[DvbVb2Ctx]:
        out = [f.ctx for f in self.demux.filters()]
        if self.dvr.ctx is not None:
            out.append(self.dvr.ctx)
        return out

    def start_consumer(self, ctx: DvbVb2Ctx) -> None:
        """A context starts streaming: it sees packets from now on."""
        clock = ctx.node.clock
        if clock is None:
            return
        now_index = self.packets_at(clock.now_ns())
        ctx.cursor = now_index
        self.route()

    def route(self) -> None:
        """Which PIDs reach which context: started filters to their own context
        (TAP/TSDEMUX_TAP) or to the dvr (TS_TAP)."""
        dvr_pids: set[int] = set()
        for flt in self.demux.filters():
            if not flt.started:
                flt.ctx.pids = frozenset()
                continue
            if flt.output == d.DMX_OUT_TS_TAP:
                dvr_pids.update(flt.pids)
                flt.ctx.pids = frozenset()
            elif flt.output in (d.DMX_OUT_TAP, d.DMX_OUT_TSDEMUX_TAP):
                flt.ctx.pids = frozenset(flt.pids)
                if flt.kind == "section":
                    flt.ctx.mode, flt.ctx.table = "section", flt.table
                else:
                    flt.ctx.mode = "payload" if flt.output == d.DMX_OUT_TAP else "ts"
            else:
                flt.ctx.pids = frozenset()
        if self.dvr.ctx is not None:
            self.dvr.ctx.pids = frozenset(dvr_pids)
        for ctx in self.contexts():
            ctx.kick()
        for flt in self.demux.filters():
            self.demux.arm_ring(flt)


class _MmapNode(AdapterNode):
    """What demux and dvr share: the DMX_* buffer ioctls on a per-handle context."""

    def ctx_of(self, fh: FileHandle) -> DvbVb2Ctx:
        raise fail(errno.ENOTTY)

    def buffer_ioctl(self, fh: FileHandle, request: int, arg: Any) -> bool:
        if request == d.DMX_REQBUFS:
            self.ctx_of(fh).reqbufs(arg)
        elif request == d.DMX_QUERYBUF:
            self.ctx_of(fh).querybuf(arg)
        elif request == d.DMX_EXPBUF:
            self.ctx_of(fh).expbuf(arg)
        elif request == d.DMX_QBUF:
            self.ctx_of(fh).qbuf(arg)
        elif request == d.DMX_DQBUF:
            self.ctx_of(fh).dqbuf(arg)
        else:
            return False
        return True

    def mmap(self, fh: FileHandle, length: int, prot: int, offset: int) -> mmap.mmap:
        return self.ctx_of(fh).queue.mmap(length, prot, offset)

    def poll_ctx(self, ctx: DvbVb2Ctx | None) -> tuple[bool, bool]:
        """dvb_vb2_poll -> vb2_core_poll on a capture queue (no V4L2 quirk)."""
        if ctx is None or not ctx.streaming:
            return (False, False)
        q = ctx.queue
        return (not q.streaming or q.error or q.poll_ready(), False)


class DemuxNode(_MmapNode):
    """``demuxN``: every open gets its own filter and vb2 context (D2)."""

    def __init__(self, adapter: DvbAdapter) -> None:
        super().__init__(f"/dev/dvb/adapter{adapter.number}/demux0",
                         f"dvb{adapter.number}.demux0", adapter.name)
        self.adapter = adapter

    def filters(self) -> list[DemuxFilter]:
        return [fh.private for fh in self.handles if isinstance(fh.private, DemuxFilter)]

    def open(self, fh: FileHandle) -> None:
        ctx = DvbVb2Ctx(self, "demux_filter", bool(fh.flags & os.O_NONBLOCK), self.adapter)
        fh.private = DemuxFilter(ctx)
        super().open(fh)

    def release(self, fh: FileHandle) -> None:
        flt: DemuxFilter = fh.private
        flt.started = False
        if flt.ring_timer is not None:
            flt.ring_timer.cancel()
        flt.ctx.release()
        super().release(fh)
        self.adapter.route()

    def ctx_of(self, fh: FileHandle) -> DvbVb2Ctx:
        ctx: DvbVb2Ctx = fh.private.ctx
        return ctx

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if self.buffer_ioctl(fh, request, arg):
            return 0
        flt: DemuxFilter = fh.private
        if request == d.DMX_SET_PES_FILTER:
            params: d.dmx_pes_filter_params = arg
            if params.pid > ALL_PIDS or params.output > d.DMX_OUT_TSDEMUX_TAP \
                    or params.pes_type > d.DMX_PES_OTHER:
                raise fail(errno.EINVAL)
            flt.started = False
            flt.kind, flt.pids, flt.output = "pes", (params.pid,), params.output
            if params.flags & d.DMX_IMMEDIATE_START:
                flt.started = True
        elif request == d.DMX_SET_FILTER:
            sct: d.dmx_sct_filter_params = arg
            if sct.pid >= ALL_PIDS:
                raise fail(errno.EINVAL)
            flt.started = False
            flt.kind, flt.pids, flt.output = "section", (sct.pid,), d.DMX_OUT_TAP
            flt.table = (sct.filter.filter[0], sct.filter.mask[0])
            if sct.flags & d.DMX_IMMEDIATE_START:
                flt.started = True
        elif request == d.DMX_START:
            if flt.kind == "none":
                raise fail(errno.EINVAL)
            flt.started = True
        elif request == d.DMX_STOP:
            flt.started = False  # the filter only: the vb2 queue keeps streaming (D4)
        elif request == d.DMX_SET_BUFFER_SIZE:
            flt.buffer_size = int(arg)
        elif request == d.DMX_ADD_PID:
            if flt.kind != "pes" or flt.output != d.DMX_OUT_TSDEMUX_TAP:
                raise fail(errno.EINVAL)
            flt.pids = (*flt.pids, arg.value)
        elif request == d.DMX_REMOVE_PID:
            flt.pids = tuple(p for p in flt.pids if p != arg.value)
        else:
            raise fail(errno.ENOTTY)
        if request in (d.DMX_SET_PES_FILTER, d.DMX_SET_FILTER, d.DMX_START):
            flt.ring_data = False  # dvb_dmxdev_filter_start flushes the ring buffer
        self.adapter.route()
        return 0

    def arm_ring(self, flt: DemuxFilter) -> None:
        """When will the ring buffer of a started, not-streaming filter get data?"""
        if flt.ring_timer is not None:
            flt.ring_timer.cancel()
            flt.ring_timer = None
        clock = self.clock
        if not flt.started or flt.ctx.streaming or flt.ring_data or clock is None:
            return
        now_index = self.adapter.packets_at(clock.now_ns())
        if now_index is None:
            return
        ctx = flt.ctx
        first = next(ctx._matching(now_index), None)
        if first is None:
            return

        def arrived() -> None:
            with self.cond:
                flt.ring_timer = None
                if flt.started and not flt.ctx.streaming:
                    flt.ring_data = True
                    self.refresh_poll()

        when = self.adapter.start_ns + self.adapter.stream.packet_ns(first)
        flt.ring_timer = clock.schedule(max(when, clock.now_ns()), arrived)

    def poll_state(self, fh: FileHandle) -> tuple[bool, bool]:
        """dvb_demux_poll: the vb2 queue once streaming, else the ring buffer."""
        flt: DemuxFilter = fh.private
        if flt.ctx.streaming:
            return self.poll_ctx(flt.ctx)
        return (flt.started and flt.ring_data, False)


class DvrNode(_MmapNode):
    """``dvrN``: the TS of every DMX_OUT_TS_TAP filter; mmap needs O_RDWR (D2)."""

    def __init__(self, adapter: DvbAdapter) -> None:
        super().__init__(f"/dev/dvb/adapter{adapter.number}/dvr0",
                         f"dvb{adapter.number}.dvr0", adapter.name)
        self.adapter = adapter
        self.ctx: DvbVb2Ctx | None = None
        self.reader: FileHandle | None = None

    def open(self, fh: FileHandle) -> None:
        mode = fh.flags & os.O_ACCMODE
        if mode in (os.O_RDONLY, os.O_RDWR):
            if self.reader is not None:
                raise fail(errno.EBUSY)  # one reader (dvbdev readers = 1)
            self.reader = fh
            # dvb_vb2_init runs for O_RDWR (may_do_mmap); an O_RDONLY reader gets the
            # context too here, as 6.1 answers its DMX_* ioctls from the last one.
            self.ctx = DvbVb2Ctx(self, "dvr", bool(fh.flags & os.O_NONBLOCK), self.adapter)
        super().open(fh)
        self.adapter.route()

    def release(self, fh: FileHandle) -> None:
        if self.reader is fh:
            self.reader = None
            if self.ctx is not None:
                self.ctx.release()
                self.ctx = None
        super().release(fh)

    def ctx_of(self, fh: FileHandle) -> DvbVb2Ctx:
        if self.ctx is None or self.reader is not fh:
            raise fail(errno.EINVAL)
        return self.ctx

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if self.buffer_ioctl(fh, request, arg):
            return 0
        if request == d.DMX_SET_BUFFER_SIZE:
            return 0
        raise fail(errno.ENOTTY)

    def poll_state(self, fh: FileHandle) -> tuple[bool, bool]:
        return self.poll_ctx(self.ctx if self.reader is fh else None)


__all__ = ["ALL_PIDS", "DVB_V2_MAX_SIZE", "DemuxNode", "DvbAdapter", "DvrNode", "FrontendNode"]
