"""One start-up probe: run a guest under a kernel profile and record how glibc started.

The record (a dict; the ``cells`` of ``hppa-user startup-check --json`` and what the pytest
fixture ``hppa_startup`` returns) holds:

``exit_status``, ``signal``, ``death``
    the guest's exit status (128+N when killed), the signal's name or None, and for a
    killed guest where it died (``"SIGSEGV in _dl_non_dynamic_init"``).
``reached_main``, ``instructions_to_main``
    whether ``main`` (found in the program's .symtab) ever ran, and how many instructions
    ran before its first instruction. A decode-cache breakpoint stops the machine there
    (``Machine.when_reached``), invisible to the guest.
``startup_syscalls``
    the strace lines up to ``main`` (all of them if it never ran), normalised by
    :data:`NORMALISE`: addresses, times, pids, random bytes and the program's path replaced.
``vdso_resolved``
    the vDSO exports glibc holds a function pointer to at ``main``. On hppa glibc calls a
    vDSO function through a descriptor made by ``_dl_make_fptr`` (code word, gp word) and
    stores its plabel (descriptor address | 2); the exports whose address is the code word of
    a descriptor some plabel in readable memory points to are the resolved ones. Needs no
    glibc symbols, so static and dynamic programs are read alike.
``vdso_calls``
    ``{symbol: n}``: executions of each vDSO entry point during the whole run.
``vdso_in_link_map``, ``link_map``
    whether the vDSO is among the link-map entries reachable from ``_r_debug`` at ``main``
    (an entry whose dynamic section lies in the vDSO), and the entries' file names (the
    first, the program, has none: "(main program)"; a vDSO without DT_SONAME: "(no name)").
    ``_r_debug`` is found through DT_DEBUG (dynamic programs) or the ``_r_debug`` symbol
    (static ones); None when neither is there.
``stdout``, ``stderr``
    what the guest wrote.

Run it in a child process (:func:`probe_in_child`; ``hppa-user startup-check`` forks one per
cell): the probe redirects the process's standard file descriptors for the guest.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import time

_blas_threads = os.environ.get("OPENBLAS_NUM_THREADS")
os.environ["OPENBLAS_NUM_THREADS"] = "1"
try:
    # numpy scans guest memory here, for array work only: no BLAS thread pool (OpenBLAS
    # starts one thread per core when it loads, ~40 ms of CPU beside the guests).  The
    # variable is there only while numpy loads: no guest environment sees it.
    import numpy as np
finally:
    if _blas_threads is None:
        del os.environ["OPENBLAS_NUM_THREADS"]
    else:
        os.environ["OPENBLAS_NUM_THREADS"] = _blas_threads
from elftools.elf.elffile import ELFFile

from bench import isolated
from hppa_user.errors import GuestFault, LoaderError
from hppa_user.loader import symtab_symbols
from hppa_user.memory import PERM_R
from kernel_model.abi import signal_name
from kernel_model.machine import JIT_THRESHOLD, Machine

#: the guest's environment unless the caller gives one: start-up work depends on it
#: (glibc scans it for tunables), so it is fixed and small
DEFAULT_ENV = {"LC_ALL": "C", "TZ": "UTC", "PATH": "/usr/bin:/bin"}
#: argv[0] unless the caller gives one: a fixed name, not the program's path
DEFAULT_ARGV0 = "probe"
#: a guest that runs longer than this is stopped (SIGKILL, "instruction limit reached")
MAX_INSTRUCTIONS = 200_000_000

#: how strace lines are normalised: (pattern, replacement), applied in order
NORMALISE = (
    # the path of the program itself (readlink of /proc/self/exe) and its length
    (re.compile(r'("/proc/self/exe", )"[^"]*"(?:\.\.\.)?(, \d+\)\s+= )\d+'), r'\1"<exe>"\2<len>'),
    # bytes that change every run (getrandom)
    (re.compile(r'"(?:\\x[0-9a-f]{2})+"(?:\.\.\.)?'), '"<random>"'),
    # pids and tids
    (re.compile(r'^((?:set_tid_address|getpid|gettid|getppid)\(.*\)\s+= )\d+$'), r'\1<pid>'),
    # times
    (re.compile(r'\b(tv_sec|tv_nsec|tv_usec|stx_[amcb]time)=[^,}]+'), r'\1=<t>'),
    # addresses: hex numbers of four digits and more
    (re.compile(r'\b0x[0-9a-f]{4,}\b'), '0x<addr>'),
    # strace's column for the result, which the replacements above moved
    (re.compile(r'\)\s+= '), ') = '),
)


def _host_ld_so_cache_size() -> str | None:
    """The host's /etc/ld.so.cache size: ld.so.1 opens it through the guest root's fallback
    to host paths (as under qemu-user) and maps it whole, so its size is the host's."""
    try:
        return str(os.stat("/etc/ld.so.cache").st_size)
    except OSError:
        return None


