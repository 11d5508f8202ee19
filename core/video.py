"""``VideoDevice``: a V4L2 video node, its formats and its buffer queues.

Every ioctl goes through :mod:`core.ioctl`; every failure becomes a
:class:`core.errors.MediaError` that carries the facts of the call (queue state,
index, plane, flags…) so the explanation names the cause that applies.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
from collections.abc import Iterable, Sequence

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.buffers import new_v4l2_buffer, record_buffer
from core.dmabuf import (
    EXPORT_FLAGS_ALLOWED,
    Dmabuf,
    DmabufOrigin,
    ExportedBuffer,
    dmabuf_size,
)
from core.errors import MediaError, media_error
from core.facts import (
    AllocationFacts,
    BufferFacts,
    ExportFacts,
    FormatFacts,
    PlaneSizeFacts,
    QueueFacts,
)
from core.formats import (
    Allocation,
    Capability,
    Format,
    FormatDesc,
    FrameInterval,
    FrameSize,
    QueueProbe,
    buf_type_name,
    format_from_v4l2,
    memory_name,
    parse_buf_type,
    parse_memory,
    parse_pixelformat,
)
from core.handle import NodeHandle
from core.probe import probe_queues
from core.queue import Buffer, BufferState, BufferStatus, Queue, QueueState, close_mapping
from core.record import replace

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any

_EINVAL = errno.EINVAL


def _timeperframe(parm: Any, buf_type: int) -> Any:
    side = parm.parm.output if v.is_output(buf_type) else parm.parm.capture
    return side.timeperframe



class VideoDevice(NodeHandle):
    """An open V4L2 video node (O_RDWR | O_NONBLOCK | O_CLOEXEC)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.queues: dict[int, Queue] = {}
        self._cap: Capability | None = None
        # Reused for DQBUF so the streaming hot path does not allocate per frame.
        self._planes = (v.v4l2_plane * v.VIDEO_MAX_PLANES)()

    def _release(self) -> None:
        """Unmap and close the exports this object made."""
        for queue in self.queues.values():
            queue.release(exports=True)

    def queue(self, buf_type: int) -> Queue:
        queue = self.queues.get(buf_type)
        if queue is None:
            queue = self.queues[buf_type] = Queue(self.path, buf_type)
        return queue

    def queue_state(self, buf_type: int) -> QueueState:
        return self.queue(buf_type).freeze()

    def queue_facts(self, buf_type: int) -> QueueFacts:
        """The queue as an error explanation needs it (ownership, memory, state)."""
        queue = self.queue(buf_type)
        return QueueFacts(
            buf_type=buf_type_name(buf_type),
            memory=None if queue.memory is None else memory_name(queue.memory),
            streaming=queue.streaming,
            num_buffers=len(queue.buffers),
            min_buffers=queue.min_buffers,
            orphaned_bufs=bool(queue.capabilities & v.V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS),
            in_use=queue.in_use(),
        )

    def type_supported(self, buf_type: int) -> bool | None:
        """Whether the node's capabilities offer ``buf_type``; None before QUERYCAP."""
        if self._cap is None:
            return None
        return buf_type in self._cap.buf_types

    def _format_facts(self, buf_type: int) -> FormatFacts:
        return FormatFacts(buf_type_name(buf_type), self.type_supported(buf_type),
                           self.queue_facts(buf_type))

    # --- identity and formats -----------------------------------------------------------

    def capability(self) -> Capability:
        if self._cap is None:
            cap = v.v4l2_capability()
            self._ioctl(v.VIDIOC_QUERYCAP, cap, "VIDIOC_QUERYCAP")
            device_caps = (
                cap.device_caps if cap.capabilities & v.V4L2_CAP_DEVICE_CAPS else cap.capabilities
            )
            self._cap = Capability(
                driver=v.cstr(cap.driver),
                card=v.cstr(cap.card),
                bus_info=v.cstr(cap.bus_info),
                version=cap.version,
                capabilities=cap.capabilities,
                device_caps=device_caps,
            )
        return self._cap

    # The size and interval enumerations fill one struct again and again, changing only
    # the index: `info` on vivid's capture node issues ~4,700 ENUM_FRAMEINTERVALS, and a
    # fresh ctypes struct per call was a quarter of its time under emulation.  Reuse is
    # safe: the V4L2 core clears everything after the fields an application sets before
    # calling the driver (v4l2-ioctl.c, INFO_FL_CLEAR for ENUM_FRAMESIZES and
    # ENUM_FRAMEINTERVALS), and the driver sets ``type`` each time.

    def formats(self, buf_type: int) -> list[FormatDesc]:
        out: list[FormatDesc] = []
        for index in range(256):  # a few dozen at most: a fresh struct each
            desc = v.v4l2_fmtdesc(index=index, type=buf_type)
            try:
                chokepoint.ioctl(self.fd, v.VIDIOC_ENUM_FMT, desc)
            except OSError:
                break  # EINVAL ends the enumeration
            out.append(
                FormatDesc(
                    index=index,
                    buf_type=buf_type,
                    pixelformat=desc.pixelformat,
                    fourcc=v.fourcc_str(desc.pixelformat),
                    description=v.cstr(desc.description),
                    flags=desc.flags,
                )
            )
        return out

    def frame_sizes(self, pixelformat: int) -> list[FrameSize]:
        out: list[FrameSize] = []
        fs = v.v4l2_frmsizeenum(pixel_format=pixelformat)
        ioctl, fd, request = chokepoint.ioctl, self.fd, v.VIDIOC_ENUM_FRAMESIZES
        for index in range(1024):
            fs.index = index
            try:
                ioctl(fd, request, fs)
            except OSError:
                break
            if fs.type == v.V4L2_FRMSIZE_TYPE_DISCRETE:
                discrete = fs.discrete
                # Every field given: records take the short path (issue 16).
                out.append(FrameSize("discrete", discrete.width, discrete.height, 0, 0, 0, 0))
                continue
            sw = fs.stepwise
            kind = "continuous" if fs.type == v.V4L2_FRMSIZE_TYPE_CONTINUOUS else "stepwise"
            out.append(
                FrameSize(kind, sw.min_width, sw.min_height, sw.max_width, sw.max_height,
                          sw.step_width, sw.step_height)
            )
            break  # stepwise/continuous has exactly one entry
        return out

    def frame_intervals(self, pixelformat: int, width: int, height: int) -> list[FrameInterval]:
        out: list[FrameInterval] = []
        fi = v.v4l2_frmivalenum(pixel_format=pixelformat, width=width, height=height)
        ioctl, fd, request = chokepoint.ioctl, self.fd, v.VIDIOC_ENUM_FRAMEINTERVALS
        discrete_type = v.V4L2_FRMIVAL_TYPE_DISCRETE
        for index in range(1024):
            fi.index = index
            try:
                ioctl(fd, request, fi)
            except OSError:
                break
            if fi.type == discrete_type:
                d = fi.discrete
                out.append(FrameInterval("discrete", d.numerator, d.denominator, 0, 0))
                continue
            sw = fi.stepwise
            out.append(
                FrameInterval("stepwise", sw.min.numerator, sw.min.denominator,
                              sw.max.numerator, sw.max.denominator)
            )
            break
        return out

    def _raw_format(self, buf_type: int) -> Any:
        fmt = v.v4l2_format(type=buf_type)
        self._ioctl(v.VIDIOC_G_FMT, fmt, "VIDIOC_G_FMT", self._format_facts(buf_type))
        return fmt

    def get_format(self, buf_type: int) -> Format:
        return format_from_v4l2(self._raw_format(buf_type))

    def set_format(
        self,
        buf_type: int,
        *,
        width: int | None = None,
        height: int | None = None,
        pixelformat: int | str | None = None,
        colorspace: int | None = None,
        try_only: bool = False,
    ) -> Format:
        """S_FMT (or TRY_FMT) changing only what is given; the driver may adjust it.

        Starts from G_FMT, so every field not given keeps the driver's current value;
        ``bytesperline``/``sizeimage`` are zeroed so the driver computes them for the
        new size (videodev2.h: the driver fills them in). ``colorspace`` is enum
        v4l2_colorspace. Raises :class:`core.errors.MediaError` naming G_FMT, S_FMT or
        TRY_FMT.
        """
        fmt = self._raw_format(buf_type)
        if isinstance(pixelformat, str):
            pixelformat = parse_pixelformat(pixelformat)
        target = fmt.fmt.pix_mp if v.is_multiplanar(buf_type) else fmt.fmt.pix
        if width is not None:
            target.width = width
        if height is not None:
            target.height = height
        if pixelformat is not None:
            target.pixelformat = pixelformat
        if colorspace is not None:
            target.colorspace = colorspace
        if v.is_multiplanar(buf_type):
            for i in range(v.VIDEO_MAX_PLANES):
                target.plane_fmt[i].sizeimage = 0
                target.plane_fmt[i].bytesperline = 0
        else:
            target.bytesperline = 0
            target.sizeimage = 0
        request, name = (
            (v.VIDIOC_TRY_FMT, "VIDIOC_TRY_FMT") if try_only else (v.VIDIOC_S_FMT, "VIDIOC_S_FMT")
        )
        self._ioctl(request, fmt, name, self._format_facts(buf_type))
        return format_from_v4l2(fmt)

    def get_frame_interval(self, buf_type: int) -> tuple[int, int] | None:
        """The current time per frame (numerator, denominator), None if not supported."""
        parm = v.v4l2_streamparm(type=buf_type)
        try:
            chokepoint.ioctl(self.fd, v.VIDIOC_G_PARM, parm)
        except OSError:
            return None
        tpf = _timeperframe(parm, buf_type)
        return (tpf.numerator, tpf.denominator)

    def set_frame_rate(self, buf_type: int, fps: float) -> tuple[int, int]:
        """S_PARM: ask for ``fps`` frames per second; returns what the driver chose."""
        parm = v.v4l2_streamparm(type=buf_type)
        tpf = _timeperframe(parm, buf_type)
        # The nearest u32/u32 fraction (a plain 1000/round(fps*1000) overflows the u32
        # denominator above 4.3 MHz and divides by zero below 0.0005 fps).
        from core.limits import timeperframe  # fractions and decimal: loaded when used

        tpf.numerator, tpf.denominator = timeperframe(fps)
        self._ioctl(v.VIDIOC_S_PARM, parm, "VIDIOC_S_PARM", self._format_facts(buf_type))
        return (tpf.numerator, tpf.denominator)

    def get_control(self, cid: int) -> int | None:
        ctrl = v.v4l2_control(id=cid)
        try:
            chokepoint.ioctl(self.fd, v.VIDIOC_G_CTRL, ctrl)
        except OSError:
            return None
        value: int = ctrl.value
        return value

    def min_buffers(self, buf_type: int) -> int | None:
        cid = (
            v.V4L2_CID_MIN_BUFFERS_FOR_OUTPUT
            if v.is_output(buf_type)
            else v.V4L2_CID_MIN_BUFFERS_FOR_CAPTURE
        )
        return self.get_control(cid)

    # --- probe --------------------------------------------------------------------------

    def probe(self, buf_types: Iterable[int] | None = None) -> list[QueueProbe]:
        """Per buffer type: memory types, capabilities, EXPBUF — changing nothing."""
        return probe_queues(self, buf_types)

    # --- allocation ---------------------------------------------------------------------

    def request_buffers(self, buf_type: int, memory: int, count: int) -> Allocation:
        """VIDIOC_REQBUFS: the driver may grant more or fewer than ``count``; 0 frees."""
        queue = self.queue(buf_type)
        if count == 0:
            queue.release(exports=False)
        req = v.v4l2_requestbuffers(count=count, type=buf_type, memory=memory)
        facts = AllocationFacts(self.queue_facts(buf_type), memory_name(memory), count)
        self._ioctl(v.VIDIOC_REQBUFS, req, "VIDIOC_REQBUFS", facts)
        with queue.lock:
            # REQBUFS always frees what was there first (vb2_core_reqbufs).
            self._forget_buffers(queue)
            queue.requested, queue.granted = count, req.count
            queue.capabilities = req.capabilities
            queue.memory = memory if req.count else None
        if queue.min_buffers is None:
            queue.min_buffers = self.min_buffers(buf_type)
        for index in range(req.count):
            self.query_buffer(buf_type, index)
        return Allocation(buf_type, memory, count, req.count, 0, req.capabilities,
                          queue.min_buffers)

    def create_buffers(
        self,
        buf_type: int,
        memory: int,
        count: int,
        sizes: Sequence[int] | None = None,
    ) -> Allocation:
        """VIDIOC_CREATE_BUFS with the current format (optionally larger plane sizes)."""
        queue = self.queue(buf_type)
        create = v.v4l2_create_buffers(count=count, memory=memory)
        create.format = self._raw_format(buf_type)
        if sizes:
            if v.is_multiplanar(buf_type):
                for i, size in enumerate(sizes):
                    create.format.fmt.pix_mp.plane_fmt[i].sizeimage = size
            else:
                create.format.fmt.pix.sizeimage = sizes[0]
        facts = AllocationFacts(self.queue_facts(buf_type), memory_name(memory), count,
                                create=True)
        self._ioctl(v.VIDIOC_CREATE_BUFS, create, "VIDIOC_CREATE_BUFS", facts)
        with queue.lock:
            queue.requested, queue.granted = count, create.count
            queue.capabilities = create.capabilities
            if create.count:
                queue.memory = memory
        if queue.min_buffers is None:
            queue.min_buffers = self.min_buffers(buf_type)
        for index in range(create.index, create.index + create.count):
            self.query_buffer(buf_type, index)
        return Allocation(buf_type, memory, count, create.count, create.index,
                          create.capabilities, queue.min_buffers)

    def free_buffers(self, buf_type: int) -> Allocation:
        """REQBUFS(0): unmaps this process's mappings first; exports stay (orphans)."""
        queue = self.queue(buf_type)
        memory = queue.memory if queue.memory is not None else v.V4L2_MEMORY_MMAP
        return self.request_buffers(buf_type, memory, 0)

    def _forget_buffers(self, queue: Queue) -> None:
        queue.release(exports=False)
        queue.buffers.clear()
        queue.streaming = False

    # --- buffers ------------------------------------------------------------------------

    def query_buffer(self, buf_type: int, index: int) -> BufferState:
        queue = self.queue(buf_type)
        memory = queue.memory if queue.memory is not None else v.V4L2_MEMORY_MMAP
        buf = new_v4l2_buffer(buf_type, memory, index)
        self._ioctl(v.VIDIOC_QUERYBUF, buf, "VIDIOC_QUERYBUF",
                    BufferFacts(self.queue_facts(buf_type), index, index in queue.buffers))
        with queue.lock:
            return record_buffer(queue, buf).freeze()

    def query_all(self, buf_type: int) -> list[BufferState]:
        """QUERYBUF every known index (indices may be sparse, and more than 32)."""
        return [self.query_buffer(buf_type, i) for i in sorted(self.queue(buf_type).buffers)]

    def map_buffer(self, buf_type: int, index: int) -> list[mmap.mmap]:
        """mmap every plane: MAP_SHARED, PROT_READ for capture, read+write for output."""
        queue = self.queue(buf_type)
        entry = self._entry(queue, index, "mmap")
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if v.is_output(buf_type) else 0)
        maps = []
        for plane in entry.planes:
            if plane.mapping is None or plane.mapping.closed:
                if plane.mem_offset is None:  # not an MMAP buffer: vb2_mmap says EINVAL
                    raise media_error(_EINVAL, ioctl="mmap", path=self.path)
                try:
                    plane.mapping = chokepoint.mmap_fd(self.fd, plane.length, prot,
                                                        plane.mem_offset)
                except OSError as exc:
                    raise media_error(exc, ioctl="mmap", path=self.path) from None
            maps.append(plane.mapping)
        return maps

    def unmap_buffer(self, buf_type: int, index: int) -> None:
        for plane in self._entry(self.queue(buf_type), index, "munmap").planes:
            if plane.mapping is not None:
                close_mapping(plane.mapping)
                plane.mapping = None

    def _entry(self, queue: Queue, index: int, what: str) -> Buffer:
        entry = queue.buffers.get(index)
        if entry is None:
            facts = BufferFacts(self.queue_facts(queue.buf_type), index, exists=False)
            raise media_error(_EINVAL, ioctl="VIDIOC_QUERYBUF", path=self.path, facts=facts)
        return entry

    def export_buffer(
        self,
        buf_type: int,
        index: int,
        plane: int = 0,
        flags: int = os.O_CLOEXEC | os.O_RDONLY,
    ) -> ExportedBuffer:
        """VIDIOC_EXPBUF one plane: a new dma-buf fd, owned by the returned object."""
        queue = self.queue(buf_type)
        entry = queue.buffers.get(index)
        exp = v.v4l2_exportbuffer(type=buf_type, index=index, plane=plane, flags=flags)
        facts = ExportFacts(
            self.queue_facts(buf_type), index, plane, flags, EXPORT_FLAGS_ALLOWED,
            exists=entry is not None,
            num_planes=len(entry.planes) if entry else None,
            multiplanar=v.is_multiplanar(buf_type),
            type_supported=self.type_supported(buf_type),
        )
        self._ioctl(v.VIDIOC_EXPBUF, exp, "VIDIOC_EXPBUF", facts)
        exported = ExportedBuffer(
            exp.fd,
            DmabufOrigin("export", self.path, buf_type_name(buf_type), index, plane),
            flags,
        )
        if entry is not None and plane < len(entry.planes):
            entry.planes[plane].exports.append(exported)
        return exported

    def exports(self, buf_type: int | None = None) -> list[ExportedBuffer]:
        queues = [self.queue(buf_type)] if buf_type is not None else list(self.queues.values())
        return [e for q in queues for e in q.exports() if not e.closed]

    def close_exports(self, buf_type: int | None = None) -> int:
        """Close every dma-buf fd this object exported (mappings stay)."""
        queues = [self.queue(buf_type)] if buf_type is not None else list(self.queues.values())
        closed = 0
        for queue in queues:
            for exported in queue.exports():
                if not exported.closed:
                    exported.close()
                    closed += 1
            for buf in queue.buffers.values():
                for plane in buf.planes:
                    plane.exports.clear()
        return closed

    def queue_buffer(
        self,
        buf_type: int,
        index: int,
        *,
        dmabufs: Sequence[Dmabuf | int] | None = None,
        lengths: Sequence[int] | None = None,
        bytesused: Sequence[int] | None = None,
        userptrs: Sequence[tuple[int, int]] | None = None,
        prepare_only: bool = False,
    ) -> BufferState:
        """VIDIOC_QBUF (or PREPARE_BUF).

        ``dmabufs``: one dma-buf per plane for DMABUF queues; without ``lengths``,
        capture planes pass 0 ("use the dma-buf's size") and output planes the size.
        Sizes are checked against each plane's minimum first so a mismatch is
        explained before the kernel refuses it with EINVAL.
        """
        queue = self.queue(buf_type)
        memory = queue.memory if queue.memory is not None else v.V4L2_MEMORY_MMAP
        entry = queue.buffers.get(index)
        buf = new_v4l2_buffer(buf_type, memory, index)
        mplane = v.is_multiplanar(buf_type)
        nplanes = len(entry.planes) if entry else 1
        if mplane:
            buf.length = nplanes
        name = "VIDIOC_PREPARE_BUF" if prepare_only else "VIDIOC_QBUF"
        facts = BufferFacts(self.queue_facts(buf_type), index, exists=entry is not None,
                            state=entry.status.value if entry else None)
        if memory == v.V4L2_MEMORY_DMABUF:
            if dmabufs is None or len(dmabufs) != nplanes:
                raise MediaError(
                    path=self.path, ioctl=name, errno=None,
                    title="One dma-buf per plane is needed",
                    explanation=f"This DMABUF queue's buffers have {nplanes} plane(s).",
                )
            for p, dbuf in enumerate(dmabufs):
                fd = dbuf.fd if isinstance(dbuf, Dmabuf) else dbuf
                length = lengths[p] if lengths else self._default_import_length(buf_type, dbuf)
                if entry is not None:
                    facts = self._preflight_dmabuf(entry, p, fd, length, dbuf, name, facts)
                if mplane:
                    buf.m.planes[p].m.fd = fd
                    buf.m.planes[p].length = length
                else:
                    buf.m.fd = fd
                    buf.length = length
        elif memory == v.V4L2_MEMORY_USERPTR and userptrs:
            for p, (addr, length) in enumerate(userptrs):
                if mplane:
                    buf.m.planes[p].m.userptr = addr
                    buf.m.planes[p].length = length
                else:
                    buf.m.userptr = addr
                    buf.length = length
        if bytesused:
            for p, used in enumerate(bytesused):
                if mplane:
                    buf.m.planes[p].bytesused = used
                else:
                    buf.bytesused = used
        elif v.is_output(buf_type) and entry is not None:
            # An output buffer with bytesused 0 is taken as "full" by vb2 (with a warning);
            # say so explicitly.
            for p, plane in enumerate(entry.planes):
                if mplane:
                    buf.m.planes[p].bytesused = plane.length
                else:
                    buf.bytesused = plane.length
        request = v.VIDIOC_PREPARE_BUF if prepare_only else v.VIDIOC_QBUF
        self._ioctl(request, buf, name, facts)
        with queue.lock:
            if not mplane:
                buf.length = entry.planes[0].length if entry else buf.length
            record = record_buffer(
                queue, buf, BufferStatus.PREPARED if prepare_only else BufferStatus.QUEUED
            )
            if memory == v.V4L2_MEMORY_DMABUF and dmabufs is not None:
                for plane, dbuf in zip(record.planes, dmabufs, strict=False):
                    plane.imported = dbuf
            return record.freeze()

    @staticmethod
    def _default_import_length(buf_type: int, dbuf: Dmabuf | int) -> int:
        """0 asks vb2 to use the dma-buf's size, but vb2 checks an output buffer's
        bytesused against the length QBUF passes first: give output queues the size."""
        if not v.is_output(buf_type):
            return 0
        try:
            return dbuf.size if isinstance(dbuf, Dmabuf) else dmabuf_size(dbuf)
        except OSError:
            return 0  # not a dma-buf: let the kernel say so

    def _preflight_dmabuf(
        self, entry: Buffer, p: int, fd: int, length: int, dbuf: Dmabuf | int, name: str,
        facts: BufferFacts,
    ) -> BufferFacts:
        """Check one plane's dma-buf against the plane's size (K11) before QBUF; returns
        ``facts`` with the plane's sizes, so a later failure is explained with them."""
        try:
            size: int | None = dmabuf_size(fd)
        except OSError:
            size = None  # not a dma-buf: the kernel will refuse it with EINVAL
        plane = PlaneSizeFacts(p, entry.planes[p].length, size, length,
                               dbuf.origin.kind if isinstance(dbuf, Dmabuf) else None)
        facts = replace(facts, dmabuf=plane)
        if plane.too_small:
            raise media_error(_EINVAL, ioctl=name, path=self.path, facts=facts)
        return facts

    def dequeue_buffer(self, buf_type: int) -> BufferState:
        """VIDIOC_DQBUF (non-blocking: raises WouldBlock when nothing is done yet)."""
        queue = self.queue(buf_type)
        memory = queue.memory if queue.memory is not None else v.V4L2_MEMORY_MMAP
        buf = v.v4l2_buffer(type=buf_type, memory=memory)
        if v.is_multiplanar(buf_type):
            buf.m.planes = self._planes
            buf.length = v.VIDEO_MAX_PLANES
        self._ioctl(v.VIDIOC_DQBUF, buf, "VIDIOC_DQBUF",
                    BufferFacts(self.queue_facts(buf_type), None))
        status = BufferStatus.ERROR if buf.flags & v.V4L2_BUF_FLAG_ERROR else BufferStatus.DEQUEUED
        with queue.lock:
            record = record_buffer(queue, buf, status)
            return record.freeze()

    def stream_on(self, buf_type: int) -> None:
        queue = self.queue(buf_type)
        try:
            self._ioctl(v.VIDIOC_STREAMON, ctypes.c_int(buf_type), "VIDIOC_STREAMON",
                        self.queue_facts(buf_type))
        except MediaError as exc:
            if exc.errno in (errno.EPIPE, errno.ENOLINK):  # name the link (core/media)
                from core.media.explain import explain_streamon

                raise explain_streamon(exc, self.path) from None
            raise
        queue.streaming = True

    def stream_off(self, buf_type: int) -> None:
        """STREAMOFF: every buffer returns to the application; done frames are dropped."""
        queue = self.queue(buf_type)
        self._ioctl(v.VIDIOC_STREAMOFF, ctypes.c_int(buf_type), "VIDIOC_STREAMOFF",
                    self.queue_facts(buf_type))
        with queue.lock:
            queue.streaming = False
            queue.all_dequeued()


__all__ = [
    "EXPORT_FLAGS_ALLOWED",
    "Allocation",
    "BufferState",
    "BufferStatus",
    "Capability",
    "Format",
    "FormatDesc",
    "FrameInterval",
    "FrameSize",
    "QueueProbe",
    "QueueState",
    "VideoDevice",
    "buf_type_name",
    "memory_name",
    "parse_buf_type",
    "parse_memory",
    "parse_pixelformat",
]
