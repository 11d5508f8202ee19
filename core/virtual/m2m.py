"""A vim2m-like mem2mem device: every open is a context with an OUTPUT and a CAPTURE queue.

As in ``v4l2-mem2mem.c`` and vim2m (6.1):

* the queues belong to the file handle, so there is no ownership between handles (K1
  does not apply; ``v4l2_m2m_ioctl_*`` never return EBUSY for another handle);
* a job runs when both queues stream and each has a buffer in the driver; it takes
  ``transtime`` (40 ms by default) and completes one OUTPUT (source) and one CAPTURE
  (destination) buffer; the destination gets the source's timestamp (TIMESTAMP_COPY);
* ``queue_setup`` limits buffers to 16 MiB per queue (vim2m's MEM2MEM_VID_MEM_LIMIT),
  so REQBUFS(32) at 640x480 RGB24 grants 18: a granted count that differs (K3);
* poll: POLLOUT when a source buffer is done, POLLIN when a destination buffer is,
  EPOLLERR (here: both) when neither queue has anything to wait for.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from dataclasses import dataclass

from core.abi import v4l2 as v
from core.virtual import formats as pf
from core.virtual.node import FileHandle
from core.virtual.pacing import Pacer
from core.virtual.v4l2 import V4L2Node
from core.virtual.vb2 import Buffer, Queue, State, fail

MEM2MEM_VID_MEM_LIMIT = 16 * 1024 * 1024
DEFAULT_TRANSTIME_MS = 40
MIN_W, MAX_W, MIN_H, MAX_H = 32, 640, 32, 480

# vim2m's table: RGB in both directions; YUYV and Bayer are produced on CAPTURE only.
FORMATS = (pf.RGB565, pf.RGB565X, pf.RGB24, pf.BGR24, pf.YUYV, pf.SBGGR8, pf.SGBRG8,
           pf.SGRBG8, pf.SRGGB8)
CAPTURE_FORMATS = FORMATS
OUTPUT_FORMATS = FORMATS[:4]
BAYER = (pf.SBGGR8, pf.SGBRG8, pf.SGRBG8, pf.SRGGB8)
_TIMESTAMP_COPY = 0x4000


@dataclass
class QData:
    """vim2m's per-queue format state."""

    fmt: pf.PixFormat
    width: int = 640
    height: int = 480
    sequence: int = 0

    @property
    def bytesperline(self) -> int:
        return self.fmt.planes[0].bytesperline(self.width)

    @property
    def sizeimage(self) -> int:
        return self.bytesperline * self.height


