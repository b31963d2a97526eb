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
Bit numbers here count from the least significant bit (the manuals count from the MSB).

Conditions, after decoding, are all ``cf = (c << 1) | f`` over one evaluator (core.cond):
c = 0 never, 1 =, 2 <, 3 <=, 4 << (no carry), 5 <<= , 6 SV, 7 OD; f negates. Logical and
shift conditions map onto the same c values; unit conditions have their own evaluator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------
# Micro-ops. The numbers are internal (the core switches on them); 0 means "not decoded".
OPS = """
ILLEGAL PRIV PRIVREG NOP BREAK
ADD SUB DS COMCLR OR AND XOR ANDCM UXOR UADDCM DCOR
ADDI SUBI COMICLR LDO LDIL ADDIL
LD ST LOAD STORE LDCW STBY FLOAD FSTORE
BL BLR BV BE CMPB CMPIB ADDB ADDIB MOVB MOVIB BB
SHD EXTR DEP DEPI
MFCTL MTCTL MTSARCM MFSP MTSP LDSID PROBE MFIA
XMPYU FPOP
""".split()
OP = {name: i + 1 for i, name in enumerate(OPS)}
NFIELDS = 7

# ADD/SUB flag bits (field 6)
F_CARRY = 1     # addc / subb: use PSW C/B
F_NOCB = 2      # ,l forms: leave PSW C/B alone
F_TSV = 4       # ,tsv / o forms: trap on signed overflow
F_TC = 8        # ,tc forms: trap on condition


@dataclass(frozen=True)
class Enc:
    name: str          # mnemonic root as objdump prints it
    match: int
    mask: int
    op: str
    fields: tuple      # up to 7 extractors, in micro-op field order
    syntax: str = ""   # operand template for the disassembler


def E(name, match, mask, op, *fields, syntax=""):
    return Enc(name, match, mask, op, tuple(fields), syntax)


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

