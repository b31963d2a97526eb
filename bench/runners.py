"""The emulators a benchmark runs under, each as a whole process, and how to count for them.

Runners: hppa-user (default: compiled regions), hppa-user --no-jit, qemu-hppa 7.2 (the
system's, required: the reference) and qemu-hppa 10 (Debian 13's, from
``sysroot/qemu-10/``, fetched by ``make toolchain``; optional).

Every runner gets the same guest environment (:func:`guest_env`): glibc's start-up reads
the environment, so a different one moves instruction counts.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import sources, toolchain

REPO_ROOT = toolchain.repo_root()
QEMU10 = REPO_ROOT / "sysroot" / "qemu-10" / "qemu-hppa"
COUNT_SCRIPT = REPO_ROOT / "scripts" / "qemu_count_insns.sh"
HELLO = REPO_ROOT / "hppa_user" / "examples" / "hello"

# The compiled tier's persistent code cache (HPPA_USER_CODE_CACHE=DIR|off): the harness runs
# hppa-user with a fresh directory per run ("cold cache") and with one filled by an untimed
# run ("warm cache").
CODE_CACHE_ENV: str | None = "HPPA_USER_CODE_CACHE"


class RunnerMissing(RuntimeError):
    """A required emulator is not installed."""


@dataclass(frozen=True)
class Runner:
    name: str
    argv: tuple[str, ...]                 # the emulator and its options, before the program
    emulator: str                         # "qemu" or "hppa-user"
    version: str = ""
    cache: str | None = None              # hppa-user code cache: None, "cold" or "warm"
    options: tuple[str, ...] = field(default_factory=tuple)

    def command(self, binary: Path, args=(), kernel: str | None = None, stats_json: Path | None = None):
        if self.emulator == "qemu":
            return [*self.argv, str(binary), *args]
        cmd = [*self.argv, "run", *self.options]
        if kernel:
            cmd += ["--kernel", kernel]
        if stats_json:
            cmd += ["--stats-json", str(stats_json)]
        return [*cmd, str(binary), *args]


def _version(exe: str) -> str:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else "?"


def qemu_hppa() -> Runner:
    """qemu-hppa on PATH (Debian 12: 7.2), the reference; RunnerMissing when absent."""
    try:
        exe = toolchain.qemu_hppa()
    except toolchain.ToolchainError as exc:
        raise RunnerMissing(f"{exc} (every figure is a comparison with it)") from None
    v = _version(exe)
    return Runner(f"qemu-hppa {'.'.join(v.split('.')[:2])}", (exe,), "qemu", v)


def qemu_hppa_10() -> Runner | None:
    """Debian 13's qemu-hppa (sysroot/qemu-10/), or None when `make toolchain` could not fetch it."""
    if not os.access(QEMU10, os.X_OK):
        return None
    v = _version(str(QEMU10))
    return Runner(f"qemu-hppa {'.'.join(v.split('.')[:2])}", (str(QEMU10),), "qemu", v)


def emulator_command() -> tuple[str, ...]:
    exe = Path(sys.executable).parent / "hppa-user"
    if exe.is_file():
        return (str(exe),)
    found = shutil.which("hppa-user")
    if found:
        return (found,)
    return (sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); import cli; cli.main()")


def hppa_user(jit: bool = True, cache: str | None = None) -> Runner:
    name = "hppa-user" + ("" if jit else " --no-jit") + (f" ({cache} cache)" if cache else "")
    return Runner(name, emulator_command(), "hppa-user", cache=cache,
                  options=() if jit else ("--no-jit",))


def default_runners(qemu10: bool = True, cache_axis: bool = True) -> list[Runner]:
    """qemu-hppa first (the reference), then qemu 10 when present, then hppa-user (with a
    cold and a warm code cache when ``cache_axis``: whole-process times depend on it)."""
    runners = [qemu_hppa()]
    q10 = qemu_hppa_10() if qemu10 else None
    if q10 is not None:
        runners.append(q10)
    if CODE_CACHE_ENV and cache_axis:
        runners += [hppa_user(cache="cold"), hppa_user(cache="warm")]
    else:
        runners.append(hppa_user())
    runners.append(hppa_user(jit=False))
    return runners


