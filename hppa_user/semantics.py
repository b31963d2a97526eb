"""What each micro-op does: written once, run by both tiers.

Every micro-op of ``encoding.OPS`` has one function here (FP ones in fpu.py), registered
with ``@sem("OP")``.  The interpreter generator (coregen.py) calls it with the decoded fields
as run-time values -- except the fields the encoding table fixes per row (``K``), which are
constants in both tiers, so an interpreter arm is specialised per row shape -- and the
region generator (regiongen.py) calls it with every field a constant.  Both hand in a context
:class:`Ctx` that says how to reach the guest state; the semantics only compute with
:mod:`ssa` values, so the same lines become a generic interpreter arm or a few IR
instructions specialised for one instruction word.

Rules a semantics function follows (the region compiler depends on them):
  * every check that can trap (``s.trap_if``, loads, stores) comes before any write of
    guest state: a compiled region leaves a trapping instruction to the interpreter with
    the state as it was before it;
  * PSW[N] for the next instruction is set with ``s.nullify_if``, the new IAOQ back with
    ``s.branch``/``s.cond_branch``; nothing else touches the queue.

PA-RISC rules applied here: conditions are ``cf = (c << 1) | f`` over one evaluator
(:func:`cond`; unit conditions :func:`unit_cond`), the carry/borrow vector ``CB`` keeps bit
i = carry into bit i (nibble carries for DCOR, bit 32 = PSW[C]), links are ``addr | 3``
(user privilege) and branch targets drop the low two bits.
"""
from __future__ import annotations

from llvmlite import ir

from hppa_user import encoding as enc
from hppa_user import state as S
from hppa_user import traps as T
from hppa_user.memory import PERM_R, PERM_W
from hppa_user.ssa import V, if_else, pick, select, unless_zero

M32 = 0xFFFFFFFF


SEMANTICS: dict[str, callable] = {}
# ops the region compiler leaves to the interpreter (none today; the mechanism stays)
INTERPRETER_ONLY: set[str] = set()


def sem(name: str, interpreter_only: bool = False):
    """Register the semantics of micro-op ``name`` (an ``encoding.OPS`` name)."""
    assert name in enc.OP, name

    def register(fn):
        assert name not in SEMANTICS, name
        SEMANTICS[name] = fn
        if interpreter_only:
            INTERPRETER_ONLY.add(name)
        return fn
    return register


def c32(x: int) -> V:
    return V.const(x, 32)


