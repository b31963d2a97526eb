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

The result is a tuple subclass of collections.namedtuple with those fields in that order,
those defaults, and the class's docstring, methods and properties; it pickles by its
module and name like any class.
"""
from __future__ import annotations

from collections import namedtuple

_NOT_KEPT = ("__dict__", "__weakref__", "__annotations__")


def record(cls: type) -> type:
    names = list(cls.__dict__.get("__annotations__", {}))
    defaults = [cls.__dict__[n] for n in names if n in cls.__dict__]
    if names[len(names) - len(defaults):] != [n for n in names if n in cls.__dict__]:
        raise TypeError(f"{cls.__name__}: fields with defaults must come last")
    base = namedtuple(cls.__name__, names, defaults=defaults, module=cls.__module__)
    body = {k: v for k, v in cls.__dict__.items() if k not in names and k not in _NOT_KEPT}
    body["__slots__"] = ()
    made = type(cls.__name__, (base,), body)
    made.__qualname__ = cls.__qualname__
    made.__annotations__ = dict(cls.__dict__.get("__annotations__", {}))
    return made
