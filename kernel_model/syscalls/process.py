"""Process lifetime and per-process odds and ends: fork/vfork/clone, execve, wait, exit,
ids, tid address, robust list, rlimits, getrandom, scheduling, prctl, futex, sysinfo."""
from __future__ import annotations

import os
import resource
import _signal as signal    # (start-up rule: cli.py)
import struct
import sys
import time
from types import SimpleNamespace

from hppa_user.errors import GuestFault
from kernel_model import abi, exec as execmod, futex, vfork, wakeup
from kernel_model.errors import ProcessExit, SyscallError, ThreadExit
from kernel_model.proctree import HELD_OVER_FORK, PGID, ProcessTree
from kernel_model.syscalls.common import NSEC, read_timespec, valid_timespec
from kernel_model.sched import Block, Thread
from kernel_model.syscalls.registry import syscall
from kernel_model.syscalls.time import clock_ns, pack_rusage

M32 = 0xFFFFFFFF


@syscall(1, "exit", "status:int")
def sys_exit(k, status):
    """One thread ends; with it the process if it was the last."""
    if k.sched.multi:
        end_thread(k, k.thread)
        raise ThreadExit(status & 0xFF)
    k.exit_cleanup()
    raise ProcessExit(status & 0xFF)


def end_thread(k, t) -> None:
    """A thread's exit (mm_release, exit_robust_list): its robust mutexes get
    FUTEX_OWNER_DIED, its CLONE_CHILD_CLEARTID word is cleared and one waiter of it woken
    (pthread_join), and the scheduler forgets it."""
    futex.exit_robust_list(k, t)
    if t.clear_child_tid:
        try:
            k.mem.write_u32(t.clear_child_tid, 0)
            k.futex.wake(t.clear_child_tid, 1)
        except GuestFault:
            pass
    k.sched.remove(t)


@syscall(222, "exit_group", "status:int")
def sys_exit_group(k, status):
    k.exit_cleanup()
    raise ProcessExit(status & 0xFF)


@syscall(20, "getpid")
def sys_getpid(k):
    return k.pid


@syscall(206, "gettid")
def sys_gettid(k):
    return k.thread.tid


@syscall(64, "getppid")
def sys_getppid(k):
    return k.info.ppid


@syscall(237, "set_tid_address", "tidptr:ptr")
def sys_set_tid_address(k, tidptr):
    k.thread.clear_child_tid = tidptr
    return k.thread.tid


@syscall(289, "set_robust_list", "head:ptr", "len:size")
def sys_set_robust_list(k, head, length):
    if length != abi.ROBUST_LIST_HEAD_SIZE:
        return -abi.EINVAL
    k.thread.robust_list = head
    return 0


@syscall(290, "get_robust_list", "pid:pid", "head_ptr:ptr", "len_ptr:ptr")
def sys_get_robust_list(k, pid, head_ptr, len_ptr):
    t = k.thread if pid == 0 else k.sched.threads.get(pid)
    if t is None:
        return -abi.ESRCH
    k.mem.write_u32(head_ptr, t.robust_list)
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
    k.sched.preempt()               # the next runnable thread, if any, runs now
    return 0


def _own(k, pid):
    """pid 0, the process or one of its threads."""
    return pid in (0, k.pid) or pid in k.sched.threads


@syscall(212, "sched_getaffinity", "pid:pid", "cpusetsize:size", "mask:ptr")
def sys_sched_getaffinity(k, pid, size, mask):
    """The emulated machine has one CPU: the mask is CPU 0, in one unsigned long."""
    if not _own(k, pid):
        return -abi.ESRCH
    if size < 4 or size & 3:
        return -abi.EINVAL
    k.mem.write(mask, struct.pack(">I", 1))
    return 4


@syscall(211, "sched_setaffinity", "pid:pid", "cpusetsize:size", "mask:ptr")
def sys_sched_setaffinity(k, pid, size, mask):
    if not _own(k, pid):
        return -abi.ESRCH
    data = k.mem.read(mask, min(size, 1024))
    if len(data) < 4 or not data[3] & 1:
        return -abi.EINVAL          # a mask without CPU 0 has no CPU to run on
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
    if option == abi.PR_SET_NAME:            # the calling thread's name (the main one's is
        name = k.mem.read_cstr(a2, 16)[:15]  # the process's)
        k.thread.comm = name
        if k.thread.tid == k.pid:
            info.comm = name
        return 0
    if option == abi.PR_GET_NAME:
        k.mem.write(a2, (k.thread.comm or info.comm)[:15].ljust(16, b"\0"))
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


