"""The interpreter: a native fetch/decode/execute loop generated from the semantics.

``build_module()`` writes the whole first tier as LLVM IR: the run loop with the gateway
page and the light-weight syscalls, the decode cache, the call into compiled regions, the
native decoder (decode.py) and one *arm* per micro-op variant, each the op's semantics
(semantics.py, fpu.py) applied to an interpreter context (:class:`ICtx`) in which the
record's decoded fields are run-time values and the row's fixed fields constants.  The
shared helpers (FP operations, unaligned accesses, the host clock) are functions of the
same module; compiled regions call them through the environment block.  native.py
compiles the module once per source version and caches the object code on disk.

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
    result and base modification; a page the emulation cannot touch is a data TLB miss
    at the unaligned address), or stop with UNALIGNED when the process asked for SIGBUS
    with PR_SET_UNALIGN (ctl[CTL_UNALIGN]).

Compiled regions (jit.py): when the front was reached by a taken branch (and the queue is
sequential, PSW[N] clear), the loop either calls the native code registered for that
address in the native table or counts the entry there; at the threshold it returns ST_JIT
so Python compiles it. A region returns 0 at a control transfer (the new front may start
another region) or 1 when this loop must execute the front instruction itself.
"""
from __future__ import annotations

import ctypes
import fcntl
import hashlib

import numpy as np
from llvmlite import ir

from hppa_user import encoding as enc
from hppa_user import fpu, jitcache, native
from hppa_user import traps as T
from hppa_user import state as S
from hppa_user.decode import Table, emit_decoder
from hppa_user.memory import PERM_CODE, PERM_MAPPED, PERM_R, PERM_W, PERM_X
from hppa_user.semantics import SEMANTICS, Ctx
from hppa_user.ssa import V, ity, select

I1, I8, I32, I64 = ity(1), ity(8), ity(32), ity(64)
PTR = ir.PointerType()
M32 = 0xFFFFFFFF
PR_UNALIGN_SIGBUS = 2     # the prctl(PR_SET_UNALIGN) flag that asks for SIGBUS

# compiled regions: i64 region(regs, mem, perm, page_slot, native, limit, env) -> 0 or 1.
# GHC's convention keeps no callee-saved registers: a jump from region to region saves
# and restores nothing.
REGION_FN = ir.FunctionType(I64, [PTR, PTR, PTR, PTR, PTR, I64, PTR])
REGION_CC = "ghccc"

# helper functions shared with compiled regions, in their ENV_HELPERS order
HELPER_NAMES = list(fpu.HELPER_NAMES) + ["host_ns"]
HELPER_INDEX = {name: i for i, name in enumerate(HELPER_NAMES)}
HELPER_ARGS = {name: n for name, (_body, n) in fpu.HELPERS.items()}
HELPER_ARGS["host_ns"] = 0


def helper_type(name: str) -> ir.FunctionType:
    """Every helper: i64 (ptr env, i32 x n)."""
    return ir.FunctionType(I64, [PTR] + [I32] * HELPER_ARGS[name])


def c32(x: int) -> V:
    return V.const(x, 32)


def c64(x: int) -> V:
    return V.const(x, 64)


