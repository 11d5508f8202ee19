"""The Textual application and the one factory the CLI and the tests build it with.

The back end is injected: a :class:`Session` (who owns the fds), how to discover devices
and how to watch for hotplug.  ``--demo`` installs the virtual backend in core's ioctl
chokepoint before the app starts, so the same ``discover()`` lists virtual nodes; there
is no udev to watch then.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar, Protocol

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from core.discovery import DeviceList, DeviceNode, HotplugEvent, discover
from mediatui.commands import MediatuiCommands
from mediatui.screens.help import HelpScreen
from mediatui.screens.main import MainScreen
from mediatui.session import Session
from mediatui.widgets.ioctl_log import IoctlRecorder


class HotplugWatcher(Protocol):
    """What the screen needs from core.discovery.Watcher."""

    def run(self, stop: object, on_event: Callable[[HotplugEvent], None]) -> None: ...


WatcherFactory = Callable[[Iterable[DeviceNode]], HotplugWatcher]


def system_watcher(known: Iterable[DeviceNode]) -> HotplugWatcher:
    from core.discovery import Watcher

    return Watcher(known=list(known))


class MediatuiApp(App[int]):
    """Browse media devices and walk buffers through their life, one ioctl at a time."""

    TITLE = "mediatui"
    CSS_PATH: ClassVar[list[str | Path]] = ["app.tcss", "panels.tcss", "stream.tcss"]
    COMMANDS = App.COMMANDS | {MediatuiCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("f1", "help", "Help", show=False, id="app.help_f1"),
        # Not in the footer (it is full); listed by ? and the palette.
        Binding("h", "holders", "Holders", show=False, id="app.holders"),
    ]

    def __init__(
        self,
        *,
        session: Session,
        recorder: IoctlRecorder,
        discover: Callable[[], DeviceList],
        watcher_factory: WatcherFactory | None,
        initial_devices: DeviceList | None = None,
        demo: bool = False,
        log_dir: str | Path = ".",
    ) -> None:
        super().__init__()
        self.session = session
        self.recorder = recorder
        self.discover = discover
        self.watcher_factory = watcher_factory
        self.initial_devices = initial_devices
        self.demo = demo
        self.log_dir = Path(log_dir)
        if demo:
            self.sub_title = "demo: virtual devices"

    def get_default_screen(self) -> Screen[None]:
        return MainScreen()

    @property
    def main_screen(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.recorder.install()

    def on_unmount(self) -> None:
        """Close every fd the UI opened (exports first, then the nodes), stop tracing."""
        self.recorder.uninstall()
        self.session.close_all()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.main_screen.BINDINGS, self.BINDINGS))

    def action_holders(self) -> None:
        """Who holds every media node and dma-buf, system-wide."""
        from mediatui.screens.holders import HoldersScreen

        if not isinstance(self.screen, HoldersScreen):
            self.push_screen(HoldersScreen())

    async def run_main_action(self, action: str) -> None:
        """Palette commands run the main screen's actions, whatever screen is on top."""
        await self.main_screen.run_action(action)


def make_app(
    *,
    demo: bool = False,
    session: Session | None = None,
    recorder: IoctlRecorder | None = None,
    discover_fn: Callable[[], DeviceList] | None = None,
    devices: DeviceList | None = None,
    watch: bool | None = None,
    watcher_factory: WatcherFactory | None = None,
    log_dir: str | Path | None = None,
) -> MediatuiApp:
    """The app, wired for real devices, the demo, or a test.

    ``devices`` shows a fixed list first (snapshot tests); ``watch`` defaults to on for
    real devices and off in demo mode (virtual devices do not hotplug through udev).
    """
    if watch is None:
        watch = not demo
    return MediatuiApp(
        session=session or Session(),
        recorder=recorder or IoctlRecorder(),
        discover=discover_fn or discover,
        watcher_factory=(watcher_factory or system_watcher) if watch else None,
        initial_devices=devices,
        demo=demo,
        log_dir=log_dir if log_dir is not None else os.getcwd(),
    )


def run_app(demo: bool = False) -> int:
    """Run the TUI until the user quits; the CLI's default verb."""
    app = make_app(demo=demo)
    try:
        result = app.run()
    finally:
        app.session.close_all()
    return result if isinstance(result, int) else 0
