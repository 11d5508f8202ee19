"""The JSON contract: every document and NDJSON line mediatui prints carries
``"schema": "mediatui.<document>/1"`` first, and validates against the JSON Schema
(draft 2020-12) shipped beside this module in ``schemas/<document>.schema.json``.

Key rules every document follows (README "JSON output"): the kernel's names for the
kernel's fields (``path``, ``buf_type``, ``bytesperline``, ``sizeimage``); capabilities and
flags as lists of kernel names, the raw number (when kept) under ``<key>_raw``; buffer
capabilities as ``buf_caps``; numbers mediatui computes carry their unit in the key
(``_s``, ``_bytes``, ``_hz``, ``_us``); per-PID counters as ``[{"pid": int, "count": int}]``.
A change to a key or a type gets a new version number, never a silent edit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from typing import IO, Any

VERSION = 1

# Every document mediatui prints, one schema file each.
DOCUMENTS = ("list", "info", "probe", "stream", "attach", "watch", "ioctl", "error", "topology",
             "check", "subdev", "who", "dmabufs")


def schema_id(name: str) -> str:
    """``"mediatui.list/1"``: the value of a document's ``schema`` key."""
    if name not in DOCUMENTS:
        raise ValueError(f"unknown JSON document {name!r}; known: {', '.join(DOCUMENTS)}")
    return f"mediatui.{name}/{VERSION}"


def document(name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` with ``"schema"`` as its first key (a ``schema`` key in it is replaced).

    Raises ValueError for a document name not in :data:`DOCUMENTS`.
    """
    out: dict[str, Any] = {"schema": schema_id(name)}
    out.update((k, v) for k, v in payload.items() if k != "schema")
    return out


def dumps(doc: Mapping[str, Any], *, pretty: bool = True) -> str:
    """The document as JSON text: indented for ``--json``, one compact line for NDJSON.

    Non-ASCII text stays as is (UTF-8); control characters are escaped the JSON way,
    and so is every other character that is not printable (DEL, C1 controls, bidi
    overrides, lone surrogates: :func:`_escape_unprintable`), so a document on a terminal
    can neither drive it nor reorder what it shows, and always encodes as UTF-8.
    Raises TypeError for a value JSON has no type for (no silent ``str()`` fallback: a
    Python repr such as ``b'..'`` must never reach a document).
    """
    if pretty:
        text = json.dumps(doc, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return _UNPRINTABLE.sub(_escape_unprintable, text)


# json.dumps escapes C0 itself; above ASCII, a match is checked with str.isprintable
# (Unicode category), the same rule as core.untrusted.escape.
_UNPRINTABLE = re.compile(r"[^\x00-\x7e]")


def _escape_unprintable(m: re.Match[str]) -> str:
    c = m.group()
    if c.isprintable():
        return c
    n = ord(c)
    if n > 0xFFFF:  # JSON spells these as a UTF-16 surrogate pair
        n -= 0x10000
        return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"
    return f"\\u{n:04x}"


def write(out: IO[str], doc: Mapping[str, Any], *, pretty: bool = True) -> None:
    """Write one document (``pretty``) or one NDJSON line (compact) and a newline."""
    out.write(dumps(doc, pretty=pretty) + "\n")


def write_lines(out: IO[str], docs: Iterable[Mapping[str, Any]]) -> int:
    """Write NDJSON, one compact document a line; returns how many lines."""
    n = 0
    for doc in docs:
        write(out, doc, pretty=False)
        n += 1
    return n


# --- the shipped schemas ------------------------------------------------------------------


def schema_uri(name: str) -> str:
    """The ``$id`` of a shipped schema, e.g. ``urn:mediatui:schema:list:1``."""
    return f"urn:mediatui:schema:{name}:{VERSION}"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The shipped JSON Schema of document ``name`` (a dict; do not modify it)."""
    from importlib import resources  # ~0.15 s in the test VM: only when validating

    schema_id(name)  # validates the name
    # One joinpath() per segment: several arguments need Python 3.11.
    text = resources.files("core.service").joinpath("schemas").joinpath(
        f"{name}.schema.json").read_text(encoding="utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


@cache
def validator(name: str) -> Any:
    """A ``jsonschema`` Draft 2020-12 validator for document ``name``; schemas may
    ``$ref`` each other by their ``urn:mediatui:schema:<name>:1`` ids."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry().with_resources(
        (schema_uri(n), Resource.from_contents(load_schema(n))) for n in DOCUMENTS
    )
    return Draft202012Validator(load_schema(name), registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(doc: Mapping[str, Any]) -> str:
    """Validate a document against the schema its ``schema`` key names; returns that name.

    Raises ``jsonschema.ValidationError`` (the first error, with its JSON path) or
    ValueError when the ``schema`` key is missing or names no shipped document.
    """
    sid = doc.get("schema")
    if not isinstance(sid, str) or not sid.startswith("mediatui.") or "/" not in sid:
        raise ValueError(f"not a mediatui document: schema key is {sid!r}")
    name, version = sid.removeprefix("mediatui.").split("/", 1)
    if name not in DOCUMENTS or version != str(VERSION):
        raise ValueError(f"no shipped schema for {sid!r}")
    errors = sorted(validator(name).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        raise errors[0]
    return name
