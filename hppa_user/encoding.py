"""The PA-RISC 1.1 user-mode encoding table: the single source for decoder, disassembler and tests.

Each row says: which words it matches (``match``/``mask``), which micro-op the core executes
(``op``), how the micro-op's operand fields are extracted from the word (``fields``), and
how the instruction is spelled (``syntax``, GNU objdump's spelling; see disasm.py).

Field extractors (tuples, interpreted by both the jitted decoder and the disassembler):
    ("u", sh, n)        unsigned bits (w >> sh) & (2**n - 1)
    ("s", sh, n)        the same, sign-extended
    ("lse", sh, n)      PA "low_sign_ext": the field's lowest bit is its sign
    ("k", v)            the constant v
    ("im21",)           assemble_21(w) << 11 (ldil/addil)
    ("w12",)            assemble_12 branch displacement, in bytes
    ("w17",)            assemble_17 branch displacement, in bytes
    ("cf", c_sh, f_sh)  condition code (c << 1) | f, f taken from bit f_sh (-1: f = 0, -2: f = 1)
    ("sed", sh)         3-bit shift/extract/deposit condition, converted to (c << 1) | f
    ("sub", k, sh, n)   k - field (for "31-p" and "32-len" encodings)
    ("sar",)            -1: the position comes from SAR at run time
    ("frw",)            single-word FP register of a load/store: 2 * t + right-half bit
    ("frs", sh, h)      FP single (0x0E forms): 2 * ((w >> sh) & 31) + bit h (right half)
    ("frl", sh)         FP single (0x0C forms): the left half of register (w >> sh) & 31
    ("frm", sh)         FP single of fmpyadd/fmpysub: 5 bits name fr16-fr31, left or right
Bit numbers here count from the least significant bit (the manuals count from the MSB).

Conditions, after decoding, are all ``cf = (c << 1) | f`` over one evaluator (core.cond):
c = 0 never, 1 =, 2 <, 3 <=, 4 << (no carry), 5 <<= , 6 SV, 7 OD; f negates. Logical and
shift conditions map onto the same c values; unit conditions have their own evaluator.

Spelling (GNU objdump 2.40's, PA 2.0 mnemonics: ``cmpb``, ``extrw,u``, ``ldw,mb``, ``b,l``):
``name`` is the mnemonic with the completers the row fixes, ``syntax`` a disasm.py template
for the variable completers and the operands (decoded fields, plus raw bits where only the
spelling needs them: cache hints, space registers, FP formats and L/R halves).  Where
objdump spells some of a row's words differently (``copy``/``nop``/``ldi``, a cache hint
that lands in another objdump opcode, reserved bits that make objdump give up: name
``#``), the row is split: a ``split()`` row matches a subset of its base row's words with
more mask bits (so the decoder tries it first) and keeps the base's op and fields (so the
core sees the same record).  ``named()`` rows name words the core rejects anyway (op
ILLEGAL, no fields: the record of an unmatched word).  Both are marked ``spelling=True``;
tests/test_disasm.py checks that dropping them changes no decoded record.
"""
from __future__ import annotations

from typing import NamedTuple

# ---------------------------------------------------------------------------------------
# Micro-ops. The numbers are internal (the core switches on them); 0 means "not decoded".
OPS = """
ILLEGAL PRIV NOP BREAK
ADD SUB DS COMCLR OR AND XOR ANDCM UXOR UADDCM DCOR
ADDI SUBI COMICLR LDO LDIL ADDIL
LD ST LOAD STORE LDCW STBY FLOAD FSTORE
BL BLR BV BE CMPB CMPIB ADDB ADDIB MOVB MOVIB BB
SHD EXTR DEP DEPI
MFCTL MTCTL MTSARCM MFSP MTSP LDSID PROBE MFIA
XMPYU FUNARY FARITH FCNV FCMP FTEST FMPYADD
""".split()
OP = {name: i + 1 for i, name in enumerate(OPS)}
NFIELDS = 7

# ADD/SUB flag bits (field 6)
F_CARRY = 1     # addc / subb: use PSW C/B
F_NOCB = 2      # ,l forms: leave PSW C/B alone
F_TSV = 4       # ,tsv / o forms: trap on signed overflow
F_TC = 8        # ,tc forms: trap on condition


class Enc(NamedTuple):
    name: str          # mnemonic as objdump prints it, with the completers the row fixes
    match: int
    mask: int
    op: str
    fields: tuple      # up to 7 extractors, in micro-op field order
    syntax: str = ""   # completers and operands: a disasm.py template
    spelling: bool = False   # a row only for the disassembler (see split() and named())


def E(name, match, mask, op, *fields, syntax=""):
    return Enc(name, match, mask, op, tuple(fields), syntax)


def split(base: Enc, name: str, match: int, mask: int, syntax: str) -> Enc:
    """A narrower row carved out of ``base`` for the disassembler's sake (objdump spells
    some of base's words differently): it matches a subset of base's words with more mask
    bits, so the decoder tries it first, and it keeps base's op and fields, so the core
    cannot tell.  tests/test_disasm.py checks that dropping every such row changes no
    decoded record."""
    assert (match & base.mask) == base.match and (mask & base.mask) == base.mask, (name, base)
    assert mask != base.mask, (name, base)
    return Enc(name, match, mask, base.op, base.fields, syntax, spelling=True)


def named(name: str, match: int, mask: int, syntax: str) -> Enc:
    """A name for words no other row matches and the core rejects: op ILLEGAL and no
    fields are exactly the record the decoder produces for an unmatched word."""
    return Enc(name, match, mask, "ILLEGAL", (), syntax, spelling=True)


# objdump (binutils 2.40) prints a word that no opcode of its table matches as "#%8x";
# rows (or the parts of rows) whose words objdump does not know are named "#" and use this.
UNKNOWN = "{h8:w0.32}"


# Common field shapes
R21 = ("u", 21, 5)   # bits 6-10: 'b' / r2
R16 = ("u", 16, 5)   # bits 11-15: 'x' / r1
R0 = ("u", 0, 5)     # bits 27-31: 't'
CF = ("cf", 13, 12)
IM14 = ("lse", 0, 14)
IM11 = ("lse", 0, 11)
IM5_16 = ("lse", 16, 5)
IM5_0 = ("lse", 0, 5)
N1 = ("u", 1, 1)
K = lambda v: ("k", v)  # noqa: E731

# Common syntax pieces (see disasm.py for the template language)
S3 = " {r:0},{r:1},{r:2}"                              # r1,r2,t
SPB = "({sp:w14.2}{r:0})"                              # (b) or (srN,b): 2-bit space field
IDXC = "{p:w13.1<<1+w5.1:@idx}{p:w10.2:@hint}"         # indexed: ,m ,s ,sm + cache hint
SHORTC = "{p:4:|,mb|,ma}{p:w10.2:@hint}"               # short displacement: ,ma ,mb + hint
FMT2 = "{p:w11.2:@fmt}"                                # FP format, 2 bits (0x0C ops)
FMT1 = "{p:w11.1:@fmt}"                                # FP format, 1 bit (0x0E ops)
# FP registers of the 0x0C/0x0E arithmetic words (objdump's fa fA fb fB fT: the L/R half
# bits are printed whatever the format says)
FA = "{fr:w21.5}"
FA_H = "{frh:w21.5<<1+w7.1}"
FA_H6 = "{frh:w21.5<<1+w6.1}"
FB = "{fr:w16.5}"
FB_H = "{frh:w16.5<<1+w12.1}"
FT = "{fr:w0.5}"
FT_H = "{frh:w0.5<<1+w6.1}"

