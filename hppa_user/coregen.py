"""The interpreter's generator: a native fetch/decode/execute loop built from the semantics.

``build_module()`` writes the whole first tier as LLVM IR: the run loop with the gateway
page and the light-weight syscalls, the decode cache, the call into compiled regions, the
native decoder (decode.py) and one *arm* per micro-op variant, each the op's semantics
(semantics.py, fpu.py) applied to an interpreter context (:class:`ICtx`) in which the
record's decoded fields are run-time values and the row's fixed fields constants.  The
shared helpers (FP operations, unaligned accesses, the host clock) are functions of the
same module; compiled regions call them through the environment block, where the run time
(core.py) copies them from the module's table ``hppa_helpers``.  core.py has the module
compiled (native.py) once per source version and host and keeps the object code on disk:
only that process imports this generator.

PA-RISC rules applied in the loop:
  * IAOQ: two offsets, front (executing) and back (next). After each instruction
    front <- back and back <- back + 4, or back <- target for a taken branch. The
    instruction after a branch (the delay slot) therefore always runs unless nullified.
  * Nullification: PSW[N] set by an instruction makes the *next* instruction (at front)
    a no-op; it is still fetched (and counted), never decoded.
  * Page zero: fetching there enters the gateway page (0x100 syscall, 0xb0 LWS, 0xe0 set
    thread pointer); no instruction in it is ever decoded.
  * Interruptions: a trapping instruction leaves IAOQ at itself and is counted; the core
    returns ST_FAULT with the interruption number (traps.py), its detail word and the
    address (the data address of an access, else the instruction's); the kernel model
    decides what signal that is.
  * Unaligned data accesses are emulated as arch/parisc/kernel/unaligned.c does (the same
    result and base modification), or stop with UNALIGNED when the process asked for
    SIGBUS with PR_SET_UNALIGN (ctl[CTL_UNALIGN]); a page the emulation may not touch
    stops with UNALIGNED / EMULATION_FAULT at the unaligned address (Linux: SIGSEGV,
    SEGV_MAPERR).  ldcw is not emulated (SIGBUS), as in Linux.

Compiled regions (jit.py): when the front was reached by a taken branch (and the queue is
sequential, PSW[N] clear), the loop either calls the native code registered for that
address in the native table or counts the entry there; at the threshold and then at the
powers of two from CTL_JIT_HOT on (once CTL_JIT_FROM instructions have run) it returns
ST_JIT so Python may compile it (reports()). A
region returns 0 at a control transfer (the new front may start another region), 1 when
this loop must execute the front instruction itself.
"""
from __future__ import annotations

from llvmlite import ir

from hppa_user import chainbuild
from hppa_user import encoding as enc
from hppa_user import fpu
from hppa_user import traps as T
from hppa_user import state as S
from hppa_user.decode import Table, emit_decoder
from hppa_user.interp_pairs import INTERPRETER_PAIRS
from hppa_user.memory import PERM_CODE, PERM_MAPPED, PERM_R, PERM_W, PERM_X
from hppa_user.semantics import SEMANTICS, Ctx
from hppa_user.ssa import V, if_else, ity, select, unlikely

I1, I8, I32, I64 = ity(1), ity(8), ity(32), ity(64)
PTR = ir.PointerType()
M32 = 0xFFFFFFFF
PR_UNALIGN_SIGBUS = 2     # the prctl(PR_SET_UNALIGN) flag that asks for SIGBUS

# compiled regions: i64 region(regs, mem, perm, page_slot, native, limit, env, front) -> 0
# or 1; ``front`` is the IAOQ front it is entered at (a region may have several entries).
# GHC's convention keeps no callee-saved registers: a jump from region to region saves
# and restores nothing.
REGION_FN = ir.FunctionType(I64, [PTR, PTR, PTR, PTR, PTR, I64, PTR, I32])
REGION_CC = "ghccc"
# interpreter arms (see build_interpreter): regs, env,
# IAOQ front | PSW[N] | reached-by-a-branch << 1, IAOQ back (| 1 on entry), count, record.
# ``count`` is the instructions run minus ENV_LIMIT (negative while budget is left): an
# arm's budget check is a sign test, with no load of the limit (ArmGen.insns converts).
# The decode cache and the page-slot table are found through env where needed: an arm
# keeps the registers they would pin for its own work (fewer spills).
# (the last two: guest memory and the permission table, carried from copy to copy of a
# chain in registers, stencilgen.StencilArm; an arm passes nothing there)
ARM_FN = ir.FunctionType(I64, [PTR] * 2 + [I32, I32, I64, PTR, PTR, PTR])
ARM_CC = "ghccc"

# helper functions shared with compiled regions, in their ENV_HELPERS order
HELPER_NAMES = list(fpu.HELPER_NAMES) + ["host_ns"]
HELPER_INDEX = {name: i for i, name in enumerate(HELPER_NAMES)}
HELPER_ARGS = {name: n for name, (_body, n) in fpu.HELPERS.items()}
HELPER_ARGS["host_ns"] = 0


# the core functions a stencil (stencilgen.py) calls, through the environment block after
# the helpers (ENV_HELPERS + len(HELPER_NAMES) + their index)
STENCIL_CALLS = ("slow", "nullified", "load2", "load4", "load8", "store2", "store4", "store8")


def helper_type(name: str) -> ir.FunctionType:
    """Every helper: i64 (ptr env, i32 x n)."""
    return ir.FunctionType(I64, [PTR] + [I32] * HELPER_ARGS[name])


def c32(x: int) -> V:
    return V.const(x, 32)


def c64(x: int) -> V:
    return V.const(x, 64)


def reports(count: V, threshold: V, hot: V, insns: V, hot_from: V, cap: V) -> V:
    """Whether a branch target whose native-table entry has counted down to ``count``
    (minus its entries) is reported (ST_JIT): once at ``threshold`` entries (its first
    report: is it in the code cache?), then at every power of two from ``hot`` on (could
    it be worth compiling yet?) once ``insns`` have reached ``hot_from``, so code that
    stays interpreted costs the region compiler a few looks however long it runs, and a
    short run that compiles nothing only its first reports.  And at ``cap`` (a power of
    two) whenever it comes: the links between chains count no further (jit.LINK_CAP)."""
    e = c64(0) - count
    return (e & (e - 1)).eq(0) & (e.eq(threshold) | e.eq(cap) |
                                  (e.sge(hot) & insns.sge(hot_from)))


RDTSC, RDTSC_FN = "llvm.readcyclecounter", ir.FunctionType(I64, [])
TSC_RATE_SHIFT = 32       # ENV_TSC_RATE: ns per TSC tick in units of 2^-32 ns


def env_slot(b, env, i: int):
    """&env[i] (an i64 word of the environment block)."""
    return b.gep(env, [ir.Constant(I64, i)], source_etype=I64)


def tsc_estimate(b, env, rdtsc) -> tuple[V, V, V]:
    """The cr16 source's common case (CoreGen.build_host_ns; compiled regions inline it):
    read the TSC and return (t, stale, ns).  ``stale``: the anchor is TSC_REANCHOR ticks
    old -- only build_host_ns may answer then; else ``ns`` is the anchor's
    CLOCK_MONOTONIC reading extrapolated at the measured rate: one integer multiply
    (``since`` < 2^21 ticks, the rate < 2^32 ns per tick in units of 2^-32: the product
    fits 64 bits), not a conversion to and from double.  While there is no rate (not
    measured yet, or no invariant TSC) the anchor is TSC_FAR ticks away, so every read
    is stale: one test, not a second one of the rate (nor one of ENV_TSC_ON)."""
    def get(i):
        return V.of(b, b.load(env_slot(b, env, i), typ=I64))
    t = V.of(b, b.call(rdtsc, []))
    since = t - get(S.ENV_TSC_ANCHOR)
    rate = get(S.ENV_TSC_RATE)                 # ns per tick * 2^32
    return t, since.uge(S.TSC_REANCHOR), get(S.ENV_NS_ANCHOR) + ((since * rate) >> TSC_RATE_SHIFT)


def never_backwards(b, env, ns: V) -> V:
    """max(ns, the last value returned), remembered: the clock never runs backwards."""
    p = env_slot(b, env, S.ENV_NS_LAST)
    last = V.of(b, b.load(p, typ=I64))
    ns = select(ns.slt(last), last, ns)
    b.store(ns.ir, p)
    return ns


ROTR_TYPE = ir.FunctionType(I32, [I32] * 3)     # llvm.fshr.i32


def page_rights(b, perm, a: V, size: int, rotr) -> V:
    """The permission byte (i8) of the page of a ``size``-byte access at ``a``, or 0 (no
    rights) if ``a`` is not aligned: one lookup for both tests.  The index is ``a`` rotated
    right by 12 with only its page number and the low bits an aligned access has clear
    kept, so a misaligned address indexes the zeros past the table
    (memory.PERM_TABLE_SIZE).  ``b``: an llvmlite builder (arms, stencils) or an irtext one
    (regions); ``rotr()``: its declaration of llvm.fshr.i32."""
    if size == 1:
        index = a >> 12
    else:
        x = (a & ((M32 << 12 & M32) | (size - 1))).ir
        index = V.of(b, b.call(rotr(), [x, x, ir.Constant(I32, 12)]))
    return V.of(b, b.load(b.gep(perm, [index.zext(64).ir], source_etype=I8), typ=I8))


