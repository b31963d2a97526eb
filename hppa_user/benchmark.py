"""``hppa-user bench``: what a clock_gettime costs as a syscall and through each vDSO.

Runs the bundled guest programs (no cross toolchain needed) under every kernel profile
and under qemu-hppa in the same run:

  clock_loop       glibc 2.36: clock_gettime is always a syscall (2.36 has no hppa vDSO use)
  clock_loop_241   glibc 2.41: calls __vdso_clock_gettime64 when the vDSO exports it
  getpid_loop      the bare syscall round trip (syscall(SYS_getpid))

Each program measures itself with CLOCK_MONOTONIC and prints nanoseconds per call; the
numbers are host nanoseconds (guest time = host time unless --clock virtual). The clock
loops first make N/4 untimed calls, then time N calls in 10 batches and report the best
batch: the steady state, with the hot path compiled to native code (jit.py) in hppa-user
and translated in qemu-hppa, and no batch spoilt by a compile or the host's other work. The vvar path is
also measured interpreted only (--no-jit), to show what the compiler adds.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
PROFILES = ("none", "5.18", "6.11", "vvar")
_NS = re.compile(rb"(?:elapsed-ns per call|guest-measured): ([0-9.]+)")


@dataclass
class Row:
    what: str
    runner: str
    ns_per_call: float
    path: str            # what the call did: syscalls / vDSO entries per call


def _ns(out: bytes) -> float:
    m = _NS.search(out)
    return float(m.group(1)) if m else float("nan")


def run_emu(binary: Path, n: int, profile: str, options=()) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as d:
        stats = os.path.join(d, "stats.json")
        cmd = [sys.executable, "-c", "import cli; cli.app()", "run", "--kernel", profile,
               *options, "--stats-json", stats, str(binary), str(n)]
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
        p = subprocess.run(cmd, capture_output=True, env=env)
        st = json.load(open(stats)) if os.path.exists(stats) else {}
    return _ns(p.stdout + p.stderr), st


def run_qemu(binary: Path, n: int) -> float:
    qemu = shutil.which("qemu-hppa")
    if not qemu:
        return float("nan")
    p = subprocess.run([qemu, str(binary), str(n)], capture_output=True)
    return _ns(p.stdout + p.stderr)


def clock_loop_calls(n: int) -> int:
    """clock_gettime calls made by examples/clock_loop.c for N: warm-up, start, loop."""
    return n // 4 + 1 + n


def describe_path(st: dict, n: int) -> str:
    sc = sum(v for k, v in st.get("syscalls", {}).items()
             if k in ("clock_gettime", "clock_gettime64", "getpid"))
    vd = sum(st.get("vdso_calls", {}).values())
    return f"{sc / n:.2f} syscalls + {vd / n:.2f} vDSO calls per call"


def bench(n_clock: int = 2_000_000, n_syscall: int = 20_000, profiles=PROFILES, qemu: bool = True):
    rows: list[Row] = []
    for profile in profiles:
        ns, st = run_emu(EXAMPLES / "clock_loop", n_syscall, profile)
        rows.append(Row("clock_gettime, glibc 2.36", f"hppa-user --kernel {profile}", ns,
                        describe_path(st, clock_loop_calls(n_syscall))))
    for profile in profiles:
        n = n_clock if profile == "vvar" else n_syscall
        ns, st = run_emu(EXAMPLES / "clock_loop_241", n, profile)
        rows.append(Row("clock_gettime, glibc 2.41", f"hppa-user --kernel {profile}", ns,
                        describe_path(st, clock_loop_calls(n))))
    n = max(1, n_clock // 10)
    ns, st = run_emu(EXAMPLES / "clock_loop_241", n, "vvar", ["--no-jit"])
    rows.append(Row("clock_gettime, glibc 2.41", "hppa-user --kernel vvar --no-jit", ns,
                    describe_path(st, clock_loop_calls(n))))
    ns, st = run_emu(EXAMPLES / "getpid_loop", n_syscall, "vvar")
    rows.append(Row("getpid (syscall round trip)", "hppa-user", ns, describe_path(st, n_syscall)))
    if qemu:
        rows.append(Row("clock_gettime, glibc 2.36", "qemu-hppa", run_qemu(EXAMPLES / "clock_loop", n_clock), "syscall"))
        rows.append(Row("clock_gettime, glibc 2.41", "qemu-hppa", run_qemu(EXAMPLES / "clock_loop_241", n_clock),
                        "syscall (qemu's vDSO exports nothing)"))
        rows.append(Row("getpid (syscall round trip)", "qemu-hppa", run_qemu(EXAMPLES / "getpid_loop", n_clock), "syscall"))
    return rows


def report(rows: list[Row]) -> str:
    lines = [f"{'call':30} {'runner':26} {'ns/call':>10}  path", "-" * 100]
    for r in rows:
        lines.append(f"{r.what:30} {r.runner:26} {r.ns_per_call:10.1f}  {r.path}")
    by = {(r.what, r.runner): r.ns_per_call for r in rows}
    vv = by.get(("clock_gettime, glibc 2.41", "hppa-user --kernel vvar"))
    sc = by.get(("clock_gettime, glibc 2.41", "hppa-user --kernel none"))
    t611 = by.get(("clock_gettime, glibc 2.41", "hppa-user --kernel 6.11"))
    q = by.get(("clock_gettime, glibc 2.41", "qemu-hppa"))
    lines.append("")
    if vv and sc:
        lines.append(f"vvar vDSO vs syscall (hppa-user): {sc / vv:.1f}x cheaper")
    if vv and t611:
        lines.append(f"vvar vDSO vs 6.11 vDSO (a syscall inside): {t611 / vv:.1f}x cheaper")
    if vv and q:
        lines.append(f"vvar vDSO (hppa-user) vs qemu-hppa's syscall: {vv / q:.2f}x the time"
                     + (" (faster)" if vv < q else ""))
    interp = by.get(("clock_gettime, glibc 2.41", "hppa-user --kernel vvar --no-jit"))
    if vv and interp:
        lines.append(f"vvar vDSO compiled vs interpreted (--no-jit): {interp / vv:.1f}x cheaper")
    return "\n".join(lines)