TABLE: list[Enc] = []
_SPELLED: set[tuple[int, int]] = set()       # (match, mask) of every row of TABLE


def add(*rows: Enc) -> Enc:
    TABLE.extend(rows)
    _SPELLED.update((r.match, r.mask) for r in rows)
    return rows[0]


# ---- opcode 0x02: arithmetic/logical, r1 = bits 11-15, r2 = bits 6-10, t = 27-31 --------
# ADD family: fields r1 r2 t cf shift flags
for nm, m, flags in (("add", 0x600, 0), ("add,l", 0xa00, F_NOCB), ("add,tsv", 0xe00, F_TSV),
                     ("add,c", 0x700, F_CARRY), ("add,c,tsv", 0xf00, F_CARRY | F_TSV)):
    add(E(nm, 0x08000000 | m, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(0), K(flags),
          syntax="{c:3:add}" + S3))
# sh1add..sh3add: objdump spells them shladd with the shift as an operand
for sh in (1, 2, 3):
    for nm, m, flags in (("shladd", 0x600, 0), ("shladd,l", 0xa00, F_NOCB),
                         ("shladd,tsv", 0xe00, F_TSV)):
        add(E(nm, 0x08000000 | m | sh << 6, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(sh), K(flags),
              syntax="{c:3:add} {r:0},{d:4},{r:1},{r:2}"))
# SUB family: fields r1 r2 t cf - flags
for nm, m, flags in (("sub", 0x400, 0), ("sub,tsv", 0xc00, F_TSV), ("sub,b", 0x500, F_CARRY),
                     ("sub,b,tsv", 0xd00, F_CARRY | F_TSV), ("sub,tc", 0x4c0, F_TC),
                     ("sub,tc,tsv", 0xcc0, F_TC | F_TSV)):
    add(E(nm, 0x08000000 | m, 0xfc000fe0, "SUB", R16, R21, R0, CF, K(0), K(flags),
          syntax="{c:3:cmp}" + S3))
add(E("ds", 0x08000440, 0xfc000fe0, "DS", R16, R21, R0, CF, syntax="{c:3:cmp}" + S3))
add(E("cmpclr", 0x08000880, 0xfc000fe0, "COMCLR", R16, R21, R0, CF, syntax="{c:3:cmp}" + S3))
_or = add(E("or", 0x08000240, 0xfc000fe0, "OR", R16, R21, R0, CF, syntax="{c:3:log}" + S3))
add(split(_or, "nop", 0x08000240, 0xffffffff, ""),                 # or r0,r0,r0
    split(_or, "copy", 0x08000240, 0xffe0ffe0, " {r:0},{r:2}"))    # or r,r0,t
add(E("xor", 0x08000280, 0xfc000fe0, "XOR", R16, R21, R0, CF, syntax="{c:3:log}" + S3),
    E("and", 0x08000200, 0xfc000fe0, "AND", R16, R21, R0, CF, syntax="{c:3:log}" + S3),
    E("andcm", 0x08000000, 0xfc000fe0, "ANDCM", R16, R21, R0, CF, syntax="{c:3:log}" + S3),
    E("uxor", 0x08000380, 0xfc000fe0, "UXOR", R16, R21, R0, CF, syntax="{c:3:unit}" + S3),
    E("uaddcm", 0x08000980, 0xfc000fe0, "UADDCM", R16, R21, R0, CF, K(0), syntax="{c:3:unit}" + S3),
    E("uaddcm,tc", 0x080009c0, 0xfc000fe0, "UADDCM", R16, R21, R0, CF, K(1),
      syntax="{c:3:unit}" + S3),
    E("dcor", 0x08000b80, 0xfc1f0fe0, "DCOR", R21, R0, CF, K(0), syntax="{c:2:unit} {r:0},{r:1}"),
    E("dcor,i", 0x08000bc0, 0xfc1f0fe0, "DCOR", R21, R0, CF, K(1), syntax="{c:2:unit} {r:0},{r:1}"))

# ---- immediate arithmetic: r = bits 6-10, t = bits 11-15 ------------------------------
IMM3 = " {x:2},{r:0},{r:1}"
add(E("addi", 0xb4000000, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(0), syntax="{c:3:add}" + IMM3),
    E("addi,tsv", 0xb4000800, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(F_TSV),
      syntax="{c:3:add}" + IMM3),
    E("addi,tc", 0xb0000000, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(F_TC),
      syntax="{c:3:add}" + IMM3),
    E("addi,tc,tsv", 0xb0000800, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(F_TC | F_TSV),
      syntax="{c:3:add}" + IMM3),
    E("subi", 0x94000000, 0xfc000800, "SUBI", R21, R16, IM11, CF, K(0), syntax="{c:3:cmp}" + IMM3),
    E("subi,tsv", 0x94000800, 0xfc000800, "SUBI", R21, R16, IM11, CF, K(F_TSV),
      syntax="{c:3:cmp}" + IMM3),
    E("cmpiclr", 0x90000000, 0xfc000800, "COMICLR", R21, R16, IM11, CF, syntax="{c:3:cmp}" + IMM3))
_ldo = add(E("ldo", 0x34000000, 0xfc00c000, "LDO", R21, R16, IM14, syntax=" {x:2}({r:0}),{r:1}"))
add(split(_ldo, "ldi", 0x34000000, 0xffe0c000, " {x:2},{r:1}"))      # ldo i(r0),t
add(E("ldil", 0x20000000, 0xfc000000, "LDIL", R21, ("im21",), syntax=" L%{x:1},{r:0}"),
    E("addil", 0x28000000, 0xfc000000, "ADDIL", R21, ("im21",), syntax=" L%{x:1},{r:0},r1"))

