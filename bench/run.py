#!/usr/bin/env python3
"""Benchmark harness: guest programs under ``hppa-user run`` versus ``qemu-hppa``.

    bench/run.py [options] [SPEC ...]

SPEC is ``NAME[@GLIBC][:ARG,ARG...]`` -- NAME is ``bench/NAME.c`` (or a path to a .c
file), GLIBC is 2.36 (default) or 2.41, ARGS are the guest's arguments.  Without
specs, the default set (DEFAULT_SPECS) runs.  Each program is built static with
``bench.toolchain.compile_guest`` (cached), then run ``--repeat`` times under both
runners; the best wall time of each is reported.

Columns:
  qemu s      wall time of ``qemu-hppa PROGRAM`` (process)
  emu s       wall time of ``hppa-user run PROGRAM`` (process: Python start-up and
              loading the cached Numba core included)
  loop s      the emulator's own ``wall_seconds`` from ``--stats-json``
  insns       guest instructions (``instructions`` from ``--stats-json``)
  MIPS        insns / loop s (emulator); qemu MIPS = insns / qemu s
  ratio       emu s / qemu s (how many times slower than qemu-hppa)
  out         whether stdout and exit status agree with qemu-hppa

``--json PATH`` also writes all measurements as JSON.  Extra ``hppa-user run``
options (e.g. ``--kernel 6.11``) go in ``--emu-arg`` (repeatable).  Each program runs
under the emulator twice, with compiled regions (``jit``, the default) and interpreted
only (``--no-jit``); ``--modes jit`` or ``--modes interp`` keeps one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import toolchain  # noqa: E402

# name@glibc:args -- sized for a few seconds each under the emulator
DEFAULT_SPECS = [
    "crc_loop:2000000",
    "fp_loop:50000",
    "clock_gettime:200000",
    "clock_gettime@2.41:200000",
]


@dataclass
class Spec:
    name: str
    source: Path
    glibc: str = "2.36"
    args: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        g = "" if self.glibc == "2.36" else f"@{self.glibc}"
        return f"{self.name}{g} {' '.join(self.args)}".strip()


@dataclass
class Result:
    label: str
    binary: str
    qemu_seconds: float | None = None
    emu_seconds: float | None = None
    loop_seconds: float | None = None
    instructions: int | None = None
    emu_mips: float | None = None
    qemu_mips: float | None = None
    ratio: float | None = None
    outputs_match: bool | None = None
    emu_status: int | None = None
    qemu_status: int | None = None
    stats: dict | None = None
    error: str | None = None


def parse_spec(text: str) -> Spec:
    name, _, args = text.partition(":")
    name, _, glibc = name.partition("@")
    src = Path(name)
    if not src.suffix:
        src = BENCH_DIR / f"{name}.c"
    elif not src.is_absolute() and not src.exists():
        src = BENCH_DIR / src
    if not src.is_file():
        raise SystemExit(f"bench: no such program: {src}")
    return Spec(src.stem, src, glibc or "2.36", [a for a in args.split(",") if a] if args else [])


def emulator_command() -> list[str]:
    exe = Path(sys.executable).parent / "hppa-user"
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("hppa-user")
    if found:
        return [found]
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); import cli; cli.app()"]


def timed(cmd: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout)
    return time.perf_counter() - t0, proc


def status_of(proc: subprocess.CompletedProcess) -> int:
    return 128 - proc.returncode if proc.returncode < 0 else proc.returncode


def bench_one(spec: Spec, opt: str, repeat: int, emu_args: list[str], timeout: float,
              skip_qemu: bool = False) -> Result:
    binary = toolchain.compile_guest(spec.source, opt=opt, glibc=spec.glibc, extra=["-lm"])
    res = Result(spec.label, str(binary))
    qemu_out = None
    if not skip_qemu:
        best = None
        for _ in range(repeat):
            dt, proc = timed([toolchain.qemu_hppa(), str(binary), *spec.args], timeout)
            best = dt if best is None else min(best, dt)
            qemu_out = (status_of(proc), proc.stdout)
        res.qemu_seconds = best
        res.qemu_status = qemu_out[0]
    with tempfile.TemporaryDirectory(prefix="hppa-bench-") as tmp:
        stats_path = Path(tmp) / "stats.json"
        best = None
        for _ in range(repeat):
            cmd = [*emulator_command(), "run", "--stats-json", str(stats_path), *emu_args,
                   str(binary), *spec.args]
            try:
                dt, proc = timed(cmd, timeout)
            except subprocess.TimeoutExpired:
                res.error = f"emulator timed out after {timeout:.0f}s"
                return res
            res.emu_status = status_of(proc)
            if proc.returncode != 0 and not stats_path.exists():
                res.error = f"emulator failed (exit {proc.returncode}): " + \
                    proc.stderr.decode(errors="replace").strip()[-300:]
                return res
            if best is None or dt < best:
                best = dt
                try:
                    res.stats = json.loads(stats_path.read_text())
                except (OSError, ValueError) as exc:
                    res.error = f"bad --stats-json output: {exc}"
            if qemu_out is not None:
                res.outputs_match = (res.emu_status, proc.stdout) == qemu_out
        res.emu_seconds = best
    st = res.stats or {}
    res.instructions = st.get("instructions")
    res.loop_seconds = st.get("wall_seconds")
    if res.instructions and res.loop_seconds:
        res.emu_mips = res.instructions / res.loop_seconds / 1e6
    if res.instructions and res.qemu_seconds:
        res.qemu_mips = res.instructions / res.qemu_seconds / 1e6
    if res.emu_seconds and res.qemu_seconds:
        res.ratio = res.emu_seconds / res.qemu_seconds
    return res


def fmt(v, spec: str, width: int) -> str:
    return f"{'-':>{width}}" if v is None else f"{v:>{width}{spec}}"


def print_table(results: list[Result], out=sys.stdout) -> None:
    w = max([len(r.label) for r in results] + [7])
    print(f"{'program':<{w}}  {'qemu s':>8}  {'emu s':>8}  {'loop s':>8}  {'insns':>12}  "
          f"{'MIPS':>7}  {'qemuMIPS':>8}  {'ratio':>7}  out", file=out)
    for r in results:
        match = "-" if r.outputs_match is None else ("ok" if r.outputs_match else "DIFF")
        print(f"{r.label:<{w}}  {fmt(r.qemu_seconds, '.3f', 8)}  {fmt(r.emu_seconds, '.3f', 8)}  "
              f"{fmt(r.loop_seconds, '.3f', 8)}  {fmt(r.instructions, 'd', 12)}  "
              f"{fmt(r.emu_mips, '.1f', 7)}  {fmt(r.qemu_mips, '.1f', 8)}  {fmt(r.ratio, '.1f', 7)}  {match}",
              file=out)
        if r.error:
            print(f"{'':<{w}}  error: {r.error}", file=out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("specs", nargs="*", help="NAME[@GLIBC][:ARG,ARG...] (default: %s)" % " ".join(DEFAULT_SPECS))
    ap.add_argument("--opt", default="-O2", help="optimisation flags for the guest build (default -O2)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per program and runner; best is kept")
    ap.add_argument("--emu-arg", action="append", default=[], help="extra `hppa-user run` option")
    ap.add_argument("--timeout", type=float, default=900.0, help="per-run timeout in seconds")
    ap.add_argument("--no-qemu", action="store_true", help="skip the qemu-hppa runs")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed emulator warm-up run")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--modes", default="jit,interp",
                    help="emulator modes: jit (default run), interp (--no-jit); default both")
    ns = ap.parse_args(argv)

    specs = [parse_spec(s) for s in (ns.specs or DEFAULT_SPECS)]
    emu_args = [a for arg in ns.emu_arg for a in arg.split()]
    if not ns.no_warmup:
        # Compile/load the Numba core once so the first timed run is not penalised.
        hello = REPO_ROOT / "hppa_user" / "examples" / "hello"
        subprocess.run([*emulator_command(), "run", str(hello)], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=ns.timeout)
    results = []
    modes = [m.strip() for m in ns.modes.split(",") if m.strip()]
    for spec in specs:
        for mode in modes:
            print(f"bench: {spec.label} [{mode}] ...", file=sys.stderr, flush=True)
            args = emu_args + (["--no-jit"] if mode == "interp" else [])
            try:
                r = bench_one(spec, ns.opt, max(1, ns.repeat), args, ns.timeout, ns.no_qemu)
            except toolchain.ToolchainError as exc:
                r = Result(spec.label, "", error=str(exc))
            r.label = f"{r.label} [{mode}]"
            results.append(r)
    print_table(results)
    if ns.json:
        ns.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 1 if any(r.error or r.outputs_match is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
