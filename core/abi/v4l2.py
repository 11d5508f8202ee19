"""V4L2 ABI (``linux/videodev2.h``, ``linux/v4l2-controls.h``) as ctypes, for x86_64.

Names follow the kernel exactly: structs and their fields keep the header's spelling so
that a reader can put this file next to ``videodev2.h`` (and the V4L2 spec) and compare
line by line.  Constants exist twice on purpose:

* as module-level names with the kernel's full spelling (``V4L2_BUF_FLAG_DONE``), which is
  what code and grep use and what ``tests/unit/test_abi.py`` compares against the C
  headers;
* as ``IntEnum``/``IntFlag`` classes with the shared prefix stripped (``BufFlag.DONE``),
  which is what turns a number into words in traces and the UI (``decode_flags``).

The layout matches the installed Debian 12 header (linux-libc-dev 6.1).  Where a newer
kernel added a field, the 6.1 reserved array is kept as in that header (see
``v4l2_create_buffers``); values newer than 6.1 are defined so the UI can name them when
a newer kernel reports them, and the ABI test skips them explicitly.

Nothing here does I/O: the helpers are pure functions of ABI values.
"""

from __future__ import annotations

import ctypes
import enum
import os

from core.abi.ioctl import IO, IOR, IOW, IOWR
from core.abi.layout import c_s64, c_u64

# ---------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------

VIDEO_MAX_FRAME = 32
VIDEO_MAX_PLANES = 8

# ---------------------------------------------------------------------------------------
# Pure helpers that the enums below need
# ---------------------------------------------------------------------------------------


def fourcc(code: str) -> int:
    """``v4l2_fourcc(a, b, c, d)``: four ASCII characters, first one in the low byte.

    Codes shorter than four characters are padded with spaces as the kernel's are
    (``'Y10 '``), so ``fourcc("Y10")`` is ``V4L2_PIX_FMT_Y10``.
    """
    if not 1 <= len(code) <= 4:
        raise ValueError(f"a fourcc has 1 to 4 characters, not {code!r}")
    raw = code.ljust(4).encode("ascii")
    return raw[0] | (raw[1] << 8) | (raw[2] << 16) | (raw[3] << 24)


def fourcc_be(code: str) -> int:
    """``v4l2_fourcc_be()``: the big-endian variant of a format sets bit 31."""
    return fourcc(code) | (1 << 31)


def fourcc_str(value: int) -> str:
    """The four characters of a fourcc, as ``v4l2-ctl`` prints them.

    Bit 31 marks a big-endian variant and is shown as a ``-BE`` suffix; bytes that are
    not printable ASCII become ``.`` so a garbage value still yields four characters.
    """
    chars = []
    for shift in (0, 8, 16, 24):
        byte = (value >> shift) & (0x7F if shift == 24 else 0xFF)
        chars.append(chr(byte) if 0x20 <= byte < 0x7F else ".")
    text = "".join(chars)
    return f"{text}-BE" if value & (1 << 31) else text


def cstr(field: bytes | bytearray | ctypes.Array[ctypes.c_char] | memoryview) -> str:
    """A NUL-terminated byte field as text.

    Drivers fill ``driver``/``card``/``name`` with whatever they like and are not
    required to use UTF-8, so undecodable bytes become U+FFFD instead of raising.
    ``c_char`` array fields already arrive as ``bytes`` cut at the first NUL; ``c_uint8``
    arrays and raw buffers are cut here.
    """
    raw = bytes(field)
    end = raw.find(b"\0")
    if end >= 0:
        raw = raw[:end]
    return raw.decode("utf-8", errors="replace")


def decode_flags(value: int, flag_enum: type[enum.IntFlag]) -> list[str]:
    """Names of the single-bit members of ``flag_enum`` set in ``value``, lowest bit first.

    Multi-bit masks and zero-valued members are ignored: they describe fields inside the
    value, not flags.  Bits without a name are reported as one hex string at the end so a
    trace never silently drops information a newer kernel sent.
    """
    bits, known = _single_bits(flag_enum)
    names = [name for bit, name in bits if value & bit]
    unknown = value & ~known
    if unknown:
        names.append(f"{unknown:#x}")
    return names


_BITS: dict[type[enum.IntFlag], tuple[tuple[tuple[int, str], ...], int]] = {}


def _single_bits(flag_enum: type[enum.IntFlag]) -> tuple[tuple[tuple[int, str], ...], int]:
    """``((bit, name), ...)`` of the enum's single-bit members in bit order (the first
    name of an aliased bit), and their union; computed once per enum (listing a couple
    of hundred nodes decoded the same enum for each, 0.3 ms a call under emulation)."""
    found = _BITS.get(flag_enum)
    if found is None:
        bits: dict[int, str] = {}
        for member in sorted(flag_enum.__members__.values(), key=int):
            bit = int(member)
            if bit > 0 and not bit & (bit - 1) and bit not in bits:
                bits[bit] = member.name or hex(bit)
        found = _BITS[flag_enum] = (tuple(bits.items()), sum(bits))
    return found


# ---------------------------------------------------------------------------------------
# enum v4l2_field
# ---------------------------------------------------------------------------------------


class Field(enum.IntEnum):
    """``enum v4l2_field`` (``V4L2_FIELD_*``)."""

    ANY = 0
    NONE = 1
    TOP = 2
    BOTTOM = 3
    INTERLACED = 4
    SEQ_TB = 5
    SEQ_BT = 6
    ALTERNATE = 7
    INTERLACED_TB = 8
    INTERLACED_BT = 9


V4L2_FIELD_ANY = Field.ANY
V4L2_FIELD_NONE = Field.NONE
V4L2_FIELD_TOP = Field.TOP
V4L2_FIELD_BOTTOM = Field.BOTTOM
V4L2_FIELD_INTERLACED = Field.INTERLACED
V4L2_FIELD_SEQ_TB = Field.SEQ_TB
V4L2_FIELD_SEQ_BT = Field.SEQ_BT
V4L2_FIELD_ALTERNATE = Field.ALTERNATE
V4L2_FIELD_INTERLACED_TB = Field.INTERLACED_TB
V4L2_FIELD_INTERLACED_BT = Field.INTERLACED_BT

# ---------------------------------------------------------------------------------------
# enum v4l2_buf_type
# ---------------------------------------------------------------------------------------


class BufType(enum.IntEnum):
    """``enum v4l2_buf_type`` (``V4L2_BUF_TYPE_*``)."""

    VIDEO_CAPTURE = 1
    VIDEO_OUTPUT = 2
    VIDEO_OVERLAY = 3
    VBI_CAPTURE = 4
    VBI_OUTPUT = 5
    SLICED_VBI_CAPTURE = 6
    SLICED_VBI_OUTPUT = 7
    VIDEO_OUTPUT_OVERLAY = 8
    VIDEO_CAPTURE_MPLANE = 9
    VIDEO_OUTPUT_MPLANE = 10
    SDR_CAPTURE = 11
    SDR_OUTPUT = 12
    META_CAPTURE = 13
    META_OUTPUT = 14
    PRIVATE = 0x80  # deprecated in the header ("do not use")


V4L2_BUF_TYPE_VIDEO_CAPTURE = BufType.VIDEO_CAPTURE
V4L2_BUF_TYPE_VIDEO_OUTPUT = BufType.VIDEO_OUTPUT
V4L2_BUF_TYPE_VIDEO_OVERLAY = BufType.VIDEO_OVERLAY
V4L2_BUF_TYPE_VBI_CAPTURE = BufType.VBI_CAPTURE
V4L2_BUF_TYPE_VBI_OUTPUT = BufType.VBI_OUTPUT
V4L2_BUF_TYPE_SLICED_VBI_CAPTURE = BufType.SLICED_VBI_CAPTURE
V4L2_BUF_TYPE_SLICED_VBI_OUTPUT = BufType.SLICED_VBI_OUTPUT
V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY = BufType.VIDEO_OUTPUT_OVERLAY
V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE = BufType.VIDEO_CAPTURE_MPLANE
V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE = BufType.VIDEO_OUTPUT_MPLANE
V4L2_BUF_TYPE_SDR_CAPTURE = BufType.SDR_CAPTURE
V4L2_BUF_TYPE_SDR_OUTPUT = BufType.SDR_OUTPUT
V4L2_BUF_TYPE_META_CAPTURE = BufType.META_CAPTURE
V4L2_BUF_TYPE_META_OUTPUT = BufType.META_OUTPUT
V4L2_BUF_TYPE_PRIVATE = BufType.PRIVATE

