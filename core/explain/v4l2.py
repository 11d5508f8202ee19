"""V4L2 and videobuf2 causes (rules K1-K13 in docs/kernel-rules.md)."""

from __future__ import annotations

import errno as E

from core.explain.registry import Explanation, bad_export_flags, index_text, queue_of, rule
from core.facts import AllocationFacts, BufferFacts, ExportFacts, Facts, FormatFacts

# --- VIDIOC_QUERYCAP, formats -------------------------------------------------------------


@rule(("VIDIOC_QUERYCAP", E.EINVAL))
def _querycap_einval(facts: Facts | None) -> Explanation:
    return (
        "Not a V4L2 node",
        "The driver rejects V4L2 ioctls with EINVAL instead of ENOTTY (a dma-heap or "
        "udmabuf node does): this node has no video capabilities to query.",
    )


def _type_unsupported(buf_type: str) -> Explanation:
    return (
        f"No {buf_type} queue on this node",
        "The node's capabilities (QUERYCAP device_caps) do not offer this buffer type: "
        "pick the type the node has (see `mediatui info`).",
    )


@rule(("VIDIOC_G_FMT", E.EINVAL), ("VIDIOC_S_FMT", E.EINVAL), ("VIDIOC_TRY_FMT", E.EINVAL),
       ("VIDIOC_S_PARM", E.EINVAL))
def _fmt_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, FormatFacts) and facts.type_supported is False:
        return _type_unsupported(facts.buf_type)
    return (
        "Format refused",
        "The buffer type is not supported by this node, or (S_PARM) the driver does not "
        "let the frame interval be set.",
    )


@rule(("VIDIOC_S_FMT", E.EBUSY), ("VIDIOC_S_PARM", E.EBUSY))
def _fmt_busy(facts: Facts | None) -> Explanation:
    queue = queue_of(facts)
    if queue is not None and queue.streaming:
        return ("Queue is streaming", "The format cannot change while streaming: STREAMOFF "
                "and free the buffers (REQBUFS 0) first.")
    if queue is not None and queue.owns_queue:
        return ("Buffers are allocated", "Drivers refuse a new format while buffers sized "
                "for the old one exist: free them with REQBUFS 0 first.")
    return (
        "Format locked by another file handle",
        "Another process has buffers allocated on this node (it owns the queue, K1), so "
        "the format cannot change until it frees them or closes (fuser -v DEVICE).",
    )


# --- VIDIOC_REQBUFS / CREATE_BUFS -------------------------------------------------------


@rule(("VIDIOC_REQBUFS", E.EBUSY), ("VIDIOC_CREATE_BUFS", E.EBUSY))
def _reqbufs_busy(facts: Facts | None) -> Explanation:
    queue = queue_of(facts)
    if queue is not None and queue.streaming:
        return (
            "Queue is streaming",
            "Buffers cannot be (re)allocated while the queue streams: STREAMOFF first.",
        )
    if queue is not None and not queue.owns_queue:
        return (
            "Another file handle owns this queue",
            "videobuf2 gives the queue to the file handle whose REQBUFS/CREATE_BUFS "
            "allocated it; others get EBUSY until it frees them (REQBUFS 0) or closes. "
            "Look for another process with the node open (fuser -v DEVICE).",
        )
    if (isinstance(facts, AllocationFacts) and facts.count == 0 and facts.queue.in_use
            and not facts.queue.orphaned_bufs):
        return (
            "Buffers are still mapped or exported",
            "This queue does not support orphaned buffers (no ORPHANED_BUFS capability), "
            "so REQBUFS cannot free buffers that are still mmapped or have open exported "
            "dma-buf fds: unmap them and close the exports first.",
        )
    return (
        "Queue busy",
        "The queue is streaming, owned by another file handle, or (on drivers without "
        "ORPHANED_BUFS) its buffers are still mapped or exported.",
    )


@rule(("VIDIOC_REQBUFS", E.EINVAL), ("VIDIOC_CREATE_BUFS", E.EINVAL))
def _reqbufs_einval(facts: Facts | None) -> Explanation:
    memory = facts.memory if isinstance(facts, AllocationFacts) else "this"
    if isinstance(facts, AllocationFacts) and facts.memory_mismatch:
        return (
            "Memory type differs from the existing buffers",
            f"CREATE_BUFS must use the memory type of the buffers already allocated "
            f"({facts.queue.memory}); free them with REQBUFS 0 to switch.",
        )
    return (
        f"{memory} buffers not supported on this queue",
        f"The buffer type is not supported by this node, or the queue does not support "
        f"{memory} memory (see the probe's memory types), or (CREATE_BUFS) the format's "
        f"plane sizes are invalid.",
    )


@rule(("VIDIOC_CREATE_BUFS", E.ENOBUFS), ("VIDIOC_REQBUFS", E.ENOBUFS))
def _create_enobufs(facts: Facts | None) -> Explanation:
    most = facts.max_num_buffers if isinstance(facts, AllocationFacts) else None
    return (
        "Queue is full",
        f"The queue already holds its maximum number of buffers "
        f"(max_num_buffers={most if most is not None else 'not reported'}).",
    )


