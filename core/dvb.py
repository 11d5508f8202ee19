"""DVB nodes: the demux and dvr with the DVB mmap API, and the frontend that feeds them.

The DVB mmap API differs from V4L2 in ways that trip people up, and the objects here
make them explicit: there is no STREAMON (the first DMX_QBUF starts the queue),
DMX_STOP does not stop the vb2 queue (DMX_REQBUFS(0) stays EBUSY until close), the
size is clamped by the kernel and not rounded to TS packets, and a kernel without
CONFIG_DVB_MMAP answers ENOTTY, EINVAL or EOPNOTSUPP, which all mean "no mmap API".
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import time
from dataclasses import dataclass
from typing import Any

from core import ioctl as chokepoint
from core.abi import dvb as d
from core.dmabuf import EXPORT_FLAGS_ALLOWED, DmabufOrigin, ExportedBuffer
from core.dvb_stats import STAT_COMMANDS, FrontendStats
from core.dvb_stats import decode as decode_stats
from core.dvblimits import ALL_PIDS, DVB_V2_MAX_SIZE, TS_PACKET
from core.errors import MediaError, media_error
from core.facts import (
    BufferFacts,
    DvbAllocationFacts,
    ExportFacts,
    FilterFacts,
    QueueFacts,
    TuneFacts,
)
from core.handle import NodeHandle
from core.queue import Buffer, BufferState, BufferStatus, Plane, Queue, QueueState, close_mapping

DVB_QUEUE = 0  # the one queue of a demux/dvr file handle (no buffer types in DVB)


@dataclass(frozen=True, slots=True)
class DvbAllocation:
    """DMX_REQBUFS: what was asked and what the kernel granted (count and size)."""

    requested_count: int
    requested_size: int
    count: int
    size: int

    @property
    def size_clamped(self) -> bool:
        return self.size < self.requested_size

    @property
    def whole_packets(self) -> bool:
        return self.size % TS_PACKET == 0


@dataclass(frozen=True, slots=True)
class DvbBufferDone:
    """One DMX_DQBUF result."""

    index: int
    bytesused: int
    offset: int
    length: int
    flags: int
    count: int


class _DvbQueueNode(NodeHandle):
    """What demux and dvr share: the mmap queue, export, close."""

    kind = "dvb"

    def __init__(self, path: str, flags: int = chokepoint.OPEN_FLAGS) -> None:
        super().__init__(path, flags)
        self.queue = Queue(path, DVB_QUEUE)
        self.started = False  # True after the first DMX_QBUF
        self.api_absent: bool | None = None

    def _release(self) -> None:
        self.queue.release(exports=True)

    def queue_state(self) -> QueueState:
        return self.queue.freeze()

    def queue_facts(self) -> QueueFacts:
        """The queue as an error explanation needs it (D3, D4: streaming = started)."""
        return QueueFacts(
            buf_type="dvb",
            memory=None if self.queue.memory is None else "mmap",
            streaming=self.started,
            num_buffers=len(self.queue.buffers),
            in_use=self.queue.in_use(),
        )

    # --- the mmap API -----------------------------------------------------------------

    def has_mmap_api(self) -> bool:
        """Probe with DMX_QUERYBUF on index 0 of a queue with no buffers: a kernel with
        the API answers EINVAL (no such buffer), one without ENOTTY/EOPNOTSUPP.  Early
        kernels answered EINVAL for a missing API too, so EINVAL from DMX_REQBUFS with a
        sane request also counts as absent (see request_buffers)."""
        if self.api_absent is not None:
            return not self.api_absent
        probe = d.dmx_buffer(index=0)
        try:
            chokepoint.ioctl(self.fd, d.DMX_QUERYBUF, probe)
            present = True
        except OSError as exc:
            present = exc.errno not in (errno.ENOTTY, errno.EOPNOTSUPP)
        self.api_absent = not present
        return present

    def request_buffers(self, count: int, size: int) -> DvbAllocation:
        req = d.dmx_requestbuffers(count=count, size=size)
        if count == 0:
            for buf in self.queue.buffers.values():
                for plane in buf.planes:
                    if plane.mapping is not None:
                        close_mapping(plane.mapping)
                        plane.mapping = None
        try:
            chokepoint.ioctl(self.fd, d.DMX_REQBUFS, req)
        except OSError as exc:
            facts = DvbAllocationFacts(
                self.queue_facts(), count, size,
                # EINVAL means "absent" only on kernels a probe already found without it (D1)
                api_absent=exc.errno in (errno.ENOTTY, errno.EOPNOTSUPP)
                or self.api_absent is True,
            )
            if facts.api_absent:
                self.api_absent = True
            raise media_error(exc, ioctl="DMX_REQBUFS", path=self.path, facts=facts) from None
        self.api_absent = False
        with self.queue.lock:
            self.queue.buffers.clear()
            self.queue.requested, self.queue.granted = count, req.count
            self.queue.memory = 1 if req.count else None  # always MMAP (vmalloc)
        for index in range(req.count):
            self.query_buffer(index)
        return DvbAllocation(count, size, req.count, req.size)

    def query_buffer(self, index: int) -> BufferState:
        buf = d.dmx_buffer(index=index)
        self._ioctl(d.DMX_QUERYBUF, buf, "DMX_QUERYBUF",
                    BufferFacts(self.queue_facts(), index, index in self.queue.buffers))
        with self.queue.lock:
            entry = self.queue.buffers.get(index)
            if entry is None:
                entry = self.queue.buffers[index] = Buffer(index, [Plane()])
            plane = entry.planes[0]
            plane.length, plane.mem_offset = buf.length, buf.offset
            return entry.freeze()

    def map_buffer(self, index: int) -> mmap.mmap:
        entry = self.queue.buffers.get(index)
        if entry is None:
            raise media_error(errno.EINVAL, ioctl="DMX_QUERYBUF", path=self.path,
                              facts=BufferFacts(self.queue_facts(), index, exists=False))
        plane = entry.planes[0]
        if plane.mapping is None or plane.mapping.closed:
            try:
                plane.mapping = chokepoint.mmap_fd(self.fd, plane.length, mmap.PROT_READ,
                                                    plane.mem_offset or 0)
            except OSError as exc:
                raise media_error(exc, ioctl="mmap", path=self.path) from None
        return plane.mapping

    def export_buffer(self, index: int, flags: int = os.O_CLOEXEC | os.O_RDONLY) -> ExportedBuffer:
        exp = d.dmx_exportbuffer(index=index, flags=flags)
        exists = index in self.queue.buffers
        facts = ExportFacts(self.queue_facts(), index, 0, flags, EXPORT_FLAGS_ALLOWED,
                            exists=exists, num_planes=1 if exists else None)
        self._ioctl(d.DMX_EXPBUF, exp, "DMX_EXPBUF", facts)
        exported = ExportedBuffer(exp.fd, DmabufOrigin("export", self.path, "dvb", index, 0),
                                  flags)
        entry = self.queue.buffers.get(index)
        if entry is not None:
            entry.planes[0].exports.append(exported)
        return exported

    def exports(self) -> list[ExportedBuffer]:
        return [e for e in self.queue.exports() if not e.closed]

    def close_exports(self) -> int:
        closed = sum(1 for e in self.queue.exports() if not e.closed)
        for exported in self.queue.exports():
            exported.close()
        for buf in self.queue.buffers.values():
            buf.planes[0].exports.clear()
        return closed

    def queue_buffer(self, index: int) -> None:
        """DMX_QBUF; the first one starts the queue streaming."""
        entry = self.queue.buffers.get(index)
        buf = d.dmx_buffer(index=index)
        facts = BufferFacts(self.queue_facts(), index, exists=entry is not None,
                            state=entry.status.value if entry else None)
        self._ioctl(d.DMX_QBUF, buf, "DMX_QBUF", facts)
        self.started = True
        with self.queue.lock:
            self.queue.streaming = True
            self.queue.set_status(index, BufferStatus.QUEUED)

    def dequeue_buffer(self) -> DvbBufferDone:
        """DMX_DQBUF (non-blocking: raises WouldBlock when no buffer is full yet)."""
        buf = d.dmx_buffer()
        self._ioctl(d.DMX_DQBUF, buf, "DMX_DQBUF", BufferFacts(self.queue_facts(), None))
        done = DvbBufferDone(buf.index, buf.bytesused, buf.offset, buf.length, buf.flags,
                             buf.count)
        with self.queue.lock:
            entry = self.queue.buffers.get(buf.index)
            if entry is not None:
                entry.status = BufferStatus.DEQUEUED
                entry.flags = buf.flags
                entry.sequence = buf.count
                entry.timestamp = time.monotonic()
                entry.planes[0].bytesused = buf.bytesused
        return done


class DemuxDevice(_DvbQueueNode):
    """``/dev/dvb/adapterN/demuxM``: every open gets its own filter and queue."""

    kind = "dvb-demux"

    def __init__(self, path: str, flags: int = chokepoint.OPEN_FLAGS) -> None:
        super().__init__(path, flags)
        self.filter_pid: int | None = None  # the PID of the filter set on this fd

    def set_pes_filter(
        self,
        pid: int,
        *,
        output: int | None = None,
        pes_type: int | None = None,
        start: bool = True,
    ) -> None:
        """A TS filter on ``pid`` whose packets arrive on this fd (DMX_OUT_TSDEMUX_TAP)."""
        params = d.dmx_pes_filter_params(
            pid=pid,
            input=d.DMX_IN_FRONTEND,
            output=d.DMX_OUT_TSDEMUX_TAP if output is None else output,
            pes_type=d.DMX_PES_OTHER if pes_type is None else pes_type,
            flags=d.DMX_IMMEDIATE_START if start else 0,
        )
        self._ioctl(d.DMX_SET_PES_FILTER, params, "DMX_SET_PES_FILTER", FilterFacts(pid))
        self.filter_pid = pid

    def set_section_filter(self, pid: int, table_id: int | None = None, *,
                           crc: bool = True, start: bool = True) -> None:
        params = d.dmx_sct_filter_params(pid=pid, timeout=0)
        if table_id is not None:
            params.filter.filter[0] = table_id
            params.filter.mask[0] = 0xFF
        params.flags = (d.DMX_CHECK_CRC if crc else 0) | (d.DMX_IMMEDIATE_START if start else 0)
        self._ioctl(d.DMX_SET_FILTER, params, "DMX_SET_FILTER", FilterFacts(pid))
        self.filter_pid = pid

    def set_buffer_size(self, size: int) -> None:
        # _IO with a value argument: the size itself, not a pointer to it.
        self._ioctl(d.DMX_SET_BUFFER_SIZE, size, "DMX_SET_BUFFER_SIZE",
                    FilterFacts(self.filter_pid))

    def start(self) -> None:
        self._ioctl(d.DMX_START, None, "DMX_START", FilterFacts(self.filter_pid))

    def stop(self) -> None:
        """DMX_STOP stops the filter, not the vb2 queue (see the module docstring)."""
        self._ioctl(d.DMX_STOP, None, "DMX_STOP", FilterFacts(self.filter_pid))


class DvrDevice(_DvbQueueNode):
    """``/dev/dvb/adapterN/dvrM``: mmap needs O_RDWR; one reader at a time."""

    kind = "dvb-dvr"


@dataclass(frozen=True, slots=True)
class FrontendInfo:
    name: str
    type: int
    frequency_min: int
    frequency_max: int
    frequency_stepsize: int
    caps: int
    delivery_systems: tuple[int, ...]


# What dvb-fe-tool opens a frontend with to read it: O_RDONLY admits only the _IOC_READ
# ioctls (FE_GET_INFO, FE_READ_STATUS, FE_GET_PROPERTY; dvb_frontend_ioctl answers
# EPERM to the rest) and is not the one writer dvb_frontend_open allows (EBUSY for a
# second O_RDWR), so it works while another process holds the frontend to tune it.
FE_READ_ONLY = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


class FrontendDevice(NodeHandle):
    """``/dev/dvb/adapterN/frontendM``: info, status and tuning (tuning needs the
    default read-write open; inspect with :meth:`read_only`)."""

    kind = "dvb-frontend"

    @classmethod
    def read_only(cls, path: str) -> FrontendDevice:
        """Open to look, not to tune (FE_READ_ONLY): never disturbs the process that
        tunes it.  Raises MediaError like any open."""
        return cls(path, FE_READ_ONLY)

    def info(self) -> FrontendInfo:
        info = d.dvb_frontend_info()
        self._ioctl(d.FE_GET_INFO, info, "FE_GET_INFO")
        return FrontendInfo(
            name=info.name.decode(errors="replace").rstrip("\0"),
            type=info.type,
            frequency_min=info.frequency_min,
            frequency_max=info.frequency_max,
            frequency_stepsize=info.frequency_stepsize,
            caps=info.caps,
            delivery_systems=self.delivery_systems(),
        )

    def _properties(self, request: int, name: str, items: list[tuple[int, int]]) -> list[Any]:
        props = (d.dtv_property * len(items))()
        for prop, (cmd, data) in zip(props, items, strict=True):
            prop.cmd = cmd
            prop.u.data = data
        arg = d.dtv_properties(num=len(items), props=props)
        self._ioctl(request, arg, name)
        return list(props)

    def delivery_systems(self) -> tuple[int, ...]:
        try:
            (prop,) = self._properties(d.FE_GET_PROPERTY, "FE_GET_PROPERTY",
                                       [(d.DTV_ENUM_DELSYS, 0)])
        except MediaError:
            return ()
        return tuple(prop.u.buffer.data[i] for i in range(prop.u.buffer.len))

    def stats(self) -> FrontendStats:
        """Every ``DTV_STAT_*`` in one ``FE_GET_PROPERTY`` (works on a read-only open,
        as dvb-fe-tool uses it, while another process holds the frontend).

        Raises :class:`MediaError` when the ioctl fails (a DVBv3-only driver: EOPNOTSUPP).
        """
        props = self._properties(d.FE_GET_PROPERTY, "FE_GET_PROPERTY",
                                 [(cmd, 0) for _key, cmd in STAT_COMMANDS])
        return decode_stats(props)

    def read_status(self) -> int:
        status = ctypes.c_uint(0)
        self._ioctl(d.FE_READ_STATUS, status, "FE_READ_STATUS")
        return status.value

    def tune_facts(self, frequency: int, delivery_system: str) -> TuneFacts:
        """``frequency`` against FE_GET_INFO's range (asked only when explaining a refusal;
        FE_GET_INFO gives kHz for satellite systems, Hz for the others)."""
        try:
            info = self.info()
        except MediaError:
            return TuneFacts(frequency, None, None, delivery_system=delivery_system)
        unit = "kHz" if info.type == d.FE_QPSK else "Hz"
        return TuneFacts(frequency, info.frequency_min, info.frequency_max, unit,
                         delivery_system)

    def tune_dvbt(self, frequency: int = 474_000_000, bandwidth: int = 8_000_000) -> None:
        """DVB-T with everything else on AUTO: enough for vidtv and most tuners.

        Raises :class:`core.errors.InvalidRequest` naming the frontend's frequency range
        when dvb_frontend refuses the parameters (EINVAL)."""
        try:
            self._tune_dvbt(frequency, bandwidth)
        except MediaError as exc:
            if exc.errno != errno.EINVAL:
                raise
            raise media_error(errno.EINVAL, ioctl="FE_SET_PROPERTY", path=self.path,
                              facts=self.tune_facts(frequency, "DVB-T")) from None

    def _tune_dvbt(self, frequency: int, bandwidth: int) -> None:
        self._properties(
            d.FE_SET_PROPERTY,
            "FE_SET_PROPERTY",
            [
                (d.DTV_CLEAR, 0),
                (d.DTV_DELIVERY_SYSTEM, d.SYS_DVBT),
                (d.DTV_FREQUENCY, frequency),
                (d.DTV_BANDWIDTH_HZ, bandwidth),
                (d.DTV_MODULATION, d.QAM_AUTO),
                (d.DTV_INVERSION, d.INVERSION_AUTO),
                (d.DTV_CODE_RATE_HP, d.FEC_AUTO),
                (d.DTV_CODE_RATE_LP, d.FEC_AUTO),
                (d.DTV_GUARD_INTERVAL, d.GUARD_INTERVAL_AUTO),
                (d.DTV_TRANSMISSION_MODE, d.TRANSMISSION_MODE_AUTO),
                (d.DTV_HIERARCHY, d.HIERARCHY_AUTO),
                (d.DTV_TUNE, 0),
            ],
        )

    def wait_for_lock(self, timeout: float = 5.0, interval: float = 0.05) -> int:
        """Poll FE_READ_STATUS until FE_HAS_LOCK; returns the last status."""
        deadline = time.monotonic() + timeout
        status = self.read_status()
        while not status & d.FE_HAS_LOCK and time.monotonic() < deadline:
            time.sleep(interval)
            status = self.read_status()
        if not status & d.FE_HAS_LOCK:
            raise MediaError(
                path=self.path, ioctl="FE_READ_STATUS", errno=None,
                title="No lock",
                explanation=f"The frontend did not lock within {timeout:.1f} s "
                f"(status {', '.join(d.fe_status_names(status)) or 'none'}): check the "
                "frequency and delivery system.",
            )
        return status


__all__ = [
    "ALL_PIDS",
    "DVB_V2_MAX_SIZE",
    "TS_PACKET",
    "DemuxDevice",
    "DvbAllocation",
    "DvbBufferDone",
    "DvrDevice",
    "FrontendDevice",
    "FrontendInfo",
]
