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

import ctypes
import errno
import mmap
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.abi import dvb as d
from core.virtual.clock import Timer
from core.virtual.node import FileHandle, Node
from core.virtual.ts import TransportStream
from core.virtual.vb2 import MEMORY_MMAP, Buffer, Queue, State, fail

DVB_V2_MAX_SIZE = 4096 * 188
DVB_BUF_TYPE_CAPTURE = 1
ALL_PIDS = 0x2000
VALID_FREQUENCIES = (474_000_000,)  # vidtv_valid_dvb_t_freqs / _c_freqs
MAX_FREQUENCY_SHIFT = 100_000  # vidtv's max_frequency_shift_hz default is much larger
FE_LOCKED = (d.FE_HAS_SIGNAL | d.FE_HAS_CARRIER | d.FE_HAS_VITERBI | d.FE_HAS_SYNC
             | d.FE_HAS_LOCK)
DELIVERY_SYSTEMS = (d.SYS_DVBT, d.SYS_DVBT2, d.SYS_DVBC_ANNEX_A, d.SYS_DVBS, d.SYS_DVBS2)


class DvbVb2Ctx:
    """``struct dvb_vb2_ctx``: a vb2 queue plus the fill state of the current buffer."""

    def __init__(self, node: Node, name: str, nonblocking: bool,
                 adapter: DvbAdapter) -> None:
        self.node = node
        self.name = name
        self.nonblocking = nonblocking
        self.adapter = adapter
        self.queue = Queue(buf_type=DVB_BUF_TYPE_CAPTURE, is_output=False, ops=self,
                           cond=node.cond, io_modes=(MEMORY_MMAP,), min_buffers_needed=1,
                           name=name)
        self.queue.on_change = node.refresh_poll
        self.buf_size = 0
        self.streaming = False  # DVB_VB2_STATE_STREAMON
        self.count = 0
        self.flags = 0
        self.current: Buffer | None = None
        self.offset = 0
        self.cursor: int | None = None  # next packet index this context looks at
        self.first_fill = True
        self.starved_at: int | None = None  # when the last queued buffer was used up
        self.timer: Timer | None = None
        self.pids: frozenset[int] = frozenset()  # what reaches this context
        self.mode = "ts"  # "ts" (whole packets), "payload" (DMX_OUT_TAP) or "section"
        self.table: tuple[int, int] = (0, 0)  # section filter: (table_id, mask)

    # --- vb2_ops (dvb_vb2_qops) -------------------------------------------------------

    def queue_setup(self, queue: Queue, count: int,
                    sizes: Sequence[int] | None) -> tuple[int, list[int]]:
        return count, [self.buf_size]

    def buf_prepare(self, queue: Queue, buf: Buffer) -> None:
        if buf.planes[0].length < self.buf_size:
            raise fail(errno.EINVAL)
        buf.planes[0].bytesused = self.buf_size

    def buf_queue(self, queue: Queue, buf: Buffer) -> None:
        self.kick()

    def start_streaming(self, queue: Queue) -> None:
        pass

    def stop_streaming(self, queue: Queue) -> None:
        self.cancel_timer()
        for buf in queue.active():
            queue.buffer_done(buf, State.ERROR)
        self.current = None

    # --- the ioctls -------------------------------------------------------------------

    def reqbufs(self, req: d.dmx_requestbuffers) -> None:
        """dvb_vb2_reqbufs: clamp the size (not rounded to 188: a FIXME upstream)."""
        size = min(req.size, DVB_V2_MAX_SIZE)
        self.buf_size = size
        req.count = self.queue.reqbufs(MEMORY_MMAP, req.count)
        req.size = size

    def querybuf(self, b: d.dmx_buffer) -> None:
        self._fill(self.queue.buffer(b.index), b)

    @staticmethod
    def _fill(buf: Buffer, b: d.dmx_buffer) -> None:
        """_fill_dmx_buffer: flags and count are left as the caller passed them."""
        plane = buf.planes[0]
        b.index = buf.index
        b.length = plane.length
        b.bytesused = plane.bytesused
        b.offset = plane.mem_offset

    def qbuf(self, b: d.dmx_buffer) -> None:
        """dvb_vb2_qbuf, then DMX_QBUF's stream-on at the first one (D4)."""
        buf = self.queue.buffer(b.index)
        self.queue.qbuf(b.index, MEMORY_MMAP, ())
        self._fill(buf, b)
        if not self.streaming:
            self.queue.streamon()
            self.streaming = True
            self.adapter.start_consumer(self)
        self.kick()

    def dqbuf(self, b: d.dmx_buffer) -> None:
        buf = self.queue.dqbuf(self.nonblocking)
        self._fill(buf, b)
        self.queue.finish_dequeue(buf)
        b.count = self.count
        self.count += 1
        b.flags = self.flags
        self.flags = 0

    def expbuf(self, exp: d.dmx_exportbuffer) -> None:
        exp.fd = self.queue.expbuf(self.queue.buf_type, exp.index, 0, exp.flags)

    def stream_off(self) -> None:
        self.streaming = False
        self.cancel_timer()
        self.queue.streamoff()
        self.current = None
        self.cursor = None

    def release(self) -> None:
        """dvb_vb2_stream_off + dvb_vb2_release at close."""
        if self.streaming:
            self.stream_off()
        self.queue.release()

    # --- the feed ---------------------------------------------------------------------

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def kick(self) -> None:
        """Arm for the moment the current (or next) buffer will be full."""
        if self.timer is not None or not self.streaming or self.cursor is None:
            return
        clock = self.node.clock
        if clock is None:
            return
        if not self.queue.active():
            if self.starved_at is None:
                self.starved_at = clock.now_ns()  # what arrives now has nowhere to go
            return
        if not self.pids:
            return
        stream = self.adapter.stream
        now_index = self.adapter.packets_at(clock.now_ns())
        if now_index is None:
            return  # not tuned: no data
        if self.starved_at is not None:
            # The packets that went by while nothing was queued are dropped (D5).
            since = self.adapter.packets_at(self.starved_at) or 0
            self.cursor = min(self.cursor + max(now_index - since, 0), now_index)
            self.starved_at = None
        room = self.queue.active()[0].planes[0].length - (
            self.offset if self.current is not None else 0)
        last = self._last_packet_for(room)
        if last is None:
            return  # the filtered PIDs are not in the multiplex: nothing will come
        when = self.adapter.start_ns + stream.packet_ns(last)
        self.timer = clock.schedule(max(when, clock.now_ns()), self._fire)

    def wants(self, n: int) -> bool:
        """Does packet ``n`` reach this context?"""
        stream = self.adapter.stream
        if self.mode == "section":
            pid = stream.pid_of(n)
            section = stream.sections().get(pid) if pid in self.pids else None
            table_id, mask = self.table
            return section is not None and (section[0] & mask) == (table_id & mask)
        return ALL_PIDS in self.pids or stream.pid_of(n) in self.pids

    def _matching(self, start: int) -> Iterator[int]:
        """Indexes of the packets this context receives, from ``start`` on; none if
        nothing wanted is in the multiplex (the stream repeats every cycle)."""
        period = self.adapter.stream.packets_per_cycle
        if not any(self.wants(n) for n in range(start, start + period)):
            return
        n = start
        while True:
            if self.wants(n):
                yield n
            n += 1

    def _chunk(self, n: int) -> bytes:
        stream = self.adapter.stream
        if self.mode == "section":
            return stream.sections()[stream.pid_of(n)]
        packet = stream.packet(n)
        if self.mode == "payload":
            return packet[4:] if not packet[3] & 0x20 else packet[5 + packet[4]:]
        return packet

    def _last_packet_for(self, room: int) -> int | None:
        """Index of the packet that completes a buffer with ``room`` bytes left."""
        assert self.cursor is not None
        if self.mode == "section":
            # Every section is flushed into its own buffer.
            return next(self._matching(self.cursor), None)
        got = 0
        for n in self._matching(self.cursor):
            got += len(self._chunk(n))
            if got >= room:
                return n
        return None

    def _fire(self) -> None:
        with self.node.cond:
            self.timer = None
            if not self.streaming or self.cursor is None or self.node.clock is None:
                return
            until = self.adapter.packets_at(self.node.clock.now_ns())
            if until is None:
                return
            n = self.cursor
            while n < until:
                if self.current is None and not self.queue.active():
                    # Out of buffers: the rest waits for the next QBUF (if that comes
                    # late, kick() drops what went by).  A clock thread that woke up
                    # late must not lose data a real demux would have had room for.
                    break
                if self.wants(n):
                    self.fill(self._chunk(n), flush=self.mode == "section")
                n += 1
            self.cursor = n
            self.kick()

    def fill(self, data: bytes, *, flush: bool = False) -> int:
        """dvb_vb2_fill_buffer: copy into queued buffers, completing full ones; a
        section (``flush``) completes the buffer it ends in."""
        if self.first_fill and self.mode != "ts":
            # Section and payload feeds check continuity counters, and the first packet
            # has nothing to continue from (the whole-packet TS path does not check).
            self.flags |= d.DMX_BUFFER_FLAG_DISCONTINUITY_DETECTED
        self.first_fill = False
        todo = memoryview(data)
        last = 0
        while todo:
            if self.current is None:
                active = [b for b in self.queue.active()]
                if not active:
                    break  # "Buffer overflow": the rest is dropped
                self.current = active[0]
                self.offset = 0
            buf = self.current
            room = buf.planes[0].length - self.offset
            last = min(len(todo), room)
            memory = buf.planes[0].memory
            if memory is not None:
                memory.write(self.offset, todo[:last])
            todo = todo[last:]
            self.offset += last
            if self.offset >= buf.planes[0].length:
                self.queue.buffer_done(buf, State.DONE)
                self.current = None
        if flush and self.current is not None:
            self.current.planes[0].bytesused = last
            self.queue.buffer_done(self.current, State.DONE)
            self.current = None
        return len(data) - len(todo)


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
        self.status = 0
        self.frequency = 0
        self.delivery_system = d.SYS_DVBT
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


