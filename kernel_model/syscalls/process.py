"""Process lifetime and per-process odds and ends: exit, ids, tid address, robust list,
rlimits, getrandom, scheduling, prctl, futex, sysinfo, and the multi-process calls this
single-process model refuses."""
from __future__ import annotations

import os
import struct
import time

from kernel_model import abi
from kernel_model.errors import ProcessExit
from kernel_model.guestroot import lookup
from kernel_model.syscalls.common import NSEC, guest_path, read_timespec, valid_timespec
from kernel_model.syscalls.registry import syscall

M32 = 0xFFFFFFFF


@syscall(1, "exit", "status:int")
def sys_exit(k, status):
    k.exit_cleanup()
    raise ProcessExit(status & 0xFF)


@syscall(222, "exit_group", "status:int")
def sys_exit_group(k, status):
    k.exit_cleanup()
    raise ProcessExit(status & 0xFF)


@syscall(20, "getpid")
def sys_getpid(k):
    return k.pid


@syscall(206, "gettid")
def sys_gettid(k):
    return k.pid


@syscall(64, "getppid")
def sys_getppid(k):
    return k.info.ppid


@syscall(237, "set_tid_address", "tidptr:ptr")
def sys_set_tid_address(k, tidptr):
    k.clear_child_tid = tidptr
    return k.pid


@syscall(289, "set_robust_list", "head:ptr", "len:size")
def sys_set_robust_list(k, head, length):
    if length != abi.ROBUST_LIST_HEAD_SIZE:
        return -abi.EINVAL
    k.robust_list = head
    return 0


@syscall(290, "get_robust_list", "pid:pid", "head_ptr:ptr", "len_ptr:ptr")
def sys_get_robust_list(k, pid, head_ptr, len_ptr):
    if pid not in (0, k.pid):
        return -abi.ESRCH
    k.mem.write_u32(head_ptr, getattr(k, "robust_list", 0))
    k.mem.write_u32(len_ptr, abi.ROBUST_LIST_HEAD_SIZE)
    return 0


@syscall(354, "rseq", "rseq:ptr", "rseq_len:size", "flags:hex", "sig:hex")
def sys_rseq(k, rseq, rseq_len, flags, sig):
    return -abi.ENOSYS


# -- resource limits ---------------------------------------------------------------------
def _lim32(v: int) -> int:
    return abi.RLIM_INFINITY32 if v >= abi.RLIM_INFINITY32 else v


@syscall(76, "getrlimit", "resource:rlimit_res", "rlim:rlimit_out")
def sys_getrlimit(k, res, rlim):
    if not 0 <= res < abi.RLIM_NLIMITS:
        return -abi.EINVAL
    soft, hard = k.info.rlimits[res]
    k.mem.write(rlim, struct.pack(">II", _lim32(soft), _lim32(hard)))
    return 0


def _setrlimit(k, res, soft, hard):
    if soft > hard:
        return -abi.EINVAL
    cur = k.info.rlimits[res]
    if hard > cur[1] and not k.info.capable():
        return -abi.EPERM
    if res == abi.RLIMIT_NOFILE and hard > 1048576:
        return -abi.EPERM
    k.info.rlimits[res] = [soft, hard]
    return 0


@syscall(75, "setrlimit", "resource:rlimit_res", "rlim:rlimit")
def sys_setrlimit(k, res, rlim):
    if not 0 <= res < abi.RLIM_NLIMITS:
        return -abi.EINVAL
    soft, hard = struct.unpack(">II", k.mem.read(rlim, 8))
    inf = abi.RLIM64_INFINITY
    soft = inf if soft == abi.RLIM_INFINITY32 else soft
    hard = inf if hard == abi.RLIM_INFINITY32 else hard
    return _setrlimit(k, res, soft, hard)


@syscall(321, "prlimit64", "pid:pid", "resource:rlimit_res", "new_limit:rlimit64",
         "old_limit:rlimit64_out")
def sys_prlimit64(k, pid, res, new, old):
    if not 0 <= res < abi.RLIM_NLIMITS:
        return -abi.EINVAL
    if pid not in (0, k.pid):
        return -abi.ESRCH
    newv = struct.unpack(">QQ", k.mem.read(new, 16)) if new else None
    if old:
        soft, hard = k.info.rlimits[res]
        k.mem.write(old, struct.pack(">QQ", soft, hard))
    if newv is not None:
        return _setrlimit(k, res, *newv)
    return 0


