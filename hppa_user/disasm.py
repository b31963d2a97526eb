"""Disassembler: GNU objdump's hppa spelling, generated from the encoding table.

There is no second decoder here. Every word goes through ``decode.Table.decode`` (the same
jitted table-driven decoder the core uses); the matching row supplies the mnemonic
(``Enc.name``) and an operand template (``Enc.syntax``) that this module expands with the
row's decoded fields and, where objdump's spelling depends on bits the core does not need
(cache hints, space registers, FP formats and L/R halves, ...), with raw bits of the word.
A line is ``name + expanded syntax``; a word no row matches prints as objdump prints a word
it does not know, ``#%8x``.  Branch targets are printed as objdump prints them, without its
`` <symbol+offset>`` annotation.  tests/test_disasm.py compares the output with
``hppa-linux-gnu-objdump -d`` over whole glibc programs.

Template language (``Enc.syntax``): literal text with ``{FMT:SRC}`` or ``{FMT:SRC:ARG}``
tokens.  SRC is a decoded field number (``0``..``6``, the row's ``fields`` order) or raw
bits of the word: ``wS.N`` = (word >> S) & (2**N - 1), optionally ``<<K``, several terms
OR-ed together with ``+`` (``w13.1<<1+w5.1`` concatenates bit 13 above bit 5).
FMT:
    r     general register name (objdump's: r0 r1 rp r3 .. r26 dp ret0 ret1 sp r31)
    x     signed hex constant, objdump's fput_const (``-1c``)
    xl    raw bits read as a PA low-sign-extended number, then as ``x``
    x16   bits 0-15 read as a PA 2.0 wide 16-bit displacement, then as ``x``
    d     decimal
    m     ARG - value, decimal (shift counts encoded as 31-p)
    h8    ``%8x`` (objdump's spelling of a word it does not know: ``#`` + h8)
    c     condition completer; ARG names the table (cmp add addb log unit); SRC is a
          decoded ``(c << 1) | f`` condition field
    n     ``,n`` if the value is non-zero
    t     branch target: address + 8 + displacement, hex
    cr    control register name;  sr  ``sr<n>``;  sp  ``sr<n>,`` unless n is 0
    fr    FP register name (0..31);  frh  FP single half, value 2 * reg + right
    p     pick: ARG is ``alt0|alt1|...`` indexed by the value (``""`` past the end),
          or ``@name`` for a named list below
    fcnv  PA 2.0 fcnv format completers from bits 11..17 (sf, df, sub)
"""
from __future__ import annotations

import io
import re
from functools import lru_cache

from hppa_user.decode import Table
from hppa_user.errors import LoaderError
from hppa_user.loader import EM_PARISC, read_program

GR = ["r0", "r1", "rp"] + [f"r{i}" for i in range(3, 27)] + ["dp", "ret0", "ret1", "sp", "r31"]
CR = ["rctr", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7", "pidr1", "pidr2", "ccr", "sar",
      "pidr3", "pidr4", "iva", "eiem", "itmr", "pcsq", "pcoq", "iir", "isr", "ior", "ipsw",
      "eirr", "tr0", "tr1", "tr2", "tr3", "tr4", "tr5", "tr6", "tr7"]
FR = ["fr0", "fpe2", "fpe4", "fpe6"] + [f"fr{i}" for i in range(4, 32)]

# Condition completers indexed by c + 8 * f (objdump's tables; objdump prints its NULL
# entries, the logical conditions that do not exist, as "(null)").
_NULL = "(null)"
CONDS = {
    "cmp": ["", ",=", ",<", ",<=", ",<<", ",<<=", ",sv", ",od",
            ",tr", ",<>", ",>=", ",>", ",>>=", ",>>", ",nsv", ",ev"],
    "add": ["", ",=", ",<", ",<=", ",nuv", ",znv", ",sv", ",od",
            ",tr", ",<>", ",>=", ",>", ",uv", ",vnz", ",nsv", ",ev"],
    "addb": ["", ",=", ",<", ",<=", ",nuv", ",*=", ",*<", ",*<=",
             ",tr", ",<>", ",>=", ",>", ",uv", ",*<>", ",*>=", ",*>"],
    "log": ["", ",=", ",<", ",<=", _NULL, _NULL, _NULL, ",od",
            ",tr", ",<>", ",>=", ",>", _NULL, _NULL, _NULL, ",ev"],
    "unit": ["", ",swz", ",sbz", ",shz", ",sdc", ",swc", ",sbc", ",shc",
             ",tr", ",nwz", ",nbz", ",nhz", ",ndc", ",nwc", ",nbc", ",nhc"],
}

