"""A kernel with a plain CPU context and no CPU, for unit tests of the kernel model.

The context (``hppa_user.context.CpuContext``) and the guest memory are the real ones; no
core runs. A test issues a syscall the way the gateway does (r20 = number, r26.. =
arguments, r31 = return) and reads the result from r28."""
from __future__ import annotations

from hppa_user.context import CpuContext
from hppa_user.memory import PERM_R, PERM_W, PERM_X, GuestMemory
from kernel_model.kernel import Kernel

M32 = 0xFFFFFFFF
DATA = 0x00100000       # a scratch data area (1 MiB, RW) for test buffers
STACK = 0xFF700000      # stack VMA start (8 MiB limit), grows up
RET = 0x00010100        # pretend return address of the syscall (r31)


def make_kernel(strace=False, strace_file=None, program="/bin/true", exec_stack=True):
    ctx, mem = CpuContext(), GuestMemory()
    ctx.jump(0x10000)
    mem.map(0x10000, 0x1000, PERM_R | PERM_X)            # "text"
    mem.map(DATA, 0x100000, PERM_R | PERM_W)             # scratch
    mem.map(STACK, 0x22000, PERM_R | PERM_W | (PERM_X if exec_stack else 0))
    ctx.gr[30] = STACK + 0x1000
    k = Kernel(ctx, mem, exe_path=program, argv=[program], strace=strace, strace_file=strace_file)
    k.brk_start = k.brk = 0x00400000
    k.mmap_base = STACK
    return k


def sc(k, nr, *args):
    """Issue syscall nr; returns r28 as a signed value."""
    ctx = k.ctx
    ctx.gr[20] = nr
    for reg, a in zip((26, 25, 24, 23, 22, 21), args):
        ctx.gr[reg] = a & M32
    ctx.gr[31] = RET | 3
    ctx.iaoq_f, ctx.iaoq_b = 0x100, 0x104          # the core stops at the gateway entry
    k.syscall()
    r = int(ctx.gr[28]) & M32
    return r - (1 << 32) if r & 0x80000000 else r


def put(k, addr, data: bytes):
    k.mem.write(addr, data)
    return addr


def cstr(k, addr, s):
    if isinstance(s, str):
        s = s.encode()
    k.mem.write(addr, s + b"\0")
    return addr
