"""MPEG transport-stream statistics for DVB demux/dvr buffers: pure and synchronous.

A DVB buffer is a run of 188-byte TS packets, but nothing guarantees a buffer ends on
a packet boundary (the DMX_REQBUFS size is not rounded to 188), so the tail of one
buffer is carried into the next.  Per packet the checks are the ones that tell a
broken stream from a healthy one (ISO/IEC 13818-1 §2.4.3.3):

* the sync byte 0x47 at every packet start; a miss is one *sync loss*, after which we
  resynchronise on two sync bytes 188 bytes apart;
* the 4-bit ``continuity_counter`` per PID, which increments only on packets that carry
  a payload: adaptation-only packets keep it, one duplicate packet may repeat it, the
  ``discontinuity_indicator`` of the adaptation field restarts it, and the null PID
  0x1FFF is not counted;
* ``transport_error_indicator`` (TEI) packets, whose header cannot be trusted.

The per-packet loop works on the column of header bytes (``data[1::188]`` …), which
CPython slices in C, so a buffer costs one Python iteration per packet and no copies
beyond those columns.
"""

from __future__ import annotations

from collections import deque

from core.abi import dvb as d
from core.dvb import TS_PACKET
from core.stream.snapshot import TsStreamStats

SYNC = 0x47
NULL_PID = 0x1FFF
_NPIDS = 1 << 13  # one counter per PID (13 bits)

DMX_FLAG_NAMES: tuple[tuple[int, str], ...] = (
    (int(d.DMX_BUFFER_FLAG_HAD_CRC32_DISCARD), "HAD_CRC32_DISCARD"),
    (int(d.DMX_BUFFER_FLAG_TEI), "TEI"),
    (int(d.DMX_BUFFER_PKT_COUNTER_MISMATCH), "PKT_COUNTER_MISMATCH"),
    (int(d.DMX_BUFFER_FLAG_DISCONTINUITY_DETECTED), "DISCONTINUITY_DETECTED"),
    (int(d.DMX_BUFFER_FLAG_DISCONTINUITY_INDICATOR), "DISCONTINUITY_INDICATOR"),
)


