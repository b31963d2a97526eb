"""Threads (issue 14): clone(CLONE_THREAD), the scheduler of one CPU, futexes, per-thread
signals, robust mutexes, cancellation, C++ threads.

The programs print only what does not depend on the order threads ran in, and are compared
with qemu-hppa (which runs guest threads on host threads) over several runs of each. Under
``--clock virtual`` a run is deterministic: the same program twice prints the same
interleaving-dependent output."""
from __future__ import annotations

import re

import pytest

PTHREAD = ("-pthread",)


def _same_as_qemu(guest, run_qemu, run_emu, tmp_path, name, extra=PTHREAD, runs=2,
                  timeout=None):
    binary = guest(name, extra=list(extra))
    outs = set()
    for i in range(runs):
        q = run_qemu(binary, cwd=tmp_path, timeout=timeout)
        assert q.returncode == 0, q.stderr.decode(errors="replace")[-2000:]
        outs.add(q.stdout)
    assert len(outs) == 1, "the program's output depends on the interleaving under qemu-hppa"
    want = outs.pop().decode()
    for i in range(runs):
        e = run_emu(binary, cwd=tmp_path, timeout=timeout)
        assert e.stdout.decode(errors="replace") == want, e.stderr.decode(errors="replace")[-3000:]
        assert e.returncode == 0
    return want


def test_synchronisation(guest, run_qemu, run_emu, tmp_path):
    """Mutex/condvar/barrier/rwlock/semaphore stress, TLS and keys, join values,
    cancellation, pthread_kill, robust mutexes, timed waits that time out."""
    out = _same_as_qemu(guest, run_qemu, run_emu, tmp_path, "thr_sync")
    assert out.endswith("done\n")


def test_hostile(guest, run_qemu, run_emu, tmp_path):
    """Threads until the address space ends (EAGAIN), 10,000 threads at once, a futex on
    unmapped memory (EFAULT), a thread spinning while another must run."""
    out = _same_as_qemu(guest, run_qemu, run_emu, tmp_path, "thr_hostile", runs=1, timeout=900)
    assert "10000 small threads: created 10000, error 0, all ran 1" in out


def test_cxx_threads(guest, run_qemu, run_emu, tmp_path):
    _same_as_qemu(guest, run_qemu, run_emu, tmp_path, "tests/guest/thr_cxx.cc",
                  extra=("-pthread", "-lstdc++"))


def test_virtual_clock_runs_are_identical(guest, run_emu, tmp_path):
    """Under --clock virtual the scheduler switches at the same instructions every run."""
    binary = guest("thr_det", extra=list(PTHREAD))
    a = run_emu(binary, options=("--clock", "virtual"), cwd=tmp_path)
    b = run_emu(binary, options=("--clock", "virtual"), cwd=tmp_path)
    assert a.returncode == 0 and b.returncode == 0
    assert a.stdout == b.stdout
    runs = int(re.search(rb"runs (\d+)", a.stdout).group(1))
    assert runs > 4          # the threads' time slices really interleaved


def test_strace_names_threads(guest, run_emu, tmp_path):
    e = run_emu(guest("thr_det", extra=list(PTHREAD)), options=("--strace",), cwd=tmp_path)
    assert e.returncode == 0
    lines = e.stderr.decode(errors="replace").splitlines()
    tids = {int(m.group(1)) for line in lines for m in [re.match(r"\[pid +(\d+)\] ", line)] if m}
    assert len(tids) == 5                           # main + four threads
    assert any(re.match(r"\[pid +\d+\] clone\(CLONE_VM\|", line) for line in lines)
    assert any(re.match(r"\[pid +\d+\] exit\(0\) += \?", line) for line in lines)


# Linux's output; qemu-hppa runs threads of its own (its /proc/self/task lists them) and
# cannot exec a guest program.
THREAD_EXITS = {
    "main-exits": ("worker: still running after main's pthread_exit, tasks 2\n", 0),
    "exit-group": ("", 7),
    "directed": ("process-directed signal taken by the thread not blocking it: 1\n", 0),
    "fork": ("threads in the forked child: 1\n", 0),
    "exec": ("after exec: tasks 1, tid is the pid 1\n", 0),
    "tasks": ("thread name: worker-1\ntasks 3\n", 0),
}


@pytest.mark.parametrize("case", sorted(THREAD_EXITS))
def test_thread_exits(guest, run_emu, tmp_path, case):
    """exit vs exit_group, a process-directed signal, fork/exec with threads, and
    /proc/self/task (where an exited main thread stays as a zombie, as on Linux)."""
    out, status = THREAD_EXITS[case]
    e = run_emu(guest("thr_exit", extra=list(PTHREAD)), (case,), cwd=tmp_path)
    assert e.stdout.decode() == out, e.stderr.decode(errors="replace")[-2000:]
    assert e.returncode == status
