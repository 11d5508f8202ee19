"""The one chokepoint through which every ioctl, open, mmap and close of a media node goes.

Two things hook in here and nowhere else:

* **tracing**: every ioctl can be recorded as a :class:`TraceEntry` (name, decoded
  argument summary, result or errno, duration) for the UI's ioctl log and NDJSON export;
* **the virtual backend**: an fd that a :class:`Backend` registered is served by that
  backend instead of the kernel, so device objects, streaming and the UI run unchanged
  on virtual devices.

One exception, handed out from here: while nobody traces them, the per-frame QBUF and
DQBUF of a capture stream on a kernel fd go to ``fcntl.ioctl`` directly
(:func:`kernel_ioctl`, used by :meth:`core.stream.vqueue.VideoQueue.recycle`); the
loop checks :func:`live_tracers` every frame and comes back here when someone traces.

Errors stay raw ``OSError`` at this level (with their errno); the device objects above
turn them into :mod:`core.errors` with an explanation.
"""

from __future__ import annotations

import _thread
import ctypes
import fcntl
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from core.abi.ioctl import ioctl_name
from core.errors import not_a_media_node
from core.nodekind import NodeKind, classify
from core.record import field, record

OPEN_FLAGS = os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC

# typing loads for type checkers only: importing it was ~60 ms of every verb's start
# under emulation (issue 16). Type checkers treat any TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:  # _SimpleCData is generic only to the type checker
    import mmap
    import threading
    from typing import Any, Protocol, TypeAlias

    # What an ioctl takes: a struct filled in place, a C scalar (STREAMON's type), a
    # plain value for _IO ioctls that take one (DMX_SET_BUFFER_SIZE), or nothing.
    IoctlArg: TypeAlias = ctypes.Structure | ctypes._SimpleCData[Any] | int | None

    # What a virtual device set implements (core.virtual.backend); a Protocol, checked
    # by type checkers only.
    class Backend(Protocol):
        """What a virtual device set implements to stand in for the kernel."""

        def owns_path(self, path: str) -> bool:
            """True when ``path`` names one of this backend's nodes."""

        def node_kind(self, path: str) -> NodeKind:
            """What the path is (the kernel's stat() and device registry, for our nodes)."""

        def open(self, path: str, flags: int) -> int:
            """Open a node; the returned fd must be a real, pollable fd (eventfd or pipe)."""

        def ioctl(self, fd: int, request: int, arg: IoctlArg) -> int:
            """Handle an ioctl; raise ``OSError(errno, ...)`` exactly where the kernel would."""

        def mmap(self, fd: int, length: int, prot: int, offset: int) -> mmap.mmap:
            """Map a buffer plane by its mmap cookie."""

        def close(self, fd: int) -> None:
            """Release the file handle (and its queue ownership), then close the fd."""



