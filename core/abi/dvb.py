"""DVB ABI: demux (``linux/dvb/dmx.h``) and frontend (``linux/dvb/frontend.h``), x86_64.

Struct, field and constant names are the kernel's.  The DVB headers, unlike V4L2, do not
give their enums one shared prefix (``fe_modulation`` has QPSK, QAM_16, VSB_8 …, and
``fe_code_rate`` values start with a digit after ``FEC_``), so the enum classes here keep
the full kernel names as member names: ``FeModulation.QAM_AUTO``, ``FeStatus.FE_HAS_LOCK``.
Every member also exists as a module-level name, which is what the ABI test compares
with the headers.

The layout matches Debian 12's linux-libc-dev 6.1 (checked by ``tests/unit/test_abi.py``).
"""

from __future__ import annotations

import ctypes
import enum

from core.abi.ioctl import IO, IOR, IOW, IOWR
from core.abi.layout import c_s64, c_u64
from core.abi.v4l2 import decode_flags

# =======================================================================================
# Demux: linux/dvb/dmx.h
# =======================================================================================

DMX_FILTER_SIZE = 16


class DmxOutput(enum.IntEnum):
    """``enum dmx_output``: where a PES filter's output goes."""

    DMX_OUT_DECODER = 0
    DMX_OUT_TAP = 1
    DMX_OUT_TS_TAP = 2  # TS packets to the dvr device
    DMX_OUT_TSDEMUX_TAP = 3  # TS packets to this demux fd (read it directly)


DMX_OUT_DECODER = DmxOutput.DMX_OUT_DECODER
DMX_OUT_TAP = DmxOutput.DMX_OUT_TAP
DMX_OUT_TS_TAP = DmxOutput.DMX_OUT_TS_TAP
DMX_OUT_TSDEMUX_TAP = DmxOutput.DMX_OUT_TSDEMUX_TAP


class DmxInput(enum.IntEnum):
    """``enum dmx_input``."""

    DMX_IN_FRONTEND = 0
    DMX_IN_DVR = 1


DMX_IN_FRONTEND = DmxInput.DMX_IN_FRONTEND
DMX_IN_DVR = DmxInput.DMX_IN_DVR


class DmxTsPes(enum.IntEnum):
    """``enum dmx_ts_pes``: PES type of a filter; DMX_PES_OTHER for plain PID filtering."""

    DMX_PES_AUDIO0 = 0
    DMX_PES_VIDEO0 = 1
    DMX_PES_TELETEXT0 = 2
    DMX_PES_SUBTITLE0 = 3
    DMX_PES_PCR0 = 4
    DMX_PES_AUDIO1 = 5
    DMX_PES_VIDEO1 = 6
    DMX_PES_TELETEXT1 = 7
    DMX_PES_SUBTITLE1 = 8
    DMX_PES_PCR1 = 9
    DMX_PES_AUDIO2 = 10
    DMX_PES_VIDEO2 = 11
    DMX_PES_TELETEXT2 = 12
    DMX_PES_SUBTITLE2 = 13
    DMX_PES_PCR2 = 14
    DMX_PES_AUDIO3 = 15
    DMX_PES_VIDEO3 = 16
    DMX_PES_TELETEXT3 = 17
    DMX_PES_SUBTITLE3 = 18
    DMX_PES_PCR3 = 19
    DMX_PES_OTHER = 20


DMX_PES_AUDIO0 = DmxTsPes.DMX_PES_AUDIO0
DMX_PES_VIDEO0 = DmxTsPes.DMX_PES_VIDEO0
DMX_PES_TELETEXT0 = DmxTsPes.DMX_PES_TELETEXT0
DMX_PES_SUBTITLE0 = DmxTsPes.DMX_PES_SUBTITLE0
DMX_PES_PCR0 = DmxTsPes.DMX_PES_PCR0
DMX_PES_AUDIO1 = DmxTsPes.DMX_PES_AUDIO1
DMX_PES_VIDEO1 = DmxTsPes.DMX_PES_VIDEO1
DMX_PES_TELETEXT1 = DmxTsPes.DMX_PES_TELETEXT1
DMX_PES_SUBTITLE1 = DmxTsPes.DMX_PES_SUBTITLE1
DMX_PES_PCR1 = DmxTsPes.DMX_PES_PCR1
DMX_PES_AUDIO2 = DmxTsPes.DMX_PES_AUDIO2
DMX_PES_VIDEO2 = DmxTsPes.DMX_PES_VIDEO2
DMX_PES_TELETEXT2 = DmxTsPes.DMX_PES_TELETEXT2
DMX_PES_SUBTITLE2 = DmxTsPes.DMX_PES_SUBTITLE2
DMX_PES_PCR2 = DmxTsPes.DMX_PES_PCR2
DMX_PES_AUDIO3 = DmxTsPes.DMX_PES_AUDIO3
DMX_PES_VIDEO3 = DmxTsPes.DMX_PES_VIDEO3
DMX_PES_TELETEXT3 = DmxTsPes.DMX_PES_TELETEXT3
DMX_PES_SUBTITLE3 = DmxTsPes.DMX_PES_SUBTITLE3
DMX_PES_PCR3 = DmxTsPes.DMX_PES_PCR3
DMX_PES_OTHER = DmxTsPes.DMX_PES_OTHER
# The header's short aliases for the first decoder.
DMX_PES_AUDIO = DMX_PES_AUDIO0
DMX_PES_VIDEO = DMX_PES_VIDEO0
DMX_PES_TELETEXT = DMX_PES_TELETEXT0
DMX_PES_SUBTITLE = DMX_PES_SUBTITLE0
DMX_PES_PCR = DMX_PES_PCR0


class DmxFilterFlag(enum.IntFlag):
    """``flags`` of dmx_sct_filter_params / dmx_pes_filter_params (#defines in the header)."""

    DMX_CHECK_CRC = 1
    DMX_ONESHOT = 2
    DMX_IMMEDIATE_START = 4


DMX_CHECK_CRC = DmxFilterFlag.DMX_CHECK_CRC
DMX_ONESHOT = DmxFilterFlag.DMX_ONESHOT
DMX_IMMEDIATE_START = DmxFilterFlag.DMX_IMMEDIATE_START