class M2MContext:
    """One open of the m2m node (``struct vim2m_ctx`` + ``v4l2_m2m_ctx``)."""

    def __init__(self, node: Vim2mNode, fh: FileHandle) -> None:
        self.node = node
        self.fh = fh
        self.out_q = QData(pf.RGB565)
        self.cap_q = QData(pf.RGB565)
        self.transtime_ms = DEFAULT_TRANSTIME_MS
        # Only the OUTPUT queue takes requests (vim2m's src_vq.supports_requests).
        self.src = Queue(buf_type=v.V4L2_BUF_TYPE_VIDEO_OUTPUT, is_output=True,
                         supports_requests=True, ops=self, cond=node.cond,
                         multiplanar=False, min_buffers_needed=0,
                         timestamp_flags=_TIMESTAMP_COPY, name=node.name)
        self.dst = Queue(buf_type=v.V4L2_BUF_TYPE_VIDEO_CAPTURE, is_output=False, ops=self,
                         cond=node.cond, multiplanar=False, min_buffers_needed=0,
                         timestamp_flags=_TIMESTAMP_COPY, name=node.name)
        self.src.on_change = node.refresh_poll
        self.dst.on_change = node.refresh_poll
        self.job = Pacer(node.attached_clock, self.job_ns, self.job_ready, self.device_run,
                         lock=node.cond)

    def qdata(self, queue: Queue) -> QData:
        return self.out_q if queue is self.src else self.cap_q

    # --- vb2_ops ----------------------------------------------------------------------

    def queue_setup(self, queue: Queue, count: int,
                    sizes: Sequence[int] | None) -> tuple[int, list[int]]:
        size = self.qdata(queue).sizeimage
        while count and size * count > MEM2MEM_VID_MEM_LIMIT:
            count -= 1
        if sizes is not None:
            if sizes[0] < size:
                raise fail(errno.EINVAL)
            return count, [sizes[0]]
        return count, [size]

    def buf_prepare(self, queue: Queue, buf: Buffer) -> None:
        size = self.qdata(queue).sizeimage
        if buf.planes[0].length < size:
            raise fail(errno.EINVAL)
        if not queue.is_output:
            buf.planes[0].bytesused = size

    def buf_queue(self, queue: Queue, buf: Buffer) -> None:
        self.try_schedule()

    def start_streaming(self, queue: Queue) -> None:
        self.qdata(queue).sequence = 0
        self.try_schedule()

    def stop_streaming(self, queue: Queue) -> None:
        self.job.stop()
        for buf in queue.active():
            queue.buffer_done(buf, State.ERROR)
        self.try_schedule()

    # --- jobs -------------------------------------------------------------------------

    def job_ns(self) -> int:
        return self.transtime_ms * 1_000_000

    def job_ready(self) -> bool:
        return (self.src.start_streaming_called and self.dst.start_streaming_called
                and bool(self.src.active()) and bool(self.dst.active()))

    def try_schedule(self) -> None:
        """v4l2_m2m_try_schedule: start the job clock when a job could run."""
        if self.job_ready() and not self.job.running:
            self.job.start()
        else:
            self.job.kick()

    def device_run(self, when_ns: int) -> None:
        """vim2m's device_run + device_work: process one source into one destination."""
        if not self.job_ready():
            self.job.stop()
            return
        src = self.src.active()[0]
        dst = self.dst.active()[0]
        self.process(src, dst)
        dst.sequence = self.cap_q.sequence
        self.cap_q.sequence += 1
        src.sequence = self.out_q.sequence
        self.out_q.sequence += 1
        # v4l2_m2m_buf_copy_metadata: timestamp, timecode, field and the frame flags.
        dst.timestamp_ns = src.timestamp_ns
        dst.field = src.field
        copied = (v.V4L2_BUF_FLAG_KEYFRAME | v.V4L2_BUF_FLAG_PFRAME
                  | v.V4L2_BUF_FLAG_BFRAME | v.V4L2_BUF_FLAG_TIMECODE)
        dst.flags = (dst.flags & ~copied) | (src.flags & copied)
        self.src.buffer_done(src, State.DONE)
        self.dst.buffer_done(dst, State.DONE)
        if not self.job_ready():
            self.job.stop()

    def process(self, src: Buffer, dst: Buffer) -> None:
        """Scale/convert: the destination gets a pattern in its format, mixed with the
        source's first bytes so a test can see data travelled through."""
        cap = self.cap_q
        payload = pf.frame_planes(cap.fmt.pixelformat, cap.width, cap.height,
                                  self.cap_q.sequence, (cap.sizeimage,))[0]
        plane = dst.planes[0]
        if plane.memory is None:
            return
        plane.memory.write(0, payload)
        source = src.planes[0].memory
        if source is not None:
            head = bytes(source.view()[: min(64, src.planes[0].bytesused, len(payload))])
            plane.memory.write(0, head)


