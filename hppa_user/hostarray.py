"""Typed arrays the native core shares with Python: memoryview casts over private
anonymous host memory.

Python reads and writes them as Python ints, native code through their addresses.  They
are not numpy arrays: importing numpy was a third of a run's start-up.  The memory is a
private anonymous mapping, like calloc's for large sizes: untouched pages cost nothing, and
a forked process has its own copy.
"""
from __future__ import annotations

import ctypes
import mmap
import re
from array import array

_PRIVATE = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS


def zeros(n: int, fmt: str) -> memoryview:
    """``n`` zeroed items of struct format ``fmt`` ('b', 'i', 'q', ...)."""
    size = max(1, n) * array(fmt).itemsize
    view = memoryview(mmap.mmap(-1, size, flags=_PRIVATE)).cast(fmt)
    return view[:n]


def address(view: memoryview) -> int:
    """The host address of a contiguous array's first item (for the native core; an empty
    array from ``zeros`` has the address of its memory, which is never read)."""
    return ctypes.addressof(ctypes.c_char.from_buffer(view if view.nbytes else view.obj))


def fill(view: memoryview, value: int) -> None:
    """Every item of ``view`` (any slice of an array, strided or not) becomes ``value``."""
    if value in (0, -1) and view.contiguous and view.nbytes:
        ctypes.memset(address(view), value & 0xFF, view.nbytes)   # (4 MiB of page slots)
    else:
        view[:] = array(view.format, (value,)) * len(view)


def copy(view: memoryview) -> memoryview:
    """A new array holding the items of ``view``."""
    out = zeros(len(view), view.format)
    out[:] = view
    return out


def runs(flags: bytes):
    """(start, end) of each run of 1 bytes in ``flags`` (bytes of 0 and 1: a page table
    translated by a test).  bytes.find skips the zeros at memchr speed."""
    end, n = 0, len(flags)
    while True:
        start = flags.find(1, end)
        if start < 0:
            return
        end = flags.find(0, start)
        if end < 0:
            end = n
        yield start, end


_SIGN_SET = re.compile(rb"[\x80-\xff]")


def negative_items(view: memoryview) -> list[int]:
    """Indices of the negative items of a signed integer array (found at C speed by the
    sign bit in each item's last, little-endian byte)."""
    width = view.itemsize
    signs = view.tobytes()[width - 1::width]
    return [m.start() for m in _SIGN_SET.finditer(signs)]
