"""The virtual backend: the kernel's side of the ioctl chokepoint for a set of nodes.

:class:`VirtualBackend` implements :class:`core.ioctl.Backend` (``owns_path``/``open``/
``ioctl``/``mmap``/``close``) and discovery's ``NodeSource`` (``source``/
``list_nodes``), so once it is installed every layer above the chokepoint (device
objects, streaming, discovery, the UI) runs on it unchanged.

Concurrency is the kernel's: one lock (an RLock under a Condition) serialises every
ioctl like a driver's queue mutex; a blocking DQBUF waits on the condition, releasing
the lock as vb2's ``wait_prepare`` does; the clock's callbacks take the same lock.  After
each ioctl the clock is settled, so on the instant clock a queued buffer is already
done when QBUF returns.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from core import fdinfo
from core import ioctl as chokepoint
from core.facts import NodeKind
from core.holders.roots import ScanRoots
from core.nodekind import MEDIA_MAJORS, MISC_MEDIA
from core.virtual.clock import Clock, RealClock
from core.virtual.memory import fdinfo_provider
from core.virtual.node import MAJORS, FileHandle, Node, NodeFacts
from core.virtual.vb2 import fail


class VirtualBackend:
    """Serves a fixed set of virtual nodes by path."""

    def __init__(
        self,
        nodes: Iterable[Node] = (),
        *,
        clock: Clock | None = None,
        source: str = "virtual",
    ) -> None:
        self.clock: Clock = clock if clock is not None else RealClock()
        self.source = source
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self._nodes: dict[str, Node] = {}
        self._handles: dict[int, FileHandle] = {}
        self._installed = False
        self._holders_roots: ScanRoots | None = None
        for node in nodes:
            self.add(node)

    # --- set-up -----------------------------------------------------------------------

    def add(self, node: Node, platform: str = "") -> Node:
        """Serve ``node``; ``platform`` names the platform device it hangs off in
        sysfs ("vivid.0"), minors are given in order per subsystem."""
        if node.path in self._nodes:
            raise ValueError(f"two virtual nodes at {node.path}")
        node.attach(self.cond, self.clock)
        if platform:
            node.platform = platform
        if node.minor is None:
            node.minor = sum(1 for n in self._nodes.values() if n.subsystem == node.subsystem)
        self._nodes[node.path] = node
        return node

    def node(self, path: str) -> Node:
        return self._nodes[path]

    def nodes(self) -> list[NodeFacts]:
        """Every node with its sysfs-style identity (name, subsystem, driver)."""
        return [node.facts() for node in self._nodes.values()]

    def list_nodes(self) -> Sequence[str]:
        """discovery.NodeSource: the media nodes (V4L2, DVB, media controller)."""
        return [n.path for n in self._nodes.values()
                if n.subsystem in ("video4linux", "dvb", "media") and not n.gone]

    def unplug(self, *paths: str) -> None:
        """Take nodes away as an unbind does: open fds stay, but every ioctl and mmap
        answers ENODEV, poll reports a hang-up and new opens find no node.  Closing
        the fds still releases everything (the streaming loop's cleanup relies on it)."""
        with self.lock:
            for path in paths:
                node = self._nodes[path]
                node.gone = True
                for fh in list(node.handles):
                    fh.pollfd.hang_up()

    def replug(self, *paths: str) -> None:
        """Bring unplugged nodes back, as a bind does (old fds stay dead)."""
        with self.lock:
            for path in paths:
                self._nodes[path].gone = False

    def node_properties(
        self, path: str
    ) -> tuple[dict[str, str], list[dict[str, str]], dict[str, str]] | None:
        """What the kernel's uevent and sysfs would say about ``path``: properties,
        ancestors (nearest first) and attributes, the shapes discovery's
        ``node_from_properties`` takes, so a virtual node can carry a devpath, a
        device number and a physical parent like a real one."""
        node = self._nodes.get(path)
        return node.uevent() if node is not None else None

    def sysfs_facts(self, path: str) -> NodeFacts | None:
        """What sysfs would say about ``path`` (core.nodes asks for virtual paths)."""
        node = self._nodes.get(path)
        return node.facts() if node is not None else None

    def set_holders_roots(self, roots: ScanRoots | None) -> None:
        """The /proc-like tree that describes simulated processes using our nodes."""
        self._holders_roots = roots

    def holders_roots(self) -> ScanRoots | None:
        """core.service.holders reads this tree instead of /proc when it is set."""
        return self._holders_roots

    def virtual_devnode(self, major: int, minor: int) -> str | None:
        """The path of the node with this character device number (what
        ``/sys/dev/char/MAJOR:MINOR`` resolves on a real system)."""
        for node in self._nodes.values():
            if (MAJORS.get(node.subsystem), node.minor or 0) == (major, minor):
                return node.path
        return None

    def media_device_of(self, path: str) -> str | None:
        """The media controller node ``path`` belongs to, if its driver has one."""
        node = self._nodes.get(path)
        return node.media_path if node is not None else None

    def install(self) -> VirtualBackend:
        """Serve our paths through the chokepoint and our dma-bufs through fdinfo."""
        chokepoint.install_backend(self)
        fdinfo.add_fdinfo_provider(fdinfo_provider)
        self._installed = True
        return self

    def uninstall(self) -> None:
        chokepoint.uninstall_backend(self)
        self._installed = False

    def shutdown(self) -> None:
        """Uninstall, release every handle still open and stop the clock, so no thread
        and no fd of ours outlives the backend."""
        self.uninstall()
        with self.lock:
            handles = list(self._handles.values())
        for fh in handles:
            with contextlib.suppress(OSError):
                self._release(fh)
        self.clock.close()

    def __enter__(self) -> VirtualBackend:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # --- core.ioctl.Backend -----------------------------------------------------------

    def owns_path(self, path: str) -> bool:
        return path in self._nodes

    def node_kind(self, path: str) -> NodeKind:
        """What the kernel's registry would say: a character device of the node's
        subsystem (the udmabuf node is a misc minor, as in drivers/dma-buf/udmabuf.c)."""
        node = self._nodes[path]
        registered = {cls: name for name, cls in MEDIA_MAJORS.items()}
        if node.subsystem == "misc":
            media_class = MISC_MEDIA.get(node.name)
            driver = "misc"
        else:
            media_class = node.subsystem if node.subsystem in registered else None
            driver = registered.get(node.subsystem, node.subsystem)
        return NodeKind(path, "character device", MAJORS.get(node.subsystem), node.minor,
                        driver, f"{node.subsystem}/{node.sysname}", media_class)

    def open(self, path: str, flags: int) -> int:
        node = self._nodes.get(path)
        if node is None or node.gone:
            raise fail(errno.ENOENT)
        with self.lock:
            fh = FileHandle(node, flags)
            try:
                node.open(fh)
            except BaseException:
                fh.close()
                raise
            self._handles[fh.fd] = fh
        self.clock.settle()
        return fh.fd

    def _handle(self, fd: int) -> FileHandle:
        fh = self._handles.get(fd)
        if fh is None:
            raise fail(errno.EBADF)
        return fh

    def ioctl(self, fd: int, request: int, arg: Any) -> int:
        try:
            with self.lock:
                fh = self._handle(fd)
                if fh.dead:
                    raise fail(errno.ENODEV)
                try:
                    return fh.node.ioctl(fh, request, arg)
                finally:
                    fh.node.refresh_poll()
        finally:
            self.clock.settle()

    def mmap(self, fd: int, length: int, prot: int, offset: int) -> mmap.mmap:
        with self.lock:
            fh = self._handle(fd)
            if fh.dead:
                raise fail(errno.ENODEV)
            result = fh.node.mmap(fh, length, prot, offset)
            fh.node.refresh_poll()
            return result

    def close(self, fd: int) -> None:
        with self.lock:
            fh = self._handles.get(fd)
            if fh is None:
                os.close(fd)  # not ours any more: behave like close(2)
                return
        self._release(fh)

    def _release(self, fh: FileHandle) -> None:
        with self.lock:
            self._handles.pop(fh.fd, None)
            try:
                fh.node.release(fh)
            finally:
                fh.close()
                fh.node.refresh_poll()
        self.clock.settle()

    def settle(self) -> None:
        """Run the clock's due work (the chokepoint cannot call us after an ioctl)."""
        self.clock.settle()


__all__ = ["VirtualBackend"]
