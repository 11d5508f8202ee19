"""Why a DVB stream receives nothing: the frontend's status after 3 s without a packet.

A demux only sees data once its adapter's frontend is tuned and locked (vidtv's bridge
feeds the demux from the demodulator; a real tuner without lock delivers nothing).  The
queue itself cannot tell "no signal" from "a quiet PID", so after :data:`NO_PACKET_S`
seconds without a buffer the frontend is read (opened read-only, FE_READ_STATUS: it
never disturbs whoever tunes it) and the reason goes into the stream statistics, where
the CLI progress line, its final text/JSON and the TUI's transport-stream panel show it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.abi import dvb as d
from core.dvb import FrontendDevice
from core.errors import MediaError

NO_PACKET_S = 3.0
RECHECK_S = 1.0  # read the frontend at most this often while the stall lasts
_NODE = re.compile(r"^(?P<adapter>.*/adapter\d+)/(demux|dvr)\d+$")


def frontend_of(path: str) -> str | None:
    """``/dev/dvb/adapter0/demux0`` -> ``/dev/dvb/adapter0/frontend0``; None otherwise."""
    m = _NODE.match(path)
    return f"{m.group('adapter')}/frontend0" if m else None


def read_frontend_status(path: str) -> int | str:
    """FE_READ_STATUS on a read-only open: the status bits, or why it could not be read
    (the MediaError's one-line title)."""
    try:
        with FrontendDevice.read_only(path) as fe:
            return fe.read_status()
    except MediaError as exc:
        return f"{exc.errno_name or 'error'}: {exc.title}"


def stall_warning(path: str, status: int | str) -> str:
    """The sentence for a stream of ``path`` that got no packet for NO_PACKET_S."""
    fe = frontend_of(path) or "the frontend"
    name = fe.rsplit("/", 1)[-1]
    head = f"no packet for {NO_PACKET_S:.0f} s"
    if isinstance(status, str):
        return f"{head}: is the frontend tuned and locked? ({name} status unreadable: {status})"
    names = ", ".join(n.removeprefix("FE_") for n in d.fe_status_names(status)) or "none"
    if not status & d.FE_HAS_LOCK:
        return (f"{head}: the frontend is not tuned or not locked ({name} status: {names});"
                " tune it (--tune HZ, or dvbv5-zap) first")
    return (f"{head} although {name} has lock ({names}): nothing on this PID, or the "
            "demux filter is not started")


class StallWatch:
    """Per DVB queue: after NO_PACKET_S without a buffer, the warning (re-read each
    RECHECK_S); none while buffers arrive.  ``read`` is injectable for tests."""

    def __init__(self, path: str, read: Callable[[str], int | str] | None = None) -> None:
        self.path = path
        self.frontend = frontend_of(path)
        self._read = read if read is not None else read_frontend_status
        self._checked = float("-inf")
        self._warning: str | None = None

    def warnings(self, now: float, since_data: float | None) -> tuple[str, ...]:
        """``since_data``: seconds since the last buffer (or since the start)."""
        if since_data is None or since_data < NO_PACKET_S or self.frontend is None:
            self._warning = None
            return ()
        if self._warning is None or now - self._checked >= RECHECK_S:
            self._checked = now
            self._warning = stall_warning(self.path, self._read(self.frontend))
        return (self._warning,)
