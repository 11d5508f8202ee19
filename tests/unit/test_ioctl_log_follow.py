"""The ioctl log follows new entries with an explicit flag: on until the user scrolls
up, back on at the end, and unchanged by terminal resizes (SSH users resize)."""

from __future__ import annotations

from test_tui_app import _entry, sync
from textual.app import App, ComposeResult

from mediatui.widgets.ioctl_log import IoctlLog, IoctlRecorder


class LogApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.recorder = IoctlRecorder()

    def compose(self) -> ComposeResult:
        yield IoctlLog(self.recorder, id="log")


async def add(pilot, log: IoctlLog, start: int, n: int = 30) -> None:
    for k in range(start, start + n):
        log.recorder(_entry(k))
    log.flush()
    await pilot.pause()
    await pilot.pause()


def at_end(log: IoctlLog) -> bool:
    return log.scroll_y == log.max_scroll_y


@sync
async def test_log_follows_across_resizes() -> None:
    """Larger and back (the case that used to stop following), then new entries: the
    last one is on screen."""
    app = LogApp()
    async with app.run_test(size=(80, 12)) as pilot:
        log = app.query_one(IoctlLog)
        await add(pilot, log, 0)
        assert at_end(log) and log.follow
        for size in ((80, 60), (80, 12), (120, 30), (60, 8), (80, 40), (80, 10)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await add(pilot, log, 100 + size[1] * 10, 20)
            assert log.follow, f"stopped following after a resize to {size}"
            assert at_end(log), f"not at the end after a resize to {size}"


@sync
async def test_scrolling_up_stops_following_and_the_end_resumes_it() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 12)) as pilot:
        log = app.query_one(IoctlLog)
        await add(pilot, log, 0)
        log.focus()
        await pilot.press("pageup")
        await pilot.pause()
        assert not log.follow
        where = log.scroll_y
        await add(pilot, log, 100)
        assert log.scroll_y == where, "new entries pulled the reader away"
        await pilot.resize_terminal(80, 14)  # a resize does not resume following
        await pilot.pause()
        assert not log.follow
        await pilot.press("end")
        await pilot.pause()
        assert log.follow
        await add(pilot, log, 200)
        assert at_end(log)
