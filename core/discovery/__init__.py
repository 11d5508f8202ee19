"""Which media devices exist, grouped as a person thinks of them, and when they change.

``discover()`` lists every video4linux, dvb and media node with its QUERYCAP identity,
its udev properties and the physical device it belongs to (one camera: its video,
metadata and media nodes; one DVB adapter: frontend, demux, dvr).  It uses libudev
(pyudev) when it can and reads sysfs directly when it cannot; ``DeviceList.source``
says which:

* ``"udev"``: libudev with udevd running (ID_PATH, ID_V4L_*, by-path links present);
* ``"udev (kernel events: no udevd)"``: libudev without udevd (sysfs facts only);
* ``"sysfs (libudev unavailable)"``: no libudev (``MEDIATUI_NO_LIBUDEV=1`` forces it).

:class:`Watcher` reports hotplug as :class:`HotplugEvent` values and says where they
come from the same way (``"netlink (libudev unavailable)"`` for a raw uevent socket).
When a virtual backend that is a :class:`NodeSource` is installed in :mod:`core.ioctl`
(demo mode), ``discover()`` lists its nodes instead of the kernel's.
"""

from __future__ import annotations

from core import ioctl as chokepoint
from core.discovery import sysfs, udev
from core.discovery.identity import Describe, group_nodes, node_from_info
from core.discovery.model import (
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
)
from core.discovery.udev import NO_LIBUDEV_ENV, LibudevUnavailable, udevd_running
from core.discovery.watcher import Watcher
from core.nodes import describe_node


def discover(
    node_source: NodeSource | None = None,
    *,
    describe: Describe = describe_node,
    force_fallback: bool = False,
    sys_root: str = "/sys",
    dev_root: str = "/dev",
) -> DeviceList:
    """Every media node now present, grouped by physical device.

    ``node_source`` (or an installed virtual backend that is one) replaces the kernel
    as the source of paths.  ``force_fallback`` skips libudev, as if it were missing.
    Nodes that cannot be opened are still listed, with ``error`` saying why.
    """
    virtual = node_source or installed_node_source()
    if virtual is not None:
        nodes = [node_from_info(describe(path)) for path in virtual.list_nodes()]
        return DeviceList(source=virtual.source, groups=group_nodes(nodes))
    try:
        if force_fallback:
            raise LibudevUnavailable("fallback forced")
        context = udev.load_context()
    except LibudevUnavailable as exc:
        nodes, parents = sysfs.scan(describe, sys_root=sys_root, dev_root=dev_root)
        return DeviceList(
            source=SOURCE_SYSFS,
            groups=group_nodes(nodes, parents),
            notice=f"libudev unavailable ({exc}): scanning /sys directly",
        )
    nodes, parents = udev.enumerate_nodes(context, describe, sys_root=sys_root)
    source = SOURCE_UDEV if udevd_running() else SOURCE_UDEV_KERNEL
    return DeviceList(source=source, groups=group_nodes(nodes, parents))


def installed_node_source() -> NodeSource | None:
    """The virtual backend installed in the ioctl chokepoint, if it can list its nodes.

    Demo mode installs its backend there so every ioctl goes to it; discovery follows
    the same switch instead of needing its own.
    """
    backends = chokepoint.installed_backends()
    return next((b for b in backends if isinstance(b, NodeSource)), None)


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
