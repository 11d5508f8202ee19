"""One-call summaries of a node for the CLI and the inspector: read-only, never throws
away a partial answer because one ioctl failed."""

from __future__ import annotations

import re
from typing import Any

from core.abi import dvb as d
from core.abi import v4l2 as v
from core.dvb import DVB_V2_MAX_SIZE, DemuxDevice, DvrDevice, FrontendDevice
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


def frontend_info(fe: FrontendDevice) -> dict[str, Any]:
    info = fe.info()
    status = fe.read_status()
    return {
        "path": fe.path,
        "name": info.name,
        "frequency_min": info.frequency_min,
        "frequency_max": info.frequency_max,
        "delivery_systems": [d.DELIVERY_SYSTEM_NAMES.get(s, str(s)) for s in info.delivery_systems],
        "status": d.fe_status_names(status),
    }


def dvb_queue_probe(node: DemuxDevice | DvrDevice) -> dict[str, Any]:
    present = node.has_mmap_api()
    return {
        "path": node.path,
        "kind": node.kind,
        "mmap_api": present,
        "max_size": DVB_V2_MAX_SIZE if present else None,
        "note": None if present else "kernel built without CONFIG_DVB_MMAP",
    }
