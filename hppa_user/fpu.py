"""The floating-point coprocessor (PA-RISC 1.1 FPU), called from the core for FP ops.

IEEE arithmetic runs on the host's SSE unit, with the guest's rounding mode installed via
fesetround() and the exception flags read back with fetestexcept(): results are bit-exact
IEEE. Where PA-RISC differs from x86 the code says so: PA-RISC NaNs have the *opposite*
quiet/signalling convention (fraction MSB set = signalling) and a different default NaN,
and float->int conversions saturate.

Status register (high word of fr0), bits counted from the LSB:
    enables 0-4 (I U O Z V), D 5, T 6, RM 9-10, compare queue 11-21 (cq[0] = bit 21),
    C 26, flags 27-31 (I U O Z V).
"""
from __future__ import annotations

import numpy as np
from numba import njit, types

from hppa_user import traps

M32 = 0xFFFFFFFF
_fesetround = types.ExternalFunction("fesetround", types.int32(types.int32))
_feclearexcept = types.ExternalFunction("feclearexcept", types.int32(types.int32))
_fetestexcept = types.ExternalFunction("fetestexcept", types.int32(types.int32))

# x86-64 <fenv.h>
FE_INVALID, FE_DIVBYZERO, FE_OVERFLOW, FE_UNDERFLOW, FE_INEXACT = 0x01, 0x04, 0x08, 0x10, 0x20
FE_ALL = 0x3D
HOST_ROUND = (0x000, 0xC00, 0x800, 0x400)   # PA RM 0 nearest, 1 zero, 2 +inf, 3 -inf

# PA status register exception bits (flags at FLAGS_SHIFT, enables at 0)
E_I, E_U, E_O, E_Z, E_V = traps.FP_I, traps.FP_U, traps.FP_O, traps.FP_Z, traps.FP_V
FLAGS_SHIFT = 27
C_BIT = 26

# results of exec_fp
FP_OK = 0
FP_NULLIFY = 1          # ftest: the next instruction is nullified
FP_ILLEGAL = 2          # not an FP instruction the FPU implements: SIGILL
FP_TRAP = 3             # an enabled exception: the code is its flag bits (traps.FP_V ...)


DNAN64 = 0x7FF4000000000000   # PA-RISC default NaNs (qemu-hppa's softfloat agrees)
DNAN32 = 0x7FA00000


@njit(cache=True, inline="always")
def is_nan64(b):
    return (b & 0x7FF0000000000000) == 0x7FF0000000000000 and (b & 0x000FFFFFFFFFFFFF) != 0


@njit(cache=True, inline="always")
def is_nan32(b):
    return (b & 0x7F800000) == 0x7F800000 and (b & 0x007FFFFF) != 0


@njit(cache=True, inline="always")
def is_snan64(b):                       # PA: fraction MSB set means signalling
    return is_nan64(b) and (b & 0x0008000000000000) != 0


@njit(cache=True, inline="always")
def is_snan32(b):
    return is_nan32(b) and (b & 0x00400000) != 0


@njit(cache=True)
def quiet64(b):
    """Quiet a PA signalling NaN the PA-RISC way: the two top fraction bits become 01 (MSB
    clear, the next bit set); sign and the rest of the payload stay.  This is HP's FP
    emulation (Linux arch/parisc/math-emu, ``Dbl_set_quiet`` = deposit 1 into the top two
    fraction bits) and qemu-hppa's NaN silencing; a bare MSB gives the default NaN."""
    if b & 0x0008000000000000:
        b = (b & ~0x000C000000000000) | 0x0004000000000000
    return b


@njit(cache=True)
def quiet32(b):
    """quiet64 for singles (HP's ``Sgl_set_quiet``)."""
    if b & 0x00400000:
        b = (b & ~0x00600000) | 0x00200000
    return b