class Ctx:
    """The guest state as a semantics function sees it.  The two tiers subclass it:
    they supply the builder ``b``, the register-file pointer, memory access, traps, the
    next PSW[N] and the queue; the register accessors here are common to both."""

    b = None            # llvmlite IRBuilder
    f: V                # IAOQ front: the instruction's address (i32)
    back: V             # IAOQ back (i32)

    # -- provided by the tier ------------------------------------------------------------
    def reg_ptr(self, index: V):
        """Pointer to regs[index] (an i64 slot; index constant or run-time)."""
        raise NotImplementedError

    def load(self, addr: V, size: int) -> V:
        """Big-endian load (i32 for 1, 2, 4 bytes; i64 for 8)."""
        raise NotImplementedError

    def store(self, addr: V, size: int, v: V) -> None:
        raise NotImplementedError

    def check_store(self, addr: V, fault_addr: V) -> None:
        """Trap unless the aligned word at ``addr`` may be stored into (stby)."""
        raise NotImplementedError

    def poke8(self, addr: V, v: V, when) -> None:
        """Store one byte (after check_store) when ``when`` holds."""
        raise NotImplementedError

    def readable(self, addr: V, need: int) -> V:
        """i1: the page of ``addr`` grants the PERM_* bits ``need`` (probe)."""
        raise NotImplementedError

    def trap_if(self, cond, number: int, detail=0, addr: V | None = None) -> None:
        """Stop with interruption ``number`` (traps.py) when cond holds: ``detail`` its
        detail word, ``addr`` the data address (default: the instruction's)."""
        raise NotImplementedError

    def nullify_if(self, cond) -> None:
        raise NotImplementedError

    def branch(self, target: V, nullify) -> None:
        """The next back is ``target`` (the delay slot runs first, unless ``nullify``)."""
        raise NotImplementedError

    def cond_branch(self, taken: V, disp: V, nflag) -> None:
        """Taken: back <- f + 8 + disp.  ``,n`` nullifies the slot of a taken forward or
        a not-taken backward branch (the slot is then never useful)."""
        raise NotImplementedError

    def call(self, helper: str, *args) -> V:
        """Call a shared helper function (fpu.HELPERS) -- the same code in both tiers."""
        raise NotImplementedError

    def if_else(self, cond, then, otherwise, rare: bool = False):
        """then() if cond else otherwise(), each building code only on its own path; they
        return a V, a tuple of V's (merged by phis) or None.  ``rare``: cond seldom holds."""
        return if_else(self.b, cond, then, otherwise, rare)

    def insns_so_far(self) -> V:
        """Instructions executed so far, this one included (i64; --clock virtual)."""
        raise NotImplementedError

    def host_clock(self) -> V:
        """Host monotonic nanoseconds (i64)."""
        raise NotImplementedError

    # -- the register file ---------------------------------------------------------------
    def _ld(self, index) -> V:
        """regs[index] as an i64 (index: an int or a V)."""
        return V.of(self.b, self.b.load(self.reg_ptr(index), typ=ir.IntType(64)))

    def _st(self, index, v: V) -> None:
        self.b.store(v.zext(64).ir, self.reg_ptr(index))

    def gr(self, r: V) -> V:
        """GR r (r0 reads 0: the interpreter keeps regs[0] zero).  Register fields are
        5-bit by construction (decode.py), so no mask is needed."""
        if r.known == 0:
            return c32(0)
        return self._ld(r).trunc(32)

    def set_gr(self, r: V, v: V) -> None:
        """GR r <- v; writes to r0 vanish (the interpreter zeroes regs[0] after them)."""
        if r.known == 0:
            return
        self._st(r, v)
        self.wrote_gr(r)

    def set_gr_if(self, cond: V, r: V, v: V) -> None:
        """GR r <- v when cond holds (a base-register modification)."""
        if cond.known == 0:
            return
        self.set_gr(r, v if cond.known else select(cond, v, self.gr(r)))

    def wrote_gr(self, r: V) -> None:
        """Hook: the interpreter notes run-time register numbers (regs[0] to re-zero)."""

    def ctl(self, i: int) -> V:
        return self._ld(V.const(S.REGS_CTL + i, 64))

    def set_ctl(self, i: int, v: V) -> None:
        self._st(V.const(S.REGS_CTL + i, 64), v)

    def cr(self, i: V) -> V:
        return self._ld((i & 31) + (S.REGS_CR.start)).trunc(32)

    def sar(self) -> V:
        """SAR (cr11): the 5-bit shift amount."""
        return self.cr(c32(11)) & 31

    def set_sar(self, v: V) -> None:
        self._st(V.const(S.REGS_CR.start + 11, 32), v & 31)

    def sr(self, i: V) -> V:
        return self._ld((i & 7) + S.REGS_SR.start).trunc(32)

    def set_sr(self, i: V, v: V) -> None:
        self._st((i & 7) + S.REGS_SR.start, v)

    def cb(self) -> V:
        return self.ctl(S.CTL_CB)

    def set_cb(self, x: V, y: V, full: V) -> None:
        """The carry vector of x + y (+ carry in) = full: bit i = carry into bit i."""
        self.set_ctl(S.CTL_CB, x.zext(64) ^ y.zext(64) ^ full)

    def carry_in(self) -> V:
        """PSW[C/B] as an i64 0/1."""
        return (self.cb() >> 32) & 1

    def fr(self, i: V) -> V:
        """FP register i, raw 64 bits."""
        return self._ld((i & 31) + S.REGS_FR.start)

    def set_fr(self, i: V, v: V) -> None:
        self._st((i & 31) + S.REGS_FR.start, v)

    def fr_half(self, reg: V) -> V:
        """A single (reg = 2 * n + right; the left half is the high word) as loads,
        stores and xmpyu see it."""
        v = self.fr(reg >> 1)
        return select((reg & 1).trunc(1), v.trunc(32), (v >> 32).trunc(32))

    def set_fr_half(self, reg: V, v: V) -> None:
        old = self.fr(reg >> 1)
        right = (reg & 1).trunc(1)
        new = select(right, (old & ~M32 & 0xFFFFFFFFFFFFFFFF) | v.zext(64),
                     (old & M32) | (v.zext(64) << 32))
        self.set_fr(reg >> 1, new)


