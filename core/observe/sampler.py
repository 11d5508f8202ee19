"""The sampling source: another file handle's VIDIOC_QUERYBUF, no privileges needed.

What it issues, and only this: ``open(O_RDWR|O_NONBLOCK)``, VIDIOC_QUERYCAP (which
queues the node has) and VIDIOC_QUERYBUF (one buffer's flags, sequence, timestamp).
Never VIDIOC_REQBUFS / CREATE_BUFS (they would change the owner's queue, and answer
EBUSY to a non-owner anyway: ``vb2_queue_is_busy``), never QBUF/DQBUF/STREAMON/OFF,
EXPBUF or mmap, and no G/S_FMT.  ``vb2_ioctl_querybuf`` (videobuf2-v4l2.c, 6.1) does not
check the owner, so drivers using the vb2 ioctl helpers (vivid, vimc) answer it;
drivers with their own handler may refuse (uvcvideo: EBUSY, ``uvc_ioctl_querybuf``
checks ``uvc_has_privileges``).  A mem2mem device keeps its queues per file handle
(``v4l2_m2m_ctx``), so another handle sees empty queues: use the trace source there.

The buffer count is learnt without REQBUFS: QUERYBUF every index up to
:data:`MAX_INDEX` once a second (indices may be sparse on kernels with
VIDIOC_REMOVE_BUFS, and more than 32), then only the ones that answered, at the
sampling rate.  Approximate by nature: a buffer that moves twice between two samples
is unseen, and vb2 clears ``sequence`` and ``timestamp`` when a buffer is queued
again, so the frame counts are a lower bound; occupancy (how many the driver holds)
and the states are what it is good for.
"""

from __future__ import annotations

import errno

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.buffers import new_v4l2_buffer, status_from_flags
from core.errors import MediaError, media_error
from core.queue import BufferStatus
from core.video import VideoDevice

MAX_INDEX = 64
RESCAN_S = 1.0


class SampleUnavailable(Exception):
    """Sampling cannot run on this node; the message says why."""


class Sample:
    """One QUERYBUF answer."""

    __slots__ = ("buf_type", "bytesused", "field", "flags", "index", "sequence", "status",
                 "timestamp")

    def __init__(self, buf_type: int, index: int, b: v.v4l2_buffer) -> None:
        self.buf_type = buf_type
        self.index = index
        self.flags = int(b.flags)
        self.status: BufferStatus = status_from_flags(self.flags)
        self.field = int(b.field)
        if v.is_multiplanar(buf_type):
            self.bytesused = sum(b.m.planes[i].bytesused for i in range(min(b.length, 8)))
        else:
            self.bytesused = int(b.bytesused)
        ts = b.timestamp.tv_sec + b.timestamp.tv_usec / 1e6
        self.timestamp = ts or None
        self.sequence = int(b.sequence) if ts else None


class SampleSource:
    """QUERYBUF sampling of every queue of ``path`` (see the module docstring)."""

    name = "sample"

    def __init__(self, path: str) -> None:
        """Open the node and QUERYCAP it. Raises :class:`core.errors.MediaError`."""
        self.dev = VideoDevice(path)
        try:
            caps = self.dev.capability()
            if caps.device_caps & (v.V4L2_CAP_VIDEO_M2M | v.V4L2_CAP_VIDEO_M2M_MPLANE):
                raise SampleUnavailable(
                    f"{path} is a mem2mem device: its queues belong to each file handle "
                    "(v4l2_m2m_ctx), so another handle's QUERYBUF sees only its own empty "
                    "queues; observing it needs the trace source (root)")
            self.types = tuple(t for t in caps.buf_types
                               if t in (v.V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                        v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
                                        v.V4L2_BUF_TYPE_VIDEO_OUTPUT,
                                        v.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
                                        v.V4L2_BUF_TYPE_META_CAPTURE,
                                        v.V4L2_BUF_TYPE_META_OUTPUT))
        except (MediaError, SampleUnavailable):
            self.dev.close()
            raise
        self.known: dict[int, list[int]] = {t: [] for t in self.types}
        self._structs = {t: new_v4l2_buffer(t, v.V4L2_MEMORY_MMAP) for t in self.types}
        self._last_scan = -1e9

    def _query(self, buf_type: int, index: int) -> Sample | None:
        b = self._structs[buf_type]
        b.index, b.type = index, buf_type
        if v.is_multiplanar(buf_type):
            b.length = v.VIDEO_MAX_PLANES
        try:
            chokepoint.ioctl(self.dev.fd, v.VIDIOC_QUERYBUF, b)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                return None  # no buffer at this index (or no queue of this type)
            if exc.errno == errno.EBUSY:
                raise SampleUnavailable(
                    f"{self.dev.path}: VIDIOC_QUERYBUF failed with EBUSY: this driver "
                    "answers QUERYBUF only to the file handle that owns the queue "
                    "(uvcvideo does), so sampling cannot see its buffers; use the trace "
                    "source (root)") from None
            raise media_error(exc, ioctl="VIDIOC_QUERYBUF", path=self.dev.path) from None
        return Sample(buf_type, index, b)

    def read(self, now_s: float) -> list[Sample]:
        """One round of QUERYBUF: every known index, or every index up to MAX_INDEX
        once a second (the owner may have re-allocated)."""
        out: list[Sample] = []
        rescan = now_s - self._last_scan >= RESCAN_S
        if rescan:
            self._last_scan = now_s
        for t in self.types:
            indices = range(MAX_INDEX) if rescan else self.known[t]
            found = []
            for i in indices:
                s = self._query(t, i)
                if s is not None:
                    out.append(s)
                    found.append(i)
            if rescan:
                self.known[t] = found
        return out

    def close(self) -> None:
        self.dev.close()


__all__ = ["MAX_INDEX", "Sample", "SampleSource", "SampleUnavailable"]
