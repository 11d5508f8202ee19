"""A vimc-like media-controller pipeline: sensors, debayers, a scaler, capture nodes.

Modelled on vimc as built into the 6.1 test kernel (``drivers/media/test-drivers/vimc``)
and checked against it on the kernel tier (``tests/kernel/test_media.py``): the same
entities, pads, links and flags, the same power-on formats (which do *not* validate:
"Debayer A":0 is SRGGB8_1X8 while "Sensor A" sends RGB888_1X24), the same format
adjustment rules (sizes clamped to 16..4096 x 16..2160 and made even, unknown codes
replaced by the default, field ANY/ALTERNATE -> NONE on the sensor), and the same
STREAMON outcome: ``__media_pipeline_start`` walks every pad reachable through enabled
links and validates each enabled link (EPIPE on the first mismatch), then vimc's
streamer refuses a pipeline whose first entity is not a source (EPIPE).
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.abi import mbus as mb
from core.abi import media as m
from core.abi import subdev as sd
from core.abi import v4l2 as v
from core.media.check import compare_subdev, compare_video
from core.media.model import MbusFormat, VideoFormat
from core.virtual.clock import Clock
from core.virtual.media import Graph, MediaNode, VEntity, VInterface
from core.virtual.node import FileHandle, Node
from core.virtual.pacing import Pacer
from core.virtual.v4l2 import KERNEL_VERSION, V4L2Node
from core.virtual.vb2 import MEMORY_DMABUF, MEMORY_MMAP, MEMORY_USERPTR, Buffer, Queue, State, fail

MIN_W, MAX_W, MIN_H, MAX_H = 16, 4096, 16, 2160

SENSOR_CODES = (
    mb.MEDIA_BUS_FMT_BGR888_1X24, mb.MEDIA_BUS_FMT_BGR888_3X8, mb.MEDIA_BUS_FMT_RGB888_1X24,
    mb.MEDIA_BUS_FMT_RGB888_2X12_BE, mb.MEDIA_BUS_FMT_RGB888_2X12_LE,
    mb.MEDIA_BUS_FMT_RGB888_3X8, mb.MEDIA_BUS_FMT_RGB888_1X7X4_SPWG,
    mb.MEDIA_BUS_FMT_RGB888_1X7X4_JEIDA, mb.MEDIA_BUS_FMT_RGB888_1X32_PADHI,
    mb.MEDIA_BUS_FMT_GBR888_1X24, mb.MEDIA_BUS_FMT_ARGB8888_1X32,
    mb.MEDIA_BUS_FMT_SBGGR8_1X8, mb.MEDIA_BUS_FMT_SGBRG8_1X8, mb.MEDIA_BUS_FMT_SGRBG8_1X8,
    mb.MEDIA_BUS_FMT_SRGGB8_1X8, mb.MEDIA_BUS_FMT_SBGGR10_1X10, mb.MEDIA_BUS_FMT_SGBRG10_1X10,
    mb.MEDIA_BUS_FMT_SGRBG10_1X10, mb.MEDIA_BUS_FMT_SRGGB10_1X10,
    mb.MEDIA_BUS_FMT_SBGGR10_ALAW8_1X8, mb.MEDIA_BUS_FMT_SGBRG10_ALAW8_1X8,
    mb.MEDIA_BUS_FMT_SGRBG10_ALAW8_1X8, mb.MEDIA_BUS_FMT_SRGGB10_ALAW8_1X8,
    mb.MEDIA_BUS_FMT_SBGGR10_DPCM8_1X8, mb.MEDIA_BUS_FMT_SGBRG10_DPCM8_1X8,
    mb.MEDIA_BUS_FMT_SGRBG10_DPCM8_1X8, mb.MEDIA_BUS_FMT_SRGGB10_DPCM8_1X8,
    mb.MEDIA_BUS_FMT_SBGGR12_1X12, mb.MEDIA_BUS_FMT_SGBRG12_1X12,
    mb.MEDIA_BUS_FMT_SGRBG12_1X12, mb.MEDIA_BUS_FMT_SRGGB12_1X12,
)
BAYER_CODES = SENSOR_CODES[11:15] + SENSOR_CODES[15:19] + SENSOR_CODES[27:]
RGB_CODES = SENSOR_CODES[:11]
DEBAYER_SRC_CODES = RGB_CODES[:10]

# Capture formats in vimc's ENUM_FMT order, with bytes per pixel.
CAPTURE_FORMATS: tuple[tuple[str, str, int], ...] = (
    ("BGR3", "24-bit BGR 8-8-8", 3), ("RGB3", "24-bit RGB 8-8-8", 3),
    ("BA24", "32-bit ARGB 8-8-8-8", 4), ("BA81", "8-bit Bayer BGBG/GRGR", 1),
    ("GBRG", "8-bit Bayer GBGB/RGRG", 1), ("GRBG", "8-bit Bayer GRGR/BGBG", 1),
    ("RGGB", "8-bit Bayer RGRG/GBGB", 1), ("BG10", "10-bit Bayer BGBG/GRGR", 2),
    ("GB10", "10-bit Bayer GBGB/RGRG", 2), ("BA10", "10-bit Bayer GRGR/BGBG", 2),
    ("RG10", "10-bit Bayer RGRG/GBGB", 2), ("aBA8", "8-bit Bayer BGBG/GRGR (A-law)", 1),
    ("aGA8", "8-bit Bayer GBGB/RGRG (A-law)", 1), ("agA8", "8-bit Bayer GRGR/BGBG (A-law)", 1),
    ("aRA8", "8-bit Bayer RGRG/GBGB (A-law)", 1), ("bBA8", "8-bit Bayer BGBG/GRGR (DPCM)", 1),
    ("bGA8", "8-bit Bayer GBGB/RGRG (DPCM)", 1), ("BD10", "8-bit Bayer GRGR/BGBG (DPCM)", 1),
    ("bRA8", "8-bit Bayer RGRG/GBGB (DPCM)", 1), ("BG12", "12-bit Bayer BGBG/GRGR", 2),
    ("GB12", "12-bit Bayer GBGB/RGRG", 2), ("BA12", "12-bit Bayer GRGR/BGBG", 2),
    ("RG12", "12-bit Bayer RGRG/GBGB", 2),
)
_BPP = {v.fourcc(cc): bpp for cc, _d, bpp in CAPTURE_FORMATS}
_RGB3 = v.fourcc("RGB3")

SRGB = v.V4L2_COLORSPACE_SRGB
DEFAULT_FMT = MbusFormat(640, 480, mb.MEDIA_BUS_FMT_RGB888_1X24, v.V4L2_FIELD_NONE, SRGB)


def clamp_colorimetry(f: MbusFormat) -> MbusFormat:
    """vimc_colorimetry_clamp (vimc-common.h)."""
    if f.colorspace == 0 or f.colorspace > v.V4L2_COLORSPACE_DCI_P3:
        f = replace(f, colorspace=0, ycbcr_enc=0, quantization=0, xfer_func=0)
    if f.ycbcr_enc > 8:
        f = replace(f, ycbcr_enc=0)
    if f.quantization > 2:
        f = replace(f, quantization=0)
    if f.xfer_func > 7:
        f = replace(f, xfer_func=0)
    return f


def _size(w: int, h: int) -> tuple[int, int]:
    return (min(max(w, MIN_W), MAX_W) & ~1, min(max(h, MIN_H), MAX_H) & ~1)


# --- the graph ------------------------------------------------------------------------------


@dataclass
class VimcEntity(VEntity):
    """A vimc entity with the state its subdev or capture node works on."""

    kind: str = ""  # sensor, debayer, scaler, capture, lens
    node: Node | None = None
    # active pad formats (subdevs) and the scaler's crop
    formats: dict[int, MbusFormat] = field(default_factory=dict)
    crop: tuple[int, int, int, int] = (0, 0, 640, 480)
    streaming: int = 0


class VimcGraph(Graph[VimcEntity]):
    """The vimc topology and its state, shared by the media, subdev and video nodes."""

    def __init__(self) -> None:
        super().__init__(backlinks=False)

    def add(self, name: str, function: int, kind: str, pad_flags: Sequence[int]) -> VimcEntity:
        return self.register(VimcEntity(0, name, function, kind=kind), pad_flags)

    def reset_formats(self) -> None:
        for e in self.entities:
            if e.kind == "sensor":
                e.formats = {0: DEFAULT_FMT}
            elif e.kind == "debayer":
                e.formats = {0: replace(DEFAULT_FMT, code=mb.MEDIA_BUS_FMT_SRGGB8_1X8),
                             1: DEFAULT_FMT}
            elif e.kind == "scaler":
                e.formats = {0: DEFAULT_FMT, 1: DEFAULT_FMT}
                e.crop = (0, 0, 640, 480)

    # --- pipeline start (mc-entity.c __media_pipeline_start + vimc-streamer.c) ---------

    def pipeline(self, start: VimcEntity) -> tuple[list[int], list[VimcEntity]]:
        pads: list[int] = []
        queue = [start.pads[0].id]
        while queue:
            pad_id = queue.pop(0)
            if pad_id in pads:
                continue
            pads.append(pad_id)
            entity, pad = self.owner(pad_id)
            for lk in self.data_links():
                if lk.flags & m.MEDIA_LNK_FL_ENABLED and pad_id in (lk.source, lk.sink):
                    queue.append(lk.sink if lk.source == pad_id else lk.source)
            sink = bool(pad.flags & m.MEDIA_PAD_FL_SINK)
            queue += [p.id for p in entity.pads
                      if p.id != pad_id and bool(p.flags & m.MEDIA_PAD_FL_SINK) != sink]
        entities: list[VimcEntity] = []
        for pad_id in pads:
            e, _ = self.owner(pad_id)
            if e not in entities:
                entities.append(e)
        return pads, entities

    def start(self, capture: VimcEntity) -> list[VimcEntity]:
        """Validate the pipeline of ``capture`` and mark it streaming; raises EPIPE."""
        pads, entities = self.pipeline(capture)
        if any(e.streaming for e in entities if e.kind == "capture" and e is not capture):
            pass  # vimc shares one pipeline; a second capture joins it
        for pad_id in pads:
            _, pad = self.owner(pad_id)
            if not pad.flags & m.MEDIA_PAD_FL_SINK:
                continue
            for lk in self.data_links():
                if lk.sink != pad_id or not lk.flags & m.MEDIA_LNK_FL_ENABLED:
                    continue
                src_e, src_p = self.owner(lk.source)
                snk_e, snk_p = self.owner(lk.sink)
                src = src_e.formats[src_p.index]
                if snk_e.kind == "capture":
                    node = snk_e.node
                    assert isinstance(node, VimcCapture)
                    bad = compare_video(src, node.format)
                else:
                    bad = compare_subdev(src, snk_e.formats[snk_p.index])
                if bad:
                    raise fail(errno.EPIPE)
        # vimc_streamer_pipeline_init: up through enabled links to a source entity.
        current: VimcEntity | None = capture
        while current is not None:
            sink = next((p for p in current.pads if p.flags & m.MEDIA_PAD_FL_SINK), None)
            if sink is None:
                break
            upstream = [lk for lk in self.data_links()
                        if lk.sink == sink.id and lk.flags & m.MEDIA_LNK_FL_ENABLED]
            if not upstream:
                raise fail(errno.EPIPE)  # "first entity in the pipe ... is not a source"
            current = self.owner(upstream[0].source)[0]
        for e in entities:
            e.streaming += 1
        return entities

    def stop(self, entities: list[VimcEntity]) -> None:
        for e in entities:
            e.streaming = max(0, e.streaming - 1)


# --- nodes ----------------------------------------------------------------------------------


class VimcMedia(MediaNode):
    """``/dev/mediaN`` of vimc: DEVICE_INFO, G_TOPOLOGY, SETUP_LINK, ENUM_ENTITIES."""

    def __init__(self, path: str, graph: VimcGraph) -> None:
        super().__init__(path, "vimc", "VIMC MDEV", "platform:vimc", graph=graph)
        self.graph: VimcGraph = graph

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if request == m.MEDIA_IOC_SETUP_LINK:
            self._setup_link(arg)
            return 0
        return super().ioctl(fh, request, arg)

    def _setup_link(self, desc: m.media_link_desc) -> None:
        """media_device_setup_link + __media_entity_setup_link (mc-entity.c)."""
        g = self.graph
        src_e, snk_e = g.by_id(desc.source.entity), g.by_id(desc.sink.entity)
        if src_e is None or snk_e is None:
            raise fail(errno.EINVAL)
        if desc.source.index >= len(src_e.pads) or desc.sink.index >= len(snk_e.pads):
            raise fail(errno.EINVAL)
        src_pad, snk_pad = src_e.pads[desc.source.index], snk_e.pads[desc.sink.index]
        link = next((lk for lk in g.data_links()
                     if lk.source == src_pad.id and lk.sink == snk_pad.id), None)
        if link is None:
            raise fail(errno.EINVAL)
        flags = (desc.flags & m.MEDIA_LNK_FL_ENABLED) | (link.flags & ~m.MEDIA_LNK_FL_ENABLED)
        if link.flags & m.MEDIA_LNK_FL_IMMUTABLE:
            if link.flags != flags:
                raise fail(errno.EINVAL)
            return
        if link.flags == flags:
            return
        if src_e.streaming or snk_e.streaming:
            raise fail(errno.EBUSY)
        link.flags = flags


class VimcSubdev(Node):
    """``/dev/v4l-subdevN`` of one vimc entity."""

    def __init__(self, path: str, graph: VimcGraph, entity: VimcEntity) -> None:
        super().__init__(path, entity.name, "vimc")
        self.graph = graph
        self.entity = entity
        entity.node = self

    @property
    def bus_info(self) -> str:
        return "platform:vimc"

    def open(self, fh: FileHandle) -> None:
        super().open(fh)
        fh.private = {p.index: self._default(p.index) for p in self.entity.pads}

    def _default(self, pad: int) -> MbusFormat:
        if self.entity.kind == "debayer" and pad == 0:
            return replace(DEFAULT_FMT, code=mb.MEDIA_BUS_FMT_SRGGB8_1X8)
        return DEFAULT_FMT

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        e = self.entity
        if request == sd.VIDIOC_SUBDEV_QUERYCAP:
            arg.version, arg.capabilities = KERNEL_VERSION, 0
            return 0
        if e.kind == "lens" or request == sd.VIDIOC_SUBDEV_G_FRAME_INTERVAL:
            raise fail(errno.ENOTTY)
        handlers: dict[int, Callable[[FileHandle, Any], None]] = {
            sd.VIDIOC_SUBDEV_G_FMT: self._g_fmt,
            sd.VIDIOC_SUBDEV_S_FMT: self._s_fmt,
            sd.VIDIOC_SUBDEV_ENUM_MBUS_CODE: self._enum_code,
            sd.VIDIOC_SUBDEV_ENUM_FRAME_SIZE: self._enum_size,
            sd.VIDIOC_SUBDEV_G_SELECTION: self._g_sel,
            sd.VIDIOC_SUBDEV_S_SELECTION: self._s_sel,
        }
        handler = handlers.get(request)
        if handler is None:
            raise fail(errno.ENOTTY)
        handler(fh, arg)
        return 0

    def _check_pad(self, pad: int, which: int) -> None:
        if pad >= len(self.entity.pads) or which not in (0, 1):
            raise fail(errno.EINVAL)

    def _formats(self, fh: FileHandle, which: int) -> dict[int, MbusFormat]:
        return self.entity.formats if which == sd.V4L2_SUBDEV_FORMAT_ACTIVE else fh.private

    def _codes(self, pad: int) -> tuple[int, ...]:
        kind = self.entity.kind
        if kind == "sensor":
            return SENSOR_CODES
        if kind == "debayer":
            return BAYER_CODES if pad == 0 else DEBAYER_SRC_CODES
        return RGB_CODES

    def _g_fmt(self, fh: FileHandle, f: sd.v4l2_subdev_format) -> None:
        self._check_pad(f.pad, f.which)
        _fill(f.format, self._formats(fh, f.which)[f.pad])

    def _s_fmt(self, fh: FileHandle, f: sd.v4l2_subdev_format) -> None:
        self._check_pad(f.pad, f.which)
        active = f.which == sd.V4L2_SUBDEV_FORMAT_ACTIVE
        if active and self.entity.streaming:
            raise fail(errno.EBUSY)
        fmts = self._formats(fh, f.which)
        x = f.format
        want = MbusFormat(x.width, x.height, x.code, x.field, x.colorspace, x.ycbcr_enc,
                          x.quantization, x.xfer_func)
        kind, pad = self.entity.kind, f.pad
        codes = self._codes(pad)
        if kind == "debayer" and pad == 1:
            # Only the code of the source pad can change; the rest follows the sink.
            code = want.code if want.code in codes else fmts[1].code
            fmts[1] = replace(fmts[0], code=code)
        elif kind == "scaler" and pad == 1:
            w, h = _size(want.width, want.height)
            fmts[1] = replace(fmts[0], width=w, height=h)
        else:
            default = self._default(pad)
            code = want.code if want.code in codes else default.code
            w, h = _size(want.width, want.height)
            fld = want.field
            if fld == v.V4L2_FIELD_ANY or (kind == "sensor" and fld == v.V4L2_FIELD_ALTERNATE):
                fld = v.V4L2_FIELD_NONE
            new = clamp_colorimetry(replace(want, code=code, width=w, height=h, field=fld))
            fmts[pad] = new
            if kind == "debayer":
                fmts[1] = replace(new, code=fmts[1].code)
            elif kind == "scaler":
                fmts[1] = new
                if active:
                    self.entity.crop = (0, 0, w, h)
        _fill(x, fmts[pad])

    def _enum_code(self, fh: FileHandle, c: sd.v4l2_subdev_mbus_code_enum) -> None:
        self._check_pad(c.pad, c.which)
        codes = self._codes(c.pad)
        if c.index >= len(codes):
            raise fail(errno.EINVAL)
        c.code = codes[c.index]

    def _enum_size(self, fh: FileHandle, s: sd.v4l2_subdev_frame_size_enum) -> None:
        self._check_pad(s.pad, s.which)
        if s.index or s.code not in self._codes(s.pad):
            raise fail(errno.EINVAL)
        s.min_width, s.max_width, s.min_height, s.max_height = MIN_W, MAX_W, MIN_H, MAX_H

    def _g_sel(self, fh: FileHandle, sel: sd.v4l2_subdev_selection) -> None:
        self._check_pad(sel.pad, sel.which)
        if self.entity.kind != "scaler" or sel.pad != 0:
            raise fail(errno.EINVAL)
        sink = self._formats(fh, sel.which)[0]
        if sel.target == sd.V4L2_SEL_TGT_CROP:
            rect = self.entity.crop
        elif sel.target == sd.V4L2_SEL_TGT_CROP_BOUNDS:
            rect = (0, 0, sink.width, sink.height)
        else:
            raise fail(errno.EINVAL)
        sel.r.left, sel.r.top, sel.r.width, sel.r.height = rect

    def _s_sel(self, fh: FileHandle, sel: sd.v4l2_subdev_selection) -> None:
        self._check_pad(sel.pad, sel.which)
        if self.entity.kind != "scaler" or sel.pad != 0 or sel.target != sd.V4L2_SEL_TGT_CROP:
            raise fail(errno.EINVAL)
        if self.entity.streaming:
            raise fail(errno.EBUSY)
        sink = self._formats(fh, sel.which)[0]
        w = min(max(sel.r.width, MIN_W), sink.width)
        h = min(max(sel.r.height, MIN_H), sink.height)
        left = min(max(sel.r.left, 0), sink.width - w)
        top = min(max(sel.r.top, 0), sink.height - h)
        if sel.which == sd.V4L2_SUBDEV_FORMAT_ACTIVE:
            self.entity.crop = (left, top, w, h)
        sel.r.left, sel.r.top, sel.r.width, sel.r.height = left, top, w, h


def _fill(x: sd.v4l2_mbus_framefmt, f: MbusFormat) -> None:
    x.width, x.height, x.code, x.field = f.width, f.height, f.code, f.field
    x.colorspace, x.ycbcr_enc, x.quantization, x.xfer_func = (
        f.colorspace, f.ycbcr_enc, f.quantization, f.xfer_func)


class VimcCapture(V4L2Node):
    """A vimc capture video node: single-planar, vmalloc, ``min_buffers_needed = 2``,
    about 60 frames a second once the pipeline validates."""

    device_caps = v.V4L2_CAP_VIDEO_CAPTURE | v.V4L2_CAP_STREAMING | v.V4L2_CAP_IO_MC

    def __init__(self, path: str, graph: VimcGraph, entity: VimcEntity) -> None:
        super().__init__(path, entity.name, "vimc", "platform:vimc")
        self.card = "vimc"
        self.graph = graph
        self.entity = entity
        entity.node = self
        self.buf_type = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
        self.buf_types = (self.buf_type,)
        self.format = VideoFormat(640, 480, _RGB3, v.V4L2_FIELD_NONE, SRGB)
        self.queue = Queue(buf_type=self.buf_type, is_output=False, ops=self, cond=self.cond,
                           io_modes=(MEMORY_MMAP, MEMORY_USERPTR, MEMORY_DMABUF),
                           min_buffers_needed=2, name=self.name)
        self.queue.on_change = self.refresh_poll
        self.sequence = 0
        self.pipeline: list[VimcEntity] = []
        self.pacer = Pacer(self._clock, lambda: 1_000_000_000 // 60,
                           lambda: bool(self.queue.active()), self.tick, self.missed,
                           lock=self.cond)

    def attach(self, cond: threading.Condition, clock: Clock) -> None:
        super().attach(cond, clock)
        self.queue.cond = cond
        self.pacer.lock = cond

    def _clock(self) -> Clock:
        if self.clock is None:
            raise RuntimeError(f"{self.path} is not attached to a backend")
        return self.clock

    @property
    def extra_caps(self) -> int:  # type: ignore[override]
        return self.device_caps | v.V4L2_CAP_DEVICE_CAPS

    def queue_for(self, fh: FileHandle, buf_type: int) -> Queue:
        return self.queue

    def queues_of(self, fh: FileHandle) -> list[Queue]:
        return [self.queue]

    def formats(self, buf_type: int) -> list[tuple[int, str, int]]:
        return [(v.fourcc(cc), desc, 0) for cc, desc, _bpp in CAPTURE_FORMATS]

    def _fill(self, fmt: v.v4l2_format, f: VideoFormat) -> None:
        p = fmt.fmt.pix
        p.width, p.height, p.pixelformat, p.field = f.width, f.height, f.pixelformat, f.field
        p.bytesperline = f.width * _BPP.get(f.pixelformat, 3)
        p.sizeimage = p.bytesperline * f.height
        p.colorspace, p.ycbcr_enc = f.colorspace, f.ycbcr_enc
        p.quantization, p.xfer_func = f.quantization, f.xfer_func
        p.flags = 0

    def _requested(self, fmt: v.v4l2_format) -> VideoFormat:
        p = fmt.fmt.pix
        pixelformat = p.pixelformat if p.pixelformat in _BPP else _RGB3
        w, h = _size(p.width, p.height)
        fld = v.V4L2_FIELD_NONE if p.field == v.V4L2_FIELD_ANY else p.field
        c = clamp_colorimetry(MbusFormat(w, h, 0, fld, p.colorspace, p.ycbcr_enc,
                                         p.quantization, p.xfer_func))
        return VideoFormat(w, h, pixelformat, fld, c.colorspace, c.ycbcr_enc,
                           c.quantization, c.xfer_func)

    def g_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self._fill(fmt, self.format)

    def try_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        self._fill(fmt, self._requested(fmt))

    def s_fmt(self, fh: FileHandle, fmt: v.v4l2_format) -> None:
        if self.queue.num_buffers:
            raise fail(errno.EBUSY)  # vb2_is_busy
        self.format = self._requested(fmt)
        self._fill(fmt, self.format)

    def enum_framesizes(self, fh: FileHandle, fs: v.v4l2_frmsizeenum) -> None:
        if fs.index or fs.pixel_format not in _BPP:
            raise fail(errno.EINVAL)
        fs.type = v.V4L2_FRMSIZE_TYPE_CONTINUOUS
        sw = fs.stepwise
        sw.min_width, sw.max_width, sw.step_width = MIN_W, MAX_W, 1
        sw.min_height, sw.max_height, sw.step_height = MIN_H, MAX_H, 1

    # --- vb2_ops ------------------------------------------------------------------------

    def queue_setup(self, queue: Queue, count: int,
                    sizes: Sequence[int] | None) -> tuple[int, list[int]]:
        need = self.format.width * _BPP.get(self.format.pixelformat, 3) * self.format.height
        if sizes is not None:
            if len(sizes) != 1 or sizes[0] < need:
                raise fail(errno.EINVAL)
            return count, list(sizes)
        return count, [need]

    def buf_prepare(self, queue: Queue, buf: Buffer) -> None:
        need = self.format.width * _BPP.get(self.format.pixelformat, 3) * self.format.height
        if buf.planes[0].length < need:
            raise fail(errno.EINVAL)
        buf.planes[0].bytesused = need

    def buf_queue(self, queue: Queue, buf: Buffer) -> None:
        self.pacer.kick()

    def start_streaming(self, queue: Queue) -> None:
        """vimc_capture_start_streaming: pipeline start, then the streamer."""
        # On EPIPE vb2 gives the queued buffers back (vb2.Queue._start_streaming).
        self.pipeline = self.graph.start(self.entity)
        self.sequence = 0
        self.pacer.start(delay_ns=0)

    def stop_streaming(self, queue: Queue) -> None:
        self.pacer.stop()
        self.graph.stop(self.pipeline)
        self.pipeline = []
        for buf in queue.active():
            queue.buffer_done(buf, State.ERROR)

    def missed(self, frames: int) -> None:
        self.sequence += frames

    def tick(self, when_ns: int) -> None:
        active = self.queue.active()
        if not active:
            self.sequence += 1
            return
        buf = active[0]
        plane = buf.planes[0]
        if plane.memory is not None:
            shade = bytes([(self.sequence * 4) & 0xFF]) * min(plane.bytesused, 4096)
            plane.memory.write(plane.data_offset, shade)
        buf.timestamp_ns = when_ns
        buf.sequence = self.sequence
        self.sequence += 1
        self.queue.buffer_done(buf, State.DONE)


def build_vimc(media_path: str, capture_paths: Sequence[str],
               subdev_paths: Sequence[str]) -> tuple[VimcGraph, list[Node]]:
    """The 6.1 vimc topology (vimc-core.c ``ent_config``/``ent_links``) with its nodes:
    ``capture_paths`` for Raw Capture 0, Raw Capture 1, RGB/YUV Capture;
    ``subdev_paths`` for Sensor A, Sensor B, Debayer A, Debayer B, RGB/YUV Input,
    Scaler, Lens A, Lens B (the kernel's subdev numbering order)."""
    g = VimcGraph()
    src, snk = [m.MEDIA_PAD_FL_SOURCE], [m.MEDIA_PAD_FL_SINK]
    both = snk + src
    sen_a = g.add("Sensor A", m.MEDIA_ENT_F_CAM_SENSOR, "sensor", src)
    sen_b = g.add("Sensor B", m.MEDIA_ENT_F_CAM_SENSOR, "sensor", src)
    deb_a = g.add("Debayer A", m.MEDIA_ENT_F_PROC_VIDEO_PIXEL_ENC_CONV, "debayer", both)
    deb_b = g.add("Debayer B", m.MEDIA_ENT_F_PROC_VIDEO_PIXEL_ENC_CONV, "debayer", both)
    captures: list[VimcEntity] = []
    interfaces: dict[str, VInterface] = {}
    for name in ("Raw Capture 0", "Raw Capture 1"):
        cap = g.add(name, m.MEDIA_ENT_F_IO_V4L, "capture", snk)
        interfaces[name] = g.interface(m.MEDIA_INTF_T_V4L_VIDEO)
        g.intf_link(interfaces[name], cap)
        captures.append(cap)
    rgb_in = g.add("RGB/YUV Input", m.MEDIA_ENT_F_CAM_SENSOR, "sensor", src)
    scaler = g.add("Scaler", m.MEDIA_ENT_F_PROC_VIDEO_SCALER, "scaler", both)
    rgb_cap = g.add("RGB/YUV Capture", m.MEDIA_ENT_F_IO_V4L, "capture", snk)
    interfaces[rgb_cap.name] = g.interface(m.MEDIA_INTF_T_V4L_VIDEO)
    g.intf_link(interfaces[rgb_cap.name], rgb_cap)
    captures.append(rgb_cap)
    lens_a = g.add("Lens A", m.MEDIA_ENT_F_LENS, "lens", [])
    lens_b = g.add("Lens B", m.MEDIA_ENT_F_LENS, "lens", [])
    fixed = m.MEDIA_LNK_FL_ENABLED | m.MEDIA_LNK_FL_IMMUTABLE
    g.link(sen_a, 0, deb_a, 0, fixed)
    g.link(sen_a, 0, captures[0], 0, fixed)
    g.link(sen_b, 0, deb_b, 0, fixed)
    g.link(sen_b, 0, captures[1], 0, fixed)
    g.link(deb_a, 1, scaler, 0, m.MEDIA_LNK_FL_ENABLED)
    g.link(deb_b, 1, scaler, 0, 0)
    g.link(rgb_in, 0, scaler, 0, 0)
    g.link(scaler, 1, rgb_cap, 0, fixed)
    for primary, lens in ((sen_a, lens_a), (sen_b, lens_b)):
        g.ancillary(primary, lens)
    g.reset_formats()
    nodes: list[Node] = [VimcMedia(media_path, g)]
    nodes += [VimcCapture(p, g, e) for p, e in zip(capture_paths, captures, strict=True)]
    subdevs = (sen_a, sen_b, deb_a, deb_b, rgb_in, scaler, lens_a, lens_b)
    for p, e in zip(subdev_paths, subdevs, strict=True):
        nodes.append(VimcSubdev(p, g, e))
    for e in subdevs:  # v4l2_device_register_subdev_nodes, after the links
        interfaces[e.name] = g.interface(m.MEDIA_INTF_T_V4L_SUBDEV)
        g.intf_link(interfaces[e.name], e)
    for e in g.entities:
        if e.name in interfaces:
            interfaces[e.name].node = e.node
    for node in nodes:
        node.media_path = media_path
        node.platform = "vimc.0"
    return g, nodes


__all__ = ["VimcCapture", "VimcGraph", "VimcMedia", "VimcSubdev", "build_vimc"]