class Mem:
    """Raw guest-memory access in native code: big-endian loads and stores, the page
    permission table, the decode-cache invalidation a store into code needs."""

    def __init__(self, b: ir.IRBuilder, mem, perm, page_slot):
        # (page_slot may be a function that loads the pointer where it is needed)
        self.b, self.mem, self.perm, self._page_slot = b, mem, perm, page_slot

    @property
    def page_slot(self):
        return self._page_slot() if callable(self._page_slot) else self._page_slot

    def perm_of(self, addr: V) -> V:
        b = self.b
        return V.of(b, b.load(b.gep(self.perm, [(addr >> 12).zext(64).ir], source_etype=I8), typ=I8))

    def has(self, addr: V, need: int) -> V:
        return (self.perm_of(addr) & need).eq(need)

    def rights(self, addr: V, size: int) -> V:
        """The permission byte of a ``size``-byte access's page, or 0 when misaligned
        (page_rights)."""
        b = self.b
        return page_rights(b, self.perm, addr, size, lambda: b.module.declare_intrinsic(
            "llvm.fshr", [I32], ROTR_TYPE))

    def fault_number(self, p: V, protection: int, miss: int) -> V:
        """The interruption for an access the page's permissions ``p`` refuse: no rights
        (``protection``) on a mapped page, no translation (``miss``) otherwise."""
        return select((p & PERM_MAPPED).ne(0), c64(protection), c64(miss))

    def load(self, addr: V, size: int) -> V:
        """Big-endian: i32 for 1, 2, 4 bytes, i64 for 8 (no checks)."""
        b = self.b
        ty = ity(8 * size)
        v = b.load(b.gep(self.mem, [addr.zext(64).ir], source_etype=I8), typ=ty, align=1)
        if size > 1:
            v = b.call(b.module.declare_intrinsic("llvm.bswap", [ty]), [v])
        v = V.of(b, v)
        return v if size == 8 else v.zext(32)

    def store(self, addr: V, size: int, v: V) -> None:
        b = self.b
        ty = ity(8 * size)
        x = v.trunc(8 * size).ir if size < v.w else v.ir
        if size > 1:
            x = b.call(b.module.declare_intrinsic("llvm.bswap", [ty]), [x])
        b.store(x, b.gep(self.mem, [addr.zext(64).ir], source_etype=I8), align=1)

    def invalidate(self, addr: V, p: V | None = None) -> V:
        """A store into a page holding decoded code drops that code (its slot and any
        region built from it: the page is decoded afresh on the next fetch).  Returns
        whether it did (i1).  ``p``: the page's permission byte, when already loaded."""
        b = self.b
        page = (addr >> 12).zext(64).ir
        pp = b.gep(self.perm, [page], source_etype=I8)
        p = b.load(pp, typ=I8) if p is None else p.ir
        code = b.icmp_unsigned("!=", b.and_(p, ir.Constant(I8, PERM_CODE)), ir.Constant(I8, 0))
        fn = b.block.function
        drop, done = fn.append_basic_block("drop_code"), fn.append_basic_block("code_kept")
        unlikely(b.cbranch(code, drop, done))
        b.position_at_end(drop)
        b.store(b.and_(p, ir.Constant(I8, ~PERM_CODE & 0xFF)), pp)
        b.store(ir.Constant(I32, -1), b.gep(self.page_slot, [page], source_etype=I32))
        b.branch(done)
        b.position_at_end(done)
        return V(b, code, None, 1)


class EnvCtx(Ctx):
    """A context inside a helper function (or the LWS code): the register file is found
    through the environment block, memory through :class:`Mem`."""

    def __init__(self, b: ir.IRBuilder, env, regs=None, m: Mem | None = None):
        self.b, self.env = b, env
        self.regs = regs if regs is not None else self.env_ptr(S.ENV_REGS)
        self.m = m or Mem(b, self.env_ptr(S.ENV_MEM), self.env_ptr(S.ENV_PERM),
                          self.env_ptr(S.ENV_PAGE_SLOT))

    def env_ptr(self, slot: int):
        b = self.b
        return b.inttoptr(b.load(b.gep(self.env, [ir.Constant(I64, slot)], source_etype=I64),
                                 typ=I64), PTR)

    def reg_ptr(self, index):
        index = c64(index) if isinstance(index, int) else index
        return self.b.gep(self.regs, [index.zext(64).ir], source_etype=I64)


class ICtx(EnvCtx):
    """The interpreter's context for one arm: fields and IAOQ are run-time values."""

    def __init__(self, gen: "ArmGen", f: V, back: V, count: V):
        self.gen, self.b = gen, gen.b
        self.regs, self.m, self.env = gen.regs, gen.m, gen.env
        self.f, self.back, self.count = f, back, count
        self.n_next = V.const(0, 1)
        self.nb = None
        self.zero_r0 = False
        self.dropped = V.const(0, 1)  # i1: this instruction dropped decoded code (a store)

    def wrote_gr(self, r: V) -> None:
        if r.known is None:
            self.zero_r0 = True                   # regs[0] is re-zeroed after the arm

    def trap_if(self, cond, number, detail=0, addr: V | None = None) -> None:
        if isinstance(cond, (bool, int)):
            cond = V.const(int(cond), 1)
        if cond.known == 0:
            return
        self.gen.fault_if(cond, number, detail, self.f if addr is None else addr, self.count)

    def nullify_if(self, cond) -> None:
        self.n_next = cond

    def branch(self, target: V, nullify) -> None:
        self.nb = target
        self.n_next = nullify.ne(0)

    def cond_branch(self, taken: V, disp: V, nflag) -> None:
        self.nb = select(taken, self.f + 8 + disp, self.back + 4)
        self.n_next = nflag.ne(0) & ~(taken ^ disp.sge(0))

    def call(self, name: str, *args) -> V:
        b = self.b
        return V.of(b, b.call(self.gen.helper(name), [self.env] + [a.ir for a in args]))

    def insns_so_far(self) -> V:
        return self.gen.insns(self.count)

    def host_clock(self) -> V:
        return self.call("host_ns")

    # -- memory: checks, faults, unaligned accesses ---------------------------------------
    def _unaligned(self, addr: V, size: int, value: V | None):
        """Emulate an unaligned access as Linux's handler does (or stop: SIGBUS)."""
        gen = self.gen
        sigbus = (self.ctl(S.CTL_UNALIGN) & PR_UNALIGN_SIGBUS).ne(0)
        self.trap_if(sigbus, T.UNALIGNED, 0, addr)
        b = self.b
        if value is None:
            code = V.of(b, b.call(gen.unaligned(size, False), [self.env, addr.ir, gen.scratch]))
            self.trap_if(code.ne(0), T.UNALIGNED, T.EMULATION_FAULT, addr)
            v = V.of(b, b.load(gen.scratch, typ=I64))
            return v if size == 8 else v.trunc(32)
        code = V.of(b, b.call(gen.unaligned(size, True), [self.env, addr.ir, value.zext(64).ir]))
        self.trap_if(code.ne(0), T.UNALIGNED, T.EMULATION_FAULT, addr)
        return None

    # A wider access's usual way is one lookup for its alignment and its page's rights
    # (Mem.rights); the rare way tells a misaligned access from a refused one.
    def load(self, addr: V, size: int) -> V:
        def aligned():
            p = self.m.perm_of(addr)
            self.trap_if((p & PERM_R).eq(0),
                         lambda: self.m.fault_number(p, T.DATA_PROTECTION, T.DTLB_MISS), 0, addr)
            return self.m.load(addr, size)
        if size == 1:
            return aligned()
        return self.if_else(
            (self.m.rights(addr, size) & PERM_R).eq(0),
            lambda: self.if_else((addr & (size - 1)).ne(0),
                                 lambda: self._unaligned(addr, size, None), aligned),
            lambda: self.m.load(addr, size), rare=True)

    def store(self, addr: V, size: int, v: V) -> None:
        dropped = self.dropped                # (as it was before this store, on every way)

        def aligned():
            self.dropped = dropped
            self.check_store(addr, addr)
            self.m.store(addr, size, v)
            return self.dropped

        def unaligned():
            self._unaligned(addr, size, v)
            return V.const(1, 1)              # (the helper may have dropped code)

        def permitted(p):
            now = dropped | self.m.invalidate(addr, p)
            self.m.store(addr, size, v)
            return now
        if size == 1:
            aligned()
            return
        p = self.m.rights(addr, size)
        self.dropped = self.if_else(
            (p & PERM_W).eq(0),
            lambda: self.if_else((addr & (size - 1)).ne(0), unaligned, aligned),
            lambda: permitted(p), rare=True)

    def check_store(self, addr: V, fault_addr: V) -> None:
        p = self.m.perm_of(addr)
        self.trap_if((p & PERM_W).eq(0),
                     lambda: self.m.fault_number(p, T.DATA_PROTECTION, T.DTLB_MISS), 0, fault_addr)
        self.dropped = self.dropped | self.m.invalidate(addr)

    def poke8(self, addr: V, v: V, when) -> None:
        old = self.m.load(addr, 1)
        self.m.store(addr, 1, select(when, v.trunc(32), old))

    def readable(self, addr: V, need: int) -> V:
        return self.m.has(addr, need)


