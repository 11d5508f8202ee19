"""A simulated camera application streaming a virtual camera at a set frame rate, so
``--demo attach`` (and the tests) have a stream someone else runs, with the knobs an
observer must follow: pause (like SIGSTOP), hold time, stop.  (The holders' simulated
client, :mod:`core.virtual.client`, holds exports and leaks; this one only streams.)

It talks to the backend directly, as another process would talk to the kernel: its own
file handle owns the queue (REQBUFS), and a second open (the observer's) is a
non-owner.  Its thread is registered with :mod:`core.virtual.tracebus` under a
process id and command line, which the demo's trace records and /proc stand-in
report.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import threading

from core.abi import v4l2 as v
from core.virtual import tracebus
from core.virtual.backend import VirtualBackend

COMM = "camera-app"


class SimulatedApp:
    """Streams ``path`` with ``count`` MMAP buffers at ``fps`` until :meth:`stop`.

    ``hold_s``: how long the application keeps each dequeued buffer (its "work").
    """

    def __init__(self, backend: VirtualBackend, path: str, *, count: int = 4,
                 fps: int = 30, hold_s: float = 0.0, name: str = COMM) -> None:
        self.backend = backend
        self.path = path
        self.count = count
        self.fps = fps
        self.hold_s = hold_s
        self.name = name
        self.cmdline = f"{name} --device {path} --fps {fps} (simulated by mediatui --demo)"
        self.frames = 0
        self.error: OSError | None = None
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.tid: int | None = None
        self._fd: int | None = None

    def start(self) -> SimulatedApp:
        self._thread.start()
        self._ready.wait(5.0)
        if self.error is not None:
            raise self.error
        return self

    def pause(self, paused: bool) -> None:
        """Stop dequeueing (like SIGSTOP): the driver starves once its buffers are done."""
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    def stop(self) -> None:
        self._stop.set()
        fd = self._fd
        if fd is not None:
            buf_type = self._type
            with contextlib.suppress(OSError):
                self.backend.ioctl(fd, v.VIDIOC_STREAMOFF, ctypes.c_int(buf_type))
        self._thread.join(5.0)

    def _buffer(self, index: int) -> v.v4l2_buffer:
        b = v.v4l2_buffer(index=index, type=self._type, memory=v.V4L2_MEMORY_MMAP)
        if v.is_multiplanar(self._type):
            planes = (v.v4l2_plane * v.VIDEO_MAX_PLANES)()
            b.m.planes = planes
            b.length = v.VIDEO_MAX_PLANES
            b._keep = planes
        return b

    def _run(self) -> None:
        self.tid = threading.get_native_id()
        tracebus.register_process(self.tid, self.tid, self.cmdline)
        be = self.backend
        try:
            fd = self._fd = be.open(self.path, os.O_RDWR)
            node = be.node(self.path)
            self._type = int(node.buf_type)  # type: ignore[attr-defined]
            parm = v.v4l2_streamparm(type=self._type)
            parm.parm.capture.timeperframe.numerator = 1
            parm.parm.capture.timeperframe.denominator = self.fps
            be.ioctl(fd, v.VIDIOC_S_PARM, parm)
            req = v.v4l2_requestbuffers(count=self.count, type=self._type,
                                        memory=v.V4L2_MEMORY_MMAP)
            be.ioctl(fd, v.VIDIOC_REQBUFS, req)
            for i in range(req.count):
                be.ioctl(fd, v.VIDIOC_QBUF, self._buffer(i))
            be.ioctl(fd, v.VIDIOC_STREAMON, ctypes.c_int(self._type))
        except OSError as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                if self._paused.is_set():
                    self._stop.wait(0.02)
                    continue
                b = self._buffer(0)
                try:
                    be.ioctl(fd, v.VIDIOC_DQBUF, b)
                except OSError as exc:
                    if exc.errno in (errno.EINVAL, errno.EPIPE, errno.ENODEV):
                        break  # stopped (STREAMOFF from stop()) or gone
                    raise
                self.frames += 1
                if self.hold_s:
                    self._stop.wait(self.hold_s)
                if self._stop.is_set():
                    break
                be.ioctl(fd, v.VIDIOC_QBUF, self._buffer(b.index))
        except OSError as exc:
            self.error = exc
        finally:
            self._fd = None
            with contextlib.suppress(OSError):
                be.ioctl(fd, v.VIDIOC_STREAMOFF, ctypes.c_int(self._type))
            with contextlib.suppress(OSError):
                be.close(fd)
            tracebus.forget_process(self.tid)


__all__ = ["COMM", "SimulatedApp"]
