"""Time: clocks, sleeps, interval timers, alarm, POSIX timers, times/getrusage."""
from __future__ import annotations

import os
import resource
import struct
import time as htime

from hppa_user.errors import GuestFault
from kernel_model import abi
from kernel_model.errors import SyscallError
from kernel_model.sched import Block
from kernel_model.signals import Timer
from kernel_model.syscalls.common import (M32, NSEC, read_timespec, valid_timespec,
                                          write_timespec)
from kernel_model.syscalls.registry import syscall
from kernel_model.timekeeping import CPU_CLOCKS, HOST_CLOCK

def resolve_clock(k, clockid: int) -> int:
    """Guest clock id -> host clock id; negative (CPU-clock) ids must name this process."""
    if clockid < 0:
        # CPU clocks: ~pid << 3 | type (2 = sched), bit 2 = per-thread
        pid = ~(clockid >> 3) & 0x1FFFFFFF
        if (clockid & 7) == 7 or (clockid & 3) == 3:
            raise SyscallError(abi.EINVAL)
        if pid not in (0, k.pid):
            raise SyscallError(abi.EINVAL)
        return htime.CLOCK_PROCESS_CPUTIME_ID
    if clockid not in HOST_CLOCK:
        raise SyscallError(abi.EINVAL)
    return HOST_CLOCK[clockid]


def clock_ns(k, clockid: int) -> int:
    """A guest clock's value (host or virtual time: :mod:`kernel_model.timekeeping`)."""
    host_clock = HOST_CLOCK.get(clockid)           # (the common case, before the CPU clocks)
    if host_clock is None:
        host_clock = resolve_clock(k, clockid)
    return k.time.clock_ns(clockid, host_clock)


def _gettime(k, clockid, tp, t64):
    sec, nsec = divmod(clock_ns(k, clockid), NSEC)
    write_timespec(k, tp, sec, nsec, t64)
    return 0


@syscall(256, "clock_gettime", "clockid:clockid", "tp:timespec_out")
def sys_clock_gettime(k, clockid, tp):
    return _gettime(k, clockid, tp, False)


@syscall(403, "clock_gettime64", "clockid:clockid", "tp:timespec64_out")
def sys_clock_gettime64(k, clockid, tp):
    return _gettime(k, clockid, tp, True)


