"""The side-effect-free capability probe of a video node's queues.

CREATE_BUFS with count 0 only validates and reports capabilities (it never returns
EBUSY, K2); a zeroed VIDIOC_EXPBUF tells whether the driver has an export handler.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.formats import MEMORY_TYPES, QueueProbe

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from core.video import VideoDevice

_ENOTTY = errno.ENOTTY

_MEMORY_CAP = {
    v.V4L2_MEMORY_MMAP: v.V4L2_BUF_CAP_SUPPORTS_MMAP,
    v.V4L2_MEMORY_USERPTR: v.V4L2_BUF_CAP_SUPPORTS_USERPTR,
    v.V4L2_MEMORY_DMABUF: v.V4L2_BUF_CAP_SUPPORTS_DMABUF,
}
_ENOTTY = errno.ENOTTY
_EINVAL = errno.EINVAL


def probe_queues(dev: VideoDevice, buf_types: Iterable[int] | None = None) -> list[QueueProbe]:
    """Per buffer type: memory types, capabilities, EXPBUF — changing nothing.

    CREATE_BUFS with count 0 only validates and reports (it never returns EBUSY);
    REQBUFS(0) is used only when CREATE_BUFS is missing and this handle holds no
    buffers on that queue, the one case where it frees nothing.
    """
    types = tuple(buf_types) if buf_types is not None else dev.capability().buf_types
    if not dev.capability().device_caps & v.V4L2_CAP_STREAMING:
        return []
    expbuf = _probe_expbuf(dev)
    out = []
    for buf_type in types:
        supported: list[int] = []
        caps = 0
        method = "CREATE_BUFS(0)"
        for memory in MEMORY_TYPES:
            ok, caps_m, used = _probe_memory(dev, buf_type, memory)
            method = used
            caps |= caps_m
            if ok:
                supported.append(memory)
        if caps and not method.startswith("REQBUFS"):
            # The capability bits are authoritative where the kernel sets them.
            supported = [
                m for m in MEMORY_TYPES if caps & _MEMORY_CAP[m]
            ] or supported
        max_num = None
        if caps & v.V4L2_BUF_CAP_SUPPORTS_MAX_NUM_BUFFERS:
            max_num = None  # reported by CREATE_BUFS on kernels >= 6.8 (not in this ABI)
        out.append(
            QueueProbe(
                buf_type=buf_type,
                memory_types=tuple(supported),
                capabilities=caps,
                max_num_buffers=max_num if max_num is not None else v.VIDEO_MAX_FRAME,
                orphaned_bufs=bool(caps & v.V4L2_BUF_CAP_SUPPORTS_ORPHANED_BUFS),
                expbuf=expbuf and v.V4L2_MEMORY_MMAP in supported,
                min_buffers=dev.min_buffers(buf_type),
                method=method,
            )
        )
    return out

def _probe_memory(dev: VideoDevice, buf_type: int, memory: int) -> tuple[bool, int, str]:
    create = v.v4l2_create_buffers(count=0, memory=memory)
    create.format.type = buf_type
    try:
        chokepoint.ioctl(dev.fd, v.VIDIOC_CREATE_BUFS, create)
        return True, create.capabilities, "CREATE_BUFS(0)"
    except OSError as exc:
        if exc.errno != _ENOTTY:
            return False, create.capabilities, "CREATE_BUFS(0)"
    if dev.queue(buf_type).buffers:
        return False, 0, "unknown (own buffers allocated)"
    req = v.v4l2_requestbuffers(count=0, type=buf_type, memory=memory)
    try:
        chokepoint.ioctl(dev.fd, v.VIDIOC_REQBUFS, req)
        return True, req.capabilities, "REQBUFS(0)"
    except OSError:
        return False, req.capabilities, "REQBUFS(0)"

def _probe_expbuf(dev: VideoDevice) -> bool:
    """A zeroed EXPBUF: ENOTTY means no handler; anything else means it exists."""
    try:
        chokepoint.ioctl(dev.fd, v.VIDIOC_EXPBUF, v.v4l2_exportbuffer())
    except OSError as exc:
        return exc.errno != _ENOTTY
    return True
