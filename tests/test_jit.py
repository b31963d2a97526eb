"""The region compiler (hppa_user/jit.py) against qemu-hppa and the interpreter.

Compiled code must be indistinguishable from interpreted code. These tests run real
glibc programs with a threshold of 2 entries, so nearly every branch target a program
reaches twice is compiled, and compare stdout and exit status with qemu-hppa -- with the
compiler in each of its modes: synchronous (regions installed at once), the same with
nearly every region recompiled optimised (tier 2) at its second entry, asynchronous with a
cold code cache (a forked worker compiles; regions arrive while the program runs) and
asynchronous with the cache warm (the run installs its regions from disk).
They also check the instruction budget stays exact, that self-modifying code is seen,
that --no-jit and the JIT agree on counts, and that a corrupt cache is never executed.
"""
from __future__ import annotations

import json

import pytest

STRESS = ["--jit-threshold", "2"]

# (program, args, expected substring of the oracle's stdout): the corpus programs that
# exercise the most instruction kinds (millicode, carries, shifts, unit conditions, FP
# loads/stores and xmpyu, setjmp's register shuffles, deep call chains)
PROGRAMS = [
    ("intarith", ("100",), "failures=0"),
    ("strmem", ("40",), "failures 0"),
    ("qsort_test", ("300",), "failures 0"),
    ("setjmp_test", (), "failures 0"),
    ("crc_loop", ("20000",), "crc32 of 20000 LCG bytes"),
    ("fp_arith", ("30",), "failures 0"),
    ("printf_fmt", (), "ULLONG_MAX=18446744073709551615"),
    ("recursion", ("20000",), "failures 0"),
    ("jit_smc", (), "total"),
]


def sync_env() -> dict:
    """Compile in the emulator's own process, no code cache: every region is installed."""
    return {"HPPA_USER_JIT_SYNC": "1", "HPPA_USER_CODE_CACHE": "off"}


def run_jit(run_emu, binary, args, env, stats, extra=()):
    got = run_emu(binary, args, env=env, options=[*STRESS, *extra, "--stats-json", str(stats)])
    return got, (json.loads(stats.read_text())["jit"] if stats.exists() else None)


@pytest.mark.parametrize("program,args,marker", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_compiled_program_matches_qemu(program, args, marker, guest, run_qemu, run_emu, tmp_path):
    binary = guest(program, opt="-O2")
    ref = run_qemu(binary, args)
    assert ref.returncode == 0 and marker.encode() in ref.stdout, ref
    cold = {"HPPA_USER_CODE_CACHE": str(tmp_path / "cold")}
    filled = {"HPPA_USER_CODE_CACHE": str(tmp_path / "filled")}
    # sync: quickly compiled regions; sync, tier 2: nearly every region recompiled optimised
    # at its second entry (and kept in the cache the warm run then uses)
    for mode, env in (("async, cold cache", cold), ("sync", sync_env()),
                      ("sync, tier 2", dict(filled, HPPA_USER_JIT_SYNC="1", HPPA_USER_JIT_TIER2="2")),
                      ("async, warm cache", filled)):
        got, jit = run_jit(run_emu, binary, args, env, tmp_path / "stats.json")
        why = f"{mode}: " + got.stderr.decode(errors="replace")[-3000:]
        assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), why
        assert jit["failures"] == 0, (mode, jit)
        if mode.startswith("sync"):
            assert jit["regions"] >= 5, (mode, jit)          # compiled code really ran
        if mode == "sync, tier 2":
            assert jit["optimised"] >= 5, (mode, jit)
        if mode == "async, warm cache":                      # ... and came from the disk
            assert jit["from_cache"] >= 5, (mode, jit)


def test_glibc_241_vdso_path_compiled(guest, run_qemu, run_emu, tmp_path):
    """glibc 2.41 through the vvar vDSO with everything compiled: same output as qemu, and
    each vDSO entry still counted (the counter is bumped by the compiled entry)."""
    binary = guest("clock_gettime", opt="-O2", glibc="2.41")
    ref = run_qemu(binary, ["3000"])
    stats = tmp_path / "stats.json"
    got = run_emu(binary, ["3000"], env=sync_env(), options=[*STRESS, "--stats-json", str(stats)])
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.stderr
    st = json.loads(stats.read_text())
    # one call before the loop and one per iteration (bench/clock_gettime.c)
    assert st["vdso_calls"].get("__vdso_clock_gettime64") == 3001, st["vdso_calls"]
    assert "clock_gettime64" not in st["syscalls"]
    assert st["jit"]["regions"] >= 3


@pytest.mark.parametrize("limit", [1_000, 123_457, 2_000_003])
def test_instruction_budget_exact(limit, guest, run_emu, tmp_path):
    """--max-insns stops at exactly N instructions with compiled regions as without."""
    binary = guest("crc_loop", opt="-O2")
    counts = []
    for opts in (STRESS, ["--no-jit"]):
        stats = tmp_path / "stats.json"
        got = run_emu(binary, ["200000"], env=sync_env(),
                      options=[*opts, "--max-insns", str(limit), "--stats-json", str(stats)])
        assert got.returncode == 128 + 9, got.stderr
        counts.append(json.loads(stats.read_text())["instructions"])
    assert counts == [limit, limit]


def test_same_instruction_count_as_interpreter(guest, run_emu, tmp_path):
    """Compiled code counts every instruction (nullified ones too) like the interpreter."""
    binary = guest("crc_loop", opt="-O0")
    counts = []
    for opts in (STRESS, ["--no-jit"]):
        stats = tmp_path / "stats.json"
        got = run_emu(binary, ["20000"], env=sync_env(), options=[*opts, "--stats-json", str(stats)])
        assert got.returncode == 0, got.stderr
        counts.append(json.loads(stats.read_text())["instructions"])
    assert counts[0] == counts[1]


def test_bad_threshold_is_one_line(run_emu, repo_root):
    got = run_emu(repo_root / "hppa_user" / "examples" / "hello", [],
                  options=["--jit-threshold", "0"])
    assert got.returncode == 2
    assert b"Traceback" not in got.stderr and len(got.stderr.strip().splitlines()) == 1
