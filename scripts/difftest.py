#!/usr/bin/env python3
"""Differential testing with csmith: random C programs under hppa-user versus qemu-hppa.

    scripts/difftest.py [-n N] [--first-seed S | --seeds 1,2,7] [--opts -O0,-O1,-O2,-Os]
                        [--jobs J] [--save DIR] [--qemu-timeout SECONDS] [--csmith-arg ARG ...]

For each seed: ``csmith --seed S`` (with CSMITH_ARGS: small, fast programs) writes a program;
it is built static at each optimisation level with ``hppa-linux-gnu-gcc -I/usr/include/csmith``;
the binary runs under qemu-hppa (the oracle) and under hppa-user, and the two must agree on
stdout (csmith prints ``checksum = XXXXXXXX``) and exit status.

Seeds whose program qemu-hppa cannot run within ``--qemu-timeout`` (csmith sometimes writes
very long or endless loops), or that qemu-hppa runs to a non-zero status, or that fail to
build, are *skipped*, not counted.  Every disagreement is saved under ``--save`` (default
``difftest-failures/``) as ``seed<S><opt>/``: the csmith source, the binary, both outputs and
``info.json`` with the commands that reproduce it -- ready for minimisation.

Speed: starting ``hppa-user run`` costs ~1.5-2 s of Python and Numba start-up, far more than
a csmith program's run.  So this script loads the emulator once, and each seed is checked in
a child ``fork()``ed from that process: the child builds the binaries, runs qemu-hppa, and
runs the guest with :class:`kernel_model.machine.Machine` in-process (guest fds 0/1/2 redirected
to /dev/null and temporary files).  Forked children isolate the guests from each other (memory,
signal dispositions, a hung guest is killed at a deadline) and ``--jobs`` of them run at once.

``make difftest N=500`` runs 500 seeds; tests/test_csmith.py runs a fixed seed list in CI.
Exit status: 0 if there was no disagreement, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import toolchain  # noqa: E402

OPTS = ("-O0", "-O1", "-O2", "-Os")
# small programs that run in milliseconds under qemu-hppa
CSMITH_ARGS = ["--max-funcs", "4", "--max-block-depth", "3", "--no-packed-struct"]
CSMITH_INCLUDE = "/usr/include/csmith"
QEMU_TIMEOUT = 2.0          # seconds: longer-running programs are skipped
EMU_MAX_INSNS = 2_000_000_000   # a guest that qemu finished in QEMU_TIMEOUT needs far fewer
SEED_DEADLINE = 300.0       # seconds per seed (all opt levels) before the child is killed
GUEST_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}


@dataclass
class Outcome:
    seed: int
    opt: str
    verdict: str                     # "agree", "DIFF", or "skip: <reason>"
    qemu_status: int | None = None
    emu_status: int | None = None
    qemu_stdout: str = ""
    emu_stdout: str = ""
    emu_stderr: str = ""
    instructions: int = 0
    qemu_seconds: float = 0.0
    emu_seconds: float = 0.0
    note: str = ""

    @property
    def counted(self) -> bool:
        return not self.verdict.startswith("skip")


# -- building and running ----------------------------------------------------------------
def csmith_version() -> str:
    out = subprocess.run(["csmith", "--version"], capture_output=True, text=True).stdout
    return " ".join(out.split())


def generate(seed: int, path: Path, csmith_args=CSMITH_ARGS) -> Path:
    subprocess.run(["csmith", "--seed", str(seed), *csmith_args, "-o", str(path)], check=True,
                   capture_output=True, timeout=60)
    return path


def build_command(src: Path, opt: str, out: Path) -> list[str]:
    return [*toolchain.gcc_command(), opt, "-w", f"-I{CSMITH_INCLUDE}", "-o", str(out), str(src)]


def build(src: Path, opt: str, out: Path) -> str | None:
    """Build; None on success, else gcc's complaint."""
    proc = subprocess.run(build_command(src, opt, out), capture_output=True, text=True, timeout=300)
    return None if proc.returncode == 0 else (proc.stderr.strip()[-500:] or f"gcc exit {proc.returncode}")


