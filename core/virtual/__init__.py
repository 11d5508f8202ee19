"""Virtual V4L2, DVB and dma-buf devices that behave like the kernel's.

Production code, not a test helper: ``mediatui --demo`` runs on it, the fast test tier
runs the scenario suite on it, and the kernel tier runs the same scenarios on vivid,
vim2m and vidtv to keep the two honest.  It plugs in at the ioctl chokepoint
(:mod:`core.ioctl`), so nothing above it knows the difference:

* :mod:`~core.virtual.vb2`: the videobuf2 queue rules (K1-K13) every driver shares;
* :mod:`~core.virtual.v4l2`: the V4L2 ioctl layer; :mod:`~core.virtual.vivid`,
  :mod:`~core.virtual.m2m`: vivid-like capture/output and a vim2m-like mem2mem device;
* :mod:`~core.virtual.dvb`, :mod:`~core.virtual.ts`: a vidtv-like adapter with the
  DVB mmap API (D1-D7) and a valid transport stream;
* :mod:`~core.virtual.heap`: the system dma-heap and udmabuf;
* :mod:`~core.virtual.memory`: memfd-backed buffers and dma-bufs (real fds, real pages);
* :mod:`~core.virtual.pollfd`: the real pollable fd behind every open;
* :mod:`~core.virtual.clock`: real, instant and manual time;
* :mod:`~core.virtual.backend`, :mod:`~core.virtual.board`: the chokepoint backend and
  the device sets (the demo board, the scenario rig).
"""

from __future__ import annotations

from core.virtual.backend import VirtualBackend
from core.virtual.board import Roles, demo_board, scenario_board
from core.virtual.clock import Clock, InstantClock, ManualClock, RealClock

__all__ = [
    "Clock",
    "InstantClock",
    "ManualClock",
    "RealClock",
    "Roles",
    "VirtualBackend",
    "demo_board",
    "scenario_board",
]
