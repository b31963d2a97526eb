#!/usr/bin/env python3
"""Write hppa_user/interp_pairs.py: the pairs of consecutive instructions the interpreter
runs with one arm (coregen.ArmGen.arm, a *pair arm*: one dispatch instead of two).

The pairs are chosen from code nobody here wrote and no benchmark runs: every executable
section of the cross toolchain's static glibc (libc.a), decoded word by word into micro-op
variants (decode.Table, as the core decodes), and the most frequent consecutive pairs of
variants taken.  Static frequency in compiled C stands in for dynamic frequency: the same
loads, stores, address arithmetic and compares around branches that compilers emit
everywhere.  (Measured on the make bench programs, which link glibc statically but spend
their time in their own code: the first 192 pairs cover 44 % of bzip2's instructions, 60 %
of bc's and 73 % of Jim Tcl's test suite's as a pair's first instruction.)

Usage: .venv/bin/python scripts/interpreter_pairs.py [--count 192] [--libc PATH]
"""
from __future__ import annotations

import argparse
import collections
import io
import sys
from pathlib import Path

from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hppa_user import encoding as enc  # noqa: E402
from hppa_user.decode import Table  # noqa: E402

LIBC = Path("/usr/hppa-linux-gnu/lib/libc.a")
OUT = ROOT / "hppa_user" / "interp_pairs.py"
SHF_EXECINSTR = 4


def members(archive: bytes):
    """The members of a System V ``ar`` archive (name, bytes)."""
    if archive[:8] != b"!<arch>\n":
        raise SystemExit("not an ar archive")
    at = 8
    while at + 60 <= len(archive):
        head = archive[at:at + 60]
        size = int(head[48:58])
        yield head[:16].decode().strip(), archive[at + 60:at + 60 + size]
        at += 60 + size + (size & 1)


def pair_counts(libc: Path) -> collections.Counter:
    table = Table.get()
    counts: collections.Counter = collections.Counter()
    for name, data in members(libc.read_bytes()):
        if not data.startswith(b"\x7fELF"):
            continue                                   # (the symbol index)
        elf = ELFFile(io.BytesIO(data))
        for sec in elf.iter_sections():
            if sec["sh_type"] != "SHT_PROGBITS" or not sec["sh_flags"] & SHF_EXECINSTR:
                continue
            text = sec.data()
            variants = [table.record(int.from_bytes(text[i:i + 4], "big"))[0]
                        for i in range(0, len(text) - 3, 4)]
            counts.update(zip(variants, variants[1:]))
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=192)
    ap.add_argument("--libc", type=Path, default=LIBC)
    args = ap.parse_args()
    if not args.libc.exists():
        raise SystemExit(f"{args.libc}: not found (make toolchain installs it)")
    counts = pair_counts(args.libc)
    total = sum(counts.values())
    chosen = counts.most_common(args.count)
    rows = "\n".join(f"    ({a}, {enc.VARIANTS[a - 1][0]!r}, {b}, {enc.VARIANTS[b - 1][0]!r}),"
                     f"  # {n}" for (a, b), n in chosen)
    OUT.write_text(f'''"""The interpreter's pair arms (coregen.ArmGen.arm): (variant, its name, the next
instruction's variant, its name).  Written by scripts/interpreter_pairs.py: the {len(chosen)}
commonest pairs of consecutive instructions in the cross toolchain's static glibc
(libc.a), {sum(n for _p, n in chosen) * 100 // total} % of its {total} pairs (each row: how many).
The names guard the numbers: the core's generator checks them against encoding.VARIANTS.
"""

INTERPRETER_PAIRS = (
{rows}
)
''')
    print(f"{OUT.relative_to(ROOT)}: {len(chosen)} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
