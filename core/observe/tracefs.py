"""The tracepoint source: a private tracefs instance with the v4l2 buffer events.

Rules it follows (``Documentation/trace/ftrace.rst``, "Instances"; Linux 6.1):

* never the global buffer: ``mkdir instances/mediatui-<pid>`` makes a ring buffer of
  our own, so a tracer someone else runs is undisturbed; ``rmdir`` removes it (EBUSY
  while a file in it is open, so the pipe is closed first);
* the instance's ``trace_clock`` is set to ``mono``: record times are then
  CLOCK_MONOTONIC, the clock vb2 stamps buffers with;
* ``v4l2_qbuf``/``v4l2_dqbuf`` are enabled with the filter ``minor == N``
  (``Documentation/trace/events.rst``, "Event filtering"), so the kernel drops other
  devices' records before they reach the buffer; the four ``vb2`` core events have no
  minor and are matched to the device in user space (:mod:`core.observe.events`);
* the text pipe ``trace_pipe`` is read non-blocking (a consuming read: every record
  once) and parsed with one compiled regular expression per line; the kernel reports
  records it had to overwrite as ``CPU:N [LOST M EVENTS]``;
* an instance left by a killed run (``mediatui-<pid>`` whose pid is not alive) is
  removed by the next start.

Text or binary: both are implemented (``mode="raw"`` reads
``per_cpu/cpuN/trace_pipe_raw`` through :mod:`core.observe.rawpipe`) and were measured
on one stream in the test guest (kernel tier, ``test_text_pipe_versus_raw_pipe``): 916
records each, both exact; the raw pages cost about 16 % less Python time per record
(1.14 ms against 1.36 ms in that TCG guest, where everything is ~100x slower than on the
host; about 12 us per text line on the host).  The text pipe stays the default: its
records carry the task name the kernel saved (the raw record has only the pid, and a
short-lived thread is gone before /proc can name it) and the kernel merges the CPUs
in time order, which the raw reader can only do within one read.  The raw reader's
kernel test was taken out after guests died without a word in runs of the branch
(06:30-07:10 on 2026-11-30; vng then hid the kernel console).  With the console shown
(``MEDIATUI_VM_CONSOLE=1``) two full runs of the kernel tier's attach tests passed,
the first one with this module as it was then; the console had no oops, panic, OOM
or tracing message, only vivid's "schedule_timeout: wrong timeout value" dump (a
negative timeout from its capture thread under TCG, not fatal).  The teardown order
(:meth:`TraceSource.close`) is the one that never removes an instance under a reader.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from core.abi import v4l2 as v
from core.observe.events import V4L2_EVENTS, VB2_TRACED, BufferEvent, EventKind

if TYPE_CHECKING:
    from core.observe.rawpipe import RawReader

ROOTS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
PREFIX = "mediatui-"


class TraceUnavailable(Exception):
    """The tracepoint source cannot run here; the message says why and what to do."""


def _buf_type_names() -> dict[str, int]:
    out = {}
    for t in v.BufType:
        out[t.name] = int(t)
    return out


_TYPES = _buf_type_names()
_FLAGS = {f.name: int(f) for f in v.BufFlag}
_FLAGS.update({"TIMESTAMP_MONOTONIC": int(v.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC),
               "TIMESTAMP_COPY": int(v.V4L2_BUF_FLAG_TIMESTAMP_COPY),
               "TIMESTAMP_UNKNOWN": 0,
               "TSTAMP_SRC_EOF": 0,
               "TSTAMP_SRC_SOE": int(v.V4L2_BUF_FLAG_TSTAMP_SRC_SOE)})
_FIELDS = {f.name: int(f) for f in v.Field}
_KINDS = {str(k): k for k in EventKind}

# "<comm>-<pid> [cpu] <irq flags> <secs>.<usecs>: <event>: <fields>"; comm may hold
# spaces and dashes, so the pid is the last "-digits" before the CPU column.
_HEAD = (r"^\s*(?P<comm>.*)-(?P<pid>\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[\d+\]\s+\S*\s*"
         r"(?P<sec>\d+)\.(?P<usec>\d+): ")
_VB2 = re.compile(
    _HEAD + r"(?P<event>vb2_\w+): owner = (?P<owner>\w+), queued = (?P<queued>\d+), "
    r"owned_by_drv = (?P<drv>-?\d+), index = (?P<index>\d+), type = (?P<type>\d+), "
    r"bytesused = (?P<bytesused>\d+), timestamp = (?P<ts>\d+)\s*$"
)
_LINE = re.compile(
    _HEAD + r"(?P<event>v4l2_\w+): "
    r"minor = (?P<minor>-?\d+), index = (?P<index>\d+), type = (?P<type>\w+), "
    r"bytesused = (?P<bytesused>\d+), flags = (?P<flags>[^,]*), field = (?P<field>\w+), "
    r"timestamp = (?P<ts>\d+), .*sequence = (?P<seq>\d+)\s*$"
)
_LOST = re.compile(r"CPU:(\d+) \[LOST (\d+) EVENTS\]")


_FLAG_CACHE: dict[str, int] = {}


def parse_flags(text: str) -> int:
    """``MAPPED|QUEUED|0x400000`` (``__print_flags``) to the V4L2_BUF_FLAG_* bits."""
    got = _FLAG_CACHE.get(text)
    if got is not None:
        return got
    out = _parse_flags(text)
    if len(_FLAG_CACHE) < 256:
        _FLAG_CACHE[text] = out
    return out


def _parse_flags(text: str) -> int:
    out = 0
    for part in text.split("|"):
        part = part.strip()
        if not part:
            continue
        if part.startswith("0x"):
            out |= int(part, 16)
        else:
            out |= _FLAGS.get(part, 0)
    return out


def parse_line(line: str) -> BufferEvent | int | None:
    """One ``trace_pipe`` line: an event, the count of lost records, or None.

    Split by position rather than one big regular expression: a line is
    ``<head>: <event>: <fields>`` and the fields of each event come in the order of
    its ``print fmt`` (``events/{v4l2,vb2}/*/format``); about 5x cheaper, which
    matters in a slow guest.  Lines of another shape go through the regular
    expressions (and the lost-records notice)."""
    parts = line.split(": ", 2)
    if len(parts) == 3:
        kind = _KINDS.get(parts[1])
        if kind is not None:
            try:
                return _fast(parts[0], kind, parts[2])
            except (ValueError, IndexError, KeyError):
                pass
    m = _LINE.match(line)
    if m is None:
        m = _VB2.match(line)
        if m is not None:
            return _vb2_event(m)
        lost = _LOST.search(line)
        return int(lost.group(2)) if lost else None
    return _v4l2_event(m)


def _fast(head: str, kind: EventKind, body: str) -> BufferEvent:
    task, _, rest = head.partition(" [")
    task = task.strip()
    dash = task.rindex("-")
    stamp = rest.rsplit(None, 1)[-1]
    sec, _, usec = stamp.partition(".")
    time_ns = int(sec) * 1_000_000_000 + int(usec.ljust(9, "0")[:9])
    f = body.split(", ", 7)
    if kind is EventKind.QBUF or kind is EventKind.DQBUF:
        btype = f[2][7:]
        return BufferEvent(
            time_ns, kind, int(f[0][8:]), int(f[1][8:]),
            _TYPES[btype] if btype in _TYPES else int(btype), int(f[3][12:]),
            parse_flags(f[4][8:]), _FIELDS.get(f[5][8:], 0), int(f[6][12:]),
            int(body.rsplit("sequence = ", 1)[1]), int(task[dash + 1:]), task[:dash])
    # vb2: owner, queued, owned_by_drv, index, type, bytesused, timestamp
    return BufferEvent(
        time_ns, kind, -1, int(f[3][8:]), int(f[4][7:]), int(f[5][12:]), 0, 0,
        int(f[6][12:]), 0, int(task[dash + 1:]), task[:dash], f[0][8:], int(f[1][9:]),
        int(f[2][15:]))


def _v4l2_event(m: re.Match[str]) -> BufferEvent | None:
    kind = _KINDS.get(m["event"])
    if kind is None:
        return None
    btype = m["type"]
    return BufferEvent(
        time_ns=int(m["sec"]) * 1_000_000_000 + int(m["usec"].ljust(9, "0")[:9]),
        kind=kind,
        minor=int(m["minor"]),
        index=int(m["index"]),
        buf_type=_TYPES.get(btype, int(btype) if btype.isdigit() else 0),
        bytesused=int(m["bytesused"]),
        flags=parse_flags(m["flags"]),
        field=_FIELDS.get(m["field"], 0),
        timestamp_ns=int(m["ts"]),
        sequence=int(m["seq"]),
        pid=int(m["pid"]),
        comm=m["comm"].strip(),
    )


def _vb2_event(m: re.Match[str]) -> BufferEvent | None:
    kind = _KINDS.get(m["event"])
    if kind is None:
        return None
    return BufferEvent(
        time_ns=int(m["sec"]) * 1_000_000_000 + int(m["usec"].ljust(9, "0")[:9]),
        kind=kind, minor=-1, index=int(m["index"]), buf_type=int(m["type"]),
        bytesused=int(m["bytesused"]), flags=0, field=0, timestamp_ns=int(m["ts"]),
        sequence=0, pid=int(m["pid"]), comm=m["comm"].strip(), owner=m["owner"],
        queued=int(m["queued"]), in_driver=int(m["drv"]))


def tracefs_root() -> str:
    """The mounted tracefs; raises :class:`TraceUnavailable` saying why there is none."""
    for root in ROOTS:
        if os.path.isdir(os.path.join(root, "instances")):
            return root
    if os.path.isdir(ROOTS[0]):
        if not os.access(ROOTS[0], os.R_OK | os.X_OK):
            raise TraceUnavailable(f"{ROOTS[0]} is not readable by this user: tracefs "
                                   "needs root (or a group given access to it)")
        raise TraceUnavailable(f"tracefs is not mounted at {ROOTS[0]} (as root: "
                               f"mount -t tracefs nodev {ROOTS[0]})")
    raise TraceUnavailable("this kernel has no tracefs (/sys/kernel/tracing is absent: "
                           "CONFIG_TRACING is off or sysfs is not mounted)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _disable(inst: str) -> None:
    with contextlib.suppress(OSError):
        _write(os.path.join(inst, "tracing_on"), "0")
    with contextlib.suppress(OSError):
        _write(os.path.join(inst, "events", "enable"), "0")


RMDIR_TRIES = 20  # rmdir retries on EBUSY, RMDIR_WAIT_S apart
RMDIR_WAIT_S = 0.05


def remove_instance(inst: str) -> None:
    """Disable the instance's events and remove it (``rmdir``).

    Call it only once every file of the instance is closed: the kernel refuses with
    EBUSY while one is open (``instance_rmdir`` -> ``__remove_instance``,
    kernel/trace/trace.c), and a file being released races with the removal, so EBUSY
    is retried for up to ``RMDIR_TRIES * RMDIR_WAIT_S`` seconds.  Raises OSError
    (ENOENT when it is already gone, EBUSY when someone still holds it open).
    """
    _disable(inst)
    for attempt in range(RMDIR_TRIES):
        try:
            os.rmdir(inst)
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or attempt == RMDIR_TRIES - 1:
                raise
            time.sleep(RMDIR_WAIT_S)


def stale_instances(root: str) -> Iterator[str]:
    """Our instances whose run is gone (``mediatui-<pid>`` with no such process)."""
    base = os.path.join(root, "instances")
    try:
        names = os.listdir(base)
    except OSError:
        return
    for name in names:
        if not name.startswith(PREFIX):
            continue
        tail = name[len(PREFIX):].split(".", 1)[0]
        if tail.isdigit() and int(tail) != os.getpid() and not _alive(int(tail)):
            yield os.path.join(base, name)


def clean_stale(root: str) -> list[str]:
    """Remove instances left by killed runs; returns the ones removed."""
    removed = []
    for inst in stale_instances(root):
        with contextlib.suppress(OSError):
            remove_instance(inst)
            removed.append(inst)
    return removed


_serial = itertools.count(1)


class TraceSource:
    """A private instance tracing one minor; :meth:`read` returns what arrived since."""

    name = "trace"

    def __init__(self, minor: int, *, root: str | None = None, buffer_kb: int = 512,
                 mode: str = "text", suffix: str = "") -> None:
        """Create and arm the instance. Raises :class:`TraceUnavailable`.

        ``mode``: "text" (``trace_pipe``) or "raw" (``per_cpu/*/trace_pipe_raw``, see
        :mod:`core.observe.rawpipe`); ``suffix`` names a second instance of this
        process (``mediatui-<pid>.<suffix>``, cleaned up like the first)."""
        if mode not in ("text", "raw"):
            raise ValueError(f"trace mode must be text or raw, not {mode!r}")
        self.mode = mode
        self.root = root or tracefs_root()
        self.removed_stale = clean_stale(self.root)
        if not suffix:
            n = next(_serial)  # several observers in one process (a pipeline's stages)
            suffix = "" if n == 1 else str(n)
        name = f"{PREFIX}{os.getpid()}" + (f".{suffix}" if suffix else "")
        self.path = os.path.join(self.root, "instances", name)
        self._raw: RawReader | None = None
        self.minor = minor
        self._fd: int | None = None
        self._tail = b""
        # read() and close() may run on different threads (the observer's loop, and
        # whoever stops it): a pipe is never closed, or its number reused, mid-read.
        self._lock = threading.Lock()
        self.leftover: str | None = None  # why the instance could not be removed
        for group in ("v4l2", "vb2"):
            if not os.path.isdir(os.path.join(self.root, "events", group)):
                raise TraceUnavailable(f"{self.root}/events/{group} is absent: this "
                                       f"kernel has no {group} trace events")
        try:
            os.mkdir(self.path)
        except FileExistsError:
            remove_instance(self.path)  # ours from an earlier source in this process
            os.mkdir(self.path)
        except PermissionError:
            raise TraceUnavailable(
                f"not permitted to create a tracefs instance in {self.root}/instances "
                "(root, or write access to it, is needed)") from None
        except OSError as exc:
            raise TraceUnavailable(
                f"mkdir {self.path} failed: {os.strerror(exc.errno or 0)}") from None
        try:
            self._arm(buffer_kb)
            if mode == "raw":
                from core.observe.rawpipe import RawReader

                self._raw = RawReader(self.root, self.path)
            else:
                self._fd = os.open(os.path.join(self.path, "trace_pipe"),
                                   os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            self.close()
            raise TraceUnavailable(
                f"arming {self.path} failed: {exc.filename}: "
                f"{os.strerror(exc.errno or 0)}") from None

    def _arm(self, buffer_kb: int) -> None:
        _write(os.path.join(self.path, "trace_clock"), "mono")
        with contextlib.suppress(OSError):
            _write(os.path.join(self.path, "buffer_size_kb"), str(buffer_kb))
        for name in V4L2_EVENTS:
            ev = os.path.join(self.path, "events", "v4l2", name)
            _write(os.path.join(ev, "filter"), f"minor == {self.minor}")
            _write(os.path.join(ev, "enable"), "1")
        for name in VB2_TRACED:  # no minor field: matched to the device in user space
            _write(os.path.join(self.path, "events", "vb2", name, "enable"), "1")
        _write(os.path.join(self.path, "tracing_on"), "1")

    def read(self) -> tuple[list[BufferEvent], int]:
        """Every complete record available now (never blocks), and records lost;
        nothing once :meth:`close` ran."""
        with self._lock:
            return self._read()

    def _read(self) -> tuple[list[BufferEvent], int]:
        if self._raw is not None:
            return self._raw.read()
        if self._fd is None:
            return [], 0
        chunks = []
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise
            if not data:
                break
            chunks.append(data)
        if not chunks:
            return [], 0
        data = self._tail + b"".join(chunks)
        lines = data.split(b"\n")
        self._tail = lines.pop()
        events: list[BufferEvent] = []
        lost = 0
        for raw in lines:
            got = parse_line(raw.decode("utf-8", "replace"))
            if isinstance(got, BufferEvent):
                events.append(got)
            elif got:
                lost += got
        return events, lost

    def close(self) -> None:
        """Tear the instance down, in the order that never removes it under a reader
        (idempotent, thread-safe): stop recording (``tracing_on``, ``events/enable``),
        close every pipe (no read is in progress: :meth:`read` holds the same lock),
        then ``rmdir``.  If the instance cannot be removed, :attr:`leftover` says why
        (the next start removes it as stale)."""
        with self._lock:
            if os.path.isdir(self.path):
                _disable(self.path)
            if self._raw is not None:
                self._raw.close()
                self._raw = None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            if os.path.isdir(self.path):
                try:
                    remove_instance(self.path)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    self.leftover = (f"could not remove {self.path}: "
                                     f"{os.strerror(exc.errno or 0)}")


__all__ = ["TraceSource", "TraceUnavailable", "clean_stale", "parse_line", "tracefs_root"]
