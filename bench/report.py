"""``hppa-user bench``: what each time function costs, per path and runner.

Functions: clock_gettime per clock (REALTIME, MONOTONIC, the two COARSE clocks, and
PROCESS_CPUTIME, which no vDSO serves: it must fall back to the syscall), gettimeofday,
time, clock_getres, getcpu; and for scale, on the raw syscall path only, three syscalls
no vDSO serves: getpid (the round trip alone), a 1-byte read of /dev/zero and a 1-byte
write to /dev/null (with the host's syscall behind them).  Paths: the raw syscall, glibc
2.36 (no vDSO use on hppa), glibc 2.41 under the 6.11 profile (vDSO functions that trap)
and the vvar profile (data page + %cr16, no trap); under qemu, glibc 2.41 meets qemu's
own vDSO (none in 7.2).
Runners: hppa-user, hppa-user --no-jit, qemu-hppa 7.2, qemu-hppa 10 when fetched.

Per row:
  ns_per_call           host nanoseconds, timed inside the guest by bench/micro/vdso_calls.c:
                        CALLS/4 untimed calls, then the best of BATCHES timed batches --
                        the same binary, CALLS and BATCHES under every runner
  guest_insns_per_call  (I(CALLS) - I(0)) / calls, I = guest instructions of the whole run
                        with CALLS and with 0 calls (same batches, so start-up and the
                        timing calls cancel); qemu's I from qemu itself
  traps_per_call        gateway-page entries per call, the same difference
  syscalls_per_call, vdso_calls_per_call   from hppa-user's --stats-json (not observable
                        in qemu: None)
Instruction and trap counts are properties of the guest code and would hold on a real
PA-RISC machine; host ns are a property of the emulator (README: "Is the vDSO good for
anything?").
"""
from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench import runners as rn, toolchain
from bench.harness import cell, grouped
from bench.workloads import MICRO_DIR

try:                        # the vsyscall dispatcher (issue 15 part 2), when it has landed
    from vdso_image import vsyscall as vsyscall_lib
except ImportError:
    vsyscall_lib = None

PROGRAM = MICRO_DIR / "vdso_calls.c"
CLOCKS = ("realtime", "monotonic", "realtime_coarse", "monotonic_coarse", "process_cputime")
FUNCTIONS = tuple(f"clock_gettime:{c}" for c in CLOCKS) + ("gettimeofday", "time", "clock_getres", "getcpu")
SYSCALL_FUNCTIONS = ("getpid", "read", "write")     # (the raw syscall path only)
QUICK_FUNCTIONS = ("clock_gettime:monotonic", "getpid")
# --quick keeps every runner and the main paths; of the dispatcher's, these
QUICK_DISPATCHER = ("vsyscall, vvar", "vsyscall, VSYSCALL=syscall", "vsyscall, qemu's vDSO")
BATCHES = 10
# hppa-user's compiled tier reaches its steady state with a warm code cache: its adaptive
# threshold compiles nothing in a run this short (jit.START_AFTER), so before a row's timed
# runs one untimed run of the same row fills a code cache of the row's own, compiling every
# branch target entered WARM_THRESHOLD times in its own process (all stored before it
# exits), with the timed runs' options otherwise (--stats-json counts vDSO calls with hooks,
# and hooks are part of the cache's key).  A cache of its own: one that earlier rows filled
# gives a row their regions of the benchmark's loop and call(), shaped by another
# function's path, whose ways out then take its calls out of compiled code (gettimeofday
# through the vvar page 82-119 ns a call in a shared cache, 41-49 ns in its own).  qemu's
# steady state is the CALLS/4 warm-up calls.
WARM_THRESHOLD = 64
COUNT_CALLS = 2000         # calls per qemu counting run (a multiple of 4 and of BATCHES)


@dataclass(frozen=True)
class Path_:
    """How a row's calls are made: which build, which argument, which kernel profile."""
    name: str
    glibc: str
    mode: str                  # vdso_calls PATH argument: libc, syscall, vsyscall
    kernel: str | None         # hppa-user --kernel; None: not an hppa-user path
    qemu: bool                 # also run under qemu (whose kernel has no profiles)
    calls: int                 # CALLS for the timing runs
    env: tuple = ()            # extra guest environment (VSYSCALL=syscall)


PATHS = [
    Path_("syscall", "2.36", "syscall", "vvar", True, 20_000),
    Path_("glibc 2.36", "2.36", "libc", "vvar", True, 20_000),
    Path_("glibc 2.41, 6.11", "2.41", "libc", "6.11", False, 20_000),
    Path_("glibc 2.41, vvar", "2.41", "libc", "vvar", False, 200_000),
    Path_("glibc 2.41, qemu's vDSO", "2.41", "libc", None, True, 200_000),
]


