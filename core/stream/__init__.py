"""Streaming: the poll loop, its frozen snapshots, frame and TS statistics, dma-buf pipelines.

Typical use from a UI worker thread::

    stream = video_stream(dev, count=4)
    stream.run(worker.cancelled_event, on_snapshot=post_snapshot)

and from the UI thread ``stream.pause()``, ``stream.queue_one()``, ``stream.dequeue_one()``,
``stream.resume()``, ``stream.stop()``.
"""

from __future__ import annotations

from core.stream.engine import POLL_TIMEOUT_MS, Command, Stream
from core.stream.pipeline import (
    ExportSource,
    HeapSource,
    UdmabufSource,
    capture_type,
    dvb_stream,
    is_m2m,
    match_formats,
    pipeline_stream,
    video_stream,
)
from core.stream.snapshot import (
    DepthStats,
    ErrorInfo,
    QueueSnapshot,
    StreamSnapshot,
    StreamState,
    StreamStats,
    TsStreamStats,
)
from core.stream.stats import DepthTracker, FrameStats, TsStats

__all__ = [
    "POLL_TIMEOUT_MS",
    "Command",
    "DepthStats",
    "DepthTracker",
    "ErrorInfo",
    "ExportSource",
    "FrameStats",
    "HeapSource",
    "QueueSnapshot",
    "Stream",
    "StreamSnapshot",
    "StreamState",
    "StreamStats",
    "TsStats",
    "TsStreamStats",
    "UdmabufSource",
    "capture_type",
    "dvb_stream",
    "is_m2m",
    "match_formats",
    "pipeline_stream",
    "video_stream",
]
