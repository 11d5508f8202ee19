"""Ioctl arguments as structured fields, for the ioctl log's NDJSON (``mediatui.ioctl/1``).

:func:`arg_fields` walks a ctypes argument the way the kernel header spells it: one key
per struct member (``reserved*`` left out), nested structs as objects, arrays as lists,
character arrays as text (never a Python ``b'...'`` repr).  A union shows only the member
the struct's own selector makes valid (``v4l2_format.fmt`` by ``type``, ``v4l2_buffer.m``
by ``memory``, ``dtv_property.u`` by ``cmd`` ...), as the kernel reads it; an anonymous
union's member appears directly in its parent, as in C.  Pointers are followed only where
the header says how many elements they point to (``v4l2_buffer.m.planes``: ``length``;
``dtv_properties.props``: ``num``; ``v4l2_ext_controls.controls``: ``count``).

Enums and flags are decoded to kernel names (the :mod:`core.abi.describe` vocabulary:
``"video-capture"``, ``["QUEUED", "DONE"]``, ``"YUYV"``) and the number is kept under
``<member>_raw``.  Never raises for odd values: unknown enum values stay numbers.
"""

from __future__ import annotations

import ctypes
import enum
from collections.abc import Callable
from functools import cache
from typing import Any

from core.abi import dmabuf as dmb
from core.abi import dvb
from core.abi import v4l2 as v

MAX_ITEMS = 64  # array elements kept per list (a trace line, not a memory dump)

Decoder = Callable[[int], object]


def _enum(enum_cls: type[enum.IntEnum], strip: str = "", lower: bool = False) -> Decoder:
    def decode(value: int) -> object:
        try:
            name = enum_cls(value).name.removeprefix(strip)
        except ValueError:
            return value
        return name.lower().replace("_", "-") if lower else name
    return decode


def _flags(flag_enum: type[enum.IntFlag], strip: str = "") -> Decoder:
    @cache
    def names(value: int) -> tuple[str, ...]:
        return tuple(n.removeprefix(strip) for n in v.decode_flags(value, flag_enum))

    return lambda value: list(names(value))


def _open_flags(value: int) -> object:
    from core.abi.describe import open_flags

    return open_flags(value).split("|")


_BUF_TYPE: Decoder = v.buf_type_name
_MEMORY: Decoder = v.memory_name
_FIELD: Decoder = lambda value: v.FIELD_NAMES.get(value, value)  # noqa: E731
_COLORSPACE: Decoder = lambda value: v.COLORSPACE_NAMES.get(value, value)  # noqa: E731
_FOURCC: Decoder = v.fourcc_str
_SIZE_TYPE: Decoder = {1: "discrete", 2: "continuous", 3: "stepwise"}.get
_VERSION: Decoder = lambda x: f"{x >> 16}.{(x >> 8) & 0xFF}.{x & 0xFF}"  # noqa: E731

# Members decoded in every struct that has them.
_ANY: dict[str, Decoder] = {
    "pixelformat": _FOURCC, "pixel_format": _FOURCC, "dataformat": _FOURCC,
    "sample_format": _FOURCC, "field": _FIELD, "colorspace": _COLORSPACE,
}
# Members decoded per struct (the same name means different things in different structs).
_BY_STRUCT: dict[type, dict[str, Decoder]] = {
    v.v4l2_capability: {"capabilities": _flags(v.Cap), "device_caps": _flags(v.Cap),
                        "version": _VERSION},
    v.v4l2_fmtdesc: {"type": _BUF_TYPE, "flags": _flags(v.FmtFlag)},
    v.v4l2_format: {"type": _BUF_TYPE},
    v.v4l2_frmsizeenum: {"type": _SIZE_TYPE},
    v.v4l2_frmivalenum: {"type": _SIZE_TYPE},
    v.v4l2_streamparm: {"type": _BUF_TYPE},
    v.v4l2_requestbuffers: {"type": _BUF_TYPE, "memory": _MEMORY,
                            "capabilities": _flags(v.BufCap), "flags": _flags(v.MemoryFlag)},
    v.v4l2_create_buffers: {"memory": _MEMORY, "capabilities": _flags(v.BufCap),
                            "flags": _flags(v.MemoryFlag)},
    v.v4l2_buffer: {"type": _BUF_TYPE, "memory": _MEMORY, "flags": v.buf_flag_names},
    v.v4l2_exportbuffer: {"type": _BUF_TYPE, "flags": _open_flags},
    v.v4l2_queryctrl: {"type": _enum(v.CtrlType, lower=True), "flags": _flags(v.CtrlFlag)},
    v.v4l2_query_ext_ctrl: {"type": _enum(v.CtrlType, lower=True),
                            "flags": _flags(v.CtrlFlag)},
    v.v4l2_event_subscription: {"type": _enum(v.EventType, lower=True)},
    v.v4l2_event: {"type": _enum(v.EventType, lower=True)},
    dvb.dmx_sct_filter_params: {"flags": _flags(dvb.DmxFilterFlag, "DMX_")},
    dvb.dmx_pes_filter_params: {"input": _enum(dvb.DmxInput, "DMX_IN_", lower=True),
                                "output": _enum(dvb.DmxOutput, "DMX_OUT_", lower=True),
                                "pes_type": _enum(dvb.DmxTsPes, "DMX_PES_", lower=True),
                                "flags": _flags(dvb.DmxFilterFlag, "DMX_")},
    dvb.dmx_buffer: {"flags": dvb.dmx_buffer_flag_names},
    dvb.dmx_exportbuffer: {"flags": _open_flags},
    dvb.dvb_frontend_info: {"type": _enum(dvb.FeType, "FE_"), "caps": dvb.fe_caps_names},
    dvb.dtv_property: {"cmd": _enum(dvb.DtvCommand, "DTV_")},
    dmb.dma_heap_allocation_data: {"fd_flags": _open_flags},
    dmb.dma_buf_sync: {"flags": dmb.dma_buf_sync_names},
}


