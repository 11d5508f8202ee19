"""Messages: past-tense facts that cross from workers (and widgets) to the UI, one small
dataclass each.

Every payload is frozen (discovery's dataclasses, the service layer's :class:`DeviceView`,
:class:`Inspection`, :class:`Outcome` and :class:`StreamSnapshot`) so a worker can post it
and forget it.  Messages that only say "something new is there, go and look" can replace
an unhandled one of their kind.  ``eq=False``: a message compares by identity, as
Textual's own do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # annotations only: the stream engine loads with the stream screen,
    # the inspection (and core.inspect's format tables) with the first node opened
    from core.discovery import DeviceList, HotplugEvent
    from core.errors import MediaError
    from core.service.inspection import Inspection
    from core.service.session import DeviceView
    from core.stream import StreamSnapshot

__all__ = [
    "DeviceRemoved",
    "DeviceSelected",
    "DevicesChanged",
    "HotplugReceived",
    "Inspection",
    "InspectionLoaded",
    "IoctlTraced",
    "OperationFinished",
    "SessionChanged",
    "StreamNoted",
    "StreamSnapshotReady",
]


@dataclass(eq=False)
class DevicesChanged(Message):
    """Discovery ran (at start, after hotplug or on request): this is the device list."""

    devices: DeviceList

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DevicesChanged)


@dataclass(eq=False)
class HotplugReceived(Message):
    """The watcher reported an event; the screen rescans and updates the browser."""

    event: HotplugEvent


@dataclass(eq=False)
class DeviceRemoved(Message):
    """A node the browser showed went away (hotplug remove, or ENODEV on use)."""

    path: str
    was_open: bool


@dataclass(eq=False)
class DeviceSelected(Message):
    """The user picked a node in the browser (Enter / click): open and inspect it."""

    path: str


@dataclass(eq=False)
class IoctlTraced(Message):
    """New entries are in the ioctl recorder (one message covers any number)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IoctlTraced)


@dataclass(eq=False)
class InspectionLoaded(Message):
    """The inspector worker finished reading a node (info and non-destructive probe)."""

    inspection: Inspection


@dataclass(eq=False)
class SessionChanged(Message):
    """The selected node's queues, exports or allocations may have changed."""

    view: DeviceView | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SessionChanged)


@dataclass(eq=False)
class OperationFinished(Message):
    """One user action ran: ``summary`` on success, ``error`` (explained) on failure."""

    label: str
    summary: str | None
    error: MediaError | None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(eq=False)
class StreamSnapshotReady(Message):
    """The engine froze the state of stream ``key``; a newer one replaces it unread."""

    key: int
    snapshot: StreamSnapshot

    def can_replace(self, message: Message) -> bool:
        # ``message`` is the next one queued: this (older) one may go if it is the same
        # stream's, unless it is the final one, which must never be lost.
        return (isinstance(message, StreamSnapshotReady) and message.key == self.key
                and not self.snapshot.final and not self.snapshot.notes)


@dataclass(eq=False)
class StreamNoted(Message):
    """A setup step happened (tuned, filter set...): one line for the view's notes."""

    key: int
    note: str


def __getattr__(name: str) -> object:
    """``Inspection``, re-exported here, loaded when first asked for (PEP 562)."""
    if name == "Inspection":
        from core.service.inspection import Inspection

        return Inspection
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