# ---- conditions ---------------------------------------------------------------------------

def cond(cf: V, res: V, carry, sv) -> V:
    """Arithmetic/compare condition ``cf = (c << 1) | f`` on a result, its carry out and
    signed overflow (i1 values or Python bools): c = 0 never, 1 =, 2 <, 3 <=, 4 NUV (no
    carry), 5 ZNV, 6 SV, 7 OD; f negates."""
    carry = V.const(int(carry), 1) if isinstance(carry, (bool, int)) else carry
    sv = V.const(int(sv), 1) if isinstance(sv, (bool, int)) else sv
    zero = lambda: res.eq(0)                           # noqa: E731
    lt = lambda: res.bit(31) ^ sv                      # noqa: E731
    return unless_zero(cf, lambda: pick(cf >> 1, [
        lambda: V.const(0, 1), zero, lt, lambda: lt() | zero(), lambda: ~carry,
        lambda: ~carry | zero(), lambda: sv, lambda: res.bit(0)]) ^ cf.bit(0))


def sub_cond(x: V, y: V, cf: V) -> V:
    """The condition on x - y, as comparisons (cmpb, cmpclr, cmpiclr, cmpib)."""
    return unless_zero(cf, lambda: pick(cf >> 1, [
        lambda: V.const(0, 1), lambda: x.eq(y), lambda: x.slt(y), lambda: x.sle(y),
        lambda: x.ult(y), lambda: x.ule(y), lambda: sub_overflow(x, y, x - y),
        lambda: (x - y).bit(0)]) ^ cf.bit(0))


def logic_cond(cf: V, v: V) -> V:
    """Logical/shift/extract/deposit conditions: carry 1, no overflow."""
    return cond(cf, v, True, False)


def unit_cond(cf: V, res: V, cbv: V) -> V:
    """Unit conditions: some byte/halfword zero (SBZ, SHZ), some digit/byte/halfword
    carry (SDC, SBC, SHC) in the i64 carry vector ``cbv``."""
    def some_zero(lo, hi):
        return ((res - lo) & ~res & hi).ne(0)
    return unless_zero(cf, lambda: pick(cf >> 1, [
        lambda: V.const(0, 1), lambda: V.const(0, 1),
        lambda: some_zero(0x01010101, 0x80808080), lambda: some_zero(0x00010001, 0x80008000),
        lambda: (cbv & 0x111111110).ne(0), lambda: V.const(0, 1),
        lambda: (cbv & 0x101010100).ne(0), lambda: (cbv & 0x100010000).ne(0)]) ^ cf.bit(0))


def add_overflow(x: V, y: V, r: V) -> V:
    return (~(x ^ y) & (x ^ r)).bit(31)


def sub_overflow(x: V, y: V, r: V) -> V:
    return ((x ^ y) & (x ^ r)).bit(31)


def shift_overflow(x: V, k: V) -> V:
    """shladd,tsv: the shift itself overflows when the top k+1 bits of x are not all equal."""
    if k.known == 0:
        return V.const(0, 1)
    top = x.ashr(31 - k)
    return top.ne(0) & top.ne(M32)


def add_full(x: V, y: V, cin=0):
    """(i64 full sum, i32 result, i1 carry out) of x + y + cin."""
    full = x.zext(64) + y.zext(64)
    if not (isinstance(cin, int) and cin == 0):
        full = full + cin
    return full, full.trunc(32), full.bit(32)


def link(s: Ctx) -> V:
    """The return point of a call: the instruction after the delay slot, privilege 3."""
    return (s.back + 4) | 3


def effective_address(s: Ctx, b: V, disp: V, mode: V, x: V, scale: V):
    """(address, modified base) of the general load/store forms.  mode: 0 none, 1 modify
    before, 2 modify after, 3 ldwm/stwm (before for a negative displacement, else after);
    x: the index register, or -1 for the displacement forms."""
    off = disp if x.sknown == -1 else s.gr(x) << scale
    if mode.known == 3:
        mode = select(disp.slt(0), c32(1), c32(2))
    base = s.gr(b)
    newbase = base + off
    return select(mode.eq(2), base, newbase), newbase


# ---- computational ---------------------------------------------------------------------------

