"""The CPU as the kernel model drives it: guest memory, the live context, the decode cache,
compiled regions and breakpoints, behind one ``run(budget) -> status``.

The kernel model builds one ``Cpu`` per process and runs it, as Linux runs a process on a
processor: the CPU never calls the kernel; it stops with a status (``state.ST_*``) and the
context says why (a syscall at the gateway, an interruption, the budget, a hot branch
target to compile).
"""
from __future__ import annotations

from hppa_user import hostarray, state as S
from hppa_user.chains import Chains
from hppa_user.context import CpuContext
from hppa_user.core import Core
from hppa_user.jit import RegionCompiler
from hppa_user.memory import PERM_CODE, PERM_X, GuestMemory
from hppa_user.traps import ILLEGAL_INSN

DECODE_SLOTS = 4096       # decoded pages held at once (16 MiB of code)
_ENV_BUDGET, _ENV_SYSRET, _ST_FAULT = S.ENV_BUDGET, S.ENV_SYSRET, S.ST_FAULT   # (every run)


class Cpu:
    def __init__(self, mem: GuestMemory | None = None, jit_threshold: int = 0,
                 virtual_clock: bool = False, cr16_bias: int = 0):
        """``jit_threshold``: entries of a branch target before it is compiled (0: never,
        jit.JIT_AUTO: once it has done as much work as compiling it costs).
        ``virtual_clock``: cr16 counts instructions instead of host nanoseconds."""
        self.mem = mem if mem is not None else GuestMemory()
        self.ctx = CpuContext()
        ctl = self.ctx.ctl
        ctl[S.CTL_NSLOTS] = DECODE_SLOTS
        ctl[S.CTL_CLOCK_MODE] = 1 if virtual_clock else 0
        ctl[S.CTL_CR16_BIAS] = cr16_bias
        self.dc = hostarray.zeros(DECODE_SLOTS * S.SLOT_WORDS * S.DC_FIELDS, "i")
        self.native = hostarray.zeros(DECODE_SLOTS * S.SLOT_WORDS, "q")
        self.slot_page = hostarray.zeros(DECODE_SLOTS, "i")    # written where a slot is given
        self.hooks = hostarray.zeros(0, "q")       # S.HOOK_FIELDS per counted address
        self.jit = RegionCompiler(self, jit_threshold)
        self.chains = Chains(self)
        self.breakpoints: dict[int, tuple[int, int]] = {}   # address -> (page, slot) planted
        self._bp_users: dict[int, int] = {}                 # address -> how many set it
        self._hit: int | None = None          # the breakpoint of the last ST_FAULT stop
        self._core = None

    # -- running ---------------------------------------------------------------------------
    def load_core(self):
        """Load the native core (compiled once per version of its sources, then cached)."""
        if self._core is None:
            self._core = core = Core(self.ctx.regs, self.mem, self.dc, self.native, self.hooks,
                                     self.slot_page)
            self._env, self._lib, self._address, self._call, self._sysret = \
                core.env, core.lib, core.address, core.lib.run, core.lib.sysret
        return self._core

    def run(self, budget: int, replant: bool = True) -> int:
        """Execute at most ``budget`` instructions; return why the core stopped (ST_*).
        (The syscall path: one foreign call and a few attribute reads around it.)"""
        if self.breakpoints and replant:
            self._replant()
        if self._core is None:
            self.load_core()
        self._env[_ENV_BUDGET] = budget
        if self._lib.current_env != self._address:
            self._core.bind()
        st = self._call()
        if st >= _ST_FAULT or self.jit.active:
            return self._stopped(st)
        return st

    def return_and_run(self, value: int, budget: int) -> int:
        """A syscall's plain return (CpuContext.syscall_return(value)) and run(budget), in
        one foreign call (hppa_sysret); ST_TICK: returned, but the kernel's tick is due, and
        nothing has run.  The machine's syscall round trip, the one in every syscall."""
        if self.breakpoints or self._core is None or self._lib.current_env != self._address:
            self.ctx.syscall_return(value)
            return self.run(budget)
        env = self._env
        env[_ENV_SYSRET] = value
        env[_ENV_BUDGET] = budget
        st = self._sysret()
        if st >= _ST_FAULT or self.jit.active:
            return self._stopped(st)
        return st

    def _stopped(self, st: int) -> int:
        """What a core return other than the budget's or a syscall's asks of this side."""
        jit = self.jit
        if jit.active:
            jit.poll()                   # install the regions the compiler finished
        if st == S.ST_FAULT:
            self._hit = self._check_breakpoint() if self.breakpoints else None
        elif st == S.ST_CACHE_FULL:
            self.flush_decode_cache()
        elif st == S.ST_JIT:
            jit.request(int(self.ctx.ctl[S.CTL_JIT_ENTRY]))
        return st

    def close(self) -> None:
        """The process is ending (the region compiler's worker finishes on its own)."""
        self.jit.close()

    @property
    def jit_threshold(self) -> int:
        return self.jit.threshold

    @jit_threshold.setter
    def jit_threshold(self, v: int) -> None:
        self.jit.set_threshold(v)

    def flush_decode_cache(self) -> None:
        """Forget every decoded page and compiled region (their slots are reused)."""
        mem = self.mem
        # a page is marked decoded only as it is given a slot, so with none given since the
        # last flush there is no mark to clear, and the scan of the whole page table (~1 ms:
        # every run under --stats flushes before its first instruction) is skipped
        in_use = int(self.ctx.ctl[S.CTL_NEXT_SLOT])
        self.chains.drop_all()
        if in_use:
            mem.invalidate_code(0, len(mem.perm))
        # regions may span pages: none survives its slots' reuse (slots are handed out in
        # order, so only those below the next free one can hold any)
        hostarray.fill(self.native[:in_use * S.SLOT_WORDS], 0)
        self.ctx.ctl[S.CTL_NEXT_SLOT] = 0
        self.jit.flushed()

    def code_slots(self) -> dict[int, int]:
        """The pages holding decoded code, each with its slot in the decode cache: the slots
        handed out since the last flush whose page still has them (a store into a page's
        code takes its slot away; decoded again, it gets a new one).  A look at the slots in
        use, not a scan of the million-page table."""
        page_slot = self.mem.page_slot
        used = self.slot_page[:int(self.ctx.ctl[S.CTL_NEXT_SLOT])].tolist()
        return {p: s for s, p in enumerate(used) if page_slot[p] == s}

    def decoded_records(self) -> bytes:
        """Which decode-cache records of the slots in use have been decoded (bit i of the
        result, least significant first in each byte: record i)."""
        records = int(self.ctx.ctl[S.CTL_NEXT_SLOT]) * S.SLOT_WORDS
        out = bytearray((records + 7) // 8)
        if records:
            self.load_core().lib.decoded_bitmap(hostarray.address(self.dc), records,
                                                hostarray.address(memoryview(out)))
        return bytes(out)

    # -- counted addresses (vDSO entry points under --stats) -------------------------------
    def count_executions(self, addrs: list[int]) -> None:
        """Count every execution of these instruction addresses (see ``execution_counts``)."""
        if len(addrs) > S.MAX_HOOKS:
            raise ValueError(f"at most {S.MAX_HOOKS} addresses are counted")
        self.hooks = hostarray.zeros(len(addrs) * S.HOOK_FIELDS, "q")
        for h, a in enumerate(addrs):
            self.hooks[h * S.HOOK_FIELDS + S.HOOK_ADDR] = a
        self._core = None                     # the core's arguments changed
        self.flush_decode_cache()             # records decoded before now carry no mark

    def execution_counts(self) -> dict[int, int]:
        hooks, n = self.hooks, S.HOOK_FIELDS
        return dict(zip(hooks[S.HOOK_ADDR::n].tolist(), hooks[S.HOOK_COUNT::n].tolist()))

    # -- breakpoints in the decode cache ---------------------------------------------------
    # A breakpoint is a record planted in the decode cache (the guest never sees it) whose
    # arm stops as an illegal instruction; taking it away leaves the record to be decoded
    # again (hooks included) on the next fetch (the first words: core.Library).
    @property
    def _breakpoint(self) -> int:
        return self.load_core().lib.breakpoint_word

    @property
    def _not_decoded(self) -> int:
        return self.load_core().lib.refetch_word

    def _record(self, slot: int, addr: int) -> int:
        return ((slot << 10) | ((addr >> 2) & 1023)) * S.DC_FIELDS

    def _plant(self, slot: int, addr: int) -> None:
        """Put the breakpoint record at ``addr``; the record before it on the page, which
        may hold a pair arm running this instruction too (coregen.INTERPRETER_PAIRS), is
        decoded again.  So is every chain (one may run through ``addr``)."""
        self.chains.drop_all()
        self.dc[self._record(slot, addr)] = self._breakpoint
        if addr & 0xFFC:
            before = self._record(slot, addr - 4)
            if self.dc[before] != self._breakpoint:
                self.dc[before] = self._not_decoded

    def set_breakpoint(self, addr: int) -> None:
        """Stop before executing ``addr`` (run() then returns ST_FAULT, and
        ``breakpoint_hit`` names it). Compiled regions that translated it are dropped, and
        none translates it while it is set (they leave to the interpreter there). Several
        users (the tracer, the debugger, the start-up probe) may set the same address: it
        stays planted until each has cleared it."""
        addr &= ~3
        self._bp_users[addr] = self._bp_users.get(addr, 0) + 1
        if addr in self.breakpoints:
            return
        self.breakpoints[addr] = (-1, -1)
        self.jit.exclude(addr)
        self._replant()

    def clear_breakpoint(self, addr: int) -> None:
        addr &= ~3
        users = self._bp_users.get(addr, 0) - 1
        if users > 0:
            self._bp_users[addr] = users
            return
        self._bp_users.pop(addr, None)
        if addr not in self.breakpoints:
            return
        self._unplant(addr)
        del self.breakpoints[addr]
        self.jit.include(addr)

    def _unplant(self, addr: int) -> None:
        page, slot = self.breakpoints[addr]
        if slot >= 0 and int(self.mem.page_slot[page]) == slot:
            idx = self._record(slot, addr)
            if self.dc[idx] == self._breakpoint:
                self.dc[idx] = self._not_decoded
        self.breakpoints[addr] = (-1, -1)

    def _replant(self) -> None:
        """Put back breakpoints a store, an mprotect or a cache flush took away."""
        mem, ctl = self.mem, self.ctx.ctl
        for addr, (page, slot) in list(self.breakpoints.items()):
            cur = int(mem.page_slot[addr >> 12])
            if cur >= 0 and cur == slot and self.dc[self._record(slot, addr)] == self._breakpoint:
                continue
            page = addr >> 12
            p = int(mem.perm[page])
            if not p & PERM_X:
                self.breakpoints[addr] = (-1, -1)     # not executable (yet): look again later
                continue
            if cur >= 0:          # decoded page: no compiled region translates addr (jit.exclude)
                self._plant(cur, addr)
                self.breakpoints[addr] = (page, cur)
                continue
            if ctl[S.CTL_NEXT_SLOT] >= ctl[S.CTL_NSLOTS]:
                self.flush_decode_cache()
            slot = int(ctl[S.CTL_NEXT_SLOT])          # allocate a slot as the core does
            ctl[S.CTL_NEXT_SLOT] = slot + 1
            mem.page_slot[page] = slot
            self.slot_page[slot] = page
            mem.perm[page] = p | PERM_CODE
            base = slot * S.SLOT_WORDS * S.DC_FIELDS
            hostarray.fill(self.dc[base:base + S.SLOT_WORDS * S.DC_FIELDS:S.DC_FIELDS],
                           self._not_decoded)
            hostarray.fill(self.native[slot * S.SLOT_WORDS:(slot + 1) * S.SLOT_WORDS], 0)
            self._plant(slot, addr)
            self.breakpoints[addr] = (page, slot)

    def _check_breakpoint(self) -> int | None:
        """After an ST_FAULT stop: the breakpoint it was, with its aborted fetch uncounted."""
        trap, _, addr = self.ctx.trap
        addr &= ~3
        if trap != ILLEGAL_INSN or addr not in self.breakpoints:
            return None
        page, slot = self.breakpoints[addr]
        if slot < 0 or int(self.mem.page_slot[page]) != slot \
                or self.dc[self._record(slot, addr)] != self._breakpoint:
            return None
        self.ctx.ctl[S.CTL_INSNS] -= 1                # the aborted fetch executed nothing
        return addr

    def breakpoint_hit(self, status: int) -> int | None:
        """If the last stop (``status``) was a breakpoint, its address (the instruction has
        not run and is not counted), else None. Any number of users may ask."""
        return self._hit if status == S.ST_FAULT else None

    def step_over_breakpoint(self, addr: int) -> int:
        """Execute the real instruction at breakpoint ``addr`` (one step), then re-plant it."""
        addr &= ~3
        if addr in self.breakpoints:
            self._unplant(addr)
        return self.run(1, replant=False)     # planted again before the next run

    def word_at(self, addr: int) -> int:
        """The instruction word in memory (breakpoints are never written there)."""
        return int.from_bytes(self.mem.mem[addr:addr + 4], "big")
