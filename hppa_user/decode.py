"""Table-driven decoder: one instruction word -> a micro-op record (variant + 7 fields).

The field extractors of ``encoding.TABLE`` are written once, in a style that works on
plain Python integers and on :mod:`ssa` values alike: :class:`Table` runs them on ints
(the disassembler, the region compiler, tests), :func:`emit_decoder` runs them on the IR
value of a run-time word and so generates the native decoder the core calls once per
instruction address -- a switch on the major opcode, then the rows of that opcode, most
specific mask first, each with its extractors' shifts and masks as constants.
"""
from __future__ import annotations

from llvmlite import ir

from hppa_user import encoding as enc
from hppa_user.ssa import V, ity, pick, select

ILLEGAL_VARIANT = enc.VARIANT[enc.VARIANTS[0]]
# shift/extract/deposit conditions (never = < OD TR <> >= EV) as (c << 1) | f
_SED_TO_CF = (0, 2, 4, 14, 1, 3, 5, 15)


# ---- extractors: ints or V's ----------------------------------------------------------------

def _sel(c, a, b):
    """c ? a : b for a Python truth value or an i1 V."""
    if isinstance(c, V):
        return select(c, a, b)
    return a if c else b


def _bit(x):
    """Lowest bit of x as a truth value (an i1 for V's)."""
    return (x & 1).trunc(1) if isinstance(x, V) else x & 1


def _bits(w, sh: int, n: int):
    return (w >> sh) & ((1 << n) - 1)


def _sign_ext(x, n: int):
    """x (an n-bit field) as a signed number: negative int, or the i32 bit pattern."""
    return x - ((x >> (n - 1)) & 1) * (1 << n)


def _low_sign_ext(x, n: int):
    """PA "low_sign_ext": the field's lowest bit is its sign."""
    return (x >> 1) - ((x & 1) << (n - 1))


def extract(spec: tuple, w):
    """One field of word ``w`` (an int, or an i32 V) as the row's extractor says."""
    kind, args = spec[0], spec[1:]
    if kind == "u":
        return _bits(w, *args)
    if kind == "s":
        return _sign_ext(_bits(w, *args), args[1])
    if kind == "lse":
        return _low_sign_ext(_bits(w, *args), args[1])
    if kind == "k":
        return args[0]
    if kind == "sar":
        return -1
    if kind == "im21":                       # assemble_21 << 11
        x = w & 0x1FFFFF
        v = ((x & 1) << 20) | (((x >> 1) & 0x7FF) << 9) | (((x >> 14) & 3) << 7) \
            | (((x >> 16) & 0x1F) << 2) | ((x >> 12) & 3)
        return _sign_ext((v << 11) & 0xFFFFFFFF, 32)
    if kind == "w12":                        # assemble_12, in bytes
        w1 = (w >> 2) & 0x7FF
        v = ((w & 1) << 11) | ((w1 & 1) << 10) | (w1 >> 1)
        return _sign_ext(v, 12) * 4
    if kind == "w17":                        # assemble_17, in bytes
        w1 = (w >> 16) & 0x1F
        w2 = (w >> 2) & 0x7FF
        v = ((w & 1) << 16) | (w1 << 11) | ((w2 & 1) << 10) | (w2 >> 1)
        return _sign_ext(v, 17) * 4
    if kind == "cf":                         # (c << 1) | f; f from a bit, or fixed
        c_sh, f_sh = args
        f = 0 if f_sh == -1 else (1 if f_sh == -2 else _bits(w, f_sh, 1))
        return (_bits(w, c_sh, 3) << 1) | f
    if kind == "sed":
        idx = _bits(w, args[0], 3)
        if isinstance(idx, V):
            return pick(idx, [V.const(c, 32) for c in _SED_TO_CF])
        return _SED_TO_CF[idx]
    if kind == "sub":                        # k - field ("31-p", "32-len" encodings)
        k, sh, n = args
        return k - _bits(w, sh, n)
    if kind == "mx":                         # indexed forms: ,m is a post-modify
        return _sel(_bit(w >> args[0]), 2, 0)
    if kind == "ms":                         # short forms: ,m with a=1 before, a=0 after
        m_sh, a_sh = args
        return _sel(_bit(w >> m_sh), _sel(_bit(w >> a_sh), 1, 2), 0)
    if kind == "scale":                      # ,s scales the index by the access size
        u_sh, size = args
        return _sel(_bit(w >> u_sh), {1: 0, 2: 1, 4: 2, 8: 3}[size], 0)
    if kind == "frw":                        # single-word FP register: 2 * t + right half
        return ((w & 31) << 1) | ((w >> 6) & 1)
    if kind == "frs":                        # FP single: 2 * reg + half bit
        sh, half = args
        return (_bits(w, sh, 5) << 1) | _bits(w, half, 1)
    if kind == "frl":                        # FP single, left half
        return _bits(w, args[0], 5) << 1
    if kind == "frm":                        # fmpyadd single: fr16-fr31, bit 4 = right half
        x = _bits(w, args[0], 5)
        return ((16 + (x & 15)) << 1) | (x >> 4)
    if kind == "sr3":                        # assemble_3: the space register number
        x = _bits(w, args[0], 3)
        return ((x & 1) << 2) | (x >> 1)
    raise AssertionError(f"unknown extractor {spec}")