# ---- long-displacement loads/stores: b, t/r, disp --------------------------------------
# fields: b, t/r, disp, size
LD_LONG = " {x:2}({r:0}),{r:1}"
ST_LONG = " {r:1},{x:2}({r:0})"
# objdump (a 64-bit BFD) reads these with the PA 2.0 wide 16-bit displacement, which
# takes the two space-register bits 14-15 as displacement bits: rows with s = 0 (all
# user code) print the decoded displacement, the rest objdump's reading of the raw bits.
_long = [E("ldw", 0x48000000, 0xfc000000, "LD", R21, R16, IM14, K(4), syntax=LD_LONG),
         E("ldh", 0x44000000, 0xfc000000, "LD", R21, R16, IM14, K(2), syntax=LD_LONG),
         E("ldb", 0x40000000, 0xfc000000, "LD", R21, R16, IM14, K(1), syntax=LD_LONG),
         E("stw", 0x68000000, 0xfc000000, "ST", R21, R16, IM14, K(4), syntax=ST_LONG),
         E("sth", 0x64000000, 0xfc000000, "ST", R21, R16, IM14, K(2), syntax=ST_LONG),
         E("stb", 0x60000000, 0xfc000000, "ST", R21, R16, IM14, K(1), syntax=ST_LONG),
         # ldwm/stwm: generic LOAD/STORE with mode 3 = "before if disp < 0, else after"
         # generic fields: b, t/r, disp, size, mode(0 none 1 before 2 after 3 by-sign),
         # x(-1 = disp), scale.  objdump spells them ldw,mb / ldw,ma by bit 13.
         E("ldw", 0x4c000000, 0xfc000000, "LOAD", R21, R16, IM14, K(4), K(3), K(-1), K(0),
           syntax="{p:w13.1:,ma|,mb}" + LD_LONG),
         E("stw", 0x6c000000, 0xfc000000, "STORE", R21, R16, IM14, K(4), K(3), K(-1), K(0),
           syntax="{p:w13.1:,ma|,mb}" + ST_LONG)]
for _r in _long:
    _wide = _r.syntax.replace("{x:2}", "{x16:w0.16}")
    add(Enc(_r.name, _r.match, _r.mask, _r.op, _r.fields, _wide),
        split(_r, _r.name, _r.match, _r.mask | 0xc000, _r.syntax))


def _ordered_syntax(short_syntax: str) -> str:
    """PA 2.0 reads a short-displacement ,ma with displacement 0 as ,o (ordered access):
    objdump spells those words ldw,o 0(b),t / stw,o r,0(b)."""
    return ",o{p:w10.2:@hint} " + short_syntax.split(" ", 1)[1].replace("{x:2}", "0")


def _ordered(base: Enc, name: str | None = None, imm_sh: int = 16) -> Enc:
    """The ,o words of a short-displacement row (imm_sh: where its im5 field is)."""
    return split(base, name or base.name, base.match | 1 << 5,
                 base.mask | 0x1f << imm_sh | 1 << 13 | 1 << 5, _ordered_syntax(base.syntax))


# ---- opcode 0x03: indexed and short-displacement loads/stores ------------------------------
# bit 12: short displacement; bit 13: u (scale, indexed) / a (before, short); bit 5: m
_SIZES = {0: 1, 1: 2, 2: 4}
LD_IDX = IDXC + " {r:5}" + SPB + ",{r:1}"
LD_SHORT = SHORTC + " {x:2}" + SPB + ",{r:1}"
for ext, (nm, size) in {0: ("ldb", 1), 1: ("ldh", 2), 2: ("ldw", 4)}.items():
    # indexed: address = b + (x << (u ? log2 size : 0)); m: b += that (post-modify); a
    # byte's index is never shifted (a constant 0: no shift in its stencil)
    add(E(nm, 0x0c000000 | ext << 6, 0xfc0013c0, "LOAD", R21, R0, K(0), K(size), ("mx", 5),
          R16, ("scale", 13, size) if size > 1 else K(0), syntax=LD_IDX))
    # short: address = b + im5; m: modify (a: before, else after)
    _s = add(E(nm, 0x0c001000 | ext << 6, 0xfc0013c0, "LOAD",
               R21, R0, IM5_16, K(size), ("ms", 5, 13), K(-1), K(0), syntax=LD_SHORT))
    add(_ordered(_s))
# ldcw: the load-and-clear hint is ,co (bits 10-11 = 1)
add(E("ldcw", 0x0c0001c0, 0xfc0013c0, "LDCW", R21, R0, K(0), K(4), ("mx", 5), R16, ("scale", 13, 4),
      syntax="{p:w13.1<<1+w5.1:@idx}{p:w10.2:|,co} {r:5}" + SPB + ",{r:1}"),
    E("ldcw", 0x0c0011c0, 0xfc0013c0, "LDCW", R21, R0, IM5_16, K(4), ("ms", 5, 13), K(-1), K(0),
      syntax="{p:4:|,mb|,ma}{p:w10.2:|,co} {x:2}" + SPB + ",{r:1}"))
# ldwa/stwa (absolute, privileged): objdump knows only the s = 0 forms
_ldwa = add(E("#", 0x0c000180, 0xfc0003c0, "PRIV", syntax=UNKNOWN))
add(split(_ldwa, "ldwa", 0x0c000180, 0xfc00d3c0, IDXC + " {r:w16.5}({r:w21.5}),{r:w0.5}"),
    split(_ldwa, "ldwa", 0x0c001180, 0xfc00d3c0,
          "{p:w13.1<<1+w5.1:|,ma||,mb}{p:w10.2:@hint} {xl:w16.5}({r:w21.5}),{r:w0.5}"),
    split(_ldwa, "ldwa", 0x0c0011a0, 0xfc1ff3e0, ",o{p:w10.2:@hint} 0({r:w21.5}),{r:w0.5}"))
_stwa = add(E("#", 0x0c001380, 0xfc0013c0, "PRIV", syntax=UNKNOWN))
add(split(_stwa, "stwa", 0x0c001380, 0xfc00d3c0,
          "{p:w13.1<<1+w5.1:|,ma||,mb}{p:w10.2:@hint} {r:w16.5},{xl:w0.5}({r:w21.5})"),
    split(_stwa, "stwa", 0x0c0013a0, 0xfc00d3ff, ",o{p:w10.2:@hint} {r:w16.5},0({r:w21.5})"))
ST_SHORT = SHORTC + " {r:1},{x:2}" + SPB
for ext, (nm, size) in {8: ("stb", 1), 9: ("sth", 2), 10: ("stw", 4)}.items():
    _s = add(E(nm, 0x0c001000 | ext << 6, 0xfc0013c0, "STORE",
               R21, R16, IM5_0, K(size), ("ms", 5, 13), K(-1), K(0), syntax=ST_SHORT))
    add(_ordered(_s, imm_sh=0))
add(E("stby", 0x0c001300, 0xfc0013c0, "STBY", R21, R16, IM5_0, ("u", 13, 1), ("u", 5, 1),
      syntax="{p:w13.1<<1+w5.1:@bytes}{p:w10.2:@hint} {r:1},{x:2}" + SPB))

# ---- coprocessor loads/stores (FP): 0x09 word (bit 6 = right half), 0x0b doubleword ---------
# fields: b, fr index (word: 2*t + half, i.e. 0..63; double: t), disp, size, mode, x, scale


