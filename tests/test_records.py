"""hppa_user.records.record: the run path's record classes are named tuples declared like
typing.NamedTuple (without importing typing); checked against typing.NamedTuple itself."""
from __future__ import annotations

import pickle
from typing import NamedTuple

import pytest

from hppa_user.records import record


@record
class Point:
    """A point."""
    x: int
    y: int = 0
    label: str = "p"

    @property
    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)

    def moved(self, dx: int) -> Point:
        return self._replace(x=self.x + dx)


class Reference(NamedTuple):
    x: int
    y: int = 0
    label: str = "p"


def test_a_record_is_what_typing_namedtuple_makes():
    p = Point(3, -4)
    ref = Reference(3, -4)
    assert tuple(p) == tuple(ref) == (3, -4, "p")
    assert Point._fields == Reference._fields
    assert Point._field_defaults == Reference._field_defaults
    assert p == ref and hash(p) == hash(ref)          # tuples: equal by value
    assert repr(p) == repr(ref).replace("Reference", "Point")
    assert p._asdict() == ref._asdict()
    assert p.norm1 == 7 and p.moved(1) == Point(4, -4) and isinstance(p.moved(1), Point)
    assert Point.__doc__ == "A point." and Point.__name__ == "Point"
    assert Point.__qualname__ == "Point" and Point.__module__ == __name__
    assert list(Point.__annotations__) == ["x", "y", "label"]
    with pytest.raises(AttributeError):
        p.z = 1                                        # no instance dictionary
    assert pickle.loads(pickle.dumps(p)) == p and type(pickle.loads(pickle.dumps(p))) is Point


def test_fields_with_defaults_come_last():
    with pytest.raises(TypeError, match="defaults must come last"):
        @record
        class Bad:
            a: int = 1
            b: int


def test_calls_bind_as_namedtuples_do():
    """Keywords, defaults and wrong calls: the same values, or a TypeError, as the
    typing.NamedTuple of the same fields (records.py binds them without a compiled
    constructor)."""
    calls = [((1,), {}), ((1, 2), {}), ((1, 2, "q"), {}), ((), {"x": 5}),
             ((1,), {"label": "z"}), ((), {"label": "z", "x": 2, "y": 3})]
    for args, kwargs in calls:
        assert tuple(Point(*args, **kwargs)) == tuple(Reference(*args, **kwargs))
    bad = [((), {}), ((1, 2, 3, 4), {}), ((1,), {"x": 2}), ((1,), {"z": 0}), ((), {"y": 1})]
    for args, kwargs in bad:
        with pytest.raises(TypeError):
            Reference(*args, **kwargs)
        with pytest.raises(TypeError):
            Point(*args, **kwargs)
    assert Point._make([1, 2, "r"]) == Reference._make([1, 2, "r"])
    with pytest.raises(TypeError):
        Point._make([1, 2])
    with pytest.raises(ValueError):
        Point(1)._replace(z=3)
    assert Point.__match_args__ == Reference.__match_args__
    match Point(7, 8):
        case Point(a, b, c):
            assert (a, b, c) == (7, 8, "p")
    assert Point.x.__doc__ == Reference.x.__doc__
