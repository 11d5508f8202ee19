"""One-call summaries of a node for the CLI and the inspector: read-only, never throws
away a partial answer because one ioctl failed."""

from __future__ import annotations

import os
import re

from core.abi import v4l2 as v
from core.dvblimits import DVB_V2_MAX_SIZE
from core.errors import MediaError
from core.formats import fract
from core.nodes import v4l2_kind

# The DVB side (core.dvb, its ABI tables) and the video device class load with the
# node they serve: `mediatui info /dev/videoN` imported every DVB module (a third of
# its start in the test VM, issue 16).
TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import Any

    from core.dvb import DemuxDevice, DvrDevice, FrontendDevice
    from core.video import VideoDevice

_DVB = re.compile(r"/dev/dvb/adapter\d+/(frontend|demux|dvr)\d+$")


def dvb_kind(path: str) -> str | None:
    m = _DVB.search(path)
    return m.group(1) if m else None


INTERVAL_SCOPES = ("all", "current-size")


def video_info(dev: VideoDevice, *, intervals: str = "all") -> dict[str, Any]:
    """The ``mediatui.info/1`` payload of a video node (without the ``schema`` key).

    Capabilities as V4L2_CAP_* names without the prefix (raw number under ``*_raw``);
    per queue the current format (:meth:`core.formats.Format.as_dict`), the frame
    interval as a v4l2_fract of seconds, and every format with its sizes and, for
    ``intervals="all"``, each discrete size's frame intervals (ENUM_FRAMEINTERVALS, as
    ``v4l2-ctl --list-formats-ext``); ``"current-size"`` asks them only for the size
    of the queue's current format (vivid's capture node answers ~4,700 ENUM_FRAMEINTERVALS
    for every size, most of ``mediatui info``'s time under emulation).  The scope is
    the payload's ``intervals_listed``.  Raises ValueError for another scope.
    """
    if intervals not in INTERVAL_SCOPES:
        raise ValueError(f"intervals must be one of {INTERVAL_SCOPES}, not {intervals!r}")
    cap = dev.capability()
    out: dict[str, Any] = {
        "path": dev.path,
        "kind": v4l2_kind(cap.device_caps),
        "driver": cap.driver,
        "card": cap.card,
        "bus_info": cap.bus_info,
        "version": cap.version_str,
        "capabilities": v.decode_flags(cap.capabilities, v.Cap),
        "capabilities_raw": cap.capabilities,
        "device_caps": v.decode_flags(cap.device_caps, v.Cap),
        "device_caps_raw": cap.device_caps,
        "intervals_listed": intervals,
        "queues": [],
    }
    for buf_type in cap.buf_types:
        queue: dict[str, Any] = {"buf_type": v.buf_type_name(buf_type), "formats": []}
        current: tuple[int, int] | None = None
        try:
            fmt = dev.get_format(buf_type)
            queue["current_format"] = fmt.as_dict()
            current = (fmt.width, fmt.height)
        except MediaError as exc:
            queue["current_format"] = {"error": error_record(exc)}
        interval = dev.get_frame_interval(buf_type)
        queue["frame_interval"] = fract(interval)
        for desc in dev.formats(buf_type):
            entry: dict[str, Any] = {
                "fourcc": desc.fourcc,
                "description": desc.description,
                "flags": v.decode_flags(desc.flags, v.FmtFlag),
                "flags_raw": desc.flags,
                "sizes": [],
            }
            for size in dev.frame_sizes(desc.pixelformat)[:32]:
                sz = size.as_dict()
                wanted = intervals == "all" or (size.width, size.height) == current
                if size.kind == "discrete" and wanted:
                    sz["intervals"] = [
                        i.as_dict()
                        for i in dev.frame_intervals(desc.pixelformat, size.width, size.height)
                    ]
                entry["sizes"].append(sz)
            queue["formats"].append(entry)
        out["queues"].append(queue)
    return out


def video_probe(dev: VideoDevice) -> dict[str, Any]:
    """The ``mediatui.probe/1`` payload of a video node: per queue, memory types,
    ``buf_caps`` (V4L2_BUF_CAP_SUPPORTS_* names), EXPBUF, found without side effects."""
    cap = dev.capability()
    return {
        "path": dev.path,
        "kind": v4l2_kind(cap.device_caps),
        "driver": cap.driver,
        "card": cap.card,
        "streaming": bool(cap.device_caps & v.V4L2_CAP_STREAMING),
        "queues": [p.as_dict() for p in dev.probe()],
    }


# dvb-fe-tool's way: a read-only open may query (FE_GET_INFO, FE_READ_STATUS,
# FE_GET_PROPERTY are _IOR) while another process holds the frontend read-write
# (drivers/media/dvb-core/dvb_frontend.c: dvb_frontend_open/ioctl).  The same value as
# core.dvb.FE_READ_ONLY (what FrontendDevice.read_only opens with; a test holds them
# equal), spelled here so that importing this module does not load core.dvb.
FRONTEND_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


def _hz(value: int, fe_type: int) -> int:
    # dvb_frontend_info frequencies are in kHz for satellite (FE_QPSK) frontends, in Hz
    # for every other type; with several delivery systems the kernel sets type from the
    # current one (drivers/media/dvb-core/dvb_frontend.c, FE_GET_INFO).
    from core.abi import dvb as d

    return value * 1000 if fe_type == d.FE_QPSK else value


def frontend_info(fe: FrontendDevice) -> dict[str, Any]:
    """The payload of a DVB frontend (``info`` and ``probe``): name, frequency range in
    Hz, delivery systems (SYS_* names without the prefix), FE_* status names, and the
    DTV_STAT_* statistics (:meth:`core.dvb_stats.FrontendStats.as_dict`; ``stats`` None
    and ``stats_error`` when the driver has no DVBv5 statistics)."""
    from core.abi import dvb as d

    info = fe.info()
    status = fe.read_status()
    out: dict[str, Any] = {
        "path": fe.path,
        "kind": "dvb-frontend",
        "name": info.name,
        "frequency_min_hz": _hz(info.frequency_min, info.type),
        "frequency_max_hz": _hz(info.frequency_max, info.type),
        "delivery_systems": [d.DELIVERY_SYSTEM_NAMES.get(s, str(s)) for s in info.delivery_systems],
        "fe_status": d.fe_status_names(status),
        "fe_status_raw": status,
    }
    try:
        out["stats"] = fe.stats().as_dict()
    except MediaError as exc:
        out["stats"] = None
        out["stats_error"] = str(exc)
    return out


def dvb_queue_probe(node: DemuxDevice | DvrDevice) -> dict[str, Any]:
    """The payload of a demux or dvr node: whether the DVB mmap API is there."""
    present = node.has_mmap_api()
    return {
        "path": node.path,
        "kind": node.kind,
        "mmap_api": present,
        "max_size_bytes": DVB_V2_MAX_SIZE if present else None,
        "note": None if present else "kernel built without CONFIG_DVB_MMAP",
    }


def error_record(exc: MediaError) -> dict[str, Any]:
    """The one JSON shape of an error (``error`` in every document): ``kind`` (the
    MediaError class), ``path``, ``ioctl``, ``errno``, ``errno_name``, ``title``,
    ``explanation``."""
    return {"kind": type(exc).__name__, **exc.as_dict()}
