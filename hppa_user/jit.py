"""Region compiler: hot guest code translated to native code through LLVM (llvmlite).

The interpreter (core.py) counts how often each branch target is entered; at
``jit_threshold`` it returns ST_JIT and this module translates a *region* starting there:
the instructions that have already run and are reachable from the entry by straight-line
flow and direct branches, on the entry's 4 KiB page and on the pages of its direct calls,
each becoming an LLVM block. Every field of a decoded record is a compile-time constant
here, so a condition is one compare and an ``ldw`` a load, a permission test and a byte
swap. A ``bv r0(rp)`` first tries the return points of known calls on the region's pages.
The region's address goes into the ``native`` table (indexed like the decode cache) and
the interpreter calls it when a branch lands on the entry; regions jump straight into
each other (a tail call) when a branch leaves one for another entry, so a hot path --
glibc's clock_gettime through ``$$dyncall`` into the vDSO and back -- runs with no
interpreter in between.

Native code never raises a guest fault or does anything unusual itself: whenever an
instruction would trap (bad address, misalignment, a store to a page holding decoded
code, ``,tsv`` overflow, a privileged register, an op this compiler does not know,
an FP op) it stores the guest state as it was *before* that instruction and returns 1,
and the interpreter executes it. So native code only ever has to agree with the
interpreter on the instructions' ordinary effects, which the guest tests check by
running whole programs against qemu-hppa with a threshold of 2 (tests/test_jit.py).

PA-RISC control flow in a region (the same rules as core.py, resolved at compile time):
  * IAOQ: a block for address ``a`` runs with front = a, back = a + 4. A branch's delay
    slot is emitted a second time after it, as a copy whose successor is the branch
    target; the back of the queue is never needed at run time.
  * Nullification: an instruction that nullifies its successor jumps over it (counting
    it as executed, like the interpreter); a ``,n`` branch skips its delay-slot copy.
  * Budget: at each block that a branch can reach, ``count + L > limit`` (L bounds the
    instructions to the next such check) exits to the interpreter, so the core's
    instruction budget (and ``--max-insns``) is kept exactly.

Native function ABI: ``i64 region(ptr regs, ptr mem, ptr perm, ptr page_slot, ptr native,
i64 limit)``; regs as in state.py. It reads and writes the GRs, SAR, CB, PSW[V] and the
instruction count in ``regs`` and returns with IAOQ/PSW[N] stored there: 0 at a control
transfer the interpreter may dispatch again, 1 when the interpreter must run the
instruction at IAOQ front itself.
"""
from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
import llvmlite.ir as ir

from hppa_user import encoding as enc
from hppa_user import state as S
from hppa_user.decode import Table
from hppa_user.memory import PERM_CODE, PERM_R, PERM_W

OP = enc.OP
M32 = 0xFFFFFFFF
I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()
REGION_FN = ir.FunctionType(I64, [PTR, PTR, PTR, PTR, PTR, I64])
# GHC's convention keeps no callee-saved registers: a jump from region to region saves
# and restores nothing (core.call_region uses it too)
REGION_CC = "ghccc"
CLOCK_FN = ir.FunctionType(I32, [I32, PTR])     # clock_gettime(clockid, struct timespec *)
MAX_REGION = 120          # instructions per region (LLVM time grows with it)
MAX_PAGES = 4             # pages one region may span (its entry's and its calls')
NEVER = -(1 << 40)        # native-table mark: the interpreter keeps this entry for good

# ops with a native translation; every other op ends the path (the interpreter runs it)
BRANCH_OPS = {OP[k] for k in "BL BV BE BLR CMPB CMPIB ADDB ADDIB MOVB MOVIB BB".split()}
COND_BRANCH_OPS = {OP[k] for k in "CMPB CMPIB ADDB ADDIB MOVB MOVIB BB".split()}
SIMPLE_OPS = {OP[k] for k in """LD ST LDO LDIL ADDIL OR AND XOR ANDCM ADD SUB COMCLR ADDI SUBI
    COMICLR EXTR DEP DEPI SHD LOAD STORE DS UXOR UADDCM NOP MFCTL MTCTL MTSARCM MFSP MFIA
    FLOAD FSTORE XMPYU""".split()}
NATIVE_OPS = SIMPLE_OPS | BRANCH_OPS

CR11 = 72 + 11            # SAR's index in regs
FR0 = 32                  # fr0's index in regs
SR0 = 64


def _host_clock_gettime() -> int:
    return ctypes.cast(ctypes.CDLL(None).clock_gettime, ctypes.c_void_p).value


def c32(v: int) -> ir.Constant:
    return ir.Constant(I32, v & M32)


