"""Values the instruction semantics compute with: constants folded here, the rest LLVM IR.

The semantics (semantics.py, fpu.py) are written once and run twice: by the interpreter
generator, where most decoded fields are run-time values loaded from the decode cache, and
by the region compiler, where every field is a constant.  A :class:`V` is either a Python
integer (``c``) or an llvmlite value (``v``) of a fixed bit width; operators fold when both
sides are constants and simplify the identities (``x + 0``, ``x & 0``, a select on a known
condition), so the compiler's IR for ``add r0,r5,r6`` is one load, no adds, one store, and
an interpreter arm keeps exactly the run-time work.  A Python ``if`` on a run-time value is
an error (``__bool__`` raises): run-time choices go through :func:`select`, :func:`pick` or
the context's conditional helpers.  Integer values are unsigned bit patterns; signed
views are explicit (``slt``, ``ashr``, ``sext``).
"""
from __future__ import annotations

from llvmlite import ir

_TYPES = {w: ir.IntType(w) for w in (1, 8, 16, 32, 64)}


def ity(w: int) -> ir.IntType:
    return _TYPES[w]


def _mask(w: int) -> int:
    return (1 << w) - 1


def _signed(c: int, w: int) -> int:
    return c - (1 << w) if c >> (w - 1) & 1 else c


_CONSTS: dict = {}          # (constant, width) -> its V (V.const)
MAX_CONSTS = 1 << 16


