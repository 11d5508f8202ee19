"""The pipeline check: would VIDIOC_STREAMON on this video node pass link validation?

It repeats what the 6.1 kernel does in ``__media_pipeline_start``
(``drivers/media/mc/mc-entity.c``): starting at the video node's pad, walk every
*enabled* data link and, inside an entity, from a sink pad to its source pads and back
(``media_entity_has_pad_interdep``), so the pipeline is every pad connected to the
node, not only the path upstream (this is why vimc's "Raw Capture 0" fails at the
power-on defaults: "Debayer A" joins its pipeline through "Sensor A").  Then, for each
enabled link whose sink pad is in the pipeline, it compares what the sink entity's
``link_validate`` compares:

* a sub-device sink: ``v4l2_subdev_link_validate_default``
  (``drivers/media/v4l2-core/v4l2-subdev.c``): width, height, media bus code, and the
  field unless the sink's field is NONE;
* a video node sink: vimc's ``vimc_vdev_link_validate``
  (``drivers/media/test-drivers/vimc/vimc-common.c``): width, height, the bus code
  against the pixel format, the field (unless the sink's is NONE), then, unless either
  side's colorspace is DEFAULT, colorspace, and each of ycbcr_enc, quantization and
  xfer_func where neither side is DEFAULT.

A link with no sub-device at either end (vim2m's source -> proc -> sink, a DVB demod ->
demux) has no format to compare and no ``link_validate`` to call (``media_entity_call``
gives ENOIOCTLCMD, which ``__media_pipeline_start`` ignores), so it is not checked.

It also reports a pad with MEDIA_PAD_FL_MUST_CONNECT and no enabled link (ENOLINK) and
a sink pad on the path with no enabled link, which leaves the node without a source
(vimc's streamer then fails with EPIPE: "first entity in the pipe ... is not a source").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from core.abi import mbus as mb
from core.abi import subdev as sd
from core.abi import v4l2 as v
from core.media.model import Link, MbusFormat, Topology, VideoFormat

# vimc's pixel format <-> media bus code map (vimc-common.c, vimc_pix_map_list, 6.1).
PIX_CODES: dict[int, tuple[int, ...]] = {
    v.fourcc("BGR3"): (mb.MEDIA_BUS_FMT_BGR888_1X24, mb.MEDIA_BUS_FMT_BGR888_3X8),
    v.fourcc("RGB3"): (mb.MEDIA_BUS_FMT_RGB888_1X24, mb.MEDIA_BUS_FMT_RGB888_2X12_BE,
                       mb.MEDIA_BUS_FMT_RGB888_2X12_LE, mb.MEDIA_BUS_FMT_RGB888_3X8,
                       mb.MEDIA_BUS_FMT_RGB888_1X7X4_SPWG, mb.MEDIA_BUS_FMT_RGB888_1X7X4_JEIDA,
                       mb.MEDIA_BUS_FMT_RGB888_1X32_PADHI, mb.MEDIA_BUS_FMT_GBR888_1X24),
    v.fourcc("BA24"): (mb.MEDIA_BUS_FMT_ARGB8888_1X32,),
    v.fourcc("BA81"): (mb.MEDIA_BUS_FMT_SBGGR8_1X8,),
    v.fourcc("GBRG"): (mb.MEDIA_BUS_FMT_SGBRG8_1X8,),
    v.fourcc("GRBG"): (mb.MEDIA_BUS_FMT_SGRBG8_1X8,),
    v.fourcc("RGGB"): (mb.MEDIA_BUS_FMT_SRGGB8_1X8,),
    v.fourcc("BG10"): (mb.MEDIA_BUS_FMT_SBGGR10_1X10,),
    v.fourcc("GB10"): (mb.MEDIA_BUS_FMT_SGBRG10_1X10,),
    v.fourcc("BA10"): (mb.MEDIA_BUS_FMT_SGRBG10_1X10,),
    v.fourcc("RG10"): (mb.MEDIA_BUS_FMT_SRGGB10_1X10,),
    v.fourcc("aBA8"): (mb.MEDIA_BUS_FMT_SBGGR10_ALAW8_1X8,),
    v.fourcc("aGA8"): (mb.MEDIA_BUS_FMT_SGBRG10_ALAW8_1X8,),
    v.fourcc("agA8"): (mb.MEDIA_BUS_FMT_SGRBG10_ALAW8_1X8,),
    v.fourcc("aRA8"): (mb.MEDIA_BUS_FMT_SRGGB10_ALAW8_1X8,),
    v.fourcc("bBA8"): (mb.MEDIA_BUS_FMT_SBGGR10_DPCM8_1X8,),
    v.fourcc("bGA8"): (mb.MEDIA_BUS_FMT_SGBRG10_DPCM8_1X8,),
    v.fourcc("BD10"): (mb.MEDIA_BUS_FMT_SGRBG10_DPCM8_1X8,),
    v.fourcc("bRA8"): (mb.MEDIA_BUS_FMT_SRGGB10_DPCM8_1X8,),
    v.fourcc("BG12"): (mb.MEDIA_BUS_FMT_SBGGR12_1X12,),
    v.fourcc("GB12"): (mb.MEDIA_BUS_FMT_SGBRG12_1X12,),
    v.fourcc("BA12"): (mb.MEDIA_BUS_FMT_SGRBG12_1X12,),
    v.fourcc("RG12"): (mb.MEDIA_BUS_FMT_SRGGB12_1X12,),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason the pipeline would not validate.

    ``kind``: ``format`` (a link's two ends differ in ``fields``), ``no-source`` (a sink
    pad on the path has no enabled link), ``must-connect`` (ENOLINK), ``unreadable`` (a
    pad's format could not be read).  ``errno_name`` is what STREAMON returns for it.
    """

    kind: str
    message: str
    errno_name: str
    link: Link | None = None
    source: str | None = None  # 'Debayer A':1
    sink: str | None = None
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "errno_name": self.errno_name,
                "source": self.source, "sink": self.sink, "fields": list(self.fields),
                "link": None if self.link is None else self.link.id}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome for one video node: ``ok`` when STREAMON would pass validation."""

    video: str
    entity: str | None
    pipeline: tuple[str, ...]  # entity names, in walk order from the video node
    path: tuple[str, ...]  # the upstream path, video node first, source last
    links_checked: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def mismatch_link_ids(self) -> frozenset[int]:
        return frozenset(p.link.id for p in self.problems if p.link is not None)


def _cs(value: int) -> str:
    return sd.MEDIACTL_COLORSPACE_NAMES.get(value, str(value))


_NAMES: dict[str, Callable[[int], str]] = {
    "field": lambda x: v.FIELD_NAMES.get(x, str(x)),
    "colorspace": _cs,
    "ycbcr_enc": lambda x: sd.YCBCR_ENC_NAMES.get(x, str(x)),
    "quantization": lambda x: sd.QUANTIZATION_NAMES.get(x, str(x)),
    "xfer_func": lambda x: sd.XFER_FUNC_NAMES.get(x, str(x)),
}
_LABEL = {"ycbcr_enc": "ycbcr", "xfer_func": "xfer", "quantization": "quantization",
          "colorspace": "colorspace", "field": "field"}


def compare_subdev(src: MbusFormat, snk: MbusFormat) -> list[str]:
    """The fields ``v4l2_subdev_link_validate_default`` (6.1) finds different."""
    diff = []
    if src.width != snk.width:
        diff.append("width")
    if src.height != snk.height:
        diff.append("height")
    if src.code != snk.code:
        diff.append("code")
    if src.field != snk.field and snk.field != v.V4L2_FIELD_NONE:
        diff.append("field")
    return diff


def compare_video(src: MbusFormat, snk: VideoFormat) -> list[str]:
    """The fields vimc's ``vimc_vdev_link_validate`` (6.1) finds different."""
    diff = []
    if src.width != snk.width:
        diff.append("width")
    if src.height != snk.height:
        diff.append("height")
    if src.code not in PIX_CODES.get(snk.pixelformat, ()):
        diff.append("code")
    if src.field != snk.field and snk.field != v.V4L2_FIELD_NONE:
        diff.append("field")
    if src.colorspace == 0 or snk.colorspace == 0:
        return diff
    if src.colorspace != snk.colorspace:
        diff.append("colorspace")
    for name in ("ycbcr_enc", "quantization", "xfer_func"):
        a, b = getattr(src, name), getattr(snk, name)
        if a and b and a != b:
            diff.append(name)
    return diff