_CACHE_SIZE = _host_ld_so_cache_size()
_CACHE_SIZE_RE = re.compile(rf"\b{_CACHE_SIZE}\b") if _CACHE_SIZE else None


def normalise(line: str) -> str:
    for pattern, repl in NORMALISE:
        line = pattern.sub(repl, line)
    if _CACHE_SIZE_RE is not None:
        line = _CACHE_SIZE_RE.sub("<host ld.so.cache size>", line)
    return line


# -- reading the guest at main ------------------------------------------------------------

def _word(mem, addr: int) -> int | None:
    """A big-endian word of guest memory, or None where the guest could not read."""
    try:
        return mem.read_u32(addr)
    except GuestFault:
        return None


def resolved_vdso_symbols(machine) -> list[str]:
    """The vDSO exports referenced by a plabel -> descriptor chain in the process's memory."""
    if machine.vdso is None:
        return []
    entries = machine.vdso.entry_points()                  # address -> name
    mem = machine.mem
    words = np.frombuffer(mem.mem, dtype=">u4")
    readable = (np.frombuffer(mem.perm, dtype=np.uint8) & PERM_R) != 0
    # every readable page but the vDSO's own: a dynamic glibc keeps its vDSO pointers in
    # ld.so's RELRO data, read-only by the time main runs
    lo_v, hi_v = machine.vdso.text_range
    perm = np.array(mem.perm, dtype=np.uint8)
    perm[lo_v >> 12:hi_v >> 12] = 0
    pages = np.flatnonzero(perm & PERM_R)
    found: set[str] = set()
    if not len(pages) or not entries:
        return []
    # runs of consecutive writable pages
    breaks = np.flatnonzero(np.diff(pages) != 1)
    starts = np.concatenate(([pages[0]], pages[breaks + 1]))
    ends = np.concatenate((pages[breaks], [pages[-1]])) + 1
    wanted = np.array(sorted(entries), dtype=np.uint32)
    for lo, hi in zip(starts, ends):
        chunk = words[lo << 10:hi << 10]
        plabels = chunk[(chunk & 3) == 2]
        if not len(plabels):
            continue
        desc = (plabels & np.uint32(0xFFFFFFFC)).astype(np.int64)
        desc = desc[readable[desc >> 12]]
        code = words[desc >> 2]
        for addr in np.unique(code[np.isin(code, wanted)]):
            found.add(entries[int(addr)])
    return sorted(found)


def r_debug_address(machine, dyn: int | None, symbols: dict[str, int]) -> int | None:
    """&_r_debug: DT_DEBUG of the program's dynamic section (at ``dyn``), else the static
    program's ``_r_debug`` symbol."""
    if dyn:
        mem = machine.mem
        for i in range(256):
            tag, val = _word(mem, dyn + 8 * i), _word(mem, dyn + 8 * i + 4)
            if tag is None or tag == 0:
                break
            if tag == 21 and val:                          # DT_DEBUG
                return val
    return symbols.get("_r_debug")


