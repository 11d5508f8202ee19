"""The one owner of every fd a front end opens: device nodes, their exports, and the
dma-bufs it allocated for importing.

Neither the TUI's panels nor the CLI's verbs open a node themselves.  A second handle
on a node cannot touch the first one's queue (videobuf2 answers EBUSY), so "open" here is
idempotent per path and every caller works on the same :class:`VideoDevice` /
:class:`DemuxDevice`.  The TUI makes every device call in worker threads under
:attr:`Session.lock`; what leaves the session is a frozen
:class:`DeviceView` built under the same lock.
"""

from __future__ import annotations

import contextlib
import threading

from core.dmabuf import Dmabuf, DmaHeap, Udmabuf
from core.errors import MediaError
from core.queue import QueueState
from core.record import record

# The device classes (and the format and DVB tables behind them) load with the first
# node opened, not with the session: the TUI builds a Session before its first frame
# (issue 16). Each function below imports what it uses.
TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from core.dvb import DemuxDevice, DvbAllocation, DvrDevice, FrontendDevice
    from core.video import VideoDevice

    Node = VideoDevice | DemuxDevice | DvrDevice | FrontendDevice


def __getattr__(name: str) -> object:
    """``Node`` (the union of the device classes) for modules that import it (PEP 562)."""
    if name == "Node":
        from core.dvb import DemuxDevice, DvrDevice, FrontendDevice
        from core.video import VideoDevice

        return VideoDevice | DemuxDevice | DvrDevice | FrontendDevice
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# Node kinds (discovery's DeviceNode.kind) that have no buffer queue to open.
NO_QUEUE_KINDS = ("media", "v4l-subdev")


@record
class DmabufRow:
    """One dma-buf fd the app owns, with what /proc/self/fdinfo says about it now."""

    fd: int
    kind: str  # "export", "heap" or "udmabuf"
    path: str  # exporting node, heap node or /dev/udmabuf
    buf_type: str | None
    index: int | None
    plane: int | None
    flags: int | None  # EXPBUF flags (exports only)
    size: int
    exp_name: str | None
    inode: int | None
    count: int | None
    queued_on: str | None = None  # "video3 buf 1 plane 0" when an import uses it

    @property
    def origin(self) -> str:
        if self.kind == "export":
            return f"{self.path} {self.buf_type} buf {self.index} plane {self.plane}"
        return f"{self.kind} {self.path}"


@record
class DeviceView:
    """Everything the buffer/export/import panels show, frozen at one instant."""

    path: str
    kind: str  # "video", "dvb-demux", "dvb-dvr", "dvb-frontend", "none"
    is_open: bool
    removed: bool
    buf_types: tuple[int, ...]
    queues: tuple[QueueState, ...]
    dvb_allocation: DvbAllocation | None
    exports: tuple[DmabufRow, ...]  # every export the app holds, all devices
    allocations: tuple[DmabufRow, ...]  # heap/udmabuf dma-bufs the app allocated
    heaps: tuple[str, ...]
    udmabuf: bool
    error: str | None = None

    def queue(self, buf_type: int) -> QueueState | None:
        return next((q for q in self.queues if q.buf_type == buf_type), None)


def node_class(path: str) -> type[Node]:
    """The device class for a node path: DVB nodes by their name (``/dev/dvb/adapterN/
    demuxM``...), everything else is a V4L2 video node."""
    from core.inspect import dvb_kind

    kind = dvb_kind(path)
    if kind is None:  # a video node loads no DVB module (issue 16)
        from core.video import VideoDevice

        return VideoDevice
    from core.dvb import DemuxDevice, DvrDevice, FrontendDevice

    if kind == "demux":
        return DemuxDevice
    if kind == "dvr":
        return DvrDevice
    return FrontendDevice


