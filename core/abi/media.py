"""Media controller ABI (``linux/media.h``): enough to identify a /dev/mediaN node."""

from __future__ import annotations

import ctypes

from core.abi.ioctl import IOWR


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


MEDIA_IOC_DEVICE_INFO = IOWR("MEDIA_IOC_DEVICE_INFO", "|", 0x00, media_device_info)