@record
class TraceEntry:
    """One ioctl as mediatui issued it: what a person needs to replay or report it."""

    time: float  # wall clock, seconds since the epoch
    fd: int
    path: str | None
    ioctl: str
    request: int
    summary: str  # decoded argument after the call (or before, on failure), one line
    result: int | None
    errno: int | None
    duration_ns: int
    # The same argument as structured fields (core.abi.fields.arg_fields): JSON values.
    args: Mapping[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.errno is None

    def as_dict(self) -> dict[str, object]:
        """One ``mediatui.ioctl/1`` NDJSON record (without the ``schema`` key):
        ``time_s`` (wall clock), ``fd``, ``path``, ``ioctl``, ``request`` (the number),
        ``args`` (structured fields), ``summary`` (the log's one line), ``result``,
        ``errno``/``errno_name`` (null on success), ``duration_us``."""
        return {
            "time_s": self.time,
            "fd": self.fd,
            "path": self.path,
            "ioctl": self.ioctl,
            "request": self.request,
            "args": dict(self.args),
            "summary": self.summary,
            "result": self.result,
            "errno": self.errno,
            "errno_name": _errno_name(self.errno),
            "duration_us": round(self.duration_ns / 1000, 1),
        }


def _errno_name(err: int | None) -> str | None:
    import errno as errno_mod

    return None if err is None else errno_mod.errorcode.get(err, str(err))


Tracer = Callable[[TraceEntry], None]
Summarizer = Callable[[object], str]
Fielder = Callable[[object], dict[str, object]]

# The interpreter's own lock, not threading's: `list` and `info` never start a thread,
# and importing threading was ~20 ms of their start under emulation (issue 16).
_lock = _thread.allocate_lock()
_tracers: list[Tracer] = []
_backends: list[Backend] = []
_virtual_fds: dict[int, Backend] = {}
_paths: dict[int, str] = {}
_summarizers: dict[type, Summarizer] = {}
_fielder: list[Fielder] = []  # at most one: core.abi.fields.arg_fields, set by describe
# Per thread: ioctl numbers not to trace (a free-running stream's per-frame ioctls);
# made by the first untrace_in_thread(), None until then (nothing untraced).
_untraced: threading.local | None = None
_TRACE_ALL: frozenset[int] = frozenset()


def add_tracer(tracer: Tracer) -> None:
    """Call ``tracer`` after every ioctl (from the thread that issued it)."""
    # Readable argument summaries matter only when someone traces; load them then.
    import core.abi.describe  # noqa: F401

    with _lock:
        _tracers.append(tracer)


def remove_tracer(tracer: Tracer) -> None:
    with _lock:
        if tracer in _tracers:
            _tracers.remove(tracer)


def untrace_in_thread(requests: frozenset[int] = _TRACE_ALL) -> None:
    """Do not trace ``requests`` issued from the calling thread (empty: trace all).

    A stream running freely issues thousands of QBUF/DQBUF a second that no log shows;
    describing each would cost more than the ioctl itself.
    """
    global _untraced
    if _untraced is None:
        if not requests:
            return  # nothing is untraced anywhere yet
        import threading

        with _lock:
            if _untraced is None:
                _untraced = threading.local()
    _untraced.untraced = requests


def live_tracers() -> Sequence[Tracer]:
    """The list of installed tracers itself, not a copy: a hot loop holds it and tests
    its truth per frame to learn, without a call, whether anyone traces now.  Read it;
    change it only through :func:`add_tracer` and :func:`remove_tracer`."""
    return _tracers


def untraced_here(requests: Iterable[int]) -> bool:
    """True when the calling thread has untraced every one of ``requests``
    (:func:`untrace_in_thread`): they are never traced from this thread, whoever else
    traces."""
    if _untraced is None:
        return False
    mine = getattr(_untraced, "untraced", _TRACE_ALL)
    return all(request in mine for request in requests)


def kernel_ioctl(fd: int) -> Callable[[int, int, Any], int] | None:
    """``fcntl.ioctl`` itself when the kernel serves ``fd``, None when a virtual backend
    does (see :func:`open_node`).

    For the streaming loop's per-frame QBUF/DQBUF only, and only while nobody traces
    them (:func:`live_tracers` empty, or :func:`untraced_here`): going through
    :func:`ioctl` then adds nothing but its own cost, which in an emulated guest was a
    third of a frame's CPU (``benchmarks/stream_steps.py``, issue 16).  Called with a
    writable buffer (a bytearray or a ctypes struct), it fills it in place and raises
    ``OSError`` with the kernel's errno, as :func:`ioctl` does.
    """
    return None if fd in _virtual_fds else fcntl.ioctl


def register_fielder(fielder: Fielder) -> None:
    """Set the function that turns an argument into structured fields for traces."""
    _fielder[:] = [fielder]


def arg_fields(arg: object) -> dict[str, object]:
    """The structured fields of an ioctl argument, for traces (``{}`` if none known)."""
    if arg is None or not _fielder:
        return {}
    try:
        return _fielder[0](arg)
    except Exception as exc:  # a trace must never break an ioctl
        return {"error": f"{type(arg).__name__}: {exc}"}


def register_summarizer(argtype: type, summarize: Summarizer) -> None:
    """Teach the tracer how to describe an argument struct in one line."""
    _summarizers[argtype] = summarize


def install_backend(backend: Backend) -> None:
    """Serve the backend's paths from now on (demo mode, fast tests)."""
    with _lock:
        if backend not in _backends:
            _backends.append(backend)


def uninstall_backend(backend: Backend) -> None:
    with _lock:
        if backend in _backends:
            _backends.remove(backend)
        for fd in [fd for fd, b in _virtual_fds.items() if b is backend]:
            del _virtual_fds[fd]


def installed_backends() -> tuple[Backend, ...]:
    """The virtual backends serving paths now (demo mode, fast tests)."""
    with _lock:
        return tuple(_backends)


def backend_for_path(path: str) -> Backend | None:
    with _lock:
        for backend in _backends:
            if backend.owns_path(path):
                return backend
    return None


def is_virtual(fd: int) -> bool:
    return fd in _virtual_fds


def path_of(fd: int) -> str | None:
    """The node path an fd was opened from (for traces and error messages)."""
    return _paths.get(fd)


def node_kind(path: str) -> NodeKind:
    """What ``path`` is (see :mod:`core.nodekind`), asking the virtual backend for its
    own nodes; raises ``OSError`` from stat() for a wrong path."""
    backend = backend_for_path(path)
    return backend.node_kind(path) if backend is not None else classify(path)


def open_node(path: str, flags: int = OPEN_FLAGS) -> int:
    """Open a media node, real or virtual.

    Anything but a V4L2, DVB, media-controller, dma-heap or udmabuf character device is
    refused with :class:`core.errors.NotAMediaNode` and never opened.  The real path is
    first opened ``O_PATH`` (which runs no driver code), checked with fstat(), then
    reopened through ``/proc/self/fd``, so a path swapped between the check and the
    open cannot slip through.  Raises ``OSError`` like ``os.open`` otherwise.
    """
    backend = backend_for_path(path)
    if backend is not None:
        kind = backend.node_kind(path)
        if not kind.is_media:
            raise not_a_media_node(kind)
        fd = backend.open(path, flags)
        with _lock:
            _virtual_fds[fd] = backend
    else:
        fd = _open_checked(path, flags)
    _paths[fd] = path
    return fd


def _open_checked(path: str, flags: int) -> int:
    handle = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        kind = classify(path, os.fstat(handle))
        if not kind.is_media:
            raise not_a_media_node(kind)
        return os.open(f"/proc/self/fd/{handle}", flags)
    finally:
        os.close(handle)


def close_fd(fd: int) -> None:
    """Close an fd from :func:`open_node`; the virtual backend releases its file handle."""
    _paths.pop(fd, None)
    with _lock:
        backend = _virtual_fds.pop(fd, None)
    if backend is not None:
        backend.close(fd)
    else:
        os.close(fd)


def mmap_fd(fd: int, length: int, prot: int, offset: int) -> mmap.mmap:
    """``mmap(MAP_SHARED)`` a buffer plane by its cookie, real or virtual."""
    backend = _virtual_fds.get(fd)
    if backend is not None:
        return backend.mmap(fd, length, prot, offset)
    import mmap  # here: `list` and `info` map nothing

    return mmap.mmap(fd, length, mmap.MAP_SHARED, prot, offset=offset)


def summarize(arg: object) -> str:
    """One line describing an ioctl argument, for traces."""
    if arg is None:
        return ""
    summarizer = _summarizers.get(type(arg))
    if summarizer is not None:
        try:
            return summarizer(arg)
        except Exception as exc:  # a trace must never break an ioctl
            return f"<{type(arg).__name__}: {exc}>"
    if isinstance(arg, int):
        return str(arg)
    if isinstance(arg, ctypes._SimpleCData):
        return str(arg.value)
    if isinstance(arg, ctypes.Structure):
        parts = []
        for name, *_ in arg._fields_:
            if name.startswith("reserved"):
                continue
            value = getattr(arg, name)
            if isinstance(value, bytes):
                # Text, never a Python b'...' repr (device text is shown as text).
                text = value.split(b"\0", 1)[0].decode("utf-8", "replace")
                parts.append(f"{name}={text!r}")
            elif isinstance(value, int):
                parts.append(f"{name}={value}")
        return " ".join(parts)
    return type(arg).__name__


def ioctl(fd: int, request: int, arg: IoctlArg = None) -> int:
    """Issue one ioctl, through the virtual backend when the fd is virtual.

    ``arg`` is filled in place.  Raises ``OSError`` with the kernel's errno.
    """
    # Timed only when someone traces it: without a vDSO clock (a guest on the hpet
    # clocksource, as under QEMU's TCG) each clock read is a syscall of its own.
    traced = bool(_tracers) and (
        _untraced is None or request not in getattr(_untraced, "untraced", _TRACE_ALL))
    start = time.perf_counter_ns() if traced else 0
    try:
        backend = _virtual_fds.get(fd)
        if backend is not None:
            result = backend.ioctl(fd, request, arg)
        elif arg is None:
            result = fcntl.ioctl(fd, request, 0)
        elif isinstance(arg, int):
            # _IO ioctls that take a value, not a pointer (DMX_SET_BUFFER_SIZE).
            result = fcntl.ioctl(fd, request, arg)
        else:
            result = fcntl.ioctl(fd, request, arg, True)
    except OSError as exc:
        if traced:
            _trace(fd, request, arg, None, exc.errno, time.perf_counter_ns() - start)
        raise
    if traced:
        _trace(fd, request, arg, result, None, time.perf_counter_ns() - start)
    return result


def _trace(
    fd: int,
    request: int,
    arg: object,
    result: int | None,
    err: int | None,
    duration_ns: int,
) -> None:
    entry = TraceEntry(
        time=time.time(),
        fd=fd,
        path=_paths.get(fd),
        ioctl=ioctl_name(request),
        request=request,
        summary=summarize(arg),
        result=result,
        errno=err,
        duration_ns=duration_ns,
        args=arg_fields(arg),
    )
    for tracer in list(_tracers):
        tracer(entry)
