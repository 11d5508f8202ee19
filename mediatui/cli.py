"""The ``mediatui`` command: the TUI by default, scriptable verbs for everything else.

Each verb lives in its own module under :mod:`mediatui.verbs` with ``add_parser`` and
``run``; this module only wires them and chooses real or virtual devices (``--demo``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from mediatui import __version__
from mediatui.verbs.output import EXIT_CODES_HELP, EXIT_INTERRUPTED

# Verb modules, in the order --help lists them.
VERBS = ("list", "info", "probe", "stream", "attach", "watch")


def _verb_module(name: str):
    return importlib.import_module(f"mediatui.verbs.{name}_")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mediatui",
        description=(
            "Explore Linux media devices (V4L2 video, DVB demux/dvr) and watch their "
            "buffers live. Without a command, opens the terminal UI."
        ),
        epilog=EXIT_CODES_HELP + " With --json, every verb prints a versioned JSON "
        "document (\"schema\": \"mediatui.<verb>/1\"); on failure, a mediatui.error/1 "
        "document.",
    )
    parser.add_argument("--version", action="version", version=f"mediatui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use virtual devices (no hardware, root or udev needed)",
    )
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for name in VERBS:
        try:
            module = _verb_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != f"mediatui.verbs.{name}_":
                raise
            continue
        verb = module.add_parser(sub)
        if verb.epilog is None:
            verb.epilog = EXIT_CODES_HELP
        # --demo is accepted after the verb too: `mediatui list --demo`.
        verb.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                          help="use virtual devices")
        verb.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.demo:
        from mediatui.demo import install_demo

        install_demo()
    if args.verb is None:
        from mediatui.app import run_app

        return run_app(demo=args.demo)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): point stdout at /dev/null so the flush at
        # exit does not complain about the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
