"""Causes that depend on the errno alone (access, path, removal) and on open()."""

from __future__ import annotations

import errno as E

from core.explain.registry import GENERIC, Explanation, rule
from core.facts import Facts, NodeAccess, PollFacts

# --- generic causes, whatever the call ----------------------------------------------------


def _eacces(facts: Facts | None) -> Explanation:
    if not isinstance(facts, NodeAccess):
        return (
            "Permission denied",
            "The node's mode bits do not let this user open it (see ls -l on the node); "
            "add the user to the node's group or run as root.",
        )
    who = f"{facts.mode_text} {facts.owner}:{facts.group}"
    if facts.euid == 0:
        return (
            "Permission denied to root",
            f"The node is {who}, but mode bits do not bind root: the filesystem holding "
            "the node is mounted nodev, or a security module (SELinux, AppArmor) or the "
            "device cgroup of this container denies it.",
        )
    if facts.root_only:
        return (
            "Permission denied: root only",
            f"The node is {who}: only its owner may open it, and no group or other access "
            f"is granted, so being in group '{facts.group}' would not help. Run as root, or "
            "have a udev rule give it a group and mode 0660.",
        )
    if facts.in_group:
        return (
            "Permission denied",
            f"The node is {who}; you ({facts.user}) are in group '{facts.group}', but the "
            "group bits do not grant the read/write access asked for. Change the node's "
            "mode (a udev rule) or run as root.",
        )
    return (
        "Permission denied",
        f"The node is {who}: its owner and group '{facts.group}' may open it; you "
        f"({facts.user}) are not in that group. sudo usermod -aG {facts.group} "
        f"{facts.user}, then log in again, or run as root.",
    )


def _eperm(facts: Facts | None) -> Explanation:
    return (
        "Operation not permitted",
        "The kernel refused this operation for this user or this open mode (a missing "
        "capability, a security module's policy, or a node opened read-only), not "
        "because of the node's permission bits.",
    )


def _enodev(facts: Facts | None) -> Explanation:
    detail = ""
    if isinstance(facts, PollFacts):
        detail = f" (poll reported events {facts.events:#x})"
    return (
        "Device removed",
        f"The node no longer has a driver behind it{detail}: it was unplugged or its "
        "driver was unbound. Close it; it may come back under the same or a new name.",
    )


def _enxio(facts: Facts | None) -> Explanation:
    return (
        "No device behind this node",
        "The node's device number has no device registered: a stale node left in /dev "
        "(or made by mknod) for a device that is not there, or a device that exists only "
        "in some context (/dev/tty without a controlling terminal). This is not a removal "
        "during use; look for the node again with `mediatui list`.",
    )


def _enotty(facts: Facts | None) -> Explanation:
    return (
        "Not supported by this node",
        "The driver has no handler for this ioctl: the node is not this kind of device "
        "(e.g. a V4L2 ioctl on a DVB or non-media node, or a subdev without video ioctls).",
    )


def _enoent(facts: Facts | None) -> Explanation:
    return (
        "No such device node",
        "The path does not exist: check it; device numbers change between boots.",
    )


def _enotdir(facts: Facts | None) -> Explanation:
    return (
        "Not a directory in the path",
        "The path is wrong: one of its components used as a directory is a file or a "
        "device (as in /dev/video0/x).",
    )


def _eisdir(facts: Facts | None) -> Explanation:
    return (
        "The path is a directory",
        "The path names a directory, not a device node; name a node inside it "
        "(e.g. /dev/video0, /dev/dvb/adapter0/demux0).",
    )


def _eloop(facts: Facts | None) -> Explanation:
    return (
        "Symbolic link loop in the path",
        "Resolving the path met too many symbolic links (a loop): the path is wrong, "
        "not the device. Check the links with namei -l PATH.",
    )


def _enametoolong(facts: Facts | None) -> Explanation:
    return (
        "Path too long",
        "The path or one of its components is longer than the kernel accepts "
        "(PATH_MAX 4096 bytes, NAME_MAX 255 per component).",
    )


def _ebusy_generic(facts: Facts | None) -> Explanation:
    return (
        "Device busy",
        "Another file handle owns the queue, or the queue is streaming.",
    )


def _enomem(facts: Facts | None) -> Explanation:
    return (
        "Out of memory",
        "The driver could not allocate the buffers: ask for fewer or smaller buffers.",
    )


def _eagain(facts: Facts | None) -> Explanation:
    return (
        "Nothing ready yet",
        "The node is non-blocking and has nothing for this call yet: poll() and try again.",
    )


def _eio(facts: Facts | None) -> Explanation:
    return (
        "I/O error from the driver",
        "The driver reported a hardware or protocol failure (or lost the signal); "
        "dmesg usually names it.",
    )


GENERIC.update({
    E.EACCES: _eacces,
    E.EPERM: _eperm,
    E.ENODEV: _enodev,
    E.ENXIO: _enxio,
    E.ENOTTY: _enotty,
    E.ENOENT: _enoent,
    E.ENOTDIR: _enotdir,
    E.EISDIR: _eisdir,
    E.ELOOP: _eloop,
    E.ENAMETOOLONG: _enametoolong,
    E.EBUSY: _ebusy_generic,
    E.ENOMEM: _enomem,
    E.EAGAIN: _eagain,
    E.EIO: _eio,
})



# --- open -------------------------------------------------------------------------------


@rule(("open", E.EBUSY))
def _open_busy(facts: Facts | None) -> Explanation:
    return (
        "Node already open elsewhere",
        "This node allows one opener at a time (e.g. a DVB dvr opened for reading, or a "
        "frontend opened read-write, by another process).",
    )


@rule(("open", E.EOPNOTSUPP))
def _open_eopnotsupp(facts: Facts | None) -> Explanation:
    return (
        "Read-write open not supported",
        "A dvr node without CONFIG_DVB_MMAP refuses O_RDWR opens.",
    )
