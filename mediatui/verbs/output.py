"""Shared output helpers for the verbs: JSON documents to stdout, errors to stderr, and
the exit codes every verb returns (README "Exit codes")."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import Any

from core.errors import MediaError
from core.inspect import error_record as core_error_record
from core.service import jsondoc

# Exit codes, the same for every verb (documented in `mediatui --help` and the README).
EXIT_OK = 0
EXIT_FAILURE = 1  # a device or runtime failure (an ioctl failed, no data arrived, ...)
EXIT_USAGE = 2  # a bad option value or combination (argparse's own errors use 2 too)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), what shells report

EXIT_CODES_HELP = (
    "exit status: 0 success; 1 device or runtime failure (including a stream that "
    "received no data); 2 usage error; 130 interrupted (Ctrl-C)."
)


class UsageError(ValueError):
    """A bad option value or combination: name the option and what it accepts (exit 2)."""


def print_json(name: str, payload: Mapping[str, Any]) -> None:
    """Print the ``mediatui.<name>/1`` document (indented) on stdout."""
    jsondoc.write(sys.stdout, jsondoc.document(name, payload))


def print_line(name: str, payload: Mapping[str, Any]) -> None:
    """Print one NDJSON line of document ``name`` and flush (a reader may be waiting)."""
    jsondoc.write(sys.stdout, jsondoc.document(name, payload), pretty=False)
    sys.stdout.flush()


def error_record(error: MediaError | str, kind: str | None = None) -> dict[str, Any]:
    """The ``error`` object of ``mediatui.error/1`` (and of ``stream``'s ``error``):
    ``kind`` (the MediaError class, or "UsageError"), ``path``, ``ioctl``, ``errno``,
    ``errno_name``, ``title``, ``explanation``."""
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