# Short, kernel-like names ("video-capture-mplane"), as v4l2-ctl and the UI show them.
BUF_TYPE_NAMES: dict[int, str] = {
    int(t): t.name.lower().replace("_", "-") for t in BufType if t is not BufType.PRIVATE
}


def buf_type_name(buf_type: int) -> str:
    """Short name of a buffer type, or ``type-<n>`` for a value this module doesn't know."""
    return BUF_TYPE_NAMES.get(buf_type, f"type-{buf_type}")


def is_multiplanar(buf_type: int) -> bool:
    """``V4L2_TYPE_IS_MULTIPLANAR``: the buffer carries a ``planes`` array, not one plane."""
    return buf_type in (V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE)


_OUTPUT_TYPES = frozenset(
    {
        V4L2_BUF_TYPE_VIDEO_OUTPUT,
        V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
        V4L2_BUF_TYPE_VIDEO_OVERLAY,
        V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY,
        V4L2_BUF_TYPE_VBI_OUTPUT,
        V4L2_BUF_TYPE_SLICED_VBI_OUTPUT,
        V4L2_BUF_TYPE_SDR_OUTPUT,
        V4L2_BUF_TYPE_META_OUTPUT,
    }
)


def is_output(buf_type: int) -> bool:
    """``V4L2_TYPE_IS_OUTPUT``: user space fills these buffers (note: VIDEO_OVERLAY counts).

    The kernel macro lists VIDEO_OVERLAY as an output type; we follow it exactly because
    it decides which side sets ``bytesused`` and timestamps.
    """
    return buf_type in _OUTPUT_TYPES


def is_capture(buf_type: int) -> bool:
    """``V4L2_TYPE_IS_CAPTURE``: the negation of :func:`is_output`, as in the header."""
    return not is_output(buf_type)


# ---------------------------------------------------------------------------------------
# enum v4l2_memory and memory flags
# ---------------------------------------------------------------------------------------


class Memory(enum.IntEnum):
    """``enum v4l2_memory`` (``V4L2_MEMORY_*``)."""

    MMAP = 1
    USERPTR = 2
    OVERLAY = 3
    DMABUF = 4


V4L2_MEMORY_MMAP = Memory.MMAP
V4L2_MEMORY_USERPTR = Memory.USERPTR
V4L2_MEMORY_OVERLAY = Memory.OVERLAY
V4L2_MEMORY_DMABUF = Memory.DMABUF

MEMORY_NAMES: dict[int, str] = {int(m): m.name.lower() for m in Memory}


def memory_name(memory: int) -> str:
    """Short name of a memory type (``mmap``, ``dmabuf`` …), ``memory-<n>`` if unknown."""
    return MEMORY_NAMES.get(memory, f"memory-{memory}")


class MemoryFlag(enum.IntFlag):
    """``V4L2_MEMORY_FLAG_*``: ``flags`` of REQBUFS / CREATE_BUFS."""

    NON_COHERENT = 1 << 0


V4L2_MEMORY_FLAG_NON_COHERENT = MemoryFlag.NON_COHERENT

# ---------------------------------------------------------------------------------------
# enum v4l2_colorspace (only what a format summary needs to name)
# ---------------------------------------------------------------------------------------

V4L2_COLORSPACE_DEFAULT = 0
V4L2_COLORSPACE_SMPTE170M = 1
V4L2_COLORSPACE_SMPTE240M = 2
V4L2_COLORSPACE_REC709 = 3
V4L2_COLORSPACE_BT878 = 4
V4L2_COLORSPACE_470_SYSTEM_M = 5
V4L2_COLORSPACE_470_SYSTEM_BG = 6
V4L2_COLORSPACE_JPEG = 7
V4L2_COLORSPACE_SRGB = 8
V4L2_COLORSPACE_OPRGB = 9
V4L2_COLORSPACE_BT2020 = 10
V4L2_COLORSPACE_RAW = 11
V4L2_COLORSPACE_DCI_P3 = 12

COLORSPACE_NAMES: dict[int, str] = {
    V4L2_COLORSPACE_DEFAULT: "default",
    V4L2_COLORSPACE_SMPTE170M: "smpte170m",
    V4L2_COLORSPACE_SMPTE240M: "smpte240m",
    V4L2_COLORSPACE_REC709: "rec709",
    V4L2_COLORSPACE_BT878: "bt878",
    V4L2_COLORSPACE_470_SYSTEM_M: "470-system-m",
    V4L2_COLORSPACE_470_SYSTEM_BG: "470-system-bg",
    V4L2_COLORSPACE_JPEG: "jpeg",
    V4L2_COLORSPACE_SRGB: "srgb",
    V4L2_COLORSPACE_OPRGB: "oprgb",
    V4L2_COLORSPACE_BT2020: "bt2020",
    V4L2_COLORSPACE_RAW: "raw",
    V4L2_COLORSPACE_DCI_P3: "dci-p3",
}

FIELD_NAMES: dict[int, str] = {int(f): f.name.lower().replace("_", "-") for f in Field}

# ---------------------------------------------------------------------------------------
# Device capabilities (struct v4l2_capability .capabilities / .device_caps)
# ---------------------------------------------------------------------------------------


class Cap(enum.IntFlag):
    """``V4L2_CAP_*``: what a device (``capabilities``) or one node (``device_caps``) does."""

    VIDEO_CAPTURE = 0x00000001
    VIDEO_OUTPUT = 0x00000002
    VIDEO_OVERLAY = 0x00000004
    VBI_CAPTURE = 0x00000010
    VBI_OUTPUT = 0x00000020
    SLICED_VBI_CAPTURE = 0x00000040
    SLICED_VBI_OUTPUT = 0x00000080
    RDS_CAPTURE = 0x00000100
    VIDEO_OUTPUT_OVERLAY = 0x00000200
    HW_FREQ_SEEK = 0x00000400
    RDS_OUTPUT = 0x00000800
    VIDEO_CAPTURE_MPLANE = 0x00001000
    VIDEO_OUTPUT_MPLANE = 0x00002000
    VIDEO_M2M_MPLANE = 0x00004000
    VIDEO_M2M = 0x00008000
    TUNER = 0x00010000
    AUDIO = 0x00020000
    RADIO = 0x00040000
    MODULATOR = 0x00080000
    SDR_CAPTURE = 0x00100000
    EXT_PIX_FORMAT = 0x00200000
    SDR_OUTPUT = 0x00400000
    META_CAPTURE = 0x00800000
    READWRITE = 0x01000000
    # Newer kernels (6.10+) reuse the never-implemented ASYNCIO bit for EDID nodes; only
    # EDID can actually be reported, so that is the name decoding shows.
    EDID = 0x02000000
    STREAMING = 0x04000000
    META_OUTPUT = 0x08000000
    TOUCH = 0x10000000
    IO_MC = 0x20000000
    DEVICE_CAPS = 0x80000000


