"""vimc's media pipeline: the check names the link STREAMON refuses, on vimc and on the
virtual vimc alike (same errno, same mismatch text)."""

from __future__ import annotations

import errno

from core.abi import v4l2 as v
from core.media.check import check_pipeline
from core.media.device import set_video_format
from core.media.explain import PipelineInvalid
from core.media.read import read_topology
from core.service import topology as svc
from core.video import VideoDevice
from scenarios import Rig, scenario
from scenarios.helpers import CAP, MMAP, expect_error

DEFAULT_MISMATCH = ("link 'Sensor A':0 → 'Debayer A':0: source is 640x480 RGB888_1X24, "
                    "sink is 640x480 SRGGB8_1X8 (code differs)")


def power_on_defaults(media: str) -> None:
    """Put vimc back as it boots: formats from a fresh file handle's TRY state, only
    "Debayer A":1 -> "Scaler":0 enabled among the mutable links, captures RGB3 640x480."""
    svc.reset(read_topology(media))
    svc.setup(media, links=['"Debayer A":1->"Scaler":0[1]'], formats=[], propagate_from=[],
              do_reset=False)
    topo = read_topology(media)
    for video in svc.video_nodes(topo):
        set_video_format(video, 640, 480, v.fourcc("RGB3"), v.V4L2_COLORSPACE_SRGB)


def configure_as_vimc_docs(media: str, raw: str) -> None:
    """Documentation/admin-guide/media/vimc.rst: Bayer sensors and debayers."""
    svc.setup(media, links=[], formats=[
        '"Sensor A":0[fmt:SBGGR8_1X8/640x480]', '"Debayer A":0[fmt:SBGGR8_1X8/640x480]',
        '"Sensor B":0[fmt:SBGGR8_1X8/640x480]', '"Debayer B":0[fmt:SBGGR8_1X8/640x480]',
    ], propagate_from=[], do_reset=False)
    set_video_format(raw, None, None, v.fourcc("BA81"))


def _streamon(path: str) -> None:
    with VideoDevice(path) as dev:
        dev.request_buffers(CAP, MMAP, 2)
        for i in range(2):
            dev.queue_buffer(CAP, i)
        try:
            dev.stream_on(CAP)
        finally:
            if dev.queue(CAP).streaming:
                dev.stream_off(CAP)
            dev.request_buffers(CAP, MMAP, 0)


@scenario
def scenario_vimc_pipeline_check(rig: Rig) -> None:
    """At the power-on defaults STREAMON on "Raw Capture 0" fails with EPIPE and the
    error names the link the kernel refuses; after vimc.rst's setup it streams; a
    colorspace change on the sensor alone is reported as exactly that field."""
    media = rig.vimc_media
    assert media, "this rig has no vimc"
    power_on_defaults(media)
    topo = read_topology(media)
    raw = topo.entity_named("Raw Capture 0")
    assert raw is not None and raw.devnode
    result = check_pipeline(topo, raw.devnode)
    assert [p.message for p in result.problems] == [DEFAULT_MISMATCH]
    with expect_error(errno.EPIPE, ioctl="VIDIOC_STREAMON") as info:
        _streamon(raw.devnode)
    assert isinstance(info.value, PipelineInvalid)
    assert DEFAULT_MISMATCH in info.value.explanation
    try:
        configure_as_vimc_docs(media, raw.devnode)
        assert check_pipeline(read_topology(media), raw.devnode).ok
        _streamon(raw.devnode)
        svc.setup(media, links=[], formats=['"Sensor A":0[colorspace:rec709]'],
                  propagate_from=[], do_reset=False)
        problems = check_pipeline(read_topology(media), raw.devnode).problems
        assert [(p.sink, p.fields) for p in problems] == [("'Raw Capture 0':0", ("colorspace",))]
        with expect_error(errno.EPIPE, ioctl="VIDIOC_STREAMON"):
            _streamon(raw.devnode)
        # A disabled link on the scaler's path: no source (vimc's streamer says EPIPE).
        configure_as_vimc_docs(media, raw.devnode)
        svc.setup(media, links=['"Debayer A":1->"Scaler":0[0]'], formats=[],
                  propagate_from=[], do_reset=False)
        rgb = read_topology(media).entity_named("RGB/YUV Capture")
        assert rgb is not None and rgb.devnode
        kinds = [p.kind for p in check_pipeline(read_topology(media), rgb.devnode).problems]
        assert kinds == ["no-source"]
        with expect_error(errno.EPIPE, ioctl="VIDIOC_STREAMON"):
            _streamon(rgb.devnode)
    finally:
        power_on_defaults(media)
