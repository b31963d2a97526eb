"""pytest plugin of hppa-user (entry point ``pytest11``): start-up regression tests in a few
lines.

The fixture ``hppa_startup`` runs a guest binary under a kernel profile (optionally with a
vDSO fault) and returns the per-run record of ``hppa-user startup-check`` (see
:mod:`bench.startup_probe`: ``exit_status``, ``reached_main``, ``startup_syscalls``,
``vdso_resolved``, ``vdso_calls``, ``vdso_in_link_map``, ``instructions_to_main``,
``stdout``, ...)::

    import pytest

    @pytest.mark.parametrize("kernel", ["none", "5.18", "6.11", "vvar"])
    def test_my_program_starts(hppa_startup, kernel):
        rec = hppa_startup("build/myprog", kernel=kernel)
        assert rec["reached_main"] and rec["exit_status"] == 0
        if kernel in ("6.11", "vvar"):          # glibc 2.41 found its vDSO function
            assert rec["vdso_resolved"] == ["__vdso_clock_gettime64"]

``hppa_startup(program, kernel="vvar", fault=None, args=(), env=None, argv0=None,
timeout=600)``: ``env`` is the guest's whole environment (default a small fixed one, so
instruction counts repeat); ``fault`` one of ``hppa-user run --vdso-fault``'s names.
``hppa_startup.profiles(program, kernels=(...), **kw)`` gives ``{kernel: record}``.

Each call is one ``python -m bench.startup_probe`` process: importing this plugin loads
nothing of the emulator into the test process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

KERNELS = ("none", "5.18", "6.11", "vvar")


class StartupRunner:
    """What the ``hppa_startup`` fixture returns: call it for one record."""

    def __call__(self, program, kernel: str = "vvar", fault: str | None = None, args=(),
                 env: dict[str, str] | None = None, argv0: str | None = None,
                 timeout: float = 600) -> dict:
        cmd = [sys.executable, "-m", "bench.startup_probe", "--kernel", kernel]
        if fault:
            cmd += ["--fault", fault]
        if argv0:
            cmd += ["--argv0", argv0]
        if env is not None:
            cmd += ["--env", ""] if not env else [a for k, v in env.items() for a in ("--env", f"{k}={v}")]
        fd, path = tempfile.mkstemp(prefix="hppa-startup-", suffix=".json")
        os.close(fd)
        try:
            r = subprocess.run([*cmd, "--json", path, "--", os.fspath(program), *map(str, args)],
                               capture_output=True,
                               text=True, timeout=timeout, stdin=subprocess.DEVNULL)
            if r.returncode != 0:
                raise RuntimeError(f"hppa-user start-up probe failed (exit {r.returncode}):\n"
                                   f"{r.stderr}")
            with open(path) as fh:
                return json.load(fh)
        finally:
            os.unlink(path)

    def profiles(self, program, kernels=KERNELS, **kwargs) -> dict[str, dict]:
        return {k: self(program, kernel=k, **kwargs) for k in kernels}


@pytest.fixture
def hppa_startup() -> StartupRunner:
    """Run a guest's start-up under a kernel profile: ``hppa_startup(program, kernel=...)``."""
    return StartupRunner()
