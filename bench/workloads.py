"""What `make bench` runs: real programs (bench/sources.py) and the micro programs in bench/micro/.

A workload is one command line of one program with its inputs.  ``prepare`` turns it
into a runnable :class:`Job` (binary, argv, working directory) in a fresh directory, so a
test suite that writes files never sees a previous run's leftovers.
"""
from __future__ import annotations

import bz2
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench import sources, toolchain

MICRO_DIR = Path(__file__).resolve().parent / "micro"


@dataclass(frozen=True)
class Job:
    binary: Path
    args: tuple[str, ...]
    cwd: Path


@dataclass(frozen=True)
class Workload:
    name: str
    what: str                        # one line: program, version, what it does
    prepare: Callable[[Path], Job]   # build (cached) and lay out inputs in a fresh directory
    kind: str = "real"               # "real" (a Debian source package) or "micro"
    tags: tuple[str, ...] = field(default_factory=tuple)
    # Checks the reference run's stdout against something known independently of any
    # emulator (None: fine, else what is wrong): agreeing runners prove nothing if the
    # workload itself broke (a missing input file fails the same way everywhere).
    check: Callable[[Job, bytes], str | None] | None = None


PI_50 = "3.14159265358979323846264338327950288419716939937510"


def _check_pi(job: Job, out: bytes) -> str | None:
    digits = out.decode(errors="replace").replace("\\\n", "").strip()
    return None if digits.startswith(PI_50) and len(digits) > 250 else f"not pi: {digits[:60]!r}"


def _check_jim(job: Job, out: bytes) -> str | None:
    m = re.search(rb"Totals: Total\s+(\d+)\s+Passed\s+(\d+)", out)
    if not m or int(m.group(1)) < 4000 or int(m.group(2)) < 0.9 * int(m.group(1)):
        return "the test suite did not run (no 'Totals:' line with 4000+ tests, 90 % passed)"
    return None


def _check_bzip2(job: Job, out: bytes) -> str | None:
    data = (job.cwd / "input").read_bytes()
    try:
        ok = bz2.decompress(out) == data if "-9" in job.args else out == bz2.decompress(data)
    except (OSError, ValueError) as exc:
        return f"not a bzip2 stream: {exc}"
    return None if ok else "output does not match the host's libbz2"


def _bc_pi(digits: int) -> Callable[[Path], Job]:
    def prepare(work: Path) -> Job:
        bc = sources.build("bc")["bc"]
        (work / "pi.bc").write_text(f"scale={digits}; 4*a(1)\n")
        return Job(bc, ("-l", "pi.bc"), work)     # stdin is /dev/null: bc exits after the file
    return prepare


def _jim_tests(work: Path) -> Job:
    """Jim Tcl's own driver, tests/runall.tcl, over every test file but four.

    runall.tcl finds the tests with [glob], which this build leaves out (see sources.py);
    the copy names them explicitly instead.  Not run: aio.test, event.test and socket.test
    (they open TCP sockets: hppa-user has no socket family) and interactive.test (it needs
    a pty).  Tests of the commands configured out (exec, pid, readdir) fail the same way
    under every runner, so the exit status is 1 and the output is still compared whole.
    """
    jim = sources.build("jimtcl")
    tests = work / "tests"
    shutil.copytree(jim["tests"], tests)
    shutil.copy(jim["tcltest.tcl"], work)           # tests/testing.tcl sources ../tcltest.tcl
    skip = {"aio.test", "event.test", "socket.test", "interactive.test"}
    names = sorted(p.name for p in tests.glob("*.test") if p.name not in skip)
    driver = (tests / "runall.tcl").read_text()
    glob = "[lsort [glob $testdir/*.test]]"
    if glob not in driver:
        raise sources.BuildError("jimtcl tests/runall.tcl no longer globs the test files; update bench/workloads.py")
    (tests / "runall-listed.tcl").write_text(driver.replace(glob, "[list " + " ".join(names) + "]"))
    return Job(jim["jimsh"], ("runall-listed.tcl",), tests)


def _bzip2(mode: str, source: str) -> Callable[[Path], Job]:
    """bzip2 -9 on a file, or -d of that file compressed at -9 (by the host's libbz2)."""
    def prepare(work: Path) -> Job:
        bz = sources.build("bzip2")["bzip2"]
        text = sources.build("jimtcl")[source].read_bytes()
        if mode == "-9":
            (work / "input").write_bytes(text)
        else:
            (work / "input").write_bytes(bz2.compress(text, 9))
        return Job(bz, (mode, "-c", "input"), work)
    return prepare


def _micro(name: str, *args: str, glibc: str = "2.36") -> Callable[[Path], Job]:
    def prepare(work: Path) -> Job:
        binary = toolchain.compile_guest(MICRO_DIR / f"{name}.c", opt="-O2", glibc=glibc, extra=["-lm"])
        return Job(binary, args, work)
    return prepare


WORKLOADS = [
    Workload("bc-pi-300", "GNU bc 1.07.1: pi to 300 digits (`bc -l`, scale=300; 4*a(1)): CPU benchmark, short run",
             _bc_pi(300), tags=("cpu", "quick"), check=_check_pi),
    Workload("bc-pi-600", "GNU bc 1.07.1: pi to 600 digits: CPU benchmark, long run", _bc_pi(600), tags=("cpu",),
             check=_check_pi),
    Workload("jimtcl-tests", "Jim Tcl 0.81: the interpreter running its own test suite (tests/runall.tcl, ~5100 tests)",
             _jim_tests, tags=("interpreter",), check=_check_jim),
    Workload("bzip2-9", "bzip2 1.0.8 -9 on 1.7 MB of text (UnicodeData.txt from the Jim Tcl source)",
             _bzip2("-9", "UnicodeData.txt"), tags=("compressor",), check=_check_bzip2),
    Workload("bzip2-d-short", "bzip2 1.0.8 -d of a 56 KB .bz2 (Jim Tcl's manual): a short C program, ~26 M instructions",
             _bzip2("-d", "jim_tcl.txt"), tags=("short", "quick"), check=_check_bzip2),
    Workload("crc_loop", "micro: CRC-32 loop (bench/micro/crc_loop.c), 2 M bytes", _micro("crc_loop", "2000000"),
             kind="micro", tags=("micro",)),
    Workload("fp_loop", "micro: double-precision loop (bench/micro/fp_loop.c)", _micro("fp_loop", "50000"),
             kind="micro", tags=("micro",)),
]
BY_NAME = {w.name: w for w in WORKLOADS}
