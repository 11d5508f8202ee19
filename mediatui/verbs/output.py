"""Shared output helpers for the verbs: JSON documents to stdout, errors to stderr, and
the exit codes every verb returns (README "Exit codes")."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import Any

from mediatui.exitcodes import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)

# Every verb module imports this one while the CLI builds its parsers, so core (the
# ioctl layer, the error explanations, the JSON schemas) is imported where it is used.
TYPE_CHECKING = False  # not typing's: type checkers treat any TYPE_CHECKING as true
if TYPE_CHECKING:
    from core.errors import MediaError

__all__ = ["EXIT_CODES_HELP", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]


class UsageError(ValueError):
    """A bad option value or combination: name the option and what it accepts (exit 2)."""


def print_json(name: str, payload: Mapping[str, Any]) -> None:
    """Print the ``mediatui.<name>/1`` document (indented) on stdout."""
    from core.service import jsondoc

    jsondoc.write(sys.stdout, jsondoc.document(name, payload))


def print_line(name: str, payload: Mapping[str, Any]) -> None:
    """Print one NDJSON line of document ``name`` and flush (a reader may be waiting)."""
    from core.service import jsondoc

    jsondoc.write(sys.stdout, jsondoc.document(name, payload), pretty=False)
    sys.stdout.flush()


def error_record(error: MediaError | str, kind: str | None = None) -> dict[str, Any]:
    """The ``error`` object of ``mediatui.error/1`` (and of ``stream``'s ``error``):
    ``kind`` (the MediaError class, or "UsageError"), ``path``, ``ioctl``, ``errno``,
    ``errno_name``, ``title``, ``explanation``."""
    from core.errors import MediaError
    from core.inspect import error_record as core_error_record

    if isinstance(error, MediaError):
        return core_error_record(error)
    return {"kind": kind or "UsageError", "path": None, "ioctl": None, "errno": None,
            "errno_name": None, "title": str(error), "explanation": ""}


def fail(error: MediaError | str, *, as_json: bool = False, code: int | None = None) -> int:
    """Report an error the way scripts and people both want it: a ``mediatui.error/1``
    document on stdout with ``--json``, one line on stderr always.

    Returns the exit code: ``code`` if given, else 1 for a MediaError (the device or
    the kernel refused) and 2 for a string (a usage error).
    """
    from core.errors import MediaError

    if code is None:
        code = EXIT_FAILURE if isinstance(error, MediaError) else EXIT_USAGE
    if as_json:
        kind = "UsageError" if code == EXIT_USAGE else "RuntimeError"
        print_json("error", {"exit_code": code, "error": error_record(error, kind)})
    print(f"mediatui: {error}", file=sys.stderr)
    return code


def int_in(low: int, high: int | None = None, *, base: int = 10) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]; a usage error (exit 2) names the range."""
    def parse(text: str) -> int:
        try:
            value = int(text, base)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"{low}..{high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"{text} is out of range (allowed: {span})")
        return value
    parse.__name__ = "integer"
    return parse


def positive_float(text: str) -> float:
    """An argparse type: a number > 0 (seconds, frames per second)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is out of range (allowed: > 0)")
    return value
