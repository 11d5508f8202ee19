"""core.record: the dataclass behaviour the start-up path's value classes rely on."""

from __future__ import annotations

import pytest

from core.record import FrozenInstanceError, field, is_record, record, replace


@record
class Point:
    """A doc that stays."""

    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)

    @property
    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)


def test_init_takes_fields_in_order_with_defaults_and_factories():
    p = Point(1)
    assert (p.x, p.y, p.tags, p.norm1) == (1, 0, [], 1)
    assert Point(1, y=2).y == 2
    assert Point(1).tags is not Point(1).tags  # a fresh default per instance
    assert Point.__doc__ == "A doc that stays."
    assert is_record(p) and is_record(Point) and not is_record(object())


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((), {}), ((1, 2, [], 4), {}), ((1,), {"x": 1}), ((1,), {"z": 3})],
)
def test_init_refuses_missing_extra_repeated_and_unknown_arguments(args, kwargs):
    with pytest.raises(TypeError):
        Point(*args, **kwargs)


def test_frozen_slotted_equal_by_value():
    p = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]  # slots: no __dict__
    assert not hasattr(p, "__dict__")
    assert p == Point(1, 2) and p != Point(2, 1)
    assert p != (1, 2, [])  # another class is never equal


def test_hash_repr_and_replace():
    @record
    class Pair:
        a: str
        b: int = 0

    assert hash(Pair("a", 1)) == hash(Pair("a", 1))
    assert len({Pair("a"), Pair("a"), Pair("b")}) == 2
    assert repr(Pair("a", 1)) == "test_hash_repr_and_replace.<locals>.Pair(a='a', b=1)"
    pair = Pair("a", 1)
    assert replace(pair, b=2) == Pair("a", 2) and pair.b == 1
    with pytest.raises(TypeError):
        replace(pair, c=3)


def test_unfrozen_records_take_assignments_and_are_unhashable():
    @record(frozen=False)
    class Counter:
        name: str
        count: int = 0

    c = Counter("frames")
    c.count += 1
    assert c == Counter("frames", 1)
    with pytest.raises(TypeError):
        hash(c)
    with pytest.raises(AttributeError):
        c.other = 1  # type: ignore[attr-defined]