def _trap_flags(s, flags: V, sv, c):
    """,tsv (overflow) and ,tc (condition) traps of the add/sub forms."""
    if flags.known & enc.F_TSV:
        s.trap_if(sv, T.OVERFLOW)
    if flags.known & enc.F_TC:
        s.trap_if(c, T.CONDITIONAL)


@sem("ADD")
def add(s, r1, r2, t, cf, shift, flags):
    x0 = s.gr(r1)
    x = x0 << shift
    y = s.gr(r2)
    full, v, carry = add_full(x, y, s.carry_in() if flags.known & enc.F_CARRY else 0)
    sv = add_overflow(x, y, v)
    if flags.known & enc.F_TSV:                  # shladd,tsv: the shift counts too
        s.trap_if(sv | shift_overflow(x0, shift), T.OVERFLOW)
    s.set_gr(t, v)
    if not flags.known & enc.F_NOCB:
        s.set_cb(x, y, full)
    s.nullify_if(cond(cf, v, carry, sv))


def _subtract(s, x, y, t, cf, flags):
    ny = ~y
    full, v, carry = add_full(x, ny, s.carry_in() if flags.known & enc.F_CARRY else 1)
    sv = sub_overflow(x, y, v)
    c = cond(cf, v, carry, sv)
    _trap_flags(s, flags, sv, c)
    s.set_gr(t, v)
    s.set_cb(x, ny, full)
    if not flags.known & enc.F_TC:
        s.nullify_if(c)


@sem("SUB")
def sub(s, r1, r2, t, cf, _shift, flags):
    _subtract(s, s.gr(r1), s.gr(r2), t, cf, flags)


@sem("SUBI")
def subi(s, r, t, imm, cf, flags):
    _subtract(s, imm, s.gr(r), t, cf, flags)


@sem("ADDI")
def addi(s, r, t, imm, cf, flags):
    x, y = imm, s.gr(r)
    full, v, carry = add_full(x, y)
    sv = add_overflow(x, y, v)
    c = cond(cf, v, carry, sv)
    _trap_flags(s, flags, sv, c)
    s.set_gr(t, v)
    s.set_cb(x, y, full)
    if not flags.known & enc.F_TC:
        s.nullify_if(c)


@sem("COMCLR")
def comclr(s, r1, r2, t, cf):
    c = sub_cond(s.gr(r1), s.gr(r2), cf)
    s.set_gr(t, c32(0))
    s.nullify_if(c)


@sem("COMICLR")
def comiclr(s, r, t, imm, cf):
    c = sub_cond(imm, s.gr(r), cf)
    s.set_gr(t, c32(0))
    s.nullify_if(c)


def _logical(fn):
    def op(s, r1, r2, t, cf):
        v = fn(s.gr(r1), s.gr(r2))
        s.set_gr(t, v)
        s.nullify_if(logic_cond(cf, v))
    return op


sem("OR")(_logical(lambda x, y: x | y))
sem("AND")(_logical(lambda x, y: x & y))
sem("XOR")(_logical(lambda x, y: x ^ y))
sem("ANDCM")(_logical(lambda x, y: x & ~y))


@sem("DS")
def ds(s, r1, r2, t, cf):
    """Divide step: shift CB's carry in, add or subtract by PSW[V], V <- carry xor y's sign."""
    x = (s.gr(r1) << 1) | s.carry_in().trunc(32)
    y = s.gr(r2)
    vflag = (s.ctl(S.CTL_PSWV) & 1).trunc(1)
    y2 = select(vflag, ~y, y)
    full, r, carry = add_full(x, y2, vflag.zext(64))
    s.set_cb(x, y2, full)
    s.set_ctl(S.CTL_PSWV, (carry ^ y.bit(31)).zext(64))
    s.set_gr(t, r)
    s.nullify_if(cond(cf, r, carry, add_overflow(x, y2, r)))


@sem("UXOR")
def uxor(s, r1, r2, t, cf):
    r = s.gr(r1) ^ s.gr(r2)
    s.set_gr(t, r)
    s.nullify_if(unit_cond(cf, r, V.const(0, 64)))


