"""The V4L2 vocabulary as frozen values: capabilities, formats, sizes, intervals,
allocations and probe results, and the names people type for them.

Nothing here does I/O; :mod:`core.video` fills these from the kernel's answers.
"""

from __future__ import annotations

from core.abi import v4l2 as v
from core.record import record

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any

MEMORY_TYPES = (v.V4L2_MEMORY_MMAP, v.V4L2_MEMORY_USERPTR, v.V4L2_MEMORY_DMABUF)

_QUEUE_TYPES = (
    (v.V4L2_CAP_VIDEO_M2M, v.V4L2_BUF_TYPE_VIDEO_OUTPUT),
    (v.V4L2_CAP_VIDEO_M2M, v.V4L2_BUF_TYPE_VIDEO_CAPTURE),
    (v.V4L2_CAP_VIDEO_M2M_MPLANE, v.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE),
    (v.V4L2_CAP_VIDEO_M2M_MPLANE, v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE),
    (v.V4L2_CAP_VIDEO_CAPTURE, v.V4L2_BUF_TYPE_VIDEO_CAPTURE),
    (v.V4L2_CAP_VIDEO_CAPTURE_MPLANE, v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE),
    (v.V4L2_CAP_VIDEO_OUTPUT, v.V4L2_BUF_TYPE_VIDEO_OUTPUT),
    (v.V4L2_CAP_VIDEO_OUTPUT_MPLANE, v.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE),
    (v.V4L2_CAP_META_CAPTURE, v.V4L2_BUF_TYPE_META_CAPTURE),
    (v.V4L2_CAP_META_OUTPUT, v.V4L2_BUF_TYPE_META_OUTPUT),
    (v.V4L2_CAP_VBI_CAPTURE, v.V4L2_BUF_TYPE_VBI_CAPTURE),
    (v.V4L2_CAP_VBI_OUTPUT, v.V4L2_BUF_TYPE_VBI_OUTPUT),
    (v.V4L2_CAP_SDR_CAPTURE, v.V4L2_BUF_TYPE_SDR_CAPTURE),
    (v.V4L2_CAP_SDR_OUTPUT, v.V4L2_BUF_TYPE_SDR_OUTPUT),
)


buf_type_name = v.buf_type_name


def memory_name(memory: int | None) -> str:
    return "none" if memory is None else v.memory_name(memory)


def parse_buf_type(name: str | int) -> int:
    """``"video-capture-mplane"`` (or its number) to ``V4L2_BUF_TYPE_*``."""
    if isinstance(name, int):
        return name
    for value, known in v.BUF_TYPE_NAMES.items():
        if known == name:
            return value
    raise ValueError(f"unknown buffer type {name!r}")


def parse_pixelformat(name: str) -> int:
    """A fourcc (``"NM12"``) or the kernel's format name (``"NV12M"``, ``"V4L2_PIX_FMT_NV12M"``)."""
    macro = name if name.startswith("V4L2_PIX_FMT_") else f"V4L2_PIX_FMT_{name.upper()}"
    value = getattr(v, macro, None)
    if isinstance(value, int):
        return value
    return v.fourcc(name)


def parse_memory(name: str | int) -> int:
    if isinstance(name, int):
        return name
    for value, known in v.MEMORY_NAMES.items():
        if known == name.lower():
            return value
    raise ValueError(f"unknown memory type {name!r}")


@record
class Capability:
    driver: str
    card: str
    bus_info: str
    version: int
    capabilities: int
    device_caps: int

    @property
    def version_str(self) -> str:
        return f"{self.version >> 16}.{(self.version >> 8) & 0xFF}.{self.version & 0xFF}"

    @property
    def buf_types(self) -> tuple[int, ...]:
        """The buffer types this node's device caps say it streams (mem2mem: both)."""
        types: list[int] = []
        for cap, buf_type in _QUEUE_TYPES:
            if self.device_caps & cap and buf_type not in types:
                types.append(buf_type)
        return tuple(types)


@record
class FormatDesc:
    index: int
    buf_type: int
    pixelformat: int
    fourcc: str
    description: str
    flags: int


@record
class FrameSize:
    """A discrete size, or a stepwise/continuous range (min/max/step)."""

    kind: str  # "discrete", "stepwise" or "continuous"
    width: int
    height: int
    max_width: int = 0
    max_height: int = 0
    step_width: int = 0
    step_height: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON record (mediatui.info/1 ``sizes[]``): ``{"type": "discrete", "width",
        "height"}`` or ``{"type": "stepwise"|"continuous", "min_width", "max_width",
        "step_width", "min_height", "max_height", "step_height"}`` (v4l2_frmsizeenum names)."""
        if self.kind == "discrete":
            return {"type": "discrete", "width": self.width, "height": self.height}
        return {"type": self.kind, "min_width": self.width, "max_width": self.max_width,
                "step_width": self.step_width, "min_height": self.height,
                "max_height": self.max_height, "step_height": self.step_height}

    def __str__(self) -> str:
        if self.kind == "discrete":
            return f"{self.width}x{self.height}"
        return (
            f"{self.width}x{self.height}-{self.max_width}x{self.max_height}"
            f" step {self.step_width}x{self.step_height}"
        )


@record
class FrameInterval:
    kind: str
    numerator: int
    denominator: int
    max_numerator: int = 0
    max_denominator: int = 0

    @property
    def fps(self) -> float:
        return self.denominator / self.numerator if self.numerator else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON record (seconds per frame as v4l2_fract): ``{"type": "discrete",
        "numerator", "denominator"}``, ranges add ``max_numerator``/``max_denominator``."""
        out: dict[str, Any] = {"type": self.kind, "numerator": self.numerator,
                               "denominator": self.denominator}
        if self.kind != "discrete":
            out["max_numerator"] = self.max_numerator
            out["max_denominator"] = self.max_denominator
        return out

    def __str__(self) -> str:
        if self.kind == "discrete":
            return f"{self.numerator}/{self.denominator} s ({self.fps:.3f} fps)"
        return f"{self.numerator}/{self.denominator}-{self.max_numerator}/{self.max_denominator} s"