def c64(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


class Region:
    """The instructions of one region: address -> decoded record (op, 7 fields).

    A region starts on its entry's page and follows direct calls (``b,l``) into up to
    MAX_PAGES other pages, so a call and its callee run as one piece of native code. The
    slot each page had in the decode cache is recorded: code entering another page first
    checks that the page still has that slot (a store into a page's code, mprotect or
    munmap takes it away; a cache flush clears every region), else it leaves."""

    def __init__(self, entry: int, read_word, decode, slot_of, executed, known_returns=()):
        """``slot_of(page)``: the page's decode-cache slot (-1: none); ``executed(slot, a)``:
        whether the instruction at ``a`` has ever run (the decode cache knows). Paths into
        code that never ran are left to the interpreter, so LLVM spends no time on them.
        ``known_returns``: return points of the calls in regions compiled so far; a
        ``bv r0(r)`` here tries those on this region's pages before leaving it."""
        self.decode_at = lambda a: decode(read_word(a))
        self.entry = entry
        self.page = entry >> 12
        self.pages = {self.page: slot_of(self.page)}     # page -> its slot when compiled
        self.insns: dict[int, tuple] = {}
        self.leaders = {entry}           # branch targets inside the region: budget checks
        self.returns: dict[int, set] = {}  # link register -> return points of calls to it
        self.other_returns: list[int] = []  # return points of other regions' calls
        work = [entry]
        while work and len(self.insns) < MAX_REGION:
            a = work.pop()
            if a in self.insns or not self.in_region(a) or not executed(self.pages[a >> 12], a):
                continue
            rec = self.decode_at(a)
            self.insns[a] = rec
            op = rec[0]
            if op not in NATIVE_OPS:
                continue
            if op not in BRANCH_OPS:
                work += [a + 8, a + 4]       # a + 8: when it nullifies its successor
                continue
            target = self.static_target(a, rec)
            if target is not None and not self.in_region(target) and op == OP["BL"] \
                    and len(self.pages) < MAX_PAGES and slot_of(target >> 12) >= 0:
                self.pages[target >> 12] = slot_of(target >> 12)
            if target is not None and self.in_region(target):
                self.leaders.add(target)
                work.insert(0, target)           # after the straight line
            if op == OP["BL"] and rec[1] != 0 and self.in_region(a + 8):
                self.returns.setdefault(rec[1], set()).add(a + 8)
                self.leaders.add(a + 8)
                work.insert(0, a + 8)            # where the callee returns to
            if op == OP["BV"] and rec[1] == 0 and not self.other_returns:
                self.other_returns = sorted(r for r in known_returns if self.in_region(r))[:4]
                self.leaders.update(self.other_returns)
                work[:0] = self.other_returns
            if op in COND_BRANCH_OPS:
                work += [a + 8, a + 4]

    def in_region(self, a: int) -> bool:
        return (a >> 12) in self.pages

    @staticmethod
    def static_target(a: int, rec) -> int | None:
        op = rec[0]
        if op == OP["BL"]:
            return (a + 8 + rec[2]) & M32
        if op in COND_BRANCH_OPS:
            return (a + 8 + rec[4]) & M32
        return None

    def run_length(self, leader: int) -> int:
        """Instructions a path from ``leader`` can run before the next budget check."""
        a, n = leader, 0
        while a in self.insns and (a == leader or a not in self.leaders):
            n += 1
            op = self.insns[a][0]
            if op in BRANCH_OPS and op not in COND_BRANCH_OPS:
                n += 1                           # its delay slot
                break
            a += 4
        return n + 1


class Emitter:
    """Builds one region's LLVM function: one block per instruction address."""

    def __init__(self, region: Region, hooks: dict[int, int], clock_fn: int):
        self.region = region
        self.hooks = hooks                     # address -> absolute address of its counter
        self.clock_fn = clock_fn
        self.module = ir.Module(name=f"r{region.entry:08x}")
        self.name = f"region_{region.entry:08x}"
        self.fn = ir.Function(self.module, REGION_FN, name=self.name)
        self.fn.calling_convention = REGION_CC
        for arg in self.fn.args:
            if isinstance(arg.type, ir.PointerType):
                arg.add_attribute("noalias")
        self.regs, self.mem, self.perm, self.page_slot, self.native, self.limit = self.fn.args
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.exits: list[tuple] = []           # (block, f, back, n, ret) into the epilogue
        self.blocks: dict = {}                 # (address, PSW[N]) -> where that state goes
        self.code_blocks: dict = {}            # address -> the block of its instruction
        self.queue: list[int] = []
        self.cur_f, self.cur_back = 0, 0       # IAOQ of the instruction being emitted
        # Guest registers stay in ``regs`` (every exit and every jump into another region
        # then finds them there, with nothing to write back); LLVM forwards the loads and
        # stores within a path. Only the instruction count is an SSA value (an alloca).
        b = self.b
        self.reg_ptrs: dict[int, ir.Value] = {}
        self.count = b.alloca(I64, name="count")
        self.ts = b.alloca(ir.ArrayType(I64, 2), name="ts")
        self.leave_bb = self.fn.append_basic_block("leave")
        self.cur_f = region.entry
        self.entry_branch = b.branch(self.goto(region.entry))
        b.position_before(self.entry_branch)
        b.store(b.load(b.gep(self.regs, [c64(S.REGS_CTL + S.CTL_INSNS)], source_etype=I64),
                       typ=I64), self.count)

    # -- guest state ----------------------------------------------------------------------
    def reg_ptr(self, i: int):
        """&regs[i], computed once in the entry block."""
        p = self.reg_ptrs.get(i)
        if p is None:
            b = self.b
            saved = b.block
            b.position_before(self.entry_branch)
            p = self.reg_ptrs[i] = b.gep(self.regs, [c64(i)], source_etype=I64)
            b.position_at_end(saved)
        return p

    def load_reg(self, i):
        return self.b.load(self.reg_ptr(i), typ=I64)

    def store_reg(self, i, v):
        self.b.store(v, self.reg_ptr(i))

    def R(self, r: int):
        """GR r as an i32 (r0 reads 0)."""
        return c32(0) if r == 0 else self.b.trunc(self.load_reg(r), I32)

    def W(self, r: int, v) -> None:
        """GR r <- v (i32); writes to r0 vanish."""
        if r != 0:
            self.store_reg(r, self.b.zext(v, I64))

    def sar(self):
        """SAR (cr11), as the 5-bit shift amount."""
        return self.b.and_(self.b.trunc(self.load_reg(CR11), I32), c32(31))

    def set_sar(self, v) -> None:
        self.store_reg(CR11, self.b.zext(self.b.and_(v, c32(31)), I64))

    def add_count(self, k: int) -> None:
        self.b.store(self.b.add(self.b.load(self.count), c64(k)), self.count)

    def new_block(self, name: str) -> ir.Block:
        return self.fn.append_basic_block(name)

    # -- leaving the region -------------------------------------------------------------
    def exit_block(self, f, back, n: int, ret: int) -> ir.Block:
        """A block leaving the region with IAOQ (f, back) (constants or i32 values), PSW[N]
        n and return code ret. All exits meet in one epilogue (see finish)."""
        blk = self.new_block("exit")
        self.exits.append((blk, c32(f) if isinstance(f, int) else f,
                           c32(back) if isinstance(back, int) else back, c64(n), c64(ret)))
        saved = self.b.block
        self.b.position_at_end(blk)
        self.b.branch(self.leave_bb)
        self.b.position_at_end(saved)
        return blk

    def fault_exit(self) -> ir.Block:
        """Leave with the state before the current instruction: the interpreter runs it."""
        return self.exit_block(self.cur_f, self.cur_back, 0, 1)

    def chain_block(self, target) -> ir.Block:
        """Continue at a target outside the region (constant or i32): tail-call its region
        when it has one, else hand it to the interpreter (return 0)."""
        b = self.b
        blk = self.new_block("chain")
        saved = b.block
        b.position_at_end(blk)
        t = c32(target) if isinstance(target, int) else target
        t64 = b.zext(t, I64)
        slot = b.load(b.gep(self.page_slot, [b.lshr(t64, c64(12))], source_etype=I32), typ=I32)
        miss = self.exit_block(t, b.add(t, c32(4)), 0, 0)
        look = self.new_block("lookup")
        b.cbranch(b.icmp_signed(">=", slot, c32(0)), look, miss)
        b.position_at_end(look)
        idx = b.or_(b.shl(b.sext(slot, I64), c64(10)), b.and_(b.lshr(t64, c64(2)), c64(1023)))
        fp = b.load(b.gep(self.native, [idx], source_etype=I64), typ=I64)
        call = self.new_block("tailcall")
        b.cbranch(b.icmp_signed(">", fp, c64(0)), call, miss)
        b.position_at_end(call)
        self.write_back()
        b.ret(b.call(self.fn_pointer(fp, REGION_FN), list(self.fn.args), tail="musttail",
                     cconv=REGION_CC))
        b.position_at_end(saved)
        return blk

    def write_back(self) -> None:
        """Store the instruction count (all else already lives in ``regs``)."""
        self.store_reg(S.REGS_CTL + S.CTL_INSNS, self.b.load(self.count))

    def finish(self) -> None:
        """Build the epilogue every return to the interpreter goes through."""
        b = self.b
        b.position_at_end(self.leave_bb)
        if not self.exits:
            b.unreachable()
            return
        phis = [b.phi(ty, name=nm) for ty, nm in ((I32, "f"), (I32, "back"), (I64, "n"),
                                                   (I64, "ret"))]
        for blk, *vals in self.exits:
            for phi, v in zip(phis, vals):
                phi.add_incoming(v, blk)
        self.write_back()
        self.store_reg(S.REGS_CTL + S.CTL_IAOQF, b.zext(phis[0], I64))
        self.store_reg(S.REGS_CTL + S.CTL_IAOQB, b.zext(phis[1], I64))
        self.store_reg(S.REGS_CTL + S.CTL_PSWN, phis[2])
        b.ret(phis[3])

    # -- control flow -------------------------------------------------------------------
    def goto(self, a: int, n: int = 0) -> ir.Block:
        """The block continuing at front ``a``, back a + 4, with PSW[N] = n."""
        a &= M32
        key = (a, n)
        if key in self.blocks:
            return self.blocks[key]
        reg = self.region
        if n:                       # a is nullified: count it and go on at a + 4
            if reg.in_region(a) and reg.in_region(a + 4):
                blk = self.new_block(f"skip_{a:x}")
                saved = self.b.block
                self.b.position_at_end(blk)
                self.add_count(1)
                self.b.branch(self.goto(a + 4))
                self.b.position_at_end(saved)
            else:
                blk = self.exit_block(a, a + 4, 1, 1)
        elif a in reg.insns:
            blk = self.code_blocks[a] = self.new_block(f"i_{a:x}")
            self.queue.append(a)
            if (a >> 12) != reg.page:       # code of a called page: is it still that code?
                code = blk
                blk = self.new_block(f"guard_{a:x}")
                saved = self.b.block
                b = self.b
                b.position_at_end(blk)
                slot = b.load(b.gep(self.page_slot, [c64(a >> 12)], source_etype=I32), typ=I32)
                stale = self.new_block(f"stale_{a:x}")
                b.cbranch(b.icmp_signed("==", slot, c32(reg.pages[a >> 12])), code, stale)
                b.position_at_end(stale)        # forget this region: it is rebuilt when hot
                entry_idx = (reg.pages[reg.page] << 10) | ((reg.entry >> 2) & 1023)
                b.store(c64(0), b.gep(self.native, [c64(entry_idx)], source_etype=I64))
                b.branch(self.exit_block(a, a + 4, 0, 0))
                b.position_at_end(saved)
        else:
            blk = self.chain_block(a)
        self.blocks[key] = blk
        return blk

    def goto_dynamic(self, t, n: int, returns=()) -> ir.Block:
        """Continue at a run-time target ``t`` (i32) after a delay slot. ``returns``: the
        region's return points for this link register, tried first (a call's return)."""
        if n:
            return self.exit_block(t, self.b.add(t, c32(4)), 1, 1)
        if not returns:
            return self.chain_block(t)
        b = self.b
        saved = b.block
        first = self.new_block("return")
        b.position_at_end(first)
        for r in sorted(returns):
            other = self.new_block("return")
            b.cbranch(b.icmp_unsigned("==", t, c32(r)), self.goto(r), other)
            b.position_at_end(other)
        b.branch(self.chain_block(t))
        b.position_at_end(saved)
        return first

    # -- conditions (cf = (c << 1) | f, a compile-time constant) -----------------------------
    def cond(self, cf: int, res, carry, sv):
        """core.cond, specialised: carry and sv are i1 values (or Python bools)."""
        b = self.b
        c = cf >> 1
        carry = ir.Constant(I1, int(carry)) if isinstance(carry, bool) else carry
        sv = ir.Constant(I1, int(sv)) if isinstance(sv, bool) else sv
        neg = b.icmp_signed("<", res, c32(0))
        zero = b.icmp_unsigned("==", res, c32(0))
        if c == 0:
            r = ir.Constant(I1, 0)
        elif c == 1:
            r = zero
        elif c == 2:
            r = b.xor(neg, sv)
        elif c == 3:
            r = b.or_(b.xor(neg, sv), zero)
        elif c == 4:
            r = b.not_(carry)
        elif c == 5:
            r = b.or_(b.not_(carry), zero)
        elif c == 6:
            r = sv
        else:
            r = b.trunc(res, I1)
        return b.not_(r) if cf & 1 else r

    def sub_cond(self, x, y, cf: int):
        """Compare condition on x - y: the comparisons themselves."""
        b = self.b
        c = cf >> 1
        if c == 0:
            r = ir.Constant(I1, 0)
        elif c == 1:
            r = b.icmp_unsigned("==", x, y)
        elif c == 2:
            r = b.icmp_signed("<", x, y)
        elif c == 3:
            r = b.icmp_signed("<=", x, y)
        elif c == 4:
            r = b.icmp_unsigned("<", x, y)
        elif c == 5:
            r = b.icmp_unsigned("<=", x, y)
        elif c == 6:
            r = self.sub_sv(x, y, b.sub(x, y))
        else:
            r = b.trunc(b.sub(x, y), I1)
        return b.not_(r) if cf & 1 else r

    def unit_cond(self, cf: int, res, cbv):
        b = self.b
        c = cf >> 1
        if c == 2:
            r = b.icmp_unsigned("!=", b.and_(b.and_(b.sub(res, c32(0x01010101)), b.not_(res)), c32(0x80808080)), c32(0))
        elif c == 3:
            r = b.icmp_unsigned("!=", b.and_(b.and_(b.sub(res, c32(0x00010001)), b.not_(res)), c32(0x80008000)), c32(0))
        elif c in (4, 6, 7):
            mask = {4: 0x111111110, 6: 0x101010100, 7: 0x100010000}[c]
            r = b.icmp_unsigned("!=", b.and_(cbv, c64(mask)), c64(0))
        else:
            r = ir.Constant(I1, 0)
        return b.not_(r) if cf & 1 else r

    def add_sv(self, x, y, r):
        b = self.b
        return b.icmp_signed("<", b.and_(b.not_(b.xor(x, y)), b.xor(x, r)), c32(0))

    def sub_sv(self, x, y, r):
        b = self.b
        return b.icmp_signed("<", b.and_(b.xor(x, y), b.xor(x, r)), c32(0))

    def add_full(self, x, y, cin=None):
        """(i64 full sum, i32 result, i1 carry out) of x + y (+ cin, an i64 0/1)."""
        b = self.b
        full = b.add(b.zext(x, I64), b.zext(y, I64))
        if cin is not None:
            full = b.add(full, cin)
        return full, b.trunc(full, I32), b.trunc(b.lshr(full, c64(32)), I1)

    def carry_in(self):
        return self.b.and_(self.b.lshr(self.load_reg(S.REGS_CTL + S.CTL_CB), c64(32)), c64(1))

    def set_cb(self, x, y, full) -> None:
        b = self.b
        self.store_reg(S.REGS_CTL + S.CTL_CB, b.xor(b.xor(b.zext(x, I64), b.zext(y, I64)), full))

    def logic_nullify(self, cf: int, v):
        return None if cf == 0 else self.cond(cf, v, True, False)

    # -- memory -------------------------------------------------------------------------
    def check_access(self, a, size: int, store: bool) -> None:
        """Continue only if the access is aligned and allowed (and, for a store, the page
        holds no decoded code); otherwise leave for the interpreter to fault or store."""
        b = self.b
        ok = ir.Constant(I1, 1)
        if size > 1:
            ok = b.icmp_unsigned("==", b.and_(a, c32(size - 1)), c32(0))
        p = b.load(b.gep(self.perm, [b.lshr(b.zext(a, I64), c64(12))], source_etype=I8), typ=I8)
        if store:
            allowed = b.icmp_unsigned("==", b.and_(p, ir.Constant(I8, PERM_W | PERM_CODE)),
                                      ir.Constant(I8, PERM_W))
        else:
            allowed = b.icmp_unsigned("!=", b.and_(p, ir.Constant(I8, PERM_R)), ir.Constant(I8, 0))
        cont = self.new_block("mem_ok")
        b.cbranch(b.and_(ok, allowed), cont, self.fault_exit())
        b.position_at_end(cont)

    def load(self, a, size: int):
        """Big-endian load of size bytes: an i32 (i64 for 8)."""
        b = self.b
        self.check_access(a, size, False)
        ty = ir.IntType(8 * size)
        v = b.load(b.gep(self.mem, [b.zext(a, I64)], source_etype=I8), typ=ty, align=size)
        if size > 1:
            v = b.call(self.module.declare_intrinsic("llvm.bswap", [ty]), [v])
        return v if size == 8 else (v if size == 4 else b.zext(v, I32))

    def store(self, a, size: int, v) -> None:
        b = self.b
        self.check_access(a, size, True)
        ty = ir.IntType(8 * size)
        if size < 4:
            v = b.trunc(v, ty)
        if size > 1:
            v = b.call(self.module.declare_intrinsic("llvm.bswap", [ty]), [v])
        b.store(v, b.gep(self.mem, [b.zext(a, I64)], source_etype=I8), align=size)

    def effective_address(self, base_r: int, disp: int, mode: int, x: int, scale: int):
        """core.effective_address: (address, modified base) as i32 values."""
        b = self.b
        off = c32(disp) if x < 0 else b.shl(self.R(x & 31), c32(scale))
        if mode == 3:
            mode = 1 if disp < 0 else 2
        base = self.R(base_r)
        newbase = b.add(base, off)
        return (base if mode == 2 else newbase), newbase

    def fr_ptr(self, i: int):
        return self.b.gep(self.regs, [c64(FR0 + (i & 31))], source_etype=I64)

    def fr_half(self, reg: int):
        """A single FP half as loads/stores and xmpyu see it (reg = 2 * n + right)."""
        b = self.b
        v = b.load(self.fr_ptr(reg >> 1), typ=I64)
        return b.trunc(v if reg & 1 else b.lshr(v, c64(32)), I32)

    # -- instructions -------------------------------------------------------------------
    def run(self) -> None:
        while self.queue:
            a = self.queue.pop()
            self.b.position_at_end(self.code_blocks[a])
            rec = self.region.insns[a]
            if rec[0] not in NATIVE_OPS:            # the interpreter's (or a bad delay slot)
                self.b.branch(self.exit_block(a, a + 4, 0, 1))
                continue
            if a in self.region.leaders:             # budget check
                cont = self.new_block("go")
                need = self.b.add(self.b.load(self.count), c64(self.region.run_length(a)))
                self.b.cbranch(self.b.icmp_signed(">", need, self.limit),
                               self.exit_block(a, a + 4, 0, 1), cont)
                self.b.position_at_end(cont)
            self.emit(a, a + 4, rec, lambda n, a=a: self.goto(a + 4, n))
        self.finish()

    def finish_simple(self, nullify, cont) -> None:
        """Count the instruction and go on, over the next one if ``nullify`` holds."""
        self.add_count(1)
        if nullify is None:
            self.b.branch(cont(0))
        else:
            self.b.cbranch(nullify, cont(1), cont(0))

    def delay_slot_then(self, a: int, target, skip: bool, returns=()) -> None:
        """After the branch at ``a``: its delay slot (unless ``skip``), then ``target``."""
        ds = a + 4
        if isinstance(target, int):
            cont = lambda n: self.goto(target, n)                   # noqa: E731
        else:
            cont = lambda n: self.goto_dynamic(target, n, returns)  # noqa: E731
        if skip:
            self.add_count(1)
            self.b.branch(cont(0))
            return
        if (ds >> 12) != (a >> 12) or self.region_rec(ds)[0] not in SIMPLE_OPS:
            # a branch (or an op the interpreter must run) in the slot: leave with IAOQ
            # (slot, target) and let the interpreter run it
            self.b.branch(self.exit_block(ds, target, 0, 1))
            return
        saved = self.cur_f, self.cur_back
        self.emit(ds, target, self.region_rec(ds), cont)
        self.cur_f, self.cur_back = saved

    def region_rec(self, a: int):
        rec = self.region.insns.get(a)
        return rec if rec is not None else self.region.decode_at(a)

    def cond_branch(self, a: int, taken, disp: int, nflag: int) -> None:
        """Taken: delay slot then a + 8 + disp; not taken: on at a + 4. ``,n`` nullifies
        the slot of a taken forward or a not-taken backward branch."""
        b = self.b
        self.add_count(1)
        t_bb, f_bb = self.new_block("taken"), self.new_block("not_taken")
        b.cbranch(taken, t_bb, f_bb)
        b.position_at_end(f_bb)
        b.branch(self.goto(a + 4, 1 if (nflag and disp < 0) else 0))
        b.position_at_end(t_bb)
        self.delay_slot_then(a, (a + 8 + disp) & M32, bool(nflag and disp >= 0))

    def emit(self, a: int, back, rec, cont) -> None:
        """One instruction at ``a`` (IAOQ back ``back``); ``cont(n)`` is what follows."""
        self.cur_f, self.cur_back = a, back
        b = self.b
        op, f1, f2, f3, f4, f5, f6, f7 = (int(x) for x in rec)
        R, W = self.R, self.W
        if a in self.hooks:                      # --stats: count this vDSO entry
            p = b.inttoptr(c64(self.hooks[a]), PTR)
            b.store(b.add(b.load(p, typ=I64), c64(1)), p)
        nul = None
        if op == OP["LD"]:
            W(f2, self.load(b.add(R(f1), c32(f3)), f4))
        elif op == OP["ST"]:
            v = R(f2)
            self.store(b.add(R(f1), c32(f3)), f4, v)
        elif op == OP["LDO"]:
            W(f2, b.add(R(f1), c32(f3)))
        elif op == OP["LDIL"]:
            W(f1, c32(f2))
        elif op == OP["ADDIL"]:
            W(1, b.add(R(f1), c32(f2)))
        elif op in (OP["OR"], OP["AND"], OP["XOR"], OP["ANDCM"]):
            x, y = R(f1), R(f2)
            v = {OP["OR"]: b.or_, OP["AND"]: b.and_, OP["XOR"]: b.xor}.get(op, None)
            v = v(x, y) if v else b.and_(x, b.not_(y))
            W(f3, v)
            nul = self.logic_nullify(f4, v)
        elif op == OP["ADD"]:                    # r1, r2, t, cf, shift, flags
            x0 = R(f1)
            x = b.shl(x0, c32(f5))
            y = R(f2)
            full, v, carry = self.add_full(x, y, self.carry_in() if f6 & enc.F_CARRY else None)
            sv = self.add_sv(x, y, v)
            if f6 & enc.F_TSV:                   # trap: the interpreter raises it
                trap = sv
                if f5:
                    top = b.ashr(x0, c32(31 - f5))
                    trap = b.or_(trap, b.and_(b.icmp_unsigned("!=", top, c32(0)),
                                              b.icmp_unsigned("!=", top, c32(M32))))
                self.guard(trap)
            W(f3, v)
            if not f6 & enc.F_NOCB:
                self.set_cb(x, y, full)
            nul = None if f4 == 0 else self.cond(f4, v, carry, sv)
        elif op in (OP["SUB"], OP["SUBI"]):      # SUB: r1 r2 t cf - flags; SUBI: r t imm cf flags
            if op == OP["SUB"]:
                x, y, t, cf, flags = R(f1), R(f2), f3, f4, f6
            else:
                x, y, t, cf, flags = c32(f3), R(f1), f2, f4, f5
            ny = b.not_(y)
            cin = self.carry_in() if flags & enc.F_CARRY else c64(1)
            full, v, carry = self.add_full(x, ny, cin)
            nul = self.arith_result(t, v, cf, carry, self.sub_sv(x, y, v), flags, x, ny, full)
        elif op == OP["COMCLR"]:
            nul = None if f4 == 0 else self.sub_cond(R(f1), R(f2), f4)
            W(f3, c32(0))
        elif op == OP["COMICLR"]:
            nul = None if f4 == 0 else self.sub_cond(c32(f3), R(f1), f4)
            W(f2, c32(0))
        elif op == OP["ADDI"]:                   # r, t, imm, cf, flags
            x, y = c32(f3), R(f1)
            full, v, carry = self.add_full(x, y)
            nul = self.arith_result(f2, v, f4, carry, self.add_sv(x, y, v), f5, x, y, full)
        elif op == OP["DS"]:                     # divide step
            x = b.or_(b.shl(R(f1), c32(1)), b.trunc(self.carry_in(), I32))
            y = R(f2)
            vflag = b.trunc(b.and_(self.load_reg(S.REGS_CTL + S.CTL_PSWV), c64(1)), I1)
            y2 = b.select(vflag, b.not_(y), y)
            full, r, carry = self.add_full(x, y2, b.zext(vflag, I64))
            self.set_cb(x, y2, full)
            self.store_reg(S.REGS_CTL + S.CTL_PSWV,
                           b.zext(b.xor(carry, b.icmp_signed("<", y, c32(0))), I64))
            W(f3, r)
            nul = None if f4 == 0 else self.cond(f4, r, carry, self.add_sv(x, y2, r))
        elif op == OP["UXOR"]:
            r = b.xor(R(f1), R(f2))
            W(f3, r)
            nul = None if f4 == 0 else self.unit_cond(f4, r, c64(0))
        elif op == OP["UADDCM"]:
            x, ny = R(f1), b.not_(R(f2))
            full, r, _ = self.add_full(x, ny)
            c = None if f4 == 0 else self.unit_cond(
                f4, r, b.xor(b.xor(b.zext(x, I64), b.zext(ny, I64)), full))
            if f5 and c is not None:
                self.guard(c)
            W(f3, r)
            nul = None if f5 else c
        elif op == OP["EXTR"]:                   # r, t, right shift (-1: SAR), len, signed, cf
            sh = c64(f3) if f3 >= 0 else b.sub(c64(31), b.zext(self.sar(), I64))
            ln = self.min64(c64(f4), b.sub(c64(32), sh))
            v = b.and_(b.lshr(b.zext(R(f1), I64), sh), b.sub(b.shl(c64(1), ln), c64(1)))
            if f5:
                sign = b.shl(c64(1), b.sub(ln, c64(1)))
                v = b.sub(b.xor(v, sign), sign)
            v = b.trunc(v, I32)
            W(f2, v)
            nul = self.logic_nullify(f6, v)
        elif op in (OP["DEP"], OP["DEPI"]):      # r/imm, t, left shift (-1: 31-SAR), len, zero, cf
            src = b.zext(R(f1) if op == OP["DEP"] else c32(f1), I64)
            sh = c64(f3) if f3 >= 0 else b.sub(c64(31), b.zext(self.sar(), I64))
            ln = self.min64(c64(f4), b.sub(c64(32), sh))
            mask = b.and_(b.shl(b.sub(b.shl(c64(1), ln), c64(1)), sh), c64(M32))
            new = b.and_(b.shl(src, sh), mask)
            if not f5:
                new = b.or_(new, b.and_(b.zext(R(f2), I64), b.xor(mask, c64(M32))))
            v = b.trunc(new, I32)
            W(f2, v)
            nul = self.logic_nullify(f6, v)
        elif op == OP["SHD"]:                    # r1, r2, t, right shift (-1: SAR), cf
            sh = c64(f4) if f4 >= 0 else b.zext(self.sar(), I64)
            pair = b.or_(b.shl(b.zext(R(f1), I64), c64(32)), b.zext(R(f2), I64))
            v = b.trunc(b.lshr(pair, sh), I32)
            W(f3, v)
            nul = self.logic_nullify(f5, v)
        elif op in (OP["LOAD"], OP["FLOAD"]):    # b, t, disp, size, mode, x, scale
            ea, newbase = self.effective_address(f1, f3, f5, f6, f7)
            v = self.load(ea, f4)
            if f5 != 0:
                W(f1, newbase)
            if op == OP["LOAD"]:
                W(f2, v)
            elif f4 == 8:
                b.store(v, self.fr_ptr(f2))
            else:                                # a single half: left is the high word
                p = self.fr_ptr(f2 >> 1)
                old = b.load(p, typ=I64)
                if f2 & 1:
                    new = b.or_(b.and_(old, c64(~M32)), b.zext(v, I64))
                else:
                    new = b.or_(b.and_(old, c64(M32)), b.shl(b.zext(v, I64), c64(32)))
                b.store(new, p)
        elif op in (OP["STORE"], OP["FSTORE"]):
            ea, newbase = self.effective_address(f1, f3, f5, f6, f7)
            if op == OP["STORE"]:
                v = R(f2)
            elif f4 == 8:
                v = b.load(self.fr_ptr(f2), typ=I64)
            else:
                v = self.fr_half(f2)
            self.store(ea, f4, v)
            if f5 != 0:
                W(f1, newbase)
        elif op == OP["XMPYU"]:                  # single halves f1 * f2 -> double f3
            prod = b.mul(b.zext(self.fr_half(f1), I64), b.zext(self.fr_half(f2), I64))
            b.store(prod, self.fr_ptr(f3))
        elif op == OP["NOP"]:
            if f3 != 0:
                W(f1, b.add(R(f1), R(f2)))
        elif op == OP["MFCTL"]:                  # cr, t
            if f1 == 11:
                W(f2, self.sar())
            elif f1 == 16:
                W(f2, self.interval_timer())
            elif f1 in (26, 27):
                W(f2, b.trunc(self.load_reg(72 + f1), I32))
            else:
                b.branch(self.fault_exit())
                return
        elif op == OP["MTCTL"]:
            if f2 != 11:
                b.branch(self.fault_exit())
                return
            self.set_sar(R(f1))
        elif op == OP["MTSARCM"]:
            self.set_sar(b.not_(R(f1)))
        elif op == OP["MFSP"]:
            W(f2, b.trunc(self.load_reg(SR0 + (f1 & 7)), I32))
        elif op == OP["MFIA"]:
            W(f1, c32(a))
        # ---------------- branches (never in a delay-slot copy) ----------------
        elif op == OP["BL"]:                     # t, disp, n
            if f1 != 0:
                W(f1, c32(((a + 8) & M32) | 3))
            self.add_count(1)
            self.delay_slot_then(a, (a + 8 + f2) & M32, bool(f3))
            return
        elif op in (OP["BV"], OP["BE"], OP["BLR"]):
            if op == OP["BV"]:                   # x, b, n
                t = b.add(R(f2), b.shl(R(f1), c32(3)))
            elif op == OP["BE"]:                 # b, disp, n, sr, link
                t = b.add(R(f1), c32(f2))
                if f5:
                    W(31, c32(((a + 8) & M32) | 3))
                    self.store_reg(SR0, self.load_reg(SR0 + (f4 & 7)))
            else:                                # BLR: t, x, n
                t = b.add(c32(a + 8), b.shl(R(f2), c32(3)))
                if f1 != 0:
                    W(f1, c32(((a + 8) & M32) | 3))
            t = b.and_(t, c32(~3 & M32))
            self.add_count(1)
            # bv r0(rp) style returns: try the return points of this region's calls
            returns = ()
            if op == OP["BV"] and f1 == 0:
                returns = [r for r in self.region.returns.get(f2, set()) | set(self.region.other_returns)
                           if r in self.region.insns]
            self.delay_slot_then(a, t, bool(f3), returns)
            return
        elif op in (OP["CMPB"], OP["CMPIB"]):    # r1/imm, r2, cf, disp, n
            x = R(f1) if op == OP["CMPB"] else c32(f1)
            self.cond_branch(a, self.sub_cond(x, R(f2), f3), f4, f5)
            return
        elif op in (OP["ADDB"], OP["ADDIB"]):
            x = R(f1) if op == OP["ADDB"] else c32(f1)
            y = R(f2)
            full, v, carry = self.add_full(x, y)
            W(f2, v)
            self.cond_branch(a, self.cond(f3, v, carry, self.add_sv(x, y, v)), f4, f5)
            return
        elif op in (OP["MOVB"], OP["MOVIB"]):
            v = R(f1) if op == OP["MOVB"] else c32(f1)
            W(f2, v)
            self.cond_branch(a, self.cond(f3, v, True, False), f4, f5)
            return
        elif op == OP["BB"]:                     # r, pos (-1: SAR), sense, disp, n
            pos = c32(f2) if f2 >= 0 else self.sar()
            bit = b.trunc(b.lshr(R(f1), b.sub(c32(31), pos)), I1)
            taken = b.not_(bit) if f3 else bit
            self.cond_branch(a, taken, f4, f5)
            return
        else:
            raise AssertionError(f"no translation for op {op}")
        self.finish_simple(nul, cont)

    def fn_pointer(self, addr, fnty: ir.FunctionType):
        """A callable pointer from an address (an int or an i64 value)."""
        return self.b.inttoptr(c64(addr) if isinstance(addr, int) else addr, fnty.as_pointer())

    def arith_result(self, t: int, v, cf: int, carry, sv, flags: int, cx, cy, full):
        """The tail of sub/subi/addi: the ,tsv and ,tc traps (left to the interpreter),
        then GR t <- v and the carries of cx + cy; returns the nullify condition."""
        c = None if cf == 0 else self.cond(cf, v, carry, sv)
        if flags & enc.F_TSV:
            self.guard(sv)
        if flags & enc.F_TC and c is not None:
            self.guard(c)
        self.W(t, v)
        self.set_cb(cx, cy, full)
        return None if flags & enc.F_TC else c

    def guard(self, trap) -> None:
        """Leave for the interpreter (which raises the trap) when ``trap`` holds."""
        cont = self.new_block("no_trap")
        self.b.cbranch(trap, self.fault_exit(), cont)
        self.b.position_at_end(cont)

    def min64(self, x, y):
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def interval_timer(self):
        """cr16: host monotonic ns (or the instruction count under --clock virtual) + bias."""
        b = self.b
        mode = self.load_reg(S.REGS_CTL + S.CTL_CLOCK_MODE)
        bias = self.load_reg(S.REGS_CTL + S.CTL_CR16_BIAS)
        host_bb, virt_bb, done = self.new_block("cr16_host"), self.new_block("cr16_virtual"), \
            self.new_block("cr16")
        b.cbranch(b.icmp_signed("==", mode, c64(0)), host_bb, virt_bb)
        b.position_at_end(host_bb)
        b.call(self.fn_pointer(self.clock_fn, CLOCK_FN), [ir.Constant(I32, 1), self.ts])
        sec = b.load(b.gep(self.ts, [c64(0), c64(0)], source_etype=ir.ArrayType(I64, 2)), typ=I64)
        nsec = b.load(b.gep(self.ts, [c64(0), c64(1)], source_etype=ir.ArrayType(I64, 2)), typ=I64)
        host = b.add(b.mul(sec, c64(1_000_000_000)), nsec)
        host_end = b.block
        b.branch(done)
        b.position_at_end(virt_bb)
        virt = b.add(b.load(self.count), c64(1))  # the interpreter counts this instruction first
        b.branch(done)
        b.position_at_end(done)
        phi = b.phi(I64)
        phi.add_incoming(host, host_end)
        phi.add_incoming(virt, virt_bb)
        return b.trunc(b.add(phi, bias), I32)


class RegionCompiler:
    """Compiles regions for one Machine and installs them in its ``native`` table."""

    def __init__(self, machine):
        self.m = machine
        self.engine = None
        self.regions = 0
        self.failures = 0                 # regions the compiler gave up on (a bug)
        self.return_points: set[int] = set()   # after the calls in compiled regions
        self.insns = 0
        self.seconds = 0.0
        self.clock_fn = _host_clock_gettime()
        # breakpoint addresses (Cpu.set_breakpoint): never translated, so a region leaves
        # to the interpreter there and the interpreter stops on the breakpoint
        self.excluded: set[int] = set()
        self.translated: dict[int, tuple[int, int, frozenset]] = {}  # entry -> (idx, fn, addrs)
        table = Table.get()
        self.decode = lambda w: tuple(int(x) for x in table.decode(w)[1])

    def _init_llvm(self) -> None:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_default_triple()
        self.tm = target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                               features=llvm.get_host_cpu_features().flatten(),
                                               opt=2, jit=True)
        self.pto = llvm.create_pipeline_tuning_options(speed_level=1) \
            if hasattr(llvm, "create_pipeline_tuning_options") else llvm.PipelineTuningOptions(1)
        self.pb = llvm.create_pass_builder(self.tm, self.pto)
        self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.tm)

    def hook_counters(self) -> dict[int, int]:
        hooks = self.m.hooks
        base = hooks.ctypes.data
        return {int(hooks[h, S.HOOK_ADDR]): base + 8 * (h * hooks.shape[1] + S.HOOK_COUNT)
                for h in range(hooks.shape[0])}

    def build_ir(self, entry: int) -> tuple[str, str] | None:
        """(LLVM IR text, function name) of the region at ``entry``, or None."""
        mem = self.m.mem
        dc = self.m.dc
        excluded = self.excluded
        region = Region(entry, lambda a: 0 if a in excluded else      # 0: break 0,0
                        int.from_bytes(mem.mem[a:a + 4].tobytes(), "big"),
                        self.decode, lambda page: int(mem.page_slot[page]),
                        lambda slot, a: dc[((slot << 10) | ((a >> 2) & 1023)) * S.DC_FIELDS] != 0,
                        self.return_points)
        for points in region.returns.values():
            self.return_points.update(points)
        if entry not in region.insns or region.insns[entry][0] not in NATIVE_OPS:
            return None
        em = Emitter(region, self.hook_counters(), self.clock_fn)
        em.run()
        self.insns += len(region.insns)
        # what it translated: its instructions and their delay slots
        self.last_span = frozenset(region.insns) | frozenset(a + 4 for a in region.insns)
        return str(em.module), em.name

    def compile(self, entry: int) -> int:
        """Translate the region at ``entry``; return its native address (0: nothing to do)."""
        import time
        t0 = time.perf_counter()
        built = self.build_ir(entry)
        if built is None:
            return 0
        if self.engine is None:
            self._init_llvm()
        text, name = built
        mod = llvm.parse_assembly(text)
        mod.verify()
        self.pb.getModulePassManager().run(mod, self.pb)
        self.engine.add_module(mod)
        self.engine.finalize_object()
        addr = self.engine.get_function_address(name)
        self.regions += 1
        self.seconds += time.perf_counter() - t0
        return addr

    def install(self, entry: int) -> None:
        """Compile the region the core asked for and enter it in the native table."""
        page = entry >> 12
        slot = int(self.m.mem.page_slot[page])
        if slot < 0:
            return
        try:
            addr = self.compile(entry)
        except Exception as exc:          # a compiler bug must not kill the guest: interpret
            self.failures += 1
            if self.failures == 1:
                import sys
                print(f"hppa-user: jit: region at {entry:#010x} not compiled: "
                      f"{type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
            addr = 0
        idx = (slot << 10) | ((entry >> 2) & 1023)
        # 0 leaves the entry to the interpreter for good: its count is past the threshold
        self.m.native[idx] = addr if addr else NEVER
        if addr:
            self.translated[entry] = (idx, addr, self.last_span)

    # -- breakpoints (breakpoints.CodeBreakpoints) -----------------------------------------
    def exclude(self, a: int) -> None:
        """Never translate ``a`` again, and forget the regions that did (they are
        translated anew when hot)."""
        self.excluded.add(a)
        native = self.m.native
        for entry, (idx, fn, span) in list(self.translated.items()):
            if native[idx] != fn:
                del self.translated[entry]          # gone already (cache flush, stale page)
            elif a in span:
                native[idx] = 0
                del self.translated[entry]

    def include(self, a: int) -> None:
        """``a`` is no breakpoint any more: a region may start there again."""
        self.excluded.discard(a)
        slot = int(self.m.mem.page_slot[a >> 12])
        if slot >= 0:
            idx = (slot << 10) | ((a >> 2) & 1023)
            if self.m.native[idx] == NEVER:
                self.m.native[idx] = 0