class DmxBufferFlag(enum.IntFlag):
    """``enum dmx_buffer_flags``: what went wrong in the TS data of one dequeued buffer.

    Note the kernel's irregular spelling ``DMX_BUFFER_PKT_COUNTER_MISMATCH`` (no FLAG_).
    """

    DMX_BUFFER_FLAG_HAD_CRC32_DISCARD = 1 << 0
    DMX_BUFFER_FLAG_TEI = 1 << 1
    DMX_BUFFER_PKT_COUNTER_MISMATCH = 1 << 2
    DMX_BUFFER_FLAG_DISCONTINUITY_DETECTED = 1 << 3
    DMX_BUFFER_FLAG_DISCONTINUITY_INDICATOR = 1 << 4


DMX_BUFFER_FLAG_HAD_CRC32_DISCARD = DmxBufferFlag.DMX_BUFFER_FLAG_HAD_CRC32_DISCARD
DMX_BUFFER_FLAG_TEI = DmxBufferFlag.DMX_BUFFER_FLAG_TEI
DMX_BUFFER_PKT_COUNTER_MISMATCH = DmxBufferFlag.DMX_BUFFER_PKT_COUNTER_MISMATCH
DMX_BUFFER_FLAG_DISCONTINUITY_DETECTED = DmxBufferFlag.DMX_BUFFER_FLAG_DISCONTINUITY_DETECTED
DMX_BUFFER_FLAG_DISCONTINUITY_INDICATOR = DmxBufferFlag.DMX_BUFFER_FLAG_DISCONTINUITY_INDICATOR


def dmx_buffer_flag_names(value: int) -> list[str]:
    """Kernel names of the ``DMX_BUFFER_*`` bits set in a ``dmx_buffer.flags``."""
    return decode_flags(value, DmxBufferFlag)


class dmx_filter(ctypes.Structure):
    """Section filter: ``filter``/``mask``/``mode`` bytes compared against the section."""

    _fields_ = [
        ("filter", ctypes.c_uint8 * DMX_FILTER_SIZE),
        ("mask", ctypes.c_uint8 * DMX_FILTER_SIZE),
        ("mode", ctypes.c_uint8 * DMX_FILTER_SIZE),
    ]