class Vim2mNode(V4L2Node):
    """``vim2m``: the mem2mem test driver."""

    def __init__(self, path: str, name: str = "vim2m") -> None:
        super().__init__(path, name, "vim2m", "platform:vim2m")
        self.card = "vim2m"
        self.device_caps = (v.V4L2_CAP_VIDEO_M2M | v.V4L2_CAP_EXT_PIX_FORMAT
                            | v.V4L2_CAP_STREAMING)
        self.buf_types = (v.V4L2_BUF_TYPE_VIDEO_CAPTURE, v.V4L2_BUF_TYPE_VIDEO_OUTPUT)

    # --- file handles -----------------------------------------------------------------

    def open(self, fh: FileHandle) -> None:
        fh.private = M2MContext(self, fh)
        super().open(fh)

    def release(self, fh: FileHandle) -> None:
        """v4l2_m2m_ctx_release: both queues are released with the handle."""
        ctx: M2MContext = fh.private
        ctx.job.stop()
        ctx.src.release()
        ctx.dst.release()
        super().release(fh)

    def ctx(self, fh: FileHandle) -> M2MContext:
        ctx = fh.private
        assert isinstance(ctx, M2MContext)
        return ctx

    def queue_for(self, fh: FileHandle, buf_type: int) -> Queue:
        """v4l2_m2m_get_vq: the OUTPUT queue for output types, else CAPTURE."""
        ctx = self.ctx(fh)
        return ctx.src if v.is_output(buf_type) else ctx.dst

    def queues_of(self, fh: FileHandle) -> list[Queue]:
        ctx = self.ctx(fh)
        return [ctx.src, ctx.dst]

    def is_busy(self, fh: FileHandle, queue: Queue) -> bool:
        return False

    def after_qbuf(self, fh: FileHandle, queue: Queue, buf: Buffer) -> None:
        self.ctx(fh).try_schedule()

    def after_streamon(self, fh: FileHandle, queue: Queue) -> None:
        self.ctx(fh).try_schedule()

    # --- formats ----------------------------------------------------------------------

    def formats(self, buf_type: int) -> list[tuple[int, str, int]]:
        table = OUTPUT_FORMATS if v.is_output(buf_type) else CAPTURE_FORMATS
        return [(f.pixelformat, f.description, 0) for f in table]

    def _qdata(self, fh: FileHandle, buf_type: int) -> QData:
        ctx = self.ctx(fh)
        return ctx.out_q if v.is_output(buf_type) else ctx.cap_q

    @staticmethod
    def _fill(fmt: v.v4l2_format, q: QData) -> None:
        pix = fmt.fmt.pix
        pix.width, pix.height = q.width, q.height
        pix.pixelformat = q.fmt.pixelformat
        pix.field = v.V4L2_FIELD_NONE
        pix.bytesperline = q.bytesperline
        pix.sizeimage = q.sizeimage
        pix.colorspace = v.V4L2_COLORSPACE_REC709
        pix.priv = 0
        pix.flags = 0
        pix.ycbcr_enc = pix.quantization = pix.xfer_func = 0

    def _adjust(self, fmt: v.v4l2_format) -> QData:
        """vidioc_try_fmt_vid_cap/out: an unknown fourcc becomes the first format, a
        known one for the other direction is EINVAL; the size is clamped and its low
        bits cleared (width even; height even for Bayer)."""
        table = OUTPUT_FORMATS if v.is_output(fmt.type) else CAPTURE_FORMATS
        pix = fmt.fmt.pix
        chosen = next((f for f in FORMATS if f.pixelformat == pix.pixelformat), FORMATS[0])
        if chosen not in table:
            raise fail(errno.EINVAL)  # "Fourcc format (0x...) invalid"
        bayer = chosen in BAYER
        width = min(max(pix.width, MIN_W), MAX_W) & ~1
        height = min(max(pix.height, MIN_H), MAX_H) & (~1 if bayer else ~0)
        return QData(chosen, width, height)

    def g_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self._fill(fmt, self._qdata(fh, fmt.type))

    def try_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self._fill(fmt, self._adjust(fmt))

    def s_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        new = self._adjust(fmt)
        q = self._qdata(fh, fmt.type)
        q.fmt, q.width, q.height = new.fmt, new.width, new.height
        self._fill(fmt, q)

    def enum_framesizes(self, fh: FileHandle, fs: v.v4l2_frmsizeenum) -> None:
        fmt = next((f for f in FORMATS if f.pixelformat == fs.pixel_format), None)
        if fs.index != 0 or fmt is None:
            raise fail(errno.EINVAL)
        fs.type = v.V4L2_FRMSIZE_TYPE_STEPWISE
        sw = fs.stepwise
        sw.min_width, sw.max_width, sw.step_width = MIN_W, MAX_W, 2
        sw.min_height, sw.max_height = MIN_H, MAX_H
        sw.step_height = 2 if fmt in BAYER else 1

    # --- poll -------------------------------------------------------------------------

    def poll_state(self, fh: FileHandle) -> tuple[bool, bool]:
        """v4l2_m2m_poll_for_data."""
        ctx = self.ctx(fh)
        src, dst = ctx.src, ctx.dst
        src_idle = not src.streaming or src.error or not src.queued
        dst_idle = not dst.streaming or dst.error or (
            not dst.queued and not dst.last_buffer_dequeued)
        if src_idle and dst_idle:
            return True, True  # EPOLLERR
        writable = bool(src.done)
        readable = bool(dst.done) or dst.last_buffer_dequeued
        return readable, writable


__all__ = ["M2MContext", "Vim2mNode"]