def run_qemu(binary: Path, timeout: float) -> tuple[int, bytes, float] | None:
    """(status, stdout, seconds), or None if qemu-hppa did not finish in time."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([toolchain.qemu_hppa(), str(binary)], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=timeout, env=GUEST_ENV,
                              preexec_fn=lambda: __import__("resource").setrlimit(
                                  __import__("resource").RLIMIT_CORE, (0, 0)))
    except subprocess.TimeoutExpired:
        return None
    rc = proc.returncode
    return (128 - rc if rc < 0 else rc), proc.stdout, time.perf_counter() - t0


def run_inprocess(binary, args=(), max_insns: int = EMU_MAX_INSNS, env=None):
    """Run a guest with Machine in this process; its fds 0/1/2 are /dev/null and temporary
    files for the duration.  Returns (status, stdout bytes, stderr bytes, instructions, note)."""
    from kernel_model.machine import Machine

    saved = [os.dup(fd) for fd in (0, 1, 2)]
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    null = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    note = ""
    try:
        os.dup2(null, 0)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        m = Machine(str(binary), [str(binary), *map(str, args)], env=dict(env or GUEST_ENV),
                    max_insns=max_insns)
        status = m.run()
        info = m.kill_info
        if info is not None:
            note = f"killed by signal {m.term_signal} at pc {info.pc:#x}"
            if info.reason:
                note += f": {info.reason}"
        insns = m.ctx.insns
    finally:
        for fd, s in zip((0, 1, 2), saved):
            os.dup2(s, fd)
            os.close(s)
        os.close(null)
    out.seek(0)
    err.seek(0)
    return status, out.read(), err.read(), insns, note


def run_isolated(binary, args=(), max_insns: int = EMU_MAX_INSNS, env=None, timeout: float = 600.0):
    """run_inprocess in a forked child (so a guest cannot disturb this process: signal
    dispositions, memory, a hang is killed after ``timeout`` seconds).  Same result tuple."""
    import pickle

    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(rfd)
            res = run_inprocess(binary, args, max_insns, env)
            data = pickle.dumps(res)
            with os.fdopen(wfd, "wb") as fh:
                fh.write(data)
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 3
        finally:
            os._exit(code)
    os.close(wfd)
    deadline = time.monotonic() + timeout
    chunks = []
    with os.fdopen(rfd, "rb") as fh:
        os.set_blocking(fh.fileno(), False)
        while True:
            try:
                b = fh.read()
            except BlockingIOError:
                b = None
            if b:
                chunks.append(b)
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                os.set_blocking(fh.fileno(), True)
                chunks.append(fh.read() or b"")
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise TimeoutError(f"{binary}: still running after {timeout:g} s")
            time.sleep(0.005)
    data = b"".join(chunks)
    if not data:
        raise RuntimeError(f"{binary}: the emulator process died (wait status {st:#x})")
    return pickle.loads(data)


def warm_up() -> None:
    """Load (or compile) the jitted core once, before forking the workers."""
    hello = REPO_ROOT / "hppa_user" / "examples" / "hello"
    run_inprocess(hello)


def check_binary(seed: int, opt: str, binary: Path, qemu_timeout: float) -> Outcome:
    o = Outcome(seed, opt, "agree")
    ref = run_qemu(binary, qemu_timeout)
    if ref is None:
        o.verdict = f"skip: qemu-hppa took over {qemu_timeout:g} s"
        return o
    o.qemu_status, qstdout, o.qemu_seconds = ref
    o.qemu_stdout = qstdout.decode(errors="replace")
    if o.qemu_status != 0:
        o.verdict = f"skip: qemu-hppa exit {o.qemu_status}"
        return o
    t0 = time.perf_counter()
    status, stdout, stderr, o.instructions, o.note = run_inprocess(binary)
    o.emu_seconds = time.perf_counter() - t0
    o.emu_status = status
    o.emu_stdout = stdout.decode(errors="replace")
    o.emu_stderr = stderr.decode(errors="replace")[-2000:]
    if (status, stdout) != (o.qemu_status, qstdout):
        o.verdict = "DIFF"
    return o


def check_seed(seed: int, opts, workdir: Path, qemu_timeout: float, csmith_args=CSMITH_ARGS,
               report=None) -> list[Outcome]:
    """All opt levels of one seed, in this process.  ``report(outcome)`` is called after each."""
    src = workdir / f"seed{seed}.c"
    outcomes = []
    try:
        generate(seed, src, csmith_args)
    except (subprocess.SubprocessError, OSError) as e:
        for opt in opts:
            outcomes.append(Outcome(seed, opt, f"skip: csmith failed ({e.__class__.__name__})"))
        return outcomes
    slow = None
    for opt in opts:
        binary = workdir / f"seed{seed}{opt}"
        if slow:        # qemu-hppa timed out at an earlier level: do not wait for it again
            o = Outcome(seed, opt, f"skip: qemu-hppa took over {qemu_timeout:g} s at {slow}")
        elif (why := build(src, opt, binary)) is not None:
            o = Outcome(seed, opt, "skip: build failed", note=why)
        else:
            o = check_binary(seed, opt, binary, qemu_timeout)
            slow = opt if o.verdict.startswith("skip: qemu-hppa took") else None
        outcomes.append(o)
        if report:
            report(o)
    return outcomes


# -- the campaign: forked workers --------------------------------------------------------
def _child(seed, opts, workdir, qemu_timeout, csmith_args, result_path) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    results = []

    def report(o):
        results.append(asdict(o))
        tmp = result_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(results))
        os.replace(tmp, result_path)

    check_seed(seed, opts, workdir, qemu_timeout, csmith_args, report)


def campaign(seeds, opts=OPTS, jobs: int | None = None, qemu_timeout: float = QEMU_TIMEOUT,
             save: Path | None = None, csmith_args=CSMITH_ARGS, deadline: float = SEED_DEADLINE,
             progress=None) -> list[Outcome]:
    """Check every seed at every opt level; ``jobs`` seeds at a time, each in a forked child."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    warm_up()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="hppa-difftest-") as tmp:
        tmp = Path(tmp)
        pending = list(seeds)
        running: dict[int, tuple[int, float, Path, Path]] = {}   # pid -> (seed, start, dir, result)
        while pending or running:
            while pending and len(running) < jobs:
                seed = pending.pop(0)
                wd = tmp / f"s{seed}"
                wd.mkdir()
                res = wd / "result.json"
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    code = 0
                    try:
                        _child(seed, opts, wd, qemu_timeout, csmith_args, res)
                    except BaseException:
                        import traceback
                        traceback.print_exc()
                        code = 3
                    finally:
                        os._exit(code)
                running[pid] = (seed, time.monotonic(), wd, res)
            pid, _st = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                now = time.monotonic()
                for p, (seed, t0, wd, res) in list(running.items()):
                    if now - t0 > deadline:
                        os.kill(p, signal.SIGKILL)
                time.sleep(0.01)
                continue
            if pid not in running:
                continue
            seed, t0, wd, res = running.pop(pid)
            done = [Outcome(**d) for d in json.loads(res.read_text())] if res.exists() else []
            seen = {o.opt for o in done}
            missing = [opt for opt in opts if opt not in seen]
            if missing:
                # the child died or was killed during this opt level: qemu had finished
                # (or it would be a skip), so the emulator hung or crashed
                note = f"worker died (wait status {_st:#x})" if time.monotonic() - t0 <= deadline \
                    else f"emulator still running after the {deadline:g} s deadline"
                done.append(Outcome(seed, missing[0], "DIFF", note=note))
                done.extend(Outcome(seed, opt, "skip: not run (worker died)") for opt in missing[1:])
            for o in done:
                outcomes.append(o)
                if o.verdict == "DIFF" and save is not None:
                    save_disagreement(o, wd, save, csmith_args)
                if progress:
                    progress(o)
            shutil.rmtree(wd, ignore_errors=True)
    outcomes.sort(key=lambda o: (o.seed, opts.index(o.opt)))
    return outcomes


