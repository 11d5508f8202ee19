"""The ioctl log repaints at a bounded rate while ioctls trickle in (issue: first paint)."""

from __future__ import annotations

import asyncio
import threading
import time

from textual.app import App, ComposeResult

from core.ioctl import TraceEntry
from mediatui.messages import IoctlTraced
from mediatui.widgets.ioctl_log import FLUSH_INTERVAL_S, IoctlLog, IoctlRecorder


def _entry(n: int) -> TraceEntry:
    return TraceEntry(time=time.time(), fd=3, path="/dev/video0", ioctl="VIDIOC_QUERYCAP",
                      request=0, summary=f"call {n}", result=0, errno=None, duration_ns=1)


class LogApp(App[None]):
    def __init__(self, recorder: IoctlRecorder) -> None:
        super().__init__()
        self.recorder = recorder

    def compose(self) -> ComposeResult:
        yield IoctlLog(self.recorder, id="log")


def test_a_trickle_of_ioctls_is_shown_in_batches() -> None:
    asyncio.run(_trickle())


async def _trickle() -> None:
    """200 ioctls over about a second, one by one from a thread (a worker opening a node
    under emulation): every line arrives, in a handful of batches, not one per ioctl."""
    recorder = IoctlRecorder()
    app = LogApp(recorder)
    async with app.run_test(size=(80, 20)) as pilot:
        log = app.query_one(IoctlLog)
        recorder.on_new = lambda: log.post_message(IoctlTraced())
        batches: list[int] = []
        append = log._append
        log._append = lambda texts: (batches.append(len(texts)), append(texts))[1]  # type: ignore[method-assign]

        def trickle() -> None:
            for n in range(200):
                recorder(_entry(n))
                time.sleep(0.005)

        thread = threading.Thread(target=trickle)
        thread.start()
        while thread.is_alive():
            await pilot.pause(0.02)
        await asyncio.sleep(FLUSH_INTERVAL_S * 2)
        await pilot.pause()
        assert sum(batches) == 200
        assert "call 199" in log.text_lines[-1]
        # about 1 s of arrivals at most 1 / FLUSH_INTERVAL_S batches a second (x3 for a
        # loaded machine stretching the trickle); one batch per ioctl would be 200
        assert len(batches) <= 3 * int(1.0 / FLUSH_INTERVAL_S) + 2, batches


def test_a_line_is_styled_only_when_shown_and_reads_the_same() -> None:
    asyncio.run(_styled_when_shown())


async def _styled_when_shown() -> None:
    """2,000 entries (discovery at 198 nodes traces about that many): only the rows on
    screen become Rich Text; every line's text, width and copy are what entry_text says,
    hostile device text escaped, a failure named by its errno."""
    import errno

    from rich.text import Text

    from mediatui.widgets.ioctl_log import entry_plain, entry_text

    recorder = IoctlRecorder()
    bad = TraceEntry(time=time.time(), fd=4, path="/dev/video9", ioctl="VIDIOC_S_FMT",
                     request=0, summary="card=\x1b[31mevil\u202e", result=None,
                     errno=errno.EINVAL, duration_ns=1)
    for n in range(2000):
        recorder(_entry(n))
    recorder(bad)
    app = LogApp(recorder)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        log = app.query_one(IoctlLog)
        styled = sum(isinstance(line, Text) for line in log._lines)
        # a screenful at the top (the first layout) and one at the end (follow)
        assert 0 < styled <= 2 * 20, styled
        assert log.text_lines == [entry_text(e).plain for e in recorder.entries()]
        assert log.virtual_size.width == max(entry_text(e).cell_len for e in recorder.entries())
        last = log.text_lines[-1]
        assert last == entry_plain(bad) and last.endswith("→ EINVAL")
        assert "\x1b" not in last and "\u202e" not in last
