"""DVB causes: the demux and its mmap API (D1-D7 in docs/kernel-rules.md), the frontend."""

from __future__ import annotations

import errno as E

from core.explain.registry import RULES, Explanation, bad_export_flags, index_text, queue_of, rule
from core.facts import BufferFacts, DvbAllocationFacts, ExportFacts, Facts, FilterFacts, TuneFacts


@rule(("DMX_EXPBUF", E.EINVAL))
def _dmx_expbuf_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, ExportFacts):
        if facts.bad_flags:
            return bad_export_flags(facts)
        if facts.bad_index:
            return (
                f"No buffer {facts.index} on this demux",
                f"Valid indices are 0..count-1 from DMX_REQBUFS "
                f"({facts.queue.num_buffers} here).",
            )
        if not facts.queue.owns_queue:
            return ("No buffers allocated", "Call DMX_REQBUFS before DMX_EXPBUF.")
    return (
        "Export refused",
        "The queue is not in MMAP mode, or DMABUF exporting is not supported, or the "
        "flags or index fields are invalid.",
    )


# --- DVB mmap API ----------------------------------------------------------------------------


def _dmx_api_absent(facts: Facts | None) -> Explanation:
    return (
        "No DVB mmap API in this kernel",
        "The DMX_REQBUFS/QUERYBUF/EXPBUF/QBUF/DQBUF ioctls exist only when the kernel "
        "is built with CONFIG_DVB_MMAP (ENOTTY, EINVAL on early kernels, or EOPNOTSUPP "
        "as documented). Use read() on the dvr/demux node instead.",
    )


for _ioctl in ("DMX_REQBUFS", "DMX_QUERYBUF", "DMX_EXPBUF", "DMX_QBUF", "DMX_DQBUF"):
    RULES[(_ioctl, E.ENOTTY)] = _dmx_api_absent
    RULES[(_ioctl, E.EOPNOTSUPP)] = _dmx_api_absent


@rule(("DMX_REQBUFS", E.EINVAL))
def _dmx_reqbufs_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, DvbAllocationFacts) and facts.api_absent:
        return _dmx_api_absent(facts)
    return (
        "DMX_REQBUFS refused",
        "The count or size is invalid, or this kernel has no DVB mmap API "
        "(early kernels answered EINVAL for it).",
    )


@rule(("DMX_REQBUFS", E.EBUSY))
def _dmx_reqbufs_busy(facts: Facts | None) -> Explanation:
    return (
        "Demux queue is streaming",
        "The first DMX_QBUF started the queue and DMX_STOP does not stop it: buffers "
        "cannot be reallocated or freed until the file is closed.",
    )


@rule(("DMX_QBUF", E.EINVAL), ("DMX_QUERYBUF", E.EINVAL), ("DMX_DQBUF", E.EINVAL))
def _dmx_buf_einval(facts: Facts | None) -> Explanation:
    queue = queue_of(facts)
    if isinstance(facts, BufferFacts) and facts.index is None and queue is not None \
            and not queue.streaming:
        return (
            "Demux queue is not streaming",
            "DMX_DQBUF only works after the first DMX_QBUF started the queue.",
        )
    return (
        f"No buffer {index_text(facts)} on this demux",
        "The index is out of range or the buffer is already queued.",
    )


@rule(("DMX_SET_PES_FILTER", E.EINVAL), ("DMX_SET_FILTER", E.EINVAL))
def _dmx_filter_einval(facts: Facts | None) -> Explanation:
    return (
        "Filter refused",
        "The filter's input, output or PES type is not one the demux knows "
        "(dmxdev checks pes_type <= DMX_PES_OTHER and the output against its capabilities).",
    )


@rule(("DMX_START", E.EINVAL))
def _dmx_start_einval(facts: Facts | None) -> Explanation:
    if isinstance(facts, FilterFacts):
        if not facts.filter_set:
            return (
                "No filter set on this demux fd",
                "DMX_START starts the filter set by DMX_SET_PES_FILTER or DMX_SET_FILTER on "
                "the same file handle; none was set (dmxdev: state below DMXDEV_STATE_SET).",
            )
        if facts.pid is not None and facts.pid > facts.max_pid:
            return (
                f"PID {facts.pid:#x} out of range",
                f"The demux feeds PIDs 0..{facts.max_pid - 1:#x}, and {facts.max_pid:#x} for "
                "the whole transport stream; the filter was accepted but cannot start.",
            )
    return (
        "DMX_START refused",
        "No filter is set on this file handle, or the filter's PID is above 0x2000, or "
        "the demux feed is in a state that cannot start.",
    )


@rule(("DMX_SET_BUFFER_SIZE", E.EBUSY))
def _dmx_size_busy(facts: Facts | None) -> Explanation:
    return (
        "Filter is running",
        "The demux ring buffer cannot be resized while its filter runs: DMX_STOP first.",
    )


# --- DVB frontend -----------------------------------------------------------------------


@rule(("FE_SET_PROPERTY", E.EINVAL))
def _fe_set_property_einval(facts: Facts | None) -> Explanation:
    if not isinstance(facts, TuneFacts):
        return (
            "Tuning parameters refused",
            "A property value is outside what this frontend supports (frequency, "
            "bandwidth, delivery system).",
        )
    lo, hi = facts.frequency_min, facts.frequency_max
    known = lo is not None and hi is not None
    span = f"{lo:,} to {hi:,} {facts.unit}" if known else "unknown (FE_GET_INFO failed)"
    if facts.out_of_range:
        return (
            f"Frequency {facts.frequency:,} {facts.unit} out of range",
            f"This frontend tunes {span} (FE_GET_INFO); dvb_frontend refuses any "
            "frequency outside it with EINVAL.",
        )
    system = f" for {facts.delivery_system}" if facts.delivery_system else ""
    return (
        "Tuning parameters refused",
        f"The frequency {facts.frequency:,} {facts.unit} is inside the frontend's range "
        f"({span}), so another parameter{system} is not supported (delivery system, "
        "bandwidth, modulation).",
    )


@rule(("FE_GET_PROPERTY", E.EINVAL))
def _fe_get_property_einval(facts: Facts | None) -> Explanation:
    return (
        "Property not readable",
        "dvb_frontend rejects a property command it does not know (older kernels lack "
        "DTV_ENUM_DELSYS) or a property count of 0 or above DTV_IOCTL_MAX_MSGS.",
    )


@rule(("FE_SET_PROPERTY", E.EPERM))
def _fe_set_property_eperm(facts: Facts | None) -> Explanation:
    return (
        "Frontend opened read-only",
        "dvb_frontend lets a read-only file handle only read (FE_GET_INFO, status): "
        "tuning needs the frontend opened read-write, which only one process may do.",
    )