def _fp_ldst(nm: str, opc: int, size: int, store: int) -> tuple[Enc, Enc]:
    """The indexed and the short-displacement row of one FP load/store."""
    treg, fr = (("frw",), "{frh:1}") if size == 4 else (R0, "{fr:1}")
    op = "FSTORE" if store else "FLOAD"
    if store:
        isyn, ssyn = IDXC + " " + fr + ",{r:5}" + SPB, SHORTC + " " + fr + ",{x:2}" + SPB
    else:
        isyn, ssyn = IDXC + " {r:5}" + SPB + "," + fr, SHORTC + " {x:2}" + SPB + "," + fr
    return (E(nm, opc | store << 9, 0xfc001380, op, R21, treg, K(0), K(size), ("mx", 5), R16,
              ("scale", 13, size), syntax=isyn),
            E(nm, opc | 0x1000 | store << 9, 0xfc001380, op, R21, treg, IM5_16, K(size),
              ("ms", 5, 13), K(-1), K(0), syntax=ssyn))


_i, _s = _fp_ldst("fldw", 0x24000000, 4, 0)
add(_i, _s, _ordered(_s))
_i, _s = _fp_ldst("fstw", 0x24000000, 4, 1)
# objdump's fstw opcodes want no cache hint; with a hint it finds fstws
_s = Enc("fstws", _s.match, _s.mask, _s.op, _s.fields, _s.syntax)
add(_i, _s, split(_s, "fstw", _s.match, _s.mask | 0xc00, "{p:4:|,mb|,ma} {frh:1},{x:2}" + SPB),
    _ordered(_s, "fstw"))
# doublewords: bit 6 (no half bit here) set is objdump's cldd/cstd with uid 1, whose short
# forms objdump always spells as PA 2.0 ,o with displacement 0
CU = ",{d:w6.3}"
for _nm, _cnm, _store in (("fldd", "cldd", 0), ("fstd", "cstd", 1)):
    _i, _s = _fp_ldst(_nm, 0x2c000000, 8, _store)
    if _store:
        _ci = CU + IDXC + " {r:w0.5},{r:5}" + SPB
        _cs = CU + ",o{p:w10.2:@hint} {r:w0.5},0" + SPB
    else:
        _ci = CU + IDXC + " {r:5}" + SPB + ",{r:w0.5}"
        _cs = CU + ",o{p:w10.2:@hint} 0" + SPB + ",{r:w0.5}"
    _ri = Enc(_cnm, _i.match, _i.mask, _i.op, _i.fields, _ci)
    _rs = Enc(_cnm, _s.match, _s.mask, _s.op, _s.fields, _cs)
    _fs = split(_rs, _nm, _s.match, _s.mask | 0x40, _s.syntax)
    add(_ri, split(_ri, _nm, _i.match, _i.mask | 0x40, _i.syntax),
        _rs, _fs, split(_rs, _nm, _s.match | 0x20, _s.mask | 0x1f2060, _ordered_syntax(_s.syntax)))

# Coprocessors other than the FPU (uid 2-7) and the special function unit: PA-RISC 1.1
# encodings this machine does not implement (op ILLEGAL, no fields: exactly what the decoder
# produces for a word no row matches), named here only so that they print like objdump.
for opc, nm, store in ((0x24000000, "cldw", 0), (0x2c000000, "cldd", 0),
                       (0x24000200, "cstw", 1), (0x2c000200, "cstd", 1)):
    _spb = "({sp:w14.2}{r:w21.5})"
    if store:     # objdump's short forms of these are all PA 2.0 ",o" with displacement 0
        add(named(nm, opc, 0xfc001200, CU + IDXC + " {r:w0.5},{r:w16.5}" + _spb),
            named(nm, opc | 0x1000, 0xfc001200, CU + ",o{p:w10.2:@hint} {r:w0.5},0" + _spb))
    else:
        add(named(nm, opc, 0xfc001200, CU + IDXC + " {r:w16.5}" + _spb + ",{r:w0.5}"),
            named(nm, opc | 0x1000, 0xfc001200, CU + ",o{p:w10.2:@hint} 0" + _spb + ",{r:w0.5}"))
_SPB_RAW = "({sp:w14.2}{r:w21.5})"
add(named("fstqx", 0x3c000200, 0xfc001fc0, "{p:w13.1<<1+w5.1:@idx} {fr:w0.5},{r:w16.5}" + _SPB_RAW),
    named("fstqs", 0x3c001200, 0xfc001fc0,
          "{p:w13.1<<1+w5.1:|,ma||,mb} {fr:w0.5},{xl:w16.5}" + _SPB_RAW),
    named("spop0", 0x10000000, 0xfc000600, ",{d:w6.3},{x:w11.15<<5+w0.5}{n:w5.1}"),
    named("spop1", 0x10000200, 0xfc000600, ",{d:w6.3},{x:w11.15}{n:w5.1} {r:w0.5}"),
    named("spop2", 0x10000400, 0xfc000600, ",{d:w6.3},{x:w11.10<<5+w0.5}{n:w5.1} {r:w21.5}"),
    named("spop3", 0x10000600, 0xfc000600,
          ",{d:w6.3},{x:w11.5<<5+w0.5}{n:w5.1} {r:w16.5},{r:w21.5}"),
    # ldo with the (PA 1.1: must be zero) bits 14-15 set: objdump's PA 2.0 wide reading
    named("ldo", 0x34000000, 0xfc000000, " {x16:w0.16}({r:w21.5}),{r:w16.5}"),
    named("ldi", 0x34000000, 0xffe00000, " {x16:w0.16},{r:w16.5}"))

# ---- branches ------------------------------------------------------------------------
# BL: t, disp, n ; GATE is BL in user mode (no privilege promotion from user code)
add(E("b,l", 0xe8000000, 0xfc00e000, "BL", R21, ("w17",), N1, syntax="{n:2} {t:1},{r:0}"),
    E("b,gate", 0xe8002000, 0xfc00e000, "BL", R21, ("w17",), N1, syntax="{n:2} {t:1},{r:0}"),
    E("blr", 0xe8004000, 0xfc00e001, "BLR", R21, R16, N1, syntax="{n:2} {r:1},{r:0}"))
_bv = add(E("#", 0xe800c000, 0xfc00e001, "BV", R16, R21, N1, syntax=UNKNOWN))
add(split(_bv, "bv", 0xe800c000, 0xfc00fffd, "{n:2} {r:0}({r:1})"))   # reserved bits clear
# BE/BLE: b, disp, n, sr (assemble_3 of bits 13-15), link (ble: r31 and sr0)
add(E("be", 0xe0000000, 0xfc000000, "BE", R21, ("w17",), N1, ("sr3", 13), K(0),
      syntax="{n:2} {x:1}({sr:3},{r:0})"),
    E("be,l", 0xe4000000, 0xfc000000, "BE", R21, ("w17",), N1, ("sr3", 13), K(1),
      syntax="{n:2} {x:1}({sr:3},{r:0}),sr0,r31"))