@njit(cache=True, inline="always")
def reg_read(fr, reg, dbl):
    """Register bits as loads and stores see them: dbl -> fr[reg]; single -> a half
    (reg = 2 * n + right; the left half is the high word)."""
    if dbl:
        return fr[reg & 31]
    v = fr[(reg >> 1) & 31]
    return v & M32 if reg & 1 else (v >> 32) & M32


@njit(cache=True, inline="always")
def rd(fr, reg, dbl):
    """An FP operation's source: as such fr0 (double) and fr0L read as +0.0 -- fr0 holds the
    status register, and ``fcpy,dbl %fr0,%frN`` is the idiom for loading zero."""
    if reg == 0:
        return 0
    return reg_read(fr, reg, dbl)


@njit(cache=True, inline="always")
def wr(fr, reg, dbl, v):
    if dbl:
        fr[reg & 31] = v
    else:
        i = (reg >> 1) & 31
        if reg & 1:
            fr[i] = (fr[i] & ~M32) | (v & M32)
        else:
            fr[i] = (fr[i] & M32) | ((v & M32) << 32)


@njit(cache=True)
def status(fr):
    return (fr[0] >> 32) & M32


@njit(cache=True)
def set_status(fr, s):
    fr[0] = (fr[0] & M32) | ((s & M32) << 32)


@njit(cache=True)
def host_flags_to_pa(h):
    e = 0
    if h & FE_INVALID:
        e |= E_V
    if h & FE_DIVBYZERO:
        e |= E_Z
    if h & FE_OVERFLOW:
        e |= E_O
    if h & FE_UNDERFLOW:
        e |= E_U
    if h & FE_INEXACT:
        e |= E_I
    return e


@njit(cache=True, error_model="numpy")
def arith(sub, a, b, dbl, scr):
    """fadd (0), fsub (1), fmpy (2), fdiv (3), fsqrt (5), frnd (6) on raw bits, with the
    host FPU in the guest's rounding mode; returns (result bits, host exception flags)."""
    sd = scr.view(np.float64)
    ss = scr.view(np.float32)
    si = scr.view(np.int32)
    if dbl:
        scr[0] = a
        scr[1] = b
    else:
        si[0] = np.int32(a - (1 << 32) if a & 0x80000000 else a)
        si[2] = np.int32(b - (1 << 32) if b & 0x80000000 else b)
    _feclearexcept(FE_ALL)
    if dbl:
        x = sd[0]
        y = sd[1]
        if sub == 0:
            r = x + y
        elif sub == 1:
            r = x - y
        elif sub == 2:
            r = x * y
        elif sub == 3:
            r = x / y
        elif sub == 5:
            r = np.sqrt(x)
        else:
            r = np.rint(x)
        sd[2] = r
    else:
        x32 = ss[0]
        y32 = ss[2]
        if sub == 0:
            r32 = x32 + y32
        elif sub == 1:
            r32 = x32 - y32
        elif sub == 2:
            r32 = x32 * y32
        elif sub == 3:
            r32 = x32 / y32
        elif sub == 5:
            r32 = np.sqrt(x32)
        else:
            r32 = np.rint(x32)
        ss[4] = r32
    h = _fetestexcept(FE_ALL)
    if dbl:
        return scr[2], h
    return np.int64(si[4]) & M32, h


