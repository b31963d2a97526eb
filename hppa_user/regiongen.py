"""Region generator: a hot region of guest code as LLVM IR, compiled to object code.

A *region* starting at a branch target (jit.py decides which, and when) is the code that
has already run and is reachable from the entry by straight-line flow, direct branches
and the targets guessed for its indirect ones (Region), on the entry's 4 KiB page and on
the pages its calls, branches, guessed targets and straight-line flow go on to.  It is
also entered at up to OTHER_ENTRIES other branch targets on the entry's page that the
interpreter enters often (other_entries), so that code is not compiled again as regions
of their own.  Each instruction becomes an LLVM block whose body is the instruction's
semantics (semantics.py, fpu.py) applied to a
:class:`RegionCtx` -- the same functions the interpreter's arms are generated from
(coregen.py), here with every field a constant, so a condition is one compare and an
``ldw`` a load, a permission test and a byte swap.  What kind of control transfer an
instruction is (and where a direct branch goes) is learnt by running its semantics on a
:class:`Probe`, so nothing here knows individual instructions.  Only a process that
builds regions (the compile worker, or the guest's own under HPPA_USER_JIT_SYNC) or
weighs a branch target (RegionGen.step) imports this module; LLVM itself only one that
compiles.

Native code never raises a guest fault or does anything unusual itself: whenever an
instruction would trap (bad or unaligned address, a store to a page holding decoded code,
``,tsv`` overflow, a privileged register, an enabled FP exception, an op kept for the
interpreter) it stores the guest state as it was *before* that instruction and returns 1,
and the interpreter executes it.  So native code only ever has to agree with the
interpreter on the instructions' ordinary effects, which the guest tests check by running
whole programs against qemu-hppa with a threshold of 2 (tests/test_jit.py).

PA-RISC control flow in a region (the same rules as the interpreter's, resolved at
compile time):
  * IAOQ: a block for address ``a`` runs with front = a, back = a + 4. A branch's delay
    slot is emitted a second time after it, as a copy whose successor is the branch
    target; the back of the queue is never needed at run time.
  * Nullification: an instruction that nullifies its successor jumps over it (counting
    it as executed, like the interpreter); a ``,n`` branch skips its delay-slot copy.
  * Budget: at each instruction with more than one way in (and the entry),
    ``count + L > limit`` (L bounds the instructions to the next such check:
    Emitter.budgets) exits to the interpreter, so the core's instruction budget (and
    ``--max-insns``) is kept exactly.

Native function ABI (coregen.REGION_FN): ``i64 region(regs, mem, perm, page_slot, native,
limit, env, front)``, ``front`` the entry it is entered at; it stores the instruction
count in regs and returns the IAOQ, PSW[N] and whether the interpreter must run the
instruction at the IAOQ front itself or may dispatch it again (after a control transfer)
as one word (state.RET_*).  A region's code holds no
address of any process: the helpers, the hook counters and the decode-cache slots of its
pages (its data, filled at install: RegionCompiler._fill) are found at run time, so
compiled regions can be cached on disk (jit.CodeCache).
"""
from __future__ import annotations

import os

from llvmlite import ir

from hppa_user import encoding as enc
from hppa_user import irtext
from hppa_user import state as S
from hppa_user.coregen import (
    HELPER_INDEX, I1, I32, I64, M32, PTR, RDTSC, RDTSC_FN, REGION_CC, REGION_FN, ROTR_TYPE,
    EnvCtx, Mem, c32, c64, helper_type, never_backwards, page_rights, tsc_estimate,
)
from hppa_user.decode import Table
from hppa_user.jitworker import CodeView
from hppa_user.memory import PERM_CODE, PERM_R, PERM_W
from hppa_user.semantics import INTERPRETER_ONLY, SEMANTICS, Ctx
from hppa_user.ssa import V, select

MAX_REGION = 144          # instructions per region
MAX_PAGES = 4             # pages one region may span (its entry's and the ones it goes on to)
COLD_EDGE = int(os.environ.get("HPPA_USER_JIT_COLD_EDGE", "32"))  # see Region (0: no pruning)
# GRs whose value at a region's entry is checked there for all the region's accesses through
# it (access_plan): the stack and global-data pointers, valid wherever code runs, rather
# than pointers a program may test before it uses them.
START_CHECKED = (27, 30)
ROOT = -1                 # Emitter: the root the region's entries hang from (dominators)
DATA_PAGES = 1            # where a region's data lists its other pages' slots
# A register value the region sets and sets again later is stored only in the ways out it
# may reach first, if they are at most this many (Emitter.write_back_state).  Measured
# (vvar clock_gettime, bc pi-600's 313 regions' LLVM time and object code, against storing
# every value where it is set): 4: 28.1 -> 24.4 ns, +4 % time, +2 % code; 6: 23.8 ns,
# +6 %, +5 %; 16: ~23 ns, +12 %, +17 %; every value: 23 ns, +80 %, x2.  Measured again on
# later code, 16 against 4 (runs interleaved): vvar clock_gettime, gettimeofday and
# CLOCK_REALTIME 1.0-1.5 ns less a call; LLVM time +4-7 % (bc pi-600), the Tcl suite's
# code cache +3 %; cold bzip2 -9 1.005x, bc pi-600 0.98x, bc pi-300 0.98x, the Tcl suite
# 0.95x; warm bzip2 -9 1.015x.  32 and every value: no better than 16.
DEFER_EXITS = 16
COVERED = "covered"       # Emitter.access_plan: an access an earlier check covered
# LLVM settings of a region batch (this file's text keys the code cache, so a change to
# them is a fresh cache: jitcache.REGION_SOURCES). Measured on real programs: a quickly
# compiled tier (fast instruction selection at level 0) costs half as much LLVM time per
# region but runs barely faster than the interpreter; these settings cost ~0.65 ms of
# LLVM CPU time per guest instruction and run ~3x faster than the quick ones.  LLVM's
# full instruction selector, not FastISel: 13 % more compile time (bc, 40 regions:
# 1.10 -> 1.24 s) for code that runs 1.3-1.9x faster (bc pi-600 warm 980-1480 -> 1905
# MIPS, vvar clock_gettime 61 -> 51 ns): FastISel turns each access check into setcc/or
# chains instead of two predicted branches.  SROA, instcombine and simplifycfg once each:
# the emitter already keeps a register's value in SSA and stores it once at each exit, so
# NewGVN, a second instcombine, dead-store elimination and a second simplifycfg after
# them found little (the measurements: README, "Two tiers").
PASSES = ("sroa", "instruction_combine", "simplify_cfg")
CODEGEN_OPT = 2
# LLVM options set in the compiling process (native.set_option): no loop strength reduction
# (a region's loops are guest loops, their counters guest registers) and neither instruction
# scheduler (the host core reorders anyway).  Measured on bzip2 -9's and bc pi-600's
# regions: codegen CPU time per region -25 % (bzip2 22.3 -> 16.8 ms), object code no
# larger, warm runs as fast.
CODEGEN_OPTIONS = ("-disable-lsr", "-post-RA-scheduler=false", "-enable-misched=false")


def call_semantics(ctx, rec) -> None:
    """Run the semantics of decoded record ``rec`` (variant, fields) on ``ctx``."""
    opname, _consts = enc.VARIANTS[rec[0] - 1]
    fn = SEMANTICS[opname]
    code = fn.__code__
    nargs = enc.NFIELDS if code.co_flags & 4 else code.co_argcount - 1
    fn(ctx, *[c32(x) for x in rec[1:1 + nargs]])


# ---- what an instruction does to control flow ----------------------------------------------

class Probe(Ctx):
    """Runs one instruction's semantics to learn its control flow; the IR it builds into a
    scratch function is thrown away.  Register values are unknown; fields and IAOQ are
    the instruction's."""

    def __init__(self, b: ir.IRBuilder, a: int):
        self.b = b
        self.f, self.back = c32(a), c32(a + 4)
        self.kind = "simple"          # or "branch" (s.branch), "cond" (s.cond_branch)
        self.target = None            # a constant branch target
        self.nullify = None           # a ,n branch: its constant nullify flag
        self.nullifies = False        # may nullify its successor (s.nullify_if)
        self.skips = False            # a ,n conditional branch: not taken, skips a + 4
        self.skips_taken = False      # ... taken, skips its delay slot
        self.writes: set[int] = set()  # GRs written (constant register numbers)
        self.accesses: list[tuple] = []  # (size, store) of each access, in order
        self.links: dict[int, int] = {}    # GR -> constant value written (a call's link)
        self.reads: set[int] = set()
        self.traps = False
        self.writes_memory = False    # a helper call or a byte poke: memory it may write
        self._regs = b.alloca(ir.ArrayType(I64, S.REGS_SIZE))

    def reg_ptr(self, index):
        index = c64(index) if isinstance(index, int) else index
        return self.b.gep(self._regs, [index.zext(64).ir], source_etype=I64)

    def gr(self, r):
        if r.known:
            self.reads.add(r.known)
        return super().gr(r)

    def set_gr(self, r, v):
        if r.known and v.known is not None:
            self.links[r.known] = v.known
        if r.known is None:
            self.writes.add(None)
        elif r.known:
            self.writes.add(r.known)
        super().set_gr(r, v)

    def load(self, addr, size):
        self.accesses.append((size, False))
        return V.of(self.b, self.b.load(self.reg_ptr(1), typ=I64)).trunc(32 if size < 8 else 64)

    def store(self, addr, size, v):
        self.accesses.append((size, True))

    def check_store(self, addr, fault_addr):
        self.accesses.append((0, True))

    def poke8(self, addr, v, when):
        self.writes_memory = True

    def readable(self, addr, need):
        return V.of(self.b, self.b.trunc(self.b.load(self.reg_ptr(2), typ=I64), I1))

    def trap_if(self, cond, number, detail=0, addr=None):
        if not (cond is False or (isinstance(cond, V) and cond.known == 0)):
            self.traps = True

    def nullify_if(self, cond):
        if not (cond is False or (isinstance(cond, V) and cond.known == 0)):
            self.nullifies = True

    def branch(self, target, nullify):
        self.kind = "branch"
        self.target = target.known
        self.nullify = nullify.known

    def cond_branch(self, taken, disp, nflag):
        self.kind = "cond"
        self.target = (self.f + 8 + disp).known
        self.skips = bool(nflag.known) and disp.sknown < 0
        self.skips_taken = bool(nflag.known) and disp.sknown >= 0

    def call(self, name, *args):
        self.writes_memory = True
        return V.of(self.b, self.b.load(self.reg_ptr(3), typ=I64))

    def insns_so_far(self):
        return V.of(self.b, self.b.load(self.reg_ptr(4), typ=I64))

    def host_clock(self):
        return self.insns_so_far()


