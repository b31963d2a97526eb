"""Processes (issue 13): fork/vfork/clone, execve, wait, pipes and descriptors across
processes, process groups and sessions, signals between guest processes, limits, cleanup.

Programs that do not exec a guest program are differential against qemu-hppa (which forks
real host processes too). qemu-hppa cannot exec a guest program without binfmt_misc, so
the exec programs are checked against the output Linux's documented behaviour gives
(execve(2), fs/binfmt_script.c, posix_spawn(3)).
"""
from __future__ import annotations

import pytest


def _both(guest, run_qemu, run_emu, tmp_path, name, args=()):
    binary = guest(name)
    qdir, edir = tmp_path / "qemu", tmp_path / "emu"
    qdir.mkdir()
    edir.mkdir()
    return run_qemu(binary, args, cwd=qdir), run_emu(binary, args, cwd=edir)


@pytest.mark.parametrize("name", ["proc_fork", "proc_pipes"])
def test_differential(guest, run_qemu, run_emu, tmp_path, name):
    q, e = _both(guest, run_qemu, run_emu, tmp_path, name)
    assert q.returncode == 0, q.stderr.decode(errors="replace")[-2000:]
    assert e.stdout.decode(errors="replace") == q.stdout.decode(errors="replace"), \
        e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == q.returncode
    assert q.stdout.endswith(b"done\n")
