"""The frozen result of reading one node for the inspector (:mod:`core.service.inspection`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import MediaError


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
