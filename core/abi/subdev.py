"""V4L2 sub-device ABI (``linux/v4l2-subdev.h``, ``linux/v4l2-mediabus.h``).

The ``/dev/v4l-subdevN`` ioctls: QUERYCAP, pad formats (G_FMT/S_FMT, ACTIVE or TRY),
media bus code and frame size enumeration, selections and frame intervals.  Checked
against the installed headers by the compiled probe in ``tests/unit/test_abi.py``.
"""

from __future__ import annotations

import ctypes

from core.abi.ioctl import IOR, IOWR
from core.abi.v4l2 import v4l2_fract, v4l2_rect

V4L2_SUBDEV_FORMAT_TRY = 0
V4L2_SUBDEV_FORMAT_ACTIVE = 1

V4L2_SUBDEV_CAP_RO_SUBDEV = 0x00000001

V4L2_SUBDEV_MBUS_CODE_CSC_COLORSPACE = 0x00000001
V4L2_SUBDEV_MBUS_CODE_CSC_XFER_FUNC = 0x00000002
V4L2_SUBDEV_MBUS_CODE_CSC_YCBCR_ENC = 0x00000004
V4L2_SUBDEV_MBUS_CODE_CSC_QUANTIZATION = 0x00000008

# Selection targets (``linux/v4l2-common.h``).
V4L2_SEL_TGT_CROP = 0x0000
V4L2_SEL_TGT_CROP_DEFAULT = 0x0001
V4L2_SEL_TGT_CROP_BOUNDS = 0x0002
V4L2_SEL_TGT_NATIVE_SIZE = 0x0003
V4L2_SEL_TGT_COMPOSE = 0x0100
V4L2_SEL_TGT_COMPOSE_DEFAULT = 0x0101
V4L2_SEL_TGT_COMPOSE_BOUNDS = 0x0102
V4L2_SEL_TGT_COMPOSE_PADDED = 0x0103

SEL_TARGET_NAMES = {
    V4L2_SEL_TGT_CROP: "crop",
    V4L2_SEL_TGT_CROP_DEFAULT: "crop-default",
    V4L2_SEL_TGT_CROP_BOUNDS: "crop-bounds",
    V4L2_SEL_TGT_NATIVE_SIZE: "native-size",
    V4L2_SEL_TGT_COMPOSE: "compose",
    V4L2_SEL_TGT_COMPOSE_DEFAULT: "compose-default",
    V4L2_SEL_TGT_COMPOSE_BOUNDS: "compose-bounds",
    V4L2_SEL_TGT_COMPOSE_PADDED: "compose-padded",
}


class _mbus_enc(ctypes.Union):
    _fields_ = [("ycbcr_enc", ctypes.c_uint16), ("hsv_enc", ctypes.c_uint16)]


class v4l2_mbus_framefmt(ctypes.Structure):
    _anonymous_ = ("_enc",)
    _fields_ = [
        ("width", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("code", ctypes.c_uint32),
        ("field", ctypes.c_uint32),
        ("colorspace", ctypes.c_uint32),
        ("_enc", _mbus_enc),
        ("quantization", ctypes.c_uint16),
        ("xfer_func", ctypes.c_uint16),
        ("flags", ctypes.c_uint16),
        ("reserved", ctypes.c_uint16 * 10),
    ]


class v4l2_subdev_format(ctypes.Structure):
    _fields_ = [
        ("which", ctypes.c_uint32),
        ("pad", ctypes.c_uint32),
        ("format", v4l2_mbus_framefmt),
        ("reserved", ctypes.c_uint32 * 8),
    ]


class v4l2_subdev_mbus_code_enum(ctypes.Structure):
    _fields_ = [
        ("pad", ctypes.c_uint32),
        ("index", ctypes.c_uint32),
        ("code", ctypes.c_uint32),
        ("which", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 7),
    ]


class v4l2_subdev_frame_size_enum(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_uint32),
        ("pad", ctypes.c_uint32),
        ("code", ctypes.c_uint32),
        ("min_width", ctypes.c_uint32),
        ("max_width", ctypes.c_uint32),
        ("min_height", ctypes.c_uint32),
        ("max_height", ctypes.c_uint32),
        ("which", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 8),
    ]


class v4l2_subdev_frame_interval(ctypes.Structure):
    _fields_ = [
        ("pad", ctypes.c_uint32),
        ("interval", v4l2_fract),
        ("reserved", ctypes.c_uint32 * 9),
    ]


class v4l2_subdev_selection(ctypes.Structure):
    _fields_ = [
        ("which", ctypes.c_uint32),
        ("pad", ctypes.c_uint32),
        ("target", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("r", v4l2_rect),
        ("reserved", ctypes.c_uint32 * 8),
    ]


class v4l2_subdev_capability(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_uint32),
        ("capabilities", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 14),
    ]


# The subdev ioctls reuse 'V' numbers of video-node ioctls with other argument types
# (QUERYCAP is 'V' 0 on both, but the sizes differ, so the numbers do too).
VIDIOC_SUBDEV_QUERYCAP = IOR("VIDIOC_SUBDEV_QUERYCAP", "V", 0, v4l2_subdev_capability)
VIDIOC_SUBDEV_ENUM_MBUS_CODE = IOWR("VIDIOC_SUBDEV_ENUM_MBUS_CODE", "V", 2,
                                    v4l2_subdev_mbus_code_enum)
VIDIOC_SUBDEV_G_FMT = IOWR("VIDIOC_SUBDEV_G_FMT", "V", 4, v4l2_subdev_format)
VIDIOC_SUBDEV_S_FMT = IOWR("VIDIOC_SUBDEV_S_FMT", "V", 5, v4l2_subdev_format)
VIDIOC_SUBDEV_G_FRAME_INTERVAL = IOWR("VIDIOC_SUBDEV_G_FRAME_INTERVAL", "V", 21,
                                      v4l2_subdev_frame_interval)
VIDIOC_SUBDEV_G_SELECTION = IOWR("VIDIOC_SUBDEV_G_SELECTION", "V", 61, v4l2_subdev_selection)
VIDIOC_SUBDEV_S_SELECTION = IOWR("VIDIOC_SUBDEV_S_SELECTION", "V", 62, v4l2_subdev_selection)
VIDIOC_SUBDEV_ENUM_FRAME_SIZE = IOWR("VIDIOC_SUBDEV_ENUM_FRAME_SIZE", "V", 74,
                                     v4l2_subdev_frame_size_enum)

# media-ctl's names for the colorimetry fields (v4l-utils ``utils/media-ctl``), which is
# what people type in ``-V`` and read in ``-p``.
XFER_FUNC_NAMES = {0: "default", 1: "709", 2: "srgb", 3: "oprgb", 4: "smpte240m",
                   5: "none", 6: "dcip3", 7: "smpte2084"}
YCBCR_ENC_NAMES = {0: "default", 1: "601", 2: "709", 3: "xv601", 4: "xv709", 5: "sycc",
                   6: "bt2020", 7: "bt2020c", 8: "smpte240m"}
QUANTIZATION_NAMES = {0: "default", 1: "full-range", 2: "lim-range"}
MEDIACTL_COLORSPACE_NAMES = {0: "default", 1: "smpte170m", 2: "smpte240m", 3: "rec709",
                             4: "bt878", 5: "470m", 6: "470bg", 7: "jpeg", 8: "srgb",
                             9: "oprgb", 10: "bt2020", 11: "raw", 12: "dcip3"}