def dispatcher_paths() -> list[Path_]:
    """Rows for the vsyscall dispatcher (vdso_image/vsyscall/, issue 15 part 2): a glibc 2.36
    program calling vsyscall_FN under each profile, with VSYSCALL=syscall, and under qemu.
    Empty until the dispatcher is there (``vdso_image.vsyscall`` importable)."""
    if vsyscall_lib is None:
        return []
    rows = [Path_(f"vsyscall, {k}", "2.36", "vsyscall", k, False, 200_000 if k == "vvar" else 20_000)
            for k in ("none", "5.18", "6.11", "vvar")]
    rows.append(Path_("vsyscall, VSYSCALL=syscall", "2.36", "vsyscall", "vvar", False, 20_000,
                      (vsyscall_lib.FORCE_ENV,)))
    rows.append(Path_("vsyscall, qemu's vDSO", "2.36", "vsyscall", None, True, 20_000))
    return rows


def _build(glibc: str, vsyscall: bool) -> Path:
    extra = ["-DWITH_VSYSCALL", *vsyscall_lib.cc_flags(glibc)] if vsyscall else []
    return toolchain.compile_guest(PROGRAM, opt="-O2", glibc=glibc, extra=extra)


@dataclass
class Row:
    function: str
    path: str
    runner: str
    ns_per_call: float | None = None
    guest_insns_per_call: float | None = None
    traps_per_call: float | None = None
    syscalls_per_call: float | None = None
    vdso_calls_per_call: float | None = None
    calls: int = 0
    batches: int = BATCHES
    exit_status: int | None = None
    error: str | None = None


def _ns(out: bytes) -> float | None:
    """ns per call of the best batch, from vdso_calls' "batch_calls P" and "best_batch_ns T"."""
    vals = dict(line.split(None, 1) for line in out.decode(errors="replace").splitlines() if " " in line)
    try:
        p, t = int(vals["batch_calls"]), int(vals["best_batch_ns"])
    except (KeyError, ValueError):
        return None
    return round(t / p, 2) if p > 0 else None


def _total(d: dict | None) -> int:
    return sum((d or {}).values())


