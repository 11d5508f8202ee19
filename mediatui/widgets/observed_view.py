"""A stream another process runs, observed read-only (``a`` on a busy node's stream).

Same lanes, rates and notes as :class:`~mediatui.widgets.stream_view.StreamView`, fed
by :mod:`core.service.attach` (kernel tracepoints, or QUERYBUF sampling when tracefs
is not permitted) in a thread worker.  The title names the owner; pause and the step
keys are refused with the reason: they would act on someone else's queue.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.worker import get_current_worker

from core.errors import MediaError
from core.observe.observed import AttachSnapshot
from core.service.failure import unexpected
from core.service.stream import StreamSpec, failed_snapshot
from mediatui.messages import StreamNoted, StreamSnapshotReady
from mediatui.widgets.stream_view import BADGES, StreamView
from mediatui.widgets.text import plain
from mediatui.workers import SnapshotPoster

READ_ONLY = ("read-only: this stream belongs to another process; pause and the step keys "
             "act only on streams mediatui runs itself")


class ObservedView(StreamView):
    """Observes ``spec.path``; never issues an ioctl that changes its queue."""

    observed: AttachSnapshot | None = None
    source: str = ""

    def _stream_body(self, spec: StreamSpec, key: int) -> None:
        """The observer's thread (the run's worker): attach, observe until cancelled."""
        from core.service import attach as service

        worker = get_current_worker()
        poster = SnapshotPoster(lambda snap: self.post_message(StreamSnapshotReady(key, snap)))

        def sink(att: AttachSnapshot) -> None:
            self.observed = att  # a frozen value; the UI thread only reads it
            poster(att.stream)

        try:
            obs = service.open_observer(spec.path, snapshot_interval=0.1)
            self.source = obs.source + (" (approximate)" if obs.source == "sample" else "")
            if obs.fallback:
                self.post_message(StreamNoted(key, obs.fallback))
            self.post_message(StreamNoted(key, f"attached via {self.source}: read-only"))
            obs.run(worker.cancelled_event, sink)
        except (service.AttachError, ValueError) as exc:
            err = MediaError(path=spec.path, ioctl=None, errno=None,
                             title="Cannot observe this stream", explanation=str(exc))
            poster(failed_snapshot(err, self.clock))
        except MediaError as exc:
            poster(failed_snapshot(exc, self.clock))
        except Exception as exc:  # a bug must not leave the view waiting forever
            poster(failed_snapshot(unexpected("observing", exc), self.clock))
        finally:
            self._done.set()

    def _read_only(self) -> None:
        self.app.bell()
        self.note(READ_ONLY)
        self.app.notify(READ_ONLY, title="attach", severity="warning", markup=False)

    def toggle_pause(self) -> None:
        self._read_only()

    def manual(self) -> None:
        self._read_only()

    def queue_one(self) -> None:
        self._read_only()

    def dequeue_one(self) -> None:
        self._read_only()

    def owner(self) -> str:
        att = self.observed
        if att is None or not att.processes:
            return "owner not seen yet"
        p = max(att.processes, key=lambda p: p.qbuf + p.dqbuf)
        return f"{p.comm} (pid {p.tgid if p.tgid is not None else p.pid})"

    def header_text(self, badge: Callable[[str], Style]) -> Text:
        label, cls = BADGES.get(self.phase, ("?", "badge--idle"))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {label} ", style=badge(cls))
        text.append(" observed ", style="reverse")
        text.append(f" {plain(self.spec.title)}: {plain(self.owner())}", style="bold")
        if self.source:
            text.append(f"  via {self.source}", style="dim")
        snap = self.snapshot
        if snap is not None and snap.queues:
            text.append(f"  {snap.elapsed:.1f} s  {snap.frames} frames")
            stats = snap.main.stats
            if stats is not None and stats.fps is not None:
                text.append(f"  {stats.fps:.1f} fps", style="bold")
        return text

__all__ = ["READ_ONLY", "ObservedView"]