class HelperCtx(EnvCtx):
    """The context of a helper function body (FP operations): registers only."""

    def call(self, name, *args):
        raise AssertionError("helpers do not call helpers")


class CoreGen:
    """Builds the core module."""

    def __init__(self, table: Table):
        self.module = ir.Module(name="hppa_core")
        self.module.triple = ""
        self.table = table
        self.env_global = ir.GlobalVariable(self.module, PTR, name="hppa_env")
        self.env_global.initializer = ir.Constant(PTR, None)
        self.decode_fn = emit_decoder(self.module, table)
        self.helpers = {name: self.build_helper(name) for name in HELPER_NAMES}
        self.ua_load = {n: self.build_unaligned(n, False) for n in (2, 4, 8)}
        self.ua_store = {n: self.build_unaligned(n, True) for n in (2, 4, 8)}
        self.lws_fn = self.build_lws()
        self.build_interpreter()
        self.build_decoded_bitmap()
        self.build_helper_table()
        chainbuild.emit(self)

    def build_decoded_bitmap(self) -> None:
        """hppa_decoded_bitmap(dc, records, out): sets bit i of ``out`` (least significant
        first in each byte; ``out`` starts zeroed) where decode-cache record i has been
        decoded (its arm is not the re-fetch arm).  The region compiler's worker is told
        this at every batch: one pass at native speed over up to 4 M records."""
        fn, b = self.new_function("hppa_decoded_bitmap", ir.FunctionType(ir.VoidType(), [PTR, I64, PTR]))
        dc, n, out = fn.args
        head, body, mark, done = (fn.append_basic_block(x) for x in ("head", "body", "mark", "done"))
        start = b.block
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(ir.Constant(I64, 0), start)
        b.cbranch(b.icmp_signed("<", i, n), body, done)
        b.position_at_end(body)
        op = b.load(b.gep(dc, [b.mul(i, ir.Constant(I64, S.DC_FIELDS))], source_etype=I32), typ=I32)
        nxt = b.add(i, ir.Constant(I64, 1))
        i.add_incoming(nxt, body)
        i.add_incoming(nxt, mark)
        refetch = b.trunc(b.ptrtoint(self.refetch_fn, I64), I32)
        b.cbranch(b.icmp_unsigned("!=", op, refetch), mark, head)
        b.position_at_end(mark)
        byte = b.gep(out, [b.lshr(i, ir.Constant(I64, 3))], source_etype=I8)
        bit = b.trunc(b.shl(ir.Constant(I64, 1), b.and_(i, ir.Constant(I64, 7))), I8)
        b.store(b.or_(b.load(byte, typ=I8), bit), byte)
        b.branch(head)
        b.position_at_end(done)
        b.ret_void()

    def stencil_call(self, name: str) -> ir.Function:
        """The core function STENCIL_CALLS calls ``name``."""
        if name in ("slow", "nullified"):
            return getattr(self, f"{name}_fn")
        return (self.ua_store if name.startswith("store") else self.ua_load)[int(name[-1])]

    def build_helper_table(self) -> None:
        """hppa_helpers: the helpers' addresses in HELPER_NAMES order, then the core
        functions of STENCIL_CALLS, then a null.  The run time (core.Core) copies them into
        the environment block (ENV_HELPERS), where compiled regions and copies of stencils
        find them, without importing this generator for their names."""
        fns = [self.helpers[name] for name in HELPER_NAMES] + \
            [self.stencil_call(name) for name in STENCIL_CALLS] + [ir.Constant(PTR, None)]
        table_ty = ir.ArrayType(PTR, len(fns))
        table = ir.GlobalVariable(self.module, table_ty, name="hppa_helpers")
        table.initializer = ir.Constant(table_ty, fns)
        table.global_constant = True

    # -- helpers ------------------------------------------------------------------------
    def new_function(self, name: str, fnty: ir.FunctionType) -> tuple[ir.Function, ir.IRBuilder]:
        fn = ir.Function(self.module, fnty, name=name)
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    def build_helper(self, name: str) -> ir.Function:
        fn, b = self.new_function(f"hppa_{name}", helper_type(name))
        fn.attributes.add("noinline")
        if name == "host_ns":
            self.build_host_ns(fn, b)
            return fn
        set.add(fn.attributes, "strictfp")
        body, nargs = fpu.HELPERS[name]
        s = HelperCtx(b, fn.args[0])
        fp = fpu.HostFP(self.module, b)
        code = body(s, fp, *[V(b, a, None, 32) for a in fn.args[1:]])
        b.ret(code.zext(64).ir)
        return fn

    def build_host_ns(self, fn: ir.Function, b: ir.IRBuilder) -> None:
        """The cr16 source: host CLOCK_MONOTONIC nanoseconds.

        Reading the host clock costs ~25 ns; with an invariant TSC (constant_tsc and
        nonstop_tsc: ENV_TSC_ON) the time is extrapolated from the TSC instead -- anchored
        to a clock_gettime() reading at most TSC_REANCHOR ticks (~1 ms) old, at a rate
        measured against CLOCK_MONOTONIC over the whole run (so NTP's slewing is followed)
        -- and never runs backwards (ENV_NS_LAST).  Before the rate is known, and without
        an invariant TSC, every read is a clock_gettime().  Compiled regions inline the
        common case (tsc_estimate, never_backwards) and call this for the rest."""
        env = fn.args[0]

        def get(i):
            return V.of(b, b.load(env_slot(b, env, i), typ=I64))

        def put(i, v: V):
            b.store(v.ir, env_slot(b, env, i))

        def host_clock() -> V:
            clock_ty = ir.FunctionType(I32, [I32, PTR])       # clock_gettime(id, timespec *)
            clock = b.inttoptr(get(S.ENV_CLOCK).ir, clock_ty.as_pointer())
            b.call(clock, [ir.Constant(I32, 1), ts])
            sec = b.load(b.gep(ts, [ir.Constant(I64, 0), ir.Constant(I32, 0)]), typ=I64)
            nsec = b.load(b.gep(ts, [ir.Constant(I64, 0), ir.Constant(I32, 1)]), typ=I64)
            return V.of(b, b.add(b.mul(sec, ir.Constant(I64, 1_000_000_000)), nsec))

        ts = b.alloca(ir.ArrayType(I64, 2))
        rdtsc = ir.Function(self.module, RDTSC_FN, name=RDTSC)
        f64 = ir.DoubleType()

        def plain():
            return host_clock()

        def from_tsc():
            t, stale, estimate = tsc_estimate(b, env, rdtsc)

            def reanchor():
                ns = host_clock()
                t2 = V.of(b, b.call(rdtsc, []))

                def take():
                    return anchor((t >> 1) + (t2 >> 1), ns)
                # a pair is only as good as its bracket: preempted between the two reads,
                # the TSC would be paired with a later time and every estimate until the
                # next anchor would run ahead of the host clock (a syscall after a vDSO
                # read would go backwards). A wide bracket is not taken: this read returns
                # the host clock itself and the next one tries again.
                return self._if(b, (t2 - t).ult(S.TSC_BRACKET), take, lambda: ns)

            def anchor(t, ns):
                base_t, base_ns = get(S.ENV_TSC_BASE), get(S.ENV_NS_BASE)

                def first():
                    put(S.ENV_TSC_BASE, t)
                    put(S.ENV_NS_BASE, ns)
                    return V.const(0, 64)

                def measure():                  # over a baseline of 8 readings at least
                    r = b.fdiv(b.sitofp((ns - base_ns).ir, f64), b.uitofp((t - base_t).ir, f64))
                    r = b.fmul(r, ir.Constant(f64, float(1 << TSC_RATE_SHIFT)))
                    fixed = V.of(b, b.fptoui(r, I64))       # ns per tick, fixed point
                    # (a TSC slower than 1 MHz would overflow the estimate: no rate, so
                    # every read is a clock_gettime())
                    return select((t - base_t).ult(8 * S.TSC_REANCHOR) | fixed.uge(1 << 42),
                                  V.const(0, 64), fixed)
                new_rate = self._if(b, base_t.eq(0), first, measure)
                put(S.ENV_TSC_RATE, new_rate)
                put(S.ENV_TSC_ANCHOR, select(new_rate.eq(0), t + S.TSC_FAR, t))
                put(S.ENV_NS_ANCHOR, ns)
                return ns
            return never_backwards(b, env, self._if(b, stale, reanchor, lambda: estimate))
        b.ret(self._if(b, get(S.ENV_TSC_ON).eq(0), plain, from_tsc).ir)

    @staticmethod
    def _if(b, cond, then, otherwise):
        return if_else(b, cond, then, otherwise)

    def build_unaligned(self, size: int, store: bool) -> ir.Function:
        """Linux's emulation of an unaligned user access of ``size`` bytes: it reads (and
        for stores of more than two bytes writes back) the aligned words that hold the
        bytes, so every one of them must be accessible; on failure nothing is written
        and the caller stops with UNALIGNED / EMULATION_FAULT.  Returns 0
        or 1 (fault); a load leaves its value in *out."""
        args = [PTR, I32, I64] if store else [PTR, I32, PTR]
        fn, b = self.new_function(f"hppa_unaligned_{'store' if store else 'load'}{size}",
                                  ir.FunctionType(I64, args))
        s = EnvCtx(b, fn.args[0])
        addr = V(b, fn.args[1], None, 32)
        first = addr & ~3
        last = (addr + (size - 1)) & ~3
        need = PERM_R | (PERM_W if store and size > 2 else 0) if size > 2 else \
            (PERM_W if store else PERM_R)
        ok = s.m.has(first, need) & s.m.has(last, need)
        fail, go = fn.append_basic_block("fail"), fn.append_basic_block("go")
        b.cbranch(ok.ir, go, fail)
        b.position_at_end(fail)
        b.ret(ir.Constant(I64, 1))
        b.position_at_end(go)
        if store:
            v = V(b, fn.args[2], None, 64)
            s.m.invalidate(first)
            s.m.invalidate(last)
            for i in range(size):
                s.m.store(addr + i, 1, (v >> (8 * (size - 1 - i))).trunc(32))
        else:
            v = c64(0)
            for i in range(size):
                v = (v << 8) | s.m.load(addr + i, 1).zext(64)
            b.store(v.ir, fn.args[2])
        b.ret(ir.Constant(I64, 0))
        return fn

    def build_lws(self) -> ir.Function:
        """Light-weight syscalls (gateway 0xb0): the kernel's atomic ops, results in r28
        (old value / error flag) and r21 (0 or -errno): 0 CAS32, 2 CAS2 of 1-8 bytes,
        3 exchange, 4 store; 1 and > 4 are ENOSYS."""
        fn, b = self.new_function("hppa_lws", ir.FunctionType(ir.VoidType(), [PTR]))
        s = EnvCtx(b, fn.args[0])
        m = s.m
        gr = lambda r: s.gr(c32(r))                                   # noqa: E731
        set_gr = lambda r, v: s.set_gr(c32(r), v)                      # noqa: E731
        op, addr = gr(20), gr(26)
        # the gateway page is kernel code: its error numbers are the kernel's (ctl)
        errno = {"EFAULT": s.ctl(S.CTL_LWS_EFAULT).trunc(32),
                 "ENOSYS": s.ctl(S.CTL_LWS_ENOSYS).trunc(32)}

        def result(r28, r21):
            """r28 (None: left alone) and r21 = 0 or -errno."""
            if r28 is not None:
                set_gr(28, r28)
            set_gr(21, c32(0) if r21 == 0 else c32(0) - errno[r21])

        def sized(code: V, fn_):
            """fn_(size) for size = 1 << code (code 0-3), only on its own path."""
            return s.if_else(code.eq(0), lambda: fn_(1), lambda: s.if_else(
                code.eq(1), lambda: fn_(2), lambda: s.if_else(
                    code.eq(2), lambda: fn_(4), lambda: fn_(8))))

        def cas32():
            bad = (addr & 3).ne(0) | ~m.has(addr, PERM_R | PERM_W)

            def do():
                prev = m.load(addr, 4)

                def swap():
                    m.invalidate(addr)
                    m.store(addr, 4, gr(24))
                s.if_else(prev.eq(gr(25)), swap, lambda: None)
                result(prev, 0)
            s.if_else(bad, lambda: result(c32(1), "EFAULT"), do)

        def general():
            is2, is3 = op.eq(2), op.eq(3)
            code = select(is2, gr(23), gr(25))
            newp = gr(24)
            oldp = select(is2, gr(25), select(is3, gr(23), c32(0)))

            def valid():
                size = c32(1) << code
                al = lambda a: (a & (size - 1)).eq(0)               # noqa: E731
                ok = al(addr) & m.has(addr, PERM_R | PERM_W) & al(newp) & m.has(newp, PERM_R)
                old_ok = al(oldp) & select(is3, m.has(oldp, PERM_R | PERM_W), m.has(oldp, PERM_R))
                ok = ok & (op.eq(4) | old_ok)

                def do():
                    def cmp_fail():
                        result(c32(1), 0)

                    def store_new():
                        def st(n):
                            m.invalidate(addr)
                            m.store(addr, n, m.load(newp, n))
                        sized(code, st)
                        result(c32(0), 0)

                    def xchg():
                        def st(n):
                            cur = m.load(addr, n)
                            new = m.load(newp, n)
                            m.invalidate(oldp)
                            m.store(oldp, n, cur)
                            m.invalidate(addr)
                            m.store(addr, n, new)
                        sized(code, st)
                        result(c32(0), 0)

                    def cas2():
                        same = sized(code, lambda n: m.load(addr, n).zext(64).eq(
                            m.load(oldp, n).zext(64)).zext(32))
                        s.if_else(same.ne(0), store_new, cmp_fail)
                    s.if_else(is2, cas2, lambda: s.if_else(is3, xchg, store_new))
                s.if_else(ok, do, lambda: result(c32(1), "EFAULT"))
            s.if_else(code.ugt(3), lambda: result(None, "ENOSYS"), valid)

        s.if_else(op.eq(0), cas32, lambda: s.if_else(
            op.eq(1) | op.ugt(4), lambda: result(None, "ENOSYS"), general))
        b.ret_void()
        return fn

    # -- the interpreter -----------------------------------------------------------------
    # It is tail-call threaded: every micro-op variant is an *arm*, a function of its own
    # (GHC's convention: every argument in a register, nothing callee-saved) that executes
    # one instruction and ends by dispatching the next itself -- fetching its record and
    # jumping (a musttail call) to that record's arm -- so every arm has its own indirect
    # jump, which the branch predictor learns separately.  What that fast path does not
    # cover (the budget, the gateway page, a page not decoded yet, a nullified instruction,
    # a branch target where a compiled region may start, a record not decoded yet) goes to
    # hppa_slow, the loop head, which handles it and dispatches in turn.  hppa_run (the C
    # entry point) calls hppa_slow; the first arm or loop head that stops returns the
    # status through that one call.
    def build_interpreter(self) -> None:
        nv = len(enc.VARIANTS)
        self.arm_fns = [ir.Function(self.module, ARM_FN, name=f"hppa_arm_{i}")
                        for i in range(1, nv + 1)]
        self.slow_fn = ir.Function(self.module, ARM_FN, name="hppa_slow")
        self.nullified_fn = ir.Function(self.module, ARM_FN, name="hppa_nullified")
        self.refetch_fn = ir.Function(self.module, ARM_FN, name="hppa_refetch")
        self.hooked_fn = ir.Function(self.module, ARM_FN, name="hppa_hooked")
        self.breakpoint_fn = ir.Function(self.module, ARM_FN, name="hppa_breakpoint")
        self.pair_fns = {}
        for a, name_a, b, name_b in INTERPRETER_PAIRS:
            assert (enc.VARIANTS[a - 1][0], enc.VARIANTS[b - 1][0]) == (name_a, name_b), \
                "INTERPRETER_PAIRS names variants the encoding table numbers otherwise"
            self.pair_fns[a, b] = ir.Function(self.module, ARM_FN, name=f"hppa_pair_{a}_{b}")
        for fn in self.arm_fns + [self.slow_fn, self.nullified_fn, self.refetch_fn,
                                  self.hooked_fn, self.breakpoint_fn, *self.pair_fns.values()]:
            fn.calling_convention = ARM_CC
        # The arms by micro-op variant, for the loop head to put a decoded record's arm in
        # it (a record holds its arm's address: see to_arm).
        table_ty = ir.ArrayType(PTR, nv + 1)
        self.arm_table = ir.GlobalVariable(self.module, table_ty, name="hppa_arms")
        self.arm_table.initializer = ir.Constant(table_ty, [self.refetch_fn] + self.arm_fns)
        self.arm_table.global_constant = True
        for i, variant in enumerate(enc.VARIANTS):
            ArmGen(self, self.arm_fns[i]).arm(variant)
        for (a, b), fn in self.pair_fns.items():
            ArmGen(self, fn).arm(enc.VARIANTS[a - 1], enc.VARIANTS[b - 1])
        ArmGen(self, self.slow_fn).slow()
        ArmGen(self, self.nullified_fn).nullified()
        ArmGen(self, self.refetch_fn).refetch()
        ArmGen(self, self.hooked_fn).refetch()
        ArmGen(self, self.breakpoint_fn).breakpoint()
        self.build_run()

    def build_run(self) -> None:
        """``i64 hppa_run()``: execute ENV_BUDGET instructions at most, return ST_*.
        ``i64 hppa_sysret()``: a syscall's return, as the kernel's ``be,n 0(%sr3,%r31)``
        and CpuContext.syscall_return do it (r28 = ENV_SYSRET; IAOQ = r31, user privilege;
        nothing nullified), then the same -- or, once the host clock has reached
        CTL_TICK_DUE, ST_TICK with nothing run.  The kernel's common syscall round trip
        (machine.py) is then one foreign call, without Python writing the IAOQ or reading
        the clock for its tick (a perf_counter() is ~0.1 us here)."""
        run, b = self.new_function("hppa_run", ir.FunctionType(I64, []))
        self.run_body(b, b.load(self.env_global, typ=PTR))
        sysret, b = self.new_function("hppa_sysret", ir.FunctionType(I64, []))
        env = b.load(self.env_global, typ=PTR)
        g = EnvCtx(b, env)
        value = V.of(b, b.load(env_slot(b, env, S.ENV_SYSRET), typ=I64))
        g._st(S.REGS_GR.start + 28, value.trunc(32))
        ret = g.gr(c32(31)) & ~3
        g.set_ctl(S.CTL_IAOQF, ret.zext(64))
        g.set_ctl(S.CTL_IAOQB, (ret + 4).zext(64))
        g.set_ctl(S.CTL_PSWN, c64(0))
        now = V.of(b, b.call(self.helpers["host_ns"], [env]))
        due, go = sysret.append_basic_block("due"), sysret.append_basic_block("go")
        b.cbranch(now.sge(g.ctl(S.CTL_TICK_DUE)).ir, due, go)
        b.position_at_end(due)
        b.ret(ir.Constant(I64, S.ST_TICK))
        b.position_at_end(go)
        self.run_body(b, env)

    def run_body(self, b: ir.IRBuilder, env) -> None:
        """Run ENV_BUDGET instructions from the context's IAOQ: the loop head's first call."""
        g = EnvCtx(b, env)
        regs = g.env_ptr(S.ENV_REGS)
        count = g.ctl(S.CTL_INSNS)
        budget = V.of(b, b.load(b.gep(env, [ir.Constant(I64, S.ENV_BUDGET)], source_etype=I64),
                                typ=I64))
        b.store((count + budget).ir, b.gep(env, [ir.Constant(I64, S.ENV_LIMIT)], source_etype=I64))
        fs = g.ctl(S.CTL_IAOQF).trunc(32) | g.ctl(S.CTL_PSWN).ne(0).zext(32)
        back = g.ctl(S.CTL_IAOQB).trunc(32) | 1                # entry: nothing to count here
        st = b.call(self.slow_fn, [regs, env, fs.ir, back.ir, (c64(0) - budget).ir,
                                   ir.Constant(PTR, None), ir.Constant(PTR, ir.Undefined),
                                   ir.Constant(PTR, ir.Undefined)], cconv=ARM_CC)
        b.ret(st)