# compare-and-branch: r1 (bits 11-15), r2 (6-10), cf, disp, n
CB = "{n:4} {r:0},{r:1},{t:3}"
CIB = "{n:4} {x:0},{r:1},{t:3}"
add(E("cmpb", 0x80000000, 0xfc000000, "CMPB", R16, R21, ("cf", 13, -1), ("w12",), N1,
      syntax="{c:2:cmp}" + CB),
    E("cmpb", 0x88000000, 0xfc000000, "CMPB", R16, R21, ("cf", 13, -2), ("w12",), N1,
      syntax="{c:2:cmp}" + CB),
    E("cmpib", 0x84000000, 0xfc000000, "CMPIB", IM5_16, R21, ("cf", 13, -1), ("w12",), N1,
      syntax="{c:2:cmp}" + CIB),
    E("cmpib", 0x8c000000, 0xfc000000, "CMPIB", IM5_16, R21, ("cf", 13, -2), ("w12",), N1,
      syntax="{c:2:cmp}" + CIB),
    E("addb", 0xa0000000, 0xfc000000, "ADDB", R16, R21, ("cf", 13, -1), ("w12",), N1,
      syntax="{c:2:addb}" + CB),
    E("addb", 0xa8000000, 0xfc000000, "ADDB", R16, R21, ("cf", 13, -2), ("w12",), N1,
      syntax="{c:2:addb}" + CB),
    E("addib", 0xa4000000, 0xfc000000, "ADDIB", IM5_16, R21, ("cf", 13, -1), ("w12",), N1,
      syntax="{c:2:addb}" + CIB),
    E("addib", 0xac000000, 0xfc000000, "ADDIB", IM5_16, R21, ("cf", 13, -2), ("w12",), N1,
      syntax="{c:2:addb}" + CIB),
    E("movb", 0xc8000000, 0xfc000000, "MOVB", R16, R21, ("sed", 13), ("w12",), N1,
      syntax="{c:2:cmp}" + CB),
    E("movib", 0xcc000000, 0xfc000000, "MOVIB", IM5_16, R21, ("sed", 13), ("w12",), N1,
      syntax="{c:2:cmp}" + CIB))
# BB: r, bit position (-1: SAR), sense (0: branch if bit set '<', 1: if clear '>='), disp, n
# objdump wants bit 14 set (bit 13 set is the PA 2.0 doubleword form, spelled ,*< ,*>=)
_bb = add(E("#", 0xc4000000, 0xfc000000, "BB", R16, R21, ("u", 15, 1), ("w12",), N1,
            syntax=UNKNOWN))
add(split(_bb, "bb", 0xc4004000, 0xfc006000, "{p:2:,<|,>=}{n:4} {r:0},{x:1},{t:3}"),
    split(_bb, "bb", 0xc4006000, 0xfc006000, "{p:2:,*<|,*>=}{n:4} {r:0},{x:1},{t:3}"))
_bvb = add(E("#", 0xc0000000, 0xfc000000, "BB", R16, ("sar",), ("u", 15, 1), ("w12",), N1,
             syntax=UNKNOWN))
add(split(_bvb, "bb", 0xc0004000, 0xffe06000, "{p:2:,<|,>=}{n:4} {r:0},sar,{t:3}"),
    split(_bvb, "bb", 0xc0006000, 0xffe06000, "{p:2:,*<|,*>=}{n:4} {r:0},sar,{t:3}"))

# ---- shift pair, extract, deposit: cf is the 3-bit shift/extract condition ------------
# SHD: r1 (bits 11-15), r2 (6-10), t, right-shift amount (-1: SAR), cf
add(E("shrpw", 0xd0000000, 0xfc001fe0, "SHD", R16, R21, R0, ("sar",), ("sed", 13),
      syntax="{c:4:cmp} {r:0},{r:1},sar,{r:2}"),
    E("shrpw", 0xd0000800, 0xfc001c00, "SHD", R16, R21, R0, ("sub", 31, 5, 5), ("sed", 13),
      syntax="{c:4:cmp} {r:0},{r:1},{d:3},{r:2}"))
# EXTR: r, t, right-shift (31-p; -1: 31-SAR), len, signed, cf
EXV = "{c:5:cmp} {r:0},sar,{d:3},{r:1}"
EXF = "{c:5:cmp} {r:0},{m:2:31},{d:3},{r:1}"
add(E("extrw,u", 0xd0001000, 0xfc001fe0, "EXTR", R21, R16, ("sar",), ("sub", 32, 0, 5), K(0),
      ("sed", 13), syntax=EXV),
    E("extrw,s", 0xd0001400, 0xfc001fe0, "EXTR", R21, R16, ("sar",), ("sub", 32, 0, 5), K(1),
      ("sed", 13), syntax=EXV),
    E("extrw,u", 0xd0001800, 0xfc001c00, "EXTR", R21, R16, ("sub", 31, 5, 5), ("sub", 32, 0, 5),
      K(0), ("sed", 13), syntax=EXF),
    E("extrw,s", 0xd0001c00, 0xfc001c00, "EXTR", R21, R16, ("sub", 31, 5, 5), ("sub", 32, 0, 5),
      K(1), ("sed", 13), syntax=EXF))
# DEP: r, t, left-shift (31-p encoded directly; -1: 31-SAR), len, zero-others, cf
DPV = "{c:5:cmp} {r:0},sar,{d:3},{r:1}"
DPF = "{c:5:cmp} {r:0},{m:2:31},{d:3},{r:1}"
DIV = "{c:5:cmp} {x:0},sar,{d:3},{r:1}"
DIF = "{c:5:cmp} {x:0},{m:2:31},{d:3},{r:1}"
add(E("depw,z", 0xd4000000, 0xfc001fe0, "DEP", R16, R21, ("sar",), ("sub", 32, 0, 5), K(1),
      ("sed", 13), syntax=DPV),
    E("depw", 0xd4000400, 0xfc001fe0, "DEP", R16, R21, ("sar",), ("sub", 32, 0, 5), K(0),
      ("sed", 13), syntax=DPV),
    E("depw,z", 0xd4000800, 0xfc001c00, "DEP", R16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(1),
      ("sed", 13), syntax=DPF),
    E("depw", 0xd4000c00, 0xfc001c00, "DEP", R16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(0),
      ("sed", 13), syntax=DPF),
    # DEPI: im5, t, shift, len, zero-others, cf
    E("depwi,z", 0xd4001000, 0xfc001fe0, "DEPI", IM5_16, R21, ("sar",), ("sub", 32, 0, 5), K(1),
      ("sed", 13), syntax=DIV),
    E("depwi", 0xd4001400, 0xfc001fe0, "DEPI", IM5_16, R21, ("sar",), ("sub", 32, 0, 5), K(0),
      ("sed", 13), syntax=DIV),
    E("depwi,z", 0xd4001800, 0xfc001c00, "DEPI", IM5_16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(1),
      ("sed", 13), syntax=DIF),
    E("depwi", 0xd4001c00, 0xfc001c00, "DEPI", IM5_16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(0),
      ("sed", 13), syntax=DIF))

# ---- system control (opcode 0x00) -----------------------------------------------------
add(E("break", 0x00000000, 0xfc001fe0, "BREAK", ("u", 0, 5), ("u", 13, 13), syntax=" {x:0},{x:1}"),
    E("sync", 0x00000400, 0xffffffff, "NOP"),
    E("syncdma", 0x00100400, 0xffffffff, "NOP"))
