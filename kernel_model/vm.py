"""The process's list of memory areas (VMAs), kept beside GuestMemory's permission table.

GuestMemory knows per page whether it is mapped and with which R/W/X rights (and the core
enforces them). This module adds what the kernel knows about each area: the mapping's
PROT_* and MAP_* flags, the file behind it (path, offset, device, inode) and a name such as
``[heap]`` or ``[stack]``. It is used for munmap/mprotect/mremap bookkeeping, for shared
file mappings (written back to the file at msync/munmap/exit) and to render
``/proc/self/maps`` in Linux's format.

The process set-up code may describe its mappings with :meth:`VmMap.add` (ELF segments with
their file offsets, ``[stack]``, ``[vdso]``, ``[vvar]``); pages mapped without a VMA are
still shown in ``/proc/self/maps``, named by heuristics (the program file below the break,
``[heap]`` for the break area, ``[stack]`` for the area holding the stack pointer).
"""
from __future__ import annotations

import bisect
import os

from hppa_user.memory import PAGE_MASK, PAGE_SHIFT, PERM_R, PERM_W, PERM_X
from kernel_model import abi


class Vma:
    __slots__ = ("start", "end", "prot", "shared", "name", "path", "offset", "dev", "ino",
                 "host_fd", "anon", "eof")

    def __init__(self, start, end, prot, shared=False, name=None, path=None, offset=0, dev=0,
                 ino=0, host_fd=None, anon=True, eof=None):
        self.start, self.end, self.prot, self.shared = start, end, prot, shared
        self.name = name          # "[heap]", "[stack]", "[vdso]", ... (anonymous special)
        self.path = path          # bytes: backing file path (shown in maps)
        self.offset = offset      # file offset of self.start
        self.dev, self.ino = dev, ino
        self.host_fd = host_fd    # shared file mappings: a host fd for write-back
        self.anon = anon
        # file mappings: the first address whose page lies wholly past the end of the file
        # (an access there is SIGBUS, as filemap_fault() decides); None: no such page
        self.eof = eof

    def past_eof(self, start: int, end: int) -> tuple[int, int] | None:
        """The part of [start, end) in this mapping that lies past the end of its file."""
        if self.eof is None:
            return None
        s, e = max(start, self.start, self.eof), min(end, self.end)
        return (s, e) if s < e else None

    def split_copy(self, start, end) -> "Vma":
        v = Vma(start, end, self.prot, self.shared, self.name, self.path,
                self.offset + (start - self.start) if not self.anon else 0, self.dev, self.ino,
                self.host_fd, self.anon, self.eof)
        return v


def prot_to_perm(prot: int) -> int:
    perm = 0
    if prot & abi.PROT_READ:
        perm |= PERM_R
    if prot & abi.PROT_WRITE:
        perm |= PERM_W | PERM_R   # PA-RISC pages cannot be write-only
    if prot & abi.PROT_EXEC:
        perm |= PERM_X | PERM_R   # nor execute-only for loads (PROT_EXEC implies read)
    return perm


def perm_to_prot(perm: int) -> int:
    prot = 0
    if perm & PERM_R:
        prot |= abi.PROT_READ
    if perm & PERM_W:
        prot |= abi.PROT_WRITE
    if perm & PERM_X:
        prot |= abi.PROT_EXEC
    return prot


def _start(v: Vma) -> int:
    return v.start


