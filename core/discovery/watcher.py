"""Hotplug: media nodes appearing and disappearing, reported as immutable events.

One pollable event socket (pyudev's monitor, or a raw uevent socket without libudev)
plus an eventfd to wake the loop for shutdown; ``run`` polls both with a 100 ms
timeout (in a reader thread of its own) and checks its stop event every turn, so it
never spins and never outlives its caller by more than one timeout.  Each uevent
becomes a :class:`HotplugEvent` in :class:`EventTracker`, which remembers the nodes
it has seen so a remove event, when the node can no longer be asked anything, still
says what the node was.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from queue import Empty, SimpleQueue
from typing import Protocol

from core.discovery import sysfs, udev, udevdb
from core.discovery.identity import (
    Describe,
    devnode,
    kind_from_name,
    node_from_properties,
    physical_of,
    sysname_of,
)
from core.discovery.model import (
    SOURCE_NETLINK,
    SOURCE_UDEV,
    SOURCE_UDEV_KERNEL,
    SUBSYSTEMS,
    DeviceNode,
    HotplugEvent,
)
from core.discovery.netlink import UeventSocket
from core.nodes import describe_node

POLL_TIMEOUT = 0.1  # seconds: the longest a stop request waits without a wake

# A message off the socket (None: the socket overflowed) and when it was read.
_Received = tuple[dict[str, str] | None, float]


class EventSocket(Protocol):
    """What the watcher needs from an event source."""

    def fileno(self) -> int: ...

    def receive(self, limit: int | None = None) -> tuple[list[dict[str, str]], bool]: ...

    def close(self) -> None: ...


class EventTracker:
    """Turns uevent property dicts into :class:`HotplugEvent` and keeps the set of known
    nodes and physical devices (the only ones whose bind/unbind is worth reporting)."""

    def __init__(
        self,
        describe: Describe | None = describe_node,
        *,
        known: Iterable[DeviceNode] = (),
        sys_root: str = "/sys",
        dev_root: str = "/dev",
    ) -> None:
        self._describe = describe
        self._sys_root = sys_root
        self._dev_root = dev_root
        self.nodes: dict[str, DeviceNode] = {}  # by devpath
        self.physical: set[str] = set()
        # Driver of each physical device: udevd's unbind events come without DRIVER.
        self.drivers: dict[str, str] = {}
        # Ancestor chains by parent devpath: one driver adds a dozen nodes at once.
        self._chains: dict[str, list[dict[str, str]]] = {}
        for node in known:
            self.remember(node)

    def seed_from_sysfs(self) -> None:
        """Know the nodes present now, by name only (no ioctl: starting stays cheap)."""
        for devpath in sysfs.node_devpaths(self._sys_root):
            chain = sysfs.ancestors(devpath, self._sys_root, self._chains)
            self._note_physical(chain)
            if devpath in self.nodes:
                continue
            props = sysfs.device_properties(devpath, self._sys_root)
            if props is None:
                continue
            node = node_from_properties(props, ancestors=chain, dev_root=self._dev_root)
            if node is not None:
                self.remember(node)

    def event(self, props: Mapping[str, str], now: float) -> HotplugEvent | None:
        """The event for one uevent, or None when it is not about media devices."""
        action = props.get("ACTION", "")
        subsystem = props.get("SUBSYSTEM", "")
        devpath = props.get("DEVPATH", "")
        seqnum = _int_or_none(props.get("SEQNUM"))
        if subsystem in SUBSYSTEMS and action in ("add", "remove", "change"):
            return self._node_event(action, props, now, seqnum)
        if action not in ("bind", "unbind"):
            return None
        self._chains.clear()  # a DRIVER in a cached chain may have just changed
        driver = props.get("DRIVER", "") or self.drivers.get(devpath, "")
        if action == "bind" and driver:
            self.drivers[devpath] = driver
        if devpath in self.physical:
            return HotplugEvent(
                action=action,  # type: ignore[arg-type]  # narrowed by the test above
                subsystem=subsystem,
                devpath=devpath,
                sysname=sysname_of(devpath),
                path=None,
                kind=None,
                timestamp=now,
                seqnum=seqnum,
                driver=driver,
            )
        return None

    def _node_event(
        self, action: str, props: Mapping[str, str], now: float, seqnum: int | None
    ) -> HotplugEvent:
        subsystem, devpath = props["SUBSYSTEM"], props.get("DEVPATH", "")
        sysname = sysname_of(devpath)
        node: DeviceNode | None = None
        if action == "add":
            chain = sysfs.ancestors(devpath, self._sys_root, self._chains)
            node = node_from_properties(
                props,
                ancestors=chain,
                attrs=sysfs.read_attrs(devpath, self._sys_root, sysfs.attr_names(subsystem)),
                describe=self._describe,
                dev_root=self._dev_root,
            )
            if node is not None:
                self.remember(node)
            self._note_physical(chain)
            known = node
        elif action == "remove":
            # The node can no longer be asked anything: say what went away from what
            # we remembered (name, driver, bus_info from discovery or its add event).
            known = node = self.nodes.pop(devpath, None)
        else:
            known = node = self.nodes.get(devpath)
        path = devnode(props, self._dev_root) or (known.path if known else None)
        kind = known.kind if known is not None else kind_from_name(subsystem, sysname, props)
        return HotplugEvent(
            action=action,  # type: ignore[arg-type]
            subsystem=subsystem,
            devpath=devpath,
            sysname=sysname,
            path=path,
            kind=kind,
            timestamp=now,
            seqnum=seqnum,
            node=node,
        )

    def _note_physical(self, chain: list[dict[str, str]]) -> None:
        phys = physical_of(chain)
        if phys is not None:
            self.physical.add(phys["DEVPATH"])
            if phys.get("DRIVER"):
                self.drivers[phys["DEVPATH"]] = phys["DRIVER"]

    def remember(self, node: DeviceNode) -> None:
        """Know this node (and its physical device) from now on."""
        self.nodes[node.devpath] = node
        if node.physical:
            self.physical.add(node.physical)


class Watcher:
    """Reports add/remove/change of media nodes (and bind/unbind of their hardware).

    Two ways to use it:

    * ``Watcher().run(stop, on_event)`` in a thread: blocks until ``stop`` is set (or
      :meth:`wake` is called after setting it), calls ``on_event`` from that thread;
    * ``with Watcher() as w:`` then ``loop.add_reader(w.fileno(), ...)`` and
      :meth:`read_events` when readable: no thread at all.

    ``source`` says which events are in use once open: "udev" (after udevd's rules),
    "udev (kernel events: no udevd)" or "netlink (libudev unavailable)"; ``notice``
    is the one line to show when a fallback is in use.  ``event_socket`` replaces the
    system's event source (tests, or a virtual backend that simulates hotplug).
    """

    def __init__(
        self,
        *,
        describe: Describe | None = describe_node,
        known: Iterable[DeviceNode] | None = None,
        force_fallback: bool = False,
        event_socket: EventSocket | None = None,
        poll_timeout: float = POLL_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        sys_root: str = "/sys",
        dev_root: str = "/dev",
    ) -> None:
        self.source = ""
        self.notice: str | None = None
        self._force_fallback = force_fallback
        self._poll_timeout = poll_timeout
        self._clock = clock
        self._known = known
        self._injected = event_socket
        self._tracker = EventTracker(describe, sys_root=sys_root, dev_root=dev_root)
        self._socket: EventSocket | None = None
        self._wake_fd = -1
        self._wake_lock = threading.Lock()  # wake() from any thread vs close()
        self._reader_error: BaseException | None = None

    # --- lifetime --------------------------------------------------------------------

    def open(self) -> None:
        """Start listening: events that happen from now on are queued for us."""
        if self._socket is not None:
            return
        self._wake_fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        try:
            self._socket = self._open_socket()
            # Listen first, then look: a node added in between shows up twice at
            # worst, never not at all.
            if self._known is not None:
                for node in self._known:
                    self._tracker.remember(node)
            self._tracker.seed_from_sysfs()
        except BaseException:
            self.close()
            raise

    def _open_socket(self) -> EventSocket:
        if self._injected is not None:
            self.source = self.source or "injected"
            return self._injected
        try:
            if self._force_fallback:
                raise udev.LibudevUnavailable("fallback forced")
            context = udev.load_context()
        except udev.LibudevUnavailable as exc:
            sock = UeventSocket()
            sock.open()
            self.source = SOURCE_NETLINK
            self.notice = f"libudev unavailable ({exc}): reading kernel uevents directly"
            return sock
        # The same test as discover()'s source, so a listing and its watcher never
        # disagree about whether udevd runs.
        if udevdb.udevd_control():
            self.source = SOURCE_UDEV
            return udev.UdevMonitor(context, "udev")
        self.source = SOURCE_UDEV_KERNEL
        return udev.UdevMonitor(context, "kernel")

    def close(self) -> None:
        """Close the event socket and the wake fd; idempotent."""
        sock, self._socket = self._socket, None
        with self._wake_lock:
            wake_fd, self._wake_fd = self._wake_fd, -1
        try:
            if sock is not None:
                sock.close()
        finally:
            if wake_fd >= 0:
                os.close(wake_fd)

    def __enter__(self) -> Watcher:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------------

    def fileno(self) -> int:
        """The event socket's fd: readable when :meth:`read_events` has something."""
        if self._socket is None:
            raise ValueError("watcher is not open")
        return self._socket.fileno()

    def read_events(self) -> list[HotplugEvent]:
        """Every queued event, without blocking.  A "resync" event comes last when the
        socket overflowed: events were lost, rescan with discover()."""
        if self._socket is None:
            raise ValueError("watcher is not open")
        return list(self._events())

    def _events(self) -> Iterator[HotplugEvent]:
        """Events in arrival order, each stamped when it was read off the socket.

        The socket is drained again before each message is processed: describing an
        add takes milliseconds, and a driver registering a hundred nodes sends its
        uevents meanwhile; reading them promptly keeps their timestamps true and the
        socket's queue short (an overflow loses events).
        """
        pending: deque[_Received] = deque()
        self._drain(pending)
        while pending:
            event = self._event_from(*pending.popleft())
            if event is not None:
                yield event
            self._drain(pending)

    def _event_from(self, props: dict[str, str] | None, stamp: float) -> HotplugEvent | None:
        if props is None:
            return HotplugEvent("resync", "", "", "", path=None, kind=None, timestamp=stamp)
        return self._tracker.event(props, stamp)

    def _drain(self, pending: deque[_Received]) -> None:
        """Read every queued message, one at a time so each gets its own stamp; an
        overflow is queued as None (a "resync" event)."""
        assert self._socket is not None
        while True:
            raw, overflowed = self._socket.receive(1)
            stamp = self._clock()
            pending.extend((props, stamp) for props in raw)
            if overflowed:
                pending.append((None, stamp))
            if not raw:
                return

    def wake(self) -> None:
        """Make a blocked :meth:`run` check its stop event now (thread-safe)."""
        # Under the lock: once close() gave the number back, another file may get it.
        with self._wake_lock:
            if self._wake_fd >= 0:
                os.eventfd_write(self._wake_fd, 1)

    def run(self, stop: threading.Event, on_event: Callable[[HotplugEvent], None]) -> None:
        """Report events until ``stop`` is set; closes everything on the way out.

        A reader thread of ours polls the socket (and the wake fd, ≤100 ms timeout),
        stamps each message as it is read and queues it; this thread turns them into
        events and calls ``on_event``.  Describing an add opens the node and reads
        sysfs, which under load takes long enough for a burst of uevents to pile up:
        split like this, every event is stamped when it arrived and the socket never
        waits for us.  A Watcher runs once: it is closed when this returns.
        """
        halt = threading.Event()
        received: SimpleQueue[_Received | None] = SimpleQueue()
        reader: threading.Thread | None = None
        self._reader_error = None
        try:
            self.open()
            reader = threading.Thread(
                target=self._read_loop,
                args=(stop, halt, received),
                name="uevent-reader",
                daemon=True,
            )
            reader.start()
            while not stop.is_set():
                try:
                    item = received.get(timeout=self._poll_timeout)
                except Empty:
                    continue
                if item is None:  # the reader stopped
                    break
                event = self._event_from(*item)
                if event is not None:
                    on_event(event)
        finally:
            halt.set()
            self.wake()
            if reader is not None:
                reader.join()
            self.close()
        if self._reader_error is not None:
            raise self._reader_error

    def _read_loop(
        self, stop: threading.Event, halt: threading.Event, out: SimpleQueue[_Received | None]
    ) -> None:
        poller = select.poll()
        poller.register(self.fileno(), select.POLLIN)
        poller.register(self._wake_fd, select.POLLIN)
        timeout_ms = max(1, int(self._poll_timeout * 1000))
        pending: deque[_Received] = deque()
        try:
            while not (stop.is_set() or halt.is_set()):
                for fd, _mask in poller.poll(timeout_ms):
                    if fd == self._wake_fd:
                        with contextlib.suppress(BlockingIOError):
                            os.eventfd_read(fd)
                        continue
                    self._drain(pending)
                    while pending:
                        out.put(pending.popleft())
        except BaseException as exc:  # handed to run(), which raises it
            self._reader_error = exc
        finally:
            out.put(None)


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None
