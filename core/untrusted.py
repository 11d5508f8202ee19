"""Device-supplied text, made safe to show: the one escaping function of the project.

Everything a device, sysfs, udev or the media controller reports (card, driver,
bus_info, format descriptions, frontend, entity and pad names, udev properties) is
chosen by whoever made the device: a UVC camera's card name is its USB product string.
Two rules keep it data:

* **In a terminal** (CLI text, and the TUI's cells): every character that is not
  printable is shown as a visible escape.  "Printable" is Python's
  :meth:`str.isprintable`, i.e. by Unicode category: control (Cc: C0, DEL, C1), format
  (Cf: the bidi controls U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C, zero-width
  characters), surrogates (Cs: the bytes of invalid UTF-8 kept by ``surrogateescape``),
  private use, unassigned, and line/paragraph separators.  The rule is the category, not
  a list: a character nobody thought of is escaped if it is not a visible glyph.  The
  backslash itself becomes ``\\\\`` so the escaping cannot be forged.
* **In the TUI** the escaped string only ever goes into ``rich.text.Text`` or Textual
  ``Content`` objects (:func:`text`, :func:`content`), never into a ``str`` a widget
  would parse as markup: ``[@click=app.quit]`` stays those characters.

JSON output needs neither: ``json.dumps`` escapes as JSON does (``ensure_ascii``).
"""

from __future__ import annotations

__all__ = ["escape", "escape_char"]


def escape_char(c: str) -> str:
    """The visible form of one non-printable character.

    ``\\x1b`` below U+0100, ``\\u202e`` below U+10000, ``\\U000e0001`` above; a lone
    surrogate U+DC80-U+DCFF (an undecodable byte under ``surrogateescape``, PEP 383)
    is shown as the byte it stands for, ``\\xff``.
    """
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:
        return f"\\x{n - 0xDC00:02x}"
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def escape(value: object) -> str:
    """``str(value)`` with every non-printable character shown as an escape (see the
    module docstring) and ``\\`` doubled; printable text, ``[`` and ``]`` included, is
    kept as it is.  ``bytes`` are decoded as UTF-8 with undecodable bytes shown as
    ``\\xNN``.  Never raises, and the result always encodes as UTF-8."""
    if isinstance(value, bytes | bytearray):
        s = bytes(value).decode("utf-8", "surrogateescape")
    else:
        s = str(value)
    if s.isprintable() and "\\" not in s:
        return s  # the common case, without a per-character loop
    return "".join(
        "\\\\" if c == "\\" else c if c.isprintable() else escape_char(c) for c in s
    )
