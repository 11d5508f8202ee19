"""Media controller ABI (``linux/media.h``): device info, the topology (G_TOPOLOGY),
the legacy entity/link enumeration (ENUM_ENTITIES, ENUM_LINKS) and SETUP_LINK.

Every struct, ioctl number and constant below is compared with the installed header by
the compiled probe in ``tests/unit/test_abi.py``.  The ``media_v2_*`` structs are
``__attribute__((packed))`` in the header, hence ``_pack_ = 1``.
"""

from __future__ import annotations

import ctypes

from core.abi.ioctl import IOWR
from core.abi.layout import c_u64


class media_device_info(ctypes.Structure):
    _fields_ = [
        ("driver", ctypes.c_char * 16),
        ("model", ctypes.c_char * 32),
        ("serial", ctypes.c_char * 40),
        ("bus_info", ctypes.c_char * 32),
        ("media_version", ctypes.c_uint32),
        ("hw_revision", ctypes.c_uint32),
        ("driver_version", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 31),
    ]


# --- legacy API: ENUM_ENTITIES / ENUM_LINKS / SETUP_LINK ------------------------------------


class _entity_dev(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class _entity_desc_u(ctypes.Union):
    _fields_ = [("dev", _entity_dev), ("raw", ctypes.c_uint8 * 184)]


class media_entity_desc(ctypes.Structure):
    _anonymous_ = ("_u",)
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("name", ctypes.c_char * 32),
        ("type", ctypes.c_uint32),
        ("revision", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("group_id", ctypes.c_uint32),
        ("pads", ctypes.c_uint16),
        ("links", ctypes.c_uint16),
        ("reserved", ctypes.c_uint32 * 4),
        ("_u", _entity_desc_u),
    ]


class media_pad_desc(ctypes.Structure):
    _fields_ = [
        ("entity", ctypes.c_uint32),
        ("index", ctypes.c_uint16),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class media_link_desc(ctypes.Structure):
    _fields_ = [
        ("source", media_pad_desc),
        ("sink", media_pad_desc),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 2),
    ]


class media_links_enum(ctypes.Structure):
    _fields_ = [
        ("entity", ctypes.c_uint32),
        ("pads", ctypes.POINTER(media_pad_desc)),
        ("links", ctypes.POINTER(media_link_desc)),
        ("reserved", ctypes.c_uint32 * 4),
    ]


# --- G_TOPOLOGY (media_v2_*) -------------------------------------------------------------


class media_v2_entity(ctypes.Structure):
    _pack_ = 1
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("name", ctypes.c_char * 64),
        ("function", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 5),
    ]


class media_v2_intf_devnode(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class _intf_u(ctypes.Union):
    _pack_ = 1
    _fields_ = [("devnode", media_v2_intf_devnode), ("raw", ctypes.c_uint32 * 16)]


class media_v2_interface(ctypes.Structure):
    _pack_ = 1
    _anonymous_ = ("_u",)
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("intf_type", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 9),
        ("_u", _intf_u),
    ]


class media_v2_pad(ctypes.Structure):
    _pack_ = 1
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("entity_id", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("index", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 4),
    ]


class media_v2_link(ctypes.Structure):
    _pack_ = 1
    _fields_ = [
        ("id", ctypes.c_uint32),
        ("source_id", ctypes.c_uint32),
        ("sink_id", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 6),
    ]


class media_v2_topology(ctypes.Structure):
    _pack_ = 1
    _fields_ = [
        ("topology_version", c_u64),
        ("num_entities", ctypes.c_uint32),
        ("reserved1", ctypes.c_uint32),
        ("ptr_entities", c_u64),
        ("num_interfaces", ctypes.c_uint32),
        ("reserved2", ctypes.c_uint32),
        ("ptr_interfaces", c_u64),
        ("num_pads", ctypes.c_uint32),
        ("reserved3", ctypes.c_uint32),
        ("ptr_pads", c_u64),
        ("num_links", ctypes.c_uint32),
        ("reserved4", ctypes.c_uint32),
        ("ptr_links", c_u64),
    ]


MEDIA_IOC_DEVICE_INFO = IOWR("MEDIA_IOC_DEVICE_INFO", "|", 0x00, media_device_info)
MEDIA_IOC_ENUM_ENTITIES = IOWR("MEDIA_IOC_ENUM_ENTITIES", "|", 0x01, media_entity_desc)
MEDIA_IOC_ENUM_LINKS = IOWR("MEDIA_IOC_ENUM_LINKS", "|", 0x02, media_links_enum)
MEDIA_IOC_SETUP_LINK = IOWR("MEDIA_IOC_SETUP_LINK", "|", 0x03, media_link_desc)
MEDIA_IOC_G_TOPOLOGY = IOWR("MEDIA_IOC_G_TOPOLOGY", "|", 0x04, media_v2_topology)

# --- entity functions (MEDIA_ENT_F_*) and flags ------------------------------------------

