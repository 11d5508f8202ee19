"""Shared output helpers for the verbs: JSON to stdout, errors to stderr with exit 2."""

from __future__ import annotations

import json
import sys
from typing import Any

from core.errors import MediaError


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def fail(error: MediaError | str, *, as_json: bool = False) -> int:
    """Report an error the way scripts and people both want it; exit code 2."""
    if as_json and isinstance(error, MediaError):
        print_json({"error": error.as_dict()})
    message = str(error)
    print(f"mediatui: {message}", file=sys.stderr)
    return 2