def link_map(machine, r_debug: int) -> list[tuple[str, int]]:
    """(l_name, l_ld) of each struct link_map from r_debug.r_map along l_next."""
    mem = machine.mem
    out, seen = [], set()
    lm = _word(mem, r_debug + 4) or 0                      # r_map
    while lm and lm not in seen and len(out) < 512:
        seen.add(lm)
        l_name, l_ld, l_next = _word(mem, lm + 4), _word(mem, lm + 8), _word(mem, lm + 12)
        if l_name is None or l_ld is None:
            break
        try:
            name = mem.read_cstr(l_name, 4096).decode(errors="replace") if l_name else ""
        except GuestFault:
            name = "?"
        out.append((name, l_ld))
        lm = l_next or 0
    return out


def _dynamic_vaddr(program: str) -> int | None:
    """p_vaddr of the program's PT_DYNAMIC (non-PIE executables: its run-time address)."""
    try:
        with open(program, "rb") as fh:
            elf = ELFFile(fh)
            if elf.header["e_type"] != "ET_EXEC":
                return None
            for seg in elf.iter_segments():
                if seg["p_type"] == "PT_DYNAMIC":
                    return seg["p_vaddr"]
    except Exception:   # pyelftools raises assorted errors on bad input
        return None
    return None


def where(machine, pc: int, symbols: dict[str, int]) -> str:
    """A function name for ``pc``: the program's nearest .symtab function below it, else the
    name of the mapping (``[vdso]``, a library's file name)."""
    vdso = machine.vdso
    if vdso is not None and vdso.base <= pc < vdso.base + vdso.image.map_size:
        return "[vdso]"
    prog = machine.image.program                      # as exec placed it (a PIE is biased)
    for seg in prog.image.loads:
        if seg.vaddr + prog.bias <= pc < seg.vaddr + prog.bias + seg.memsz and symbols:
            below = [(v + prog.bias, n) for n, v in symbols.items()
                     if v + prog.bias <= pc and not n.startswith("$")]
            if below:
                return max(below)[1]
    vm = getattr(machine.kernel, "vm", None)
    for vma in getattr(vm, "vmas", []) or []:
        if vma.start <= pc < vma.end:
            return os.path.basename(vma.path.decode(errors="replace")) if vma.path else (vma.name or "?")
    return "?"


# -- one run --------------------------------------------------------------------------------

def empty_record(program: str, kernel: str, fault: str | None) -> dict:
    return {"program": os.path.basename(program), "kernel": kernel, "fault": fault,
            "exit_status": None, "signal": None, "death": None, "reached_main": False,
            "instructions_to_main": None, "startup_syscalls": [], "vdso_resolved": [],
            "vdso_calls": {}, "vdso_in_link_map": None, "link_map": None,
            "stdout": "", "stderr": "", "error": None}