V4L2_CAP_VIDEO_CAPTURE = Cap.VIDEO_CAPTURE
V4L2_CAP_VIDEO_OUTPUT = Cap.VIDEO_OUTPUT
V4L2_CAP_VIDEO_OVERLAY = Cap.VIDEO_OVERLAY
V4L2_CAP_VBI_CAPTURE = Cap.VBI_CAPTURE
V4L2_CAP_VBI_OUTPUT = Cap.VBI_OUTPUT
V4L2_CAP_SLICED_VBI_CAPTURE = Cap.SLICED_VBI_CAPTURE
V4L2_CAP_SLICED_VBI_OUTPUT = Cap.SLICED_VBI_OUTPUT
V4L2_CAP_RDS_CAPTURE = Cap.RDS_CAPTURE
V4L2_CAP_VIDEO_OUTPUT_OVERLAY = Cap.VIDEO_OUTPUT_OVERLAY
V4L2_CAP_HW_FREQ_SEEK = Cap.HW_FREQ_SEEK
V4L2_CAP_RDS_OUTPUT = Cap.RDS_OUTPUT
V4L2_CAP_VIDEO_CAPTURE_MPLANE = Cap.VIDEO_CAPTURE_MPLANE
V4L2_CAP_VIDEO_OUTPUT_MPLANE = Cap.VIDEO_OUTPUT_MPLANE
V4L2_CAP_VIDEO_M2M_MPLANE = Cap.VIDEO_M2M_MPLANE
V4L2_CAP_VIDEO_M2M = Cap.VIDEO_M2M
V4L2_CAP_TUNER = Cap.TUNER
V4L2_CAP_AUDIO = Cap.AUDIO
V4L2_CAP_RADIO = Cap.RADIO
V4L2_CAP_MODULATOR = Cap.MODULATOR
V4L2_CAP_SDR_CAPTURE = Cap.SDR_CAPTURE
V4L2_CAP_EXT_PIX_FORMAT = Cap.EXT_PIX_FORMAT
V4L2_CAP_SDR_OUTPUT = Cap.SDR_OUTPUT
V4L2_CAP_META_CAPTURE = Cap.META_CAPTURE
V4L2_CAP_READWRITE = Cap.READWRITE
V4L2_CAP_EDID = Cap.EDID  # not in the 6.1 header (there the bit is V4L2_CAP_ASYNCIO)
V4L2_CAP_ASYNCIO = 0x02000000  # 6.1 name of the same bit: "never implemented"
V4L2_CAP_STREAMING = Cap.STREAMING
V4L2_CAP_META_OUTPUT = Cap.META_OUTPUT
V4L2_CAP_TOUCH = Cap.TOUCH
V4L2_CAP_IO_MC = Cap.IO_MC
V4L2_CAP_DEVICE_CAPS = Cap.DEVICE_CAPS

# struct v4l2_captureparm/outputparm .capability and .capturemode
V4L2_MODE_HIGHQUALITY = 0x0001
V4L2_CAP_TIMEPERFRAME = 0x1000

# ---------------------------------------------------------------------------------------
# Buffer-queue capabilities (v4l2_requestbuffers / v4l2_create_buffers .capabilities)
# ---------------------------------------------------------------------------------------


class BufCap(enum.IntFlag):
    """``V4L2_BUF_CAP_SUPPORTS_*``: what a queue can do, reported by REQBUFS/CREATE_BUFS."""

    MMAP = 1 << 0
    USERPTR = 1 << 1
    DMABUF = 1 << 2
    REQUESTS = 1 << 3
    ORPHANED_BUFS = 1 << 4
    M2M_HOLD_CAPTURE_BUF = 1 << 5
    MMAP_CACHE_HINTS = 1 << 6
    MAX_NUM_BUFFERS = 1 << 7  # 6.8+, not in the 6.1 header
    REMOVE_BUFS = 1 << 8  # 6.10+, not in the 6.1 header


V4L2_BUF_CAP_SUPPORTS_MMAP = BufCap.MMAP
V4L2_BUF_CAP_SUPPORTS_USERPTR = BufCap.USERPTR
V4L2_BUF_CAP_SUPPORTS_DMABUF = BufCap.DMABUF
V4L2_BUF_CAP_SUPPORTS_REQUESTS = BufCap.REQUESTS
V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS = BufCap.ORPHANED_BUFS
V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF = BufCap.M2M_HOLD_CAPTURE_BUF
V4L2_BUF_CAP_SUPPORTS_MMAP_CACHE_HINTS = BufCap.MMAP_CACHE_HINTS
V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS = BufCap.MAX_NUM_BUFFERS
V4L2_BUF_CAP_SUPPORTS_REMOVE_BUFS = BufCap.REMOVE_BUFS

# ---------------------------------------------------------------------------------------
# Buffer flags (struct v4l2_buffer .flags)
# ---------------------------------------------------------------------------------------


class BufFlag(enum.IntFlag):
    """The independent bits of ``V4L2_BUF_FLAG_*``.

    The timestamp type and source are small enumerations inside ``flags`` (see
    :class:`BufTimestamp`, :class:`BufTstampSrc`), so they are not members here; use
    :func:`buf_flag_names` to decode a whole ``flags`` value.
    """

    MAPPED = 0x00000001
    QUEUED = 0x00000002
    DONE = 0x00000004
    KEYFRAME = 0x00000008
    PFRAME = 0x00000010
    BFRAME = 0x00000020
    ERROR = 0x00000040
    IN_REQUEST = 0x00000080
    TIMECODE = 0x00000100
    M2M_HOLD_CAPTURE_BUF = 0x00000200
    PREPARED = 0x00000400
    NO_CACHE_INVALIDATE = 0x00000800
    NO_CACHE_CLEAN = 0x00001000
    LAST = 0x00100000
    REQUEST_FD = 0x00800000


class BufTimestamp(enum.IntEnum):
    """``V4L2_BUF_FLAG_TIMESTAMP_*``: the clock behind ``timestamp`` (masked field)."""

    UNKNOWN = 0x00000000
    MONOTONIC = 0x00002000
    COPY = 0x00004000


class BufTstampSrc(enum.IntEnum):
    """``V4L2_BUF_FLAG_TSTAMP_SRC_*``: which moment of the frame was stamped (masked)."""

    EOF = 0x00000000
    SOE = 0x00010000


V4L2_BUF_FLAG_MAPPED = BufFlag.MAPPED
V4L2_BUF_FLAG_QUEUED = BufFlag.QUEUED
V4L2_BUF_FLAG_DONE = BufFlag.DONE
V4L2_BUF_FLAG_KEYFRAME = BufFlag.KEYFRAME
V4L2_BUF_FLAG_PFRAME = BufFlag.PFRAME
V4L2_BUF_FLAG_BFRAME = BufFlag.BFRAME
V4L2_BUF_FLAG_ERROR = BufFlag.ERROR
V4L2_BUF_FLAG_IN_REQUEST = BufFlag.IN_REQUEST
V4L2_BUF_FLAG_TIMECODE = BufFlag.TIMECODE
V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF = BufFlag.M2M_HOLD_CAPTURE_BUF
V4L2_BUF_FLAG_PREPARED = BufFlag.PREPARED
V4L2_BUF_FLAG_NO_CACHE_INVALIDATE = BufFlag.NO_CACHE_INVALIDATE
V4L2_BUF_FLAG_NO_CACHE_CLEAN = BufFlag.NO_CACHE_CLEAN
V4L2_BUF_FLAG_TIMESTAMP_MASK = 0x0000E000
V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN = BufTimestamp.UNKNOWN
V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC = BufTimestamp.MONOTONIC
V4L2_BUF_FLAG_TIMESTAMP_COPY = BufTimestamp.COPY
V4L2_BUF_FLAG_TSTAMP_SRC_MASK = 0x00070000
V4L2_BUF_FLAG_TSTAMP_SRC_EOF = BufTstampSrc.EOF
V4L2_BUF_FLAG_TSTAMP_SRC_SOE = BufTstampSrc.SOE
V4L2_BUF_FLAG_LAST = BufFlag.LAST
V4L2_BUF_FLAG_REQUEST_FD = BufFlag.REQUEST_FD


