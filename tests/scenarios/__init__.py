"""The scenario suite: the same observable behaviour asserted on real and virtual devices.

A scenario is a plain function taking a :class:`Rig` (which node plays which role).
``tests/kernel/test_scenarios.py`` runs every scenario inside the VM on vivid, vim2m,
vidtv, the system heap and udmabuf; the fast tier runs them on the virtual devices.
A scenario that passes on virtual and fails on real is a bug in the virtual device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Scenario = Callable[["Rig"], None]


@dataclass(frozen=True)
class Rig:
    """Node paths by role, plus what differs between backends."""

    backend: str  # "real" or "virtual"
    capture: str  # single-planar video capture, vmalloc (vivid-000-vid-cap)
    capture_mplane: str  # multi-planar video capture (vivid-001-vid-cap)
    output: str  # single-planar video output (vivid-000-vid-out)
    m2m: str  # mem2mem (vim2m)
    frontend: str
    demux: str
    dvr: str
    heap: str = "system"
    udmabuf: str | None = "/dev/udmabuf"
    capture_contig: str | None = None  # dma-contig capture (vivid-002-vid-cap)
    vimc_media: str | None = None  # vimc's media controller node


SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    """Register ``fn`` under its name (without the ``scenario_`` prefix)."""
    name = fn.__name__.removeprefix("scenario_")
    if name in SCENARIOS:
        raise ValueError(f"duplicate scenario {name}")
    SCENARIOS[name] = fn
    return fn


def load_all() -> dict[str, Scenario]:
    """Import every scenario module (registration happens at import)."""
    from scenarios import (  # noqa: F401
        dmabuf_import,
        dmabuf_rules,
        dvb,
        dvb_rules,
        expbuf,
        media_graphs,
        media_pipeline,
        ownership,
        queue_rules,
        streaming,
    )

    return SCENARIOS
