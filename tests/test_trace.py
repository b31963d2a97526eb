"""`hppa-user run --trace[=FILE] [--trace-from ADDR|SYMBOL]`: the instruction trace.

The assembly program tests/asm/trace_paths.S walks through nullified delay slots (taken and
untaken branches in both directions, ``b,n``, a nullifying ``cmpclr``), a loop, and a branch in
a delay slot; its trace must be exactly the hand-derived execution order, each line spelled as
GNU objdump spells the word at that address, nullified slots (and only those) marked.

Runtime: ~10 s (four `hppa-user run` processes plus three in-process runs).
"""
from __future__ import annotations

import io
import re
import subprocess

import pytest

from conftest import build_guest, emulator_command, guest_env, toolchain

ASM = "tests/asm/trace_paths.S"

# (disassembly, nullified) in execution order, worked out by hand from the PA-RISC rules
EXPECTED = [
    ("ldi 5,r3", False),
    ("cmpb,=,n r3,r3,L1", False),      # forward, taken, ,n
    ("ldi 7,r4", True),
    ("ldi 1,r6", False),               # L1
    ("cmpb,<>,n r3,r3,L1", False),     # backward, not taken, ,n
    ("ldi 8,r5", True),
    ("cmpb,= r3,r3,L2", False),        # forward, taken, no ,n: the slot runs
    ("ldi 9,r7", False),
    ("b,l,n L3,r0", False),            # L2: b,n
    ("ldi b,r8", True),
    ("cmpclr,= r3,r3,r0", False),      # L3
    ("ldi c,r9", True),
    ("ldi 2,r3", False),
    ("addib,<>,n -1,r3,L4", False),    # L4: backward, taken (the slot runs)
    ("ldo 1(r6),r6", False),
    ("addib,<>,n -1,r3,L4", False),    # backward, not taken (the slot is nullified)
    ("ldo 1(r6),r6", True),
    ("b,l L5,r0", False),
    ("b,l L6,r0", False),              # a branch in the delay slot
    ("ldi d,r10", False),              # L5: the one instruction at the first target
    ("copy r0,r26", False),            # L6
    ("ldi 1,r20", False),
    ("be,l 100(sr2,r0),sr0,r31", False),
    ("nop", False),
    ("<gateway: syscall %r20=1>", False),
]

LINE = re.compile(r"^([0-9a-f]+):\t(.*?)(\t\[nullified\])?$")


@pytest.fixture(scope="module")
def asm_prog(repo_root):
    return toolchain.compile_guest([repo_root / ASM], opt="", extra=["-nostdlib"])


def objdump_text(binary) -> dict[int, str]:
    out = subprocess.run([toolchain.cross_tool("objdump"), "-d", str(binary)], capture_output=True,
                         text=True, check=True).stdout
    text = {}
    for m in re.finditer(r"^\s*([0-9a-f]+):\t(?:[0-9a-f]{2} ){4}\t(.*)$", out, re.M):
        text[int(m.group(1), 16)] = re.sub(r" <[^>]*>", "", m.group(2)).strip()
    return text


def symbols(binary) -> dict[str, int]:
    out = subprocess.run([toolchain.cross_tool("nm"), str(binary)], capture_output=True, text=True,
                         check=True).stdout
    return {p[2]: int(p[0], 16) for p in (l.split() for l in out.splitlines()) if len(p) == 3}


def parse(trace: str) -> list[tuple[int, str, bool]]:
    rows = []
    for line in trace.splitlines():
        m = LINE.match(line)
        assert m, f"malformed trace line {line!r}"
        rows.append((int(m.group(1), 16), m.group(2), bool(m.group(3))))
    return rows


def run_cli(*args, timeout=300):
    return subprocess.run([*emulator_command(), "run", *map(str, args)], capture_output=True,
                          text=True, env=guest_env(), timeout=timeout, stdin=subprocess.DEVNULL)


def labels(binary) -> dict[str, int]:
    """L1..L6 of trace_paths.S from the branch targets objdump shows."""
    text = objdump_text(binary)
    start = symbols(binary)["_start"]
    words = [text[a] for a in sorted(text) if a >= start]
    targets = {}
    for name, disasm in (("L1", words[1]), ("L2", words[6]), ("L3", words[9]),
                         ("L4", words[14]), ("L5", words[16]), ("L6", words[17])):
        targets[name] = int(re.search(r"([0-9a-f]+)(?:,r0)?$", disasm).group(1), 16)
    return targets


