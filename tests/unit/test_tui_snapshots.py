"""Snapshot tests of the browser, the inspector and the buffers panel, with fixed data at
100x32 and at 80x24 (what people get over SSH).

Nothing touches a device: the device list, the inspection and the queue state are the
frozen values the workers would post, posted here by hand (memray's pattern), and the
ioctl log is empty because no ioctl is issued.  Read the SVG diff report before
accepting a new snapshot (``pytest --snapshot-update``).
"""

from __future__ import annotations

import os

import pytest
from textual.pilot import Pilot

from core.abi import v4l2 as v
from core.discovery import DeviceList, DeviceNode, PhysicalDevice
from core.dvb import DvbAllocation
from core.queue import BufferState, BufferStatus, PlaneState, QueueState
from core.service.session import DeviceView, DmabufRow
from mediatui.app import make_app
from mediatui.messages import Inspection, InspectionLoaded, SessionChanged
from mediatui.screens.main import MainScreen

SIZES = [(100, 32), (80, 24)]

CAP = v.V4L2_CAP_VIDEO_CAPTURE | v.V4L2_CAP_STREAMING


def _node(path: str, kind: str, name: str, driver: str, bus: str, phys: str,
          subsystem: str = "video4linux") -> DeviceNode:
    sysname = path.rsplit("/", 1)[-1]
    return DeviceNode(path=path, subsystem=subsystem, sysname=sysname,
                      devpath=f"{phys}/{subsystem}/{sysname}", kind=kind, name=name,
                      driver=driver, card=name, bus_info=bus, device_caps=CAP,
                      physical=phys)


VIVID = "/devices/platform/vivid.0"
VIM2M = "/devices/platform/vim2m.0"
VIDTV = "/devices/platform/vidtv.0"
DEVICES = DeviceList(
    source="fixed (test)",
    groups=(
        PhysicalDevice(VIVID, "platform", "vivid.0", "vivid", "vivid-000", "", "platform:vivid-000",
                       (_node("/dev/video0", "video-capture", "vivid-000-vid-cap", "vivid",
                              "platform:vivid-000", VIVID),
                        _node("/dev/video1", "video-output", "vivid-000-vid-out", "vivid",
                              "platform:vivid-000", VIVID),
                        _node("/dev/media0", "media", "vivid", "vivid", "platform:vivid-000",
                              VIVID, "media"))),
        PhysicalDevice(VIM2M, "platform", "vim2m.0", "vim2m", "vim2m", "", "platform:vim2m",
                       (_node("/dev/video2", "video-m2m", "vim2m", "vim2m", "platform:vim2m",
                              VIM2M),)),
        PhysicalDevice(VIDTV, "platform", "vidtv.0", "vidtv", "vidtv", "", "platform:vidtv",
                       (_node("/dev/dvb/adapter0/frontend0", "dvb-frontend", "dvb0.frontend0",
                              "vidtv", "", VIDTV, "dvb"),
                        _node("/dev/dvb/adapter0/demux0", "dvb-demux", "dvb0.demux0", "vidtv",
                              "", VIDTV, "dvb"),
                        _node("/dev/dvb/adapter0/dvr0", "dvb-dvr", "dvb0.dvr0", "vidtv", "",
                              VIDTV, "dvb"))),
    ),
)

INFO = {
    "path": "/dev/video0", "kind": "video-capture", "driver": "vivid",
    "card": "vivid-000 [markup?]", "bus_info": "platform:vivid-000", "version": "6.1.0",
    "capabilities": ["VIDEO_CAPTURE", "STREAMING", "DEVICE_CAPS"], "capabilities_raw": 0x84000001,
    "device_caps": ["VIDEO_CAPTURE", "STREAMING"], "device_caps_raw": 0x04000001,
    "queues": [{
        "buf_type": "video-capture",
        "current_format": {"buf_type": "video-capture", "fourcc": "YUYV", "width": 640,
                           "height": 480, "field": "none",
                           "planes": [{"bytesperline": 1280, "sizeimage": 614400}]},
        "frame_interval": {"numerator": 1, "denominator": 30},
        "formats": [
            {"fourcc": "YUYV", "description": "YUYV 4:2:2", "flags": [], "flags_raw": 0,
             "sizes": [{"type": "discrete", "width": 320, "height": 180,
                        "intervals": [{"type": "discrete", "numerator": 1, "denominator": 30},
                                      {"type": "discrete", "numerator": 1, "denominator": 25}]},
                       {"type": "discrete", "width": 640, "height": 480,
                        "intervals": [{"type": "discrete", "numerator": 1, "denominator": 30}]}]},
            {"fourcc": "NV12", "description": "Y/UV 4:2:0", "flags": [], "flags_raw": 0,
             "sizes": [{"type": "discrete", "width": 640, "height": 480,
                        "intervals": [{"type": "discrete", "numerator": 1, "denominator": 30}]}]},
        ],
    }],
}
PROBE = {
    "path": "/dev/video0", "kind": "video-capture", "driver": "vivid", "card": "vivid-000",
    "streaming": True,
    "queues": [{"buf_type": "video-capture", "memory_types": ["mmap", "userptr", "dmabuf"],
                "buf_caps": ["MMAP", "USERPTR", "DMABUF", "ORPHANED_BUFS"],
                "buf_caps_raw": 0x17, "max_num_buffers": 32, "orphaned_bufs": True,
                "expbuf": True, "min_buffers": 2, "method": "CREATE_BUFS(0)"}],
}


