"""Pixel formats of the virtual video devices: layout arithmetic and test patterns.

Only a handful of real formats, enough to exercise every buffer shape the core must
handle: packed (YUYV, RGB24, RGB565), two colour planes in one buffer (NV12), the same
in two buffers (NV12M, multi-planar API only) and three buffers (YUV420M), and Bayer.
Descriptions are the kernel's own (``v4l_fill_fmtdesc`` on 6.1), so ``mediatui info
--demo`` reads like the kernel tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from core.abi import v4l2 as v


@dataclass(frozen=True, slots=True)
class MemPlane:
    """One memory plane: bytes per line = width * bpl_num // bpl_den, and the plane
    holds bytesperline * height * size_num // size_den bytes."""

    bpl_num: int
    bpl_den: int = 1
    size_num: int = 1
    size_den: int = 1

    def bytesperline(self, width: int) -> int:
        return width * self.bpl_num // self.bpl_den

    def sizeimage(self, width: int, height: int) -> int:
        return self.bytesperline(width) * height * self.size_num // self.size_den


@dataclass(frozen=True, slots=True)
class PixFormat:
    pixelformat: int
    description: str
    planes: tuple[MemPlane, ...]
    colorspace: int = v.V4L2_COLORSPACE_SRGB
    yuv: bool = False
    csc_flags: int = 0  # vivid's ENUM_FMT flags for capture (CSC_* it can convert)

    @property
    def num_planes(self) -> int:
        return len(self.planes)

    @property
    def fourcc(self) -> str:
        return v.fourcc_str(self.pixelformat)


# vivid announces which colour conversions a capture format allows (ENUM_FMT flags):
# Y'CbCr formats all four CSC bits, RGB and Bayer all but YCBCR_ENC, greyscale two.
_CSC_YUV = 0x1E0
_CSC_RGB = 0x160
_CSC_GREY = 0x060

YUYV = PixFormat(v.V4L2_PIX_FMT_YUYV, "YUYV 4:2:2", (MemPlane(2),), yuv=True,
                 csc_flags=_CSC_YUV)
UYVY = PixFormat(v.V4L2_PIX_FMT_UYVY, "UYVY 4:2:2", (MemPlane(2),), yuv=True,
                 csc_flags=_CSC_YUV)
YUV420 = PixFormat(v.V4L2_PIX_FMT_YUV420, "Planar YUV 4:2:0", (MemPlane(1, 1, 3, 2),),
                   yuv=True, csc_flags=_CSC_YUV)
NV12 = PixFormat(v.V4L2_PIX_FMT_NV12, "Y/UV 4:2:0", (MemPlane(1, 1, 3, 2),), yuv=True,
                 csc_flags=_CSC_YUV)
GREY = PixFormat(v.V4L2_PIX_FMT_GREY, "8-bit Greyscale", (MemPlane(1),), csc_flags=_CSC_GREY)
RGB565 = PixFormat(v.V4L2_PIX_FMT_RGB565, "16-bit RGB 5-6-5", (MemPlane(2),),
                   csc_flags=_CSC_RGB)
RGB565X = PixFormat(v.fourcc("RGBR"), "16-bit RGB 5-6-5 BE", (MemPlane(2),),
                    csc_flags=_CSC_RGB)
RGB24 = PixFormat(v.V4L2_PIX_FMT_RGB24, "24-bit RGB 8-8-8", (MemPlane(3),), csc_flags=_CSC_RGB)
BGR24 = PixFormat(v.V4L2_PIX_FMT_BGR24, "24-bit BGR 8-8-8", (MemPlane(3),), csc_flags=_CSC_RGB)
XRGB32 = PixFormat(v.V4L2_PIX_FMT_XRGB32, "32-bit XRGB 8-8-8-8", (MemPlane(4),),
                   csc_flags=_CSC_RGB)
SBGGR8 = PixFormat(v.V4L2_PIX_FMT_SBGGR8, "8-bit Bayer BGBG/GRGR", (MemPlane(1),),
                   colorspace=v.V4L2_COLORSPACE_RAW, csc_flags=_CSC_RGB)
SGBRG8 = PixFormat(v.fourcc("GBRG"), "8-bit Bayer GBGB/RGRG", (MemPlane(1),),
                   colorspace=v.V4L2_COLORSPACE_RAW, csc_flags=_CSC_RGB)
SGRBG8 = PixFormat(v.fourcc("GRBG"), "8-bit Bayer GRGR/BGBG", (MemPlane(1),),
                   colorspace=v.V4L2_COLORSPACE_RAW, csc_flags=_CSC_RGB)
SRGGB8 = PixFormat(v.fourcc("RGGB"), "8-bit Bayer RGRG/GBGB", (MemPlane(1),),
                   colorspace=v.V4L2_COLORSPACE_RAW, csc_flags=_CSC_RGB)
YUV420M = PixFormat(
    v.V4L2_PIX_FMT_YUV420M,
    "Planar YUV 4:2:0 (N-C)",
    (MemPlane(1), MemPlane(1, 2, 1, 2), MemPlane(1, 2, 1, 2)),
    yuv=True,
    csc_flags=_CSC_YUV,
)
NV12M = PixFormat(v.V4L2_PIX_FMT_NV12M, "Y/UV 4:2:0 (N-C)", (MemPlane(1), MemPlane(1, 1, 1, 2)),
                  yuv=True, csc_flags=_CSC_YUV)

BY_FOURCC = {
    f.pixelformat: f
    for f in (YUYV, UYVY, YUV420, NV12, GREY, RGB565, RGB565X, RGB24, BGR24, XRGB32, SBGGR8,
              SGBRG8, SGRBG8, SRGGB8, YUV420M, NV12M)
}


