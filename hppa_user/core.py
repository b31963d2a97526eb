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
"""
from __future__ import annotations

import numpy as np
from numba import njit, types

from hppa_user import encoding as enc
from hppa_user.decode import decode_into
from hppa_user.memory import PERM_CODE, PERM_MAPPED, PERM_R, PERM_W, PERM_X
from hppa_user.state import (
    CTL_CB, CTL_CLOCK_MODE, CTL_CR16_BIAS, CTL_FAULT_ADDR, CTL_FAULT_CODE, CTL_FAULT_SIG,
    CTL_IAOQB, CTL_IAOQF, CTL_INSNS, CTL_NEXT_SLOT, CTL_NSLOTS, CTL_PSWN, CTL_PSWV,
    ST_BUDGET, ST_CACHE_FULL, ST_FAULT, ST_SYSCALL,
)

M32 = 0xFFFFFFFF

# signals and si_codes the core reports (parisc numbering; mirrored in kernel_model.abi)
SIGILL, SIGTRAP, SIGFPE, SIGBUS, SIGSEGV = 4, 5, 8, 10, 11
SEGV_MAPERR, SEGV_ACCERR, BUS_ADRALN = 1, 2, 1
ILL_ILLOPC, ILL_PRVOPC, ILL_PRVREG = 1, 5, 6
TRAP_BRKPT, FPE_INTOVF, FPE_CONDTRAP = 1, 2, 15
EFAULT, EAGAIN, ENOSYS = 14, 11, 251

_clock_gettime = types.ExternalFunction("clock_gettime", types.int32(types.int32, types.intp))

# micro-op numbers as compile-time constants
for _name, _num in enc.OP.items():
    globals()["OP_" + _name] = _num
# (explicit names for linters and readers)
OP_ILLEGAL = enc.OP["ILLEGAL"]


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
    """0 if the access is allowed, else the SIGSEGV si_code (MAPERR/ACCERR)."""
    p = perm[a >> 12]
    if (p & need) == need:
        return 0
    return SEGV_ACCERR if (p & PERM_MAPPED) else SEGV_MAPERR


@njit(cache=True, inline="always")
def store_ok(perm, page_slot, a, size):
    """Check a store's pages for write permission and drop decoded code on them."""
    for pg in ((a >> 12), ((a + size - 1) >> 12)):
        p = perm[pg]
        if (p & PERM_W) == 0:
            return SEGV_ACCERR if (p & PERM_MAPPED) else SEGV_MAPERR
        if p & PERM_CODE:
            perm[pg] = p & ~PERM_CODE
            page_slot[pg] = -1
    return 0


@njit(cache=True)
def host_monotonic_ns(ts):
    _clock_gettime(1, ts.ctypes.data)
    return ts[0] * 1000000000 + ts[1]


