"""Reading one node for the inspector: capabilities, formats and the non-destructive probe.

The node is opened through the :class:`Session` (once: a second handle could not touch
the first one's queue), and what comes back is a frozen :class:`Inspection`, the error
included, so a front end has one value to render whatever happened.
"""

from __future__ import annotations

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

# Inspection stays a dataclass (the TUI copies it with dataclasses.replace) and lives
# in its own module, so that `mediatui info`, which never makes one, does not import
# dataclasses (issue 16). Imported from here as before.
TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any

    from core.service.inspected import Inspection

    # kind, info, probe, error: the fields of an Inspection after its path.
    Read = tuple[str, dict[str, Any] | None, dict[str, Any] | None, MediaError | None]


def __getattr__(name: str) -> object:
    if name == "Inspection":
        from core.service.inspected import Inspection

        return Inspection
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def inspect(session: Session, path: str, *, info: bool = True,
            probe: bool = True) -> Inspection:
    """Open ``path`` (through the session) and read its info and non-destructive probe
    (``info``/``probe`` False: skip that part of a video node; a demux or dvr has only
    its queue probe, a frontend only its info).

    Never raises: a refused open or ioctl is the Inspection's ``error``."""
    from core.service.inspected import Inspection

    return Inspection(path, *read_node(session, path, info=info, probe=probe))


def read_node(session: Session, path: str, *, info: bool, probe: bool,
              intervals: str = "all") -> Read:
    """The one reading of a node behind :func:`inspect` (the TUI) and :func:`describe`
    (the CLI): the fields of an :class:`Inspection` after ``path`` (kind, info, probe,
    error).  Never raises."""
    kind = "video"
    try:
        dvb = dvb_kind(path)  # the device classes load for the kind of node asked about
        if dvb == "frontend" and not session.is_open(path):
            from core.dvb import FrontendDevice

            # Read-only, as dvb-fe-tool: works while another program holds it read-write
            # (a second O_RDWR open is EBUSY), and leaves nothing open in the session.
            with FrontendDevice(path, FRONTEND_READ_FLAGS) as fe:
                return "dvb-frontend", frontend_info(fe), None, None
        with session.lock:
            node = session.open(path)
            if dvb is None:
                from core.video import VideoDevice

                assert isinstance(node, VideoDevice)
                return (kind, video_info(node, intervals=intervals) if info else None,
                        video_probe(node) if probe else None, None)
            from core.dvb import DemuxDevice, DvrDevice, FrontendDevice

            if isinstance(node, DemuxDevice | DvrDevice):
                return node.kind, None, dvb_queue_probe(node), None
            assert isinstance(node, FrontendDevice)
            return "dvb-frontend", frontend_info(node), None, None
    except MediaError as exc:
        return kind, None, None, exc
    except Exception as exc:  # a bug must not take the front end down
        return kind, None, None, unexpected("inspect", exc)


def describe(session: Session, path: str, *, probe: bool,
             intervals: str = "all") -> dict[str, Any]:
    """What ``mediatui info`` (``probe`` False) or ``mediatui probe`` prints for any node,
    read by :func:`inspect` as the TUI's inspector reads it: a video node's
    :func:`~core.inspect.video_info` or :func:`~core.inspect.video_probe`, a demux or
    dvr's :func:`~core.inspect.dvb_queue_probe`, a frontend's
    :func:`~core.inspect.frontend_info` with ``"kind": "dvb-frontend"``; ``intervals``
    is :func:`~core.inspect.video_info`'s scope of frame intervals.

    Raises the :class:`MediaError` of the refused open or ioctl."""
    kind, info, probed, error = read_node(session, path, info=not probe, probe=probe,
                                          intervals=intervals)
    if error is not None:
        raise error
    if kind == "dvb-frontend":
        assert info is not None
        return {**info, "kind": "dvb-frontend"}
    result = probed if probe or info is None else info
    assert result is not None
    return result