# -- futex -----------------------------------------------------------------------------------
_FUTEX_CMD = 0x7F


def _futex_deadline(k, timeout, t64, absolute: bool, realtime: bool):
    """A futex timeout as a host deadline: relative (FUTEX_WAIT) or absolute on the guest's
    CLOCK_MONOTONIC or CLOCK_REALTIME (FUTEX_WAIT_BITSET, FUTEX_LOCK_PI)."""
    if not timeout:
        return None
    sec, nsec = read_timespec(k, timeout, t64)
    if not valid_timespec(sec, nsec):
        raise SyscallError(abi.EINVAL)
    if absolute:
        now = clock_ns(k, abi.CLOCK_REALTIME if realtime else abi.CLOCK_MONOTONIC)
        delta = (sec * NSEC + nsec - now) / NSEC
    else:
        delta = sec + nsec / NSEC
    return time.monotonic() + max(delta, 0.0)


def _futex_sleep(k, uaddr, bitset, deadline, on_woken=0):
    """Queue the running thread on ``uaddr`` and sleep: 0 (or ``on_woken``) when woken,
    -ETIMEDOUT, or -ERESTARTSYS when a signal comes first."""
    def complete(reason):
        return -abi.ETIMEDOUT if reason == "timeout" else -abi.ERESTARTSYS
    b = Block(deadline=deadline, complete=complete)
    k.futex.enqueue(k.thread, b, uaddr, bitset)
    raise b


def _futex(k, uaddr, op, val, timeout, uaddr2, val3, t64):
    cmd = op & _FUTEX_CMD
    realtime = bool(op & abi.FUTEX_CLOCK_REALTIME)
    if realtime and cmd not in (abi.FUTEX_WAIT, abi.FUTEX_WAIT_BITSET,
                                abi.FUTEX_WAIT_REQUEUE_PI):
        return -abi.ENOSYS
    if uaddr & 3:
        return -abi.EINVAL
    mem, table = k.mem, k.futex
    if cmd in (abi.FUTEX_WAIT, abi.FUTEX_WAIT_BITSET):
        bitset = val3 if cmd == abi.FUTEX_WAIT_BITSET else futex.FUTEX_BITSET_MATCH_ANY
        if bitset == 0:
            return -abi.EINVAL
        deadline = _futex_deadline(k, timeout, t64, cmd == abi.FUTEX_WAIT_BITSET, realtime)
        if mem.read_u32(uaddr) != val & M32:
            return -abi.EAGAIN
        _futex_sleep(k, uaddr, bitset, deadline)
    if cmd in (abi.FUTEX_WAKE, abi.FUTEX_WAKE_BITSET):
        bitset = val3 if cmd == abi.FUTEX_WAKE_BITSET else futex.FUTEX_BITSET_MATCH_ANY
        if bitset == 0:
            return -abi.EINVAL
        if not op & abi.FUTEX_PRIVATE_FLAG:
            mem.read_u32(uaddr)             # a shared futex's key needs the page (EFAULT)
        return table.wake(uaddr, val, bitset)
    if cmd in (abi.FUTEX_REQUEUE, abi.FUTEX_CMP_REQUEUE):
        nr_requeue = timeout                # val2 travels in the timeout argument
        if val & 0x80000000 or nr_requeue & 0x80000000 or uaddr2 & 3:
            return -abi.EINVAL
        if cmd == abi.FUTEX_CMP_REQUEUE and mem.read_u32(uaddr) != val3 & M32:
            return -abi.EAGAIN
        return table.requeue(uaddr, val, uaddr2, nr_requeue)
    if cmd == abi.FUTEX_WAKE_OP:
        if uaddr2 & 3:
            return -abi.EINVAL
        old = mem.read_u32(uaddr2)
        try:
            new, hit = futex.wake_op_apply(val3, old)
        except ValueError:
            return -abi.ENOSYS
        mem.write_u32(uaddr2, new)
        woken = table.wake(uaddr, val)
        if hit:
            woken += table.wake(uaddr2, timeout)
        return woken
    if cmd in (abi.FUTEX_LOCK_PI, abi.FUTEX_TRYLOCK_PI):
        return _lock_pi(k, uaddr, timeout, t64, cmd == abi.FUTEX_TRYLOCK_PI)
    if cmd == abi.FUTEX_UNLOCK_PI:
        return _unlock_pi(k, uaddr)
    return -abi.ENOSYS


