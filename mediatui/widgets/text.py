"""Small helpers that turn device facts into Rich ``Text`` without ever parsing markup.

Card names, format descriptions and trace summaries come from drivers (or from anyone
who can create a virtual device): they are untrusted.  Everything shown goes through
:func:`plain` (:func:`core.untrusted.escape`: non-printable characters shown as
``\x1b``, ``\u202e``) and into ``Text``/``Content`` objects, never into markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from core.untrusted import escape

# The one escaping function, under the name the widgets have always used.
plain = escape


def plain_lines(value: object) -> str:
    """:func:`plain` line by line: our own multi-line messages (a notification's title
    and explanation) keep their line breaks, everything else non-printable is escaped.
    For ``notify(..., markup=False)``, which takes a ``str``."""
    return "\n".join(escape(line) for line in str(value).split("\n"))


def text(value: object, style: str = "") -> Text:
    """A Rich ``Text`` of ``escape(value)``: never parsed as markup (for Select
    prompts, Option prompts, notes, anything that takes a renderable)."""
    return Text(escape(value), style=style)


def content(value: object) -> Content:
    """A Textual ``Content`` of ``escape(value)``: for tab labels, TabPane titles and
    border titles, which parse a ``str`` as content markup."""
    return Content(escape(value))


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
