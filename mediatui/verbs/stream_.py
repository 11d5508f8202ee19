"""``mediatui stream``: stream a node headless, like ``v4l2-ctl --stream-mmap``, with stats.

Once a second a one-line progress goes to stderr (fps, drops, buffers queued in the
driver); at the end the statistics are printed as text, or as JSON with ``--json``.
Works on capture, output and mem2mem nodes, imports dma-bufs from another node, a
dma-buf heap or udmabuf, links a pipeline (``--to``), and streams a DVB demux/dvr.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import resource
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from core.errors import MediaError
from mediatui.verbs.output import fail, print_json

if TYPE_CHECKING:
    from core.stream import Stream, StreamSnapshot
    from core.video import VideoDevice

# The streaming modules are imported when the verb runs: the CLI builds every verb's
# parser at start-up, and `mediatui list` should not pay for them.

ALL_PIDS = 0x2000
TS_PACKET = 188
_DVB = re.compile(r"/dev/dvb/adapter\d+/(frontend|demux|dvr)\d+$")


def dvb_kind(path: str) -> str | None:
    m = _DVB.search(path)
    return m.group(1) if m else None


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "stream",
        help="stream a node headless and print frame statistics (like v4l2-ctl --stream-mmap)",
        description="Stream buffers from DEVICE, printing a progress line on stderr once a "
        "second and the final statistics at the end. Stops after --count frames, "
        "--duration seconds, or Ctrl-C.",
    )
    p.add_argument("device", help="video node, or /dev/dvb/adapterN/demuxN or dvrN")
    p.add_argument("-n", "--count", type=int, metavar="N", help="stop after N frames (buffers)")
    p.add_argument("-t", "--duration", type=float, metavar="SECONDS", help="stop after SECONDS")
    p.add_argument("-b", "--buffers", type=int, metavar="N",
                   help="buffers to request (default 4; 32 for DVB, whose data is lost "
                   "when every buffer is full)")
    mem = p.add_argument_group("memory (video)")
    mem.add_argument("--memory", choices=("mmap", "dmabuf"), default=None,
                     help="memory type (default mmap; dmabuf needs a source below)")
    src = mem.add_mutually_exclusive_group()
    src.add_argument("--import-from", metavar="DEVICE",
                     help="import DEVICE's exported MMAP buffers (like v4l2-ctl --export-device)")
    src.add_argument("--heap", metavar="NAME", help="import dma-bufs from /dev/dma_heap/NAME")
    src.add_argument("--udmabuf", action="store_true", help="import dma-bufs from /dev/udmabuf")
    src.add_argument("--to", metavar="DEVICE", action="append",
                     help="pipeline: export this node's buffers into DEVICE's OUTPUT queue "
                     "(a mem2mem or video output node); repeat for more stages")
    fmt = p.add_argument_group("format (video)")
    fmt.add_argument("--format", metavar="FOURCC", help="pixel format, e.g. YUYV or NV12M")
    fmt.add_argument("--size", metavar="WxH", help="frame size, e.g. 640x480")
    fmt.add_argument("--fps", type=float, help="frame rate to ask for (VIDIOC_S_PARM)")
    dvb = p.add_argument_group("DVB")
    dvb.add_argument("--pid", type=lambda s: int(s, 0), default=ALL_PIDS,
                     help="PID to filter (default 0x2000: every PID)")
    dvb.add_argument("--buffer-size", type=int, default=256 * TS_PACKET, metavar="BYTES",
                     help="DMX_REQBUFS size (default 256 TS packets)")
    dvb.add_argument("--tune", type=int, metavar="HZ",
                     help="tune the adapter's frontend0 to this DVB-T frequency first")
    p.add_argument("--json", action="store_true", help="final statistics as JSON on stdout")
    p.add_argument("--trace", metavar="FILE",
                   help="write a Perfetto/Chrome JSON trace of every buffer of every queue "
                   "(each pipeline stage) to FILE; open it in ui.perfetto.dev")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    return p


def run(args: argparse.Namespace) -> int:
    as_json = bool(args.json)
    stream: Stream | None = None
    if args.trace and dvb_kind(args.device):
        return fail("--trace: DVB buffers have no trace events to record")
    try:
        with _opened(args) as stream:
            tracing = _Tracing(args) if args.trace else None
            try:
                final = _run(stream, args)
            finally:
                if tracing is not None:
                    tracing.finish(quiet=args.quiet)
    except MediaError as exc:
        last = stream.last if stream is not None else None
        if last is None or last.frames == 0:
            return fail(exc, as_json=as_json)
        # It failed mid-stream (e.g. the device went away): the statistics still count.
        _print(last, as_json)
        return fail(exc)
    except ValueError as exc:
        return fail(str(exc))
    _print(final, as_json)
    return 0


def _print(snap: StreamSnapshot, as_json: bool) -> None:
    if as_json:
        print_json(summary(snap, _cpu()))
    else:
        print(render(snap, _cpu()))


# --- setting up ----------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(args: argparse.Namespace) -> Iterator[Stream]:
    kind = dvb_kind(args.device)
    if kind in ("demux", "dvr"):
        with _dvb(args, kind) as stream:
            yield stream
        return
    if kind == "frontend":
        raise ValueError(f"{args.device} is a frontend: stream its demux or dvr node")
    from core.video import VideoDevice

    devices = [VideoDevice(args.device)]
    try:
        for path in args.to or ():
            devices.append(VideoDevice(path))
        yield _video(devices, args)
    finally:
        for dev in reversed(devices):
            dev.close()


def _video(devices: list[VideoDevice], args: argparse.Namespace) -> Stream:
    from core.stream import (
        ExportSource,
        HeapSource,
        UdmabufSource,
        is_m2m,
        pipeline_stream,
        video_stream,
    )
    from core.stream.pipeline import m2m_types
    from core.video import parse_memory

    dev = devices[0]
    count = args.buffers or 4
    interval = 1.0  # the progress line is once a second; no need for faster snapshots
    m2m = is_m2m(dev)
    main_t = m2m_types(dev)[0] if m2m else dev.capability().buf_types[0]
    _apply_format(dev, main_t, args)
    if m2m:
        fmt = dev.get_format(main_t)
        dev.set_format(m2m_types(dev)[1], width=fmt.width, height=fmt.height)
    if args.to:
        return pipeline_stream(devices, count=count, max_frames=args.count,
                               duration=args.duration, snapshot_interval=interval,
                               query_done=False)
    source: Any = None
    if args.import_from:
        source = ExportSource(args.import_from, match=dev.get_format(main_t))
    elif args.heap:
        source = HeapSource(args.heap)
    elif args.udmabuf:
        source = UdmabufSource()
    memory = args.memory or ("dmabuf" if source is not None else "mmap")
    if memory == "dmabuf" and source is None:
        raise ValueError("--memory dmabuf needs --import-from DEVICE, --heap NAME or --udmabuf")
    if memory == "mmap" and source is not None:
        raise ValueError("a dma-buf source needs --memory dmabuf")
    return video_stream(dev, count=count, memory=parse_memory(memory), source=source,
                        max_frames=args.count, duration=args.duration,
                        snapshot_interval=interval, query_done=False)


def _apply_format(dev: VideoDevice, buf_type: int, args: argparse.Namespace) -> None:
    width = height = None
    if args.size:
        try:
            width, height = (int(x) for x in args.size.lower().split("x"))
        except ValueError:
            raise ValueError(f"--size wants WxH, e.g. 640x480, not {args.size!r}") from None
    if args.format or width is not None:
        dev.set_format(buf_type, width=width, height=height, pixelformat=args.format)
    if args.fps:
        dev.set_frame_rate(buf_type, args.fps)


@contextlib.contextmanager
def _dvb(args: argparse.Namespace, kind: str) -> Iterator[Stream]:
    from core.abi import dvb as d
    from core.dvb import DemuxDevice, DvrDevice, FrontendDevice
    from core.stream import dvb_stream

    adapter = args.device.rsplit("/", 1)[0]
    if args.tune:
        with FrontendDevice(f"{adapter}/frontend0") as fe:
            fe.tune_dvbt(args.tune)
            fe.wait_for_lock(10.0)
    demux: DemuxDevice | None = None
    node: DemuxDevice | DvrDevice
    try:
        # The filter starts once every buffer is queued (see DvbQueue.start).
        if kind == "dvr":
            # The dvr carries what demux filters with DMX_OUT_TS_TAP send it.
            demux = DemuxDevice(f"{adapter}/demux0")
            demux.set_pes_filter(args.pid, output=d.DMX_OUT_TS_TAP, start=False)
            node = DvrDevice(args.device)
        else:
            node = demux = DemuxDevice(args.device)
            demux.set_pes_filter(args.pid, start=False)
        try:
            yield dvb_stream(node, count=args.buffers or 32, size=args.buffer_size,
                             max_frames=args.count, duration=args.duration,
                             snapshot_interval=1.0, start_filter=demux.start)
        finally:
            node.close()
    finally:
        if demux is not None:
            demux.close()


# --- tracing --------------------------------------------------------------------------------


class _Tracing:
    """--trace: one observer per node of the stream (each pipeline stage), started
    before STREAMON, recording every buffer move; written out when the stream ends."""

    def __init__(self, args: argparse.Namespace) -> None:
        from core.service import attach as service

        self.path = args.trace
        self.stop = threading.Event()
        self.observers = []
        self.threads = []
        try:
            for node in [args.device, *(args.to or ())]:
                obs = service.open_observer(node, record=True, snapshot_interval=3600.0)
                self.observers.append(obs)
        except (service.AttachError, MediaError) as exc:
            for obs in self.observers:
                obs.close()
            raise ValueError(f"--trace: {exc}") from None
        for obs in self.observers:
            t = threading.Thread(target=obs.run, args=(self.stop,), name="trace-observer",
                                 daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self, *, quiet: bool) -> None:
        from core.service import attach as service

        self.stop.set()
        for t in self.threads:
            t.join(5.0)
        try:
            n = service.save_trace(self.path, self.observers)
        except OSError as exc:
            print(f"mediatui: --trace {self.path}: {exc.strerror}", file=sys.stderr)
            return
        if not quiet:
            sources = ", ".join(sorted({o.source for o in self.observers}))
            print(f"mediatui: wrote {n} trace events to {self.path} (source {sources}; "
                  "open it in ui.perfetto.dev)", file=sys.stderr)


# --- running -------------------------------------------------------------------------------


def _run(stream: Stream, args: argparse.Namespace) -> StreamSnapshot:
    stop = threading.Event()
    progress = None if args.quiet else _Progress()

    def on_snapshot(snap: StreamSnapshot) -> None:
        if progress is not None:
            progress.show(snap)

    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    global _LOOP_CPU
    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        return stream.run(stop, on_snapshot)
    finally:
        after = resource.getrusage(resource.RUSAGE_SELF)
        _LOOP_CPU = (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)
        if progress is not None:
            progress.done()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, previous)


class _Progress:
    """One line on stderr, rewritten in place on a terminal, appended otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = False

    def show(self, snap: StreamSnapshot) -> None:
        if snap.final or snap.number == 0:
            return
        line = progress_line(snap)
        if self.tty:
            sys.stderr.write("\r\x1b[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.tty and self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.shown = False


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def progress_line(snap: StreamSnapshot) -> str:
    q = snap.main
    queued = f"queued {q.depth.in_driver}/{len(q.buffers)}"
    if q.ts is not None:
        t = q.ts
        return (f"{q.path}: {t.buffers} buffers  {_fmt(t.bytes_per_s, '.0f')} B/s  "
                f"{_fmt(t.packets_per_s, '.0f')} pkt/s  cc errors {t.cc_errors}  "
                f"sync losses {t.sync_losses}  {queued}")
    s = q.stats
    assert s is not None
    return (f"{q.path} {q.name}: {s.frames} frames  {_fmt(s.fps)} fps  "
            f"drops {s.drops}  {queued}")


_LOOP_CPU: tuple[float, float] | None = None


def _cpu() -> dict[str, float]:
    """Process CPU so far, and the part spent in the streaming call itself."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"user_s": usage.ru_utime, "sys_s": usage.ru_stime}
    if _LOOP_CPU is not None:
        out["stream_user_s"], out["stream_sys_s"] = _LOOP_CPU
    return out


def summary(snap: StreamSnapshot, cpu: dict[str, float] | None = None) -> dict[str, Any]:
    """The final statistics as plain values; the full snapshot under ``"snapshot"``."""
    out: dict[str, Any] = {"elapsed_s": snap.elapsed, "state": str(snap.state)}
    if snap.queues:
        q = snap.main
        out["device"] = q.path
        out["queue"] = q.name
        out["memory"] = q.memory
        out["buffers"] = len(q.buffers)
        out["frames"] = q.frames
        if q.stats is not None:
            s = q.stats
            out.update(drops=s.drops, drops_while_queued=s.drops_while_queued,
                       errors=s.errors, fps=s.fps, fps_arrival=s.fps_arrival,
                       fps_overall=s.fps_overall, first_sequence=s.first_sequence,
                       last_sequence=s.last_sequence, warnings=list(s.warnings))
        if q.ts is not None:
            t = q.ts
            out.update(bytes=t.bytes, packets=t.packets, bytes_per_s=t.bytes_per_s,
                       packets_per_s=t.packets_per_s, sync_losses=t.sync_losses,
                       cc_errors=t.cc_errors,
                       cc_errors_by_pid={f"{pid:#06x}": n for pid, n in t.cc_errors_by_pid},
                       dmx_flags=dict(t.dmx_flags))
        out["starvations"] = q.depth.starvations
    if snap.error is not None:
        out["error"] = {"kind": snap.error.kind, "ioctl": snap.error.ioctl,
                        "errno": snap.error.errno_name, "title": snap.error.title,
                        "explanation": snap.error.explanation}
    if cpu is not None:
        out["cpu"] = cpu
    out["snapshot"] = snap.as_dict()
    return out


def render(snap: StreamSnapshot, cpu: dict[str, float] | None = None) -> str:
    """The final statistics as text, one queue per paragraph."""
    lines = [f"streamed for {snap.elapsed:.2f} s ({snap.state})"]
    for k, q in enumerate(snap.queues):
        mark = "*" if k == snap.primary else " "
        head = f"{mark} {q.path} {q.name} ({q.memory} x{len(q.buffers)}"
        head += f", {q.source})" if q.source else ")"
        lines.append(head)
        if q.stats is not None:
            s = q.stats
            lines.append(f"    frames {s.frames}  drops {s.drops}  errors {s.errors}  "
                         f"fps {_fmt(s.fps)} (timestamps) {_fmt(s.fps_arrival)} (arrival)")
            if s.first_sequence is not None:
                lines.append(f"    sequence {s.first_sequence}..{s.last_sequence}  "
                             f"timestamps {s.timestamp_type or '-'}/{s.timestamp_source or '-'}")
            for w in s.warnings:
                lines.append(f"    warning: {w}")
        if q.ts is not None:
            t = q.ts
            lines.append(f"    buffers {t.buffers}  bytes {t.bytes}  packets {t.packets}  "
                         f"{_fmt(t.bytes_per_s, '.0f')} B/s  {_fmt(t.packets_per_s, '.0f')} pkt/s")
            lines.append(f"    sync losses {t.sync_losses}  cc errors {t.cc_errors}  "
                         f"TEI {t.tei_packets}  PIDs {len(t.pid_packets)}")
            for pid, n in t.cc_errors_by_pid:
                lines.append(f"    cc errors on PID {pid:#06x}: {n}")
            flags = ", ".join(f"{name} x{n}" for name, n in t.dmx_flags if n)
            if flags:
                lines.append(f"    dmx flags: {flags}")
        dep = q.depth
        lines.append(f"    driver starved {dep.starvations} time(s), {dep.starved_s:.2f} s")
    if snap.error is not None:
        lines.append(f"error: {snap.error}")
    if cpu is not None:
        lines.append(f"cpu: user {cpu['user_s']:.3f} s  sys {cpu['sys_s']:.3f} s")
    return "\n".join(lines)