def _describe(fmt: MbusFormat | VideoFormat, fields: list[str]) -> str:
    text = fmt.short()
    for name in fields:
        if name in _NAMES:
            text += f" {_LABEL[name]}:{_NAMES[name](getattr(fmt, name))}"
    return text


def _differs(fields: list[str]) -> str:
    names = [("size" if f in ("width", "height") else _LABEL.get(f, f)) for f in fields]
    unique = list(dict.fromkeys(names))
    verb = "differs" if len(unique) == 1 else "differ"
    return f"{' and '.join(unique)} {verb}"


def walk(topo: Topology, entity_id: int) -> tuple[list[int], list[int]]:
    """(pad ids in the order the kernel's walk meets them, entity ids likewise)."""
    start = topo.entity(entity_id)
    order: list[int] = []
    seen: set[int] = set()
    queue: deque[int] = deque(p.id for p in start.pads[:1])
    while queue:
        pad_id = queue.popleft()
        if pad_id in seen:
            continue
        seen.add(pad_id)
        order.append(pad_id)
        pad = topo.pad(pad_id)
        for lk in topo.links_of_pad(pad_id):
            if lk.enabled:
                queue.append(lk.sink_id if lk.source_id == pad_id else lk.source_id)
        for other in topo.entity(pad.entity_id).pads:
            # media_entity_has_pad_interdep: a sink and a source pad of one entity.
            if other.id != pad_id and other.is_sink != pad.is_sink:
                queue.append(other.id)
    entities = list(dict.fromkeys(topo.pad(p).entity_id for p in order))
    return order, entities