@sem("UADDCM")
def uaddcm(s, r1, r2, t, cf, tc):
    """r1 + ~r2 with unit conditions (,tc traps); PSW[C/B] is left alone."""
    x, ny = s.gr(r1), ~s.gr(r2)
    full, r, _ = add_full(x, ny)
    c = unit_cond(cf, r, x.zext(64) ^ ny.zext(64) ^ full)
    if tc.known:
        s.trap_if(c, T.CONDITIONAL)
    s.set_gr(t, r)
    if not tc.known:
        s.nullify_if(c)


@sem("DCOR")
def dcor(s, r, t, cf, intermediate):
    """Decimal correct: idcor adds 6 where a digit carried, dcor subtracts 6 where none did."""
    x = s.gr(r)
    digits = (s.cb() >> 4).trunc(32)
    if intermediate.known:
        y = (digits & 0x11111111) * 6
        full, v, _ = add_full(x, y)
    else:
        y = ~((~digits & 0x11111111) * 6)
        full, v, _ = add_full(x, y, 1)
    s.set_gr(t, v)
    s.nullify_if(unit_cond(cf, v, x.zext(64) ^ y.zext(64) ^ full))


@sem("LDO")
def ldo(s, b, t, disp):
    s.set_gr(t, s.gr(b) + disp)


@sem("LDIL")
def ldil(s, t, imm):
    s.set_gr(t, imm)


@sem("ADDIL")
def addil(s, r, imm):
    s.set_gr(c32(1), s.gr(r) + imm)


# ---- shift pair, extract, deposit ------------------------------------------------------------

def _shift_amount(s, sh: V, from_sar) -> V:
    """A fixed shift, or (sh = -1) one from SAR: from_sar(sar) gives it."""
    return from_sar(s.sar()) if sh.sknown == -1 else sh


@sem("SHD")
def shd(s, r1, r2, t, sh, cf):
    sh = _shift_amount(s, sh, lambda sar: sar)
    pair = (s.gr(r1).zext(64) << 32) | s.gr(r2).zext(64)
    v = (pair >> sh.zext(64)).trunc(32)
    s.set_gr(t, v)
    s.nullify_if(logic_cond(cf, v))


@sem("EXTR")
def extr(s, r, t, sh, ln, signed, cf):
    """Extract ``ln`` bits ending ``sh`` bits above bit 0 (a length reaching past bit 31
    is cut there), zero- or sign-extended.  Zero-extended, the cut is the mask's: the
    bits past bit 31 are zeros anyway, so a copy of a chain (whose fields are holes, not
    constants) is a shift and a mask, not the cut's compare and select too."""
    sh = _shift_amount(s, sh, lambda sar: 31 - sar).zext(64)
    ln = ln.zext(64)
    field = s.gr(r).zext(64) >> sh
    if signed.known:
        ln = select(ln.ugt(32 - sh), 32 - sh, ln)
        up = 64 - ln
        v = (field << up).ashr(up)           # its top bit copied above it
    else:
        v = field & ((V.const(1, 64) << ln) - 1)
    v = v.trunc(32)
    s.set_gr(t, v)
    s.nullify_if(logic_cond(cf, v))


def _deposit(s, src: V, t, sh, ln, zero, cf):
    sh = _shift_amount(s, sh, lambda sar: 31 - sar).zext(64)
    # a field reaching past bit 31 is cut there by the mask's M32 (no compare, no select)
    mask = (((V.const(1, 64) << ln.zext(64)) - 1) << sh) & M32
    new = (src.zext(64) << sh) & mask
    if not zero.known:
        new = new | (s.gr(t).zext(64) & (mask ^ M32))
    v = new.trunc(32)
    s.set_gr(t, v)
    s.nullify_if(logic_cond(cf, v))


@sem("DEP")
def dep(s, r, t, sh, ln, zero, cf):
    _deposit(s, s.gr(r), t, sh, ln, zero, cf)


@sem("DEPI")
def depi(s, imm, t, sh, ln, zero, cf):
    _deposit(s, imm, t, sh, ln, zero, cf)


# ---- loads and stores ---------------------------------------------------------------------

@sem("LD")
def ld(s, b, t, disp, size):
    s.set_gr(t, s.load(s.gr(b) + disp, size.known))


@sem("ST")
def st(s, b, r, disp, size):
    s.store(s.gr(b) + disp, size.known, s.gr(r))


