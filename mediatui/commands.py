"""Command palette entries, "noun: verb", each running one of the main screen's actions.

The palette is the discoverable way in: someone who knows V4L2 from the documentation
types "exp" and finds "export: all planes of every buffer" without learning a key.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (name, main-screen action, help)
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("device: open", "open_device", "open the node under the browser cursor and inspect it"),
    ("device: close", "close_device", "close the node: unmap, close its exports, release"),
    ("device: rescan", "rescan", "list the media devices again"),
    ("buffers: request", "buffers_request", "VIDIOC_REQBUFS / DMX_REQBUFS with the count"),
    ("buffers: create", "buffers_create", "VIDIOC_CREATE_BUFS: add buffers to the queue"),
    ("buffers: free", "buffers_free", "REQBUFS with count 0"),
    ("buffers: query all", "buffers_query", "VIDIOC_QUERYBUF every buffer"),
    ("buffers: map all", "buffers_map", "mmap every plane of every buffer"),
    ("export: buffer", "export_selected", "VIDIOC_EXPBUF the chosen buffer and plane"),
    ("export: all", "export_all", "VIDIOC_EXPBUF every plane of every buffer"),
    ("export: close fd", "export_close", "close the dma-buf fd under the export cursor"),
    ("export: close all", "export_close_all", "close every exported dma-buf fd"),
    ("import: queue", "import_queue", "VIDIOC_QBUF a DMABUF buffer from the chosen source"),
    ("import: close allocations", "import_close", "close the heap/udmabuf dma-bufs"),
    ("log: toggle", "toggle_log", "show or hide the ioctl log"),
    ("log: save", "save_log", "write the ioctl log as NDJSON"),
    ("log: clear", "clear_log", "forget the ioctls logged so far"),
    ("view: inspector", "show_tab('inspector')", "capabilities, formats and the probe"),
    ("view: buffers", "show_tab('buffers')", "the buffer queue"),
    ("view: export", "show_tab('export')", "exported dma-buf fds"),
    ("view: import", "show_tab('import')", "queue dma-bufs on a DMABUF queue"),
    ("stream: start", "stream('open')", "stream the node under the cursor: lanes, fps, drops"),
    ("stream: stop", "stream('stop')", "stop the shown stream (STREAMOFF, unmap, REQBUFS 0)"),
    ("stream: pause", "stream('pause')", "stop re-queueing (again: resume): the driver starves"),
    ("stream: step mode", "stream('manual')", "no DQBUF/QBUF but by hand, one buffer at a time"),
    ("stream: step queue", "stream('queue')", "QBUF one buffer the application holds"),
    ("stream: step dequeue", "stream('dequeue')", "DQBUF one buffer by hand"),
    ("view: streams", "stream('show')", "the running streams"),
    ("view: holders", "app.holders", "who holds every media node and dma-buf, system-wide"),
)


class MediatuiCommands(Provider):
    """Every mediatui action, searchable."""

    def _run(self, action: str) -> partial[object]:
        return partial(self._run_on_main, action)

    async def _run_on_main(self, action: str) -> None:
        """The main screen's action, whatever screen is on top (the stream screen...)."""
        from mediatui.screens.main import MainScreen  # loaded by then: the app's screen

        main = next(s for s in self.app.screen_stack if isinstance(s, MainScreen))
        await main.run_action(action)

    async def discover(self) -> Hits:
        for name, action, help_text in COMMANDS:
            yield DiscoveryHit(name, self._run(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in COMMANDS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), self._run(action), text=name,
                          help=help_text)
