"""vidtv's frontend: FE_GET_INFO, FE_READ_STATUS and the DVBv5 properties that tune it.

What vidtv on the test kernel answers: "Dummy demod for DVB-T/T2/C/S/S2", delivery
systems DVB-T, DVB-T2, DVB-C (annex A), DVB-S, DVB-S2; status 0 until a DVB-T/C tune
to 474 MHz, then 0x1f (lock); one read-write open at a time (EBUSY), read-only opens
may watch.

Statistics as vidtv reported them on the test kernel (tests/kernel/test_frontend_stats.py
printed them): before the first lock, signal strength already says FE_SCALE_DECIBEL with
a meaningless value that differs per boot (-4255118088 and -1931338570 milli-dBm seen;
the demo gives the first) and everything else FE_SCALE_NOT_AVAILABLE (len 1); once
locked, strength about -34.5 dBm and C/N about 33.5 dB (FE_SCALE_DECIBEL, refreshed with
noise on every status read) and the six bit/block counters FE_SCALE_COUNTER, all 0.
"""

from __future__ import annotations

import ctypes
import errno
import math
import os
from typing import TYPE_CHECKING, Any

from core.abi import dvb as d
from core.virtual.node import FileHandle, Node
from core.virtual.vb2 import fail

if TYPE_CHECKING:
    from core.virtual.dvb import DvbAdapter

FE_LOCKED = (d.FE_HAS_SIGNAL | d.FE_HAS_CARRIER | d.FE_HAS_VITERBI | d.FE_HAS_SYNC
             | d.FE_HAS_LOCK)
DELIVERY_SYSTEMS = (d.SYS_DVBT, d.SYS_DVBT2, d.SYS_DVBC_ANNEX_A, d.SYS_DVBS, d.SYS_DVBS2)


class AdapterNode(Node):
    """A node of the adapter: DVB nodes report the adapter's platform bus (vidtv's)."""

    subsystem = "dvb"
    adapter: DvbAdapter

    @property
    def bus_info(self) -> str:
        return f"platform:{self.adapter.name}"


