"""The user's actions as plain functions over the :class:`Session`: each runs in a worker
thread under the session lock, returns the one-line summary the UI notifies, and raises
:class:`MediaError` (already explained by core) when the kernel refuses.

No Textual here: the screen decides when to run them, these decide what they do.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.abi import v4l2 as v
from core.dmabuf import Dmabuf
from core.dvb import DemuxDevice, DvrDevice
from core.errors import MediaError
from core.video import VideoDevice, buf_type_name, memory_name
from mediatui.session import Node, Session


def _video(session: Session, path: str) -> VideoDevice:
    node = session.open(path)
    if not isinstance(node, VideoDevice):
        raise _not_here(path, "This node has no V4L2 buffer queue.")
    return node


def _queue_node(session: Session, path: str) -> Node:
    node = session.open(path)
    if not isinstance(node, VideoDevice | DemuxDevice | DvrDevice):
        raise _not_here(path, "A DVB frontend has no buffers: use the adapter's demux or dvr.")
    return node


def _not_here(path: str, why: str) -> MediaError:
    return MediaError(path=path, ioctl=None, errno=None, title="No buffer queue here",
                      explanation=why)


def _need_type(buf_type: int | None, path: str) -> int:
    if buf_type is None:
        raise MediaError(path=path, ioctl=None, errno=None, title="No buffer type chosen",
                         explanation="This node reports no streaming buffer type.")
    return buf_type


def open_node(session: Session, path: str) -> str:
    session.open(path)
    return f"opened {path}"


def close_node(session: Session, path: str) -> str:
    session.close(path)
    return f"closed {path} (its mappings and exports with it)"


def request(session: Session, path: str, buf_type: int | None, memory: int, count: int,
            dvb_size: int) -> str:
    """REQBUFS (V4L2) or DMX_REQBUFS (DVB): what was asked against what was granted."""
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        alloc = node.request_buffers(count, dvb_size)
        session.note_dvb_allocation(path, alloc)
        clamped = f" (size clamped to {alloc.size})" if alloc.size_clamped else ""
        return f"DMX_REQBUFS: asked {count} x {dvb_size} B, granted {alloc.count} x " \
               f"{alloc.size} B{clamped}"
    buf_type = _need_type(buf_type, path)
    alloc = node.request_buffers(buf_type, memory, count)
    minimum = f", driver minimum {alloc.min_buffers}" if alloc.min_buffers is not None else ""
    return (f"REQBUFS {buf_type_name(buf_type)} {memory_name(memory)}: asked {count}, "
            f"granted {alloc.granted}{minimum}")


def create(session: Session, path: str, buf_type: int | None, memory: int, count: int) -> str:
    node = session.open(path)
    if not isinstance(node, VideoDevice):
        raise _not_here(path, "DVB has no CREATE_BUFS: DMX_REQBUFS allocates everything.")
    buf_type = _need_type(buf_type, path)
    alloc = node.create_buffers(buf_type, memory, count)
    last = alloc.first_index + alloc.granted - 1
    where = f" (indices {alloc.first_index}..{last})" if alloc.granted else ""
    return f"CREATE_BUFS: asked {count}, created {alloc.granted}{where}"


def free(session: Session, path: str, buf_type: int | None, dvb_size: int) -> str:
    """REQBUFS(0): unmaps first; exports stay open (orphaned) where the driver allows."""
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        node.request_buffers(0, dvb_size)
        session.note_dvb_allocation(path, None)
        return "DMX_REQBUFS(0): buffers freed"
    buf_type = _need_type(buf_type, path)
    exports = len(node.exports(buf_type))
    node.free_buffers(buf_type)
    orphans = f"; {exports} exported fd(s) keep their buffers alive" if exports else ""
    return f"REQBUFS(0) {buf_type_name(buf_type)}: buffers freed{orphans}"


def query(session: Session, path: str, buf_type: int | None) -> str:
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        for index in sorted(node.queue.buffers):
            node.query_buffer(index)
        return f"DMX_QUERYBUF: {len(node.queue.buffers)} buffer(s)"
    states = node.query_all(_need_type(buf_type, path))
    return f"QUERYBUF: {len(states)} buffer(s)"


def map_all(session: Session, path: str, buf_type: int | None) -> str:
    """mmap every plane of every buffer (MAP_SHARED; read-only for capture)."""
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        for index in sorted(node.queue.buffers):
            node.map_buffer(index)
        return f"mapped {len(node.queue.buffers)} buffer(s)"
    buf_type = _need_type(buf_type, path)
    indices = sorted(node.queue(buf_type).buffers)
    for index in indices:
        node.map_buffer(buf_type, index)
    return f"mapped {len(indices)} buffer(s)"


def export(session: Session, path: str, buf_type: int | None, index: int | None,
           plane: int | None, flags: int) -> str:
    """EXPBUF the chosen buffer(s) and plane(s); None means every one."""
    node = _queue_node(session, path)
    made = []
    if isinstance(node, DemuxDevice | DvrDevice):
        indices = [index] if index is not None else sorted(node.queue.buffers)
        for i in indices:
            made.append(node.export_buffer(i, flags))
    else:
        buf_type = _need_type(buf_type, path)
        buffers = node.queue(buf_type).buffers
        indices = [index] if index is not None else sorted(buffers)
        for i in indices:
            entry = buffers.get(i)
            planes: Sequence[int]
            if plane is not None:
                planes = [plane]
            else:
                planes = range(len(entry.planes) if entry is not None else 1)
            for p in planes:
                made.append(node.export_buffer(buf_type, i, p, flags))
    if not made:
        raise MediaError(path=path, ioctl="VIDIOC_EXPBUF", errno=None,
                         title="Nothing to export",
                         explanation="The queue has no buffers: request MMAP buffers first.")
    fds = ", ".join(str(e.fd) for e in made)
    return f"exported {len(made)} dma-buf fd(s): {fds}"


def close_export(session: Session, fd: int | None) -> str:
    for exported in session.exports():
        if not exported.closed and exported.fd == fd:
            exported.close()
            return f"closed dma-buf fd {fd}"
    raise MediaError(path=None, ioctl=None, errno=None, title="No such export",
                     explanation="Choose a row in the export table first.")


def close_all_exports(session: Session) -> str:
    return f"closed {session.close_exports()} exported dma-buf fd(s)"


def import_queue(session: Session, path: str, buf_type: int | None, index: int | None,
                 source: str | None, size: int | None) -> str:
    """QBUF one DMABUF buffer with a dma-buf per plane from ``source``."""
    node = _video(session, path)
    buf_type = _need_type(buf_type, path)
    queue = node.queue(buf_type)
    if queue.memory != v.V4L2_MEMORY_DMABUF:
        raise MediaError(path=path, ioctl="VIDIOC_QBUF", errno=None,
                         title="Not a DMABUF queue",
                         explanation="Importing needs buffers requested with memory dmabuf: "
                         "choose it in Buffers and Request.")
    if index is None or source is None:
        raise MediaError(path=path, ioctl="VIDIOC_QBUF", errno=None,
                         title="Choose a buffer and a source", explanation="")
    entry = queue.buffers.get(index)
    lengths = [p.length for p in entry.planes] if entry is not None else [0]
    dmabufs: list[Dmabuf]
    if source.startswith("export:"):
        _, src_path, src_type, src_index = source.split(":", 3)
        dmabufs = sorted(
            (e for e in session.exports()
             if e.origin.path == src_path and e.origin.buf_type == src_type
             and str(e.origin.index) == src_index),
            key=lambda e: e.origin.plane or 0)
    elif source.startswith("alloc:"):
        fd = int(source.removeprefix("alloc:"))
        dmabufs = [b for b in session.allocations if not b.closed and b.fd == fd]
    else:
        dmabufs = [session.allocate(source, size or length) for length in lengths]
    # Explicit lengths: for output queues vb2 checks bytesused against the length QBUF
    # passes, and 0 ("the dma-buf's size") would fail that check with EINVAL.
    lengths = [b.size for b in dmabufs]
    state = node.queue_buffer(buf_type, index, dmabufs=dmabufs, lengths=lengths)
    fds = ", ".join(str(b.fd) for b in dmabufs)
    return f"QBUF buffer {state.index} with dma-buf fd(s) {fds}: {state.status.value}"


def close_allocations(session: Session) -> str:
    return f"closed {session.close_allocations()} allocated dma-buf fd(s)"
