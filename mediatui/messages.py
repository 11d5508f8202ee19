"""Messages: past-tense facts that cross from workers (and widgets) to the UI.

Every payload is frozen (discovery's dataclasses, :class:`DeviceView`, plain dicts built
fresh for the message) so a worker can post it and forget it.  Messages that only say
"something new is there, go and look" can replace an unhandled one of their kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from core.discovery import DeviceList, HotplugEvent
from core.errors import MediaError
from mediatui.session import DeviceView


class DevicesChanged(Message):
    """Discovery ran (at start, after hotplug or on request): this is the device list."""

    def __init__(self, devices: DeviceList) -> None:
        super().__init__()
        self.devices = devices

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DevicesChanged)


class HotplugReceived(Message):
    """The watcher reported an event; the screen rescans and updates the browser."""

    def __init__(self, event: HotplugEvent) -> None:
        super().__init__()
        self.event = event


class DeviceRemoved(Message):
    """A node the browser showed went away (hotplug remove, or ENODEV on use)."""

    def __init__(self, path: str, was_open: bool) -> None:
        super().__init__()
        self.path = path
        self.was_open = was_open


class DeviceSelected(Message):
    """The user picked a node in the browser (Enter / click): open and inspect it."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path


class IoctlTraced(Message):
    """New entries are in the ioctl recorder (one message covers any number)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IoctlTraced)


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the inspector shows for one node: core.inspect's dicts, or why not."""

    path: str
    kind: str
    info: dict[str, Any] | None
    probe: dict[str, Any] | None
    error: MediaError | None = None
    holders: str | None = None  # who else holds the node (core.service.holders)


class InspectionLoaded(Message):
    """The inspector worker finished reading a node (info and non-destructive probe)."""

    def __init__(self, inspection: Inspection) -> None:
        super().__init__()
        self.inspection = inspection


class SessionChanged(Message):
    """The selected node's queues, exports or allocations may have changed."""

    def __init__(self, view: DeviceView | None) -> None:
        super().__init__()
        self.view = view

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SessionChanged)


class OperationFinished(Message):
    """One user action ran: ``summary`` on success, ``error`` (explained) on failure."""

    def __init__(self, label: str, summary: str | None, error: MediaError | None) -> None:
        super().__init__()
        self.label = label
        self.summary = summary
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None


class ActionRequested(Message):
    """A panel's button asks the screen to run one of its actions (same as the key)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
