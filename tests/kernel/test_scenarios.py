"""The scenario suite on the real drivers (vivid, vim2m, vidtv, system heap, udmabuf)."""

from __future__ import annotations

import pytest
from scenarios import Rig, load_all

from core.media.read import media_device_of

SCENARIOS = load_all()


@pytest.fixture
def rig(vivid_cap, vivid_cap_mplane, vivid_out, vim2m, dvb_adapter, node_by_name) -> Rig:
    return Rig(
        backend="real",
        capture=vivid_cap,
        capture_mplane=vivid_cap_mplane,
        output=vivid_out,
        m2m=vim2m,
        frontend=dvb_adapter["frontend"],
        demux=dvb_adapter["demux"],
        dvr=dvb_adapter["dvr"],
        heap="system",
        udmabuf="/dev/udmabuf",
        capture_contig=node_by_name("vivid-002-vid-cap"),
        vimc_media=media_device_of(node_by_name("Raw Capture 0")),
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name: str, rig: Rig) -> None:
    SCENARIOS[name](rig)
