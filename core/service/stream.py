"""Setting a stream up and tearing it down, for the TUI's stream views and ``mediatui stream``.

One :class:`StreamSpec` says what to stream (a node, or a pipeline of nodes; buffers,
memory, a dma-buf source, format; DVB tuning and filter); :class:`StreamRun` opens each
node through the :class:`~core.service.session.Session` (a second handle on a node would
get EBUSY on its queue), prepares it and builds the :class:`core.stream.Stream`, and
:meth:`StreamRun.close` closes what it opened.  :func:`run_stream` is the whole blocking
life of a stream (the TUI's thread worker body): a failure before the engine starts is
turned into a final snapshot too, so a caller has one way to learn that a stream ended,
and why.

DVB follows one order for every caller (D4 in docs/kernel-rules.md; the warning in
:mod:`core.stream.dvbqueue`): tune the frontend and wait for the lock, set the PES filter
up *stopped*, DMX_REQBUFS, DMX_QBUF every buffer, then DMX_START.  A filter started
before its buffers are queued delivers into a partly queued ring and the stream can
begin with continuity errors.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.abi import dvb as d
from core.dvb import ALL_PIDS, TS_PACKET, DemuxDevice, DvrDevice, FrontendDevice
from core.errors import DeviceGone, MediaError
from core.formats import parse_memory
from core.inspect import dvb_kind
from core.limits import check_count_max, check_fourcc
from core.service.failure import unexpected
from core.service.session import Node, Session
from core.stream import (
    ErrorInfo,
    ExportSource,
    HeapSource,
    Stream,
    StreamSnapshot,
    StreamState,
    UdmabufSource,
    dvb_stream,
    is_m2m,
    pipeline_stream,
    video_stream,
)
from core.stream.pipeline import m2m_types
from core.video import VideoDevice

DEFAULT_FREQUENCY = 474_000_000  # vidtv's only valid DVB-T frequency by default
MAX_BUFFERS = 32
VIDEO_BUFFERS = 4
# DVB data that finds every buffer full is lost (a continuity error on every PID).  vidtv
# sends ~2.3 MB/s; 32 buffers (the most dvb_vb2 allows) of 1024 packets (6 MB in all)
# ride out a reader stalled for ~2.5 s, as when the TUI paints a new screen in a slow
# guest (256 packets, 0.6 s, lost data nine times in 10 s there; the CLI kept up).
DVB_BUFFERS = MAX_BUFFERS
DVB_BUFFER_SIZE = 1024 * TS_PACKET
LOCK_TIMEOUT_S = 10.0

Clock = Callable[[], float]
SnapshotSink = Callable[[StreamSnapshot], None]
NoteSink = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What to stream, and how.

    ``paths``: one node, or capture → mem2mem … → output (a zero-copy pipeline).
    Video: ``memory`` ``"mmap"`` or ``"dmabuf"``; ``source`` the dma-bufs a DMABUF queue
    imports: ``"export:PATH"`` (another node's MMAP buffers), ``"heap:NAME"`` or
    ``"udmabuf"``; ``pixelformat``/``width``/``height``/``fps`` are asked for with S_FMT
    and S_PARM before REQBUFS (None: leave the driver's).
    DVB: ``frequency`` the DVB-T frequency in Hz to tune first (0: do not tune), ``pid``
    the PES filter (:data:`~core.dvb.ALL_PIDS` for all), ``buffer_size`` the
    DMX_REQBUFS size in bytes.  ``max_frames``/``duration`` (s) end the stream.
    """

    paths: tuple[str, ...]
    count: int = VIDEO_BUFFERS  # buffers per queue
    memory: str = "mmap"
    source: str | None = None
    pixelformat: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frequency: int = DEFAULT_FREQUENCY
    pid: int = ALL_PIDS
    buffer_size: int = DVB_BUFFER_SIZE
    max_frames: int | None = None
    duration: float | None = None
    label: str = ""  # the node's name, e.g. "vivid-000-vid-cap" (device text: untrusted)

    @classmethod
    def default(cls, path: str, *, label: str = "") -> StreamSpec:
        """``path`` streamed the way both front ends do by default (DVB: 32 buffers)."""
        spec = cls((path,), label=label)
        return spec if not spec.is_dvb else cls((path,), count=DVB_BUFFERS, label=label)

    @property
    def path(self) -> str:
        return self.paths[0]

    @property
    def is_dvb(self) -> bool:
        """A demux or dvr node: streamed through the DVB mmap API."""
        return dvb_kind(self.path) in ("demux", "dvr")

    @property
    def title(self) -> str:
        names = " → ".join(p.removeprefix("/dev/") for p in self.paths)
        return f"{names} {self.label}" if self.label and len(self.paths) == 1 else names


