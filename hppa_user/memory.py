"""Guest memory: one flat 4 GiB big-endian address space plus a per-page permission table.

The byte array is an anonymous private host mapping: pages the guest never touches cost
nothing, and unmapping a range hands its host pages back (fresh zero pages are mapped
there).  A private file mapping's pages are the host file's own, mapped copy-on-write
(map_file), as Linux maps them: nothing is read or copied until the guest touches them.
The jitted core reads ``mem`` and ``perm`` directly; everything on the Python side (loader,
kernel model) goes through :class:`GuestMemory`, which applies the same permission rules
and keeps the decoded-instruction cache coherent with stores.
"""
from __future__ import annotations

import mmap
import os

from hppa_user import hostarray, jitcache
from hppa_user.errors import GuestFault

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = PAGE_SIZE - 1
ADDRESS_SPACE = 1 << 32
NPAGES = ADDRESS_SPACE >> PAGE_SHIFT

# Permission-table bits (one byte per 4 KiB page).
PERM_R = 1
PERM_W = 2
PERM_X = 4
PERM_CODE = 8      # page holds decoded instructions: a store must invalidate them
PERM_MAPPED = 16   # page belongs to a mapping (distinguishes SEGV_ACCERR from SEGV_MAPERR)
PERM_RWX = PERM_R | PERM_W | PERM_X
# The permission table is followed by zeros (no rights) for seven times its size: a compiled
# region checks an access's page and alignment with one lookup, indexing the table with the
# page number and the address's low bits an aligned access has clear (up to three, for 8
# bytes) above it (regiongen.Emitter.rights).
PERM_TABLE_SIZE = NPAGES << 3


def page_align_up(x: int) -> int:
    return (x + PAGE_MASK) & ~PAGE_MASK


_MATCHES: dict[tuple[int, int], bytes] = {}


def _match_table(mask: int, want: int) -> bytes:
    """The bytes.translate table of a page test: 1 where perm & mask == want, else 0."""
    table = _MATCHES.get((mask, want))
    if table is None:
        table = _MATCHES[mask, want] = bytes(int(p & mask == want) for p in range(256))
    return table


_CLEAR_CODE = bytes(p & ~PERM_CODE for p in range(256))
_RIGHTS = bytes(p & (PERM_MAPPED | PERM_RWX) for p in range(256))