class _AccessesOnly:
    """A context that only looks at an instruction's accesses: each goes to ``_access``
    (the subclass's), a loaded value is not known (``other``: nothing computed after it
    counts), traps, nullification and branches do nothing."""

    def load(self, addr, size):
        self._access(addr, size, False)
        self.other = True
        return V.const(0, 64 if size == 8 else 32)

    def store(self, addr, size, v):
        self._access(addr, size, True)

    def trap_if(self, cond, number, detail=0, addr=None):
        pass

    def nullify_if(self, cond):
        pass

    def branch(self, target, nullify):
        pass

    def cond_branch(self, taken, disp, nflag):
        pass


class _NotBaseDisp(Exception):
    """An access that is not GR + constant displacement (or not plainly a load or store)."""


class AccessProbe(_AccessesOnly, Ctx):
    """Runs one instruction's semantics with every GR a constant (``values``) and no IR:
    the addresses its loads and stores would use (see Prober.accesses)."""

    def __init__(self, a: int, values):
        self.f, self.back = c32(a), c32(a + 4)
        self.values = values
        self.accesses: list[tuple] = []       # (address, size, store)
        self.written: dict[int, int | None] = {}   # GR -> value written (None: not constant)
        self.other = False            # read state other than GRs (memory, CRs, carry...)

    def _ld(self, index):
        i = index if isinstance(index, int) else index.known
        if i is None:
            raise _NotBaseDisp
        if i >= 32:
            self.other = True
            return V.const(0, 64)
        return V.const(self.values[i], 64)

    def _st(self, index, v):
        pass

    def set_gr(self, r, v):
        if r.known is None:
            raise _NotBaseDisp
        if r.known:
            self.written[r.known] = v.known

    def reg_ptr(self, index):
        raise _NotBaseDisp

    def _access(self, addr, size, store):
        if addr.known is None or self.other:       # (an address from memory, a CR...)
            raise _NotBaseDisp
        self.accesses.append((addr.known, size, store))

    def check_store(self, addr, fault_addr):
        raise _NotBaseDisp

    def poke8(self, addr, v, when):
        raise _NotBaseDisp

    def readable(self, addr, need):
        self.other = True
        return V.const(1, 1)

    def call(self, name, *args):
        raise _NotBaseDisp

    def insns_so_far(self):
        self.other = True
        return V.const(0, 64)

    def host_clock(self):
        self.other = True
        return V.const(0, 64)


# GR values AccessProbe runs with: none, one bit each, odd values of no pattern and their
# complements; a value that moves with exactly one register's in each of the last three
# (so no mask, shift or second register is involved) is that register plus a constant
_ODD = [0] + [(r * 0x9E3779B1) & M32 | 1 for r in range(1, 32)]
_PROBE_VALUES = ([0] * 32, [0] + [1 << r for r in range(1, 32)], _ODD,
                 [0] + [~v & M32 for v in _ODD[1:]])


class Prober:
    """Control-flow facts of records, computed on a scratch function."""

    def __init__(self):
        self._kinds: dict[int, str] = {}          # variant -> its first record's kind
        self._accesses: dict[tuple, tuple] = {}
        self._probes: dict[tuple, Probe] = {}     # (address, rec) -> its probe (probe)

    def probe(self, a: int, rec: tuple) -> Probe:
        """The facts of ``rec`` at ``a``, worked out once per address and record (the
        regions of a run overlap, and each probes its branches); its scratch IR is let
        go.  (As many as the guest has instructions compiled: no bound needed.)"""
        p = self._probes.get((a, rec))
        if p is None:
            fn = irtext.Function(irtext.Module(), ir.FunctionType(ir.VoidType(), []), "probe")
            p = Probe(irtext.IRBuilder(fn.append_basic_block()), a)
            call_semantics(p, rec)
            p.b = p._regs = None
            self._probes[(a, rec)] = p
        return p

    def kind(self, rec: tuple) -> str:
        return self.facts(rec).kind

    def facts(self, rec: tuple) -> Probe:
        """The probe of ``rec`` (kind, nullifies, skips, writes, accesses)."""
        return self.probe(0x10000, rec)

    def nullifies(self, rec: tuple) -> bool:
        """May the instruction nullify its successor (so that a + 8 follows it)?"""
        return self.facts(rec).nullifies

    def accesses(self, rec: tuple) -> tuple | None:
        """Each memory access of ``rec`` as (base GR, displacement, size, store), in the
        order the region compiler checks them, or None if any is not GR + constant."""
        return self._base_disp(rec)[0]

    def moves(self, rec: tuple) -> dict:
        """The GRs ``rec`` sets to another GR plus a constant (ldo, copy): t -> (b, k)."""
        return self._base_disp(rec)[1]

    def _base_disp(self, rec: tuple) -> tuple:
        got = self._accesses.get(rec)
        if got is None:
            got = None, {}
            try:
                runs = []
                for values in _PROBE_VALUES:
                    p = AccessProbe(0x10000, values)
                    call_semantics(p, rec)
                    runs.append(p)
                zero = runs[0]

                def base_disp(vs):
                    """(r, k) if v_i = values_i[r] + k in each run i, else None."""
                    if None in vs:
                        return None
                    k = vs[0]
                    rb = ((vs[1] - k) & M32).bit_length() - 1
                    if rb < 1 or any((v - k) & M32 != values[rb]
                                     for v, values in zip(vs[1:], _PROBE_VALUES[1:])):
                        return None
                    return rb, k - (k >> 31 << 32)
                moves = {}
                if not any(p.other for p in runs):     # a value of GRs and constants only
                    for t in zero.written:
                        bd = base_disp([p.written.get(t) for p in runs])
                        if bd is not None:
                            moves[t] = bd
                accesses = None
                if len({len(p.accesses) for p in runs}) == 1 and \
                        [(s, st) for _a, s, st in zero.accesses] == self.facts(rec).accesses:
                    accesses = []
                    for k, (_a, size, store) in enumerate(zero.accesses):
                        bd = base_disp([p.accesses[k][0] for p in runs])
                        if bd is None:
                            accesses = None
                            break
                        accesses.append((*bd, size, store))
                got = (None if accesses is None else tuple(accesses)), moves
            except Exception:       # anything the constant run cannot do: checked one by one
                pass
            self._accesses[rec] = got
        return got

    def variant_kind(self, rec: tuple) -> str:
        """The kind of the first record probed of this variant: an estimate (a few
        variants' kind depends on their fields), for heuristics only."""
        k = self._kinds.get(rec[0])
        if k is None:
            k = self._kinds[rec[0]] = self.kind(rec)
        return k


def compiles(rec: tuple) -> bool:
    """Has the region compiler a translation for this record (else the interpreter runs it)."""
    return enc.VARIANTS[rec[0] - 1][0] not in INTERPRETER_ONLY


# ---- which code a region covers ----------------------------------------------------------------

