"""``hppa-user startup-check``: does glibc start under each kernel profile, what did it ask
the kernel, and what does it do with a broken vDSO.

The matrix is glibc {2.36, 2.41} x link {static, dynamic} x kernel profile {none, 5.18,
6.11, vvar}; ``--faults`` adds, for the profiles whose vDSO exports functions (6.11, vvar),
one cell per fault of :mod:`kernel_model.vdso_fault`. Every cell runs the probe program
``bench/startup_probe.c`` (built for its glibc and link) once and records what
:mod:`bench.startup_probe` describes; the record, written out as text, is compared with the
cell's golden file ``tests/goldens/startup/<cell>.txt``:

* ``ok``: the same text;
* ``guest-failed``: it differs and the guest died or never reached ``main`` (a fault cell
  whose golden already records that death is ``ok``);
* ``changed``: it differs otherwise (the unified diff says how).

``--update-goldens`` writes the goldens from this run instead of comparing.

Why the pieces are where they are: the cells are run by forked children of this process,
which has loaded the compiled CPU core once (a child costs its guest's run, not an
emulator start-up); the probe binaries are copied to fixed paths
(:data:`PROBE_DIR`) because glibc's start-up work depends on the length of the program's
path (``/proc/self/exe`` is copied and its directory kept), and instruction counts must
not depend on where the tree was checked out. The tool lives in ``bench/`` with the other
harnesses that run guests over a matrix of runners and profiles; the kernel model only
supplies the fault hooks and the CPU package the breakpoint at ``main``.
"""
from __future__ import annotations

import difflib
import json
import os
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import hppa_user
from bench import isolated, startup_probe
from bench import toolchain
from kernel_model import vdso_fault
from kernel_model.machine import Machine

GLIBCS = ("2.36", "2.41")
LINKS = ("static", "dynamic")
KERNELS = ("none", "5.18", "6.11", "vvar")
#: the profiles fault cells run under: their vDSO exports the time functions
FAULT_KERNELS = ("6.11", "vvar")
REPO_ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = REPO_ROOT / "tests" / "goldens" / "startup"
PROBE_SOURCE = Path(__file__).resolve().with_name("startup_probe.c")
#: where the probe binaries run from: a fixed path, so instruction counts match the goldens
PROBE_DIR = Path("/tmp/hppa-user-startup")
CELL_TIMEOUT = 600.0
STATUSES = ("ok", "changed", "guest-failed")


@dataclass(frozen=True)
class Cell:
    glibc: str
    link: str
    kernel: str
    fault: str | None = None

    @property
    def name(self) -> str:
        return f"{self.glibc}-{self.link}-{self.kernel}" + (f"-{self.fault}" if self.fault else "")

    def describe(self) -> str:
        text = f"glibc {self.glibc}, {self.link}, kernel profile {self.kernel}"
        if self.fault:
            text += f", vDSO fault {self.fault}: {vdso_fault.FAULTS[self.fault].doc}"
        return text


def matrix(glibcs=GLIBCS, links=LINKS, kernels=KERNELS, faults: bool = False) -> list[Cell]:
    cells = []
    for g in glibcs:
        for link in links:
            for k in kernels:
                cells.append(Cell(g, link, k))
            if faults:
                for k in (k for k in kernels if k in FAULT_KERNELS):
                    cells += [Cell(g, link, k, f) for f in vdso_fault.FAULTS]
    return cells


# -- the probe binaries ---------------------------------------------------------------------

def build_probe(glibc: str, link: str) -> Path:
    """The probe for (glibc, link), built (cached) with the cross toolchain and copied to its
    fixed path under :data:`PROBE_DIR`."""
    dest = PROBE_DIR / f"probe-{glibc}-{link}"
    PROBE_DIR.mkdir(parents=True, exist_ok=True)
    built = toolchain.compile_guest([PROBE_SOURCE], glibc=glibc, opt="-O2",
                                    dynamic=link == "dynamic")
    tmp = dest.with_name(dest.name + f".{os.getpid()}")
    shutil.copy2(built, tmp)
    os.replace(tmp, dest)                      # atomic: a concurrent run sees one or the other
    return dest


def warm_up() -> None:
    """Load the compiled CPU core in this process before forking: a one-instruction run of
    the bundled demo program."""
    hello = Path(hppa_user.__file__).resolve().parent / "examples" / "hello"
    Machine(str(hello), ["hello"], env={}, max_insns=1, jit_threshold=0).run()


# -- running the cells ----------------------------------------------------------------------

