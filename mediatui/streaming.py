"""Building and running one core stream for the UI, with the session's device handles.

No Textual here: :func:`run_stream` is the blocking body of a stream view's thread
worker.  It opens each node through the :class:`~mediatui.session.Session` (a second
handle on a node would get EBUSY on its queue), prepares DVB (tune the frontend, set the
demux filter), builds the :class:`core.stream.Stream` and runs it until the stop event.
Everything it reports is a frozen :class:`StreamSnapshot` or a plain string; a failure
before the engine starts is turned into a final snapshot too, so the view has one way
to learn that a stream ended, and why.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.abi import dvb as d
from core.dvb import TS_PACKET, DemuxDevice, DvrDevice, FrontendDevice
from core.errors import DeviceGone, MediaError
from core.inspect import FRONTEND_READ_FLAGS, dvb_kind
from core.stream import (
    ErrorInfo,
    Stream,
    StreamSnapshot,
    StreamState,
    dvb_stream,
    pipeline_stream,
    video_stream,
)
from core.video import VideoDevice
from mediatui.session import Session

ALL_PIDS = 0x2000  # the demux's "every PID" filter
DEFAULT_FREQUENCY = 474_000_000  # vidtv's only valid DVB-T frequency by default
MAX_BUFFERS = 32

Clock = Callable[[], float]
SnapshotSink = Callable[[StreamSnapshot], None]
NoteSink = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What one stream view streams: a node, or a pipeline of nodes, and how."""

    paths: tuple[str, ...]  # one node, or capture → mem2mem … → output
    count: int = 4  # buffers per queue
    frequency: int = DEFAULT_FREQUENCY  # DVB: DVB-T frequency to tune, 0 = do not tune
    pid: int = ALL_PIDS  # DVB: the PES filter
    buffer_size: int = 64 * TS_PACKET  # DVB: DMX_REQBUFS size
    label: str = ""  # the node's name, e.g. "vivid-000-vid-cap" (device text: untrusted)

    @property
    def path(self) -> str:
        return self.paths[0]

    @property
    def is_dvb(self) -> bool:
        return dvb_kind(self.path) in ("demux", "dvr")

    @property
    def title(self) -> str:
        names = " → ".join(p.removeprefix("/dev/") for p in self.paths)
        return f"{names} {self.label}" if self.label and len(self.paths) == 1 else names


def failed_snapshot(error: MediaError, clock: Clock = time.monotonic) -> StreamSnapshot:
    """The final snapshot of a stream that never started (open, tune or setup failed)."""
    return StreamSnapshot(number=0, time=clock(), elapsed=0.0, state=StreamState.FAILED,
                          queues=(), primary=0, error=ErrorInfo.from_error(error), final=True)


def unexpected(exc: BaseException) -> MediaError:
    """A bug or an odd system state, still explained instead of killing the worker."""
    return MediaError(path=None, ioctl=None, errno=getattr(exc, "errno", None),
                      title="The stream failed unexpectedly",
                      explanation=f"{type(exc).__name__}: {exc}")


