"""``mediatui completion SHELL``: a completion script generated from the parser (shtab)."""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "fish")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a completion script for SHELL, generated from mediatui's own "
        "argument parser; device arguments complete to the media nodes present.",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    return p


def completion_script(shell: str) -> str:
    """The script text for ``shell`` (one of :data:`SHELLS`)."""
    import shtab

    from mediatui.cli import build_parser
    from mediatui.cli_habits import COMPLETION_PREAMBLE

    preamble = COMPLETION_PREAMBLE.get(shell, "")
    return str(shtab.complete(build_parser(), shell=shell, preamble=preamble))


def run(args: argparse.Namespace) -> int:
    print(completion_script(args.shell), end="")
    return 0