@njit(cache=True)
def exec_fp(w, major, fr, scr):
    """Execute one FP-coprocessor instruction word; return (FP_* result, fpe si_code)."""
    st = status(fr)
    rm = (st >> 9) & 3
    r1f = (w >> 21) & 31
    r2f = (w >> 16) & 31
    tf = w & 31
    cls = (w >> 9) & 3
    if major == 0x0C or major == 0x0E:
        if major == 0x0C:
            fmt = (w >> 11) & 3
            if fmt > 1:
                return FP_ILLEGAL, 0                   # quad and invalid formats
            dbl = fmt == 1
            # 0x0C single operands name the left half
            r1 = r1f if dbl else r1f << 1
            r2 = r2f if dbl else r2f << 1
            t = tf if dbl else tf << 1
        else:
            dbl = ((w >> 11) & 1) == 1
            r1 = r1f if dbl else (r1f << 1) | ((w >> 7) & 1)
            r2 = r2f if dbl else (r2f << 1) | ((w >> 12) & 1)
            t = tf if dbl else (tf << 1) | ((w >> 6) & 1)
        if cls == 0:                                   # single operand
            sub = (w >> 13) & 7
            a = rd(fr, r1, dbl)
            sign = np.int64(1) << (63 if dbl else 31)
            if sub == 2:                               # fcpy
                wr(fr, t, dbl, a)
            elif sub == 3:                             # fabs
                wr(fr, t, dbl, a & ~sign)
            elif sub == 6:                             # fneg (PA 2.0)
                wr(fr, t, dbl, a ^ sign)
            elif sub == 7:                             # fnegabs (PA 2.0)
                wr(fr, t, dbl, a | sign)
            elif sub == 4 or sub == 5:                 # fsqrt, frnd
                return _finish_arith(fr, st, rm, 5 if sub == 4 else 6, a, a, dbl, t, scr)
            elif sub == 0 and major == 0x0C and w == 0x30000000:
                pass                                   # fid (identify): nothing to do in user mode
            else:
                return FP_ILLEGAL, 0
            return FP_OK, 0
        if cls == 1:                                   # conversions
            sub = (w >> 15) & 7
            if major == 0x0C:
                sdbl = ((w >> 11) & 3) == 1
                ddbl = ((w >> 13) & 3) == 1
                if ((w >> 11) & 3) > 1 or ((w >> 13) & 3) > 1:
                    return FP_ILLEGAL, 0
                src = r1f if sdbl else r1f << 1
                dst = tf if ddbl else tf << 1
            else:
                sdbl = ((w >> 11) & 1) == 1
                ddbl = ((w >> 13) & 1) == 1
                src = r1f if sdbl else (r1f << 1) | ((w >> 7) & 1)
                dst = tf if ddbl else (tf << 1) | ((w >> 6) & 1)
            return convert(fr, st, rm, sub, src, sdbl, dst, ddbl, scr)
        if cls == 2:                                   # fcmp / ftest
            sub = (w >> 13) & 7
            if sub == 1:                               # ftest: nullify when C is set
                return (FP_NULLIFY if (st >> C_BIT) & 1 else FP_OK), 0
            if sub != 0:
                return FP_ILLEGAL, 0
            return compare(fr, st, rd(fr, r1, dbl), rd(fr, r2, dbl), dbl, tf)
        # class 3: two-operand arithmetic (0x0E bit 8 set is xmpyu, handled by the core)
        sub = (w >> 13) & 7
        if sub > 3 or (major == 0x0E and (w >> 8) & 1):
            return FP_ILLEGAL, 0                       # frem is PA 1.0 only; xmpyu is in the core
        return _finish_arith(fr, st, rm, sub, rd(fr, r1, dbl), rd(fr, r2, dbl), dbl, t, scr)
    # fmpyadd (0x06) / fmpysub (0x26): tm = rm1 * rm2 ; ta = ta +/- ra
    dbl = ((w >> 5) & 1) == 0
    regs = np.empty(5, np.int64)
    fields = ((w >> 21) & 31, (w >> 16) & 31, w & 31, (w >> 6) & 31, (w >> 11) & 31)
    for i in range(5):
        x = fields[i]
        regs[i] = x if dbl else ((16 + (x & 15)) << 1) | (x >> 4)
    m1 = rd(fr, regs[0], dbl)
    m2 = rd(fr, regs[1], dbl)
    ra = rd(fr, regs[3], dbl)
    ta = rd(fr, regs[4], dbl)
    res, code = _finish_arith(fr, st, rm, 2, m1, m2, dbl, regs[2], scr)
    if res != FP_OK:
        return res, code
    return _finish_arith(fr, status(fr), rm, 0 if major == 0x06 else 1, ta, ra, dbl, regs[4], scr)