def buf_flag_names(flags: int) -> list[str]:
    """Decode a whole ``v4l2_buffer.flags``: the flag bits, then the timestamp fields.

    The timestamp type and source are only named when non-zero (``TIMESTAMP_MONOTONIC``,
    ``TSTAMP_SRC_SOE``); their zero values (UNKNOWN, EOF) would only add noise.
    """
    fields = V4L2_BUF_FLAG_TIMESTAMP_MASK | V4L2_BUF_FLAG_TSTAMP_SRC_MASK
    names = decode_flags(flags & ~fields, BufFlag)
    ts_type = flags & V4L2_BUF_FLAG_TIMESTAMP_MASK
    if ts_type:
        try:
            names.append(f"TIMESTAMP_{BufTimestamp(ts_type).name}")
        except ValueError:
            names.append(f"TIMESTAMP_{ts_type:#x}")
    ts_src = flags & V4L2_BUF_FLAG_TSTAMP_SRC_MASK
    if ts_src:
        try:
            names.append(f"TSTAMP_SRC_{BufTstampSrc(ts_src).name}")
        except ValueError:
            names.append(f"TSTAMP_SRC_{ts_src:#x}")
    return names


# ---------------------------------------------------------------------------------------
# Format enumeration, frame sizes and intervals
# ---------------------------------------------------------------------------------------


class FmtFlag(enum.IntFlag):
    """``V4L2_FMT_FLAG_*`` (struct v4l2_fmtdesc .flags)."""

    COMPRESSED = 0x0001
    EMULATED = 0x0002
    CONTINUOUS_BYTESTREAM = 0x0004
    DYN_RESOLUTION = 0x0008
    ENC_CAP_FRAME_INTERVAL = 0x0010
    CSC_COLORSPACE = 0x0020
    CSC_XFER_FUNC = 0x0040
    CSC_YCBCR_ENC = 0x0080
    CSC_QUANTIZATION = 0x0100


V4L2_FMT_FLAG_COMPRESSED = FmtFlag.COMPRESSED
V4L2_FMT_FLAG_EMULATED = FmtFlag.EMULATED
V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM = FmtFlag.CONTINUOUS_BYTESTREAM
V4L2_FMT_FLAG_DYN_RESOLUTION = FmtFlag.DYN_RESOLUTION
V4L2_FMT_FLAG_ENC_CAP_FRAME_INTERVAL = FmtFlag.ENC_CAP_FRAME_INTERVAL
V4L2_FMT_FLAG_CSC_COLORSPACE = FmtFlag.CSC_COLORSPACE
V4L2_FMT_FLAG_CSC_XFER_FUNC = FmtFlag.CSC_XFER_FUNC
V4L2_FMT_FLAG_CSC_YCBCR_ENC = FmtFlag.CSC_YCBCR_ENC
V4L2_FMT_FLAG_CSC_HSV_ENC = FmtFlag.CSC_YCBCR_ENC  # the header's alias
V4L2_FMT_FLAG_CSC_QUANTIZATION = FmtFlag.CSC_QUANTIZATION

# struct v4l2_pix_format .flags
V4L2_PIX_FMT_FLAG_PREMUL_ALPHA = 0x00000001
V4L2_PIX_FMT_FLAG_SET_CSC = 0x00000002
V4L2_PIX_FMT_PRIV_MAGIC = 0xFEEDCAFE


class FrmSizeType(enum.IntEnum):
    """``enum v4l2_frmsizetypes`` (``V4L2_FRMSIZE_TYPE_*``)."""

    DISCRETE = 1
    CONTINUOUS = 2
    STEPWISE = 3


V4L2_FRMSIZE_TYPE_DISCRETE = FrmSizeType.DISCRETE
V4L2_FRMSIZE_TYPE_CONTINUOUS = FrmSizeType.CONTINUOUS
V4L2_FRMSIZE_TYPE_STEPWISE = FrmSizeType.STEPWISE


class FrmIvalType(enum.IntEnum):
    """``enum v4l2_frmivaltypes`` (``V4L2_FRMIVAL_TYPE_*``)."""

    DISCRETE = 1
    CONTINUOUS = 2
    STEPWISE = 3


V4L2_FRMIVAL_TYPE_DISCRETE = FrmIvalType.DISCRETE
V4L2_FRMIVAL_TYPE_CONTINUOUS = FrmIvalType.CONTINUOUS
V4L2_FRMIVAL_TYPE_STEPWISE = FrmIvalType.STEPWISE

# ---------------------------------------------------------------------------------------
# A few pixel formats the UI, the virtual devices and the tests refer to by name
# ---------------------------------------------------------------------------------------

V4L2_PIX_FMT_GREY = fourcc("GREY")
V4L2_PIX_FMT_Y10 = fourcc("Y10 ")
V4L2_PIX_FMT_Y16 = fourcc("Y16 ")
V4L2_PIX_FMT_RGB565 = fourcc("RGBP")
V4L2_PIX_FMT_RGB24 = fourcc("RGB3")
V4L2_PIX_FMT_BGR24 = fourcc("BGR3")
V4L2_PIX_FMT_XRGB32 = fourcc("BX24")
V4L2_PIX_FMT_ARGB32 = fourcc("BA24")
V4L2_PIX_FMT_YUYV = fourcc("YUYV")
V4L2_PIX_FMT_UYVY = fourcc("UYVY")
V4L2_PIX_FMT_YVYU = fourcc("YVYU")
V4L2_PIX_FMT_NV12 = fourcc("NV12")
V4L2_PIX_FMT_NV21 = fourcc("NV21")
V4L2_PIX_FMT_NV16 = fourcc("NV16")
V4L2_PIX_FMT_YUV420 = fourcc("YU12")
V4L2_PIX_FMT_YVU420 = fourcc("YV12")
V4L2_PIX_FMT_NV12M = fourcc("NM12")
V4L2_PIX_FMT_YUV420M = fourcc("YM12")
V4L2_PIX_FMT_SBGGR8 = fourcc("BA81")
V4L2_PIX_FMT_SRGGB10 = fourcc("RG10")
V4L2_PIX_FMT_MJPEG = fourcc("MJPG")
V4L2_PIX_FMT_JPEG = fourcc("JPEG")
V4L2_PIX_FMT_H264 = fourcc("H264")
V4L2_PIX_FMT_HEVC = fourcc("HEVC")
V4L2_PIX_FMT_VP8 = fourcc("VP80")
V4L2_PIX_FMT_VP9 = fourcc("VP90")
V4L2_PIX_FMT_FWHT = fourcc("FWHT")
V4L2_META_FMT_VIVID = fourcc("VIVD")
V4L2_SDR_FMT_CU8 = fourcc("CU08")

# ---------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------


class CtrlType(enum.IntEnum):
    """``enum v4l2_ctrl_type``: the simple types plus the compound markers a UI can show."""

    INTEGER = 1
    BOOLEAN = 2
    MENU = 3
    BUTTON = 4
    INTEGER64 = 5
    CTRL_CLASS = 6
    STRING = 7
    BITMASK = 8
    INTEGER_MENU = 9
    U8 = 0x0100  # == V4L2_CTRL_COMPOUND_TYPES, the first compound type
    U16 = 0x0101
    U32 = 0x0102
    AREA = 0x0106


V4L2_CTRL_TYPE_INTEGER = CtrlType.INTEGER
V4L2_CTRL_TYPE_BOOLEAN = CtrlType.BOOLEAN
V4L2_CTRL_TYPE_MENU = CtrlType.MENU
V4L2_CTRL_TYPE_BUTTON = CtrlType.BUTTON
V4L2_CTRL_TYPE_INTEGER64 = CtrlType.INTEGER64
V4L2_CTRL_TYPE_CTRL_CLASS = CtrlType.CTRL_CLASS
V4L2_CTRL_TYPE_STRING = CtrlType.STRING
V4L2_CTRL_TYPE_BITMASK = CtrlType.BITMASK
V4L2_CTRL_TYPE_INTEGER_MENU = CtrlType.INTEGER_MENU
V4L2_CTRL_COMPOUND_TYPES = 0x0100
V4L2_CTRL_TYPE_U8 = CtrlType.U8
V4L2_CTRL_TYPE_U16 = CtrlType.U16
V4L2_CTRL_TYPE_U32 = CtrlType.U32
V4L2_CTRL_TYPE_AREA = CtrlType.AREA