PICKS = {
    "fmt": [",sgl", ",dbl", "", ",quad"],
    "fcmp": [",false?", ",false", ",?", ",!<=>", ",=", ",=t", ",?=", ",!<>",
             ",!?>=", ",<", ",?<", ",!>=", ",!?>", ",<=", ",?<=", ",!>",
             ",!?<=", ",>", ",?>", ",!<=", ",!?<", ",>=", ",?>=", ",!<",
             ",!?=", ",<>", ",!=", ",!=t", ",!?", ",<=>", ",true?", ",true"],
    # index, short and store-bytes completers (bit 13 = u/a/e above bit 5 = m)
    "idx": ["", ",m", ",s", ",sm"],
    "bytes": ["", ",b,m", ",e", ",e,m"],
    "hint": ["", ",bc", ",sl", ""],       # load/store cache hints (bits 10-11)
    "ftest": ["", "acc ", "rej ", "", "", "acc8 ", "rej8 ", "", "", "acc6 ", "", "", "",
              "acc4 ", "", "", "", "acc2 "],
}
_FIXED = [",w", ",dw", "", ",qw"]
_UFIXED = [",uw", ",udw", "", ",uqw"]


def _const(v: int) -> str:
    return f"-{-v:x}" if v < 0 else f"{v:x}"


def _lse(v: int, n: int) -> int:
    return (v >> 1) - ((v & 1) << (n - 1))


def _wide16(w: int) -> int:
    """PA 2.0 wide-mode 16-bit displacement (objdump's extract_16)."""
    m0, m1, m15 = (w >> 15) & 1, (w >> 14) & 1, w & 1
    v = ((w >> 1) & 0x1FFF) | m15 << 15 | (m15 ^ m0) << 14 | (m15 ^ m1) << 13
    return v - 0x10000 if v & 0x8000 else v


def _fcnv(v: int) -> str:
    sf, df, sub = v & 3, (v >> 2) & 3, (v >> 4) & 7
    if sub == 4:
        return ",UND"
    src = dst = PICKS["fmt"]
    if sub & 3 == 1:
        src = _UFIXED if sub & 4 else _FIXED
    if sub & 2:
        dst = _UFIXED if sub & 4 else _FIXED
    return (",t" if sub & 3 == 3 else "") + src[sf] + dst[df]


_TOKEN = re.compile(r"\{([^{}]*)\}")
_TERM = re.compile(r"w(\d+)\.(\d+)(?:<<(\d+))?$")


def _parse_src(src: str):
    """A field number, or a tuple of raw (shift, width, left-shift) terms."""
    if src.isdigit():
        return int(src)
    terms = []
    for t in src.split("+"):
        m = _TERM.match(t)
        if not m:
            raise ValueError(f"bad source {src!r}")
        terms.append((int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)))
    return tuple(terms)


_FMTS = {"r", "x", "xl", "x16", "d", "m", "h8", "c", "n", "t", "cr", "sr", "sp", "fr", "frh", "p", "fcnv"}


@lru_cache(maxsize=None)
def compile_syntax(syntax: str):
    """Split a template into literal strings and (fmt, src, arg) tokens; validate it."""
    out = []
    pos = 0
    for m in _TOKEN.finditer(syntax):
        if m.start() > pos:
            out.append(syntax[pos:m.start()])
        parts = m.group(1).split(":", 2)
        if len(parts) < 2 or parts[0] not in _FMTS:
            raise ValueError(f"bad token {m.group(0)!r} in {syntax!r}")
        fmt, src = parts[0], _parse_src(parts[1])
        arg = parts[2] if len(parts) > 2 else ""
        if fmt == "p":
            arg = PICKS[arg[1:]] if arg.startswith("@") else arg.split("|")
        elif fmt == "c":
            arg = CONDS[arg]
        elif fmt == "m":
            arg = int(arg)
        out.append((fmt, src, arg))
        pos = m.end()
    if pos < len(syntax):
        out.append(syntax[pos:])
    return tuple(out)


def _value(src, word: int, rec) -> tuple[int, int]:
    """(value, width in bits; 0 for a decoded field)."""
    if isinstance(src, int):
        return int(rec[1 + src]), 0
    v = 0
    width = 0
    for sh, n, left in src:
        v |= ((word >> sh) & ((1 << n) - 1)) << left
        width = max(width, n + left)
    return v, width