class StreamRun:
    """One run of a spec: the nodes it opened (and closes again), the built stream."""

    def __init__(self, session: Session, spec: StreamSpec, *, clock: Clock = time.monotonic,
                 snapshot_interval: float = 0.1, note: NoteSink = lambda _s: None) -> None:
        self.session = session
        self.spec = spec
        self.clock = clock
        self.snapshot_interval = snapshot_interval
        self.note = note
        self.opened: list[str] = []  # paths this run opened in the session
        self.stream: Stream | None = None
        self._filter: DemuxDevice | None = None  # a dvr's TS_TAP filter handle
        self._stats_fe: FrontendDevice | None = None  # read-only frontend for statistics

    def _open(self, path: str) -> VideoDevice | DemuxDevice | DvrDevice | FrontendDevice:
        with self.session.lock:
            was_open = self.session.is_open(path)
            node = self.session.open(path)
        if not was_open:
            self.opened.append(path)
        return node

    def build(self) -> Stream:
        """Open, prepare and build (in the worker: tuning and REQBUFS can take a while)."""
        spec = self.spec
        if spec.is_dvb:
            self.stream = self._dvb()
            return self.stream
        devices = []
        for path in spec.paths:
            node = self._open(path)
            if not isinstance(node, VideoDevice):
                raise MediaError(path=path, ioctl=None, errno=None, title="Not a video node",
                                 explanation="Only video, demux and dvr nodes have buffer "
                                 "queues to stream, and only video nodes make a pipeline.")
            devices.append(node)
        if len(devices) > 1:
            self.stream = pipeline_stream(devices, count=spec.count, clock=self.clock,
                                          snapshot_interval=self.snapshot_interval)
        else:
            self.stream = video_stream(devices[0], count=spec.count, clock=self.clock,
                                       snapshot_interval=self.snapshot_interval)
        return self.stream

    def _dvb(self) -> Stream:
        spec = self.spec
        adapter = spec.path.rsplit("/", 1)[0]
        frontend = f"{adapter}/frontend0"
        if spec.frequency:
            self.tune(frontend)
        # Statistics come from a read-only open (dvb-fe-tool's way): it works whether this
        # run tuned or another program (dvbv5-zap) holds the frontend.
        try:
            self._stats_fe = FrontendDevice(frontend, FRONTEND_READ_FLAGS)
        except MediaError as exc:
            self.note(f"no frontend statistics: {exc.title}")
        node = self._open(spec.path)
        if isinstance(node, DvrDevice):
            # Every open of a demux is one more filter: this handle only routes the
            # PID to the dvr (DMX_OUT_TS_TAP) and never touches a buffer queue.
            self._filter = DemuxDevice(f"{adapter}/demux0")
            self._filter.set_pes_filter(spec.pid, output=d.DMX_OUT_TS_TAP)
            self.note(f"demux0: TS_TAP filter on PID {spec.pid:#06x} feeds {spec.path}")
        elif isinstance(node, DemuxDevice):
            node.set_pes_filter(spec.pid)
            self.note(f"DMX_SET_PES_FILTER PID {spec.pid:#06x} (TSDEMUX_TAP), started")
        else:
            raise MediaError(path=spec.path, ioctl=None, errno=None, title="Not a demux or dvr",
                             explanation="DVB streaming runs on a demux or dvr node.")
        self.note(f"DMX_REQBUFS {spec.count} x {spec.buffer_size} B, then DMX_QBUF each: "
                  "the first QBUF starts the queue")
        return dvb_stream(node, count=spec.count, size=spec.buffer_size, clock=self.clock,
                          snapshot_interval=self.snapshot_interval, frontend=self._stats_fe)

    def tune(self, frontend: str, timeout: float = 10.0) -> int:
        """FE_SET_PROPERTY DVB-T, then poll FE_READ_STATUS for a lock (vidtv: no TS data
        reaches the demux until it locks)."""
        node = self._open(frontend)
        assert isinstance(node, FrontendDevice)
        node.tune_dvbt(self.spec.frequency)
        status = node.wait_for_lock(timeout)
        names = " ".join(n.removeprefix("FE_HAS_") for n in d.fe_status_names(status))
        self.note(f"tuned DVB-T {self.spec.frequency / 1e6:.3f} MHz: status {status:#x} {names}")
        return status

    def close(self) -> None:
        """Close what this run opened.  A DVB node is always closed: DMX_STOP does not stop
        its vb2 queue, only closing the fd frees the buffers (a later REQBUFS would be EBUSY)."""
        if self._filter is not None:
            with contextlib.suppress(MediaError, OSError):
                self._filter.close()
            self._filter = None
        if self._stats_fe is not None:
            with contextlib.suppress(MediaError, OSError):
                self._stats_fe.close()
            self._stats_fe = None
        paths = list(self.opened)
        if self.spec.is_dvb and self.spec.path not in paths:
            paths.append(self.spec.path)
        for path in reversed(paths):
            with contextlib.suppress(MediaError, OSError, ValueError):
                self.session.close(path)
        self.opened.clear()


def run_stream(
    run: StreamRun,
    stop: threading.Event,
    sink: SnapshotSink,
    on_built: Callable[[Stream], None] = lambda _s: None,
) -> StreamSnapshot:
    """Build, stream until ``stop`` (or an error), clean up; always ends with a final
    snapshot through ``sink``, which is also returned.  Device removal marks the node
    removed in the session so nobody reuses the dead handle."""
    final: StreamSnapshot | None = None
    try:
        stream = run.build()
        on_built(stream)
        final = stream.run(stop, sink)
    except MediaError as exc:
        final = run.stream.last if run.stream is not None else None
        if final is None or not final.final:
            final = failed_snapshot(exc, run.clock)
            sink(final)
        if isinstance(exc, DeviceGone) and exc.path:
            run.session.mark_removed(exc.path)
    except Exception as exc:  # a bug must not leave the view waiting forever
        final = failed_snapshot(unexpected(exc), run.clock)
        sink(final)
    finally:
        run.close()
    return final
