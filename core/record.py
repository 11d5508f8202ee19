"""Frozen, slotted value classes for the modules every command line loads.

``@record`` gives a class what ``@dataclass(frozen=True, slots=True)`` gives it
(``@record(frozen=False)``: what ``@dataclass(slots=True)`` gives):
``__init__`` taking the annotated fields in order (defaults and :func:`field`
factories allowed), ``__slots__``, ``__eq__``/``__hash__`` over the fields, a
``__repr__`` and attribute assignment refused with :class:`FrozenInstanceError`;
:func:`replace` is ``dataclasses.replace``.  Type checkers see a dataclass
(PEP 681, ``dataclass_transform``).

Why not dataclasses here: ``dataclasses`` imports ``inspect`` (and ``ast``, ``dis``,
``tokenize``) and compiles six generated functions per class with ``exec``; under
emulation on the boards and in the test VM that was about 35 ms a class and 0.2 s for
the import, most of ``mediatui list``'s start beyond the interpreter's own (issue 16).
These classes run generic methods instead, a little slower per call, which the few
hundred values a command makes do not notice.  Modules that load later (streaming,
the TUI) keep dataclasses.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's (start-up): type checkers treat it as true
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    T = TypeVar("T")
    C = TypeVar("C", bound=type)
else:

    def dataclass_transform(**_kwargs: object) -> object:
        return lambda decorated: decorated


class FrozenInstanceError(AttributeError):
    """Assigning to or deleting a field of a record (as dataclasses')."""


_MISSING = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A field whose default is made per instance (``field(default_factory=dict)``)."""
    return _Factory(default_factory)  # type: ignore[return-value]


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: C | None = None, /, *, frozen: bool = True) -> Any:
    """The class rebuilt with slots and the dataclass methods (see the module doc);
    ``@record(frozen=False)``: fields may be assigned and instances are unhashable,
    as ``@dataclass(slots=True)``."""
    if cls is None:
        return lambda c: _build(c, frozen)
    return _build(cls, frozen)


def _build(cls: C, frozen: bool) -> C:
    own = cls.__dict__
    names = tuple(own.get("__annotations__", {}))
    defaults = {name: own[name] for name in names if name in own}
    namespace = {k: v for k, v in own.items()
                 if k not in defaults and k not in ("__dict__", "__weakref__")}
    namespace.update(
        __slots__=names,
        __record_fields__=names,
        __record_defaults__=defaults,
        __match_args__=names,
        __init__=_init,
        __repr__=_repr,
        __eq__=_eq,
        __hash__=_hash if frozen else None,
    )
    if frozen:
        namespace.update(__setattr__=_frozen, __delattr__=_frozen)
    new = type(cls)(cls.__name__, cls.__bases__, namespace)
    new.__qualname__ = cls.__qualname__
    return new


def _init(self: Any, *args: object, **kwargs: object) -> None:
    cls = type(self)
    names: tuple[str, ...] = cls.__record_fields__
    given = len(args)
    set_field = object.__setattr__
    if given == len(names) and not kwargs:  # the common case, made short
        for name, value in zip(names, args, strict=True):
            set_field(self, name, value)
        return
    if given > len(names):
        raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, {given} given")
    for name, value in zip(names, args, strict=False):  # the rest come by keyword
        set_field(self, name, value)
    defaults = cls.__record_defaults__
    used = 0
    for name in names[given:]:
        value = kwargs.get(name, _MISSING)
        if value is _MISSING:
            if name not in defaults:
                raise TypeError(f"{cls.__name__}() missing argument {name!r}")
            value = defaults[name]
            if value.__class__ is _Factory:
                value = value.make()
        else:
            used += 1
        set_field(self, name, value)
    if used != len(kwargs):
        extra = sorted(set(kwargs) - set(names[given:]))
        raise TypeError(f"{cls.__name__}() got unexpected or repeated arguments {extra}")


def _values(obj: Any) -> tuple[object, ...]:
    return tuple([getattr(obj, name) for name in obj.__record_fields__])


def _repr(self: Any) -> str:
    fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_fields__)
    return f"{type(self).__qualname__}({fields})"


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen(self: Any, name: str, *_value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def replace(obj: T, **changes: Any) -> T:
    """A copy of record ``obj`` with ``changes`` (``dataclasses.replace``)."""
    values = {name: getattr(obj, name) for name in obj.__record_fields__}  # type: ignore[attr-defined]
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no fields {sorted(unknown)}")
    values.update(changes)
    return type(obj)(*values.values())  # every field, in order: the short path


def is_record(obj: object) -> bool:
    """Whether ``obj`` (a class or an instance) was made by :func:`record`."""
    return hasattr(obj, "__record_fields__")
