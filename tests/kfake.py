"""A stand-in for hppa_user.machine.Machine, for unit tests of the kernel model.

It holds a real GuestMemory and numpy register arrays, like the Machine, and lets a test
issue a syscall the way the gateway does (r20 = number, r26.. = arguments, r31 = return)."""
from __future__ import annotations

import numpy as np

from hppa_user.memory import PERM_R, PERM_W, PERM_X, GuestMemory
from kernel_model.kernel import Kernel

M32 = 0xFFFFFFFF
DATA = 0x00100000       # a scratch data area (1 MiB, RW) for test buffers
STACK = 0xFF700000      # stack VMA start (8 MiB limit), grows up
RET = 0x00010100        # pretend return address of the syscall (r31)


class FakeMachine:
    def __init__(self, program="/bin/true", argv=None):
        self.mem = GuestMemory()
        self.gr = np.zeros(32, dtype=np.int64)
        self.fr = np.zeros(32, dtype=np.int64)
        self.sr = np.zeros(8, dtype=np.int64)
        self.cr = np.zeros(32, dtype=np.int64)
        self.iaoq_f = 0x10003
        self.iaoq_b = 0x10007
        self.psw_n = 0
        self.program = program
        self.argv = argv or [program]
        self.insn_count = 0

    @property
    def pc(self):
        return self.iaoq_f & ~3


def make_kernel(strace=False, strace_file=None, program="/bin/true", exec_stack=True):
    m = FakeMachine(program)
    m.mem.map(0x10000, 0x1000, PERM_R | PERM_X)            # "text"
    m.mem.map(DATA, 0x100000, PERM_R | PERM_W)             # scratch
    m.mem.map(STACK, 0x22000, PERM_R | PERM_W | (PERM_X if exec_stack else 0))
    m.gr[30] = STACK + 0x1000
    k = Kernel(m, strace=strace, strace_file=strace_file)
    k.brk_start = k.brk = 0x00400000
    k.mmap_base = STACK
    return k


def sc(k, nr, *args):
    """Issue syscall nr; returns r28 as a signed value."""
    m = k.machine
    m.gr[20] = nr
    for reg, a in zip((26, 25, 24, 23, 22, 21), args):
        m.gr[reg] = a & M32
    m.gr[31] = RET | 3
    m.iaoq_f, m.iaoq_b = 0x100, 0x104          # the core stops at the gateway entry
    k.handle_syscall()
    if not k.skip_return:                      # the Machine's gateway return
        ret = int(m.gr[31]) & ~3
        m.iaoq_f, m.iaoq_b, m.psw_n = ret, ret + 4, 0
    r = int(m.gr[28]) & M32
    return r - (1 << 32) if r & 0x80000000 else r


def put(k, addr, data: bytes):
    k.mem.write(addr, data)
    return addr


def cstr(k, addr, s):
    if isinstance(s, str):
        s = s.encode()
    k.mem.write(addr, s + b"\0")
    return addr
