"""Host memory the native core shares with Python: typed arrays (memoryview casts over
private anonymous host memory), and the C library's mmap for mappings at an address.

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

# The C library's mapping calls, for what the mmap module cannot do: a mapping at a given
# address (the core's image, the chains' arena below 2 GiB, a file's pages in guest memory).
_libc = ctypes.CDLL(None, use_errno=True)
libc_mmap = _libc.mmap
libc_mmap.restype = ctypes.c_void_p
libc_mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
libc_mprotect = _libc.mprotect
libc_mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc_munmap = _libc.munmap
libc_munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_NORESERVE = 0x02, 0x10, 0x20, 0x4000
MAP_32BIT = 0x40                   # x86-64: in the first 2 GiB
MAP_FIXED_NOREPLACE = 0x100000     # Linux 4.17: exactly there, or fail (a range in use)
MAP_FAILED = ctypes.c_void_p(-1).value


def libc_function(name: str) -> int | None:
    """The address of a C library function (None: no such function)."""
    try:
        return ctypes.cast(getattr(_libc, name), ctypes.c_void_p).value
    except AttributeError:
        return None


def map_zero_at(address: int, length: int) -> None:
    """The host pages of [address, address + length) become fresh zero pages (private,
    anonymous, read+write, no swap reserved), whatever was mapped there -- a file's pages
    too, which MADV_DONTNEED would bring back instead of zeroing."""
    got = libc_mmap(address, length, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0)
    if got != address:
        raise MemoryError(f"cannot map {length} bytes at {address:#x}: "
                          f"{os.strerror(ctypes.get_errno())}")


def map_file_at(address: int, length: int, fd: int, offset: int) -> bool:
    """The host pages of [address, address + length) become a private (copy-on-write)
    read+write mapping of host file ``fd`` from ``offset``: the page cache's pages, shared
    until written, so nothing is copied or zero-filled now -- as Linux maps a program's
    segments.  False when the host cannot map that file; the range is then zero pages."""
    got = libc_mmap(address, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, offset)
    if got == address:
        return True
    map_zero_at(address, length)       # (a failed MAP_FIXED may have unmapped the range)
    return False


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


def bytes_address(data: bytes) -> int:
    """The host address of a bytes object's contents, which native code may read (never
    write) while the object lives: no copy is made."""
    return ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value


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
