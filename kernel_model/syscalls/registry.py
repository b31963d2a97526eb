"""One registry of parisc syscall numbers -> handlers.

Handlers live in family modules (fs, mm, time, signal, process, identity) and register with
``@syscall(nr, name, arg specs...)``. A handler receives the Kernel and the raw 32-bit
argument registers (r26, r25, r24, r23, r22, r21), converted per spec, and returns the
value for r28: a non-negative result or a parisc ``-errno``. Guest pointers are read and
written through ``k.mem`` whose GuestFault the dispatcher turns into -EFAULT.

Argument spec strings are ``"name:kind"``; kinds drive both conversion and strace output
(``kernel_model.strace`` knows how to print each kind):
  int    signed 32-bit        uint/size  unsigned     hex   unsigned, shown in hex
  fd     signed descriptor    dirfd  signed, AT_FDCWD by name   ptr  pointer, shown in hex
  str/path  pointer to a C string     off  signed 32-bit offset
  and flag/struct kinds (open_flags, mode, prot, mmap_flags, signum, sigset, ...).
The name must be the one in the kernel's parisc syscall.tbl (checked at registration).
``own_return=True`` marks a handler that sets the whole context itself (rt_sigreturn
restores the interrupted one): the syscall exit then neither writes r28 nor returns
through the gateway.
"""
from __future__ import annotations

from _collections_abc import Callable   # (start-up rule: cli.py)

from hppa_user.context import SYSCALL_ARG_READERS, SYSCALL_ARG_REGS
from hppa_user.records import record
from kernel_model import abi


@record
class Syscall:
    nr: int
    name: str
    handler: Callable
    args: tuple          # ("fd:fd", "buf:ptr", ...)
    ret: str = "int"     # how strace shows the result
    kinds: tuple = ()    # the kind part of each arg spec
    signed: tuple = ()   # the positions of the arguments converted to signed 32-bit values
    own_return: bool = False   # the handler set the whole context (no gateway return)


SYSCALLS: dict[int, Syscall] = {}
# What Kernel.handle_syscall reads of a number's Syscall on every call, as one exact tuple
# (sc, handler, read_args, signed, own_return), read_args the reader of its argument
# registers (CpuContext's SYSCALL_ARG_READERS, or FIRST_SIGNED_READERS below; None: none)
# and signed the positions it leaves to signed_args: a record's fields are read through a
# descriptor each, which the interpreter does not specialise, and a tuple unpacks in one
# step.
DISPATCH: dict[int, tuple] = {}

SIGNED_KINDS = frozenset({"int", "fd", "dirfd", "pid", "signum", "clockid", "whence", "off",
                          "which", "timerid", "prio_which", "rlimit_res"})


def signed_args(args: tuple, signed: tuple) -> list:
    """The argument registers with those at positions ``signed`` read as signed 32-bit."""
    args = list(args)
    for i in signed:
        if args[i] & 0x80000000:
            args[i] -= 0x100000000
    return args


# The readers of the commonest signature with a signed argument, the first alone (a file
# descriptor, a clock id: read, write, close, fstat64, ioctl, clock_gettime; 92 of the
# syscalls), by arity: the first register is read as signed 32-bit in the reader itself,
# without signed_args and its list (~0.13 us a call less).  Other signatures are read
# unsigned and converted by signed_args.
_SIGN = 0x80000000
FIRST_SIGNED_READERS = (
    None,
    lambda r: ((r[26] ^ _SIGN) - _SIGN,),
    lambda r: ((r[26] ^ _SIGN) - _SIGN, r[25]),
    lambda r: ((r[26] ^ _SIGN) - _SIGN, r[25], r[24]),
    lambda r: ((r[26] ^ _SIGN) - _SIGN, r[25], r[24], r[23]),
    lambda r: ((r[26] ^ _SIGN) - _SIGN, r[25], r[24], r[23], r[22]),
    lambda r: ((r[26] ^ _SIGN) - _SIGN, r[25], r[24], r[23], r[22], r[21]),
)
assert SYSCALL_ARG_REGS == (26, 25, 24, 23, 22, 21)


def arg_kind(spec: str) -> str:
    return spec.split(":", 1)[1] if ":" in spec else "int"


def syscall(nr: int, name: str, *args: str, ret: str = "int", own_return: bool = False):
    """Register a handler for parisc syscall ``nr`` (name as in the kernel's syscall.tbl)."""
    def deco(fn):
        if nr in SYSCALLS:
            raise RuntimeError(f"syscall {nr} registered twice ({SYSCALLS[nr].name}, {name})")
        table_name = abi.SYSCALL_NAMES.get(nr)
        if table_name is not None and table_name != name:
            raise RuntimeError(f"syscall {nr} is {table_name!r} in syscall.tbl, not {name!r}")
        kinds = tuple(arg_kind(a) for a in args)
        sc = SYSCALLS[nr] = Syscall(nr, name, fn, tuple(args), ret, kinds,
                                    tuple(i for i, k in enumerate(kinds) if k in SIGNED_KINDS),
                                    own_return)
        if sc.signed == (0,):
            DISPATCH[nr] = (sc, fn, FIRST_SIGNED_READERS[len(args)], (), own_return)
        else:
            DISPATCH[nr] = (sc, fn, SYSCALL_ARG_READERS[len(args)], sc.signed, own_return)
        return fn
    return deco