_rfi = add(E("#", 0x00000c00, 0xfc001fe0, "PRIV", syntax=UNKNOWN))
add(split(_rfi, "rfi", 0x00000c00, 0xffffffff, ""))
_rfir = add(E("#", 0x00000ca0, 0xfc001fe0, "PRIV", syntax=UNKNOWN))
add(split(_rfir, "rfi,r", 0x00000ca0, 0xffffffff, ""))
_ssm = add(E("#", 0x00000d60, 0xfc001fe0, "PRIV", syntax=UNKNOWN))
add(split(_ssm, "ssm", 0x00000d60, 0xfc00ffe0, " {x:w16.10},{r:w0.5}"))
_rsm = add(E("#", 0x00000e60, 0xfc001fe0, "PRIV", syntax=UNKNOWN))
add(split(_rsm, "rsm", 0x00000e60, 0xfc00ffe0, " {x:w16.10},{r:w0.5}"))
_mtsm = add(E("#", 0x00001860, 0xfc001fe0, "PRIV", syntax=UNKNOWN))
add(split(_mtsm, "mtsm", 0x00001860, 0xffe0ffff, " {r:w16.5}"))
add(E("ldsid", 0x000010a0, 0xfc1f3fe0, "LDSID", ("u", 14, 2), R21, R0,
      syntax=" ({sp:0}{r:1}),{r:2}"),
    E("mtsp", 0x00001820, 0xffe01fff, "MTSP", R16, ("sr3", 13), syntax=" {r:0},{sr:1}"),
    E("mfsp", 0x000004a0, 0xffff1fe0, "MFSP", ("sr3", 13), R0, syntax=" {sr:0},{r:1}"))
_mtctl = add(E("mtctl", 0x00001840, 0xfc00ffff, "MTCTL", R16, R21, syntax=" {r:0},{cr:1}"))
add(split(_mtctl, "mtsar", 0x01601840, 0xffe0ffff, " {r:0}"),
    E("mtsarcm", 0x016018c0, 0xffe0ffff, "MTSARCM", R16, syntax=" {r:0}"),
    E("mfctl", 0x000008a0, 0xfc1fffe0, "MFCTL", R21, R0, syntax=" {cr:0},{r:1}"),
    E("mfia", 0x000014a0, 0xffffffe0, "MFIA", R0, syntax=" {r:0}"))

# ---- memory management (opcode 0x01): probes and user cache flushes; the rest is PL0 ---
# PROBE: b, r (or im), t, write, immediate
add(E("probe,r", 0x04001180, 0xfc003fe0, "PROBE", R21, R16, R0, K(0), K(0),
      syntax=" " + SPB + ",{r:1},{r:2}"),
    E("probei,r", 0x04003180, 0xfc003fe0, "PROBE", R21, R16, R0, K(0), K(1),
      syntax=" " + SPB + ",{x:1},{r:2}"),
    E("probe,w", 0x040011c0, 0xfc003fe0, "PROBE", R21, R16, R0, K(1), K(0),
      syntax=" " + SPB + ",{r:1},{r:2}"),
    E("probei,w", 0x040031c0, 0xfc003fe0, "PROBE", R21, R16, R0, K(1), K(1),
      syntax=" " + SPB + ",{x:1},{r:2}"))
# fdc/fic/fdce/fice with optional ,m: nothing to do for a coherent emulated cache,
# except the base modification.  fields: b, x, m
CZ = "{p:2:|,m} {r:1}"
_fdc = add(E("#", 0x04001280, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1), syntax=UNKNOWN))
add(split(_fdc, "fdc", 0x04001280, 0xfc003fdf, CZ + SPB),
    split(_fdc, "fdc", 0x04003280, 0xfc003fff, " {xl:w16.5}" + SPB))    # PA 2.0 fdc im5
_fdce = add(E("#", 0x040012c0, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1), syntax=UNKNOWN))  # as qemu
add(split(_fdce, "fdce", 0x040012c0, 0xfc003fdf, CZ + SPB))
SPB3 = "({sr:w13.1<<2+w14.2},{r:0})"
add(E("fic", 0x04000280, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1), syntax=CZ + SPB3),
    E("fice", 0x040002c0, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1), syntax=CZ + SPB3))
_mm = add(E("#", 0x04000000, 0xfc000000, "PRIV", syntax=UNKNOWN))
_SPB3_RAW = "({sr:w13.1<<2+w14.2},{r:w21.5})"
_CZ_RAW = "{p:w5.1:|,m} {r:w16.5}"
add(split(_mm, "lpa", 0x04001340, 0xfc003fc0, _CZ_RAW + _SPB_RAW + ",{r:w0.5}"),
    split(_mm, "lci", 0x04001300, 0xfc003fe0, " {r:w16.5}" + _SPB_RAW + ",{r:w0.5}"),
    split(_mm, "pdtlb", 0x04001200, 0xfc003fdf, _CZ_RAW + _SPB_RAW),
    split(_mm, "pitlb", 0x04000200, 0xfc001fdf, _CZ_RAW + _SPB3_RAW),
    split(_mm, "pdtlbe", 0x04001240, 0xfc003fdf, _CZ_RAW + _SPB_RAW),
    split(_mm, "pitlbe", 0x04000240, 0xfc001fdf, _CZ_RAW + _SPB3_RAW),
    split(_mm, "idtlba", 0x04001040, 0xfc003fff, " {r:w16.5}," + _SPB_RAW),
    split(_mm, "iitlba", 0x04000040, 0xfc001fff, " {r:w16.5}," + _SPB3_RAW),
    split(_mm, "idtlbp", 0x04001000, 0xfc003fff, " {r:w16.5}," + _SPB_RAW),
    split(_mm, "iitlbp", 0x04000000, 0xfc001fff, " {r:w16.5}," + _SPB3_RAW),
    split(_mm, "pdc", 0x04001380, 0xfc003fdf, _CZ_RAW + _SPB_RAW),
    split(_mm, "gfw", 0x04001680, 0xfc003fdf, _CZ_RAW + _SPB_RAW),
    split(_mm, "gfr", 0x04001a80, 0xfc003fdf, _CZ_RAW + _SPB_RAW),
    split(_mm, "pdtlb,l", 0x04001600, 0xfc003fdf, _CZ_RAW + _SPB_RAW),       # PA 2.0 names
    split(_mm, "pitlb,l", 0x04000600, 0xfc001fdf, _CZ_RAW + _SPB3_RAW),
    split(_mm, "idtlbt", 0x04001800, 0xfc00ffff, " {r:w16.5},{r:w21.5}"),
    split(_mm, "iitlbt", 0x04000800, 0xfc00ffff, " {r:w16.5},{r:w21.5}"))
add(E("diag", 0x14000000, 0xfc000000, "PRIV", syntax=" {x:w0.26}"))

