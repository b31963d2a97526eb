"""vfork's shared memory, for a child that is a host process of its own.

``vfork()`` and ``clone(CLONE_VM|CLONE_VFORK)`` (glibc's posix_spawn) give the child the
parent's memory while the parent sleeps until the child execs or ends; what the child
wrote is then the parent's (posix_spawn's child reports a failed exec that way). The child
here is a fork of the emulator with a copy-on-write copy, so when it releases its parent it
sends back every guest page it wrote -- exactly the writable pages it no longer shares with
the parent, which the host's page map tells (PM_MMAP_EXCLUSIVE: a private copy made by a
write, or a page first touched by one) -- and the parent stores them before it goes on.
"""
from __future__ import annotations

import os
import struct

from hppa_user import hostarray
from hppa_user.memory import NPAGES, PAGE_SHIFT, PAGE_SIZE, PERM_MAPPED, PERM_W

# a pagemap entry's top byte (bit 63: present, bit 56: PM_MMAP_EXCLUSIVE) -> 1 if both
_PRIVATE_COPY = bytes(int(b & 0x81 == 0x81) for b in range(256))
_HEAD = struct.Struct(">I")


def written_pages(mem) -> list[int]:
    """Guest page numbers this process holds a private copy of (written since the fork)."""
    host_first = mem.base >> PAGE_SHIFT
    out = []
    fd = os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)
    try:
        # runs of consecutive writable pages, one read each
        for first, end in mem.page_runs(0, NPAGES, PERM_W | PERM_MAPPED):
            raw = os.pread(fd, 8 * (end - first), 8 * (host_first + first))
            mine = raw[7::8].translate(_PRIVATE_COPY)      # (entries are little-endian)
            out.extend(p for a, b in hostarray.runs(mine) for p in range(first + a, first + b))
    finally:
        os.close(fd)
    return out


def send_pages(mem, fd: int) -> None:
    """The child: write every page it wrote to the parent's pipe."""
    for page in written_pages(mem):
        addr = page << PAGE_SHIFT
        data = _HEAD.pack(addr) + bytes(mem.mem[addr:addr + PAGE_SIZE])
        view = memoryview(data)
        while view:
            try:
                n = os.write(fd, view)
            except InterruptedError:
                continue
            view = view[n:]


def receive_pages(mem, fd: int) -> None:
    """The parent: store what the child sends until it releases us (end of file)."""
    rec = _HEAD.size + PAGE_SIZE
    buf = bytearray()
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except InterruptedError:
            continue
        if not chunk:
            break
        buf += chunk
        while len(buf) >= rec:
            addr = _HEAD.unpack_from(buf)[0]
            if mem.perm[addr >> PAGE_SHIFT] & PERM_MAPPED:
                mem.poke(addr, bytes(buf[_HEAD.size:rec]))
            del buf[:rec]
