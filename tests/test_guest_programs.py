"""Differential tests: real glibc guest programs under hppa-user versus qemu-hppa.

Every program in tests/guest/ (and bench/micro/crc_loop.c) is built static with the Debian
hppa cross gcc at several optimisation levels, run under qemu-hppa (the reference
oracle) and under ``hppa-user run``; stdout and the exit status must agree.  The
oracle's own result is also checked against what the program is known to do (its
exit status, and for some programs the output), so a broken oracle or toolchain
shows up as such and not as an emulator bug.

Sizes are chosen so that no run exceeds ~10 M guest instructions (at -O0; measured
with scripts/qemu_count_insns.sh), which keeps the whole file to a few minutes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import emulator_command, REPO_ROOT, toolchain

OPTS = ("-O0", "-O1", "-O2", "-Os")
TMPDIR = "{tmpdir}"          # placeholder in args: a fresh empty directory per run


@dataclass(frozen=True)
class Case:
    id: str
    program: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    stdin: bytes | None = None
    status: int = 0                       # expected exit status (checked on the oracle too)
    opts: tuple[str, ...] = OPTS
    glibc: tuple[str, ...] = ("2.36",)
    stdout_has: tuple[str, ...] = ()      # substrings the oracle's stdout must contain
    killed: bool = False                  # status is 128+signal: the guest dies of a signal
    args_O0: tuple[str, ...] | None = None  # different args at -O0 (bigger frames)


def _stdin_blob() -> bytes:
    # deterministic, binary-safe, > one pipe buffer
    x, out = 1, bytearray()
    for _ in range(100_000):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out.append(x >> 24)
    return bytes(out)


TEST_ENV = (("HPPA_TEST_VAR", "value with spaces = and = signs"),)

CASES = [
    Case("hello", "hello", stdout_has=("Hello from hppa-user!",)),
    Case("args_env", "args_env", args=("alpha", "two words", "", "x" * 300, "caf\u00e9"),
         env=TEST_ENV, stdout_has=("argc=6", "HPPA_TEST_VAR=value with spaces")),
    Case("exit_42", "args_env", args=("exit", "42"), status=42, opts=("-O2",)),
    Case("exit_255", "args_env", args=("exit", "255"), status=255, opts=("-O2",)),
    Case("exit_256", "args_env", args=("exit", "256"), status=0, opts=("-O2",)),
    Case("return_7", "args_env", args=("return", "7"), status=7, opts=("-O2",)),
    Case("_exit_3", "args_env", args=("_exit", "3"), status=3, opts=("-O2",)),
    Case("stdin_cat", "args_env", args=("cat",), stdin=_stdin_blob(), opts=("-O2",),
         stdout_has=("stdin bytes=100000",)),
    Case("abort", "args_env", args=("abort",), status=128 + 6, killed=True, opts=("-O2",)),
    Case("segv", "args_env", args=("segv",), status=128 + 11, killed=True, opts=("-O2",)),
    Case("printf_fmt", "printf_fmt", stdout_has=("ULLONG_MAX=18446744073709551615",)),
    Case("intarith", "intarith", args=("800",), stdout_has=("failures=0",)),
    Case("strmem", "strmem", args=("80",), stdout_has=("failures 0",)),
    Case("malloc_stress", "malloc_stress", args=("1000",), stdout_has=("failures 0",)),
    Case("qsort", "qsort_test", args=("600",), stdout_has=("failures 0",)),
    Case("setjmp", "setjmp_test", stdout_has=("failures 0",)),
    # 100000 frames of 64 bytes at -O1/-O2/-Os fit Linux's default 8 MiB stack limit;
    # -O0's frames are 128 bytes, so it recurses 50000 deep (real Linux would SIGSEGV at
    # 100000 -- qemu-hppa does not enforce RLIMIT_STACK).
    Case("recursion", "recursion", args=("100000",), args_O0=("50000",), stdout_has=("failures 0",)),
    Case("fileio", "fileio", args=(TMPDIR,), stdout_has=("failures 0",)),
    Case("fp_arith", "fp_arith", args=("200",), stdout_has=("failures 0",)),
    Case("crc_loop", "crc_loop", args=("20000",), opts=("-O0", "-O2"),
         stdout_has=("crc32 of 20000 LCG bytes",)),
    # glibc 2.41 (Debian 13 cross packages): looks up __vdso_clock_gettime64.
    Case("hello", "hello", glibc=("2.41",), opts=("-O2",)),
    Case("args_env", "args_env", args=("alpha", "two words"), env=TEST_ENV, glibc=("2.41",),
         opts=("-O2",)),
    Case("printf_fmt", "printf_fmt", glibc=("2.41",), opts=("-O2",)),
    Case("malloc_stress", "malloc_stress", args=("1000",), glibc=("2.41",), opts=("-O2",)),
    Case("fileio", "fileio", args=(TMPDIR,), glibc=("2.41",), opts=("-O2",)),
    Case("fp_arith", "fp_arith", args=("200",), glibc=("2.41",), opts=("-O2",)),
    Case("abort", "args_env", args=("abort",), status=128 + 6, killed=True, glibc=("2.41",),
         opts=("-O2",)),
]

PARAMS = [
    pytest.param(case, opt, glibc, id=f"{case.id}{opt}{'' if glibc == '2.36' else '-glibc' + glibc}")
    for case in CASES for glibc in case.glibc for opt in case.opts
]


def _args(case: Case, opt: str, tmp_path: Path, runner: str) -> list[str]:
    out = []
    args = case.args_O0 if opt == "-O0" and case.args_O0 is not None else case.args
    for a in args:
        if a == TMPDIR:
            d = tmp_path / runner
            d.mkdir()
            a = str(d)
        out.append(a)
    return out


@pytest.mark.parametrize("case,opt,glibc", PARAMS)
def test_guest_matches_qemu(case: Case, opt: str, glibc: str, guest, run_qemu, run_emu, tmp_path):
    binary = guest(case.program, opt=opt, glibc=glibc)
    env = dict(case.env)

    ref = run_qemu(binary, _args(case, opt, tmp_path, "qemu"), env=env, stdin=case.stdin)
    # The oracle must behave as the program is designed to; otherwise the toolchain,
    # the program or qemu is at fault, not the emulator.
    assert ref.returncode == case.status, (
        f"qemu-hppa reference exited {ref.returncode}, expected {case.status}\n"
        f"stderr: {ref.stderr.decode(errors='replace')}")
    for s in case.stdout_has:
        assert s.encode() in ref.stdout, f"qemu-hppa output lacks {s!r}"

    got = run_emu(binary, _args(case, opt, tmp_path, "emu"), env=env, stdin=case.stdin)
    err = got.stderr.decode(errors="replace")
    if got.stdout != ref.stdout:
        ref_lines = ref.stdout.decode(errors="replace").splitlines()
        got_lines = got.stdout.decode(errors="replace").splitlines()
        first = next((i for i, (a, b) in enumerate(zip(ref_lines, got_lines)) if a != b),
                     min(len(ref_lines), len(got_lines)))
        pytest.fail(
            f"stdout differs from qemu-hppa at line {first + 1} "
            f"(emulator exit {got.returncode}, qemu exit {ref.returncode}):\n"
            f"  qemu: {ref_lines[first] if first < len(ref_lines) else '<end of output>'}\n"
            f"  emu : {got_lines[first] if first < len(got_lines) else '<end of output>'}\n"
            f"emulator stderr (tail):\n{err[-3000:]}")
    assert got.returncode == ref.returncode, (
        f"exit status {got.returncode} != qemu-hppa's {ref.returncode}\nemulator stderr:\n{err[-3000:]}")
    if case.killed:
        # killed by a signal: one line on stderr naming the signal (design contract)
        assert "SIG" in err, "guest killed by a signal but the emulator's stderr does not name it"


# ---------------------------------------------------------------------------------
# Bundled demo binaries (what `make demo` runs; they need no cross toolchain).

EXAMPLES = REPO_ROOT / "hppa_user" / "examples"


def test_bundled_hello_matches_qemu(run_qemu, run_emu):
    binary = EXAMPLES / "hello"
    ref = run_qemu(binary, ["one", "two"])
    assert ref.returncode == 0 and b"Hello, PA-RISC world!" in ref.stdout
    got = run_emu(binary, ["one", "two"])
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.stderr.decode(errors="replace")


def test_bundled_clock_loop(run_qemu, run_emu):
    binary = EXAMPLES / "clock_loop"
    ref = run_qemu(binary, ["2000"])
    assert ref.returncode == 0 and ref.stdout.startswith(b"calls: 2000\n"), ref
    got = run_emu(binary, ["2000"])
    assert got.returncode == 0, got.stderr.decode(errors="replace")
    lines = got.stdout.decode().splitlines()
    assert lines[0] == "calls: 2000"
    m = re.fullmatch(r"elapsed-ns per call: (\d+\.\d)", lines[1])
    assert m and float(m.group(1)) > 0, lines


# ---------------------------------------------------------------------------------
# `--stats-json` contract (the bench harness relies on it).

def test_stats_json_contract(guest, run_emu, tmp_path):
    binary = guest("hello")
    stats_path = tmp_path / "stats.json"
    got = run_emu(binary, [], options=["--stats-json", str(stats_path)])
    assert got.returncode == 0, got.stderr.decode(errors="replace")
    stats = json.loads(stats_path.read_text())
    for key in ("exit_status", "signal", "instructions", "wall_seconds", "kernel_profile",
                "syscalls", "vdso_calls", "lws_calls"):
        assert key in stats, f"--stats-json lacks {key!r}"
    assert stats["exit_status"] == 0
    assert stats["instructions"] > 1000
    assert stats["syscalls"].get("exit_group", 0) == 1
    assert stats["syscalls"].get("write", 0) >= 1


# ---------------------------------------------------------------------------------
# The toolchain itself (no emulator involved).

GLIBC_PROBE = r"""
#include <stdio.h>
#include <gnu/libc-version.h>
int main(void) {
    printf("runtime %s headers %d.%d\n", gnu_get_libc_version(), __GLIBC__, __GLIBC_MINOR__);
    return 0;
}
"""


@pytest.mark.parametrize("glibc", ["2.36", "2.41"])
def test_toolchain_selects_glibc(glibc, guest, run_qemu):
    binary = guest(GLIBC_PROBE, glibc=glibc)
    ref = run_qemu(binary)
    assert ref.returncode == 0, ref.stderr
    assert ref.stdout.decode() == f"runtime {glibc} headers {glibc}\n"
    # static, big-endian 32-bit PA-RISC ELF executable
    head = binary.read_bytes()[:20]
    assert head[:4] == b"\x7fELF" and head[4] == 1 and head[5] == 2      # ELFCLASS32, MSB
    assert int.from_bytes(head[18:20], "big") == 15                        # EM_PARISC


def test_compile_guest_is_cached(tmp_path):
    src = tmp_path / "cached.c"
    src.write_text("int main(void) { return 3; }\n")
    first = toolchain.compile_guest(src, opt="-O1")
    mtime = first.stat().st_mtime_ns
    again = toolchain.compile_guest(src, opt="-O1")
    assert again == first and again.stat().st_mtime_ns == mtime
    assert toolchain.compile_guest(src, opt="-O2") != first            # flags are in the key
    src.write_text("int main(void) { return 4; }\n")
    assert toolchain.compile_guest(src, opt="-O1") != first            # so are the bytes
    copy = toolchain.compile_guest(src, out=tmp_path / "out" / "prog", opt="-O1")
    assert copy == tmp_path / "out" / "prog" and os.access(copy, os.X_OK)


def test_compile_guest_reports_errors(tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("int main(void) { return }\n")
    with pytest.raises(toolchain.ToolchainError, match="guest build failed"):
        toolchain.compile_guest(src)
    with pytest.raises(toolchain.ToolchainError, match="unsupported glibc"):
        toolchain.compile_guest(src, glibc="2.99")


def test_cc_main(tmp_path, run_qemu):
    src = tmp_path / "cc.c"
    src.write_text(GLIBC_PROBE)
    out = tmp_path / "cc-prog"
    assert toolchain.cc_main("2.41", out, [str(src), "-O1", "-Wall"]) == 0
    assert run_qemu(out).stdout == b"runtime 2.41 headers 2.41\n"
    assert toolchain.cc_main("2.36", tmp_path / "bad", [str(tmp_path / "missing.c")]) != 0


def test_cc_cli(tmp_path, run_qemu):
    """`hppa-user cc --glibc 2.41 -o OUT SRC [gcc args]` (cli.py wires it to toolchain.cc_main)."""
    src = tmp_path / "cli.c"
    src.write_text(GLIBC_PROBE)
    out = tmp_path / "cli-prog"
    proc = subprocess.run([*emulator_command(), "cc", "--glibc", "2.41", "-o", str(out), str(src), "-O2"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert run_qemu(out).stdout == b"runtime 2.41 headers 2.41\n"
