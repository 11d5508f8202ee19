"""Building streams: one device, a DMABUF import from a source, a linked pipeline, DVB.

dma-buf sources for a DMABUF queue (idea 6):

* :class:`HeapSource` — ``/dev/dma_heap/NAME`` (``system``, ``linux,cma``…);
* :class:`UdmabufSource` — ``/dev/udmabuf`` (memfd pages; on 6.1 a vmalloc queue refuses
  them at QBUF with EFAULT because udmabuf has no vmap, and the error says so);
* :class:`ExportSource` — another V4L2 node's MMAP buffers, exported with VIDIOC_EXPBUF
  (what ``v4l2-ctl --export-device`` does): the exporter only provides memory.

Every source hands out one dma-buf per plane per index, and the loop keeps that
association for the whole stream: queueing a different dma-buf on an index makes vb2
detach and re-attach (K11), which is why libcamera caches it too.

:func:`pipeline_stream` links devices: a capture's exported buffers are imported, index
for index, into the next device's OUTPUT queue (a mem2mem's, or a video output's), and
each buffer returns to its producer once the consumer has dequeued it: zero copies.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Sequence

from core.abi import v4l2 as v
from core.dmabuf import Dmabuf, DmaHeap, Udmabuf
from core.dvb import TS_PACKET, DemuxDevice, DvrDevice, FrontendDevice
from core.errors import MediaError
from core.stream.dvbqueue import DvbQueue
from core.stream.engine import Clock, Stream
from core.stream.vqueue import VideoQueue, fill_pattern
from core.video import Format, VideoDevice

_M2M = v.V4L2_CAP_VIDEO_M2M | v.V4L2_CAP_VIDEO_M2M_MPLANE


# --- dma-buf sources ------------------------------------------------------------------------


class _AllocatingSource:
    description = ""

    def __init__(self) -> None:
        self._owned: list[Dmabuf] = []

    def _one(self, size: int) -> Dmabuf:
        raise NotImplementedError

    def allocate(self, sizes: Sequence[int], count: int) -> list[list[Dmabuf]]:
        out = []
        for _ in range(count):
            planes = []
            for size in sizes:
                dbuf = self._one(size)
                self._owned.append(dbuf)
                planes.append(dbuf)
            out.append(planes)
        return out

    def close(self) -> None:
        owned, self._owned = self._owned, []
        for dbuf in owned:
            dbuf.close()


class HeapSource(_AllocatingSource):
    """dma-bufs from a dma-buf heap."""

    def __init__(self, name: str = "system") -> None:
        super().__init__()
        self.heap = DmaHeap(name)
        self.description = f"heap {self.heap.path}"

    def _one(self, size: int) -> Dmabuf:
        return self.heap.allocate(size)


class UdmabufSource(_AllocatingSource):
    """dma-bufs made from sealed memfds by ``/dev/udmabuf``."""

    description = "udmabuf /dev/udmabuf"

    def _one(self, size: int) -> Dmabuf:
        return Udmabuf().allocate(size)


class ExportSource:
    """Another node's MMAP buffers, exported plane by plane (the exporter never streams).

    The exporter's format is set to the importer's (size and pixel format) so its
    buffers are large enough; ``path`` is opened here and closed by :meth:`close`.
    """

    def __init__(self, path: str, *, buf_type: int | None = None,
                 match: Format | None = None) -> None:
        self.path = path
        self.buf_type = buf_type
        self.match = match
        self.dev: VideoDevice | None = None
        self.description = f"export {path}"

    def allocate(self, sizes: Sequence[int], count: int) -> list[list[Dmabuf]]:
        self.dev = dev = VideoDevice(self.path)
        bt = self.buf_type or _main_buf_type(dev)
        self.buf_type = bt
        self.description = f"export {self.path} {v.buf_type_name(bt)}"
        if self.match is not None:
            with contextlib.suppress(MediaError):
                dev.set_format(bt, width=self.match.width, height=self.match.height,
                               pixelformat=self.match.pixelformat)
        granted = dev.request_buffers(bt, v.V4L2_MEMORY_MMAP, count).granted
        nplanes = len(dev.queue(bt).buffers[0].planes) if granted else 0
        if granted < count or nplanes != len(sizes):
            raise MediaError(
                path=self.path, ioctl="VIDIOC_REQBUFS", errno=None,
                title="Exporter does not match the importer",
                explanation=f"{self.path} granted {granted} buffer(s) of {nplanes} plane(s); "
                f"the importing queue needs {count} of {len(sizes)}.",
            )
        flags = os.O_CLOEXEC | os.O_RDWR
        return [[dev.export_buffer(bt, i, p, flags) for p in range(nplanes)]
                for i in range(count)]

    def close(self) -> None:
        dev, self.dev = self.dev, None
        if dev is None:
            return
        with contextlib.suppress(MediaError, OSError, ValueError):
            dev.close_exports()
            dev.free_buffers(self.buf_type or 0)
        dev.close()


# --- builders -------------------------------------------------------------------------------


def _main_buf_type(dev: VideoDevice) -> int:
    types = dev.capability().buf_types
    if not types:
        raise MediaError(path=dev.path, ioctl="VIDIOC_QUERYCAP", errno=None,
                         title="Not a streaming node",
                         explanation="The node has no capture or output buffer queue.")
    return types[0]


def is_m2m(dev: VideoDevice) -> bool:
    return bool(dev.capability().device_caps & _M2M)


def m2m_types(dev: VideoDevice) -> tuple[int, int]:
    """(OUTPUT, CAPTURE) buffer types of a mem2mem node."""
    if dev.capability().device_caps & v.V4L2_CAP_VIDEO_M2M_MPLANE:
        return v.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
    return v.V4L2_BUF_TYPE_VIDEO_OUTPUT, v.V4L2_BUF_TYPE_VIDEO_CAPTURE


def capture_type(dev: VideoDevice) -> int:
    """The buffer type that produces frames: CAPTURE for a mem2mem node."""
    return m2m_types(dev)[1] if is_m2m(dev) else _main_buf_type(dev)


def video_stream(
    dev: VideoDevice,
    *,
    buf_type: int | None = None,
    count: int = 4,
    memory: int = v.V4L2_MEMORY_MMAP,
    source: object | None = None,
    max_frames: int | None = None,
    duration: float | None = None,
    clock: Clock = time.monotonic,
    snapshot_interval: float = 0.1,
    query_done: bool = True,
) -> Stream:
    """One node: a capture, an output (filled with a pattern), or a mem2mem (both queues;
    ``memory``/``source`` then apply to its OUTPUT queue, which is what imports)."""
    if buf_type is None and is_m2m(dev):
        out_t, cap_t = m2m_types(dev)
        out_q = VideoQueue(dev, out_t, count=count, memory=memory, source=source,  # type: ignore[arg-type]
                           fill=fill_pattern if memory == v.V4L2_MEMORY_MMAP else None)
        cap_q = VideoQueue(dev, cap_t, count=count)
        return Stream([out_q, cap_q], primary=1, max_frames=max_frames, duration=duration,
                      clock=clock, snapshot_interval=snapshot_interval, query_done=query_done)
    bt = buf_type if buf_type is not None else _main_buf_type(dev)
    fill = fill_pattern if v.is_output(bt) and memory == v.V4L2_MEMORY_MMAP else None
    q = VideoQueue(dev, bt, count=count, memory=memory, source=source, fill=fill)  # type: ignore[arg-type]
    return Stream([q], max_frames=max_frames, duration=duration, clock=clock,
                  snapshot_interval=snapshot_interval, query_done=query_done)


def match_formats(prod: VideoDevice, prod_t: int, cons: VideoDevice, cons_t: int) -> Format:
    """Give the consumer the producer's size and pixel format, picking a pixel format both
    support when the producer's current one is not accepted by the consumer."""
    pf = prod.get_format(prod_t)
    theirs = [f.pixelformat for f in cons.formats(cons_t)]
    if theirs and pf.pixelformat not in theirs:
        ours = {f.pixelformat for f in prod.formats(prod_t)}
        common = [p for p in theirs if p in ours]
        if not common:
            raise MediaError(
                path=cons.path, ioctl="VIDIOC_S_FMT", errno=None,
                title="No pixel format in common",
                explanation=f"{prod.path} produces {', '.join(v.fourcc_str(p) for p in ours)}"
                f"; {cons.path} accepts {', '.join(v.fourcc_str(p) for p in theirs)}.",
            )
        pf = prod.set_format(prod_t, pixelformat=common[0])
    cf = cons.set_format(cons_t, width=pf.width, height=pf.height, pixelformat=pf.pixelformat)
    if (cf.width, cf.height) != (pf.width, pf.height):
        pf = prod.set_format(prod_t, width=cf.width, height=cf.height)
    if (cf.width, cf.height, cf.pixelformat) != (pf.width, pf.height, pf.pixelformat):
        raise MediaError(
            path=cons.path, ioctl="VIDIOC_S_FMT", errno=None,
            title="Formats do not match",
            explanation=f"{prod.path} produces {pf}; {cons.path} settled on {cf}.",
        )
    return cf