def _lock_pi(k, uaddr, timeout, t64, trylock):
    """A PI futex (one CPU: no priorities to inherit): take it if free, else wait until
    its owner hands it over (FUTEX_UNLOCK_PI makes the first waiter the owner)."""
    tid = k.thread.tid
    val = k.mem.read_u32(uaddr)
    owner = val & futex.FUTEX_TID_MASK
    if owner == tid:
        return -abi.EDEADLK
    if owner == 0:
        k.mem.write_u32(uaddr, tid | (val & futex.FUTEX_OWNER_DIED)
                        | (futex.FUTEX_WAITERS if k.futex.waiters(uaddr) else 0))
        return 0
    if trylock:
        return -abi.EAGAIN
    k.mem.write_u32(uaddr, val | futex.FUTEX_WAITERS)
    _futex_sleep(k, uaddr, futex.FUTEX_BITSET_MATCH_ANY,
                 _futex_deadline(k, timeout, t64, True, True))


def _unlock_pi(k, uaddr):
    tid = k.thread.tid
    val = k.mem.read_u32(uaddr)
    if val & futex.FUTEX_TID_MASK != tid:
        return -abi.EPERM
    waiter = k.futex.first_waiter(uaddr)
    if waiter is None:
        k.mem.write_u32(uaddr, 0)
        return 0
    more = k.futex.waiters(uaddr) > 1
    k.mem.write_u32(uaddr, waiter.tid | (futex.FUTEX_WAITERS if more else 0))
    k.futex.wake(uaddr, 1)
    return 0


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


# -- processes: fork, exec, wait ---------------------------------------------------------------
# Flags a child that is a host process of its own cannot share with its parent: memory
# (except for the vfork pause, see vfork.py), descriptors, cwd/umask, signal handlers.
_SHARED_STATE = abi.CLONE_VM | abi.CLONE_FILES | abi.CLONE_FS | abi.CLONE_SIGHAND \
    | abi.CLONE_THREAD
_IGNORED = abi.CLONE_SYSVSEM | abi.CLONE_NAMES["CLONE_IO"] | abi.CLONE_NAMES["CLONE_PTRACE"] \
    | abi.CLONE_NAMES["CLONE_UNTRACED"] | abi.CLONE_NAMES["CLONE_DETACHED"]


def check_clone_flags(flags: int) -> int:
    """copy_process()'s checks of a flag combination: 0 or -EINVAL."""
    if flags & (abi.CLONE_NEWNS | abi.CLONE_FS) == abi.CLONE_NEWNS | abi.CLONE_FS:
        return -abi.EINVAL
    if flags & (abi.CLONE_NEWUSER | abi.CLONE_FS) == abi.CLONE_NEWUSER | abi.CLONE_FS:
        return -abi.EINVAL
    if flags & abi.CLONE_THREAD and not flags & abi.CLONE_SIGHAND:
        return -abi.EINVAL
    if flags & abi.CLONE_SIGHAND and not flags & abi.CLONE_VM:
        return -abi.EINVAL
    if flags & abi.CLONE_THREAD and flags & (abi.CLONE_NEWUSER | abi.CLONE_NEWPID):
        return -abi.EINVAL
    if flags & abi.CLONE_PIDFD and flags & (abi.CLONE_NAMES["CLONE_DETACHED"] | abi.CLONE_THREAD):
        return -abi.EINVAL
    return 0


# A thread costs a CpuContext and a few Python objects; the cap keeps a runaway program
# from taking the host's memory (pthread_create then fails with EAGAIN, as at threads-max).
MAX_THREADS = 16384