# --- test pattern -------------------------------------------------------------------------

# Eight 75% colour bars (white, yellow, cyan, green, magenta, red, blue, black) as RGB
# and as limited-range Y'CbCr, like vivid's default "75% Colorbar" pattern.
_BARS_RGB = [
    (191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0),
    (191, 0, 191), (191, 0, 0), (0, 0, 191), (0, 0, 0),
]
_BARS_YUV = [
    (180, 128, 128), (168, 44, 136), (145, 147, 44), (133, 63, 52),
    (63, 193, 204), (51, 109, 212), (28, 212, 120), (16, 128, 128),
]


def _bar(x: int, width: int) -> int:
    return min(x * 8 // max(width, 1), 7)


@lru_cache(maxsize=32)
def _lines(pixelformat: int, width: int) -> tuple[bytes, ...]:
    """One line of colour bars per memory plane (chroma planes: one chroma line)."""
    fmt = BY_FOURCC[pixelformat]
    if pixelformat in (v.V4L2_PIX_FMT_YUYV, v.V4L2_PIX_FMT_UYVY):
        out = bytearray()
        for x in range(0, width, 2):
            y, u, w = _BARS_YUV[_bar(x, width)]
            out += bytes((y, u, y, w)) if pixelformat == v.V4L2_PIX_FMT_YUYV else \
                bytes((u, y, w, y))
        return (bytes(out),)
    if fmt.yuv:
        luma = bytes(_BARS_YUV[_bar(x, width)][0] for x in range(width))
        chroma_uv = bytearray()
        for x in range(0, width, 2):
            _, u, w = _BARS_YUV[_bar(x, width)]
            chroma_uv += bytes((u, w))
        cb = bytes(chroma_uv[0::2])
        cr = bytes(chroma_uv[1::2])
        if pixelformat == v.V4L2_PIX_FMT_NV12M:
            return (luma, bytes(chroma_uv))
        if pixelformat == v.V4L2_PIX_FMT_YUV420M:
            return (luma, cb, cr)
        return (luma, bytes(chroma_uv))  # single buffer: assembled in frame_planes
    if pixelformat in (v.V4L2_PIX_FMT_RGB24, v.V4L2_PIX_FMT_BGR24, v.V4L2_PIX_FMT_XRGB32):
        out = bytearray()
        for x in range(width):
            r, g, b = _BARS_RGB[_bar(x, width)]
            if pixelformat == v.V4L2_PIX_FMT_RGB24:
                out += bytes((r, g, b))
            elif pixelformat == v.V4L2_PIX_FMT_BGR24:
                out += bytes((b, g, r))
            else:
                out += bytes((b, g, r, 0xFF))
        return (bytes(out),)
    if fmt.planes[0].bpl_num == 2 and not fmt.yuv:  # RGB565 and its big-endian twin
        order: Literal["big", "little"] = "big" if fmt is RGB565X else "little"
        out = bytearray()
        for x in range(width):
            r, g, b = _BARS_RGB[_bar(x, width)]
            value = (r >> 3) << 11 | (g >> 2) << 5 | b >> 3
            out += value.to_bytes(2, order)
        return (bytes(out),)
    # GREY, Bayer: the luma of the bars
    return (bytes(_BARS_YUV[_bar(x, width)][0] for x in range(width)),)


def _rotate(line: bytes, shift: int) -> bytes:
    if not line:
        return line
    shift %= len(line)
    return line[shift:] + line[:shift]


def _plane_bytes(line: bytes, width: int, step: int, size: int) -> bytes:
    """``size`` bytes of ``line`` repeated, moved left by ``step`` pixels."""
    if not line or size <= 0:
        return bytes(max(size, 0))
    shift = step * len(line) // max(width, 1)
    rows = -(-size // len(line))
    return (_rotate(line, shift) * rows)[:size]


def frame_planes(pixelformat: int, width: int, height: int, frame: int,
                 sizes: tuple[int, ...]) -> list[bytes]:
    """The bytes of frame number ``frame`` for each memory plane (bars moving left)."""
    fmt = BY_FOURCC.get(pixelformat, YUYV)
    lines = _lines(fmt.pixelformat, width)
    step = 2 * (frame % max(width // 2, 1))  # even, so chroma pairs stay aligned
    if fmt.pixelformat in (v.V4L2_PIX_FMT_NV12, v.V4L2_PIX_FMT_YUV420):
        luma = _plane_bytes(lines[0], width, step, width * height)
        if fmt.pixelformat == v.V4L2_PIX_FMT_NV12:
            chroma = _plane_bytes(lines[1], width, step, width * height // 2)
        else:
            quarter = width * height // 4
            chroma = (_plane_bytes(lines[1][0::2], width, step, quarter)
                      + _plane_bytes(lines[1][1::2], width, step, quarter))
        return [(luma + chroma)[: sizes[0]].ljust(sizes[0], b"\0")]
    return [_plane_bytes(line, width, step, size)
            for line, size in zip(lines, sizes, strict=False)]


__all__ = [
    "BGR24",
    "BY_FOURCC",
    "GREY",
    "NV12",
    "NV12M",
    "RGB24",
    "RGB565",
    "RGB565X",
    "SBGGR8",
    "SGBRG8",
    "SGRBG8",
    "SRGGB8",
    "UYVY",
    "XRGB32",
    "YUV420",
    "YUV420M",
    "YUYV",
    "MemPlane",
    "PixFormat",
    "frame_planes",
]
