"""Frozen values for a media graph: entities, pads, links, interfaces and pad formats.

Names follow ``linux/media.h`` and ``linux/v4l2-mediabus.h``; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.abi import media as m
from core.abi import subdev as sd
from core.abi import v4l2 as v
from core.abi.mbus import mbus_code_name


@dataclass(frozen=True, slots=True)
class MbusFormat:
    """A pad's ``v4l2_mbus_framefmt`` (sizes in pixels)."""

    width: int
    height: int
    code: int
    field: int = v.V4L2_FIELD_NONE
    colorspace: int = 0
    ycbcr_enc: int = 0
    quantization: int = 0
    xfer_func: int = 0

    @property
    def code_name(self) -> str:
        return mbus_code_name(self.code)

    def short(self) -> str:
        """``640x480 RGB888_1X24``."""
        return f"{self.width}x{self.height} {self.code_name}"

    def mediactl(self) -> str:
        """The ``[fmt:...]`` text ``media-ctl -p`` prints (default colorimetry left out)."""
        parts = [f"fmt:{self.code_name}/{self.width}x{self.height}",
                 f"field:{v.FIELD_NAMES.get(self.field, str(self.field))}"]
        if self.colorspace:
            parts.append("colorspace:"
                         + sd.MEDIACTL_COLORSPACE_NAMES.get(self.colorspace, str(self.colorspace)))
        if self.xfer_func:
            parts.append("xfer:" + sd.XFER_FUNC_NAMES.get(self.xfer_func, str(self.xfer_func)))
        if self.ycbcr_enc:
            parts.append("ycbcr:" + sd.YCBCR_ENC_NAMES.get(self.ycbcr_enc, str(self.ycbcr_enc)))
        if self.quantization:
            parts.append("quantization:"
                         + sd.QUANTIZATION_NAMES.get(self.quantization, str(self.quantization)))
        return " ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "width": self.width, "height": self.height, "code": self.code_name,
            "code_raw": self.code, "field": v.FIELD_NAMES.get(self.field, str(self.field)),
            "colorspace": sd.MEDIACTL_COLORSPACE_NAMES.get(self.colorspace, str(self.colorspace)),
            "ycbcr_enc": sd.YCBCR_ENC_NAMES.get(self.ycbcr_enc, str(self.ycbcr_enc)),
            "quantization": sd.QUANTIZATION_NAMES.get(self.quantization, str(self.quantization)),
            "xfer_func": sd.XFER_FUNC_NAMES.get(self.xfer_func, str(self.xfer_func)),
        }


@dataclass(frozen=True, slots=True)
class VideoFormat:
    """A video node's current format, with the colorimetry fields the link check reads."""

    width: int
    height: int
    pixelformat: int
    field: int
    colorspace: int = 0
    ycbcr_enc: int = 0
    quantization: int = 0
    xfer_func: int = 0

    @property
    def fourcc(self) -> str:
        return v.fourcc_str(self.pixelformat)

    def short(self) -> str:
        return f"{self.width}x{self.height} {self.fourcc}"

    def as_dict(self) -> dict[str, object]:
        return {
            "width": self.width, "height": self.height, "pixelformat": self.fourcc,
            "field": v.FIELD_NAMES.get(self.field, str(self.field)),
            "colorspace": sd.MEDIACTL_COLORSPACE_NAMES.get(self.colorspace, str(self.colorspace)),
            "ycbcr_enc": sd.YCBCR_ENC_NAMES.get(self.ycbcr_enc, str(self.ycbcr_enc)),
            "quantization": sd.QUANTIZATION_NAMES.get(self.quantization, str(self.quantization)),
            "xfer_func": sd.XFER_FUNC_NAMES.get(self.xfer_func, str(self.xfer_func)),
        }


@dataclass(frozen=True, slots=True)
class Rect:
    left: int
    top: int
    width: int
    height: int

    def __str__(self) -> str:
        return f"({self.left},{self.top})/{self.width}x{self.height}"


