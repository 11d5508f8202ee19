"""The ``mediatui`` command: the TUI by default, scriptable verbs for everything else.

Each verb lives in its own module under :mod:`mediatui.verbs` with ``add_parser`` and
``run``; this module only wires them and chooses real or virtual devices (``--demo``).
"""

from __future__ import annotations

import os
import sys

from mediatui import __version__
from mediatui.exitcodes import EXIT_CODES_HELP, EXIT_INTERRUPTED, EXIT_USAGE

# Not typing.TYPE_CHECKING: importing typing costs as much as the rest of `--version`.
# Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn

# Verb modules, in the order --help lists them.
VERBS = ("list", "info", "probe", "stream", "attach", "watch", "topology", "check", "setup",
         "who", "dmabufs", "completion")


def _verb_module(name: str):
    # __import__, not importlib.import_module: importing importlib is ~15 ms of every
    # verb's start under emulation (issue 16).
    module = f"mediatui.verbs.{name}_"
    __import__(module)
    return sys.modules[module]


class _UsageError:
    """The last usage error argparse reported (for ``--json``'s error document)."""

    last: str | None = None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line's parser; with ``only``, the top level and that one verb.

    ``main`` asks for one verb when the command line names it: importing the other ten
    verb modules and building their parsers was a fifth of ``mediatui list``'s start-up
    in the test VM. Help, completion and the man page use the whole parser.
    """
    import argparse

    from mediatui.cli_habits import add_device_option, add_epilog

    class _Parser(argparse.ArgumentParser):
        """argparse, remembering its usage error so ``--json`` can also print it as a
        ``mediatui.error/1`` document (scripts read stdout, people read stderr).
        Defined here so that argparse loads only when a parser is built."""

        def error(self, message: str) -> NoReturn:
            _UsageError.last = f"{self.prog}: error: {message}"
            super().error(message)

        def _get_formatter(self) -> argparse.HelpFormatter:
            # argparse's formatters ask shutil for the width: importing shutil (and
            # the zlib/bz2/lzma it tries) was a tenth of a verb's start under emulation.
            return self.formatter_class(prog=self.prog, width=_help_width())

    parser = _Parser(
        prog="mediatui",
        description=(
            "Explore Linux media devices (V4L2 video, DVB demux/dvr) and watch their "
            "buffers live. Without a command, opens the terminal UI."
        ),
        epilog=EXIT_CODES_HELP + " With --json, every verb prints a versioned JSON "
        "document (\"schema\": \"mediatui.<verb>/1\"); on failure, a mediatui.error/1 "
        "document. Run 'mediatui COMMAND --help' for examples.",
    )
    parser.add_argument("--version", action="version", version=f"mediatui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use virtual devices (no hardware, root or udev needed)",
    )
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for name in VERBS if only is None else (only,):
        try:
            module = _verb_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != f"mediatui.verbs.{name}_":
                raise
            continue
        verb = module.add_parser(sub)
        add_epilog(verb, name)  # examples and the exit-code table under --help
        if verb.epilog is None:
            verb.epilog = EXIT_CODES_HELP
        # --demo is accepted after the verb too: `mediatui list --demo`.
        verb.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                          help="use virtual devices")
        verb.set_defaults(run=module.run)
        add_device_option(verb)  # -d/--device and bare numbers, as v4l2-ctl
    return parser


def _help_width() -> int:
    """The width argparse would use (``shutil.get_terminal_size().columns - 2``):
    ``$COLUMNS``, else the terminal on stdout, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def _tui(*, demo: bool) -> int:
    """The terminal UI (no verb), on virtual devices with ``demo``."""
    import gc

    # Start-up only builds what lives on (modules, classes, the first screen's widgets):
    # the cyclic collector's ~150 passes over them were a tenth of the first paint
    # (issue 16). MediatuiApp turns it back on after its first frame.
    gc.disable()
    web = bool(os.environ.get("TEXTUAL_DRIVER"))
    if not web and not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the UI would write escape sequences into a pipe and
        # wait forever for keys (`ssh board mediatui` without -t, a script that
        # forgot the verb).  Another Textual driver needs no terminal: `textual
        # serve` runs us over pipes with TEXTUAL_DRIVER set to its web driver.
        print("mediatui: the terminal UI needs a terminal on stdin and stdout: use a "
              "command (mediatui --help lists them) or `ssh -t`", file=sys.stderr)
        return EXIT_USAGE
    if demo:
        from mediatui.demo import install_demo

        install_demo()
    from mediatui.app import run_app

    return run_app(demo=demo)


def _named_verb(words: Sequence[str]) -> str | None:
    """The verb of a command line whose only words before it are ``--demo``; else None
    (``mediatui -h list`` and mistakes get the whole parser and its messages)."""
    for n, word in enumerate(words):
        if word in VERBS:
            return word if all(w == "--demo" for w in words[:n]) else None
        if word != "--demo":
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    if words == ["--version"]:
        # Answered before argparse and the verb modules load (argparse alone costs about
        # as much as the interpreter's own start): scripts probe for the tool this way.
        print(f"mediatui {__version__}")
        return 0
    if words in ([], ["--demo"]):
        # The terminal UI: nothing to parse, so neither argparse nor the verbs' modules
        # load before its first frame (issue 16's first-paint row).
        return _tui(demo=bool(words))
    parser = build_parser(_named_verb(words))
    _UsageError.last = None
    try:
        args = parser.parse_args(words)
        from mediatui.cli_habits import resolve_device

        resolve_device(parser, args)  # -d/--device and bare numbers, as v4l2-ctl
    except SystemExit as exc:
        if exc.code == EXIT_USAGE and "--json" in words and _UsageError.last:
            from mediatui.verbs.output import error_record, print_json

            print_json("error", {"exit_code": EXIT_USAGE,
                                 "error": error_record(_UsageError.last, "UsageError")})
        raise
    if args.verb is None:
        return _tui(demo=args.demo)
    if args.demo:
        from mediatui.demo import install_demo

        install_demo()
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