class Region:
    """The instructions of one region: address -> decoded record (variant, 7 fields).

    A region starts on its entry's page and follows direct calls, branches and straight-line
    flow into up to MAX_PAGES other pages, so a call and its callee, or a loop across a
    page boundary, run as one piece of native code. The slot each page
    had in the decode cache is recorded: code entering another page first checks that
    the page still has that slot (a store into a page's code, mprotect or munmap takes it
    away; a cache flush clears every region), else it leaves (Emitter.page_guard)."""

    def __init__(self, entry: int, read_word, slot_of, executed, prober: Prober,
                 known_returns=(), entries_of=None, known_jumps=None, stops=(),
                 size: int = MAX_REGION):
        """``size``: the most instructions it holds.
        ``slot_of(page)``: the page's decode-cache slot (-1: none); ``executed(slot, a)``:
        whether the instruction at ``a`` has ever run (the decode cache knows). Paths into
        code that never ran are left to the interpreter, so LLVM spends no time on them.
        ``known_returns``: return points of the calls in regions compiled so far; a return
        through a register here tries those on this region's pages before leaving it.
        ``entries_of(a)``: how often branches to ``a`` were taken in the interpreter
        (None: not known); a target taken less than 1/COLD_EDGE as often as the entry is
        left out (the region leaves for it), so LLVM spends no time on rare paths.
        ``known_jumps``: register -> addresses the interpreter reached by jumping through
        that register (RegionCompiler.note_jump), the hottest few (jit.JUMP_GUESSES): an
        indirect branch through it continues here at each of them, on pages of their own
        if need be (a function pointer's callee, a jump table's case, a vDSO function),
        comparing the run-time target with each before it leaves the region.
        ``stops``: entries of regions compiled already; a forward branch or straight-line
        flow to one goes there (Emitter.chain_block) instead of compiling its code again,
        as code before a loop goes into the loop's region.  Code brought in (a callee, a
        guessed target of an indirect branch, a return point of other regions' calls)
        and a branch back still bring their code in, stops or not: a callee's return, and
        a function pointer's through $$dyncall, stay in the region, and a loop entered
        here once an iteration is not chained to every time round (a stop inside the
        callee of vvar clock_gettime's loop made it 25 -> 34 ns).
        Measured (5 paired rounds): cold bc pi-600 0.72 -> 0.68 s, bzip2 -9 0.97 -> 0.96 s,
        the Tcl suite 5.67 -> 5.60 s (3); warm bzip2 -9 0.34 -> 0.28 s, bc pi-600 0.25 ->
        0.24 s."""
        self.words: dict[int, int] = {}
        self.prober = prober
        self.entry = entry
        self.entries: list[int] = []         # its other entries (other_entries)
        self.page = entry >> 12
        self.pages = {self.page: slot_of(self.page)}     # page -> its slot when compiled
        self.insns: dict[int, tuple] = {}
        self.flow: dict[int, Probe] = {}     # branches: what the probe found
        self.returns: dict[int, set] = {}  # link register -> return points of calls to it
        self.calls: dict[int, int] = {}    # call (direct branch and link) -> its target
        self.other_returns: list[int] = []  # return points of other regions' calls
        self.jumps: dict[int, list] = {}   # indirect branch -> the targets guessed for it
        self._read = read_word
        self._entries_of = entries_of
        self.entry_count = (entries_of(entry) or 0) if entries_of else 0
        # (address, brought in): a callee's code, a guessed target's or a return point of
        # other regions' calls, where stops do not apply, and where the flow goes on from it
        work = [(entry, False)]
        backwards = set()                    # targets of branches back (loops: see stops)
        while work and len(self.insns) < size:
            a, inner = work.pop()
            if a in self.insns or not self.in_region(a) or not executed(self.pages[a >> 12], a):
                continue
            if a in stops and a != entry and not inner and a not in backwards:
                continue
            rec = self.record(a)
            self.insns[a] = rec
            if not compiles(rec):
                continue
            kind = prober.kind(rec)
            if kind == "simple":             # a + 8: when it nullifies its successor
                work += [(n, inner) for n in self.straight_on(
                    a, [a + 8, a + 4] if prober.nullifies(rec) else [a + 4], slot_of)]
                continue
            p = self.flow[a] = prober.probe(a, rec)
            target = p.target
            call_link = next((r for r, v in p.links.items() if v == ((a + 8) & M32) | 3), None)
            if target is not None and (call_link is not None or not self.rare(target)):
                self.take_page(target, slot_of)      # a callee's page, or a branch's
            if target is not None and call_link is not None:
                self.calls[a] = target
            if target is not None and target <= a:
                backwards.add(target)
            if target is not None and self.in_region(target) and not self.rare(target):
                work.insert(0, (target, inner or call_link is not None))   # after the straight line
            if call_link is not None and self.in_region(a + 8):
                self.returns.setdefault(call_link, set()).add(a + 8)
                work.insert(0, (a + 8, inner))   # where the callee returns to
            if kind == "branch" and target is None and len(p.reads) == 1:
                if not self.other_returns:
                    self.other_returns = sorted(r for r in known_returns if self.in_region(r))[:4]
                    work[:0] = [(r, True) for r in self.other_returns]
                for t in (known_jumps or {}).get(next(iter(p.reads)), ()):
                    self.take_page(t, slot_of)
                    if self.in_region(t) and not self.rare(t):
                        self.jumps.setdefault(a, []).append(t)
                        work.insert(0, (t, True))
            if kind == "cond":
                work += [(n, inner) for n in self.straight_on(a, [a + 8, a + 4], slot_of)]

    @property
    def entered_at(self) -> list[int]:
        """Its entry, then its other entries."""
        return [self.entry, *self.entries]

    def rare(self, a: int) -> bool:
        if self._entries_of is None or a == self.entry:
            return False
        n = self._entries_of(a)
        return n is not None and COLD_EDGE > 0 and n * COLD_EDGE < self.entry_count

    def record(self, a: int) -> tuple:
        if a not in self.words:
            self.words[a] = self._read(a)
        return Table.get().record(self.words[a])

    def in_region(self, a: int) -> bool:
        return (a >> 12) in self.pages

    def straight_on(self, a: int, nexts: list[int], slot_of) -> list[int]:
        """``nexts``, the instructions after ``a`` in straight-line flow; when they are on
        the next page, the region takes it: a loop that crosses a page boundary is then
        one region, not two (the second of which a run may not have compiled yet)."""
        for n in nexts:
            if (n >> 12) != (a >> 12):
                self.take_page(n, slot_of)
        return nexts

    def take_page(self, a: int, slot_of) -> None:
        """Let the region go on to ``a``'s page (a callee's, a guessed target's) if it
        has room for one more and that page is decoded."""
        if not self.in_region(a) and len(self.pages) < MAX_PAGES and slot_of(a >> 12) >= 0:
            self.pages[a >> 12] = slot_of(a >> 12)


# ---- emitting one region -------------------------------------------------------------------------

class RegionCtx(EnvCtx):
    """The compiler's context: every field and the IAOQ are constants; a trap leaves the
    region with the state before the instruction."""

    def __init__(self, em: "Emitter"):
        self.em = em
        self.b = em.b
        self.env = em.env
        self.m = Mem(em.b, em.mem, em.perm, em.page_slot)

    def begin(self, a: int, back, copy: bool = False) -> None:
        self.f = c32(a)
        self.back = back if isinstance(back, V) else c32(back)
        self.nul = None
        self.jump = None            # (target V, nullify const) of s.branch
        self.cjump = None           # (taken, disp, nflag) of s.cond_branch
        # how to check each access (access_plan); a delay slot's copy checks each itself
        self.checks = list(self.em.plan.get(a, ())) if not copy else []
        self.access = (a, 0) if not copy else None    # (forward_plan: not in a copy)
        # the checks of later instructions made with this one's first (hoist_plan)
        self.also = None if copy else self.em.hoisted_checks(a)

    def reg_ptr(self, index):
        index = index if isinstance(index, int) else index.known
        assert index is not None, "a region's register numbers are constants"
        return self.em.state_ptr(index)

    def gr(self, r):
        if r.known == 0:
            return c32(0)
        return V.of(self.b, self.b.load(self.reg_ptr(r), typ=state_type(r.known)))

    def _st(self, index, v):
        i = index if isinstance(index, int) else index.known
        if state_type(i) is I32:    # a GR: its slot's low word
            assert v.w == 32
            self.b.store(v.ir, self.reg_ptr(i))
        else:
            super()._st(index, v)
        self.em.wrote(i)

    def check(self, addr, size, store):
        plan = self.checks.pop(0) if self.checks else None
        if plan != COVERED:
            self.em.check_access(addr, size, store, plan, self.also)
            self.also = None

    def next_access(self) -> tuple | None:
        """This access's (instruction, index), in the prober's order (forward_plan)."""
        at = self.access
        if at is not None:
            self.access = (at[0], at[1] + 1)
        return at

    def load(self, addr, size):
        at = self.next_access()
        self.check(addr, size, False)
        v = self.em.stored.get(self.em.forward.get(at))
        return v if v is not None else self.m.load(addr, size)

    def store(self, addr, size, v):
        at = self.next_access()
        self.check(addr, size, True)
        self.m.store(addr, size, v)
        if at in self.em.sources:              # (made twice, it would be no source)
            self.em.stored[at] = v if at not in self.em.stored else None

    def check_store(self, addr, fault_addr):
        self.next_access()
        self.check(addr, 4, True)

    def poke8(self, addr, v, when):
        old = self.m.load(addr, 1)
        self.m.store(addr, 1, select(when, v.trunc(32), old))

    def readable(self, addr, need):
        return self.m.has(addr, need)

    def trap_if(self, cond, number, detail=0, addr=None):
        if isinstance(cond, (bool, int)):
            cond = V.const(int(cond), 1)
        if cond.known == 0:
            return
        self.em.guard(cond)

    def nullify_if(self, cond):
        self.nul = cond

    def branch(self, target, nullify):
        self.jump = (target, nullify.known)

    def cond_branch(self, taken, disp, nflag):
        self.cjump = (taken, disp.sknown, nflag.known)

    def call(self, name, *args):
        b = self.b
        slot = b.gep(self.env, [ir.Constant(I64, S.ENV_HELPERS + HELPER_INDEX[name])],
                     source_etype=I64)
        fp = b.inttoptr(b.load(slot, typ=I64), fnty=helper_type(name))
        return V.of(b, b.call(fp, [self.env] + [a.ir for a in args]))

    def insns_so_far(self):
        return V.of(self.b, self.b.load(self.em.count, typ=I64)) + 1

    def host_clock(self):
        """The TSC's common case inline (a call saves and restores the region's live
        registers around ~10 ns of rdtsc); the helper for the rest."""
        b, env = self.b, self.env

        def helper():
            return self.call("host_ns")
        # (without an invariant TSC every read is stale: its value is not used)
        _t, stale, ns = tsc_estimate(b, env, self.em.module.declare(RDTSC, RDTSC_FN))
        return self.if_else(stale, helper, lambda: never_backwards(b, env, ns))


class _NotHoisted(Exception):
    """An access whose address is not a function of the GRs alone (AddressCtx)."""


class AddressCtx(_AccessesOnly, RegionCtx):
    """Runs a later instruction's semantics where an earlier one starts, for the addresses
    of its accesses only (Emitter.hoisted_checks): GRs read as they are there (none of
    those it reads is set on the way), nothing written; the rest of the IR is dead."""

    def __init__(self, em: "Emitter", a: int):
        super().__init__(em)
        self.f, self.back = c32(a), c32(a + 4)
        self.accesses: list[tuple] = []      # (address, size, store)
        self.other = False                   # read a loaded value or state other than GRs

    def reg_ptr(self, index):
        i = index if isinstance(index, int) else index.known
        if i >= 32 and not S.REGS_FR.start <= i < S.REGS_FR.stop:
            self.other = True                # (a CR, SR or the carry may be set on the way)
        return super().reg_ptr(index)

    def _st(self, index, v):
        pass

    def _access(self, addr, size, store):
        if self.other:
            raise _NotHoisted
        self.accesses.append((addr, size, store))

    def check_store(self, addr, fault_addr):
        self._access(addr, 4, True)

    def poke8(self, addr, v, when):
        pass

    def readable(self, addr, need):
        raise _NotHoisted

    def call(self, name, *args):
        raise _NotHoisted

    def if_else(self, cond, then, otherwise, rare=False):
        raise _NotHoisted

    def insns_so_far(self):
        raise _NotHoisted

    def host_clock(self):
        raise _NotHoisted


