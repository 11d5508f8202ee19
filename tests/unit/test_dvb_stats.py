"""DTV_STAT_* decoding (core/dvb_stats.py) and the virtual frontend's statistics."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

import pytest

from core.abi import dvb as d
from core.dvb import FrontendDevice
from core.dvb_stats import STAT_COMMANDS, FrontendStats, Stat, decode
from core.errors import MediaError
from core.inspect import FRONTEND_READ_FLAGS
from core.service.inspection import describe as service_describe
from core.service.session import Session
from core.virtual import ManualClock, Roles, scenario_board


@pytest.fixture(autouse=True)
def _no_demo_left_behind() -> Iterator[None]:
    """cli.main(["--demo", ...]) installs the virtual backend process-wide: remove it."""
    from mediatui.demo import uninstall_demo

    yield
    uninstall_demo()


@pytest.fixture
def dvb() -> Iterator[tuple[ManualClock, Roles]]:
    clock = ManualClock()
    backend, roles = scenario_board(clock)
    with backend:
        yield clock, roles


def describe(path: str, *, probe: bool) -> dict:
    """What `mediatui info`/`probe` read, through a fresh service session."""
    session = Session()
    try:
        return service_describe(session, path, probe=probe)
    finally:
        for opened in session.open_paths:
            session.close(opened)


def _props(entries: dict[int, list[tuple[int, int]]]) -> list[d.dtv_property]:
    props = (d.dtv_property * len(STAT_COMMANDS))()
    for prop, (_key, cmd) in zip(props, STAT_COMMANDS, strict=True):
        prop.cmd = cmd
        values = entries.get(cmd, [])
        prop.u.st.len = len(values)
        for i, (scale, value) in enumerate(values):
            prop.u.st.stat[i].scale = scale
            if scale == d.FE_SCALE_DECIBEL:
                prop.u.st.stat[i].svalue = value
            else:
                prop.u.st.stat[i].uvalue = value
    return list(props)


def test_decode_follows_each_scale() -> None:
    stats = decode(_props({
        d.DTV_STAT_SIGNAL_STRENGTH: [(d.FE_SCALE_RELATIVE, 49151)],
        d.DTV_STAT_CNR: [(d.FE_SCALE_DECIBEL, -1_250)],
        d.DTV_STAT_POST_ERROR_BIT_COUNT: [(d.FE_SCALE_COUNTER, 5)],
        d.DTV_STAT_POST_TOTAL_BIT_COUNT: [(d.FE_SCALE_COUNTER, 1_000_000)],
        d.DTV_STAT_PRE_ERROR_BIT_COUNT: [(d.FE_SCALE_NOT_AVAILABLE, 0)],
        d.DTV_STAT_ERROR_BLOCK_COUNT: [(d.FE_SCALE_COUNTER, 3), (d.FE_SCALE_COUNTER, 1),
                                       (d.FE_SCALE_COUNTER, 2)],
    }))
    out = stats.as_dict()
    assert out["signal_strength_dbm"] is None
    assert out["signal_strength_relative"] == round(49151 / 65535, 4)
    assert out["cnr_db"] == -1.25 and out["cnr_relative"] is None
    assert out["post_ber"] == 5e-6
    assert out["pre_ber"] is None and out["pre_error_bit_count"] is None  # not 0
    assert out["error_block_count"] == 3 and out["layers"] == 2
    assert out["signal_strength_scale"] == "FE_SCALE_RELATIVE"
    assert out["pre_total_bit_count_scale"] == "FE_SCALE_NOT_AVAILABLE"  # len 0
    assert "75.0 %" in stats.summary() and "5.00e-06" in stats.summary()


def test_a_total_of_zero_bits_gives_no_ratio() -> None:
    stats = FrontendStats({"pre_error_bit_count": (Stat(d.FE_SCALE_COUNTER, 0),),
                           "pre_total_bit_count": (Stat(d.FE_SCALE_COUNTER, 0),)})
    assert stats.ber("pre") is None


def test_a_driver_len_beyond_max_dtv_stats_is_cut() -> None:
    props = _props({d.DTV_STAT_CNR: [(d.FE_SCALE_DECIBEL, 1)]})
    props[1].u.st.len = 200
    assert len(decode(props).stats["cnr"]) == d.MAX_DTV_STATS


def test_virtual_frontend_statistics_appear_with_lock_and_change(
        dvb: tuple[ManualClock, Roles]) -> None:
    clock, roles = dvb
    with FrontendDevice(roles.frontend, FRONTEND_READ_FLAGS) as reader:
        before = reader.stats()
        assert not before.first("cnr").available  # no lock, nothing measured
        assert not before.first("error_block_count").available
        # vidtv's strength before a lock: dB scale, a meaningless value (kernel tier saw it)
        assert before.first("signal_strength").scale == d.FE_SCALE_DECIBEL
        with FrontendDevice(roles.frontend) as holder:
            holder.tune_dvbt(474_000_000)
            holder.wait_for_lock(5.0)
            seen = set()
            for _ in range(5):
                reader.read_status()
                stats = reader.stats()
                cnr = stats.first("cnr").decibels()
                strength = stats.first("signal_strength").decibels()
                assert cnr is not None and strength is not None
                assert 30 < cnr < 37 and -37 < strength < -31  # around vidtv's values
                assert stats.first("error_block_count").count() == 0  # a counter, at 0
                seen.add(cnr)
                clock.advance(0.7)
            assert len(seen) > 1
            # A read-only open may read but never tune (dvb_frontend_ioctl: EPERM).
            with pytest.raises(MediaError) as info:
                reader.tune_dvbt(474_000_000)
            assert info.value.errno == errno.EPERM


def test_info_on_a_frontend_opens_read_only_while_it_is_held(
        dvb: tuple[ManualClock, Roles]) -> None:
    clock, roles = dvb
    with FrontendDevice(roles.frontend) as holder:
        holder.tune_dvbt(474_000_000)
        holder.wait_for_lock(5.0)
        clock.advance(0.5)
        result = describe(roles.frontend, probe=False)  # a 2nd O_RDWR open: EBUSY
    assert "FE_HAS_LOCK" in result["fe_status"]
    assert result["stats"]["cnr_db"] is not None
    assert result["stats"]["cnr_scale"] == "FE_SCALE_DECIBEL"
    assert FRONTEND_READ_FLAGS & os.O_ACCMODE == os.O_RDONLY


def test_stream_json_carries_the_frontend_statistics(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from mediatui import cli

    assert cli.main(["--demo", "stream", "/dev/dvb/adapter0/demux0", "--tune", "474000000",
                     "-n", "3", "--json", "-q"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["frontend"]["cnr_scale"] == "FE_SCALE_DECIBEL"
    assert out["frontend"]["cnr_db"] is not None
    assert out["snapshot"]["queues"][0]["frontend"]["signal_strength_dbm"] is not None


def test_inspector_and_info_text_show_the_statistics(dvb: tuple[ManualClock, Roles]) -> None:
    from rich.console import Console

    from mediatui.verbs.render import render_info
    from mediatui.widgets.inspector import frontend_blocks

    clock, roles = dvb
    with FrontendDevice(roles.frontend) as holder:
        holder.tune_dvbt(474_000_000)
        holder.wait_for_lock(5.0)
        clock.advance(0.5)
        info = describe(roles.frontend, probe=False)
    info["kind"] = "dvb-frontend"
    text = render_info(info)
    assert f"C/N:                {info['stats']['cnr_db']:.2f} dB" in text
    assert "pre-Viterbi BER:    n/a (0 error bits of 0)" in text  # vidtv counts nothing
    console = Console(width=100, record=True)
    for block in frontend_blocks(info):
        console.print(block)
    shown = console.export_text()
    assert "signal" in shown and "dBm" in shown and "uncorr. blocks" in shown


def test_inspects_read_only_flags_are_core_dvbs():
    """core.inspect spells the frontend's read-only open flags itself (so that it loads
    without core.dvb); they must stay what FrontendDevice.read_only uses."""
    from core.dvb import FE_READ_ONLY

    assert FRONTEND_READ_FLAGS == FE_READ_ONLY