@dataclass(frozen=True, slots=True)
class Pad:
    """``media_v2_pad`` plus its active format (None where G_FMT does not apply)."""

    id: int
    entity_id: int
    index: int
    flags: int
    format: MbusFormat | None = None
    format_error: str | None = None
    crop: Rect | None = None
    crop_bounds: Rect | None = None

    @property
    def is_sink(self) -> bool:
        return bool(self.flags & m.MEDIA_PAD_FL_SINK)

    @property
    def is_source(self) -> bool:
        return bool(self.flags & m.MEDIA_PAD_FL_SOURCE)

    @property
    def must_connect(self) -> bool:
        return bool(self.flags & m.MEDIA_PAD_FL_MUST_CONNECT)


@dataclass(frozen=True, slots=True)
class Link:
    """``media_v2_link``: a data link joins two pad ids, an interface link an interface
    and an entity, an ancillary link two entities."""

    id: int
    source_id: int
    sink_id: int
    flags: int

    @property
    def kind(self) -> str:
        return m.link_type(self.flags)

    @property
    def enabled(self) -> bool:
        return bool(self.flags & m.MEDIA_LNK_FL_ENABLED)

    @property
    def immutable(self) -> bool:
        return bool(self.flags & m.MEDIA_LNK_FL_IMMUTABLE)


@dataclass(frozen=True, slots=True)
class Interface:
    """``media_v2_interface`` with the /dev path of its device node (None if unknown)."""

    id: int
    intf_type: int
    major: int
    minor: int
    devnode: str | None


@dataclass(frozen=True, slots=True)
class Entity:
    id: int
    name: str
    function: int
    flags: int
    pads: tuple[Pad, ...] = ()
    devnode: str | None = None
    intf_type: int | None = None

    @property
    def is_video_node(self) -> bool:
        return self.intf_type == m.MEDIA_INTF_T_V4L_VIDEO

    @property
    def is_subdev(self) -> bool:
        return self.intf_type == m.MEDIA_INTF_T_V4L_SUBDEV

    @property
    def function_name(self) -> str:
        return m.entity_function_name(self.function)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    driver: str
    model: str
    serial: str
    bus_info: str
    media_version: int
    hw_revision: int
    driver_version: int


@dataclass(frozen=True, slots=True)
class Topology:
    """One MEDIA_IOC_G_TOPOLOGY answer plus the pads' active formats."""

    path: str
    info: DeviceInfo
    version: int
    entities: tuple[Entity, ...]
    interfaces: tuple[Interface, ...]
    links: tuple[Link, ...]
    video_formats: dict[int, VideoFormat] = field(default_factory=dict)  # entity id ->

    def entity(self, entity_id: int) -> Entity:
        for e in self.entities:
            if e.id == entity_id:
                return e
        raise KeyError(entity_id)

    def entity_named(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)

    def entity_of_devnode(self, path: str) -> Entity | None:
        return next((e for e in self.entities if e.devnode == path), None)

    def pad(self, pad_id: int) -> Pad:
        for e in self.entities:
            for p in e.pads:
                if p.id == pad_id:
                    return p
        raise KeyError(pad_id)

    def pad_of(self, entity_name: str, index: int) -> Pad | None:
        e = self.entity_named(entity_name)
        if e is None:
            return None
        return next((p for p in e.pads if p.index == index), None)

    @property
    def data_links(self) -> tuple[Link, ...]:
        return tuple(lk for lk in self.links if lk.kind == "DATA_LINK")

    def links_of_pad(self, pad_id: int) -> list[Link]:
        return [lk for lk in self.data_links if pad_id in (lk.source_id, lk.sink_id)]

    def pad_label(self, pad_id: int) -> str:
        """``'Debayer A':1``."""
        pad = self.pad(pad_id)
        return f"'{self.entity(pad.entity_id).name}':{pad.index}"
