"""The benchmark package: `hppa-user bench --quick` as a report, and the `make bench` harness.

The figures themselves are not asserted (timing is for `make bench` to print); what is:
every runner is covered, the JSON and the plot are valid, the path each call takes (traps,
syscalls, vDSO calls per call) is what the kernel profile allows, hppa-user's instruction
counts agree with qemu's own, and the harness reports a different output as an error.
"""
from __future__ import annotations

import bz2
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, emulator_command, toolchain
from test_layering import _graph

from bench import harness, report, runners as rn, sources
from bench.workloads import Job, Workload


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench")
    js, png = d / "bench.json", d / "bench.png"
    p = subprocess.run([*emulator_command(), "bench", "--quick", "--json", str(js), "--plot", str(png)],
                       capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    return p, js, png


def _rows(js: Path) -> dict:
    data = json.loads(js.read_text())
    return data, {(r["function"], r["path"], r["runner"]): r for r in data["rows"]}


def test_quick_report_covers_every_runner(quick_report):
    p, js, _ = quick_report
    assert p.returncode == 0, p.stdout + p.stderr
    data, rows = _rows(js)
    runners = set(data["machine"]["runners"])
    assert {"qemu-hppa 7.2", "hppa-user", "hppa-user --no-jit"} <= runners
    assert {r for (_, _, r) in rows} == runners
    for row in data["rows"]:
        assert row["error"] is None, row
        assert row["ns_per_call"] > 0 and row["guest_insns_per_call"] > 0, row
    assert "ns/call" in p.stdout and "insns/call" in p.stdout


def test_quick_report_paths(quick_report):
    """Traps per call follow the profile: vvar serves MONOTONIC from the data page, 6.11's
    vDSO function traps, glibc 2.36 always traps; the dispatcher takes the vDSO under vvar
    and the syscall with VSYSCALL=syscall."""
    _, js, _ = quick_report
    _, rows = _rows(js)
    fn = "clock_gettime:monotonic"
    for runner in ("hppa-user", "hppa-user --no-jit"):
        def path(p):
            r = rows[(fn, p, runner)]
            return r["traps_per_call"], r["syscalls_per_call"], r["vdso_calls_per_call"]
        assert path("glibc 2.41, vvar") == (0, 0, 1)
        assert path("glibc 2.41, 6.11") == (1, 1, 1)
        assert path("glibc 2.36") == (1, 1, 0)
        assert path("syscall") == (1, 1, 0)
        assert path("vsyscall, vvar") == (0, 0, 1)
        assert path("vsyscall, VSYSCALL=syscall") == (1, 1, 0)
        assert rows[(fn, "vsyscall, vvar", runner)]["ns_per_call"] < \
            rows[(fn, "vsyscall, VSYSCALL=syscall", runner)]["ns_per_call"]
    # qemu's figure comes from qemu's own count of gateway entries
    assert rows[(fn, "syscall", "qemu-hppa 7.2")]["traps_per_call"] == 1
    # getpid, for scale: one trap a call, on the raw syscall path and no other
    for runner in ("hppa-user", "hppa-user --no-jit", "qemu-hppa 7.2"):
        assert rows[("getpid", "syscall", runner)]["traps_per_call"] == 1
    assert {p for (f, p, _) in rows if f == "getpid"} == {"syscall"}
    r = rows[("getpid", "syscall", "hppa-user")]
    assert (r["syscalls_per_call"], r["vdso_calls_per_call"]) == (1, 0)
    assert rows[(fn, "vsyscall, qemu's vDSO", "qemu-hppa 7.2")]["traps_per_call"] == 1


def test_cpu_time_clock_falls_back():
    """CLOCK_PROCESS_CPUTIME_ID: the vvar vDSO has no data for it and makes the syscall."""
    r = report.Report(["clock_gettime:process_cputime"], [rn.hppa_user(jit=False)], 1, scale=20,
                      paths=[p for p in report.PATHS if p.name == "glibc 2.41, vvar"])
    (row,) = r.run()
    assert row.error is None, row
    assert (row.traps_per_call, row.syscalls_per_call, row.vdso_calls_per_call) == (1, 1, 1)


def test_each_row_fills_and_times_with_a_code_cache_of_its_own(monkeypatch):
    """A row's warm-up run and timed runs share one code cache, and no other row uses it:
    regions that another function's row compiled for the benchmark's loop would carry
    that function's path (report.WARM_THRESHOLD)."""
    used = []

    def fake_run(runner, binary, args, cwd=None, kernel=None, timeout=0, env_extra=None, **_kw):
        used.append((args[0], (env_extra or {}).get(rn.CODE_CACHE_ENV)))
        return rn.Run(0.1, 0, b"batch_calls 10\nbest_batch_ns 1000\n", b"",
                      stats={"instructions": 1000, "syscalls": {}, "vdso_calls": {}})
    monkeypatch.setattr(report.rn, "run", fake_run)
    monkeypatch.setattr(report, "_build", lambda glibc, vsyscall: Path("/nonexistent"))
    fns = ["clock_gettime:monotonic", "gettimeofday", "time"]
    r = report.Report(fns, [rn.hppa_user()], 2, paths=[p for p in report.PATHS if p.name == "glibc 2.41, vvar"])
    rows = r.run()
    assert [row.error for row in rows] == [None] * 3
    caches = {fn: {c for f, c in used if f == fn} for fn in fns}
    assert all(len(c) == 1 and None not in c for c in caches.values()), used
    assert len(set.union(*caches.values())) == 3
    assert [c for f, c in used if f == "none"] == [None]      # the count with no calls


def test_quick_report_counts_agree_with_qemu(quick_report):
    """Same binary, same path, no kernel difference: hppa-user's instructions per call are
    qemu's own count (qemu leaves a nullified delay slot of a taken `bv,n` uncounted, which
    hppa-user counts: a difference of at most one or two per call)."""
    _, js, _ = quick_report
    _, rows = _rows(js)
    for fn, path in (("clock_gettime:monotonic", "syscall"), ("clock_gettime:monotonic", "glibc 2.36"),
                     ("getpid", "syscall")):
        q = rows[(fn, path, "qemu-hppa 7.2")]["guest_insns_per_call"]
        for runner in ("hppa-user", "hppa-user --no-jit"):
            e = rows[(fn, path, runner)]["guest_insns_per_call"]
            assert abs(e - q) <= 2.5, (fn, path, runner, e, q)


def test_quick_report_plot_is_a_png(quick_report):
    _, _, png = quick_report
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    mpimg = pytest.importorskip("matplotlib.image")   # installed by `make test` ([plot] extra)
    img = mpimg.imread(str(png))
    assert img.shape[0] > 200 and img.shape[1] > 400


def test_bench_fails_loudly_without_qemu(tmp_path):
    """No qemu-hppa on PATH: exit status 2 and a one-line reason, no traceback."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("hppa-linux-gnu-gcc", "bash"):
        src = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        if src:
            os.symlink(src, bindir / tool)
    env = dict(os.environ, PATH=str(bindir))
    for cmd in ([*emulator_command(), "bench", "--quick"], [sys.executable, "-m", "bench", "--quick"]):
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120)
        assert p.returncode == 2, (cmd, p.stdout, p.stderr)
        assert "qemu-hppa not found" in p.stderr and "Traceback" not in p.stderr


def _two_runners():
    return [rn.qemu_hppa(), rn.hppa_user(jit=False)]


def test_harness_real_program_end_to_end(tmp_path):
    """bzip2 from its pinned Debian source: outputs agree between the runners and with the
    host's libbz2, qemu counts the instructions, the ratio comes from the same round."""
    text = (REPO_ROOT / "README.md").read_bytes() * 4
    compressed = bz2.compress(text, 9)

    def prepare(work: Path) -> Job:
        (work / "in.bz2").write_bytes(compressed)
        return Job(sources.build("bzip2")["bzip2"], ("-d", "-c", "in.bz2"), work)

    w = Workload("bzip2-d-test", "test", prepare)
    rows = harness.bench_workload(w, _two_runners(), rounds=1)
    q, e = rows
    assert (q.error, e.error) == (None, None), (q, e)
    assert (q.output, e.output) == ("reference", "same")
    assert q.exit_status == e.exit_status == 0
    assert q.guest_insns > 1_000_000 and e.guest_insns > 1_000_000
    assert abs(e.guest_insns - q.guest_insns) < 0.05 * q.guest_insns
    assert e.ratio_to_qemu == pytest.approx(e.seconds[0] / q.seconds[0], rel=1e-3)
    job = prepare(tmp_path)
    out = subprocess.run([*rn.qemu_hppa().argv, str(job.binary), *job.args], cwd=job.cwd,
                         capture_output=True, timeout=120).stdout
    assert out == text                      # independent of both emulators' agreement
    assert "bzip2-d-test" in harness.table(rows)


def test_harness_reports_a_different_output(tmp_path):
    """A program whose output differs from run to run (its pid) is an error, not a number."""
    src = tmp_path / "print_pid.c"
    src.write_text('#include <stdio.h>\n#include <unistd.h>\n'
                   'int main(void) { printf("%d\\n", (int)getpid()); return 0; }\n')
    binary = toolchain.compile_guest(src, opt="-O1")
    w = Workload("pid", "prints its pid", lambda work: Job(binary, (), work))
    rows = harness.bench_workload(w, _two_runners(), rounds=2, count=False)
    q, e = rows
    assert e.output == "DIFFERS" and "output differs" in e.error
    assert q.output == "DIFFERS"        # qemu's own second run differs from its first
    assert "ERROR: output differs" in harness.table(rows)


def test_runtime_packages_never_import_bench():
    """Development tools (toolchain, benchmarks) stay out of what `hppa-user run` loads."""
    _, graph = _graph()
    runtime = ("hppa_user", "kernel_model", "cli_run")
    bad = [(m, dep) for m, deps in graph.items() if m == "cli" or m.startswith(runtime)
           for dep, _ in deps if dep == "bench" or dep.startswith("bench.")]
    assert bad == []
    assert any(dep.startswith("bench") for dep, _ in graph["cli_app"])


def test_warm_cache_waits_for_the_exit_worker(tmp_path):
    """The harness's warm cache is what a run left once its exit worker has finished: while
    a worker holds a code cache's exit-worker.lock the cache is not settled."""
    import fcntl
    lock = tmp_path / "ns" / "exit-worker.lock"
    lock.parent.mkdir()
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert not harness.settle(tmp_path, 1.0)
    finally:
        os.close(fd)
    assert harness.settle(tmp_path, 1.0)