# ---- FP (coprocessor 0) ------------------------------------------------------------------
# XMPYU: r1 single (bits 21-25 + half bit 7), r2 single (16-20 + half bit 12), t double
add(E("xmpyu", 0x38004700, 0xfc00ef60, "XMPYU", ("frs", 21, 7), ("frs", 16, 12), R0,
      syntax=" {frh:0},{frh:1},{fr:2}"))
# One semantic row per FP operation, class (bits 9-10) and format, as the FPU defines them;
# other bits of the word are ignored.  Register fields are full FP register indices:
# doubles 0-31, singles 2 * reg + right half (0x0C singles always name the left half,
# 0x0E singles carry their half bit).  Formats other than sgl and dbl (quad, reserved)
# have no row: SIGILL.  fsqrt and frnd are FARITH with one source (sub 5 and 6).
# Objdump's spellings (below the semantic rows) are carved out of these with respell().
FP0C, FP0E = 0x30000000, 0x38000000
_COPR = ",{d:w6.3},{x:w9.17<<5+w0.5}{n:w5.1}"
_FP_ROWS: dict[int, list[Enc]] = {FP0C: [], FP0E: []}


def _freg(major: int, dbl: int, sh: int, half: int):
    """The extractor of an FP register field at bit ``sh`` (``half``: 0x0E's L/R bit)."""
    if dbl:
        return ("u", sh, 5)
    return ("frl", sh) if major == FP0C else ("frs", sh, half)


def _fp(major: int, match: int, mask: int, op: str, *fields) -> None:
    name, syntax = ("copr", _COPR) if major == FP0C else ("#", UNKNOWN)
    row = E(name, major | match, mask, op, *fields, syntax=syntax)
    _FP_ROWS[major].append(row)
    add(row)


for _maj in (FP0C, FP0E):
    _fmt = 0x1800 if _maj == FP0C else 0x800                     # format bits 11(-12)
    for _dbl in (0, 1):
        _r1, _r2, _t = (_freg(_maj, _dbl, 21, 7), _freg(_maj, _dbl, 16, 12),
                        _freg(_maj, _dbl, 0, 6))
        for _sub in (2, 3, 6, 7):                                # fcpy fabs fneg fnegabs
            _fp(_maj, _sub << 13 | _dbl << 11, 0xfc00e600 | _fmt, "FUNARY", _r1, _t,
                K(_sub), K(_dbl))
        for _sub, _asub in ((4, 5), (5, 6)):                     # fsqrt frnd
            _fp(_maj, _sub << 13 | _dbl << 11, 0xfc00e600 | _fmt, "FARITH", _r1, _r1, _t,
                K(_asub), K(_dbl))
        _fp(_maj, 0x400 | _dbl << 11, 0xfc00e600 | _fmt, "FCMP", _r1, _r2, ("u", 0, 5),
            K(_dbl))
        _fp(_maj, 0x400 | 1 << 13 | _dbl << 11, 0xfc00e600 | _fmt, "FTEST")
        for _sub in range(4):                                    # fadd fsub fmpy fdiv
            _fp(_maj, 0x600 | _sub << 13 | _dbl << 11,
                0xfc00e600 | _fmt | (0x100 if _maj == FP0E else 0), "FARITH", _r1, _r2, _t,
                K(_sub), K(_dbl))
    # conversions: sub (bits 15-17) 0 ff, 1 xf, 2 fx, 3 fxt, 5 uf, 6 fu, 7 fut
    for _sub in (0, 1, 2, 3, 5, 6, 7):
        for _sd in (0, 1):
            for _dd in (0, 1):
                _fp(_maj, 0x200 | _sub << 15 | _sd << 11 | _dd << 13,
                    0xfc038600 | (0x7800 if _maj == FP0C else 0x2800), "FCNV",
                    _freg(_maj, _sd, 21, 7), _freg(_maj, _dd, 0, 6), K(_sub), K(_sd), K(_dd))
add(E("fid", FP0C, 0xffffffff, "NOP", syntax=""))                # identify: nothing to do


def respell(name: str, match: int, mask: int, syntax: str, bases: list[Enc]) -> None:
    """Spell the words (match, mask) objdump's way where they span several semantic rows:
    one split() of each base row it shares words with, plus a named() row for the words
    no base row takes (the core rejects those)."""
    care = 0
    for base in bases:
        care |= base.mask
    rows = []
    for base in bases:
        common = mask & base.mask
        if (match & common) != (base.match & common):
            continue
        m2, k2 = (match & mask) | base.match, mask | base.mask
        assert k2 != base.mask, (name, base)     # the spelling would be the base's own
        if (m2, k2) not in _SPELLED:
            rows.append(split(base, name, m2, k2, syntax))
    free = [i for i in range(32) if (care & ~mask) >> i & 1]
    for combo in range(1 << len(free)):
        w = match | sum(((combo >> j) & 1) << i for j, i in enumerate(free))
        if not any((w & b.mask) == b.match for b in bases):
            rows.append(named(name, match, mask, syntax))    # some words are no FP op
            break
    add(*rows)


_F0C = _FP_ROWS[FP0C]
F0C_1 = FMT2 + " " + FA + "," + FT                   # fcpy fabs fsqrt frnd fneg fnegabs
F0C_2 = FMT2 + " " + FA + "," + FB + "," + FT        # fadd fsub fmpy fdiv frem
F0C_CNV = FMT2 + "{p:w13.2:@fmt} " + FA + "," + FT
F0C_CMP = FMT2 + "{p:w0.5:@fcmp} " + FA + "," + FB
respell("ftest", 0x30002420, 0xffffffff, "", _F0C)
respell("ftest", 0x30002420, 0xffffffe0, " ,{p:w0.5:@ftest}", _F0C)
respell("ftest", 0x30000420, 0xffff1fff, " {p:w13.3:0||2|1|4|3|6|5}", _F0C)
respell("pmenb", 0x30000680, 0xffffffff, "", _F0C)
for nm, sub in (("fcpy", 2), ("fabs", 3), ("fsqrt", 4), ("frnd", 5), ("fneg", 6), ("fnegabs", 7)):
    respell(nm, 0x30000000 | sub << 13, 0xfc1fe7e0, F0C_1, _F0C)
for nm, sub in (("fadd", 0), ("fsub", 1), ("fmpy", 2), ("fdiv", 3), ("frem", 4)):
    respell(nm, 0x30000600 | sub << 13, 0xfc00e7e0, F0C_2, _F0C)
for nm, sub in (("fcnvff", 0), ("fcnvxf", 1), ("fcnvfx", 2), ("fcnvfxt", 3)):
    respell(nm, 0x30000200 | sub << 15, 0xfc1f87e0, F0C_CNV, _F0C)
