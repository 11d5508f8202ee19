"""DVB frontend statistics (DTV_STAT_*) on vidtv, compared with dvb-fe-tool in the same boot.

vidtv's demod (drivers/media/test-drivers/vidtv/vidtv_demod.c) refreshes signal strength
and C/N, both FE_SCALE_DECIBEL, each time its status is read while locked; its bit and
block counters are FE_SCALE_COUNTER and stay 0.  ``dvb-fe-tool -m`` (libdvbv5) prints the
same cache as ``Signal= -NN.NNdBm C/N= NN.NNdB UCB= N``.  Both readers are read-only
opens taken while this test holds the frontend read-write, which is how a field engineer
watches a tuned box.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from core.dvb import FrontendDevice
from core.inspect import FRONTEND_READ_FLAGS

FETOOL_LINE = re.compile(r"Signal=\s*(-?[\d.]+)dBm.*?C/N=\s*(-?[\d.]+)dB")
FETOOL_UCB = re.compile(r"UCB=\s*(\d+)")


def _mediatui_info(path: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "mediatui", "info", path, "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"mediatui info failed ({proc.returncode}):\n{proc.stderr}"
    return json.loads(proc.stdout)


def _raw(stats) -> dict:
    return {k: [(v.scale, v.value) for v in vals] for k, vals in stats.stats.items()}


def test_frontend_stats_while_tuned_equal_dvb_fe_tool(dvb_adapter):
    if shutil.which("dvb-fe-tool") is None:
        pytest.fail("dvb-fe-tool is missing on the host (apt-get install dvb-tools)")
    path = dvb_adapter["frontend"]
    with FrontendDevice(path, FRONTEND_READ_FLAGS) as reader:
        print(f"before tuning: status {reader.read_status():#x}, stats {_raw(reader.stats())}")
    with FrontendDevice(path) as holder:
        holder.tune_dvbt(474_000_000)
        holder.wait_for_lock(10.0)

        # `mediatui info` opens read-only while this process holds the frontend.
        info = _mediatui_info(path)
        assert "FE_HAS_LOCK" in info["fe_status"], info
        stats = info["stats"]
        assert stats is not None, info.get("stats_error")
        with FrontendDevice(path, FRONTEND_READ_FLAGS) as reader:
            print(f"tuned: raw stats {_raw(reader.stats())}")
        print(f"mediatui info --json stats: {stats}")
        assert stats["signal_strength_scale"] == "FE_SCALE_DECIBEL", stats
        assert stats["cnr_scale"] == "FE_SCALE_DECIBEL", stats
        assert isinstance(stats["signal_strength_dbm"], float), stats
        assert isinstance(stats["cnr_db"], float), stats
        assert stats["signal_strength_relative"] is None and stats["cnr_relative"] is None
        # vidtv's counters are FE_SCALE_COUNTER. They start at 0 and count once data has
        # flowed (earlier tests in the same boot stream vidtv), so: non-negative counts, and
        # a BER (errors / total, as the kernel's counters give them) only when its total
        # is not 0 (None, never a made-up 0.0, from a total of 0 bits).
        for key in ("pre_error_bit_count", "pre_total_bit_count", "post_error_bit_count",
                    "post_total_bit_count", "error_block_count", "total_block_count"):
            assert stats[f"{key}_scale"] == "FE_SCALE_COUNTER", stats
            assert isinstance(stats[key], int) and stats[key] >= 0, stats
        for kind in ("pre", "post"):
            errors, total = stats[f"{kind}_error_bit_count"], stats[f"{kind}_total_bit_count"]
            if total == 0:
                assert stats[f"{kind}_ber"] is None, stats
            else:
                assert stats[f"{kind}_ber"] == errors / total, stats

        # The values change while tuned (vidtv's tuner adds noise on each status read).
        with FrontendDevice(path, FRONTEND_READ_FLAGS) as reader:
            samples = []
            for _ in range(20):
                reader.read_status()
                s = reader.stats()
                samples.append((s.first("signal_strength").value, s.first("cnr").value))
                time.sleep(0.05)
        assert len(set(samples)) > 1, f"statistics did not change while tuned: {samples}"

        # dvb-fe-tool prints the same statistics, with the same scale and unit.  It reads
        # once a second (FE_READ_STATUS, which refreshes vidtv's values, then
        # FE_GET_PROPERTY); meanwhile we read the same cache every 50 ms without touching
        # the status, so every value it printed must be one we read too.
        number = re.search(r"adapter(\d+)", dvb_adapter["adapter"])
        assert number is not None
        tool = subprocess.Popen(["dvb-fe-tool", "-a", number.group(1), "-m"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ours = set()
        try:
            with FrontendDevice(path, FRONTEND_READ_FLAGS) as reader:
                deadline = time.monotonic() + 4.5
                while time.monotonic() < deadline:
                    s = reader.stats()
                    ours.add((s.first("signal_strength").value, s.first("cnr").value))
                    time.sleep(0.05)
        finally:
            tool.send_signal(signal.SIGINT)
            try:
                text, _ = tool.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                tool.kill()
                text, _ = tool.communicate(timeout=10)
        print(f"dvb-fe-tool -m output:\n{text}")
        theirs = [(float(a), float(b)) for a, b in FETOOL_LINE.findall(text)]
        assert theirs, f"no Signal=/C/N= line in dvb-fe-tool -m output:\n{text}"
        ours_db = [(a / 1000, b / 1000) for a, b in ours]
        print(f"mediatui read (dB): {sorted(ours_db)}; dvb-fe-tool printed: {theirs}")
        # The first print may come from before our first read. A later one can still fall
        # between two of our 50 ms reads when the guest stalls (TCG on a busy host), so:
        # most must be values we read exactly, and every one must lie within what we read.
        later = theirs[1:] or theirs
        exact = [(a, b) for a, b in later
                 if any(abs(a - x) < 0.006 and abs(b - y) < 0.006 for x, y in ours_db)]
        assert len(exact) * 2 >= len(later), (
            f"of dvb-fe-tool's {later}, only {exact} were read by mediatui ({sorted(ours_db)})")
        lo_s, hi_s = min(x for x, _ in ours_db), max(x for x, _ in ours_db)
        lo_c, hi_c = min(y for _, y in ours_db), max(y for _, y in ours_db)
        for a, b in later:
            assert lo_s - 0.5 <= a <= hi_s + 0.5 and lo_c - 0.5 <= b <= hi_c + 0.5, (
                f"dvb-fe-tool printed signal {a} dBm C/N {b} dB, outside what mediatui read "
                f"({sorted(ours_db)})")
        # Uncorrected blocks: dvb-fe-tool's UCB is our error_block_count.
        ucbs = {int(n) for n in FETOOL_UCB.findall(text)}
        info = _mediatui_info(path)["stats"]
        assert ucbs == {info["error_block_count"]}, (ucbs, info)
        assert info["signal_strength_dbm"] is not None and info["cnr_db"] is not None


def test_info_takes_a_number_and_dash_d_like_v4l2_ctl(vivid_cap):
    """`mediatui info 7`, `info -d 7` and `info /dev/video7` describe the same node."""
    number = re.search(r"(\d+)$", vivid_cap)
    assert number is not None
    full = _mediatui_info(vivid_cap)
    assert _mediatui_info(number.group(1)) == full
    proc = subprocess.run([sys.executable, "-m", "mediatui", "info", "-d", number.group(1),
                           "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == full


def test_bash_completion_offers_the_media_nodes(vivid_cap, tmp_path):
    """The generated bash completion completes `mediatui info /dev/vid<TAB>` to the nodes."""
    script = subprocess.run([sys.executable, "-m", "mediatui", "completion", "bash"],
                            capture_output=True, text=True, timeout=120, check=True).stdout
    (tmp_path / "mediatui.bash").write_text(script)
    probe = (f"source {tmp_path / 'mediatui.bash'}\n"
             "COMP_WORDS=(mediatui info /dev/vid); COMP_CWORD=2\n"
             "COMP_LINE='mediatui info /dev/vid'\n"
             "COMP_POINT=${#COMP_LINE}\n"
             "_shtab_mediatui mediatui /dev/vid info\n"
             "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60,
                         check=False)
    offered = set(out.stdout.split())
    assert vivid_cap in offered, f"{vivid_cap} not offered: {sorted(offered)}\n{out.stderr}"
