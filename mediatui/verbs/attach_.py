"""``mediatui attach``: observe, read-only, a stream another process runs.

First the processes seen queueing and dequeueing, then the same once-a-second
progress line and final statistics as ``mediatui stream``, marked as observed and with
the source used (kernel tracepoints: exact; QUERYBUF sampling: approximate).
"""

from __future__ import annotations

import argparse
import resource
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from core.untrusted import escape
from mediatui.verbs import options
from mediatui.verbs.output import EXIT_FAILURE, EXIT_USAGE, fail, print_json

if TYPE_CHECKING:
    from core.errors import MediaError
    from core.observe.observed import AttachSnapshot
    from core.observe.observer import Observer
    from core.wakeup import SignalSafeEvent


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "attach",
        help="observe a stream another process runs (read-only): frames, drops, "
        "buffer states, who queues and dequeues",
        description="Observe DEVICE's buffers while another process streams it, without "
        "touching its queue: from the kernel's v4l2/vb2 tracepoints (exact; needs root) "
        "or, without privileges, by sampling VIDIOC_QUERYBUF (approximate: occupancy "
        "and states). Stops after --duration seconds or Ctrl-C.",
    )
    p.add_argument("device", help="video node another process streams")
    p.add_argument("-t", "--duration", type=options.duration(), metavar="SECONDS",
                   help="stop after SECONDS")
    p.add_argument("--source", choices=("auto", "trace", "sample"), default="auto",
                   help="trace (tracepoints, exact), sample (QUERYBUF, approximate) or auto "
                   "(trace when permitted, else sample; default)")
    p.add_argument("--rate", type=options.sample_rate(), default=20.0, metavar="HZ",
                   help="QUERYBUF sampling rounds per second (default 20)")
    p.add_argument("--trace", metavar="FILE",
                   help="write a Perfetto/Chrome JSON trace of the buffers to FILE")
    p.add_argument("--json", action="store_true",
                   help="final statistics as JSON (mediatui.attach/1) on stdout")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    return p


def run(args: argparse.Namespace) -> int:
    """Observe, print, return the exit code: 0; 1 when the node cannot be observed or
    failed (why, on stderr, and a ``mediatui.error/1`` document with --json); 2 for a
    bad option."""
    as_json = bool(args.json)

    def _err(error: MediaError | str, code: int) -> int:
        return fail(error, as_json=as_json, code=code)

    # core is imported when the verb runs: `mediatui --help` stays quick.
    from core.errors import MediaError
    from core.service import attach as service

    if getattr(args, "demo", False):
        from mediatui.demo import demo_client

        demo_client(args.device)
    try:
        obs = service.open_observer(args.device, source=args.source, rate_hz=args.rate,
                                    duration=args.duration, record=bool(args.trace))
    except ValueError as exc:
        return _err(str(exc), EXIT_USAGE)
    except service.AttachError as exc:
        return _err(str(exc), EXIT_FAILURE)
    except MediaError as exc:
        return _err(exc, EXIT_FAILURE)
    from core.wakeup import SignalSafeEvent

    # Ctrl-C stops the loop from a signal handler: threading.Event.set() there can
    # deadlock with the loop's own Event.wait() (core.wakeup). The handler is in place
    # before "attached" is said, so a Ctrl-C right after it is never lost.
    stop = SignalSafeEvent()
    previous = signal.getsignal(signal.SIGINT)
    main = threading.current_thread() is threading.main_thread()
    if main:
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        if obs.fallback and not args.quiet:
            print(f"mediatui: {obs.fallback}", file=sys.stderr)
        if not args.quiet:
            how = "exact" if obs.source != "sample" else "approximate"
            print(f"mediatui: attached to {args.device} via {obs.source} ({how})",
                  file=sys.stderr, flush=True)
        for stale in obs.removed_stale:
            print(f"mediatui: removed a stale tracefs instance {stale}", file=sys.stderr)
        before = resource.getrusage(resource.RUSAGE_SELF)
        try:
            final = _run(obs, args, stop)
        except MediaError as exc:
            return _err(exc, EXIT_FAILURE)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
        stop.close()
    after = resource.getrusage(resource.RUSAGE_SELF)
    if obs.leftover:
        print(f"mediatui: {obs.leftover} (the next start removes it)", file=sys.stderr)
    cpu = {"user_s": after.ru_utime - before.ru_utime, "sys_s": after.ru_stime - before.ru_stime}
    elapsed = final.stream.elapsed
    cpu["per_s"] = (cpu["user_s"] + cpu["sys_s"]) / elapsed if elapsed > 0 else 0.0
    trace_file = None
    if args.trace:
        try:
            n = service.save_trace(args.trace, [obs])
        except OSError as exc:
            return _err(f"--trace {args.trace}: {exc.strerror}", EXIT_FAILURE)
        trace_file = args.trace
        if not args.quiet:
            print(f"mediatui: wrote {n} trace events to {args.trace} (open it in "
                  "ui.perfetto.dev)", file=sys.stderr)
    if args.json:
        print_json("attach", service.document(final, obs, cpu=cpu, trace_file=trace_file))
    else:
        print(render(final, obs, cpu))
    return 0