@record
class PlaneFormat:
    bytesperline: int
    sizeimage: int


@record
class Format:
    buf_type: int
    width: int
    height: int
    pixelformat: int
    fourcc: str
    field: int
    colorspace: int
    planes: tuple[PlaneFormat, ...]
    # The rest of the colorimetry (enum v4l2_ycbcr_encoding, v4l2_quantization,
    # v4l2_xfer_func): what a media link check compares besides the colorspace.
    ycbcr_enc: int = 0
    quantization: int = 0
    xfer_func: int = 0

    @property
    def num_planes(self) -> int:
        return len(self.planes)

    def as_dict(self) -> dict[str, Any]:
        """The one JSON shape of a format (``info`` current_format, ``stream``'s
        negotiated): ``buf_type``, ``fourcc``, ``width``, ``height``, ``field`` decoded
        (v4l2-ctl's lowercase name of enum v4l2_field), ``planes`` as
        ``[{"bytesperline", "sizeimage"}]`` (bytes, v4l2_plane_pix_format names)."""
        return {
            "buf_type": buf_type_name(self.buf_type),
            "fourcc": self.fourcc,
            "width": self.width,
            "height": self.height,
            "field": v.FIELD_NAMES.get(self.field, str(self.field)),
            "planes": [{"bytesperline": p.bytesperline, "sizeimage": p.sizeimage}
                       for p in self.planes],
        }

    def __str__(self) -> str:
        sizes = "+".join(str(p.sizeimage) for p in self.planes)
        return f"{self.width}x{self.height} {self.fourcc} ({self.num_planes} plane(s), {sizes} B)"


@record
class Allocation:
    """The outcome of REQBUFS/CREATE_BUFS: the count negotiation made visible."""

    buf_type: int
    memory: int
    requested: int
    granted: int
    first_index: int
    capabilities: int
    min_buffers: int | None


@record
class QueueProbe:
    """What one buffer type supports, found without changing anything."""

    buf_type: int
    memory_types: tuple[int, ...]
    capabilities: int
    max_num_buffers: int | None
    orphaned_bufs: bool
    expbuf: bool
    min_buffers: int | None
    method: str  # "CREATE_BUFS(0)" or "REQBUFS(0)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "buf_type": buf_type_name(self.buf_type),
            "memory_types": [memory_name(m) for m in self.memory_types],
            "buf_caps": v.decode_flags(self.capabilities, v.BufCap),
            "buf_caps_raw": self.capabilities,
            "max_num_buffers": self.max_num_buffers,
            "orphaned_bufs": self.orphaned_bufs,
            "expbuf": self.expbuf,
            "min_buffers": self.min_buffers,
            "method": self.method,
        }



def format_from_v4l2(fmt: Any) -> Format:
    """A frozen :class:`Format` from a ``v4l2_format`` the kernel filled in."""
    if v.is_multiplanar(fmt.type):
        mp = fmt.fmt.pix_mp
        planes = tuple(
            PlaneFormat(mp.plane_fmt[i].bytesperline, mp.plane_fmt[i].sizeimage)
            for i in range(mp.num_planes)
        )
        return Format(fmt.type, mp.width, mp.height, mp.pixelformat,
                      v.fourcc_str(mp.pixelformat), mp.field, mp.colorspace, planes,
                      mp.ycbcr_enc, mp.quantization, mp.xfer_func)
    pix = fmt.fmt.pix
    if fmt.type in (v.V4L2_BUF_TYPE_META_CAPTURE, v.V4L2_BUF_TYPE_META_OUTPUT):
        meta = fmt.fmt.meta
        return Format(fmt.type, 0, 0, meta.dataformat, v.fourcc_str(meta.dataformat), 0, 0,
                      (PlaneFormat(0, meta.buffersize),))
    return Format(fmt.type, pix.width, pix.height, pix.pixelformat,
                  v.fourcc_str(pix.pixelformat), pix.field, pix.colorspace,
                  (PlaneFormat(pix.bytesperline, pix.sizeimage),),
                  pix.ycbcr_enc, pix.quantization, pix.xfer_func)


def fract(value: tuple[int, int] | None) -> dict[str, int] | None:
    """A v4l2_fract (numerator, denominator) as ``{"numerator", "denominator"}``, None
    for None (a queue without a frame interval: G_PARM unsupported)."""
    return None if value is None else {"numerator": value[0], "denominator": value[1]}