class ArmGen:
    """Builds one function of the interpreter (an arm, or the loop head)."""

    def __init__(self, gen: CoreGen, fn: ir.Function):
        self.gen, self.fn = gen, fn
        self.b = b = ir.IRBuilder(fn.append_basic_block("entry"))
        self.regs, self.env, fs, back, count, self.rec = fn.args[:6]
        self.fs, self.back_in, self.count_in = (V(b, fs, None, 32), V(b, back, None, 32),
                                                V(b, count, None, 64))
        # guest memory and permissions are found through the environment (arms that touch
        # memory load their addresses; the others keep every register for themselves)
        self.ctx0 = EnvCtx(b, self.env, self.regs, Mem(b, None, None, lambda: self.page_slot))
        self.mem_p = self.ctx0.env_ptr(S.ENV_MEM)
        self.perm = self.ctx0.env_ptr(S.ENV_PERM)
        self.m = self.ctx0.m = Mem(b, self.mem_p, self.perm, lambda: self.page_slot)
        self.scratch = b.alloca(I64, name="scratch")
        self.scratch_record = b.alloca(ir.ArrayType(I32, S.DC_FIELDS), name="scratch_record")
        self._fault = None

    # -- the core functions an arm calls (a stencil reaches them otherwise: stencilgen) ---
    def callee(self, name: str):
        """The core function STENCIL_CALLS calls ``name`` ("slow", "load4", ...)."""
        return self.gen.stencil_call(name)

    def helper(self, name: str):
        return self.gen.helpers[name]

    def unaligned(self, size: int, store: bool):
        return self.callee(f"{'store' if store else 'load'}{size}")

    @property
    def limit(self) -> V:
        """ENV_LIMIT, loaded here (only off the arms' hot path: see insns)."""
        b = self.b
        return V.of(b, b.load(b.gep(self.env, [ir.Constant(I64, S.ENV_LIMIT)],
                                    source_etype=I64), typ=I64))

    def insns(self, count: V) -> V:
        """The instructions run, from an arm's ``count`` (run minus the limit)."""
        return count + self.limit

    def args(self, fs: V, back: V, count: V, rec) -> list:
        undef = ir.Constant(PTR, ir.Undefined)
        return [self.regs, self.env, fs.ir, back.ir, count.ir, rec, undef, undef]

    @property
    def page_slot(self):
        """The page-slot table's address, loaded here (from the environment)."""
        return self.ctx0.env_ptr(S.ENV_PAGE_SLOT)

    @property
    def dc(self):
        """The decode cache's address, loaded here."""
        return self.ctx0.env_ptr(S.ENV_DC)

    def tail(self, fn, fs: V, back: V, count: V, rec=None) -> None:
        """Continue in ``fn`` (an arm, the loop head, or a loaded function pointer)."""
        b = self.b
        if not isinstance(fn, ir.Function):                  # (llvmlite wants a typed callee)
            fn = b.inttoptr(b.ptrtoint(fn, I64), ARM_FN.as_pointer())
        r = b.call(fn, self.args(fs, back, count, rec or ir.Constant(PTR, None)),
                   cconv=ARM_CC, tail="musttail")
        b.ret(r)

    def exit(self, status, f: V, back: V, n: V, count: V, trap=0, detail=0, addr=None) -> None:
        """Store the state and return ``status`` from the core."""
        c = self.ctx0
        c.set_ctl(S.CTL_IAOQF, f.zext(64))
        c.set_ctl(S.CTL_IAOQB, back.zext(64))
        c.set_ctl(S.CTL_PSWN, n.zext(64))
        c.set_ctl(S.CTL_INSNS, self.insns(count))
        c.set_ctl(S.CTL_TRAP, trap if isinstance(trap, V) else c64(trap))
        c.set_ctl(S.CTL_TRAP_DETAIL, detail.zext(64) if isinstance(detail, V) else c64(detail))
        c.set_ctl(S.CTL_TRAP_ADDR, (addr if addr is not None else c32(0)).zext(64))
        c._st(0, c64(0))
        self.b.ret(ir.Constant(I64, status))

    def fault_if(self, cond: V, number, detail, addr: V, count: V) -> None:
        """Stop with an interruption when cond holds (an arm: state as before it)."""
        b = self.b
        if self._fault is None:
            saved = b.block
            blk = self.fn.append_basic_block("interruption")
            b.position_at_end(blk)
            phis = [b.phi(t) for t in (I64, I64, I32)]
            self.exit(S.ST_FAULT, self.f, self.back, V.const(0, 1), self.count1,
                      *(V(b, p, None, p.type.width) for p in phis))
            self._fault = (blk, phis)
            b.position_at_end(saved)
        blk, phis = self._fault
        cont = self.fn.append_basic_block("ok")
        lazy = callable(number)
        if lazy:                        # computed on the way out only (off the hot path)
            site = self.fn.append_basic_block("trap")
            unlikely(b.cbranch(cond.ir, site, cont))
            b.position_at_end(site)
            number = number()
        number = c64(number) if isinstance(number, int) else number.zext(64)
        detail = c64(detail) if isinstance(detail, int) else detail.zext(64)
        for phi, v in zip(phis, (number, detail, addr)):
            phi.add_incoming(v.ir, b.block)
        if lazy:
            b.branch(blk)
        else:
            unlikely(b.cbranch(cond.ir, blk, cont))
        b.position_at_end(cont)

    # -- an arm --------------------------------------------------------------------------
    def arm(self, first, then=None) -> None:
        """The arm of micro-op variant ``first`` ((name, constant fields): enc.VARIANTS),
        or a *pair arm*: ``first`` and then the variant ``then`` of the next instruction,
        whose record follows (INTERPRETER_PAIRS).  The second runs where the first would
        dispatch it from its record (the next word on the page, reached in order, no
        code dropped, budget left, not nullified), as its own arm would; on every other
        way the first dispatches as ever."""
        self.f, self.back, self.count1 = self.fs, self.back_in, self.count_in + 1
        seq = [] if then is not None else None
        self.run_semantics(*first, seq)
        if seq:
            (block, f, back, count), = seq
            self.b.position_at_end(block)
            self.rec = self.b.gep(self.rec, [ir.Constant(I64, S.DC_FIELDS)], source_etype=I32)
            self._fault = None
            self.f, self.back, self.count1 = f, back, count + 1
            self.run_semantics(*then)

    def run_semantics(self, opname: str, consts, seq: list | None = None) -> None:
        """One instruction (self.f, self.back, its record self.rec) and its dispatch."""
        ctx, nb = self.execute(opname, consts)
        self.dispatch(self.back, nb, ctx.n_next, self.back.ne(self.f + 4), self.count1,
                      ctx.dropped, seq)

    def execute(self, opname: str, consts) -> tuple["ICtx", V]:
        """The instruction's work (self.f, self.back, self.count1), its fields the
        variant's constants or field(j); its context and the IAOQ back after it."""
        fields = [c32(c) if c is not None else self.field(j) for j, c in enumerate(consts)]
        ctx = self.context()
        sem_fn = SEMANTICS[opname]
        code = sem_fn.__code__
        nargs = enc.NFIELDS if code.co_flags & 4 else code.co_argcount - 1   # 4: *args
        sem_fn(ctx, *fields[:nargs])
        if ctx.zero_r0:
            ctx._st(0, c64(0))
        return ctx, ctx.nb if ctx.nb is not None else self.back + 4

    def field(self, j: int) -> V:
        """Field ``j`` of the record (an arm's: loaded from it)."""
        b = self.b
        return V.of(b, b.load(b.gep(self.rec, [ir.Constant(I64, 1 + j)], source_etype=I32),
                              typ=I32))

    def context(self) -> "ICtx":
        return ICtx(self, self.f, self.back, self.count1)

    def dispatch(self, f: V, back: V, n: V, jumped: V, count: V, dropped: V | None = None,
                 seq: list | None = None) -> None:
        """Go on with the instruction at ``f``: its arm directly when nothing special is
        due, else the loop head.  ``dropped`` (an arm's): whether this instruction dropped
        decoded code; when it did not and ``f`` follows it on its page, its record follows
        this one's (None: not known).  Each way to an arm ends in a dispatch of its own
        (to_arm), and the rare ways (the budget spent, a page boundary, a page not
        decoded) are marked so: the common one, the next record on the page, then runs
        straight through to the arm's jump with no other taken branch.  ``seq`` (a pair
        arm's first): that common way is left empty, its block and (f, back, count)
        appended to ``seq`` for the second instruction."""
        b, fn = self.b, self.fn
        slow = fn.append_basic_block("to_slow")
        branch_target, go0 = fn.append_basic_block("branch_target"), fn.append_basic_block("go0")
        go = fn.append_basic_block("fetch")
        if n.known == 0:
            unlikely(b.cbranch(count.sge(0).ir, slow, go0))
        else:
            budget_ok, skip = fn.append_basic_block("budget_ok"), fn.append_basic_block("skip")
            unlikely(b.cbranch(count.sge(0).ir, slow, budget_ok))
            b.position_at_end(budget_ok)
            b.cbranch(n.ir, skip, go0)
            b.position_at_end(skip)
            self.tail(self.callee("nullified"), f, back, count)
        b.position_at_end(go0)
        b.cbranch(jumped.ir, branch_target, go)
        b.position_at_end(go)
        lookup = fn.append_basic_block("lookup")
        # this instruction's record locates the next one's on its page (not a nullified
        # one's: it has none; not after a store that certainly dropped this page's code)
        from_record = dropped is not None and dropped.known != 1
        if from_record:                        # jumped is clear here: f = this one's + 4
            seq_bb = fn.append_basic_block("sequential")
            unlikely(b.cbranch(((f & 0xFFF).eq(0) | dropped).ir, lookup, seq_bb))
            b.position_at_end(seq_bb)
            if seq is not None:
                seq.append((seq_bb, f, back, count))
            else:
                self.to_arm(b.gep(self.rec, [ir.Constant(I64, S.DC_FIELDS)], source_etype=I32),
                            f, back, count)
        else:
            b.branch(lookup)
        b.position_at_end(lookup)
        slot = V.of(b, b.load(b.gep(self.page_slot, [(f >> 12).zext(64).ir], source_etype=I32),
                              typ=I32))
        rec_go = fn.append_basic_block("record_lookup")
        unlikely(b.cbranch(slot.slt(0).ir, slow, rec_go))
        b.position_at_end(rec_go)
        idx = ((slot.zext(64) << 10) | ((f >> 2) & 1023).zext(64)) << 3
        self.to_arm(b.gep(self.dc, [idx.ir], source_etype=I32), f, back, count)
        # A branch target: a compiled region may start here (the loop head calls it), or
        # the entry is counted -- here, unless its count reaches a power of two (the loop
        # head then counts it and decides whether to report it: reports() holds only at
        # powers of two).  With regions off (no threshold) the native table is not read.
        b.position_at_end(branch_target)
        look, counted = fn.append_basic_block("native"), fn.append_basic_block("counted")
        far = fn.append_basic_block("other_page")
        words = []                               # (the target's record index, from where)
        if from_record:
            # a target on this instruction's page (a loop): its record is this one's plus
            # the distance, not looked up through the page's slot (one load less on the
            # way to the arm's jump)
            near = fn.append_basic_block("same_page")
            b.cbranch((((f ^ self.f) >> 12).eq(0) & ~dropped).ir, near, far)
            b.position_at_end(near)
            here = V.of(b, b.ptrtoint(self.rec, I64)) - V.of(b, b.ptrtoint(self.dc, I64))
            word = (here >> 5) + ((f - self.f).sext(64).ashr(2))
            words.append((word, b.block))
            unlikely(b.cbranch(back.ne(f + 4).ir, slow, look))
        else:
            b.branch(far)
        b.position_at_end(far)
        slot = V.of(b, b.load(b.gep(self.page_slot, [(f >> 12).zext(64).ir], source_etype=I32),
                              typ=I32))
        far_word = (slot.zext(64) << 10) | ((f >> 2) & 1023).zext(64)
        unlikely(b.cbranch((slot.slt(0) | back.ne(f + 4)).ir, slow, look))
        words.append((far_word, b.block))
        b.position_at_end(look)
        if len(words) == 1:
            word = words[0][0]
        else:
            phi = b.phi(I64, name="word")
            for w, blk in words:
                phi.add_incoming(w.ir, blk)
            word = V(b, phi, None, 64)
        threshold = self.ctx0.ctl(S.CTL_JIT_THRESHOLD)
        count_bb = fn.append_basic_block("count")
        b.cbranch(threshold.sgt(0).ir, count_bb, counted)
        b.position_at_end(count_bb)
        native = self.ctx0.env_ptr(S.ENV_NATIVE)
        self.count_entry(b.gep(native, [word.ir], source_etype=I64), slow, counted)
        b.position_at_end(counted)
        self.to_arm(b.gep(self.dc, [(word << 3).ir], source_etype=I32), f, back, count)
        b.position_at_end(slow)
        self.tail(self.callee("slow"), f | n.zext(32) | (jumped.zext(32) << 1), back, count)

    def count_entry(self, at, dispatch, go_on, cap: V | None = None) -> None:
        """Count an entry of the branch target whose native-table word is at ``at`` and go
        on at ``go_on``; to ``dispatch`` instead, which counts it itself, when a region is
        installed there or the count reaches a power of two (a report: reports()).  With
        ``cap``, a count at or past it goes on uncounted (jit.LINK_CAP)."""
        b, fn = self.b, self.fn
        code = V.of(b, b.load(at, typ=I64))
        if cap is not None:
            counting = fn.append_basic_block("counting")
            b.cbranch((code + cap).sle(0).ir, go_on, counting)
            b.position_at_end(counting)
        entries = c64(1) - code                  # with this one
        store = fn.append_basic_block("store_count")
        unlikely(b.cbranch((code.sgt(0) | (entries & (entries - 1)).eq(0)).ir, dispatch, store))
        b.position_at_end(store)
        b.store((code - 1).ir, at)
        b.branch(go_on)

    def to_arm(self, rec, f: V, back: V, count: V) -> None:
        """Tail-call the arm of the record at ``rec``, whose first word is its address
        (direct threading: the core is mapped below 2 GiB, core.CORE_AT), with no test: a
        record not decoded yet holds the re-fetch arm's, a hooked one the hooked arm's, a
        breakpoint the breakpoint arm's (state.DC_FIELDS)."""
        self.tail(self.at(V.of(self.b, self.b.load(rec, typ=I32))), f, back, count, rec)

    def at(self, word: V):
        """The arm a record's first word (``word``, i32) names."""
        return self.b.inttoptr(word.zext(64).ir, PTR)

    def arm_word(self, fn) -> V:
        """The first word of a record whose arm is ``fn`` (the low half of its address)."""
        return V.of(self.b, self.b.ptrtoint(fn, I64)).trunc(32)

    def arm_of(self, variant: V) -> V:
        """The first word of a record of micro-op ``variant`` (the table's entry)."""
        b, table = self.b, self.gen.arm_table
        return V.of(b, b.ptrtoint(b.load(b.gep(table, [ir.Constant(I64, 0), variant.zext(64).ir],
                                                source_etype=table.value_type), typ=PTR),
                                  I64)).trunc(32)

    def breakpoint(self) -> None:
        """A breakpoint's record: stops as an illegal instruction (cpu.Cpu tells them apart)."""
        self.tail(self.gen.arm_fns[0], self.fs, self.back_in, self.count_in, self.rec)

    def refetch(self) -> None:
        """The arm of every op that is no micro-op: the loop head fetches the instruction
        (decodes it, counts a hooked one, stops at a breakpoint)."""
        self.tail(self.gen.slow_fn, self.fs, self.back_in, self.count_in)

    # -- a nullified instruction -----------------------------------------------------------
    def nullified(self) -> None:
        """PSW[N] set: the instruction at the front only consumes its slot (counted, never
        decoded) and the queue moves on, when its page has a decode-cache slot (it has
        been fetched from: executable); else the loop head does it.  Arms come here with
        the budget checked."""
        b, fn = self.b, self.fn
        f, back, count = self.fs, self.back_in, self.count_in
        slot = V.of(b, b.load(b.gep(self.page_slot, [(f >> 12).zext(64).ir], source_etype=I32),
                              typ=I32))
        skip, slow = fn.append_basic_block("skip"), fn.append_basic_block("to_slow")
        b.cbranch(slot.slt(0).ir, slow, skip)
        b.position_at_end(slow)
        self.tail(self.gen.slow_fn, f | 1, back, count)
        b.position_at_end(skip)
        self.f = f
        self.dispatch(back, back + 4, V.const(0, 1), back.ne(f + 4), count + 1)

    # -- the loop head ---------------------------------------------------------------------
    def slow(self) -> None:
        gen, b, fn = self.gen, self.b, self.fn
        ctx0, m = self.ctx0, self.m
        blk = fn.append_basic_block
        entry = b.block
        threshold = ctx0.ctl(S.CTL_JIT_THRESHOLD)
        nhooks = V.of(b, b.load(b.gep(self.env, [ir.Constant(I64, S.ENV_NHOOKS)],
                                      source_etype=I64), typ=I64))
        hooks = EnvCtx.env_ptr(ctx0, S.ENV_HOOKS)
        native = EnvCtx.env_ptr(ctx0, S.ENV_NATIVE)
        nslots = ctx0.ctl(S.CTL_NSLOTS)
        fs, back = self.fs, self.back_in
        # jumped: 1 the front was reached by a branch (a region may start there: run it, or
        # count the entry); 2 on entry to the core, where a region may be resumed but a
        # budget return's stopping point is no branch target worth counting
        jumped0 = select(back.bit(0), V.const(2, 8), ((fs >> 1) & 1).trunc(8))
        init = (fs & ~3, back & ~3, fs.bit(0), self.count_in, jumped0)
        entry = b.block
        loop = blk("loop")
        b.branch(loop)
        b.position_at_end(loop)
        phis = [b.phi(t) for t in (I32, I32, I1, I64, I8)]
        for phi, v in zip(phis, init):
            phi.add_incoming(v.ir, entry)
        F, B, N, C, J = (V(b, p, None, p.type.width) for p in phis)

        def again(f, bk, n, count, jumped):
            for phi, v in zip(phis, (f, bk, n, count, jumped)):
                phi.add_incoming((v if isinstance(v, V) else V.const(v, phi.type.width)).ir,
                                 b.block)
            b.branch(loop)

        def leave(status, count, trap=0, detail=0, addr=None):
            self.exit(status, F, B, N, count, trap, detail, addr)

        go = blk("go")
        budget_bb = blk("budget")
        b.cbranch(C.sge(0).ir, budget_bb, go)
        b.position_at_end(budget_bb)
        leave(S.ST_BUDGET, C)

        # ---- fetch: the decode cache holds one slot of 1024 records per code page ----
        b.position_at_end(go)
        page = (F >> 12).zext(64)
        slot0 = V.of(b, b.load(b.gep(self.page_slot, [page.ir], source_etype=I32), typ=I32))
        newslot, have = blk("newslot"), blk("have")
        b.cbranch(slot0.slt(0).ir, newslot, have)
        fetch_end = b.block

        # page zero never gets a slot: the gateway page (entered by branching there)
        b.position_at_end(newslot)
        gateway, not_gateway = blk("gateway"), blk("not_gateway")
        b.cbranch((F.ult(4096) & ~N).ir, gateway, not_gateway)
        b.position_at_end(gateway)
        g_cont = blk("gw_ret")
        sys_bb, tp_bb, lws_bb, bad_bb = blk("syscall"), blk("set_tp"), blk("lws"), blk("gw_bad")
        sw = b.switch(F.ir, bad_bb)
        sw.add_case(ir.Constant(I32, 0x100), sys_bb)
        sw.add_case(ir.Constant(I32, 0xE0), tp_bb)
        sw.add_case(ir.Constant(I32, 0xB0), lws_bb)
        b.position_at_end(sys_bb)                      # syscall: Python runs the kernel
        leave(S.ST_SYSCALL, C)
        b.position_at_end(tp_bb)                       # set thread pointer: cr27 <- r26
        ctx0._st(S.REGS_CR.start + 27, ctx0.gr(c32(26)))
        b.branch(g_cont)
        b.position_at_end(lws_bb)
        r20 = ctx0.gr(c32(20))
        lws_slot = select(r20.ugt(5), c32(5), r20).zext(64) + (S.REGS_CTL + S.CTL_LWS)
        ctx0._st(lws_slot, ctx0._ld(lws_slot) + 1)
        b.call(gen.lws_fn, [self.env])
        b.branch(g_cont)
        b.position_at_end(bad_bb)                      # 0x00: a NULL call; the rest break 0,0
        leave(S.ST_FAULT, C, select(F.eq(0), c64(T.ITLB_MISS), c64(T.ILLEGAL_INSN)), 0, F)
        b.position_at_end(g_cont)
        ret = ctx0.gr(c32(31)) & ~3                    # return to r31 with user privilege
        again(ret, ret + 4, V.const(0, 1), C + 1, 1)

        b.position_at_end(not_gateway)
        p = m.perm_of(F)
        nox, cap_ok = blk("noexec"), blk("alloc")
        b.cbranch((p & PERM_X).eq(0).ir, nox, cap_ok)
        b.position_at_end(nox)
        leave(S.ST_FAULT, C, m.fault_number(p, T.INSN_PROTECTION, T.ITLB_MISS), 0, F)
        b.position_at_end(cap_ok)
        nxt = ctx0.ctl(S.CTL_NEXT_SLOT)
        full_bb, take = blk("cache_full"), blk("take_slot")
        b.cbranch(nxt.sge(nslots).ir, full_bb, take)
        b.position_at_end(full_bb)
        leave(S.ST_CACHE_FULL, C)
        b.position_at_end(take)
        ctx0.set_ctl(S.CTL_NEXT_SLOT, nxt + 1)
        nxt32 = nxt.trunc(32)
        b.store(nxt32.ir, b.gep(self.page_slot, [page.ir], source_etype=I32))
        b.store(page.trunc(32).ir, b.gep(self.ctx0.env_ptr(S.ENV_SLOT_PAGE), [nxt.ir],
                                         source_etype=I32))
        b.store((p | PERM_CODE).ir, b.gep(self.perm, [page.ir], source_etype=I8))
        memset = self.gen.module.declare_intrinsic("llvm.memset", [PTR, I64])
        self._fill_slot(nxt, self.arm_word(gen.refetch_fn))      # nothing decoded yet
        b.call(memset, [b.gep(native, [(nxt << 10).ir], source_etype=I64),
                        ir.Constant(I8, 0), ir.Constant(I64, S.SLOT_WORDS * 8),
                        ir.Constant(I1, 0)])
        take_end = b.block
        b.branch(have)

        b.position_at_end(have)
        slot_phi = b.phi(I32, name="slot")
        slot_phi.add_incoming(slot0.ir, fetch_end)
        slot_phi.add_incoming(nxt32.ir, take_end)
        slot = V(b, slot_phi, None, 32).zext(64)

        # ---- compiled regions start at branch targets: run one, or count entries ----
        regions, native_bb, callregion, count_entry, exec_bb = (
            blk(n) for n in ("regions", "native", "callregion", "count_entry", "exec"))
        b.cbranch((J.ne(0) & ~N & B.eq(F + 4)).ir, regions, exec_bb)
        b.position_at_end(regions)
        b.branch(native_bb)
        b.position_at_end(native_bb)
        jdx = (slot << 10) | ((F >> 2) & 1023).zext(64)
        jptr = b.gep(native, [jdx.ir], source_etype=I64)
        code_v = V.of(b, b.load(jptr, typ=I64))
        b.cbranch(code_v.sgt(0).ir, callregion, count_entry)
        b.position_at_end(callregion)
        limit = self.limit
        ctx0.set_ctl(S.CTL_INSNS, C + limit)
        region_fn = b.inttoptr(code_v.ir, REGION_FN.as_pointer())
        out = V.of(b, b.call(region_fn, [self.regs, self.mem_p, self.perm, self.page_slot,
                                         native, limit.ir, self.env, F.ir],
                             cconv=REGION_CC))
        nf = out.trunc(32) & ~(S.RET_NULLIFY | S.RET_INTERPRET)     # (state.RET_*)
        nbk = (out >> 32).trunc(32)
        nn = (out & S.RET_NULLIFY).ne(0)
        nc = ctx0.ctl(S.CTL_INSNS) - limit
        again(nf, nbk, nn, nc, (out & S.RET_INTERPRET).eq(0).zext(8))
        b.position_at_end(count_entry)
        counting = threshold.sgt(0) & J.eq(1)
        dec, jit_bb = blk("count"), blk("hot")
        b.cbranch(counting.ir, dec, exec_bb)
        b.position_at_end(dec)
        code2 = code_v - 1
        b.store(code2.ir, jptr)
        b.cbranch(reports(code2, threshold, ctx0.ctl(S.CTL_JIT_HOT), self.insns(C),
                          ctx0.ctl(S.CTL_JIT_FROM), ctx0.ctl(S.CTL_LINK_CAP)).ir,
                  jit_bb, exec_bb)
        b.position_at_end(jit_bb)
        ctx0.set_ctl(S.CTL_JIT_ENTRY, F.zext(64))
        leave(S.ST_JIT, C)

        # ---- execute: a nullified instruction only consumes its slot ----
        b.position_at_end(exec_bb)
        nullified, record = blk("nullified"), blk("record")
        b.cbranch(N.ir, nullified, record)
        b.position_at_end(nullified)
        again(B, B + 4, V.const(0, 1), C + 1, B.ne(F + 4).zext(8))

        b.position_at_end(record)
        idx = ((slot << 10) | ((F >> 2) & 1023).zext(64)) << 3
        rec_ptr = b.gep(self.dc, [idx.ir], source_etype=I32)
        op0 = V.of(b, b.load(rec_ptr, typ=I32))
        # not decoded yet (the re-fetch arm's), a counted (hooked) entry, or any other arm
        # (a breakpoint's too: it stops as an illegal instruction)
        dec_bb, not_dec, hook_bb, run_bb = blk("decode"), blk("decoded"), blk("hooked"), blk("run")
        b.cbranch(op0.eq(self.arm_word(gen.refetch_fn)).ir, dec_bb, not_dec)
        b.position_at_end(not_dec)
        b.cbranch(op0.eq(self.arm_word(gen.hooked_fn)).ir, hook_bb, run_bb)
        b.position_at_end(run_bb)
        self.tail(self.at(op0), F, B, C, rec_ptr)

        b.position_at_end(hook_bb)                     # the real arm is the hook's
        h = self._find_hook(F, hooks, nhooks)
        found, lost = blk("hook_found"), blk("hook_lost")
        b.cbranch(h.sge(0).ir, found, lost)
        b.position_at_end(lost)                        # (the hooks changed: decode again)
        b.branch(dec_bb)
        b.position_at_end(found)
        self._count_hook(h, hooks)
        real = V.of(b, b.load(b.gep(hooks, [(h * S.HOOK_FIELDS + S.HOOK_ARM).ir], source_etype=I64),
                              typ=I64)).trunc(32)
        self.tail(self.at(real), F, B, C, rec_ptr)

        b.position_at_end(dec_bb)
        word = m.load(F, 4)
        variant = V.of(b, b.call(gen.decode_fn, [word.ir, rec_ptr]))
        arm = self.pair_or_single(F, variant, rec_ptr, hooks, nhooks)
        h = self._find_hook(F, hooks, nhooks)
        hooked, plain = blk("hook_mark"), blk("plain")
        b.cbranch(h.sge(0).ir, hooked, plain)
        b.position_at_end(plain)
        b.store(arm.ir, rec_ptr)
        self.tail(self.at(arm), F, B, C, rec_ptr)
        b.position_at_end(hooked)          # comes back here each time: counted, then run
        b.store(arm.zext(64).ir, b.gep(hooks, [(h * S.HOOK_FIELDS + S.HOOK_ARM).ir],
                                        source_etype=I64))
        b.store(self.arm_word(gen.hooked_fn).ir, rec_ptr)
        self._count_hook(h, hooks)
        self.tail(self.at(arm), F, B, C, rec_ptr)

    def pair_or_single(self, f: V, variant: V, rec_ptr, hooks, nhooks: V) -> V:
        """The arm of the record just decoded at ``f``: a pair arm when the next word, on
        the same page, is an instruction whose pair with this one is listed (it is
        decoded too, if it was not, unless it is counted or holds a breakpoint: cpu.Cpu
        takes the pair back when it plants one there), else the variant's own."""
        gen, b, fn = self.gen, self.b, self.fn
        single = self.arm_of(variant)
        start = b.block
        look, ahead, fill, choose, done = (fn.append_basic_block(n) for n in
                                           ("pair", "pair_next", "pair_fill", "pair_choose",
                                            "pair_done"))
        nxt = b.gep(rec_ptr, [ir.Constant(I64, S.DC_FIELDS)], source_etype=I32)
        b.cbranch((f & 0xFFC).eq(0xFFC).ir, done, look)
        b.position_at_end(look)
        first = V.of(b, b.load(nxt, typ=I32))
        plain = first.ne(self.arm_word(gen.hooked_fn)) & first.ne(self.arm_word(gen.breakpoint_fn))
        h = self._find_hook(f + 4, hooks, nhooks)
        look_end = b.block
        b.cbranch((plain & h.slt(0)).ir, ahead, done)
        b.position_at_end(ahead)
        scratch = self.scratch_record
        v2 = V.of(b, b.call(gen.decode_fn, [self.m.load(f + 4, 4).ir, scratch]))
        b.cbranch(first.eq(self.arm_word(gen.refetch_fn)).ir, fill, choose)
        b.position_at_end(fill)                     # decoded ahead, with its own arm
        for j in range(1, S.DC_FIELDS):
            src = b.gep(scratch, [ir.Constant(I64, 0), ir.Constant(I64, j)],
                        source_etype=scratch.allocated_type)
            b.store(b.load(src, typ=I32), b.gep(nxt, [ir.Constant(I64, j)], source_etype=I32))
        b.store(self.arm_of(v2).ir, nxt)
        b.branch(choose)
        b.position_at_end(choose)
        key = (variant.zext(64) << 16) | v2.zext(64)
        sw = b.switch(key.ir, done)
        cases = []                                  # (the pair's arm, its case)
        for (a, c), pfn in gen.pair_fns.items():
            case = fn.append_basic_block(f"pair_{a}_{c}")
            sw.add_case(ir.Constant(I64, (a << 16) | c), case)
            b.position_at_end(case)
            cases.append((self.arm_word(pfn), b.block))
            b.branch(done)
        b.position_at_end(done)
        out = b.phi(I32)
        for word, blk in [(single, start), (single, look_end), (single, choose), *cases]:
            out.add_incoming(word.ir, blk)
        return V(b, out, None, 32)

    def _fill_slot(self, slot: V, word: V) -> None:
        """Set the first word of every record of decode-cache slot ``slot`` (i64)."""
        b, fn = self.b, self.fn
        head, body, done = (fn.append_basic_block(n) for n in ("fill", "fill_body", "filled"))
        start = b.block
        first = slot * (S.SLOT_WORDS * S.DC_FIELDS)
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(ir.Constant(I64, 0), start)
        b.cbranch(b.icmp_signed("<", i, ir.Constant(I64, S.SLOT_WORDS)), body, done)
        b.position_at_end(body)
        at = b.add(first.ir, b.mul(i, ir.Constant(I64, S.DC_FIELDS)))
        b.store(word.ir, b.gep(self.dc, [at], source_etype=I32))
        i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
        b.branch(head)
        b.position_at_end(done)

    def _count_hook(self, h: V, hooks) -> None:
        b = self.b
        cnt_p = b.gep(hooks, [(h * S.HOOK_FIELDS + S.HOOK_COUNT).ir], source_etype=I64)
        b.store(b.add(b.load(cnt_p, typ=I64), ir.Constant(I64, 1)), cnt_p)

    def _find_hook(self, f: V, hooks, nhooks: V) -> V:
        """The hook counting address ``f`` (i64), or -1 (a search: hooks are few)."""
        b, fn = self.b, self.fn
        head, body, found, done = (fn.append_basic_block(n)
                                   for n in ("hk", "hk_body", "hk_found", "hk_done"))
        start = b.block
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(ir.Constant(I64, 0), start)
        b.cbranch(b.icmp_signed("<", i, nhooks.ir), body, done)
        b.position_at_end(body)
        a = b.load(b.gep(hooks, [b.mul(i, ir.Constant(I64, S.HOOK_FIELDS))], source_etype=I64),
                   typ=I64)
        nxt = b.add(i, ir.Constant(I64, 1))
        b.cbranch(b.icmp_unsigned("==", a, b.zext(f.ir, I64)), found, head)
        i.add_incoming(nxt, body)
        b.position_at_end(found)
        b.branch(done)
        b.position_at_end(done)
        h = b.phi(I64)
        h.add_incoming(ir.Constant(I64, -1), head)
        h.add_incoming(i, found)
        return V(b, h, None, 64)


def build_module(table: Table | None = None) -> ir.Module:
    return CoreGen(table or Table.get()).module
