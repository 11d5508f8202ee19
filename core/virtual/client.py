"""A simulated other client for ``--demo``: a process that holds a camera and streams it
with exported buffers, as a GStreamer pipeline in ``io-mode=dmabuf-export`` would.

It drives the virtual driver from the kernel's side of the chokepoint (the backend's
``open``/``ioctl``/``mmap``), so the node's queue is really owned by another file
handle: our own REQBUFS/S_FMT on that node gets EBUSY as it would on a real board.  What
/proc would show about it (fds, fdinfo, maps; debugfs bufinfo) is written to a small
directory tree by :mod:`core.virtual.proctree`, which the holders scan reads through
``VirtualBackend.holders_roots()``: the same scan code as on real systems.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import mmap
import os
import threading
import time

from core.abi import v4l2 as v
from core.buffers import new_v4l2_buffer
from core.fdinfo import DmabufInfo, dmabuf_info
from core.virtual import tracebus
from core.virtual.backend import VirtualBackend
from core.virtual.node import MAJORS
from core.virtual.proctree import ProcTree, SimulatedProcess

PID = 4242
ARGV = ("gst-launch-1.0", "v4l2src", "device=/dev/video6", "io-mode=dmabuf-export", "!",
        "queue", "!", "fakesink")
BUFFERS = 4
EXPORTED = 2  # buffers whose dma-bufs the pipeline passes downstream
# The pipeline leaks: every LEAK_EVERY_S one more dma-buf appears in its fd table (as a
# sink that forgets to release them would), up to MAX_EXPORTS, so the Holders view's
# trend climbs.  Only the tree shows them: real fds in this process would trip the fd
# leak checks of everything else that runs on the demo board.
LEAK_EVERY_S = 5.0
MAX_EXPORTS = 12
LEAKED_FD = 40  # fd numbers and inodes of the leaked ones in the simulated tree
LEAKED_INODE = 1 << 30


class SimulatedClient:
    """Holds ``path``: REQBUFS(4, MMAP), maps every buffer, exports two, streams and
    requeues on a thread until :meth:`stop`."""

    def __init__(self, backend: VirtualBackend, path: str, tree: ProcTree) -> None:
        self.backend = backend
        self.path = path
        self.tree = tree
        self.fd = -1
        self._maps: list[tuple[mmap.mmap, int, int]] = []
        self._exports: list[int] = []
        self._leaked: list[DmabufInfo] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _ioctl(self, request: int, arg: object) -> int:
        return self.backend.ioctl(self.fd, request, arg)

    def start(self) -> None:
        b = self.backend
        self.fd = b.open(self.path, os.O_RDWR | os.O_NONBLOCK)
        cap = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
        req = v.v4l2_requestbuffers(count=BUFFERS, type=cap, memory=v.V4L2_MEMORY_MMAP)
        self._ioctl(v.VIDIOC_REQBUFS, req)
        for index in range(req.count):
            buf = new_v4l2_buffer(cap, v.V4L2_MEMORY_MMAP, index)
            self._ioctl(v.VIDIOC_QUERYBUF, buf)
            offset = buf.m.offset
            self._maps.append((b.mmap(self.fd, buf.length, mmap.PROT_READ, offset),
                               offset, buf.length))
            if index < EXPORTED:
                exp = v.v4l2_exportbuffer(type=cap, index=index, flags=os.O_CLOEXEC)
                self._ioctl(v.VIDIOC_EXPBUF, exp)
                self._exports.append(exp.fd)
            self._ioctl(v.VIDIOC_QBUF, new_v4l2_buffer(cap, v.V4L2_MEMORY_MMAP, index))
        self._ioctl(v.VIDIOC_STREAMON, ctypes.c_int(cap))
        self.tree.write(self.process(), self._rdevs())
        self._thread = threading.Thread(target=self._run, name="demo-client", daemon=True)
        self._thread.start()

    def _rdevs(self) -> dict[str, int]:
        rdevs = {}
        for facts in self.backend.nodes():
            major = MAJORS.get(facts.subsystem)
            node = self.backend.node(facts.path)
            if major is not None and node.minor is not None:
                rdevs[facts.path] = os.makedev(major, node.minor)
        return rdevs

    def process(self) -> SimulatedProcess:
        """What /proc would say about the client now."""
        exports = [(fd, dmabuf_info(fd)) for fd in self._exports]
        exports += [(LEAKED_FD + n, info) for n, info in enumerate(self._leaked)]
        return SimulatedProcess(
            pid=PID, argv=ARGV, uid=os.getuid(), node_path=self.path,
            node_minor=self.backend.node(self.path).minor or 0,
            node_fd=3, maps=[(off, length) for _m, off, length in self._maps],
            dmabufs=exports,
        )

    def _leak(self) -> None:
        first = dmabuf_info(self._exports[0])
        n = len(self._leaked)
        self._leaked.append(DmabufInfo(first.size, first.exp_name, LEAKED_INODE + n, 1,
                                       None, os.O_CLOEXEC | os.O_RDWR))
        self.tree.write(self.process(), self._rdevs())

    def _run(self) -> None:
        # Its records on the virtual trace bus name the simulated process, so
        # ``--demo attach /dev/video6`` shows the pipeline as the holders scan does.
        tid = threading.get_native_id()
        tracebus.register_process(tid, PID, " ".join(ARGV))
        try:
            self._stream()
        finally:
            tracebus.forget_process(tid)

    def _stream(self) -> None:
        cap = v.V4L2_BUF_TYPE_VIDEO_CAPTURE
        next_leak = time.monotonic() + LEAK_EVERY_S
        while not self._stop.wait(0.05):
            try:
                leaked = len(self._exports) + len(self._leaked)
                if time.monotonic() >= next_leak and leaked < MAX_EXPORTS:
                    next_leak += LEAK_EVERY_S
                    self._leak()
                while True:
                    buf = new_v4l2_buffer(cap, v.V4L2_MEMORY_MMAP)
                    self._ioctl(v.VIDIOC_DQBUF, buf)
                    self._ioctl(v.VIDIOC_QBUF, new_v4l2_buffer(cap, v.V4L2_MEMORY_MMAP,
                                                               buf.index))
            except OSError as exc:
                if exc.errno != errno.EAGAIN:
                    return  # the backend shut down under us: nothing left to hold

    def stop(self) -> None:
        """Stop requeueing and let go of everything (unmap, close exports, close)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for m, _off, _len in self._maps:
            with contextlib.suppress(BufferError, ValueError):
                m.close()
        self._maps.clear()
        for fd in self._exports:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._exports.clear()
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                self.backend.close(self.fd)
            self.fd = -1
        self.tree.remove()


def start_demo_client(backend: VirtualBackend, path: str = "/dev/video6") -> SimulatedClient:
    """Start the simulated client on ``path`` and point the holders scan at its tree."""
    tree = ProcTree()
    client = SimulatedClient(backend, path, tree)
    try:
        client.start()
    except BaseException:
        client.stop()
        raise
    backend.set_holders_roots(tree.roots)
    return client
