"""Helpers shared by the syscall families: guest paths and dirfds, timespecs, blocking waits,
the optional write sandbox."""
from __future__ import annotations

import os
import select
import struct
import time

from hppa_user.memory import PERM_MAPPED, PERM_W
from kernel_model import abi, procfs
from kernel_model.errors import SyscallError
from kernel_model.sched import Block

M32 = 0xFFFFFFFF
NSEC = 1_000_000_000
MAX_RW_COUNT = 0x7FFFF000
# one host read/write call moves at most this much (short counts are legal for read/write)
IO_CHUNK = 64 << 20

_SANDBOX = os.environ.get("HPPA_USER_SANDBOX")
_SANDBOX = os.path.realpath(_SANDBOX) if _SANDBOX else None
_SANDBOX_OK_FILES = {"/dev/null", "/dev/zero", "/dev/tty", "/dev/full", "/dev/stdout",
                     "/dev/stderr"}


def s32(v: int) -> int:
    v &= M32
    return v - (1 << 32) if v & 0x80000000 else v


# -- paths and dirfds -------------------------------------------------------------------
def guest_path(k, addr: int, allow_empty: bool = False) -> bytes:
    if addr == 0:
        raise SyscallError(abi.EFAULT)
    p = k.read_path(addr)
    if not p and not allow_empty:
        raise SyscallError(abi.ENOENT)
    return p


def host_dirfd(k, dirfd: int):
    """Guest dirfd -> host dir_fd argument (None for AT_FDCWD)."""
    if dirfd == abi.AT_FDCWD:
        return None
    return k.files.get(dirfd).host_fd


def at_args(k, dirfd: int, path: bytes) -> dict:
    """kwargs for os.* calls: absolute paths ignore the dirfd like the kernel does."""
    if path.startswith(b"/"):
        return {}
    d = host_dirfd(k, dirfd)
    return {} if d is None else {"dir_fd": d}


def sandbox_check(k, path: bytes, dirfd: int = abi.AT_FDCWD, kw=None) -> None:
    """With HPPA_USER_SANDBOX=DIR, refuse (EACCES) any change to files outside DIR."""
    if _SANDBOX is None:
        return
    kw = kw if kw is not None else at_args(k, dirfd, path)
    if "dir_fd" in kw:
        try:
            base = os.readlink(f"/proc/self/fd/{kw['dir_fd']}")
        except OSError:
            raise SyscallError(abi.EACCES)
        full = os.path.join(base, os.fsdecode(path))
    else:
        full = os.path.abspath(os.fsdecode(path))
    parent = os.path.realpath(os.path.dirname(full) or "/")
    target = os.path.join(parent, os.path.basename(full))
    if target in _SANDBOX_OK_FILES:
        return
    if not (parent == _SANDBOX or parent.startswith(_SANDBOX + os.sep)):
        raise SyscallError(abi.EACCES)


def sandbox_check_fd(k, of) -> None:
    if _SANDBOX is None:
        return
    try:
        target = os.path.realpath(os.readlink(f"/proc/self/fd/{of.host_fd}"))
    except OSError:
        return
    if not target.startswith("/"):
        return          # pipes, sockets, memfds
    if target in _SANDBOX_OK_FILES or of.kind in ("pipe", "sock"):
        return
    if not (target == _SANDBOX or target.startswith(_SANDBOX + os.sep)):
        raise SyscallError(abi.EACCES)


# -- time structures ----------------------------------------------------------------------
def read_timespec32(k, addr: int) -> tuple[int, int]:
    sec, nsec = struct.unpack(">ii", k.mem.read(addr, 8))
    return sec, nsec


def read_timespec64(k, addr: int) -> tuple[int, int]:
    sec, nsec = struct.unpack(">qq", k.mem.read(addr, 16))
    # the kernel ignores the upper half of tv_nsec for 32-bit tasks
    nsec = s32(nsec & M32)
    return sec, nsec


def read_timespec(k, addr: int, t64: bool) -> tuple[int, int]:
    return read_timespec64(k, addr) if t64 else read_timespec32(k, addr)


_TIMESPEC32 = struct.Struct(">ii")
_TIMESPEC64 = struct.Struct(">qq")


def write_timespec(k, addr: int, sec: int, nsec: int, t64: bool) -> None:
    if t64:
        k.mem.write(addr, _TIMESPEC64.pack(sec, nsec))
    else:
        if not -(1 << 31) <= sec < (1 << 31):
            raise SyscallError(abi.EOVERFLOW)
        k.mem.write(addr, _TIMESPEC32.pack(sec, nsec))


def valid_timespec(sec: int, nsec: int) -> bool:
    return sec >= 0 and 0 <= nsec < NSEC


def ns_to_ts(ns: int) -> tuple[int, int]:
    return ns // NSEC, ns % NSEC


# -- blocking waits -----------------------------------------------------------------------
def wait_fd(k, of, write: bool = False, deadline: float | None = None) -> bool:
    """A host fd must be readable/writable before blocking I/O on it: True when it is (or
    the I/O does not block), else the thread sleeps until it is (raises Block: the handler
    runs again then). SyscallError(ERESTARTSYS) when a signal is deliverable; False once
    ``deadline`` (time.monotonic()) has passed."""
    if not of.may_block:
        return True
    try:
        if not os.get_blocking(of.host_fd):
            return True
        if write:
            r = select.select([], [of.host_fd], [], 0)[1]
        else:
            r = select.select([of.host_fd], [], [], 0)[0]
    except (OSError, ValueError):
        return True
    if r:
        return True
    if k.signals.interrupted():
        raise SyscallError(abi.ERESTARTSYS)
    if deadline is not None and time.monotonic() >= deadline:
        return False
    raise Block((of.host_fd,) if not write else (), (of.host_fd,) if write else (), deadline,
                state=k.retry.state if k.retry is not None else None)


def resumed_deadline(k, seconds: float | None) -> float | None:
    """The deadline of a wait ``seconds`` long from now (None: no deadline) -- or, when the
    handler runs again after sleeping, the one its first attempt set."""
    if k.retry is not None:
        return k.retry.deadline
    return None if seconds is None else time.monotonic() + seconds


def writable_extent(k, addr: int, n: int) -> int:
    """How many of the n bytes at ``addr`` the guest may write, from the start (like a
    partial copy_to_user). Raises EFAULT when not even the first byte is writable."""
    if n <= 0:
        return 0
    if addr + n > (1 << 32):
        n = (1 << 32) - addr
        if n <= 0:
            raise SyscallError(abi.EFAULT)
    first, last = addr >> 12, (addr + n - 1) >> 12
    bad = k.mem.first_without(first, last + 1, PERM_W | PERM_MAPPED)
    if bad < 0:
        return n
    if bad == first:
        raise SyscallError(abi.EFAULT)
    return (bad << 12) - addr


def rw_count(count: int) -> int:
    """A read's or write's count as Linux bounds it (MAX_RW_COUNT), and as this model
    does (IO_CHUNK, the lower: a call moves at most that much)."""
    count &= M32
    return count if count < IO_CHUNK else IO_CHUNK


assert IO_CHUNK <= MAX_RW_COUNT


__all__ = ["guest_path", "host_dirfd", "at_args", "sandbox_check", "sandbox_check_fd",
           "read_timespec", "write_timespec", "valid_timespec", "wait_fd", "rw_count", "procfs",
           "resumed_deadline"]