def view_kind(node: Node | None, path: str) -> str:
    """``"video"``, ``"dvb-demux"``, ``"dvb-dvr"``, ``"dvb-frontend"`` (or ``"none"``)."""
    from core.dvb import DemuxDevice, DvrDevice, FrontendDevice
    from core.video import VideoDevice

    cls = type(node) if node is not None else node_class(path)
    return {VideoDevice: "video", DemuxDevice: "dvb-demux", DvrDevice: "dvb-dvr",
            FrontendDevice: "dvb-frontend"}.get(cls, "none")


def available_heaps() -> tuple[str, ...]:
    """dma-heaps on the system, plus those a virtual backend (demo mode) serves."""
    return tuple(DmaHeap.available())


def udmabuf_available() -> bool:
    """``/dev/udmabuf`` exists (or the virtual backend serves it)."""
    return Udmabuf.available()


def row_for(buf: Dmabuf, queued_on: str | None = None) -> DmabufRow:
    """fdinfo of one dma-buf as a frozen row; a vanished fd reads as size 0."""
    origin = buf.origin
    try:
        info = buf.info()
        size, exp_name, inode, count = info.size, info.exp_name, info.inode, info.count
    except (OSError, ValueError):
        size, exp_name, inode, count = 0, None, None, None
    fd = -1 if buf.closed else buf.fd
    return DmabufRow(fd, origin.kind, origin.path, origin.buf_type, origin.index, origin.plane,
                     getattr(buf, "flags", None), size, exp_name, inode, count, queued_on)


