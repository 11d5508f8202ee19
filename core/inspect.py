"""One-call summaries of a node for the CLI and the inspector: read-only, never throws
away a partial answer because one ioctl failed."""

from __future__ import annotations

import os
import re
from typing import Any

from core.abi import dvb as d
from core.abi import v4l2 as v
from core.dvb import DemuxDevice, DvrDevice, FrontendDevice
from core.errors import MediaError
from core.video import VideoDevice, buf_type_name

_DVB = re.compile(r"/dev/dvb/adapter\d+/(frontend|demux|dvr)\d+$")


def dvb_kind(path: str) -> str | None:
    m = _DVB.search(path)
    return m.group(1) if m else None


def video_info(dev: VideoDevice) -> dict[str, Any]:
    """Capabilities, formats with sizes and intervals, current formats."""
    cap = dev.capability()
    out: dict[str, Any] = {
        "path": dev.path,
        "driver": cap.driver,
        "card": cap.card,
        "bus_info": cap.bus_info,
        "version": cap.version_str,
        "capabilities": v.decode_flags(cap.capabilities, v.Cap),
        "device_caps": v.decode_flags(cap.device_caps, v.Cap),
        "queues": [],
    }
    for buf_type in cap.buf_types:
        queue: dict[str, Any] = {"buf_type": buf_type_name(buf_type), "formats": []}
        try:
            fmt = dev.get_format(buf_type)
            queue["current_format"] = {
                "width": fmt.width,
                "height": fmt.height,
                "pixelformat": fmt.fourcc,
                "field": fmt.field,
                "planes": [
                    {"bytesperline": p.bytesperline, "sizeimage": p.sizeimage}
                    for p in fmt.planes
                ],
            }
        except MediaError as exc:
            queue["current_format"] = {"error": exc.title}
        interval = dev.get_frame_interval(buf_type)
        if interval:
            queue["frame_interval"] = f"{interval[0]}/{interval[1]}"
        for desc in dev.formats(buf_type):
            entry: dict[str, Any] = {
                "fourcc": desc.fourcc,
                "description": desc.description,
                "flags": desc.flags,
                "sizes": [],
            }
            for size in dev.frame_sizes(desc.pixelformat)[:32]:
                sz: dict[str, Any] = {"size": str(size)}
                if size.kind == "discrete":
                    sz["intervals"] = [
                        f"{i.numerator}/{i.denominator}"
                        for i in dev.frame_intervals(desc.pixelformat, size.width, size.height)
                    ]
                entry["sizes"].append(sz)
            queue["formats"].append(entry)
        out["queues"].append(queue)
    return out


def video_probe(dev: VideoDevice) -> dict[str, Any]:
    cap = dev.capability()
    return {
        "path": dev.path,
        "driver": cap.driver,
        "card": cap.card,
        "streaming": bool(cap.device_caps & v.V4L2_CAP_STREAMING),
        "queues": [p.as_dict() for p in dev.probe()],
    }


# dvb-fe-tool's way: a read-only open may query (FE_GET_INFO, FE_READ_STATUS,
# FE_GET_PROPERTY are _IOR) while another process holds the frontend read-write
# (drivers/media/dvb-core/dvb_frontend.c: dvb_frontend_open/ioctl).
FRONTEND_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC


def frontend_info(fe: FrontendDevice) -> dict[str, Any]:
    """FE_GET_INFO, FE_READ_STATUS and the DTV_STAT_* statistics
    (:meth:`core.dvb_stats.FrontendStats.as_dict`; ``stats_error`` instead when the
    driver has no DVBv5 statistics)."""
    info = fe.info()
    status = fe.read_status()
    out: dict[str, Any] = {
        "path": fe.path,
        "name": info.name,
        "frequency_min": info.frequency_min,
        "frequency_max": info.frequency_max,
        "delivery_systems": [d.DELIVERY_SYSTEM_NAMES.get(s, str(s)) for s in info.delivery_systems],
        "status": d.fe_status_names(status),
    }
    try:
        out["stats"] = fe.stats().as_dict()
    except MediaError as exc:
        out["stats"] = None
        out["stats_error"] = str(exc)
    return out


def dvb_queue_probe(node: DemuxDevice | DvrDevice) -> dict[str, Any]:
    present = node.has_mmap_api()
    return {
        "path": node.path,
        "kind": node.kind,
        "mmap_api": present,
        "max_size": 4096 * 188 if present else None,
        "note": None if present else "kernel built without CONFIG_DVB_MMAP",
    }


def describe(path: str, *, probe: bool) -> dict[str, Any]:
    """``info`` (probe=False) or ``probe`` (probe=True) for any supported node."""
    kind = dvb_kind(path)
    if kind == "frontend":
        with FrontendDevice(path, FRONTEND_READ_FLAGS) as fe:
            result = frontend_info(fe)
            result["kind"] = "dvb-frontend"
            return result
    if kind in ("demux", "dvr"):
        cls = DemuxDevice if kind == "demux" else DvrDevice
        with cls(path) as node:
            return dvb_queue_probe(node)
    with VideoDevice(path) as dev:
        return video_probe(dev) if probe else video_info(dev)
