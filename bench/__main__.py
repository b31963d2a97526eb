"""``python -m bench`` (what ``make bench`` runs): real programs under hppa-user and qemu-hppa.

    python -m bench [--rounds N] [--json PATH] [--quick] [NAME|TAG ...]

NAME is a workload (``--list`` shows them), TAG one of cpu, interpreter, compressor, short,
micro, quick; the default is every real workload.  Whole-process wall times, paired rounds,
ratios to qemu-hppa 7.2 in the same round, qemu's own instruction counts, exit statuses,
outputs compared (see bench/harness.py).  Exit status 1 when a run failed or an output
differed, 2 when qemu-hppa is missing.
"""
from __future__ import annotations

import argparse
import json
import sys

from bench import harness, runners as rn, toolchain
from bench.workloads import BY_NAME, WORKLOADS


def select(names: list[str], quick: bool):
    if quick and not names:
        names = ["quick"]
    if not names:
        return [w for w in WORKLOADS if w.kind == "real"]
    chosen = []
    for n in names:
        found = [BY_NAME[n]] if n in BY_NAME else [w for w in WORKLOADS if n in w.tags]
        if not found:
            raise SystemExit(f"bench: no workload or tag {n!r} (see --list)")
        chosen += [w for w in found if w not in chosen]
    return chosen


# Five, not three: on a shared VM the host runs a process up to ~1.8x slower in spells of
# ~0.5-2 s (a Python loop, qemu-hppa and hppa-user alike), so with three rounds a ratio's
# median moved by 0.2-0.3x from one make bench to the next (cold bzip2 -d 2.10x, then
# 1.77x with a change of 2 ms of start-up).
ROUNDS = 5


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="workloads or tags (default: every real workload)")
    ap.add_argument("--rounds", type=int, default=ROUNDS, help=f"paired rounds (default {ROUNDS})")
    ap.add_argument("--quick", action="store_true", help="the quick workloads, one round")
    ap.add_argument("--json", metavar="PATH", help="also write every run as JSON")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run (default 900)")
    ap.add_argument("--no-count", action="store_true", help="skip qemu's instruction counts")
    ap.add_argument("--no-qemu10", action="store_true", help="leave qemu-hppa 10 out")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    ns = ap.parse_args(argv)
    if ns.list:
        for w in WORKLOADS:
            print(f"{w.name:<14} {w.kind:<5} {','.join(w.tags):<22} {w.what}")
        return 0
    workloads = select(ns.names, ns.quick)
    rounds = 1 if ns.quick else max(1, ns.rounds)
    try:
        runners = rn.default_runners(qemu10=not ns.no_qemu10)
        toolchain.find_gcc()
    except (rn.RunnerMissing, toolchain.ToolchainError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print("bench: runners: " + ", ".join(f"{r.name}" for r in runners), file=sys.stderr)
    if not rn.CODE_CACHE_ENV:
        print("bench: hppa-user has no persistent code cache yet: no cold/warm axis", file=sys.stderr)
    rn.warm_up_core()
    rows = []
    for w in workloads:
        rows += harness.bench_workload(w, runners, rounds, ns.timeout, count=not ns.no_count)
    print(harness.table(rows))
    print(f"\n{harness.TIME_NOTE}; {rounds} paired round(s); x qemu = median of per-round ratios "
          f"to {runners[0].name}; guest insns: each runner's own count ({runners[0].name}: "
          f"counted by qemu itself, one instruction per block with a TCG plugin)")
    if ns.json:
        with open(ns.json, "w") as fh:
            json.dump(harness.as_json(rows, workloads, runners, rounds), fh, indent=1)
    return 1 if any(r.error for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
