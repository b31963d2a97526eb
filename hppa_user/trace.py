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
or trap ends with ``; SIGxxx``; a fetch from a page without execute permission is shown
as ``<fetch fault: SIGSEGV>``.

How it costs nothing when off: the jitted core is not touched.  ``Machine.run`` only
consults a :class:`Tracer` when one was given.  Once tracing is active the machine calls
``core.run`` with a budget of one instruction and the tracer reads IAOQ front, PSW[N] and
the instruction word from the state arrays before each step; the instruction counter
tells whether the step executed (or nullified) an instruction.

``--trace-from`` must not single-step the program up to the start address (that would make
a trace of the end of a long run take hours).  Instead the tracer plants a breakpoint in
the *decode cache*: the start address's page gets a decode slot (exactly as the core
allocates one) and the record of the start instruction holds a micro-op number no
instruction decodes to, which the core reports as SIGILL at that address.  The tracer
recognises its own breakpoint, removes it (the record goes back to "not decoded yet", so
the core decodes the real instruction on the next fetch, hooks included), undoes the
instruction count of the aborted fetch and starts stepping.  The guest, the kernel model
and the permission table never see it.  Whenever the core returns before the start
address is reached, the breakpoint is checked and planted again if a store to its page,
an mprotect or a full decode cache dropped it.  (Only a store into the start page
followed by a jump to the start address *within one core entry* could slip past: code
that writes and runs its own code on that page.)  A start address whose page is not
executable yet is checked again on every return to Python.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

from hppa_user import state as S
from hppa_user.disasm import disassemble_word
from hppa_user.memory import PERM_CODE, PERM_X

# a record op the decoder never produces: the core executes it as an illegal op
SENTINEL_OP = S.DC_SENTINEL

_SIGNAMES = {4: "SIGILL", 5: "SIGTRAP", 8: "SIGFPE", 10: "SIGBUS", 11: "SIGSEGV"}   # parisc numbers


class TraceError(Exception):
    """A --trace-from that names no address or symbol of the program."""


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
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    try:
        with open(program, "rb") as fh:
            elf = ELFFile(fh)
            found = []
            for sec in elf.iter_sections():
                if not isinstance(sec, SymbolTableSection) or sec.name != ".symtab":
                    continue
                for sym in sec.get_symbol_by_name(name) or []:
                    if sym["st_shndx"] != "SHN_UNDEF":
                        found.append((sym["st_info"]["type"] != "STT_FUNC", sym["st_value"]))
    except (OSError, Exception) as e:  # pyelftools raises assorted errors on bad input
        raise TraceError(f"cannot read symbols of {program}: {e}") from None
    if not found:
        raise TraceError(f"no symbol {name!r} in the .symtab of {program} "
                         "(stripped? give an address instead)")
    return min(found)[1] & ~3


def resolve_start(program: str, start: int | str | None) -> int | None:
    if start is None:
        return None
    if isinstance(start, str):
        start = parse_start(start)
    if isinstance(start, str):
        return symbol_address(program, start)
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
    """Writes the trace of one :class:`~hppa_user.machine.Machine`."""

    def __init__(self, machine, options: TraceOptions):
        self.m = machine
        self.start = resolve_start(machine.program, options.start)
        if isinstance(options.file, str):
            self.out, self._close = _open(options.file)
        else:
            self.out, self._close = options.file, False
        self.active = self.start is None
        self.lines = 0
        self._text: dict[tuple[int, int], str] = {}
        self._bp: tuple[int, int] | None = None      # (page, slot) holding the breakpoint
        self._f = self._n = self._count = self._word = 0

    # -- the trace-from breakpoint -----------------------------------------------------
    def _bp_index(self, slot: int) -> int:
        return ((slot << 10) | ((self.start >> 2) & 1023)) * S.DC_FIELDS

    def _plant(self) -> None:
        m = self.m
        page = self.start >> 12
        mem = m.mem
        slot = int(mem.page_slot[page])
        if slot >= 0 and self._bp == (page, slot) and m.dc[self._bp_index(slot)] == SENTINEL_OP:
            return                                   # still in place
        if slot < 0:
            p = int(mem.perm[page])
            if not p & PERM_X:
                return                               # not executable (yet): look again later
            if m.ctl[S.CTL_NEXT_SLOT] >= m.ctl[S.CTL_NSLOTS]:
                m.flush_decode_cache()
            slot = int(m.ctl[S.CTL_NEXT_SLOT])       # allocate a slot as the core does
            m.ctl[S.CTL_NEXT_SLOT] = slot + 1
            mem.page_slot[page] = slot
            mem.perm[page] = p | PERM_CODE
            base = slot * S.SLOT_WORDS * S.DC_FIELDS
            m.dc[base:base + S.SLOT_WORDS * S.DC_FIELDS:S.DC_FIELDS] = 0
        m.dc[self._bp_index(slot)] = SENTINEL_OP
        self._bp = (page, slot)

    def _hit(self, st: int) -> bool:
        """Was this core return the breakpoint?  If so remove it and start tracing."""
        if st != S.ST_FAULT or self._bp is None:
            return False
        ctl = self.m.ctl
        if int(ctl[S.CTL_FAULT_ADDR]) & ~3 != self.start or int(ctl[S.CTL_FAULT_SIG]) != 4:
            return False
        page, slot = self._bp
        idx = self._bp_index(slot)
        if int(self.m.mem.page_slot[page]) != slot or self.m.dc[idx] != SENTINEL_OP:
            return False
        self.m.dc[idx] = 0                           # decode the real instruction next time
        ctl[S.CTL_INSNS] -= 1                        # the aborted fetch executed nothing
        ctl[S.CTL_FAULT_SIG] = 0
        self._bp = None
        self.active = True
        return True

    # -- called by Machine.run around every core entry ----------------------------------
    def prepare(self, budget: int) -> int:
        """The budget for the next core entry (1 while tracing); snapshot the state."""
        if not self.active:
            self._plant()
            return budget
        ctl = self.m.ctl
        f = int(ctl[S.CTL_IAOQF])
        self._f = f
        self._n = int(ctl[S.CTL_PSWN])
        self._count = int(ctl[S.CTL_INSNS])
        if f >= 4096:
            b = self.m.mem.mem[f:f + 4]
            self._word = (int(b[0]) << 24) | (int(b[1]) << 16) | (int(b[2]) << 8) | int(b[3])
        return 1

    def finish(self, st: int) -> bool:
        """After a core entry: write the trace line.  True if the return was the tracer's own
        breakpoint (not a guest event: the machine just enters the core again)."""
        if not self.active:
            return self._hit(st)
        ctl = self.m.ctl
        ran = int(ctl[S.CTL_INSNS]) != self._count
        f = self._f
        if f < 4096 and self._n == 0:
            if f == 0x100 and st == S.ST_SYSCALL:
                text = f"<gateway: syscall %r20={int(self.m.gr[20])}>"
            elif f == 0xB0 and ran:
                text = f"<gateway: lws %r20={int(self.m.gr[20])}>"
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
            sig = int(ctl[S.CTL_FAULT_SIG])
            text += f"\t; {_SIGNAMES.get(sig, f'signal {sig}')}"
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
