"""What the driver changed: the values a driver adjusted instead of refusing, as facts.

V4L2 drivers adjust rather than fail: S_FMT returns the nearest format it supports
(VIDIOC_S_FMT: "drivers should not return an error code ... but adjust the values"),
S_PARM the nearest frame interval, REQBUFS/CREATE_BUFS the count vb2 and the driver
settled on (vb2_core_reqbufs clamps to the queue's maximum and raises to
``min_reqbufs_allocation``), and DMX_REQBUFS the count and the size (dvb_vb2_reqbufs
via vb2: ``queue_setup`` rounds the size).  Each function compares what was asked with
what came back and returns an :class:`Adjustment` when they differ, so set-up can say
it on stderr and put it in JSON ("asked 1 buffer, granted 2").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

TS_PACKET = 188  # ISO/IEC 13818-1


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One value the driver changed.  ``what`` is the kernel's name for it
    (``"count"``, ``"size"``, ``"format"``, ``"timeperframe"``), ``ioctl`` the call that
    changed it, ``asked``/``granted`` the values as text, ``message`` one sentence."""

    path: str
    ioctl: str
    what: str
    asked: str
    granted: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "ioctl": self.ioctl, "what": self.what,
                "asked": self.asked, "granted": self.granted, "message": self.message}


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def buffer_count(path: str, ioctl: str, asked: int, granted: int) -> Adjustment | None:
    """REQBUFS/CREATE_BUFS/DMX_REQBUFS count: ``asked 1 buffer, granted 2``."""
    if asked == granted:
        return None
    return Adjustment(path, ioctl, "count", str(asked), str(granted),
                      f"{ioctl}: asked {_plural(asked, 'buffer')}, granted {granted:,}")


def buffer_size(path: str, ioctl: str, asked: int, granted: int) -> Adjustment | None:
    """DMX_REQBUFS size (bytes): ``asked 2,000,000 bytes, granted 770,048``."""
    if asked == granted:
        return None
    return Adjustment(path, ioctl, "size", str(asked), str(granted),
                      f"{ioctl}: asked {_plural(asked, 'byte')}, granted {granted:,}")


def ts_size_warning(size: int) -> str | None:
    """A DVB buffer size that is not a whole number of TS packets: packets then
    straddle buffers (mediatui carries the tail over, other readers may not)."""
    if size % TS_PACKET == 0:
        return None
    lower = size - size % TS_PACKET
    return (f"buffer size {size:,} is not a multiple of {TS_PACKET} (a TS packet): "
            f"packets straddle buffers; {lower or TS_PACKET:,} or "
            f"{lower + TS_PACKET:,} would not")


def pixel_format(path: str, asked_fourcc: str | None, asked_size: tuple[int, int] | None,
                 fourcc: str, width: int, height: int) -> Adjustment | None:
    """S_FMT: ``asked NV12 1920x1080, driver gave YUYV 640x360`` (only what was asked
    is compared)."""
    want_fourcc = asked_fourcc.strip() if asked_fourcc else None
    changed = (want_fourcc is not None and want_fourcc != fourcc.strip()) or (
        asked_size is not None and asked_size != (width, height))
    if not changed:
        return None
    asked = " ".join(x for x in (want_fourcc,
                                 asked_size and f"{asked_size[0]}x{asked_size[1]}") if x)
    granted = f"{fourcc.strip()} {width}x{height}"
    return Adjustment(path, "VIDIOC_S_FMT", "format", asked, granted,
                      f"VIDIOC_S_FMT: asked {asked}, driver gave {granted}")


def frame_rate(path: str, asked_fps: float, numerator: int,
               denominator: int) -> Adjustment | None:
    """S_PARM: the frame interval the driver chose, when it is not 1/asked_fps (within
    0.1 %: an exact fraction of a decimal rate is not always representable)."""
    if numerator <= 0 or denominator <= 0:
        return None
    got = float(Fraction(denominator, numerator))
    if abs(got - asked_fps) <= asked_fps * 1e-3:
        return None
    return Adjustment(path, "VIDIOC_S_PARM", "timeperframe", f"{asked_fps:g} fps",
                      f"{got:g} fps ({numerator}/{denominator} s)",
                      f"VIDIOC_S_PARM: asked {asked_fps:g} fps, driver gave {got:g} fps "
                      f"({numerator}/{denominator} s)")


__all__ = ["Adjustment", "buffer_count", "buffer_size", "frame_rate", "pixel_format",
           "ts_size_warning"]
