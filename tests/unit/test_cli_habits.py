"""v4l2-ctl habits: -d/--device and bare numbers, --help examples and exit codes,
completion scripts (shtab) and the man page (argparse-manpage) from the same parser."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediatui import cli
from mediatui.cli_habits import EXAMPLES, normalize_device, resolve_device
from mediatui.verbs.completion_ import completion_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_demo_left_behind() -> Iterator[None]:
    """cli.main(["--demo", ...]) installs the virtual backend process-wide: remove it."""
    from mediatui.demo import uninstall_demo

    yield
    uninstall_demo()


def _parse(*argv: str) -> argparse.Namespace:
    parser = cli.build_parser()
    args = parser.parse_args(argv)
    resolve_device(parser, args)
    return args


@pytest.mark.parametrize("argv", [("info", "7"), ("info", "-d", "7"), ("info", "--device", "7"),
                                  ("info", "/dev/video7"), ("info", "-d", "/dev/video7"),
                                  ("info", "7", "-d", "/dev/video7")])
def test_device_spellings_agree(argv: tuple[str, ...]) -> None:
    assert _parse(*argv).device == "/dev/video7"


def test_non_numeric_paths_are_kept() -> None:
    assert _parse("probe", "-d", "/dev/dvb/adapter0/demux0").device == "/dev/dvb/adapter0/demux0"
    assert normalize_device("video7") == "video7"
    assert _parse("list").verb == "list"  # verbs without a device are untouched


@pytest.mark.parametrize("argv", [("info",), ("info", "1", "-d", "2"), ("stream",)])
def test_a_missing_or_doubled_device_is_a_usage_error(
        argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parse(*argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "device" in err and "usage: mediatui" in err


def test_demo_info_by_number_equals_by_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "info", "--json", "/dev/video0"]) == 0
    by_path = capsys.readouterr().out
    assert cli.main(["--demo", "info", "--json", "-d", "0"]) == 0
    assert capsys.readouterr().out == by_path


def test_every_verb_help_has_examples_and_exit_codes() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(cli.VERBS)
    for name, verb in sub.choices.items():
        text = verb.format_help()
        assert "examples:" in text and "exit codes:" in text, name
        assert 2 <= len(EXAMPLES[name]) <= 3, name
        for code in ("0 ", "1 ", "2 ", "130"):
            assert f"  {code}" in text, (name, code)
    assert "130 interrupted" in parser.format_help()  # the top-level one-line summary


def test_completion_scripts_complete_devices_to_media_nodes() -> None:
    bash = completion_script("bash")
    assert "_mediatui_nodes()" in bash and "/dev/video*" in bash
    assert "_shtab_mediatui_info_pos_0_COMPGEN=_mediatui_nodes" in bash
    zsh = completion_script("zsh")
    assert "_mediatui_nodes()" in zsh and ":_mediatui_nodes" in zsh
    fish = completion_script("fish")
    assert "/dev/video*" in fish and "-l device" in fish


def test_bash_completion_runs_in_bash(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    script = tmp_path / "mediatui.bash"
    script.write_text(completion_script("bash"))

    def complete(*words: str) -> set[str]:
        line = " ".join(words)
        probe = (f"source {script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}\n"
                 f"COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n"
                 f"_shtab_mediatui mediatui {words[-1]} {words[-2]}\n"
                 "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        out = subprocess.run([bash, "-c", probe], capture_output=True, text=True,
                             timeout=30, check=True)
        return set(out.stdout.split())

    assert complete("mediatui", "in") == {"info"}
    assert "--json" in complete("mediatui", "info", "--js")
    assert complete("mediatui", "completion", "f") == {"fish"}


def test_man_page_covers_every_verb(tmp_path: Path) -> None:
    from mediatui.cli_docs import manpage_text

    text = manpage_text()
    for verb in cli.VERBS:
        assert f"mediatui {verb}" in text, verb
    assert ".SH EXIT STATUS" in text and ".SH EXAMPLES" in text
    man = shutil.which("man")
    if man is None:
        pytest.skip("man is not installed (apt-get install man-db)")
    page = tmp_path / "mediatui.1"
    page.write_text(text)
    out = subprocess.run([man, "--warnings", "-l", str(page)], capture_output=True, text=True,
                         timeout=60, check=False, env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert "EXIT STATUS" in out.stdout and "-d DEVICE, --device DEVICE" in out.stdout
    assert out.stderr == "", out.stderr


def test_wheel_ships_the_man_page_and_completions(tmp_path: Path) -> None:
    """Build the wheel, install it in a scratch venv, read the page with man -l."""
    import os

    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
         str(ROOT)], capture_output=True, text=True, timeout=600, check=False)
    if build.returncode != 0:
        message = f"could not build the wheel (no package index?):\n{build.stderr[-2000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    (wheel,) = (tmp_path / "dist").glob("mediatui-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    # --no-deps: only the files this wheel installs matter here.
    subprocess.run([env_dir / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps",
                    str(wheel)], capture_output=True, text=True, timeout=300, check=True)
    share = env_dir / "share"
    for rel in ("man/man1/mediatui.1", "bash-completion/completions/mediatui",
                "zsh/site-functions/_mediatui", "fish/vendor_completions.d/mediatui.fish"):
        assert (share / rel).is_file(), rel
    man = shutil.which("man")
    if man is None:
        pytest.skip("man is not installed (apt-get install man-db)")
    # `man mediatui` finds it through PATH (man-db maps <venv>/bin to <venv>/share/man).
    out = subprocess.run([man, "-w", "mediatui"], capture_output=True, text=True, timeout=60,
                         check=False, env={"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin"})
    assert out.stdout.strip() == str(share / "man/man1/mediatui.1"), out.stderr
    page = subprocess.run([man, "-l", str(share / "man/man1/mediatui.1")], capture_output=True,
                          text=True, timeout=60, check=True, env={"MANWIDTH": "100",
                                                                  "PATH": "/usr/bin:/bin"})
    assert "mediatui info" in page.stdout and "EXIT STATUS" in page.stdout