def guest_env() -> dict:
    """The one environment every runner (and so every guest) gets."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}
    for k in ("HOME", "XDG_CACHE_HOME", "NUMBA_CACHE_DIR", "HPPA_USER_GUEST_CACHE"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env


@dataclass
class Run:
    """One whole-process run: wall seconds (process start to exit), status, output."""
    seconds: float
    status: int                  # exit status, or 128+N when killed by signal N
    stdout: bytes
    stderr: bytes
    stats: dict | None = None    # hppa-user --stats-json
    error: str | None = None


def status_of(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def run(runner: Runner, binary: Path, args=(), cwd: Path | None = None, kernel: str | None = None,
        timeout: float = 900.0, stats: bool = True, env_extra: dict | None = None) -> Run:
    """Run ``binary`` under ``runner`` once, stdin from /dev/null, timing the whole process."""
    with tempfile.TemporaryDirectory(prefix="hppa-bench-") as tmp:
        sj = Path(tmp) / "stats.json" if (stats and runner.emulator == "hppa-user") else None
        cmd = runner.command(binary, args, kernel=kernel, stats_json=sj)
        env = dict(guest_env(), **(env_extra or {}))
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Run(time.perf_counter() - t0, -1, b"", b"", error=f"timed out after {timeout:.0f} s")
        dt = time.perf_counter() - t0
        st = None
        if sj is not None and sj.exists():
            try:
                st = json.loads(sj.read_text())
            except ValueError:
                st = None
        r = Run(dt, status_of(p.returncode), p.stdout, p.stderr, st)
        if runner.emulator == "hppa-user" and st is None:
            r.error = "hppa-user failed: " + p.stderr.decode(errors="replace").strip()[-300:]
        return r


def warm_up_core() -> None:
    """Load (or compile, the first time) hppa-user's Numba core before anything is timed."""
    subprocess.run([*emulator_command(), "run", str(HELLO)], capture_output=True,
                   stdin=subprocess.DEVNULL, env=guest_env(), timeout=1800)


@dataclass
class QemuCount:
    insns: int
    gateway: int
    status: int


def qemu_count(runner: Runner, binary: Path, args=(), cwd: Path | None = None,
               timeout: float = 3600.0) -> QemuCount:
    """Guest instructions and gateway entries as qemu itself counts them.

    scripts/qemu_count_insns.sh with our TCG plugin when this qemu loads plugins (7.2:
    ~30 M insns/s), else its exec trace (~0.5 M insns/s: use it on short runs only)."""
    env = dict(guest_env(), QEMU_HPPA=runner.argv[0])
    if runner.argv[0] != str(QEMU10):           # Debian 13's qemu-user is static: no plugins
        env["QEMU_INSN_PLUGIN"] = str(sources.build("qemu")["insn_count.so"])
    p = subprocess.run(["bash", str(COUNT_SCRIPT), str(binary), *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    m = re.match(r"(\d+) .*\(exit (\d+)\) gateway=(\d+)\s*$", p.stdout.strip())
    if p.returncode != 0 or not m:
        raise RuntimeError(f"qemu_count_insns.sh failed: {p.stdout.strip()} {p.stderr.strip()[-300:]}")
    return QemuCount(int(m.group(1)), int(m.group(3)), int(m.group(2)))


def machine_info(runners: list[Runner]) -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"host": platform.node(), "cpu": cpu, "cpus": os.cpu_count(),
            "python": platform.python_version(), "kernel": platform.release(),
            "runners": {r.name: {"command": list(r.argv) + list(r.options), "version": r.version}
                        for r in runners}}
