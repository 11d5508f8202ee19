"""Option values checked against the kernel field they fill, before any ioctl.

ctypes truncates silently: ``--pid 0x10000`` would become PID 0 in the u16 of
``struct dmx_pes_filter_params``, ``--buffers 4294967297`` a count of 1 in the u32 of
``struct v4l2_requestbuffers``.  Each function here takes the user's text (or value),
checks it against the field's type and the kernel's own limit, and returns the value or
raises :class:`OptionError` naming the option and the allowed range.  The CLI uses them
as argparse ``type=`` functions (a usage error, exit 2); the stream set-up calls the
ones that need the device (:func:`check_count_max`, :func:`check_fourcc`) once the node
is open.  No Textual, no argparse here: core.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from fractions import Fraction

from core.dvblimits import ALL_PIDS, TS_PACKET

U32_MAX = 0xFFFF_FFFF
# include/uapi/linux/dvb/dmx.h: a PID is 13 bits; ALL_PIDS (0x2000) asks the demux for
# every PID (core.dvblimits).
PID_MAX = 0x1FFF
# The allowed fourcc characters: v4l2_fourcc() packs 4 bytes; every format the kernel
# defines (videodev2.h) uses ASCII letters, digits, space padding ("Y10 ", "GREY").
_FOURCC_CHARS = set(string.ascii_letters + string.digits + " _-")


class OptionError(ValueError):
    """A value outside what the kernel field (or the node) accepts.

    ``option`` is the option's name (``--pid``), ``str(error)`` says what is allowed.
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option

    def __str__(self) -> str:
        return f"{self.option}: {self.args[0]}"


def _int(option: str, text: str | int, what: str) -> int:
    if isinstance(text, int):
        return text
    try:
        return int(str(text).strip(), 0)
    except ValueError:
        raise OptionError(option, f"wants {what}, not {text!r}") from None


