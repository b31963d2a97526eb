"""The jitted CPU core: executes decoded micro-ops until an event, then returns a status.

State lives in plain numpy arrays (see ``state.py`` for the layout) so ``cache=True`` works.
Registers are int64 holding unsigned 32-bit values; every write is masked with M32.

PA-RISC rules applied in the loop:
  * IAOQ: two offsets, front (executing) and back (next). After each instruction
    front <- back and back <- back + 4, or back <- target for a taken branch. The
    instruction after a branch (the delay slot) therefore always runs unless nullified.
  * Nullification: PSW[N] set by an instruction makes the *next* instruction (at front)
    a no-op. Computational instructions nullify when their condition holds; branches with
    ``,n`` nullify their delay slot (conditional branches: only when a forward branch is
    taken or a backward branch is not taken).
  * Privilege: user offsets carry privilege 3 in their low two bits; links are written as
    ``addr | 3`` and branch targets drop the low bits.
  * Page zero: fetching there enters the gateway page (0x100 syscall, 0xb0 LWS, 0xe0 set
    thread pointer); no instruction in it is ever decoded.

Compiled regions (jit.py): when the front was reached by a taken branch (and the queue is
sequential, PSW[N] clear), the loop either calls the native code registered for that
address in ``native`` or counts the entry there; at the threshold it returns ST_JIT so
Python compiles it. A region returns 0 at a control transfer (the new front may start
another region) or 1 when this loop must execute the front instruction itself.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir as llir
from numba import njit, types
from numba.extending import intrinsic

from hppa_user import encoding as enc
from hppa_user import traps as T
from hppa_user.decode import decode_into
from hppa_user.fpu import FP_ILLEGAL, FP_NULLIFY, FP_TRAP, exec_fp, reg_read, wr
from hppa_user.jit import REGION_CC   # the convention compiled regions are called with
from hppa_user.memory import PERM_CODE, PERM_MAPPED, PERM_R, PERM_W, PERM_X
from hppa_user.state import (
    CTL_CB, CTL_CLOCK_MODE, CTL_CR16_BIAS, CTL_IAOQB, CTL_IAOQF, CTL_INSNS, CTL_JIT_ENTRY,
    CTL_JIT_THRESHOLD, CTL_LWS, CTL_LWS_EFAULT, CTL_LWS_ENOSYS, CTL_NEXT_SLOT, CTL_TRAP,
    CTL_TRAP_ADDR, CTL_TRAP_DETAIL,
    CTL_NSLOTS, CTL_PSWN, CTL_PSWV, HOOK_ADDR, HOOK_COUNT, HOOK_OP, REGS_CTL,
    ST_BUDGET, ST_CACHE_FULL, ST_FAULT, ST_JIT, ST_SYSCALL,
)

M32 = 0xFFFFFFFF

# interruptions the core stops with (traps.py); the kernel model turns them into signals
ITLB_MISS, INSN_PROTECTION, ILLEGAL_INSN, BREAK = T.ITLB_MISS, T.INSN_PROTECTION, T.ILLEGAL_INSN, T.BREAK
PRIV_OP, PRIV_REG, OVERFLOW, CONDITIONAL = T.PRIV_OP, T.PRIV_REG, T.OVERFLOW, T.CONDITIONAL
ASSIST_EXCEPTION, DTLB_MISS, DATA_PROTECTION, UNALIGNED = \
    T.ASSIST_EXCEPTION, T.DTLB_MISS, T.DATA_PROTECTION, T.UNALIGNED

_clock_gettime = types.ExternalFunction("clock_gettime", types.int32(types.int32, types.intp))

# micro-op numbers as compile-time constants
for _name, _num in enc.OP.items():
    globals()["OP_" + _name] = _num
# (explicit names for linters and readers)
OP_ILLEGAL = enc.OP["ILLEGAL"]


@intrinsic
def call_region(typingctx, fn, regs, mem, perm, page_slot, native, limit):
    """Call a compiled region (jit.py) at address ``fn`` with the arrays' data pointers."""
    sig = types.int64(types.int64, types.intp, types.intp, types.intp, types.intp, types.intp,
                      types.int64)

    def codegen(context, builder, signature, args):
        i64 = llir.IntType(64)
        ptr = llir.IntType(8).as_pointer()
        fnty = llir.FunctionType(i64, [ptr] * 5 + [i64])
        callee = builder.inttoptr(args[0], fnty.as_pointer())
        return builder.call(callee, [builder.inttoptr(a, ptr) for a in args[1:6]] + [args[6]],
                            cconv=REGION_CC)
    return sig, codegen