# -- randomness, scheduling -------------------------------------------------------------------
@syscall(339, "getrandom", "buf:outbuf", "buflen:size", "flags:grnd_flags")
def sys_getrandom(k, buf, buflen, flags):
    if flags & ~(abi.GRND_NONBLOCK | abi.GRND_RANDOM | abi.GRND_INSECURE):
        return -abi.EINVAL
    if flags & abi.GRND_RANDOM and flags & abi.GRND_INSECURE:
        return -abi.EINVAL
    n = min(buflen, 0x1FFFFFF)
    if n == 0:
        return 0
    k.mem.check(buf, n, 2)
    k.mem.write(buf, os.urandom(n))
    return n


@syscall(158, "sched_yield")
def sys_sched_yield(k):
    return 0


def _own(k, pid):
    return pid in (0, k.pid)


@syscall(212, "sched_getaffinity", "pid:pid", "cpusetsize:size", "mask:ptr")
def sys_sched_getaffinity(k, pid, size, mask):
    if not _own(k, pid):
        return -abi.ESRCH
    try:
        cpus = os.sched_getaffinity(0)
    except (AttributeError, OSError):
        cpus = {0}
    ncpu = max(max(cpus) + 1, os.cpu_count() or 1)
    need = ((ncpu + 31) // 32) * 4
    if size * 8 < ncpu or size & 3:
        return -abi.EINVAL
    words = [0] * (need // 4)
    for c in cpus:
        words[c // 32] |= 1 << (c % 32)
    k.mem.write(mask, struct.pack(f">{len(words)}I", *words))
    return need


@syscall(211, "sched_setaffinity", "pid:pid", "cpusetsize:size", "mask:ptr")
def sys_sched_setaffinity(k, pid, size, mask):
    if not _own(k, pid):
        return -abi.ESRCH
    data = k.mem.read(mask, min(size, 1024))
    if not any(data):
        return -abi.EINVAL
    return 0


@syscall(155, "sched_getparam", "pid:pid", "param:ptr")
def sys_sched_getparam(k, pid, param):
    if pid < 0:
        return -abi.EINVAL
    if not _own(k, pid):
        return -abi.ESRCH
    k.mem.write_u32(param, 0)
    return 0


@syscall(154, "sched_setparam", "pid:pid", "param:ptr")
def sys_sched_setparam(k, pid, param):
    if pid < 0:
        return -abi.EINVAL
    if not _own(k, pid):
        return -abi.ESRCH
    prio = k.mem.read_s32(param)
    return 0 if prio == 0 else -abi.EINVAL


@syscall(157, "sched_getscheduler", "pid:pid")
def sys_sched_getscheduler(k, pid):
    if pid < 0:
        return -abi.EINVAL
    if not _own(k, pid):
        return -abi.ESRCH
    return 0   # SCHED_OTHER


@syscall(156, "sched_setscheduler", "pid:pid", "policy:int", "param:ptr")
def sys_sched_setscheduler(k, pid, policy, param):
    if pid < 0:
        return -abi.EINVAL
    if not _own(k, pid):
        return -abi.ESRCH
    prio = k.mem.read_s32(param)
    if policy in (0, 3, 5) and prio == 0:
        return 0
    if policy in (1, 2):
        return -abi.EPERM if 1 <= prio <= 99 else -abi.EINVAL
    return -abi.EINVAL


@syscall(159, "sched_get_priority_max", "policy:int")
def sys_sched_get_priority_max(k, policy):
    return {0: 0, 1: 99, 2: 99, 3: 0, 5: 0, 6: 0}.get(policy, -abi.EINVAL)


@syscall(160, "sched_get_priority_min", "policy:int")
def sys_sched_get_priority_min(k, policy):
    return {0: 0, 1: 1, 2: 1, 3: 0, 5: 0, 6: 0}.get(policy, -abi.EINVAL)


@syscall(161, "sched_rr_get_interval", "pid:pid", "tp:timespec_out")
def sys_sched_rr_get_interval(k, pid, tp):
    if pid < 0:
        return -abi.EINVAL
    if not _own(k, pid):
        return -abi.ESRCH
    k.mem.write(tp, struct.pack(">ii", 0, 0))
    return 0


@syscall(423, "sched_rr_get_interval_time64", "pid:pid", "tp:timespec64_out")
def sys_sched_rr_get_interval_time64(k, pid, tp):
    if pid < 0:
        return -abi.EINVAL
    if not _own(k, pid):
        return -abi.ESRCH
    k.mem.write(tp, struct.pack(">qq", 0, 0))
    return 0


@syscall(296, "getcpu", "cpu:ptr", "node:ptr", "tcache:ptr")
def sys_getcpu(k, cpu, node, tcache):
    if cpu:
        k.mem.write_u32(cpu, 0)
    if node:
        k.mem.write_u32(node, 0)
    return 0


@syscall(172, "prctl", "option:prctl_option", "arg2:hex", "arg3:hex", "arg4:hex", "arg5:hex")
def sys_prctl(k, option, a2, a3, a4, a5):
    info = k.info
    if option == abi.PR_SET_NAME:
        name = k.mem.read_cstr(a2, 16)
        info.comm = name[:15]
        return 0
    if option == abi.PR_GET_NAME:
        k.mem.write(a2, info.comm[:15].ljust(16, b"\0"))
        return 0
    if option == abi.PR_GET_DUMPABLE:
        return info.dumpable
    if option == abi.PR_SET_DUMPABLE:
        if a2 not in (0, 1):
            return -abi.EINVAL
        info.dumpable = a2
        return 0
    if option == abi.PR_SET_PDEATHSIG:
        if a2 > abi.NSIG:
            return -abi.EINVAL
        info.pdeathsig = a2
        return 0
    if option == abi.PR_GET_PDEATHSIG:
        k.mem.write_u32(a2, info.pdeathsig)
        return 0
    if option == abi.PR_SET_NO_NEW_PRIVS:
        if a2 != 1 or a3 or a4 or a5:
            return -abi.EINVAL
        info.no_new_privs = 1
        return 0
    if option == abi.PR_GET_NO_NEW_PRIVS:
        if a2 or a3 or a4 or a5:
            return -abi.EINVAL
        return info.no_new_privs
    if option == abi.PR_GET_TIMERSLACK:
        return info.timerslack
    if option == abi.PR_SET_TIMERSLACK:
        info.timerslack = a2 or 50000
        return 0
    if option == abi.PR_GET_UNALIGN:      # the thread's PARISC_UAC_* flags (the CPU's)
        k.mem.write_u32(a2, k.ctx.unaligned)
        return 0
    if option == abi.PR_SET_UNALIGN:
        k.ctx.unaligned = a2 & (abi.PR_UNALIGN_NOPRINT | abi.PR_UNALIGN_SIGBUS)
        return 0
    if option == abi.PR_SET_VMA:
        return 0
    return -abi.EINVAL


@syscall(136, "personality", "persona:hex")
def sys_personality(k, persona):
    old = k.info.personality
    if persona != M32:
        k.info.personality = persona
    return old


# -- futex (one thread: waits can only time out or be interrupted) -------------------------------
def _futex(k, uaddr, op, val, timeout, uaddr2, val3, t64):
    cmd = op & 0x7F
    if uaddr & 3:
        return -abi.EINVAL
    if cmd in (abi.FUTEX_WAIT, abi.FUTEX_WAIT_BITSET):
        if cmd == abi.FUTEX_WAIT_BITSET and val3 == 0:
            return -abi.EINVAL
        cur = k.mem.read_u32(uaddr)
        if cur != val & M32:
            return -abi.EAGAIN
        deadline = None
        if timeout:
            sec, nsec = read_timespec(k, timeout, t64)
            if not valid_timespec(sec, nsec):
                return -abi.EINVAL
            if cmd == abi.FUTEX_WAIT_BITSET:   # absolute
                clk = time.CLOCK_REALTIME if op & abi.FUTEX_CLOCK_REALTIME else time.CLOCK_MONOTONIC
                now = time.clock_gettime_ns(clk)
                deadline = time.monotonic() + (sec * NSEC + nsec - now) / NSEC
            else:
                deadline = time.monotonic() + sec + nsec / NSEC
        if k.signals.sleep_until(deadline):
            return -abi.ERESTARTSYS
        return -abi.ETIMEDOUT
    if cmd in (abi.FUTEX_WAKE, abi.FUTEX_WAKE_BITSET, 3, 4, 5, 11, 12):
        k.mem.read_u32(uaddr)
        return 0
    if cmd in (6, 7, 8):    # PI lock ops: uncontended in one thread
        return -abi.ENOSYS if cmd == 8 else 0
    return -abi.ENOSYS


@syscall(210, "futex", "uaddr:ptr", "futex_op:futex_op", "val:uint", "timeout:ptr",
         "uaddr2:ptr", "val3:hex")
def sys_futex(k, uaddr, op, val, timeout, uaddr2, val3):
    return _futex(k, uaddr, op, val, timeout, uaddr2, val3, False)


@syscall(422, "futex_time64", "uaddr:ptr", "futex_op:futex_op", "val:uint", "timeout:ptr",
         "uaddr2:ptr", "val3:hex")
def sys_futex_time64(k, uaddr, op, val, timeout, uaddr2, val3):
    return _futex(k, uaddr, op, val, timeout, uaddr2, val3, True)


@syscall(343, "membarrier", "cmd:int", "flags:hex", "cpu_id:int")
def sys_membarrier(k, cmd, flags, cpu_id):
    if cmd == 0:
        return 0x1 | 0x8 | 0x10   # QUERY: GLOBAL, PRIVATE_EXPEDITED, REGISTER_PRIVATE_EXPEDITED
    if cmd in (1, 8, 16):
        return 0
    return -abi.EINVAL


# -- sysinfo -----------------------------------------------------------------------------------
def _meminfo() -> dict:
    out = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                out[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


@syscall(116, "sysinfo", "info:sysinfo_out")
def sys_sysinfo(k, info):
    mi = _meminfo()
    try:
        with open("/proc/uptime") as f:
            uptime = int(float(f.read().split()[0]))
        loads = [int(x * 65536) & M32 for x in os.getloadavg()]
    except (OSError, ValueError):
        uptime, loads = 0, [0, 0, 0]
    vals = [mi.get("MemTotal", 1 << 30), mi.get("MemFree", 1 << 29), mi.get("Shmem", 0),
            mi.get("Buffers", 0), mi.get("SwapTotal", 0), mi.get("SwapFree", 0)]
    unit = 1
    if vals[0] + vals[4] > M32:
        unit = 4096
        vals = [v // 4096 for v in vals]
    vals = [min(v, M32) for v in vals]
    k.mem.write(info, struct.pack(abi.SYSINFO_FMT, uptime, *loads, *vals, 1, 0, 0, 0, unit))
    return 0


# -- things a single-process model does not do --------------------------------------------------
@syscall(2, "fork")
def sys_fork(k):
    return -abi.ENOSYS


@syscall(113, "vfork")
def sys_vfork(k):
    return -abi.ENOSYS


@syscall(120, "clone", "flags:hex", "stack:ptr", "parent_tid:ptr", "tls:ptr", "child_tid:ptr")
def sys_clone(k, flags, stack, ptid, tls, ctid):
    return -abi.ENOSYS


@syscall(435, "clone3", "cl_args:ptr", "size:size")
def sys_clone3(k, args, size):
    return -abi.ENOSYS


@syscall(11, "execve", "pathname:path", "argv:ptr", "envp:ptr")
def sys_execve(k, path, argv, envp):
    p = lookup(k, guest_path(k, path))
    if not os.path.exists(p):
        return -abi.ENOENT
    return -abi.ENOSYS


@syscall(342, "execveat", "dirfd:dirfd", "pathname:path", "argv:ptr", "envp:ptr", "flags:hex")
def sys_execveat(k, dirfd, path, argv, envp, flags):
    return -abi.ENOSYS


@syscall(7, "waitpid", "pid:pid", "wstatus:ptr", "options:hex")
def sys_waitpid(k, pid, status, options):
    if options & ~(abi.WNOHANG | abi.WUNTRACED | 8 | 0x40000000 | 0x20000000 | 0x80000000):
        return -abi.EINVAL
    return -abi.ECHILD


@syscall(114, "wait4", "pid:pid", "wstatus:ptr", "options:hex", "rusage:ptr")
def sys_wait4(k, pid, status, options, rusage):
    if options & ~(abi.WNOHANG | abi.WUNTRACED | 8 | 0x40000000 | 0x20000000 | 0x80000000):
        return -abi.EINVAL
    return -abi.ECHILD


@syscall(235, "waitid", "idtype:int", "id:int", "infop:ptr", "options:hex", "rusage:ptr")
def sys_waitid(k, idtype, id_, infop, options, rusage):
    if idtype not in (0, 1, 2, 3) or not options & (4 | 2 | 8):
        return -abi.EINVAL
    return -abi.ECHILD
