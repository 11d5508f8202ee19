"""A vivid-like video capture and video output device.

Modelled on vivid as built into the 6.1 test kernel with its default parameters
(``supports_requests=1`` so ``min_buffers_needed`` is 0, webcam input, 640x360 YUYV at
5 fps), one :class:`VividInstance` per ``vivid-00N``: single- or multi-planar API,
vmalloc or dma-contig allocator (``vivid.multiplanar=``, ``vivid.allocators=``).

* capture: a moving colour-bar pattern is written into each buffer at the frame rate;
  a frame without a queued buffer is dropped and its sequence number skipped;
* output: queued buffers are "displayed" (completed) at the frame rate.

Queue rules are vb2's (``vb2.py``); what is vivid's own is here: ``queue_setup``
raising the count to 2, plane sizes from the format, EINVAL from ``buf_prepare`` when a
plane is too small, discrete webcam sizes and intervals.
"""

from __future__ import annotations

import ctypes
import errno
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.abi import v4l2 as v
from core.virtual import formats as pf
from core.virtual.clock import Clock
from core.virtual.node import FileHandle
from core.virtual.pacing import Pacer
from core.virtual.v4l2 import V4L2Node
from core.virtual.vb2 import (
    MEMORY_DMABUF,
    MEMORY_MMAP,
    MEMORY_USERPTR,
    Buffer,
    Queue,
    State,
    fail,
)
from core.virtual.vb2_buffer import user_range_ok

WEBCAM_SIZES = ((320, 180), (640, 360), (640, 480), (1280, 720), (1920, 1080), (3840, 2160))
WEBCAM_INTERVALS = (
    (1, 1), (1, 2), (1, 4), (1, 5), (1, 10), (2, 25), (1, 15), (1, 25), (1, 30), (1, 40),
    (1, 50), (1, 60),
)

# Formats in vivid's enumeration order (a subset of its 83, see formats.py); the
# multi-planar API adds the N-C (one buffer per colour plane) formats at the end.
FORMATS = (pf.YUYV, pf.UYVY, pf.YUV420, pf.NV12, pf.GREY, pf.RGB565, pf.RGB565X, pf.RGB24,
           pf.BGR24, pf.XRGB32, pf.SBGGR8, pf.SGBRG8, pf.SGRBG8, pf.SRGGB8)
MPLANE_ONLY_FORMATS = (pf.YUV420M, pf.NV12M)

# QUERYCAP as vivid on 6.1 answers it with the default node_types (0xe1d3d): the
# device's capabilities are the union over all its nodes (vbi, radio, sdr, meta, touch).
DEVICE_CAPABILITIES = {False: 0x9DBF0DF7, True: 0x9DBF3DF0}  # by multiplanar
VID_CAP_CAPS = {False: 0x05230005, True: 0x05231000}
VID_OUT_CAPS = {False: 0x05220002, True: 0x05222000}

# vivid's output is an S-Video (PAL) output at first: 720x576 interlaced, 25 fps.
OUTPUT_DEFAULT = (720, 576, v.V4L2_FIELD_INTERLACED)
OUTPUT_TIMEPERFRAME = (1000, 25000)
# The output's scaler limits (vivid_min_rect, vivid_max_rect x MAX_ZOOM 4).
MIN_SIZE, MAX_WIDTH, MAX_HEIGHT = 16, 4096 * 4, 2160 * 4


@dataclass
class VividInstance:
    """One ``vivid-00N`` platform device: what its nodes share."""

    number: int = 0
    multiplanar: bool = False
    allocator: str = "vmalloc"  # or "dma-contig"
    nodes: list[V4L2Node] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"vivid-{self.number:03d}"

    @property
    def bus_info(self) -> str:
        return f"platform:{self.name}"

    @property
    def io_modes(self) -> tuple[int, ...]:
        # dma-contig cannot take user pointers (vivid only adds USERPTR for vmalloc).
        if self.allocator == "dma-contig":
            return (MEMORY_MMAP, MEMORY_DMABUF)
        return (MEMORY_MMAP, MEMORY_USERPTR, MEMORY_DMABUF)

    def all_caps(self) -> int:
        return DEVICE_CAPABILITIES[self.multiplanar]