class Mem:
    """Raw guest-memory access in native code: big-endian loads and stores, the page
    permission table, the decode-cache invalidation a store into code needs."""

    def __init__(self, b: ir.IRBuilder, mem, perm, page_slot):
        self.b, self.mem, self.perm, self.page_slot = b, mem, perm, page_slot

    def perm_of(self, addr: V) -> V:
        b = self.b
        return V.of(b, b.load(b.gep(self.perm, [(addr >> 12).zext(64).ir], source_etype=I8), typ=I8))

    def has(self, addr: V, need: int) -> V:
        return (self.perm_of(addr) & need).eq(need)

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

    def invalidate(self, addr: V) -> None:
        """A store into a page holding decoded code drops that code (its slot and any
        region built from it: the page is decoded afresh on the next fetch)."""
        b = self.b
        page = (addr >> 12).zext(64).ir
        pp = b.gep(self.perm, [page], source_etype=I8)
        p = b.load(pp, typ=I8)
        with b.if_then(b.icmp_unsigned("!=", b.and_(p, ir.Constant(I8, PERM_CODE)),
                                       ir.Constant(I8, 0)), likely=False):
            b.store(b.and_(p, ir.Constant(I8, ~PERM_CODE & 0xFF)), pp)
            b.store(ir.Constant(I32, -1), b.gep(self.page_slot, [page], source_etype=I32))


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

    def __init__(self, gen: "CoreGen", f: V, back: V, count: V):
        self.gen, self.b = gen, gen.b
        self.regs, self.m, self.env = gen.regs, gen.m, gen.env
        self.f, self.back, self.count = f, back, count
        self.n_next = V.const(0, 1)
        self.nb = None
        self.zero_r0 = False

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
        return V.of(b, b.call(self.gen.helpers[name], [self.env] + [a.ir for a in args]))

    def insns_so_far(self) -> V:
        return self.count

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
            code = V.of(b, b.call(gen.ua_load[size], [self.env, addr.ir, gen.scratch]))
            self.trap_if(code.ne(0), T.DTLB_MISS, 0, addr)
            v = V.of(b, b.load(gen.scratch, typ=I64))
            return v if size == 8 else v.trunc(32)
        code = V.of(b, b.call(gen.ua_store[size], [self.env, addr.ir, value.zext(64).ir]))
        self.trap_if(code.ne(0), T.DTLB_MISS, 0, addr)
        return None

    def load(self, addr: V, size: int) -> V:
        def aligned():
            p = self.m.perm_of(addr)
            self.trap_if((p & PERM_R).eq(0),
                         self.m.fault_number(p, T.DATA_PROTECTION, T.DTLB_MISS), 0, addr)
            return self.m.load(addr, size)
        if size == 1:
            return aligned()
        return self.if_else((addr & (size - 1)).ne(0),
                            lambda: self._unaligned(addr, size, None), aligned)

    def store(self, addr: V, size: int, v: V) -> None:
        def aligned():
            self.check_store(addr, addr)
            self.m.store(addr, size, v)
        if size == 1:
            aligned()
            return
        self.if_else((addr & (size - 1)).ne(0), lambda: self._unaligned(addr, size, v), aligned)

    def check_store(self, addr: V, fault_addr: V) -> None:
        p = self.m.perm_of(addr)
        self.trap_if((p & PERM_W).eq(0), self.m.fault_number(p, T.DATA_PROTECTION, T.DTLB_MISS),
                     0, fault_addr)
        self.m.invalidate(addr)

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
        self.build_run()

    # -- helpers ------------------------------------------------------------------------
    def new_function(self, name: str, fnty: ir.FunctionType) -> tuple[ir.Function, ir.IRBuilder]:
        fn = ir.Function(self.module, fnty, name=name)
        return fn, ir.IRBuilder(fn.append_basic_block("entry"))

    def build_helper(self, name: str) -> ir.Function:
        fn, b = self.new_function(f"hppa_{name}", helper_type(name))
        fn.attributes.add("noinline")
        if name == "host_ns":                  # the cr16 source: host CLOCK_MONOTONIC ns
            clock_ty = ir.FunctionType(I32, [I32, PTR])       # clock_gettime(id, timespec *)
            clock = b.inttoptr(b.load(b.gep(fn.args[0], [ir.Constant(I64, S.ENV_CLOCK)],
                                            source_etype=I64), typ=I64), clock_ty.as_pointer())
            ts = b.alloca(ir.ArrayType(I64, 2))
            b.call(clock, [ir.Constant(I32, 1), ts])
            sec = b.load(b.gep(ts, [ir.Constant(I64, 0), ir.Constant(I32, 0)]), typ=I64)
            nsec = b.load(b.gep(ts, [ir.Constant(I64, 0), ir.Constant(I32, 1)]), typ=I64)
            b.ret(b.add(b.mul(sec, ir.Constant(I64, 1_000_000_000)), nsec))
            return fn
        set.add(fn.attributes, "strictfp")
        body, nargs = fpu.HELPERS[name]
        s = HelperCtx(b, fn.args[0])
        fp = fpu.HostFP(self.module, b)
        code = body(s, fp, *[V(b, a, None, 32) for a in fn.args[1:]])
        b.ret(code.zext(64).ir)
        return fn

    def build_unaligned(self, size: int, store: bool) -> ir.Function:
        """Linux's emulation of an unaligned user access of ``size`` bytes: it reads (and
        for stores of more than two bytes writes back) the aligned words that hold the
        bytes, so every one of them must be accessible; on failure nothing is written
        and the caller stops with a data TLB miss at the unaligned address.  Returns 0
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

    # -- the run loop --------------------------------------------------------------------
    def build_run(self) -> None:
        fn, b = self.new_function("hppa_run", ir.FunctionType(I64, []))
        self.fn, self.b = fn, b
        env = self.env = b.load(self.env_global, typ=PTR)

        def env_ptr(slot):
            return b.inttoptr(b.load(b.gep(env, [ir.Constant(I64, slot)], source_etype=I64),
                                     typ=I64), PTR)
        self.regs = env_ptr(S.ENV_REGS)
        self.mem_p = env_ptr(S.ENV_MEM)
        self.perm = env_ptr(S.ENV_PERM)
        self.page_slot = env_ptr(S.ENV_PAGE_SLOT)
        self.dc = env_ptr(S.ENV_DC)
        self.native = env_ptr(S.ENV_NATIVE)
        self.hooks = env_ptr(S.ENV_HOOKS)
        nhooks = b.load(b.gep(env, [ir.Constant(I64, S.ENV_NHOOKS)], source_etype=I64), typ=I64)
        budget = b.load(b.gep(env, [ir.Constant(I64, S.ENV_BUDGET)], source_etype=I64), typ=I64)
        self.m = Mem(b, self.mem_p, self.perm, self.page_slot)
        self.scratch = b.alloca(I64, name="scratch")
        ctx0 = EnvCtx(b, env, self.regs, self.m)
        ctl = lambda i: ctx0.ctl(i)                                       # noqa: E731
        f0 = ctl(S.CTL_IAOQF).trunc(32)
        b0 = ctl(S.CTL_IAOQB).trunc(32)
        n0 = ctl(S.CTL_PSWN).ne(0)
        count0 = ctl(S.CTL_INSNS)
        limit = count0 + V(b, budget, None, 64)
        threshold = ctl(S.CTL_JIT_THRESHOLD)
        nslots = ctl(S.CTL_NSLOTS)
        entry_blk = b.block

        blk = fn.append_basic_block
        loop, top, fetch, newslot, have, regions, native_bb, callregion, count_entry, \
            exec_bb, nullified, record, slowrec, dispatch, gateway, nextb, fault, exit_bb = (
                blk(n) for n in ("loop", "top", "fetch", "newslot", "have", "regions",
                                 "native", "callregion", "count_entry", "exec", "nullified",
                                 "record", "slowrec", "dispatch", "gateway", "next", "fault",
                                 "exit"))
        b.branch(loop)

        # loop-carried state
        b.position_at_end(loop)
        f = b.phi(I32, name="f")
        bk = b.phi(I32, name="b")
        n = b.phi(I1, name="n")
        count = b.phi(I64, name="count")
        jumped = b.phi(I8, name="jumped")
        self.loop_phis = (f, bk, n, count, jumped)

        def to_loop(vals, from_block=None):
            """Branch to the loop head with (f, b, n, count, jumped)."""
            src = from_block or b.block
            for phi, v in zip(self.loop_phis, vals):
                phi.add_incoming(v.ir if isinstance(v, V) else v, src)
            b.branch(loop)
        f.add_incoming(f0.ir, entry_blk)
        bk.add_incoming(b0.ir, entry_blk)
        n.add_incoming(n0.ir, entry_blk)
        count.add_incoming(count0.ir, entry_blk)
        jumped.add_incoming(ir.Constant(I8, 2), entry_blk)
        F, B, N, C = (V(b, x, None, w) for x, w in ((f, 32), (bk, 32), (n, 1), (count, 64)))

        # exits: status, count, fault signal, code, address
        b.position_at_end(exit_bb)
        ex = [b.phi(t, name=nm) for t, nm in ((I64, "status"), (I32, "xf"), (I32, "xb"),
                                               (I1, "xn"), (I64, "xcount"), (I64, "trap"),
                                               (I64, "detail"), (I32, "addr"))]
        self.exit_phis = ex
        st_, xf, xb, xn, xc, trap, detail, addr = (V(b, x, None, x.type.width) for x in ex)
        ctx0.set_ctl(S.CTL_IAOQF, xf.zext(64))
        ctx0.set_ctl(S.CTL_IAOQB, xb.zext(64))
        ctx0.set_ctl(S.CTL_PSWN, xn.zext(64))
        ctx0.set_ctl(S.CTL_INSNS, xc)
        ctx0.set_ctl(S.CTL_TRAP, trap)
        ctx0.set_ctl(S.CTL_TRAP_DETAIL, detail)
        ctx0.set_ctl(S.CTL_TRAP_ADDR, addr.zext(64))
        ctx0._st(0, c64(0))
        b.ret(st_.ir)

        def leave(status, count_v, trap_=0, detail_=0, addr_=None):
            vals = (c64(status), F, B, N, count_v,
                    c64(trap_) if isinstance(trap_, int) else trap_,
                    c64(detail_) if isinstance(detail_, int) else detail_,
                    addr_ if addr_ is not None else c32(0))
            for phi, v in zip(ex, vals):
                phi.add_incoming(v.ir, b.block)
            b.branch(exit_bb)

        # fault: phis sig, code, addr, count (filled by fault_if)
        b.position_at_end(fault)
        self.fault_phis = [b.phi(t) for t in (I64, I64, I32, I64)]
        fs, fc, fa, fcount = (V(b, x, None, x.type.width) for x in self.fault_phis)
        leave(S.ST_FAULT, fcount, fs, fc, fa)
        self.fault_bb = fault

        # loop head: budget, then the gateway page
        b.position_at_end(loop)
        b.cbranch(C.sge(limit).ir, self._block_leaving(S.ST_BUDGET, C, leave), top)
        b.position_at_end(top)
        b.cbranch((F.ult(4096) & ~N).ir, gateway, fetch)

        # ---- gateway page (entered by branching there, never decoded) ----
        b.position_at_end(gateway)
        g_cont = blk("gw_ret")
        is100, isE0, isB0 = F.eq(0x100), F.eq(0xE0), F.eq(0xB0)
        sys_bb, tp_bb, lws_bb, bad_bb = blk("syscall"), blk("set_tp"), blk("lws"), blk("gw_bad")
        sw = b.switch(F.ir, bad_bb)
        sw.add_case(ir.Constant(I32, 0x100), sys_bb)
        sw.add_case(ir.Constant(I32, 0xE0), tp_bb)
        sw.add_case(ir.Constant(I32, 0xB0), lws_bb)
        del is100, isE0, isB0
        b.position_at_end(sys_bb)                      # syscall: Python runs the kernel
        leave(S.ST_SYSCALL, C)
        b.position_at_end(tp_bb)                       # set thread pointer: cr27 <- r26
        ctx0._st(S.REGS_CR.start + 27, ctx0.gr(c32(26)))
        b.branch(g_cont)
        b.position_at_end(lws_bb)
        r20 = ctx0.gr(c32(20))
        lws_slot = select(r20.ugt(5), c32(5), r20).zext(64) + (S.REGS_CTL + S.CTL_LWS)
        ctx0._st(lws_slot, ctx0._ld(lws_slot) + 1)
        b.call(self.lws_fn, [env])
        b.branch(g_cont)
        b.position_at_end(bad_bb)                      # 0x00: a NULL call; the rest break 0,0
        leave(S.ST_FAULT, C, select(F.eq(0), c64(T.ITLB_MISS), c64(T.ILLEGAL_INSN)), 0, F)
        b.position_at_end(g_cont)
        ret = ctx0.gr(c32(31)) & ~3                    # return to r31 with user privilege
        to_loop((ret, ret + 4, V.const(0, 1), C + 1, ir.Constant(I8, 1)))

        # ---- fetch: the decode cache holds one slot of 1024 records per code page ----
        b.position_at_end(fetch)
        page = (F >> 12).zext(64)
        slot0 = V.of(b, b.load(b.gep(self.page_slot, [page.ir], source_etype=I32), typ=I32))
        b.cbranch(slot0.slt(0).ir, newslot, have)
        fetch_end = b.block
        b.position_at_end(newslot)
        p = self.m.perm_of(F)
        nox, cap_ok = blk("noexec"), blk("alloc")
        b.cbranch((p & PERM_X).eq(0).ir, nox, cap_ok)
        b.position_at_end(nox)
        leave(S.ST_FAULT, C, self.m.fault_number(p, T.INSN_PROTECTION, T.ITLB_MISS), 0, F)
        b.position_at_end(cap_ok)
        nxt = ctl(S.CTL_NEXT_SLOT)
        full_bb, take = blk("cache_full"), blk("take_slot")
        b.cbranch(nxt.sge(nslots).ir, full_bb, take)
        b.position_at_end(full_bb)
        leave(S.ST_CACHE_FULL, C)
        b.position_at_end(take)
        ctx0.set_ctl(S.CTL_NEXT_SLOT, nxt + 1)
        nxt32 = nxt.trunc(32)
        b.store(nxt32.ir, b.gep(self.page_slot, [page.ir], source_etype=I32))
        b.store((p | PERM_CODE).ir, b.gep(self.perm, [page.ir], source_etype=I8))
        memset = self.module.declare_intrinsic("llvm.memset", [PTR, I64])
        recs = S.SLOT_WORDS * S.DC_FIELDS
        b.call(memset, [b.gep(self.dc, [(nxt * recs).ir], source_etype=I32), ir.Constant(I8, 0),
                        ir.Constant(I64, recs * 4), ir.Constant(I1, 0)])
        b.call(memset, [b.gep(self.native, [(nxt << 10).ir], source_etype=I64),
                        ir.Constant(I8, 0), ir.Constant(I64, S.SLOT_WORDS * 8),
                        ir.Constant(I1, 0)])
        take_end = b.block
        b.branch(have)

        b.position_at_end(have)
        slot_phi = b.phi(I32, name="slot")
        slot_phi.add_incoming(slot0.ir, fetch_end)
        slot_phi.add_incoming(nxt32.ir, take_end)
        slot = V(b, slot_phi, None, 32).zext(64)
        J = V(b, jumped, None, 8)
        b.cbranch(J.ne(0).ir, regions, exec_bb)

        # ---- compiled regions start at branch targets: run one, or count entries ----
        b.position_at_end(regions)
        seq = ~N & B.eq(F + 4)
        b.cbranch(seq.ir, native_bb, exec_bb)
        b.position_at_end(native_bb)
        jdx = (slot << 10) | ((F >> 2) & 1023).zext(64)
        jptr = b.gep(self.native, [jdx.ir], source_etype=I64)
        code_v = V.of(b, b.load(jptr, typ=I64))
        b.cbranch(code_v.sgt(0).ir, callregion, count_entry)
        b.position_at_end(callregion)
        ctx0.set_ctl(S.CTL_INSNS, C)
        region_fn = b.inttoptr(code_v.ir, REGION_FN.as_pointer())
        r = b.call(region_fn, [self.regs, self.mem_p, self.perm, self.page_slot, self.native,
                               limit.ir, env], cconv=REGION_CC)
        nf = ctl(S.CTL_IAOQF).trunc(32)
        nbk = ctl(S.CTL_IAOQB).trunc(32)
        nn = ctl(S.CTL_PSWN).ne(0)
        nc = ctl(S.CTL_INSNS)
        to_loop((nf, nbk, nn, nc, b.zext(b.icmp_unsigned("==", r, ir.Constant(I64, 0)), I8)))
        b.position_at_end(count_entry)
        counting = threshold.sgt(0) & J.eq(1)
        dec, jit_bb = blk("count"), blk("hot")
        b.cbranch(counting.ir, dec, exec_bb)
        b.position_at_end(dec)
        code2 = code_v - 1
        b.store(code2.ir, jptr)
        b.cbranch(code2.eq(c64(0) - threshold).ir, jit_bb, exec_bb)
        b.position_at_end(jit_bb)
        ctx0.set_ctl(S.CTL_JIT_ENTRY, F.zext(64))
        leave(S.ST_JIT, C)

        # ---- execute: count it; a nullified instruction only consumes its slot ----
        b.position_at_end(exec_bb)
        C1 = C + 1
        NB = B + 4
        jumped_next = b.zext(B.ne(F + 4).ir, I8)
        b.cbranch(N.ir, nullified, record)
        b.position_at_end(nullified)
        to_loop((B, NB, V.const(0, 1), C1, jumped_next))

        b.position_at_end(record)
        idx = ((slot << 10) | ((F >> 2) & 1023).zext(64)) << 3
        rec_ptr = b.gep(self.dc, [idx.ir], source_etype=I32)
        op0 = V.of(b, b.load(rec_ptr, typ=I32))
        b.cbranch(op0.sle(0).ir, slowrec, dispatch)
        record_end = b.block
        # not decoded yet (0), or a counted (hooked) entry (< 0)
        b.position_at_end(slowrec)
        dec_bb, hook_bb = blk("decode"), blk("hooked")
        b.cbranch(op0.eq(0).ir, dec_bb, hook_bb)
        b.position_at_end(dec_bb)
        word = self.m.load(F, 4)
        b.call(self.decode_fn, [word.ir, rec_ptr])
        self._mark_hooks(F, rec_ptr, nhooks)
        op1 = V.of(b, b.load(rec_ptr, typ=I32))
        dec_end = b.block
        after = blk("decoded")
        b.cbranch(op1.slt(0).ir, hook_bb, after)
        b.position_at_end(hook_bb)
        hop = b.phi(I32)
        hop.add_incoming(op0.ir, slowrec)
        hop.add_incoming(op1.ir, dec_end)
        h = (c32(-1) - V(b, hop, None, 32)).zext(64)
        cnt_p = b.gep(self.hooks, [(h * 3 + S.HOOK_COUNT).ir], source_etype=I64)
        b.store(b.add(b.load(cnt_p, typ=I64), ir.Constant(I64, 1)), cnt_p)
        real = V.of(b, b.load(b.gep(self.hooks, [(h * 3 + S.HOOK_OP).ir], source_etype=I64),
                              typ=I64)).trunc(32)
        hook_end = b.block
        b.branch(dispatch)
        b.position_at_end(after)
        b.branch(dispatch)

        b.position_at_end(dispatch)
        op = b.phi(I32, name="op")
        op.add_incoming(op0.ir, record_end)
        op.add_incoming(real.ir, hook_end)
        op.add_incoming(op1.ir, after)

        # ---- one arm per variant ----
        self.next_bb = nextb
        b.position_at_end(nextb)
        nb_phi = b.phi(I32, name="nb")
        nn_phi = b.phi(I1, name="nn")
        to_loop((B, V(b, nb_phi, None, 32), V(b, nn_phi, None, 1), C1, jumped_next))

        b.position_at_end(dispatch)
        illegal_arm = blk("arm_illegal")
        sw = b.switch(op, illegal_arm)
        for num, (opname, consts) in enumerate(enc.VARIANTS, start=1):
            arm = blk(f"arm_{num}_{opname}")
            sw.add_case(ir.Constant(I32, num), arm)
            b.position_at_end(arm)
            self.emit_arm(opname, consts, rec_ptr, F, B, C1, nb_phi, nn_phi, NB)
        b.position_at_end(illegal_arm)                 # e.g. a breakpoint record
        self.emit_arm("ILLEGAL", (0,) * enc.NFIELDS, rec_ptr, F, B, C1, nb_phi, nn_phi, NB)

    def _block_leaving(self, status: int, count: V, leave) -> ir.Block:
        saved = self.b.block
        blk = self.fn.append_basic_block(f"leave_{status}")
        self.b.position_at_end(blk)
        leave(status, count)
        self.b.position_at_end(saved)
        return blk

    def _mark_hooks(self, f: V, rec_ptr, nhooks) -> None:
        """A freshly decoded record at a hooked address becomes -1 - h (counted entry)."""
        b = self.b
        head, body, done = (self.fn.append_basic_block(n) for n in ("hk", "hk_body", "hk_done"))
        start = b.block
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(ir.Constant(I64, 0), start)
        b.cbranch(b.icmp_signed("<", i, nhooks), body, done)
        b.position_at_end(body)
        base = b.mul(i, ir.Constant(I64, 3))
        a = b.load(b.gep(self.hooks, [base], source_etype=I64), typ=I64)
        with b.if_then(b.icmp_unsigned("==", a, b.zext(f.ir, I64))):
            real = b.load(rec_ptr, typ=I32)
            b.store(b.sext(real, I64), b.gep(self.hooks, [b.add(base, ir.Constant(I64, S.HOOK_OP))],
                                              source_etype=I64))
            b.store(b.trunc(b.sub(ir.Constant(I64, -1), i), I32), rec_ptr)
        i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
        b.branch(head)
        b.position_at_end(done)

    def fault_if(self, cond: V, number, detail, addr: V, count: V) -> None:
        """Branch to the interruption exit when cond holds; continue building after it."""
        b = self.b
        number = c64(number) if isinstance(number, int) else number.zext(64)
        detail = c64(detail) if isinstance(detail, int) else detail.zext(64)
        cont = self.fn.append_basic_block("ok")
        for phi, v in zip(self.fault_phis, (number, detail, addr, count)):
            phi.add_incoming(v.ir, b.block)
        b.cbranch(cond.ir, self.fault_bb, cont)
        b.position_at_end(cont)

    def emit_arm(self, opname, consts, rec_ptr, F, B, C1, nb_phi, nn_phi, NB) -> None:
        b = self.b
        fields = []
        for j, c in enumerate(consts):
            if c is not None:
                fields.append(c32(c))
            else:
                p = b.gep(rec_ptr, [ir.Constant(I64, 1 + j)], source_etype=I32)
                fields.append(V.of(b, b.load(p, typ=I32)))
        ctx = ICtx(self, F, B, C1)
        sem_fn = SEMANTICS[opname]
        code = sem_fn.__code__
        nargs = enc.NFIELDS if code.co_flags & 4 else code.co_argcount - 1   # 4: *args
        sem_fn(ctx, *fields[:nargs])
        if ctx.zero_r0:
            ctx._st(0, c64(0))
        nb = ctx.nb if ctx.nb is not None else NB
        nb_phi.add_incoming(nb.ir, b.block)
        nn_phi.add_incoming(ctx.n_next.ir, b.block)
        b.branch(self.next_bb)


def build_module(table: Table | None = None) -> ir.Module:
    return CoreGen(table or Table.get()).module


# ---- the compiled core at run time -----------------------------------------------------------

class Library:
    """The core's object code loaded into this process (once): entry points by address."""
    _inst: "Library | None" = None

    def __init__(self, obj: bytes):
        loaded = native.Loaded(obj)
        self.loaded = loaded
        self.run = ctypes.CFUNCTYPE(ctypes.c_int64)(loaded.function("hppa_run"))
        self.env_slot = loaded.global_address("hppa_env")
        self.helpers = [loaded.function(f"hppa_{name}") for name in HELPER_NAMES]
        self.current_env = 0

    compiled_here = False                 # this process compiled the core (cache was cold)

    @classmethod
    def get(cls) -> "Library":
        if cls._inst is None:
            cls._inst = cls(cls.object_code())
        return cls._inst

    @classmethod
    def object_code(cls) -> bytes:
        """The core's object code: from the cache, or compiled now (once, under a lock, so
        several first runs at the same time compile it once)."""
        key = hashlib.sha256(f"{jitcache.source_hash()}|{native.host_id()}".encode()).hexdigest()
        d = jitcache.directory()
        if d is None:
            cls.compiled_here = True
            return compile_core()
        path = d / f"core-{key[:16]}.o"
        with open(d / "core.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                obj = native.unseal(path.read_bytes(), key) if path.exists() else None
                if obj is None:
                    obj = compile_core()
                    cls.compiled_here = True
                    native.write_atomic(path, native.sealed(obj, key))
                return obj
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def compile_core() -> bytes:
    return native.compile_ir(str(build_module()), opt=2, speed_level=2)


class Core:
    """The native core bound to one CPU's arrays: ``run(budget)`` executes until an event
    and returns the status (state.ST_*).  Calling it is one foreign call with no
    arguments: the budget and the arrays are in the environment block."""

    def __init__(self, regs, mem, dc, native_table, hooks):
        self.lib = Library.get()
        self.env = np.zeros(S.ENV_HELPERS + len(HELPER_NAMES), dtype=np.int64)
        self._keep = (regs, mem, dc, native_table, hooks)
        e = self.env
        e[S.ENV_REGS] = regs.ctypes.data
        e[S.ENV_MEM] = mem.mem.ctypes.data
        e[S.ENV_PERM] = mem.perm.ctypes.data
        e[S.ENV_PAGE_SLOT] = mem.page_slot.ctypes.data
        e[S.ENV_DC] = dc.ctypes.data
        e[S.ENV_NATIVE] = native_table.ctypes.data
        e[S.ENV_HOOKS] = hooks.ctypes.data
        e[S.ENV_NHOOKS] = hooks.shape[0]
        e[S.ENV_CLOCK] = native.clock_gettime_address()
        e[S.ENV_HELPERS:] = self.lib.helpers
        self.address = e.ctypes.data
        self._env = memoryview(e)
        self._slot = (ctypes.c_int64).from_address(self.lib.env_slot)

    def run(self, budget: int) -> int:
        self._env[S.ENV_BUDGET] = budget
        lib = self.lib
        if lib.current_env != self.address:
            self._slot.value = self.address
            lib.current_env = self.address
        return lib.run()
