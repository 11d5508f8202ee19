"""Shared output helpers for the verbs: JSON documents to stdout, errors to stderr, and
the exit codes every verb returns (README "Exit codes").

Text goes through the one escaping function (:func:`core.untrusted.escape`): every
line a verb prints goes through :func:`escaped_lines` (or :func:`fail`); the lines are
built from device-supplied values with f-strings, and escaping the whole line rather
than each value means no value can be forgotten (our own templates have no control
characters to lose).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

from core.untrusted import escape
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
    from typing import Any, TextIO

    from core.errors import MediaError

__all__ = ["EXIT_CODES_HELP", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]


def escaped_lines(text: str | Iterable[str]) -> str:
    """``text`` (a string of lines, or the lines) with each line escaped, joined by
    newlines: a newline *inside* a device value cannot reach here as a line break when
    lines are passed as a list; in a single string, newlines are kept and everything
    else non-printable (``\\x1b``, ``\\u202e``) is shown escaped."""
    lines = text.split("\n") if isinstance(text, str) else text
    return "\n".join(escape(line) for line in lines)


def print_lines(text: str | Iterable[str], file: TextIO | None = None) -> None:
    """Print verb text output, escaped line by line (see :func:`escaped_lines`)."""
    stream = sys.stdout if file is None else file
    stream.write(escaped_lines(text) + "\n")


class UsageError(ValueError):
    """A bad option value or combination: name the option and what it accepts (exit 2)."""


def print_json(name: str, payload: Mapping[str, Any]) -> None:
    """Print the ``mediatui.<name>/1`` document on stdout: indented on a terminal,
    for a person; one compact line into a pipe or file, for a program (the same
    document; ``| jq .`` indents it)."""
    from core.service import jsondoc

    jsondoc.write(sys.stdout, jsondoc.document(name, payload), pretty=sys.stdout.isatty())


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
    print_lines(f"mediatui: {error}", file=sys.stderr)
    return code