# --- VIDIOC_QUERYBUF / mmap --------------------------------------------------------------



@rule(("VIDIOC_QUERYBUF", E.EINVAL))
def _querybuf_einval(facts: Facts | None) -> Explanation:
    return (
        f"No buffer {index_text(facts)} on this queue",
        "The index is out of range or the buffer type is wrong for this queue "
        "(indices come from REQBUFS/CREATE_BUFS; they can be sparse).",
    )


@rule(("mmap", E.EACCES))
def _mmap_eacces(facts: Facts | None) -> Explanation:
    return (
        "Mapping not allowed by the open mode",
        "The node (or dma-buf) was opened without the access the mapping asks for: "
        "PROT_WRITE needs an fd opened read-write. The node's permissions are not the cause.",
    )


@rule(("mmap", E.EINVAL))
def _mmap_einval(facts: Facts | None) -> Explanation:
    return (
        "Cannot map this buffer",
        "Only MMAP queues can be mapped, with MAP_SHARED, a length no larger than the "
        "plane and the offset cookie from QUERYBUF.",
    )


# --- VIDIOC_EXPBUF / DMX_EXPBUF ------------------------------------------------------------



@rule(("VIDIOC_EXPBUF", E.EINVAL))
def _expbuf_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, ExportFacts):
        queue = facts.queue
        if facts.type_supported is False:
            return _type_unsupported(queue.buf_type)
        if queue.memory is not None and queue.memory != "mmap":
            return (
                "Queue is not in MMAP mode",
                f"VIDIOC_EXPBUF exports MMAP buffers only; this queue holds {queue.memory} "
                "buffers. Request MMAP buffers to export them.",
            )
        if facts.bad_flags:
            return bad_export_flags(facts)
        if facts.bad_index:
            return (
                f"No buffer {facts.index} on this queue",
                f"Valid indices are those allocated with REQBUFS/CREATE_BUFS "
                f"({queue.num_buffers} buffer(s) here).",
            )
        if facts.bad_plane:
            if facts.multiplanar:
                detail = f"the format has {facts.num_planes} plane(s), numbered from 0"
            else:
                detail = "the single-planar API requires plane 0"
            return (f"Plane {facts.plane} does not exist", f"Invalid plane: {detail}.")
        if not queue.owns_queue:
            return ("No buffers allocated", "Allocate MMAP buffers with REQBUFS first.")
    return (
        "Export refused",
        "The queue is not in MMAP mode, or DMABUF exporting is not supported by its "
        "allocator, or the flags, type, index or plane fields are invalid.",
    )


@rule(("VIDIOC_EXPBUF", E.ENOTTY))
def _expbuf_enotty(facts: Facts | None) -> Explanation:
    return (
        "Exporting is not supported",
        "The driver has no VIDIOC_EXPBUF handler (it does not use videobuf2's "
        "helpers), so its buffers cannot be shared as dma-bufs.",
    )


@rule(("VIDIOC_EXPBUF", E.EBUSY))
def _expbuf_ebusy(facts: Facts | None) -> Explanation:
    return (
        "Queue owned by another file handle",
        "Only the file handle that allocated the buffers can export them "
        "(or read()/write() emulation is active).",
    )



# --- VIDIOC_QBUF / DQBUF / PREPARE_BUF ------------------------------------------------------


@rule(("VIDIOC_QBUF", E.EINVAL), ("VIDIOC_PREPARE_BUF", E.EINVAL))
def _qbuf_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, BufferFacts):
        plane = facts.dmabuf
        if plane is not None and plane.too_small:
            return (
                "dma-buf too small for this plane",
                f"Plane {plane.plane} needs at least {plane.min_length} bytes but the "
                f"dma-buf has {plane.dmabuf_size} (videobuf2: 'invalid dmabuf length'). "
                "Allocate a larger buffer or pick a smaller format.",
            )
        if plane is not None and plane.not_a_dmabuf:
            return (
                "Not a dma-buf fd",
                "The fd passed in m.fd is not an open dma-buf file descriptor.",
            )
        if not facts.exists:
            return (
                f"No buffer {index_text(facts)} on this queue",
                "The index is out of range for this queue.",
            )
        if facts.state and facts.state != "dequeued":
            return (
                f"Buffer {facts.index} is {facts.state}",
                "Only a buffer that is with the application (dequeued) can be queued; "
                "a buffer already queued must be dequeued first.",
            )
    return (
        "Queueing refused",
        "The buffer is not with the application, the index or memory type is wrong, "
        "or (DMABUF) the dma-buf is invalid or smaller than the plane needs.",
    )


@rule(("VIDIOC_QBUF", E.EBADR), ("VIDIOC_PREPARE_BUF", E.EBADR))
def _qbuf_ebadr(facts: Facts | None) -> Explanation:
    return (
        "This queue needs the Request API",
        "The driver (a stateless codec) only takes buffers bound to a media request "
        "(V4L2_BUF_FLAG_REQUEST_FD, K12); mediatui queues buffers directly, which such "
        "queues refuse.",
    )