class Report:
    def __init__(self, functions, runners: list[rn.Runner], reps: int, progress=None, scale: int = 1,
                 paths: list[Path_] | None = None):
        self.functions = list(functions)
        self.scale = scale                       # --quick: CALLS / 4
        self.runners = runners
        self.reps = reps
        self.progress = progress
        self.paths = PATHS + dispatcher_paths() if paths is None else paths
        self.binaries: dict[tuple, Path] = {}
        self.zero: dict[tuple, tuple] = {}       # (path, runner) -> counts with CALLS=0
        self.cache_root: Path | None = None      # where the rows' code caches go (row_cache)
        self.rows_cached = 0                     # rows given a code cache so far

    def steps(self) -> int:
        n = 0
        for p in self.paths:
            for r in self.runners:
                if self._applies(p, r):
                    extra = r.emulator == "qemu" or "--no-jit" not in r.options   # counting / warm-up
                    fns = sum(self._takes(fn, p) for fn in self.functions)
                    n += (1 + fns * (self.reps + extra)) if fns else 0
        return n

    @staticmethod
    def _applies(p: Path_, r: rn.Runner) -> bool:
        return p.qemu if r.emulator == "qemu" else p.kernel is not None

    @staticmethod
    def _takes(fn: str, p: Path_) -> bool:
        """Is ``fn`` measured on path ``p``?  The syscalls for scale only as raw syscalls."""
        return fn not in SYSCALL_FUNCTIONS or p.mode == "syscall"

    def row_cache(self) -> dict[str, str]:
        """The environment that gives the next row a code cache no other row has used
        (WARM_THRESHOLD); empty when hppa-user has no code cache."""
        if self.cache_root is None:
            return {}
        self.rows_cached += 1
        return {rn.CODE_CACHE_ENV: str(self.cache_root / str(self.rows_cached))}

    def _tick(self, what: str) -> None:
        if self.progress is not None:
            self.progress(what)

    def _binary(self, p: Path_) -> Path:
        key = (p.glibc, p.mode == "vsyscall")
        if key not in self.binaries:
            self.binaries[key] = _build(*key)
        return self.binaries[key]

    def _counts(self, p: Path_, r: rn.Runner, fn: str, calls: int, cwd: Path):
        """(insns, traps, syscalls, vdso calls, status) of one run with ``calls`` calls."""
        binary = self._binary(p)
        args = (fn, p.mode, str(calls), str(BATCHES))
        if r.emulator == "qemu":
            c = rn.qemu_count(r, binary, args, cwd=cwd, timeout=600)
            return c.insns, c.gateway, None, None, c.status
        res = rn.run(r, binary, args, cwd=cwd, kernel=p.kernel, timeout=600, env_extra=dict(p.env))
        st = res.stats or {}
        if res.error:
            raise RuntimeError(res.error)
        return (st.get("instructions"), _total(st.get("syscalls")) + _total(st.get("lws_calls")),
                _total(st.get("syscalls")), _total(st.get("vdso_calls")), res.status)

    def row(self, fn: str, p: Path_, r: rn.Runner, cwd: Path) -> Row:
        calls = p.calls // self.scale
        row = Row(fn, p.name, r.name, calls=calls)
        binary = self._binary(p)
        args = (fn, p.mode, str(calls), str(BATCHES))
        best = None
        timing_counts = None
        env = dict(p.env, **self.row_cache())
        if r.emulator == "hppa-user" and "--no-jit" not in r.options:
            self._tick(f"{fn} | {p.name} | {r.name} (filling the code cache)")
            warm = replace(r, options=(*r.options, "--jit-threshold", str(WARM_THRESHOLD)))
            rn.run(warm, binary, args, cwd=cwd, kernel=p.kernel, timeout=600,
                   env_extra=dict(env, HPPA_USER_JIT_SYNC="1"))   # all on disk at its exit
        for _ in range(self.reps):
            self._tick(f"{fn} | {p.name} | {r.name}")
            res = rn.run(r, binary, args, cwd=cwd, kernel=p.kernel, timeout=600, env_extra=env)
            row.exit_status = res.status
            if res.error or res.status != 0:
                row.error = res.error or res.stderr.decode(errors="replace").strip()[-200:] or f"exit {res.status}"
                return row
            ns = _ns(res.stdout)
            if ns is not None and (best is None or ns < best):
                best = ns
            if res.stats and timing_counts is None:
                st = res.stats
                timing_counts = (st.get("instructions"), _total(st.get("syscalls")) + _total(st.get("lws_calls")),
                                 _total(st.get("syscalls")), _total(st.get("vdso_calls")))
        row.ns_per_call = best
        key = (p.name, r.name)
        if key not in self.zero:
            self._tick(f"start-up only | {p.name} | {r.name}")
            self.zero[key] = self._counts(p, r, "none", 0, cwd)
        zero = self.zero[key]
        if r.emulator == "qemu":            # qemu counts come from a shorter, counted run
            self._tick(f"{fn} | {p.name} | {r.name} (counting)")
            n = COUNT_CALLS
            counts = self._counts(p, r, fn, n, cwd)[:4]
        else:
            n = calls
            counts = timing_counts
        total = n // 4 + (n // BATCHES) * BATCHES
        per = [None if (a is None or b is None) else round((a - b) / total, 2)
               for a, b in zip(counts, zero[:4])]
        row.guest_insns_per_call, row.traps_per_call, row.syscalls_per_call, row.vdso_calls_per_call = per
        return row

    def run(self) -> list[Row]:
        rows = []
        with tempfile.TemporaryDirectory(prefix="hppa-bench-report-") as cwd:
            if rn.CODE_CACHE_ENV:
                self.cache_root = Path(cwd) / "code-cache"
            for fn in self.functions:
                for p in self.paths:
                    for r in self.runners:
                        if not self._applies(p, r) or not self._takes(fn, p):
                            continue
                        try:
                            rows.append(self.row(fn, p, r, Path(cwd)))
                        except (RuntimeError, toolchain.ToolchainError, OSError) as exc:
                            rows.append(Row(fn, p.name, r.name, calls=p.calls, error=str(exc).splitlines()[0]))
        return rows


def table(rows: list[Row]) -> str:
    wp = max(len(r.path) for r in rows)
    wr = max(len(r.runner) for r in rows)
    out = [f"{'function':<30} {'path':<{wp}} {'runner':<{wr}} {'ns/call':>9} {'insns/call':>10} "
           f"{'traps/call':>10} {'syscalls':>8} {'vDSO':>5}"]
    for fn, r in grouped(rows, lambda r: r.function):
        out.append(f"{fn:<30} {r.path:<{wp}} {r.runner:<{wr}} {cell(r.ns_per_call, '.1f', 9)} "
                   f"{cell(r.guest_insns_per_call, '.1f', 10)} {cell(r.traps_per_call, '.2f', 10)} "
                   f"{cell(r.syscalls_per_call, '.2f', 8)} {cell(r.vdso_calls_per_call, '.2f', 5)}"
                   + (f"  ERROR: {r.error}" if r.error else ""))
    return "\n".join(out)


