"""Interruptions to signals, as Linux's ``handle_interruption()`` (arch/parisc/kernel/traps.c)
and ``do_page_fault()`` (arch/parisc/mm/fault.c) decide for a user process.

The CPU reports an interruption number (``hppa_user/traps.py``), a detail word and an
address: the IOR for data accesses, the instruction's IAOQ otherwise. Traps raised by an
instruction itself report ``si_addr = regs->iaoq[0]``, which carries the privilege level
(3) in its low bits; page faults report the faulting address, and whether it was
SEGV_MAPERR or SEGV_ACCERR depends on whether a mapping (VMA) covers it.
"""
from __future__ import annotations

from hppa_user import traps as T
from hppa_user.memory import PERM_MAPPED
from kernel_model import abi

USER_PRIVILEGE = 3

# interruption -> (signal, si_code, si_addr is iaoq[0] with the privilege bits)
_INSTRUCTION_TRAPS = {
    T.ILLEGAL_INSN: (abi.SIGILL, abi.ILL_ILLOPC),
    T.PRIV_OP: (abi.SIGILL, abi.ILL_PRVOPC),
    T.PRIV_REG: (abi.SIGILL, abi.ILL_PRVREG),
    T.OVERFLOW: (abi.SIGFPE, abi.FPE_INTOVF),
    T.CONDITIONAL: (abi.SIGFPE, abi.FPE_CONDTRAP),
}
_PAGE_FAULTS = frozenset({T.ITLB_MISS, T.INSN_PROTECTION, T.DTLB_MISS, T.DATA_PROTECTION})
# handle_fpe(): the first enabled exception in this order names the si_code
_FP_CODES = ((T.FP_V, abi.FPE_FLTINV), (T.FP_Z, abi.FPE_FLTDIV), (T.FP_O, abi.FPE_FLTOVF),
             (T.FP_U, abi.FPE_FLTUND), (T.FP_I, abi.FPE_FLTRES))


def signal_for(mem, number: int, detail: int, addr: int, vm=None) -> tuple[int, int, int]:
    """(signal, si_code, si_addr) for interruption ``number`` at ``addr``; ``vm`` (the VMA
    list) tells a page past the end of a mapped file (SIGBUS) from other faults."""
    if number in _PAGE_FAULTS:
        v = vm.find(addr) if vm is not None else None
        if v is not None and v.past_eof(addr, addr + 1):
            return abi.SIGBUS, abi.BUS_ADRERR, addr
        mapped = bool(mem.perm[(addr >> 12) & 0xFFFFF] & PERM_MAPPED)
        return abi.SIGSEGV, (abi.SEGV_ACCERR if mapped else abi.SEGV_MAPERR), addr
    if number == T.UNALIGNED:           # handle_unaligned(): -EFAULT is SEGV_MAPERR
        if detail == T.EMULATION_FAULT:
            return abi.SIGSEGV, abi.SEGV_MAPERR, addr
        return abi.SIGBUS, abi.BUS_ADRALN, addr
    if number == T.BREAK:
        return abi.SIGTRAP, abi.TRAP_BRKPT, addr
    if number == T.ASSIST_EXCEPTION:
        code = next((c for bit, c in _FP_CODES if detail & bit), abi.FPE_FLTUNK)
        return abi.SIGFPE, code, addr | USER_PRIVILEGE
    sig, code = _INSTRUCTION_TRAPS.get(number, (abi.SIGILL, abi.ILL_ILLOPC))
    return sig, code, addr | USER_PRIVILEGE


def describe(mem, number: int, detail: int, addr: int, vm=None) -> str:
    """The signal's name, for the instruction trace."""
    return abi.signal_name(signal_for(mem, number, detail, addr, vm)[0])
