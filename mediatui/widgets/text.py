"""Small helpers that turn device facts into Rich ``Text`` without ever parsing markup.

Card names, format descriptions and trace summaries come from drivers (or from anyone
who can create a virtual device): they are untrusted.  Everything shown goes through
:func:`plain` (no control characters) and into ``Text`` objects, never into markup.
"""

from __future__ import annotations

from rich.text import Text


def plain(value: object) -> str:
    """``str(value)`` with terminal control characters replaced by ``?``."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def line(*parts: tuple[object, str] | object) -> Text:
    """A Text from (value, style) pairs or bare values, each made :func:`plain`."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for part in parts:
        if isinstance(part, tuple):
            value, style = part
            text.append(plain(value), style=style)
        else:
            text.append(plain(part))
    return text


def heading(title: str) -> Text:
    return Text(plain(title), style="bold")


def field(name: str, value: object, width: int = 16) -> Text:
    """``name:`` padded to ``width``, then the value (dim when it is empty)."""
    text = Text(f"  {name + ':':<{width}} ", style="dim")
    shown = plain(value) if value not in (None, "", [], ()) else "-"
    text.append(shown, style="" if shown != "-" else "dim")
    return text


def flags(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(plain(n) for n in names) if names else "-"


def size(n: int | None) -> str:
    """Bytes as a person reads them, exact when small."""
    if n is None:
        return "-"
    if n < 10_000:
        return f"{n} B"
    if n < 10_000_000:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1 << 20):.1f} MiB"


def join_lines(lines: list[Text]) -> Text:
    return Text("\n").join(lines)
