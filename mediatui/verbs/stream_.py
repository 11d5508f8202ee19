"""``mediatui stream``: stream a node headless, like ``v4l2-ctl --stream-mmap``, with stats.

Once a second a one-line progress goes to stderr (fps, drops, buffers queued in the
driver); at the end the statistics are printed as text, or as JSON with ``--json``.
Works on capture, output and mem2mem nodes, imports dma-bufs from another node, a
dma-buf heap or udmabuf, links a pipeline (``--to``), and streams a DVB demux/dvr.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.dvblimits import ALL_PIDS
from core.untrusted import escape
from mediatui.verbs import options
from mediatui.verbs.output import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    escaped_lines,
    fail,
    print_json,
)
from mediatui.verbs.render import fract_text

if TYPE_CHECKING:
    from core.service.stream import StreamSpec
    from core.stream import Stream, StreamSnapshot

# The streaming modules are imported when the verb runs: the CLI builds every verb's
# parser at start-up, and `mediatui list` should not pay for them.


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "stream",
        help="stream a node headless and print frame statistics (like v4l2-ctl --stream-mmap)",
        description="Stream buffers from DEVICE, printing a progress line on stderr once a "
        "second and the final statistics at the end. Stops after --count frames, "
        "--duration seconds (whichever comes first), or Ctrl-C. Every value is checked "
        "against the kernel field it fills before the device is opened: a bad one is a "
        "usage error (exit 2) naming the option and the allowed range. What the driver "
        "changed (buffer count, DVB buffer size, format, frame rate) is said on stderr.",
    )
    p.add_argument("device", help="video node, or /dev/dvb/adapterN/demuxN or dvrN")
    p.add_argument("-n", "--count", type=options.frame_count(), metavar="N",
                   help="stop after N frames (DVB: buffers); 0 or absent: until stopped "
                   "(like v4l2-ctl --stream-count=0)")
    p.add_argument("-t", "--duration", type=options.duration(), metavar="SECONDS",
                   help="stop after SECONDS (a positive number); absent: until stopped")
    p.add_argument("-b", "--buffers", type=options.buffer_count(), metavar="N",
                   help="buffers to request, 1 to the queue's maximum (32 on 6.1; default "
                   "4; 32 for DVB, whose data is lost when every buffer is full)")
    mem = p.add_argument_group("memory (video)")
    mem.add_argument("--memory", choices=("mmap", "dmabuf"), default=None,
                     help="memory type (default mmap; dmabuf needs a source below)")
    src = mem.add_mutually_exclusive_group()
    src.add_argument("--import-from", metavar="DEVICE",
                     help="import DEVICE's exported MMAP buffers (like v4l2-ctl --export-device)")
    src.add_argument("--heap", metavar="NAME", type=options.heap_name(),
                     help="import dma-bufs from /dev/dma_heap/NAME (a name, not a path)")
    src.add_argument("--udmabuf", action="store_true", help="import dma-bufs from /dev/udmabuf")
    src.add_argument("--to", metavar="DEVICE", action="append",
                     help="pipeline: export this node's buffers into DEVICE's OUTPUT queue "
                     "(a mem2mem or video output node); repeat for more stages")
    fmt = p.add_argument_group("format (video)")
    fmt.add_argument("--format", metavar="FOURCC", type=options.fourcc(),
                     help="pixel format, e.g. YUYV or NV12M: one the node lists "
                     "(mediatui info DEVICE), else refused")
    fmt.add_argument("--size", metavar="WxH", type=options.frame_size(),
                     help="frame size, e.g. 640x480")
    fmt.add_argument("--fps", type=options.frame_rate(),
                     help="frame rate to ask for (VIDIOC_S_PARM), a positive number")
    dvb = p.add_argument_group("DVB")
    dvb.add_argument("--pid", type=options.pid(), default=None,
                     help="PID to filter, 0 to 0x1fff (default 0x2000: every PID)")
    dvb.add_argument("--buffer-size", type=options.byte_size(), default=None,
                     metavar="BYTES", help="DMX_REQBUFS size, 1 to 2^32-1 (default 1024 TS "
                     "packets; best a multiple of 188)")
    dvb.add_argument("--tune", type=options.frequency(), metavar="HZ",
                     help="tune the adapter's frontend0 to this DVB-T frequency first")
    p.add_argument("--json", action="store_true", help="final statistics as JSON on stdout")
    p.add_argument("--trace", metavar="FILE",
                   help="write a Perfetto/Chrome JSON trace of every buffer of every queue "
                   "(each pipeline stage) to FILE; open it in ui.perfetto.dev")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    return p


def run(args: argparse.Namespace) -> int:
    """Stream, print the statistics, and return the exit code: 0; 1 when the device
    failed or no data arrived (why, on stderr); 2 for a usage error; 130 on Ctrl-C."""
    from core.errors import MediaError
    from core.limits import OptionError

    as_json = bool(args.json)
    if not args.count:
        args.count = None  # 0: until stopped (the engine's max_frames=None)
    stream: Stream | None = None
    report: Report | None = None
    if args.trace:
        from core.inspect import dvb_kind

        if dvb_kind(args.device) is not None:
            return fail("--trace: DVB buffers have no trace events to record",
                        as_json=as_json)
    try:
        spec = stream_spec(args)
        with _opened(spec, progress=shows_progress(args)) as stream:
            report = Report(requested=requested(args, spec), negotiated=None)
            tracing = _Tracing(args) if args.trace else None
            try:
                final = _run(stream, args, report)
            finally:
                if tracing is not None:
                    tracing.finish(quiet=args.quiet)
    except MediaError as exc:
        last = stream.last if stream is not None else None
        # A set-up failure leaves a snapshot without queues: nothing was streamed.
        if last is None or not last.queues or last.frames == 0:
            return fail(exc, as_json=as_json)
        # It failed mid-stream (e.g. the device went away): the statistics still count.
        _print(last, as_json, report)
        return fail(exc)
    except OptionError as exc:
        # A value the node itself refuses (a fourcc it does not offer, more buffers than
        # its queue holds): a usage error like argparse's, before any buffer exists.
        return fail(f"stream: error: argument {exc}", as_json=as_json, code=EXIT_USAGE)
    except ValueError as exc:
        return fail(str(exc), as_json=as_json, code=EXIT_USAGE)
    _print(final, as_json, report)
    if report is not None and report.interrupted:
        return EXIT_INTERRUPTED
    why = no_data_reason(final)
    if why is not None:
        print(escape(f"mediatui: {why}"), file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _print(snap: StreamSnapshot, as_json: bool, report: Report | None) -> None:
    if as_json:
        print_json("stream", summary(snap, _cpu(), report))
    else:
        print(render(snap, _cpu(), report))


# --- setting up ----------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(spec: StreamSpec, *, progress: bool = True) -> Iterator[Stream]:
    """The stream the arguments describe, set up by the service layer (the same
    :class:`~core.service.stream.StreamRun` as the TUI's stream views) and torn down
    when the block ends."""
    from core.service.session import Session
    from core.service.stream import StreamRun

    # The progress line is once a second: no need for faster snapshots, nor for
    # re-reading every dequeued buffer with QUERYBUF as the TUI's lanes do; with no
    # progress line nobody reads them, so none are made but the final one.
    with Session() as session, StreamRun(session, spec,
                                         snapshot_interval=1.0 if progress else None,
                                         query_done=False) as stream_run:
        yield stream_run.build()


def stream_spec(args: argparse.Namespace) -> StreamSpec:
    """The :class:`StreamSpec` for the command line; ValueError names a bad option."""
    from core.inspect import dvb_kind
    from core.service.stream import DVB_BUFFER_SIZE, DVB_BUFFERS, VIDEO_BUFFERS, StreamSpec

    kind = dvb_kind(args.device)
    if kind == "frontend":
        raise ValueError(f"{args.device} is a frontend: stream its demux or dvr node")
    if kind in ("demux", "dvr"):
        size = args.buffer_size if args.buffer_size is not None else DVB_BUFFER_SIZE
        return StreamSpec((args.device,), count=args.buffers or DVB_BUFFERS,
                          frequency=args.tune or 0,
                          pid=ALL_PIDS if args.pid is None else args.pid, buffer_size=size,
                          max_frames=args.count, duration=args.duration)
    width, height = args.size if args.size else (None, None)
    source = None
    if args.import_from:
        source = f"export:{args.import_from}"
    elif args.heap:
        source = f"heap:{args.heap}"
    elif args.udmabuf:
        source = "udmabuf"
    memory = args.memory or ("dmabuf" if source is not None else "mmap")
    if not args.to:
        if memory == "dmabuf" and source is None:
            raise ValueError("--memory dmabuf needs --import-from DEVICE, --heap NAME or "
                             "--udmabuf")
        if memory == "mmap" and source is not None:
            raise ValueError("a dma-buf source needs --memory dmabuf")
    return StreamSpec((args.device, *(args.to or ())), count=args.buffers or VIDEO_BUFFERS,
                      memory=memory,
                      source=source, pixelformat=args.format, width=width, height=height,
                      fps=args.fps, max_frames=args.count, duration=args.duration)


# --- tracing --------------------------------------------------------------------------------


JOIN_S = 60.0  # how long --trace waits for an observer to stop


class _Tracing:
    """--trace: :class:`core.service.attach.TraceRecorder` on every node of the stream,
    started before STREAMON; written out when the stream ends."""

    def __init__(self, args: argparse.Namespace) -> None:
        from core.errors import MediaError
        from core.service import attach as service

        self.path = args.trace
        self.recorder = service.TraceRecorder([args.device, *(args.to or ())])
        try:
            self.recorder.start()
        except (service.AttachError, MediaError) as exc:
            raise ValueError(f"--trace: {exc}") from None

    def finish(self, *, quiet: bool) -> None:
        try:
            n, warnings = self.recorder.finish(self.path, join_s=JOIN_S)
        except OSError as exc:
            print(f"mediatui: --trace {self.path}: {exc.strerror}", file=sys.stderr)
            return
        for warning in warnings:
            print(f"mediatui: --trace: {warning}", file=sys.stderr)
        if not quiet:
            print(f"mediatui: wrote {n} trace events to {self.path} (source "
                  f"{self.recorder.sources}; open it in ui.perfetto.dev)", file=sys.stderr)


# --- running -------------------------------------------------------------------------------


def shows_progress(args: argparse.Namespace) -> bool:
    """The progress line goes to stderr unless --quiet, or --json with stderr not a
    terminal (a script collects the document; nobody watches the line)."""
    return not args.quiet and (not args.json or sys.stderr.isatty())


def _run(stream: Stream, args: argparse.Namespace, report: Report) -> StreamSnapshot:
    progress = _Progress() if shows_progress(args) else None

    said = False

    def on_snapshot(snap: StreamSnapshot) -> None:
        nonlocal said
        if not said and snap.queues:
            said = True  # the first snapshot after REQBUFS: what the driver granted
            say_adjustments(snap, args, report)
        if progress is not None:
            progress.show(snap)

    def on_sigint(*_: object) -> None:
        report.interrupted = True
        # Wakes the loop through its eventfd, whatever its poll timeout, without the
        # lock stop() takes (the interrupted main thread may hold it: core.wakeup).
        stream.stop_from_signal()

    report.negotiated = negotiated(stream)
    size = report.requested.get("buffer_size_bytes")
    if size is not None:
        from core.adjusted import ts_size_warning

        warning = ts_size_warning(size)
        if warning is not None:
            report.warnings.append(warning)
            print(f"mediatui: warning: {warning}", file=sys.stderr)
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_sigint)
    global _LOOP_CPU
    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        return stream.run(None, on_snapshot)
    finally:
        after = resource.getrusage(resource.RUSAGE_SELF)
        _LOOP_CPU = (after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)
        if progress is not None:
            progress.done()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, previous)
        report.granted = granted(stream)
        if report.negotiated is not None:
            report.negotiated["buffers"] = stream.queues[stream.primary].count


class _Progress:
    """One line on stderr, rewritten in place on a terminal, appended otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = False

    def show(self, snap: StreamSnapshot) -> None:
        if snap.final or snap.number == 0:
            return
        line = escape(progress_line(snap))
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


def progress_line(snap: StreamSnapshot, *, drops: bool = True) -> str:
    """The once-a-second line on stderr. ``drops=False`` for an observer that cannot
    count them (QUERYBUF sampling misses frames without their being dropped)."""
    q = snap.main
    queued = f"queued {q.depth.in_driver}/{len(q.buffers)}"
    if q.ts is not None:
        t = q.ts
        line = (f"{q.path}: {t.buffers} buffers  {_fmt(t.bytes_per_s, '.0f')} B/s  "
                f"{_fmt(t.packets_per_s, '.0f')} pkt/s  cc errors {t.cc_errors}  "
                f"sync losses {t.sync_losses}  {queued}")
        return "  ".join((line, *t.warnings))  # why nothing arrives (core.stream.stall)
    s = q.stats
    assert s is not None
    counted = f"drops {s.drops}" if drops else "drops not counted"
    return f"{q.path} {q.name}: {s.frames} frames  {_fmt(s.fps)} fps  {counted}  {queued}"


_LOOP_CPU: tuple[float, float] | None = None


def _cpu() -> dict[str, float]:
    """Process CPU so far, and the part spent in the streaming call itself."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"user_s": usage.ru_utime, "sys_s": usage.ru_stime}
    if _LOOP_CPU is not None:
        out["stream_user_s"], out["stream_sys_s"] = _LOOP_CPU
    return out


# --- the report --------------------------------------------------------------------------


@dataclass
class Report:
    """What the verb knows besides the snapshots: the request, what the driver gave."""

    requested: dict[str, Any]
    negotiated: dict[str, Any] | None
    granted: dict[str, Any] | None = None  # DVB: DMX_REQBUFS count and size granted
    interrupted: bool = False  # Ctrl-C ended the stream
    warnings: list[str] = field(default_factory=list)  # set-up warnings (DVB size % 188)


def say_adjustments(snap: StreamSnapshot, args: argparse.Namespace, report: Report) -> None:
    """On stderr, one line per value the driver changed (core.adjusted): the buffer
    count each queue was granted, the DVB buffer size, the format and frame rate."""
    from core import adjusted

    found: list[adjusted.Adjustment | None] = []
    asked_count = report.requested.get("buffers")
    for q in snap.queues:
        ioctl = "DMX_REQBUFS" if q.role == "dvb" else "VIDIOC_REQBUFS"
        if asked_count is not None:
            found.append(adjusted.buffer_count(q.path, ioctl, asked_count, len(q.buffers)))
        size = report.requested.get("buffer_size_bytes")
        if q.role == "dvb" and size is not None and q.buffers and q.buffers[0].planes:
            found.append(adjusted.buffer_size(q.path, ioctl, size,
                                              q.buffers[0].planes[0].length))
    got = report.negotiated
    if got is not None and snap.queues:
        path = snap.queues[0].path
        found.append(adjusted.pixel_format(path, args.format, args.size, got["fourcc"],
                                           got["width"], got["height"]))
        interval = got.get("frame_interval")
        if args.fps and interval:
            found.append(adjusted.frame_rate(path, args.fps, interval["numerator"],
                                             interval["denominator"]))
    for a in found:
        if a is not None:
            print(escape(f"mediatui: {a.path}: {a.message}"), file=sys.stderr)


def requested(args: argparse.Namespace, spec: StreamSpec) -> dict[str, Any]:
    """The ``requested`` record: video ``{fourcc, width, height, frame_interval}`` (null
    where the driver's current value is kept), DVB ``{pid, buffer_size_bytes}``; both
    with ``buffers`` (the count REQBUFS asks for), as the set-up asks for them."""
    if spec.is_dvb:
        return {"buffers": spec.count, "pid": spec.pid, "buffer_size_bytes": spec.buffer_size}
    from core.negotiation import VideoRequest

    width, height = args.size if args.size else (None, None)
    req = VideoRequest.from_fps(args.format, width, height, args.fps).as_dict()
    return {"buffers": spec.count, **req}


def negotiated(stream: Stream) -> dict[str, Any] | None:
    """The main queue's format and frame interval read back after set-up (G_FMT,
    G_PARM), with ``adjusted``: the requested keys the driver changed.  None for DVB."""
    from core.negotiation import read_negotiated
    from core.stream.vqueue import VideoQueue

    q = stream.queues[stream.primary]
    if not isinstance(q, VideoQueue):
        return None
    got = read_negotiated(q.dev, q.buf_type)
    return None if got is None else got.as_dict()


def granted(stream: Stream) -> dict[str, Any] | None:
    """DVB: the DMX_REQBUFS count and size the driver granted (None before allocation)."""
    from core.stream.dvbqueue import DvbQueue

    q = stream.queues[stream.primary]
    if not isinstance(q, DvbQueue) or not q.count:
        return None
    return {"buffers": q.count, "buffer_size_bytes": q.size}


def _adjusted(report: Report) -> list[str]:
    from core.negotiation import adjusted

    return adjusted(report.requested, report.negotiated or report.granted)


def no_data_reason(snap: StreamSnapshot) -> str | None:
    """Why a stream that ended normally is still a failure: it received no data."""
    if not snap.queues or snap.error is not None:
        return None
    q = snap.main
    if q.ts is not None:
        if q.ts.bytes:
            return None
        return (f"{q.path}: no data: 0 TS packets in {snap.elapsed:.1f} s. Nothing matched "
                "the PID filter, or the frontend is not tuned and locked (try --tune HZ, "
                "or check `mediatui info` on the frontend).")
    if q.frames:
        return None
    what = "returned" if q.role == "output" else "filled"
    return (f"{q.path}: no data: the driver {what} no buffer in {snap.elapsed:.1f} s "
            f"({q.name}, {len(q.buffers)} buffers queued). Is the source producing frames "
            "(input selected, signal present, pipeline linked)?")


def summary(snap: StreamSnapshot, cpu: dict[str, float] | None = None,
            report: Report | None = None) -> dict[str, Any]:
    """The ``mediatui.stream/1`` payload: the main queue's statistics as plain values,
    what was requested and what the driver gave, the full snapshot under ``"snapshot"``."""
    from core.stream.snapshot import per_pid

    out: dict[str, Any] = {"elapsed_s": snap.elapsed, "state": str(snap.state)}
    if snap.queues:
        q = snap.main
        out["path"] = q.path
        out["buf_type"] = q.name
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
                       cc_errors=t.cc_errors, cc_errors_by_pid=per_pid(t.cc_errors_by_pid),
                       dmx_flags=dict(t.dmx_flags), warnings=list(t.warnings))
            # The adapter's frontend statistics (DTV_STAT_*) as last read.
            out["frontend"] = q.frontend.as_dict() if q.frontend is not None else None
        out["starvations"] = q.depth.starvations
    if report is not None:
        out["requested"] = report.requested
        out["negotiated"] = report.negotiated if report.negotiated is not None else report.granted
        out["adjusted"] = _adjusted(report)
        out["interrupted"] = report.interrupted
        if report.warnings:
            out["warnings"] = [*out.get("warnings", []), *report.warnings]
    if snap.error is not None:
        e = snap.error
        out["error"] = {"kind": e.kind, "path": e.path, "ioctl": e.ioctl, "errno": e.errno,
                        "errno_name": e.errno_name, "title": e.title,
                        "explanation": e.explanation}
    if cpu is not None:
        out["cpu"] = cpu
    out["snapshot"] = snap.as_dict()
    return out


def _asked_text(report: Report) -> list[str]:
    """``format: asked 641x480 YUYV @ 1/30 s, driver gave 640x480 YUYV @ 1/30 s``."""
    got = report.negotiated
    if got is None:
        if report.granted is None:
            return []
        g = report.granted
        line = f"buffers: {g['buffers']} x {g['buffer_size_bytes']} bytes (DMX_REQBUFS)"
        adjusted = _adjusted(report)
        return [line + (f"  adjusted by the driver: {', '.join(adjusted)}" if adjusted else "")]
    req = report.requested
    planes = ", ".join(f"{p['bytesperline']}/{p['sizeimage']}" for p in got["planes"])
    gave = (f"{got['width']}x{got['height']} {got['fourcc']} {got['field']}"
            f" @ {fract_text(got['frame_interval'])} s (bytesperline/sizeimage {planes})")
    asked = [f"{req['width']}x{req['height']}" if req["width"] is not None else "",
             req["fourcc"] or "",
             f"@ {fract_text(req['frame_interval'])} s" if req["frame_interval"] else ""]
    asked_text = " ".join(a for a in asked if a) or "the current format"
    lines = [f"format: asked {asked_text}; driver gave {gave}"]
    adjusted = _adjusted(report)
    if adjusted:
        lines.append(f"  adjusted by the driver: {', '.join(adjusted)}")
    return lines


def render(snap: StreamSnapshot, cpu: dict[str, float] | None = None,
           report: Report | None = None) -> str:
    """The final statistics as text, one queue per paragraph."""
    lines = [f"streamed for {snap.elapsed:.2f} s ({snap.state})"]
    if report is not None:
        lines += _asked_text(report)
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
            for w in t.warnings:
                lines.append(f"    warning: {w}")
        dep = q.depth
        lines.append(f"    driver starved {dep.starvations} time(s), {dep.starved_s:.2f} s")
    if snap.error is not None:
        lines.append(f"error: {snap.error}")
    if cpu is not None:
        lines.append(f"cpu: user {cpu['user_s']:.3f} s  sys {cpu['sys_s']:.3f} s")
    return escaped_lines(lines)
