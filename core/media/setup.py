"""Pipeline setup in media-ctl's syntax: ``-l`` links and ``-V`` pad formats.

* link: ``"Debayer A":1->"Scaler":0[1]`` (``[0]`` disables); entities by quoted name or
  by id, as in media-ctl (v4l-utils ``utils/media-ctl/libmediactl.c``).
* format: ``"Sensor A":0[fmt:SBGGR8_1X8/640x480 field:none colorspace:srgb
  xfer:srgb ycbcr:601 quantization:full-range crop:(0,0)/640x480]``.  Unlike
  media-ctl, fields left out keep the pad's current value (media-ctl sends 0, which
  drivers turn into their default), so changing only a colorspace changes only that.

Every change is followed by reading back what the driver made of it (drivers adjust
rather than refuse); :func:`apply` reports each adjustment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from core.abi import media as m
from core.abi import subdev as sd
from core.abi import v4l2 as v
from core.abi.mbus import mbus_code_from_name
from core.media.device import MediaDevice, SubdevDevice
from core.media.model import MbusFormat, Rect, Topology


class SetupSyntaxError(ValueError):
    """A ``-l``/``-V`` string that does not parse, or names an unknown entity/pad."""


_PAD = r'\s*(?:"(?P<{0}>[^"]*)"|(?P<{0}id>\d+))\s*:\s*(?P<{0}pad>\d+)\s*'
_LINK_RE = re.compile(_PAD.format("src") + r"->" + _PAD.format("snk")
                      + r"\[\s*(?P<flags>[01])\s*\]\s*$")
_FMT_RE = re.compile(_PAD.format("ent") + r"\[(?P<body>[^\]]*)\]\s*$")
_RECT_RE = re.compile(r"\((-?\d+),(-?\d+)\)/(\d+)x(\d+)$")


@dataclass(frozen=True, slots=True)
class LinkRequest:
    source: str | int
    source_pad: int
    sink: str | int
    sink_pad: int
    enable: bool


@dataclass(frozen=True, slots=True)
class FormatRequest:
    entity: str | int
    pad: int
    code: int | None = None
    width: int | None = None
    height: int | None = None
    field: int | None = None
    colorspace: int | None = None
    xfer_func: int | None = None
    ycbcr_enc: int | None = None
    quantization: int | None = None
    crop: Rect | None = None


def _entity(match: re.Match[str], key: str) -> str | int:
    name = match.group(key)
    return name if name is not None else int(match.group(key + "id"))


def parse_link(text: str) -> LinkRequest:
    """``"A":1->"B":0[1]`` -> LinkRequest; raises SetupSyntaxError."""
    match = _LINK_RE.match(text.strip())
    if not match:
        raise SetupSyntaxError(
            f"cannot parse link {text!r}: expected '\"SOURCE\":PAD->\"SINK\":PAD[0|1]'")
    return LinkRequest(_entity(match, "src"), int(match.group("srcpad")),
                       _entity(match, "snk"), int(match.group("snkpad")),
                       match.group("flags") == "1")


def _lookup(names: dict[int, str], value: str, what: str) -> int:
    for number, name in names.items():
        if name == value.lower():
            return number
    raise SetupSyntaxError(f"unknown {what} {value!r}: one of {', '.join(names.values())}")


def parse_format(text: str) -> FormatRequest:
    """``"Sensor A":0[fmt:SBGGR8_1X8/640x480 field:none]`` -> FormatRequest."""
    match = _FMT_RE.match(text.strip())
    if not match:
        raise SetupSyntaxError(
            f"cannot parse format {text!r}: expected '\"ENTITY\":PAD[fmt:CODE/WxH ...]'")
    req = FormatRequest(_entity(match, "ent"), int(match.group("entpad")))
    for token in match.group("body").split():
        key, _, value = token.partition(":")
        if key == "fmt":
            code_text, _, size = value.partition("/")
            code = mbus_code_from_name(code_text)
            if code is None:
                raise SetupSyntaxError(f"unknown media bus code {code_text!r} (e.g. SBGGR8_1X8)")
            req = replace(req, code=code)
            if size:
                w, _, h = size.partition("x")
                if not (w.isdigit() and h.isdigit()):
                    raise SetupSyntaxError(f"bad size {size!r}: expected WIDTHxHEIGHT")
                req = replace(req, width=int(w), height=int(h))
        elif key == "field":
            req = replace(req, field=_lookup(v.FIELD_NAMES, value.replace("_", "-"), "field"))
        elif key == "colorspace":
            req = replace(req, colorspace=_lookup(sd.MEDIACTL_COLORSPACE_NAMES, value,
                                                  "colorspace"))
        elif key == "xfer":
            req = replace(req, xfer_func=_lookup(sd.XFER_FUNC_NAMES, value, "xfer"))
        elif key == "ycbcr":
            req = replace(req, ycbcr_enc=_lookup(sd.YCBCR_ENC_NAMES, value, "ycbcr"))
        elif key == "quantization":
            req = replace(req, quantization=_lookup(sd.QUANTIZATION_NAMES, value,
                                                    "quantization"))
        elif key == "crop":
            r = _RECT_RE.match(value)
            if not r:
                raise SetupSyntaxError(f"bad crop {value!r}: expected (LEFT,TOP)/WxH")
            req = replace(req, crop=Rect(*(int(x) for x in r.groups())))
        else:
            raise SetupSyntaxError(f"unknown format key {key!r} in {text!r}")
    return req


def _resolve(topo: Topology, entity: str | int) -> int:
    if isinstance(entity, int):
        topo.entity(entity)
        return entity
    found = topo.entity_named(entity)
    if found is None:
        raise SetupSyntaxError(f"no entity named {entity!r} in {topo.path}")
    return found.id


def set_link(topo: Topology, req: LinkRequest) -> str:
    """MEDIA_IOC_SETUP_LINK for ``req``; returns a one-line account."""
    src, snk = _resolve(topo, req.source), _resolve(topo, req.sink)
    flags = m.MEDIA_LNK_FL_ENABLED if req.enable else 0
    with MediaDevice(topo.path) as dev:
        dev.setup_link(src, req.source_pad, snk, req.sink_pad, flags)
    return (f"link '{topo.entity(src).name}':{req.source_pad} → "
            f"'{topo.entity(snk).name}':{req.sink_pad} {'enabled' if req.enable else 'disabled'}")


def set_format(topo: Topology, req: FormatRequest) -> list[str]:
    """VIDIOC_SUBDEV_S_FMT (and S_SELECTION for ``crop``) on the entity's subdev node,
    merging ``req`` into the current format; returns what was set and what the driver
    adjusted."""
    entity = topo.entity(_resolve(topo, req.entity))
    if not entity.devnode or not entity.is_subdev:
        raise SetupSyntaxError(f"'{entity.name}' has no subdev node: set a video node's "
                               "format with VIDIOC_S_FMT (mediatui setup --video)")
    notes: list[str] = []
    with SubdevDevice(entity.devnode) as node:
        current = node.get_format(req.pad)
        want = MbusFormat(
            req.width if req.width is not None else current.width,
            req.height if req.height is not None else current.height,
            req.code if req.code is not None else current.code,
            req.field if req.field is not None else current.field,
            req.colorspace if req.colorspace is not None else current.colorspace,
            req.ycbcr_enc if req.ycbcr_enc is not None else current.ycbcr_enc,
            req.quantization if req.quantization is not None else current.quantization,
            req.xfer_func if req.xfer_func is not None else current.xfer_func)
        got = node.set_format(req.pad, want)
        notes.append(f"'{entity.name}':{req.pad} [{got.mediactl()}]")
        if got != want:
            notes.append(f"  the driver adjusted it: asked {want.mediactl()}")
        if req.crop is not None:
            rect = node.set_selection(req.pad, sd.V4L2_SEL_TGT_CROP, req.crop)
            notes.append(f"'{entity.name}':{req.pad} crop {rect}"
                         + ("" if rect == req.crop else f" (asked {req.crop})"))
    return notes


def propagate_step(topo: Topology, entity_name: str) -> tuple[list[FormatRequest], list[str]]:
    """One step of propagation: requests copying each enabled link's source format from
    ``entity_name``'s source pads to the sub-device sinks, and the names of those sink
    entities (to continue from once the requests are applied and the graph re-read, since
    a sink's source pads change with it).  Video-node sinks are left out (their format is
    a pixel format)."""
    start = topo.entity_named(entity_name)
    if start is None:
        raise SetupSyntaxError(f"no entity named {entity_name!r}")
    out: list[FormatRequest] = []
    nxt: list[str] = []
    for pad in start.pads:
        if not pad.is_source or pad.format is None:
            continue
        for lk in topo.links_of_pad(pad.id):
            if not lk.enabled or lk.source_id != pad.id:
                continue
            sink = topo.pad(lk.sink_id)
            sink_entity = topo.entity(sink.entity_id)
            if not sink_entity.is_subdev:
                continue
            f = pad.format
            out.append(FormatRequest(sink_entity.name, sink.index, f.code, f.width,
                                     f.height, f.field, f.colorspace, f.xfer_func,
                                     f.ycbcr_enc, f.quantization))
            nxt.append(sink_entity.name)
    return out, nxt