def test_trace_paths_match_hand_and_objdump(asm_prog, tmp_path):
    out = tmp_path / "trace.txt"
    r = run_cli(f"--trace={out}", asm_prog)
    assert r.returncode == 0, r.stderr
    rows = parse(out.read_text())
    lab = labels(asm_prog)
    expected = [(re.sub(r"L\d", lambda m: f"{lab[m.group(0)]:x}", t), n) for t, n in EXPECTED]
    assert [(t, n) for _a, t, n in rows] == expected
    dump = objdump_text(asm_prog)
    for addr, text, _n in rows[:-1]:
        assert dump[addr] == text, f"{addr:#x}: trace says {text!r}, objdump {dump[addr]!r}"
    assert rows[-1][0] == 0x100                                   # the gateway entry
    assert rows[3][0] == lab["L1"] and rows[19][0] == lab["L5"] and rows[20][0] == lab["L6"]


def test_bare_trace_goes_to_stderr_and_guest_args_are_untouched(guest):
    binary = guest("args_env")
    r = run_cli("--trace", "--trace-from", "main", binary, "--trace", "x")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:3] == ["argc=3", "argv[1]=\"--trace\" len=7", "argv[2]=\"x\" len=1"]
    rows = parse(r.stderr)
    assert rows[0][0] == symbols(binary)["main"]
    assert any(t == "<gateway: syscall %r20=4>" for _a, t, _n in rows)        # write
    assert rows[-1][1] == "<gateway: syscall %r20=222>"                     # exit_group
    ref = run_cli(binary, "--trace", "x")
    assert ref.stdout == r.stdout


def test_trace_from_address_and_bad_symbol(asm_prog):
    lab = labels(asm_prog)
    r = run_cli(f"--trace-from={lab['L6']:#x}", asm_prog)
    assert r.returncode == 0
    rows = parse(r.stderr)
    assert [t for _a, t, _n in rows] == [t for t, _n in EXPECTED[-5:]]
    bad = run_cli("--trace-from", "no_such_symbol", asm_prog)
    assert bad.returncode == 2 and "no symbol 'no_such_symbol'" in bad.stderr


def _machine(binary, start, buf, args=()):
    from kernel_model.machine import Machine
    from hppa_user.trace import TraceOptions
    return Machine(str(binary), [str(binary), *args], env={},
                   trace=TraceOptions(file=buf, start=start))


def test_breakpoint_survives_a_dropped_decode_slot(asm_prog):
    """The --trace-from breakpoint lives in the decode cache: when the start page loses its
    slot (a store into it, mprotect, a full cache) it is planted again before the CPU runs."""
    lab = labels(asm_prog)
    for drop in ("slot", "flush"):
        buf = io.StringIO()
        m = _machine(asm_prog, lab["L5"], buf)
        page, slot = m.cpu.breakpoints[lab["L5"]]    # planted when the tracer was made
        assert slot >= 0 and m.mem.page_slot[page] == slot
        if drop == "slot":
            m.mem.page_slot[lab["L5"] >> 12] = -1
        else:
            m.cpu.flush_decode_cache()
        assert m.run() == 0
        assert [t for _a, t, _n in parse(buf.getvalue())] == [t for t, _n in EXPECTED[-6:]]
        # the aborted fetch at the breakpoint is not counted: same count as an untraced run
        plain = _machine(asm_prog, None, io.StringIO())
        plain.monitor = None
        plain.run()
        assert m.ctx.insns == plain.ctx.insns == 24


def test_trace_from_symbol_in_glibc_program(guest):
    """Start late in a real program (crc_loop: its loop runs ~1 M instructions first)."""
    binary = guest("crc_loop")
    buf = io.StringIO()
    m = _machine(binary, "exit", buf, ["20000"])
    assert m.run() == 0
    rows = parse(buf.getvalue())
    assert rows[0][0] == symbols(binary)["exit"]
    assert m.ctx.insns > 100_000 and 100 < len(rows) < 5000
    assert rows[-1][1] == "<gateway: syscall %r20=222>"


def test_trace_from_symbol_in_a_pie(guest):
    """A PIE's symbols move with its load bias: load_elf_binary puts a PIE's first segment at
    ELF_ET_DYN_BASE (0x41000000), so main runs at its .symtab value plus that."""
    binary = guest("hello", dynamic=True, extra=("-fPIE", "-pie"))
    buf = io.StringIO()
    m = _machine(binary, "main", buf)
    assert m.run() == 0
    rows = parse(buf.getvalue())
    assert rows[0][0] == symbols(binary)["main"] + 0x41000000
