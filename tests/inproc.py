"""Run guests inside this Python process (no `hppa-user run` start-up per guest).

``run(binary, args=(), max_insns=..., env=None)`` -> ``RunResult(returncode, stdout, stderr)``
like conftest's runners, plus ``.insns``; the guest runs in a child forked from this process
(the Numba core is loaded once, here), with fds 0/1/2 on /dev/null and temporary files.
The machinery is scripts/difftest.py's (``run_isolated``).
"""
from __future__ import annotations

import importlib.util
import sys
from typing import NamedTuple

from conftest import REPO_ROOT


def difftest():
    mod = sys.modules.get("difftest")
    if mod is None:
        spec = importlib.util.spec_from_file_location("difftest", REPO_ROOT / "scripts" / "difftest.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["difftest"] = mod
        spec.loader.exec_module(mod)
    return mod


class InprocResult(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: bytes
    insns: int
    note: str


def run(binary, args=(), max_insns: int = 2_000_000_000, env=None, timeout: float = 600.0) -> InprocResult:
    status, out, err, insns, note = difftest().run_isolated(binary, [str(a) for a in args],
                                                             max_insns, env, timeout)
    return InprocResult(status, out, err, insns, note)