TABLE: list[Enc] = [
    # ---- opcode 0x02: arithmetic/logical, r1 = bits 11-15, r2 = bits 6-10, t = 27-31 --------
    # ADD family: fields r1 r2 t cf shift flags
    E("add", 0x08000600, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(0), K(0)),
    E("add,l", 0x08000a00, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(0), K(F_NOCB)),
    E("add,tsv", 0x08000e00, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(0), K(F_TSV)),
    E("add,c", 0x08000700, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(0), K(F_CARRY)),
    E("add,c,tsv", 0x08000f00, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(0), K(F_CARRY | F_TSV)),
    E("sh1add", 0x08000640, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(1), K(0)),
    E("sh1add,l", 0x08000a40, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(1), K(F_NOCB)),
    E("sh1add,tsv", 0x08000e40, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(1), K(F_TSV)),
    E("sh2add", 0x08000680, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(2), K(0)),
    E("sh2add,l", 0x08000a80, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(2), K(F_NOCB)),
    E("sh2add,tsv", 0x08000e80, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(2), K(F_TSV)),
    E("sh3add", 0x080006c0, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(3), K(0)),
    E("sh3add,l", 0x08000ac0, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(3), K(F_NOCB)),
    E("sh3add,tsv", 0x08000ec0, 0xfc000fe0, "ADD", R16, R21, R0, CF, K(3), K(F_TSV)),
    # SUB family: fields r1 r2 t cf - flags
    E("sub", 0x08000400, 0xfc000fe0, "SUB", R16, R21, R0, CF, K(0), K(0)),
    E("sub,tsv", 0x08000c00, 0xfc000fe0, "SUB", R16, R21, R0, CF, K(0), K(F_TSV)),
    E("sub,b", 0x08000500, 0xfc000fe0, "SUB", R16, R21, R0, CF, K(0), K(F_CARRY)),
    E("sub,b,tsv", 0x08000d00, 0xfc000fe0, "SUB", R16, R21, R0, CF, K(0), K(F_CARRY | F_TSV)),
    E("sub,tc", 0x080004c0, 0xfc000fe0, "SUB", R16, R21, R0, CF, K(0), K(F_TC)),
    E("sub,tsv,tc", 0x08000cc0, 0xfc000fe0, "SUB", R16, R21, R0, CF, K(0), K(F_TC | F_TSV)),
    E("ds", 0x08000440, 0xfc000fe0, "DS", R16, R21, R0, CF),
    E("cmpclr", 0x08000880, 0xfc000fe0, "COMCLR", R16, R21, R0, CF),
    E("or", 0x08000240, 0xfc000fe0, "OR", R16, R21, R0, CF),
    E("xor", 0x08000280, 0xfc000fe0, "XOR", R16, R21, R0, CF),
    E("and", 0x08000200, 0xfc000fe0, "AND", R16, R21, R0, CF),
    E("andcm", 0x08000000, 0xfc000fe0, "ANDCM", R16, R21, R0, CF),
    E("uxor", 0x08000380, 0xfc000fe0, "UXOR", R16, R21, R0, CF),
    E("uaddcm", 0x08000980, 0xfc000fe0, "UADDCM", R16, R21, R0, CF, K(0)),
    E("uaddcm,tc", 0x080009c0, 0xfc000fe0, "UADDCM", R16, R21, R0, CF, K(1)),
    E("dcor", 0x08000b80, 0xfc1f0fe0, "DCOR", R21, R0, CF, K(0)),
    E("dcor,i", 0x08000bc0, 0xfc1f0fe0, "DCOR", R21, R0, CF, K(1)),
    # ---- immediate arithmetic: r = bits 6-10, t = bits 11-15 ------------------------------
    E("addi", 0xb4000000, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(0)),
    E("addi,tsv", 0xb4000800, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(F_TSV)),
    E("addi,tc", 0xb0000000, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(F_TC)),
    E("addi,tc,tsv", 0xb0000800, 0xfc000800, "ADDI", R21, R16, IM11, CF, K(F_TC | F_TSV)),
    E("subi", 0x94000000, 0xfc000800, "SUBI", R21, R16, IM11, CF, K(0)),
    E("subi,tsv", 0x94000800, 0xfc000800, "SUBI", R21, R16, IM11, CF, K(F_TSV)),
    E("cmpiclr", 0x90000000, 0xfc000800, "COMICLR", R21, R16, IM11, CF),
    E("ldo", 0x34000000, 0xfc00c000, "LDO", R21, R16, IM14),
    E("ldil", 0x20000000, 0xfc000000, "LDIL", R21, ("im21",)),
    E("addil", 0x28000000, 0xfc000000, "ADDIL", R21, ("im21",)),
    # ---- long-displacement loads/stores: b, t/r, disp --------------------------------------
    # fields: b, t/r, disp, size
    E("ldw", 0x48000000, 0xfc000000, "LD", R21, R16, IM14, K(4)),
    E("ldh", 0x44000000, 0xfc000000, "LD", R21, R16, IM14, K(2)),
    E("ldb", 0x40000000, 0xfc000000, "LD", R21, R16, IM14, K(1)),
    E("stw", 0x68000000, 0xfc000000, "ST", R21, R16, IM14, K(4)),
    E("sth", 0x64000000, 0xfc000000, "ST", R21, R16, IM14, K(2)),
    E("stb", 0x60000000, 0xfc000000, "ST", R21, R16, IM14, K(1)),
    # ldwm/stwm: generic LOAD/STORE with mode 3 = "before if disp < 0, else after"
    # generic fields: b, t/r, disp, size, mode(0 none 1 before 2 after 3 by-sign), x(-1 = disp), scale
    E("ldwm", 0x4c000000, 0xfc000000, "LOAD", R21, R16, IM14, K(4), K(3), K(-1), K(0)),
    E("stwm", 0x6c000000, 0xfc000000, "STORE", R21, R16, IM14, K(4), K(3), K(-1), K(0)),
]

# ---- opcode 0x03: indexed and short-displacement loads/stores ------------------------------
# bit 12: short displacement; bit 13: u (scale, indexed) / a (before, short); bit 5: m
_SIZES = {0: 1, 1: 2, 2: 4}
for ext, (nm, size) in {0: ("ldb", 1), 1: ("ldh", 2), 2: ("ldw", 4)}.items():
    # indexed: address = b + (x << (u ? log2 size : 0)); m: b += that (post-modify)
    TABLE.append(E(nm, 0x0c000000 | ext << 6, 0xfc0013c0, "LOAD",
                   R21, R0, K(0), K(size), ("mx", 5), R16, ("scale", 13, size)))
    # short: address = b + im5; m: modify (a: before, else after)
    TABLE.append(E(nm, 0x0c001000 | ext << 6, 0xfc0013c0, "LOAD",
                   R21, R0, IM5_16, K(size), ("ms", 5, 13), K(-1), K(0)))
