"""One-line, v4l2-ctl ``--verbose``-like descriptions of ioctl arguments, for traces.

Importing this module registers every summarizer with
:func:`core.ioctl.register_summarizer` (idempotently).  ``core/ioctl.py`` does not import
it, so the chokepoint stays free of ABI knowledge; the device layer imports it once.

Each summarizer reads only the struct it is given (plus, for multi-planar buffers, the
plane array ``m.planes`` points to, and for ``dtv_properties`` the
array they point to) and never raises for odd values: unknown enums print as numbers and
unknown flag bits as hex, so a trace of a misbehaving driver stays readable.

Conventions: short lowercase names for V4L2 enums (``type=video-capture-mplane``,
``memory=dmabuf``), kernel flag names without their shared prefix joined by ``|``
(``flags=QUEUED|DONE``), fourccs quoted (``pixelformat='YUYV'``), ``0`` for no flags.
``memory=`` is omitted for MMAP, the overwhelmingly common case.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable

from core import ioctl as chokepoint
from core.abi import dmabuf as dmb
from core.abi import dvb
from core.abi import v4l2 as v
from core.abi.fields import arg_fields

# ---------------------------------------------------------------------------------------
# Small formatting helpers
# ---------------------------------------------------------------------------------------


def _flags(value: int, flag_enum: type[enum.IntFlag]) -> str:
    return "|".join(v.decode_flags(value, flag_enum)) or "0"


def _enum(value: int, enum_cls: type[enum.IntEnum], strip: str = "") -> str:
    try:
        return enum_cls(value).name.removeprefix(strip)
    except ValueError:
        return str(value)


_OPEN_FLAG_NAMES = (("O_CLOEXEC", os.O_CLOEXEC), ("O_NONBLOCK", os.O_NONBLOCK))
_ACCESS_MODES = {os.O_RDONLY: "O_RDONLY", os.O_WRONLY: "O_WRONLY", os.O_RDWR: "O_RDWR"}


def open_flags(flags: int) -> str:
    """open(2) flags as EXPBUF/dma-heap take them: ``O_CLOEXEC|O_RDONLY``.

    The access mode is always named, even O_RDONLY (0), because "read-only" is exactly
    what one wants to see when a later mmap(PROT_WRITE) of the dma-buf fails.
    """
    names = [name for name, bit in _OPEN_FLAG_NAMES if flags & bit]
    mode = flags & os.O_ACCMODE
    names.append(_ACCESS_MODES.get(mode, f"{mode:#x}"))
    rest = flags & ~(os.O_ACCMODE | os.O_CLOEXEC | os.O_NONBLOCK)
    if rest:
        names.append(f"{rest:#x}")
    return "|".join(names)


def _fourcc(value: int) -> str:
    return f"'{v.fourcc_str(value)}'"


def _fract(f: v.v4l2_fract) -> str:
    return f"{f.numerator}/{f.denominator}"


def _text(field: bytes) -> str:
    return repr(v.cstr(field))


def _version(value: int) -> str:
    return f"{value >> 16}.{(value >> 8) & 0xFF}.{value & 0xFF}"


def _field(value: int) -> str:
    return v.FIELD_NAMES.get(value, str(value))


# ---------------------------------------------------------------------------------------
# V4L2
# ---------------------------------------------------------------------------------------


def summarize_capability(cap: v.v4l2_capability) -> str:
    parts = [
        f"driver={_text(cap.driver)}",
        f"card={_text(cap.card)}",
        f"bus_info={_text(cap.bus_info)}",
        f"version={_version(cap.version)}",
        f"capabilities={_flags(cap.capabilities, v.Cap)}",
    ]
    if cap.capabilities & v.V4L2_CAP_DEVICE_CAPS:
        parts.append(f"device_caps={_flags(cap.device_caps, v.Cap)}")
    return " ".join(parts)


def summarize_fmtdesc(desc: v.v4l2_fmtdesc) -> str:
    parts = [
        f"index={desc.index}",
        f"type={v.buf_type_name(desc.type)}",
        f"pixelformat={_fourcc(desc.pixelformat)}",
    ]
    if desc.flags:
        parts.append(f"flags={_flags(desc.flags, v.FmtFlag)}")
    if desc.mbus_code:
        parts.append(f"mbus_code={desc.mbus_code:#x}")
    parts.append(f"description={_text(desc.description)}")
    return " ".join(parts)


def summarize_format(fmt: v.v4l2_format) -> str:
    """The member of ``fmt`` that ``type`` selects; only ``type`` for the exotic ones."""
    t = fmt.type
    head = f"type={v.buf_type_name(t)}"
    if v.is_multiplanar(t):
        mp = fmt.fmt.pix_mp
        count = min(mp.num_planes, v.VIDEO_MAX_PLANES)
        planes = ", ".join(
            f"{i}:bpl={mp.plane_fmt[i].bytesperline} size={mp.plane_fmt[i].sizeimage}"
            for i in range(count)
        )
        return (
            f"{head} width={mp.width} height={mp.height} pixelformat={_fourcc(mp.pixelformat)}"
            f" field={_field(mp.field)} colorspace={_colorspace(mp.colorspace)}"
            f" num_planes={mp.num_planes} planes=[{planes}]"
        )
    if t in (v.V4L2_BUF_TYPE_VIDEO_CAPTURE, v.V4L2_BUF_TYPE_VIDEO_OUTPUT):
        pix = fmt.fmt.pix
        return (
            f"{head} width={pix.width} height={pix.height}"
            f" pixelformat={_fourcc(pix.pixelformat)} field={_field(pix.field)}"
            f" bytesperline={pix.bytesperline} sizeimage={pix.sizeimage}"
            f" colorspace={_colorspace(pix.colorspace)}"
        )
    if t in (v.V4L2_BUF_TYPE_META_CAPTURE, v.V4L2_BUF_TYPE_META_OUTPUT):
        meta = fmt.fmt.meta
        return f"{head} dataformat={_fourcc(meta.dataformat)} buffersize={meta.buffersize}"
    if t in (v.V4L2_BUF_TYPE_SDR_CAPTURE, v.V4L2_BUF_TYPE_SDR_OUTPUT):
        sdr = fmt.fmt.sdr
        return f"{head} pixelformat={_fourcc(sdr.pixelformat)} buffersize={sdr.buffersize}"
    if t in (v.V4L2_BUF_TYPE_VBI_CAPTURE, v.V4L2_BUF_TYPE_VBI_OUTPUT):
        vbi = fmt.fmt.vbi
        return (
            f"{head} sampling_rate={vbi.sampling_rate} samples_per_line={vbi.samples_per_line}"
            f" sample_format={_fourcc(vbi.sample_format)}"
            f" start={vbi.start[0]},{vbi.start[1]} count={vbi.count[0]},{vbi.count[1]}"
        )
    if t in (v.V4L2_BUF_TYPE_SLICED_VBI_CAPTURE, v.V4L2_BUF_TYPE_SLICED_VBI_OUTPUT):
        sliced = fmt.fmt.sliced
        return f"{head} service_set={sliced.service_set:#x} io_size={sliced.io_size}"
    if t in (v.V4L2_BUF_TYPE_VIDEO_OVERLAY, v.V4L2_BUF_TYPE_VIDEO_OUTPUT_OVERLAY):
        w = fmt.fmt.win.w
        return (
            f"{head} window={w.left},{w.top}/{w.width}x{w.height}"
            f" field={_field(fmt.fmt.win.field)} clipcount={fmt.fmt.win.clipcount}"
        )
    return head


def _colorspace(value: int) -> str:
    return v.COLORSPACE_NAMES.get(value, str(value))


def summarize_frmsizeenum(fs: v.v4l2_frmsizeenum) -> str:
    head = f"index={fs.index} pixel_format={_fourcc(fs.pixel_format)}"
    if fs.type == v.V4L2_FRMSIZE_TYPE_DISCRETE:
        return f"{head} type=discrete size={fs.discrete.width}x{fs.discrete.height}"
    if fs.type in (v.V4L2_FRMSIZE_TYPE_STEPWISE, v.V4L2_FRMSIZE_TYPE_CONTINUOUS):
        sw = fs.stepwise
        kind = "stepwise" if fs.type == v.V4L2_FRMSIZE_TYPE_STEPWISE else "continuous"
        return (
            f"{head} type={kind} width={sw.min_width}..{sw.max_width}/{sw.step_width}"
            f" height={sw.min_height}..{sw.max_height}/{sw.step_height}"
        )
    return f"{head} type={fs.type}"


def summarize_frmivalenum(fi: v.v4l2_frmivalenum) -> str:
    head = (
        f"index={fi.index} pixel_format={_fourcc(fi.pixel_format)}"
        f" size={fi.width}x{fi.height}"
    )
    if fi.type == v.V4L2_FRMIVAL_TYPE_DISCRETE:
        return f"{head} type=discrete interval={_fract(fi.discrete)}"
    if fi.type in (v.V4L2_FRMIVAL_TYPE_STEPWISE, v.V4L2_FRMIVAL_TYPE_CONTINUOUS):
        sw = fi.stepwise
        kind = "stepwise" if fi.type == v.V4L2_FRMIVAL_TYPE_STEPWISE else "continuous"
        return (
            f"{head} type={kind} interval={_fract(sw.min)}..{_fract(sw.max)}"
            f" step={_fract(sw.step)}"
        )
    return f"{head} type={fi.type}"


def summarize_streamparm(parm: v.v4l2_streamparm) -> str:
    head = f"type={v.buf_type_name(parm.type)}"
    if v.is_output(parm.type):
        out = parm.parm.output
        cap = "TIMEPERFRAME" if out.capability & v.V4L2_CAP_TIMEPERFRAME else "0"
        return (
            f"{head} capability={cap} timeperframe={_fract(out.timeperframe)}"
            f" writebuffers={out.writebuffers}"
        )
    capture = parm.parm.capture
    cap = "TIMEPERFRAME" if capture.capability & v.V4L2_CAP_TIMEPERFRAME else "0"
    return (
        f"{head} capability={cap} timeperframe={_fract(capture.timeperframe)}"
        f" readbuffers={capture.readbuffers}"
    )


def _memory(memory: int) -> list[str]:
    return [] if memory == v.V4L2_MEMORY_MMAP else [f"memory={v.memory_name(memory)}"]


def summarize_requestbuffers(req: v.v4l2_requestbuffers) -> str:
    parts = [
        f"type={v.buf_type_name(req.type)}",
        f"memory={v.memory_name(req.memory)}",
        f"count={req.count}",
    ]
    if req.capabilities:
        parts.append(f"caps={_flags(req.capabilities, v.BufCap)}")
    if req.flags:
        parts.append(f"flags={_flags(req.flags, v.MemoryFlag)}")
    return " ".join(parts)


def summarize_create_buffers(create: v.v4l2_create_buffers) -> str:
    parts = [
        f"index={create.index}",
        f"count={create.count}",
        f"memory={v.memory_name(create.memory)}",
    ]
    if create.capabilities:
        parts.append(f"caps={_flags(create.capabilities, v.BufCap)}")
    if create.flags:
        parts.append(f"flags={_flags(create.flags, v.MemoryFlag)}")
    return " ".join(parts) + " " + summarize_format(create.format)


def _mem_location(memory: int, offset: int, userptr: int, fd: int) -> list[str]:
    if memory == v.V4L2_MEMORY_DMABUF:
        return [f"fd={fd}"]
    if memory == v.V4L2_MEMORY_USERPTR:
        return [f"userptr={userptr:#x}"]
    return [f"offset={offset:#x}"] if offset else []


def summarize_buffer(buf: v.v4l2_buffer) -> str:
    """``index=2 type=video-capture-mplane flags=QUEUED|DONE planes=[0:len=… used=…]``."""
    parts = [f"index={buf.index}", f"type={v.buf_type_name(buf.type)}", *_memory(buf.memory)]
    parts.append(f"flags={'|'.join(v.buf_flag_names(buf.flags)) or '0'}")
    if buf.field:
        parts.append(f"field={_field(buf.field)}")
    if v.is_multiplanar(buf.type):
        planes = []
        if buf.m.planes:
            for i in range(min(buf.length, v.VIDEO_MAX_PLANES)):
                p = buf.m.planes[i]
                item = [f"{i}:len={p.length}", f"used={p.bytesused}"]
                if p.data_offset:
                    item.append(f"data_offset={p.data_offset}")
                item += _mem_location(buf.memory, p.m.mem_offset, p.m.userptr, p.m.fd)
                planes.append(" ".join(item))
        parts.append(f"planes=[{', '.join(planes)}]")
    else:
        parts += [f"bytesused={buf.bytesused}", f"length={buf.length}"]
        parts += _mem_location(buf.memory, buf.m.offset, buf.m.userptr, buf.m.fd)
    if buf.sequence or buf.flags & v.V4L2_BUF_FLAG_DONE:
        parts.append(f"seq={buf.sequence}")
    if buf.timestamp.tv_sec or buf.timestamp.tv_usec:
        parts.append(f"ts={buf.timestamp.tv_sec}.{buf.timestamp.tv_usec:06d}")
    if buf.flags & v.V4L2_BUF_FLAG_REQUEST_FD:
        parts.append(f"request_fd={buf.request_fd}")
    return " ".join(parts)


def summarize_exportbuffer(exp: v.v4l2_exportbuffer) -> str:
    """``index=0 plane=1 flags=O_CLOEXEC|O_RDONLY fd=7``."""
    return f"index={exp.index} plane={exp.plane} flags={open_flags(exp.flags)} fd={exp.fd}"


def _cid_names() -> dict[int, str]:
    skip = {"V4L2_CID_BASE", "V4L2_CID_USER_BASE", "V4L2_CID_LASTP1", "V4L2_CID_PRIVATE_BASE"}
    return {
        value: name.removeprefix("V4L2_CID_").lower()
        for name, value in vars(v).items()
        if name.startswith("V4L2_CID_") and name not in skip and isinstance(value, int)
    }


CID_NAMES: dict[int, str] = _cid_names()


def _cid(cid: int) -> str:
    name = CID_NAMES.get(cid & v.V4L2_CTRL_ID_MASK)
    return f"{cid:#010x} ({name})" if name else f"{cid:#010x}"


def summarize_control(ctrl: v.v4l2_control) -> str:
    return f"id={_cid(ctrl.id)} value={ctrl.value}"


# ---------------------------------------------------------------------------------------
# DVB demux
# ---------------------------------------------------------------------------------------


def _dmx_flags(value: int) -> str:
    return "|".join(n.removeprefix("DMX_") for n in v.decode_flags(value, dvb.DmxFilterFlag)) or "0"


def summarize_sct_filter(p: dvb.dmx_sct_filter_params) -> str:
    # Show filter/mask bytes up to the last byte the mask actually uses.
    used = max((i + 1 for i in range(dvb.DMX_FILTER_SIZE) if p.filter.mask[i]), default=1)
    filt = "".join(f"{p.filter.filter[i]:02x}" for i in range(used))
    mask = "".join(f"{p.filter.mask[i]:02x}" for i in range(used))
    return (
        f"pid={p.pid:#06x} filter={filt} mask={mask} timeout={p.timeout}"
        f" flags={_dmx_flags(p.flags)}"
    )


def summarize_pes_filter(p: dvb.dmx_pes_filter_params) -> str:
    return (
        f"pid={p.pid:#06x}"
        f" input={_enum(p.input, dvb.DmxInput, 'DMX_IN_').lower()}"
        f" output={_enum(p.output, dvb.DmxOutput, 'DMX_OUT_').lower().replace('_', '-')}"
        f" pes_type={_enum(p.pes_type, dvb.DmxTsPes, 'DMX_PES_').lower()}"
        f" flags={_dmx_flags(p.flags)}"
    )


def summarize_dmx_requestbuffers(req: dvb.dmx_requestbuffers) -> str:
    return f"count={req.count} size={req.size}"


def summarize_dmx_buffer(buf: dvb.dmx_buffer) -> str:
    flags = "|".join(n.removeprefix("DMX_BUFFER_").removeprefix("FLAG_")
                     for n in dvb.dmx_buffer_flag_names(buf.flags)) or "0"
    return (
        f"index={buf.index} bytesused={buf.bytesused} length={buf.length}"
        f" offset={buf.offset:#x} flags={flags} count={buf.count}"
    )


def summarize_dmx_exportbuffer(exp: dvb.dmx_exportbuffer) -> str:
    return f"index={exp.index} flags={open_flags(exp.flags)} fd={exp.fd}"


# ---------------------------------------------------------------------------------------
# DVB frontend
# ---------------------------------------------------------------------------------------


def summarize_frontend_info(info: dvb.dvb_frontend_info) -> str:
    parts = [
        f"name={_text(info.name)}",
        f"type={_enum(info.type, dvb.FeType, 'FE_')}",
        f"frequency={info.frequency_min}..{info.frequency_max}",
        f"step={info.frequency_stepsize}",
    ]
    if info.symbol_rate_max:  # only meaningful for satellite and cable frontends
        parts.append(f"symbol_rate={info.symbol_rate_min}..{info.symbol_rate_max}")
    caps = "|".join(n.removeprefix("FE_") for n in dvb.fe_caps_names(info.caps))
    parts.append(f"caps={caps or '0'}")
    return " ".join(parts)


_DTV_VALUE_ENUMS: dict[int, type[enum.IntEnum]] = {
    dvb.DTV_MODULATION: dvb.FeModulation,
    dvb.DTV_INVERSION: dvb.FeSpectralInversion,
    dvb.DTV_INNER_FEC: dvb.FeCodeRate,
    dvb.DTV_CODE_RATE_HP: dvb.FeCodeRate,
    dvb.DTV_CODE_RATE_LP: dvb.FeCodeRate,
    dvb.DTV_GUARD_INTERVAL: dvb.FeGuardInterval,
    dvb.DTV_TRANSMISSION_MODE: dvb.FeTransmitMode,
    dvb.DTV_HIERARCHY: dvb.FeHierarchy,
    dvb.DTV_PILOT: dvb.FePilot,
    dvb.DTV_ROLLOFF: dvb.FeRolloff,
    dvb.DTV_INTERLEAVING: dvb.FeInterleaving,
}


def _dtv_stat(stat: dvb.dtv_stats) -> str:
    if stat.scale == dvb.FE_SCALE_DECIBEL:
        return f"{stat.svalue / 1000:.3f}dB"
    if stat.scale == dvb.FE_SCALE_RELATIVE:
        return f"{stat.uvalue * 100 / 65535:.1f}%"
    if stat.scale == dvb.FE_SCALE_COUNTER:
        return str(stat.uvalue)
    return "n/a"


def summarize_dtv_property(prop: dvb.dtv_property) -> str:
    """``FREQUENCY=474000000``, ``DELIVERY_SYSTEM=DVBT``, ``STAT_CNR=[25.300dB]`` …"""
    cmd = prop.cmd
    name = _enum(cmd, dvb.DtvCommand, "DTV_")
    if cmd in (dvb.DTV_TUNE, dvb.DTV_CLEAR):
        text = name
    elif cmd == dvb.DTV_DELIVERY_SYSTEM:
        text = f"{name}={dvb.DELIVERY_SYSTEM_NAMES.get(prop.u.data, str(prop.u.data))}"
    elif cmd == dvb.DTV_ENUM_DELSYS:
        count = min(prop.u.buffer.len, 32)
        systems = [dvb.DELIVERY_SYSTEM_NAMES.get(s, str(s)) for s in prop.u.buffer.data[:count]]
        text = f"{name}=[{','.join(systems)}]"
    elif cmd == dvb.DTV_API_VERSION:
        text = f"{name}={prop.u.data >> 8}.{prop.u.data & 0xFF}"
    elif cmd in dvb.DTV_STAT_COMMANDS:
        count = min(prop.u.st.len, dvb.MAX_DTV_STATS)
        text = f"{name}=[{','.join(_dtv_stat(prop.u.st.stat[i]) for i in range(count))}]"
    elif cmd in _DTV_VALUE_ENUMS:
        text = f"{name}={_enum(prop.u.data, _DTV_VALUE_ENUMS[cmd])}"
    else:
        text = f"{name}={prop.u.data}"
    return f"{text}(result={prop.result})" if prop.result else text


def summarize_dtv_properties(props: dvb.dtv_properties) -> str:
    items = []
    if props.props:
        items = [
            summarize_dtv_property(props.props[i])
            for i in range(min(props.num, dvb.DTV_IOCTL_MAX_MSGS))
        ]
    return f"num={props.num} [{' '.join(items)}]"


# ---------------------------------------------------------------------------------------
# dma-buf
# ---------------------------------------------------------------------------------------


def summarize_heap_allocation(data: dmb.dma_heap_allocation_data) -> str:
    return (
        f"len={data.len} fd={data.fd} fd_flags={open_flags(data.fd_flags)}"
        f" heap_flags={data.heap_flags:#x}"
    )


def summarize_udmabuf_create(create: dmb.udmabuf_create) -> str:
    flags = "CLOEXEC" if create.flags == dmb.UDMABUF_FLAGS_CLOEXEC else f"{create.flags:#x}"
    return (
        f"memfd={create.memfd} flags={flags if create.flags else '0'}"
        f" offset={create.offset} size={create.size}"
    )


def summarize_dma_buf_sync(sync: dmb.dma_buf_sync) -> str:
    return f"flags={'|'.join(dmb.dma_buf_sync_names(sync.flags))}"


# ---------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------

SUMMARIZERS: dict[type, Callable[..., str]] = {
    v.v4l2_capability: summarize_capability,
    v.v4l2_fmtdesc: summarize_fmtdesc,
    v.v4l2_format: summarize_format,
    v.v4l2_frmsizeenum: summarize_frmsizeenum,
    v.v4l2_frmivalenum: summarize_frmivalenum,
    v.v4l2_streamparm: summarize_streamparm,
    v.v4l2_requestbuffers: summarize_requestbuffers,
    v.v4l2_create_buffers: summarize_create_buffers,
    v.v4l2_buffer: summarize_buffer,
    v.v4l2_exportbuffer: summarize_exportbuffer,
    v.v4l2_control: summarize_control,
    dvb.dmx_sct_filter_params: summarize_sct_filter,
    dvb.dmx_pes_filter_params: summarize_pes_filter,
    dvb.dmx_requestbuffers: summarize_dmx_requestbuffers,
    dvb.dmx_buffer: summarize_dmx_buffer,
    dvb.dmx_exportbuffer: summarize_dmx_exportbuffer,
    dvb.dvb_frontend_info: summarize_frontend_info,
    dvb.dtv_properties: summarize_dtv_properties,
    dmb.dma_heap_allocation_data: summarize_heap_allocation,
    dmb.udmabuf_create: summarize_udmabuf_create,
    dmb.dma_buf_sync: summarize_dma_buf_sync,
}


def register() -> None:
    """Register every summarizer with the chokepoint (done on import; safe to repeat)."""
    for argtype, summarize in SUMMARIZERS.items():
        chokepoint.register_summarizer(argtype, summarize)
    chokepoint.register_fielder(arg_fields)


register()
