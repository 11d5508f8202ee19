"""Device objects for ``/dev/mediaN`` and ``/dev/v4l-subdevN``, and the video-node
format with its colorimetry (what a link check compares), read and set through
:class:`core.video.VideoDevice`.

All ioctls go through the chokepoint (:class:`core.handle.NodeHandle`), so they are
traced and served by the virtual backend in ``--demo``.  Failures raise
:class:`core.errors.MediaError` naming the ioctl and errno.
"""

from __future__ import annotations

import ctypes
import os

from core import ioctl as chokepoint
from core.abi import media as m
from core.abi import subdev as sd
from core.abi import v4l2 as v
from core.abi.v4l2 import cstr
from core.facts import LinkFacts, PadFacts
from core.formats import Format
from core.handle import NodeHandle
from core.media.model import (
    DeviceInfo,
    Entity,
    Interface,
    Link,
    MbusFormat,
    Pad,
    Rect,
    VideoFormat,
)
from core.video import VideoDevice


def devnode_path(major: int, minor: int) -> str | None:
    """The /dev path of a character device number: a virtual backend's node with that
    number, else the ``DEVNAME`` of ``/sys/dev/char/MAJOR:MINOR/uevent`` (the kernel's
    devnode name: ``dvb/adapter0/frontend0`` for a DVB node, whose sysfs name is
    ``dvb0.frontend0``), else that link's target name (what media-ctl's libmediactl
    does without udev)."""
    for backend in chokepoint.installed_backends():
        nodes = getattr(backend, "virtual_devnode", None)
        if nodes is not None:
            found = nodes(major, minor)
            if found is not None:
                return str(found)
    link = f"/sys/dev/char/{major}:{minor}"
    try:
        with open(os.path.join(link, "uevent"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("DEVNAME="):
                    return "/dev/" + line[len("DEVNAME="):].strip()
    except OSError:
        pass
    try:
        target = os.readlink(link)
    except OSError:
        return None
    return f"/dev/{os.path.basename(target)}"


class MediaDevice(NodeHandle):
    """A media controller node: device info, G_TOPOLOGY, SETUP_LINK."""

    def device_info(self) -> DeviceInfo:
        info = m.media_device_info()
        self._ioctl(m.MEDIA_IOC_DEVICE_INFO, info, "MEDIA_IOC_DEVICE_INFO")
        return DeviceInfo(
            driver=cstr(info.driver), model=cstr(info.model), serial=cstr(info.serial),
            bus_info=cstr(info.bus_info), media_version=info.media_version,
            hw_revision=info.hw_revision, driver_version=info.driver_version)

    def graph(self) -> tuple[int, list[Entity], list[Interface], list[Pad], list[Link]]:
        """MEDIA_IOC_G_TOPOLOGY, asked twice (counts, then the arrays) until the
        topology version is stable, as media-ctl does.  Entities come without pads; the
        caller joins them (:func:`core.media.read.read_topology`)."""
        for _attempt in range(4):
            topo = m.media_v2_topology()
            self._ioctl(m.MEDIA_IOC_G_TOPOLOGY, topo, "MEDIA_IOC_G_TOPOLOGY")
            version = topo.topology_version
            ents = (m.media_v2_entity * max(topo.num_entities, 1))()
            intfs = (m.media_v2_interface * max(topo.num_interfaces, 1))()
            pads = (m.media_v2_pad * max(topo.num_pads, 1))()
            links = (m.media_v2_link * max(topo.num_links, 1))()
            topo.ptr_entities = ctypes.addressof(ents)
            topo.ptr_interfaces = ctypes.addressof(intfs)
            topo.ptr_pads = ctypes.addressof(pads)
            topo.ptr_links = ctypes.addressof(links)
            self._ioctl(m.MEDIA_IOC_G_TOPOLOGY, topo, "MEDIA_IOC_G_TOPOLOGY")
            if topo.topology_version != version:
                continue
            entities = [Entity(e.id, cstr(e.name), e.function, e.flags)
                        for e in ents[: topo.num_entities]]
            interfaces = [Interface(i.id, i.intf_type, i.devnode.major, i.devnode.minor,
                                    devnode_path(i.devnode.major, i.devnode.minor))
                          for i in intfs[: topo.num_interfaces]]
            pad_list = [Pad(p.id, p.entity_id, p.index, p.flags) for p in pads[: topo.num_pads]]
            link_list = [Link(lk.id, lk.source_id, lk.sink_id, lk.flags)
                         for lk in links[: topo.num_links]]
            return version, entities, interfaces, pad_list, link_list
        raise RuntimeError(f"{self.path}: the topology kept changing during G_TOPOLOGY")

    def setup_link(self, source_entity: int, source_pad: int, sink_entity: int,
                   sink_pad: int, flags: int) -> None:
        """MEDIA_IOC_SETUP_LINK: EINVAL for an immutable link or unknown pads, EBUSY
        while the pipeline streams (``Documentation/userspace-api/media/mediactl``)."""
        desc = m.media_link_desc(flags=flags)
        desc.source.entity, desc.source.index = source_entity, source_pad
        desc.sink.entity, desc.sink.index = sink_entity, sink_pad
        self._ioctl(m.MEDIA_IOC_SETUP_LINK, desc, "MEDIA_IOC_SETUP_LINK",
                    LinkFacts(source_entity, source_pad, sink_entity, sink_pad, flags))


def _mbus(f: sd.v4l2_mbus_framefmt) -> MbusFormat:
    return MbusFormat(f.width, f.height, f.code, f.field, f.colorspace, f.ycbcr_enc,
                      f.quantization, f.xfer_func)


class SubdevDevice(NodeHandle):
    """A ``/dev/v4l-subdevN`` node: pad formats, codes, sizes, selections."""

    def querycap(self) -> tuple[int, int]:
        """(version, capabilities) from VIDIOC_SUBDEV_QUERYCAP (6.1 has it; ENOTTY before 5.10)."""
        cap = sd.v4l2_subdev_capability()
        self._ioctl(sd.VIDIOC_SUBDEV_QUERYCAP, cap, "VIDIOC_SUBDEV_QUERYCAP")
        return cap.version, cap.capabilities

    def get_format(self, pad: int, which: int = sd.V4L2_SUBDEV_FORMAT_ACTIVE) -> MbusFormat:
        fmt = sd.v4l2_subdev_format(which=which, pad=pad)
        self._ioctl(sd.VIDIOC_SUBDEV_G_FMT, fmt, "VIDIOC_SUBDEV_G_FMT", PadFacts(pad, which))
        return _mbus(fmt.format)

    def set_format(self, pad: int, want: MbusFormat,
                   which: int = sd.V4L2_SUBDEV_FORMAT_ACTIVE) -> MbusFormat:
        """VIDIOC_SUBDEV_S_FMT; returns what the driver made of ``want`` (it adjusts
        rather than refuses: compare the result)."""
        fmt = sd.v4l2_subdev_format(which=which, pad=pad)
        f = fmt.format
        f.width, f.height, f.code, f.field = want.width, want.height, want.code, want.field
        f.colorspace, f.ycbcr_enc = want.colorspace, want.ycbcr_enc
        f.quantization, f.xfer_func = want.quantization, want.xfer_func
        self._ioctl(sd.VIDIOC_SUBDEV_S_FMT, fmt, "VIDIOC_SUBDEV_S_FMT", PadFacts(pad, which))
        return _mbus(fmt.format)

    def mbus_codes(self, pad: int, which: int = sd.V4L2_SUBDEV_FORMAT_ACTIVE) -> list[int]:
        """VIDIOC_SUBDEV_ENUM_MBUS_CODE until EINVAL (at most 512 codes)."""
        from core.errors import MediaError

        codes: list[int] = []
        for index in range(512):
            arg = sd.v4l2_subdev_mbus_code_enum(pad=pad, index=index, which=which)
            try:
                self._ioctl(sd.VIDIOC_SUBDEV_ENUM_MBUS_CODE, arg, "VIDIOC_SUBDEV_ENUM_MBUS_CODE",
                            PadFacts(pad, which, index=index))
            except MediaError:
                break
            codes.append(arg.code)
        return codes

    def frame_sizes(self, pad: int, code: int,
                    which: int = sd.V4L2_SUBDEV_FORMAT_ACTIVE) -> list[tuple[int, int, int, int]]:
        """(min_width, max_width, min_height, max_height) for each
        VIDIOC_SUBDEV_ENUM_FRAME_SIZE index."""
        from core.errors import MediaError

        out: list[tuple[int, int, int, int]] = []
        for index in range(64):
            arg = sd.v4l2_subdev_frame_size_enum(index=index, pad=pad, code=code, which=which)
            try:
                self._ioctl(sd.VIDIOC_SUBDEV_ENUM_FRAME_SIZE, arg,
                            "VIDIOC_SUBDEV_ENUM_FRAME_SIZE", PadFacts(pad, which, index=index))
            except MediaError:
                break
            out.append((arg.min_width, arg.max_width, arg.min_height, arg.max_height))
        return out

    def get_selection(self, pad: int, target: int,
                      which: int = sd.V4L2_SUBDEV_FORMAT_ACTIVE) -> Rect:
        sel = sd.v4l2_subdev_selection(which=which, pad=pad, target=target)
        self._ioctl(sd.VIDIOC_SUBDEV_G_SELECTION, sel, "VIDIOC_SUBDEV_G_SELECTION",
                    PadFacts(pad, which, target=target))
        return Rect(sel.r.left, sel.r.top, sel.r.width, sel.r.height)

    def set_selection(self, pad: int, target: int, rect: Rect,
                      which: int = sd.V4L2_SUBDEV_FORMAT_ACTIVE) -> Rect:
        sel = sd.v4l2_subdev_selection(which=which, pad=pad, target=target)
        sel.r.left, sel.r.top, sel.r.width, sel.r.height = (rect.left, rect.top, rect.width,
                                                            rect.height)
        self._ioctl(sd.VIDIOC_SUBDEV_S_SELECTION, sel, "VIDIOC_SUBDEV_S_SELECTION",
                    PadFacts(pad, which, target=target))
        return Rect(sel.r.left, sel.r.top, sel.r.width, sel.r.height)

    def get_frame_interval(self, pad: int) -> tuple[int, int]:
        arg = sd.v4l2_subdev_frame_interval(pad=pad)
        self._ioctl(sd.VIDIOC_SUBDEV_G_FRAME_INTERVAL, arg, "VIDIOC_SUBDEV_G_FRAME_INTERVAL",
                    PadFacts(pad, sd.V4L2_SUBDEV_FORMAT_ACTIVE))
        return arg.interval.numerator, arg.interval.denominator


def _video_format(fmt: Format) -> VideoFormat:
    return VideoFormat(fmt.width, fmt.height, fmt.pixelformat, fmt.field, fmt.colorspace,
                       fmt.ycbcr_enc, fmt.quantization, fmt.xfer_func)


def _capture_type(dev: VideoDevice) -> int:
    """The capture queue a pipeline's video node streams (QUERYCAP's device caps)."""
    if dev.capability().device_caps & v.V4L2_CAP_VIDEO_CAPTURE_MPLANE:
        return v.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
    return v.V4L2_BUF_TYPE_VIDEO_CAPTURE


def read_video_format(path: str) -> VideoFormat:
    """A capture video node's current format with its colorimetry (G_FMT), what a
    link check compares with the pad feeding it (vb2's link validation,
    drivers/media/v4l2-core/v4l2-subdev.c ``v4l2_subdev_link_validate``).

    Raises :class:`core.errors.MediaError` naming VIDIOC_QUERYCAP or VIDIOC_G_FMT.
    """
    with VideoDevice(path) as dev:
        return _video_format(dev.get_format(_capture_type(dev)))


def set_video_format(path: str, width: int | None, height: int | None,
                     pixelformat: int | None, colorspace: int | None = None) -> VideoFormat:
    """S_FMT on a capture video node changing only what is given (None keeps the
    current value; ``colorspace`` is enum v4l2_colorspace); returns what the driver
    chose, which may differ from what was asked (the caller says so).

    Raises :class:`core.errors.MediaError` naming VIDIOC_QUERYCAP, G_FMT or S_FMT.
    """
    with VideoDevice(path) as dev:
        return _video_format(dev.set_format(_capture_type(dev), width=width, height=height,
                                            pixelformat=pixelformat, colorspace=colorspace))