def do_thread(k, flags: int, stack: int, ptid: int, tls: int, ctid: int) -> int:
    """A new thread of this process (pthread_create): a copy of the caller's registers
    that returns 0 from clone on ``stack``, with ``tls`` in %cr27; the scheduler runs it."""
    err = check_clone_flags(flags)
    if err:
        return err
    if flags & (abi.CLONE_VFORK | abi.CLONE_NAMESPACES | abi.CLONE_PARENT | abi.CLONE_PIDFD):
        return -abi.EINVAL
    sched = k.sched
    if len(sched.threads) >= MAX_THREADS:
        return -abi.EAGAIN
    t = Thread(sched.allocate_tid())
    k.ctx.save_thread(t.ctx)
    t.ctx.syscall_return(0)
    if stack:
        t.ctx.gr[30] = stack            # copy_thread(): the new thread's stack
    if flags & abi.CLONE_SETTLS:
        t.ctx.cr[27] = tls
    t.blocked = k.signals.blocked       # the mask is inherited; pending signals and the
    if flags & abi.CLONE_PARENT_SETTID:  # alternate stack are not
        k.mem.write_u32(ptid, t.tid)
    if flags & abi.CLONE_CHILD_SETTID:
        k.mem.write_u32(ctid, t.tid)
    if flags & abi.CLONE_CHILD_CLEARTID:
        t.clear_child_tid = ctid
    sched.add(t)
    return t.tid


def do_fork(k, flags: int, ptid: int = 0, ctid: int = 0, tls: int = 0) -> int:
    """A new process: the emulator forks (memory, descriptors, signal state and the compiled
    core come along copy-on-write); returns the child's pid in the parent, 0 in the child."""
    err = check_clone_flags(flags)
    if err:
        return err
    vm_vfork = flags & (abi.CLONE_VM | abi.CLONE_VFORK) == abi.CLONE_VM | abi.CLONE_VFORK
    shared = flags & _SHARED_STATE & ~(abi.CLONE_VM if vm_vfork else 0)
    if shared:
        return -abi.ENOSYS if shared & abi.CLONE_VM else -abi.EINVAL
    if flags & (abi.CLONE_NAMESPACES | abi.CLONE_PARENT | abi.CLONE_PIDFD):
        return -abi.EINVAL if flags & (abi.CLONE_PARENT | abi.CLONE_PIDFD) else -abi.EPERM
    tree = k.tree
    if tree is None:
        tree = k.tree = ProcessTree(k)
    if not k.info.capable() and tree.live_count() >= k.info.rlimits[abi.RLIMIT_NPROC][0]:
        return -abi.EAGAIN
    row, mailbox = tree.reserve()
    vfork_fds = os.pipe2(os.O_CLOEXEC) if flags & abi.CLONE_VFORK else None
    for f in (sys.stdout, sys.stderr, k.strace_file):
        try:
            f.flush()
        except (OSError, ValueError, AttributeError):
            pass
    # no host signal handler may run between the fork and each side's new state (a child
    # taking its parent's mailbox, say)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_OVER_FORK)
    try:
        try:
            pid = os.fork()
        except OSError:
            tree.release(row, mailbox)
            if vfork_fds:
                os.close(vfork_fds[0])
                os.close(vfork_fds[1])
            return -abi.EAGAIN
        if pid == 0:
            _child_side(k, row, mailbox, flags, ctid, tls, vfork_fds, vm_vfork)
            return 0
        tree.forked_parent(row, mailbox, pid, flags & abi.CSIGNAL)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    if flags & abi.CLONE_PARENT_SETTID and ptid:
        try:
            k.mem.write_u32(ptid, pid)
        except GuestFault:
            pass
    if vfork_fds:
        os.close(vfork_fds[1])
        try:
            vfork.receive_pages(k.mem, vfork_fds[0])       # until the child execs or ends
        finally:
            os.close(vfork_fds[0])
    return pid


def _child_side(k, row, mailbox, flags, ctid, tls, vfork_fds, vm_vfork) -> None:
    k.pid = k.info.pid = os.getpid()
    k.sched.only(k.pid)                 # of the parent's threads, the caller's copy only
    k.tree.forked_child(k, row, mailbox)
    wakeup.install()
    k.signals.fork_reset()
    k.reset_syscall_counts()
    k.insns_base = k.ctx.insns
    k.start_time = time.monotonic()
    if vfork_fds:
        os.close(vfork_fds[0])
        k.vfork_done = (vfork_fds[1], vm_vfork)
    if flags & abi.CLONE_SETTLS:
        k.ctx.cr[27] = tls
    if flags & abi.CLONE_CHILD_CLEARTID:
        k.thread.clear_child_tid = ctid
    if flags & abi.CLONE_CHILD_SETTID and ctid:
        try:
            k.mem.write_u32(ctid, k.pid)
        except GuestFault:
            pass
    if k.on_fork is not None:
        k.on_fork()