MEDIA_ENT_F_BASE = 0x00000000
MEDIA_ENT_F_OLD_BASE = 0x00010000
MEDIA_ENT_F_OLD_SUBDEV_BASE = 0x00020000
MEDIA_ENT_F_UNKNOWN = MEDIA_ENT_F_BASE
MEDIA_ENT_F_V4L2_SUBDEV_UNKNOWN = MEDIA_ENT_F_OLD_SUBDEV_BASE
MEDIA_ENT_F_DTV_DEMOD = MEDIA_ENT_F_BASE + 0x00001
MEDIA_ENT_F_TS_DEMUX = MEDIA_ENT_F_BASE + 0x00002
MEDIA_ENT_F_DTV_CA = MEDIA_ENT_F_BASE + 0x00003
MEDIA_ENT_F_DTV_NET_DECAP = MEDIA_ENT_F_BASE + 0x00004
MEDIA_ENT_F_IO_V4L = MEDIA_ENT_F_OLD_BASE + 1
MEDIA_ENT_F_IO_DTV = MEDIA_ENT_F_BASE + 0x01001
MEDIA_ENT_F_IO_VBI = MEDIA_ENT_F_BASE + 0x01002
MEDIA_ENT_F_IO_SWRADIO = MEDIA_ENT_F_BASE + 0x01003
MEDIA_ENT_F_CAM_SENSOR = MEDIA_ENT_F_OLD_SUBDEV_BASE + 1
MEDIA_ENT_F_FLASH = MEDIA_ENT_F_OLD_SUBDEV_BASE + 2
MEDIA_ENT_F_LENS = MEDIA_ENT_F_OLD_SUBDEV_BASE + 3
MEDIA_ENT_F_ATV_DECODER = MEDIA_ENT_F_OLD_SUBDEV_BASE + 4
MEDIA_ENT_F_TUNER = MEDIA_ENT_F_OLD_SUBDEV_BASE + 5
MEDIA_ENT_F_IF_VID_DECODER = MEDIA_ENT_F_BASE + 0x02001
MEDIA_ENT_F_IF_AUD_DECODER = MEDIA_ENT_F_BASE + 0x02002
MEDIA_ENT_F_AUDIO_CAPTURE = MEDIA_ENT_F_BASE + 0x03001
MEDIA_ENT_F_AUDIO_PLAYBACK = MEDIA_ENT_F_BASE + 0x03002
MEDIA_ENT_F_AUDIO_MIXER = MEDIA_ENT_F_BASE + 0x03003
MEDIA_ENT_F_PROC_VIDEO_COMPOSER = MEDIA_ENT_F_BASE + 0x4001
MEDIA_ENT_F_PROC_VIDEO_PIXEL_FORMATTER = MEDIA_ENT_F_BASE + 0x4002
MEDIA_ENT_F_PROC_VIDEO_PIXEL_ENC_CONV = MEDIA_ENT_F_BASE + 0x4003
MEDIA_ENT_F_PROC_VIDEO_LUT = MEDIA_ENT_F_BASE + 0x4004
MEDIA_ENT_F_PROC_VIDEO_SCALER = MEDIA_ENT_F_BASE + 0x4005
MEDIA_ENT_F_PROC_VIDEO_STATISTICS = MEDIA_ENT_F_BASE + 0x4006
MEDIA_ENT_F_PROC_VIDEO_ENCODER = MEDIA_ENT_F_BASE + 0x4007
MEDIA_ENT_F_PROC_VIDEO_DECODER = MEDIA_ENT_F_BASE + 0x4008
MEDIA_ENT_F_PROC_VIDEO_ISP = MEDIA_ENT_F_BASE + 0x4009
MEDIA_ENT_F_VID_MUX = MEDIA_ENT_F_BASE + 0x5001
MEDIA_ENT_F_VID_IF_BRIDGE = MEDIA_ENT_F_BASE + 0x5002
MEDIA_ENT_F_DV_DECODER = MEDIA_ENT_F_BASE + 0x6001
MEDIA_ENT_F_DV_ENCODER = MEDIA_ENT_F_BASE + 0x6002

MEDIA_ENT_FL_DEFAULT = 1 << 0
MEDIA_ENT_FL_CONNECTOR = 1 << 1
MEDIA_ENT_ID_FLAG_NEXT = 1 << 31

MEDIA_PAD_FL_SINK = 1 << 0
MEDIA_PAD_FL_SOURCE = 1 << 1
MEDIA_PAD_FL_MUST_CONNECT = 1 << 2

MEDIA_LNK_FL_ENABLED = 1 << 0
MEDIA_LNK_FL_IMMUTABLE = 1 << 1
MEDIA_LNK_FL_DYNAMIC = 1 << 2
# (0xf << 28) is a signed int in C, so the header's value is negative; masking a __u32
# with it keeps the same four bits as 0xF0000000.
MEDIA_LNK_FL_LINK_TYPE = -(1 << 28)
MEDIA_LNK_FL_DATA_LINK = 0 << 28
MEDIA_LNK_FL_INTERFACE_LINK = 1 << 28
MEDIA_LNK_FL_ANCILLARY_LINK = 2 << 28