class Emitter:
    """Builds one region's function in a (batch) module: one block per instruction."""

    def __init__(self, module, region: Region, hooks: dict[int, int], name: str):
        self.region = region
        self.hooks = hooks                     # address -> index in the hooks array
        self.module = module
        self.name = name
        self.fn = irtext.Function(module, REGION_FN, name, cconv=REGION_CC, ptr_attrs=" noalias")
        self.regs, self.mem, self.perm, self.page_slot, self.native, self.limit, self.env, \
            self.front = self.fn.args
        # per-install data: [the entry's native-table index, then the slot of each other page]
        self.other_pages = sorted(p for p in region.pages if p != region.page)
        self.data = irtext.Global(module, ir.ArrayType(I64, DATA_PAGES + len(self.other_pages)),
                                  f"{name}_data")
        self.b = irtext.IRBuilder(self.fn.append_basic_block("entry"))
        self.blocks: dict = {}                 # (address, PSW[N]) -> where that state goes
        self.exits: dict = {}                  # (word, cold) -> its way out (exit_block)
        self.code_blocks: dict = {}            # address -> the block of its instruction
        self.queue: list[int] = []
        self.cur_f, self.cur_back = 0, 0       # IAOQ of the instruction being emitted
        # Guest registers stay in ``regs``, LLVM forwarding the loads and stores within a
        # path, but for the values set again later, kept in allocas and stored in the ways
        # out they reach (write_back_state); the instruction count is an alloca too.
        b = self.b
        self.reg_ptrs: dict[int, ir.Value] = {}
        self.count = b.alloca(I64, name="count")
        self.state: dict[int, ir.Value] = {}     # regs index -> its placeholder (state_ptr)
        self.state_bit: dict[int, int] = {}      # regs index -> its bit in a register mask
        self.writes: dict = {}                   # block -> the registers it sets (a mask)
        self.leaving: dict = {}                  # block leaving the region -> cold (write_back_state)
        self.callers = self.callee_returns()
        self.tree = self.control_tree()
        self.idom = self.dominators()
        self.values = self.values_in()
        self.dominated: dict[int, list] = {}
        for a, d in sorted(self.idom.items()):
            if a != d:
                self.dominated.setdefault(d, []).append(a)
        self.plan = self.access_plan()
        self.hoists = self.hoist_plan()
        self.budget = self.budgets()
        self.forward = self.forward_plan()
        self.sources = set(self.forward.values())
        self.stored: dict = {}                  # a source's value, once emitted
        self.succ = None                        # instruction -> its ways on (on_cycle)
        self.ctx = RegionCtx(self)
        self.cur_f = region.entry
        self.prologue = b.block                 # register pointers go here (see finish)
        insns = self.reg_ptrs[S.REGS_CTL + S.CTL_INSNS] = b.gep(
            self.regs, [ir.Constant(I64, S.REGS_CTL + S.CTL_INSNS)], source_etype=I64)
        b.store(b.load(insns, typ=I64), self.count)
        self.start = self.new_block("start")
        b.position_at_end(self.start)
        if not region.entries:
            b.branch(self.entry_block(region.entry))
        else:                   # entered elsewhere (never installed so): the interpreter's
            front = V.of(b, self.front)
            b.switch(self.front, self.exit_block(front, front + 4, 0, 1, cold=True),
                     [(ir.Constant(I32, e), self.entry_block(e))
                      for e in region.entered_at])

    def entry_block(self, e: int) -> ir.Block:
        """Where the region starts when entered at ``e``: the accesses through the entry's
        stack and global-data pointers are checked (access_plan: start_checks), then its
        code.  The same checks at every entry: a value named ("in", r) at an instruction
        is r's value at whichever entry the region was entered by (values_in)."""
        b = self.b
        saved = b.block
        blk = self.new_block("enter")
        b.position_at_end(blk)
        self.cur_f, self.cur_back = e, e + 4
        for r, store, size, d, span in self.start_checks:
            a = V.of(b, b.load(self.state_ptr(r), typ=state_type(r))) + d
            self.check_access(a, size, store, (0, span))
        b.branch(self.goto(e))
        b.position_at_end(saved)
        return blk

    # -- guest state ----------------------------------------------------------------------
    def reg_ptr(self, i: int):
        """&regs[i], computed once in the prologue."""
        p = self.reg_ptrs.get(i)
        if p is None:
            b = self.b
            saved = b.block
            b.position_at_end(self.prologue)
            p = self.reg_ptrs[i] = b.gep(self.regs, [ir.Constant(I64, i)], source_etype=I64)
            b.position_at_end(saved)
        return p

    def state_ptr(self, i: int):
        """Where the semantics find regs[i]: a placeholder, resolved once the region is
        built (write_back_state) to an alloca of its own or to &regs[i].  FRs stay in
        ``regs`` (the FP helpers read and write them there)."""
        if S.REGS_FR.start <= i < S.REGS_FR.stop:
            return self.reg_ptr(i)
        p = self.state.get(i)
        if p is None:
            p = self.state[i] = irtext.Value(PTR, f"%st.{i}")
            self.state_bit[i] = 1 << len(self.state_bit)
        return p

    def wrote(self, i: int) -> None:
        """The current block stores into regs[i]'s state_ptr."""
        bit = self.state_bit.get(i)
        if bit is not None:
            blk = self.b.block
            self.writes[blk] = self.writes.get(blk, 0) | bit

    def add_count(self, k: int) -> None:
        b = self.b
        b.store(b.add(b.load(self.count, typ=I64), ir.Constant(I64, k)), self.count)

    def new_block(self, name: str) -> ir.Block:
        return self.fn.append_basic_block(name)

    def data_word(self, i: int):
        b = self.b
        return b.load(b.gep(self.data, [ir.Constant(I64, 0), ir.Constant(I64, i)],
                            source_etype=self.data.value_type), typ=I64)

    # -- leaving the region -------------------------------------------------------------
    def exit_block(self, f, back, n: int, ret: int, cold: bool = False,
                   shared: bool = True) -> ir.Block:
        """A block leaving the region with IAOQ (f, back) (ints or i32 V's), PSW[N] n and
        ret 1 if the interpreter must run the instruction at f itself: it stores the count
        and returns them as one word (state.RET_*; IAOQ values are word addresses).  Not
        stored into ``regs`` where the core reads them again, nor phis of one epilogue:
        LLVM would fold the exit blocks away, so that every guard on the hot path first
        set up their values, and its time per region grows with the stores.  Ways out
        with one constant word (the checks and the budget of one instruction) share a
        block, unless not ``shared``: the count and the registers it stores are those of
        the moment it runs (write_back_state), whichever way it is entered."""
        f, back = _v32(f), _v32(back)
        tag = (S.RET_NULLIFY if n else 0) | (S.RET_INTERPRET if ret else 0)
        key = None
        if shared and f.known is not None and back.known is not None:
            assert f.known & 3 == 0, "IAOQ values are word addresses"
            key = (back.known << 32 | f.known | tag, cold)
            if key in self.exits:
                return self.exits[key]
        b = self.b
        blk = self.new_block("exit")
        self.leaving[blk] = cold
        saved = b.block
        b.position_at_end(blk)
        word = f.zext(64) | (back.zext(64) << 32) | tag
        self.write_back()
        b.ret(word.ir)
        b.position_at_end(saved)
        if key is not None:
            self.exits[key] = blk
        return blk

    def fault_exit(self) -> ir.Block:
        """Leave with the state before the current instruction: the interpreter runs it."""
        return self.exit_block(self.cur_f, self.cur_back, 0, 1, cold=True)

    def guard(self, trap: V) -> None:
        """Leave for the interpreter (which raises the trap) when ``trap`` holds."""
        cont = self.new_block("no_trap")
        self.b.cbranch(trap.ir, self.fault_exit(), cont)
        self.b.position_at_end(cont)

    def check_access(self, a: V, size: int, store: bool, plan=None, also=None) -> None:
        """Continue only if the access is aligned and allowed (and, for a store, the page
        holds no decoded code); otherwise leave for the interpreter to fault or store.
        ``plan`` (access_plan): COVERED, an earlier check covered this access; (lo, hi),
        check the pages of a + lo and a + hi, covering the later accesses of its group.
        ``also``: an i1 of later accesses' checks (hoisted_checks), leaving here too."""
        if plan == COVERED:
            return
        bad = self.bad_access(a, size, store, plan)
        self.guard(bad if also is None else bad | also)

    def bad_access(self, a: V, size: int, store: bool, plan) -> V:
        """i1: the access fails check_access's test."""
        if store:
            def bad_page(x):
                return (self.rights(x, size) & (PERM_W | PERM_CODE)).ne(PERM_W)
        else:
            def bad_page(x):
                return (self.rights(x, size) & PERM_R).eq(0)
        if plan is None:
            bad = bad_page(a)
        else:                               # (the last access of the group: aligned too)
            lo, hi = plan
            bad = bad_page(a + lo) | bad_page(a + hi - (size - 1))
        return bad

    def hoist_plan(self) -> dict[int, list]:
        """Which instructions' access checks are made with an earlier one's (a guard and
        a way out less each): in a straight run of code -- each instruction the only way
        into the next, none of them a branch or nullifying -- an instruction that checks
        an access also checks those of the run's later instructions that read no GR set
        on the way (so their addresses are known there).  The later ones run whenever it
        does (but for a way out on the way), so this only leaves sooner, before an
        instruction the interpreter then runs, and only when one of them would fault."""
        facts, parent, _children, _into = self.tree

        def checked(a: int) -> bool:
            plan = self.plan.get(a)
            return bool(facts[a].accesses) and (plan is None or any(c != COVERED for c in plan))
        hoists: dict[int, list] = {}
        taken: set = set()
        for a in sorted(facts):
            if a in taken or not checked(a):
                continue
            p, written, later = a, set(), []
            while facts[p].kind == "simple" and not facts[p].nullifies:
                written |= facts[p].writes
                j = p + 4
                if None in written or (j >> 12) != (a >> 12) or j not in facts or \
                        parent.get(j) != (p, None, 0):
                    break
                if checked(j) and not facts[j].reads & written:
                    later.append(j)
                p = j
            if later:
                hoists[a] = later
                taken.update(later)
        return hoists

    def hoisted_checks(self, a: int) -> V | None:
        """At the start of instruction ``a``: the checks of the later accesses hoist_plan
        gives it (made COVERED where they are), as one i1, or None."""
        bad = None
        for j in self.hoists.get(a, ()):
            n = len(self.tree[0][j].accesses)
            plan = self.plan.get(j) or [None] * n
            ctx = AddressCtx(self, j)
            try:
                call_semantics(ctx, self.region.insns[j])
            except _NotHoisted:
                continue
            if len(ctx.accesses) != n:
                continue
            for (addr, size, store), p in zip(ctx.accesses, plan):
                if p != COVERED:
                    x = self.bad_access(addr, size, store, p)
                    bad = x if bad is None else bad | x
            self.plan[j] = [COVERED] * n
        return bad

    def rights(self, a: V, size: int) -> V:
        """The permission byte of a ``size``-byte access's page, or 0 when misaligned
        (coregen.page_rights, as arms and stencils check)."""
        return page_rights(self.b, self.perm, a, size,
                           lambda: self.module.declare("llvm.fshr.i32", ROTR_TYPE))

    def access_plan(self) -> dict[int, list]:
        """How each access is checked: merged checks for the accesses through one base
        register value.

        Each instruction's register values are named (values_in): the value a register
        had at the region's entry, the value an instruction (or a delay slot's copy on
        one edge) set, or a join's, plus a constant (a value is followed through ldo and
        copy, and through loops that give it back unchanged, as a call does its stack
        pointer).  Accesses of one size, loads or stores, at one value plus a constant
        form a group when the first one checked dominates the others (every path to them
        runs through it, and the value it used has not been set again since); it checks
        the pages of the group's lowest and highest byte (at most two: a group spans less
        than 4 KiB) and the alignment of its own address, which with displacements that
        are multiples of the size is the alignment of every member; the others need no
        check of their own, since nothing native code does changes a page's permissions.
        Accesses through the entry's stack or global-data pointer (START_CHECKED) are
        grouped the same way but checked once, before the entry (start_checks), so a loop
        through the region checks its frames and globals once, not on every round.
        Checking a group's pages early only ever leaves sooner, at an instruction the
        interpreter then runs.  Delay-slot copies check their own accesses."""
        reg, pr = self.region, self.region.prober
        values = self.values
        plan: dict[int, list] = {}
        groups: list[list] = []        # [anchor, its access, its displacement, low, high, members]
        at_start: dict[tuple, list] = {}   # (GR, store, size) -> its groups checked at the start

        def fits(g: list, d: int, size: int) -> bool:
            if max(g[4], d + size - 1) - min(g[3], d) >= 4096:
                return False
            g[3], g[4] = min(g[3], d), max(g[4], d + size - 1)
            g[5] += 1
            return True

        def visit(a: int, open_groups: dict) -> None:
            # open_groups: (value, store, size) -> its groups open here, a tuple; the dict
            # is the dominator's, copied only when a group opens (a copy per instruction
            # was a tenth of the worker's time)
            copied = False
            accesses = pr.accesses(reg.insns[a])
            value = values.get(a, {})
            if accesses:
                plan[a] = [None] * len(accesses)
                for k, (rb, d, size, store) in enumerate(accesses):
                    base, off = value.get(rb, (("alone", a, rb), 0))   # (code not reached)
                    d += off
                    if d % size:
                        continue
                    if base[0] == "in" and base[1] in START_CHECKED:
                        gs = at_start.setdefault((base[1], store, size), [])
                        if not any(fits(g, d, size) for g in gs):
                            gs.append([None, k, d, d, d + size - 1, 1])
                        plan[a][k] = COVERED
                        continue
                    gs = open_groups.get((base, store, size), ())
                    if any(fits(g, d, size) for g in gs):
                        plan[a][k] = COVERED
                    else:
                        g = [a, k, d, d, d + size - 1, 1]
                        if not copied:
                            open_groups, copied = dict(open_groups), True
                        open_groups[(base, store, size)] = gs + (g,)
                        groups.append(g)
            for w in self.dominated.get(a, ()):
                visit(w, open_groups)

        for a in sorted(self.tree[0]):
            if self.idom.get(a, ROOT) == ROOT:     # the entries, and code they never reach
                visit(a, {})
        for a, k, d, low, high, members in groups:
            if members > 1:
                plan[a][k] = (low - d, high - d)
        self.start_checks = [(r, store, size, low, high - low)
                             for (r, store, size), gs in sorted(at_start.items())
                             for _a, _k, _d, low, high, _m in gs]
        return {a: checks for a, checks in plan.items() if any(c is not None for c in checks)}

    def forward_plan(self) -> dict[tuple, tuple]:
        """Which word loads read the value a word store of the region put there: (load's
        instruction, its access index) -> the store's.  A load is given the stored value
        (RegionCtx.load) when, on every way to it, that store was the last one to write
        those bytes -- the way a call's epilogue reads back what its prologue saved, or a
        caller the result a callee stored on its stack.  Addresses are values_in's names
        plus a constant; stores through one name are told apart by their displacements,
        a store through another name (or an address of no name, or a helper or byte poke
        that may write memory) may write anywhere and forgets every value.  A name stops
        naming the value when what sets it runs again (its instruction, its edge's
        delay-slot copy, its join).  Must-availability: each instruction's set is the
        intersection of its ways in (none at an entry, nor at a loop's head), iterated
        from "everything" in reverse postorder until it settles.  A store that reaches a
        load on every way runs on every way to it, so its value dominates the load (the
        emitter makes each instruction once).  Nothing goes round a loop: another thread
        may write the word meanwhile, and a loop waiting for that (glibc's
        pthread_spin_lock reads its lock word after its own ldcw cleared it) must see it."""
        into = self.tree[3]
        reg, pr, values = self.region, self.region.prober, self.values
        if not values:
            return {}
        heads = set(self.budget)                     # the entries and the loops' heads
        ALL = None                                   # a store anywhere: forget everything

        def effects(a: int, rec: tuple, value: dict) -> list:
            """The accesses of ``rec`` as (name, displacement, size, store), or [ALL]."""
            f, acc = pr.facts(rec), pr.accesses(rec)
            if f.writes_memory:
                return [ALL]
            if acc is None:                          # (addresses of no name)
                return [ALL] if any(st for _sz, st in f.accesses) else []
            out = []
            for rb, d, size, store in acc:
                base, off = value.get(rb, (("alone", a, rb), 0))
                out.append((base, d + off, size, store))
            return out

        def apply(state: dict, eff: list, a: int | None, plan: dict | None) -> dict:
            for k, e in enumerate(eff):
                if e is ALL:
                    return {}
                name, d, size, store = e
                if not store:
                    if plan is not None and size == 4 and (name, d) in state:
                        plan[(a, k)] = state[(name, d)]
                    continue
                state = {(n, x): site for (n, x), site in state.items()
                         if n == name and (x + 4 <= d or d + size <= x)}
                if size == 4 and a is not None:
                    state[(name, d)] = (a, k)
            return state

        def forget(state: dict, stale) -> dict:
            return {key: site for key, site in state.items() if not stale(key[0])}

        # each instruction's effects, and each delay-slot copy's (its GR values: those
        # after its branch), worked out once, not every round of the iteration
        own = {w: effects(w, reg.insns[w], values.get(w, {})) for w in self.rpo}
        slot = {(p, ds): effects(ds, reg.record(ds), self.after(
                    reg.insns[p], ("def", p), values.get(p, {})))
                for w in self.rpo for p, ds, _n in into.get(w, ()) if ds is not None}

        def edge_in(p: int, ds: int | None, w: int) -> dict:
            state = out[p]
            if ds is not None:             # the slot's copy: no source, its stores forget
                state = apply(state, slot[(p, ds)], None, None)
                state = forget(state, lambda n: n[:3] == ("copy", p, w))
            return state

        out: dict[int, dict] = {}
        ins: dict[int, dict] = {}
        changed = True
        while changed:
            changed = False
            for w in self.rpo:
                ways = [edge_in(p, ds, w) for p, ds, _n in into.get(w, ()) if p in out]
                if w in heads:
                    ways.append({})
                if not ways:
                    continue
                new = ways[0]
                for other in ways[1:]:
                    new = {key: site for key, site in new.items() if other.get(key) == site}
                new = forget(new, lambda n: n[:2] == ("phi", w))
                ins[w] = new
                state = apply(new, own[w], w, None)
                state = forget(state, lambda n: n[:2] == ("def", w))
                if out.get(w) != state:
                    out[w] = state
                    changed = True
        plan: dict = {}
        for w, state in ins.items():
            apply(state, own[w], w, plan)
        return plan

    def successors(self, targets) -> dict[int, list]:
        """Instruction -> the ones its ways out reach (control_tree's ways in, turned
        around), each list in the order of ``targets``."""
        into = self.tree[3]
        succ: dict[int, list] = {}
        for w in targets:
            for p, _ds, _n in into[w]:
                succ.setdefault(p, []).append(w)
        return succ

    def dominators(self) -> dict[int, int]:
        """The immediate dominator of each instruction the entries reach (the ways in of
        control_tree), the entries hanging from ROOT (Cooper, Harvey and Kennedy's
        iteration over the reverse postorder)."""
        facts, _parent, _children, into = self.tree
        entries = self.region.entered_at
        succ = self.successors(sorted(into))
        succ[ROOT] = entries
        order, seen, stack = [], {ROOT}, [(ROOT, iter(entries))]
        while stack:                           # depth-first, postorder
            a, it = stack[-1]
            w = next(it, None)
            if w is None:
                order.append(a)
                stack.pop()
            elif w not in seen:
                seen.add(w)
                stack.append((w, iter(succ.get(w, ()))))
        order.reverse()
        self.rpo = order[1:]
        index = {a: i for i, a in enumerate(order)}
        idom = {ROOT: ROOT}
        root_way = [(ROOT, None, 0)]
        changed = True
        while changed:
            changed = False
            for w in order[1:]:
                new = None
                for p, _ds, _n in (root_way + into[w] if w in entries else into[w]):
                    if p not in idom:
                        continue
                    if new is None:
                        new = p
                        continue
                    x, y = p, new
                    while x != y:
                        while index[x] > index[y]:
                            x = idom[x]
                        while index[y] > index[x]:
                            y = idom[y]
                    new = x
                if idom.get(w) != new:
                    idom[w] = new
                    changed = True
        return idom

    def after(self, rec: tuple, name: tuple, value: dict) -> dict:
        """GR values (values_in) after instruction ``rec``, its writes named ``name``."""
        pr = self.region.prober
        out = dict(value)
        writes = pr.facts(rec).writes
        for r in (out if None in writes else writes):
            if r in out:
                out[r] = ((*name, r), 0)
        for t, (b, k) in pr.moves(rec).items():
            if t in out:
                out[t] = (value[b][0], value[b][1] + k)
        return out

    def values_in(self) -> dict[int, dict]:
        """The value of each GR an access may use (its base, or a GR a move makes it
        from) when each instruction the entry reaches starts, as (name, constant added):
        ("in", r) the entry's, ("def", a, r) what instruction ``a`` wrote, ("copy", p, w,
        r) what the delay slot's copy on the edge p -> w wrote, ("phi", w, r) a join's
        whose ways in disagree.  Moves (ldo, copy) keep the name and add their constant.
        A join takes the value its ways in agree on, not counting those not known yet or
        bringing the join's own (a loop that gives a value back unchanged); a join seen
        many times keeps the name of its own it once had, so that joins feeding each other
        settle.  The values that settle agree with every way in, so each name holds one
        value from where it is set to every instruction that sees it."""
        _facts, _parent, _children, into = self.tree
        reg, pr = self.region, self.region.prober
        entries = set(reg.entered_at)
        tracked = {rb for a in self.rpo for rb, *_rest in (pr.accesses(reg.insns[a]) or ())}
        recs = [reg.insns[a] for a in self.rpo] + [reg.record(a + 4) for a in reg.flow]
        grew = True
        while grew:                                   # ... and what they are moved from
            grew = False
            for rec in recs:
                for t, (b, _k) in pr.moves(rec).items():
                    if t in tracked and b not in tracked:
                        tracked.add(b)
                        grew = True
        tracked = sorted(tracked)
        succ = self.successors(self.rpo)
        start = {r: (("in", r), 0) for r in tracked}
        values: dict[int, dict] = {}
        out: dict[int, dict] = {}                     # values after each instruction
        phis: set = set()             # (join, r) that keep their own name from now on
        seen: dict[int, int] = {}
        work, queued = list(reversed(self.rpo)), set(self.rpo)
        while work:
            w = work.pop()
            queued.discard(w)
            seen[w] = seen.get(w, 0) + 1
            if seen[w] > 64:
                return {}              # (not settled: every access checks itself)
            incoming = [start] if w in entries else []
            for p, ds, _n in into[w]:
                if p in out:
                    incoming.append(out[p] if ds is None else
                                    self.after(reg.record(ds), ("copy", p, w), out[p]))
            if len(incoming) == 1:                     # one way in: its values
                new = incoming[0]
            else:
                new = self.join(w, incoming, tracked, phis, seen[w] > 8)
            if new != values.get(w):
                values[w] = new
                out[w] = self.after(reg.insns[w], ("def", w), new)
                for x in succ.get(w, ()):
                    if x not in queued:
                        queued.add(x)
                        work.append(x)
        return values

    @staticmethod
    def join(w: int, incoming: list, tracked, phis: set, settle: bool) -> dict:
        """The values at join ``w`` (values_in)."""
        new = {}
        for r in tracked:
            phi = (("phi", w, r), 0)
            vs = {inc[r] for inc in incoming} - {phi}
            if len(vs) == 1 and (w, r) not in phis:
                new[r] = vs.pop()
            else:
                new[r] = phi
                if settle:                 # loops of joins feeding each other settle
                    phis.add((w, r))
        return new

    def control_tree(self) -> tuple[dict, dict, dict, dict]:
        """(facts, parent, children, into): the region's compiled instructions (address ->
        its probe), the trees of those with one way in, and every instruction's ways in
        (into[a]: (from, delay slot run on the way or None, instructions counted)).  The
        ways in are the control flow as the emitter makes it (goto): a fall-through, a
        nullification's skip, a branch through its delay slot, the targets tried after an
        indirect branch.  An instruction with exactly one, but for the entry, continues
        the instruction it comes from: parent[a] = (that instruction, the delay slot run
        on the way or None, the instructions counted on the way: a delay slot, a skipped
        one)."""
        reg, pr = self.region, self.region.prober
        facts = {a: pr.facts(rec) for a, rec in reg.insns.items() if compiles(rec)}
        into: dict[int, list] = {a: [] for a in facts}

        def edge(p: int, w: int, n: int, ds=None, counted: int = 0) -> None:
            """The way in that goto(w, n) makes, from ``p`` (after delay slot ``ds``)."""
            if n:                                  # w is skipped: on at w + 4
                if not (reg.in_region(w) and reg.in_region(w + 4)):
                    return
                w += 4
            if w in facts:
                into[w].append((p, ds, counted + n))

        def through_slot(p: int, targets, skip: bool, dynamic: bool = False) -> None:
            if skip:                               # the slot nullified: counted
                for t in targets:
                    edge(p, t, 0, None, 1)
                return
            rec = reg.record(p + 4)
            if (p + 4) >> 12 != p >> 12 or not compiles(rec) or pr.kind(rec) != "simple":
                return                             # the interpreter runs the slot
            for t in targets:
                edge(p, t, 0, p + 4, 1)
                if pr.nullifies(rec) and not dynamic:
                    edge(p, t, 1, p + 4, 1)

        for a, f in facts.items():
            if f.kind == "simple":
                edge(a, a + 4, 0)
                if f.nullifies:
                    edge(a, a + 4, 1)
            elif f.kind == "cond":
                edge(a, a + 4, 1 if f.skips else 0)
                through_slot(a, [reg.flow[a].target], f.skips_taken)
            elif reg.flow[a].target is not None:
                through_slot(a, [reg.flow[a].target], bool(reg.flow[a].nullify))
            else:
                through_slot(a, self.dynamic_targets(a), bool(reg.flow[a].nullify), True)
        entries = set(reg.entered_at)
        parent = {w: ins[0] for w, ins in into.items() if len(ins) == 1 and w not in entries}
        children: dict[int, list] = {}
        for w, (p, _ds, _n) in parent.items():
            children.setdefault(p, []).append(w)
        return facts, parent, children, into

    def budgets(self) -> dict[int, int]:
        """Where the instruction budget is checked, and for how many instructions: at the
        entry and at the head of each loop -- the target of a back edge of a depth-first
        search from the entry, since every cycle runs through one -- for the longest way
        from there to the next check or out of the region (its instructions, those
        counted on its edges) plus what leaving may count (a delay slot and a skipped
        target) and one.  Cut at the checks, the ways through the region form no cycle.
        (A check at every join cost LLVM 1-4 % more time per region.)"""
        into = self.tree[3]
        entries = self.region.entered_at
        succ: dict[int, list] = {a: [] for a in into}       # a -> (way on, counted on it)
        for w, ways in into.items():
            for p, _ds, n in ways:
                succ[p].append((w, n))
        graph = {a: [w for w, _n in ways] for a, ways in succ.items()}
        graph[ROOT] = entries
        heads = {*entries, *_back_edge_targets(ROOT, graph)}
        longest: dict[int, int] = {}

        def way(a: int) -> int:
            if a not in longest:
                longest[a] = 1 + max((n + (0 if w in heads else way(w)) for w, n in succ[a]),
                                     default=0)
            return longest[a]
        return {a: way(a) + 3 for a in heads}

    def dynamic_targets(self, a: int) -> list[int]:
        """Where the region goes on after the indirect branch at ``a`` (reading one GR):
        the return points of the region's calls through that register (through either
        link register for a return: $$dyncall's caller copies r31 to rp), of other
        regions' calls, and the targets guessed for it; elsewhere it leaves."""
        reg = self.region
        reads = reg.flow[a].reads if a in reg.flow else set()
        if len(reads) != 1:
            return []
        link = next(iter(reads))
        if link in (2, 31) and a in self.callers:      # a return from a callee of the region
            points = set(self.callers[a])
        elif link in (2, 31):
            points = reg.returns.get(2, set()) | reg.returns.get(31, set()) | set(reg.other_returns)
        else:
            points = reg.returns.get(link, set())
        return sorted(r for r in points | set(reg.jumps.get(a, ())) if r in reg.insns)

    def callee_returns(self) -> dict[int, set]:
        """Indirect branch -> the return points of the region's calls into the functions
        it belongs to: the code a call target reaches by falling through, branching (a
        call's own return point standing in for the callee) and the jumps guessed for
        its indirect branches (a tail call through $$dyncall).  A return there goes back
        to those calls (the emitted code still compares), so the values of each return
        point come from its own call's callee only."""
        reg, pr = self.region, self.region.prober
        callers: dict[int, set] = {}
        for entry in sorted({t for c, t in reg.calls.items() if t != c + 8}):   # (not bl .+8)
            points = {c + 8 for c, t in reg.calls.items() if t == entry}
            seen, work = set(), [entry]
            while work:
                x = work.pop()
                if x in seen or x not in reg.insns or not compiles(reg.insns[x]):
                    continue
                seen.add(x)
                f = reg.flow.get(x)
                if f is None:
                    work += [x + 4, x + 8] if pr.nullifies(reg.insns[x]) else [x + 4]
                elif x in reg.calls:
                    work.append(x + 8)
                elif f.kind == "cond":
                    work += [x + 4, x + 8, f.target]
                elif f.target is not None:
                    work.append(f.target)
                else:
                    callers.setdefault(x, set()).update(points)
                    work += reg.jumps.get(x, ())
        return callers

    def chain_block(self, target) -> ir.Block:
        """Continue at a target outside the region (int or i32 V): tail-call its region
        when it has one, else hand it to the interpreter (return 0)."""
        b = self.b
        blk = self.new_block("chain")
        saved = b.block
        b.position_at_end(blk)
        t = target if isinstance(target, V) else c32(target)
        t64 = t.zext(64)
        slot = V.of(b, b.load(b.gep(self.page_slot, [(t64 >> 12).ir], source_etype=I32),
                              typ=I32))
        miss = self.exit_block(t, t + 4, 0, 0, shared=False)
        del self.leaving[miss]                  # (its two ways out store what they need here)
        self.leaving[blk] = False
        look = self.new_block("lookup")
        b.cbranch(slot.sge(0).ir, look, miss)
        b.position_at_end(look)
        idx = (slot.sext(64) << 10) | ((t64 >> 2) & 1023)
        fp = V.of(b, b.load(b.gep(self.native, [idx.ir], source_etype=I64), typ=I64))
        call = self.new_block("tailcall")
        b.cbranch(fp.sgt(0).ir, call, miss)
        b.position_at_end(call)
        self.write_back()
        fptr = b.inttoptr(fp.ir, fnty=REGION_FN)
        b.ret(b.call(fptr, self.fn.args[:-1] + [t.ir], tail="musttail", cconv=REGION_CC))
        b.position_at_end(saved)
        return blk

    def write_back(self) -> None:
        """Store the instruction count (all else already lives in ``regs``)."""
        self.b.store(self.b.load(self.count, typ=I64), self.reg_ptr(S.REGS_CTL + S.CTL_INSNS))

    def write_back_state(self) -> None:
        """Decide where each value the region sets in a register goes (state_ptr).

        A value set in a block is stored into ``regs`` there, as the interpreter would,
        unless it is set again on some way on (it may be dead: a carry vector, a scratch
        register, a loop's value the next round sets again), it may reach at most
        DEFER_EXITS ways out of the region before that, and none of them is a warm one
        -- a tail call or a return to the interpreter other than a fault's, the budget's
        or a stale page's, and not after a loop of the region (left once per loop): the
        region's usual way on, where the value would be stored all the same, only later
        and after LLVM kept it in a register or a spill slot that long (bc: 2 % slower).
        Then it is *deferred*, kept in an alloca (an SSA value once LLVM's SROA is done)
        and stored only in those ways out, each storing the registers whose deferred
        values may reach it.  So every way out
        (a fault's included) finds in ``regs`` what storing every value where it is set
        would have left there, while a loop round stores only what the next round will
        not set again.  Registers with no deferred value stay in ``regs``
        (their placeholder becomes &regs[i]); the others get an alloca, loaded from
        ``regs`` in the prologue, and their values set and not deferred are stored into
        ``regs`` at the end of their block.  One forward dataflow over the function's
        blocks (from their terminators: every block is built by now): which values
        reach each block, as a bit per (block, register it sets)."""
        blocks = self.fn.blocks
        n = len(blocks)
        number = {blk: k for k, blk in enumerate(blocks)}
        succ = [[number[t] for t in blk.succ] if blk.succ else [] for blk in blocks]
        # the values: one bit each, per (block, register it sets)
        of_reg: dict = {}                  # register bit number -> the bits of its values
        gen = [0] * n                      # block -> the bits of the values it sets
        kill = [0] * n                     # ... and of every value of those registers
        values: list = []                  # value bit number -> (block, register bit)
        for blk, mask in self.writes.items():
            k = number[blk]
            for bit in _bits(mask):
                gen[k] |= 1 << len(values)
                of_reg[bit] = of_reg.get(bit, 0) | (1 << len(values))
                values.append((blk, 1 << bit))
        for blk, mask in self.writes.items():
            k = number[blk]
            for bit in _bits(mask):
                kill[k] |= of_reg[bit]
        reach = [0] * n                    # block -> the values that may reach its start
        out = [-1] * n                     # ... its end (-1: not worked out yet)
        work = list(range(n - 1, -1, -1))
        queued = [True] * n
        while work:
            k = work.pop()
            queued[k] = False
            new = (reach[k] & ~kill[k]) | gen[k]
            if new != out[k]:
                out[k] = new
                for t in succ[k]:
                    if reach[t] | new != reach[t]:
                        reach[t] |= new
                        if not queued[t]:
                            queued[t] = True
                            work.append(t)
        set_again = 0
        for k in range(n):
            if kill[k]:
                set_again |= reach[k] & kill[k]
        leaving = {blk: reach[number[blk]] for blk in self.leaving}
        many = _more_than([m & set_again for m in leaving.values()], DEFER_EXITS)
        after_loop = _after_cycles(number[self.start], succ)
        warm = 0
        for blk, cold in self.leaving.items():
            if not cold and number[blk] not in after_loop:
                warm |= leaving[blk]
        deferred = set_again & ~many & ~warm
        kept = 0                           # registers with a deferred value: an alloca each
        deferred_of: dict = {}             # register bit -> its deferred values
        for bit, vs in of_reg.items():
            if vs & deferred:
                kept |= 1 << bit
                deferred_of[1 << bit] = vs & deferred
        b = self.b
        b.position_at_end(self.prologue)
        for i, bit in self.state_bit.items():
            name = self.state[i].ref
            if kept & bit:
                b._line(f"{name} = alloca {state_type(i)}")
                b.store(b.load(self.reg_ptr(i), typ=state_type(i)), self.state[i])
            else:
                b._line(f"{name} = getelementptr i64, ptr {self.regs.ref}, i64 {i}")
        targets = {i: self.reg_ptr(i).ref for i, bit in self.state_bit.items() if kept & bit}
        new_name = self.fn.new_name

        def stores(mask: int) -> list[str]:
            """Lines storing the registers of ``mask`` from their allocas into ``regs``."""
            lines = []
            for i, bit in self.state_bit.items():
                if mask & bit:
                    v, t = new_name(), state_type(i)
                    lines += (f"  {v} = load {t}, ptr {self.state[i].ref}",
                              f"  store {t} {v}, ptr {targets[i]}")
            return lines
        eager: dict = {}
        for v, (blk, bit) in enumerate(values):
            if kept & bit and not deferred >> v & 1:
                eager[blk] = eager.get(blk, 0) | bit
        for blk, mask in eager.items():
            blk.lines[-1:-1] = stores(mask)
        for blk, m in leaving.items():
            mask = 0
            for bit, vs in deferred_of.items():
                if m & vs:
                    mask |= bit
            if mask:
                blk.lines[:0] = stores(mask)

    def finish(self) -> None:
        """Place the register values (write_back_state) and close the prologue."""
        b = self.b
        self.write_back_state()
        b.position_at_end(self.prologue)
        b.branch(self.start)

    # -- control flow -------------------------------------------------------------------
    def goto(self, a: int, n: int = 0, src: int | None = None) -> ir.Block:
        """The block continuing at front ``a``, back a + 4, with PSW[N] = n, from code on
        page ``src`` (default: the current instruction's)."""
        a &= M32
        src = self.cur_f >> 12 if src is None else src
        crossing = (a >> 12) != src and (a >> 12) != self.region.page
        key = (a, n, crossing)
        if key in self.blocks:
            return self.blocks[key]
        reg = self.region
        if n:                       # a is nullified: count it and go on at a + 4
            if reg.in_region(a) and reg.in_region(a + 4):
                blk = self.new_block(f"skip_{a:x}")
                saved = self.b.block
                self.b.position_at_end(blk)
                self.add_count(1)
                self.b.branch(self.goto(a + 4, src=a >> 12))
                self.b.position_at_end(saved)
            else:
                blk = self.exit_block(a, a + 4, 1, 1)
        elif a in reg.insns:
            blk = self.code_blocks.get(a)
            if blk is None:
                blk = self.code_blocks[a] = self.new_block(f"i_{a:x}")
                self.queue.append(a)
            if crossing:
                blk = self.page_guard(a, blk)
        else:
            blk = self.chain_block(a)
        self.blocks[key] = blk
        return blk

    def page_guard(self, a: int, code: ir.Block) -> ir.Block:
        """Entering the code of another page at ``a``: is it still the code compiled?  The
        page's slot in the decode cache says (a store into a page's code, mprotect or
        munmap takes it away; a cache flush clears every region; a cached region installed
        before a page was decoded has NO_SLOT for it).  If not, forget this region (it is
        rebuilt or looked up again when hot) and leave.  Code going on within the page
        needs no second look: nothing native code does takes a slot away (a store into a
        page holding code leaves for the interpreter first)."""
        b = self.b
        blk = self.new_block(f"guard_{a:x}")
        saved = b.block
        k = DATA_PAGES + self.other_pages.index(a >> 12)
        # (code on a cycle: the slot is looked at once, in the prologue -- it cannot change
        # while the region runs -- not every round of a loop)
        b.position_at_end(self.prologue if self.on_cycle(a) else blk)
        slot = b.sext(b.load(b.gep(self.page_slot, [ir.Constant(I64, a >> 12)],
                                   source_etype=I32), typ=I32), I64)
        same = b.icmp_signed("==", slot, self.data_word(k))
        b.position_at_end(blk)
        stale = self.new_block(f"stale_{a:x}")
        b.cbranch(same, code, stale)
        b.position_at_end(stale)
        b.store(ir.Constant(I64, 0), b.gep(self.native, [self.data_word(0)], source_etype=I64))
        b.branch(self.exit_block(a, a + 4, 0, 0, cold=True))
        b.position_at_end(saved)
        return blk

    def on_cycle(self, a: int) -> bool:
        """Can instruction ``a`` run again in one run of the region (a loop through it)?"""
        if self.succ is None:
            self.succ = self.successors(sorted(self.tree[3]))
        seen, work = set(), list(self.succ.get(a, ()))
        while work:
            w = work.pop()
            if w == a:
                return True
            if w not in seen:
                seen.add(w)
                work += self.succ.get(w, ())
        return False

    def goto_dynamic(self, t: V, n: int, returns=()) -> ir.Block:
        """Continue at a run-time target ``t`` (i32) after a delay slot. ``returns``: the
        region's return points for this link register, tried first (a call's return)."""
        if n:
            return self.exit_block(t, t + 4, 1, 1)
        if not returns:
            return self.chain_block(t)
        b = self.b
        saved = b.block
        first = self.new_block("return")
        b.position_at_end(first)
        for r in sorted(returns):
            other = self.new_block("return")
            b.cbranch(t.eq(r).ir, self.goto(r), other)
            b.position_at_end(other)
        b.branch(self.chain_block(t))
        b.position_at_end(saved)
        return first

    # -- instructions -------------------------------------------------------------------
    def run(self) -> None:
        while self.queue:
            a = self.queue.pop()
            self.b.position_at_end(self.code_blocks[a])
            rec = self.region.insns[a]
            if not compiles(rec):                   # the interpreter's
                self.b.branch(self.exit_block(a, a + 4, 0, 1))
                continue
            if a in self.budget:                     # budget check
                cont = self.new_block("go")
                b = self.b
                need = b.add(b.load(self.count, typ=I64), ir.Constant(I64, self.budget[a]))
                b.cbranch(b.icmp_signed(">", need, self.limit),
                          self.exit_block(a, a + 4, 0, 1, cold=True), cont)
                b.position_at_end(cont)

            self.emit(a, a + 4, rec, lambda n, a=a: self.goto(a + 4, n))
        self.finish()

    def finish_simple(self, nullify: V | None, cont) -> None:
        """Count the instruction and go on, over the next one if ``nullify`` holds."""
        self.add_count(1)
        if nullify is None or nullify.known == 0:
            self.b.branch(cont(0))
        elif nullify.known:
            self.b.branch(cont(1))
        else:
            self.b.cbranch(nullify.ir, cont(1), cont(0))

    def emit(self, a: int, back, rec, cont, copy: bool = False) -> None:
        """One instruction at ``a`` (IAOQ back ``back``); ``cont(n)`` is what follows."""
        self.cur_f, self.cur_back = a, back
        b = self.b
        if a in self.hooks:                      # --stats: count this vDSO entry
            hooks = b.inttoptr(b.load(b.gep(self.env, [ir.Constant(I64, S.ENV_HOOKS)],
                                            source_etype=I64), typ=I64), PTR)
            p = b.gep(hooks, [ir.Constant(I64, 3 * self.hooks[a] + S.HOOK_COUNT)],
                      source_etype=I64)
            b.store(b.add(b.load(p, typ=I64), ir.Constant(I64, 1)), p)
        ctx = self.ctx
        ctx.begin(a, back, copy)
        call_semantics(ctx, rec)
        assert ctx.also is None, "hoisted checks left unmade"
        if ctx.jump is not None:                 # (never in a delay-slot copy)
            target, nflag = ctx.jump
            self.add_count(1)
            returns = self.dynamic_targets(a) if target.known is None else ()
            self.delay_slot_then(a, target, bool(nflag), returns)
        elif ctx.cjump is not None:
            taken, disp, nflag = ctx.cjump
            self.cond_branch(a, taken, disp, nflag)
        else:
            self.finish_simple(ctx.nul, cont)

    def delay_slot_then(self, a: int, target: V, skip: bool, returns=()) -> None:
        """After the branch at ``a``: its delay slot (unless ``skip``), then ``target``."""
        ds = a + 4
        if target.known is not None:
            t = target.known
            cont = lambda n: self.goto(t, n)                        # noqa: E731
        else:
            cont = lambda n: self.goto_dynamic(target, n, returns)  # noqa: E731
        if skip:
            self.add_count(1)
            self.b.branch(cont(0))
            return
        rec = self.region_rec(ds)
        if (ds >> 12) != (a >> 12) or not compiles(rec) or self.region.prober.kind(rec) != "simple":
            # a branch (or an op the interpreter must run) in the slot: leave with IAOQ
            # (slot, target) and let the interpreter run it
            self.b.branch(self.exit_block(ds, target, 0, 1))
            return
        saved = self.cur_f, self.cur_back
        self.emit(ds, target, rec, cont, copy=True)
        self.cur_f, self.cur_back = saved

    def region_rec(self, a: int):
        rec = self.region.insns.get(a)
        return rec if rec is not None else self.region.record(a)

    def cond_branch(self, a: int, taken: V, disp: int, nflag: int) -> None:
        """Taken: delay slot then a + 8 + disp; not taken: on at a + 4. ``,n`` nullifies
        the slot of a taken forward or a not-taken backward branch."""
        b = self.b
        self.add_count(1)
        not_taken = self.goto(a + 4, 1 if (nflag and disp < 0) else 0)
        if taken.known is not None:
            if not taken.known:
                b.branch(not_taken)
                return
        else:
            t_bb = self.new_block("taken")
            b.cbranch(taken.ir, t_bb, not_taken)
            b.position_at_end(t_bb)
        self.delay_slot_then(a, c32((a + 8 + disp) & M32), bool(nflag and disp >= 0))