class GuestMemory:
    def __init__(self) -> None:
        flags = hostarray.MAP_PRIVATE | hostarray.MAP_ANONYMOUS | hostarray.MAP_NORESERVE
        self._host = mmap.mmap(-1, ADDRESS_SPACE, flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self.mem = memoryview(self._host)
        self.base = hostarray.address(self.mem)
        self.perm = hostarray.zeros(PERM_TABLE_SIZE, "B")[:NPAGES]
        # page -> slot in the decode cache, -1 when the page has no decoded code (owned by the core)
        self.page_slot = hostarray.all_ones(NPAGES, "i", jitcache.root())

    # -- mapping management -------------------------------------------------------------
    def map(self, addr: int, length: int, prot: int, zero: bool = True) -> None:
        """Make [addr, addr+length) a mapping with PERM_* ``prot``; fresh pages read as zero."""
        first, last = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        if zero:
            self._zero_pages(first, last)
        self.invalidate_code(first, last)
        self._set_perm(first, last, PERM_MAPPED | (prot & PERM_RWX))

    def map_file(self, addr: int, length: int, fd: int, offset: int) -> bool:
        """The pages of [addr, addr+length) (page-aligned) become host file ``fd``'s from
        ``offset``, private: copy-on-write, read as the file until written (a page past
        the file's end reads as zero; the caller gives no access to those).  Rights and
        decoded code are the caller's (map).  False when the host cannot map the file:
        the pages are then zero and the caller copies its bytes."""
        return hostarray.map_file_at(self.base + addr, length, fd, offset)

    def unmap(self, addr: int, length: int) -> None:
        first, last = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        self.invalidate_code(first, last)
        self._set_perm(first, last, 0)
        self._zero_pages(first, last)

    def protect(self, addr: int, length: int, prot: int) -> None:
        first, last = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        self.invalidate_code(first, last)
        self._set_perm(first, last, PERM_MAPPED | (prot & PERM_RWX))

    def _set_perm(self, first: int, last: int, perm: int) -> None:
        if last > first:
            self.perm[first:last] = bytes((perm,)) * (last - first)

    def zero(self, addr: int, length: int) -> None:
        """Make the pages of [addr, addr+length) read as zero (their host memory is freed)."""
        first, last = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        self._zero_pages(first, last)
        self.invalidate_code(first, last)

    def _zero_pages(self, first: int, last: int) -> None:
        if last <= first:
            return
        start, length = first << PAGE_SHIFT, (last - first) << PAGE_SHIFT
        if length >= 64 * PAGE_SIZE:
            hostarray.map_zero_at(self.base + start, length)
        else:
            self._host[start:start + length] = bytes(length)

    def invalidate_code(self, first: int, last: int) -> None:
        """Forget decoded instructions of pages [first, last) (their slots are reclaimed on flush)."""
        if last - first == 1:                          # a store into a code page
            p = self.perm[first]
            if p & PERM_CODE:
                self.perm[first] = p & ~PERM_CODE
                self.page_slot[first] = -1
            return
        for a, b in self.page_runs(first, last, PERM_CODE):
            self.perm[a:b] = self.mapping_perms(a, b)
            hostarray.fill(self.page_slot[a:b], -1)

    # -- the page table as a whole ----------------------------------------------------------
    def matching(self, first: int, last: int, mask: int, want: int | None = None) -> bytes:
        """One byte per page of [first, last): 1 where perm & mask == want (default: mask)."""
        return bytes(self.perm[first:last]).translate(_match_table(mask, mask if want is None else want))

    def page_runs(self, first: int, last: int, mask: int, want: int | None = None):
        """(start, end) of each run of pages of [first, last) matching (see ``matching``)."""
        return ((first + a, first + b) for a, b in hostarray.runs(self.matching(first, last, mask, want)))

    def mapping_perms(self, first: int, last: int) -> bytes:
        """The permission bytes of pages [first, last) as their mapping grants them (without
        PERM_CODE, this CPU's own mark)."""
        return bytes(self.perm[first:last]).translate(_CLEAR_CODE)

    def mappings(self) -> list[tuple[int, int, int]]:
        """(first page, end page, rights) of each run of mapped pages with the same rights
        (PERM_MAPPED and PERM_R/W/X)."""
        out = []
        for first, last in self.page_runs(0, NPAGES, PERM_MAPPED):
            rights = bytes(self.perm[first:last]).translate(_RIGHTS)
            at = 0
            while at < len(rights):                  # each run of the same rights byte
                end = len(rights) - len(rights[at:].lstrip(rights[at:at + 1]))
                out.append((first + at, first + end, rights[at]))
                at = end
        return out

    def all_pages(self, first: int, last: int, mask: int) -> bool:
        """Every page of [first, last) has every bit of ``mask``."""
        return b"\0" not in self.matching(first, last, mask)

    def any_page(self, first: int, last: int, mask: int) -> bool:
        """Some page of [first, last) has some bit of ``mask``."""
        return b"\0" in self.matching(first, last, mask, 0)

    def first_without(self, first: int, last: int, mask: int) -> int:
        """The first page of [first, last) lacking a bit of ``mask``, or -1.  (One page, the
        usual range of a syscall's buffer or a check, is looked at without a scan.)"""
        if last - first == 1:
            return -1 if self.perm[first] & mask == mask else first
        i = self.matching(first, last, mask).find(b"\0")
        return -1 if i < 0 else first + i

    # -- permission queries -------------------------------------------------------------
    def is_mapped(self, addr: int, length: int = 1) -> bool:
        if length <= 0:
            return True
        if addr < 0 or addr + length > ADDRESS_SPACE:
            return False
        first, last = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        return self.all_pages(first, last, PERM_MAPPED)

    def check(self, addr: int, length: int, need: int = PERM_R) -> None:
        """Raise GuestFault unless every page of the range grants ``need``."""
        if length <= 0:
            return
        if addr < 0 or addr + length > ADDRESS_SPACE:
            raise GuestFault(addr & 0xFFFFFFFF, False)
        first, last = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        page = self.first_without(first, last, need)
        if page >= 0:
            raise GuestFault(max(addr, page << PAGE_SHIFT), bool(self.perm[page] & PERM_MAPPED))

    # -- copy_from_user / copy_to_user ---------------------------------------------------
    def read(self, addr: int, length: int) -> bytes:
        if not (0 < length and 0 <= addr < ADDRESS_SPACE
                and (addr & PAGE_MASK) + length <= PAGE_SIZE
                and self.perm[addr >> PAGE_SHIFT] & PERM_R):
            self.check(addr, length, PERM_R)            # (raises unless length <= 0)
        return self._host[addr:addr + length]

    def write(self, addr: int, data) -> None:
        length = len(data)
        if data.__class__ is bytes and 0 < length and 0 <= addr < ADDRESS_SPACE \
                and (addr & PAGE_MASK) + length <= PAGE_SIZE:
            page = addr >> PAGE_SHIFT
            p = self.perm[page]
            if p & PERM_W:                              # within one writable page
                self._host[addr:addr + length] = data
                if p & PERM_CODE:
                    self.invalidate_code(page, page + 1)
                return
        self.check(addr, length, PERM_W)
        self.poke(addr, data)

    def poke(self, addr: int, data) -> None:
        """Store ignoring permissions (loader, kernel-owned pages) but keeping decoded code coherent."""
        length = len(data)
        if length == 0:
            return
        self._host[addr:addr + length] = bytes(data)
        first, last = addr >> PAGE_SHIFT, (addr + length + PAGE_MASK) >> PAGE_SHIFT
        if last - first == 1:
            if self.perm[first] & PERM_CODE:
                self.invalidate_code(first, last)
        else:
            self.invalidate_code(first, last)

    def read_from_host(self, fd: int, addr: int, length: int, offset: int = -1) -> int:
        """A host read(2) (pread(2) at ``offset`` >= 0) of up to ``length`` bytes from
        ``fd`` straight into [addr, addr + length), which the caller found writable: the
        kernel model's read without a copy through a bytes object.  Decoded code there is
        dropped as a store drops it.  Returns the bytes read."""
        into = (self.mem[addr:addr + length],)
        got = os.readv(fd, into) if offset < 0 else os.preadv(fd, into, offset)
        if got:
            self.invalidate_code(addr >> PAGE_SHIFT, (addr + got + PAGE_MASK) >> PAGE_SHIFT)
        return got

    def read_u8(self, addr: int) -> int:
        return self.read(addr, 1)[0]

    def read_u16(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 2), "big")

    def read_u32(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 4), "big")

    def read_u64(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "big")

    def read_s32(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 4), "big", signed=True)

    def write_u16(self, addr: int, value: int) -> None:
        self.write(addr, (value & 0xFFFF).to_bytes(2, "big"))

    def write_u32(self, addr: int, value: int) -> None:
        self.write(addr, (value & 0xFFFFFFFF).to_bytes(4, "big"))

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big"))

    def read_cstr(self, addr: int, maxlen: int = 4096) -> bytes:
        """A NUL-terminated string, at most ``maxlen`` bytes (ENAMETOOLONG is the caller's call)."""
        out = bytearray()
        while len(out) < maxlen:
            chunk_end = min((addr | PAGE_MASK) + 1, addr + maxlen - len(out))
            chunk = self.read(addr, chunk_end - addr)
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                return bytes(out)
            out += chunk
            addr = chunk_end
        return bytes(out)

    def find_free(self, length: int, below: int, above: int = 0x10000) -> int:
        """Highest page-aligned hole of ``length`` bytes ending at or below ``below`` (top-down mmap)."""
        npages = (length + PAGE_MASK) >> PAGE_SHIFT
        top = below >> PAGE_SHIFT
        lo = above >> PAGE_SHIFT
        # Look in a window below the top first, growing it while it holds no fit: holes are
        # usually found near the top, where the last mappings went, and scanning the whole
        # table each time would make n mappings cost n^2.
        window = max(4 * npages, 1 << 14)
        while True:
            start = max(lo, top - window)
            free = self.matching(start, top, PERM_MAPPED, 0)
            # (the lowest hole may go on below the window: then it is larger than it looks,
            # and every other hole in the window is higher anyway)
            at = free.rfind(b"\1" * npages)
            if at >= 0:
                return (start + at) << PAGE_SHIFT
            if start == lo:
                return -1
            window *= 4
