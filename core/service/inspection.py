"""Reading one node for the inspector: capabilities, formats and the non-destructive probe.

The node is opened through the :class:`Session` (once: a second handle could not touch
the first one's queue), and what comes back is a frozen :class:`Inspection`, the error
included, so a front end has one value to render whatever happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import MediaError
from core.inspect import (
    FRONTEND_READ_FLAGS,
    dvb_kind,
    dvb_queue_probe,
    frontend_info,
    video_info,
    video_probe,
)
from core.service.failure import unexpected
from core.service.session import Session


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the inspector shows for one node: core.inspect's dicts, or why not.

    ``kind``: ``"video"``, ``"dvb-demux"``, ``"dvb-dvr"`` or ``"dvb-frontend"``;
    ``info``: :func:`core.inspect.video_info` / ``frontend_info``; ``probe``:
    :func:`core.inspect.video_probe` / ``dvb_queue_probe``; ``holders``: the sentence of
    :func:`core.service.holders.node_holders_sentence` naming who else holds the node
    (filled by the TUI's inspector, which shows it; None when nobody or not asked)."""

    path: str
    kind: str
    info: dict[str, Any] | None
    probe: dict[str, Any] | None
    error: MediaError | None = None
    holders: str | None = None


def inspect(session: Session, path: str, *, info: bool = True,
            probe: bool = True) -> Inspection:
    """Open ``path`` (through the session) and read its info and non-destructive probe
    (``info``/``probe`` False: skip that part of a video node; a demux or dvr has only
    its queue probe, a frontend only its info).

    Never raises: a refused open or ioctl is the Inspection's ``error``."""
    kind = "video"
    try:
        dvb = dvb_kind(path)  # the device classes load for the kind of node asked about
        if dvb == "frontend" and not session.is_open(path):
            from core.dvb import FrontendDevice

            # Read-only, as dvb-fe-tool: works while another program holds it read-write
            # (a second O_RDWR open is EBUSY), and leaves nothing open in the session.
            with FrontendDevice(path, FRONTEND_READ_FLAGS) as fe:
                return Inspection(path, "dvb-frontend", frontend_info(fe), None)
        with session.lock:
            node = session.open(path)
            if dvb is None:
                from core.video import VideoDevice

                assert isinstance(node, VideoDevice)
                return Inspection(path, kind, video_info(node) if info else None,
                                  video_probe(node) if probe else None)
            from core.dvb import DemuxDevice, DvrDevice, FrontendDevice

            if isinstance(node, DemuxDevice | DvrDevice):
                return Inspection(path, node.kind, None, dvb_queue_probe(node))
            assert isinstance(node, FrontendDevice)
            return Inspection(path, "dvb-frontend", frontend_info(node), None)
    except MediaError as exc:
        return Inspection(path, kind, None, None, exc)
    except Exception as exc:  # a bug must not take the front end down
        return Inspection(path, kind, None, None, unexpected("inspect", exc))


def describe(session: Session, path: str, *, probe: bool) -> dict[str, Any]:
    """What ``mediatui info`` (``probe`` False) or ``mediatui probe`` prints for any node,
    read by :func:`inspect` as the TUI's inspector reads it: a video node's
    :func:`~core.inspect.video_info` or :func:`~core.inspect.video_probe`, a demux or
    dvr's :func:`~core.inspect.dvb_queue_probe`, a frontend's
    :func:`~core.inspect.frontend_info` with ``"kind": "dvb-frontend"``.

    Raises the :class:`MediaError` of the refused open or ioctl."""
    found = inspect(session, path, info=not probe, probe=probe)
    if found.error is not None:
        raise found.error
    if found.kind == "dvb-frontend":
        assert found.info is not None
        return {**found.info, "kind": "dvb-frontend"}
    result = found.probe if probe or found.info is None else found.info
    assert result is not None
    return result
