"""Shared fixtures: building guest programs and running them under qemu-hppa and hppa-user.

Fixtures (all session-scoped factories):

``guest(name_or_source, opt='-O2', glibc='2.36', extra=(), dynamic=False)`` -> Path
    An hppa binary (static unless ``dynamic``), compiled (and cached in ``.guest-cache/``)
    by ``bench.toolchain.compile_guest``.  ``name_or_source`` is a program name
    (``tests/guest/NAME.c`` or ``NAME.cc``, else ``bench/micro/NAME.c``, else
    ``examples/NAME.c``), a path to a C or C++ file, or C source text.  ``-lm`` is always
    linked.

``run_qemu(binary, args=(), env=None, stdin=None, timeout=..., root=None)`` -> RunResult
    Runs the binary under ``qemu-hppa``, the reference oracle; ``root`` is its ``-L``
    directory (dynamic programs: ``toolchain.runtime_root(glibc)``).

``run_emu(binary, args=(), env=None, stdin=None, timeout=..., options=())`` -> RunResult
    Runs ``hppa-user run [OPTIONS...] BINARY ARGS...`` as a subprocess (the console
    script next to ``sys.executable``, i.e. in the project's venv).

``RunResult`` is a named tuple ``(returncode, stdout, stderr)`` (bytes).  For both
runners a guest killed by signal N gives returncode 128+N (qemu-hppa re-raises the
guest's signal on itself; that is mapped to 128+N here).  If the *hppa-user* host
process itself dies from a signal its negative returncode is kept, so an emulator
crash never passes for a guest SIGSEGV.

Both runners get the same environment: a small fixed base (``guest_env()``) plus the
test's own variables, so environment-dependent guest output is comparable.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
GUEST_DIR = REPO_ROOT / "tests" / "guest"

try:
    from bench import runners, toolchain
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(REPO_ROOT))
    from bench import runners, toolchain

# Per-run timeouts (seconds).  The emulator gets more: it is slower than qemu-hppa
# and each process loads the Numba-compiled core from its cache.
QEMU_TIMEOUT = float(os.environ.get("HPPA_USER_QEMU_TIMEOUT", "120"))
EMU_TIMEOUT = float(os.environ.get("HPPA_USER_EMU_TIMEOUT", "600"))


class RunResult(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: bytes


def guest_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment both runners give a guest: fixed base + ``extra``.

    The base keeps PATH and HOME (the emulator's Python needs them) and any HPPA_USER_*
    settings of the host (e.g. HPPA_USER_JIT_THRESHOLD=2 runs every test with nearly all
    code compiled), and fixes the locale and time zone.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LC_ALL": "C",
        "TZ": "UTC",
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("HPPA_USER_")})
    if extra:
        env.update(extra)
    return env


def _no_core_dumps() -> None:
    # qemu-user writes qemu_<prog>_<time>.core files for guests killed by a signal.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _stdin_args(stdin: bytes | str | None) -> dict:
    if stdin is None:
        return {"stdin": subprocess.DEVNULL}
    return {"input": stdin.encode() if isinstance(stdin, str) else stdin}


def emulator_command() -> list[str]:
    """How to start the emulator: the venv's ``hppa-user`` console script (bench.runners)."""
    return list(runners.emulator_command())


def qemu_command() -> list[str]:
    return [toolchain.qemu_hppa()]


def run_qemu_program(binary, args: Sequence[str] = (), env: Mapping[str, str] | None = None,
                     stdin: bytes | str | None = None, timeout: float | None = None,
                     cwd=None, root=None, options: Sequence[str] = ()) -> RunResult:
    """``options``: more qemu-hppa options (``-strace``, ``-E VAR=VAL``: the guest's own
    environment variables that must not reach qemu itself, like LD_*)."""
    proc = subprocess.run(
        [*qemu_command(), *(["-L", str(root)] if root else []), *map(str, options), str(binary),
         *map(str, args)],
        env=guest_env(env), capture_output=True, timeout=timeout or QEMU_TIMEOUT,
        preexec_fn=_no_core_dumps, cwd=cwd, **_stdin_args(stdin),
    )
    rc = proc.returncode
    if rc < 0:
        rc = 128 - rc
    return RunResult(rc, proc.stdout, proc.stderr)


def run_emu_program(binary, args: Sequence[str] = (), env: Mapping[str, str] | None = None,
                    stdin: bytes | str | None = None, timeout: float | None = None,
                    options: Sequence[str] = (), cwd=None) -> RunResult:
    proc = subprocess.run(
        [*emulator_command(), "run", *map(str, options), str(binary), *map(str, args)],
        env=guest_env(env), capture_output=True, timeout=timeout or EMU_TIMEOUT,
        preexec_fn=_no_core_dumps, cwd=cwd, **_stdin_args(stdin),
    )
    return RunResult(proc.returncode, proc.stdout, proc.stderr)


def resolve_guest_source(name_or_source: str | os.PathLike) -> Path:
    """Program name, path, or C source text -> a .c file path."""
    s = os.fspath(name_or_source)
    if "\n" in s or "{" in s:
        digest = hashlib.sha256(s.encode()).hexdigest()[:16]
        d = toolchain.cache_dir() / "src"
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"inline_{digest}.c"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(s)
            os.replace(tmp, path)
        return path
    if s.endswith((".c", *toolchain.CXX_SUFFIXES)) or os.sep in s:
        p = Path(s)
        for cand in (p, GUEST_DIR / p, REPO_ROOT / p):
            if cand.is_file():
                return cand.resolve()
        raise FileNotFoundError(f"guest source not found: {s}")
    for d in (GUEST_DIR, REPO_ROOT / "bench" / "micro", REPO_ROOT / "examples"):
        for suffix in (".c", ".cc"):
            cand = d / f"{s}{suffix}"
            if cand.is_file():
                return cand
    raise FileNotFoundError(f"no guest program named {s!r} in tests/guest, bench/micro or examples")


def build_guest(name_or_source, opt: str = "-O2", glibc: str = "2.36",
                extra: Sequence[str] = (), dynamic: bool = False) -> Path:
    src = resolve_guest_source(name_or_source)
    return toolchain.compile_guest([src], opt=opt, glibc=glibc, extra=[*extra, "-lm"],
                                   dynamic=dynamic)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def guest():
    """Factory: ``guest(name_or_source, opt='-O2', glibc='2.36', extra=(), dynamic=False)``
    -> binary path."""
    return build_guest


@pytest.fixture(scope="session")
def run_qemu():
    """Factory: ``run_qemu(binary, args=(), env=None, stdin=None, timeout=None, root=None,
    options=())``."""
    return run_qemu_program


@pytest.fixture(scope="session")
def run_emu():
    """Factory: ``run_emu(binary, args=(), env=None, stdin=None, timeout=None, options=())``."""
    return run_emu_program