class FrontendNode(AdapterNode):
    """``frontendN``: info, status, DVBv5 properties; one writer at a time."""

    def __init__(self, adapter: DvbAdapter) -> None:
        super().__init__(f"/dev/dvb/adapter{adapter.number}/frontend0",
                         f"dvb{adapter.number}.frontend0", adapter.name)
        self.adapter = adapter
        self.writer: FileHandle | None = None
        self.cnr_mdb = 0  # the C/N the last status read measured, in 0.001 dB
        self.strength_mdb = 0  # the signal strength, in 0.001 dBm

    def _measure(self) -> None:
        """A status read while locked refreshes C/N and strength: around vidtv's 33.5 dB
        and -34.5 dBm with a little noise, derived from the clock so runs reproduce."""
        if not self.adapter.status & d.FE_HAS_LOCK:
            return
        clock = self.clock
        t = (clock.now_ns() if clock is not None else 0) / 1e9
        self.cnr_mdb = round(33_500 + 300 * math.sin(t / 7) + 200 * math.sin(t * 3.1))
        self.strength_mdb = round(-34_300 + 250 * math.sin(t / 5 + 1) + 150 * math.sin(t * 2.3))

    def open(self, fh: FileHandle) -> None:
        if fh.flags & os.O_ACCMODE != os.O_RDONLY:
            if self.writer is not None:
                raise fail(errno.EBUSY)
            self.writer = fh
        super().open(fh)

    def release(self, fh: FileHandle) -> None:
        if self.writer is fh:
            self.writer = None
        super().release(fh)

    def ioctl(self, fh: FileHandle, request: int, arg: Any) -> int:
        adapter = self.adapter
        # dvb_frontend_ioctl: a read-only handle gets the _IOC_READ ioctls only.
        if fh.flags & os.O_ACCMODE == os.O_RDONLY and (request >> 30) & 3 != 2:
            raise fail(errno.EPERM)
        if request == d.FE_GET_INFO:
            info: d.dvb_frontend_info = arg
            ctypes.memset(ctypes.addressof(info), 0, ctypes.sizeof(info))
            info.name = adapter.frontend_name.encode("utf-8", "surrogateescape")[:127]
            info.type = d.FE_OFDM
            info.frequency_min = 51_000_000
            info.frequency_max = 2_150_000_000
            info.frequency_stepsize = 62_500
            info.symbol_rate_min = 1_000_000
            info.symbol_rate_max = 45_000_000
            info.frequency_tolerance = 29_500_000
            # Every FE_CAN_* from INVERSION_AUTO to HIERARCHY_AUTO except BANDWIDTH_AUTO,
            # as vidtv's demod announces (0x1bffff on the test kernel).
            info.caps = 0x1BFFFF
            return 0
        if request == d.FE_READ_STATUS:
            self._measure()
            arg.value = adapter.status
            return 0
        if request in (d.FE_READ_BER, d.FE_READ_UNCORRECTED_BLOCKS):
            arg.value = 0
            return 0
        if request in (d.FE_READ_SIGNAL_STRENGTH, d.FE_READ_SNR):
            arg.value = 0xFFFF if adapter.tuned else 0
            return 0
        if request == d.FE_SET_PROPERTY:
            if fh.flags & os.O_ACCMODE == os.O_RDONLY:
                raise fail(errno.EPERM)
            self._set_properties(arg)
            return 0
        if request == d.FE_GET_PROPERTY:
            self._get_properties(arg)
            return 0
        raise fail(errno.ENOTTY)

    def _props(self, arg: d.dtv_properties) -> list[d.dtv_property]:
        if arg.num == 0 or arg.num > d.DTV_IOCTL_MAX_MSGS or not arg.props:
            raise fail(errno.EINVAL)
        return [arg.props[i] for i in range(arg.num)]

    def _set_properties(self, arg: d.dtv_properties) -> None:
        pending = getattr(self, "_pending", {})
        for prop in self._props(arg):
            if prop.cmd == d.DTV_CLEAR:
                pending = {}
            elif prop.cmd == d.DTV_TUNE:
                clock = self.clock
                now = clock.now_ns() if clock is not None else 0
                self.adapter.tune(pending.get(d.DTV_FREQUENCY, self.adapter.frequency),
                                  pending.get(d.DTV_DELIVERY_SYSTEM,
                                              self.adapter.delivery_system), now)
            else:
                pending[prop.cmd] = prop.u.data
        self._pending = pending

    def _get_properties(self, arg: d.dtv_properties) -> None:
        for prop in self._props(arg):
            if prop.cmd == d.DTV_ENUM_DELSYS:
                for i, system in enumerate(DELIVERY_SYSTEMS):
                    prop.u.buffer.data[i] = system
                prop.u.buffer.len = len(DELIVERY_SYSTEMS)
            elif prop.cmd == d.DTV_DELIVERY_SYSTEM:
                prop.u.data = self.adapter.delivery_system
            elif prop.cmd == d.DTV_FREQUENCY:
                prop.u.data = self.adapter.frequency
            elif prop.cmd == d.DTV_API_VERSION:
                prop.u.data = (5 << 8) | 11
            elif prop.cmd in d.DTV_STAT_COMMANDS:
                self._stat(prop)
            else:
                prop.u.data = 0
            prop.result = 0


    # vidtv's strength before any lock: FE_SCALE_DECIBEL with an uninitialised value (one
    # boot of the test kernel gave this one, another -1931338570).
    UNLOCKED_STRENGTH_MDB = -4_255_118_088

    def _stat(self, prop: d.dtv_property) -> None:
        st = prop.u.st
        ctypes.memset(ctypes.addressof(st), 0, ctypes.sizeof(st))
        st.len = 1
        locked = bool(self.adapter.status & d.FE_HAS_LOCK) and self.cnr_mdb != 0
        entry = st.stat[0]
        if prop.cmd == d.DTV_STAT_SIGNAL_STRENGTH:
            entry.scale = d.FE_SCALE_DECIBEL
            entry.svalue = self.strength_mdb if locked else self.UNLOCKED_STRENGTH_MDB
        elif prop.cmd == d.DTV_STAT_CNR:
            entry.scale = d.FE_SCALE_DECIBEL if locked else d.FE_SCALE_NOT_AVAILABLE
            entry.svalue = self.cnr_mdb if locked else 0
        else:  # the bit and block counters: counting from the lock on, nothing counted
            entry.scale = d.FE_SCALE_COUNTER if locked else d.FE_SCALE_NOT_AVAILABLE
            entry.uvalue = 0


__all__ = ["DELIVERY_SYSTEMS", "FE_LOCKED", "AdapterNode", "FrontendNode"]
