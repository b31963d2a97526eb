"""Record classes: named tuples declared like typing.NamedTuple, without importing typing.

Importing typing costs every run's start-up ~2.5 ms (of ~50), and the run path's records
(the ELF loader's, exec's, the vDSO's, the vvar layout's, the syscall table's) need
nothing of it but the class syntax::

    @record
    class Symbol:
        \"\"\"What it is.\"\"\"
        name: str
        size: int = 0          # fields with defaults last, as in typing.NamedTuple

        @property
        def empty(self) -> bool:
            return self.size == 0

The result is a tuple subclass that behaves as collections.namedtuple's would, with those
fields in that order, those defaults, and the class's docstring, methods and properties;
it pickles by its module and name like any class.  It is not made by namedtuple, which
compiles a constructor per class from source text (eval) and needs the collections
package: ~2.5 ms of every run's start-up for its ~12 records.  The fields are read by
namedtuple's own accessor (_collections._tuplegetter); the methods are shared (Record).
"""
from __future__ import annotations

try:
    from _collections import _tuplegetter as _field      # (start-up rule: cli.py)
except ImportError:                                     # (not CPython)
    from operator import itemgetter

    def _field(index: int, doc: str):
        return property(itemgetter(index), doc=doc)

_NOT_KEPT = ("__dict__", "__weakref__", "__annotations__")
_tuple_new = tuple.__new__


class Record(tuple):
    """What every record has: namedtuple's methods, once."""
    __slots__ = ()
    _fields: tuple = ()
    _field_defaults: dict = {}

    def __new__(cls, *args, **kwargs):
        if kwargs or len(args) != len(cls._fields):
            args = cls._bind(args, kwargs)
        return _tuple_new(cls, args)

    @classmethod
    def _bind(cls, args: tuple, kwargs: dict) -> tuple:
        """The field values of a call with keywords or left-out defaults, or the TypeError
        a function with these parameters raises."""
        name, fields = cls.__name__, cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{name}() takes {len(fields)} positional arguments but "
                            f"{len(args)} were given")
        for f in fields[:len(args)]:
            if f in kwargs:
                raise TypeError(f"{name}() got multiple values for argument {f!r}")
        values = list(args)
        for f in fields[len(args):]:
            if f in kwargs:
                values.append(kwargs.pop(f))
            elif f in cls._field_defaults:
                values.append(cls._field_defaults[f])
            else:
                raise TypeError(f"{name}() missing required argument: {f!r}")
        if kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        return tuple(values)

    @classmethod
    def _make(cls, iterable):
        result = _tuple_new(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, **kwargs):
        result = self._make(map(kwargs.pop, self._fields, self))
        if kwargs:
            raise ValueError(f"Got unexpected field names: {list(kwargs)!r}")
        return result

    def _asdict(self) -> dict:
        return dict(zip(self._fields, self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + \
            ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self)) + ")"

    def __getnewargs__(self) -> tuple:
        return tuple(self)


def record(cls: type) -> type:
    names = list(cls.__dict__.get("__annotations__", {}))
    defaults = [cls.__dict__[n] for n in names if n in cls.__dict__]
    if names[len(names) - len(defaults):] != [n for n in names if n in cls.__dict__]:
        raise TypeError(f"{cls.__name__}: fields with defaults must come last")
    body = {k: v for k, v in cls.__dict__.items() if k not in names and k not in _NOT_KEPT}
    body.update(__slots__=(), _fields=tuple(names), __match_args__=tuple(names),
                _field_defaults=dict(zip(names[len(names) - len(defaults):], defaults)))
    for i, n in enumerate(names):
        body[n] = _field(i, f"Alias for field number {i}")
    made = type(cls.__name__, (Record,), body)
    made.__qualname__ = cls.__qualname__
    made.__annotations__ = dict(cls.__dict__.get("__annotations__", {}))
    return made