class V:
    """An integer of ``w`` bits: a constant ``c`` or the IR value ``v`` built by ``b``."""
    __slots__ = ("b", "v", "c", "w")

    def __init__(self, b, v, c, w: int):
        self.b, self.v, self.w = b, v, w
        self.c = None if c is None else int(c) & _mask(w)

    # -- construction --------------------------------------------------------------------
    @staticmethod
    def const(c: int, w: int = 32) -> "V":
        """(A V is never changed: the constants made often are made once; building a
        region makes ~3000.)"""
        key = (c, w)
        v = _CONSTS.get(key)
        if v is None:
            v = V(None, None, c, w)
            if len(_CONSTS) < MAX_CONSTS:
                _CONSTS[key] = v
        return v

    @staticmethod
    def of(b: ir.IRBuilder, v) -> "V":
        """Wrap an llvmlite integer value (a Constant folds to a Python constant)."""
        w = v.type.width
        if isinstance(v, ir.Constant) and isinstance(v.constant, int):
            return V(None, None, v.constant, w)
        return V(b, v, None, w)

    def _lift(self, x) -> "V":
        if isinstance(x, V):
            assert x.w == self.w, f"width mismatch {self.w} vs {x.w}"
            return x
        return V.const(int(x), self.w)

    # -- inspection ------------------------------------------------------------------------
    @property
    def known(self):
        """The constant, or None for a run-time value."""
        return self.c

    @property
    def sknown(self):
        """The constant as a signed number, or None."""
        return None if self.c is None else _signed(self.c, self.w)

    @property
    def ir(self):
        return ir.Constant(_TYPES[self.w], self.c) if self.c is not None else self.v

    def __bool__(self):
        if self.c is None:
            raise TypeError("a run-time value in a Python condition: use select/pick/when")
        return self.c != 0

    def __int__(self):
        if self.c is None:
            raise TypeError("a run-time value used as a Python int")
        return self.c

    def __repr__(self):
        return f"V({self.c if self.c is not None else self.v.name}:i{self.w})"

    def _builder(self, o: "V"):
        return self.b if self.b is not None else o.b

    # -- arithmetic ------------------------------------------------------------------------
    def _bin(self, other, name: str, fold):
        o = self._lift(other)
        if self.c is not None and o.c is not None:
            return V(None, None, fold(self.c, o.c), self.w)
        b = self._builder(o)
        return V(b, getattr(b, name)(self.ir, o.ir), None, self.w)

    def __add__(self, o):
        o = self._lift(o)
        if o.c == 0:
            return self
        if self.c == 0:
            return o
        return self._bin(o, "add", lambda x, y: x + y)

    __radd__ = __add__

    def __sub__(self, o):
        o = self._lift(o)
        if o.c == 0:
            return self
        return self._bin(o, "sub", lambda x, y: x - y)

    def __rsub__(self, o):
        return self._lift(o) - self

    def __mul__(self, o):
        o = self._lift(o)
        if o.c == 1:
            return self
        if o.c == 0 or self.c == 0:
            return V.const(0, self.w)
        return self._bin(o, "mul", lambda x, y: x * y)

    __rmul__ = __mul__

    def __and__(self, o):
        o = self._lift(o)
        for a, z in ((self, o), (o, self)):
            if a.c == 0:
                return V.const(0, self.w)
            if a.c == _mask(self.w):
                return z
        return self._bin(o, "and_", lambda x, y: x & y)

    __rand__ = __and__

    def __or__(self, o):
        o = self._lift(o)
        for a, z in ((self, o), (o, self)):
            if a.c == 0:
                return z
            if a.c == _mask(self.w):
                return V.const(a.c, self.w)
        return self._bin(o, "or_", lambda x, y: x | y)

    __ror__ = __or__

    def __xor__(self, o):
        o = self._lift(o)
        if o.c == 0:
            return self
        if self.c == 0:
            return o
        return self._bin(o, "xor", lambda x, y: x ^ y)

    __rxor__ = __xor__

    def __invert__(self):
        if self.c is not None:
            return V.const(~self.c, self.w)
        return V(self.b, self.b.not_(self.v), None, self.w)

    def __neg__(self):
        return V.const(0, self.w) - self

    def __lshift__(self, o):
        o = self._lift(o)
        if o.c == 0:
            return self
        if o.c is not None and o.c >= self.w:
            return V.const(0, self.w)
        return self._bin(o, "shl", lambda x, y: x << y)

    def __rshift__(self, o):           # logical: values are unsigned bit patterns
        o = self._lift(o)
        if o.c == 0:
            return self
        if o.c is not None and o.c >= self.w:
            return V.const(0, self.w)
        return self._bin(o, "lshr", lambda x, y: x >> y)

    def ashr(self, o):
        o = self._lift(o)
        if o.c == 0:
            return self
        return self._bin(o, "ashr", lambda x, y: _signed(x, self.w) >> y)

    # -- comparisons (i1 results) ----------------------------------------------------------
    def _cmp(self, other, op: str, signed: bool):
        o = self._lift(other)
        if self.c is not None and o.c is not None:
            x, y = (_signed(self.c, self.w), _signed(o.c, self.w)) if signed else (self.c, o.c)
            r = {"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y,
                 ">=": x >= y}[op]
            return V.const(int(r), 1)
        b = self._builder(o)
        f = b.icmp_signed if signed else b.icmp_unsigned
        return V(b, f(op, self.ir, o.ir), None, 1)

    def eq(self, o):
        return self._cmp(o, "==", False)

    def ne(self, o):
        return self._cmp(o, "!=", False)

    def ult(self, o):
        return self._cmp(o, "<", False)

    def ule(self, o):
        return self._cmp(o, "<=", False)

    def ugt(self, o):
        return self._cmp(o, ">", False)

    def uge(self, o):
        return self._cmp(o, ">=", False)

    def slt(self, o):
        return self._cmp(o, "<", True)

    def sle(self, o):
        return self._cmp(o, "<=", True)

    def sgt(self, o):
        return self._cmp(o, ">", True)

    def sge(self, o):
        return self._cmp(o, ">=", True)

    # -- width changes -----------------------------------------------------------------------
    def zext(self, w: int) -> "V":
        if w == self.w:
            return self
        if self.c is not None:
            return V.const(self.c, w)
        return V(self.b, self.b.zext(self.v, _TYPES[w]), None, w)

    def sext(self, w: int) -> "V":
        if w == self.w:
            return self
        if self.c is not None:
            return V.const(_signed(self.c, self.w), w)
        return V(self.b, self.b.sext(self.v, _TYPES[w]), None, w)

    def trunc(self, w: int) -> "V":
        if w == self.w:
            return self
        if self.c is not None:
            return V.const(self.c, w)
        return V(self.b, self.b.trunc(self.v, _TYPES[w]), None, w)

    def bit(self, i) -> "V":
        """Bit i (from the least significant end) as an i1."""
        return (self >> i).trunc(1)


