"""``dvb_vb2.c``: the vb2 context behind a demux filter or the dvr, and its TS feed.

The buffer ioctls (DMX_REQBUFS/QUERYBUF/EXPBUF/QBUF/DQBUF) go through a vb2 queue
(``vb2.py``) with DVB's own twists (D3-D6): the size is clamped to 4096 x 188 and not
rounded to packets, the first DMX_QBUF starts streaming, DMX_DQBUF fills ``count`` and
the accumulated ``flags``.  The feed side is ``dvb_vb2_fill_buffer``: TS bytes run on
across buffers and complete one only when it is full; a section (``flush``) completes
the buffer it ends in; what arrives while no buffer is queued is dropped.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from core.abi import dvb as d
from core.virtual.clock import Timer
from core.virtual.node import Node
from core.virtual.vb2 import MEMORY_MMAP, Buffer, Queue, State, fail

if TYPE_CHECKING:
    from core.virtual.dvb import DvbAdapter

DVB_V2_MAX_SIZE = 4096 * 188
DVB_BUF_TYPE_CAPTURE = 1
ALL_PIDS = 0x2000


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


__all__ = ["ALL_PIDS", "DVB_BUF_TYPE_CAPTURE", "DVB_V2_MAX_SIZE", "DvbVb2Ctx"]