class CtrlFlag(enum.IntFlag):
    """``V4L2_CTRL_FLAG_*`` (struct v4l2_queryctrl .flags), without the query flags."""

    DISABLED = 0x0001
    GRABBED = 0x0002
    READ_ONLY = 0x0004
    UPDATE = 0x0008
    INACTIVE = 0x0010
    SLIDER = 0x0020
    WRITE_ONLY = 0x0040
    VOLATILE = 0x0080
    HAS_PAYLOAD = 0x0100
    EXECUTE_ON_WRITE = 0x0200
    MODIFY_LAYOUT = 0x0400
    DYNAMIC_ARRAY = 0x0800


V4L2_CTRL_FLAG_DISABLED = CtrlFlag.DISABLED
V4L2_CTRL_FLAG_GRABBED = CtrlFlag.GRABBED
V4L2_CTRL_FLAG_READ_ONLY = CtrlFlag.READ_ONLY
V4L2_CTRL_FLAG_UPDATE = CtrlFlag.UPDATE
V4L2_CTRL_FLAG_INACTIVE = CtrlFlag.INACTIVE
V4L2_CTRL_FLAG_SLIDER = CtrlFlag.SLIDER
V4L2_CTRL_FLAG_WRITE_ONLY = CtrlFlag.WRITE_ONLY
V4L2_CTRL_FLAG_VOLATILE = CtrlFlag.VOLATILE
V4L2_CTRL_FLAG_HAS_PAYLOAD = CtrlFlag.HAS_PAYLOAD
V4L2_CTRL_FLAG_EXECUTE_ON_WRITE = CtrlFlag.EXECUTE_ON_WRITE
V4L2_CTRL_FLAG_MODIFY_LAYOUT = CtrlFlag.MODIFY_LAYOUT
V4L2_CTRL_FLAG_DYNAMIC_ARRAY = CtrlFlag.DYNAMIC_ARRAY
# Query flags, ORed into the id given to QUERYCTRL / QUERY_EXT_CTRL to enumerate.
V4L2_CTRL_FLAG_NEXT_CTRL = 0x80000000
V4L2_CTRL_FLAG_NEXT_COMPOUND = 0x40000000

V4L2_CTRL_ID_MASK = 0x0FFFFFFF
V4L2_CTRL_MAX_DIMS = 4
V4L2_CTRL_WHICH_CUR_VAL = 0
V4L2_CTRL_WHICH_DEF_VAL = 0x0F000000
V4L2_CTRL_WHICH_REQUEST_VAL = 0x0F010000

V4L2_CTRL_CLASS_USER = 0x00980000
V4L2_CTRL_CLASS_CODEC = 0x00990000
V4L2_CTRL_CLASS_CAMERA = 0x009A0000
V4L2_CID_BASE = V4L2_CTRL_CLASS_USER | 0x900
V4L2_CID_USER_BASE = V4L2_CID_BASE
V4L2_CID_USER_CLASS = V4L2_CTRL_CLASS_USER | 1
V4L2_CID_BRIGHTNESS = V4L2_CID_BASE + 0
V4L2_CID_CONTRAST = V4L2_CID_BASE + 1
V4L2_CID_SATURATION = V4L2_CID_BASE + 2
V4L2_CID_HUE = V4L2_CID_BASE + 3
V4L2_CID_GAIN = V4L2_CID_BASE + 19
V4L2_CID_HFLIP = V4L2_CID_BASE + 20
V4L2_CID_VFLIP = V4L2_CID_BASE + 21
V4L2_CID_MIN_BUFFERS_FOR_CAPTURE = V4L2_CID_BASE + 39
V4L2_CID_MIN_BUFFERS_FOR_OUTPUT = V4L2_CID_BASE + 40
V4L2_CID_LASTP1 = V4L2_CID_BASE + 44
V4L2_CID_PRIVATE_BASE = 0x08000000

# ---------------------------------------------------------------------------------------
# Inputs and outputs
# ---------------------------------------------------------------------------------------

V4L2_INPUT_TYPE_TUNER = 1
V4L2_INPUT_TYPE_CAMERA = 2
V4L2_INPUT_TYPE_TOUCH = 3
V4L2_OUTPUT_TYPE_MODULATOR = 1
V4L2_OUTPUT_TYPE_ANALOG = 2
V4L2_OUTPUT_TYPE_ANALOGVGAOVERLAY = 3

# ---------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------


class EventType(enum.IntEnum):
    """``V4L2_EVENT_*`` event types (struct v4l2_event .type)."""

    ALL = 0
    VSYNC = 1
    EOS = 2
    CTRL = 3
    FRAME_SYNC = 4
    SOURCE_CHANGE = 5
    MOTION_DET = 6


V4L2_EVENT_ALL = EventType.ALL
V4L2_EVENT_VSYNC = EventType.VSYNC
V4L2_EVENT_EOS = EventType.EOS
V4L2_EVENT_CTRL = EventType.CTRL
V4L2_EVENT_FRAME_SYNC = EventType.FRAME_SYNC
V4L2_EVENT_SOURCE_CHANGE = EventType.SOURCE_CHANGE
V4L2_EVENT_MOTION_DET = EventType.MOTION_DET
V4L2_EVENT_PRIVATE_START = 0x08000000
V4L2_EVENT_SRC_CH_RESOLUTION = 1 << 0
V4L2_EVENT_SUB_FL_SEND_INITIAL = 1 << 0
V4L2_EVENT_SUB_FL_ALLOW_FEEDBACK = 1 << 1

# ---------------------------------------------------------------------------------------
# Structures
# ---------------------------------------------------------------------------------------
# Strings the kernel declares as __u8[N] are c_char arrays here: same layout, but reading
# the field yields bytes cut at the first NUL and a driver name can be assigned directly.


class timeval(ctypes.Structure):
    """``v4l2_buffer.timestamp``: the kernel's ``__kernel_v4l2_timeval`` (videodev2.h).

    Two 64-bit integers on every architecture, 32-bit ones included: the y2038-safe
    layout that ``VIDIOC_QBUF``/``DQBUF`` use and that glibc's ``struct timeval`` has
    with ``_TIME_BITS=64`` (Debian armhf/i386 since trixie).  Two ``long``s would pick
    the legacy ``*_TIME32`` ioctls on 32-bit boards, which a kernel without
    ``CONFIG_COMPAT_32BIT_TIME`` refuses.  sparc64 alone keeps ``tv_usec`` an ``int`` in
    the first half of the second word (the kernel header says so); handled below.
    """

    _fields_ = (
        [("tv_sec", c_s64), ("tv_usec", ctypes.c_int), ("_pad", ctypes.c_int)]
        if os.uname().machine.startswith("sparc64")
        else [("tv_sec", c_s64), ("tv_usec", c_s64)]
    )


class timespec(ctypes.Structure):
    """``v4l2_event.timestamp``: the kernel's ``struct __kernel_timespec``
    (``linux/time_types.h``): 64-bit seconds and nanoseconds on every architecture."""

    _fields_ = [("tv_sec", c_s64), ("tv_nsec", c_s64)]


def v4l2_timeval_to_ns(tv: timeval) -> int:
    """The header's inline ``v4l2_timeval_to_ns()``: a buffer timestamp in nanoseconds."""
    return int(tv.tv_sec) * 1_000_000_000 + int(tv.tv_usec) * 1000


