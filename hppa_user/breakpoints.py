"""Debug facilities of the CPU: breakpoints in the decode cache and watched pages.

Both are what a debugger (``--trace-from``, the gdb stub) needs from the CPU without the
jitted core knowing about them, and both cost nothing while unused.

**Code breakpoints** live in the *decode cache*, never in guest memory: the breakpoint
address's page gets a decode slot (exactly as the core allocates one) and the record of
the instruction holds a micro-op number no instruction decodes to, which the core
executes as an illegal instruction: it stops with SIGILL at that address, before the
instruction does anything.  :meth:`CodeBreakpoints.hit` recognises such a stop and
undoes the instruction count of the aborted fetch.  The guest, the kernel model and the
permission table never see a breakpoint, and code reads return the original word.  A
breakpoint on a nullified instruction does not fire (the core skips a nullified slot
without looking at its record), as a ``break`` instruction there would not trap.

Stores into a page, ``mprotect``, ``munmap`` and a full decode cache drop the page's
records, breakpoints included, so :meth:`CodeBreakpoints.replant` runs before every core
entry and plants again what is gone (only a store into a breakpoint's page followed by a
jump to the breakpoint *within one core entry* could slip past: code writing and running
its own code on that page).  A page that is not executable yet is looked at again then.

Compiled regions (jit.py) translate guest code straight from memory and would run
through a breakpoint, so inserting one tells the region compiler to drop every region
that translated that address and never to translate it again while it is set (the
region leaves to the interpreter there, which stops).

**Watched pages** are how data watchpoints work: the watched ranges' pages lose read
(read watch) or write (write watch) permission in the permission table while the guest
runs, so the core -- and compiled regions, which test the table on every access and
leave to the interpreter when it says no -- stop with SIGSEGV on any such access.
:meth:`WatchedPages.classify` tells a watch trap (the page would have allowed it) from a
real fault and says whether the access touched a watched range.  The permissions are
handed back whenever Python runs (:meth:`WatchedPages.unprotect`), so the kernel model's
own accesses (syscall buffers, signal frames) never see them.  Light-weight syscalls
(gateway 0xb0) run inside the core and do see them: an atomic operation on a watched
page fails with EFAULT.
"""
from __future__ import annotations

from hppa_user import encoding as enc
from hppa_user import state as S
from hppa_user.decode import Table
from hppa_user.memory import PAGE_SHIFT, PERM_CODE, PERM_R, PERM_W, PERM_X

# a micro-op number the decoder never produces: the core executes it as an illegal op
SENTINEL_OP = max(enc.OP.values()) + 1
SIGILL, SIGSEGV = 4, 11           # parisc numbers (kernel_model.abi has them all)

# memory-access micro-ops: (reads, writes); field 4 of their records is the access size
_ACCESS = {enc.OP["LD"]: (True, False), enc.OP["LOAD"]: (True, False),
           enc.OP["FLOAD"]: (True, False), enc.OP["ST"]: (False, True),
           enc.OP["STORE"]: (False, True), enc.OP["FSTORE"]: (False, True),
           enc.OP["LDCW"]: (True, True), enc.OP["STBY"]: (False, True)}


