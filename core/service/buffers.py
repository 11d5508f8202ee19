"""Buffer operations over a :class:`Session`: request, create, free, query, map, export,
close, import.  Each returns a frozen :class:`Outcome` (what the kernel granted, and the
one-line summary a front end shows) and raises :class:`MediaError` (already explained by
core) when the kernel refuses.

The TUI runs them in a worker thread under the session lock; the rules they follow are
the kernel's (Documentation/userspace-api/media/v4l/vidioc-reqbufs.rst, vidioc-expbuf.rst,
dmabuf.rst; dvb/dmx-reqbufs.rst).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.abi import v4l2 as v
from core.dmabuf import Dmabuf
from core.dvb import DemuxDevice, DvrDevice
from core.errors import MediaError
from core.service.session import Session
from core.video import VideoDevice, buf_type_name, memory_name


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one operation did.

    ``count``: the buffers granted (request), created (create), queried, mapped, or the
    dma-buf fds exported/closed; ``asked``: the count asked for (request, create);
    ``fds``: the dma-buf fds the operation made or queued (export, import)."""

    op: str  # "request", "create", "free", "query", "map", "export", "close", "import"...
    path: str | None
    summary: str
    count: int = 0
    asked: int | None = None
    fds: tuple[int, ...] = ()


def _video(session: Session, path: str) -> VideoDevice:
    node = session.open(path)
    if not isinstance(node, VideoDevice):
        raise _not_here(path, "This node has no V4L2 buffer queue.")
    return node


QueueNode = VideoDevice | DemuxDevice | DvrDevice


def _queue_node(session: Session, path: str) -> QueueNode:
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


def close_node(session: Session, path: str) -> Outcome:
    """Close the node's handle: its mappings and exports go with it."""
    session.close(path)
    return Outcome("close", path, f"closed {path} (its mappings and exports with it)")


def request(session: Session, path: str, buf_type: int | None, memory: int, count: int,
            dvb_size: int) -> Outcome:
    """REQBUFS (V4L2) or DMX_REQBUFS (DVB, ``dvb_size`` bytes each): what was asked
    against what was granted."""
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        alloc = node.request_buffers(count, dvb_size)
        session.note_dvb_allocation(path, alloc)
        clamped = f" (size clamped to {alloc.size})" if alloc.size_clamped else ""
        return Outcome("request", path, f"DMX_REQBUFS: asked {count} x {dvb_size} B, granted "
                       f"{alloc.count} x {alloc.size} B{clamped}", alloc.count, count)
    buf_type = _need_type(buf_type, path)
    granted = node.request_buffers(buf_type, memory, count)
    minimum = (f", driver minimum {granted.min_buffers}"
               if granted.min_buffers is not None else "")
    return Outcome("request", path, f"REQBUFS {buf_type_name(buf_type)} {memory_name(memory)}: "
                   f"asked {count}, granted {granted.granted}{minimum}", granted.granted, count)


def create(session: Session, path: str, buf_type: int | None, memory: int,
           count: int) -> Outcome:
    """VIDIOC_CREATE_BUFS ``count`` more buffers with the current format."""
    node = session.open(path)
    if not isinstance(node, VideoDevice):
        raise _not_here(path, "DVB has no CREATE_BUFS: DMX_REQBUFS allocates everything.")
    buf_type = _need_type(buf_type, path)
    made = node.create_buffers(buf_type, memory, count)
    last = made.first_index + made.granted - 1
    where = f" (indices {made.first_index}..{last})" if made.granted else ""
    return Outcome("create", path, f"CREATE_BUFS: asked {count}, created {made.granted}{where}",
                   made.granted, count)