@syscall(2, "fork")
def sys_fork(k):
    return do_fork(k, abi.SIGCHLD)


@syscall(113, "vfork")
def sys_vfork(k):
    return do_fork(k, abi.CLONE_VM | abi.CLONE_VFORK | abi.SIGCHLD)


@syscall(120, "clone", "flags:clone_flags", "stack:ptr", "parent_tid:ptr", "tls:ptr",
         "child_tid:ptr")
def sys_clone(k, flags, stack, ptid, tls, ctid):
    if flags & abi.CLONE_PIDFD and flags & abi.CLONE_PARENT_SETTID:
        return -abi.EINVAL
    if flags & abi.CLONE_THREAD:
        return do_thread(k, flags, stack, ptid, tls, ctid)
    pid = do_fork(k, flags, ptid, ctid, tls)
    if pid == 0 and stack:
        k.ctx.gr[30] = stack      # copy_thread(): the child runs on the given stack
    return pid


@syscall(435, "clone3", "cl_args:ptr", "size:size")
def sys_clone3(k, args, size):
    return -abi.ENOSYS            # glibc falls back to clone()


@syscall(11, "execve", "pathname:path", "argv:argv", "envp:envp", own_return=True)
def sys_execve(k, path, argv, envp):
    return _exec(k, abi.AT_FDCWD, path, argv, envp, 0)


@syscall(342, "execveat", "dirfd:dirfd", "pathname:path", "argv:argv", "envp:envp",
         "flags:at_flags", own_return=True)
def sys_execveat(k, dirfd, path, argv, envp, flags):
    return _exec(k, dirfd, path, argv, envp, flags)


def _exec(k, dirfd, path, argv, envp, flags):
    """The handler owns its return: a successful exec leaves the new program's context; a
    failure returns -errno through the gateway like any syscall."""
    try:
        execmod.execve(k, dirfd, path, argv, envp, flags)
        return 0
    except GuestFault:
        result = -abi.EFAULT
    except SyscallError as e:
        result = -e.errno
    except OSError as e:
        result = abi.neg_errno(e)
    k.syscall_exit(result)
    return result


# -- waiting for children ------------------------------------------------------------------------
_WAIT4_OPTIONS = abi.WNOHANG | abi.WUNTRACED | abi.WCONTINUED | abi.__WNOTHREAD | abi.__WALL \
    | abi.__WCLONE
_WAITID_OPTIONS = abi.WNOHANG | abi.WSTOPPED | abi.WEXITED | abi.WCONTINUED | abi.WNOWAIT \
    | abi.__WNOTHREAD | abi.__WALL | abi.__WCLONE


def _candidates(k, idtype: int, ident: int, options: int) -> list[int]:
    """The children a wait may report, by (P_PID | P_PGID | P_ALL, id) and __WCLONE."""
    tree = k.tree
    if tree is None:
        return []
    out = []
    for pid in list(tree.children):
        if idtype == abi.P_PID and pid != ident:
            continue
        if idtype == abi.P_PGID and tree.field(pid, PGID) != ident:
            continue
        clone_child = tree.exit_signal(pid) != abi.SIGCHLD
        if not options & abi.__WALL and bool(options & abi.__WCLONE) != clone_child:
            continue
        out.append(pid)
    return out


def do_wait(k, idtype: int, ident: int, options: int):
    """do_wait(): (pid, CLD_* code, exit code or signal, rusage) of the first child with
    something to report; 0 for WNOHANG with nothing yet; raises SyscallError."""
    host = os.WNOHANG
    host |= os.WEXITED if options & abi.WEXITED else 0
    host |= os.WSTOPPED if options & abi.WSTOPPED else 0
    host |= os.WCONTINUED if options & abi.WCONTINUED else 0
    host |= os.WNOWAIT if options & abi.WNOWAIT else 0
    tree = k.tree

    def poll():
        kids = _candidates(k, idtype, ident, options)
        if not kids:
            raise SyscallError(abi.ECHILD)
        for pid in kids:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                r = os.waitid(os.P_PID, pid, host)
            except ChildProcessError:            # reaped behind our back (SIGCHLD ignored)
                tree.reaped(pid)
                continue
            if r is None:
                continue
            code, value = tree.decode_event(pid, r)
            rusage = None
            if code not in (abi.CLD_STOPPED, abi.CLD_CONTINUED) and not options & abi.WNOWAIT:
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                rusage = _rusage_delta(before, after)
                tree.reaped(pid)
            return pid, code, value, rusage
        return None

    got = poll()
    if got is not None or options & abi.WNOHANG:
        return got or 0
    if k.signals.interrupted():
        raise SyscallError(abi.ERESTARTSYS)
    raise Block(host_event=True)        # a child's SIGCHLD ends the sleep; the call runs again