class v4l2_rect(ctypes.Structure):
    _fields_ = [
        ("left", ctypes.c_int32),
        ("top", ctypes.c_int32),
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
    ]


class v4l2_fract(ctypes.Structure):
    _fields_ = [("numerator", ctypes.c_uint32), ("denominator", ctypes.c_uint32)]


class v4l2_area(ctypes.Structure):
    _fields_ = [("width", ctypes.c_uint32), ("height", ctypes.c_uint32)]


class v4l2_capability(ctypes.Structure):
    """VIDIOC_QUERYCAP. ``device_caps`` is only valid when V4L2_CAP_DEVICE_CAPS is set."""

    _fields_ = [
        ("driver", ctypes.c_char * 16),
        ("card", ctypes.c_char * 32),
        ("bus_info", ctypes.c_char * 32),
        ("version", ctypes.c_uint32),
        ("capabilities", ctypes.c_uint32),
        ("device_caps", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 3),
    ]


class _v4l2_pix_format_enc(ctypes.Union):
    _fields_ = [("ycbcr_enc", ctypes.c_uint32), ("hsv_enc", ctypes.c_uint32)]


class v4l2_pix_format(ctypes.Structure):
    """Single-planar image format (``fmt.pix``)."""

    _anonymous_ = ("_enc",)
    _fields_ = [
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("pixelformat", ctypes.c_uint32),
        ("field", ctypes.c_uint32),
        ("bytesperline", ctypes.c_uint32),
        ("sizeimage", ctypes.c_uint32),
        ("colorspace", ctypes.c_uint32),
        ("priv", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("_enc", _v4l2_pix_format_enc),
        ("quantization", ctypes.c_uint32),
        ("xfer_func", ctypes.c_uint32),
    ]


class v4l2_plane_pix_format(ctypes.Structure):
    """Per-plane format; ``__attribute__((packed))`` in the header."""

    _pack_ = 1
    _layout_ = "ms"  # Python 3.14+ wants the layout named with _pack_; same result here
    _fields_ = [
        ("sizeimage", ctypes.c_uint32),
        ("bytesperline", ctypes.c_uint32),
        ("reserved", ctypes.c_uint16 * 6),
    ]


class _v4l2_pix_format_mplane_enc(ctypes.Union):
    _fields_ = [("ycbcr_enc", ctypes.c_uint8), ("hsv_enc", ctypes.c_uint8)]


class v4l2_pix_format_mplane(ctypes.Structure):
    """Multi-planar image format (``fmt.pix_mp``); packed in the header."""

    _pack_ = 1
    _layout_ = "ms"
    _anonymous_ = ("_enc",)
    _fields_ = [
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("pixelformat", ctypes.c_uint32),
        ("field", ctypes.c_uint32),
        ("colorspace", ctypes.c_uint32),
        ("plane_fmt", v4l2_plane_pix_format * VIDEO_MAX_PLANES),
        ("num_planes", ctypes.c_uint8),
        ("flags", ctypes.c_uint8),
        ("_enc", _v4l2_pix_format_mplane_enc),
        ("quantization", ctypes.c_uint8),
        ("xfer_func", ctypes.c_uint8),
        ("reserved", ctypes.c_uint8 * 7),
    ]


class v4l2_clip(ctypes.Structure):
    """Overlay clip list node (only here because v4l2_window points to it)."""


v4l2_clip._fields_ = [("c", v4l2_rect), ("next", ctypes.POINTER(v4l2_clip))]


class v4l2_window(ctypes.Structure):
    """Overlay window (``fmt.win``). Its pointers make ``v4l2_format.fmt`` 8-aligned."""

    _fields_ = [
        ("w", v4l2_rect),
        ("field", ctypes.c_uint32),
        ("chromakey", ctypes.c_uint32),
        ("clips", ctypes.POINTER(v4l2_clip)),
        ("clipcount", ctypes.c_uint32),
        ("bitmap", ctypes.c_void_p),
        ("global_alpha", ctypes.c_uint8),
    ]


class v4l2_vbi_format(ctypes.Structure):
    _fields_ = [
        ("sampling_rate", ctypes.c_uint32),
        ("offset", ctypes.c_uint32),
        ("samples_per_line", ctypes.c_uint32),
        ("sample_format", ctypes.c_uint32),
        ("start", ctypes.c_int32 * 2),
        ("count", ctypes.c_uint32 * 2),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class v4l2_sliced_vbi_format(ctypes.Structure):
    _fields_ = [
        ("service_set", ctypes.c_uint16),
        ("service_lines", (ctypes.c_uint16 * 24) * 2),
        ("io_size", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class v4l2_sdr_format(ctypes.Structure):
    _pack_ = 1
    _layout_ = "ms"
    _fields_ = [
        ("pixelformat", ctypes.c_uint32),
        ("buffersize", ctypes.c_uint32),
        ("reserved", ctypes.c_uint8 * 24),
    ]


class v4l2_meta_format(ctypes.Structure):
    _pack_ = 1
    _layout_ = "ms"
    _fields_ = [("dataformat", ctypes.c_uint32), ("buffersize", ctypes.c_uint32)]


class _v4l2_format_fmt(ctypes.Union):
    _fields_ = [
        ("pix", v4l2_pix_format),
        ("pix_mp", v4l2_pix_format_mplane),
        ("win", v4l2_window),
        ("vbi", v4l2_vbi_format),
        ("sliced", v4l2_sliced_vbi_format),
        ("sdr", v4l2_sdr_format),
        ("meta", v4l2_meta_format),
        ("raw_data", ctypes.c_uint8 * 200),
    ]


class v4l2_format(ctypes.Structure):
    """G_FMT/S_FMT/TRY_FMT: ``type`` selects the member of ``fmt`` that is valid."""

    _fields_ = [("type", ctypes.c_uint32), ("fmt", _v4l2_format_fmt)]


class v4l2_fmtdesc(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("description", ctypes.c_char * 32),
        ("pixelformat", ctypes.c_uint32),
        ("mbus_code", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 3),
    ]


class v4l2_frmsize_discrete(ctypes.Structure):
    _fields_ = [("width", ctypes.c_uint32), ("height", ctypes.c_uint32)]


class v4l2_frmsize_stepwise(ctypes.Structure):
    _fields_ = [
        ("min_width", ctypes.c_uint32),
        ("max_width", ctypes.c_uint32),
        ("step_width", ctypes.c_uint32),
        ("min_height", ctypes.c_uint32),
        ("max_height", ctypes.c_uint32),
        ("step_height", ctypes.c_uint32),
    ]


class _v4l2_frmsizeenum_u(ctypes.Union):
    _fields_ = [("discrete", v4l2_frmsize_discrete), ("stepwise", v4l2_frmsize_stepwise)]


class v4l2_frmsizeenum(ctypes.Structure):
    """ENUM_FRAMESIZES: ``type`` says whether ``discrete`` or ``stepwise`` is valid."""

    _anonymous_ = ("_u",)
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("pixel_format", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("_u", _v4l2_frmsizeenum_u),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class v4l2_frmival_stepwise(ctypes.Structure):
    _fields_ = [("min", v4l2_fract), ("max", v4l2_fract), ("step", v4l2_fract)]


class _v4l2_frmivalenum_u(ctypes.Union):
    _fields_ = [("discrete", v4l2_fract), ("stepwise", v4l2_frmival_stepwise)]


class v4l2_frmivalenum(ctypes.Structure):
    """ENUM_FRAMEINTERVALS: ``type`` says whether ``discrete`` or ``stepwise`` is valid."""

    _anonymous_ = ("_u",)
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("pixel_format", ctypes.c_uint32),
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("_u", _v4l2_frmivalenum_u),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class v4l2_captureparm(ctypes.Structure):
    _fields_ = [
        ("capability", ctypes.c_uint32),
        ("capturemode", ctypes.c_uint32),
        ("timeperframe", v4l2_fract),
        ("extendedmode", ctypes.c_uint32),
        ("readbuffers", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 4),
    ]


class v4l2_outputparm(ctypes.Structure):
    _fields_ = [
        ("capability", ctypes.c_uint32),
        ("outputmode", ctypes.c_uint32),
        ("timeperframe", v4l2_fract),
        ("extendedmode", ctypes.c_uint32),
        ("writebuffers", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 4),
    ]


class _v4l2_streamparm_parm(ctypes.Union):
    _fields_ = [
        ("capture", v4l2_captureparm),
        ("output", v4l2_outputparm),
        ("raw_data", ctypes.c_uint8 * 200),
    ]


class v4l2_streamparm(ctypes.Structure):
    """G_PARM/S_PARM: frame interval (``parm.capture.timeperframe``) and friends."""

    _fields_ = [("type", ctypes.c_uint32), ("parm", _v4l2_streamparm_parm)]


class v4l2_requestbuffers(ctypes.Structure):
    """REQBUFS. ``capabilities`` (V4L2_BUF_CAP_*) is filled by the kernel on return."""

    _fields_ = [
        ("count", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("memory", ctypes.c_uint32),
        ("capabilities", ctypes.c_uint32),
        ("flags", ctypes.c_uint8),
        ("reserved", ctypes.c_uint8 * 3),
    ]


class v4l2_create_buffers(ctypes.Structure):
    """CREATE_BUFS.

    Kernels 6.8+ turned ``reserved[0]`` into ``max_num_buffers`` (valid when
    V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS is set); the 6.1 header still has
    ``reserved[6]``, which is what we match.  Read ``reserved[0]`` as max_num_buffers
    only when that capability bit is set.
    """

    _fields_ = [
        ("index", ctypes.c_uint32),
        ("count", ctypes.c_uint32),
        ("memory", ctypes.c_uint32),
        ("format", v4l2_format),
        ("capabilities", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 6),
    ]


class v4l2_timecode(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("frames", ctypes.c_uint8),
        ("seconds", ctypes.c_uint8),
        ("minutes", ctypes.c_uint8),
        ("hours", ctypes.c_uint8),
        ("userbits", ctypes.c_uint8 * 4),
    ]


class _v4l2_plane_m(ctypes.Union):
    _fields_ = [
        ("mem_offset", ctypes.c_uint32),
        ("userptr", ctypes.c_ulong),
        ("fd", ctypes.c_int32),
    ]


class v4l2_plane(ctypes.Structure):
    """One plane of a multi-planar buffer; ``m`` depends on the buffer's ``memory``."""

    _fields_ = [
        ("bytesused", ctypes.c_uint32),
        ("length", ctypes.c_uint32),
        ("m", _v4l2_plane_m),
        ("data_offset", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 11),
    ]


class _v4l2_buffer_m(ctypes.Union):
    _fields_ = [
        ("offset", ctypes.c_uint32),
        ("userptr", ctypes.c_ulong),
        ("planes", ctypes.POINTER(v4l2_plane)),
        ("fd", ctypes.c_int32),
    ]


class _v4l2_buffer_request(ctypes.Union):
    _fields_ = [("request_fd", ctypes.c_int32), ("reserved", ctypes.c_uint32)]


class v4l2_buffer(ctypes.Structure):
    """QUERYBUF/QBUF/DQBUF/PREPARE_BUF.

    For ``*_MPLANE`` types ``m.planes`` points to a user array of ``length`` planes; keep
    that array alive for as long as the struct is used (see :func:`attach_planes`).
    """

    _anonymous_ = ("_request",)
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("bytesused", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("field", ctypes.c_uint32),
        ("timestamp", timeval),
        ("timecode", v4l2_timecode),
        ("sequence", ctypes.c_uint32),
        ("memory", ctypes.c_uint32),
        ("m", _v4l2_buffer_m),
        ("length", ctypes.c_uint32),
        ("reserved2", ctypes.c_uint32),
        ("_request", _v4l2_buffer_request),
    ]


def attach_planes(
    buf: v4l2_buffer, count: int = VIDEO_MAX_PLANES
) -> ctypes.Array[v4l2_plane]:
    """Give a multi-planar ``buf`` a zeroed array of ``count`` planes and return it.

    The kernel writes plane info through ``m.planes``; ctypes does not keep the target
    of a pointer field alive, so the caller must hold on to the returned array.
    """
    planes = (v4l2_plane * count)()
    buf.m.planes = ctypes.cast(planes, ctypes.POINTER(v4l2_plane))
    buf.length = count
    return planes


class v4l2_exportbuffer(ctypes.Structure):
    """EXPBUF: ``flags`` are open(2) flags (O_CLOEXEC, O_RDONLY/O_WRONLY/O_RDWR)."""

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("index", ctypes.c_uint32),
        ("plane", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("fd", ctypes.c_int32),
        ("reserved", ctypes.c_uint32 * 11),
    ]


v4l2_std_id = c_u64


class v4l2_input(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("name", ctypes.c_char * 32),
        ("type", ctypes.c_uint32),
        ("audioset", ctypes.c_uint32),
        ("tuner", ctypes.c_uint32),
        ("std", v4l2_std_id),
        ("status", ctypes.c_uint32),
        ("capabilities", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 3),
    ]


class v4l2_output(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("name", ctypes.c_char * 32),
        ("type", ctypes.c_uint32),
        ("audioset", ctypes.c_uint32),
        ("modulator", ctypes.c_uint32),
        ("std", v4l2_std_id),
        ("capabilities", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 3),
    ]


class v4l2_control(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32), ("value", ctypes.c_int32)]


class v4l2_queryctrl(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("name", ctypes.c_char * 32),
        ("minimum", ctypes.c_int32),
        ("maximum", ctypes.c_int32),
        ("step", ctypes.c_int32),
        ("default_value", ctypes.c_int32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class v4l2_query_ext_ctrl(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("name", ctypes.c_char * 32),
        ("minimum", c_s64),
        ("maximum", c_s64),
        ("step", c_u64),
        ("default_value", c_s64),
        ("flags", ctypes.c_uint32),
        ("elem_size", ctypes.c_uint32),
        ("elems", ctypes.c_uint32),
        ("nr_of_dims", ctypes.c_uint32),
        ("dims", ctypes.c_uint32 * V4L2_CTRL_MAX_DIMS),
        ("reserved", ctypes.c_uint32 * 32),
    ]


class _v4l2_querymenu_u(ctypes.Union):
    _fields_ = [("name", ctypes.c_char * 32), ("value", c_s64)]


class v4l2_querymenu(ctypes.Structure):
    """QUERYMENU: ``name`` for MENU controls, ``value`` for INTEGER_MENU; packed."""

    _pack_ = 1
    _layout_ = "ms"
    _anonymous_ = ("_u",)
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("index", ctypes.c_uint32),
        ("_u", _v4l2_querymenu_u),
        ("reserved", ctypes.c_uint32),
    ]


class _v4l2_ext_control_u(ctypes.Union):
    # The header lists one typed pointer per compound control; they all alias ``ptr``,
    # so only the generic ones are spelled out.
    _fields_ = [
        ("value", ctypes.c_int32),
        ("value64", c_s64),
        ("string", ctypes.c_char_p),
        ("p_u8", ctypes.POINTER(ctypes.c_uint8)),
        ("p_u16", ctypes.POINTER(ctypes.c_uint16)),
        ("p_u32", ctypes.POINTER(ctypes.c_uint32)),
        ("p_area", ctypes.POINTER(v4l2_area)),
        ("ptr", ctypes.c_void_p),
    ]


class v4l2_ext_control(ctypes.Structure):
    """One control of G/S/TRY_EXT_CTRLS; ``__attribute__((packed))`` (20 bytes)."""

    _pack_ = 1
    _layout_ = "ms"
    _anonymous_ = ("_u",)
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("size", ctypes.c_uint32),
        ("reserved2", ctypes.c_uint32 * 1),
        ("_u", _v4l2_ext_control_u),
    ]


class _v4l2_ext_controls_which(ctypes.Union):
    _fields_ = [("ctrl_class", ctypes.c_uint32), ("which", ctypes.c_uint32)]


class v4l2_ext_controls(ctypes.Structure):
    _anonymous_ = ("_which",)
    _fields_ = [
        ("_which", _v4l2_ext_controls_which),
        ("count", ctypes.c_uint32),
        ("error_idx", ctypes.c_uint32),
        ("request_fd", ctypes.c_int32),
        ("reserved", ctypes.c_uint32 * 1),
        ("controls", ctypes.POINTER(v4l2_ext_control)),
    ]


class v4l2_event_vsync(ctypes.Structure):
    _pack_ = 1
    _layout_ = "ms"
    _fields_ = [("field", ctypes.c_uint8)]


class _v4l2_event_ctrl_value(ctypes.Union):
    _fields_ = [("value", ctypes.c_int32), ("value64", c_s64)]


class v4l2_event_ctrl(ctypes.Structure):
    _anonymous_ = ("_value",)
    _fields_ = [
        ("changes", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("_value", _v4l2_event_ctrl_value),
        ("flags", ctypes.c_uint32),
        ("minimum", ctypes.c_int32),
        ("maximum", ctypes.c_int32),
        ("step", ctypes.c_int32),
        ("default_value", ctypes.c_int32),
    ]


class v4l2_event_frame_sync(ctypes.Structure):
    _fields_ = [("frame_sequence", ctypes.c_uint32)]


class v4l2_event_src_change(ctypes.Structure):
    _fields_ = [("changes", ctypes.c_uint32)]


class v4l2_event_motion_det(ctypes.Structure):
    _fields_ = [
        ("flags", ctypes.c_uint32),
        ("frame_sequence", ctypes.c_uint32),
        ("region_mask", ctypes.c_uint32),
    ]


class _v4l2_event_u(ctypes.Union):
    _fields_ = [
        ("vsync", v4l2_event_vsync),
        ("ctrl", v4l2_event_ctrl),
        ("frame_sync", v4l2_event_frame_sync),
        ("src_change", v4l2_event_src_change),
        ("motion_det", v4l2_event_motion_det),
        ("data", ctypes.c_uint8 * 64),
    ]


class v4l2_event(ctypes.Structure):
    """DQEVENT. ``timestamp`` is a struct timespec (CLOCK_MONOTONIC)."""

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("u", _v4l2_event_u),
        ("pending", ctypes.c_uint32),
        ("sequence", ctypes.c_uint32),
        ("timestamp", timespec),
        ("id", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 8),
    ]


class v4l2_event_subscription(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_uint32),
        ("id", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 5),
    ]


# ---------------------------------------------------------------------------------------
# ioctls (same order and arguments as the header)
# ---------------------------------------------------------------------------------------

VIDIOC_QUERYCAP = IOR("VIDIOC_QUERYCAP", "V", 0, v4l2_capability)
VIDIOC_ENUM_FMT = IOWR("VIDIOC_ENUM_FMT", "V", 2, v4l2_fmtdesc)
VIDIOC_G_FMT = IOWR("VIDIOC_G_FMT", "V", 4, v4l2_format)
VIDIOC_S_FMT = IOWR("VIDIOC_S_FMT", "V", 5, v4l2_format)
VIDIOC_REQBUFS = IOWR("VIDIOC_REQBUFS", "V", 8, v4l2_requestbuffers)
VIDIOC_QUERYBUF = IOWR("VIDIOC_QUERYBUF", "V", 9, v4l2_buffer)
VIDIOC_QBUF = IOWR("VIDIOC_QBUF", "V", 15, v4l2_buffer)
VIDIOC_EXPBUF = IOWR("VIDIOC_EXPBUF", "V", 16, v4l2_exportbuffer)
VIDIOC_DQBUF = IOWR("VIDIOC_DQBUF", "V", 17, v4l2_buffer)
# STREAMON/STREAMOFF take a pointer to an int holding the buffer type: pass c_int(type).
VIDIOC_STREAMON = IOW("VIDIOC_STREAMON", "V", 18, ctypes.c_int)
VIDIOC_STREAMOFF = IOW("VIDIOC_STREAMOFF", "V", 19, ctypes.c_int)
VIDIOC_G_PARM = IOWR("VIDIOC_G_PARM", "V", 21, v4l2_streamparm)
VIDIOC_S_PARM = IOWR("VIDIOC_S_PARM", "V", 22, v4l2_streamparm)
VIDIOC_ENUMINPUT = IOWR("VIDIOC_ENUMINPUT", "V", 26, v4l2_input)
VIDIOC_G_CTRL = IOWR("VIDIOC_G_CTRL", "V", 27, v4l2_control)
VIDIOC_S_CTRL = IOWR("VIDIOC_S_CTRL", "V", 28, v4l2_control)
VIDIOC_QUERYCTRL = IOWR("VIDIOC_QUERYCTRL", "V", 36, v4l2_queryctrl)
VIDIOC_QUERYMENU = IOWR("VIDIOC_QUERYMENU", "V", 37, v4l2_querymenu)
VIDIOC_G_INPUT = IOR("VIDIOC_G_INPUT", "V", 38, ctypes.c_int)
VIDIOC_S_INPUT = IOWR("VIDIOC_S_INPUT", "V", 39, ctypes.c_int)
VIDIOC_G_OUTPUT = IOR("VIDIOC_G_OUTPUT", "V", 46, ctypes.c_int)
VIDIOC_S_OUTPUT = IOWR("VIDIOC_S_OUTPUT", "V", 47, ctypes.c_int)
VIDIOC_ENUMOUTPUT = IOWR("VIDIOC_ENUMOUTPUT", "V", 48, v4l2_output)
VIDIOC_TRY_FMT = IOWR("VIDIOC_TRY_FMT", "V", 64, v4l2_format)
VIDIOC_LOG_STATUS = IO("VIDIOC_LOG_STATUS", "V", 70)
VIDIOC_G_EXT_CTRLS = IOWR("VIDIOC_G_EXT_CTRLS", "V", 71, v4l2_ext_controls)
VIDIOC_S_EXT_CTRLS = IOWR("VIDIOC_S_EXT_CTRLS", "V", 72, v4l2_ext_controls)
VIDIOC_TRY_EXT_CTRLS = IOWR("VIDIOC_TRY_EXT_CTRLS", "V", 73, v4l2_ext_controls)
VIDIOC_ENUM_FRAMESIZES = IOWR("VIDIOC_ENUM_FRAMESIZES", "V", 74, v4l2_frmsizeenum)
VIDIOC_ENUM_FRAMEINTERVALS = IOWR("VIDIOC_ENUM_FRAMEINTERVALS", "V", 75, v4l2_frmivalenum)
VIDIOC_DQEVENT = IOR("VIDIOC_DQEVENT", "V", 89, v4l2_event)
VIDIOC_SUBSCRIBE_EVENT = IOW("VIDIOC_SUBSCRIBE_EVENT", "V", 90, v4l2_event_subscription)
VIDIOC_UNSUBSCRIBE_EVENT = IOW("VIDIOC_UNSUBSCRIBE_EVENT", "V", 91, v4l2_event_subscription)
VIDIOC_CREATE_BUFS = IOWR("VIDIOC_CREATE_BUFS", "V", 92, v4l2_create_buffers)
VIDIOC_PREPARE_BUF = IOWR("VIDIOC_PREPARE_BUF", "V", 93, v4l2_buffer)
VIDIOC_QUERY_EXT_CTRL = IOWR("VIDIOC_QUERY_EXT_CTRL", "V", 103, v4l2_query_ext_ctrl)
