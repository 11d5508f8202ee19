"""The Textual application and the one factory the CLI and the tests build it with.

The back end is injected: a :class:`~mediatui.backend.Backend` carries the service's
:class:`Session` (who owns the fds), how to discover devices and how to watch for
hotplug; the app hands it to its screens, which never reach back for the app.  Every
thread worker's failure is explained by the screens' one ``Worker.StateChanged`` handler
(:mod:`mediatui.screens.base`).  ``--demo`` installs the virtual backend in core's ioctl
chokepoint before the app starts, so the same ``discover()`` lists virtual nodes; there
is no udev to watch then.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, TextIO

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from core.discovery import DeviceList, discover
from core.service.session import Session
from mediatui.backend import Backend, WatcherFactory, system_watcher
from mediatui.commands import MediatuiCommands
from mediatui.exitcodes import EXIT_INTERRUPTED
from mediatui.screens.main import MainScreen
from mediatui.widgets.ioctl_log import IoctlRecorder

# How long start-up waits for the first device list before it draws the screen anyway
# (a driver slow to open): see MediatuiApp.on_load.
FIRST_LIST_WAIT_S = 10.0


class MediatuiApp(App[int]):
    """Browse media devices and walk buffers through their life, one ioctl at a time."""

    TITLE = "mediatui"
    # stream.tcss belongs to the stream screen (StreamScreen.CSS_PATH): scoped there, its
    # rules are not matched against the browser's widgets at start-up.
    CSS_PATH: ClassVar[list[str | Path]] = ["app.tcss", "panels.tcss"]
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
        self.backend = Backend(session=session, recorder=recorder, discover=discover,
                               watcher_factory=watcher_factory,
                               initial_devices=initial_devices, log_dir=Path(log_dir))
        self.demo = demo
        self._main_screen: MainScreen | None = None  # built by on_load when it discovers
        if demo:
            self.sub_title = "demo: virtual devices"

    # The backend's parts, for run_app and the tests.
    @property
    def session(self) -> Session:
        return self.backend.session

    @property
    def recorder(self) -> IoctlRecorder:
        return self.backend.recorder

    @property
    def watcher_factory(self) -> WatcherFactory | None:
        return self.backend.watcher_factory

    @property
    def log_dir(self) -> Path:
        return self.backend.log_dir

    def get_default_screen(self) -> Screen[None]:
        return self._main_screen or MainScreen(self.backend)

    @property
    def main_screen(self) -> MainScreen:
        return next(s for s in self.screen_stack if isinstance(s, MainScreen))

    async def on_load(self) -> None:
        # Before any screen: the log shows discovery's ioctls too.
        self.recorder.install()
        if self.backend.initial_devices is None:
            # The first list before the first frame, as a bare app that discovers in
            # on_mount has it, but from the main screen's thread worker, with nothing
            # else running (MainScreen.discover_first says why). The terminal is
            # taken over after it.
            self._main_screen = MainScreen(self.backend)
            status = self._startup_status()
            try:
                await self._main_screen.discover_first(FIRST_LIST_WAIT_S)
            finally:
                if status is not None:
                    status.write("\r\x1b[K")  # the line goes before the screen comes
                    status.flush()

    def _startup_status(self) -> TextIO | None:
        """Say on the terminal what the wait before the first frame is (a driver slow
        to open can make it seconds on a board); None when not on a terminal or headless
        (tests, pilots)."""
        stream = sys.__stderr__
        if self.is_headless or stream is None or not stream.isatty():
            return None
        stream.write("mediatui: looking for media devices...")
        stream.flush()
        return stream

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if not gc.isenabled():
            # Off for start-up (mediatui.cli's _tui): on again once the first frame is out.
            self.call_after_refresh(gc.enable)

    def on_unmount(self) -> None:
        """Close every fd the UI opened (exports first, then the nodes), stop tracing."""
        self.recorder.uninstall()
        self.session.close_all()

    def action_help(self) -> None:
        from mediatui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.main_screen.BINDINGS, self.BINDINGS))

    def action_holders(self) -> None:
        """Who holds every media node and dma-buf, system-wide."""
        from mediatui.screens.holders import HoldersScreen

        if not isinstance(self.screen, HoldersScreen):
            self.push_screen(HoldersScreen(self.backend))


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
    except KeyboardInterrupt:  # Ctrl+C before the terminal was taken over (discovery)
        return EXIT_INTERRUPTED
    finally:
        app.session.close_all()
    return result if isinstance(result, int) else 0