class Table:
    """The encoding table ordered for decoding, built once per process (Table.get())."""
    _inst = None

    def __init__(self):
        self.rows, self.variants = enc.decoding_order()
        self.split = [enc.split_field(row) for row in self.rows]
        self._records: dict[int, tuple] = {}
        self.by_major: list[list[int]] = [[] for _ in range(64)]
        for i, row in enumerate(self.rows):
            self.by_major[row.match >> 26].append(i)

    @classmethod
    def get(cls) -> "Table":
        if cls._inst is None:
            cls._inst = Table()
        return cls._inst

    def find(self, word: int) -> int:
        """Index of the row the decoder picks for ``word``, or -1."""
        for i in self.by_major[(word >> 26) & 63]:
            row = self.rows[i]
            if word & row.mask == row.match:
                return i
        return -1

    def record(self, word: int) -> tuple[int, ...]:
        """(variant, 7 fields) for ``word``: what the native decoder writes (each word
        decoded once: the region compiler asks again for every region holding it)."""
        rec = self._records.get(word)
        if rec is None:
            rec = self._records[word] = self._decode_record(word)
        return rec

    def _decode_record(self, word: int) -> tuple[int, ...]:
        i = self.find(word)
        if i < 0:
            return (ILLEGAL_VARIANT,) + (0,) * enc.NFIELDS
        specs = list(self.rows[i].fields) + [("k", 0)] * (enc.NFIELDS - len(self.rows[i].fields))
        fields = tuple(_sign32(extract(sp, word)) for sp in specs)
        k = self.split[i]
        return (self.variants[i] + (0 if k is None else fields[k]),) + fields

    def decode(self, word: int):
        """(row Enc or None, the 8-int record): the disassembler's entry point."""
        i = self.find(word)
        return (self.rows[i] if i >= 0 else None), self.record(word)


def _sign32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >> 31 else x


def emit_decoder(module: ir.Module, table: Table) -> ir.Function:
    """``i32 hppa_decode(i32 word, ptr record)``: fill the 8 x i32 record, return the
    variant (the first row that matches, as Table.find; ILLEGAL if none)."""
    i32 = ity(32)
    fn = ir.Function(module, ir.FunctionType(i32, [i32, ir.PointerType()]), name="hppa_decode")
    w_ir, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    w = V(b, w_ir, None, 32)
    major = b.lshr(w_ir, ir.Constant(i32, 26))
    illegal = fn.append_basic_block("illegal")
    sw = b.switch(major, illegal)

    def store_record(variant: int, specs, split: int | None = None) -> None:
        fields = [_as_v(extract(sp, w)) for sp in specs]
        v = V.const(variant, 32) if split is None else fields[split] + variant
        vals = [v] + fields
        for j, x in enumerate(vals[1:] + vals[:1]):          # the variant last
            k = (j + 1) % len(vals)
            b.store(x.ir, b.gep(out, [ir.Constant(i32, k)], source_etype=i32))
        b.ret(v.ir)

    b.position_at_end(illegal)
    store_record(ILLEGAL_VARIANT, [("k", 0)] * enc.NFIELDS)
    for m in range(64):
        if not table.by_major[m]:
            continue
        blk = fn.append_basic_block(f"major_{m:02x}")
        sw.add_case(ir.Constant(i32, m), blk)
        b.position_at_end(blk)
        for i in table.by_major[m]:
            row = table.rows[i]
            hit, miss = fn.append_basic_block("hit"), fn.append_basic_block("next")
            ok = b.icmp_unsigned("==", b.and_(w_ir, ir.Constant(i32, row.mask)),
                                 ir.Constant(i32, row.match))
            b.cbranch(ok, hit, miss)
            b.position_at_end(hit)
            store_record(table.variants[i],
                         list(row.fields) + [("k", 0)] * (enc.NFIELDS - len(row.fields)),
                         table.split[i])
            b.position_at_end(miss)
        b.branch(illegal)
    return fn


def _as_v(x) -> V:
    return x if isinstance(x, V) else V.const(x, 32)