@njit(cache=True, inline="always")
def cond(cf, res, carry, sv):
    """Arithmetic/compare condition ``(c << 1) | f`` on a result, its carry and overflow."""
    c = cf >> 1
    if c == 0:
        r = False
    elif c == 1:                      # =   result zero
        r = res == 0
    elif c == 2:                      # <   N xor V
        r = (((res >> 31) ^ sv) & 1) != 0
    elif c == 3:                      # <=  (N xor V) or Z
        r = ((((res >> 31) ^ sv) & 1) != 0) or res == 0
    elif c == 4:                      # <<  / NUV: no carry out
        r = carry == 0
    elif c == 5:                      # <<= / ZNV
        r = carry == 0 or res == 0
    elif c == 6:                      # SV  signed overflow
        r = sv != 0
    else:                             # OD  odd
        r = (res & 1) != 0
    return r != ((cf & 1) != 0)


@njit(cache=True, inline="always")
def unit_cond(cf, res, cbv):
    """Unit conditions: some byte/halfword zero, some digit/byte/halfword carry."""
    c = cf >> 1
    if c == 2:
        r = ((res - 0x01010101) & ~res & 0x80808080) != 0
    elif c == 3:
        r = ((res - 0x00010001) & ~res & 0x80008000) != 0
    elif c == 4:
        r = (cbv & 0x111111110) != 0
    elif c == 6:
        r = (cbv & 0x101010100) != 0
    elif c == 7:
        r = (cbv & 0x100010000) != 0
    else:
        r = False
    return r != ((cf & 1) != 0)


@njit(cache=True, inline="always")
def ld(mem, a, size):
    if size == 4:
        return (np.int64(mem[a]) << 24) | (np.int64(mem[a + 1]) << 16) | (np.int64(mem[a + 2]) << 8) \
            | np.int64(mem[a + 3])
    if size == 2:
        return (np.int64(mem[a]) << 8) | np.int64(mem[a + 1])
    if size == 1:
        return np.int64(mem[a])
    v = np.int64(0)
    for i in range(8):
        v = (v << 8) | np.int64(mem[a + i])
    return v


@njit(cache=True, inline="always")
def st(mem, a, size, v):
    if size == 4:
        mem[a] = (v >> 24) & 0xFF
        mem[a + 1] = (v >> 16) & 0xFF
        mem[a + 2] = (v >> 8) & 0xFF
        mem[a + 3] = v & 0xFF
    elif size == 2:
        mem[a] = (v >> 8) & 0xFF
        mem[a + 1] = v & 0xFF
    elif size == 1:
        mem[a] = v & 0xFF
    else:
        for i in range(8):
            mem[a + i] = (v >> (56 - 8 * i)) & 0xFF


@njit(cache=True, inline="always")
def access_fault(perm, a, need):
    """0 if the access is allowed, else the interruption: no translation or no rights."""
    p = perm[a >> 12]
    if (p & need) == need:
        return 0
    return DATA_PROTECTION if (p & PERM_MAPPED) else DTLB_MISS


@njit(cache=True, inline="always")
def store_ok(perm, page_slot, a, size):
    """Check a store's pages for write permission and drop decoded code on them."""
    pg = a >> 12                                 # aligned accesses never cross a page
    p = perm[pg]
    if (p & PERM_W) == 0:
        return DATA_PROTECTION if (p & PERM_MAPPED) else DTLB_MISS
    if p & PERM_CODE:
        perm[pg] = p & ~PERM_CODE
        page_slot[pg] = -1
    return 0


@njit(cache=True, inline="always")
def check_load(perm, a, size):
    """0, or the interruption a load of ``size`` bytes at ``a`` raises."""
    if a & (size - 1):
        return UNALIGNED
    return access_fault(perm, a, PERM_R)


@njit(cache=True, inline="always")
def check_store(perm, page_slot, a, size):
    if a & (size - 1):
        return UNALIGNED
    return store_ok(perm, page_slot, a, size)


@njit(cache=True, inline="always")
def add_overflow(x, y, r):
    return ((~(x ^ y) & (x ^ r)) >> 31) & 1


@njit(cache=True, inline="always")
def shift_overflow(x, k):
    """shladd,tsv: the shift itself overflows when the top k+1 bits of x are not all equal."""
    if k == 0:
        return False
    top = (x - ((x >> 31) << 32)) >> (31 - k)
    return top != 0 and top != -1


@njit(cache=True, inline="always")
def sub_overflow(x, y, r):
    return (((x ^ y) & (x ^ r)) >> 31) & 1


@njit(cache=True, inline="always")
def sub_cond(x, y, cf):
    """Compare condition on x - y (comb, comclr, comiclr, comib)."""
    full = x + (~y & M32) + 1
    r = full & M32
    return cond(cf, r, full >> 32, sub_overflow(x, y, r))


@njit(cache=True, inline="always")
def logic_nullify(cf, v):
    """PSW[N] after a logical/shift/extract/deposit with condition cf on result v."""
    return 1 if (cf != 0 and cond(cf, v, 1, 0)) else 0