def run_cells(cells: list[Cell], probes: dict[tuple[str, str], Path], jobs: int,
              done=None, timeout: float = CELL_TIMEOUT) -> list[dict]:
    """Run every cell in a forked child, ``jobs`` at a time; ``done(i, record)`` as each ends."""
    tasks = [dict(program=str(probes[(c.glibc, c.link)]), kernel=c.kernel, fault=c.fault)
             for c in cells]
    results: list[dict | None] = [None] * len(cells)
    pending = list(range(len(cells)))
    running: dict[int, isolated.Child] = {}
    while pending or running:
        while pending and len(running) < max(1, jobs):
            i = pending.pop(0)
            running[i] = isolated.Child(startup_probe.probe, **tasks[i])
        finished = False
        for i, child in list(running.items()):
            if not child.poll():
                if time.monotonic() - child.started < timeout:
                    continue
                child.kill(f"the probe took longer than {timeout:g} s and was stopped")
            del running[i]
            results[i] = startup_probe.record_of(child, tasks[i])
            finished = True
            if done:
                done(i, results[i])
        if not finished:
            time.sleep(0.01)
    return results


# -- goldens ------------------------------------------------------------------------------

def _yes(v) -> str:
    return "-" if v is None else ("yes" if v else "no")


def golden_text(cell: Cell, rec: dict) -> str:
    """The record as the golden file spells it: one fact a line, lists indented."""
    def section(title, lines):
        return [f"{title}:"] + ([f"  {l}" for l in lines] if lines else ["  (none)"])
    calls = [f"{k} {v}" for k, v in sorted((rec.get("vdso_calls") or {}).items())]
    out = [f"# {cell.describe()}",
           f"exit_status: {'-' if rec.get('exit_status') is None else rec['exit_status']}",
           f"death: {rec.get('death') or '-'}",
           f"reached_main: {_yes(rec.get('reached_main'))}",
           f"instructions_to_main: {rec.get('instructions_to_main') or '-'}",
           f"vdso_in_link_map: {_yes(rec.get('vdso_in_link_map'))}",
           f"link_map: {', '.join(rec['link_map']) if rec.get('link_map') is not None else '-'}",
           f"vdso_resolved: {', '.join(rec.get('vdso_resolved') or []) or '-'}",
           f"vdso_calls: {', '.join(calls) or '-'}"]
    if rec.get("error"):
        out.append(f"error: {rec['error']}")
    out += section("startup_syscalls", rec.get("startup_syscalls") or [])
    out += section("stdout", (rec.get("stdout") or "").splitlines())
    out += section("stderr", (rec.get("stderr") or "").splitlines())
    return "\n".join(out) + "\n"


def _golden_says_died(golden: str) -> bool:
    facts = dict(line.split(": ", 1) for line in golden.splitlines()
                 if ": " in line and not line.startswith((" ", "#")))
    return facts.get("death", "-") != "-" or facts.get("reached_main") == "no"


def judge(cell: Cell, rec: dict, golden_dir: Path, update: bool) -> dict:
    """Compare (or with ``update`` write) the cell's golden; adds status, golden, diff."""
    path = golden_dir / f"{cell.name}.txt"
    text = golden_text(cell, rec)
    rec.update(glibc=cell.glibc, link=cell.link, kernel=cell.kernel, fault=cell.fault,
               golden=str(path), diff="")
    if update and not rec.get("error"):
        golden_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        rec["status"] = "ok"
        return rec
    if update:                   # a cell that could not run at all is no golden
        rec["status"] = "guest-failed"
        return rec
    golden = path.read_text() if path.is_file() else None
    if golden == text:
        rec["status"] = "ok"
        return rec
    rec["diff"] = "".join(difflib.unified_diff(
        (golden or "").splitlines(keepends=True), text.splitlines(keepends=True),
        fromfile=str(path) if golden is not None else "/dev/null (no golden yet)",
        tofile="this run"))
    died = bool(rec.get("signal")) or not rec.get("reached_main")
    expected_death = golden is not None and _golden_says_died(golden)
    rec["status"] = "guest-failed" if died and not expected_death else "changed"
    return rec


# -- output -------------------------------------------------------------------------------

COLOURS = {"ok": "green", "changed": "yellow", "guest-failed": "red"}


def table(results: list[dict]) -> Table:
    t = Table(title="hppa-user startup-check", show_lines=False)
    for col in ("glibc", "link", "kernel", "fault", "status", "exit", "main", "insns to main",
                "syscalls", "vDSO resolved", "vDSO calls", "in link map"):
        t.add_column(col, justify="right" if col in ("exit", "insns to main", "syscalls") else "left",
                     no_wrap=True)
    for r in results:
        calls = ", ".join(f"{k.replace('__vdso_', '')} x{v}" for k, v in sorted(r["vdso_calls"].items()))
        exit_text = str(r["exit_status"]) if r["exit_status"] is not None else "-"
        if r.get("signal"):
            exit_text += f" ({r['signal']})"
        t.add_row(r["glibc"], r["link"], r["kernel"], r["fault"] or "", 
                  f"[{COLOURS[r['status']]}]{r['status']}[/]", exit_text,
                  _yes(r["reached_main"]), str(r["instructions_to_main"] or "-"),
                  str(len(r["startup_syscalls"])),
                  ", ".join(s.replace("__vdso_", "") for s in r["vdso_resolved"]) or "-",
                  calls or "-", _yes(r["vdso_in_link_map"]))
    return t


