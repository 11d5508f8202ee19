"""Confirm a queue owner from a second file handle: VIDIOC_QUERYBUF.

videobuf2 answers QUERYBUF from any file handle on the node, not only the owner's
(``vb2_ioctl_querybuf``: "No need to call vb2_queue_is_busy(), anyone can query
buffers"), and sets ``V4L2_BUF_FLAG_MAPPED`` on a buffer that is mmapped or exported
(``vb2_buffer_in_use``).  Opening the node and querying changes nothing.  mem2mem
drivers give every open its own queues, so a second handle sees only its own (empty)
ones: nothing to confirm there.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, replace

from core import ioctl as chokepoint
from core.abi import v4l2 as v
from core.buffers import new_v4l2_buffer
from core.errors import MediaError
from core.holders.join import NodeView
from core.video import VideoDevice

MAX_INDEX = 64


@dataclass(frozen=True, slots=True)
class QueueEvidence:
    """What QUERYBUF from a second handle said about one queue of a node."""

    buf_type: str  # kernel name, e.g. "video-capture"
    buffers: int  # allocated buffers (indices answered)
    in_use: int  # with V4L2_BUF_FLAG_MAPPED: mmapped or exported
    queued: int  # V4L2_BUF_FLAG_QUEUED
    done: int  # V4L2_BUF_FLAG_DONE


@dataclass(frozen=True, slots=True)
class Confirmation:
    path: str
    queues: tuple[QueueEvidence, ...]
    note: str | None  # why there is nothing to confirm (m2m, open failed, not V4L2)


def confirm_queue(path: str) -> Confirmation:
    """QUERYBUF every index of every buffer type the node streams.  Never raises for a
    node that cannot be opened or queried: ``note`` says why."""
    try:
        dev = VideoDevice(path)
    except MediaError as exc:
        return Confirmation(path, (), f"could not open a second handle: {exc.errno_name}")
    with dev:
        try:
            cap = dev.capability()
        except MediaError as exc:
            return Confirmation(path, (), f"VIDIOC_QUERYCAP failed: {exc.errno_name}")
        if cap.device_caps & (v.V4L2_CAP_VIDEO_M2M | v.V4L2_CAP_VIDEO_M2M_MPLANE):
            return Confirmation(path, (), "mem2mem: every open has its own queues, a "
                                "second handle cannot see another's buffers")
        queues: list[QueueEvidence] = []
        for buf_type in cap.buf_types:
            counts = [0, 0, 0, 0]
            for index in range(MAX_INDEX):
                buf = new_v4l2_buffer(buf_type, v.V4L2_MEMORY_MMAP, index)
                try:
                    chokepoint.ioctl(dev.fd, v.VIDIOC_QUERYBUF, buf)
                except OSError as exc:
                    if exc.errno != errno.EINVAL:
                        note = f"VIDIOC_QUERYBUF failed: {errno.errorcode.get(exc.errno or 0)}"
                        return Confirmation(path, tuple(queues), note)
                    break
                counts[0] += 1
                counts[1] += bool(buf.flags & v.V4L2_BUF_FLAG_MAPPED)
                counts[2] += bool(buf.flags & v.V4L2_BUF_FLAG_QUEUED)
                counts[3] += bool(buf.flags & v.V4L2_BUF_FLAG_DONE)
            if counts[0]:
                queues.append(QueueEvidence(v.buf_type_name(buf_type), *counts))
    return Confirmation(path, tuple(queues), None)


def apply_confirmation(
    views: list[NodeView], confirmation: Confirmation, complete: bool
) -> list[NodeView]:
    """Upgrade "has it open" to "owns the queue" when QUERYBUF shows buffers allocated
    and only one other process has the node open: videobuf2 lets only the allocating
    file handle hold buffers, so that process (or a handle it passed on) owns the
    queue.  ``complete`` says the scan read every process (else someone we could not
    see may be the owner)."""
    allocated = sum(q.buffers for q in confirmation.queues)
    in_use = sum(q.in_use for q in confirmation.queues)
    if not allocated or len(views) != 1 or not complete or views[0].owns_queue:
        return views
    (view,) = views
    note = (f"VIDIOC_QUERYBUF from a second handle: {allocated} buffers allocated, "
            f"{in_use} mmapped or exported, and PID {view.pid} is the only process with "
            f"{view.path} open")
    evidence = (*tuple(e for e in view.evidence if not e.startswith("fd: ")), note)
    return [replace(view, owns_queue=True, evidence=evidence)]