class CodeBreakpoints:
    """Instruction addresses at which the core stops, planted in the decode cache."""

    def __init__(self, cpu):
        """``cpu``: has ``mem`` (GuestMemory), ``dc``, ``ctl``, ``jit`` and
        ``flush_decode_cache()``."""
        self.cpu = cpu
        self.planted: dict[int, tuple[int, int] | None] = {}   # address -> (page, slot)

    def __bool__(self) -> bool:
        return bool(self.planted)

    def __contains__(self, addr: int) -> bool:
        return addr in self.planted

    def insert(self, addr: int) -> None:
        addr &= ~3
        if addr in self.planted:
            return
        self.planted[addr] = None
        self.cpu.jit.exclude(addr)
        self._plant(addr)

    def remove(self, addr: int) -> None:
        addr &= ~3
        if addr not in self.planted:
            return
        where = self.planted.pop(addr)
        if where is not None and self._holds_sentinel(addr, where):
            self.cpu.dc[self._index(addr, where[1])] = 0    # decoded afresh next time
        self.cpu.jit.include(addr)

    def clear(self) -> None:
        for addr in list(self.planted):
            self.remove(addr)

    def replant(self) -> None:
        """Before a core entry: put back what stores, mprotect or a cache flush dropped."""
        for addr, where in self.planted.items():
            if where is None or not self._holds_sentinel(addr, where):
                self._plant(addr)

    def hit(self, status: int) -> int | None:
        """The breakpoint address if this core return was one (its count undone), else None."""
        ctl = self.cpu.ctl
        if status != S.ST_FAULT or int(ctl[S.CTL_FAULT_SIG]) != SIGILL:
            return None
        addr = int(ctl[S.CTL_FAULT_ADDR]) & ~3
        where = self.planted.get(addr)
        if where is None or not self._holds_sentinel(addr, where):
            return None
        ctl[S.CTL_INSNS] -= 1                        # the aborted fetch executed nothing
        ctl[S.CTL_FAULT_SIG] = 0
        return addr

    # -- the decode cache ----------------------------------------------------------------
    @staticmethod
    def _index(addr: int, slot: int) -> int:
        return ((slot << 10) | ((addr >> 2) & 1023)) * S.DC_FIELDS

    def _holds_sentinel(self, addr: int, where: tuple[int, int]) -> bool:
        page, slot = where
        return int(self.cpu.mem.page_slot[page]) == slot and \
            self.cpu.dc[self._index(addr, slot)] == SENTINEL_OP

    def _plant(self, addr: int) -> None:
        cpu = self.cpu
        mem = cpu.mem
        page = addr >> PAGE_SHIFT
        slot = int(mem.page_slot[page])
        if slot < 0:
            p = int(mem.perm[page])
            if not p & PERM_X:
                self.planted[addr] = None            # not executable (yet): look again later
                return
            if cpu.ctl[S.CTL_NEXT_SLOT] >= cpu.ctl[S.CTL_NSLOTS]:
                cpu.flush_decode_cache()
            slot = int(cpu.ctl[S.CTL_NEXT_SLOT])     # allocate a slot as the core does
            cpu.ctl[S.CTL_NEXT_SLOT] = slot + 1
            mem.page_slot[page] = slot
            mem.perm[page] = p | PERM_CODE
            base = slot * S.SLOT_WORDS * S.DC_FIELDS
            cpu.dc[base:base + S.SLOT_WORDS * S.DC_FIELDS:S.DC_FIELDS] = 0
            cpu.native[slot * S.SLOT_WORDS:(slot + 1) * S.SLOT_WORDS] = 0
        cpu.dc[self._index(addr, slot)] = SENTINEL_OP
        self.planted[addr] = (page, slot)


class Watch:
    """One watched range: ``kind`` is "write", "read" or "access"."""
    __slots__ = ("kind", "addr", "length")

    def __init__(self, kind: str, addr: int, length: int):
        self.kind, self.addr, self.length = kind, addr, max(1, length)

    def pages(self) -> range:
        return range(self.addr >> PAGE_SHIFT, ((self.addr + self.length - 1) >> PAGE_SHIFT) + 1)

    def bits(self) -> int:
        """Permission bits taken away from its pages while the guest runs."""
        return {"write": PERM_W, "read": PERM_R}.get(self.kind, PERM_R | PERM_W)

    def matches(self, addr: int, size: int, reads: bool, writes: bool) -> bool:
        if addr + size <= self.addr or addr >= self.addr + self.length:
            return False
        return (writes and self.kind != "read") or (reads and self.kind != "write")