MEDIA_INTF_T_DVB_BASE = 0x00000100
MEDIA_INTF_T_V4L_BASE = 0x00000200
MEDIA_INTF_T_ALSA_BASE = 0x00000300
MEDIA_INTF_T_DVB_FE = MEDIA_INTF_T_DVB_BASE
MEDIA_INTF_T_DVB_DEMUX = MEDIA_INTF_T_DVB_BASE + 1
MEDIA_INTF_T_DVB_DVR = MEDIA_INTF_T_DVB_BASE + 2
MEDIA_INTF_T_DVB_CA = MEDIA_INTF_T_DVB_BASE + 3
MEDIA_INTF_T_DVB_NET = MEDIA_INTF_T_DVB_BASE + 4
MEDIA_INTF_T_V4L_VIDEO = MEDIA_INTF_T_V4L_BASE
MEDIA_INTF_T_V4L_VBI = MEDIA_INTF_T_V4L_BASE + 1
MEDIA_INTF_T_V4L_RADIO = MEDIA_INTF_T_V4L_BASE + 2
MEDIA_INTF_T_V4L_SUBDEV = MEDIA_INTF_T_V4L_BASE + 3
MEDIA_INTF_T_V4L_SWRADIO = MEDIA_INTF_T_V4L_BASE + 4
MEDIA_INTF_T_V4L_TOUCH = MEDIA_INTF_T_V4L_BASE + 5
MEDIA_INTF_T_ALSA_PCM_CAPTURE = MEDIA_INTF_T_ALSA_BASE
MEDIA_INTF_T_ALSA_PCM_PLAYBACK = MEDIA_INTF_T_ALSA_BASE + 1
MEDIA_INTF_T_ALSA_CONTROL = MEDIA_INTF_T_ALSA_BASE + 2


def _names(prefix: str, *, skip: tuple[str, ...] = ()) -> dict[int, str]:
    """value -> name without ``prefix``, first definition wins (aliases come later)."""
    out: dict[int, str] = {}
    for name, value in globals().items():
        if name.startswith(prefix) and isinstance(value, int) and not name.endswith(skip):
            out.setdefault(value, name.removeprefix(prefix))
    return out


ENTITY_FUNCTION_NAMES: dict[int, str] = _names(
    "MEDIA_ENT_F_", skip=("_BASE",)
) | {MEDIA_ENT_F_UNKNOWN: "UNKNOWN", MEDIA_ENT_F_V4L2_SUBDEV_UNKNOWN: "V4L2_SUBDEV_UNKNOWN"}
"""``MEDIA_ENT_F_CAM_SENSOR`` -> ``"CAM_SENSOR"``."""

INTF_TYPE_NAMES: dict[int, str] = _names("MEDIA_INTF_T_", skip=("_BASE",))
"""``MEDIA_INTF_T_V4L_SUBDEV`` -> ``"V4L_SUBDEV"``."""

ENTITY_FLAG_NAMES = {MEDIA_ENT_FL_DEFAULT: "DEFAULT", MEDIA_ENT_FL_CONNECTOR: "CONNECTOR"}
PAD_FLAG_NAMES = {MEDIA_PAD_FL_SINK: "SINK", MEDIA_PAD_FL_SOURCE: "SOURCE",
                  MEDIA_PAD_FL_MUST_CONNECT: "MUST_CONNECT"}
LINK_FLAG_NAMES = {MEDIA_LNK_FL_ENABLED: "ENABLED", MEDIA_LNK_FL_IMMUTABLE: "IMMUTABLE",
                   MEDIA_LNK_FL_DYNAMIC: "DYNAMIC"}
LINK_TYPE_NAMES = {MEDIA_LNK_FL_DATA_LINK: "DATA_LINK",
                   MEDIA_LNK_FL_INTERFACE_LINK: "INTERFACE_LINK",
                   MEDIA_LNK_FL_ANCILLARY_LINK: "ANCILLARY_LINK"}


def flag_names(value: int, names: dict[int, str]) -> list[str]:
    """The names of the bits set in ``value`` (kernel order); unknown bits as hex."""
    out = [name for bit, name in names.items() if value & bit]
    rest = value & ~sum(names)
    if rest:
        out.append(f"{rest:#x}")
    return out


def link_flag_names(flags: int) -> list[str]:
    """ENABLED/IMMUTABLE/DYNAMIC bits, without the link type (see :func:`link_type`)."""
    return flag_names(flags & ~MEDIA_LNK_FL_LINK_TYPE, LINK_FLAG_NAMES)


def link_type(flags: int) -> str:
    """``DATA_LINK``, ``INTERFACE_LINK`` or ``ANCILLARY_LINK`` (MEDIA_LNK_FL_LINK_TYPE)."""
    kind = flags & MEDIA_LNK_FL_LINK_TYPE
    return LINK_TYPE_NAMES.get(kind, f"{kind:#x}")


def entity_function_name(function: int) -> str:
    return ENTITY_FUNCTION_NAMES.get(function, f"{function:#x}")


def intf_type_name(intf_type: int) -> str:
    return INTF_TYPE_NAMES.get(intf_type, f"{intf_type:#x}")