def test_fixture_documents_follow_the_contract() -> None:
    """The inspector is drawn from the same documents `info`/`probe --json` print."""
    from core.service import jsondoc

    assert jsondoc.validate(jsondoc.document("info", INFO)) == "info"
    assert jsondoc.validate(jsondoc.document("probe", PROBE)) == "probe"


def _buffer(index: int, status: BufferStatus, flags: int, fds: tuple[int, ...] = ()) -> BufferState:
    plane = PlaneState(length=614400, bytesused=614400 if status is BufferStatus.DONE else 0,
                       mem_offset=index * 0x96000, mapped=index < 2, exported_fds=fds)
    return BufferState(index, status, flags, None, None, 1, (plane,))


QUEUE = QueueState(
    path="/dev/video0", buf_type=v.V4L2_BUF_TYPE_VIDEO_CAPTURE, memory=v.V4L2_MEMORY_MMAP,
    streaming=False, requested=3, granted=4, min_buffers=2,
    capabilities=int(v.BufCap.MMAP | v.BufCap.USERPTR | v.BufCap.DMABUF
                     | v.BufCap.ORPHANED_BUFS),
    buffers=(
        _buffer(0, BufferStatus.DEQUEUED, int(v.BufFlag.MAPPED), (12,)),
        _buffer(1, BufferStatus.QUEUED, int(v.BufFlag.MAPPED | v.BufFlag.QUEUED)),
        _buffer(2, BufferStatus.DONE, int(v.BufFlag.DONE)),
        _buffer(3, BufferStatus.DEQUEUED, 0),
    ),
)
VIEW = DeviceView(
    path="/dev/video0", kind="video", is_open=True, removed=False,
    buf_types=(v.V4L2_BUF_TYPE_VIDEO_CAPTURE,), queues=(QUEUE,), dvb_allocation=None,
    exports=(DmabufRow(12, "export", "/dev/video0", "video-capture", 0, 0,
                       os.O_CLOEXEC | os.O_RDONLY, 614400, "vb2_vmalloc", 4242, 2),),
    allocations=(), heaps=("system",), udmabuf=True,
)
DVB_VIEW = DeviceView(
    path="/dev/dvb/adapter0/demux0", kind="dvb-demux", is_open=True, removed=False,
    buf_types=(), queues=(QueueState("/dev/dvb/adapter0/demux0", 0, 1, False, 2, 2, None, 0,
                                     (BufferState(0, BufferStatus.DEQUEUED, 0, None, None, 0,
                                                  (PlaneState(770048, mem_offset=0),)),
                                      BufferState(1, BufferStatus.DEQUEUED, 0, None, None, 0,
                                                  (PlaneState(770048, mem_offset=770048),)))),),
    dvb_allocation=DvbAllocation(2, 1_000_000, 2, 770048),
    exports=(), allocations=(), heaps=(), udmabuf=False,
)


def _app():
    return make_app(devices=DEVICES, discover_fn=lambda: DEVICES, watch=False)


def _show(path: str, tab: str, *, inspection: Inspection | None = None,
          view: DeviceView | None = None):
    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        screen.path = path
        if inspection is not None:
            screen.post_message(InspectionLoaded(inspection))
        if view is not None:
            screen.post_message(SessionChanged(view))
        screen.action_show_tab(tab)
        await pilot.pause()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_browser(snap_compare, size: tuple[int, int]) -> None:
    """The browser groups vivid, vim2m and vidtv nodes; the inspector hints at Enter."""
    assert snap_compare(_app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_inspector(snap_compare, size: tuple[int, int]) -> None:
    """Identity, caps, the probe (before the format list), formats with sizes."""
    inspection = Inspection("/dev/video0", "video", INFO, PROBE)
    assert snap_compare(_app(), terminal_size=size,
                        run_before=_show("/dev/video0", "inspector", inspection=inspection))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_buffers_panel(snap_compare, size: tuple[int, int]) -> None:
    """Asked 3, granted 4 (min 2); a row per buffer with state, map and exported fd."""
    assert snap_compare(_app(), terminal_size=size,
                        run_before=_show("/dev/video0", "buffers", view=VIEW))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_buffers_panel_dvb(snap_compare, size: tuple[int, int]) -> None:
    """DMX_REQBUFS asked 2 x 1000000 B, granted 2 x 770048 B: the clamp is spelled out."""
    assert snap_compare(_app(), terminal_size=size,
                        run_before=_show("/dev/dvb/adapter0/demux0", "buffers", view=DVB_VIEW))
