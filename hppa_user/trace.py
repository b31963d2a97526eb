"""Instruction trace: ``hppa-user run --trace[=FILE] [--trace-from ADDR|SYMBOL]``.

One line per executed instruction, spelled like ``hppa-user disasm`` (and so like GNU
objdump)::

    10a28:\tldo 40(sp),sp
    10a2c:\tbl 10b40,rp
    10a30:\tcopy r3,r26
    10a34:\tcmpb,=,n r3,r0,10a4c
    10a38:\tldi 1,ret0\t[nullified]
    100:\t<gateway: syscall %r20=64>

``[nullified]`` marks an instruction whose slot was consumed with PSW[N] set (it did
nothing).  Entries into the gateway page are named (``syscall`` with the number in %r20,
``lws`` with the op in %r20, ``set thread pointer``).  An instruction that raised a fault
or trap ends with ``; SIGxxx`` (the signal the kernel makes of the interruption); a fetch
from a page without execute permission is shown as ``<fetch fault>``.

How it costs nothing when off: the jitted core is not touched.  The machine's run loop
only consults a :class:`Tracer` when one was given.  Once tracing is active the CPU runs
with a budget of one instruction and the tracer reads IAOQ front, PSW[N] and the
instruction word before each step; the instruction counter tells whether the step
executed (or nullified) an instruction.

``--trace-from`` must not single-step the program up to the start address (that would make
a trace of the end of a long run take hours).  Instead the tracer sets a CPU breakpoint
there (``Cpu.set_breakpoint``: a record planted in the decode cache that no instruction
decodes to; the guest, the kernel model and the permission table never see it, and
breakpoints a store, an mprotect or a full decode cache took away are planted again on
every CPU entry).  When it is hit, the tracer removes it and starts stepping.  (Only a
store into the start page followed by a jump to the start address *within one CPU run*
could slip past: code that writes and runs its own code on that page.)
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

from hppa_user import state as S
from hppa_user.disasm import disassemble_word
from hppa_user.errors import LoaderError, TraceError
from hppa_user.loader import symtab_symbols


@dataclass
class TraceOptions:
    """What ``--trace`` asked for.

    file:  path to write the trace to; ``"-"`` (the default) is standard error; or an open
           text stream (written to, flushed, not closed).
    start: None (trace from the first instruction), an address, or a symbol name
           looked up in the program's ``.symtab``.
    """
    file: str | io.TextIOBase = "-"
    start: int | str | None = None


def parse_start(spec: str) -> int | str:
    """``0x10a28`` / ``68136`` -> an address; anything else is a symbol name."""
    s = spec.strip()
    try:
        return int(s, 0)
    except ValueError:
        return s


def symbol_address(program: str, name: str) -> int:
    """The value of symbol ``name`` in the ELF ``.symtab`` of ``program`` (functions first)."""
    try:
        value = symtab_symbols(program, (name,)).get(name)
    except LoaderError as e:
        raise TraceError(f"cannot read symbols of {program}: {e}") from None
    if value is None:
        raise TraceError(f"no symbol {name!r} in the .symtab of {program} "
                         "(stripped? give an address instead)")
    return value & ~3


def resolve_start(program: str, start: int | str | None, symbol_bias: int = 0) -> int | None:
    """The trace's start address: an address as given, or a symbol's value plus
    ``symbol_bias`` (where the program was loaded: a PIE's load bias)."""
    if start is None:
        return None
    if isinstance(start, str):
        start = parse_start(start)
    if isinstance(start, str):
        return (symbol_address(program, start) + symbol_bias) & 0xFFFFFFFC
    if not 0 <= start <= 0xFFFFFFFF:
        raise TraceError(f"trace start address {start:#x} is outside the 32-bit address space")
    return start & ~3


def _open(path: str):
    if path == "-":
        return os.fdopen(os.dup(2), "w", buffering=1 << 16), True
    try:
        return open(path, "w", buffering=1 << 16), True
    except OSError as e:
        raise TraceError(f"cannot open trace file {path}: {e.strerror}") from None


class Tracer:
    """Writes the instruction trace of one :class:`~hppa_user.cpu.Cpu`.

    ``describe_trap()`` names the interruption the CPU stopped on (the kernel's signal)."""

    def __init__(self, cpu, program: str, options: TraceOptions, describe_trap,
                 symbol_bias: int = 0):
        self.cpu = cpu
        self.ctx = cpu.ctx
        self.describe_trap = describe_trap
        self.start = resolve_start(program, options.start, symbol_bias)
        if isinstance(options.file, str):
            self.out, self._close = _open(options.file)
        else:
            self.out, self._close = options.file, False
        self.active = self.start is None
        if not self.active:
            cpu.set_breakpoint(self.start)
        self.lines = 0
        self._text: dict[tuple[int, int], str] = {}
        self._f = self._n = self._count = self._word = 0

    # -- called by the run loop around every CPU run --------------------------------------
    def prepare(self, budget: int) -> int:
        """The budget for the next CPU run (1 while tracing); snapshot the state."""
        if not self.active:
            return budget
        ctx = self.ctx
        f = ctx.iaoq_f
        self._f = f
        self._n = ctx.psw_n
        self._count = ctx.insns
        if f >= 4096:
            self._word = self.cpu.word_at(f)
        return 1

    def finish(self, st: int) -> bool:
        """After a CPU run: write the trace line.  True if the return was the tracer's own
        breakpoint (not a guest event: the machine just runs the CPU again)."""
        if not self.active:
            if self.cpu.breakpoint_hit(st) != self.start:
                return False
            self.cpu.clear_breakpoint(self.start)
            self.active = True
            return True
        ctx = self.ctx
        ran = ctx.insns != self._count
        f = self._f
        if f < 4096 and self._n == 0:
            if f == 0x100 and st == S.ST_SYSCALL:
                text = f"<gateway: syscall %r20={int(ctx.gr[20])}>"
            elif f == 0xB0 and ran:
                text = f"<gateway: lws %r20={int(ctx.gr[20])}>"
            elif f == 0xE0 and ran:
                text = "<gateway: set thread pointer>"
            elif st == S.ST_FAULT:
                text = "<gateway>"
            else:
                return False
        elif ran:
            key = (f, self._word)
            text = self._text.get(key)
            if text is None:
                text = self._text[key] = disassemble_word(self._word, f)
            if self._n:
                text += "\t[nullified]"
        elif st == S.ST_FAULT:
            text = "<fetch fault>"
        else:
            return False                             # e.g. a full decode cache: step again
        if st == S.ST_FAULT:
            text += f"\t; {self.describe_trap()}"
        self.out.write(f"{f:x}:\t{text}\n")
        self.lines += 1
        if st == S.ST_SYSCALL:
            self.out.flush()                         # keep order with the guest's own output
        return False

    def close(self) -> None:
        try:
            self.out.flush()
            if self._close:
                self.out.close()
        except (OSError, ValueError):
            pass
