"""Futex wait queues of one process (kernel/futex/): waiters by address, in arrival order.

A waiter is a sleeping thread whose Block is queued here with its bitset; FUTEX_WAKE and
friends hand it the result 0 and make it runnable, a timeout or a signal takes it off the
queue. All the process's threads share its memory, so the key is the address for private
and shared futexes alike (a futex in memory shared with another *process* is not seen by
that process's waiters: each process is a host process of its own).
"""
from __future__ import annotations

from _collections import deque    # (start-up rule: cli.py)

FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF
FUTEX_WAITERS = 0x80000000
FUTEX_OWNER_DIED = 0x40000000
FUTEX_TID_MASK = 0x3FFFFFFF


class FutexTable:
    def __init__(self, sched):
        self.sched = sched
        self.queues: dict[int, deque] = {}      # address -> deque of sleeping threads

    def enqueue(self, t, b, uaddr: int, bitset: int) -> None:
        """``t`` is about to sleep on ``uaddr`` with Block ``b``."""
        b.futex = (uaddr, bitset)
        self.queues.setdefault(uaddr, deque()).append(t)

    def first_waiter(self, uaddr: int):
        q = self.queues.get(uaddr)
        return q[0] if q else None

    def clear(self) -> None:
        self.queues.clear()

    def cancel(self, t) -> None:
        """``t`` stops waiting (timeout, signal, exit): off its queue."""
        b = t.wait
        if b is None or b.futex is None:
            return
        q = self.queues.get(b.futex[0])
        if q is not None:
            try:
                q.remove(t)
            except ValueError:
                pass
            if not q:
                del self.queues[b.futex[0]]
        b.futex = None

    def waiters(self, uaddr: int) -> int:
        return len(self.queues.get(uaddr, ()))

    def wake(self, uaddr: int, n: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> int:
        """Wake up to ``n`` waiters on ``uaddr`` whose bitset meets ``bitset``."""
        q = self.queues.get(uaddr)
        if not q or n <= 0:
            return 0
        woken = 0
        for t in list(q):
            if woken >= n:
                break
            if not t.wait.futex[1] & bitset:
                continue
            q.remove(t)
            t.wait.futex = None
            self.sched.wake(t, "woken", 0)
            woken += 1
        if not q:
            self.queues.pop(uaddr, None)
        return woken

    def requeue(self, uaddr: int, n_wake: int, uaddr2: int, n_requeue: int) -> int:
        """Wake ``n_wake`` waiters of ``uaddr``, move up to ``n_requeue`` more to ``uaddr2``;
        returns how many were woken plus moved."""
        woken = self.wake(uaddr, n_wake)
        q = self.queues.get(uaddr)
        moved = 0
        while q and moved < n_requeue:
            t = q.popleft()
            t.wait.futex = (uaddr2, t.wait.futex[1])
            self.queues.setdefault(uaddr2, deque()).append(t)
            moved += 1
        if q is not None and not q:
            self.queues.pop(uaddr, None)
        return woken + moved


def wake_op_apply(op: int, oldval: int) -> tuple[int, bool]:
    """FUTEX_WAKE_OP's encoded operation on *uaddr2's old value: (new value, comparison)."""
    kind = (op >> 28) & 0xF
    cmp = (op >> 24) & 0xF
    oparg = (op >> 12) & 0xFFF
    cmparg = op & 0xFFF
    oparg = oparg - 0x1000 if oparg & 0x800 else oparg       # sign-extended 12 bits
    cmparg = cmparg - 0x1000 if cmparg & 0x800 else cmparg
    if kind & 8:                                              # FUTEX_OP_OPARG_SHIFT
        kind &= 7
        oparg = 1 << (oparg & 31)
    if kind == 0:
        new = oparg
    elif kind == 1:
        new = oldval + oparg
    elif kind == 2:
        new = oldval | oparg
    elif kind == 3:
        new = oldval & ~oparg
    elif kind == 4:
        new = oldval ^ oparg
    else:
        raise ValueError("bad futex op")
    old = oldval - (1 << 32) if oldval & 0x80000000 else oldval   # compared as int
    if cmp == 0:
        hit = old == cmparg
    elif cmp == 1:
        hit = old != cmparg
    elif cmp == 2:
        hit = old < cmparg
    elif cmp == 3:
        hit = old <= cmparg
    elif cmp == 4:
        hit = old > cmparg
    elif cmp == 5:
        hit = old >= cmparg
    else:
        raise ValueError("bad futex comparison")
    return new & 0xFFFFFFFF, hit


def exit_robust_list(k, t) -> None:
    """A thread ends: every robust mutex it still holds gets FUTEX_OWNER_DIED and one
    waiter is woken (exit_robust_list() of kernel/futex/core.c)."""
    head = t.robust_list
    if not head:
        return
    mem = k.mem
    try:
        entry = mem.read_u32(head)
        offset = mem.read_s32(head + 4)
        pending = mem.read_u32(head + 8)
    except Exception:
        return
    seen = 0
    while entry != head and seen < 2048:            # ROBUST_LIST_LIMIT
        nxt = _read(mem, entry)
        if nxt is None:
            return
        if entry != pending:
            _owner_died(k, t, (entry + offset) & 0xFFFFFFFF)
        entry = nxt & ~1
        seen += 1
    if pending:
        _owner_died(k, t, (pending + offset) & 0xFFFFFFFF)


def _read(mem, addr):
    try:
        return mem.read_u32(addr)
    except Exception:
        return None


def _owner_died(k, t, uaddr: int) -> None:
    val = _read(k.mem, uaddr)
    if val is None or (val & FUTEX_TID_MASK) != t.tid:
        return
    new = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED
    try:
        k.mem.write_u32(uaddr, new)
    except Exception:
        return
    if val & FUTEX_WAITERS:
        k.futex.wake(uaddr, 1)