class VmMap:
    def __init__(self):
        self.vmas: list[Vma] = []   # sorted by start, non-overlapping

    # -- structure -----------------------------------------------------------------------
    def find(self, addr: int):
        i = bisect.bisect_right(self.vmas, addr, key=_start) - 1
        if i >= 0 and self.vmas[i].start <= addr < self.vmas[i].end:
            return self.vmas[i]
        return None

    def _span(self, start: int, end: int) -> tuple[int, int]:
        """Indices [i, j) of the VMAs overlapping [start, end) (the list is sorted and
        non-overlapping, so they are consecutive)."""
        i = bisect.bisect_right(self.vmas, start, key=_start) - 1
        if i < 0 or self.vmas[i].end <= start:
            i += 1
        j = bisect.bisect_left(self.vmas, end, key=_start)
        return i, max(i, j)

    def overlapping(self, start: int, end: int) -> list:
        i, j = self._span(start, end)
        return self.vmas[i:j]

    def remove(self, start: int, end: int) -> list:
        """Cut [start, end) out of the list; return the removed pieces."""
        i, j = self._span(start, end)
        removed, keep = [], []
        for v in self.vmas[i:j]:
            if v.start < start:
                keep.append(v.split_copy(v.start, start))
            if v.end > end:
                keep.append(v.split_copy(end, v.end))
            removed.append(v.split_copy(max(v.start, start), min(v.end, end)))
        self.vmas[i:j] = keep
        return removed

    def add(self, start: int, end: int, prot: int, **kw) -> Vma:
        """Record a mapping (replacing whatever VMAs covered the range)."""
        self.remove(start, end)
        v = Vma(start, end, prot, **kw)
        bisect.insort(self.vmas, v, key=_start)
        return v

    def protect(self, start: int, end: int, prot: int) -> None:
        pieces = self.remove(start, end)
        for p in pieces:
            p.prot = prot
            bisect.insort(self.vmas, p, key=_start)

    # -- shared file mappings ------------------------------------------------------------
    def sync_range(self, k, start: int, end: int) -> None:
        for v in self.overlapping(start, end):
            if v.shared and not v.anon and v.host_fd is not None:
                s, e = max(v.start, start), min(v.end, end)
                write_back(k, v, s, e)

    def sync_all(self, k) -> None:
        self.sync_range(k, 0, 1 << 32)

    # -- /proc/self/maps -----------------------------------------------------------------
    def render_maps(self, k) -> bytes:
        # runs of consecutive mapped pages with identical rights
        runs = k.mem.mappings()
        if not runs:
            return b""
        # VMA boundaries split runs further
        cuts = set()
        for v in self.vmas:
            cuts.add(v.start)
            cuts.add(v.end)
        for hp in (k.brk_start, (k.brk + PAGE_MASK) & ~PAGE_MASK):
            if hp:
                cuts.add(hp)
        sp = k.ctx.sp
        lines = []
        segments = []
        for first, end, p in runs:
            lo, hi = first << PAGE_SHIFT, end << PAGE_SHIFT
            pts = sorted(c for c in cuts if lo < c < hi)
            edges = [lo] + pts + [hi]
            for s, e in zip(edges, edges[1:]):
                segments.append((s, e, p))
        # merge neighbours that describe the same thing
        rows = []
        for s, e, p in segments:
            v = self.find(s)
            rows.append([s, e, p, v])
        merged = []
        for row in rows:
            if merged:
                prev = merged[-1]
                pv, v = prev[3], row[3]
                same = prev[1] == row[0] and prev[2] == row[2] and (
                    (pv is None and v is None) or
                    (pv is not None and v is not None and pv.anon and v.anon and
                     pv.name == v.name and pv.shared == v.shared and pv.path is None and
                     v.path is None))
                if same:
                    prev[1] = row[1]
                    continue
            merged.append(row)
        width = 25 + 4 * 6 - 1
        exe = os.fsencode(k.exe_path) if k.exe_path else b""
        for s, e, p, v in merged:
            r = "r" if p & PERM_R else "-"
            w = "w" if p & PERM_W else "-"
            x = "x" if p & PERM_X else "-"
            shared = "s" if (v is not None and v.shared) else "p"
            off, dev, ino, name = 0, "00:00", 0, b""
            if v is not None:
                if not v.anon:
                    off = v.offset + (s - v.start)
                    dev = f"{os.major(v.dev):02x}:{os.minor(v.dev):02x}"
                    ino = v.ino
                    name = v.path or b""
                elif v.name:
                    name = v.name.encode()
            else:
                if k.brk_start and k.brk_start <= s < max(k.brk, k.brk_start) + PAGE_MASK:
                    name = b"[heap]"
                elif s <= sp < e:
                    name = b"[stack]"
                elif k.brk_start and e <= k.brk_start and s < 0x40000000:
                    name = exe
            head = f"{s:08x}-{e:08x} {r}{w}{x}{shared} {off & 0xFFFFFFFF:08x} {dev} {ino} "
            if name:
                line = head.encode() + b" " * max(0, width - len(head)) + b" " + name
            else:
                line = head.rstrip().encode()
            lines.append(line)
        return b"\n".join(lines) + b"\n"


def write_back(k, v: Vma, start: int, end: int) -> None:
    """Copy guest pages of a shared file mapping back into the file (not past its end)."""
    try:
        size = os.fstat(v.host_fd).st_size
    except OSError:
        return
    foff = v.offset + (start - v.start)
    if foff >= size:
        return
    end = min(end, start + (size - foff))
    data = bytes(k.mem.mem[start:end])
    try:
        os.pwrite(v.host_fd, data, foff)
    except OSError:
        pass
