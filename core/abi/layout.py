"""The layout a ctypes struct gets on another architecture, computed on this one.

ctypes lays a struct out with the running interpreter's C ABI; this module applies the
same C rules (each member at the next multiple of its alignment, ``_pack_`` capping that
alignment as ``__attribute__((packed))`` does, a union as wide as its widest member, the
size rounded up to the alignment) with the sizes and alignments of a
:class:`core.abi.target.Target`.  For the running machine the result equals ctypes' own
(``tests/unit/test_abi.py`` checks that), so for a board it is what ctypes will compute
there.

Spelling rules the ABI modules follow so that a field's C type is unambiguous on every
target (on LP64 hosts ctypes makes ``c_int64``, ``c_longlong`` and ``c_long`` one class,
so the class alone cannot tell them apart):

* ``__u64``/``__s64`` and time64 fields: :class:`c_u64`/:class:`c_s64` defined here
  (type code ``Q``/``q`` on every host);
* C ``long``/``unsigned long``: ``c_long``/``c_ulong`` (code ``l``/``L``);
* pointers: ``c_void_p``, ``c_char_p`` or ``POINTER(...)``.

The cross-compiled probe catches a field spelled the wrong way (its size differs on
ILP32 targets).  Bit fields are not supported (no kernel struct used here has one).
"""

from __future__ import annotations

import ctypes

from core.abi.target import Target
from core.record import field, record

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    c_u64 = ctypes.c_uint64
    c_s64 = ctypes.c_int64
else:

    class c_u64(ctypes._SimpleCData):
        """``__u64``: a fundamental ctypes type (fields read as ``int``) that stays
        distinct from ``c_ulong`` on LP64 hosts, so its layout is known on ILP32 ones."""

        _type_ = "Q"

    class c_s64(ctypes._SimpleCData):
        """``__s64``; see :class:`c_u64`."""

        _type_ = "q"

# ctypes simple-type codes -> size in bytes; "long"/"pointer" depend on the target.
_FIXED = {"b": 1, "B": 1, "c": 1, "?": 1, "h": 2, "H": 2, "i": 4, "I": 4, "f": 4,
          "q": 8, "Q": 8, "d": 8}
_LONG = {"l", "L"}
_POINTER = {"P", "z", "Z", "O"}


@record
class Layout:
    """Size and alignment of a type, and ``{member path: (offset, size)}`` for a struct.

    Paths join member names with ``.`` as C's ``offsetof`` does; the members of an
    ``_anonymous_`` union/struct appear as the outer struct's own.  A zero-length
    (flexible) array's size is 0.
    """

    size: int
    align: int
    fields: dict[str, tuple[int, int]] = field(default_factory=dict)


def _is_aggregate(ctype: type) -> bool:
    return isinstance(ctype, type) and issubclass(ctype, ctypes.Structure | ctypes.Union)


def _primitive(ctype: type, target: Target) -> tuple[int, int]:
    code = getattr(ctype, "_type_", None)
    if isinstance(ctype, type) and issubclass(ctype, ctypes._Pointer):
        return target.pointer_size, target.pointer_size
    if not isinstance(code, str):
        raise TypeError(f"{ctype!r} is not a ctypes type core.abi.layout knows")
    if code in _LONG:
        return target.long_size, target.long_size
    if code in _POINTER:
        return target.pointer_size, target.pointer_size
    size = _FIXED.get(code)
    if size is None:
        raise TypeError(f"ctypes type code {code!r} ({ctype.__name__}) is not supported")
    return size, (target.int64_align if size == 8 else size)


def layout(ctype: type, target: Target) -> Layout:
    """The :class:`Layout` of any ctypes type (struct, union, array, simple) on ``target``.

    Raises ``TypeError`` for bit fields or a type code the rules above do not cover.
    """
    if _is_aggregate(ctype):
        return _aggregate(ctype, target)
    if isinstance(ctype, type) and issubclass(ctype, ctypes.Array):
        element: type = ctype._type_  # type: ignore[assignment]
        length: int = ctype._length_  # type: ignore[assignment]
        inner = layout(element, target)
        return Layout(inner.size * length, inner.align)
    size, align = _primitive(ctype, target)
    return Layout(size, align)


def _aggregate(cls: type, target: Target) -> Layout:
    is_union = issubclass(cls, ctypes.Union)
    pack = getattr(cls, "_pack_", 0) or 0
    offset = size = 0
    align = 1
    anonymous = set(getattr(cls, "_anonymous_", ()))
    fields: dict[str, tuple[int, int]] = {}
    for entry in cls._fields_:  # type: ignore[attr-defined]
        if len(entry) != 2:
            raise TypeError(f"{cls.__name__}.{entry[0]}: bit fields are not supported")
        name, ftype = entry
        inner = layout(ftype, target)
        member_align = min(inner.align, pack) if pack else inner.align
        start = 0 if is_union else -(-offset // member_align) * member_align
        # An anonymous member has no name in C: its members are the outer struct's.
        prefix = "" if name in anonymous else f"{name}."
        if prefix:
            fields[name] = (start, inner.size)
        for path, (sub_off, sub_size) in inner.fields.items():
            fields[f"{prefix}{path}"] = (start + sub_off, sub_size)
        align = max(align, member_align)
        if is_union:
            size = max(size, inner.size)
        else:
            offset = start + inner.size
            size = offset
    size = -(-size // align) * align
    return Layout(size, align, fields)