class WatchTrap:
    """What a fault on a watched page was: ``hit`` is the watch it touched (None: the access
    touched only unwatched bytes of the page), ``addr`` the data address."""
    __slots__ = ("hit", "addr", "page")

    def __init__(self, hit: Watch | None, addr: int, page: int):
        self.hit, self.addr, self.page = hit, addr, page


class WatchedPages:
    """Data watchpoints as permissions taken from their pages while the guest runs."""

    def __init__(self, cpu):
        self.cpu = cpu
        self.watches: list[Watch] = []
        self.taken: dict[int, int] = {}      # page -> the permission bits taken from it now

    def __bool__(self) -> bool:
        return bool(self.watches)

    def insert(self, kind: str, addr: int, length: int) -> None:
        self.watches.append(Watch(kind, addr, length))

    def remove(self, kind: str, addr: int, length: int) -> bool:
        for i, w in enumerate(self.watches):
            if (w.kind, w.addr, w.length) == (kind, addr, max(1, length)):
                del self.watches[i]
                return True
        return False

    def clear(self) -> None:
        self.unprotect()
        self.watches.clear()

    def _wanted(self) -> dict[int, int]:
        want: dict[int, int] = {}
        for w in self.watches:
            for page in w.pages():
                want[page] = want.get(page, 0) | w.bits()
        return want

    def protect(self, except_page: int | None = None) -> None:
        """Before a core entry: take the watched pages' permissions away (all but one page
        while an access to it is let through)."""
        perm = self.cpu.mem.perm
        for page, bits in self._wanted().items():
            if page == except_page:
                continue
            p = int(perm[page])
            self.taken[page] = self.taken.get(page, 0) | (p & bits)
            perm[page] = p & ~bits

    def unprotect(self) -> None:
        """After a core return: give the permissions back (the kernel model's accesses and
        any mprotect it does see the real ones)."""
        perm = self.cpu.mem.perm
        for page, bits in self.taken.items():
            perm[page] = int(perm[page]) | bits
        self.taken.clear()

    def classify(self, status: int) -> WatchTrap | None:
        """Call after a core return, before :meth:`unprotect`. A watch trap has its
        instruction count undone; None means this return is none of the watches' business."""
        ctl = self.cpu.ctl
        if status != S.ST_FAULT or int(ctl[S.CTL_FAULT_SIG]) != SIGSEGV:
            return None
        addr = int(ctl[S.CTL_FAULT_ADDR])
        page = addr >> PAGE_SHIFT
        taken = self.taken.get(page, 0)
        if not taken:
            return None
        access = self._access(int(ctl[S.CTL_IAOQF]))
        if access is None:
            return None
        reads, writes, size = access
        if not ((reads and taken & PERM_R) or (writes and taken & PERM_W)):
            return None                     # the page itself forbids it: a real fault
        perm = int(self.cpu.mem.perm[page]) | taken
        if (reads and not perm & PERM_R) or (writes and not perm & PERM_W):
            return None
        if size == 0:                        # stby: some bytes of the aligned word
            addr, size = addr & ~3, 4
        ctl[S.CTL_INSNS] -= 1                # it did not execute
        ctl[S.CTL_FAULT_SIG] = 0
        hit = next((w for w in self.watches if w.matches(addr, size, reads, writes)), None)
        return WatchTrap(hit, addr, page)

    def _access(self, pc: int):
        """(reads, writes, size) of the memory instruction at ``pc``, or None."""
        mem = self.cpu.mem
        if not mem.is_mapped(pc & ~3, 4):
            return None
        word = int.from_bytes(mem.mem[pc & ~3:(pc & ~3) + 4].tobytes(), "big")
        rec = Table.get().decode(word)[1]
        rw = _ACCESS.get(int(rec[0]))
        if rw is None:
            return None
        size = 0 if int(rec[0]) == enc.OP["STBY"] else int(rec[4])
        return rw[0], rw[1], size
