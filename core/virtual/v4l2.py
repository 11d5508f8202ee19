"""The V4L2 ioctl layer of a virtual video node: ``v4l2-ioctl.c`` + ``videobuf2-v4l2.c``.

It receives the same ctypes structs the kernel would (``core.abi.v4l2``) and fills them
on success only: like ``video_usercopy``, a failing ioctl leaves the caller's struct
(and its plane array) untouched.  Buffer ioctls go to the :class:`~core.virtual.vb2.Queue`
the driver names for the file handle and type; the checks that live in the V4L2 layer
rather than the vb2 core (``check_fmt``, queue ownership K1, plane arrays,
``fill_buf_caps``) are here, in the kernel's order.

Drivers subclass :class:`V4L2Node` and provide formats (``g_fmt``/``s_fmt``/...), the
queue lookup and, for poll, the queues a file handle waits on.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import mmap
from collections.abc import Callable, Iterator
from typing import Any

from core.abi import v4l2 as v
from core.observe.events import EventKind
from core.virtual import tracebus
from core.virtual.node import FileHandle, Node
from core.virtual.vb2 import (
    MEMORY_DMABUF,
    MEMORY_MMAP,
    MEMORY_USERPTR,
    VB2_MAX_PLANES,
    Buffer,
    PlaneArgs,
    Queue,
    State,
    fail,
)

KERNEL_VERSION = (6 << 16) | (1 << 8) | 192  # what 6.1.192's QUERYCAP reports

_MASK_FLAGS = (
    v.V4L2_BUF_FLAG_MAPPED | v.V4L2_BUF_FLAG_QUEUED | v.V4L2_BUF_FLAG_DONE
    | v.V4L2_BUF_FLAG_ERROR | v.V4L2_BUF_FLAG_PREPARED | v.V4L2_BUF_FLAG_IN_REQUEST
    | v.V4L2_BUF_FLAG_REQUEST_FD | v.V4L2_BUF_FLAG_TIMESTAMP_MASK
)
_OUT_FLAGS = (
    v.V4L2_BUF_FLAG_PFRAME | v.V4L2_BUF_FLAG_BFRAME | v.V4L2_BUF_FLAG_KEYFRAME
    | v.V4L2_BUF_FLAG_TIMECODE | v.V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF
)
_TIMESTAMP_COPY = 0x4000


@contextlib.contextmanager
def untouched_on_error(
    *objects: ctypes.Structure | ctypes.Array[Any] | None,
) -> Iterator[None]:
    """Restore ``objects`` if the body raises: the kernel copies results back only on
    success, so a failed ioctl must not leave half-filled fields behind."""
    saved = [(o, bytes(o)) for o in objects if o is not None]
    try:
        yield
    except BaseException:
        for obj, raw in saved:
            ctypes.memmove(ctypes.addressof(obj), raw, len(raw))
        raise


def _plane_array(b: v.v4l2_buffer, count: int) -> ctypes.Array[v.v4l2_plane] | None:
    """The user's ``m.planes`` array as a ctypes array of ``count`` entries."""
    if not b.m.planes or count <= 0:
        return None
    return ctypes.cast(b.m.planes, ctypes.POINTER(v.v4l2_plane * count)).contents


def set_timeval(tv: v.timeval, ns: int) -> None:
    tv.tv_sec, rem = divmod(ns, 1_000_000_000)
    tv.tv_usec = rem // 1000


