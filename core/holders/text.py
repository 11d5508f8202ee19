"""Process text for people: argv joined, untrusted characters escaped."""

from __future__ import annotations

import unicodedata

from core.holders.model import ProcessInfo

MAX_CMDLINE = 160


def escape(text: str) -> str:
    """C0, C1, DEL and bidi/format characters shown escaped (``\\x1b``, ``\\u202e``)."""
    out = []
    for c in text:
        o = ord(c)
        if o < 0x20 or 0x7F <= o < 0xA0:
            out.append(f"\\x{o:02x}")
        elif unicodedata.category(c) == "Cf":
            out.append(f"\\u{o:04x}")
        else:
            out.append(c)
    return "".join(out)


def command_line(info: ProcessInfo, limit: int = MAX_CMDLINE) -> str:
    """argv joined by spaces (``[comm]`` for kernel threads), escaped, shortened."""
    text = " ".join(info.cmdline) if info.cmdline else f"[{info.comm}]"
    text = escape(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