def _run(obs: Observer, args: argparse.Namespace, stop: SignalSafeEvent) -> AttachSnapshot:
    shown: set[int] = set()
    tty = sys.stderr.isatty()

    def on_snapshot(snap: AttachSnapshot) -> None:
        if args.quiet or snap.stream.final:
            return
        for p in snap.processes:
            if p.pid not in shown:
                shown.add(p.pid)
                sys.stderr.write(("\r\x1b[K" if tty else "") + process_line(p) + "\n")
        line = progress(snap)
        sys.stderr.write(("\r\x1b[K" + line) if tty else line + "\n")
        sys.stderr.flush()

    try:
        return obs.run(stop, on_snapshot)
    finally:
        if tty and not args.quiet:
            sys.stderr.write("\n")


def process_line(p: Any) -> str:
    who = f"pid {p.tgid}" if p.tgid is not None else "pid ? (gone)"
    if p.tgid is not None and p.tgid != p.pid:
        who += f" (thread {p.pid})"
    cmd = escape(p.cmdline) if p.cmdline else "?"
    return f"{who} {escape(p.comm)}: {cmd}  (qbuf {p.qbuf}, dqbuf {p.dqbuf})"


def _mark(snap: AttachSnapshot) -> str:
    return f"observed via {snap.source}" + (", approximate" if snap.approximate else "")


def progress(snap: AttachSnapshot) -> str:
    from mediatui.verbs.stream_ import progress_line

    if not snap.stream.queues:
        return f"[{_mark(snap)}] {snap.stream.elapsed:.1f} s: no buffer movement seen yet"
    starving = " STARVED" if snap.stream.main.depth.starved and snap.stream.main.stats \
        and snap.stream.main.stats.frames else ""
    line = progress_line(snap.stream, drops=not snap.approximate)
    return f"[{_mark(snap)}] {line}{starving}"


def _pct(p: Any) -> str:
    if not p.count:
        return "-"
    return f"p50 {p.p50_s * 1000:.1f} ms  p99 {p.p99_s * 1000:.1f} ms  max {p.max_s * 1000:.1f} ms"


def render(snap: AttachSnapshot, obs: Observer, cpu: dict[str, float]) -> str:
    """The final statistics as text: processes, then the stream's paragraphs."""
    from mediatui.verbs.stream_ import render as render_stream

    lines = [f"observed {obs.path} for {snap.stream.elapsed:.2f} s ({_mark(snap)}; "
             f"{snap.stream.state})"]
    if obs.fallback:
        lines.append(f"note: {obs.fallback}")
    if snap.approximate:
        lines.append("note: sampling sees buffer states and occupancy, not every frame: "
                     "frame counts are a lower bound, and drops are not counted (a frame "
                     "dequeued between two samples is unseen, not dropped)")
    if snap.processes:
        lines.append("processes:")
        lines.extend("    " + process_line(p) for p in snap.processes)
    else:
        lines.append("processes: none seen queueing or dequeueing")
    if snap.stream.queues:
        body = render_stream(snap.stream).splitlines()[1:]
        for q_line in body:
            lines.append(q_line)
        for lane in snap.lanes:
            lines.append(f"  {lane.queue}: in driver {_pct(lane.driver)}")
            lines.append(f"  {lane.queue}: out of driver {_pct(lane.held)}")
            lines.append(f"  {lane.queue}: with the application {_pct(lane.app)}")
            for s in lane.starvations:
                dur = f"{s.duration_s:.3f} s" if s.duration_s is not None else "still"
                lines.append(f"  {lane.queue}: starved at {s.start_ns / 1e9:.3f} ({dur})")
    else:
        lines.append("no buffer movement seen")
    if snap.lost_events:
        lines.append(f"warning: the kernel dropped {snap.lost_events} trace record(s)")
    lines.extend(f"note: {escape(n)}" for n in snap.notes)
    lines.append(f"cpu: user {cpu['user_s']:.3f} s  sys {cpu['sys_s']:.3f} s  "
                 f"({cpu['per_s'] * 100:.1f} % of a CPU)")
    return "\n".join(lines)
