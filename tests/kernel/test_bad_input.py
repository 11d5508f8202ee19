"""The bad-input matrix (tests/badinput.py) on the real drivers, default boot: as root
in-process, and as ``nobody`` (setpriv) in a subprocess, where every node refuses the
open (root:video 0660) and usage errors must still be usage errors.

Running Python as ``nobody``: the interpreter lives under /root/.pyenv and /root is 0700
on these machines (the guest shares the host's root filesystem read-only).  The harness
does not touch the host: the unprivileged command runs in a private mount namespace
(``unshare --mount``) where /root is a 0755 tmpfs with only ``.pyenv`` bind-mounted back
into it, so the same interpreter, venv and repository are used and nothing outside
that namespace changes.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from badinput import CASES, figures, make_paths, run_in_process

from kernel import vm

REPO = Path(__file__).resolve().parents[2]
BADINPUT = REPO / "tests" / "badinput.py"


@pytest.fixture
def roles(vivid_cap: str, vivid_out: str, vim2m: str) -> dict[str, str]:
    dvb = vm.dvb_adapter_paths("vidtv")
    media = sorted(p for p in os.listdir("/dev") if p.startswith("media"))
    return {"cap": vivid_cap, "out": vivid_out, "m2m": vim2m, "fe": dvb["frontend"],
            "demux": dvb["demux"], "dvr": dvb["dvr"],
            "media": f"/dev/{media[0]}" if media else "/dev/media0"}


def _report(title: str, lines: list[str]) -> None:
    print(f"\n{title}\n" + "\n".join(lines))


def _cli(*argv: str) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from mediatui import cli

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_untuned_dvb_stream_says_why(roles: dict[str, str]) -> None:
    """First in this file, so vidtv's frontend has not been tuned in this boot: the
    demux gets nothing, and after 3 s the statistics say the frontend is not locked,
    with its FE_READ_STATUS (read through a read-only open)."""
    code, out, err = _cli("stream", roles["demux"], "-t", "5", "--json", "-q")
    assert code in (0, 1), err  # 1: no data (the README's exit codes)
    doc = json.loads(out)
    if doc["frames"]:
        pytest.skip("the frontend was already tuned in this boot (data arrived)")
    assert any("not tuned or not locked" in w for w in doc["warnings"]), doc["warnings"]


def test_driver_adjustments_are_said(roles: dict[str, str]) -> None:
    """vidtv's DMX_REQBUFS clamps the size (the issue's 2,000,000 -> 770,048), and a
    size that is not a multiple of 188 is warned about: both on stderr and in JSON."""
    code, out, err = _cli("stream", roles["demux"], "--tune", "474000000",
                          "--buffer-size", "2000000", "-n", "1", "-q", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert "buffer_size_bytes" in doc["adjusted"], doc["adjusted"]  # the JSON contract
    assert doc["negotiated"]["buffer_size_bytes"] < 2_000_000
    assert "DMX_REQBUFS: asked 2,000,000 bytes, granted" in err
    assert any("multiple of 188" in w for w in doc["warnings"])


def test_bad_input_matrix_as_root(roles: dict[str, str], tmp_path: Path) -> None:
    """Every case exits with its code and an explained message, no traceback."""
    make_paths(tmp_path)
    outcomes = run_in_process(roles, tmp_path)
    _report(figures(outcomes), [f"  {o.case.id}: exit {o.code} {o.problems}"
                                for o in outcomes if o.problems])
    bad = [(o.case.id, o.code, o.problems, o.err[-400:]) for o in outcomes if o.problems]
    assert not bad, bad


def _as_nobody(command: list[str]) -> subprocess.CompletedProcess[str]:
    """``command`` as nobody:nogroup without supplementary groups, with /root made
    traversable in a private mount namespace (see the module docstring)."""
    for tool in ("unshare", "setpriv", "mount"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not found in the guest")
    keep = "/tmp/mediatui-pyenv"
    script = " && ".join([
        f"mkdir -p {keep}",
        f"mount --bind /root/.pyenv {keep}",
        "mount -t tmpfs -o mode=0755 tmpfs /root",
        "mkdir /root/.pyenv",
        f"mount --bind {keep} /root/.pyenv",
        "exec setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp "
        f"PYTHONDONTWRITEBYTECODE=1 {shlex.join(command)}",
    ])
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           script], capture_output=True, text=True, timeout=900,
                          cwd=REPO, check=False)


def test_bad_input_matrix_as_nobody(roles: dict[str, str]) -> None:
    """Unprivileged: each case is explained (its own outcome, or EACCES at the open,
    exit 1); an option refused by argparse is exit 2 whoever runs it."""
    tmp = Path("/tmp/mediatui-badinput-nobody")
    tmp.mkdir(mode=0o755, exist_ok=True)
    tmp.chmod(0o755)
    make_paths(tmp)
    whoami = _as_nobody(["id", "-u"])
    assert whoami.returncode == 0, whoami.stderr
    assert whoami.stdout.strip() == str(65534)
    proc = _as_nobody([sys.executable, str(BADINPUT), json.dumps(roles), str(tmp),
                       "--unprivileged"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == len(CASES)
    codes = Counter(r["code"] for r in results)
    explained = sum(not r["problems"] for r in results)
    eacces = sum("EACCES" in r["err"] for r in results)
    _report(f"bad-input matrix as nobody: {len(results)} cases, {explained} explained, "
            f"{eacces} refused with EACCES, exit codes "
            f"{{{', '.join(f'{c}: {n}' for c, n in sorted(codes.items()))}}}",
            [f"  {r['id']}: exit {r['code']} {r['problems']}"
             for r in results if r["problems"]])
    bad = [(r["id"], r["code"], r["problems"], r["err"][-300:])
           for r in results if r["problems"]]
    assert not bad, bad
    # What argparse refuses does not depend on who asks.
    usage_ids = {c.id for c in CASES if c.codes == frozenset({2})}
    assert all(r["code"] == 2 for r in results if r["id"] in usage_ids
               and "EACCES" not in r["err"])
    assert eacces > 0  # the nodes really were out of reach


def test_info_reads_a_frontend_held_by_another_process(roles: dict[str, str]) -> None:
    """vidtv's frontend held read-write elsewhere (dvbv5-zap would): info and probe
    open it read-only and read it; a second read-write open is EBUSY."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from core.dvb import FrontendDevice
    from core.errors import MediaError
    from mediatui import cli

    with FrontendDevice(roles["fe"]):
        with pytest.raises(MediaError, match="EBUSY"):
            FrontendDevice(roles["fe"])
        for verb in ("info", "probe"):
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                code = cli.main([verb, roles["fe"]])
            assert code == 0, err.getvalue()
            assert "delivery systems" in out.getvalue()
