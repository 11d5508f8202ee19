"""Which media devices exist, grouped as a person thinks of them, and when they change.

``discover()`` lists every video4linux, dvb and media node with its QUERYCAP identity,
its udev properties and the physical device it belongs to (one camera: its video,
metadata and media nodes; one DVB adapter: frontend, demux, dvr).  The nodes come from
sysfs, udevd's properties (ID_PATH, ID_V4L_*, by-path links) from udevd's database,
the file libudev itself reads (:mod:`core.discovery.udevdb`); ``DeviceList.source``
says what there was:

* ``"udev"``: udevd running, its properties and links present;
* ``"udev (kernel events: no udevd)"``: udev installed but udevd not running (sysfs
  facts, plus whatever udevd recorded before it stopped);
* ``"sysfs (libudev unavailable)"``: no udev on the system (no ``/run/udev``), or
  ``--no-udev`` / ``MEDIATUI_NO_LIBUDEV=1``: sysfs and the links found under /dev.

:class:`Watcher` reports hotplug as :class:`HotplugEvent` values and says where they
come from the same way (libudev's monitor through pyudev; ``"netlink (libudev
unavailable)"`` for a raw uevent socket).  When a virtual backend that is a
:class:`NodeSource` is installed in :mod:`core.ioctl` (demo mode), ``discover()`` lists
its nodes instead of the kernel's.

The watcher (pyudev, sockets) is imported when first asked for: ``mediatui list``
does not pay for it.
"""

from __future__ import annotations

import os

from core import ioctl as chokepoint
from core.discovery import sysfs, udevdb
from core.discovery.identity import Describe, group_nodes, node_from_info
from core.discovery.model import (
    NO_LIBUDEV_ENV,
    SOURCE_NETLINK,
    SOURCE_SYSFS,
    SOURCE_UDEV,
    SOURCE_UDEV_KERNEL,
    SUBSYSTEMS,
    DeviceList,
    DeviceNode,
    HotplugAction,
    HotplugEvent,
    NodeSource,
    PhysicalDevice,
    is_node_source,
)
from core.nodes import describe_node

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from core.discovery.udev import udevd_running
    from core.discovery.watcher import Watcher


def __getattr__(name: str) -> object:
    # The hotplug side loads on first use (pyudev and socket cost `list` a third of a
    # second under emulation and it never watches).
    if name == "Watcher":
        from core.discovery.watcher import Watcher

        return Watcher
    if name == "udevd_running":
        from core.discovery.udev import udevd_running

        return udevd_running
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def discover(
    node_source: NodeSource | None = None,
    *,
    describe: Describe = describe_node,
    force_fallback: bool = False,
    sys_root: str = "/sys",
    dev_root: str = "/dev",
    udev_root: str = udevdb.UDEV_ROOT,
) -> DeviceList:
    """Every media node now present, grouped by physical device.

    ``node_source`` (or an installed virtual backend that is one) replaces the kernel
    as the source of paths.  ``force_fallback`` ignores udev, as if it were missing
    (also ``MEDIATUI_NO_LIBUDEV=1``).  ``udev_root`` is udevd's run directory (its
    control socket and database).  Nodes that cannot be opened are still listed, with
    ``error`` saying why.
    """
    virtual = node_source or installed_node_source()
    if virtual is not None:
        nodes = [node_from_info(describe(path)) for path in virtual.list_nodes()]
        return DeviceList(source=virtual.source, groups=group_nodes(nodes))
    why = _no_udev(force_fallback, udev_root)
    if why is not None:
        nodes, parents = sysfs.scan(describe, sys_root=sys_root, dev_root=dev_root)
        return DeviceList(
            source=SOURCE_SYSFS,
            groups=group_nodes(nodes, parents),
            notice=f"{why}: scanning /sys directly",
        )
    nodes, parents = sysfs.scan(describe, sys_root=sys_root, dev_root=dev_root,
                                udev_root=udev_root)
    source = SOURCE_UDEV if udevdb.udevd_control(udev_root) else SOURCE_UDEV_KERNEL
    return DeviceList(source=source, groups=group_nodes(nodes, parents))


def _no_udev(force_fallback: bool, udev_root: str) -> str | None:
    """Why udev's facts are not used, or None when they are."""
    if force_fallback:
        return "udev ignored (--no-udev)"
    if os.environ.get(NO_LIBUDEV_ENV, "") not in ("", "0"):
        return f"udev disabled by {NO_LIBUDEV_ENV}"
    if not udevdb.has_db(udev_root) and not udevdb.udevd_control(udev_root):
        return f"no udev here ({udev_root}/data missing)"
    return None


def installed_node_source() -> NodeSource | None:
    """The virtual backend installed in the ioctl chokepoint, if it can list its nodes.

    Demo mode installs its backend there so every ioctl goes to it; discovery follows
    the same switch instead of needing its own.
    """
    backends = chokepoint.installed_backends()
    return next((b for b in backends if is_node_source(b)), None)


__all__ = [
    "NO_LIBUDEV_ENV",
    "SOURCE_NETLINK",
    "SOURCE_SYSFS",
    "SOURCE_UDEV",
    "SOURCE_UDEV_KERNEL",
    "SUBSYSTEMS",
    "DeviceList",
    "DeviceNode",
    "HotplugAction",
    "HotplugEvent",
    "NodeSource",
    "PhysicalDevice",
    "Watcher",
    "discover",
    "installed_node_source",
    "udevd_running",
]