def failed_snapshot(error: MediaError, clock: Clock = time.monotonic) -> StreamSnapshot:
    """The final snapshot of a stream that never started (open, tune or setup failed)."""
    return StreamSnapshot(number=0, time=clock(), elapsed=0.0, state=StreamState.FAILED,
                          queues=(), primary=0, error=ErrorInfo.from_error(error), final=True)


class StreamRun:
    """One run of a spec: the nodes it opened (and closes again), the built stream.

    ``snapshot_interval`` (s) paces the engine's snapshots; ``query_done`` re-reads each
    dequeued buffer with QUERYBUF for the lanes (the TUI; the CLI skips it); ``note``
    hears each set-up step as one line (tuned, filter set...)."""

    def __init__(self, session: Session, spec: StreamSpec, *, clock: Clock = time.monotonic,
                 snapshot_interval: float = 0.1, query_done: bool = True,
                 note: NoteSink = lambda _s: None) -> None:
        self.session = session
        self.spec = spec
        self.clock = clock
        self.snapshot_interval = snapshot_interval
        self.query_done = query_done
        self.note = note
        self.opened: list[str] = []  # paths this run opened in the session
        self.stream: Stream | None = None
        self._filter: DemuxDevice | None = None  # a dvr's TS_TAP filter handle
        self._tuner: FrontendDevice | None = None  # the read-write frontend handle
        self._stats_fe: FrontendDevice | None = None  # read-only, for DTV_STAT_*

    def _open(self, path: str) -> Node:
        with self.session.lock:
            was_open = self.session.is_open(path)
            node = self.session.open(path)
        if not was_open:
            self.opened.append(path)
        return node

    def build(self) -> Stream:
        """Open, prepare and build (blocking: tuning and REQBUFS can take a while).

        Raises :class:`MediaError` (the refused open/ioctl, explained) and ValueError (a
        pipeline of one node)."""
        self.stream = self._dvb() if self.spec.is_dvb else self._video()
        return self.stream

    # --- video ------------------------------------------------------------------------

    def _video(self) -> Stream:
        spec = self.spec
        devices = []
        for path in spec.paths:
            node = self._open(path)
            if not isinstance(node, VideoDevice):
                raise MediaError(path=path, ioctl=None, errno=None, title="Not a video node",
                                 explanation="Only video, demux and dvr nodes have buffer "
                                 "queues to stream, and only video nodes make a pipeline.")
            devices.append(node)
        dev = devices[0]
        m2m = is_m2m(dev)
        main_t = m2m_types(dev)[0] if m2m else dev.capability().buf_types[0]
        if spec.count > VIDEO_BUFFERS:
            # vb2 would clamp to the queue's maximum without a word: refuse instead.
            most = dev.probe([main_t])[0].max_num_buffers  # None: not reported (pre-6.8)
            check_count_max(spec.count, MAX_BUFFERS if most is None else most)
        self._apply_format(dev, main_t)
        if m2m:
            # The CAPTURE side of a mem2mem follows the size of its OUTPUT side.
            fmt = dev.get_format(main_t)
            dev.set_format(m2m_types(dev)[1], width=fmt.width, height=fmt.height)
        common = {"count": spec.count, "max_frames": spec.max_frames, "duration": spec.duration,
                  "clock": self.clock, "snapshot_interval": self.snapshot_interval,
                  "query_done": self.query_done}
        if len(devices) > 1:
            return pipeline_stream(devices, **common)  # type: ignore[arg-type]
        source = self._source(dev, main_t)
        return video_stream(dev, memory=parse_memory(spec.memory), source=source,
                            **common)  # type: ignore[arg-type]

    def _apply_format(self, dev: VideoDevice, buf_type: int) -> None:
        spec = self.spec
        if spec.pixelformat is not None:
            # S_FMT would silently replace an unknown fourcc with the driver's choice.
            check_fourcc(spec.pixelformat, [f.fourcc for f in dev.formats(buf_type)])
        if spec.pixelformat is not None or spec.width is not None:
            fmt = dev.set_format(buf_type, width=spec.width, height=spec.height,
                                 pixelformat=spec.pixelformat)
            self.note(f"S_FMT: {fmt}")
        if spec.fps:
            num, den = dev.set_frame_rate(buf_type, spec.fps)
            self.note(f"S_PARM: {num}/{den} s per frame")

    def _source(self, dev: VideoDevice, buf_type: int) -> object | None:
        source = self.spec.source
        if source is None:
            return None
        if source.startswith("export:"):
            return ExportSource(source.removeprefix("export:"), match=dev.get_format(buf_type))
        if source.startswith("heap:"):
            return HeapSource(source.removeprefix("heap:"))
        if source == "udmabuf":
            return UdmabufSource()
        raise ValueError(f"unknown dma-buf source {source!r}")

    # --- DVB --------------------------------------------------------------------------

    def _dvb(self) -> Stream:
        spec = self.spec
        # dvb_vb2_reqbufs -> vb2_core_reqbufs clamps to VB2_MAX_FRAME (32 on 6.1).
        check_count_max(spec.count, MAX_BUFFERS)
        adapter = spec.path.rsplit("/", 1)[0]
        frontend = f"{adapter}/frontend0"
        if spec.frequency:
            self.tune(frontend)
        # Statistics come from a read-only open (dvb-fe-tool's way): it works whether this
        # run tuned or another program (dvbv5-zap) holds the frontend.
        try:
            self._stats_fe = FrontendDevice.read_only(frontend)
        except MediaError as exc:
            self.note(f"no frontend statistics: {exc.title}")
        node = self._open(spec.path)
        start: Callable[[], None]
        if isinstance(node, DvrDevice):
            # Every open of a demux is one more filter: this handle only routes the
            # PID to the dvr (DMX_OUT_TS_TAP) and never touches a buffer queue.
            self._filter = DemuxDevice(f"{adapter}/demux0")
            self._filter.set_pes_filter(spec.pid, output=d.DMX_OUT_TS_TAP, start=False)
            start = self._filter.start
            self.note(f"demux0: TS_TAP filter on PID {spec.pid:#06x} feeds {spec.path} "
                      "(set up stopped)")
        elif isinstance(node, DemuxDevice):
            node.set_pes_filter(spec.pid, start=False)
            start = node.start
            self.note(f"DMX_SET_PES_FILTER PID {spec.pid:#06x} (TSDEMUX_TAP), set up stopped")
        else:
            raise MediaError(path=spec.path, ioctl=None, errno=None, title="Not a demux or dvr",
                             explanation="DVB streaming runs on a demux or dvr node.")
        self.note(f"DMX_REQBUFS {spec.count} x {spec.buffer_size} B, DMX_QBUF each, "
                  "then DMX_START")
        return dvb_stream(node, count=spec.count, size=spec.buffer_size,
                          max_frames=spec.max_frames, duration=spec.duration,
                          clock=self.clock, snapshot_interval=self.snapshot_interval,
                          start_filter=start, frontend=self._stats_fe)

    def tune(self, frontend: str, timeout: float = LOCK_TIMEOUT_S) -> int:
        """FE_SET_PROPERTY DVB-T at the spec's frequency, then poll FE_READ_STATUS for a
        lock (vidtv: no TS data reaches the demux until it locks); the fe_status bits.

        The frontend stays open until :meth:`close` (closing it lets the frontend thread
        put the tuner to sleep).  Tuning needs the read-write open (the frontend's one
        writer), so it is this run's own handle: the session opens frontends read-only
        to inspect them (FrontendDevice.read_only)."""
        if dvb_kind(frontend) != "frontend":
            raise MediaError(path=frontend, ioctl=None, errno=None, title="Not a frontend",
                             explanation="Tuning needs the adapter's frontend node.")
        if self._tuner is None or self._tuner.closed:
            self._tuner = FrontendDevice(frontend)
        node = self._tuner
        node.tune_dvbt(self.spec.frequency)
        status = node.wait_for_lock(timeout)
        names = " ".join(n.removeprefix("FE_HAS_") for n in d.fe_status_names(status))
        self.note(f"tuned DVB-T {self.spec.frequency / 1e6:.3f} MHz: status {status:#x} {names}")
        return status

    # --- teardown ---------------------------------------------------------------------

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
        if self._tuner is not None:  # last, as the first thing opened
            with contextlib.suppress(MediaError, OSError):
                self._tuner.close()
            self._tuner = None

    def __enter__(self) -> StreamRun:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


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
        final = failed_snapshot(unexpected("The stream", exc), run.clock)
        sink(final)
    finally:
        run.close()
    return final
