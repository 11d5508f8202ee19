"""What the screens are handed instead of reaching for the app: the service layer's
:class:`~core.service.session.Session` (owner of every fd), how to discover devices and
watch for hotplug, the ioctl recorder, and where saved logs go.

Built once by :func:`mediatui.app.make_app` (the CLI and the tests use the same factory);
no screen imports the app module, so there is no import circle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.discovery import DeviceList, DeviceNode, HotplugEvent
from core.service.session import Session
from mediatui.widgets.ioctl_log import IoctlRecorder


class HotplugWatcher(Protocol):
    """What the main screen needs from core.discovery.Watcher."""

    def run(self, stop: object, on_event: Callable[[HotplugEvent], None]) -> None: ...


WatcherFactory = Callable[[Iterable[DeviceNode]], HotplugWatcher]


def system_watcher(known: Iterable[DeviceNode]) -> HotplugWatcher:
    """udev's hotplug events, knowing the nodes listed so far (core.discovery.Watcher)."""
    from core.discovery import Watcher

    return Watcher(known=list(known))


@dataclass(frozen=True, slots=True)
class Backend:
    """The service and the system around it, as the screens use them.

    ``watcher_factory`` None: no hotplug (demo mode, tests); ``initial_devices``: a fixed
    list shown first instead of running discovery (snapshot tests)."""

    session: Session
    recorder: IoctlRecorder
    discover: Callable[[], DeviceList]
    watcher_factory: WatcherFactory | None = None
    initial_devices: DeviceList | None = None
    log_dir: Path = Path(".")
