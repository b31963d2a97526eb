"""Hostile input to the kernel model: random syscalls with nasty arguments never raise out of
the dispatcher, never hit an internal error, and (with HPPA_USER_SANDBOX) never touch files
outside the working directory."""
import importlib
import io
import os
import random

import pytest

from kernel_model import abi
from kernel_model.errors import ProcessExit, ProcessKilled
from kfake import DATA, STACK, make_kernel, sc

# calls that would end the process or block for long (they are tested on their own)
# results that are any 32-bit value (addresses, times, old ids, masks)
ANY_VALUE = {13, 43, 45, 89, 90, 163, 173, 136, 138, 139, 24, 47, 49, 50, 64, 68, 69, 20, 206}
SKIP = {1, 222, 29, 179, 162, 258, 407, 177, 421, 168, 274, 414, 142, 273, 413, 210, 422,
        27, 104, 250, 251, 409, 3, 145, 315, 347, 108, 42, 313, 14, 277, 5, 8, 275, 437}


def _values():
    return [0, 1, 2, 3, 4, 0xFFFFFFFF, 0xFFFFFF9C, DATA, DATA + 0x10, DATA + 0xFF000,
            DATA + 0xFFFFC, 0x10000, 0x10, 0x1000, 0x7FFFFFFF, 0x80000000, STACK, 0xFFFFF000,
            100, 4096, 8, 16, 0x20000000]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_syscalls_in_process(seed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HPPA_USER_SANDBOX", str(tmp_path))
    from kernel_model.syscalls import common
    importlib.reload(common)
    old_umask = os.umask(0o022)
    old_cwd = os.getcwd()
    try:
        rng = random.Random(seed)
        vals = _values()
        k = make_kernel(strace=True, strace_file=io.StringIO())
        before = set(os.listdir(tmp_path.parent))
        for _ in range(6000):
            nr = rng.randrange(0, 470)
            if nr in SKIP:
                continue
            args = [rng.choice(vals) if rng.random() < 0.7 else rng.getrandbits(32)
                    for _ in range(6)]
            try:
                r = sc(k, nr, *args)
            except (ProcessExit, ProcessKilled):
                k = make_kernel(strace=True, strace_file=io.StringIO())
                continue
            assert r >= 0 or -4095 <= r <= -1 or nr in ANY_VALUE, (nr, args, r)
            assert k.internal_errors == 0, (nr, abi.SYSCALL_NAMES.get(nr), [hex(a) for a in args])
        assert set(os.listdir(tmp_path.parent)) == before
    finally:
        os.umask(old_umask)
        os.chdir(old_cwd)
        monkeypatch.delenv("HPPA_USER_SANDBOX")
        importlib.reload(common)


def test_unknown_numbers_are_enosys():
    k = make_kernel()
    for nr in (463, 500, 1000, 0xFFFFFFFF, 102, 356):
        assert sc(k, nr) == -abi.ENOSYS


@pytest.mark.parametrize("seed", [1, 7])
def test_guest_fuzz_program(guest, run_emu, tmp_path, seed):
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(os.listdir(tmp_path))
    e = run_emu(guest("kern_fuzz"), (str(seed), "20000"), cwd=work,
                env={"HPPA_USER_SANDBOX": str(work), "HPPA_USER_DEBUG": "1"}, timeout=600)
    err = e.stderr.decode(errors="replace")
    assert "Traceback" not in err
    assert e.returncode == 0, err[-2000:]
    assert b"survived" in e.stdout
    assert sorted(os.listdir(tmp_path)) == before