JSON_FIELDS = ("glibc", "link", "kernel", "fault", "status", "exit_status", "signal", "death",
               "reached_main", "startup_syscalls", "vdso_resolved", "vdso_calls",
               "vdso_in_link_map", "link_map", "instructions_to_main", "stdout", "stderr",
               "error", "golden", "diff", "seconds")


def summary(results: list[dict], seconds: float, jobs: int, golden_dir: Path) -> dict:
    out = {"cells": len(results)}
    out.update({s: sum(r["status"] == s for r in results) for s in STATUSES})
    out.update(seconds=round(seconds, 3), jobs=jobs, goldens=str(golden_dir))
    return out


def write_json(path: str, results: list[dict], summ: dict) -> None:
    cells = [{k: r.get(k) for k in JSON_FIELDS} for r in results]
    with open(path, "w") as fh:
        json.dump({"cells": cells, "summary": summ}, fh, indent=1)


def write_junit(path: str, results: list[dict], summ: dict) -> None:
    """One testcase per cell (classname startup.glibc-V.link, name kernel[+fault]); a cell
    that is not ok is a failure whose text is its diff."""
    suite = ET.Element("testsuite", name="hppa-user startup-check", tests=str(len(results)),
                       failures=str(len(results) - summ["ok"]), errors="0",
                       time=f"{summ['seconds']:.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=f"startup.glibc-{r['glibc']}.{r['link']}",
                             name=r["kernel"] + (f"+{r['fault']}" if r["fault"] else ""),
                             time=f"{r.get('seconds') or 0:.3f}")
        if r["status"] != "ok":
            msg = r["status"] + (f": {r['death']}" if r.get("death") else "") \
                + (f": {r['error']}" if r.get("error") else "")
            fail = ET.SubElement(case, "failure", message=msg, type=r["status"])
            fail.text = r.get("diff") or ""
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="unicode", xml_declaration=True)


# -- the command ----------------------------------------------------------------------------

class UsageError(Exception):
    """Bad arguments or a missing toolchain: one line for the user, exit status 2."""


def parse_axis(value: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise UsageError(f"{option} takes a comma-separated list of {', '.join(allowed)}"
                         + (f" (not {', '.join(bad)})" if bad else ""))
    return tuple(v for v in allowed if v in items)


def main(glibc: str = ",".join(GLIBCS), link: str = ",".join(LINKS),
         kernel: str = ",".join(KERNELS), faults: bool = False, jobs: int = 0,
         json_path: str | None = None, junit_path: str | None = None,
         update_goldens: bool = False, golden_dir: str | os.PathLike | None = None,
         console=None) -> int:
    """Run the matrix; 0 iff every cell is ok, else 1. UsageError for bad arguments or a
    missing toolchain."""
    # a table of 12 columns: wider than 80 characters when the output is not a terminal
    console = console or Console(width=None if os.isatty(1) else 180)
    err = Console(stderr=True)
    glibcs = parse_axis(glibc, GLIBCS, "--glibc")
    links = parse_axis(link, LINKS, "--link")
    kernels = parse_axis(kernel, KERNELS, "--kernel")
    cells = matrix(glibcs, links, kernels, faults)
    if faults and not any(c.fault for c in cells):
        print(f"hppa-user: note: fault cells run under {' and '.join(FAULT_KERNELS)} only",
              file=sys.stderr)
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    gdir = Path(golden_dir) if golden_dir else GOLDEN_DIR
    t0 = time.monotonic()
    try:
        probes = {(g, l): build_probe(g, l) for g in glibcs for l in links}
    except (toolchain.ToolchainError, OSError) as e:
        raise UsageError(f"startup-check: {e}") from None
    warm_up()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"{len(cells)} cells, -j {jobs}", total=len(cells))
        records = run_cells(cells, probes, jobs, done=lambda i, r: progress.advance(task))
    results = [judge(c, r, gdir, update_goldens) for c, r in zip(cells, records)]
    summ = summary(results, time.monotonic() - t0, jobs, gdir)
    console.print(table(results))
    for r in results:
        if r["status"] != "ok":
            console.print(f"[bold]{r['glibc']} {r['link']} {r['kernel']}"
                          f"{' ' + r['fault'] if r['fault'] else ''}: "
                          f"[{COLOURS[r['status']]}]{r['status']}[/][/]"
                          + (f" ({r['death']})" if r.get("death") else "")
                          + (f" ({r['error']})" if r.get("error") else ""), highlight=False)
            console.print(r["diff"], markup=False, highlight=False, end="", soft_wrap=True)
    words = ", ".join(f"{summ[s]} {s}" for s in STATUSES if summ[s])
    console.print(f"{summ['cells']} cells: {words} in {summ['seconds']:.1f} s (-j {jobs})"
                  + (f"; goldens written to {gdir}" if update_goldens else ""), highlight=False)
    if json_path:
        write_json(json_path, results, summ)
    if junit_path:
        write_junit(junit_path, results, summ)
    return 0 if summ["ok"] == summ["cells"] else 1