def _fmt_member(fmt: Any) -> str | None:
    t = fmt.type
    if v.is_multiplanar(t):
        return "pix_mp"
    members = {
        v.V4L2_BUF_TYPE_VIDEO_CAPTURE: "pix", v.V4L2_BUF_TYPE_VIDEO_OUTPUT: "pix",
        v.V4L2_BUF_TYPE_META_CAPTURE: "meta", v.V4L2_BUF_TYPE_META_OUTPUT: "meta",
        v.V4L2_BUF_TYPE_SDR_CAPTURE: "sdr", v.V4L2_BUF_TYPE_SDR_OUTPUT: "sdr",
        v.V4L2_BUF_TYPE_VBI_CAPTURE: "vbi", v.V4L2_BUF_TYPE_VBI_OUTPUT: "vbi",
        v.V4L2_BUF_TYPE_SLICED_VBI_CAPTURE: "sliced",
        v.V4L2_BUF_TYPE_SLICED_VBI_OUTPUT: "sliced",
        v.V4L2_BUF_TYPE_VIDEO_OVERLAY: "win", v.V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY: "win",
    }
    return members.get(t)


def _mem_member(memory: int) -> str:
    if memory == v.V4L2_MEMORY_DMABUF:
        return "fd"
    return "userptr" if memory == v.V4L2_MEMORY_USERPTR else "offset"


def _dtv_member(prop: Any) -> str:
    if prop.cmd in dvb.DTV_STAT_COMMANDS:
        return "st"
    return "buffer" if prop.cmd == dvb.DTV_ENUM_DELSYS else "data"


def _event_member(ev: Any) -> str | None:
    return {v.V4L2_EVENT_VSYNC: "vsync", v.V4L2_EVENT_CTRL: "ctrl",
            v.V4L2_EVENT_FRAME_SYNC: "frame_sync", v.V4L2_EVENT_SOURCE_CHANGE: "src_change",
            v.V4L2_EVENT_MOTION_DET: "motion_det"}.get(ev.type)


# (struct, union member) -> which member of the union is valid, from the parent struct
# and the walk's context (the v4l2_buffer's memory, for its planes).
_UNIONS: dict[tuple[type, str], Callable[[Any, dict[str, int]], str | None]] = {
    (v.v4l2_format, "fmt"): lambda s, _: _fmt_member(s),
    (v.v4l2_streamparm, "parm"): lambda s, _: "output" if v.is_output(s.type) else "capture",
    (v.v4l2_frmsizeenum, "_u"): lambda s, _: "discrete" if s.type == 1 else "stepwise",
    (v.v4l2_frmivalenum, "_u"): lambda s, _: "discrete" if s.type == 1 else "stepwise",
    (v.v4l2_buffer, "m"): lambda s, _: (
        "planes" if v.is_multiplanar(s.type) else _mem_member(s.memory)),
    (v.v4l2_buffer, "_request"): lambda s, _: (
        "request_fd" if s.flags & v.V4L2_BUF_FLAG_REQUEST_FD else None),
    (v.v4l2_plane, "m"): lambda s, ctx: (
        "mem_offset" if ctx.get("memory", 1) == v.V4L2_MEMORY_MMAP
        else _mem_member(ctx["memory"])),
    (v.v4l2_querymenu, "_u"): lambda s, _: (
        "name" if v.cstr(s.name) and v.cstr(s.name).isprintable() else "value"),
    (v.v4l2_ext_control, "_u"): lambda s, _: None if s.size else "value64",
    (v.v4l2_ext_controls, "_which"): lambda s, _: "which",
    (v.v4l2_event, "u"): lambda s, _: _event_member(s),
    (v.v4l2_event_ctrl, "_value"): lambda s, _: "value64",
    (v.v4l2_pix_format, "_enc"): lambda s, _: "ycbcr_enc",
    (v.v4l2_pix_format_mplane, "_enc"): lambda s, _: "ycbcr_enc",
    (dvb.dtv_property, "u"): lambda s, _: _dtv_member(s),
    (dvb.dtv_stats, "_value"): lambda s, _: (
        "svalue" if s.scale == dvb.FE_SCALE_DECIBEL else "uvalue"),
}