@sem("LOAD")
def load(s, b, t, disp, size, mode, x, scale):
    a, newbase = effective_address(s, b, disp, mode, x, scale)
    v = s.load(a, size.known)
    s.set_gr_if(mode.ne(0), b, newbase)
    s.set_gr(t, v)                   # after the base: for t == b the loaded value wins


@sem("STORE")
def store(s, b, r, disp, size, mode, x, scale):
    a, newbase = effective_address(s, b, disp, mode, x, scale)
    s.store(a, size.known, s.gr(r))
    s.set_gr_if(mode.ne(0), b, newbase)


@sem("FLOAD")
def fload(s, b, t, disp, size, mode, x, scale):
    a, newbase = effective_address(s, b, disp, mode, x, scale)
    v = s.load(a, size.known)
    if size.known == 8:
        s.set_fr(t, v)
    else:
        s.set_fr_half(t, v)
    s.set_gr_if(mode.ne(0), b, newbase)


@sem("FSTORE")
def fstore(s, b, r, disp, size, mode, x, scale):
    a, newbase = effective_address(s, b, disp, mode, x, scale)
    s.store(a, size.known, s.fr(r) if size.known == 8 else s.fr_half(r))
    s.set_gr_if(mode.ne(0), b, newbase)


@sem("LDCW")
def ldcw(s, b, t, disp, size, mode, x, scale):
    """Load and clear word: the PA-RISC semaphore (one CPU: atomic by construction).
    Linux's unaligned handler does not emulate it: an unaligned one is SIGBUS."""
    a, newbase = effective_address(s, b, disp, mode, x, scale)
    s.trap_if((a & 3).ne(0), T.UNALIGNED, 0, a)
    v = s.load(a, 4)
    s.store(a, 4, c32(0))
    s.set_gr_if(mode.ne(0), b, newbase)
    s.set_gr(t, v)


@sem("STBY")
def stby(s, b, r, disp, end, modify):
    """Store bytes: ,b stores bytes k..3 of the word at a & ~3 (k = a & 3) from the low end
    of GR r, ,e bytes 0..k-1 from its high end.  ,m post-modifies: the bytes go to GR[b],
    then GR[b] <- (GR[b] + d) & ~3 (HP's bcopy millicode: ``stbys,b,m t1,4(dst)``)."""
    base = s.gr(b)
    a = select(modify.ne(0), base, base + disp)
    wa = a & ~3
    k = a & 3
    s.check_store(wa, a)
    v = s.gr(r)
    for i in range(4):
        byte = (v >> (8 * (3 - i))) & 0xFF
        s.poke8(wa + i, byte, select(end.ne(0), k.ugt(i), k.ule(i)))
    s.set_gr_if(modify.ne(0), b, (base + disp) & ~3)


# ---- branches ------------------------------------------------------------------------------

@sem("BL")
def bl(s, t, disp, n):
    s.set_gr(t, link(s))
    s.branch(s.f + 8 + disp, n)


@sem("BV")
def bv(s, x, b, n):
    s.branch((s.gr(b) + (s.gr(x) << 3)) & ~3, n)


@sem("BE")
def be(s, b, disp, n, sr, is_link):
    """External branch; ble also links in r31 and copies the space to sr0."""
    target = (s.gr(b) + disp) & ~3
    if is_link.known:
        s.set_gr(c32(31), link(s))
        s.set_sr(c32(0), s.sr(sr))
    s.branch(target, n)


@sem("BLR")
def blr(s, t, x, n):
    target = (s.f + 8 + (s.gr(x) << 3)) & ~3
    s.set_gr(t, link(s))
    s.branch(target, n)


@sem("CMPB")
def cmpb(s, r1, r2, cf, disp, n):
    s.cond_branch(sub_cond(s.gr(r1), s.gr(r2), cf), disp, n)


@sem("CMPIB")
def cmpib(s, imm, r2, cf, disp, n):
    s.cond_branch(sub_cond(imm, s.gr(r2), cf), disp, n)


def _add_branch(s, x, r2, cf, disp, n):
    y = s.gr(r2)
    full, v, carry = add_full(x, y)
    s.set_gr(r2, v)
    s.cond_branch(cond(cf, v, carry, add_overflow(x, y, v)), disp, n)


@sem("ADDB")
def addb(s, r1, r2, cf, disp, n):
    _add_branch(s, s.gr(r1), r2, cf, disp, n)


