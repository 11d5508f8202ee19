"""The glue between the streaming engine's thread and the UI: messages, pacing, tracing.

A stream view runs :func:`core.service.stream.run_stream` in a thread worker.  The engine
already freezes a snapshot at most every 100 ms; :class:`SnapshotPoster` keeps it that
way at the sink (a burst of step commands asks for immediate snapshots) and posts
:class:`~mediatui.messages.StreamSnapshotReady`, which coalesces with an unhandled one
of the same stream, so a UI that falls behind skips to the newest state instead of
replaying history.

:class:`FrameTraceFilter` sits between the ioctl chokepoint and the app's recorder while
the stream screen exists: per-frame QBUF/DQBUF (and the snapshot-time QUERYBUFs) from a
stream thread reach the ioctl log only while that stream is paused or stepped by hand,
when each one is a step worth reading; free-running at 1,000 fps they would be 4,000
log lines a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core import ioctl as chokepoint
from core.abi import dvb, v4l2
from core.ioctl import TraceEntry
from core.stream import StreamSnapshot, StreamState

MAX_RATE_HZ = 10.0

PER_FRAME_IOCTLS = frozenset(
    {"VIDIOC_QBUF", "VIDIOC_DQBUF", "VIDIOC_QUERYBUF", "DMX_QBUF", "DMX_DQBUF"}
)
# The same ioctls by number: the chokepoint then skips building their entries at all.
PER_FRAME_REQUESTS = frozenset(
    {v4l2.VIDIOC_QBUF, v4l2.VIDIOC_DQBUF, v4l2.VIDIOC_QUERYBUF, dvb.DMX_QBUF, dvb.DMX_DQBUF}
)


class SnapshotPoster:
    """The engine's ``on_snapshot``: at most ``rate_hz`` posts a second, except final
    snapshots and ones carrying step notes, which always go (they are the user's
    answer to a key press)."""

    def __init__(self, post: Callable[[StreamSnapshot], None], *,
                 rate_hz: float = MAX_RATE_HZ, clock: Callable[[], float] = time.monotonic,
                 on_state: Callable[[StreamState], None] | None = None) -> None:
        self._post = post
        self._interval = 1.0 / rate_hz
        self._clock = clock
        self._last = float("-inf")
        self._on_state = on_state
        self.posted = 0
        self.skipped = 0

    def __call__(self, snap: StreamSnapshot) -> None:
        if self._on_state is not None:
            self._on_state(snap.state)
        now = self._clock()
        if not (snap.final or snap.notes or snap.error) and now - self._last < self._interval:
            self.skipped += 1
            return
        self._last = now
        self.posted += 1
        self._post(snap)


class FrameTraceFilter:
    """A tracer that forwards to ``recorder`` all but the quiet threads' per-frame ioctls."""

    def __init__(self, recorder: Callable[[TraceEntry], None]) -> None:
        self.recorder = recorder
        self._local = threading.local()
        self.dropped = 0  # approximate: bumped without a lock, only for display
        self.installed = False

    def __call__(self, entry: TraceEntry) -> None:
        if getattr(self._local, "quiet", False) and entry.ioctl in PER_FRAME_IOCTLS:
            self.dropped += 1
            return
        self.recorder(entry)

    def follow(self, state: StreamState) -> None:
        """Called in the stream's thread with each snapshot's state."""
        self.quiet(state is StreamState.STREAMING)

    def quiet(self, on: bool) -> None:
        """In the calling thread: hide (or show again) the per-frame ioctls."""
        self._local.quiet = on
        chokepoint.untrace_in_thread(PER_FRAME_REQUESTS if on else frozenset())

    def install(self) -> None:
        """Take the recorder's place in the chokepoint."""
        if not self.installed:
            chokepoint.remove_tracer(self.recorder)
            chokepoint.add_tracer(self)
            self.installed = True

    def uninstall(self, *, restore: bool) -> None:
        """Step aside; ``restore`` puts the recorder back (not when the app is exiting:
        the app removes its recorder itself, after the screens are gone)."""
        if self.installed:
            chokepoint.remove_tracer(self)
            if restore:
                chokepoint.add_tracer(self.recorder)
            self.installed = False