@dataclass
class VideoFormat:
    """The current format of one vivid queue."""

    fmt: pf.PixFormat
    width: int
    height: int
    field: int = v.V4L2_FIELD_NONE

    def sizes(self) -> tuple[int, ...]:
        return tuple(p.sizeimage(self.width, self.height) for p in self.fmt.planes)

    def bytesperlines(self) -> tuple[int, ...]:
        return tuple(p.bytesperline(self.width) for p in self.fmt.planes)


class _VividVideo(V4L2Node):
    """What vivid's capture and output nodes share: format handling and the queue."""

    is_output = False

    def __init__(self, path: str, instance: VividInstance) -> None:
        kind = "vid-out" if self.is_output else "vid-cap"
        super().__init__(path, f"{instance.name}-{kind}", "vivid", instance.bus_info)
        self.card = "vivid"
        self.instance = instance
        instance.nodes.append(self)
        mp = instance.multiplanar
        if self.is_output:
            self.buf_type = v.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE if mp \
                else v.V4L2_BUF_TYPE_VIDEO_OUTPUT
            self.device_caps = VID_OUT_CAPS[mp]
            width, height, fld = OUTPUT_DEFAULT
            self.format = VideoFormat(pf.YUYV, width, height, fld)
            self.timeperframe = OUTPUT_TIMEPERFRAME
        else:
            self.buf_type = v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE if mp \
                else v.V4L2_BUF_TYPE_VIDEO_CAPTURE
            self.device_caps = VID_CAP_CAPS[mp]
            self.format = VideoFormat(pf.YUYV, 640, 360)
            self.timeperframe = (1, 5)  # the webcam input starts at 5 fps
        self.buf_types = (self.buf_type,)
        self.queue = Queue(
            buf_type=self.buf_type,
            is_output=self.is_output,
            ops=self,
            cond=self.cond,
            multiplanar=mp,
            io_modes=instance.io_modes,
            min_buffers_needed=0,  # vivid with supports_requests=1 (the default)
            allocator=instance.allocator,
            supports_requests=True,
            name=self.name,
        )
        self.queue.on_change = self.refresh_poll
        self.sequence = 0
        self.pacer = Pacer(self.attached_clock, self.period_ns, self.has_work, self.tick,
                           self.missed, lock=self.cond)

    def attach(self, cond: threading.Condition, clock: Clock) -> None:
        super().attach(cond, clock)
        self.queue.cond = cond
        self.pacer.lock = cond

    @property
    def extra_caps(self) -> int:  # type: ignore[override]
        return self.instance.all_caps()

    # --- queues -----------------------------------------------------------------------

    def queue_for(self, fh: FileHandle, buf_type: int) -> Queue:
        return self.queue

    def queues_of(self, fh: FileHandle) -> list[Queue]:
        return [self.queue]

    # --- formats ----------------------------------------------------------------------

    def available_formats(self) -> tuple[pf.PixFormat, ...]:
        if self.instance.multiplanar:
            return FORMATS + MPLANE_ONLY_FORMATS
        return FORMATS

    def formats(self, buf_type: int) -> list[tuple[int, str, int]]:
        # Only capture formats carry the CSC flags (colour conversion on capture).
        return [(f.pixelformat, f.description, 0 if self.is_output else f.csc_flags)
                for f in self.available_formats()]

    def _fill_format(self, fmt: v.v4l2_format, cur: VideoFormat) -> None:
        sizes, bpls = cur.sizes(), cur.bytesperlines()
        if self.instance.multiplanar:
            mp = fmt.fmt.pix_mp
            mp.width, mp.height = cur.width, cur.height
            mp.pixelformat = cur.fmt.pixelformat
            mp.field = cur.field
            mp.colorspace = cur.fmt.colorspace
            mp.num_planes = cur.fmt.num_planes
            mp.flags = 0
            mp.ycbcr_enc = mp.quantization = mp.xfer_func = 0
            for i in range(v.VIDEO_MAX_PLANES):
                plane = mp.plane_fmt[i]
                plane.bytesperline = bpls[i] if i < len(bpls) else 0
                plane.sizeimage = sizes[i] if i < len(sizes) else 0
        else:
            pix = fmt.fmt.pix
            pix.width, pix.height = cur.width, cur.height
            pix.pixelformat = cur.fmt.pixelformat
            pix.field = cur.field
            pix.bytesperline = bpls[0]
            pix.sizeimage = sizes[0]
            pix.colorspace = cur.fmt.colorspace
            pix.priv = v.V4L2_PIX_FMT_PRIV_MAGIC
            pix.flags = 0
            pix.ycbcr_enc = pix.quantization = pix.xfer_func = 0

    def _requested(self, fmt: v.v4l2_format) -> VideoFormat:
        """TRY_FMT's adjustment: a known format (else YUYV), the nearest webcam size."""
        if self.instance.multiplanar:
            mp = fmt.fmt.pix_mp
            width, height, fourcc = mp.width, mp.height, mp.pixelformat
        else:
            pix = fmt.fmt.pix
            width, height, fourcc = pix.width, pix.height, pix.pixelformat
        known = {f.pixelformat: f for f in self.available_formats()}
        chosen = known.get(fourcc, pf.YUYV)
        if self.is_output:
            # Output scaler and crop: any size within vivid's limits (odd ones too); the
            # S-Video output keeps its interlaced field order.
            w = min(max(width, MIN_SIZE), MAX_WIDTH)
            h = min(max(height, MIN_SIZE), MAX_HEIGHT)
            return VideoFormat(chosen, w, h, self.format.field)
        w, h = min(WEBCAM_SIZES, key=lambda s: abs(s[0] - width) + abs(s[1] - height))
        return VideoFormat(chosen, w, h)

    def g_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self._fill_format(fmt, self.format)

    def try_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self._fill_format(fmt, self._requested(fmt))

    def s_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        new = self._requested(fmt)
        if not self.is_output and (new.width, new.height) != (self.format.width,
                                                              self.format.height):
            self.timeperframe = self._clamp_interval(new.width, new.height, self.timeperframe)
        self.format = new
        self._fill_format(fmt, new)

    def enum_framesizes(self, fh: FileHandle, fs: v.v4l2_frmsizeenum) -> None:
        if self.is_output:
            raise fail(errno.ENOTTY)  # disabled on vivid's output node
        if fs.pixel_format not in {f.pixelformat for f in self.available_formats()}:
            raise fail(errno.EINVAL)
        if fs.index >= len(WEBCAM_SIZES):
            raise fail(errno.EINVAL)
        fs.type = v.V4L2_FRMSIZE_TYPE_DISCRETE
        fs.discrete.width, fs.discrete.height = WEBCAM_SIZES[fs.index]

    @staticmethod
    def _intervals(width: int, height: int) -> tuple[tuple[int, int], ...]:
        """Bigger webcam sizes offer fewer (slower) intervals, as in vivid."""
        try:
            i = WEBCAM_SIZES.index((width, height))
        except ValueError:
            return ()
        return WEBCAM_INTERVALS[: 2 * (len(WEBCAM_SIZES) - i)]

    def enum_frameintervals(self, fh: FileHandle, fi: v.v4l2_frmivalenum) -> None:
        if self.is_output:
            raise fail(errno.ENOTTY)
        if fi.pixel_format not in {f.pixelformat for f in self.available_formats()}:
            raise fail(errno.EINVAL)
        intervals = self._intervals(fi.width, fi.height)
        if fi.index >= len(intervals):
            raise fail(errno.EINVAL)
        fi.type = v.V4L2_FRMIVAL_TYPE_DISCRETE
        fi.discrete.numerator, fi.discrete.denominator = intervals[fi.index]

    def _clamp_interval(self, width: int, height: int,
                        wanted: tuple[int, int]) -> tuple[int, int]:
        """The first (slowest-first list) interval not longer than ``wanted``."""
        intervals = self._intervals(width, height) or WEBCAM_INTERVALS
        num, den = wanted
        for ival in intervals:
            if ival[0] * den <= num * ival[1]:
                return ival
        return intervals[-1]

    def _parm(self, parm: v.v4l2_streamparm) -> v.v4l2_fract:
        side = parm.parm.output if self.is_output else parm.parm.capture
        side.capability = v.V4L2_CAP_TIMEPERFRAME
        if self.is_output:
            side.writebuffers = 1
        else:
            side.readbuffers = 1
        tpf: v.v4l2_fract = side.timeperframe
        return tpf

    def g_parm(self, fh: FileHandle, parm: v.v4l2_streamparm) -> None:
        tpf = self._parm(parm)
        tpf.numerator, tpf.denominator = self.timeperframe

    def s_parm(self, fh: FileHandle, parm: v.v4l2_streamparm) -> None:
        if self.is_output:
            raise fail(errno.ENOTTY)  # the output rate follows the standard (PAL: 25)
        side = parm.parm.output if self.is_output else parm.parm.capture
        num, den = side.timeperframe.numerator, side.timeperframe.denominator
        if num and den:
            self.timeperframe = self._clamp_interval(self.format.width, self.format.height,
                                                     (num, den))
        tpf = self._parm(parm)
        tpf.numerator, tpf.denominator = self.timeperframe

    # --- vb2_ops ----------------------------------------------------------------------

    def queue_setup(self, queue: Queue, count: int,
                    sizes: Sequence[int] | None) -> tuple[int, list[int]]:
        need = list(self.format.sizes())
        if sizes is not None:
            # CREATE_BUFS: the plane count must match the format; sizes may be larger.
            if len(sizes) != len(need) or any(s < n for s, n in zip(sizes, need, strict=True)):
                raise fail(errno.EINVAL)
            need = list(sizes)
        if queue.num_buffers + count < 2:
            count = 2 - queue.num_buffers
        return count, need

    def buf_prepare(self, queue: Queue, buf: Buffer) -> None:
        for plane, size in zip(buf.planes, self.format.sizes(), strict=False):
            if plane.length < size:
                raise fail(errno.EINVAL)  # "data will not fit into plane"
            if not self.is_output:
                plane.bytesused = size
        if not self.is_output:
            buf.field = self.format.field

    def buf_queue(self, queue: Queue, buf: Buffer) -> None:
        self.pacer.kick()

    def start_streaming(self, queue: Queue) -> None:
        self.sequence = 0
        # vivid's kernel thread produces its first frame as soon as it starts.
        self.pacer.start(delay_ns=0)

    def stop_streaming(self, queue: Queue) -> None:
        self.pacer.stop()
        for buf in queue.active():
            queue.buffer_done(buf, State.ERROR)

    # --- frames -----------------------------------------------------------------------

    def period_ns(self) -> int:
        num, den = self.timeperframe
        return num * 1_000_000_000 // max(den, 1)

    def has_work(self) -> bool:
        return bool(self.queue.active())

    def missed(self, frames: int) -> None:
        self.sequence += frames

    def tick(self, when_ns: int) -> None:
        active = self.queue.active()
        if not active:
            self.sequence += 1
            return
        buf = active[0]
        if not self.is_output:
            self.fill(buf)
        buf.timestamp_ns = when_ns
        buf.sequence = self.sequence
        self.sequence += 1
        self.queue.buffer_done(buf, State.DONE)

    def fill(self, buf: Buffer) -> None:
        """Write this frame's pattern into every plane, user pointers included (their
        pages were checked at QBUF and again now: the kernel would have pinned them)."""
        fmt = self.format
        data = pf.frame_planes(fmt.fmt.pixelformat, fmt.width, fmt.height, self.sequence,
                               fmt.sizes())
        for plane, payload in zip(buf.planes, data, strict=False):
            if plane.memory is not None:
                plane.memory.write(plane.data_offset, payload)
            elif plane.userptr and user_range_ok(plane.userptr, plane.length, write=True):
                ctypes.memmove(plane.userptr + plane.data_offset, payload,
                               min(len(payload), plane.length - plane.data_offset))


class VividCapture(_VividVideo):
    """``vivid-00N-vid-cap``."""

    is_output = False


class VividOutput(_VividVideo):
    """``vivid-00N-vid-out``."""

    is_output = True


__all__ = ["VideoFormat", "VividCapture", "VividInstance", "VividOutput"]
