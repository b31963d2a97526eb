"""Typed arrays the native core shares with Python: memoryview casts over private
anonymous host memory.

Python reads and writes them as Python ints, native code through their addresses.  They
are not numpy arrays: importing numpy was a third of a run's start-up; nor the array
module's, whose import imports collections (~1.5 ms of every start-up) to register array
as a MutableSequence.  The memory is a private anonymous mapping, like calloc's for large
sizes: untouched pages cost nothing, and a forked process has its own copy.
"""
from __future__ import annotations

import ctypes
import mmap
import os
import struct

from hppa_user import jitcache

_PRIVATE = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS


def zeros(n: int, fmt: str) -> memoryview:
    """``n`` zeroed items of struct format ``fmt`` ('b', 'i', 'q', ...)."""
    size = max(1, n) * struct.calcsize(fmt)
    view = memoryview(mmap.mmap(-1, size, flags=_PRIVATE)).cast(fmt)
    return view[:n]


def all_ones(n: int, fmt: str, keep: str | None) -> memoryview:
    """``n`` items with every bit set (-1 in a signed format).  Filling costs every page a
    fault and a write (~2 ms for the 4 MiB page-slot table, at every start), so the items
    are a private mapping of a file of 0xFF bytes kept in the directory ``keep``: a page
    costs something only once it is read, and is copied only once written.  Without the
    file (``keep`` None or not writable): filled."""
    size = max(1, n) * struct.calcsize(fmt)
    if keep is not None:
        path = os.path.join(keep, f"ones-{size}")
        try:
            if not os.path.exists(path) or os.path.getsize(path) != size:   # (damaged)
                os.makedirs(keep, exist_ok=True)
                jitcache.write_atomic(path, b"\xff" * size)
            with open(path, "rb") as fh:
                mapped = mmap.mmap(fh.fileno(), size, flags=mmap.MAP_PRIVATE,
                                   prot=mmap.PROT_READ | mmap.PROT_WRITE)
            return memoryview(mapped).cast(fmt)[:n]
        except (OSError, ValueError):           # (ValueError: a file shorter than size)
            pass
    view = zeros(n, fmt)
    fill(view, -1)
    return view


def address(view: memoryview) -> int:
    """The host address of a contiguous array's first item (for the native core; an empty
    array from ``zeros`` has the address of its memory, which is never read)."""
    return ctypes.addressof(ctypes.c_char.from_buffer(view if view.nbytes else view.obj))


def fill(view: memoryview, value: int) -> None:
    """Every item of ``view`` (any slice of an array, strided or not) becomes ``value``."""
    if value in (0, -1) and view.contiguous and view.nbytes:
        ctypes.memset(address(view), value & 0xFF, view.nbytes)   # (4 MiB of page slots)
    else:
        view[:] = memoryview(struct.pack(view.format, value) * len(view)).cast(view.format)


def items(fmt: str, values) -> memoryview:
    """A (non-shared) array of ``values`` in struct format ``fmt``: what a slice of an
    array of that format can be assigned."""
    values = tuple(values)
    return memoryview(struct.pack(f"{len(values)}{fmt}", *values)).cast(fmt)


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


_SIGN_BIT = bytes(b >> 7 for b in range(256))     # a byte -> its top bit (bytes.translate)


def negative_items(view: memoryview) -> list[int]:
    """Indices of the negative items of a signed integer array (found at C speed by the
    sign bit in each item's last, little-endian byte)."""
    width = view.itemsize
    signs = view.tobytes()[width - 1::width].translate(_SIGN_BIT)
    out, at = [], signs.find(1)
    while at >= 0:
        out.append(at)
        at = signs.find(1, at + 1)
    return out