def pipeline_stream(
    devices: Sequence[VideoDevice],
    *,
    count: int = 4,
    max_frames: int | None = None,
    duration: float | None = None,
    clock: Clock = time.monotonic,
    snapshot_interval: float = 0.1,
    query_done: bool = True,
) -> Stream:
    """capture → [mem2mem …] → [output], zero-copy through exported dma-bufs.

    The first device captures (MMAP, exported); each next device imports the previous
    stage's buffers into its OUTPUT queue (DMABUF).  A mem2mem stage's CAPTURE queue is
    MMAP and, when another stage follows, exported to it.  The frames counted are the
    last queue's.
    """
    if len(devices) < 2:
        raise ValueError("a pipeline needs at least two devices")
    queues: list[VideoQueue] = []
    first = devices[0]
    if is_m2m(first) or v.is_output(_main_buf_type(first)):
        # Nothing would feed its OUTPUT queue: the stream would wait for ever at 0 frames.
        kind = "a mem2mem node" if is_m2m(first) else "a video output"
        raise MediaError(path=first.path, ioctl=None, errno=None,
                         title="The first stage of a pipeline must capture",
                         explanation=f"It is {kind}, which produces nothing on its own. "
                         "Start the pipeline at a capture node and link this one after "
                         "it (--to), or stream it alone: then mediatui feeds its OUTPUT "
                         "queue itself.")
    producer = VideoQueue(first, capture_type(first), count=count, export=True)
    queues.append(producer)
    links: list[Callable[[], None]] = []
    for k, dev in enumerate(devices[1:], start=1):
        last = k == len(devices) - 1
        if is_m2m(dev):
            out_t, cap_t = m2m_types(dev)
        else:
            out_t, cap_t = _main_buf_type(dev), None
            if not v.is_output(out_t) or not last:
                raise MediaError(path=dev.path, ioctl=None, errno=None,
                                 title="Cannot take frames",
                                 explanation="A pipeline stage after the first must be a "
                                 "mem2mem node or, as the last stage, a video output.")
        consumer = VideoQueue(dev, out_t, count=count, memory=v.V4L2_MEMORY_DMABUF)
        prev = producer
        links.append(functools.partial(_match, prev, consumer))
        prev.next, consumer.prev = consumer, prev
        queues.append(consumer)
        if cap_t is not None:
            producer = VideoQueue(dev, cap_t, count=count, export=not last)
            queues.append(producer)
            links.append(functools.partial(_same_size, dev, out_t, cap_t))

    def setup() -> None:
        for link in links:
            link()

    return Stream(queues, primary=len(queues) - 1, max_frames=max_frames,
                  duration=duration, clock=clock, snapshot_interval=snapshot_interval,
                  query_done=query_done, setup=setup)


