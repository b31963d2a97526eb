"""Packaging: declared dependencies, the compiled-core cache under concurrent first runs, the
launcher make install writes and the interpreter it makes the venv from."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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


def test_launcher_starts_without_site_on_the_path_a_site_start_has(tmp_path):
    """make install's bin/hppa-user (scripts/write_launcher.py) starts its interpreter with
    -S: the site module is never imported, and the launcher's own additions give sys.path
    exactly as a start with site has it (cli_bundle keys its file by it); the venv's
    launcher is one such."""
    launcher = tmp_path / "hppa-user"
    subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "write_launcher.py"), str(launcher)],
                   check=True)
    text = launcher.read_text()
    assert text.startswith(f"#!{sys.executable} -S\n")
    probe = tmp_path / "probe"
    probe.write_text(text.replace("from cli import main\n\nmain()\n",
                                  "print(repr(sys.path[1:]), 'site' in sys.modules)\n"))
    probe.chmod(0o755)
    got = subprocess.run([str(probe)], capture_output=True, text=True, check=True).stdout
    site_start = subprocess.run([sys.executable, "-c", "import sys; print(repr(sys.path[1:]))"],
                                capture_output=True, text=True, check=True).stdout
    assert got == f"{site_start.strip()} False\n"
    installed = Path(sys.executable).parent / "hppa-user"     # (make test's venv)
    assert installed.read_text() == text


def test_the_venv_is_made_from_debians_python_where_there_is_one():
    """make install makes the venv from the interpreter $(PYTHON) names and records it;
    left to its default, that is Debian's /usr/bin/python3 where there is one (its build,
    PGO and LTO and no shared libpython, runs the kernel model faster)."""
    venv = Path(sys.prefix)                                   # (make test's venv)
    named = (venv / ".hppa-user-python").read_text().strip()
    made_from = Path(sys._base_executable).resolve()
    assert made_from == Path(shutil.which(named)).resolve()
    if "PYTHON" not in os.environ and Path("/usr/bin/python3").exists():
        assert named == "/usr/bin/python3"
        assert made_from == Path("/usr/bin/python3").resolve()