@njit(cache=True, inline="always")
def cond_branch(taken, f, nb, disp, nullify):
    """(new back, PSW[N]) for a conditional branch at f.

    With ,n the delay slot is nullified when a forward branch is taken or a backward
    branch falls through: the slot is then never useful."""
    if taken:
        nb = (f + 8 + disp) & M32
    n = 1 if (nullify != 0 and taken == (disp >= 0)) else 0
    return nb, n


@njit(cache=True, inline="always")
def deposit(src, old, sh, ln, zero):
    if sh + ln > 32:
        ln = 32 - sh
    mask = (((1 << ln) - 1) << sh) & M32
    if zero:
        return (src << sh) & mask
    return (old & ~mask & M32) | ((src << sh) & mask)


@njit(cache=True, inline="always")
def effective_address(gr, b, disp, mode, x, scale):
    """(address, modified base) for the general load/store forms.

    mode: 0 no modification, 1 modify before, 2 modify after, 3 ldwm/stwm (by the sign of
    the displacement); x >= 0 selects the indexed form with index (GR[x] << scale)."""
    off = disp if x < 0 else (gr[x & 31] << scale) & M32
    if mode == 3:
        mode = 1 if disp < 0 else 2
    base = gr[b & 31]
    newbase = (base + off) & M32
    return (base if mode == 2 else newbase), newbase


@njit(cache=True)
def host_monotonic_ns(ts):
    _clock_gettime(1, ts.ctypes.data)
    return ts[0] * 1000000000 + ts[1]


@njit(cache=True)
def lws(gr, mem, perm, page_slot, ctl):
    """Light-weight syscalls (gateway 0xb0): the kernel's five atomic ops, r28/r21 results.

    The gateway page is kernel code: its error numbers come from the kernel (ctl)."""
    EFAULT = ctl[CTL_LWS_EFAULT]
    ENOSYS = ctl[CTL_LWS_ENOSYS]
    op = gr[20]
    addr = gr[26]
    if op == 0:                                   # 32-bit CAS: r25 old value, r24 new value
        if (addr & 3) != 0 or access_fault(perm, addr, PERM_R | PERM_W) != 0:
            gr[28] = 1
            gr[21] = (-EFAULT) & M32
            return
        prev = ld(mem, addr, 4)
        if prev == gr[25]:
            store_ok(perm, page_slot, addr, 4)
            st(mem, addr, 4, gr[24])
        gr[28] = prev
        gr[21] = 0
        return
    if op == 1 or op > 4:
        gr[21] = (-ENOSYS) & M32
        return
    if op == 2:                                   # CAS2: r25 -> old, r24 -> new, r23 size code
        code = gr[23]
        oldp = gr[25]
        newp = gr[24]
    elif op == 3:                                 # xchg: r25 size, r24 -> new, r23 -> old out
        code = gr[25]
        newp = gr[24]
        oldp = gr[23]
    else:                                         # store: r25 size, r24 -> value
        code = gr[25]
        newp = gr[24]
        oldp = 0
    if code > 3:
        gr[21] = (-ENOSYS) & M32
        return
    size = 1 << code
    ok = (addr & (size - 1)) == 0 and access_fault(perm, addr, PERM_R | PERM_W) == 0 \
        and (newp & (size - 1)) == 0 and access_fault(perm, newp, PERM_R) == 0
    if op != 4:
        ok = ok and (oldp & (size - 1)) == 0 and access_fault(perm, oldp, PERM_R | (PERM_W if op == 3 else 0)) == 0
    if not ok:
        gr[28] = 1
        gr[21] = (-EFAULT) & M32
        return
    cur = ld(mem, addr, size)
    new = ld(mem, newp, size)
    if op == 2:
        if cur != ld(mem, oldp, size):
            gr[28] = 1
            gr[21] = 0
            return
        store_ok(perm, page_slot, addr, size)
        st(mem, addr, size, new)
    elif op == 3:
        store_ok(perm, page_slot, oldp, size)
        st(mem, oldp, size, cur)
        store_ok(perm, page_slot, addr, size)
        st(mem, addr, size, new)
    else:
        store_ok(perm, page_slot, addr, size)
        st(mem, addr, size, new)
    gr[28] = 0
    gr[21] = 0