TABLE += [
    E("ldcw", 0x0c0001c0, 0xfc0013c0, "LDCW", R21, R0, K(0), K(4), ("mx", 5), R16, ("scale", 13, 4)),
    E("ldcw", 0x0c0011c0, 0xfc0013c0, "LDCW", R21, R0, IM5_16, K(4), ("ms", 5, 13), K(-1), K(0)),
    E("ldwa", 0x0c000180, 0xfc0003c0, "PRIV"),
    E("stwa", 0x0c001380, 0xfc0013c0, "PRIV"),
]
for ext, (nm, size) in {8: ("stb", 1), 9: ("sth", 2), 10: ("stw", 4)}.items():
    TABLE.append(E(nm, 0x0c001000 | ext << 6, 0xfc0013c0, "STORE",
                   R21, R16, IM5_0, K(size), ("ms", 5, 13), K(-1), K(0)))
TABLE.append(E("stby", 0x0c001300, 0xfc0013c0, "STBY", R21, R16, IM5_0, ("u", 13, 1), ("u", 5, 1)))

# ---- coprocessor loads/stores (FP): 0x09 word (bit 6 = right half), 0x0b doubleword ---------
# fields: b, fr index (word: 2*t + half, i.e. 0..63; double: t), disp, size, mode, x, scale
for opc, size, treg in ((0x24000000, 4, ("frw",)), (0x2c000000, 8, R0)):
    for store, op in ((0, "FLOAD"), (1, "FSTORE")):
        nm = ("fstw" if store else "fldw") if size == 4 else ("fstd" if store else "fldd")
        TABLE.append(E(nm, opc | store << 9, 0xfc001380, op,
                       R21, treg, K(0), K(size), ("mx", 5), R16, ("scale", 13, size)))
        TABLE.append(E(nm, opc | 0x1000 | store << 9, 0xfc001380, op,
                       R21, treg, IM5_16, K(size), ("ms", 5, 13), K(-1), K(0)))

