"""Process text for people: argv joined, untrusted characters escaped."""

from __future__ import annotations

from core.holders.model import ProcessInfo
from core.untrusted import escape

MAX_CMDLINE = 160


def command_line(info: ProcessInfo, limit: int = MAX_CMDLINE) -> str:
    """argv joined by spaces (``[comm]`` for kernel threads), escaped, shortened."""
    text = " ".join(info.cmdline) if info.cmdline else f"[{info.comm}]"
    text = escape(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