def _float(option: str, text: str | float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise OptionError(option, f"wants a number, not {text!r}") from None
    if not math.isfinite(value):
        raise OptionError(option, f"wants a finite number, not {text!r}")
    return value


def pid(text: str | int, option: str = "--pid") -> int:
    """A DVB PID: 0..0x1fff, or 0x2000 for every PID (decimal or 0x hex)."""
    value = _int(option, text, "a PID, 0 to 0x2000")
    if not 0 <= value <= ALL_PIDS:
        raise OptionError(option, f"wants a PID from 0 to {PID_MAX:#06x}, or {ALL_PIDS:#06x} "
                          f"for every PID; {text!r} does not fit the 13-bit PID field")
    return value


def buffer_count(text: str | int, option: str = "--buffers") -> int:
    """A buffer count for REQBUFS/CREATE_BUFS/DMX_REQBUFS: 1..2^32-1 (the u32 field);
    the queue's own maximum is checked once it is known (:func:`check_count_max`)."""
    value = _int(option, text, "a buffer count")
    if not 1 <= value <= U32_MAX:
        raise OptionError(option, f"wants a buffer count from 1 to {U32_MAX} "
                          f"(the queue's maximum is checked once the node is open), "
                          f"not {text!r}")
    return value


def check_count_max(count: int, maximum: int, option: str = "--buffers") -> int:
    """``count`` within the queue's maximum (``max_num_buffers`` from CREATE_BUFS, or
    VB2_MAX_FRAME, 32 on 6.1): vb2 would clamp it without a word
    (vb2_core_reqbufs: ``num_buffers = min(count, q->max_num_buffers)``)."""
    if count > maximum:
        raise OptionError(option, f"wants 1 to {maximum} on this queue (its maximum), "
                          f"not {count}")
    return count


def frame_count(text: str | int, option: str = "--count") -> int:
    """Frames (buffers) to stream: 0 means until stopped (like v4l2-ctl's
    ``--stream-count=0``), else 1..2^63-1."""
    value = _int(option, text, "a frame count")
    if not 0 <= value < 1 << 63:
        raise OptionError(option, f"wants 0 (until stopped) or a positive frame count, "
                          f"not {text!r}")
    return value


def event_count(text: str | int, option: str = "--count") -> int:
    """Events to wait for: 1 or more."""
    value = _int(option, text, "an event count")
    if value < 1:
        raise OptionError(option, f"wants 1 or more events, not {text!r}")
    return value


def duration(text: str | float, option: str = "--duration") -> float:
    """Seconds: finite and > 0 (``nan`` would never stop, ``0`` stop at once)."""
    value = _float(option, text)
    if not value > 0:
        raise OptionError(option, f"wants a positive number of seconds, not {text!r}")
    return value


# QUERYBUF sampling rounds per second (mediatui attach --source sample): each round is
# one QUERYBUF per allocated index, so above 1000 the sampler only burns CPU.
SAMPLE_RATE_MAX_HZ = 1000.0


def sample_rate(text: str | float, option: str = "--rate") -> float:
    """Sampling rounds per second: finite, > 0 and at most :data:`SAMPLE_RATE_MAX_HZ`."""
    value = _float(option, text)
    if not 0 < value <= SAMPLE_RATE_MAX_HZ:
        raise OptionError(option, f"wants rounds per second above 0 and at most "
                          f"{SAMPLE_RATE_MAX_HZ:g}, not {text!r}")
    return value


def byte_size(text: str | int, option: str = "--buffer-size") -> int:
    """A size in bytes for a u32 field (DMX_REQBUFS size, a plane length): 1..2^32-1."""
    value = _int(option, text, "a size in bytes")
    if not 1 <= value <= U32_MAX:
        raise OptionError(option, f"wants a size from 1 to {U32_MAX} bytes, not {text!r}")
    return value


def frame_size(text: str, option: str = "--size") -> tuple[int, int]:
    """``WxH``: each 1..2^32-1 (the u32 width/height of v4l2_pix_format)."""
    parts = str(text).lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise OptionError(option, f"wants WxH, e.g. 640x480, not {text!r}")
    width, height = (int(p) for p in parts)
    if not (1 <= width <= U32_MAX and 1 <= height <= U32_MAX):
        raise OptionError(option, f"wants a width and height from 1 to {U32_MAX}, "
                          f"not {text!r}")
    return width, height


def frame_rate(text: str | float, option: str = "--fps") -> float:
    """Frames per second for S_PARM: finite, > 0, and representable as the u32/u32
    ``timeperframe`` fraction (so from 1/(2^32-1) to 2^32-1)."""
    value = _float(option, text)
    if not value > 0 or value > U32_MAX or value < 1 / U32_MAX:
        raise OptionError(option, f"wants a frame rate above 0 and at most {U32_MAX}, "
                          f"not {text!r}")
    return value


def timeperframe(fps: float) -> tuple[int, int]:
    """``fps`` as VIDIOC_S_PARM's (numerator, denominator), both within u32."""
    frac = Fraction(1 / fps).limit_denominator(U32_MAX)
    num, den = max(frac.numerator, 1), max(frac.denominator, 1)
    return min(num, U32_MAX), den


def frequency(text: str | int, option: str = "--tune") -> int:
    """A frequency in Hz for DTV_FREQUENCY: 1..2^32-1 (u32 property)."""
    value = _int(option, text, "a frequency in Hz")
    if not 1 <= value <= U32_MAX:
        raise OptionError(option, f"wants a frequency from 1 to {U32_MAX} Hz, not {text!r}")
    return value


def heap_name(text: str, option: str = "--heap") -> str:
    """A dma-buf heap *name* (``system``, ``linux,cma``), never a path: the heap is
    opened as /dev/dma_heap/NAME, so '/' and the names '.' and '..' are refused."""
    name = str(text)
    if not name or "/" in name or name in (".", "..") or "\0" in name \
            or not name.isprintable():
        raise OptionError(option, f"wants a heap name as listed in /dev/dma_heap "
                          f"(e.g. system), not {text!r}")
    return name


def fourcc(text: str, option: str = "--format") -> str:
    """A fourcc: 1 to 4 letters, digits, ``_`` or ``-`` (short ones are space-padded by
    the kernel's own names, "Y10 " is "Y10")."""
    code = str(text)
    if not 1 <= len(code.rstrip()) <= 4 or not set(code) <= _FOURCC_CHARS:
        raise OptionError(option, f"wants a 4-character pixel format code such as YUYV "
                          f"or NV12, not {text!r}")
    return code


def check_fourcc(code: str, offered: Sequence[str], option: str = "--format") -> str:
    """``code`` among the formats the node enumerates (ENUM_FMT): S_FMT would otherwise
    replace an unknown one with the driver's choice without an error (V4L2 spec,
    VIDIOC_S_FMT: "drivers should not return an error code ... but adjust")."""
    padded = code.ljust(4)
    names = [o.strip() for o in offered]
    if padded.strip() not in names:
        listed = ", ".join(names) if names else "none"
        raise OptionError(option, f"{code!r} is not a format of this queue; it offers: "
                          f"{listed}")
    return padded.strip()


__all__ = [
    "ALL_PIDS", "TS_PACKET", "U32_MAX", "OptionError", "buffer_count", "byte_size",
    "check_count_max", "check_fourcc", "duration", "event_count", "fourcc", "frame_count",
    "frame_rate", "frame_size", "frequency", "heap_name", "pid", "timeperframe",
]
