"""Shared output helpers for the verbs: JSON to stdout, text through the one escaping
function (:func:`mediatui.untrusted.escape`), errors to stderr.

Every line of text a verb prints goes through :func:`print_lines` (or :func:`fail`):
the lines are built from device-supplied values with f-strings, and escaping the whole
line rather than each value means no value can be forgotten (our own templates have no
control characters to lose).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from core.errors import MediaError
from mediatui.untrusted import escape


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


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def fail(error: MediaError | str, *, as_json: bool = False) -> int:
    """Report an error the way scripts and people both want it.  Returns the exit code:
    1 for a device or runtime failure (a :class:`MediaError`), 2 for a usage error (a
    message about what the user asked)."""
    if as_json and isinstance(error, MediaError):
        print_json({"error": error.as_dict()})
    message = str(error)
    print_lines(f"mediatui: {message}", file=sys.stderr)
    return 1 if isinstance(error, MediaError) else 2
