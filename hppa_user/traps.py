"""Interruptions the CPU reports to the kernel: PA-RISC 1.1 interruption numbers.

The CPU package knows nothing of signals: like the hardware, the core stops with an
interruption number, a detail word and an address (the IOR for data accesses, the
instruction's IAOQ otherwise), and the kernel model decides what that means for the
process (``kernel_model/traps.py``, after Linux's ``handle_interruption()``).
"""
from __future__ import annotations

ITLB_MISS = 6            # instruction fetch from a page with no translation
INSN_PROTECTION = 7      # instruction fetch from a page without execute permission
ILLEGAL_INSN = 8
BREAK = 9                # break im5,im13: detail = the instruction word
PRIV_OP = 10             # privileged operation
PRIV_REG = 11            # privileged register (mfctl/mtctl/mtsp of a kernel register)
OVERFLOW = 12            # ,tsv trap: signed overflow
CONDITIONAL = 13         # ,tc trap: condition satisfied
ASSIST_EXCEPTION = 14    # FP: an enabled IEEE exception; detail = PA flag bits V Z O U I
DTLB_MISS = 15           # data access to a page with no translation
DATA_PROTECTION = 26     # data access rights (read/write not allowed)
UNALIGNED = 28           # unaligned data reference (the process asked for SIGBUS, or an
                         # access Linux does not emulate); detail EMULATION_FAULT: the
                         # emulation of an unaligned access met a page it may not touch
EMULATION_FAULT = 1

# FP exception flag bits in the status register (and in the ASSIST_EXCEPTION detail)
FP_V, FP_Z, FP_O, FP_U, FP_I = 16, 8, 4, 2, 1

NAMES = {
    ITLB_MISS: "instruction TLB miss", INSN_PROTECTION: "instruction memory protection",
    ILLEGAL_INSN: "illegal instruction", BREAK: "break instruction",
    PRIV_OP: "privileged operation", PRIV_REG: "privileged register",
    OVERFLOW: "overflow", CONDITIONAL: "conditional", ASSIST_EXCEPTION: "assist exception",
    DTLB_MISS: "data TLB miss", DATA_PROTECTION: "data memory access rights",
    UNALIGNED: "unaligned data reference",
}