TABLE += [
    # ---- branches ------------------------------------------------------------------------
    # BL: t, disp, n ; GATE is BL in user mode (no privilege promotion from user code)
    E("b,l", 0xe8000000, 0xfc00e000, "BL", R21, ("w17",), N1),
    E("b,gate", 0xe8002000, 0xfc00e000, "BL", R21, ("w17",), N1),
    E("blr", 0xe8004000, 0xfc00e001, "BLR", R21, R16, N1),
    E("bv", 0xe800c000, 0xfc00e001, "BV", R16, R21, N1),
    # BE/BLE: b, disp, n, sr (assemble_3 of bits 13-15), link (ble: r31 and sr0)
    E("be", 0xe0000000, 0xfc000000, "BE", R21, ("w17",), N1, ("sr3", 13), K(0)),
    E("be,l", 0xe4000000, 0xfc000000, "BE", R21, ("w17",), N1, ("sr3", 13), K(1)),
    # compare-and-branch: r1 (bits 11-15), r2 (6-10), cf, disp, n
    E("cmpb", 0x80000000, 0xfc000000, "CMPB", R16, R21, ("cf", 13, -1), ("w12",), N1),
    E("cmpb", 0x88000000, 0xfc000000, "CMPB", R16, R21, ("cf", 13, -2), ("w12",), N1),
    E("cmpib", 0x84000000, 0xfc000000, "CMPIB", IM5_16, R21, ("cf", 13, -1), ("w12",), N1),
    E("cmpib", 0x8c000000, 0xfc000000, "CMPIB", IM5_16, R21, ("cf", 13, -2), ("w12",), N1),
    E("addb", 0xa0000000, 0xfc000000, "ADDB", R16, R21, ("cf", 13, -1), ("w12",), N1),
    E("addb", 0xa8000000, 0xfc000000, "ADDB", R16, R21, ("cf", 13, -2), ("w12",), N1),
    E("addib", 0xa4000000, 0xfc000000, "ADDIB", IM5_16, R21, ("cf", 13, -1), ("w12",), N1),
    E("addib", 0xac000000, 0xfc000000, "ADDIB", IM5_16, R21, ("cf", 13, -2), ("w12",), N1),
    E("movb", 0xc8000000, 0xfc000000, "MOVB", R16, R21, ("sed", 13), ("w12",), N1),
    E("movib", 0xcc000000, 0xfc000000, "MOVIB", IM5_16, R21, ("sed", 13), ("w12",), N1),
    # BB: r, bit position (-1: SAR), sense (0: branch if bit set '<', 1: if clear '>='), disp, n
    E("bb", 0xc4000000, 0xfc000000, "BB", R16, R21, ("u", 15, 1), ("w12",), N1),
    E("bvb", 0xc0000000, 0xfc000000, "BB", R16, ("sar",), ("u", 15, 1), ("w12",), N1),
    # ---- shift pair, extract, deposit: cf is the 3-bit shift/extract condition ------------
    # SHD: r1 (bits 11-15), r2 (6-10), t, right-shift amount (-1: SAR), cf
    E("shrpw", 0xd0000000, 0xfc001fe0, "SHD", R16, R21, R0, ("sar",), ("sed", 13)),
    E("shrpw", 0xd0000800, 0xfc001c00, "SHD", R16, R21, R0, ("sub", 31, 5, 5), ("sed", 13)),
    # EXTR: r, t, right-shift (31-p; -1: 31-SAR), len, signed, cf
    E("extrw,u", 0xd0001000, 0xfc001fe0, "EXTR", R21, R16, ("sar",), ("sub", 32, 0, 5), K(0), ("sed", 13)),
    E("extrw,s", 0xd0001400, 0xfc001fe0, "EXTR", R21, R16, ("sar",), ("sub", 32, 0, 5), K(1), ("sed", 13)),
    E("extrw,u", 0xd0001800, 0xfc001c00, "EXTR", R21, R16, ("sub", 31, 5, 5), ("sub", 32, 0, 5), K(0), ("sed", 13)),
    E("extrw,s", 0xd0001c00, 0xfc001c00, "EXTR", R21, R16, ("sub", 31, 5, 5), ("sub", 32, 0, 5), K(1), ("sed", 13)),
    # DEP: r, t, left-shift (31-p encoded directly; -1: 31-SAR), len, zero-others, cf
    E("depw,z", 0xd4000000, 0xfc001fe0, "DEP", R16, R21, ("sar",), ("sub", 32, 0, 5), K(1), ("sed", 13)),
    E("depw", 0xd4000400, 0xfc001fe0, "DEP", R16, R21, ("sar",), ("sub", 32, 0, 5), K(0), ("sed", 13)),
    E("depw,z", 0xd4000800, 0xfc001c00, "DEP", R16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(1), ("sed", 13)),
    E("depw", 0xd4000c00, 0xfc001c00, "DEP", R16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(0), ("sed", 13)),
    # DEPI: im5, t, shift, len, zero-others, cf
    E("depwi,z", 0xd4001000, 0xfc001fe0, "DEPI", IM5_16, R21, ("sar",), ("sub", 32, 0, 5), K(1), ("sed", 13)),
    E("depwi", 0xd4001400, 0xfc001fe0, "DEPI", IM5_16, R21, ("sar",), ("sub", 32, 0, 5), K(0), ("sed", 13)),
    E("depwi,z", 0xd4001800, 0xfc001c00, "DEPI", IM5_16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(1), ("sed", 13)),
    E("depwi", 0xd4001c00, 0xfc001c00, "DEPI", IM5_16, R21, ("u", 5, 5), ("sub", 32, 0, 5), K(0), ("sed", 13)),
    # ---- system control (opcode 0x00) -----------------------------------------------------
    E("break", 0x00000000, 0xfc001fe0, "BREAK", ("u", 0, 5), ("u", 13, 13)),
    E("sync", 0x00000400, 0xffffffff, "NOP"),
    E("syncdma", 0x00100400, 0xffffffff, "NOP"),
    E("rfi", 0x00000c00, 0xfc001fe0, "PRIV"),
    E("rfir", 0x00000ca0, 0xfc001fe0, "PRIV"),
    E("ssm", 0x00000d60, 0xfc001fe0, "PRIV"),
    E("rsm", 0x00000e60, 0xfc001fe0, "PRIV"),
    E("mtsm", 0x00001860, 0xfc001fe0, "PRIV"),
    E("ldsid", 0x000010a0, 0xfc1f3fe0, "LDSID", ("u", 14, 2), R21, R0),
    E("mtsp", 0x00001820, 0xffe01fff, "MTSP", R16, ("sr3", 13)),
    E("mfsp", 0x000004a0, 0xffff1fe0, "MFSP", ("sr3", 13), R0),
    E("mtctl", 0x00001840, 0xfc00ffff, "MTCTL", R16, R21),
    E("mtsarcm", 0x016018c0, 0xffe0ffff, "MTSARCM", R16),
    E("mfctl", 0x000008a0, 0xfc1fffe0, "MFCTL", R21, R0),
    E("mfia", 0x000014a0, 0xffffffe0, "MFIA", R0),
    # ---- memory management (opcode 0x01): probes and user cache flushes; the rest is PL0 ---
    # PROBE: b, r (or im), t, write, immediate
    E("probe,r", 0x04001180, 0xfc003fe0, "PROBE", R21, R16, R0, K(0), K(0)),
    E("probei,r", 0x04003180, 0xfc003fe0, "PROBE", R21, R16, R0, K(0), K(1)),
    E("probe,w", 0x040011c0, 0xfc003fe0, "PROBE", R21, R16, R0, K(1), K(0)),
    E("probei,w", 0x040031c0, 0xfc003fe0, "PROBE", R21, R16, R0, K(1), K(1)),
    # fdc/fic/fdce/fice with optional ,m: nothing to do for a coherent emulated cache,
    # except the base modification.  fields: b, x, m
    E("fdc", 0x04001280, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1)),
    E("fdce", 0x040012c0, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1)),  # as qemu-hppa
    E("fic", 0x04000280, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1)),
    E("fice", 0x040002c0, 0xfc001fdf, "NOP", R21, R16, ("u", 5, 1)),
    E("mm-privileged", 0x04000000, 0xfc000000, "PRIV"),
    E("diag", 0x14000000, 0xfc000000, "PRIV"),
    # ---- FP (coprocessor 0): xmpyu is integer multiply for gcc; the rest in fpu.py -------
    # XMPYU: r1 single (bits 21-25 + half bit 7), r2 single (16-20 + half bit 12), t double
    E("xmpyu", 0x38004700, 0xfc00ef60, "XMPYU", ("frs", 21, 7), ("frs", 16, 12), R0),
    E("fp", 0x30000000, 0xfc000000, "FPOP", ("u", 0, 26), K(0x0c)),
    E("fp", 0x38000000, 0xfc000000, "FPOP", ("u", 0, 26), K(0x0e)),
    E("fmpyadd", 0x18000000, 0xfc000000, "FPOP", ("u", 0, 26), K(0x06)),
    E("fmpysub", 0x98000000, 0xfc000000, "FPOP", ("u", 0, 26), K(0x26)),
]

# Extractor kind numbers for the jitted decoder.
KINDS = {name: i for i, name in enumerate(
    "none u s lse k im21 w12 w17 cf sed sub sar mx ms scale frw frs sr3".split())}


def _encode_field(spec) -> tuple[int, int, int, int]:
    kind = spec[0]
    args = list(spec[1:]) + [0, 0, 0]
    return KINDS[kind], args[0], args[1], args[2]


def build_arrays():
    """The table as numpy arrays for the jitted decoder (most specific masks first)."""
    rows = sorted(TABLE, key=lambda e: -bin(e.mask).count("1"))
    n = len(rows)
    match = np.array([e.match for e in rows], dtype=np.int64)
    mask = np.array([e.mask for e in rows], dtype=np.int64)
    ops = np.array([OP[e.op] for e in rows], dtype=np.int32)
    fields = np.zeros((n, NFIELDS, 4), dtype=np.int32)
    for i, e in enumerate(rows):
        assert len(e.fields) <= NFIELDS, e
        for j, spec in enumerate(e.fields):
            fields[i, j] = _encode_field(spec)
    return rows, match, mask, ops, fields