@rule(("VIDIOC_QBUF", E.EFAULT), ("VIDIOC_PREPARE_BUF", E.EFAULT))
def _qbuf_efault(facts: Facts | None) -> Explanation:
    source = facts.import_source if isinstance(facts, BufferFacts) else None
    if source == "udmabuf":
        return (
            "The queue cannot map this udmabuf",
            "videobuf2-vmalloc maps an imported dma-buf into the kernel with "
            "dma_buf_vmap(), and udmabuf on this kernel (6.1) has no vmap: QBUF fails "
            "with EFAULT. Use a dma-heap buffer or another device's export instead.",
        )
    return (
        "The queue could not map the dma-buf",
        "videobuf2 maps (pins) an imported dma-buf at QBUF time. vmalloc queues need "
        "dma_buf_vmap() (udmabuf on 6.1 has none); dma-contig queues need physically "
        "contiguous memory ('contiguous chunk is too small'): try a CMA heap.",
    )


@rule(("VIDIOC_QBUF", E.EBUSY), ("VIDIOC_DQBUF", E.EBUSY), ("VIDIOC_STREAMON", E.EBUSY),
       ("VIDIOC_PREPARE_BUF", E.EBUSY), ("VIDIOC_STREAMOFF", E.EBUSY))
def _qbuf_busy(facts: Facts | None) -> Explanation:
    return (
        "Queue owned by another file handle",
        "Only the file handle that allocated the buffers may queue, dequeue or stream.",
    )


@rule(("VIDIOC_DQBUF", E.EAGAIN), ("DMX_DQBUF", E.EAGAIN))
def _dqbuf_eagain(facts: Facts | None) -> Explanation:
    return (
        "No buffer ready",
        "The node is non-blocking and no buffer is done yet: poll() and try again.",
    )


@rule(("VIDIOC_DQBUF", E.EINVAL))
def _dqbuf_einval(facts: Facts | None) -> Explanation:
    queue = queue_of(facts)
    if queue is None or not queue.streaming:
        return (
            "Queue is not streaming",
            "DQBUF only works between STREAMON and STREAMOFF.",
        )
    return (
        "Dequeue refused",
        "The buffer type or memory type does not match the queue, or it is not streaming.",
    )


@rule(("VIDIOC_DQBUF", E.EPIPE))
def _dqbuf_epipe(facts: Facts | None) -> Explanation:
    return (
        "Last buffer already dequeued",
        "A mem2mem queue returned its LAST buffer (end of stream / drain): restart "
        "streaming to continue.",
    )


@rule(("VIDIOC_DQBUF", E.EIO), ("VIDIOC_QBUF", E.EIO))
def _qbuf_eio(facts: Facts | None) -> Explanation:
    return (
        "Queue in error state",
        "The driver flagged an unrecoverable error (or lost the signal): STREAMOFF and "
        "start again.",
    )


# --- STREAMON / STREAMOFF -------------------------------------------------------------------


@rule(("VIDIOC_STREAMON", E.EINVAL))
def _streamon_einval(facts: Facts | None) -> Explanation:
    queue = queue_of(facts)
    if queue is not None and queue.num_buffers == 0:
        return ("No buffers allocated", "Request buffers with REQBUFS before STREAMON.")
    if queue is not None and queue.min_buffers is not None and \
            queue.num_buffers < queue.min_buffers:
        return (
            "Too few buffers",
            f"The driver needs at least {queue.min_buffers} buffers to stream; the queue "
            f"has {queue.num_buffers}.",
        )
    return (
        "STREAMON refused",
        "The buffer type is wrong, no buffers are allocated, or fewer than the driver's "
        "minimum are allocated.",
    )


@rule(("VIDIOC_STREAMOFF", E.EINVAL))
def _streamoff_einval(facts: Facts | None) -> Explanation:
    return (
        "STREAMOFF refused",
        "The buffer type is not one this node has (K13: STREAMOFF succeeds for the right "
        "type even without STREAMON).",
    )


@rule(("VIDIOC_STREAMON", E.EPIPE))
def _streamon_epipe(facts: Facts | None) -> Explanation:
    return (
        "Media-controller link validation failed",
        "The pipeline this node belongs to did not validate when streaming started: an "
        "enabled link joins pads whose formats (size, media bus code, field) differ, or "
        "a required link is not enabled. `mediatui check VIDEO` names the link; fix it "
        "with media-ctl -V / -l.",
    )


@rule(("VIDIOC_STREAMON", E.ENOSPC), ("VIDIOC_STREAMON", E.ENOLINK))
def _streamon_pipeline(facts: Facts | None) -> Explanation:
    return (
        "Pipeline not configured",
        "A media-controller pipeline must be linked and its formats must match on every "
        "pad (media-ctl) before this node can stream.",
    )