def upstream_path(topo: Topology, entity_id: int) -> list[str]:
    """Entity names from the video node up to the source through enabled links (first
    sink pad of each entity, as vimc's streamer walks)."""
    names: list[str] = []
    seen: set[int] = set()
    current: int | None = entity_id
    while current is not None and current not in seen:
        seen.add(current)
        entity = topo.entity(current)
        names.append(entity.name)
        sink = next((p for p in entity.pads if p.is_sink), None)
        current = None
        if sink is not None:
            for lk in topo.links_of_pad(sink.id):
                if lk.enabled and lk.sink_id == sink.id:
                    current = topo.pad(lk.source_id).entity_id
                    break
    return names


def check_pipeline(topo: Topology, video: str) -> CheckResult:
    """Check the pipeline of the video node at ``video`` (a /dev path in ``topo``).

    Raises ``LookupError`` when no entity of ``topo`` has that device node.
    """
    entity = topo.entity_of_devnode(video)
    if entity is None:
        raise LookupError(f"{video} is not an entity of {topo.path}")
    pad_order, entity_order = walk(topo, entity.id)
    in_pipe = set(pad_order)
    problems: list[Problem] = []
    checked = 0
    for pad_id in pad_order:
        pad = topo.pad(pad_id)
        links = topo.links_of_pad(pad_id)
        if pad.must_connect and not any(lk.enabled for lk in links):
            problems.append(Problem(
                "must-connect", f"pad {topo.pad_label(pad_id)} must be connected but has no "
                "enabled link", "ENOLINK", sink=topo.pad_label(pad_id)))
        if not pad.is_sink:
            continue
        incoming = [lk for lk in links if lk.sink_id == pad_id]
        enabled = [lk for lk in incoming if lk.enabled]
        if incoming and not enabled and topo.entity(pad.entity_id).id in entity_order:
            off = ", ".join(f"{topo.pad_label(lk.source_id)} → {topo.pad_label(pad_id)}"
                            for lk in incoming)
            problems.append(Problem(
                "no-source", f"pad {topo.pad_label(pad_id)} has no enabled link, so the "
                f"pipeline has no source (disabled: {off})", "EPIPE",
                sink=topo.pad_label(pad_id)))
        for lk in enabled:
            if lk.source_id not in in_pipe or not _validated(topo, lk):
                continue
            checked += 1
            problems.extend(_check_link(topo, lk))
    return CheckResult(video, entity.name, tuple(topo.entity(e).name for e in entity_order),
                       tuple(upstream_path(topo, entity.id)), checked, tuple(problems))


def _validated(topo: Topology, lk: Link) -> bool:
    """Whether the kernel validates ``lk`` at all: only when a sub-device (with its
    ``link_validate``) is at one end; plain entities have no formats and no such op."""
    ends = (topo.entity(topo.pad(lk.source_id).entity_id),
            topo.entity(topo.pad(lk.sink_id).entity_id))
    return any(e.is_subdev for e in ends)


def _check_link(topo: Topology, lk: Link) -> list[Problem]:
    src_pad, snk_pad = topo.pad(lk.source_id), topo.pad(lk.sink_id)
    src_label, snk_label = topo.pad_label(lk.source_id), topo.pad_label(lk.sink_id)
    where = f"link {src_label} → {snk_label}"
    sink_entity = topo.entity(snk_pad.entity_id)
    if src_pad.format is None:
        return [Problem("unreadable", f"{where}: the source format is unknown "
                        f"({src_pad.format_error or 'no subdev node'})", "EPIPE", lk,
                        src_label, snk_label)]
    sink_fmt: MbusFormat | VideoFormat | None
    if sink_entity.is_video_node:
        sink_fmt = topo.video_formats.get(sink_entity.id)
        fields = compare_video(src_pad.format, sink_fmt) if sink_fmt else []
    else:
        sink_fmt = snk_pad.format
        fields = compare_subdev(src_pad.format, sink_fmt) if sink_fmt else []
    if sink_fmt is None:
        return [Problem("unreadable", f"{where}: the sink format is unknown "
                        f"({snk_pad.format_error or 'no device node'})", "EPIPE", lk,
                        src_label, snk_label)]
    if not fields:
        return []
    extra = [f for f in fields if f not in ("width", "height", "code")]
    message = (f"{where}: source is {_describe(src_pad.format, extra)}, sink is "
               f"{_describe(sink_fmt, extra)} ({_differs(fields)})")
    return [Problem("format", message, "EPIPE", lk, src_label, snk_label, tuple(fields))]
