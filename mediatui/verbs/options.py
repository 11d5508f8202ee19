"""argparse ``type=`` functions for every option value that reaches a kernel field.

Each wraps a checker of :mod:`core.limits` (the same ones the stream set-up calls when
the device is needed): a bad value is refused by argparse before any device is opened,
as a usage error (exit 2) whose message names the option and the allowed range, e.g.
``mediatui stream: error: argument --pid: wants a PID from 0 to 0x1fff, or 0x2000 ...``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from core import limits
from core.limits import OptionError

T = TypeVar("T")


def checked(check: Callable[[str, str], T], option: str) -> Callable[[str], T]:
    """An argparse type calling ``check(text, option)``; OptionError becomes argparse's
    ArgumentTypeError, so the message is the usage error (argparse adds the option)."""

    def parse(text: str) -> T:
        try:
            return check(text, option)
        except OptionError as exc:
            raise argparse.ArgumentTypeError(exc.args[0]) from None

    parse.__name__ = check.__name__.replace("_", " ")  # argparse's "invalid X value"
    return parse


def pid() -> Callable[[str], int]:
    return checked(limits.pid, "--pid")


def buffer_count(option: str = "--buffers") -> Callable[[str], int]:
    return checked(limits.buffer_count, option)


def frame_count(option: str = "--count") -> Callable[[str], int]:
    return checked(limits.frame_count, option)


def event_count(option: str = "--count") -> Callable[[str], int]:
    return checked(limits.event_count, option)


def duration(option: str = "--duration") -> Callable[[str], float]:
    return checked(limits.duration, option)


def sample_rate(option: str = "--rate") -> Callable[[str], float]:
    return checked(limits.sample_rate, option)


def byte_size(option: str = "--buffer-size") -> Callable[[str], int]:
    return checked(limits.byte_size, option)


def frame_size(option: str = "--size") -> Callable[[str], tuple[int, int]]:
    return checked(limits.frame_size, option)


def frame_rate(option: str = "--fps") -> Callable[[str], float]:
    return checked(limits.frame_rate, option)


def frequency(option: str = "--tune") -> Callable[[str], int]:
    return checked(limits.frequency, option)


def heap_name(option: str = "--heap") -> Callable[[str], str]:
    return checked(limits.heap_name, option)


def fourcc(option: str = "--format") -> Callable[[str], str]:
    return checked(limits.fourcc, option)


__all__ = ["buffer_count", "byte_size", "checked", "duration", "event_count", "fourcc",
           "frame_count", "frame_rate", "frame_size", "frequency", "heap_name", "pid",
           "sample_rate"]