class V4L2Node(Node):
    """A video node: identity and the ioctl switch; drivers fill in formats and queues."""

    card = ""
    device_caps = 0
    extra_caps = 0  # capabilities of the device's other nodes (QUERYCAP "capabilities")
    buf_types: tuple[int, ...] = ()

    def __init__(self, path: str, name: str, driver: str, bus_info: str) -> None:
        super().__init__(path, name, driver)
        self._bus_info = bus_info
        self._handlers: dict[int, Callable[[FileHandle, Any], None]] = {
            v.VIDIOC_QUERYCAP: self._querycap,
            v.VIDIOC_ENUM_FMT: self._enum_fmt,
            v.VIDIOC_G_FMT: self._g_fmt,
            v.VIDIOC_S_FMT: self._s_fmt,
            v.VIDIOC_TRY_FMT: self._try_fmt,
            v.VIDIOC_ENUM_FRAMESIZES: self.enum_framesizes,
            v.VIDIOC_ENUM_FRAMEINTERVALS: self.enum_frameintervals,
            v.VIDIOC_G_PARM: self._g_parm,
            v.VIDIOC_S_PARM: self._s_parm,
            v.VIDIOC_G_CTRL: self.g_ctrl,
            v.VIDIOC_REQBUFS: self._reqbufs,
            v.VIDIOC_CREATE_BUFS: self._create_bufs,
            v.VIDIOC_QUERYBUF: self._querybuf,
            v.VIDIOC_QBUF: self._qbuf,
            v.VIDIOC_PREPARE_BUF: self._prepare_buf,
            v.VIDIOC_DQBUF: self._dqbuf,
            v.VIDIOC_EXPBUF: self._expbuf,
            v.VIDIOC_STREAMON: self._streamon,
            v.VIDIOC_STREAMOFF: self._streamoff,
        }

    @property
    def bus_info(self) -> str:
        return self._bus_info

    # --- what drivers provide ---------------------------------------------------------

    def queue_for(self, fh: FileHandle, buf_type: int) -> Queue:
        """The vb2 queue behind ``buf_type`` for this file handle."""
        raise fail(errno.EINVAL)

    def queues_of(self, fh: FileHandle) -> list[Queue]:
        return []

    def is_busy(self, fh: FileHandle, queue: Queue) -> bool:
        """vb2_queue_is_busy for vb2_ioctl_* helpers; m2m handles never are."""
        return queue.is_busy(fh)

    def take_ownership(self, fh: FileHandle, queue: Queue, count: int) -> None:
        queue.owner = fh if count else None

    def formats(self, buf_type: int) -> list[tuple[int, str, int]]:
        """(pixelformat, description, flags) in ENUM_FMT order."""
        return []

    def g_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        raise fail(errno.EINVAL)

    def try_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        raise fail(errno.EINVAL)

    def s_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        raise fail(errno.EINVAL)

    def enum_framesizes(self, fh: FileHandle, fs: v.v4l2_frmsizeenum) -> None:
        raise fail(errno.ENOTTY)

    def enum_frameintervals(self, fh: FileHandle, fi: v.v4l2_frmivalenum) -> None:
        raise fail(errno.ENOTTY)

    def g_parm(self, fh: FileHandle, parm: v.v4l2_streamparm) -> None:
        raise fail(errno.ENOTTY)

    def s_parm(self, fh: FileHandle, parm: v.v4l2_streamparm) -> None:
        raise fail(errno.ENOTTY)

    def g_ctrl(self, fh: FileHandle, ctrl: v.v4l2_control) -> None:
        raise fail(errno.EINVAL)  # no such control

    # --- dispatch ---------------------------------------------------------------------

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        handler = self._handlers.get(request)
        if handler is None:
            raise fail(errno.ENOTTY)
        structs = arg if isinstance(arg, ctypes.Structure) else None
        with untouched_on_error(structs):
            handler(fh, arg)
        return 0

    def check_fmt(self, buf_type: int) -> None:
        """v4l2-ioctl's check_fmt: the node must support this buffer type."""
        if buf_type not in self.buf_types:
            raise fail(errno.EINVAL)

    def release(self, fh: FileHandle) -> None:
        """_vb2_fop_release: the owner's close stops and frees its queues (K1)."""
        for queue in self.queues_of(fh):
            if queue.owner is fh:
                queue.release()
        super().release(fh)

    def mmap(self, fh: FileHandle, length: int, prot: int, offset: int) -> mmap.mmap:
        """vb2_fop_mmap: the cookie selects the plane (K9); no ownership check."""
        queues = self.queues_of(fh)
        for queue in queues:
            with contextlib.suppress(OSError):
                queue.find_plane(offset)
                return queue.mmap(length, prot, offset)
        if queues:
            return queues[0].mmap(length, prot, offset)
        raise fail(errno.EINVAL)

    # --- identity and formats ---------------------------------------------------------

    def _querycap(self, fh: FileHandle, cap: v.v4l2_capability) -> None:
        cap.driver = self.driver.encode("utf-8", "surrogateescape")[:15]
        cap.card = self.card.encode("utf-8", "surrogateescape")[:31]
        cap.bus_info = self.bus_info.encode("utf-8", "surrogateescape")[:31]
        cap.version = KERNEL_VERSION
        cap.device_caps = self.device_caps
        cap.capabilities = self.device_caps | self.extra_caps | v.V4L2_CAP_DEVICE_CAPS

    def _enum_fmt(self, fh: FileHandle, desc: v.v4l2_fmtdesc) -> None:
        self.check_fmt(desc.type)
        formats = self.formats(desc.type)
        if desc.index >= len(formats):
            raise fail(errno.EINVAL)
        pixelformat, description, flags = formats[desc.index]
        desc.pixelformat = pixelformat
        desc.description = description.encode("utf-8", "surrogateescape")[:31]
        desc.flags = flags
        desc.mbus_code = 0

    def _g_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self.check_fmt(fmt.type)
        self.g_fmt(fh, fmt)

    def _try_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self.check_fmt(fmt.type)
        self.try_fmt(fh, fmt)

    def _s_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self.check_fmt(fmt.type)
        queue = self.queue_for(fh, fmt.type)
        if queue.num_buffers:
            raise fail(errno.EBUSY)  # vb2_is_busy: formats are frozen while allocated
        self.s_fmt(fh, fmt)

    def _g_parm(self, fh: FileHandle, parm: v.v4l2_streamparm) -> None:
        self.check_fmt(parm.type)
        self.g_parm(fh, parm)

    def _s_parm(self, fh: FileHandle, parm: v.v4l2_streamparm) -> None:
        self.check_fmt(parm.type)
        self.s_parm(fh, parm)

    # --- buffers (vb2_ioctl_* and vb2_*) ----------------------------------------------

    def _reqbufs(self, fh: FileHandle, req: v.v4l2_requestbuffers) -> None:
        self.check_fmt(req.type)
        req.flags = 0  # memset_after(p, 0, flags); no cache hints on these queues (K15)
        queue = self.queue_for(fh, req.type)
        req.capabilities = queue.capabilities()
        queue.verify_memory_type(req.memory, req.type)
        if self.is_busy(fh, queue):
            raise fail(errno.EBUSY)
        req.count = queue.reqbufs(req.memory, req.count)
        self.take_ownership(fh, queue, req.count)

    def _create_bufs(self, fh: FileHandle, create: v.v4l2_create_buffers) -> None:
        fmt = create.format
        self.check_fmt(fmt.type)
        create.flags = 0
        queue = self.queue_for(fh, fmt.type)
        create.index = queue.num_buffers
        create.capabilities = queue.capabilities()
        queue.verify_memory_type(create.memory, fmt.type)
        if create.count == 0:
            return  # the side-effect-free probe (K2): never EBUSY
        if self.is_busy(fh, queue):
            raise fail(errno.EBUSY)
        if v.is_multiplanar(fmt.type):
            n = fmt.fmt.pix_mp.num_planes
            if n == 0 or n > VB2_MAX_PLANES:
                raise fail(errno.EINVAL)
            sizes = [fmt.fmt.pix_mp.plane_fmt[i].sizeimage for i in range(n)]
        else:
            sizes = [fmt.fmt.pix.sizeimage]
        if any(s == 0 for s in sizes):
            raise fail(errno.EINVAL)
        first, count = queue.create_bufs(create.memory, create.count, sizes)
        create.index, create.count = first, count
        queue.owner = fh
        if not v.is_multiplanar(fmt.type):
            fmt.fmt.pix.priv = v.V4L2_PIX_FMT_PRIV_MAGIC

    def _buffer_queue(self, fh: FileHandle, b: v.v4l2_buffer, *, busy_check: bool) -> Queue:
        self.check_fmt(b.type)
        queue = self.queue_for(fh, b.type)
        if busy_check and self.is_busy(fh, queue):
            raise fail(errno.EBUSY)
        if b.type != queue.buf_type:
            raise fail(errno.EINVAL)
        return queue

    def _querybuf(self, fh: FileHandle, b: v.v4l2_buffer) -> None:
        queue = self._buffer_queue(fh, b, busy_check=False)  # K4: anyone may look
        buf = queue.buffer(b.index)
        planes = self._user_planes(queue, buf, b)
        with untouched_on_error(planes):
            self.fill_buffer(queue, buf, b, planes)

    def _user_planes(
        self, queue: Queue, buf: Buffer, b: v.v4l2_buffer
    ) -> ctypes.Array[v.v4l2_plane] | None:
        """__verify_planes_array, returning the user's plane array (multi-planar)."""
        if not queue.multiplanar:
            return None
        if not b.m.planes or b.length < buf.num_planes or b.length > VB2_MAX_PLANES:
            raise fail(errno.EINVAL)
        return _plane_array(b, buf.num_planes)

    def _qbuf(self, fh: FileHandle, b: v.v4l2_buffer, *, prepare_only: bool = False) -> None:
        queue = self._buffer_queue(fh, b, busy_check=True)
        buf = queue.buffer(b.index)
        if b.memory != queue.memory:
            raise fail(errno.EINVAL)
        planes = self._user_planes(queue, buf, b)
        args = self._plane_args(queue, buf, b, planes)
        user_flags = b.flags & ~_MASK_FLAGS
        with untouched_on_error(planes):
            already_prepared = buf.prepared
            stamp = b.timestamp.tv_sec * 1_000_000_000 + b.timestamp.tv_usec * 1000
            queue.qbuf(b.index, b.memory, args, prepare_only=prepare_only, timestamp_ns=stamp)
            if not already_prepared:
                buf.flags = self._stored_flags(queue, user_flags)
                if queue.is_output:
                    buf.field = b.field
            self.fill_buffer(queue, buf, b, planes)
        if tracebus.active and not prepare_only:
            self._trace(EventKind.QBUF, b, planes)
        self.after_qbuf(fh, queue, buf)

    def _prepare_buf(self, fh: FileHandle, b: v.v4l2_buffer) -> None:
        self._qbuf(fh, b, prepare_only=True)

    def after_qbuf(self, fh: FileHandle, queue: Queue, buf: Buffer) -> None:
        """Hook for m2m (v4l2_m2m_try_schedule)."""

    @staticmethod
    def _stored_flags(queue: Queue, flags: int) -> int:
        """vb2_fill_vb2_v4l2_buffer's masking of the flags user space passed."""
        if not queue.timestamp_flags & _TIMESTAMP_COPY or not queue.is_output:
            flags &= ~v.V4L2_BUF_FLAG_TSTAMP_SRC_MASK
        if queue.is_output:
            flags &= ~(v.V4L2_BUF_FLAG_TIMECODE | v.V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF)
        else:
            flags &= ~(_OUT_FLAGS | v.V4L2_BUF_FLAG_LAST)
        return flags

    @staticmethod
    def _plane_args(
        queue: Queue, buf: Buffer, b: v.v4l2_buffer, planes: ctypes.Array[v.v4l2_plane] | None
    ) -> list[PlaneArgs]:
        if planes is not None:
            return [
                PlaneArgs(
                    bytesused=p.bytesused,
                    length=p.length,
                    fd=p.m.fd if b.memory == MEMORY_DMABUF else -1,
                    userptr=p.m.userptr if b.memory == MEMORY_USERPTR else 0,
                    data_offset=p.data_offset,
                )
                for p in planes
            ]
        return [
            PlaneArgs(
                bytesused=b.bytesused,
                length=b.length,
                fd=b.m.fd if b.memory == MEMORY_DMABUF else -1,
                userptr=b.m.userptr if b.memory == MEMORY_USERPTR else 0,
            )
        ]

    def _dqbuf(self, fh: FileHandle, b: v.v4l2_buffer) -> None:
        queue = self._buffer_queue(fh, b, busy_check=True)

        def verify(done: Buffer) -> None:
            # A plane array that cannot hold the done buffer leaves it in the done list.
            self._user_planes(queue, done, b)

        buf = queue.dqbuf(fh.nonblocking, verify)
        planes = _plane_array(b, buf.num_planes) if queue.multiplanar else None
        self.fill_buffer(queue, buf, b, planes)
        queue.finish_dequeue(buf)
        b.flags &= ~v.V4L2_BUF_FLAG_DONE
        if not queue.is_output and buf.flags & v.V4L2_BUF_FLAG_LAST:
            queue.last_buffer_dequeued = True
        if tracebus.active:
            self._trace(EventKind.DQBUF, b, planes)
        self.after_dqbuf(fh, queue, buf)

    def _trace(self, kind: EventKind, b: v.v4l2_buffer,
               planes: ctypes.Array[v.v4l2_plane] | None) -> None:
        """v4l2_qbuf/v4l2_dqbuf (include/trace/events/v4l2.h): the struct as returned."""
        used = sum(p.bytesused for p in planes) if planes is not None else b.bytesused
        tracebus.emit(kind, minor=self.minor if self.minor is not None else -1,
                      index=b.index, buf_type=b.type, bytesused=used, flags=b.flags,
                      field=b.field,
                      timestamp_ns=b.timestamp.tv_sec * 1_000_000_000
                      + b.timestamp.tv_usec * 1000,
                      sequence=b.sequence)

    def after_dqbuf(self, fh: FileHandle, queue: Queue, buf: Buffer) -> None:
        """Hook for drivers that react to a dequeue."""

    def _expbuf(self, fh: FileHandle, exp: v.v4l2_exportbuffer) -> None:
        queue = self.expbuf_queue(fh, exp.type)
        if self.is_busy(fh, queue):
            raise fail(errno.EBUSY)
        exp.fd = queue.expbuf(exp.type, exp.index, exp.plane, exp.flags)

    def expbuf_queue(self, fh: FileHandle, buf_type: int) -> Queue:
        """vivid uses its one queue whatever the type (EXPBUF has no check_fmt)."""
        return self.queue_for(fh, buf_type)

    def _streamon(self, fh: FileHandle, arg: ctypes.c_int | int) -> None:
        buf_type = arg.value if isinstance(arg, ctypes.c_int) else int(arg)
        queue = self.stream_queue(fh, buf_type)
        if self.is_busy(fh, queue):
            raise fail(errno.EBUSY)
        if buf_type != queue.buf_type:
            raise fail(errno.EINVAL)
        queue.streamon()
        self.after_streamon(fh, queue)

    def after_streamon(self, fh: FileHandle, queue: Queue) -> None:
        """Hook for m2m (a job may be ready now)."""

    def _streamoff(self, fh: FileHandle, arg: ctypes.c_int | int) -> None:
        buf_type = arg.value if isinstance(arg, ctypes.c_int) else int(arg)
        queue = self.stream_queue(fh, buf_type)
        if self.is_busy(fh, queue):
            raise fail(errno.EBUSY)
        if buf_type != queue.buf_type:
            raise fail(errno.EINVAL)
        queue.streamoff()

    def stream_queue(self, fh: FileHandle, buf_type: int) -> Queue:
        """STREAMON/OFF have no check_fmt: vivid uses its queue and lets vb2 compare."""
        return self.queue_for(fh, buf_type)

    def fill_buffer(
        self, queue: Queue, buf: Buffer, b: v.v4l2_buffer, planes: ctypes.Array[v.v4l2_plane] | None
    ) -> None:
        """__fill_v4l2_buffer (K5): the buffer as QUERYBUF/QBUF/DQBUF report it."""
        b.index = buf.index
        b.type = queue.buf_type
        b.memory = buf.memory
        b.bytesused = 0
        flags = buf.flags
        b.field = buf.field
        set_timeval(b.timestamp, buf.timestamp_ns)
        b.sequence = buf.sequence
        b.reserved2 = 0
        b.request_fd = 0
        if planes is not None:
            b.length = buf.num_planes
            for src, dst in zip(buf.planes, planes, strict=False):
                dst.bytesused = src.bytesused
                dst.length = src.length
                if buf.memory == MEMORY_MMAP:
                    dst.m.mem_offset = src.mem_offset
                elif buf.memory == MEMORY_USERPTR:
                    dst.m.userptr = src.userptr
                elif buf.memory == MEMORY_DMABUF:
                    dst.m.fd = src.dmabuf_fd
                dst.data_offset = src.data_offset
                ctypes.memset(ctypes.addressof(dst.reserved), 0, ctypes.sizeof(dst.reserved))
        else:
            p0 = buf.planes[0]
            b.length = p0.length
            b.bytesused = p0.bytesused
            if buf.memory == MEMORY_MMAP:
                b.m.offset = p0.mem_offset
            elif buf.memory == MEMORY_USERPTR:
                b.m.userptr = p0.userptr
            elif buf.memory == MEMORY_DMABUF:
                b.m.fd = p0.dmabuf_fd
        flags &= ~_MASK_FLAGS
        flags |= queue.timestamp_flags & v.V4L2_BUF_FLAG_TIMESTAMP_MASK
        if not (queue.timestamp_flags & _TIMESTAMP_COPY and queue.is_output):
            flags &= ~v.V4L2_BUF_FLAG_TSTAMP_SRC_MASK
            flags |= queue.timestamp_flags & v.V4L2_BUF_FLAG_TSTAMP_SRC_MASK
        if buf.state in (State.QUEUED, State.ACTIVE):
            flags |= v.V4L2_BUF_FLAG_QUEUED
        elif buf.state is State.ERROR:
            flags |= v.V4L2_BUF_FLAG_ERROR | v.V4L2_BUF_FLAG_DONE
        elif buf.state is State.DONE:
            flags |= v.V4L2_BUF_FLAG_DONE
        if buf.state is State.DEQUEUED and buf.prepared:
            flags |= v.V4L2_BUF_FLAG_PREPARED
        if buf.in_use():
            flags |= v.V4L2_BUF_FLAG_MAPPED
        b.flags = flags

    # --- poll -------------------------------------------------------------------------

    def poll_state(self, fh: FileHandle) -> tuple[bool, bool]:
        """vb2_core_poll for single-queue nodes: capture readable, output writable.
        EPOLLERR conditions (not streaming...) count as ready (see pollfd)."""
        readable = writable = False
        for queue in self.queues_of(fh):
            ready = queue.poll_error() or queue.poll_ready()
            if queue.is_output:
                writable = writable or ready
            else:
                readable = readable or ready
        return readable, writable


__all__ = ["KERNEL_VERSION", "V4L2Node", "set_timeval", "untouched_on_error"]