class TsStats:
    """Counts for a TS carried in DVB buffers (sections are counted as bytes only)."""

    __slots__ = (
        "_carry",
        "_cc",
        "_in_sync",
        "_window",
        "buffers",
        "bytes",
        "cc_errors",
        "dmx_counts",
        "dmx_flags",
        "duplicates",
        "first_arrival",
        "last_arrival",
        "last_count",
        "packets",
        "pid_packets",
        "sync_losses",
        "tei",
        "window_s",
    )

    def __init__(self, *, window_s: float = 2.0, window_buffers: int = 512) -> None:
        self.window_s = window_s
        self._window: deque[tuple[float, int, int]] = deque(maxlen=window_buffers)
        self._carry = b""
        self._cc = [-1] * _NPIDS  # last continuity counter per PID (-1: none yet)
        self._in_sync = True
        self.pid_packets = [0] * _NPIDS
        self.cc_errors: dict[int, int] = {}
        self.buffers = 0
        self.bytes = 0
        self.packets = 0
        self.sync_losses = 0
        self.tei = 0
        self.duplicates = 0
        self.dmx_flags = [0] * len(DMX_FLAG_NAMES)
        self.dmx_counts = 0  # gaps in dmx_buffer.count
        self.last_count: int | None = None
        self.first_arrival: float | None = None
        self.last_arrival: float | None = None

    # --- per buffer ---------------------------------------------------------------------

    def add_buffer(self, data: bytes, arrival: float, flags: int = 0,
                   count: int | None = None) -> None:
        """One dequeued DVB buffer: its bytes, when it arrived, its dmx flags/count."""
        self.buffers += 1
        if self.first_arrival is None:
            self.first_arrival = arrival
        self.last_arrival = arrival
        if flags:
            for i, (bit, _) in enumerate(DMX_FLAG_NAMES):
                if flags & bit:
                    self.dmx_flags[i] += 1
        if count is not None:
            if self.last_count is not None and count != self.last_count + 1:
                self.dmx_counts += 1
            self.last_count = count
        before = self.packets
        self.feed(data)
        self._window.append((arrival, len(data), self.packets - before))

    def feed(self, data: bytes) -> None:
        """Parse TS bytes (any length; a partial packet waits for the next call)."""
        self.bytes += len(data)
        buf = self._carry + data if self._carry else bytes(data)
        pos = 0
        end = len(buf)
        while end - pos >= TS_PACKET:
            if buf[pos] != SYNC:
                pos = self._resync(buf, pos)
                continue
            n = (end - pos) // TS_PACKET
            stop = pos + n * TS_PACKET
            syncs = buf[pos:stop:TS_PACKET]
            if syncs.count(SYNC) != n:
                n = syncs.index(next(b for b in syncs if b != SYNC))
                stop = pos + n * TS_PACKET
            self._packets(buf, pos, stop, n)
            pos = stop
        self._carry = buf[pos:]

    def _resync(self, buf: bytes, pos: int) -> int:
        """Lost sync at ``pos``: count it once and find two sync bytes 188 apart."""
        if self._in_sync:
            self.sync_losses += 1
            self._in_sync = False
        end = len(buf)
        k = buf.find(b"\x47", pos + 1)
        while k != -1:
            if k + TS_PACKET >= end or buf[k + TS_PACKET] == SYNC:
                return k
            k = buf.find(b"\x47", k + 1)
        # No candidate: keep the last partial packet's worth of bytes for the next buffer.
        return max(pos + 1, end - TS_PACKET + 1)

    def _packets(self, buf: bytes, start: int, stop: int, n: int) -> None:
        """``n`` sync-aligned packets from ``start``: TEI, PID counts, continuity."""
        self._in_sync = True
        self.packets += n
        cc = self._cc
        counts = self.pid_packets
        errors = self.cc_errors
        off = start
        for h1, lo, h3 in zip(
            buf[start + 1 : stop : TS_PACKET],
            buf[start + 2 : stop : TS_PACKET],
            buf[start + 3 : stop : TS_PACKET],
            strict=True,
        ):
            if h1 & 0x80:
                self.tei += 1
                off += TS_PACKET
                continue
            pid = ((h1 & 0x1F) << 8) | lo
            counts[pid] += 1
            if pid == NULL_PID:
                off += TS_PACKET
                continue
            counter = h3 & 0x0F
            if h3 & 0x20 and buf[off + 4] and buf[off + 5] & 0x80:
                cc[pid] = counter  # discontinuity_indicator: the counter may restart
            elif h3 & 0x10:  # payload present: the counter must advance by one
                prev = cc[pid]
                if prev >= 0 and counter != (prev + 1) & 0x0F:
                    if counter == prev:
                        self.duplicates += 1
                    else:
                        errors[pid] = errors.get(pid, 0) + 1
                cc[pid] = counter
            off += TS_PACKET

    # --- snapshot -----------------------------------------------------------------------

    def freeze(self, now: float) -> TsStreamStats:
        cutoff = now - self.window_s
        recent = [w for w in self._window if w[0] >= cutoff]
        bytes_per_s = packets_per_s = None
        if len(recent) >= 2 and recent[-1][0] > recent[0][0]:
            span = recent[-1][0] - recent[0][0]
            # The first buffer's data arrived before the span started.
            bytes_per_s = sum(w[1] for w in recent[1:]) / span
            packets_per_s = sum(w[2] for w in recent[1:]) / span
        pids = tuple((pid, n) for pid, n in enumerate(self.pid_packets) if n)
        return TsStreamStats(
            buffers=self.buffers,
            bytes=self.bytes,
            packets=self.packets,
            bytes_per_s=bytes_per_s,
            packets_per_s=packets_per_s,
            sync_losses=self.sync_losses,
            cc_errors=sum(self.cc_errors.values()),
            cc_errors_by_pid=tuple(sorted(self.cc_errors.items())),
            duplicates=self.duplicates,
            tei_packets=self.tei,
            pid_packets=pids,
            dmx_flags=tuple(
                (name, n) for (_, name), n in zip(DMX_FLAG_NAMES, self.dmx_flags, strict=True)
            ),
            since_last_buffer=None if self.last_arrival is None else now - self.last_arrival,
        )
