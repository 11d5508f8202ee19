"""Typed media errors that say *why* the kernel refused, not only that it did.

Below this module everything is a raw ``OSError``.  Device objects catch it where they
know the context of the call and raise a :class:`MediaError` built by
:func:`media_error` from typed facts (:mod:`core.facts`: queue ownership, plane sizes,
export arguments, the frontend's range…).  Its ``title`` fits a notification and its
``explanation`` names the likely kernel reason, taken from the kernel documentation for
the ioctl and from videobuf2/dvb_vb2/dmxdev (rule ids in ``docs/kernel-rules.md``); the
rules live in :mod:`core.explain`, one module per area.
"""

from __future__ import annotations

import errno as E
import os

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any

    from core.facts import Facts
    from core.nodekind import NodeKind
# core.explain (every rule) and core.facts load when an error is built, not with this
# module: every verb imports it, and in the test VM they were a tenth of `list`'s start.

# Explanations fall back to this when nothing more specific is known.
NO_DETAIL = "The kernel gave no more detail for this error."


class MediaError(Exception):
    """A failed operation on a media node, with the kernel's errno and its likely cause."""

    def __init__(
        self,
        *,
        path: str | None,
        ioctl: str | None,
        errno: int | None,
        title: str,
        explanation: str,
    ) -> None:
        super().__init__(title)
        self.path = path
        self.ioctl = ioctl
        self.errno = errno
        self.title = title
        self.explanation = explanation

    @property
    def errno_name(self) -> str:
        return E.errorcode.get(self.errno, str(self.errno)) if self.errno else ""

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        what = f"{self.ioctl} " if self.ioctl else ""
        code = f"failed with {self.errno_name}: " if self.errno else ""
        return f"{where}{what}{code}{self.title}. {self.explanation}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ioctl": self.ioctl,
            "errno": self.errno,
            "errno_name": self.errno_name or None,
            "title": self.title,
            "explanation": self.explanation,
        }


class DeviceGone(MediaError):
    """The node disappeared (unplugged, driver unbound): ENODEV, or POLLERR on poll."""


class NoDevice(MediaError):
    """ENXIO: the node's device number has no device behind it (a stale node, /dev/tty
    without a controlling terminal); nothing was unplugged while in use."""


class NotAMediaNode(MediaError):
    """The path is not a V4L2, DVB, media-controller, dma-heap or udmabuf node; it was
    never opened (opening a watchdog arms it, opening a serial port raises DTR)."""

    def __str__(self) -> str:
        return f"{self.path}: not opened: {self.title}. {self.explanation}"


class PathError(MediaError):
    """The path itself is wrong: ENOENT, ENOTDIR, EISDIR, ELOOP, ENAMETOOLONG."""


class PermissionDenied(MediaError):
    """EACCES/EPERM opening or using a node."""


class NotSupported(MediaError):
    """The node or kernel lacks this API (ENOTTY, EOPNOTSUPP, or a missing DVB mmap API)."""


class Busy(MediaError):
    """EBUSY: streaming, another file handle owns the queue, or memory still in use."""


class InvalidRequest(MediaError):
    """EINVAL: the kernel rejected the arguments or the queue's state."""


class WouldBlock(MediaError):
    """EAGAIN on a non-blocking fd: nothing is ready yet (not a failure for a poll loop)."""


class MemoryFault(MediaError):
    """EFAULT: a buffer could not be mapped or pinned (e.g. a dma-buf without vmap)."""


class OutOfMemory(MediaError):
    """ENOMEM / ENOBUFS: allocation failed or the queue is at its maximum."""


class LastBufferDequeued(MediaError):
    """EPIPE from DQBUF: a mem2mem queue already returned its LAST buffer (K12)."""


class PipelineInvalid(MediaError):
    """EPIPE from STREAMON: media-controller link validation failed on the pipeline."""


