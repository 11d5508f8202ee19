"""Explain a failed VIDIOC_STREAMON (EPIPE, ENOLINK) with the pipeline check.

:func:`explain_streamon` is called by ``VideoDevice.stream_on`` when STREAMON fails
with EPIPE or ENOLINK: it finds the node's media device, reads the graph and names
every link that would not validate.  It never raises: when the graph cannot be read,
the original error stands.
"""

from __future__ import annotations

import errno

from core.errors import MediaError


class PipelineInvalid(MediaError):
    """STREAMON failed because the media pipeline does not validate (EPIPE/ENOLINK)."""


def explain_streamon(error: MediaError, path: str) -> MediaError:
    """``error`` (from STREAMON on ``path``) with the mismatching links in its text."""
    if error.errno not in (errno.EPIPE, errno.ENOLINK):
        return error
    try:
        from core.media.check import check_pipeline
        from core.media.read import media_device_of, read_topology

        media = media_device_of(path)
        if media is None:
            return error
        result = check_pipeline(read_topology(media), path)
    except (MediaError, OSError, LookupError, RuntimeError):
        return error
    if result.ok:
        explanation = (f"{media}: every link of the pipeline validates as far as mediatui "
                       "can read it; the driver refused for a reason of its own.")
        title = "Pipeline refused by the driver"
    else:
        title = f"Pipeline does not validate ({len(result.problems)} problem(s))"
        explanation = "; ".join(p.message for p in result.problems) + (
            f". Fix with `mediatui setup {media} -V ...` / `-l ...`, then `mediatui check "
            f"{path}`.")
    return PipelineInvalid(path=error.path, ioctl=error.ioctl, errno=error.errno,
                           title=title, explanation=explanation)