respell("fcnv", 0x30000200, 0xfc1c0720, "{fcnv:w11.7} " + FA_H6 + "," + FT_H, _F0C)
respell("fcmp", 0x30000400, 0xfc00e7e0, F0C_CMP, _F0C)
respell("fcmp", 0x30000400, 0xfc0007e0, F0C_CMP + ",{p:w13.3:|,0|,1|,2|,3|,4|,5|,6}", _F0C)
add(named("copr", FP0C, 0xfc000000, _COPR))        # the other coprocessor-0 words
# 0x0E: single operands name either half (objdump prints the half bits whatever the format)
_F0E = _FP_ROWS[FP0E]
F0E_1F = FMT2 + " " + FA_H + "," + FT_H               # fsqrt fabs frnd fcpy: 2-bit format
F0E_1I = FMT1 + " " + FA_H + "," + FT_H               # fneg fnegabs
F0E_2 = FMT1 + " " + FA_H + "," + FB_H + "," + FT_H
for nm, sub, syn in (("fcpy", 2, F0E_1F), ("fabs", 3, F0E_1F), ("fsqrt", 4, F0E_1F),
                     ("frnd", 5, F0E_1F), ("fneg", 6, F0E_1I), ("fnegabs", 7, F0E_1I)):
    respell(nm, 0x38000000 | sub << 13, 0xfc1fe720, syn, _F0E)
for nm, sub in (("fadd", 0), ("fsub", 1), ("fmpy", 2), ("fdiv", 3)):
    respell(nm, 0x38000600 | sub << 13, 0xfc00e720, F0E_2, _F0E)
respell("frem", 0x38008600, 0xfc00e720, FMT2 + " " + FA_H + "," + FB_H + "," + FT_H, _F0E)
for nm, sub in (("fcnvff", 0), ("fcnvxf", 1), ("fcnvfx", 2), ("fcnvfxt", 3)):
    respell(nm, 0x38000200 | sub << 15, 0xfc1f8720, FMT2 + "{p:w13.2:@fmt} " + FA_H + "," + FT_H,
            _F0E)
F0E_CMP = FMT1 + "{p:w0.5:@fcmp} " + FA_H + "," + FB_H
respell("fcnv", 0x38000200, 0xfc1c0720, FMT2 + "{p:w13.2:@fmt} " + FA_H + "," + FT_H, _F0E)
respell("fcmp", 0x38000400, 0xfc00e720, F0E_CMP, _F0E)
respell("fcmp", 0x38000400, 0xfc000720, F0E_CMP + ",{p:w13.3:|,0|,1|,2|,3|,4|,5|,6}", _F0E)
# the xmpyu words the XMPYU row does not take (format or t-half bit set): no FP op
respell("xmpyu", 0x38004700, 0xfc00e720, " " + FA_H + "," + FB_H + "," + FT_H, _F0E)
# fmpyadd/fmpysub: tm <- m1 * m2, ta <- ta +/- ra; bit 5 set means single, whose 5-bit
# register fields name fr16-fr31 halves.  objdump ORs the format bit into each register
# number (no L/R halves).
_FM = "{p:w5.1:,dbl|,sgl} " + ",".join(f"{{fr:w{sh}.5+w5.1<<4}}" for sh in (21, 16, 0, 6, 11))
for _nm, _opc, _sub in (("fmpyadd", 0x18000000, 0), ("fmpysub", 0x98000000, 1)):
    for _dbl in (1, 0):
        _regs = [("u", sh, 5) if _dbl else ("frm", sh) for sh in (21, 16, 0, 6, 11)]
        add(E(_nm, _opc | (1 - _dbl) << 5, 0xfc000020, "FMPYADD", *_regs, K(_sub), K(_dbl),
              syntax=_FM))


def decoding_order(table: list[Enc] | None = None) -> tuple[list[Enc], list[int]]:
    """The table (default: TABLE) in the order the decoder tries it, with each row's
    micro-op *variant* (see VARIANTS; a BY_FIELD row's for value 0): rows grouped by
    major opcode, most specific masks first within each, table order among equal masks
    (every mask covers the major opcode, so this is the order "most specific first"
    overall)."""
    table = TABLE if table is None else table
    for e in table:
        assert e.mask & 0xFC000000 == 0xFC000000, e
        assert len(e.fields) <= NFIELDS, e
    rows = sorted(table, key=lambda e: (e.match >> 26, -bin(e.mask).count("1")))
    return rows, [VARIANT[variant_key(e)] for e in rows]


# ---- micro-op variants --------------------------------------------------------------------
# A decoded record names a *variant*: the micro-op together with the values its row fixes
# for some fields (``k`` constants, ``sar``).  The interpreter has one arm per variant, in
# which those fields are constants -- ``add,l`` and ``add,c,tsv`` get arms without the
# carry or overflow logic they do not use -- while the other fields are read from the
# record.  0 is "not decoded"; variant 1 is ILLEGAL with no fields, the record of a word
# no row matches.
#
# Some ops also get one variant per value of one decoded field (BY_FIELD), consecutive
# from the one for value 0, which the decoder adds the field to: the compare-and-branch
# and compare-and-clear ops by condition (their arms evaluate one condition, not all eight
# and a pick), the general loads and stores by base modification (an arm without one
# neither computes nor writes back the base register).
FIXED_KINDS = {"k": lambda spec: spec[1], "sar": lambda spec: -1}
BY_FIELD = ("CMPB", "CMPIB", "ADDB", "ADDIB", "COMCLR", "COMICLR",
            "LOAD", "STORE", "FLOAD", "FSTORE")
FIELD_VALUES = {"cf": 16, "mx": 3, "ms": 3}    # cf = (c << 1) | f; modification mode 0-2


def split_field(e: Enc) -> int | None:
    """The index of the field whose value is added to the row's variant (BY_FIELD)."""
    if e.op not in BY_FIELD:
        return None
    return next((i for i, sp in enumerate(e.fields) if sp[0] in FIELD_VALUES), None)


def variant_key(e: Enc, value: int = 0) -> tuple[str, tuple]:
    """(op, the fixed field values: an int per fixed field, None per decoded one); ``value``:
    that of a BY_FIELD row's split field."""
    specs = list(e.fields) + [("k", 0)] * (NFIELDS - len(e.fields))
    fixed = [FIXED_KINDS[sp[0]](sp) if sp[0] in FIXED_KINDS else None for sp in specs]
    if (i := split_field(e)) is not None:
        fixed[i] = value
    return e.op, tuple(fixed)


VARIANTS: list[tuple[str, tuple]] = [("ILLEGAL", (0,) * NFIELDS)]
for _e in TABLE:
    if variant_key(_e) not in VARIANTS:
        _i = split_field(_e)
        VARIANTS.extend(variant_key(_e, v) for v in
                        range(1 if _i is None else FIELD_VALUES[_e.fields[_i][0]]))
VARIANT = {key: i + 1 for i, key in enumerate(VARIANTS)}
for _e in TABLE:                 # a split row's variants are consecutive (the decoder adds)
    if (_i := split_field(_e)) is not None:
        assert all(VARIANT[variant_key(_e, v)] == VARIANT[variant_key(_e)] + v
                   for v in range(FIELD_VALUES[_e.fields[_i][0]])), _e


def op_of(variant: int) -> str:
    """The micro-op (an OPS name) of a decoded record's variant number."""
    return VARIANTS[variant - 1][0] if 1 <= variant <= len(VARIANTS) else "ILLEGAL"
