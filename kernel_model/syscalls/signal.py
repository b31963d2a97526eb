"""Signals: actions, masks, waiting, sending (to itself only), alternate stacks, return."""
from __future__ import annotations

import struct
import time

from kernel_model import abi
from kernel_model.signals import ALL_SIGS, UNBLOCKABLE_MASK, SigInfo
from kernel_model.syscalls.common import NSEC, read_timespec, valid_timespec
from kernel_model.syscalls.registry import syscall

M32 = 0xFFFFFFFF


def read_sigset(k, addr: int) -> int:
    lo, hi = struct.unpack(">II", k.mem.read(addr, 8))
    return lo | (hi << 32)


def write_sigset(k, addr: int, mask: int) -> None:
    k.mem.write(addr, struct.pack(">II", mask & M32, (mask >> 32) & M32))


@syscall(174, "rt_sigaction", "signum:signum", "act:sigaction", "oldact:sigaction_out",
         "sigsetsize:size")
def sys_rt_sigaction(k, sig, act, oldact, sigsetsize):
    if sigsetsize != abi.SIGSET_SIZE:
        return -abi.EINVAL
    if not 1 <= sig <= abi.NSIG:
        return -abi.EINVAL
    s = k.signals
    new = None
    if act:
        handler, flags, lo, hi = struct.unpack(abi.KSIGACTION_FMT,
                                               k.mem.read(act, abi.KSIGACTION_SIZE))
        if sig in (abi.SIGKILL, abi.SIGSTOP):
            return -abi.EINVAL
        new = (handler, flags, lo | (hi << 32))
    if oldact:
        h, f, m = s.actions[sig]
        k.mem.write(oldact, struct.pack(abi.KSIGACTION_FMT, h & M32, f & M32, m & M32,
                                        (m >> 32) & M32))
    if new is not None:
        s.set_action(sig, *new)
    return 0


def _sigprocmask(k, how, newmask, has_new):
    s = k.signals
    old = s.blocked
    if has_new:
        if how == abi.SIG_BLOCK:
            s.set_blocked(old | newmask)
        elif how == abi.SIG_UNBLOCK:
            s.set_blocked(old & ~newmask)
        elif how == abi.SIG_SETMASK:
            s.set_blocked(newmask)
        else:
            return None
    return old


@syscall(175, "rt_sigprocmask", "how:sigprocmask_how", "set:sigset", "oldset:sigset_out",
         "sigsetsize:size")
def sys_rt_sigprocmask(k, how, set_addr, old_addr, sigsetsize):
    if sigsetsize != abi.SIGSET_SIZE:
        return -abi.EINVAL
    newmask = read_sigset(k, set_addr) if set_addr else 0
    if old_addr:
        k.mem.check(old_addr, 8, 2)
    old = _sigprocmask(k, how, newmask, bool(set_addr))
    if old is None:
        return -abi.EINVAL
    if old_addr:
        write_sigset(k, old_addr, old)
    return 0


@syscall(126, "sigprocmask", "how:sigprocmask_how", "set:ptr", "oldset:ptr")
def sys_sigprocmask(k, how, set_addr, old_addr):
    newmask = k.mem.read_u32(set_addr) if set_addr else 0
    if set_addr:
        newmask |= k.signals.blocked & ~M32 if how == abi.SIG_SETMASK else 0
    old = _sigprocmask(k, how, newmask, bool(set_addr))
    if old is None:
        return -abi.EINVAL
    if old_addr:
        k.mem.write_u32(old_addr, old & M32)
    return 0


@syscall(176, "rt_sigpending", "set:sigset_out", "sigsetsize:size")
def sys_rt_sigpending(k, set_addr, sigsetsize):
    if sigsetsize > abi.SIGSET_SIZE:
        return -abi.EINVAL
    s = k.signals
    mask = s.pending_mask & s.blocked
    k.mem.write(set_addr, struct.pack(">II", mask & M32, mask >> 32)[:sigsetsize])
    return 0


@syscall(73, "sigpending", "set:ptr")
def sys_sigpending(k, set_addr):
    s = k.signals
    k.mem.write_u32(set_addr, s.pending_mask & s.blocked & M32)
    return 0


@syscall(179, "rt_sigsuspend", "mask:sigset", "sigsetsize:size")
def sys_rt_sigsuspend(k, mask_addr, sigsetsize):
    if sigsetsize != abi.SIGSET_SIZE:
        return -abi.EINVAL
    mask = read_sigset(k, mask_addr)
    s = k.signals
    s.saved_mask = s.blocked
    s.set_blocked(mask)
    s.sleep_until(None)
    return -abi.ERESTARTNOHAND


@syscall(29, "pause")
def sys_pause(k):
    k.signals.sleep_until(None)
    return -abi.ERESTARTNOHAND


def _sigtimedwait(k, set_addr, info_addr, ts_addr, sigsetsize, t64):
    if sigsetsize != abi.SIGSET_SIZE:
        return -abi.EINVAL
    want = read_sigset(k, set_addr) & ~UNBLOCKABLE_MASK & ALL_SIGS
    deadline = None
    if ts_addr:
        sec, nsec = read_timespec(k, ts_addr, t64)
        if not valid_timespec(sec, nsec):
            return -abi.EINVAL
        deadline = time.monotonic() + sec + nsec / NSEC
    s = k.signals
    while True:
        got = s.dequeue(want)
        if got is not None:
            sig, info = got
            if info_addr:
                k.mem.write(info_addr, info.pack())
            return sig
        # wait: the wanted signals count as wake-ups even while blocked
        saved = s.blocked
        s.blocked = saved & ~want
        try:
            interrupted = s.sleep_until(deadline)
        finally:
            s.blocked = saved
        if s.pending_mask & want:
            continue
        if interrupted:
            return -abi.ERESTARTNOHAND
        return -abi.EAGAIN