def render(syntax: str, word: int, rec, addr: int) -> str:
    """Expand a row's template for one decoded word."""
    parts = []
    for item in compile_syntax(syntax):
        if isinstance(item, str):
            parts.append(item)
            continue
        fmt, src, arg = item
        v, width = _value(src, word, rec)
        if fmt == "r":
            parts.append(GR[v & 31])
        elif fmt == "x":
            parts.append(_const(v))
        elif fmt == "xl":
            parts.append(_const(_lse(v, width)))
        elif fmt == "x16":
            parts.append(_const(_wide16(v)))
        elif fmt == "d":
            parts.append(str(v))
        elif fmt == "m":
            parts.append(str(arg - v))
        elif fmt == "h8":
            parts.append(f"{v & 0xFFFFFFFF:8x}")
        elif fmt == "c":
            parts.append(arg[(v >> 1) + 8 * (v & 1)])
        elif fmt == "n":
            parts.append(",n" if v else "")
        elif fmt == "t":
            parts.append(f"{(addr + 8 + v) & 0xFFFFFFFF:x}")
        elif fmt == "cr":
            parts.append(CR[v & 31])
        elif fmt == "sr":
            parts.append(f"sr{v}")
        elif fmt == "sp":
            parts.append(f"sr{v}," if v else "")
        elif fmt == "fr":
            parts.append(FR[v & 31])
        elif fmt == "frh":
            reg = (v >> 1) & 31
            if v & 1:
                parts.append(f"fpe{reg * 2 + 1}" if reg < 4 else f"{FR[reg]}R")
            else:
                parts.append(FR[reg])
        elif fmt == "p":
            parts.append(arg[v] if 0 <= v < len(arg) else "")
        elif fmt == "fcnv":
            parts.append(_fcnv(v))
    return "".join(parts)


def unknown(word: int) -> str:
    """objdump's spelling of a word no opcode matches."""
    return f"#{word & 0xFFFFFFFF:8x}"


def disassemble_word(word: int, addr: int = 0) -> str:
    """One instruction word as objdump spells it (branch targets without ``<symbol>``)."""
    word &= 0xFFFFFFFF
    row, rec = Table.get().decode(word)
    if row is None:
        return unknown(word)
    return row.name + render(row.syntax, word, rec, addr)


def disassemble_bytes(data: bytes, addr: int = 0):
    """(address, text) for every whole big-endian word of ``data`` loaded at ``addr``."""
    for off in range(0, len(data) - 3, 4):
        yield addr + off, disassemble_word(int.from_bytes(data[off:off + 4], "big"), addr + off)


def executable_sections(path: str) -> list[tuple[str, int, bytes]]:
    """[(name, address, bytes)] of the SHF_EXECINSTR sections of a PA-RISC ELF file;
    LoaderError (one line) for anything else."""
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    data = read_program(path)
    if len(data) < 4 or data[:4] != b"\x7fELF":
        raise LoaderError("not an ELF file")
    if len(data) < 52:
        raise LoaderError("truncated ELF header")
    if data[4] != 1 or data[5] != 2:
        raise LoaderError("not a 32-bit big-endian ELF file")
    machine = int.from_bytes(data[18:20], "big")
    if machine != EM_PARISC:
        raise LoaderError(f"not a PA-RISC ELF file (e_machine {machine})")
    try:
        out = []
        for sec in ELFFile(io.BytesIO(data)).iter_sections():
            if sec["sh_type"] == "SHT_NOBITS" or not sec["sh_flags"] & SH_FLAGS.SHF_EXECINSTR:
                continue
            off, size = sec["sh_offset"], sec["sh_size"]
            if off + size > len(data):
                raise LoaderError(f"truncated file: section {sec.name or '?'} extends past its end")
            out.append((sec.name, sec["sh_addr"], data[off:off + size]))
        return out
    except LoaderError:
        raise
    except Exception as e:  # pyelftools raises assorted errors on hostile input
        raise LoaderError(f"malformed ELF file ({e.__class__.__name__})") from None


def disassemble_file(path: str):
    """Yield ``"<hex address>:\\t<text>"`` for every word of each executable section."""
    for _name, addr, data in executable_sections(path):
        for a, text in disassemble_bytes(data, addr):
            yield f"{a:x}:\t{text}"