_CLASS_BY_ERRNO: dict[int, type[MediaError]] = {
    E.ENODEV: DeviceGone,
    E.ENXIO: NoDevice,
    E.ENOENT: PathError,
    E.ENOTDIR: PathError,
    E.EISDIR: PathError,
    E.ELOOP: PathError,
    E.ENAMETOOLONG: PathError,
    E.EACCES: PermissionDenied,
    E.EPERM: PermissionDenied,
    E.ENOTTY: NotSupported,
    E.EOPNOTSUPP: NotSupported,
    E.EBUSY: Busy,
    E.EINVAL: InvalidRequest,
    E.EAGAIN: WouldBlock,
    E.EFAULT: MemoryFault,
    E.ENOMEM: OutOfMemory,
    E.ENOBUFS: OutOfMemory,
}

# EPIPE means different things per ioctl: never file it by errno alone.
_CLASS_BY_CALL: dict[tuple[str, int], type[MediaError]] = {
    ("VIDIOC_DQBUF", E.EPIPE): LastBufferDequeued,
    ("VIDIOC_STREAMON", E.EPIPE): PipelineInvalid,
}

def media_error(
    exc: OSError | int,
    *,
    ioctl: str | None,
    path: str | None,
    facts: Facts | None = None,
) -> MediaError:
    """Turn an ``OSError`` (or a bare errno) from ``ioctl`` into a typed, explained error.

    ``ioctl`` is the kernel's name of the call ("VIDIOC_QBUF"; "open", "mmap", "poll"
    for those syscalls); ``facts`` is one :mod:`core.facts` value describing what the
    caller knew.  The explanation for (ioctl, errno) is chosen first, then one for the
    errno whatever the call; the class follows the call and errno the same way.
    """
    from core.explain import GENERIC, RULES

    err = exc if isinstance(exc, int) else (exc.errno or 0)
    key = (ioctl or "open", err)
    explainer = RULES.get(key) or GENERIC.get(err)
    if explainer is not None:
        title, explanation = explainer(facts)
    else:
        title = f"{ioctl or 'operation'} failed: {os.strerror(err)}"
        explanation = NO_DETAIL
    if err == E.EBUSY and path:
        explanation = _with_holders(explanation, path)
    cls = _CLASS_BY_CALL.get(key) or _CLASS_BY_ERRNO.get(err, MediaError)
    return cls(path=path, ioctl=ioctl, errno=err, title=title, explanation=explanation)


def _with_holders(explanation: str, path: str) -> str:
    """EBUSY: append who else holds ``path`` (the sentence of core/holders/explain.py,
    from a /proc scan); the original explanation is always kept first."""
    from core.holders.explain import holder_sentence
    from core.service.holders import holders_roots

    try:
        sentence = holder_sentence(path, holders_roots())
    except (OSError, ValueError):
        return explanation  # the scan must never hide the error it explains
    return f"{explanation} {sentence}" if sentence else explanation


def has_specific_explanation(ioctl: str, err: int) -> bool:
    """True when (ioctl, errno) gets an explanation of its own or of its errno."""
    from core.explain import GENERIC, RULES

    return (ioctl, err) in RULES or err in GENERIC


def open_error(exc: OSError, path: str) -> MediaError:
    """The explained error for a failed open of ``path``: EACCES/EPERM say who may open
    the node (its mode, owner and group, and whether the user is in that group)."""
    from core.facts import node_access

    facts = node_access(path) if exc.errno in (E.EACCES, E.EPERM) else None
    return media_error(exc, ioctl="open", path=path, facts=facts)


def not_a_media_node(kind: NodeKind) -> NotAMediaNode:
    """The error for a path that :mod:`core.nodekind` refused to open."""
    return NotAMediaNode(
        path=kind.path,
        ioctl="open",
        errno=None,
        title=f"Not a media node: {kind.describe()}",
        explanation="mediatui opens only V4L2 (video4linux), DVB, media-controller, "
        "dma-heap and udmabuf character devices, and refused to open this path at all "
        "(opening some devices has side effects: a watchdog arms, a serial port raises "
        "DTR). Pick a node from `mediatui list`.",
    )
