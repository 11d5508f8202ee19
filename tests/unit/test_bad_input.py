"""The bad-input matrix (tests/badinput.py) on the --demo board, in-process: every case
exits with its code and an explained message, never a traceback; the figures are
printed (pytest -s) and written to the test's tmp dir."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from badinput import CASES, Case, Outcome, expand, figures, judge, make_paths

from mediatui import cli
from mediatui.demo import uninstall_demo

ROLES = {"cap": "/dev/video0", "out": "/dev/video1", "m2m": "/dev/video2",
         "fe": "/dev/dvb/adapter0/frontend0", "demux": "/dev/dvb/adapter0/demux0",
         "dvr": "/dev/dvb/adapter0/dvr0", "media": "/dev/media0"}
OUTCOMES: list[Outcome] = []


@pytest.fixture(autouse=True)
def _demo() -> Iterator[None]:
    yield
    uninstall_demo()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bad")
    make_paths(tmp)
    return tmp


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, scratch: Path) -> None:
    argv, says = expand(case, {**ROLES, "tmp": str(scratch)})
    code, out, err = run_cli(["--demo", *argv])
    outcome = judge(case, argv, says, code, out, err)
    OUTCOMES.append(outcome)
    assert outcome.explained, f"{argv}: {outcome.problems}\nstderr: {err[-1500:]}"


def test_matrix_figures(tmp_path: Path) -> None:
    """Runs last (file order): the figures of the cases above."""
    if len(OUTCOMES) != len(CASES):
        pytest.skip("the matrix did not run in full (a -k selection)")
    line = figures(OUTCOMES)
    print(line)
    (tmp_path / "figures.txt").write_text(line + "\n")
    assert sum(o.explained for o in OUTCOMES) == len(CASES)


@pytest.mark.parametrize("stdin_tty", [False, True])
def test_tui_refuses_without_a_terminal(stdin_tty: bool) -> None:
    """`ssh board mediatui` without -t, or a script that forgot the verb: one line on
    stderr, exit 2, nothing on stdout, at once (not a UI waiting for keys)."""
    import os
    import subprocess
    import sys

    if stdin_tty:
        master, slave = os.openpty()  # a terminal on stdin, a pipe on stdout
        stdin = slave
    else:
        master = slave = -1
        stdin = subprocess.DEVNULL
    try:
        # Without TEXTUAL_DRIVER: that names a driver needing no terminal (textual serve).
        env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_DRIVER"}
        proc = subprocess.run([sys.executable, "-m", "mediatui", "--demo"], stdin=stdin,
                              capture_output=True, text=True, timeout=60, check=False,
                              env=env)
    finally:
        for fd in (master, slave):
            if fd >= 0:
                os.close(fd)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "terminal" in lines[0] and "ssh -t" in lines[0]
