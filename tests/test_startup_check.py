"""`hppa-user startup-check`, its goldens, the start-up probe and the hppa_startup fixture.

The goldens (tests/goldens/startup/) are the emulator's own output, so they are checked here
against what does not come from it:

* glibc's documented behaviour, per glibc version, kernel profile and vDSO fault
  (/work/shared/reference/glibc-hppa.md: 2.36 looks nothing up in the vDSO; 2.41 looks up
  only __vdso_clock_gettime64 at LINUX_6.11, makes a descriptor table with one mmap2, and
  does not fall back to the syscall when the vDSO answers -ENOSYS; version nodes are ignored
  (static: never checked; dynamic: checked only after the vDSO pointers are set); an
  unreadable AT_SYSINFO_EHDR crashes start-up; no hash table, no symbol);
* qemu-hppa's -strace of the same probe binary (the start-up syscall sequence);
* a second way of counting instructions to main (the single-stepping tracer) and of finding
  the resolved vDSO symbol (glibc's own _dl_vdso_clock_gettime64 pointer).

The tool itself: a reduced matrix with every fault cell must be all ok against the goldens,
with valid JSON and JUnit; a golden changed on purpose (in a copy) gives `changed` with the
diff, and a golden that expects main to be reached where the guest dies gives `guest-failed`.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench import isolated, startup_check, startup_probe
from conftest import REPO_ROOT, emulator_command
from bench import toolchain
from hppa_user.loader import symtab_symbols
from kernel_model import vdso_fault
from kernel_model.machine import Machine

GOLDENS = REPO_ROOT / "tests" / "goldens" / "startup"
CELL_KEYS = {"glibc", "link", "kernel", "fault", "status", "exit_status", "reached_main",
             "startup_syscalls", "vdso_resolved", "vdso_calls", "vdso_in_link_map",
             "instructions_to_main"}
# the probe's main calls clock_gettime 4 times, gettimeofday and time once each: on 32-bit
# hppa glibc routes all six through __clock_gettime64 (clock_getres has no vDSO lookup)
PROBE_TIME_CALLS = 6


def run_check(*args, goldens: Path | None = None):
    cmd = [*emulator_command(), "startup-check", *args]
    if goldens is not None:
        cmd += ["--goldens", str(goldens)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1200)


def golden_facts(path: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """key: value lines and the indented sections of a golden file."""
    facts, sections, current = {}, {}, None
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("  "):
            if line.strip() != "(none)":
                sections[current].append(line[2:])
        elif line.endswith(":"):
            current = line[:-1]
            sections[current] = []
        else:
            k, v = line.split(": ", 1)
            facts[k] = v
    return facts, sections


def cell_of(path: Path) -> startup_check.Cell:
    glibc, link, kernel, *fault = path.stem.split("-", 3)
    return startup_check.Cell(glibc, link, kernel, fault[0] if fault else None)


# -- the tool -------------------------------------------------------------------------------

def test_reduced_matrix_with_fault_cells_is_ok(tmp_path):
    """The CI matrix: both glibc, static and dynamic, profiles none and 6.11, every vDSO fault."""
    js, junit = tmp_path / "cells.json", tmp_path / "cells.xml"
    r = run_check("--glibc", "2.36,2.41", "--link", "static,dynamic", "--kernel", "none,6.11",
                      "--faults", "-j", "2", "--json", str(js), "--junit", str(junit))
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(js.read_text())
    cells = data["cells"]
    assert len(cells) == 2 * 2 * (2 + len(vdso_fault.FAULTS))
    assert {c["link"] for c in cells} == {"static", "dynamic"}
    assert all(CELL_KEYS <= set(c) and c["status"] == "ok" for c in cells)
    assert {c["fault"] for c in cells} == {None, *vdso_fault.FAULTS}
    assert data["summary"]["cells"] == data["summary"]["ok"] == len(cells)
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(cells) and suite.get("failures") == "0"
    assert not any(c.find("failure") is not None for c in cases)
    assert "ok" in r.stdout and f"{len(cells)} cells: {len(cells)} ok" in r.stdout


def test_changed_golden_gives_a_diff_and_a_dead_guest_gives_guest_failed(tmp_path):
    goldens = tmp_path / "goldens"
    shutil.copytree(GOLDENS, goldens)
    changed = goldens / "2.41-static-6.11.txt"
    facts, _ = golden_facts(changed)
    real = int(facts["instructions_to_main"])
    changed.write_text(changed.read_text().replace(f"instructions_to_main: {real}\n",
                                                   f"instructions_to_main: {real + 1}\n"))
    # a golden that says the guest used to start: now it dies, so guest-failed
    dead = goldens / "2.41-static-6.11-ehdr-unmapped.txt"
    dead.write_text((goldens / "2.41-static-6.11-no-ehdr.txt").read_text())
    js, junit = tmp_path / "cells.json", tmp_path / "cells.xml"
    r = run_check("--glibc", "2.41", "--link", "static", "--kernel", "6.11", "--faults",
                      "--json", str(js), "--junit", str(junit), goldens=goldens)
    assert r.returncode == 1, r.stdout + r.stderr
    cells = {(c["kernel"], c["fault"]): c for c in json.loads(js.read_text())["cells"]}
    c = cells[("6.11", None)]
    assert c["status"] == "changed"
    assert f"-instructions_to_main: {real + 1}\n+instructions_to_main: {real}\n" in c["diff"]
    assert f"-instructions_to_main: {real + 1}" in r.stdout
    d = cells[("6.11", "ehdr-unmapped")]
    assert d["status"] == "guest-failed" and d["signal"] == "SIGSEGV"
    assert "+reached_main: no" in d["diff"]
    assert all(c["status"] == "ok" for k, c in cells.items()
               if k not in (("6.11", None), ("6.11", "ehdr-unmapped")))
    failures = {f.get("type") for f in ET.parse(junit).getroot().iter("failure")}
    assert failures == {"changed", "guest-failed"}
    # --update-goldens writes back exactly the committed goldens
    r = run_check("--glibc", "2.41", "--link", "static", "--kernel", "6.11", "--faults",
                      "--update-goldens", goldens=goldens)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in (changed.name, dead.name):
        assert (goldens / name).read_text() == (GOLDENS / name).read_text()


def test_bad_axis_is_one_line():
    r = run_check("--kernel", "6.11,7.0")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "--kernel" in r.stderr and "7.0" in r.stderr


# -- the goldens against glibc's documented behaviour --------------------------------------

def expected(cell: startup_check.Cell) -> dict:
    """What glibc does per the reference notes, for this cell."""
    ehdr_given = cell.kernel != "none" and cell.fault not in ("no-ehdr", "ehdr-unmapped")
    crashes = cell.fault == "ehdr-unmapped"          # setup_vdso reads e_phoff unchecked
    # The version node is ignored by dynamic programs too, not only by static ones: rtld's
    # dl_main() calls setup_vdso_pointers() right after setup_vdso(), long before
    # _dl_check_all_versions() fills the vDSO map's l_versyms, and check_match() accepts any
    # version while l_versyms is NULL. (The reference notes inferred the opposite for dynamic
    # programs; glibc 2.41's own ld.so, run here, resolves the symbol.)
    resolved = (cell.glibc == "2.41" and ehdr_given and cell.kernel in ("6.11", "vvar")
                and cell.fault not in ("no-hash", "truncated"))
    return {"ehdr_given": ehdr_given, "crashes": crashes, "resolved": resolved,
            "calls_fail": resolved and cell.fault == "enosys"}


def golden_files():
    files = sorted(GOLDENS.glob("*.txt"))
    assert files, "no goldens committed"
    return files


@pytest.mark.parametrize("path", golden_files(), ids=lambda p: p.stem)
def test_golden_states_glibcs_documented_behaviour(path):
    cell = cell_of(path)
    want = expected(cell)
    facts, sections = golden_facts(path)
    out = sections["stdout"]
    if want["crashes"]:
        assert facts["reached_main"] == "no" and facts["death"].startswith("SIGSEGV in ")
        assert facts["exit_status"] == str(128 + 11)
        assert sections["startup_syscalls"][-1] == "+++ killed by SIGSEGV +++"
        return
    assert facts["reached_main"] == "yes" and facts["death"] == "-"
    assert facts["vdso_in_link_map"] == ("yes" if want["ehdr_given"] else "no")
    assert out[0] == f"AT_SYSINFO_EHDR {'present' if want['ehdr_given'] else 'absent'}"
    if want["resolved"]:
        assert facts["vdso_resolved"] == "__vdso_clock_gettime64"
        assert facts["vdso_calls"] == f"__vdso_clock_gettime64 {PROBE_TIME_CALLS}"
        if cell.link == "static":                # the descriptor table: the last call
            assert sections["startup_syscalls"][-1].startswith("mmap2(NULL, 4096, ")
    else:
        assert facts["vdso_resolved"] == facts["vdso_calls"] == "-"
    if want["calls_fail"]:                       # no syscall fallback after a vDSO error
        assert "clock_gettime(CLOCK_REALTIME) = -1 ENOSYS" in out
        assert facts["exit_status"] == "1"
    else:
        assert all(line.endswith("= ok") for line in out[1:-1]) and out[-1] == "realtime consistent"
        assert facts["exit_status"] == "0"


@pytest.mark.parametrize("glibc", ["2.36", "2.41"])
def test_startup_syscalls_match_qemu_strace(glibc):
    """qemu-hppa 7.2 (no vDSO) makes the same start-up syscalls as the `none` golden, and
    its next one comes from main (stdio); vDSO profiles add only 2.41's descriptor table."""
    probe = startup_check.build_probe(glibc, "static")
    r = subprocess.run([toolchain.qemu_hppa(), "-strace", "-0", startup_probe.DEFAULT_ARGV0,
                        str(probe)], env=startup_probe.DEFAULT_ENV, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    qemu = [m.group(1) for m in re.finditer(r"^\d+ (\w+)\(", r.stderr, re.M)]

    def names(path):
        return [re.match(r"(\w+)\(", l).group(1) for l in golden_facts(path)[1]["startup_syscalls"]
                if re.match(r"\w+\(", l)]
    base = names(GOLDENS / f"{glibc}-static-none.txt")
    assert qemu[:len(base)] == base and qemu[len(base)] in ("statx", "fstat64")
    for path in GOLDENS.glob(f"{glibc}-static-*.txt"):
        cell = cell_of(path)
        if expected(cell)["crashes"]:
            assert names(path) == base[:len(names(path))]
        else:
            assert names(path) == base + (["mmap2"] if expected(cell)["resolved"] else []), path.name


# -- the probe against second methods, through the pytest plugin ---------------------------

def test_instructions_to_main_match_the_tracer(hppa_startup, tmp_path):
    """The breakpoint's count equals the instructions the single-stepping tracer shows before
    main's first line (gateway syscall lines are no instructions)."""
    probe = startup_check.build_probe("2.41", "static")
    rec = hppa_startup(probe, kernel="6.11", argv0=str(probe))
    trace = tmp_path / "trace.txt"
    r = subprocess.run([*emulator_command(), "run", "--kernel", "6.11", f"--trace={trace}", str(probe)],
                       env=startup_probe.DEFAULT_ENV, capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr
    main = f"{symtab_symbols(str(probe))['main']:x}:"
    count = 0
    with open(trace) as fh:
        for line in fh:
            if line.startswith(main):
                break
            count += "<gateway: syscall" not in line
    assert rec["reached_main"] and rec["instructions_to_main"] == count


def _glibc_vdso_pointer(program: str, kernel: str, fault: str | None) -> str | None:
    """At main, the vDSO export glibc's own _dl_vdso_clock_gettime64 points to (through its
    function descriptor), read in the emulator without the probe's scan."""
    syms = symtab_symbols(program)
    m = Machine(program, ["probe"], env=dict(startup_probe.DEFAULT_ENV), kernel_profile=kernel,
                jit_threshold=0, vdso_fault=fault)
    seen = {}

    def at_main():
        plabel = m.mem.read_u32(syms["_dl_vdso_clock_gettime64"])
        code = m.mem.read_u32(plabel & ~3) if plabel & 2 else plabel
        seen["name"] = m.vdso.entry_points().get(code) if plabel else None
    m.when_reached(syms["main"], at_main)
    with isolated.captured_stdio():
        m.run()
    return seen["name"]


@pytest.mark.parametrize("kernel,fault", [("6.11", None), ("vvar", None), ("6.11", "version-node"),
                                          ("vvar", "no-hash"), ("6.11", "truncated")])
def test_resolved_symbols_match_glibcs_pointer(hppa_startup, kernel, fault):
    probe = startup_check.build_probe("2.41", "static")
    rec = hppa_startup(probe, kernel=kernel, fault=fault)
    name = isolated.call(_glibc_vdso_pointer, str(probe), kernel, fault)
    assert rec["vdso_resolved"] == ([name] if name else [])


def test_fixture_profiles_and_a_user_program(hppa_startup, guest, run_qemu):
    """The README's example: any program, every profile, one call each."""
    binary = guest("hello", glibc="2.41")
    ref = run_qemu(binary)
    recs = hppa_startup.profiles(binary)
    assert set(recs) == {"none", "5.18", "6.11", "vvar"}
    for k, rec in recs.items():
        assert rec["reached_main"] and rec["exit_status"] == ref.returncode == 0
        assert rec["stdout"] == ref.stdout.decode()
        assert rec["vdso_resolved"] == (["__vdso_clock_gettime64"] if k in ("6.11", "vvar") else [])
        assert rec["vdso_in_link_map"] == (k != "none")