@sem("ADDIB")
def addib(s, imm, r2, cf, disp, n):
    _add_branch(s, imm, r2, cf, disp, n)


@sem("MOVB")
def movb(s, r1, r2, cf, disp, n):
    v = s.gr(r1)
    s.set_gr(r2, v)
    s.cond_branch(logic_cond(cf, v), disp, n)


@sem("MOVIB")
def movib(s, imm, r2, cf, disp, n):
    s.set_gr(r2, imm)
    s.cond_branch(logic_cond(cf, imm), disp, n)


@sem("BB")
def bb(s, r, pos, sense, disp, n):
    """Branch on bit ``pos`` (from the MSB; -1: SAR) being set (sense 0) or clear (1)."""
    pos = _shift_amount(s, pos, lambda sar: sar)
    bit = (s.gr(r) >> (31 - pos)).bit(0)
    s.cond_branch(bit ^ sense.bit(0), disp, n)


# ---- system ----------------------------------------------------------------------------------

@sem("NOP")
def nop(s, b, x, modify):
    """sync, fdc/fic, fid: nothing to do for a coherent emulated cache but ,m's base update."""
    s.set_gr_if(modify.ne(0), b, s.gr(b) + s.gr(x))


def interval_timer(s: Ctx) -> V:
    """cr16: 1 GHz, host monotonic ns (or, under --clock virtual, the instruction count
    plus CTL_CR16_BIAS: the virtual monotonic clock's low word)."""
    virtual = s.ctl(S.CTL_CLOCK_MODE).ne(0)
    ns = s.if_else(virtual, lambda: s.insns_so_far() + s.ctl(S.CTL_CR16_BIAS), s.host_clock)
    return ns.trunc(32)


@sem("MFCTL")
def mfctl(s, cr, t):
    """Users may read SAR, the interval timer (cr16) and the thread pointers (cr26, cr27)."""
    ok = cr.eq(11) | cr.eq(16) | cr.eq(26) | cr.eq(27)
    s.trap_if(~ok, T.PRIV_REG)
    v = s.if_else(cr.eq(16), lambda: interval_timer(s), lambda: s.cr(cr))
    s.set_gr(t, select(cr.eq(11), v & 31, v))


@sem("MTCTL")
def mtctl(s, r, cr):
    s.trap_if(cr.ne(11), T.PRIV_REG)      # only SAR is writable by users
    s.set_sar(s.gr(r))


@sem("MTSARCM")
def mtsarcm(s, r):
    s.set_sar(~s.gr(r))


@sem("MFSP")
def mfsp(s, sr, t):
    s.set_gr(t, s.sr(sr))


@sem("MTSP")
def mtsp(s, r, sr):
    s.trap_if(sr.uge(5), T.PRIV_REG)      # sr5-sr7 are privileged
    s.set_sr(sr, s.gr(r))


@sem("LDSID")
def ldsid(s, sp, b, t):
    """The space of (sp, b): sr[sp], or for sp = 0 the one GR b's top bits select."""
    s.set_gr(t, select(sp.ne(0), s.sr(sp), s.sr((s.gr(b) >> 30) + 4)))


@sem("MFIA")
def mfia(s, t):
    s.set_gr(t, s.f)


@sem("PROBE")
def probe(s, b, _r, t, write, _imm):
    """1 if user code may read (write) the address: privilege is always 3 here."""
    a = s.gr(b)
    ok_w = s.readable(a, PERM_W)
    ok_r = s.readable(a, PERM_R)
    s.set_gr(t, select(write.ne(0), ok_w, ok_r).zext(32))


@sem("BREAK")
def break_(s, im5, im13):
    s.trap_if(True, T.BREAK, (im13 << 13) | im5)        # detail: the instruction word


@sem("PRIV")
def priv(s):
    s.trap_if(True, T.PRIV_OP)


@sem("ILLEGAL")
def illegal(s):
    s.trap_if(True, T.ILLEGAL_INSN)


@sem("XMPYU")
def xmpyu(s, r1, r2, t):
    """Unsigned 32 x 32 -> 64 multiply of two singles into a double (gcc's integer multiply)."""
    s.set_fr(t, s.fr_half(r1).zext(64) * s.fr_half(r2).zext(64))


def semantics_of(op: str):
    return SEMANTICS[op]