def save_disagreement(o: Outcome, workdir: Path, save: Path, csmith_args=CSMITH_ARGS) -> Path:
    d = save / f"seed{o.seed}{o.opt}"
    d.mkdir(parents=True, exist_ok=True)
    src = workdir / f"seed{o.seed}.c"
    binary = workdir / f"seed{o.seed}{o.opt}"
    if src.exists():
        shutil.copy2(src, d / "prog.c")
    if binary.exists():
        shutil.copy2(binary, d / "prog")
    (d / "qemu.stdout").write_text(o.qemu_stdout)
    (d / "emu.stdout").write_text(o.emu_stdout)
    (d / "emu.stderr").write_text(o.emu_stderr)
    info = asdict(o)
    info.update(csmith=csmith_version(), csmith_args=["--seed", str(o.seed), *csmith_args],
                build=" ".join(build_command(Path("prog.c"), o.opt, Path("prog"))),
                reproduce=["qemu-hppa ./prog", "hppa-user run ./prog"])
    (d / "info.json").write_text(json.dumps(info, indent=1) + "\n")
    return d


def summary(outcomes: list[Outcome], opts=OPTS) -> str:
    lines = [f"{'opt':<5} {'tried':>6} {'agree':>6} {'DIFF':>5} {'skipped':>8}"]
    for opt in opts:
        mine = [o for o in outcomes if o.opt == opt]
        c = Counter("skip" if not o.counted else o.verdict for o in mine)
        lines.append(f"{opt:<5} {c['agree'] + c['DIFF']:>6} {c['agree']:>6} {c['DIFF']:>5} {c['skip']:>8}")
    total = Counter("skip" if not o.counted else o.verdict for o in outcomes)
    lines.append(f"{'all':<5} {total['agree'] + total['DIFF']:>6} {total['agree']:>6} "
                 f"{total['DIFF']:>5} {total['skip']:>8}")
    skips = Counter(o.verdict for o in outcomes if not o.counted)
    if skips:
        lines.append("skipped: " + ", ".join(f"{k[6:]} x{v}" for k, v in skips.most_common()))
    for o in outcomes:
        if o.verdict == "DIFF":
            lines.append(f"DIFF seed {o.seed} {o.opt}: qemu exit {o.qemu_status} "
                         f"{o.qemu_stdout.strip()!r} vs hppa-user exit {o.emu_status} "
                         f"{o.emu_stdout.strip()!r} {o.note}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=50, help="number of seeds (default 50)")
    ap.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    ap.add_argument("--seeds", help="comma-separated seed list (overrides -n/--first-seed)")
    ap.add_argument("--opts", default=",".join(OPTS), help="optimisation levels (default %(default)s)")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="seeds checked at once")
    ap.add_argument("--save", type=Path, default=Path("difftest-failures"),
                    help="directory for disagreeing programs (default %(default)s)")
    ap.add_argument("--qemu-timeout", type=float, default=QEMU_TIMEOUT,
                    help="skip programs qemu-hppa does not finish in this many seconds")
    ap.add_argument("--csmith-arg", action="append", default=[],
                    help="extra csmith option (repeatable, e.g. --csmith-arg=--float)")
    ap.add_argument("--json", type=Path, help="write every outcome as JSON here")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per program")
    ns = ap.parse_args(argv)

    seeds = [int(s) for s in ns.seeds.split(",")] if ns.seeds else \
        list(range(ns.first_seed, ns.first_seed + ns.n))
    opts = tuple(o.strip() for o in ns.opts.split(",") if o.strip())
    csmith_args = [*CSMITH_ARGS, *ns.csmith_arg]
    t0 = time.perf_counter()
    count = [0]

    def progress(o: Outcome):
        count[0] += 1
        if ns.verbose or o.verdict == "DIFF":
            print(f"seed {o.seed:>6} {o.opt:<4} {o.verdict:<40} {o.instructions:>11} insns "
                  f"{o.note}", flush=True)
        elif count[0] % 40 == 0:
            print(f"... {count[0]} programs, {time.perf_counter() - t0:.0f} s", file=sys.stderr,
                  flush=True)

    print(f"difftest: {len(seeds)} seeds x {len(opts)} opts, {csmith_version()}, csmith "
          f"{' '.join(csmith_args)}, {ns.jobs} jobs", flush=True)
    outcomes = campaign(seeds, opts, ns.jobs, ns.qemu_timeout, ns.save, csmith_args, progress=progress)
    print(summary(outcomes, opts))
    print(f"difftest: {time.perf_counter() - t0:.0f} s; disagreements saved under {ns.save}/"
          if any(o.verdict == "DIFF" for o in outcomes) else
          f"difftest: {time.perf_counter() - t0:.0f} s, no disagreement")
    if ns.json:
        ns.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1) + "\n")
    return 1 if any(o.verdict == "DIFF" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