@njit(cache=True)
def run(regs, mem, perm, page_slot, dc, tab, hooks, native, budget):
    """Execute until a syscall, fault, full decode cache, hot branch target (jit.py) or
    ``budget`` instructions."""
    gr = regs[0:32]
    fr = regs[32:64]
    sr = regs[64:72]
    cr = regs[72:104]
    ctl = regs[REGS_CTL:]
    f = ctl[CTL_IAOQF]
    b = ctl[CTL_IAOQB]
    n = ctl[CTL_PSWN]
    cb = ctl[CTL_CB]            # carry vector: bit i = carry into bit i (bits 4,8..32 = nibble carries)
    psw_v = ctl[CTL_PSWV]
    count = ctl[CTL_INSNS]
    limit = count + budget
    nslots = ctl[CTL_NSLOTS]
    ts = np.zeros(2, dtype=np.int64)
    fscr = np.zeros(4, dtype=np.int64)           # FPU scratch (bit casts)
    status = ST_BUDGET
    trap = 0
    tdetail = 0
    faddr = 0
    jit_threshold = ctl[CTL_JIT_THRESHOLD]
    # 1: the front was reached by a branch (a region may start there: run it, or count the
    # entry); 2: on entry to this loop, where a region may be resumed but a budget return's
    # stopping point is no branch target worth counting
    jumped = 2
    ptrs = (regs.ctypes.data, mem.ctypes.data, perm.ctypes.data, page_slot.ctypes.data,
            native.ctypes.data)

    while count < limit:
        # ---- page zero: the gateway page (entered by branching there, never decoded) ----
        if f < 4096 and n == 0:
            if f == 0x100:                       # syscall: Python runs the kernel model
                status = ST_SYSCALL
                break
            if f == 0xE0:                        # set thread pointer: cr27 <- r26
                cr[27] = gr[26]
            elif f == 0xB0:                      # light-weight syscall, done in place
                ctl[CTL_LWS + min(gr[20], 5)] += 1
                lws(gr, mem, perm, page_slot, ctl)
            else:                                # 0x00 is a NULL call; the rest are break 0,0
                trap = ITLB_MISS if f == 0 else ILLEGAL_INSN
                faddr = f
                status = ST_FAULT
                break
            count += 1
            f = gr[31] & ~3                      # return to r31 with user privilege
            b = (f + 4) & M32
            jumped = 1
            continue

        # ---- fetch: decoded-instruction cache, one slot of 1024 records per code page ----
        page = (f >> 12) & 0xFFFFF                # (masks let LLVM drop negative-index checks)
        slot = page_slot[page]
        if slot < 0:
            p = perm[page]
            if (p & PERM_X) == 0:
                trap = INSN_PROTECTION if (p & PERM_MAPPED) else ITLB_MISS
                faddr = f
                status = ST_FAULT
                break
            slot = ctl[CTL_NEXT_SLOT]
            if slot >= nslots:
                status = ST_CACHE_FULL
                break
            ctl[CTL_NEXT_SLOT] = slot + 1
            page_slot[page] = slot
            perm[page] = p | PERM_CODE
            base = slot << 13
            for i in range(1024):
                dc[base + 8 * i] = 0
                native[(slot << 10) + i] = 0

        # ---- compiled regions (jit.py) start at branch targets: run one, or count entries ----
        if jumped != 0:
            if n == 0 and b == ((f + 4) & M32):
                jdx = (slot << 10) | ((f >> 2) & 1023)
                code = native[jdx]
                if code > 0:
                    ctl[CTL_CB] = cb
                    ctl[CTL_PSWV] = psw_v
                    ctl[CTL_INSNS] = count
                    r = call_region(code, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], limit)
                    f = ctl[CTL_IAOQF]
                    b = ctl[CTL_IAOQB]
                    n = ctl[CTL_PSWN]
                    cb = ctl[CTL_CB]
                    psw_v = ctl[CTL_PSWV]
                    count = ctl[CTL_INSNS]
                    jumped = 1 if r == 0 else 0  # 1: the interpreter runs the front itself
                    continue
                if jit_threshold > 0 and jumped == 1:
                    code -= 1
                    native[jdx] = code
                    if code == -jit_threshold:
                        ctl[CTL_JIT_ENTRY] = f
                        status = ST_JIT
                        break
            jumped = 0

        count += 1
        nb = (b + 4) & M32                       # next back: sequential unless a branch is taken
        if n != 0:                               # nullified: the slot is consumed, nothing runs
            n = 0
            jumped = 1 if b != ((f + 4) & M32) else 0
            f = b
            b = nb
            continue

        idx = (((slot << 10) | ((f >> 2) & 1023)) << 3) & 0x7FFFFFFF
        op = dc[idx]
        if op <= 0:                              # 0: not decoded yet; < 0: a counted (hooked) entry
            if op == 0:
                decode_into(ld(mem, f, 4), tab, dc[idx:idx + 8])
                for h in range(hooks.shape[0]):
                    if hooks[h, HOOK_ADDR] == f:
                        hooks[h, HOOK_OP] = dc[idx]
                        dc[idx] = -1 - h
                op = dc[idx]
            if op < 0:
                h = -1 - op
                hooks[h, HOOK_COUNT] += 1
                op = np.int32(hooks[h, HOOK_OP])

        a1 = np.int64(dc[idx + 1])
        a2 = np.int64(dc[idx + 2])
        a3 = np.int64(dc[idx + 3])
        r1 = a1 & 31                             # register-number views: provably in range
        r2 = a2 & 31
        r3 = a3 & 31

        # One flat ``if op == K`` chain, so LLVM builds a single jump table.
        if op == OP_LD:                          # b, t, disp, size
            a = (gr[r1] + a3) & M32
            size = np.int64(dc[idx + 4])
            e = check_load(perm, a, size)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            gr[r2] = ld(mem, a, size)
        elif op == OP_ST:                        # b, r, disp, size
            a = (gr[r1] + a3) & M32
            size = np.int64(dc[idx + 4])
            e = check_store(perm, page_slot, a, size)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            st(mem, a, size, gr[r2])
        elif op == OP_LDO:
            gr[r2] = (gr[r1] + a3) & M32
        elif op == OP_LDIL:
            gr[r1] = a2 & M32
        elif op == OP_ADDIL:
            gr[1] = (gr[r1] + a2) & M32
        elif op == OP_OR:
            v = gr[r1] | gr[r2]
            gr[r3] = v
            n = logic_nullify(dc[idx + 4], v)
        elif op == OP_AND:
            v = gr[r1] & gr[r2]
            gr[r3] = v
            n = logic_nullify(dc[idx + 4], v)
        elif op == OP_XOR:
            v = gr[r1] ^ gr[r2]
            gr[r3] = v
            n = logic_nullify(dc[idx + 4], v)
        elif op == OP_ANDCM:
            v = gr[r1] & ~gr[r2] & M32
            gr[r3] = v
            n = logic_nullify(dc[idx + 4], v)
        elif op == OP_ADD:                       # r1, r2, t, cf, shift, flags
            flags = dc[idx + 6]
            x = (gr[r1] << dc[idx + 5]) & M32
            y = gr[r2]
            full = x + y + (((cb >> 32) & 1) if (flags & enc.F_CARRY) else 0)
            v = full & M32
            sv = add_overflow(x, y, v)
            if (flags & enc.F_TSV) and (sv or shift_overflow(gr[r1], dc[idx + 5])):
                trap, faddr, status = OVERFLOW, f, ST_FAULT
                break
            gr[r3] = v
            if (flags & enc.F_NOCB) == 0:
                cb = x ^ y ^ full
            cf = dc[idx + 4]
            if cf != 0 and cond(cf, v, full >> 32, sv):
                n = 1
        elif op == OP_SUB:                       # r1, r2, t, cf, -, flags
            flags = dc[idx + 6]
            x = gr[r1]
            y = gr[r2]
            ny = ~y & M32
            full = x + ny + (((cb >> 32) & 1) if (flags & enc.F_CARRY) else 1)
            v = full & M32
            sv = sub_overflow(x, y, v)
            cf = dc[idx + 4]
            c = cf != 0 and cond(cf, v, full >> 32, sv)
            if (flags & enc.F_TSV) and sv:
                trap, faddr, status = OVERFLOW, f, ST_FAULT
                break
            if (flags & enc.F_TC) and c:
                trap, faddr, status = CONDITIONAL, f, ST_FAULT
                break
            gr[r3] = v
            cb = x ^ ny ^ full
            if c and (flags & enc.F_TC) == 0:
                n = 1
        elif op == OP_COMCLR:                    # r1, r2, t, cf: compare, clear t
            cf = dc[idx + 4]
            c = sub_cond(gr[r1], gr[r2], cf)
            gr[r3] = 0
            if c:
                n = 1
        elif op == OP_ADDI:                      # r, t, imm, cf, flags
            flags = dc[idx + 5]
            x = a3 & M32
            y = gr[r1]
            full = x + y
            v = full & M32
            sv = add_overflow(x, y, v)
            cf = dc[idx + 4]
            c = cf != 0 and cond(cf, v, full >> 32, sv)
            if (flags & enc.F_TSV) and sv:
                trap, faddr, status = OVERFLOW, f, ST_FAULT
                break
            if (flags & enc.F_TC) and c:
                trap, faddr, status = CONDITIONAL, f, ST_FAULT
                break
            gr[r2] = v
            cb = x ^ y ^ full
            if c and (flags & enc.F_TC) == 0:
                n = 1
        elif op == OP_SUBI:                      # r, t, imm, cf, flags: imm - GR[r]
            flags = dc[idx + 5]
            x = a3 & M32
            y = gr[r1]
            ny = ~y & M32
            full = x + ny + 1
            v = full & M32
            sv = sub_overflow(x, y, v)
            cf = dc[idx + 4]
            c = cf != 0 and cond(cf, v, full >> 32, sv)
            if (flags & enc.F_TSV) and sv:
                trap, faddr, status = OVERFLOW, f, ST_FAULT
                break
            gr[r2] = v
            cb = x ^ ny ^ full
            if c:
                n = 1
        elif op == OP_COMICLR:                   # r, t, imm, cf
            c = sub_cond(a3 & M32, gr[r1], dc[idx + 4])
            gr[r2] = 0
            if c:
                n = 1
        # ---------------- branches: nb is the new back of the queue ----------------
        elif op == OP_BL:                        # t, disp, n: link = back + 4
            if a1 != 0:
                gr[r1] = ((b + 4) & M32) | 3
            nb = (f + 8 + a2) & M32
            n = a3
        elif op == OP_BV:                        # x, b, n
            nb = (gr[r2] + (gr[r1] << 3)) & M32 & ~3
            n = a3
        elif op == OP_BE:                        # b, disp, n, sr, link: external branch
            nb = (gr[r1] + a2) & M32 & ~3
            if dc[idx + 5]:                      # ble: link in r31, space in sr0
                gr[31] = ((b + 4) & M32) | 3
                sr[0] = sr[dc[idx + 4] & 7]
            n = a3
        elif op == OP_BLR:                       # t, x, n
            nb = (f + 8 + (gr[r2] << 3)) & M32 & ~3
            if a1 != 0:
                gr[r1] = ((b + 4) & M32) | 3
            n = a3
        elif op == OP_CMPB:                      # r1, r2, cf, disp, n
            taken = sub_cond(gr[r1], gr[r2], a3)
            nb, n = cond_branch(taken, f, nb, np.int64(dc[idx + 4]), dc[idx + 5])
        elif op == OP_CMPIB:                     # imm, r2, cf, disp, n
            taken = sub_cond(a1 & M32, gr[r2], a3)
            nb, n = cond_branch(taken, f, nb, np.int64(dc[idx + 4]), dc[idx + 5])
        elif op == OP_ADDB:                      # r1, r2, cf, disp, n: r2 <- r1 + r2
            x = gr[r1]
            y = gr[r2]
            full = x + y
            v = full & M32
            gr[r2] = v
            taken = cond(a3, v, full >> 32, add_overflow(x, y, v))
            nb, n = cond_branch(taken, f, nb, np.int64(dc[idx + 4]), dc[idx + 5])
        elif op == OP_ADDIB:                     # imm, r2, cf, disp, n
            x = a1 & M32
            y = gr[r2]
            full = x + y
            v = full & M32
            gr[r2] = v
            taken = cond(a3, v, full >> 32, add_overflow(x, y, v))
            nb, n = cond_branch(taken, f, nb, np.int64(dc[idx + 4]), dc[idx + 5])
        elif op == OP_MOVB:                      # r1, r2, cf, disp, n: r2 <- r1
            v = gr[r1]
            gr[r2] = v
            nb, n = cond_branch(cond(a3, v, 1, 0), f, nb, np.int64(dc[idx + 4]), dc[idx + 5])
        elif op == OP_MOVIB:
            v = a1 & M32
            gr[r2] = v
            nb, n = cond_branch(cond(a3, v, 1, 0), f, nb, np.int64(dc[idx + 4]), dc[idx + 5])
        elif op == OP_BB:                        # r, pos (-1: SAR), sense, disp, n
            pos = a2 if a2 >= 0 else (cr[11] & 31)
            bit = (gr[r1] >> (31 - pos)) & 1
            nb, n = cond_branch(bit != a3, f, nb, np.int64(dc[idx + 4]), dc[idx + 5])
        # ---------------- shift pair / extract / deposit ----------------
        elif op == OP_EXTR:                      # r, t, right shift (-1: SAR), len, signed, cf
            sh = a3 if a3 >= 0 else 31 - (cr[11] & 31)
            ln = min(np.int64(dc[idx + 4]), 32 - sh)
            v = (gr[r1] >> sh) & ((1 << ln) - 1)
            if dc[idx + 5] and (v >> (ln - 1)) & 1:
                v = (v - (1 << ln)) & M32
            gr[r2] = v
            n = logic_nullify(dc[idx + 6], v)
        elif op == OP_DEP:                       # r, t, left shift (-1: 31-SAR), len, zero, cf
            sh = a3 if a3 >= 0 else 31 - (cr[11] & 31)
            v = deposit(gr[r1], gr[r2], sh, np.int64(dc[idx + 4]), dc[idx + 5])
            gr[r2] = v
            n = logic_nullify(dc[idx + 6], v)
        elif op == OP_DEPI:                      # imm, t, left shift, len, zero, cf
            sh = a3 if a3 >= 0 else 31 - (cr[11] & 31)
            v = deposit(a1 & M32, gr[r2], sh, np.int64(dc[idx + 4]), dc[idx + 5])
            gr[r2] = v
            n = logic_nullify(dc[idx + 6], v)
        elif op == OP_SHD:                       # r1, r2, t, right shift (-1: SAR), cf
            sh = np.int64(dc[idx + 4])
            if sh < 0:
                sh = cr[11] & 31
            v = (((gr[r1] << 32) | gr[r2]) >> sh) & M32
            gr[r3] = v
            n = logic_nullify(dc[idx + 5], v)
        # ---------------- general loads/stores: b, t/r, disp, size, mode, x, scale ----------
        elif op == OP_LOAD:
            size = np.int64(dc[idx + 4])
            a, newbase = effective_address(gr, a1, a3, dc[idx + 5], dc[idx + 6], dc[idx + 7])
            e = check_load(perm, a, size)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            v = ld(mem, a, size)
            if dc[idx + 5] != 0:
                gr[r1] = newbase
            gr[r2] = v                           # after the base: for t == b the load wins
        elif op == OP_STORE:
            size = np.int64(dc[idx + 4])
            a, newbase = effective_address(gr, a1, a3, dc[idx + 5], dc[idx + 6], dc[idx + 7])
            e = check_store(perm, page_slot, a, size)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            st(mem, a, size, gr[r2])
            if dc[idx + 5] != 0:
                gr[r1] = newbase
        elif op == OP_LDCW:                      # load and clear word: the PA-RISC semaphore
            a, newbase = effective_address(gr, a1, a3, dc[idx + 5], dc[idx + 6], dc[idx + 7])
            e = check_load(perm, a, 4)
            if e == 0:
                e = check_store(perm, page_slot, a, 4)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            v = ld(mem, a, 4)
            st(mem, a, 4, 0)
            if dc[idx + 5] != 0:
                gr[r1] = newbase
            gr[r2] = v
        elif op == OP_FLOAD:
            size = np.int64(dc[idx + 4])
            a, newbase = effective_address(gr, a1, a3, dc[idx + 5], dc[idx + 6], dc[idx + 7])
            e = check_load(perm, a, size)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            wr(fr, a2, size == 8, ld(mem, a, size))
            if dc[idx + 5] != 0:
                gr[r1] = newbase
        elif op == OP_FSTORE:
            size = np.int64(dc[idx + 4])
            a, newbase = effective_address(gr, a1, a3, dc[idx + 5], dc[idx + 6], dc[idx + 7])
            e = check_store(perm, page_slot, a, size)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            st(mem, a, size, reg_read(fr, a2, size == 8))
            if dc[idx + 5] != 0:
                gr[r1] = newbase
        elif op == OP_STBY:                      # b, r, disp, end, modify
            # ,m post-modifies: the bytes go to GR[b], then GR[b] <- (GR[b] + d) & ~3
            # (HP's bcopy millicode: ``stbys,b,m t1,4(dst)`` then ``stwm t2,4(dst)``)
            a = gr[r1] if dc[idx + 5] else (gr[r1] + a3) & M32
            wa = a & ~3
            k = a & 3
            e = check_store(perm, page_slot, wa, 4)
            if e:
                trap, faddr, status = e, a, ST_FAULT
                break
            v = gr[r2]
            if dc[idx + 4] == 0:                  # ,b: bytes k..3 get the low (4-k) bytes
                for i in range(k, 4):
                    mem[wa + i] = (v >> (8 * (3 - i))) & 0xFF
            else:                                # ,e: bytes 0..k-1 get the high k bytes
                for i in range(k):
                    mem[wa + i] = (v >> (8 * (3 - i))) & 0xFF
            if dc[idx + 5]:
                gr[r1] = (gr[r1] + a3) & M32 & ~3
        # ---------------- less common arithmetic ----------------
        elif op == OP_DS:                        # divide step (r1, r2, t, cf)
            cin = (cb >> 32) & 1
            x = ((gr[r1] << 1) | cin) & M32
            y = gr[r2]
            if psw_v & 1:                        # V set: subtract
                y2 = ~y & M32
                full = x + y2 + 1
            else:
                y2 = y
                full = x + y2
            r = full & M32
            cb = x ^ y2 ^ full
            carry = full >> 32
            psw_v = (carry ^ (y >> 31)) & 1
            gr[r3] = r
            cf = dc[idx + 4]
            sv = ((~(x ^ y2) & (x ^ r)) >> 31) & 1
            if cf != 0 and cond(cf, r, carry, sv):
                n = 1
        elif op == OP_UXOR:
            r = gr[r1] ^ gr[r2]
            gr[r3] = r
            cf = dc[idx + 4]
            if cf != 0 and unit_cond(cf, r, 0):
                n = 1
        elif op == OP_UADDCM:                    # r1 + ~r2, unit conditions; ,tc traps
            x = gr[r1]
            ny = ~gr[r2] & M32
            full = x + ny
            r = full & M32
            cf = dc[idx + 4]
            c = cf != 0 and unit_cond(cf, r, x ^ ny ^ full)
            if dc[idx + 5] and c:
                trap, faddr, status = CONDITIONAL, f, ST_FAULT
                break
            gr[r3] = r
            if c and dc[idx + 5] == 0:
                n = 1
        elif op == OP_DCOR:                      # r, t, cf, intermediate
            x = gr[r1]
            if dc[idx + 4]:                       # idcor: add 6 where a digit carried
                y = ((cb >> 4) & 0x11111111) * 6
                full = x + y
                cbv = x ^ y ^ full
            else:                                # dcor: subtract 6 where no digit carried
                y = ((~(cb >> 4)) & 0x11111111) * 6
                ny = ~y & M32
                full = x + ny + 1
                cbv = x ^ ny ^ full
            r = full & M32
            gr[r2] = r
            cf = a3
            if cf != 0 and unit_cond(cf, r, cbv):
                n = 1
        elif op == OP_FPOP:                      # FP coprocessor: raw word, major opcode
            res, code = exec_fp((a1 & 0x3FFFFFF) | (a2 << 26), a2, fr, fscr)
            if res == FP_NULLIFY:
                n = 1
            elif res == FP_TRAP:
                trap, tdetail, faddr, status = ASSIST_EXCEPTION, code, f, ST_FAULT
                break
            elif res == FP_ILLEGAL:
                trap, faddr, status = ILLEGAL_INSN, f, ST_FAULT
                break
        elif op == OP_XMPYU:                     # single halves r1 * r2 -> double t
            x = fr[a1 >> 1] & M32 if a1 & 1 else (fr[a1 >> 1] >> 32) & M32
            y = fr[a2 >> 1] & M32 if a2 & 1 else (fr[a2 >> 1] >> 32) & M32
            prod = x * y                          # < 2**64: wraps into int64 bit pattern
            fr[a3] = prod
        # ---------------- system ----------------
        elif op == OP_NOP:                       # sync, fdc/fic: only a base modification
            if dc[idx + 3] != 0:
                gr[r1] = (gr[r1] + gr[r2]) & M32
        elif op == OP_MFCTL:                     # cr, t
            if a1 == 11:
                gr[r2] = cr[11] & 31
            elif a1 == 16:                       # interval timer: 1 GHz, host monotonic ns
                if ctl[CTL_CLOCK_MODE] == 0:
                    gr[r2] = (host_monotonic_ns(ts) + ctl[CTL_CR16_BIAS]) & M32
                else:                            # --clock virtual: one ns per instruction
                    gr[r2] = (count + ctl[CTL_CR16_BIAS]) & M32
            elif a1 == 26 or a1 == 27:
                gr[r2] = cr[a1]
            else:
                trap, faddr, status = PRIV_REG, f, ST_FAULT
                break
        elif op == OP_MTCTL:                     # r, cr: only SAR is writable by users
            if a2 == 11:
                cr[11] = gr[r1] & 31
            else:
                trap, faddr, status = PRIV_REG, f, ST_FAULT
                break
        elif op == OP_MTSARCM:
            cr[11] = ~gr[r1] & 31
        elif op == OP_MFSP:                      # s, t
            gr[r2] = sr[a1]
        elif op == OP_MTSP:                      # r, s: sr5-sr7 are privileged
            if a2 >= 5:
                trap, faddr, status = PRIV_REG, f, ST_FAULT
                break
            sr[a2] = gr[r1]
        elif op == OP_LDSID:                     # s, b, t: the space of (s,b)
            gr[r3] = sr[a1] if a1 != 0 else sr[4 + (gr[r2] >> 30)]
        elif op == OP_MFIA:
            gr[r1] = f
        elif op == OP_PROBE:                     # b, r/im, t, write, immediate
            a = gr[r1]
            need = PERM_W if dc[idx + 4] else PERM_R
            gr[r3] = 1 if access_fault(perm, a, need) == 0 else 0
        elif op == OP_BREAK:
            trap, tdetail, faddr, status = BREAK, ld(mem, f, 4), f, ST_FAULT
            break
        elif op == OP_PRIV:
            trap, faddr, status = PRIV_OP, f, ST_FAULT
            break
        else:                                    # ILLEGAL, and FP ops not handled here yet
            trap, faddr, status = ILLEGAL_INSN, f, ST_FAULT
            break

        gr[0] = 0
        jumped = 1 if b != ((f + 4) & M32) else 0    # the next front is a branch target
        f = b
        b = nb

    gr[0] = 0
    ctl[CTL_IAOQF] = f
    ctl[CTL_IAOQB] = b
    ctl[CTL_PSWN] = n
    ctl[CTL_CB] = cb
    ctl[CTL_PSWV] = psw_v
    ctl[CTL_INSNS] = count
    ctl[CTL_TRAP] = trap
    ctl[CTL_TRAP_DETAIL] = tdetail
    ctl[CTL_TRAP_ADDR] = faddr
    return status
