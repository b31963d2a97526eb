"""Data watchpoints of the CPU: watched pages lose read or write permission while it runs.

A debugger (the gdb stub) watches byte ranges for writes, reads or both. While the CPU runs,
the watched ranges' pages lose read (read watch) or write (write watch) permission in the
permission table, so the core -- and compiled regions, which test the table on every
access and leave to the interpreter when it says no -- stop with a DATA_PROTECTION
interruption on any access to such a page. :meth:`WatchedPages.classify` tells a watch trap
(the page itself would have allowed the access) from a real one, and says whether the
access touched a watched range; the size and direction come from the instruction's
decoded record. The permissions are handed back whenever the CPU is not running
(:meth:`WatchedPages.unprotect`), so the kernel model's own accesses (syscall buffers,
signal frames) and its mprotect see the real ones.

Light-weight syscalls (gateway 0xb0) run inside the core and do see the taken
permissions: an atomic operation on a watched page fails with EFAULT.
"""
from __future__ import annotations

from hppa_user import encoding as enc
from hppa_user import state as S
from hppa_user.decode import Table
from hppa_user.memory import PAGE_SHIFT, PERM_R, PERM_W
from hppa_user.traps import DATA_PROTECTION

# memory-access micro-ops: (reads, writes); field 4 of their records is the access size
_ACCESS = {"LD": (True, False), "LOAD": (True, False), "FLOAD": (True, False),
           "ST": (False, True), "STORE": (False, True), "FSTORE": (False, True),
           "LDCW": (True, True), "STBY": (False, True)}
_KIND_BITS = {"write": PERM_W, "read": PERM_R, "access": PERM_R | PERM_W}


class Watch:
    """One watched range: ``kind`` is "write", "read" or "access"."""
    __slots__ = ("kind", "addr", "length")

    def __init__(self, kind: str, addr: int, length: int):
        self.kind, self.addr, self.length = kind, addr, max(1, length)

    def pages(self) -> range:
        return range(self.addr >> PAGE_SHIFT, ((self.addr + self.length - 1) >> PAGE_SHIFT) + 1)

    def matches(self, addr: int, size: int, reads: bool, writes: bool) -> bool:
        if addr + size <= self.addr or addr >= self.addr + self.length:
            return False
        return (writes and self.kind != "read") or (reads and self.kind != "write")


class WatchTrap:
    """A stop on a watched page: ``hit`` is the watch the access touched (None: it touched
    only unwatched bytes of the page), ``addr`` the data address, ``page`` its page."""
    __slots__ = ("hit", "addr", "page")

    def __init__(self, hit: Watch | None, addr: int, page: int):
        self.hit, self.addr, self.page = hit, addr, page


class WatchedPages:
    """The watchpoints of one CPU (``cpu``: has ``mem``, ``ctx``, ``table``, ``word_at``)."""

    def __init__(self, cpu):
        self.cpu = cpu
        self.watches: list[Watch] = []
        self.taken: dict[int, int] = {}      # page -> the permission bits taken from it now

    def __bool__(self) -> bool:
        return bool(self.watches)

    def insert(self, kind: str, addr: int, length: int) -> None:
        self.watches.append(Watch(kind, addr, length))

    def remove(self, kind: str, addr: int, length: int) -> None:
        for i, w in enumerate(self.watches):
            if (w.kind, w.addr, w.length) == (kind, addr, max(1, length)):
                del self.watches[i]
                return

    def clear(self) -> None:
        self.unprotect()
        self.watches.clear()

    def protect(self, except_page: int | None = None) -> None:
        """Before the CPU runs: take the watched pages' permissions away (all but one page
        while an access to it is let through)."""
        perm = self.cpu.mem.perm
        want: dict[int, int] = {}
        for w in self.watches:
            for page in w.pages():
                want[page] = want.get(page, 0) | _KIND_BITS[w.kind]
        for page, bits in want.items():
            if page != except_page:
                p = int(perm[page])
                self.taken[page] = self.taken.get(page, 0) | (p & bits)
                perm[page] = p & ~bits

    def unprotect(self) -> None:
        """After the CPU ran: give the permissions back."""
        perm = self.cpu.mem.perm
        for page, bits in self.taken.items():
            perm[page] = int(perm[page]) | bits
        self.taken.clear()

    def classify(self, status: int) -> WatchTrap | None:
        """After a CPU run, before :meth:`unprotect`: a watch trap (its instruction count
        undone: the access has not happened), or None when this stop is none of the
        watches' business."""
        ctx = self.cpu.ctx
        trap, _detail, addr = ctx.trap
        if status != S.ST_FAULT or trap != DATA_PROTECTION:
            return None
        page = addr >> PAGE_SHIFT
        taken = self.taken.get(page, 0)
        access = self._access(ctx.iaoq_f) if taken else None
        if access is None:
            return None
        reads, writes, size = access
        if not ((reads and taken & PERM_R) or (writes and taken & PERM_W)):
            return None                       # the page itself forbids it: a real fault
        perm = int(self.cpu.mem.perm[page]) | taken
        if (reads and not perm & PERM_R) or (writes and not perm & PERM_W):
            return None
        if size == 0:                         # stby: some bytes of the aligned word
            addr, size = addr & ~3, 4
        ctx.ctl[S.CTL_INSNS] -= 1
        hit = next((w for w in self.watches if w.matches(addr, size, reads, writes)), None)
        return WatchTrap(hit, addr, page)

    def _access(self, pc: int):
        """(reads, writes, size) of the memory instruction at ``pc``, or None."""
        if not self.cpu.mem.is_mapped(pc, 4):
            return None
        rec = Table.get().decode(self.cpu.word_at(pc))[1]
        op = enc.op_of(int(rec[0]))
        rw = _ACCESS.get(op)
        if rw is None:
            return None
        return rw[0], rw[1], 0 if op == "STBY" else int(rec[4])