@njit(cache=True)
def _nan_result(a, b, dbl, two):
    """The NaN an operation with a NaN operand returns (first NaN operand, quieted)."""
    if dbl:
        if is_snan64(a):
            return quiet64(a)
        if two and is_snan64(b):
            return quiet64(b)
        if is_nan64(a):
            return a
        return b
    if is_snan32(a):
        return quiet32(a)
    if two and is_snan32(b):
        return quiet32(b)
    if is_nan32(a):
        return a
    return b


@njit(cache=True)
def _finish_arith(fr, st, rm, sub, a, b, dbl, t, scr):
    two = sub <= 4
    nan_in = (is_nan64(a) or (two and is_nan64(b))) if dbl else (is_nan32(a) or (two and is_nan32(b)))
    if nan_in:
        snan = (is_snan64(a) or (two and is_snan64(b))) if dbl else (is_snan32(a) or (two and is_snan32(b)))
        res = _nan_result(a, b, dbl, two)
        e = E_V if snan else 0
    else:
        if rm != 0:
            _fesetround(HOST_ROUND[rm])
        res, h = arith(sub, a, b, dbl, scr)
        if rm != 0:
            _fesetround(0)
        e = host_flags_to_pa(h)
        if dbl and is_nan64(res):
            res = DNAN64                          # an invalid operation: PA's default NaN
        elif not dbl and is_nan32(res):
            res = DNAN32
    return _commit(fr, st, e, t, dbl, res)


@njit(cache=True)
def _commit(fr, st, e, t, dbl, res):
    """Record exception flags; trap if one is enabled (the target is then left alone)."""
    st |= e << FLAGS_SHIFT
    set_status(fr, st)
    if e & st & 31:
        return FP_TRAP, e & st & 31
    if t >= 0:
        wr(fr, t, dbl, res)
    return FP_OK, 0


@njit(cache=True)
def compare(fr, st, a, b, dbl, c):
    """fcmp: C = (relation bit of condition c); invalid on unordered for the odd conditions
    and always for signalling NaNs. Relation bits of c: 16 >, 8 <, 4 =, 2 unordered."""
    if dbl:
        na, nb = is_nan64(a), is_nan64(b)
        snan = is_snan64(a) or is_snan64(b)
    else:
        na, nb = is_nan32(a), is_nan32(b)
        snan = is_snan32(a) or is_snan32(b)
    if na or nb:
        bit = 2
    else:
        x = _to_float(a, dbl)
        y = _to_float(b, dbl)
        bit = 16 if x > y else (8 if x < y else 4)
    e = E_V if (snan or ((na or nb) and (c & 1))) else 0
    cbit = 1 if (c & bit) else 0
    st |= e << FLAGS_SHIFT
    if e & st & 31:
        set_status(fr, st)
        return FP_TRAP, e & st & 31
    # queue the previous C, then set the new one
    cq = (st >> 12) & 0x3FF
    st = (st & ~(0x7FF << 11)) | (cq << 11) | (((st >> C_BIT) & 1) << 21)
    st = (st & ~(1 << C_BIT)) | (cbit << C_BIT)
    set_status(fr, st)
    return FP_OK, 0


@njit(cache=True)
def _to_float(bits, dbl):
    s = np.empty(1, np.int64)
    if dbl:
        s[0] = bits
        return s.view(np.float64)[0]
    s[0] = bits & M32
    return np.float64(s.view(np.float32)[0])


@njit(cache=True)
def _from_float(x, dbl):
    s = np.empty(1, np.int64)
    if dbl:
        s.view(np.float64)[0] = x
        return s[0]
    s[0] = 0
    s.view(np.float32)[0] = np.float32(x)
    return s[0] & M32


@njit(cache=True)
def _from_float32(x):
    s = np.empty(1, np.int64)
    s[0] = 0
    s.view(np.float32)[0] = x
    return s[0] & M32


