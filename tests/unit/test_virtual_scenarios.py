"""The scenario suite on the virtual devices (the fast tier's half of the differential
check; tests/kernel/test_scenarios.py is the other half, on vivid/vim2m/vidtv).

Every scenario runs on a fresh scenario board with the instant clock: a queued buffer is
done by the time QBUF returns, stamped as it would be at the configured frame rate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from scenarios import Rig, load_all

from core.virtual import InstantClock, scenario_board

SCENARIOS = load_all()


@pytest.fixture
def rig() -> Iterator[Rig]:
    backend, roles = scenario_board(InstantClock())
    threads_before = set(threading.enumerate())
    with backend:
        yield Rig(
            backend="virtual",
            capture=roles.capture,
            capture_mplane=roles.capture_mplane,
            output=roles.output,
            m2m=roles.m2m,
            frontend=roles.frontend,
            demux=roles.demux,
            dvr=roles.dvr,
            heap=roles.heap,
            udmabuf=roles.udmabuf,
            capture_contig=roles.capture_contig,
            vimc_media=roles.vimc_media,
        )
    leaked = set(threading.enumerate()) - threads_before
    assert not leaked, f"threads left running: {leaked}"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name: str, rig: Rig) -> None:
    SCENARIOS[name](rig)
