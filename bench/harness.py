"""`make bench`: real programs under every runner, whole-process wall time against qemu-hppa.

For each workload: its build (cached) and inputs in a fresh directory per run; qemu-hppa
7.2's own count of guest instructions and gateway entries (scripts/qemu_count_insns.sh
with our plugin); then ``rounds`` paired rounds, each running every runner once (the order
rotates from round to round), timing each process from start to exit -- Python start-up
and loading the compiled core included for hppa-user, qemu's start-up for qemu.  Figures:
median wall seconds, and the median over rounds of (runner / qemu-hppa in the same round).
Every run's exit status and stdout are compared with the first qemu-hppa run: a
difference is an error, and the exit status of the harness says so.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import runners as rn
from bench.workloads import Workload

TIME_NOTE = ("wall s = whole process, start to exit, for every runner (hppa-user: Python start-up, "
             "loading the compiled core and compiling regions included; qemu-hppa: its start-up "
             "and translation included)")


@dataclass
class Row:
    workload: str
    what: str
    runner: str
    seconds: list = field(default_factory=list)
    median_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    ratio_to_qemu: float | None = None       # median over rounds of runner/qemu-hppa, same round
    exit_status: int | None = None
    output: str = ""                         # reference / same / DIFFERS
    guest_insns: int | None = None           # this runner's own count (qemu: counted by qemu)
    gateway_entries: int | None = None
    compile_seconds: float | None = None     # hppa-user: time spent compiling regions (median run)
    regions: int | None = None
    error: str | None = None


def _digest(run: rn.Run) -> tuple[int, str]:
    return run.status, hashlib.sha256(run.stdout).hexdigest()


def settle(cache: Path, timeout: float) -> bool:
    """Wait until no worker is still filling ``cache`` after its run's exit (each holds its
    code cache's exit-worker.lock while it compiles): *warm* is what a previous run left in
    the cache, not a race with its worker, and no run is timed while an earlier one's
    worker takes processor time.  False if one still works after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)                       # (the exit's worker takes its lock first)
        held = False
        for lock in cache.rglob("exit-worker.lock"):
            fd = os.open(lock, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                held = True
            finally:
                os.close(fd)
        if not held:
            return True
    return False


def bench_workload(w: Workload, runners: list[rn.Runner], rounds: int = 3, timeout: float = 900.0,
                   count: bool = True, log=sys.stderr) -> list[Row]:
    ref_runner = runners[0]
    rows = {r.name: Row(w.name, w.what, r.name) for r in runners}
    with tempfile.TemporaryDirectory(prefix=f"bench-{w.name}-") as tmp:
        tmp = Path(tmp)
        serial = iter(range(1_000_000))

        def fresh_job():
            d = tmp / f"run{next(serial)}"
            d.mkdir()
            return w.prepare(d)

        try:
            job = fresh_job()
        except Exception as exc:     # a build or fetch failure: one clear line per row
            for row in rows.values():
                row.error = f"build failed: {exc}".splitlines()[0]
            return list(rows.values())
        if count:
            print(f"bench: {w.name}: counting guest instructions under {ref_runner.name}", file=log, flush=True)
            try:
                c = rn.qemu_count(ref_runner, job.binary, job.args, cwd=fresh_job().cwd)
                rows[ref_runner.name].guest_insns = c.insns
                rows[ref_runner.name].gateway_entries = c.gateway
            except Exception as exc:
                rows[ref_runner.name].error = str(exc).splitlines()[0]
        cache_dirs = {}
        for r in runners:
            if r.cache and rn.CODE_CACHE_ENV:
                cache_dirs[r.name] = tmp / f"cache-{len(cache_dirs)}"
                if r.cache == "warm":          # filled by one untimed run
                    j = fresh_job()
                    rn.run(r, j.binary, j.args, cwd=j.cwd, timeout=timeout,
                           env_extra={rn.CODE_CACHE_ENV: str(cache_dirs[r.name])})
                    settle(cache_dirs[r.name], timeout)
        reference = None
        per_round: list[dict] = []
        all_stats: dict[str, list] = {r.name: [] for r in runners}
        for k in range(rounds):
            order = runners[k % len(runners):] + runners[:k % len(runners)]
            times = {}
            for r in order:
                row = rows[r.name]
                if row.error:
                    continue
                print(f"bench: {w.name}: round {k + 1}/{rounds}: {r.name}", file=log, flush=True)
                j = fresh_job()
                extra = None
                if r.name in cache_dirs:
                    d = cache_dirs[r.name] if r.cache == "warm" else tmp / f"cold-{next(serial)}"
                    extra = {rn.CODE_CACHE_ENV: str(d)}
                res = rn.run(r, j.binary, j.args, cwd=j.cwd, timeout=timeout, env_extra=extra)
                if extra:
                    # (untimed) the run's exit worker still compiles for its cache, in idle
                    # time: not while the next run is timed, whichever emulator that is
                    settle(Path(extra[rn.CODE_CACHE_ENV]), timeout)
                if res.error:
                    row.error = res.error
                    continue
                if r is ref_runner and reference is None:     # first in round 1
                    reference = _digest(res)
                    row.output = "reference"
                    bad = w.check(j, res.stdout) if w.check else None
                    if bad:
                        for other in rows.values():
                            other.error = f"workload broken ({ref_runner.name}'s output): {bad}"
                        break
                elif reference is None:
                    row.output = f"unchecked ({ref_runner.name} did not run)"
                elif _digest(res) != reference:
                    row.output = "DIFFERS"
                    row.error = (f"output differs from {ref_runner.name}'s (exit {res.status} vs "
                                 f"{reference[0]}, stdout sha256 {_digest(res)[1][:12]} vs {reference[1][:12]})")
                elif not row.output:
                    row.output = "same"
                row.exit_status = res.status
                row.seconds.append(round(res.seconds, 6))
                times[r.name] = row.seconds[-1]         # ratios from the figures reported
                if res.stats:
                    all_stats[r.name].append((res.seconds, res.stats))
            per_round.append(times)
    for r in runners:
        row = rows[r.name]
        if row.seconds:
            row.median_s = round(statistics.median(row.seconds), 4)
            row.min_s, row.max_s = min(row.seconds), max(row.seconds)
        ratios = [t[r.name] / t[ref_runner.name] for t in per_round
                  if r.name in t and ref_runner.name in t and t[ref_runner.name] > 0]
        if ratios:
            row.ratio_to_qemu = round(statistics.median(ratios), 3)
        if all_stats[r.name]:
            runs = sorted(all_stats[r.name], key=lambda s: s[0])
            st = runs[len(runs) // 2][1]
            row.guest_insns = st.get("instructions")
            sc = sum(st.get("syscalls", {}).values()) + sum(st.get("lws_calls", {}).values())
            row.gateway_entries = sc
            jit = st.get("jit") or {}
            row.compile_seconds = jit.get("compile_seconds")
            row.regions = jit.get("regions")
    return list(rows.values())


def cell(v, fmt: str, width: int) -> str:
    """A right-aligned table cell; '-' for a figure that was not measured."""
    return f"{'-':>{width}}" if v is None else f"{v:>{width}{fmt}}"


def grouped(rows, key):
    """(label, row) with the first column's label only where it changes."""
    last = None
    for r in rows:
        k = key(r)
        yield (k if k != last else ""), r
        last = k


def table(rows: list[Row]) -> str:
    w = max([len(r.runner) for r in rows] + [6])
    out = [f"{'workload':<14} {'runner':<{w}} {'wall s':>8} {'min-max':>15} {'x qemu':>7} "
           f"{'guest insns':>14} {'gateway':>8} {'compile s':>9} {'exit':>4}  output"]
    for name, r in grouped(rows, lambda r: r.workload):
        span = "-" if r.min_s is None else f"{r.min_s:.2f}-{r.max_s:.2f}"
        out.append(f"{name:<14} {r.runner:<{w}} {cell(r.median_s, '.3f', 8)} {span:>15} "
                   f"{cell(r.ratio_to_qemu, '.2f', 7)} {cell(r.guest_insns, ',', 14)} "
                   f"{cell(r.gateway_entries, 'd', 8)} {cell(r.compile_seconds, '.2f', 9)} "
                   f"{cell(r.exit_status, 'd', 4)}  {r.output}")
        if r.error:
            out.append(f"{'':<14} {'':<{w}} ERROR: {r.error}")
    return "\n".join(out)


def as_json(rows: list[Row], workloads: list[Workload], runners: list[rn.Runner], rounds: int) -> dict:
    return {"note": TIME_NOTE, "rounds": rounds,
            "workloads": {w.name: {"what": w.what, "kind": w.kind} for w in workloads},
            "rows": [asdict(r) for r in rows], "machine": rn.machine_info(runners),
            "code_cache_axis": bool(rn.CODE_CACHE_ENV)}