def as_json(rows: list[Row], runners: list[rn.Runner], reps: int) -> dict:
    return {"rows": [asdict(r) for r in rows],
            "machine": rn.machine_info(runners),
            "method": {"program": str(PROGRAM.relative_to(toolchain.repo_root())), "batches": BATCHES,
                       "processes_per_row": reps, "count_calls_qemu": COUNT_CALLS,
                       "ns_per_call": "best batch after CALLS/4 warm-up calls, timed in the guest with "
                                      "CLOCK_MONOTONIC; best over processes",
                       "guest_insns_per_call": "(I(CALLS) - I(0)) / (CALLS/4 + CALLS), the benchmark "
                                               "loop's own instructions included (function 'none')",
                       "qemu_counts": "counted by qemu itself (scripts/qemu_count_insns.sh)"}}


PLOT_MISSING = "--plot needs matplotlib: pip install 'hppa-user[plot]'"


def _pyplot():
    """matplotlib.pyplot (an optional extra, hppa-user[plot]), or None when it is missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot(rows: list[Row], path: str) -> None:
    """A bar chart of ns per call, log scale, one group per function (PNG or SVG by suffix)."""
    plt = _pyplot()
    if plt is None:
        raise RuntimeError(PLOT_MISSING)
    functions = list(dict.fromkeys(r.function for r in rows))
    paths = list(dict.fromkeys(r.path for r in rows))
    series = list(dict.fromkeys((r.path, r.runner) for r in rows))
    by = {(r.function, r.path, r.runner): r.ns_per_call for r in rows}
    width = 0.85 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(10, 1.8 * len(functions) + 5), 6.5))
    colours = plt.get_cmap("tab10")
    for i, (p, rname) in enumerate(series):
        xs = [k + (i - (len(series) - 1) / 2) * width for k in range(len(functions))]
        ys = [by.get((f, p, rname)) or 0 for f in functions]
        hatch = "//" if rname.startswith("qemu-hppa 7") else "xx" if rname.startswith("qemu") else \
            ".." if "--no-jit" in rname else ""
        ax.bar(xs, ys, width, label=f"{p} / {rname}", color=colours(paths.index(p) % 10),
               hatch=hatch, edgecolor="white", linewidth=0.3)
    ax.set_yscale("log")
    ax.set_ylabel("host ns per call, timed in the guest (log scale)")
    ax.set_xticks(range(len(functions)))
    ax.set_xticklabels([f.replace("clock_gettime:", "clock_gettime\n") for f in functions], fontsize=8)
    ax.set_title("hppa-user bench: ns per call by function; colour = path, hatch = runner "
                 "(// qemu 7.2, xx qemu 10, .. --no-jit)", fontsize=9)
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def main(quick: bool = False, json_path: str | None = None, plot_path: str | None = None,
         qemu10: bool = True, out=sys.stdout) -> int:
    """Run the report; return an exit status (2: qemu-hppa or the toolchain missing)."""
    try:
        runners = rn.default_runners(qemu10=qemu10, cache_axis=False)   # timed in the guest
        toolchain.find_gcc()
    except (rn.RunnerMissing, toolchain.ToolchainError) as exc:
        print(f"hppa-user bench: {exc}", file=sys.stderr)
        return 2
    if plot_path and _pyplot() is None:           # say so before the run, not after
        print(f"hppa-user bench: {PLOT_MISSING}", file=sys.stderr)
        return 2
    rn.warm_up_core()
    if quick:
        paths = PATHS + [p for p in dispatcher_paths() if p.name in QUICK_DISPATCHER]
        report = Report(QUICK_FUNCTIONS, runners, 1, scale=4, paths=paths)
    else:
        report = Report(FUNCTIONS + SYSCALL_FUNCTIONS, runners, 2)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True, console=None,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("bench", total=report.steps())

        def tick(what):
            bar.update(task, advance=1, description=what[:60])
        report.progress = tick
        rows = report.run()
    print(table(rows), file=out)
    print(f"\nns/call: host time per call measured inside the guest (best batch, same binary and N for "
          f"every runner); insns/call and traps/call (gateway entries): guest instructions, which a real "
          f"PA-RISC machine would execute too. hppa-user (with its JIT) runs each row once untimed "
          f"first, filling a code cache of the row's own (--jit-threshold {WARM_THRESHOLD}): "
          f"the steady state of its compiled tier. Runners: "
          + ", ".join(f"{r.name} ({r.version})" if r.version else r.name for r in runners), file=out)
    if not dispatcher_paths():
        print("vsyscall dispatcher rows: not yet (no vdso_image/vsyscall/ in this tree)", file=out)
    if json_path:
        with open(json_path, "w") as fh:
            json.dump(as_json(rows, runners, report.reps), fh, indent=1)
    if plot_path:
        plot(rows, plot_path)
        print(f"plot: {plot_path}", file=out)
    return 1 if any(r.error for r in rows) else 0
