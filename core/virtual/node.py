"""What every virtual device node has: a path, an identity, open file handles.

A :class:`FileHandle` is the virtual ``struct file``: the node it was opened on, the
open flags, a real pollable fd (:class:`~core.virtual.pollfd.PollFd`) and whatever the
driver keeps per handle (an m2m context, a demux filter).  Queue ownership (K1) is by
file handle, exactly as vb2 compares ``file->private_data``.
"""

from __future__ import annotations

import errno
import mmap
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.virtual.clock import Clock
from core.virtual.pollfd import PollFd
from core.virtual.vb2 import fail


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What sysfs and udev would say about a node (for discovery and ``list``)."""

    path: str
    subsystem: str  # "video4linux", "dvb", "media", "dma_heap", "misc"
    name: str  # sysfs "name" (V4L2), "dvbA.typeN" (DVB), model (media)
    driver: str
    bus_info: str = ""


class FileHandle:
    """One open of a virtual node."""

    def __init__(self, node: Node, flags: int) -> None:
        self.node = node
        self.flags = flags
        self.pollfd = PollFd(flags)
        self.private: Any = None

    @property
    def fd(self) -> int:
        return self.pollfd.fd

    @property
    def nonblocking(self) -> bool:
        return self.pollfd.nonblocking

    @property
    def dead(self) -> bool:
        """Opened before an unplug: stays dead even after a replug (a new open is a new
        file, as on a real node)."""
        return self.pollfd.hung_up

    def close(self) -> None:
        self.pollfd.close()

    def __repr__(self) -> str:
        return f"<FileHandle {self.node.path} fd={self.fd}>"


# Character-device majors as on the test kernel (media's is dynamic: 252 there).
MAJORS = {"video4linux": 81, "media": 252, "dvb": 212}

Props = Mapping[str, str]


class Node:
    """A virtual device node; drivers subclass it."""

    subsystem = "video4linux"

    def __init__(self, path: str, name: str, driver: str) -> None:
        self.path = path
        self.name = name
        self.driver = driver
        # Where sysfs would put it: the platform device ("vivid.0") and its minor.
        self.platform = ""
        self.minor: int | None = None
        # The /dev/mediaN whose graph has this node as an interface (sysfs: the media
        # node under the same parent device), if its driver registers one.
        self.media_path: str | None = None
        self.handles: list[FileHandle] = []
        # True between unplug() and replug(): the driver is unbound, like a pulled cable.
        self.gone = False
        # Set by the backend when the node joins it.
        self.cond: threading.Condition = threading.Condition(threading.RLock())
        self.clock: Clock | None = None
        self.after_change: Callable[[], None] = lambda: None
        # Extra udev properties (ID_*) as udevd's rules would add them; the hostile
        # board fills them with device-chosen text.
        self.udev_props: dict[str, str] = {}

    def attached_clock(self) -> Clock:
        """The backend's clock; a node serves ioctls only once attached to a backend."""
        if self.clock is None:
            raise RuntimeError(f"{self.path} is not attached to a backend")
        return self.clock

    def attach(self, cond: threading.Condition, clock: Clock) -> None:
        """Join a backend: share its lock (vb2's queue lock) and its clock."""
        self.cond = cond
        self.clock = clock

    @property
    def bus_info(self) -> str:
        return ""

    def facts(self) -> NodeFacts:
        return NodeFacts(self.path, self.subsystem, self.name, self.driver, self.bus_info)

    @property
    def sysname(self) -> str:
        if self.subsystem == "dvb":
            return self.name  # "dvb0.demux0"
        return self.path.rsplit("/", 1)[-1]

    def devpath(self) -> str:
        """The sysfs path a kernel driver would register this node at."""
        if not self.platform:
            return ""
        base = f"/devices/platform/{self.platform}"
        if self.subsystem == "dvb":
            return f"{base}/i2c-0/dvb/{self.sysname}"  # vidtv's bridge is an i2c adapter
        if self.subsystem == "video4linux":
            return f"{base}/video4linux/{self.sysname}"
        return f"{base}/{self.sysname}"

    def uevent(self) -> tuple[dict[str, str], list[dict[str, str]], dict[str, str]] | None:
        """(properties, ancestors nearest first, sysfs attributes) as the kernel's
        uevent and sysfs give them, for discovery's ``node_from_properties``; None for
        nodes outside the media subsystems.  No ``ID_*``: those are udevd's."""
        major = MAJORS.get(self.subsystem)
        devpath = self.devpath()
        if major is None or not devpath:
            return None
        props = {
            "DEVPATH": devpath,
            "SUBSYSTEM": self.subsystem,
            "DEVNAME": self.path.removeprefix("/dev/"),
            "MAJOR": str(major),
            "MINOR": str(self.minor or 0),
        }
        props |= self.udev_props
        if self.subsystem == "dvb":
            adapter, devtype = self.sysname.removeprefix("dvb").split(".", 1)
            props |= {"DVB_ADAPTER_NUM": adapter,
                      "DVB_DEVICE_TYPE": devtype.rstrip("0123456789"),
                      "DVB_DEVICE_NUM": devtype[len(devtype.rstrip("0123456789")):]}
        platform = f"/devices/platform/{self.platform}"
        ancestors = [{"DEVPATH": platform, "SUBSYSTEM": "platform",
                      "DRIVER": self.platform.split(".", 1)[0]}]
        if self.subsystem == "dvb":
            ancestors.insert(0, {"DEVPATH": f"{platform}/i2c-0", "SUBSYSTEM": "i2c"})
        attrs = {"name": self.name, "index": "0"} if self.subsystem == "video4linux" else {}
        return props, ancestors, attrs
    # --- file operations --------------------------------------------------------------

    def open(self, fh: FileHandle) -> None:
        """Called with the backend lock held; raise OSError to refuse the open."""
        self.handles.append(fh)
        self.refresh_poll()

    def release(self, fh: FileHandle) -> None:
        """The last close of ``fh``: drop what it owns."""
        if fh in self.handles:
            self.handles.remove(fh)

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        raise fail(errno.ENOTTY)

    def mmap(self, fh: FileHandle, length: int, prot: int, offset: int) -> mmap.mmap:
        raise fail(errno.ENODEV)

    def poll_state(self, fh: FileHandle) -> tuple[bool, bool]:
        """(readable, writable) as the driver's poll() would report them."""
        return (False, False)

    def refresh_poll(self) -> None:
        for fh in list(self.handles):
            readable, writable = self.poll_state(fh)
            fh.pollfd.set(readable=readable, writable=writable)


__all__ = ["FileHandle", "Node", "NodeFacts"]