@njit(cache=True)
def convert(fr, st, rm, sub, src, sdbl, dst, ddbl, scr):
    """fcnvff (0), fcnvxf (1), fcnvfx (2), fcnvfxt (3), fcnvuf (5), fcnvfu (6), fcnvfut (7)."""
    a = rd(fr, src, sdbl)
    e = 0
    if sub == 0:                                   # float -> float
        if (sdbl and is_nan64(a)) or (not sdbl and is_nan32(a)):
            snan = is_snan64(a) if sdbl else is_snan32(a)
            if sdbl == ddbl:
                res = (quiet64(a) if sdbl else quiet32(a)) if snan else a
            elif sdbl:                             # keep sign and top fraction bits
                q = quiet64(a) if snan else a
                res = ((q >> 32) & 0x80000000) | 0x7F800000 | ((q >> 29) & 0x7FFFFF)
                if (res & 0x7FFFFF) == 0:        # payload all in the dropped bits: quiet it
                    res |= 0x00200000            # as HP's emulation does, sign kept (qemu-hppa
                                                 # 7.2 returns an infinity here; Linux wins)
            else:
                q = quiet32(a) if snan else a
                res = ((q & 0x80000000) << 32) | 0x7FF0000000000000 | ((q & 0x7FFFFF) << 29)
            return _commit(fr, st, E_V if snan else 0, dst, ddbl, res)
        x = _to_float(a, sdbl)
        if rm != 0:
            _fesetround(HOST_ROUND[rm])
        _feclearexcept(FE_ALL)
        res = _from_float(x, ddbl)
        h = _fetestexcept(FE_ALL)
        if rm != 0:
            _fesetround(0)
        return _commit(fr, st, host_flags_to_pa(h), dst, ddbl, res)
    if sub == 1 or sub == 5:                       # integer -> float, one rounding
        if sdbl:
            v = a
        else:
            v = a - (1 << 32) if (sub == 1 and a & 0x80000000) else a
        big_unsigned = sub == 5 and sdbl and v < 0  # unsigned 64-bit at or above 2**63
        if rm != 0:
            _fesetround(HOST_ROUND[rm])
        _feclearexcept(FE_ALL)
        if ddbl:
            res = _from_float(np.float64(np.uint64(v)) if big_unsigned else np.float64(v), True)
        else:
            res = _from_float32(np.float32(np.uint64(v)) if big_unsigned else np.float32(v))
        h = _fetestexcept(FE_ALL)
        if rm != 0:
            _fesetround(0)
        return _commit(fr, st, host_flags_to_pa(h), dst, ddbl, res)
    if sub == 2 or sub == 3 or sub == 6 or sub == 7:   # float -> integer
        unsigned = sub >= 6
        trunc = sub == 3 or sub == 7
        bits = 64 if ddbl else 32
        lo = 0.0 if unsigned else -(2.0 ** (bits - 1))
        upper = 2.0 ** bits if unsigned else 2.0 ** (bits - 1)     # exclusive
        if (sdbl and is_nan64(a)) or (not sdbl and is_nan32(a)):    # NaN: the largest value
            ival = (1 << bits) - 1 if unsigned else (1 << (bits - 1)) - 1
            return _commit(fr, st, E_V, dst, ddbl, ival & M32 if bits == 32 else ival)
        x = _to_float(a, sdbl)
        if trunc:
            y = np.trunc(x)
        else:
            if rm != 0:
                _fesetround(HOST_ROUND[rm])
            y = np.rint(x)
            if rm != 0:
                _fesetround(0)
        if y < lo or y >= upper:
            e = E_V
            if unsigned:
                ival = 0 if x < 0 else (1 << bits) - 1
            else:
                ival = (1 << (bits - 1)) - 1 if x > 0 else -(1 << (bits - 1))
        else:
            e = E_I if y != x else 0
            if unsigned and bits == 64 and y >= 9.223372036854775808e18:
                ival = np.int64(np.uint64(y))
            else:
                ival = np.int64(y)
        if bits == 32:
            ival &= M32
        return _commit(fr, st, e, dst, ddbl, ival)
    return FP_ILLEGAL, 0