@njit(cache=True)
def lws(gr, mem, perm, page_slot):
    """Light-weight syscalls (gateway 0xb0): the kernel's five atomic ops, r28/r21 results."""
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
def run(gr, fr, sr, cr, ctl, mem, perm, page_slot, dc, tab_match, tab_mask, tab_op, tab_fields,
        budget):
    """Execute until a syscall, fault, full decode cache, or ``budget`` instructions."""
    f = ctl[CTL_IAOQF]
    b = ctl[CTL_IAOQB]
    n = ctl[CTL_PSWN]
    cb = ctl[CTL_CB]            # carry vector: bit i = carry into bit i (bits 4,8..32 = nibble carries)
    psw_v = ctl[CTL_PSWV]
    count = ctl[CTL_INSNS]
    limit = count + budget
    nslots = ctl[CTL_NSLOTS]
    ts = np.zeros(2, dtype=np.int64)
    status = ST_BUDGET
    fsig = 0
    fcode = 0
    faddr = 0

    while count < limit:
        # ---- page zero: the gateway page (entered by branching there, never decoded) ----
        if f < 4096 and n == 0:
            if f == 0x100:                       # syscall: Python runs the kernel model
                status = ST_SYSCALL
                break
            if f == 0xE0:                        # set thread pointer: cr27 <- r26
                cr[27] = gr[26]
            elif f == 0xB0:                      # light-weight syscall, done in place
                lws(gr, mem, perm, page_slot)
            else:                                # 0x00 is a NULL call; the rest are break 0,0
                fsig = SIGSEGV if f == 0 else SIGILL
                fcode = SEGV_MAPERR if f == 0 else ILL_ILLOPC
                faddr = f
                status = ST_FAULT
                break
            count += 1
            f = gr[31] & ~3                      # return to r31 with user privilege
            b = (f + 4) & M32
            continue

        # ---- fetch: decoded-instruction cache, one slot of 1024 records per code page ----
        page = f >> 12
        slot = page_slot[page]
        if slot < 0:
            p = perm[page]
            if (p & PERM_X) == 0:
                fsig = SIGSEGV
                fcode = SEGV_ACCERR if (p & PERM_MAPPED) else SEGV_MAPERR
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
            base = slot << 10
            for i in range(1024):
                dc[base + i, 0] = 0
        idx = (slot << 10) | ((f >> 2) & 1023)
        op = dc[idx, 0]
        if op == 0:
            decode_into(ld(mem, f, 4), tab_match, tab_mask, tab_op, tab_fields, dc[idx])
            op = dc[idx, 0]

        count += 1
        nb = (b + 4) & M32                       # next back: sequential unless a branch is taken
        if n != 0:                               # nullified: the slot is consumed, nothing runs
            n = 0
            f = b
            b = nb
            continue

        a1 = np.int64(dc[idx, 1])
        a2 = np.int64(dc[idx, 2])
        a3 = np.int64(dc[idx, 3])

        # ================= hot, simple forms first =================
        if op == OP_LDW or op == OP_LDH or op == OP_LDB:
            size = 4 if op == OP_LDW else (2 if op == OP_LDH else 1)
            a = (gr[a1] + a3) & M32
            if a & (size - 1):
                fsig, fcode, faddr, status = SIGBUS, BUS_ADRALN, a, ST_FAULT
                break
            e = access_fault(perm, a, PERM_R)
            if e:
                fsig, fcode, faddr, status = SIGSEGV, e, a, ST_FAULT
                break
            gr[a2] = ld(mem, a, size)
        elif op == OP_STW or op == OP_STH or op == OP_STB:
            size = 4 if op == OP_STW else (2 if op == OP_STH else 1)
            a = (gr[a1] + a3) & M32
            if a & (size - 1):
                fsig, fcode, faddr, status = SIGBUS, BUS_ADRALN, a, ST_FAULT
                break
            e = store_ok(perm, page_slot, a, size)
            if e:
                fsig, fcode, faddr, status = SIGSEGV, e, a, ST_FAULT
                break
            st(mem, a, size, gr[a2])
        elif op == OP_LDO:
            gr[a2] = (gr[a1] + a3) & M32
        elif op == OP_LDIL:
            gr[a1] = a2 & M32
        elif op == OP_ADDIL:
            gr[1] = (gr[a1] + a2) & M32
        elif op == OP_OR or op == OP_AND or op == OP_XOR or op == OP_ANDCM:
            x = gr[a1]
            y = gr[a2]
            if op == OP_OR:
                r = x | y
            elif op == OP_AND:
                r = x & y
            elif op == OP_XOR:
                r = x ^ y
            else:
                r = x & ~y & M32
            gr[a3] = r
            cf = dc[idx, 4]
            if cf != 0 and cond(cf, r, 1, 0):
                n = 1
        elif op == OP_ADD:
            cf = np.int64(dc[idx, 4])
            flags = dc[idx, 6]
            x = (gr[a1] << dc[idx, 5]) & M32
            y = gr[a2]
            cin = (cb >> 32) & 1 if (flags & enc.F_CARRY) else 0
            full = x + y + cin
            r = full & M32
            sv = ((~(x ^ y) & (x ^ r)) >> 31) & 1
            if (flags & enc.F_TSV) and sv:
                fsig, fcode, faddr, status = SIGFPE, FPE_INTOVF, f, ST_FAULT
                break
            gr[a3] = r
            if (flags & enc.F_NOCB) == 0:
                cb = x ^ y ^ full
            if cf != 0 and cond(cf, r, full >> 32, sv):
                n = 1
        elif op == OP_SUB or op == OP_COMCLR:
            cf = np.int64(dc[idx, 4])
            flags = dc[idx, 6] if op == OP_SUB else 0
            x = gr[a1]
            y = gr[a2]
            ny = ~y & M32
            cin = (cb >> 32) & 1 if (flags & enc.F_CARRY) else 1
            full = x + ny + cin
            r = full & M32
            sv = (((x ^ y) & (x ^ r)) >> 31) & 1
            c = cf != 0 and cond(cf, r, full >> 32, sv)
            if (flags & enc.F_TSV) and sv:
                fsig, fcode, faddr, status = SIGFPE, FPE_INTOVF, f, ST_FAULT
                break
            if (flags & enc.F_TC) and c:
                fsig, fcode, faddr, status = SIGFPE, FPE_CONDTRAP, f, ST_FAULT
                break
            if op == OP_COMCLR:
                gr[a3] = 0
            else:
                gr[a3] = r
                cb = x ^ ny ^ full
            if c and (flags & enc.F_TC) == 0:
                n = 1
        elif op == OP_ADDI or op == OP_SUBI or op == OP_COMICLR:
            # fields: r, t, imm, cf, flags
            cf = np.int64(dc[idx, 4])
            flags = dc[idx, 5] if op != OP_COMICLR else 0
            if op == OP_ADDI:
                x = a3 & M32
                y = gr[a1]
                full = x + y
                r = full & M32
                sv = ((~(x ^ y) & (x ^ r)) >> 31) & 1
                newcb = x ^ y ^ full
            else:                                # imm - GR[r]
                x = a3 & M32
                y = gr[a1]
                ny = ~y & M32
                full = x + ny + 1
                r = full & M32
                sv = (((x ^ y) & (x ^ r)) >> 31) & 1
                newcb = x ^ ny ^ full
            c = cf != 0 and cond(cf, r, full >> 32, sv)
            if (flags & enc.F_TSV) and sv:
                fsig, fcode, faddr, status = SIGFPE, FPE_INTOVF, f, ST_FAULT
                break
            if (flags & enc.F_TC) and c:
                fsig, fcode, faddr, status = SIGFPE, FPE_CONDTRAP, f, ST_FAULT
                break
            if op == OP_COMICLR:
                gr[a2] = 0
            else:
                gr[a2] = r
                cb = newcb
            if c and (flags & enc.F_TC) == 0:
                n = 1
        # ---------------- branches ----------------
        elif op == OP_BL:                        # t, disp, n: link = back + 4
            if a1 != 0:
                gr[a1] = (b + 4) & M32 | 3
            nb = (f + 8 + a2) & M32
            if a3:
                n = 1
        elif op == OP_BV:                        # x, b, n
            nb = (gr[a2] + (gr[a1] << 3)) & M32 & ~3
            if a3:
                n = 1
        elif op == OP_BE or op == OP_BLE:        # b, disp, n, sr
            nb = (gr[a1] + a2) & M32 & ~3
            if op == OP_BLE:
                gr[31] = (b + 4) & M32 | 3
                sr[0] = sr[dc[idx, 4]]
            if a3:
                n = 1
        elif op == OP_BLR:                       # t, x, n
            tgt = (f + 8 + (gr[a2] << 3)) & M32 & ~3
            if a1 != 0:
                gr[a1] = (b + 4) & M32 | 3
            nb = tgt
            if a3:
                n = 1
        elif op == OP_CMPB or op == OP_CMPIB or op == OP_ADDB or op == OP_ADDIB \
                or op == OP_MOVB or op == OP_MOVIB:
            # fields: r1 or imm, r2, cf, disp, n
            x = (a1 & M32) if (op == OP_CMPIB or op == OP_ADDIB or op == OP_MOVIB) else gr[a1]
            y = gr[a2]
            cf = a3
            disp = np.int64(dc[idx, 4])
            if op == OP_CMPB or op == OP_CMPIB:  # x - y
                ny = ~y & M32
                full = x + ny + 1
                r = full & M32
                sv = (((x ^ y) & (x ^ r)) >> 31) & 1
                taken = cond(cf, r, full >> 32, sv)
            elif op == OP_ADDB or op == OP_ADDIB:  # y <- x + y
                full = x + y
                r = full & M32
                sv = ((~(x ^ y) & (x ^ r)) >> 31) & 1
                gr[a2] = r
                taken = cond(cf, r, full >> 32, sv)
            else:                                # y <- x
                gr[a2] = x
                taken = cond(cf, x, 1, 0)
            if taken:
                nb = (f + 8 + disp) & M32
            if dc[idx, 5] and (taken == (disp >= 0)):
                n = 1
        elif op == OP_BB:                        # r, pos (-1: SAR), sense, disp, n
            pos = a2 if a2 >= 0 else (cr[11] & 31)
            bit = (gr[a1] >> (31 - pos)) & 1
            taken = (bit == 1) if a3 == 0 else (bit == 0)
            disp = np.int64(dc[idx, 4])
            if taken:
                nb = (f + 8 + disp) & M32
            if dc[idx, 5] and (taken == (disp >= 0)):
                n = 1
        # ---------------- shift pair / extract / deposit ----------------
        elif op == OP_EXTR:                      # r, t, right shift (-1: SAR), len, signed, cf
            sh = a3 if a3 >= 0 else 31 - (cr[11] & 31)
            ln = np.int64(dc[idx, 4])
            if sh + ln > 32:
                ln = 32 - sh
            v = (gr[a1] >> sh) & ((1 << ln) - 1)
            if dc[idx, 5] and (v >> (ln - 1)) & 1:
                v = (v - (1 << ln)) & M32
            gr[a2] = v
            cf = dc[idx, 6]
            if cf != 0 and cond(cf, v, 1, 0):
                n = 1
        elif op == OP_DEP or op == OP_DEPI:      # r/imm, t, left shift (-1: SAR), len, zero, cf
            sh = a3 if a3 >= 0 else 31 - (cr[11] & 31)
            ln = np.int64(dc[idx, 4])
            if sh + ln > 32:
                ln = 32 - sh
            src = gr[a1] if op == OP_DEP else (a1 & M32)
            mask = (((1 << ln) - 1) << sh) & M32
            if dc[idx, 5]:
                v = (src << sh) & mask
            else:
                v = (gr[a2] & ~mask & M32) | ((src << sh) & mask)
            gr[a2] = v
            cf = dc[idx, 6]
            if cf != 0 and cond(cf, v, 1, 0):
                n = 1
        elif op == OP_SHD:                       # r1, r2, t, right shift (-1: SAR), cf
            sh = dc[idx, 4]
            if sh < 0:
                sh = cr[11] & 31
            v = (((gr[a1] << 32) | gr[a2]) >> sh) & M32
            gr[a3] = v
            cf = dc[idx, 5]
            if cf != 0 and cond(cf, v, 1, 0):
                n = 1
        # ---------------- general loads/stores ----------------
        elif op == OP_LOAD or op == OP_STORE or op == OP_LDCW or op == OP_FLOAD or op == OP_FSTORE:
            # fields: b, t/r, disp, size, mode (0 none, 1 before, 2 after, 3 by sign), x, scale
            size = np.int64(dc[idx, 4])
            mode = dc[idx, 5]
            xr = dc[idx, 6]
            off = a3 if xr < 0 else (gr[xr] << dc[idx, 7]) & M32
            if mode == 3:
                mode = 1 if a3 < 0 else 2
            base = gr[a1]
            a = base if mode == 2 else (base + off) & M32
            align = size                         # ldcw: word alignment, as qemu-hppa and PA 2.0 with ,co
            if a & (align - 1):
                fsig, fcode, faddr, status = SIGBUS, BUS_ADRALN, a, ST_FAULT
                break
            if op == OP_LOAD or op == OP_FLOAD:
                e = access_fault(perm, a, PERM_R)
            elif op == OP_LDCW:
                e = access_fault(perm, a, PERM_R)
                if e == 0:
                    e = store_ok(perm, page_slot, a, 4)
            else:
                e = store_ok(perm, page_slot, a, size)
            if e:
                fsig, fcode, faddr, status = SIGSEGV, e, a, ST_FAULT
                break
            if op == OP_LOAD:
                v = ld(mem, a, size)
            elif op == OP_LDCW:
                v = ld(mem, a, 4)
                st(mem, a, 4, 0)
            elif op == OP_STORE:
                st(mem, a, size, gr[a2])
            elif op == OP_FLOAD:
                v = ld(mem, a, size)
                if size == 8:
                    fr[a2] = v
                else:                            # single: left (high) or right (low) half
                    reg = a2 >> 1
                    if a2 & 1:
                        fr[reg] = (fr[reg] & ~M32) | v
                    else:
                        fr[reg] = (fr[reg] & M32) | (v << 32)
            else:
                if size == 8:
                    st(mem, a, 8, fr[a2])
                else:
                    reg = a2 >> 1
                    st(mem, a, 4, fr[reg] & M32 if a2 & 1 else (fr[reg] >> 32) & M32)
            if mode != 0:
                gr[a1] = (base + off) & M32
            if op == OP_LOAD or op == OP_LDCW:   # target written after the base (t == b: load wins)
                gr[a2] = v
        elif op == OP_STBY:                      # b, r, disp, end, modify
            a = (gr[a1] + a3) & M32
            wa = a & ~3
            k = a & 3
            e = store_ok(perm, page_slot, wa, 4)
            if e:
                fsig, fcode, faddr, status = SIGSEGV, e, a, ST_FAULT
                break
            v = gr[a2]
            if dc[idx, 4] == 0:                  # ,b: bytes k..3 get the low (4-k) bytes
                for i in range(k, 4):
                    mem[wa + i] = (v >> (8 * (3 - i))) & 0xFF
            else:                                # ,e: bytes 0..k-1 get the high k bytes
                for i in range(k):
                    mem[wa + i] = (v >> (8 * (3 - i))) & 0xFF
            if dc[idx, 5]:
                gr[a1] = wa
        # ---------------- less common arithmetic ----------------
        elif op == OP_DS:                        # divide step (r1, r2, t, cf)
            cin = (cb >> 32) & 1
            x = ((gr[a1] << 1) | cin) & M32
            y = gr[a2]
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
            gr[a3] = r
            cf = dc[idx, 4]
            sv = ((~(x ^ y2) & (x ^ r)) >> 31) & 1
            if cf != 0 and cond(cf, r, carry, sv):
                n = 1
        elif op == OP_UXOR:
            r = gr[a1] ^ gr[a2]
            gr[a3] = r
            cf = dc[idx, 4]
            if cf != 0 and unit_cond(cf, r, 0):
                n = 1
        elif op == OP_UADDCM:                    # r1 + ~r2, unit conditions; ,tc traps
            x = gr[a1]
            ny = ~gr[a2] & M32
            full = x + ny
            r = full & M32
            cf = dc[idx, 4]
            c = cf != 0 and unit_cond(cf, r, x ^ ny ^ full)
            if dc[idx, 5] and c:
                fsig, fcode, faddr, status = SIGFPE, FPE_CONDTRAP, f, ST_FAULT
                break
            gr[a3] = r
            if c and dc[idx, 5] == 0:
                n = 1
        elif op == OP_DCOR:                      # r, t, cf, intermediate
            x = gr[a1]
            if dc[idx, 4]:                       # idcor: add 6 where a digit carried
                y = ((cb >> 4) & 0x11111111) * 6
                full = x + y
                cbv = x ^ y ^ full
            else:                                # dcor: subtract 6 where no digit carried
                y = ((~(cb >> 4)) & 0x11111111) * 6
                ny = ~y & M32
                full = x + ny + 1
                cbv = x ^ ny ^ full
            r = full & M32
            gr[a2] = r
            cf = a3
            if cf != 0 and unit_cond(cf, r, cbv):
                n = 1
        elif op == OP_XMPYU:                     # single halves r1 * r2 -> double t
            x = fr[a1 >> 1] & M32 if a1 & 1 else (fr[a1 >> 1] >> 32) & M32
            y = fr[a2 >> 1] & M32 if a2 & 1 else (fr[a2 >> 1] >> 32) & M32
            prod = x * y                          # < 2**64: wraps into int64 bit pattern
            fr[a3] = prod
        # ---------------- system ----------------
        elif op == OP_NOP:                       # sync, fdc/fic: only a base modification
            if dc[idx, 3] != 0:
                gr[a1] = (gr[a1] + gr[a2]) & M32
        elif op == OP_MFCTL:                     # cr, t
            if a1 == 11:
                gr[a2] = cr[11] & 31
            elif a1 == 16:                       # interval timer: 1 GHz, host monotonic ns
                if ctl[CTL_CLOCK_MODE] == 0:
                    gr[a2] = (host_monotonic_ns(ts) + ctl[CTL_CR16_BIAS]) & M32
                else:                            # --clock virtual: one ns per instruction
                    gr[a2] = (count + ctl[CTL_CR16_BIAS]) & M32
            elif a1 == 26 or a1 == 27:
                gr[a2] = cr[a1]
            else:
                fsig, fcode, faddr, status = SIGILL, ILL_PRVREG, f, ST_FAULT
                break
        elif op == OP_MTCTL:                     # r, cr: only SAR is writable by users
            if a2 == 11:
                cr[11] = gr[a1] & 31
            else:
                fsig, fcode, faddr, status = SIGILL, ILL_PRVREG, f, ST_FAULT
                break
        elif op == OP_MTSARCM:
            cr[11] = ~gr[a1] & 31
        elif op == OP_MFSP:                      # s, t
            gr[a2] = sr[a1]
        elif op == OP_MTSP:                      # r, s: sr5-sr7 are privileged
            if a2 >= 5:
                fsig, fcode, faddr, status = SIGILL, ILL_PRVREG, f, ST_FAULT
                break
            sr[a2] = gr[a1]
        elif op == OP_LDSID:                     # s, b, t: the space of (s,b)
            gr[a3] = sr[a1] if a1 != 0 else sr[4 + (gr[a2] >> 30)]
        elif op == OP_MFIA:
            gr[a1] = f
        elif op == OP_PROBE:                     # b, r/im, t, write, immediate
            a = gr[a1]
            need = PERM_W if dc[idx, 4] else PERM_R
            gr[a3] = 1 if access_fault(perm, a, need) == 0 else 0
        elif op == OP_BREAK:
            fsig, fcode, faddr, status = SIGTRAP, TRAP_BRKPT, f, ST_FAULT
            break
        elif op == OP_PRIV:
            fsig, fcode, faddr, status = SIGILL, ILL_PRVOPC, f, ST_FAULT
            break
        else:                                    # ILLEGAL, and FP ops not handled here yet
            fsig, fcode, faddr, status = SIGILL, ILL_ILLOPC, f, ST_FAULT
            break

        gr[0] = 0
        f = b
        b = nb

    gr[0] = 0
    ctl[CTL_IAOQF] = f
    ctl[CTL_IAOQB] = b
    ctl[CTL_PSWN] = n
    ctl[CTL_CB] = cb
    ctl[CTL_PSWV] = psw_v
    ctl[CTL_INSNS] = count
    ctl[CTL_FAULT_SIG] = fsig
    ctl[CTL_FAULT_CODE] = fcode
    ctl[CTL_FAULT_ADDR] = faddr
    return status