# (struct, pointer member) -> how many elements it points to.
_POINTERS: dict[tuple[type, str], Callable[[Any], int]] = {
    (v.v4l2_buffer, "planes"): lambda s: min(s.length, v.VIDEO_MAX_PLANES),
    (dvb.dtv_properties, "props"): lambda s: min(s.num, dvb.DTV_IOCTL_MAX_MSGS),
    (v.v4l2_ext_controls, "controls"): lambda s: min(s.count, MAX_ITEMS),
}


def arg_fields(arg: object) -> dict[str, Any]:
    """The structured fields of one ioctl argument (see the module docstring).

    A plain int argument (``DMX_SET_BUFFER_SIZE``, ``VIDIOC_STREAMON``'s type) gives
    ``{"value": n}``; None gives ``{}``.
    """
    if arg is None:
        return {}
    if isinstance(arg, int):
        return {"value": arg}
    if isinstance(arg, ctypes._SimpleCData):
        return {"value": _scalar(arg.value)}
    if isinstance(arg, ctypes.Structure):
        return _struct(arg, {})
    if isinstance(arg, ctypes.Array):
        return {"values": _array(arg, {})}
    return {"type": type(arg).__name__}


def _scalar(value: object) -> object:
    if isinstance(value, bytes):
        return v.cstr(value)
    return value if isinstance(value, int | float | str) or value is None else str(value)


# (struct, array member) -> how many of its elements are valid.
_COUNTED: dict[tuple[type, str], Callable[[Any], int]] = {
    (v.v4l2_pix_format_mplane, "plane_fmt"): lambda s: min(s.num_planes, v.VIDEO_MAX_PLANES),
    (dvb.dtv_fe_stats, "stat"): lambda s: min(s.len, dvb.MAX_DTV_STATS),
    (v.v4l2_query_ext_ctrl, "dims"): lambda s: min(s.nr_of_dims, v.V4L2_CTRL_MAX_DIMS),
}


@cache
def _plan(cls: Any) -> tuple[tuple[str, type, bool, bool, Decoder | None,
                                    Callable[[Any], int] | None], ...]:
    """Per struct class, once: (member, ctype, is_union, is_anonymous, decoder, count)."""
    anonymous = set(getattr(cls, "_anonymous_", ()))
    decoders = _BY_STRUCT.get(cls, {})
    return tuple(
        (name, ctype, issubclass(ctype, ctypes.Union), name in anonymous,
         decoders.get(name) or _ANY.get(name), _COUNTED.get((cls, name)))
        for name, ctype, *_ in cls._fields_
        if not name.startswith("reserved")
    )


def _struct(s: Any, ctx: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cls: Any = type(s)
    if cls is v.v4l2_buffer:
        ctx = {**ctx, "memory": s.memory}
    for name, ctype, is_union, anonymous, decode, count in _plan(cls):
        if is_union:
            member = _union_member(s, cls, name, ctype, ctx)
            if member is None:
                continue
            value = _member(s if anonymous else getattr(s, name), ctype, member, s, cls, ctx)
            out[member if anonymous else name] = value if anonymous else {member: value}
            continue
        value = getattr(s, name)
        if count is not None:
            value = _array(value, ctx, count(s))
        else:
            value = _value(value, ctype, s, cls, name, ctx)
        out[name] = value
        if decode is not None and isinstance(value, int):
            decoded = decode(value)
            if decoded is not None and decoded != value:
                out[name], out[f"{name}_raw"] = decoded, value
    return out


def _union_member(s: Any, cls: type, name: str, ctype: Any,
                  ctx: dict[str, int]) -> str | None:
    pick = _UNIONS.get((cls, name))
    if pick is None:
        return str(ctype._fields_[0][0])  # the kernel's first (default) view
    return pick(s, ctx)


def _member(holder: Any, union_type: Any, member: str, s: Any, cls: type,
            ctx: dict[str, int]) -> object:
    ctype = next(f[1] for f in union_type._fields_ if f[0] == member)
    return _value(getattr(holder, member), ctype, s, cls, member, ctx)


def _value(value: Any, ctype: type, parent: Any, cls: type, name: str,
           ctx: dict[str, int]) -> object:
    if isinstance(value, ctypes.Structure):
        return _struct(value, ctx)
    if isinstance(value, ctypes.Array):
        return _array(value, ctx)
    if issubclass(ctype, ctypes._Pointer):
        count = _POINTERS.get((cls, name))
        if count is None or not value:
            return None
        return [_struct(value[i], ctx) for i in range(count(parent))]
    if ctype is ctypes.c_void_p or ctype is ctypes.c_char_p:
        return None  # an address means nothing outside this process
    return _scalar(value)


def _array(arr: Any, ctx: dict[str, int], count: int = MAX_ITEMS) -> object:
    if getattr(arr, "_type_", None) is ctypes.c_char:
        return v.cstr(bytes(arr))
    items = [arr[i] for i in range(min(len(arr), count, MAX_ITEMS))]
    return [_struct(x, ctx) if isinstance(x, ctypes.Structure) else _scalar(x) for x in items]