class _AdapterNode(Node):
    """A node of the adapter: DVB nodes report the adapter's platform bus (vidtv's)."""

    subsystem = "dvb"
    adapter: DvbAdapter

    @property
    def bus_info(self) -> str:
        return f"platform:{self.adapter.name}"


class FrontendNode(_AdapterNode):
    """``frontendN``: info, status, DVBv5 properties; one writer at a time."""

    def __init__(self, adapter: DvbAdapter) -> None:
        super().__init__(f"/dev/dvb/adapter{adapter.number}/frontend0",
                         f"dvb{adapter.number}.frontend0", adapter.name)
        self.adapter = adapter
        self.writer: FileHandle | None = None

    def open(self, fh: FileHandle) -> None:
        if fh.flags & os.O_ACCMODE != os.O_RDONLY:
            if self.writer is not None:
                raise fail(errno.EBUSY)
            self.writer = fh
        super().open(fh)

    def release(self, fh: FileHandle) -> None:
        if self.writer is fh:
            self.writer = None
        super().release(fh)

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        adapter = self.adapter
        if request == d.FE_GET_INFO:
            info: d.dvb_frontend_info = arg
            ctypes.memset(ctypes.addressof(info), 0, ctypes.sizeof(info))
            info.name = b"Dummy demod for DVB-T/T2/C/S/S2"
            info.type = d.FE_OFDM
            info.frequency_min = 51_000_000
            info.frequency_max = 2_150_000_000
            info.frequency_stepsize = 62_500
            info.symbol_rate_min = 1_000_000
            info.symbol_rate_max = 45_000_000
            info.frequency_tolerance = 29_500_000
            # Every FE_CAN_* from INVERSION_AUTO to HIERARCHY_AUTO except BANDWIDTH_AUTO,
            # as vidtv's demod announces (0x1bffff on the test kernel).
            info.caps = 0x1BFFFF
            return 0
        if request == d.FE_READ_STATUS:
            arg.value = adapter.status
            return 0
        if request in (d.FE_READ_BER, d.FE_READ_UNCORRECTED_BLOCKS):
            arg.value = 0
            return 0
        if request in (d.FE_READ_SIGNAL_STRENGTH, d.FE_READ_SNR):
            arg.value = 0xFFFF if adapter.tuned else 0
            return 0
        if request == d.FE_SET_PROPERTY:
            if fh.flags & os.O_ACCMODE == os.O_RDONLY:
                raise fail(errno.EPERM)
            self._set_properties(arg)
            return 0
        if request == d.FE_GET_PROPERTY:
            self._get_properties(arg)
            return 0
        raise fail(errno.ENOTTY)

    def _props(self, arg: d.dtv_properties) -> list[d.dtv_property]:
        if arg.num == 0 or arg.num > d.DTV_IOCTL_MAX_MSGS or not arg.props:
            raise fail(errno.EINVAL)
        return [arg.props[i] for i in range(arg.num)]

    def _set_properties(self, arg: d.dtv_properties) -> None:
        pending = getattr(self, "_pending", {})
        for prop in self._props(arg):
            if prop.cmd == d.DTV_CLEAR:
                pending = {}
            elif prop.cmd == d.DTV_TUNE:
                clock = self.clock
                now = clock.now_ns() if clock is not None else 0
                self.adapter.tune(pending.get(d.DTV_FREQUENCY, self.adapter.frequency),
                                  pending.get(d.DTV_DELIVERY_SYSTEM,
                                              self.adapter.delivery_system), now)
            else:
                pending[prop.cmd] = prop.u.data
        self._pending = pending

    def _get_properties(self, arg: d.dtv_properties) -> None:
        for prop in self._props(arg):
            if prop.cmd == d.DTV_ENUM_DELSYS:
                for i, system in enumerate(DELIVERY_SYSTEMS):
                    prop.u.buffer.data[i] = system
                prop.u.buffer.len = len(DELIVERY_SYSTEMS)
            elif prop.cmd == d.DTV_DELIVERY_SYSTEM:
                prop.u.data = self.adapter.delivery_system
            elif prop.cmd == d.DTV_FREQUENCY:
                prop.u.data = self.adapter.frequency
            elif prop.cmd == d.DTV_API_VERSION:
                prop.u.data = (5 << 8) | 11
            else:
                prop.u.data = 0
            prop.result = 0


class _MmapNode(_AdapterNode):
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
        return fh.private.ctx

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
