"""What a stream asked for and what the driver gave, read back from the device.

VIDIOC_S_FMT and VIDIOC_S_PARM never fail for a value the driver cannot do: the driver
adjusts it and returns what it chose (Documentation/userspace-api/media/v4l/
vidioc-g-fmt.rst, vidioc-g-parm.rst).  DMX_REQBUFS likewise may grant another count
or size.  So after set-up the format and interval are read back (G_FMT, G_PARM) and
compared with the request; ``mediatui stream`` reports both and names what changed.
The set-up code calls :func:`read_negotiated` once every S_FMT/S_PARM is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import MediaError
from core.formats import Format, fract

if TYPE_CHECKING:
    from core.video import VideoDevice


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """What the user asked for; None where they left the driver's current value."""

    fourcc: str | None = None
    width: int | None = None
    height: int | None = None
    frame_interval: tuple[int, int] | None = None  # seconds per frame (numerator, denominator)

    @classmethod
    def from_fps(cls, fourcc: str | None, width: int | None, height: int | None,
                 fps: float | None) -> VideoRequest:
        """The request as :meth:`core.video.VideoDevice.set_frame_rate` sends it
        (timeperframe = 1000 / round(fps * 1000))."""
        interval = (1000, round(fps * 1000)) if fps else None
        return cls(fourcc, width, height, interval)

    def as_dict(self) -> dict[str, Any]:
        """``{"fourcc", "width", "height", "frame_interval"}``, null where not asked."""
        return {"fourcc": self.fourcc, "width": self.width, "height": self.height,
                "frame_interval": fract(self.frame_interval)}


@dataclass(frozen=True, slots=True)
class VideoNegotiated:
    """The format and frame interval the driver holds after set-up."""

    format: Format
    frame_interval: tuple[int, int] | None  # None: the driver has no G_PARM

    def as_dict(self) -> dict[str, Any]:
        """:meth:`core.formats.Format.as_dict` plus ``frame_interval`` (v4l2_fract|null)."""
        return {**self.format.as_dict(), "frame_interval": fract(self.frame_interval)}


def read_negotiated(dev: VideoDevice, buf_type: int) -> VideoNegotiated | None:
    """G_FMT and G_PARM on ``buf_type`` after set-up; None when G_FMT fails (the
    caller reports the stream anyway: this is a report, not a precondition)."""
    try:
        fmt = dev.get_format(buf_type)
    except MediaError:
        return None
    return VideoNegotiated(fmt, dev.get_frame_interval(buf_type))


def adjusted(requested: dict[str, Any], got: dict[str, Any] | None) -> list[str]:
    """The keys of a ``requested`` record whose value the driver changed in ``got``
    (a negotiated record): ``["width", "frame_interval"]``.  Keys asked as null, or
    that ``got`` lacks, are not compared; frame intervals compare as fractions
    (1000/30000 == 1/30) and fourccs without their padding spaces."""
    if got is None:
        return []
    out = []
    for key, asked in requested.items():
        if asked is None or key not in got:
            continue
        value = got[key]
        if key == "frame_interval":
            same = value is not None and (asked["numerator"] * value["denominator"]
                                          == value["numerator"] * asked["denominator"])
        elif key == "fourcc":
            same = str(asked).strip() == str(value).strip()
        else:
            same = asked == value
        if not same:
            out.append(key)
    return out