def _more_than(masks, limit: int) -> int:
    """The bits set in more than ``limit`` of ``masks`` (counted bit-sliced: plane i of
    the counters holds bit i of every bit's count)."""
    planes = [0] * limit.bit_length()
    over = 0                               # counts past the planes
    for m in masks:
        carry = m
        for i, plane in enumerate(planes):
            planes[i] = plane ^ carry
            carry &= plane
        over |= carry
    more = over
    for i, plane in enumerate(planes):
        if not limit >> i & 1:             # count > limit: bit i set where the limit's is
            for j in range(i + 1, len(planes)):    # not, and the bits above equal
                plane &= planes[j] if limit >> j & 1 else ~planes[j]
            more |= plane
    return more


def _after_cycles(root: int, succ: list) -> set:
    """The nodes reachable from a cycle of the graph (from ``root``): those reachable from
    the target of a back edge of a depth-first search, since every cycle has one."""
    targets = _back_edge_targets(root, succ)
    seen = set(targets)
    while targets:
        for w in succ[targets.pop()]:
            if w not in seen:
                seen.add(w)
                targets.append(w)
    return seen


def _back_edge_targets(root: int, succ) -> list:
    """The targets of the back edges of a depth-first search of the graph from ``root``
    (``succ[v]``: v's successors): every cycle it reaches runs through one."""
    state = {root: 1}                      # 1: on the search's stack, 2: done
    stack = [(root, iter(succ[root]))]
    targets = []
    while stack:
        v, it = stack[-1]
        w = next(it, None)
        if w is None:
            state[v] = 2
            stack.pop()
        elif w not in state:
            state[w] = 1
            stack.append((w, iter(succ[w])))
        elif state[w] == 1:
            targets.append(w)
    return targets