def _rusage_delta(before, after):
    fields = ("ru_utime", "ru_stime", "ru_maxrss", "ru_ixrss", "ru_idrss", "ru_isrss",
              "ru_minflt", "ru_majflt", "ru_nswap", "ru_inblock", "ru_oublock", "ru_msgsnd",
              "ru_msgrcv", "ru_nsignals", "ru_nvcsw", "ru_nivcsw")
    vals = {f: getattr(after, f) - getattr(before, f) for f in fields}
    vals["ru_maxrss"] = after.ru_maxrss
    return SimpleNamespace(**vals)


def wait_status(code: int, value: int) -> int:
    """The int wait4() stores: exit code << 8, signal (| 0x80 core), stop << 8 | 0x7f."""
    if code == abi.CLD_EXITED:
        return (value & 0xFF) << 8
    if code == abi.CLD_KILLED:
        return value & 0x7F
    if code == abi.CLD_DUMPED:
        return (value & 0x7F) | 0x80
    if code in (abi.CLD_STOPPED, abi.CLD_TRAPPED):
        return ((value & 0xFF) << 8) | 0x7F
    return 0xFFFF                                  # CLD_CONTINUED


def _wait4(k, pid, status, options, rusage):
    if options & ~_WAIT4_OPTIONS:
        return -abi.EINVAL
    if pid == -0x80000000:
        return -abi.ESRCH
    if pid > 0:
        idtype, ident = abi.P_PID, pid
    elif pid == 0:
        idtype, ident = abi.P_PGID, k.info.pgid
    elif pid < -1:
        idtype, ident = abi.P_PGID, -pid
    else:
        idtype, ident = abi.P_ALL, 0
    opts = (options & ~abi.WUNTRACED) | abi.WEXITED | (abi.WSTOPPED if options & abi.WUNTRACED else 0)
    got = do_wait(k, idtype, ident, opts)
    if not got:
        return 0
    cpid, code, value, ru = got
    if status:
        k.mem.write_u32(status, wait_status(code, value))
    if rusage:
        k.mem.write(rusage, pack_rusage(ru or _rusage_delta(*(resource.getrusage(
            resource.RUSAGE_CHILDREN),) * 2)))
    return cpid


@syscall(7, "waitpid", "pid:pid", "wstatus:wstatus_out", "options:wait_options")
def sys_waitpid(k, pid, status, options):
    return _wait4(k, pid, status, options, 0)


@syscall(114, "wait4", "pid:pid", "wstatus:wstatus_out", "options:wait_options",
         "rusage:ptr")
def sys_wait4(k, pid, status, options, rusage):
    return _wait4(k, pid, status, options, rusage)


@syscall(235, "waitid", "idtype:int", "id:int", "infop:ptr", "options:wait_options",
         "rusage:ptr")
def sys_waitid(k, idtype, id_, infop, options, rusage):
    if options & ~_WAITID_OPTIONS or not options & (abi.WEXITED | abi.WSTOPPED | abi.WCONTINUED):
        return -abi.EINVAL
    if idtype == abi.P_PIDFD:
        return -abi.EINVAL if id_ < 0 else -abi.EBADF
    if idtype == abi.P_PID:
        if id_ <= 0:
            return -abi.EINVAL
    elif idtype == abi.P_PGID:
        if id_ < 0:
            return -abi.EINVAL
        id_ = id_ or k.info.pgid
    elif idtype != abi.P_ALL:
        return -abi.EINVAL
    got = do_wait(k, idtype, id_, options)
    if infop:
        if got:
            cpid, code, value, ru = got
            info = struct.pack(">iii", abi.SIGCHLD, 0, code) + struct.pack(
                ">iii", cpid, k.info.ruid, value)
        else:
            info = b""                             # WNOHANG, nothing yet: si_pid = 0
        k.mem.write(infop, info.ljust(abi.SIGINFO_SIZE, b"\0"))
    if rusage and got and got[3] is not None:
        k.mem.write(rusage, pack_rusage(got[3]))
    return 0
