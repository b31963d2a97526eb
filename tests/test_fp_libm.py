"""Floating point and libm guest programs under hppa-user versus qemu-hppa, byte for byte.

tests/guest/fp_printf.c   printf %f %e %g %a (and %La) of edge values; strtod/strtof of hard
                          cases (bits, errno, end); random %.17g / %a / %.9g round trips
tests/guest/fp_convert.c  double/float <-> int32/uint32/int64/uint64 and float <-> double at
                          their limits (NaN, +-Inf, +-0, denormals, 2^31, 2^32, 2^53, 2^63, 2^64)
tests/guest/fp_libm.c     ~60 libm functions over special and random inputs (%a), float and
                          double accumulations
tests/guest/fp_env.c      fesetround modes seen by arithmetic, conversions, rint/lrint/
                          nearbyint and printf; exception flags of each operation; all
                          comparisons ordered/unordered with the INVALID flag they leave
tests/guest/fp_trap.c     feenableexcept + an excepting operation: SIGFPE (status 136), and a
                          SA_SIGINFO handler reporting si_code

Known differences, checked by hand here rather than against the oracle (Linux wins):
  * fp_convert "known-diff" lines: a quiet NaN double whose payload lies only in the 29
    fraction bits a conversion to single drops.  HP's FP emulation (Linux
    arch/parisc/math-emu/fcnvff.c) quiets the empty single fraction, sign kept:
    0x7ff0000000000001 -> 0x7fa00000.  qemu-hppa 7.2 returns an infinity (0x7f800000).
  * fp_trap handler: Linux's si_code for an enabled FP exception is FPE_FLTDIV/FLTINV/
    FLTOVF/FLTUND/FLTRES by the exception; qemu-hppa 7.2 (Debian 12) delivers si_code 0
    (fixed upstream by "target/hppa: Fix SIGFPE si_code", commit b4b49cf39dba).

The guests run in processes forked from this one (tests/inproc.py), so the whole file takes
~30-60 s, most of it building the programs.
"""
from __future__ import annotations

import pytest

import inproc

OPTS4 = ("-O0", "-O1", "-O2", "-Os")
OPTS2 = ("-O0", "-O2")


def compare(ref, got, what: str, ignore_prefix: str | None = None):
    """stdout byte for byte (minus lines starting with ignore_prefix) and the exit status."""
    def keep(out: bytes) -> list[bytes]:
        lines = out.split(b"\n")
        return [l for l in lines if not (ignore_prefix and l.startswith(ignore_prefix.encode()))]
    r, g = keep(ref.stdout), keep(got.stdout)
    if r != g:
        first = next((i for i, (a, b) in enumerate(zip(r, g)) if a != b), min(len(r), len(g)))
        pytest.fail(f"{what}: stdout differs from qemu-hppa at line {first + 1}:\n"
                    f"  qemu: {r[first] if first < len(r) else '<end>'!r}\n"
                    f"  emu : {g[first] if first < len(g) else '<end>'!r}\n"
                    f"emulator: {got.note} {got.stderr.decode(errors='replace')[-1500:]}")
    assert got.returncode == ref.returncode, (what, got.returncode, ref.returncode, got.note)


CASES = [
    ("fp_printf", ("300",), OPTS2, "2.36"),
    ("fp_printf", ("100",), ("-O2",), "2.41"),
    ("fp_libm", ("40",), OPTS2, "2.36"),
    ("fp_libm", ("40",), ("-O2",), "2.41"),
    ("fp_env", (), OPTS4, "2.36"),
    ("fp_env", (), ("-O2",), "2.41"),
]


@pytest.mark.parametrize("prog,args,opt,glibc", [
    pytest.param(p, a, o, g, id=f"{p}{o}{'' if g == '2.36' else '-glibc' + g}")
    for p, a, opts, g in CASES for o in opts])
def test_fp_program_matches_qemu(prog, args, opt, glibc, guest, run_qemu):
    binary = guest(prog, opt=opt, glibc=glibc)
    ref = run_qemu(binary, args)
    assert ref.returncode == 0, ref.stderr.decode(errors="replace")
    if prog == "fp_printf":
        assert b"failures 0" in ref.stdout
    got = inproc.run(binary, args)
    compare(ref, got, f"{prog} {opt}")


KNOWN_D2F = {   # input -> (Linux / HP FP emulation, qemu-hppa 7.2)
    "7ff0000000000001": ("7fa00000", "7f800000"),
    "fff000001fffffff": ("ffa00000", "ff800000"),
}


@pytest.mark.parametrize("opt", OPTS4)
def test_fp_convert_matches_qemu(opt, guest, run_qemu):
    binary = guest("fp_convert", opt=opt)
    ref = run_qemu(binary)
    got = inproc.run(binary)
    compare(ref, got, f"fp_convert {opt}", ignore_prefix="known-diff")
    for out, which in ((got.stdout, 0), (ref.stdout, 1)):
        lines = [l.split() for l in out.decode().splitlines() if l.startswith("known-diff")]
        assert {l[2]: l[4] for l in lines} == {k: v[which] for k, v in KNOWN_D2F.items()}, \
            ("hppa-user" if which == 0 else "qemu-hppa (has it been fixed?)", lines)


@pytest.mark.parametrize("opt", OPTS2)
def test_enabled_divbyzero_kills_with_sigfpe(opt, guest, run_qemu):
    binary = guest("fp_trap", opt=opt)
    ref = run_qemu(binary, ["kill"])
    assert ref.returncode == 136 and ref.stdout == b"previously enabled 0, now 0x8\n"
    got = inproc.run(binary, ["kill"])
    compare(ref, got, "fp_trap kill")
    assert "killed by signal 8" in got.note


SI_CODES = {   # exception -> Linux's si_code (asm-generic/siginfo.h)
    "divbyzero": 3, "float": 3, "overflow": 4, "underflow": 5, "inexact": 6,
    "invalid": 7, "convert": 7, "compare": 7,
}


@pytest.mark.parametrize("exc", sorted(SI_CODES))
def test_sigfpe_handler_si_code(exc, guest, run_qemu):
    binary = guest("fp_trap", opt="-O2")
    ref = run_qemu(binary, ["handler", exc])
    got = inproc.run(binary, ["handler", exc])
    assert got.returncode == ref.returncode == 0, (got, ref)
    r, g = ref.stdout.decode().splitlines(), got.stdout.decode().splitlines()
    assert r[:2] == g[:2] and len(r) == len(g) == 3, (r, g)
    code = SI_CODES[exc]
    assert g[2].startswith(f"handler: signal 8 si_signo 8 si_code {code} (") and \
        g[2].endswith("si_addr nonzero"), g[2]
    # the oracle agrees except for qemu-hppa 7.2's si_code 0
    assert r[2] in (g[2], "handler: signal 8 si_signo 8 si_code 0 (?) si_addr nonzero"), r[2]


def test_masked_exceptions_only_set_flags(guest, run_qemu):
    binary = guest("fp_trap", opt="-O2")
    ref = run_qemu(binary, ["masked"])
    assert ref.returncode == 0 and b"divbyzero  flags 0x08 expected 0x08" in ref.stdout
    compare(ref, inproc.run(binary, ["masked"]), "fp_trap masked")
