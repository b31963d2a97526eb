"""The region compiler (hppa_user/jit.py) against qemu-hppa and the interpreter.

Compiled code must be indistinguishable from interpreted code. These tests run real
glibc programs with a threshold of 2 entries, so nearly every branch target a program
reaches twice is compiled, and compare stdout and exit status with qemu-hppa -- with the
compiler in each of its modes: synchronous (regions installed at once), asynchronous with a
cold code cache (the worker process compiles; regions arrive while the program runs) and
asynchronous with the cache warm (the run installs its regions from disk).
They also check the instruction budget stays exact, that self-modifying code is seen,
that --no-jit and the JIT agree on counts, and that a corrupt cache is never executed.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from hppa_user import core
from hppa_user import state as S
from hppa_user.cpu import Cpu
from hppa_user.jit import CodeCache

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
    ("jit_checks", (), "stores at end+0"),       # merged access checks meeting a fault
    ("jit_jumps", ("20000",), "acc "),           # indirect branches followed by guess
    ("jit_exit_regs", (), "words left"),         # deferred register writes meeting a fault
    ("jit_forward", (), "failures 0"),           # loads given the value a store left
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
    # sync: every region installed as soon as it is hot (and kept in the cache the warm
    # run then uses)
    # (and a run whose regions are entered at every target the interpreter entered that
    # they hold, up to regiongen.OTHER_ENTRIES each)
    for mode, env in (("async, cold cache", cold), ("sync", sync_env()),
                      ("sync, other entries", dict(sync_env(), HPPA_USER_JIT_OTHER_ENTRY_AT="1")),
                      ("sync, filling the cache", dict(filled, HPPA_USER_JIT_SYNC="1")),
                      ("async, warm cache", filled)):
        got, jit = run_jit(run_emu, binary, args, env, tmp_path / "stats.json")
        why = f"{mode}: " + got.stderr.decode(errors="replace")[-3000:]
        assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), why
        assert jit["failures"] == 0, (mode, jit)
        if mode.startswith("sync"):
            assert jit["regions"] >= 5, (mode, jit)          # compiled code really ran
        if mode == "sync, other entries":
            assert jit["other_entries"] >= 1, (mode, jit)
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
    # one call before the loop and one per iteration (bench/micro/clock_gettime.c)
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


@pytest.mark.parametrize("program,args", [("jit_jumps", ["20000"]), ("jit_checks", [])])
def test_guessed_jumps_and_merged_checks_count_like_the_interpreter(program, args, guest,
                                                                     run_emu, tmp_path):
    """Regions that go on at guessed targets of indirect branches (right, then mostly
    wrong) and check groups of accesses once (meeting faults) run exactly the
    instructions the interpreter runs, with its output."""
    binary = guest(program, opt="-O2")
    results = []
    for opts in (STRESS, ["--no-jit"]):
        stats = tmp_path / "stats.json"
        got = run_emu(binary, args, env=sync_env(), options=[*opts, "--stats-json", str(stats)])
        assert got.returncode == 0, got.stderr
        st = json.loads(stats.read_text())
        results.append((got.stdout, st["instructions"]))
        if opts == STRESS:
            assert st["jit"]["regions"] >= 5 and st["jit"]["failures"] == 0, st["jit"]
    assert results[0] == results[1]


def test_region_goes_on_at_a_guessed_target(guest, run_qemu, run_emu, tmp_path):
    """A region compiled after the targets of its indirect branches were seen (jit_jumps'
    second loop) translates them: f0, only ever reached through a function pointer, is
    in what a region entered elsewhere translated (the code cache's reference files list
    it); the run agrees with qemu-hppa."""
    from bench.toolchain import cross_tool
    binary = guest("jit_jumps", opt="-O2")
    nm = subprocess.run([cross_tool("nm"), str(binary)], capture_output=True, text=True,
                        check=True).stdout
    f0 = next(int(f[0], 16) for f in map(str.split, nm.splitlines()) if f[-1] == "f0")
    ref = run_qemu(binary, ["20000"])
    cache = tmp_path / "cache"
    got = run_emu(binary, ["20000"], env={"HPPA_USER_JIT_SYNC": "1", "HPPA_USER_CODE_CACHE": str(cache)},
                  options=["--jit-threshold", "64"])
    assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr
    refs = [CodeCache.ref_of(p.read_bytes()) for p in cache.rglob("*.ref")]
    assert any(r["entry"] != f0 and f0 in r["span"] for r in refs), \
        sorted(hex(r["entry"]) for r in refs)


def test_bad_threshold_is_one_line(run_emu, repo_root):
    got = run_emu(repo_root / "hppa_user" / "examples" / "hello", [],
                  options=["--jit-threshold", "0"])
    assert got.returncode == 2
    assert b"Traceback" not in got.stderr and len(got.stderr.strip().splitlines()) == 1


def test_instruction_counts_match_qemu_with_nullification(guest, run_emu, repo_root, tmp_path):
    """tests/guest/nullify.c runs an asm loop full of nullified instructions (one of them
    always nullified, so never executed nor decoded: a region's skip block counts it).
    qemu-hppa's own count (scripts/qemu_count_insns.sh: one block per instruction) of
    9000 iterations minus that of 1000 must equal hppa-user's, interpreted and compiled
    (synchronously and asynchronously).  Differences cancel the start-up, where the two kernels differ; both
    arguments have four digits, since argv's length changes the start-up's path."""
    binary = guest("nullify", opt="-O2")
    script = repo_root / "scripts" / "qemu_count_insns.sh"

    def qemu_count(n):
        out = subprocess.run(["bash", str(script), str(binary), str(n)], capture_output=True,
                             text=True, timeout=600)
        assert out.returncode == 0 and "(exit 0)" in out.stdout, out
        return int(out.stdout.split()[0])

    want = qemu_count(9000) - qemu_count(1000)
    assert want > 9000 * 20
    stats = tmp_path / "stats.json"
    for mode, env, opts in (("interpreter", {}, ["--no-jit"]),
                            ("sync", sync_env(), STRESS),
                            ("async", {"HPPA_USER_CODE_CACHE": str(tmp_path / "cache")}, STRESS)):
        counts = []
        for n in (1000, 9000):
            got = run_emu(binary, [str(n)], env=env,
                          options=["--kernel", "none", *opts, "--stats-json", str(stats)])
            assert got.returncode == 0, (mode, got.stderr)
            counts.append(json.loads(stats.read_text())["instructions"])
        assert counts[1] - counts[0] == want, (mode, counts, want)


def test_corrupt_code_cache_is_never_executed(guest, run_qemu, run_emu, tmp_path):
    """Fill the code cache, then damage it every way a disk can (and a few only a person
    would): flipped bytes in compiled code, truncated files, references that are not JSON,
    that name another region's code, or that claim other page contents.  The next run must
    still agree with qemu-hppa: damaged entries are detected and ignored (compiled again),
    never executed; the intact ones are used."""
    binary = guest("intarith", opt="-O2")
    args = ("100",)
    ref = run_qemu(binary, args)
    cache = tmp_path / "cache"
    env = {"HPPA_USER_CODE_CACHE": str(cache)}
    got, jit = run_jit(run_emu, binary, args, dict(env, HPPA_USER_JIT_SYNC="1"),
                       tmp_path / "fill.json")
    assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode)
    objects = sorted(cache.rglob("b-*.o"))
    refs = sorted(cache.rglob("*.ref"))
    assert len(objects) >= 2 and len(refs) >= 10, (objects, refs)
    for i, obj in enumerate(objects):
        data = bytearray(obj.read_bytes())
        if i % 3 == 0:                                 # a flipped byte in the code
            data[len(data) // 2] ^= 0x40
            obj.write_bytes(bytes(data))
        elif i % 3 == 1:
            obj.write_bytes(bytes(data[:len(data) // 3]))
    damaged = set()
    texts = [r.read_text() for r in refs]          # as written, before any is damaged
    for i, (r, text) in enumerate(zip(refs, texts)):
        if i % 5 == 0:
            r.write_text(text[:len(text) // 2])
        elif i % 5 == 1:
            r.write_text("not a reference at all")
        elif i % 5 == 2:                               # another region's code
            other = CodeCache.ref_of(texts[(i + 1) % len(refs)].encode())
            d = CodeCache.ref_of(text.encode())
            d["fn"], d["object"] = other["fn"], other["object"]
            r.write_bytes(CodeCache.ref_text(d))
        elif i % 5 == 3:                               # other page contents
            d = CodeCache.ref_of(text.encode())
            page = next(iter(d["hashes"]))
            d["hashes"][page] = "0" * len(d["hashes"][page])
            r.write_bytes(CodeCache.ref_text(d))
        else:
            continue
        damaged.add(r)
    got, jit = run_jit(run_emu, binary, args, env, tmp_path / "run.json")
    assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr
    assert jit["failures"] == 0, jit
    assert jit["from_cache"] <= len(refs) - len(damaged), jit


# Runs the emulator with os.fork and os.posix_spawn counted in its own process: how many
# workers it forked and started ("forks spawns").
COUNT_FORKS = """
import atexit, os, sys
made = [0, 0]
real_fork, real_spawn = os.fork, os.posix_spawn
def fork():
    pid = real_fork()
    if pid:
        made[0] += 1
    return pid
def spawn(*args, **kw):
    made[1] += 1
    return real_spawn(*args, **kw)
os.fork, os.posix_spawn = fork, spawn
me, out = os.getpid(), sys.argv.pop(1)
atexit.register(lambda: os.getpid() == me and open(out, "w").write(f"{{made[0]}} {{made[1]}}"))
sys.path.insert(0, {root!r})
import cli
sys.argv[0] = "hppa-user"
cli.main()
"""


def test_one_worker_compiles_every_batch(guest, run_qemu, repo_root, tmp_path):
    """The compiler's worker is started once per guest process (a fresh interpreter, not a
    fork) and fed every batch over a pipe (a fork per batch cost a short program ~10 %:
    the fork, copy-on-write faults, the guest's files held meanwhile); its regions, built
    from the code pages shipped to it, still agree with qemu-hppa, and the exit forks and
    starts nothing more."""
    binary = guest("qsort_test", opt="-O2")
    # (long enough, ~0.7 s, for the worker's first batch to be installed while the guest
    # runs on a loaded machine: with 20000 elements it took ~0.3 s once chains got faster,
    # and a batch came too late now and then)
    ref = run_qemu(binary, ("60000",))
    count, stats = tmp_path / "forks", tmp_path / "stats.json"
    from conftest import guest_env
    got = subprocess.run(
        [sys.executable, "-c", COUNT_FORKS.format(root=str(repo_root)), str(count), "run",
         *STRESS, "--stats-json", str(stats), str(binary), "60000"],
        env=guest_env({"HPPA_USER_CODE_CACHE": str(tmp_path / "cache")}),
        capture_output=True, timeout=600)
    assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr
    jit = json.loads(stats.read_text())["jit"]
    assert jit["regions"] >= 1 and jit["failures"] == 0, jit   # installed during the run
    assert count.read_text() == "0 1"
    # the batches still queued at the exit went to the same worker, which finishes them
    # after the guest's process has gone: batches of 4, so two or more in the code cache
    refs, settled = _settled_refs(tmp_path / "cache", 120)
    assert settled and refs > 4, refs


def _settled_refs(cache, seconds: float) -> tuple[int, bool]:
    """The code cache's region count once a worker still filling it has stopped adding."""
    seen, deadline = -1, time.monotonic() + seconds
    while time.monotonic() < deadline:
        refs = len(list(cache.rglob("*.ref")))
        if refs and refs == seen:
            return refs, True
        seen = refs
        time.sleep(2)
    return seen, False
# %cr16 read in a hot loop (compiled at once), bracketed by CLOCK_MONOTONIC syscalls: the
# kernel model answers those from the host clock directly, so every cr16 value must lie
# between the low words of the two readings (within TOL ns: the TSC's extrapolation), and
# cr16 never runs backwards.
CR16_CHECK = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#define TOL 20000
static inline uint32_t cr16(void) { uint32_t v; __asm__ volatile("mfctl %%cr16, %0" : "=r"(v)); return v; }
static long long mono(void)
{
    struct timespec t;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}
int main(int argc, char **argv)
{
    int rounds = atoi(argv[1]);
    long reads = 0, outside = 0, backwards = 0;
    uint32_t c[64], prev = cr16();
    for (int r = 0; r < rounds; r++) {
        long long t0 = mono();
        for (int k = 0; k < 64; k++) c[k] = cr16();
        long long t1 = mono();
        for (int k = 0; k < 64; k++, reads++) {
            int32_t since = (int32_t)(c[k] - (uint32_t)t0);      /* ns after t0, mod 2^32 */
            if (since < -TOL || since > (int32_t)(t1 - t0) + TOL) outside++;
            if ((int32_t)(c[k] - prev) < 0) backwards++;
            prev = c[k];
        }
    }
    printf("reads %ld outside %ld backwards %ld\n", reads, outside, backwards);
    return 0;
}
"""


@pytest.mark.parametrize("mode", ["compiled", "compiled, no TSC", "interpreted"])
def test_cr16_is_host_monotonic(mode, guest, run_emu, tmp_path):
    """cr16 = host CLOCK_MONOTONIC ns mod 2^32 on every path: compiled regions read the
    TSC inline (extrapolated from the last clock_gettime() anchor), or call the helper
    (HPPA_USER_TSC=0: every read a clock_gettime()); the interpreter calls the helper."""
    binary = guest(CR16_CHECK, opt="-O2")
    env = dict(sync_env(), **({"HPPA_USER_TSC": "0"} if "no TSC" in mode else {}))
    opts = ["--no-jit"] if mode == "interpreted" else []
    got, jit = run_jit(run_emu, binary, ["3000"], env, tmp_path / "stats.json", opts)
    assert got.returncode == 0, got.stderr
    assert got.stdout == b"reads 192000 outside 0 backwards 0\n", got.stdout
    if mode != "interpreted":
        assert jit["regions"] >= 1 and jit["failures"] == 0, jit


def test_tsc_baseline_is_taken_when_the_core_is_made():
    """The cr16 source measures the TSC's rate against CLOCK_MONOTONIC over a baseline
    of 8 anchors (~6.5 ms) from its first reading, and until then every read also reads
    the host clock (~65 ns instead of ~21).  A core takes that first reading as it is
    made, so the rate waits for the guest's start-up, not for its first 6.5 ms of clock
    reads (hppa-user bench --quick: 61 ns through the vsyscall dispatcher, 22 ns now)."""
    cpu = Cpu()
    before = time.monotonic_ns()
    env = cpu.load_core().env
    after = time.monotonic_ns()
    far = (env[S.ENV_TSC_BASE] + S.TSC_FAR) % (1 << 64)      # (no rate yet: every read stale)
    if core.invariant_tsc():
        assert env[S.ENV_TSC_BASE] > 0 and before <= env[S.ENV_NS_BASE] <= after
        assert env[S.ENV_TSC_ANCHOR] % (1 << 64) == far and env[S.ENV_TSC_RATE] == 0
    else:                                     # every read is a clock_gettime()
        assert env[S.ENV_TSC_BASE] == 0 and env[S.ENV_TSC_ANCHOR] % (1 << 64) == far


def test_adaptive_threshold_fills_the_code_cache(guest, run_qemu, run_emu, tmp_path):
    """Under the default (adaptive) threshold a run long enough to start the worker
    (jit.START_AFTER) leaves its hot regions in the code cache -- including the ones still
    queued at its exit, which the worker compiles after the guest's process has gone --
    and the next run installs them from disk, agreeing with qemu-hppa both times."""
    binary = guest("crc_loop", opt="-O2")
    args = ("3000000",)                            # ~190 M instructions
    ref = run_qemu(binary, args)
    cache = tmp_path / "cache"
    env = {"HPPA_USER_CODE_CACHE": str(cache)}
    first = run_emu(binary, args, env=env, options=["--stats-json", str(tmp_path / "1.json")])
    assert (first.stdout, first.returncode) == (ref.stdout, ref.returncode), first.stderr
    _settled_refs(cache, 120)                      # the exit's batches, compiled after it
    second = run_emu(binary, args, env=env, options=["--stats-json", str(tmp_path / "2.json")])
    assert (second.stdout, second.returncode) == (ref.stdout, ref.returncode), second.stderr
    jit = json.loads((tmp_path / "2.json").read_text())["jit"]
    assert jit["from_cache"] >= 1 and jit["failures"] == 0, jit


def test_short_run_leaves_its_hot_code_to_the_cache(guest, run_qemu, run_emu, tmp_path):
    """A run too short to compile anything while it runs (under jit.START_AFTER) but
    longer than jit.CACHE_AFTER hands its hottest targets to a worker at its exit; the
    next run of the program installs them from the code cache as it starts."""
    from hppa_user import jit as J
    binary = guest("crc_loop", opt="-O2")
    args = ("400000",)                             # ~25 M instructions
    ref = run_qemu(binary, args)
    cache = tmp_path / "cache"
    env = {"HPPA_USER_CODE_CACHE": str(cache)}
    runs = []
    for i in (1, 2):
        got = run_emu(binary, args, env=env, options=["--stats-json", str(tmp_path / f"{i}.json")])
        assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr
        runs.append(json.loads((tmp_path / f"{i}.json").read_text()))
        if i == 1:
            refs, settled = _settled_refs(cache, 120)
            assert settled and refs >= 1, refs
    first, second = runs
    assert J.CACHE_AFTER <= first["instructions"] < J.START_AFTER
    assert first["jit"]["regions"] == 0, first["jit"]             # nothing while it ran
    assert second["jit"]["from_cache"] >= 1 and second["jit"]["failures"] == 0, second["jit"]


def test_one_worker_past_the_exit_at_a_time(guest, run_qemu, run_emu, tmp_path):
    """Workers still compiling after their guest's exit take the code cache's lock: while
    another holds it (here the test), a run's exit work is left, not queued behind it --
    on a busy machine the idle workers of many short runs would pile up -- and once the
    lock is free the same run fills the cache."""
    import fcntl
    binary = guest("crc_loop", opt="-O2")
    args = ("400000",)                             # ~25 M instructions: exit work to do
    ref = run_qemu(binary, args)
    cache = tmp_path / "cache"
    env = {"HPPA_USER_CODE_CACHE": str(cache)}
    first = run_emu(binary, args, env=env)                   # makes the cache's directory
    assert (first.stdout, first.returncode) == (ref.stdout, ref.returncode), first.stderr
    _settled_refs(cache, 120)
    (lock,) = cache.rglob("exit-worker.lock")
    for ref_file in cache.rglob("*.ref"):
        ref_file.unlink()
    with open(lock) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        got = run_emu(binary, args, env=env)
        assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr
        time.sleep(5)
        assert list(cache.rglob("*.ref")) == []              # its worker left
    got = run_emu(binary, args, env=env)
    assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr
    refs, settled = _settled_refs(cache, 120)
    assert settled and refs >= 1, refs


def test_exit_worker_is_forked_last_holding_no_files(repo_root, tmp_path):
    """The worker a run's exit leaves (jitworker.detach) is forked as the process's last
    step, after its last output, holding none of its files: forked holding the pipe of
    whoever reads the output, it kept that reader waiting for EOF until it had run.  The
    process here ends the way every run does (jitworker.end_process); its fork is watched
    (the open files and what was written by then), and the worker still does its work."""
    code = f"""
import os, sys
from hppa_user import jitworker
def fork(real=os.fork):
    fds = []
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            fds.append((fd, os.readlink(f"/proc/self/fd/{{fd}}")))
        except OSError:                      # (the listing's own, closed by now)
            pass
    with open({str(tmp_path / "at_fork")!r}, "w") as fh:
        fh.write(repr(sorted(fds)))
    return real()
os.fork = fork
def message():
    with open({str(tmp_path / "worked")!r}, "w") as fh:
        fh.write(str(os.getpid()))
jitworker.detach(message, None, None)
print("last words", flush=True)
print("to stderr", file=sys.stderr, flush=True)
jitworker.end_process(7)
"""
    p = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    assert (p.returncode, p.stdout, p.stderr) == (7, b"last words\n", b"to stderr\n")
    at_fork = eval((tmp_path / "at_fork").read_text())
    assert at_fork == [(0, "/dev/null"), (1, "/dev/null"), (2, "/dev/null")], at_fork
    deadline = time.monotonic() + 60                 # (the worker runs on idle time)
    while not (tmp_path / "worked").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "worked").exists()


def _adaptive_harness(src: str):
    """(harness, cpu, region compiler) under the adaptive threshold, having run the first
    instruction of ``src`` (so its code page has a decode-cache slot)."""
    from hppa_user import jit as J
    from cpu_harness import Cpu as Harness
    h = Harness()
    h.cpu.jit_threshold = J.JIT_AUTO
    h.run(src, budget=1)
    return h, h.cpu, h.cpu.jit


def test_hot_reports_wait_for_the_worker(monkeypatch):
    """Under the adaptive threshold the core reports a branch target once at FIRST_REPORT
    entries (a code-cache lookup), and at its powers of two from CTL_JIT_HOT only once
    CTL_JIT_FROM (PREPARE_AFTER) instructions have run: before then nothing would be done
    with them, and a run that ends sooner pays no core exit for them."""
    from hppa_user import jit as J
    from cpu_harness import CODE, Cpu as Harness

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")
    h = Harness()
    cpu = h.cpu
    cpu.jit_threshold = J.JIT_AUTO
    assert h.ctl[S.CTL_JIT_FROM] == J.PREPARE_AFTER and h.ctl[S.CTL_JIT_HOT] == 1 << 14
    seen = []
    request = cpu.jit.request
    monkeypatch.setattr(cpu.jit, "request",
                        lambda e: seen.append((e, cpu.jit.counted(e)[1])) or request(e))
    loop = "ldil L%0x10000, %r3\nloop: addib,<> -1, %r3, loop\n nop"   # 65536 rounds
    for hot_from, reports in ((J.PREPARE_AFTER, [64]), (0, [64, 1 << 14, 1 << 15])):
        seen.clear()
        st = h.run(loop, budget=1 << 20)
        h.ctl[S.CTL_JIT_FROM] = hot_from                  # (set_threshold's, until now)
        while st == S.ST_JIT:
            st = cpu.run(1 << 20)
        assert h.r(3) == 0 and [n for e, n in seen if e == CODE + 4] == reports, seen


def test_worker_is_forked_for_hot_code_the_interpreter_runs(monkeypatch):
    """From PREPARE_AFTER instructions on, a report forks the worker when the reporting
    target is hot, or a target reported so far is hot and still counted (interpreted):
    a warm run whose hot code all came from the code cache forks none."""
    from hppa_user import jit as J
    from cpu_harness import CODE

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")
    h, cpu, rc = _adaptive_harness("nop\n nop\n nop\n nop")
    a, b, c, d = CODE, CODE + 4, CODE + 8, CODE + 12
    spawned = []
    monkeypatch.setattr(rc, "spawn", lambda: spawned.append(rc.m.ctx.insns) or True)
    h.ctl[S.CTL_INSNS] = J.PREPARE_AFTER
    rc.seen.add(a)
    cpu.native[rc.slot_index(a)] = 0x12345                  # installed from the code cache
    cpu.native[rc.slot_index(b)] = -J.FIRST_REPORT
    rc.request(b)                                           # nothing hot is interpreted
    cpu.native[rc.slot_index(a)] = -(J.HEAT // J.MAX_PATH)   # a hot target is
    cpu.native[rc.slot_index(c)] = -J.FIRST_REPORT
    rc.request(c)                                           # (looked at again at 2x the insns)
    h.ctl[S.CTL_INSNS] = 2 * J.PREPARE_AFTER - 1
    rc.request(c)
    assert spawned == []
    h.ctl[S.CTL_INSNS] = 2 * J.PREPARE_AFTER
    cpu.native[rc.slot_index(d)] = -J.FIRST_REPORT
    rc.request(d)
    assert spawned == [2 * J.PREPARE_AFTER]
    rc.request(a)                                           # its own hot report
    assert len(spawned) == 2


def test_warm_run_chains_the_targets_its_cache_has_no_region_for(monkeypatch):
    """A target's first report installs its region from the code cache when there is one
    and builds a chain at it when there is not -- in a run the cache has given regions to
    as in a cold one (a chain costs ~40 us, a region ~100 ms: targets earlier runs left
    uncompiled may still be worth a chain)."""
    from hppa_user import jit as J
    from cpu_harness import CODE

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")
    h, cpu, rc = _adaptive_harness("nop\n nop\n nop\n nop")
    a, b = CODE, CODE + 4
    built = []

    def install_cached(entry, idx):                  # the cache has a region for a only
        if entry != a:
            return False
        cpu.native[idx] = 0x12345
        rc.cached += 1
        return True
    monkeypatch.setattr(rc, "install_cached", install_cached)
    monkeypatch.setattr(rc.m.chains, "build", lambda e: built.append(e) or True)
    h.ctl[S.CTL_INSNS] = J.CHAINS_AFTER
    for e in (a, b):
        cpu.native[rc.slot_index(e)] = -J.FIRST_REPORT
        rc.request(e)
    assert rc.cached == 1 and built == [b]


def test_targets_reported_early_are_chained_once_the_program_gets_there(monkeypatch):
    """A target first reported before CHAINS_AFTER instructions waits for its chain, and
    the next look after the core has returned past CHAINS_AFTER builds it (poll), with no
    further report needed: a program's first hot loop may be the only one it ever has."""
    from hppa_user import jit as J
    from cpu_harness import CODE

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")
    h, cpu, rc = _adaptive_harness("nop\n nop\n nop\n nop")
    built = []
    monkeypatch.setattr(rc.m.chains, "build", lambda e: built.append(e) or True)
    h.ctl[S.CTL_INSNS] = J.CHAINS_AFTER - 1
    cpu.native[rc.slot_index(CODE)] = -J.FIRST_REPORT
    rc.request(CODE)
    assert built == [] and rc.active
    rc.poll()
    assert built == [] and rc.active
    h.ctl[S.CTL_INSNS] = J.CHAINS_AFTER
    rc.poll()
    assert built == [CODE]


def test_cached_span_is_read_when_looked_at():
    """A cached region's span (the addresses a breakpoint may not be in) is read from its
    reference file only when a breakpoint looks; one that does not read as addresses
    stands for every address, so that any breakpoint drops the region."""
    from hppa_user.jit import Span
    span = CodeCache.ref_of(CodeCache.ref_text({
        "entry": 64, "entries": [], "fn": "f", "object": "b-x.o", "returns": [], "span": [64, 68, 72],
        "hashes": {"0": "ab"}}))["span"]
    assert 68 in span and 76 not in span and list(span) == [64, 68, 72]
    assert span.isdisjoint(set()) and span.isdisjoint({76}) and not span.isdisjoint({72})
    damaged = Span("64 6x8")
    assert 1234 in damaged and list(damaged) == []
    assert damaged.isdisjoint(set()) and not damaged.isdisjoint({1234})


def test_exit_forks_no_worker_for_targets_known_to_be_cool(monkeypatch, tmp_path):
    """The exit's worker weighs the lukewarm targets and gives the ones it leaves
    uncompiled a cool marker (their path's length, for the code now on their page); a
    later exit whose lukewarm targets all have one that keeps them cool with its own
    entries forks no worker to weigh them again, but does for a hotter one, or once the
    code on the page has changed."""
    from hppa_user import jit as J
    from hppa_user import jitworker
    from cpu_harness import CODE

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", str(tmp_path))
    forks = []
    monkeypatch.setattr(jitworker, "detach", lambda message, *_a: forks.append(message()))
    h, cpu, rc = _adaptive_harness("nop\n bv,n %r0(%r2)")   # a path of 3: it and the delay slot
    a = CODE
    ia = rc.slot_index(a)
    lukewarm = J.HEAT // 16 // J.MAX_PATH                 # entries: as few as lukewarm() takes
    cpu.native[ia] = -lukewarm
    rc.seen.add(a)
    h.ctl[S.CTL_INSNS] = J.CACHE_AFTER                    # a run long enough to leave them
    assert not rc.all_cool()                              # never weighed

    view = jitworker.CodeView()
    view.apply(rc.view([a], {}))
    assert rc.side.pick_lukewarm({a: lukewarm}, view) == []    # 3 instructions: too cool
    time.sleep(2 * J.LOOK_INTERVAL)                       # (the directory is looked at again)
    assert rc.code_cache().cool_length(cpu.mem, a) == rc.paths[a] == 3
    assert rc.all_cool()
    rc.close()
    assert forks == []                                    # nothing to fork a worker for

    cpu.native[ia] = -(J.HEAT // 16 // 3 + 1)             # this run's entries make it warm
    assert not rc.all_cool()
    rc.close()
    assert len(forks) == 1 and a in forks[0]["lukewarm"]

    cpu.native[ia] = -lukewarm
    cpu.mem.poke(CODE + 4, bytes(4))                      # other code on the page
    assert rc.code_cache().cool_length(cpu.mem, a) is None


def test_code_cache_lookup_lists_only_its_pages_directory(monkeypatch, tmp_path):
    """Reference files are kept in a directory per guest page and content, and a lookup
    lists its entry's and no other: a cache holding many other regions (here, on the
    same page number with other code, and on another page) costs a lookup nothing more.
    A file kept later is seen once that directory is looked at again (LOOK_INTERVAL)."""
    import os
    from hppa_user import jit as J

    cache = CodeCache(str(tmp_path), "ns")
    code, other_code = bytes(range(256)) * 16, bytes(4096)
    page, entry = 0x11, 0x11008
    here = cache.page_dir(page, code)
    assert here != cache.page_dir(page, other_code) != cache.page_dir(page + 1, code)
    for i in range(200):                          # others' code at the same addresses
        cache.write(cache.page_dir(page, other_code), CodeCache.ref_name(entry + 4 * i, "ab"), b"")
        cache.write(cache.page_dir(page + 1, code), CodeCache.ref_name(entry + 4096 + 4 * i, "ab"),
                    b"")
    listed = []
    real_listdir = os.listdir
    monkeypatch.setattr(J.os, "listdir", lambda d: listed.append(d) or real_listdir(d))
    assert not cache._has_refs(entry, here)
    assert listed == []                           # no directory yet: a stat, nothing listed
    cache.write(here, CodeCache.ref_name(entry, "cd"), b"")
    assert not cache._has_refs(entry, here)       # (looked at less than LOOK_INTERVAL ago)
    time.sleep(2 * J.LOOK_INTERVAL)
    assert cache._has_refs(entry, here) and not cache._has_refs(entry + 4, here)
    assert listed == [here]
    assert sorted(p.name for p in tmp_path.rglob("*.ref") if str(p.parent) == here) == \
        [CodeCache.ref_name(entry, "cd")]


def test_weighing_rules_of_the_guests_process():
    """The guest's process has branch targets weighed by the worker (their path lengths):
    a target is queued when its entries *at the answer* times its length reach HEAT, and
    otherwise reports again; no batch starts before the answers to the questions asked
    while the last batch was compiled (it would be chosen without them); and a fork or a
    dead worker, which lose the questions in flight, ask them again."""
    from hppa_user import jit as J
    from cpu_harness import CODE

    h, cpu, rc = _adaptive_harness("nop\n nop")
    a, b = CODE, CODE + 4
    ia, ib = rc.slot_index(a), rc.slot_index(b)
    assert ia >= 0 and ib >= 0
    cpu.native[ia] = -(J.HEAT // 16 - 1)             # just too few entries for a length of 16
    cpu.native[ib] = -(J.HEAT // 16)
    rc.ask_length(a)
    rc.ask_length(b)
    assert list(rc.to_weigh) == [a, b] and rc.active
    rc.weighing.update(rc.to_weigh)                 # (as send_weighing leaves them)
    rc.to_weigh.clear()
    rc.asked = 1
    rc.awaited = rc.asked                           # (as poll leaves it at a batch's result)
    rc.queue[0x999000] = 1                          # something queued already: not started
    rc.start()                                      # while the answer is awaited
    assert rc.inflight is None and rc.worker is None
    rc.inflight = (rc.generation, [])               # a batch in flight: nothing else starts
    rc.answered += 1                                # (as poll counts the answer)
    rc.weighed({a: 16, b: 16})
    assert rc.paths == {a: 16, b: 16} and not rc.weighing
    assert a not in rc.queue and cpu.native[ia] == -(J.HEAT // 16 - 1)   # reports again
    assert rc.queue[b] == J.HEAT and cpu.native[ib] == -(J.HEAT // 16)   # queued, counted
    rc.weighing.add(a)
    rc.forked()                                     # a guest fork's child
    assert rc.to_weigh == {a: None} and not rc.weighing and rc.inflight is None
    assert rc.active and set(rc.queue) >= {b, 0x999000}


def test_queue_rules_of_the_guests_process():
    """The queue of targets to compile: a queued target is still counted, and its next report
    ranks it again (its heat then); a batch takes the hottest, which the core stops
    counting (NATIVE_NEVER), the first batch only one; an installed region takes the queued
    targets inside its code off the queue (still counted); a target the worker left out
    because another region of its batch holds its code is counted again from zero."""
    from hppa_user import jit as J
    from hppa_user import state as S
    from cpu_harness import CODE

    h, cpu, rc = _adaptive_harness("nop\n nop")
    a, b, c, d = CODE, CODE + 8, CODE + 16, CODE + 24
    idx = {e: rc.slot_index(e) for e in (a, b, c, d)}
    for e, heat in ((a, 3), (b, 2), (c, 1)):
        cpu.native[idx[e]] = -100
        rc.enqueue(e, idx[e], heat, 100)
    assert all(cpu.native[idx[e]] == -100 for e in (a, b, c))         # still counted
    rc.enqueue(c, idx[c], 5, 200)                                       # c reports again
    assert rc.queue[c] == 5 and rc.entries[c] == 200
    first = rc.next_batch(J.FIRST_BATCH)
    assert first == [c] and cpu.native[idx[c]] == S.NATIVE_NEVER and J.FIRST_BATCH == 1
    assert rc.next_batch() == [a, b] and not rc.queue
    assert cpu.native[idx[a]] == cpu.native[idx[b]] == S.NATIVE_NEVER
    cpu.native[idx[d]] = -7
    rc.enqueue(d, idx[d], 1, 7)
    rc.enqueue(0x999000, -1, 1, 7)
    rc.drop_covered({d})
    assert list(rc.queue) == [0x999000] and cpu.native[idx[d]] == -7    # off the queue, counted
    cpu.native[idx[b]] = S.NATIVE_NEVER - 3                             # (counted on from there)
    rc.count_again([b])
    assert cpu.native[idx[b]] == 0 and cpu.native[idx[a]] == S.NATIVE_NEVER


def test_first_region_is_small(monkeypatch):
    """The guest's first batch asks for a region of at most FIRST_REGION instructions (it
    compiles in about half the time of a full one, and lands that much sooner), the others
    for full ones; a batch's regions hold at most the instructions it asks for."""
    from types import SimpleNamespace
    from hppa_user import jit as J
    from hppa_user import jitworker
    from cpu_harness import CODE, Cpu as Harness

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")          # (work() stores in the cache)
    h = Harness()
    rc = h.cpu.jit
    h.run("ldi 10, %r3\nloop:" + " addi 1, %r4, %r4\n" * 20 + " addib,<> -1, %r3, loop\n nop",
          budget=10_000)
    assert h.r(4) == 200
    head = CODE + 4
    view = jitworker.CodeView()
    view.apply(rc.view([head], {}))
    assert len(rc.side.work([head], view)["regions"][0]["code"]) > 22      # the loop, its delay slot, its way out
    assert len(rc.side.work([head], view, 8)["regions"][0]["code"]) == 8
    sent = []
    monkeypatch.setattr(rc, "spawn", lambda: True)
    rc.worker = SimpleNamespace(send=lambda msg: sent.append(msg) or True)
    for entry in (head, head + 8):
        rc.enqueue(entry, rc.slot_index(entry), J.HEAT, J.HEAT)
        rc.inflight = None
        rc.start()
    assert [m["batches"] for m in sent] == [[[head]], [[head + 8]]]
    assert sent[0]["size"] == J.FIRST_REGION < 144 and "size" not in sent[1]


def test_batch_leaves_out_a_target_inside_an_earlier_region(monkeypatch):
    """A batch whose second target lies inside the first target's region (a loop's head and
    a branch target in its body, queued together) compiles one region: the second is left
    out and reported back (RegionGen.compile, jit.count_again), its code compiled once."""
    from hppa_user import jitworker
    from cpu_harness import CODE, Cpu as Harness

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")          # (work() stores in the cache)
    h = Harness()
    rc = h.cpu.jit
    h.run("ldi 100, %r3\nloop: addi -1, %r3, %r3\n ldi 2, %r5\ninner: addi 1, %r4, %r4\n"
          " cmpib,<> 0, %r3, loop\n nop", budget=10_000)
    assert h.r(4) == 100
    head, inner = CODE + 4, CODE + 12
    view = jitworker.CodeView()
    view.apply(rc.view([head, inner], {}))
    result = rc.side.work([head, inner], view)
    assert result["error"] is None and result["covered"] == [inner]
    assert [r["entry"] for r in result["regions"]] == [head] and inner in result["regions"][0]["code"]
    alone = rc.side.work([inner], view)                  # on its own it is a region
    assert alone["covered"] == [] and [r["entry"] for r in alone["regions"]] == [inner]


def test_region_stops_at_a_compiled_entry(monkeypatch):
    """A region whose flow reaches the entry of a region compiled already (a loop's head,
    once the loop is compiled) goes there through the native table instead of compiling
    that code again.  Code brought in is kept whole: a callee, even where its flow reaches
    such an entry (a stop there made vvar clock_gettime's timing loop chain on every
    call), and a loop's head reached by the branch back from a region entered inside the
    loop."""
    from hppa_user import jitworker
    from hppa_user.regiongen import Region, RegionGen
    from cpu_harness import CODE, Cpu as Harness

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")          # (work() stores in the cache)
    h = Harness()
    rc = h.cpu.jit
    h.run("bl fn, %r2\n nop\n ldi 100, %r3\nloop: addi -1, %r3, %r3\n addi 1, %r4, %r4\n"
          " cmpib,<> 0, %r3, loop\n nop\n b done\n nop\n"
          "fn: addi 1, %r6, %r6\nfnret: bv %r0(%r2)\n nop\ndone: nop", budget=10_000)
    assert h.r(4) == 100 and h.r(6) == 1
    head, body, fn, fnret = CODE + 12, CODE + 16, CODE + 36, CODE + 40
    view = jitworker.CodeView()
    view.apply(rc.view([CODE], {}))
    gen = RegionGen()

    def region(entry, stops):
        return Region(entry, view.word, view.slot, view.executed, gen.prober, view.returns,
                      view.entries_of(entry), view.jumps, stops)
    whole, stopped = region(CODE, ()), region(CODE, {head, fn, fnret})
    assert {head, body, fn, fnret, CODE + 8} <= set(whole.insns)
    assert head not in stopped.insns and body not in stopped.insns      # the loop: not again
    assert {fn, fnret, CODE + 8} <= set(stopped.insns)                   # the callee: whole
    assert head in region(body, {head}).insns                           # a branch back
    view.installed = {head}
    result = rc.side.work([CODE], view)                    # compiled, the loop left to its region
    assert result["error"] is None and len(result["regions"][0]["code"]) == len(region(CODE, {head}).insns)
    assert head not in result["regions"][0]["code"]


def test_loads_take_the_value_a_store_left(monkeypatch):
    """forward_plan: a word load reads back the value a store of the region left at its
    address (the same base value, the same displacement) when no store in between may
    have written those bytes: not one through a pointer loaded from memory, nor a byte
    or halfword store over the word; a store beside it, through the same base, leaves
    it; and no value goes round a loop (a load at a loop's head waits, maybe, for another
    thread's store), though one stored and loaded in a round still is.  The region built
    from the interpreter's run forwards exactly those loads."""
    from hppa_user import irtext, jitworker
    from hppa_user.regiongen import Emitter, Region, RegionGen
    from cpu_harness import CODE, DATA, Cpu as Harness

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")
    h = Harness()
    src = ("ldo 64(%sp), %r21\n stw %r21, 0(%r7)\n"               # a pointer to 64(sp), kept
           "stw %r4, 64(%sp)\n stw %r5, 68(%sp)\n stw %r5, 60(%sp)\n"
           "beside: ldw 64(%sp), %r8\n"                               # r4: forwarded
           "stb %r5, 65(%sp)\nbyte: ldw 64(%sp), %r9\n"               # a byte over it
           "stw %r4, 64(%sp)\n sth %r5, 62(%sp)\nhalf: ldw 60(%sp), %r12\n"
           "ldw 0(%r7), %r20\n stw %r5, 0(%r20)\nptr: ldw 64(%sp), %r10\n"  # through a pointer
           "stw %r4, 72(%sp)\nlast: ldw 72(%sp), %r11\n"
           "stw %r4, 80(%sp)\n ldi 3, %r14\nspin: ldw 80(%sp), %r13\n"     # a loop's head
           "stw %r13, 84(%sp)\nround: ldw 84(%sp), %r15\n addib,<> -1, %r14, spin\n nop")
    regs = dict(r4=0x11223344, r5=0x55667788, r7=DATA, r30=DATA + 0x100)
    h.run(src, **regs)
    assert [h.r(n) for n in (8, 9, 10, 11, 12, 13, 15)] == [
        0x11223344, 0x11883344, 0x55667788, 0x11223344, 0x55667788, 0x11223344, 0x11223344]
    at = dict(beside=CODE + 20, byte=CODE + 28, half=CODE + 40, ptr=CODE + 52, last=CODE + 60,
              spin=CODE + 72, round=CODE + 80)
    view = jitworker.CodeView()
    view.apply(h.cpu.jit.view([CODE], {}))
    gen = RegionGen()
    region = Region(CODE, view.word, view.slot, view.executed, gen.prober, view.returns,
                    view.entries_of(CODE), view.jumps, ())
    assert set(at.values()) <= set(region.insns)
    forward = Emitter(irtext.Module(), region, {}, "r").forward
    assert forward == {(at["beside"], 0): (CODE + 8, 0), (at["last"], 0): (CODE + 56, 0),
                       (at["round"], 0): (CODE + 76, 0)}


# A loop entered in its middle: ``mid`` from outside, ``top`` (its head) by the branch back.
MID_ENTRY = ("ldi 3, %r3\n b mid\n nop\ntop: addi 1, %r4, %r4\nmid: addi 2, %r5, %r5\n"
             " addib,<> -1, %r3, top\n nop")


def _region_with_other_entry(monkeypatch, cache="off"):
    """(harness, region compiler, loop head, middle, work() result): the loop of MID_ENTRY
    run once, its middle counted as entered OTHER_ENTRY_AT times, its head's region built."""
    from hppa_user import jitworker, regiongen
    from cpu_harness import CODE, Cpu as Harness

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", cache)
    h = Harness()
    cpu, rc = h.cpu, h.cpu.jit
    cpu.jit_threshold = 1 << 30                  # entries counted, never reported
    h.run(MID_ENTRY, r4=0, r5=0)
    assert (h.r(4), h.r(5)) == (2, 6)
    top, mid = CODE + 12, CODE + 16
    cpu.native[rc.slot_index(mid)] = -regiongen.OTHER_ENTRY_AT
    view = jitworker.CodeView()
    view.apply(rc.view([top], {}))
    result = rc.side.work([top], view)
    assert result["error"] is None and [r["entries"] for r in result["regions"]] == [[mid]]
    return h, rc, top, mid, result


def test_regions_compiled_after_the_exit_have_no_other_entries(monkeypatch):
    """A region compiled for the code cache after the guest's exit is shaped for its own
    entry only: compiling costs nobody time then, and each target gets its own."""
    from hppa_user import jitworker
    h, rc, top, mid, _result = _region_with_other_entry(monkeypatch)
    view = jitworker.CodeView()
    view.apply(rc.view([top], {}))
    view.running = False
    assert [r["entries"] for r in rc.side.work([top], view)["regions"]] == [[]]


def _run_again(h) -> tuple[int, int]:
    """Run MID_ENTRY again on the decoded code (no flush), from its start."""
    from cpu_harness import CODE
    h.gr[4] = h.gr[5] = 0
    h.ctx.jump(CODE)
    h.cpu.run(10_000)
    return h.r(4), h.r(5)


def test_region_is_entered_at_its_other_entries(monkeypatch):
    """A region is entered at the targets in its code the interpreter entered often
    (regiongen.other_entries), not compiled again as regions of their own: entered at a
    loop's middle, it runs the loop's rounds itself -- its head, no entry of its own, is
    not counted by the interpreter -- leaving the registers the interpreter does."""
    h, rc, top, mid, result = _region_with_other_entry(monkeypatch)
    native = h.cpu.native
    native[rc.slot_index(top)] = S.NATIVE_NEVER                 # (being compiled: next_batch)
    rc.take(result)
    fn = int(native[rc.slot_index(top)])
    assert fn > 0 and native[rc.slot_index(mid)] == fn and mid in rc.translated
    for at_mid, head_count in ((fn, 0), (0, -2)):      # the region entered at mid, or not
        native[rc.slot_index(top)], native[rc.slot_index(mid)] = 0, at_mid
        assert _run_again(h) == (2, 6)
        assert native[rc.slot_index(top)] == head_count   # (2 branches back, interpreted)


def test_cached_region_is_found_at_its_other_entries(monkeypatch, tmp_path):
    """A cached region has a reference file for each of its entries: the first one a
    run reports installs it at all of them.  A reference that claims an entry the code
    was not built with is not installed (its key says which entries it has)."""
    h, rc, top, mid, result = _region_with_other_entry(monkeypatch, str(tmp_path))
    cache = rc.code_cache()
    assert sorted(int(p.name[:8], 16) for p in tmp_path.rglob("*.ref")) == [top, mid]
    native = h.cpu.native
    for e in (top, mid):
        native[rc.slot_index(e)] = 0
    assert rc.install_cached(mid, rc.slot_index(mid))
    fn = int(native[rc.slot_index(mid)])
    assert fn > 0 and native[rc.slot_index(top)] == fn
    assert _run_again(h) == (2, 6)
    ref = next(p for p in tmp_path.rglob("*.ref") if int(p.name[:8], 16) == mid)
    claimed = CodeCache.ref_of(ref.read_bytes())
    claimed["entries"] = [mid + 4]
    ref.with_name(f"{mid + 4:08x}{ref.name[8:]}").write_bytes(CodeCache.ref_text(claimed))
    cache._listed.clear()                                         # (list the directory again)
    assert cache.lookup(h.mem, mid + 4) is None
    assert cache.lookup(h.mem, mid) is not None and cache.lookup(h.mem, mid + 8) is None


def test_worker_answers_the_weighing_asked_during_a_batch_first():
    """The worker answers the weighing asked while it compiled a batch in one reply, sent
    before the batch's result: the guest's process waits for those answers before it
    sends its next batch, and answered one by one after the result they kept the worker
    idle ~5 ms a batch."""
    import os
    import threading
    from hppa_user import jitworker
    from hppa_user.frames import Frames, frame

    class Compiler:
        def prepare(self):
            pass

        def work(self, batch, view, size=None):
            return {"obj": None, "regions": [], "entries": batch}

        def weigh(self, entries, pages):
            return {e: len(pages) for e in entries}

    delta = {"generation": 0, "slots": {}, "data": {}, "ran": b"", "counts": {},
             "entries": {}, "hooks": b"", "returns": [], "jumps": {}, "excluded": [],
             "installed": []}
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()
    for msg in ({"view": delta, "batches": [[0x10000]], "reply": True},
                {"weigh": [0x10040], "pages": {0x10: b""}, "reply": True},
                {"weigh": [0x10080, 0x100c0], "pages": {}, "reply": True}):
        os.write(to_w, frame(msg))
    os.close(to_w)
    worker = threading.Thread(target=jitworker.serve, args=(to_r, from_w, Compiler(), None))
    worker.start()
    worker.join(30)
    os.close(from_w)
    data = b""
    while chunk := os.read(from_r, 1 << 16):
        data += chunk
    os.close(from_r)
    os.close(to_r)
    assert Frames().feed(data) == [
        {"paths": {0x10040: 1, 0x10080: 0, 0x100c0: 0}, "answers": 2},
        {"obj": None, "regions": [], "entries": [0x10000]}]