class dmx_sct_filter_params(ctypes.Structure):
    """DMX_SET_FILTER: sections of ``pid``; ``timeout`` in ms (0 = none)."""

    _fields_ = [
        ("pid", ctypes.c_uint16),
        ("filter", dmx_filter),
        ("timeout", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
    ]


class dmx_pes_filter_params(ctypes.Structure):
    """DMX_SET_PES_FILTER; the three enums are ints in C (4 bytes on every ABI we run)."""

    _fields_ = [
        ("pid", ctypes.c_uint16),
        ("input", ctypes.c_uint),  # enum dmx_input
        ("output", ctypes.c_uint),  # enum dmx_output
        ("pes_type", ctypes.c_uint),  # enum dmx_ts_pes
        ("flags", ctypes.c_uint32),
    ]


class dmx_stc(ctypes.Structure):
    _fields_ = [("num", ctypes.c_uint), ("base", ctypes.c_uint), ("stc", c_u64)]


class dmx_buffer(ctypes.Structure):
    """DMX_QUERYBUF/QBUF/DQBUF (the DVB mmap API, CONFIG_DVB_MMAP)."""

    _fields_ = [
        ("index", ctypes.c_uint32),
        ("bytesused", ctypes.c_uint32),
        ("offset", ctypes.c_uint32),
        ("length", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("count", ctypes.c_uint32),
    ]


class dmx_requestbuffers(ctypes.Structure):
    _fields_ = [("count", ctypes.c_uint32), ("size", ctypes.c_uint32)]


class dmx_exportbuffer(ctypes.Structure):
    """DMX_EXPBUF: ``flags`` are open(2) flags, as for VIDIOC_EXPBUF."""

    _fields_ = [("index", ctypes.c_uint32), ("flags", ctypes.c_uint32), ("fd", ctypes.c_int32)]


# DMX_GET_PES_PIDS fills an array of five PIDs (``__u16[5]``), indexed by DMX_PES_*0..PCR0.
# ctypes caches array types, so this is the exact type of every such argument.
dmx_pes_pids_t = ctypes.c_uint16 * 5

DMX_START = IO("DMX_START", "o", 41)
DMX_STOP = IO("DMX_STOP", "o", 42)
DMX_SET_FILTER = IOW("DMX_SET_FILTER", "o", 43, dmx_sct_filter_params)
DMX_SET_PES_FILTER = IOW("DMX_SET_PES_FILTER", "o", 44, dmx_pes_filter_params)
# DMX_SET_BUFFER_SIZE is _IO: the size is the ioctl argument itself, not a pointer to it.
# Through core.ioctl.ioctl() pass a plain Python int: the chokepoint hands it to
# fcntl.ioctl(), which passes an int argument by value.  A ctypes object (c_ulong(size))
# would be passed as a *pointer* to its buffer, and the kernel would take that address
# as the size.  A virtual backend receives the same plain int.
DMX_SET_BUFFER_SIZE = IO("DMX_SET_BUFFER_SIZE", "o", 45)
DMX_GET_PES_PIDS = IOR("DMX_GET_PES_PIDS", "o", 47, dmx_pes_pids_t)
DMX_GET_STC = IOWR("DMX_GET_STC", "o", 50, dmx_stc)
# ADD/REMOVE_PID take a pointer to a __u16: pass ctypes.c_uint16(pid).
DMX_ADD_PID = IOW("DMX_ADD_PID", "o", 51, ctypes.c_uint16)
DMX_REMOVE_PID = IOW("DMX_REMOVE_PID", "o", 52, ctypes.c_uint16)
DMX_REQBUFS = IOWR("DMX_REQBUFS", "o", 60, dmx_requestbuffers)
DMX_QUERYBUF = IOWR("DMX_QUERYBUF", "o", 61, dmx_buffer)
DMX_EXPBUF = IOWR("DMX_EXPBUF", "o", 62, dmx_exportbuffer)
DMX_QBUF = IOWR("DMX_QBUF", "o", 63, dmx_buffer)
DMX_DQBUF = IOWR("DMX_DQBUF", "o", 64, dmx_buffer)

# =======================================================================================
# Frontend: linux/dvb/frontend.h
# =======================================================================================


class FeCaps(enum.IntFlag):
    """``enum fe_caps`` (dvb_frontend_info.caps)."""

    FE_IS_STUPID = 0
    FE_CAN_INVERSION_AUTO = 0x1
    FE_CAN_FEC_1_2 = 0x2
    FE_CAN_FEC_2_3 = 0x4
    FE_CAN_FEC_3_4 = 0x8
    FE_CAN_FEC_4_5 = 0x10
    FE_CAN_FEC_5_6 = 0x20
    FE_CAN_FEC_6_7 = 0x40
    FE_CAN_FEC_7_8 = 0x80
    FE_CAN_FEC_8_9 = 0x100
    FE_CAN_FEC_AUTO = 0x200
    FE_CAN_QPSK = 0x400
    FE_CAN_QAM_16 = 0x800
    FE_CAN_QAM_32 = 0x1000
    FE_CAN_QAM_64 = 0x2000
    FE_CAN_QAM_128 = 0x4000
    FE_CAN_QAM_256 = 0x8000
    FE_CAN_QAM_AUTO = 0x10000
    FE_CAN_TRANSMISSION_MODE_AUTO = 0x20000
    FE_CAN_BANDWIDTH_AUTO = 0x40000
    FE_CAN_GUARD_INTERVAL_AUTO = 0x80000
    FE_CAN_HIERARCHY_AUTO = 0x100000
    FE_CAN_8VSB = 0x200000
    FE_CAN_16VSB = 0x400000
    FE_HAS_EXTENDED_CAPS = 0x800000
    FE_CAN_MULTISTREAM = 0x4000000
    FE_CAN_TURBO_FEC = 0x8000000
    FE_CAN_2G_MODULATION = 0x10000000
    FE_NEEDS_BENDING = 0x20000000
    FE_CAN_RECOVER = 0x40000000
    FE_CAN_MUTE_TS = 0x80000000


FE_IS_STUPID = FeCaps.FE_IS_STUPID
FE_CAN_INVERSION_AUTO = FeCaps.FE_CAN_INVERSION_AUTO
FE_CAN_FEC_1_2 = FeCaps.FE_CAN_FEC_1_2
FE_CAN_FEC_2_3 = FeCaps.FE_CAN_FEC_2_3
FE_CAN_FEC_3_4 = FeCaps.FE_CAN_FEC_3_4
FE_CAN_FEC_4_5 = FeCaps.FE_CAN_FEC_4_5
FE_CAN_FEC_5_6 = FeCaps.FE_CAN_FEC_5_6
FE_CAN_FEC_6_7 = FeCaps.FE_CAN_FEC_6_7
FE_CAN_FEC_7_8 = FeCaps.FE_CAN_FEC_7_8
FE_CAN_FEC_8_9 = FeCaps.FE_CAN_FEC_8_9
FE_CAN_FEC_AUTO = FeCaps.FE_CAN_FEC_AUTO
FE_CAN_QPSK = FeCaps.FE_CAN_QPSK
FE_CAN_QAM_16 = FeCaps.FE_CAN_QAM_16
FE_CAN_QAM_32 = FeCaps.FE_CAN_QAM_32
FE_CAN_QAM_64 = FeCaps.FE_CAN_QAM_64
FE_CAN_QAM_128 = FeCaps.FE_CAN_QAM_128
FE_CAN_QAM_256 = FeCaps.FE_CAN_QAM_256
FE_CAN_QAM_AUTO = FeCaps.FE_CAN_QAM_AUTO
FE_CAN_TRANSMISSION_MODE_AUTO = FeCaps.FE_CAN_TRANSMISSION_MODE_AUTO
FE_CAN_BANDWIDTH_AUTO = FeCaps.FE_CAN_BANDWIDTH_AUTO
FE_CAN_GUARD_INTERVAL_AUTO = FeCaps.FE_CAN_GUARD_INTERVAL_AUTO
FE_CAN_HIERARCHY_AUTO = FeCaps.FE_CAN_HIERARCHY_AUTO
FE_CAN_8VSB = FeCaps.FE_CAN_8VSB
FE_CAN_16VSB = FeCaps.FE_CAN_16VSB
FE_HAS_EXTENDED_CAPS = FeCaps.FE_HAS_EXTENDED_CAPS
FE_CAN_MULTISTREAM = FeCaps.FE_CAN_MULTISTREAM
FE_CAN_TURBO_FEC = FeCaps.FE_CAN_TURBO_FEC
FE_CAN_2G_MODULATION = FeCaps.FE_CAN_2G_MODULATION
FE_NEEDS_BENDING = FeCaps.FE_NEEDS_BENDING
FE_CAN_RECOVER = FeCaps.FE_CAN_RECOVER
FE_CAN_MUTE_TS = FeCaps.FE_CAN_MUTE_TS


def fe_caps_names(value: int) -> list[str]:
    """Kernel names of the ``FE_CAN_*`` (and friends) bits in ``dvb_frontend_info.caps``."""
    return decode_flags(value, FeCaps)


class FeType(enum.IntEnum):
    """``enum fe_type``: DVBv3 frontend type, deprecated in favour of DTV_ENUM_DELSYS."""

    FE_QPSK = 0
    FE_QAM = 1
    FE_OFDM = 2
    FE_ATSC = 3


FE_QPSK = FeType.FE_QPSK
FE_QAM = FeType.FE_QAM
FE_OFDM = FeType.FE_OFDM
FE_ATSC = FeType.FE_ATSC


class FeStatus(enum.IntFlag):
    """``enum fe_status``: FE_READ_STATUS bits, from signal up to lock."""

    FE_NONE = 0x00
    FE_HAS_SIGNAL = 0x01
    FE_HAS_CARRIER = 0x02
    FE_HAS_VITERBI = 0x04
    FE_HAS_SYNC = 0x08
    FE_HAS_LOCK = 0x10
    FE_TIMEDOUT = 0x20
    FE_REINIT = 0x40


FE_NONE = FeStatus.FE_NONE
FE_HAS_SIGNAL = FeStatus.FE_HAS_SIGNAL
FE_HAS_CARRIER = FeStatus.FE_HAS_CARRIER
FE_HAS_VITERBI = FeStatus.FE_HAS_VITERBI
FE_HAS_SYNC = FeStatus.FE_HAS_SYNC
FE_HAS_LOCK = FeStatus.FE_HAS_LOCK
FE_TIMEDOUT = FeStatus.FE_TIMEDOUT
FE_REINIT = FeStatus.FE_REINIT


def fe_status_names(value: int) -> list[str]:
    """Kernel names of the ``FE_*`` status bits set, in lock-progress order (empty for 0)."""
    return decode_flags(value, FeStatus)


class FeSpectralInversion(enum.IntEnum):
    """``enum fe_spectral_inversion`` (DTV_INVERSION)."""

    INVERSION_OFF = 0
    INVERSION_ON = 1
    INVERSION_AUTO = 2


INVERSION_OFF = FeSpectralInversion.INVERSION_OFF
INVERSION_ON = FeSpectralInversion.INVERSION_ON
INVERSION_AUTO = FeSpectralInversion.INVERSION_AUTO


class FeCodeRate(enum.IntEnum):
    """``enum fe_code_rate`` (DTV_INNER_FEC, DTV_CODE_RATE_HP/LP)."""

    FEC_NONE = 0
    FEC_1_2 = 1
    FEC_2_3 = 2
    FEC_3_4 = 3
    FEC_4_5 = 4
    FEC_5_6 = 5
    FEC_6_7 = 6
    FEC_7_8 = 7
    FEC_8_9 = 8
    FEC_AUTO = 9
    FEC_3_5 = 10
    FEC_9_10 = 11
    FEC_2_5 = 12


FEC_NONE = FeCodeRate.FEC_NONE
FEC_1_2 = FeCodeRate.FEC_1_2
FEC_2_3 = FeCodeRate.FEC_2_3
FEC_3_4 = FeCodeRate.FEC_3_4
FEC_4_5 = FeCodeRate.FEC_4_5
FEC_5_6 = FeCodeRate.FEC_5_6
FEC_6_7 = FeCodeRate.FEC_6_7
FEC_7_8 = FeCodeRate.FEC_7_8
FEC_8_9 = FeCodeRate.FEC_8_9
FEC_AUTO = FeCodeRate.FEC_AUTO
FEC_3_5 = FeCodeRate.FEC_3_5
FEC_9_10 = FeCodeRate.FEC_9_10
FEC_2_5 = FeCodeRate.FEC_2_5


class FeModulation(enum.IntEnum):
    """``enum fe_modulation`` (DTV_MODULATION)."""

    QPSK = 0
    QAM_16 = 1
    QAM_32 = 2
    QAM_64 = 3
    QAM_128 = 4
    QAM_256 = 5
    QAM_AUTO = 6
    VSB_8 = 7
    VSB_16 = 8
    PSK_8 = 9
    APSK_16 = 10
    APSK_32 = 11
    DQPSK = 12
    QAM_4_NR = 13


QPSK = FeModulation.QPSK
QAM_16 = FeModulation.QAM_16
QAM_32 = FeModulation.QAM_32
QAM_64 = FeModulation.QAM_64
QAM_128 = FeModulation.QAM_128
QAM_256 = FeModulation.QAM_256
QAM_AUTO = FeModulation.QAM_AUTO
VSB_8 = FeModulation.VSB_8
VSB_16 = FeModulation.VSB_16
PSK_8 = FeModulation.PSK_8
APSK_16 = FeModulation.APSK_16
APSK_32 = FeModulation.APSK_32
DQPSK = FeModulation.DQPSK
QAM_4_NR = FeModulation.QAM_4_NR


class FeTransmitMode(enum.IntEnum):
    """``enum fe_transmit_mode`` (DTV_TRANSMISSION_MODE)."""

    TRANSMISSION_MODE_2K = 0
    TRANSMISSION_MODE_8K = 1
    TRANSMISSION_MODE_AUTO = 2
    TRANSMISSION_MODE_4K = 3
    TRANSMISSION_MODE_1K = 4
    TRANSMISSION_MODE_16K = 5
    TRANSMISSION_MODE_32K = 6
    TRANSMISSION_MODE_C1 = 7
    TRANSMISSION_MODE_C3780 = 8


TRANSMISSION_MODE_2K = FeTransmitMode.TRANSMISSION_MODE_2K
TRANSMISSION_MODE_8K = FeTransmitMode.TRANSMISSION_MODE_8K
TRANSMISSION_MODE_AUTO = FeTransmitMode.TRANSMISSION_MODE_AUTO
TRANSMISSION_MODE_4K = FeTransmitMode.TRANSMISSION_MODE_4K
TRANSMISSION_MODE_1K = FeTransmitMode.TRANSMISSION_MODE_1K
TRANSMISSION_MODE_16K = FeTransmitMode.TRANSMISSION_MODE_16K
TRANSMISSION_MODE_32K = FeTransmitMode.TRANSMISSION_MODE_32K
TRANSMISSION_MODE_C1 = FeTransmitMode.TRANSMISSION_MODE_C1
TRANSMISSION_MODE_C3780 = FeTransmitMode.TRANSMISSION_MODE_C3780


class FeGuardInterval(enum.IntEnum):
    """``enum fe_guard_interval`` (DTV_GUARD_INTERVAL)."""

    GUARD_INTERVAL_1_32 = 0
    GUARD_INTERVAL_1_16 = 1
    GUARD_INTERVAL_1_8 = 2
    GUARD_INTERVAL_1_4 = 3
    GUARD_INTERVAL_AUTO = 4
    GUARD_INTERVAL_1_128 = 5
    GUARD_INTERVAL_19_128 = 6
    GUARD_INTERVAL_19_256 = 7
    GUARD_INTERVAL_PN420 = 8
    GUARD_INTERVAL_PN595 = 9
    GUARD_INTERVAL_PN945 = 10


GUARD_INTERVAL_1_32 = FeGuardInterval.GUARD_INTERVAL_1_32
GUARD_INTERVAL_1_16 = FeGuardInterval.GUARD_INTERVAL_1_16
GUARD_INTERVAL_1_8 = FeGuardInterval.GUARD_INTERVAL_1_8
GUARD_INTERVAL_1_4 = FeGuardInterval.GUARD_INTERVAL_1_4
GUARD_INTERVAL_AUTO = FeGuardInterval.GUARD_INTERVAL_AUTO
GUARD_INTERVAL_1_128 = FeGuardInterval.GUARD_INTERVAL_1_128
GUARD_INTERVAL_19_128 = FeGuardInterval.GUARD_INTERVAL_19_128
GUARD_INTERVAL_19_256 = FeGuardInterval.GUARD_INTERVAL_19_256
GUARD_INTERVAL_PN420 = FeGuardInterval.GUARD_INTERVAL_PN420
GUARD_INTERVAL_PN595 = FeGuardInterval.GUARD_INTERVAL_PN595
GUARD_INTERVAL_PN945 = FeGuardInterval.GUARD_INTERVAL_PN945


class FeHierarchy(enum.IntEnum):
    """``enum fe_hierarchy`` (DTV_HIERARCHY)."""

    HIERARCHY_NONE = 0
    HIERARCHY_1 = 1
    HIERARCHY_2 = 2
    HIERARCHY_4 = 3
    HIERARCHY_AUTO = 4


HIERARCHY_NONE = FeHierarchy.HIERARCHY_NONE
HIERARCHY_1 = FeHierarchy.HIERARCHY_1
HIERARCHY_2 = FeHierarchy.HIERARCHY_2
HIERARCHY_4 = FeHierarchy.HIERARCHY_4
HIERARCHY_AUTO = FeHierarchy.HIERARCHY_AUTO


class FeInterleaving(enum.IntEnum):
    """``enum fe_interleaving`` (DTV_INTERLEAVING, DTMB)."""

    INTERLEAVING_NONE = 0
    INTERLEAVING_AUTO = 1
    INTERLEAVING_240 = 2
    INTERLEAVING_720 = 3


INTERLEAVING_NONE = FeInterleaving.INTERLEAVING_NONE
INTERLEAVING_AUTO = FeInterleaving.INTERLEAVING_AUTO
INTERLEAVING_240 = FeInterleaving.INTERLEAVING_240
INTERLEAVING_720 = FeInterleaving.INTERLEAVING_720


class FePilot(enum.IntEnum):
    """``enum fe_pilot`` (DTV_PILOT, DVB-S2)."""

    PILOT_ON = 0
    PILOT_OFF = 1
    PILOT_AUTO = 2


PILOT_ON = FePilot.PILOT_ON
PILOT_OFF = FePilot.PILOT_OFF
PILOT_AUTO = FePilot.PILOT_AUTO


class FeRolloff(enum.IntEnum):
    """``enum fe_rolloff`` (DTV_ROLLOFF, DVB-S2)."""

    ROLLOFF_35 = 0
    ROLLOFF_20 = 1
    ROLLOFF_25 = 2
    ROLLOFF_AUTO = 3


ROLLOFF_35 = FeRolloff.ROLLOFF_35
ROLLOFF_20 = FeRolloff.ROLLOFF_20
ROLLOFF_25 = FeRolloff.ROLLOFF_25
ROLLOFF_AUTO = FeRolloff.ROLLOFF_AUTO


class FeDeliverySystem(enum.IntEnum):
    """``enum fe_delivery_system`` (DTV_DELIVERY_SYSTEM, DTV_ENUM_DELSYS)."""

    SYS_UNDEFINED = 0
    SYS_DVBC_ANNEX_A = 1
    SYS_DVBC_ANNEX_B = 2
    SYS_DVBT = 3
    SYS_DSS = 4
    SYS_DVBS = 5
    SYS_DVBS2 = 6
    SYS_DVBH = 7
    SYS_ISDBT = 8
    SYS_ISDBS = 9
    SYS_ISDBC = 10
    SYS_ATSC = 11
    SYS_ATSCMH = 12
    SYS_DTMB = 13
    SYS_CMMB = 14
    SYS_DAB = 15
    SYS_DVBT2 = 16
    SYS_TURBO = 17
    SYS_DVBC_ANNEX_C = 18


SYS_UNDEFINED = FeDeliverySystem.SYS_UNDEFINED
SYS_DVBC_ANNEX_A = FeDeliverySystem.SYS_DVBC_ANNEX_A
SYS_DVBC_ANNEX_B = FeDeliverySystem.SYS_DVBC_ANNEX_B
SYS_DVBT = FeDeliverySystem.SYS_DVBT
SYS_DSS = FeDeliverySystem.SYS_DSS
SYS_DVBS = FeDeliverySystem.SYS_DVBS
SYS_DVBS2 = FeDeliverySystem.SYS_DVBS2
SYS_DVBH = FeDeliverySystem.SYS_DVBH
SYS_ISDBT = FeDeliverySystem.SYS_ISDBT
SYS_ISDBS = FeDeliverySystem.SYS_ISDBS
SYS_ISDBC = FeDeliverySystem.SYS_ISDBC
SYS_ATSC = FeDeliverySystem.SYS_ATSC
SYS_ATSCMH = FeDeliverySystem.SYS_ATSCMH
SYS_DTMB = FeDeliverySystem.SYS_DTMB
SYS_CMMB = FeDeliverySystem.SYS_CMMB
SYS_DAB = FeDeliverySystem.SYS_DAB
SYS_DVBT2 = FeDeliverySystem.SYS_DVBT2
SYS_TURBO = FeDeliverySystem.SYS_TURBO
SYS_DVBC_ANNEX_C = FeDeliverySystem.SYS_DVBC_ANNEX_C
# The header's backward-compatibility aliases.
SYS_DVBC_ANNEX_AC = SYS_DVBC_ANNEX_A
SYS_DMBTH = SYS_DTMB

# Display names as libdvbv5 / dvb-fe-tool print them ("DVBT", "DVBC/ANNEX_A").
DELIVERY_SYSTEM_NAMES: dict[int, str] = {
    int(s): s.name.removeprefix("SYS_").replace("DVBC_ANNEX", "DVBC/ANNEX")
    for s in FeDeliverySystem
}


class FeBandwidth(enum.IntEnum):
    """``enum fe_bandwidth``: DVBv3 only; DVBv5 uses DTV_BANDWIDTH_HZ (0 = auto)."""

    BANDWIDTH_8_MHZ = 0
    BANDWIDTH_7_MHZ = 1
    BANDWIDTH_6_MHZ = 2
    BANDWIDTH_AUTO = 3
    BANDWIDTH_5_MHZ = 4
    BANDWIDTH_10_MHZ = 5
    BANDWIDTH_1_712_MHZ = 6


BANDWIDTH_8_MHZ = FeBandwidth.BANDWIDTH_8_MHZ
BANDWIDTH_7_MHZ = FeBandwidth.BANDWIDTH_7_MHZ
BANDWIDTH_6_MHZ = FeBandwidth.BANDWIDTH_6_MHZ
BANDWIDTH_AUTO = FeBandwidth.BANDWIDTH_AUTO
BANDWIDTH_5_MHZ = FeBandwidth.BANDWIDTH_5_MHZ
BANDWIDTH_10_MHZ = FeBandwidth.BANDWIDTH_10_MHZ
BANDWIDTH_1_712_MHZ = FeBandwidth.BANDWIDTH_1_712_MHZ


class FecapScaleParams(enum.IntEnum):
    """``enum fecap_scale_params``: how to read a ``dtv_stats`` value."""

    FE_SCALE_NOT_AVAILABLE = 0
    FE_SCALE_DECIBEL = 1  # svalue in 0.001 dB
    FE_SCALE_RELATIVE = 2  # uvalue, 0..65535
    FE_SCALE_COUNTER = 3  # uvalue, a counter


FE_SCALE_NOT_AVAILABLE = FecapScaleParams.FE_SCALE_NOT_AVAILABLE
FE_SCALE_DECIBEL = FecapScaleParams.FE_SCALE_DECIBEL
FE_SCALE_RELATIVE = FecapScaleParams.FE_SCALE_RELATIVE
FE_SCALE_COUNTER = FecapScaleParams.FE_SCALE_COUNTER

NO_STREAM_ID_FILTER = 0xFFFFFFFF  # (~0U)
LNA_AUTO = 0xFFFFFFFF  # (~0U)


class DtvCommand(enum.IntEnum):
    """DVBv5 property commands (``DTV_*``, ``dtv_property.cmd``)."""

    DTV_UNDEFINED = 0
    DTV_TUNE = 1
    DTV_CLEAR = 2
    DTV_FREQUENCY = 3
    DTV_MODULATION = 4
    DTV_BANDWIDTH_HZ = 5
    DTV_INVERSION = 6
    DTV_DISEQC_MASTER = 7
    DTV_SYMBOL_RATE = 8
    DTV_INNER_FEC = 9
    DTV_VOLTAGE = 10
    DTV_TONE = 11
    DTV_PILOT = 12
    DTV_ROLLOFF = 13
    DTV_DISEQC_SLAVE_REPLY = 14
    DTV_FE_CAPABILITY_COUNT = 15
    DTV_FE_CAPABILITY = 16
    DTV_DELIVERY_SYSTEM = 17
    DTV_ISDBT_PARTIAL_RECEPTION = 18
    DTV_ISDBT_SOUND_BROADCASTING = 19
    DTV_ISDBT_SB_SUBCHANNEL_ID = 20
    DTV_ISDBT_SB_SEGMENT_IDX = 21
    DTV_ISDBT_SB_SEGMENT_COUNT = 22
    DTV_ISDBT_LAYERA_FEC = 23
    DTV_ISDBT_LAYERA_MODULATION = 24
    DTV_ISDBT_LAYERA_SEGMENT_COUNT = 25
    DTV_ISDBT_LAYERA_TIME_INTERLEAVING = 26
    DTV_ISDBT_LAYERB_FEC = 27
    DTV_ISDBT_LAYERB_MODULATION = 28
    DTV_ISDBT_LAYERB_SEGMENT_COUNT = 29
    DTV_ISDBT_LAYERB_TIME_INTERLEAVING = 30
    DTV_ISDBT_LAYERC_FEC = 31
    DTV_ISDBT_LAYERC_MODULATION = 32
    DTV_ISDBT_LAYERC_SEGMENT_COUNT = 33
    DTV_ISDBT_LAYERC_TIME_INTERLEAVING = 34
    DTV_API_VERSION = 35
    DTV_CODE_RATE_HP = 36
    DTV_CODE_RATE_LP = 37
    DTV_GUARD_INTERVAL = 38
    DTV_TRANSMISSION_MODE = 39
    DTV_HIERARCHY = 40
    DTV_ISDBT_LAYER_ENABLED = 41
    DTV_STREAM_ID = 42
    DTV_DVBT2_PLP_ID_LEGACY = 43
    DTV_ENUM_DELSYS = 44
    DTV_ATSCMH_FIC_VER = 45
    DTV_ATSCMH_PARADE_ID = 46
    DTV_ATSCMH_NOG = 47
    DTV_ATSCMH_TNOG = 48
    DTV_ATSCMH_SGN = 49
    DTV_ATSCMH_PRC = 50
    DTV_ATSCMH_RS_FRAME_MODE = 51
    DTV_ATSCMH_RS_FRAME_ENSEMBLE = 52
    DTV_ATSCMH_RS_CODE_MODE_PRI = 53
    DTV_ATSCMH_RS_CODE_MODE_SEC = 54
    DTV_ATSCMH_SCCC_BLOCK_MODE = 55
    DTV_ATSCMH_SCCC_CODE_MODE_A = 56
    DTV_ATSCMH_SCCC_CODE_MODE_B = 57
    DTV_ATSCMH_SCCC_CODE_MODE_C = 58
    DTV_ATSCMH_SCCC_CODE_MODE_D = 59
    DTV_INTERLEAVING = 60
    DTV_LNA = 61
    DTV_STAT_SIGNAL_STRENGTH = 62
    DTV_STAT_CNR = 63
    DTV_STAT_PRE_ERROR_BIT_COUNT = 64
    DTV_STAT_PRE_TOTAL_BIT_COUNT = 65
    DTV_STAT_POST_ERROR_BIT_COUNT = 66
    DTV_STAT_POST_TOTAL_BIT_COUNT = 67
    DTV_STAT_ERROR_BLOCK_COUNT = 68
    DTV_STAT_TOTAL_BLOCK_COUNT = 69
    DTV_SCRAMBLING_SEQUENCE_INDEX = 70


DTV_UNDEFINED = DtvCommand.DTV_UNDEFINED
DTV_TUNE = DtvCommand.DTV_TUNE
DTV_CLEAR = DtvCommand.DTV_CLEAR
DTV_FREQUENCY = DtvCommand.DTV_FREQUENCY
DTV_MODULATION = DtvCommand.DTV_MODULATION
DTV_BANDWIDTH_HZ = DtvCommand.DTV_BANDWIDTH_HZ
DTV_INVERSION = DtvCommand.DTV_INVERSION
DTV_DISEQC_MASTER = DtvCommand.DTV_DISEQC_MASTER
DTV_SYMBOL_RATE = DtvCommand.DTV_SYMBOL_RATE
DTV_INNER_FEC = DtvCommand.DTV_INNER_FEC
DTV_VOLTAGE = DtvCommand.DTV_VOLTAGE
DTV_TONE = DtvCommand.DTV_TONE
DTV_PILOT = DtvCommand.DTV_PILOT
DTV_ROLLOFF = DtvCommand.DTV_ROLLOFF
DTV_DISEQC_SLAVE_REPLY = DtvCommand.DTV_DISEQC_SLAVE_REPLY
DTV_FE_CAPABILITY_COUNT = DtvCommand.DTV_FE_CAPABILITY_COUNT
DTV_FE_CAPABILITY = DtvCommand.DTV_FE_CAPABILITY
DTV_DELIVERY_SYSTEM = DtvCommand.DTV_DELIVERY_SYSTEM
DTV_ISDBT_PARTIAL_RECEPTION = DtvCommand.DTV_ISDBT_PARTIAL_RECEPTION
DTV_ISDBT_SOUND_BROADCASTING = DtvCommand.DTV_ISDBT_SOUND_BROADCASTING
DTV_ISDBT_SB_SUBCHANNEL_ID = DtvCommand.DTV_ISDBT_SB_SUBCHANNEL_ID
DTV_ISDBT_SB_SEGMENT_IDX = DtvCommand.DTV_ISDBT_SB_SEGMENT_IDX
DTV_ISDBT_SB_SEGMENT_COUNT = DtvCommand.DTV_ISDBT_SB_SEGMENT_COUNT
DTV_ISDBT_LAYERA_FEC = DtvCommand.DTV_ISDBT_LAYERA_FEC
DTV_ISDBT_LAYERA_MODULATION = DtvCommand.DTV_ISDBT_LAYERA_MODULATION
DTV_ISDBT_LAYERA_SEGMENT_COUNT = DtvCommand.DTV_ISDBT_LAYERA_SEGMENT_COUNT
DTV_ISDBT_LAYERA_TIME_INTERLEAVING = DtvCommand.DTV_ISDBT_LAYERA_TIME_INTERLEAVING
DTV_ISDBT_LAYERB_FEC = DtvCommand.DTV_ISDBT_LAYERB_FEC
DTV_ISDBT_LAYERB_MODULATION = DtvCommand.DTV_ISDBT_LAYERB_MODULATION
DTV_ISDBT_LAYERB_SEGMENT_COUNT = DtvCommand.DTV_ISDBT_LAYERB_SEGMENT_COUNT
DTV_ISDBT_LAYERB_TIME_INTERLEAVING = DtvCommand.DTV_ISDBT_LAYERB_TIME_INTERLEAVING
DTV_ISDBT_LAYERC_FEC = DtvCommand.DTV_ISDBT_LAYERC_FEC
DTV_ISDBT_LAYERC_MODULATION = DtvCommand.DTV_ISDBT_LAYERC_MODULATION
DTV_ISDBT_LAYERC_SEGMENT_COUNT = DtvCommand.DTV_ISDBT_LAYERC_SEGMENT_COUNT
DTV_ISDBT_LAYERC_TIME_INTERLEAVING = DtvCommand.DTV_ISDBT_LAYERC_TIME_INTERLEAVING
DTV_API_VERSION = DtvCommand.DTV_API_VERSION
DTV_CODE_RATE_HP = DtvCommand.DTV_CODE_RATE_HP
DTV_CODE_RATE_LP = DtvCommand.DTV_CODE_RATE_LP
DTV_GUARD_INTERVAL = DtvCommand.DTV_GUARD_INTERVAL
DTV_TRANSMISSION_MODE = DtvCommand.DTV_TRANSMISSION_MODE
DTV_HIERARCHY = DtvCommand.DTV_HIERARCHY
DTV_ISDBT_LAYER_ENABLED = DtvCommand.DTV_ISDBT_LAYER_ENABLED
DTV_STREAM_ID = DtvCommand.DTV_STREAM_ID
DTV_ISDBS_TS_ID_LEGACY = DTV_STREAM_ID  # the header's alias
DTV_DVBT2_PLP_ID_LEGACY = DtvCommand.DTV_DVBT2_PLP_ID_LEGACY
DTV_ENUM_DELSYS = DtvCommand.DTV_ENUM_DELSYS
DTV_ATSCMH_FIC_VER = DtvCommand.DTV_ATSCMH_FIC_VER
DTV_ATSCMH_PARADE_ID = DtvCommand.DTV_ATSCMH_PARADE_ID
DTV_ATSCMH_NOG = DtvCommand.DTV_ATSCMH_NOG
DTV_ATSCMH_TNOG = DtvCommand.DTV_ATSCMH_TNOG
DTV_ATSCMH_SGN = DtvCommand.DTV_ATSCMH_SGN
DTV_ATSCMH_PRC = DtvCommand.DTV_ATSCMH_PRC
DTV_ATSCMH_RS_FRAME_MODE = DtvCommand.DTV_ATSCMH_RS_FRAME_MODE
DTV_ATSCMH_RS_FRAME_ENSEMBLE = DtvCommand.DTV_ATSCMH_RS_FRAME_ENSEMBLE
DTV_ATSCMH_RS_CODE_MODE_PRI = DtvCommand.DTV_ATSCMH_RS_CODE_MODE_PRI
DTV_ATSCMH_RS_CODE_MODE_SEC = DtvCommand.DTV_ATSCMH_RS_CODE_MODE_SEC
DTV_ATSCMH_SCCC_BLOCK_MODE = DtvCommand.DTV_ATSCMH_SCCC_BLOCK_MODE
DTV_ATSCMH_SCCC_CODE_MODE_A = DtvCommand.DTV_ATSCMH_SCCC_CODE_MODE_A
DTV_ATSCMH_SCCC_CODE_MODE_B = DtvCommand.DTV_ATSCMH_SCCC_CODE_MODE_B
DTV_ATSCMH_SCCC_CODE_MODE_C = DtvCommand.DTV_ATSCMH_SCCC_CODE_MODE_C
DTV_ATSCMH_SCCC_CODE_MODE_D = DtvCommand.DTV_ATSCMH_SCCC_CODE_MODE_D
DTV_INTERLEAVING = DtvCommand.DTV_INTERLEAVING
DTV_LNA = DtvCommand.DTV_LNA
DTV_STAT_SIGNAL_STRENGTH = DtvCommand.DTV_STAT_SIGNAL_STRENGTH
DTV_STAT_CNR = DtvCommand.DTV_STAT_CNR
DTV_STAT_PRE_ERROR_BIT_COUNT = DtvCommand.DTV_STAT_PRE_ERROR_BIT_COUNT
DTV_STAT_PRE_TOTAL_BIT_COUNT = DtvCommand.DTV_STAT_PRE_TOTAL_BIT_COUNT
DTV_STAT_POST_ERROR_BIT_COUNT = DtvCommand.DTV_STAT_POST_ERROR_BIT_COUNT
DTV_STAT_POST_TOTAL_BIT_COUNT = DtvCommand.DTV_STAT_POST_TOTAL_BIT_COUNT
DTV_STAT_ERROR_BLOCK_COUNT = DtvCommand.DTV_STAT_ERROR_BLOCK_COUNT
DTV_STAT_TOTAL_BLOCK_COUNT = DtvCommand.DTV_STAT_TOTAL_BLOCK_COUNT
DTV_SCRAMBLING_SEQUENCE_INDEX = DtvCommand.DTV_SCRAMBLING_SEQUENCE_INDEX
DTV_MAX_COMMAND = DTV_SCRAMBLING_SEQUENCE_INDEX

# Commands whose answer is a dtv_fe_stats (u.st) rather than u.data.
DTV_STAT_COMMANDS = frozenset(
    {
        DTV_STAT_SIGNAL_STRENGTH,
        DTV_STAT_CNR,
        DTV_STAT_PRE_ERROR_BIT_COUNT,
        DTV_STAT_PRE_TOTAL_BIT_COUNT,
        DTV_STAT_POST_ERROR_BIT_COUNT,
        DTV_STAT_POST_TOTAL_BIT_COUNT,
        DTV_STAT_ERROR_BLOCK_COUNT,
        DTV_STAT_TOTAL_BLOCK_COUNT,
    }
)

MAX_DTV_STATS = 4
DTV_IOCTL_MAX_MSGS = 64  # at most this many properties per FE_SET/GET_PROPERTY
FE_TUNE_MODE_ONESHOT = 0x01


class dvb_frontend_info(ctypes.Structure):
    """FE_GET_INFO.  ``type`` is deprecated: ask DTV_ENUM_DELSYS instead."""

    _fields_ = [
        ("name", ctypes.c_char * 128),
        ("type", ctypes.c_uint),  # enum fe_type
        ("frequency_min", ctypes.c_uint32),
        ("frequency_max", ctypes.c_uint32),
        ("frequency_stepsize", ctypes.c_uint32),
        ("frequency_tolerance", ctypes.c_uint32),
        ("symbol_rate_min", ctypes.c_uint32),
        ("symbol_rate_max", ctypes.c_uint32),
        ("symbol_rate_tolerance", ctypes.c_uint32),
        ("notifier_delay", ctypes.c_uint32),
        ("caps", ctypes.c_uint),  # enum fe_caps
    ]


class _dtv_stats_value(ctypes.Union):
    _fields_ = [("uvalue", c_u64), ("svalue", c_s64)]


class dtv_stats(ctypes.Structure):
    """One statistics value; packed (9 bytes): ``scale`` says which union member counts."""

    _pack_ = 1
    _layout_ = "ms"  # Python 3.14+ wants the layout named with _pack_; same result here
    _anonymous_ = ("_value",)
    _fields_ = [("scale", ctypes.c_uint8), ("_value", _dtv_stats_value)]


class dtv_fe_stats(ctypes.Structure):
    """``len`` valid entries of ``stat`` (one per layer, or one global); packed."""

    _pack_ = 1
    _layout_ = "ms"
    _fields_ = [("len", ctypes.c_uint8), ("stat", dtv_stats * MAX_DTV_STATS)]


class _dtv_property_buffer(ctypes.Structure):
    # Not packed in C: the anonymous struct keeps its own (pointer) alignment and size.
    _fields_ = [
        ("data", ctypes.c_uint8 * 32),
        ("len", ctypes.c_uint32),
        ("reserved1", ctypes.c_uint32 * 3),
        ("reserved2", ctypes.c_void_p),
    ]


class _dtv_property_u(ctypes.Union):
    _fields_ = [("data", ctypes.c_uint32), ("st", dtv_fe_stats), ("buffer", _dtv_property_buffer)]


class dtv_property(ctypes.Structure):
    """One DVBv5 property; ``__attribute__((packed))``, so 76 bytes with ``u`` at 16."""

    _pack_ = 1
    _layout_ = "ms"
    _fields_ = [
        ("cmd", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 3),
        ("u", _dtv_property_u),
        ("result", ctypes.c_int),
    ]


class dtv_properties(ctypes.Structure):
    """FE_SET/GET_PROPERTY: ``props`` points to ``num`` dtv_property (keep them alive)."""

    _fields_ = [("num", ctypes.c_uint32), ("props", ctypes.POINTER(dtv_property))]


FE_GET_INFO = IOR("FE_GET_INFO", "o", 61, dvb_frontend_info)
# FE_READ_STATUS writes an enum fe_status (an int): pass ctypes.c_uint().
FE_READ_STATUS = IOR("FE_READ_STATUS", "o", 69, ctypes.c_uint)
FE_READ_BER = IOR("FE_READ_BER", "o", 70, ctypes.c_uint32)
FE_READ_SIGNAL_STRENGTH = IOR("FE_READ_SIGNAL_STRENGTH", "o", 71, ctypes.c_uint16)
FE_READ_SNR = IOR("FE_READ_SNR", "o", 72, ctypes.c_uint16)
FE_READ_UNCORRECTED_BLOCKS = IOR("FE_READ_UNCORRECTED_BLOCKS", "o", 73, ctypes.c_uint32)
FE_SET_PROPERTY = IOW("FE_SET_PROPERTY", "o", 82, dtv_properties)
# _IOR although the kernel also reads the commands: the header says so, and the number
# is what matters.
FE_GET_PROPERTY = IOR("FE_GET_PROPERTY", "o", 83, dtv_properties)


def dtv_props(
    *items: tuple[int, int] | int,
) -> tuple[dtv_properties, ctypes.Array[dtv_property]]:
    """Build an FE_SET/GET_PROPERTY argument from ``(cmd, data)`` pairs or bare commands.

    Returns the ``dtv_properties`` and the property array it points to; the caller keeps
    both alive across the ioctl (ctypes does not keep a pointer's target alive).
    """
    props = (dtv_property * len(items))()
    for prop, item in zip(props, items, strict=True):
        cmd, data = item if isinstance(item, tuple) else (item, 0)
        prop.cmd = cmd
        prop.u.data = data
    arg = dtv_properties(num=len(items), props=ctypes.cast(props, ctypes.POINTER(dtv_property)))
    return arg, props
