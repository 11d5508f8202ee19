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

from core.adjusted import Adjustment
from core.errors import MediaError
from core.limits import OptionError
from mediatui.untrusted import escape
from mediatui.verbs import options
from mediatui.verbs.output import escaped_lines, fail, print_json

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
        "--duration seconds (whichever comes first), or Ctrl-C. Every value is checked "
        "against the kernel field it fills before the device is opened: a bad one is a "
        "usage error (exit 2) naming the option and the allowed range.",
    )
    p.add_argument("device", help="video node, or /dev/dvb/adapterN/demuxN or dvrN")
    p.add_argument("-n", "--count", type=options.frame_count(), metavar="N",
                   help="stop after N frames (DVB: buffers); 0 or absent: until stopped "
                   "(like v4l2-ctl --stream-count=0)")
    p.add_argument("-t", "--duration", type=options.duration(), metavar="SECONDS",
                   help="stop after SECONDS (a positive number); absent: until stopped")
    p.add_argument("-b", "--buffers", type=options.buffer_count(), metavar="N",
                   help="buffers to request, 1 to the queue's maximum (default 4; 32 for "
                   "DVB, whose data is lost when every buffer is full)")
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
    dvb.add_argument("--pid", type=options.pid(), default=ALL_PIDS,
                     help="PID to filter, 0 to 0x1fff (default 0x2000: every PID)")
    dvb.add_argument("--buffer-size", type=options.byte_size(), default=256 * TS_PACKET,
                     metavar="BYTES", help="DMX_REQBUFS size, 1 to 2^32-1 (default 256 TS "
                     "packets; best a multiple of 188)")
    dvb.add_argument("--tune", type=options.frequency(), metavar="HZ",
                     help="tune the adapter's frontend0 to this DVB-T frequency first")
    p.add_argument("--json", action="store_true", help="final statistics as JSON on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    return p


def run(args: argparse.Namespace) -> int:
    as_json = bool(args.json)
    if not args.count:
        args.count = None  # 0: until stopped (the engine's max_frames=None)
    # What the driver changed (core.adjusted), said on stderr as it happens and kept
    # for the JSON summary; and set-up warnings (a DVB size not a multiple of 188).
    args.adjusted = []
    args.setup_warnings = []
    stream: Stream | None = None
    try:
        with _opened(args) as stream:
            final = _run(stream, args)
    except MediaError as exc:
        last = stream.last if stream is not None else None
        # A set-up failure leaves a snapshot without queues: nothing was streamed.
        if last is None or not last.queues or last.frames == 0:
            return fail(exc, as_json=as_json)
        # It failed mid-stream (e.g. the device went away): the statistics still count.
        _print(last, as_json, args)
        return fail(exc)
    except OptionError as exc:
        # A value the node itself refuses (a fourcc it does not offer, more buffers than
        # its queue holds): a usage error like argparse's, before any buffer exists.
        print(escape(f"mediatui stream: error: argument {exc}"), file=sys.stderr)
        return 2
    except ValueError as exc:
        return fail(str(exc))
    _print(final, as_json, args)
    return 0


def _print(snap: StreamSnapshot, as_json: bool, args: argparse.Namespace) -> None:
    if as_json:
        out = summary(snap, _cpu())
        out["adjusted"] = [a.as_dict() for a in args.adjusted]
        if args.setup_warnings:
            out["warnings"] = [*out.get("warnings", []), *args.setup_warnings]
        print_json(out)
    else:
        print(render(snap, _cpu()))


def _adjusted(args: argparse.Namespace, adjustment: Adjustment | None) -> None:
    """Say what the driver changed, once, on stderr; keep it for the JSON summary."""
    if adjustment is not None and adjustment not in args.adjusted:
        args.adjusted.append(adjustment)
        print(escape(f"mediatui: {adjustment.path}: {adjustment.message}"), file=sys.stderr)


def _granted(args: argparse.Namespace, snap: StreamSnapshot) -> None:
    """The first snapshot with queues: the counts (and DVB size) REQBUFS granted."""
    if args.granted_seen or not snap.queues:
        return
    args.granted_seen = True
    from core import adjusted

    for q in snap.queues:
        if q.role == "dvb":
            asked_count, ioctl = args.buffers or 32, "DMX_REQBUFS"
        else:
            asked_count, ioctl = args.buffers or 4, "VIDIOC_REQBUFS"
        _adjusted(args, adjusted.buffer_count(q.path, ioctl, asked_count, len(q.buffers)))
        if q.role == "dvb" and q.buffers and q.buffers[0].planes:
            _adjusted(args, adjusted.buffer_size(q.path, ioctl, args.buffer_size,
                                                 q.buffers[0].planes[0].length))


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
    from core.limits import check_count_max
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
    if args.buffers:
        # vb2 clamps to the queue's maximum without a word: refuse instead.
        check_count_max(count, dev.probe([main_t])[0].max_num_buffers)
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
        width, height = args.size
    if args.format:
        from core.limits import check_fourcc

        # S_FMT would silently replace an unknown fourcc with the driver's choice.
        check_fourcc(args.format, [f.fourcc for f in dev.formats(buf_type)])
    from core import adjusted

    if args.format or width is not None:
        got = dev.set_format(buf_type, width=width, height=height, pixelformat=args.format)
        _adjusted(args, adjusted.pixel_format(dev.path, args.format, args.size, got.fourcc,
                                              got.width, got.height))
    if args.fps:
        num, den = dev.set_frame_rate(buf_type, args.fps)
        _adjusted(args, adjusted.frame_rate(dev.path, args.fps, num, den))


@contextlib.contextmanager
def _dvb(args: argparse.Namespace, kind: str) -> Iterator[Stream]:
    from core.abi import dvb as d
    from core.abi.v4l2 import VIDEO_MAX_FRAME
    from core.dvb import DemuxDevice, DvrDevice, FrontendDevice
    from core.limits import check_count_max
    from core.stream import dvb_stream

    adapter = args.device.rsplit("/", 1)[0]
    if args.buffers:
        # dvb_vb2_reqbufs -> vb2_core_reqbufs clamps to VB2_MAX_FRAME (32 on 6.1).
        check_count_max(args.buffers, VIDEO_MAX_FRAME)
    from core.adjusted import ts_size_warning

    warning = ts_size_warning(args.buffer_size)
    if warning is not None:
        args.setup_warnings.append(warning)
        print(f"mediatui: warning: {warning}", file=sys.stderr)
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


# --- running -------------------------------------------------------------------------------


def _run(stream: Stream, args: argparse.Namespace) -> StreamSnapshot:
    stop = threading.Event()
    progress = None if args.quiet else _Progress()

    args.granted_seen = getattr(args, "granted_seen", False)

    def on_snapshot(snap: StreamSnapshot) -> None:
        if hasattr(args, "adjusted"):
            _granted(args, snap)
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


def progress_line(snap: StreamSnapshot) -> str:
    q = snap.main
    queued = f"queued {q.depth.in_driver}/{len(q.buffers)}"
    if q.ts is not None:
        t = q.ts
        line = (f"{q.path}: {t.buffers} buffers  {_fmt(t.bytes_per_s, '.0f')} B/s  "
                f"{_fmt(t.packets_per_s, '.0f')} pkt/s  cc errors {t.cc_errors}  "
                f"sync losses {t.sync_losses}  {queued}")
        return "  ".join((line, *t.warnings))
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
                       dmx_flags=dict(t.dmx_flags), warnings=list(t.warnings))
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
            for w in t.warnings:
                lines.append(f"    warning: {w}")
        dep = q.depth
        lines.append(f"    driver starved {dep.starvations} time(s), {dep.starved_s:.2f} s")
    if snap.error is not None:
        lines.append(f"error: {snap.error}")
    if cpu is not None:
        lines.append(f"cpu: user {cpu['user_s']:.3f} s  sys {cpu['sys_s']:.3f} s")
    return escaped_lines(lines)
