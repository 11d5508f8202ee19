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