class Session:
    """Open nodes by path, dma-buf allocations, and the last DVB allocation per node.

    A context manager: leaving the ``with`` block closes everything (:meth:`close_all`)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._nodes: dict[str, Node] = {}
        self._removed: set[str] = set()
        self._dvb_allocations: dict[str, DvbAllocation] = {}
        self.allocations: list[Dmabuf] = []

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close_all()

    # --- nodes ------------------------------------------------------------------------

    def open(self, path: str) -> Node:
        """The node's one handle, opened on first use (raises MediaError)."""
        from core.inspect import dvb_kind

        with self.lock:
            node = self._nodes.get(path)
            if node is not None and not node.closed:
                return node
            if path in self._removed:
                raise MediaError(path=path, ioctl="open", errno=None, title="Device removed",
                                 explanation="The node went away (unplugged or unbound); "
                                 "it can be opened again if it comes back.")
            # Inspecting never disturbs: a frontend is opened read-only, as dvb-fe-tool
            # does (tuning opens its own read-write handle, StreamRun.tune).
            if dvb_kind(path) == "frontend":
                from core.dvb import FrontendDevice

                opened: Node = FrontendDevice.read_only(path)
            else:
                opened = node_class(path)(path)
            self._nodes[path] = opened
            return opened

    def get(self, path: str) -> Node | None:
        """The open handle of ``path``, or None (never opens)."""
        with self.lock:
            node = self._nodes.get(path)
            return node if node is not None and not node.closed else None

    def is_open(self, path: str) -> bool:
        """``path`` has an open handle in this session."""
        return self.get(path) is not None

    @property
    def open_paths(self) -> tuple[str, ...]:
        """Every path with an open handle, in the order they were opened."""
        with self.lock:
            return tuple(p for p, n in self._nodes.items() if not n.closed)

    def close(self, path: str) -> None:
        """Close one node: its mappings and exports go with it (the kernel frees the
        buffers once no dma-buf refers to them)."""
        with self.lock:
            node = self._nodes.pop(path, None)
            self._dvb_allocations.pop(path, None)
            if node is not None:
                node.close()

    def mark_removed(self, path: str) -> bool:
        """Hotplug said the node is gone: close our handle.  True if we had it open."""
        with self.lock:
            had = self.get(path) is not None
            self._removed.add(path)
            with contextlib.suppress(OSError, MediaError):
                self.close(path)
            return had

    def mark_present(self, path: str) -> None:
        """Hotplug (or a rescan) saw the node again: it may be opened again."""
        with self.lock:
            self._removed.discard(path)

    def is_removed(self, path: str) -> bool:
        """The node went away and has not come back."""
        return path in self._removed

    def close_all(self) -> None:
        """Everything, on exit: nodes (with their exports), then our allocations."""
        with self.lock:
            for path in list(self._nodes):
                with contextlib.suppress(OSError, MediaError):
                    self.close(path)
            self.close_allocations()

    # --- dma-bufs ---------------------------------------------------------------------

    def note_dvb_allocation(self, path: str, allocation: DvbAllocation | None) -> None:
        """Remember what DMX_REQBUFS granted (DVB has no QUERYBUF for the size asked)."""
        with self.lock:
            if allocation is None:
                self._dvb_allocations.pop(path, None)
            else:
                self._dvb_allocations[path] = allocation

    def allocate(self, source: str, size: int) -> Dmabuf:
        """A dma-buf from ``"heap:NAME"`` or ``"udmabuf"``, owned until closed."""
        with self.lock:
            if source.startswith("heap:"):
                buf = DmaHeap(source.removeprefix("heap:")).allocate(size)
            else:
                buf = Udmabuf().allocate(size)
            self.allocations.append(buf)
            return buf

    def close_allocations(self) -> int:
        """Close every heap/udmabuf dma-buf allocated here; how many were still open."""
        with self.lock:
            closed = sum(1 for b in self.allocations if not b.closed)
            for buf in self.allocations:
                buf.close()
            self.allocations.clear()
            return closed

    def exports(self) -> list[Dmabuf]:
        """Every open export the app holds, all nodes."""
        from core.dvb import FrontendDevice

        with self.lock:
            out: list[Dmabuf] = []
            for node in self._nodes.values():
                if not isinstance(node, FrontendDevice) and not node.closed:
                    out += node.exports()
            return out

    def close_exports(self) -> int:
        """Close every exported dma-buf fd of every node; how many were open."""
        from core.dvb import FrontendDevice

        with self.lock:
            return sum(
                node.close_exports()
                for node in self._nodes.values()
                if not isinstance(node, FrontendDevice) and not node.closed
            )

    # --- snapshots --------------------------------------------------------------------

    def view(self, path: str | None, *, queue_less: bool = False) -> DeviceView | None:
        """The frozen state of one node plus the app-wide dma-buf lists.

        ``queue_less``: a media or subdev node, which the session never opens."""
        from core.dvb import DemuxDevice, DvrDevice
        from core.video import VideoDevice

        if path is None:
            return None
        with self.lock:
            node = None if queue_less else self.get(path)
            buf_types: tuple[int, ...] = ()
            queues: tuple[QueueState, ...] = ()
            error = None
            if isinstance(node, VideoDevice):
                try:
                    buf_types = node.capability().buf_types
                except MediaError as exc:
                    error = exc.title
                queues = tuple(node.queue_state(t) for t in buf_types)
            elif isinstance(node, DemuxDevice | DvrDevice):
                queues = (node.queue_state(),)
            imports = self._imports()
            return DeviceView(
                path=path,
                kind="none" if queue_less else view_kind(node, path),
                is_open=node is not None,
                removed=path in self._removed,
                buf_types=buf_types,
                queues=queues,
                dvb_allocation=self._dvb_allocations.get(path),
                exports=tuple(row_for(e) for e in self.exports()),
                allocations=tuple(row_for(b, imports.get(id(b)))
                                  for b in self.allocations if not b.closed),
                heaps=available_heaps(),
                udmabuf=udmabuf_available(),
                error=error,
            )

    def _imports(self) -> dict[int, str]:
        """id(Dmabuf) -> where it is queued, for the allocations table."""
        from core.video import VideoDevice

        out: dict[int, str] = {}
        for path, node in self._nodes.items():
            if not isinstance(node, VideoDevice) or node.closed:
                continue
            for queue in node.queues.values():
                for buf in queue.buffers.values():
                    for p, plane in enumerate(buf.planes):
                        if isinstance(plane.imported, Dmabuf):
                            name = path.rsplit("/", 1)[-1]
                            out[id(plane.imported)] = f"{name} buf {buf.index} plane {p}"
        return out