def select(cond, a, b) -> V:
    """cond ? a : b (cond an i1 V or a Python bool; a and b of one width)."""
    if isinstance(cond, bool) or isinstance(cond, int):
        cond = V.const(int(cond), 1)
    if isinstance(a, V):
        b = a._lift(b)
    elif isinstance(b, V):
        a = b._lift(a)
    else:
        a, b = V.const(int(a), 32), V.const(int(b), 32)
    if cond.c is not None:
        return a if cond.c else b
    if a.c is not None and a.c == b.c:
        return a
    if a.w == 1 and a.c is not None and b.c is not None:   # cond or its negation
        return cond if a.c else ~cond
    bld = cond.b
    return V(bld, bld.select(cond.ir, a.ir, b.ir), None, a.w)


def pick(index: V, values: list) -> V:
    """values[index]: a constant index picks at generation time (entries may be callables,
    so only the picked one is built); a run-time one selects (i1 values: one shift of
    their packed bits)."""
    def value(v):
        v = v() if callable(v) else v
        return v if isinstance(v, V) else V.const(int(v), 1)
    if index.c is not None:
        return value(values[min(index.c, len(values) - 1)])
    vals = [value(v) for v in values]
    if all(v.w == 1 for v in vals) and len(vals) <= 32:
        packed = V.const(0, 32)
        for i, v in enumerate(vals):
            packed = packed | (v.zext(32) << i)
        return (packed >> index.zext(32)).trunc(1)
    out = vals[-1]
    for i in range(len(vals) - 2, -1, -1):
        out = select(index.eq(i), vals[i], out)
    return out


def any_of(*conds) -> V:
    out = V.const(0, 1)
    for c in conds:
        out = out | c
    return out


RARE = 1 << 12            # branch weight of the usual way against 1 of a rare one (unlikely)


def unlikely(branch) -> None:
    """Mark a conditional branch as rarely taken (block placement keeps its target out
    of the straight line; a stencil sends it to the interpreter: stencilgen)."""
    branch.set_weights([1, RARE])


def if_else(b, cond, then, otherwise, rare: bool = False):
    """then() if cond else otherwise(), each building its code only on its own path (a
    constant cond builds one of them); they return a V, a tuple of V's (merged by phis),
    or None.  ``b``: the builder (unused when cond is constant); ``rare``: cond is
    seldom true (unlikely)."""
    if isinstance(cond, (bool, int)):
        cond = V.const(int(cond), 1)
    if cond.known is not None:
        return then() if cond.known else otherwise()
    fn = b.block.function
    tb, eb, jb = (fn.append_basic_block(n) for n in ("then", "else", "endif"))
    branch = b.cbranch(cond.ir, tb, eb)
    if rare:
        unlikely(branch)
    results = []
    for blk, arm in ((tb, then), (eb, otherwise)):
        b.position_at_end(blk)
        r = arm()
        results.append((r, b.block))
        b.branch(jb)
    b.position_at_end(jb)
    (r1, b1), (r2, b2) = results
    if r1 is None:
        return None
    single = not isinstance(r1, tuple)
    out = []
    for v1, v2 in zip((r1,) if single else r1, (r2,) if single else r2):
        v2 = v1._lift(v2) if isinstance(v1, V) else v2
        v1 = v2._lift(v1) if isinstance(v2, V) else v1
        if v1.known is not None and v1.known == v2.known:
            out.append(v1)                      # (known the same either way: no phi)
            continue
        phi = b.phi(v1.ir.type)
        phi.add_incoming(v1.ir, b1)
        phi.add_incoming(v2.ir, b2)
        out.append(V(b, phi, None, v1.w))
    return out[0] if single else tuple(out)


def unless_zero(sel: V, compute) -> V:
    """compute() (an i1), or false when ``sel`` is 0 -- a run-time ``sel`` (a condition
    field in an interpreter arm: usually 0) branches around the computation."""
    if sel.known is not None:
        return V.const(0, 1) if sel.known == 0 else compute()
    return if_else(sel.b, sel.eq(0), lambda: V.const(0, 1), compute)