def probe(program: str, kernel: str = "vvar", fault: str | None = None, args=(),
          env: dict[str, str] | None = None, argv0: str | None = None,
          max_insns: int = MAX_INSTRUCTIONS, jit: bool = False) -> dict:
    """Run ``program`` once under ``kernel`` (and vDSO ``fault``) and return its record.

    Redirects file descriptors 0-2 of this process while the guest runs (stdin from
    /dev/null, stdout and stderr into the record): call it in a child process
    (:func:`probe_in_child`)."""
    record = empty_record(program, kernel, fault)
    try:
        symbols = symtab_symbols(program)
    except LoaderError:
        symbols = {}
    dynamic = _dynamic_vaddr(program)
    strace = io.StringIO()
    at_main: dict = {}
    m = None

    def reached() -> None:
        at_main["instructions"] = m.ctx.insns
        at_main["strace"] = len(strace.getvalue())
        at_main["resolved"] = resolved_vdso_symbols(m)
        r_debug = r_debug_address(m, dynamic, symbols)
        at_main["link_map"] = link_map(m, r_debug) if r_debug else None

    with isolated.captured_stdio() as captured:
        try:
            m = Machine(program, [argv0 or DEFAULT_ARGV0, *map(str, args)],
                        env=dict(DEFAULT_ENV if env is None else env), strace=True,
                        strace_file=strace, max_insns=max_insns, kernel_profile=kernel,
                        count_vdso=True, jit_threshold=JIT_THRESHOLD if jit else 0,
                        vdso_fault=fault)
        except (LoaderError, ValueError) as e:
            record["error"] = f"{program}: {e}"
        if m is not None:
            if "main" in symbols:
                m.when_reached(symbols["main"], reached)
            else:
                record["error"] = "no symbol 'main' in the program's .symtab (stripped?)"
            record["exit_status"] = m.run()
    record["stdout"] = captured.stdout.decode(errors="replace")
    record["stderr"] = captured.stderr.decode(errors="replace")
    if m is None:
        return record
    if m.term_signal:
        record["signal"] = signal_name(m.term_signal)
        info = getattr(m, "kill_info", None)
        reason = getattr(info, "reason", None)
        record["death"] = f"{record['signal']} in {where(m, getattr(info, 'pc', m.pc), symbols)}" \
            + (f" ({reason})" if reason else "")
    record["vdso_calls"] = dict(sorted(m.stats()["vdso_calls"].items()))
    text = strace.getvalue()
    if at_main:
        record["reached_main"] = True
        record["instructions_to_main"] = at_main["instructions"]
        text = text[:at_main["strace"]]
        record["vdso_resolved"] = at_main["resolved"]
        lm = at_main["link_map"]
        if lm is not None:
            lo, hi = (m.vdso.base, m.vdso.base + m.vdso.image.map_size) if m.vdso else (0, 0)
            record["link_map"] = [os.path.basename(n) or ("(main program)" if i == 0 else "(no name)")
                                  for i, (n, _) in enumerate(lm)]
            record["vdso_in_link_map"] = any(lo <= ld < hi for _, ld in lm)
    record["startup_syscalls"] = [normalise(line) for line in text.splitlines()]
    return record


def probe_in_child(timeout: float = 600.0, **kwargs) -> dict:
    """:func:`probe` (``kwargs``) in a forked child: its record, or a record that says why
    there is none (the emulator failed, or the run took longer than ``timeout``)."""
    child = isolated.Child(probe, **kwargs)
    deadline = time.monotonic() + timeout
    while not child.poll():
        if time.monotonic() > deadline:
            child.kill(f"the probe took longer than {timeout:g} s and was stopped")
        time.sleep(0.01)
    return record_of(child, kwargs)


def record_of(child: isolated.Child, kwargs: dict) -> dict:
    """The record a finished :class:`isolated.Child` running :func:`probe` produced."""
    if child.result is not None:
        rec = child.result
    else:
        rec = empty_record(kwargs.get("program", ""), kwargs.get("kernel", "vvar"),
                           kwargs.get("fault"))
        rec["error"] = f"probe failed: {child.error}"
    rec["seconds"] = round(child.seconds, 3)
    return rec


def main(argv=None) -> int:
    """``python -m bench.startup_probe [--kernel K] [--fault F] [--env VAR=VAL]... [--argv0 NAME]
    [--json PATH] [--] PROGRAM [ARGS...]``: one record as JSON (stdout or PATH)."""
    ap = argparse.ArgumentParser(prog="python -m bench.startup_probe",
                                 description="Record how a guest starts under a kernel profile.")
    ap.add_argument("program")
    ap.add_argument("args", nargs="*")
    ap.add_argument("--kernel", default="vvar")
    ap.add_argument("--fault", default=None)
    ap.add_argument("--env", action="append", default=None, metavar="VAR=VAL",
                    help="the guest environment (default: a small fixed one)")
    ap.add_argument("--argv0", default=None)
    ap.add_argument("--jit", action="store_true")
    ap.add_argument("--max-insns", type=int, default=MAX_INSTRUCTIONS)
    ap.add_argument("--json", default=None, metavar="PATH")
    a = ap.parse_args(argv)
    env = None
    if a.env is not None:
        env = dict(item.split("=", 1) for item in a.env if "=" in item)
    rec = probe(a.program, kernel=a.kernel, fault=a.fault, args=a.args, env=env, argv0=a.argv0,
                max_insns=a.max_insns, jit=a.jit)
    text = json.dumps(rec, indent=1)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
