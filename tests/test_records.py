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
