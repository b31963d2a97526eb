"""Malformed executables (mutants of a real glibc binary): each is refused with a one-line
LoaderError or runs bounded by --max-insns -- no traceback, no hang. `make fuzz` runs 1000;
CI runs a few dozen per seed (~2 s)."""
import importlib.util

import pytest

from conftest import REPO_ROOT


def fuzz_module():
    spec = importlib.util.spec_from_file_location("fuzz_exec", REPO_ROOT / "scripts" / "fuzz_exec.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("seed", [11, 12])
def test_mutated_executables_never_crash_the_emulator(seed):
    c = fuzz_module().fuzz(40, seed)
    assert c["traceback"] == 0 and c["hang"] == 0, c["bad"]
    assert c["refused"] > 0 and c["ran"] > 0          # both paths were exercised
