"""The CPU context: everything the kernel may see or change of the CPU, like Linux's
``struct pt_regs``.

The kernel model (syscall arguments and return, the gateway return, signal frames,
ptrace-style access for the gdb stub) speaks only this. It wraps the one int64 register
array the jitted core works on (layout in ``state.py``), so reading a register costs an
array access and handing the context to the core costs nothing.
"""
from __future__ import annotations

from _operator import itemgetter    # (start-up rule: cli.py)

from hppa_user import hostarray, state as S

M32 = 0xFFFFFFFF

# PSW bits the user can see and the kernel saves (PA-RISC 1.1; sc_gr[0] of a sigcontext)
PSW_N = 0x00200000        # nullify the instruction at IAOQ front
PSW_V = 0x00020000        # divide-step overflow
PSW_CB_SHIFT = 8          # carry/borrow of the 8 nibbles: PSW bits 16..23 (mask 0xff00)
PSW_CB_MASK = 0xFF << PSW_CB_SHIFT

SYSCALL_ARG_REGS = (26, 25, 24, 23, 22, 21)   # arg0..arg5; r20 holds the number
SYSCALL_NR_REG = 20


def _first_arg(regs) -> tuple:
    return (regs[SYSCALL_ARG_REGS[0]],)


# The first n argument registers of the register array, by n (None: no argument), for a
# syscall whose arity the caller knows (the kernel's registry): unsigned (GRs hold 32-bit
# values zero-extended), in one C call reading n words
SYSCALL_ARG_READERS = (None, _first_arg,
                       *(itemgetter(*SYSCALL_ARG_REGS[:n]) for n in range(2, 7)))
RETURN_REG = 28
LINK_REG = 31                                 # ble's return point (gateway calls)
SP_REG = 30

# absolute indices into the register array, for the scalar fast paths below
_IAOQF = S.REGS_CTL + S.CTL_IAOQF
_IAOQB = S.REGS_CTL + S.CTL_IAOQB
_PSWN = S.REGS_CTL + S.CTL_PSWN
_INSNS = S.REGS_CTL + S.CTL_INSNS


