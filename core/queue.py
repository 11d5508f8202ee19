"""The application's model of one buffer queue: which buffer is where, right now.

The kernel does not tell a process where its buffers are unless it asks (QUERYBUF), so
the model is updated from the ioctls the core itself issues (REQBUFS, QBUF, DQBUF,
STREAMOFF…) and corrected from QUERYBUF flags.  Mutable state stays inside ``core``;
what leaves it is a frozen :class:`QueueState` / :class:`BufferState` snapshot.
"""

from __future__ import annotations

import contextlib
import mmap
import threading

from core.compat import StrEnum
from core.dmabuf import Dmabuf, ExportedBuffer
from core.record import field, record


class BufferStatus(StrEnum):
    """Where a buffer is, in videobuf2's terms."""

    DEQUEUED = "dequeued"  # with the application
    PREPARED = "prepared"  # PREPARE_BUF done, still with the application
    QUEUED = "queued"  # in the driver (queued or being filled)
    DONE = "done"  # filled, waiting in the done list for DQBUF
    ERROR = "error"  # done, with V4L2_BUF_FLAG_ERROR


@record
class PlaneState:
    length: int
    bytesused: int = 0
    data_offset: int = 0
    mem_offset: int | None = None  # the mmap cookie (MMAP queues)
    mapped: bool = False  # mapped by this process
    exported_fds: tuple[int, ...] = ()  # open dma-buf fds this process exported
    imported_fd: int | None = None  # dma-buf fd last queued on this plane (DMABUF)


@record
class BufferState:
    index: int
    status: BufferStatus
    flags: int
    sequence: int | None
    timestamp: float | None  # seconds, the driver's clock (see timestamp type flags)
    field: int
    planes: tuple[PlaneState, ...]

    @property
    def bytesused(self) -> int:
        return sum(p.bytesused for p in self.planes)


@record
class QueueState:
    """One queue, frozen: safe to hand to another thread."""

    path: str
    buf_type: int
    memory: int | None
    streaming: bool
    requested: int | None  # count asked for in the last REQBUFS/CREATE_BUFS
    granted: int | None  # count the kernel answered
    min_buffers: int | None  # V4L2_CID_MIN_BUFFERS_FOR_CAPTURE/OUTPUT, if the driver has it
    capabilities: int  # V4L2_BUF_CAP_* from the last REQBUFS/CREATE_BUFS
    buffers: tuple[BufferState, ...]

    @property
    def num_buffers(self) -> int:
        return len(self.buffers)

    def count(self, status: BufferStatus) -> int:
        return sum(1 for b in self.buffers if b.status is status)


@record(frozen=False)
class Plane:
    """Mutable per-plane bookkeeping (private to core)."""

    length: int = 0
    bytesused: int = 0
    data_offset: int = 0
    mem_offset: int | None = None
    mapping: mmap.mmap | None = None
    exports: list[ExportedBuffer] = field(default_factory=list)
    imported: Dmabuf | int | None = None

    def freeze(self) -> PlaneState:
        imported = self.imported
        if isinstance(imported, Dmabuf):
            imported_fd = None if imported.closed else imported.fd
        else:
            imported_fd = imported
        return PlaneState(
            length=self.length,
            bytesused=self.bytesused,
            data_offset=self.data_offset,
            mem_offset=self.mem_offset,
            mapped=self.mapping is not None and not self.mapping.closed,
            exported_fds=tuple(e.fd for e in self.exports if not e.closed),
            imported_fd=imported_fd,
        )


@record(frozen=False)
class Buffer:
    index: int
    planes: list[Plane]
    status: BufferStatus = BufferStatus.DEQUEUED
    flags: int = 0
    sequence: int | None = None
    timestamp: float | None = None
    field: int = 0

    def freeze(self) -> BufferState:
        return BufferState(
            index=self.index,
            status=self.status,
            flags=self.flags,
            sequence=self.sequence,
            timestamp=self.timestamp,
            field=self.field,
            planes=tuple(p.freeze() for p in self.planes),
        )


@record(frozen=False)
class Queue:
    """The model of one (device, buffer type) queue."""

    path: str
    buf_type: int
    memory: int | None = None
    streaming: bool = False
    requested: int | None = None
    granted: int | None = None
    min_buffers: int | None = None
    capabilities: int = 0
    buffers: dict[int, Buffer] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def freeze(self) -> QueueState:
        with self.lock:
            return QueueState(
                path=self.path,
                buf_type=self.buf_type,
                memory=self.memory,
                streaming=self.streaming,
                requested=self.requested,
                granted=self.granted,
                min_buffers=self.min_buffers,
                capabilities=self.capabilities,
                buffers=tuple(self.buffers[i].freeze() for i in sorted(self.buffers)),
            )

    def set_status(self, index: int, status: BufferStatus) -> None:
        buf = self.buffers.get(index)
        if buf is not None:
            buf.status = status

    def all_dequeued(self) -> None:
        """STREAMOFF (or a free) returns every buffer to the application."""
        for buf in self.buffers.values():
            buf.status = BufferStatus.DEQUEUED

    def mappings(self) -> list[mmap.mmap]:
        return [
            p.mapping for b in self.buffers.values() for p in b.planes if p.mapping is not None
        ]

    def exports(self) -> list[ExportedBuffer]:
        return [e for b in self.buffers.values() for p in b.planes for e in p.exports]

    def release(self, *, exports: bool) -> int:
        """Unmap this process's mappings and, with ``exports``, close the dma-buf fds it
        exported.  Returns the number of exports closed."""
        closed = 0
        for buf in self.buffers.values():
            for plane in buf.planes:
                if plane.mapping is not None:
                    close_mapping(plane.mapping)
                    plane.mapping = None
                if exports:
                    closed += sum(1 for e in plane.exports if not e.closed)
                    for exported in plane.exports:
                        exported.close()
                    plane.exports.clear()
        return closed

    def in_use(self) -> bool:
        """Mapped or exported somewhere by this process (what REQBUFS(0) cares about)."""
        return any(not m.closed for m in self.mappings()) or any(
            not e.closed for e in self.exports()
        )


def close_mapping(mapping: mmap.mmap) -> None:
    """munmap; if someone still holds a memoryview the mapping goes when they drop it."""
    with contextlib.suppress(BufferError):
        mapping.close()