def free(session: Session, path: str, buf_type: int | None, dvb_size: int) -> Outcome:
    """REQBUFS(0): unmaps first; exports stay open (orphaned) where the driver allows."""
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        node.request_buffers(0, dvb_size)
        session.note_dvb_allocation(path, None)
        return Outcome("free", path, "DMX_REQBUFS(0): buffers freed")
    buf_type = _need_type(buf_type, path)
    exports = len(node.exports(buf_type))
    node.free_buffers(buf_type)
    orphans = f"; {exports} exported fd(s) keep their buffers alive" if exports else ""
    return Outcome("free", path, f"REQBUFS(0) {buf_type_name(buf_type)}: buffers freed{orphans}",
                   exports)


def query(session: Session, path: str, buf_type: int | None) -> Outcome:
    """VIDIOC_QUERYBUF (DMX_QUERYBUF) every buffer; the queue model takes the answers."""
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        for index in sorted(node.queue.buffers):
            node.query_buffer(index)
        n = len(node.queue.buffers)
        return Outcome("query", path, f"DMX_QUERYBUF: {n} buffer(s)", n)
    states = node.query_all(_need_type(buf_type, path))
    return Outcome("query", path, f"QUERYBUF: {len(states)} buffer(s)", len(states))


def map_all(session: Session, path: str, buf_type: int | None) -> Outcome:
    """mmap every plane of every buffer (MAP_SHARED; read-only for capture)."""
    node = _queue_node(session, path)
    if isinstance(node, DemuxDevice | DvrDevice):
        for index in sorted(node.queue.buffers):
            node.map_buffer(index)
        n = len(node.queue.buffers)
        return Outcome("map", path, f"mapped {n} buffer(s)", n)
    buf_type = _need_type(buf_type, path)
    indices = sorted(node.queue(buf_type).buffers)
    for index in indices:
        node.map_buffer(buf_type, index)
    return Outcome("map", path, f"mapped {len(indices)} buffer(s)", len(indices))


def export(session: Session, path: str, buf_type: int | None, index: int | None,
           plane: int | None, flags: int) -> Outcome:
    """EXPBUF (DMX_EXPBUF) the chosen buffer(s) and plane(s), None meaning every one,
    with ``flags`` (O_CLOEXEC, O_RDONLY/O_RDWR)."""
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
    fds = tuple(e.fd for e in made)
    return Outcome("export", path, f"exported {len(made)} dma-buf fd(s): "
                   + ", ".join(map(str, fds)), len(made), fds=fds)


def close_export(session: Session, fd: int | None) -> Outcome:
    """Close one exported dma-buf fd (the buffer lives on while anything else holds it)."""
    for exported in session.exports():
        if not exported.closed and exported.fd == fd:
            exported.close()
            return Outcome("close export", None, f"closed dma-buf fd {fd}", 1, fds=(fd,))
    raise MediaError(path=None, ioctl=None, errno=None, title="No such export",
                     explanation="Choose a row in the export table first.")


def close_all_exports(session: Session) -> Outcome:
    """Close every exported dma-buf fd of every node."""
    n = session.close_exports()
    return Outcome("close exports", None, f"closed {n} exported dma-buf fd(s)", n)


def import_queue(session: Session, path: str, buf_type: int | None, index: int | None,
                 source: str | None, size: int | None) -> Outcome:
    """QBUF one DMABUF buffer with a dma-buf per plane from ``source``: ``"export:PATH:
    BUF_TYPE:INDEX"`` (another node's exports), ``"alloc:FD"`` (an allocation of this
    session), ``"heap:NAME"`` or ``"udmabuf"`` (allocated now, ``size`` bytes or the
    plane's length)."""
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
    fds = tuple(b.fd for b in dmabufs)
    return Outcome("import", path, f"QBUF buffer {state.index} with dma-buf fd(s) "
                   f"{', '.join(map(str, fds))}: {state.status.value}", 1, fds=fds)


def close_allocations(session: Session) -> Outcome:
    """Close the heap/udmabuf dma-bufs this session allocated."""
    n = session.close_allocations()
    return Outcome("close allocations", None, f"closed {n} allocated dma-buf fd(s)", n)