class CpuContext:
    """One register file: GRs, FRs, space and control registers, IAOQ, PSW, counters."""

    __slots__ = ("regs", "gr", "fr", "sr", "cr", "ctl")

    def __init__(self, regs: memoryview | None = None):
        self.regs = hostarray.zeros(S.REGS_SIZE, "q") if regs is None else regs
        self.gr = self.regs[S.REGS_GR]
        self.fr = self.regs[S.REGS_FR]     # raw IEEE bits; singles are the high/low words
        self.sr = self.regs[S.REGS_SR]
        self.cr = self.regs[S.REGS_CR]
        self.ctl = self.regs[S.REGS_CTL:]

    # -- instruction address queue and PSW -----------------------------------------------
    @property
    def iaoq_f(self) -> int:
        """IAOQ front: the instruction that executes next (privilege bits stripped)."""
        return self.regs[_IAOQF]

    @iaoq_f.setter
    def iaoq_f(self, v: int) -> None:
        self.regs[_IAOQF] = v & 0xFFFFFFFC

    @property
    def iaoq_b(self) -> int:
        """IAOQ back: the one after it (a branch target after a taken branch)."""
        return self.regs[_IAOQB]

    @iaoq_b.setter
    def iaoq_b(self, v: int) -> None:
        self.regs[_IAOQB] = v & 0xFFFFFFFC

    @property
    def pc(self) -> int:
        return self.regs[_IAOQF]

    def jump(self, addr: int) -> None:
        """Resume at ``addr`` with a sequential queue and nothing nullified."""
        r = self.regs
        r[_IAOQF] = addr & 0xFFFFFFFC
        r[_IAOQB] = (addr + 4) & 0xFFFFFFFC
        r[_PSWN] = 0

    @property
    def psw_n(self) -> int:
        return self.regs[_PSWN]

    @psw_n.setter
    def psw_n(self, v: int) -> None:
        self.regs[_PSWN] = 1 if v else 0

    @property
    def psw(self) -> int:
        """The user-visible PSW bits: N, V and the 8 nibble carries C/B.

        The core keeps the carries as a vector (bit i = carry into bit i), so nibble n's
        carry out is bit 4(n+1); PSW C/B bit n is that carry."""
        vec = int(self.ctl[S.CTL_CB])
        cb = 0
        for n in range(8):
            cb |= ((vec >> (4 * (n + 1))) & 1) << n
        return ((PSW_N if self.ctl[S.CTL_PSWN] else 0) | (PSW_V if self.ctl[S.CTL_PSWV] else 0)
                | (cb << PSW_CB_SHIFT))

    @psw.setter
    def psw(self, v: int) -> None:
        self.ctl[S.CTL_PSWN] = 1 if v & PSW_N else 0
        self.ctl[S.CTL_PSWV] = 1 if v & PSW_V else 0
        cb = (v >> PSW_CB_SHIFT) & 0xFF
        self.ctl[S.CTL_CB] = sum(((cb >> n) & 1) << (4 * (n + 1)) for n in range(8))

    @property
    def sar(self) -> int:
        return int(self.cr[11]) & 31

    @sar.setter
    def sar(self, v: int) -> None:
        self.cr[11] = v & 31

    @property
    def insns(self) -> int:
        """Instructions executed so far (nullified ones included)."""
        return self.regs[_INSNS]

    # -- the syscall ABI -----------------------------------------------------------------
    def set_return(self, value: int) -> None:
        self.regs[RETURN_REG] = value & M32

    def syscall_return(self, value: int) -> None:
        """The common end of a syscall: ``value`` in r28, then the gateway return."""
        r = self.regs
        r[RETURN_REG] = value & M32
        addr = r[LINK_REG]                  # jump(r31), inlined: every syscall's way out
        r[_IAOQF] = addr & 0xFFFFFFFC
        r[_IAOQB] = (addr + 4) & 0xFFFFFFFC
        r[_PSWN] = 0

    def gateway_return(self) -> None:
        """Leave the gateway page as ``be,n 0(%sr3,%r31)`` does: to r31, user privilege."""
        self.jump(self.regs[LINK_REG])

    @property
    def sp(self) -> int:
        return self.regs[SP_REG] & M32

    @property
    def unaligned(self) -> int:
        """prctl(PR_SET_UNALIGN) flags of this thread: with PR_UNALIGN_SIGBUS (2) an
        unaligned access stops the CPU with UNALIGNED instead of being emulated."""
        return int(self.ctl[S.CTL_UNALIGN])

    @unaligned.setter
    def unaligned(self, flags: int) -> None:
        self.ctl[S.CTL_UNALIGN] = flags

    # -- the last interruption (on ST_FAULT) ---------------------------------------------
    @property
    def trap(self) -> tuple[int, int, int]:
        """(interruption number, detail, address): see traps.py."""
        ctl = self.ctl
        return int(ctl[S.CTL_TRAP]), int(ctl[S.CTL_TRAP_DETAIL]), int(ctl[S.CTL_TRAP_ADDR])

    def set_gateway_errnos(self, efault: int, enosys: int) -> None:
        """The error numbers the gateway page's LWS code returns (the kernel's ABI)."""
        self.ctl[S.CTL_LWS_EFAULT] = efault
        self.ctl[S.CTL_LWS_ENOSYS] = enosys

    def lws_counts(self) -> dict[int, int]:
        """Light-weight syscalls executed, by op (5: bad ops)."""
        return {op: int(self.ctl[S.CTL_LWS + op]) for op in range(6) if self.ctl[S.CTL_LWS + op]}

    # -- whole-context copies (threads, signal frames, the debugger) ---------------------
    def copy(self) -> "CpuContext":
        return CpuContext(hostarray.copy(self.regs))

    def load(self, other: "CpuContext") -> None:
        self.regs[:] = other.regs

    # -- thread switches: a thread's own registers only ------------------------------------
    # A thread owns GRs, FRs, SRs, CRs (%cr27 is its TLS pointer), the IAOQ, PSW N/V/C-B and
    # the fields of its last interruption. The rest of the ctl block belongs to the machine
    # (decode-cache slots, clock mode, cr16 bias, JIT threshold, LWS counters and errnos,
    # the instruction count) and stays put when threads switch.
    def save_thread(self, into: "CpuContext") -> None:
        """Copy this (live) context's per-thread registers into ``into``."""
        into.regs[:_THREAD_END] = self.regs[:_THREAD_END]
        into.regs[_TRAP_FIRST:_TRAP_END] = self.regs[_TRAP_FIRST:_TRAP_END]

    def load_thread(self, other: "CpuContext") -> None:
        """Make ``other``'s per-thread registers this (live) context's."""
        self.regs[:_THREAD_END] = other.regs[:_THREAD_END]
        self.regs[_TRAP_FIRST:_TRAP_END] = other.regs[_TRAP_FIRST:_TRAP_END]


# the per-thread part of the register array: everything below the machine's instruction
# counter (GR, FR, SR, CR, IAOQ, PSW N, C/B, V), and the interruption fields
_THREAD_END = S.REGS_CTL + S.CTL_INSNS
_TRAP_FIRST = S.REGS_CTL + S.CTL_TRAP
_TRAP_END = S.REGS_CTL + S.CTL_TRAP_ADDR + 1
assert S.CTL_INSNS == S.CTL_PSWV + 1 and S.CTL_TRAP_ADDR == S.CTL_TRAP + 2
