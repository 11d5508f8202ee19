"""A media controller node (``/dev/mediaN``) that answers MEDIA_IOC_DEVICE_INFO.

vivid, vim2m and vidtv each register one; discovery lists it first in its device group
because it stands for the whole device.  The topology ioctls are not modelled (ENOTTY).
"""

from __future__ import annotations

import errno
from typing import Any

from core.abi import media as m
from core.virtual.node import FileHandle, Node
from core.virtual.v4l2 import KERNEL_VERSION
from core.virtual.vb2 import fail


class MediaNode(Node):
    subsystem = "media"

    def __init__(self, path: str, driver: str, model: str, bus_info: str,
                 serial: str = "") -> None:
        super().__init__(path, model, driver)
        self.model = model
        self._bus_info = bus_info
        self.serial = serial

    @property
    def bus_info(self) -> str:
        return self._bus_info

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        if request != m.MEDIA_IOC_DEVICE_INFO:
            raise fail(errno.ENOTTY)
        info: m.media_device_info = arg
        info.driver = self.driver.encode("utf-8", "surrogateescape")[:15]
        info.model = self.model.encode("utf-8", "surrogateescape")[:31]
        info.serial = self.serial.encode("utf-8", "surrogateescape")[:39]
        info.bus_info = self.bus_info.encode("utf-8", "surrogateescape")[:31]
        info.media_version = KERNEL_VERSION
        info.driver_version = KERNEL_VERSION
        info.hw_revision = 0
        return 0


__all__ = ["MediaNode"]