def _same_size(dev: VideoDevice, out_t: int, cap_t: int) -> None:
    """A mem2mem stage: CAPTURE at the OUTPUT's size (the pixel format may convert)."""
    fmt = dev.get_format(out_t)
    dev.set_format(cap_t, width=fmt.width, height=fmt.height)


def _match(prod: VideoQueue, cons: VideoQueue) -> None:
    match_formats(prod.dev, prod.buf_type, cons.dev, cons.buf_type)
    cons.source = f"export {prod.path} {v.buf_type_name(prod.buf_type)}"


def dvb_stream(
    node: DemuxDevice | DvrDevice,
    *,
    count: int = 8,
    size: int = 64 * TS_PACKET,
    parse: bool = True,
    max_frames: int | None = None,
    duration: float | None = None,
    clock: Clock = time.monotonic,
    snapshot_interval: float = 0.1,
    start_filter: Callable[[], None] | None = None,
    frontend: FrontendDevice | None = None,
) -> Stream:
    """A demux (with its filter set) or dvr node through the DVB mmap API.

    Set the filter up without DMX_IMMEDIATE_START and pass ``start_filter`` (the
    demux's ``start``) to have it started once every buffer is queued.  With
    ``frontend`` (an open handle, read-only is enough) every snapshot carries its
    DTV_STAT_* statistics."""
    q = DvbQueue(node, count=count, size=size, parse=parse, start_filter=start_filter,
                 frontend=frontend)
    return Stream([q], max_frames=max_frames, duration=duration, clock=clock,
                  snapshot_interval=snapshot_interval, query_done=False)