@syscall(177, "rt_sigtimedwait", "set:sigset", "info:ptr", "timeout:timespec", "sigsetsize:size")
def sys_rt_sigtimedwait(k, set_addr, info, ts, size):
    return _sigtimedwait(k, set_addr, info, ts, size, False)


@syscall(421, "rt_sigtimedwait_time64", "set:sigset", "info:ptr", "timeout:timespec64",
         "sigsetsize:size")
def sys_rt_sigtimedwait_time64(k, set_addr, info, ts, size):
    return _sigtimedwait(k, set_addr, info, ts, size, True)


@syscall(166, "sigaltstack", "ss:stack_t", "old_ss:stack_t_out")
def sys_sigaltstack(k, ss, old_ss):
    s = k.signals
    sp = k.ctx.sp
    new = None
    if ss:
        new = struct.unpack(abi.STACK_T_FMT, k.mem.read(ss, 12))
    if old_ss:
        ss_sp, flags, size = s.altstack
        oflags = s._sas_flags(sp) | (flags & abi.SS_AUTODISARM)
        k.mem.write(old_ss, struct.pack(abi.STACK_T_FMT, ss_sp & M32, oflags, size & M32))
    if new is not None:
        return s._set_altstack(new[0], new[1], new[2])
    return 0


# -- sending: only ever to this process ------------------------------------------------------
def _check_sig(sig: int) -> bool:
    return 0 <= sig <= abi.NSIG


@syscall(37, "kill", "pid:pid", "sig:signum")
def sys_kill(k, pid, sig):
    if not _check_sig(sig):
        return -abi.EINVAL
    if pid == k.pid:
        if sig:
            k.signals.send_user(sig, abi.SI_USER)
        return 0
    # the process group (0), every process (-1), another group (< -1) or another pid: the
    # guest may not signal host processes the emulator did not create
    if pid <= 0:
        return -abi.EPERM
    return -abi.ESRCH


@syscall(208, "tkill", "tid:pid", "sig:signum")
def sys_tkill(k, tid, sig):
    if tid <= 0:
        return -abi.EINVAL
    if not _check_sig(sig):
        return -abi.EINVAL
    if tid != k.pid:
        return -abi.ESRCH
    if sig:
        k.signals.send_user(sig, abi.SI_TKILL)
    return 0


@syscall(259, "tgkill", "tgid:pid", "tid:pid", "sig:signum")
def sys_tgkill(k, tgid, tid, sig):
    if tid <= 0 or tgid <= 0:
        return -abi.EINVAL
    if not _check_sig(sig):
        return -abi.EINVAL
    if tid != k.pid or tgid != k.pid:
        return -abi.ESRCH
    if sig:
        k.signals.send_user(sig, abi.SI_TKILL)
    return 0


def _queueinfo(k, tgid, tid, sig, info_addr):
    if not _check_sig(sig):
        return -abi.EINVAL
    raw = k.mem.read(info_addr, abi.SIGINFO_SIZE)
    signo, errno_, code = struct.unpack_from(">iii", raw)
    if (code >= 0 or code == abi.SI_TKILL) and tgid != k.pid:
        return -abi.EPERM
    if tgid != k.pid or (tid is not None and tid != k.pid):
        return -abi.ESRCH
    if sig:
        fields = [(off, struct.unpack_from(">I", raw, off)[0], 4) for off in range(12, 32, 4)]
        k.signals.send(sig, SigInfo(sig, code, fields, errno_))
    return 0


@syscall(178, "rt_sigqueueinfo", "tgid:pid", "sig:signum", "info:ptr")
def sys_rt_sigqueueinfo(k, tgid, sig, info):
    return _queueinfo(k, tgid, None, sig, info)


@syscall(317, "rt_tgsigqueueinfo", "tgid:pid", "tid:pid", "sig:signum", "info:ptr")
def sys_rt_tgsigqueueinfo(k, tgid, tid, sig, info):
    return _queueinfo(k, tgid, tid, sig, info)


@syscall(424, "pidfd_send_signal", "pidfd:fd", "sig:signum", "info:ptr", "flags:hex")
def sys_pidfd_send_signal(k, pidfd, sig, info, flags):
    k.files.get(pidfd)
    return -abi.EBADF


@syscall(173, "rt_sigreturn", own_return=True)
def sys_rt_sigreturn(k):
    # sys_rt_sigreturn(regs, in_syscall): the trampoline passes in_syscall in %r25
    # (ldi 0/1,%r25); %r26 still holds the signal number from the handler's entry.
    return k.signals.sigreturn(int(k.ctx.gr[25]) & 0xFFFFFFFF)


@syscall(68, "sgetmask")
def sys_sgetmask(k):
    return k.signals.blocked & M32


@syscall(69, "ssetmask", "newmask:hex")
def sys_ssetmask(k, newmask):
    s = k.signals
    old = s.blocked & M32
    s.set_blocked((s.blocked & ~M32) | newmask)
    return old

