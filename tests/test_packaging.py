"""Packaging: declared dependencies, and the compiled-core cache under concurrent first runs."""
from __future__ import annotations

import subprocess
import sys
import tomllib

from conftest import REPO_ROOT

FIRST_RUN = r"""
import sys, time
sys.path.insert(0, {root!r})
from hppa_user.core import Library
from hppa_user.cpu import Cpu
cpu = Cpu()
t0 = time.perf_counter()
cpu.load_core()
print(int(Library.compiled_here), round(time.perf_counter() - t0, 1))
"""


def test_llvmlite_is_a_declared_dependency():
    meta = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    deps = {d.split(">")[0].split("=")[0].strip(): d for d in meta["project"]["dependencies"]}
    assert "llvmlite" in deps and ">=" in deps["llvmlite"]


def test_concurrent_first_runs_compile_the_core_once(tmp_path):
    """Two processes start on an empty core cache at once: one compiles, the other waits
    for it and loads the result (each says whether it compiled)."""
    env = {"HPPA_USER_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    (tmp_path / "cache").mkdir()
    code = FIRST_RUN.format(root=str(REPO_ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=1800) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    compiled = sorted(int(out.split()[0]) for out, _ in outs)
    assert compiled == [0, 1], outs