def _getres(k, clockid, res, t64):
    hc = resolve_clock(k, clockid)
    if clockid in (abi.CLOCK_REALTIME_COARSE, abi.CLOCK_MONOTONIC_COARSE):
        ns = 4_000_000      # one jiffy at HZ=250
    else:
        try:
            ns = int(htime.clock_getres(hc) * NSEC) or 1
        except OSError:
            ns = 1
    if res:
        write_timespec(k, res, ns // NSEC, ns % NSEC, t64)
    return 0


@syscall(257, "clock_getres", "clockid:clockid", "res:timespec_out")
def sys_clock_getres(k, clockid, res):
    return _getres(k, clockid, res, False)


@syscall(406, "clock_getres_time64", "clockid:clockid", "res:timespec64_out")
def sys_clock_getres_time64(k, clockid, res):
    return _getres(k, clockid, res, True)


def _settime(k, clockid, tp, t64):
    resolve_clock(k, clockid)
    sec, nsec = read_timespec(k, tp, t64)
    if not valid_timespec(sec, nsec):
        return -abi.EINVAL
    if clockid != abi.CLOCK_REALTIME:
        return -abi.EINVAL
    return -abi.EPERM


@syscall(255, "clock_settime", "clockid:clockid", "tp:timespec")
def sys_clock_settime(k, clockid, tp):
    return _settime(k, clockid, tp, False)


@syscall(404, "clock_settime64", "clockid:clockid", "tp:timespec64")
def sys_clock_settime64(k, clockid, tp):
    return _settime(k, clockid, tp, True)


@syscall(78, "gettimeofday", "tv:timeval_out", "tz:ptr")
def sys_gettimeofday(k, tv, tz):
    ns = clock_ns(k, abi.CLOCK_REALTIME)
    if tv:
        k.mem.write(tv, struct.pack(">ii", ns // NSEC, (ns % NSEC) // 1000))
    if tz:
        k.mem.write(tz, struct.pack(">ii", 0, 0))
    return 0


@syscall(79, "settimeofday", "tv:ptr", "tz:ptr")
def sys_settimeofday(k, tv, tz):
    if tv:
        sec, usec = struct.unpack(">ii", k.mem.read(tv, 8))
        if not 0 <= usec < 1_000_000 or sec < 0:
            return -abi.EINVAL
    if tz:
        k.mem.read(tz, 8)
    return -abi.EPERM


@syscall(13, "time", "tloc:ptr")
def sys_time(k, tloc):
    t = clock_ns(k, abi.CLOCK_REALTIME) // NSEC
    if tloc:
        k.mem.write_u32(tloc, t)
    return t & M32


@syscall(25, "stime", "tptr:ptr")
def sys_stime(k, tptr):
    k.mem.read(tptr, 4)
    return -abi.EPERM


# -- sleeping ------------------------------------------------------------------------------
def _sleep(k, deadline, rem, t64, interrupted_result):
    """Sleep until ``deadline`` (a completion wait: the thread is not run again before):
    0, or ``interrupted_result`` with the time left in ``rem`` when a signal ends it."""
    def complete(reason):
        if reason == "timeout":
            return 0
        if rem:
            ns = int(max(0.0, deadline - htime.monotonic()) * NSEC)
            try:
                write_timespec(k, rem, ns // NSEC, ns % NSEC, t64)
            except (GuestFault, SyscallError):
                pass
        return interrupted_result
    if htime.monotonic() >= deadline:
        return 0
    if k.signals.interrupted():
        return complete("signal")
    raise Block(deadline=deadline, complete=complete)


def _nanosleep(k, req, rem, t64):
    sec, nsec = read_timespec(k, req, t64)
    if not valid_timespec(sec, nsec):
        return -abi.EINVAL
    deadline = htime.monotonic() + sec + nsec / NSEC
    return _sleep(k, deadline, rem, t64, -abi.ERESTART_RESTARTBLOCK)


@syscall(162, "nanosleep", "req:timespec", "rem:timespec_out")
def sys_nanosleep(k, req, rem):
    return _nanosleep(k, req, rem, False)


def _clock_nanosleep(k, clockid, flags, req, rem, t64):
    if clockid == abi.CLOCK_THREAD_CPUTIME_ID:
        return -abi.EINVAL
    if clockid in (abi.CLOCK_REALTIME_COARSE, abi.CLOCK_MONOTONIC_COARSE,
                   abi.CLOCK_MONOTONIC_RAW):
        return -abi.EOPNOTSUPP
    try:
        resolve_clock(k, clockid)
    except SyscallError:
        return -abi.EINVAL
    sec, nsec = read_timespec(k, req, t64)
    if not valid_timespec(sec, nsec):
        return -abi.EINVAL
    if flags & abi.TIMER_ABSTIME:
        now = clock_ns(k, clockid)
        delta = (sec * NSEC + nsec - now) / NSEC
    else:
        delta = sec + nsec / NSEC
    if delta <= 0:
        return 0
    deadline = htime.monotonic() + delta
    if flags & abi.TIMER_ABSTIME:
        return _sleep(k, deadline, 0, t64, -abi.ERESTARTNOHAND)
    return _sleep(k, deadline, rem, t64, -abi.ERESTART_RESTARTBLOCK)


@syscall(258, "clock_nanosleep", "clockid:clockid", "flags:timer_flags", "request:timespec",
         "remain:timespec_out")
def sys_clock_nanosleep(k, clockid, flags, req, rem):
    return _clock_nanosleep(k, clockid, flags, req, rem, False)


@syscall(407, "clock_nanosleep_time64", "clockid:clockid", "flags:timer_flags",
         "request:timespec64", "remain:timespec64_out")
def sys_clock_nanosleep_time64(k, clockid, flags, req, rem):
    return _clock_nanosleep(k, clockid, flags, req, rem, True)


@syscall(0, "restart_syscall")
def sys_restart_syscall(k):
    return -abi.EINTR


# -- interval timers --------------------------------------------------------------------------
_ITIMER_SIG = {abi.ITIMER_REAL: abi.SIGALRM, abi.ITIMER_VIRTUAL: abi.SIGVTALRM,
               abi.ITIMER_PROF: abi.SIGPROF}


def _itimer(k, which) -> Timer:
    t = k.signals.itimers.get(which)
    if t is None:
        t = Timer("itimer", "real" if which == abi.ITIMER_REAL else "cpu", _ITIMER_SIG[which])
        k.signals.itimers[which] = t
    return t


def _tv(sec_f: float) -> tuple[int, int]:
    us = int(round(sec_f * 1_000_000))
    return us // 1_000_000, us % 1_000_000


@syscall(105, "getitimer", "which:which", "curr_value:itimerval_out")
def sys_getitimer(k, which, cur):
    if which not in _ITIMER_SIG:
        return -abi.EINVAL
    value, interval = k.signals.remaining(_itimer(k, which))
    k.mem.write(cur, struct.pack(">iiii", *_tv(interval), *_tv(value)))
    return 0


@syscall(104, "setitimer", "which:which", "new_value:itimerval", "old_value:itimerval_out")
def sys_setitimer(k, which, new, old):
    if which not in _ITIMER_SIG:
        return -abi.EINVAL
    t = _itimer(k, which)
    if new:
        isec, iusec, vsec, vusec = struct.unpack(">iiii", k.mem.read(new, 16))
        if not (0 <= iusec < 1_000_000 and 0 <= vusec < 1_000_000) or isec < 0 or vsec < 0:
            return -abi.EINVAL
    if old:
        value, interval = k.signals.remaining(t)
        k.mem.write(old, struct.pack(">iiii", *_tv(interval), *_tv(value)))
    if new:
        k.signals.arm(t, vsec + vusec / 1e6, isec + iusec / 1e6)
    return 0


@syscall(27, "alarm", "seconds:uint")
def sys_alarm(k, seconds):
    t = _itimer(k, abi.ITIMER_REAL)
    value, _ = k.signals.remaining(t)
    old = int(value + 0.5) if value else 0
    if value and old == 0:
        old = 1
    k.signals.arm(t, float(seconds), 0.0)
    return old


# -- POSIX timers -----------------------------------------------------------------------------
@syscall(250, "timer_create", "clockid:clockid", "sevp:sigevent", "timerid:ptr")
def sys_timer_create(k, clockid, sevp, timerid):
    resolve_clock(k, clockid)
    sig = k.signals
    tid = 0
    while tid in sig.posix_timers:
        tid += 1
    if sevp:
        value, signo, notify, tid_field = struct.unpack(">iiii", k.mem.read(sevp, 16))
        if notify not in (abi.SIGEV_SIGNAL, abi.SIGEV_NONE, abi.SIGEV_THREAD_ID,
                          abi.SIGEV_SIGNAL | abi.SIGEV_THREAD_ID):
            return -abi.EINVAL
        if notify & abi.SIGEV_THREAD_ID and tid_field != k.pid:
            return -abi.EINVAL
        if notify != abi.SIGEV_NONE and not 1 <= signo <= abi.NSIG:
            return -abi.EINVAL
    else:
        value, signo, notify = tid, abi.SIGALRM, abi.SIGEV_SIGNAL
    k.mem.check(timerid, 4, 2)
    cpu = clockid in CPU_CLOCKS or clockid < 0
    mode = abi.SIGEV_NONE if notify == abi.SIGEV_NONE else abi.SIGEV_SIGNAL
    t = Timer("posix", "cpu" if cpu else "real", signo, mode, value, tid)
    t.clockid = clockid
    sig.posix_timers[tid] = t
    k.mem.write_u32(timerid, tid)
    return 0


def _get_timer(k, tid) -> Timer:
    t = k.signals.posix_timers.get(tid)
    if t is None:
        raise SyscallError(abi.EINVAL)
    return t


def _ts(sec_f: float) -> tuple[int, int]:
    ns = int(round(sec_f * NSEC))
    return ns // NSEC, ns % NSEC


def _write_itimerspec(k, addr, value, interval, t64):
    if t64:
        k.mem.write(addr, struct.pack(">qqqq", *_ts(interval), *_ts(value)))
    else:
        k.mem.write(addr, struct.pack(">iiii", *_ts(interval), *_ts(value)))


def _settime_timer(k, tid, flags, new, old, t64):
    t = _get_timer(k, tid)
    if t64:
        isec, insec, vsec, vnsec = struct.unpack(">qqqq", k.mem.read(new, 32))
        insec, vnsec = insec & M32, vnsec & M32
        insec = insec - (1 << 32) if insec & 0x80000000 else insec
        vnsec = vnsec - (1 << 32) if vnsec & 0x80000000 else vnsec
    else:
        isec, insec, vsec, vnsec = struct.unpack(">iiii", k.mem.read(new, 16))
    if not (valid_timespec(isec, insec) and valid_timespec(vsec, vnsec)):
        return -abi.EINVAL
    if old:
        value, interval = k.signals.remaining(t)
        _write_itimerspec(k, old, value, interval, t64)
    value = vsec + vnsec / NSEC
    if flags & abi.TIMER_ABSTIME and (vsec or vnsec):
        now = clock_ns(k, t.clockid)
        value = max((vsec * NSEC + vnsec - now) / NSEC, 1e-9)
    k.signals.arm(t, value, isec + insec / NSEC)
    return 0


@syscall(251, "timer_settime", "timerid:timerid", "flags:timer_flags", "new_value:itimerspec",
         "old_value:ptr")
def sys_timer_settime(k, tid, flags, new, old):
    return _settime_timer(k, tid, flags, new, old, False)


@syscall(409, "timer_settime64", "timerid:timerid", "flags:timer_flags", "new_value:ptr",
         "old_value:ptr")
def sys_timer_settime64(k, tid, flags, new, old):
    return _settime_timer(k, tid, flags, new, old, True)


@syscall(252, "timer_gettime", "timerid:timerid", "curr_value:ptr")
def sys_timer_gettime(k, tid, cur):
    value, interval = k.signals.remaining(_get_timer(k, tid))
    _write_itimerspec(k, cur, value, interval, False)
    return 0


@syscall(408, "timer_gettime64", "timerid:timerid", "curr_value:ptr")
def sys_timer_gettime64(k, tid, cur):
    value, interval = k.signals.remaining(_get_timer(k, tid))
    _write_itimerspec(k, cur, value, interval, True)
    return 0


@syscall(253, "timer_getoverrun", "timerid:timerid")
def sys_timer_getoverrun(k, tid):
    return min(_get_timer(k, tid).overrun, 0x7FFFFFFF)


@syscall(254, "timer_delete", "timerid:timerid")
def sys_timer_delete(k, tid):
    t = _get_timer(k, tid)
    k.signals.arm(t, 0, 0)
    del k.signals.posix_timers[tid]
    k.signals.discard_timer(t)
    return 0


# -- accounting -----------------------------------------------------------------------------
@syscall(43, "times", "buf:tms_out")
def sys_times(k, buf):
    t = os.times()
    hz = abi.USER_HZ
    if buf:
        k.mem.write(buf, struct.pack(">IIII", int(t.user * hz) & M32, int(t.system * hz) & M32,
                                     int(t.children_user * hz) & M32,
                                     int(t.children_system * hz) & M32))
    return int(t.elapsed * hz) & 0x7FFFFFFF


def pack_rusage(ru) -> bytes:
    def tv(x):
        us = int(x * 1_000_000)
        return us // 1_000_000, us % 1_000_000
    vals = [*tv(ru.ru_utime), *tv(ru.ru_stime), ru.ru_maxrss, ru.ru_ixrss, ru.ru_idrss,
            ru.ru_isrss, ru.ru_minflt, ru.ru_majflt, ru.ru_nswap, ru.ru_inblock, ru.ru_oublock,
            ru.ru_msgsnd, ru.ru_msgrcv, ru.ru_nsignals, ru.ru_nvcsw, ru.ru_nivcsw]
    return struct.pack(">18i", *[max(-(1 << 31), min(int(v), (1 << 31) - 1)) for v in vals])


@syscall(77, "getrusage", "who:int", "usage:rusage_out")
def sys_getrusage(k, who, usage):
    if who in (abi.RUSAGE_SELF, abi.RUSAGE_THREAD):
        ru = resource.getrusage(resource.RUSAGE_SELF)
    elif who == abi.RUSAGE_CHILDREN:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    else:
        return -abi.EINVAL
    k.mem.write(usage, pack_rusage(ru))
    return 0
