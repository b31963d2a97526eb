#!/usr/bin/env python3
"""How many instructions glibc's dynamic start-up spends in ld.so.1, per glibc and profile.

Builds examples/hello.c dynamically for each glibc, runs it under every kernel profile with
``hppa-user run --trace=FILE`` and attributes each executed instruction by address. exec
places ld.so.1 at the top of the mmap area (below the stack reservation at 0xff700000)
and the vDSO below it, so the ranges follow from the files; the program's own range comes
from its program headers. Printed per run: instructions until the program's entry point
(all of them ld.so.1's, apart from the gateway page: rtld's start-up, relocation of libc,
TLS, the vDSO link map), instructions in ld.so.1 over the whole run (adds lazy binding and
exit-time work), and the run's total.

Usage: .venv/bin/python scripts/ldso_insns.py [--glibc 2.36,2.41] [--kernel none,5.18,6.11,vvar]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import toolchain  # noqa: E402

STACK_BASE = 0xFFF00000 - (8 << 20)


def load_span(path) -> tuple[int, int, int]:
    """(first page, end, e_entry) of an ELF file's PT_LOAD segments, unrelocated."""
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        loads = [s.header for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        entry = elf.header["e_entry"]
    first = loads[0]["p_vaddr"] & ~0xFFF
    end = max(s["p_vaddr"] + s["p_memsz"] for s in loads)
    return first, (end + 0xFFF) & ~0xFFF, entry


def measure(binary: Path, glibc: str, profile: str) -> tuple[int, int, int]:
    lo, hi, _ = load_span(toolchain.runtime_root(glibc) / "lib" / "ld.so.1")
    ld_lo = STACK_BASE - (hi - lo)
    _, _, entry = load_span(binary)
    hppa_user = Path(sys.executable).parent / "hppa-user"
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace.txt"
        subprocess.run([str(hppa_user), "run", f"--trace={trace}", "--kernel", profile,
                        str(binary)], check=True, stdout=subprocess.DEVNULL)
        before_entry = in_ldso = total = 0
        reached = False
        with open(trace) as fh:
            for line in fh:
                head = line.split(":", 1)[0]
                try:
                    pc = int(head, 16)
                except ValueError:
                    continue                      # a gateway or signal annotation line
                total += 1
                if pc == entry:
                    reached = True
                if not reached:
                    before_entry += 1
                if ld_lo <= pc < STACK_BASE:
                    in_ldso += 1
    return before_entry, in_ldso, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--glibc", default=",".join(toolchain.GLIBC_VERSIONS))
    ap.add_argument("--kernel", default="none,5.18,6.11,vvar")
    a = ap.parse_args()
    print(f"{'glibc':6} {'profile':7} {'to entry':>10} {'in ld.so.1':>11} {'total':>9}")
    for glibc in a.glibc.split(","):
        binary = toolchain.compile_guest(ROOT / "examples" / "hello.c", glibc=glibc, dynamic=True)
        for profile in a.kernel.split(","):
            b, ld, t = measure(binary, glibc, profile)
            print(f"{glibc:6} {profile:7} {b:10d} {ld:11d} {t:9d}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