def _bits(mask: int):
    """The numbers of the bits set in ``mask``."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def state_type(i: int) -> ir.IntType:
    """How a region reads and writes regs[i]: a GR as the low word of its slot, whose high
    word is always zero (every GR value is 32 bits; the host is little-endian), so no
    extension on a write nor truncation on a read; the rest as the whole slot."""
    return I32 if i < 32 else I64


def _v32(x) -> V:
    return x if isinstance(x, V) else c32(x & M32)


# A region is entered at up to OTHER_ENTRIES other targets (other_entries).  Without them,
# a fifth of the code compiled in a cold run was compiled again, as regions at targets
# inside regions installed (entered from code left to the interpreter); bzip2 -9 compiled
# 1372 instructions, 1100 with them.  Measured cold (7-9 paired rounds): bzip2 -9 0.93-0.95x,
# bc pi-300 0.93x, bc pi-600 1.01x, the Tcl suite 0.97x (3); warm runs as fast.  8 or 16
# entries no better (bc pi-600 1.05x with 16); at 16 or 256 entries instead of 64, the same.
# Only while the guest runs: a region compiled for the code cache after its exit is shaped
# for its own entry, not for others (the first warm run of bzip2 -d, whose regions are all
# compiled after its exit, took 0.036 s instead of 0.023 in 2 of 6 tries with them).
OTHER_ENTRIES = 4
OTHER_ENTRY_AT = int(os.environ.get("HPPA_USER_JIT_OTHER_ENTRY_AT", "64"))


def other_entries(region: Region, entries_of) -> list[int]:
    """The instructions of ``region`` on its entry's page that the interpreter entered by a
    branch OTHER_ENTRY_AT times or more, the OTHER_ENTRIES most entered: the region is
    entered there too."""
    counted = []
    for a, rec in region.insns.items():
        if a != region.entry and a >> 12 == region.page and compiles(rec):
            n = entries_of(a)
            if n is not None and n >= OTHER_ENTRY_AT:
                counted.append((n, a))
    return sorted(a for _n, a in sorted(counted, reverse=True)[:OTHER_ENTRIES])


# ---- building and compiling a batch --------------------------------------------------------------

class RegionGen:
    """The region compiler's generator side (jit.RegionCompiler holds one, made when first
    wanted): regions built from a worker's view of the guest code and compiled, and the
    control-flow facts of an instruction word its weighing of a target needs (step)."""

    def __init__(self):
        self.prober = Prober()
        self.tm = None                    # the LLVM target machine
        self._serial = 0
        self._steps: dict[int, object] = {}    # instruction word -> its step

    def step(self, word: int):
        """What RegionCompiler.path_length needs of an instruction word (the same for every
        address it is at, so worked out once per word): None (the interpreter runs it),
        "on" (the next instruction follows), or (a call, its target relative to the
        instruction, the constant target or None) for a branch."""
        step = self._steps.get(word, False)
        if step is False:
            rec = Table.get().record(word)
            if not compiles(rec):
                step = None
            elif self.prober.variant_kind(rec) != "branch":
                step = "on"
            else:
                probes = [self.prober.probe(base, rec) for base in (0x10000, 0x20000)]
                if any(p.kind != "branch" for p in probes):
                    step = "on"
                else:
                    first, second = probes
                    call = any(v == 0x10008 | 3 for v in first.links.values())
                    if first.target is None:
                        step = (call, False, None)
                    elif second.target - first.target == 0x10000:   # IA-relative
                        step = (call, True, (first.target - 0x10000) & M32)
                    else:
                        step = (call, False, first.target)
            self._steps[word] = step
        return step

    def build_region(self, entry: int, view: CodeView, size: int = MAX_REGION) -> Region | None:
        counted = view.entries_of(entry)
        region = Region(entry, view.word, view.slot, view.executed, self.prober, view.returns,
                        counted, view.jumps, view.installed, size)
        for points in region.returns.values():
            view.returns.update(points)              # for the batch's next regions
        if entry not in region.insns or not compiles(region.insns[entry]):
            return None
        if view.running:       # (after the guest's exit compiling costs nobody time)
            # (the batch's other targets counted as they were when asked)
            region.entries = other_entries(region, lambda a: view.entries.get(a) or counted(a))
        return region

    def compile(self, batch: list[int], view: CodeView, key,
                size: int | None = None) -> tuple[bytes | None, list[dict], list[int]]:
        """The regions at the entries of ``batch`` as one module's object code, per region
        what installing it needs (its symbols and the slots its pages had), and the
        entries left out because an earlier region of the batch holds their code.
        ``key(page_bytes, entry, pages)``: what a region was built from (jit.CodeCache.key),
        compiled into its object as ``<fn>_key`` for a code-cache lookup to check.
        ``size``: the most instructions a region holds (None: MAX_REGION)."""
        module = irtext.Module()
        out = []
        hooks = {a: h for h, a in enumerate(memoryview(view.hooks).cast("q").tolist())}
        built: set[int] = set()                  # instructions of the batch's regions so far
        covered = []
        for entry in batch:
            if entry in built:                   # its code is native already (jit.count_again)
                covered.append(entry)
                continue
            region = self.build_region(entry, view, size or MAX_REGION)
            if region is None:
                continue
            built.update(region.insns)
            view.installed.update(region.entered_at)   # (the batch's next regions go to it)
            self._serial += 1
            name = f"region_{entry:08x}_{self._serial}"
            Emitter(module, region, hooks, name).run()
            irtext.Global(module, None, f"{name}_key",
                          key(view.page_bytes, entry, region.pages, None, region.entries)
                          + b"\0")
            out.append({"entry": entry, "fn": name, "entries": region.entries,
                        "pages": dict(region.pages),
                        "returns": sorted(p for ps in region.returns.values() for p in ps),
                        "code": sorted(region.insns)})      # (what it translated: jit.span_of)
        if not out:
            return None, [], covered
        return self.prepare().compile_passes(str(module), self.tm, PASSES), out, covered

    def prepare(self):
        """LLVM and its target machine, loaded when first wanted (by a process that
        compiles); returns the native module."""
        import hppa_user.native as native
        if self.tm is None:
            for option in CODEGEN_OPTIONS:
                native.set_option(option)
            self.tm = native.target_machine(CODEGEN_OPT)
        return native
