"""Waiting on descriptors: poll/ppoll/select/pselect6 (32-bit and time64 variants)."""
from __future__ import annotations

import select
import struct
import time

from kernel_model import abi
from kernel_model.errors import SyscallError
from kernel_model.sched import Block
from kernel_model.syscalls.common import (NSEC, read_timespec, resumed_deadline, valid_timespec,
                                          write_timespec)
from kernel_model.syscalls.registry import syscall

M32 = 0xFFFFFFFF
_HOST_POLL = {abi.POLLIN: select.POLLIN, abi.POLLPRI: select.POLLPRI, abi.POLLOUT: select.POLLOUT,
              abi.POLLERR: select.POLLERR, abi.POLLHUP: select.POLLHUP,
              abi.POLLNVAL: select.POLLNVAL, abi.POLLRDNORM: getattr(select, "POLLRDNORM", 0x40),
              abi.POLLRDBAND: getattr(select, "POLLRDBAND", 0x80),
              abi.POLLWRNORM: getattr(select, "POLLWRNORM", 0x100),
              abi.POLLWRBAND: getattr(select, "POLLWRBAND", 0x200),
              abi.POLLMSG: getattr(select, "POLLMSG", 0x400),
              abi.POLLRDHUP: getattr(select, "POLLRDHUP", 0x2000)}


def _to_host(ev: int) -> int:
    return sum(h for g, h in _HOST_POLL.items() if ev & g)


def _from_host(ev: int) -> int:
    return sum(g for g, h in _HOST_POLL.items() if ev & h)


def _wait_with_mask(k, check, deadline, sigmask, rfds, wfds):
    """Wait as ppoll/pselect do: ``sigmask`` is installed for the wait only. When a signal
    ends the wait, the old mask is restored after the handler runs (saved_mask)."""
    s = k.signals
    old = s.blocked
    if sigmask is not None:
        s.set_blocked(sigmask)
    try:
        result = _check_or_sleep(k, check, deadline, rfds, wfds)
    except Block as b:
        if sigmask is not None:
            b.sigmask = s.blocked         # what may interrupt the sleep; the mask is back
            s.set_blocked(old)            # to the old one until the call runs again
        raise
    if sigmask is not None:
        if result == "signal":
            s.saved_mask = old
        else:
            s.set_blocked(old)
    return result


def _check_or_sleep(k, check, deadline, rfds, wfds):
    """check() -> ready result or None; else "signal", "timeout", or sleep (Block) until one
    of the host fds is ready or the deadline; the call then runs again."""
    res = check()
    if res is not None:
        return res
    if k.signals.interrupted():
        return "signal"
    if deadline is not None and time.monotonic() >= deadline:
        return "timeout"
    raise Block(rfds, wfds, deadline)


def do_poll(k, fds_addr, nfds, deadline, sigmask=None):
    if nfds > k.files.limit or nfds & 0x80000000:
        return -abi.EINVAL
    raw = k.mem.read(fds_addr, 8 * nfds) if nfds else b""
    entries = [struct.unpack_from(">ihh", raw, 8 * i) for i in range(nfds)]
    k.mem.check(fds_addr, 8 * nfds, 2)
    revents = [0] * nfds
    p = select.poll()
    hostmap = {}
    for i, (fd, events, _) in enumerate(entries):
        if fd < 0:
            continue
        entry = k.files.fds.get(fd)
        if entry is None:
            revents[i] = abi.POLLNVAL
            continue
        hfd = entry[0].host_fd
        hostmap.setdefault(hfd, []).append(i)
        p.register(hfd, _to_host(events & 0xFFFF) | select.POLLERR | select.POLLHUP)

    def check():
        res = [] if any(revents) or not hostmap else p.poll(0)
        got = list(revents)
        for hfd, hev in res:
            for i in hostmap.get(hfd, ()):
                want = entries[i][1] & 0xFFFF | abi.POLLERR | abi.POLLHUP | abi.POLLNVAL
                got[i] = _from_host(hev) & want
        if any(got):
            return got
        return None

    rfds = [hfd for hfd, idx in hostmap.items()
            if any(entries[i][1] & ~(abi.POLLOUT | abi.POLLWRNORM | abi.POLLWRBAND) for i in idx)]
    wfds = [hfd for hfd, idx in hostmap.items()
            if any(entries[i][1] & (abi.POLLOUT | abi.POLLWRNORM | abi.POLLWRBAND) for i in idx)]
    result = _wait_with_mask(k, check, deadline, sigmask, rfds, wfds)
    if result == "signal":
        return -abi.ERESTARTNOHAND
    if result == "timeout":
        result = [0] * nfds
    out = bytearray(raw)
    for i, ev in enumerate(result):
        struct.pack_into(">h", out, 8 * i + 6, ev if ev < 0x8000 else ev - 0x10000)
    if nfds:
        k.mem.write(fds_addr, bytes(out))
    return sum(1 for ev in result if ev)


@syscall(168, "poll", "fds:pollfd", "nfds:uint", "timeout:int")
def sys_poll(k, fds, nfds, timeout):
    deadline = resumed_deadline(k, None if timeout < 0 else timeout / 1000.0)
    return do_poll(k, fds, nfds, deadline)


def _ppoll(k, fds, nfds, tmo, sigmask, sigsetsize, t64):
    deadline = None
    if tmo:
        sec, nsec = read_timespec(k, tmo, t64)
        if not valid_timespec(sec, nsec):
            return -abi.EINVAL
        deadline = resumed_deadline(k, sec + nsec / NSEC)
    mask = None
    if sigmask:
        if sigsetsize != abi.SIGSET_SIZE:
            return -abi.EINVAL
        lo, hi = struct.unpack(">II", k.mem.read(sigmask, 8))
        mask = lo | (hi << 32)
    res = do_poll(k, fds, nfds, deadline, mask)
    if tmo and res != -abi.EFAULT:
        left = 0 if deadline is None else max(0, deadline - time.monotonic())
        ns = int(left * NSEC)
        try:
            write_timespec(k, tmo, ns // NSEC, ns % NSEC, t64)
        except Exception:
            pass
    return res


@syscall(274, "ppoll", "fds:pollfd", "nfds:uint", "tmo_p:timespec", "sigmask:sigset",
         "sigsetsize:size")
def sys_ppoll(k, fds, nfds, tmo, sigmask, size):
    return _ppoll(k, fds, nfds, tmo, sigmask, size, False)


@syscall(414, "ppoll_time64", "fds:pollfd", "nfds:uint", "tmo_p:timespec64", "sigmask:sigset",
         "sigsetsize:size")
def sys_ppoll_time64(k, fds, nfds, tmo, sigmask, size):
    return _ppoll(k, fds, nfds, tmo, sigmask, size, True)


# -- select -----------------------------------------------------------------------------------
def _read_fdset(k, addr, nfds):
    if not addr:
        return None
    nwords = (nfds + 31) // 32
    words = struct.unpack(f">{nwords}I", k.mem.read(addr, 4 * nwords)) if nwords else ()
    return {i for i in range(nfds) if words[i // 32] >> (i % 32) & 1}


def _write_fdset(k, addr, nfds, fds):
    if not addr:
        return
    nwords = (nfds + 31) // 32
    words = [0] * nwords
    for fd in fds:
        words[fd // 32] |= 1 << (fd % 32)
    if nwords:
        k.mem.write(addr, struct.pack(f">{nwords}I", *words))


def do_select(k, nfds, rd, wr, ex, deadline, sigmask=None):
    if nfds < 0 or nfds > k.files.limit:
        return -abi.EINVAL
    sets = [_read_fdset(k, a, nfds) for a in (rd, wr, ex)]
    for a in (rd, wr, ex):
        if a:
            k.mem.check(a, 4 * ((nfds + 31) // 32), 2)
    fdmap = {}
    for s in sets:
        for fd in s or ():
            entry = k.files.fds.get(fd)
            if entry is None:
                raise SyscallError(abi.EBADF)
            fdmap[fd] = entry[0].host_fd

    lists = [[fdmap[fd] for fd in sorted(s)] if s else [] for s in sets]

    def check():
        if not any(lists):
            return None
        try:
            r, w, x = select.select(lists[0], lists[1], lists[2], 0)
        except (OSError, ValueError):
            return None
        if not (r or w or x):
            return None
        rev = {}
        for hfd_list, name in ((r, 0), (w, 1), (x, 2)):
            rev[name] = {fd for fd in (sets[name] or ()) if fdmap[fd] in hfd_list}
        return rev

    result = _wait_with_mask(k, check, deadline, sigmask, lists[0] + lists[2], lists[1])
    if result == "signal":
        return -abi.ERESTARTNOHAND
    if result == "timeout":
        result = {0: set(), 1: set(), 2: set()}
    for i, a in enumerate((rd, wr, ex)):
        _write_fdset(k, a, nfds, result[i])
    return sum(len(v) for v in result.values())


@syscall(142, "_newselect", "nfds:int", "readfds:fdset", "writefds:fdset", "exceptfds:fdset",
         "timeout:timeval")
def sys_newselect(k, nfds, rd, wr, ex, tv):
    deadline = None
    if tv:
        sec, usec = struct.unpack(">ii", k.mem.read(tv, 8))
        if sec < 0 or not 0 <= usec < 1_000_000:
            return -abi.EINVAL
        deadline = resumed_deadline(k, sec + usec / 1e6)
    res = do_select(k, nfds, rd, wr, ex, deadline)
    if tv and res >= -0:
        left = max(0.0, deadline - time.monotonic())
        us = int(left * 1e6)
        k.mem.write(tv, struct.pack(">ii", us // 1_000_000, us % 1_000_000))
    return res


def _pselect(k, nfds, rd, wr, ex, ts, sig, t64):
    deadline = None
    if ts:
        sec, nsec = read_timespec(k, ts, t64)
        if not valid_timespec(sec, nsec):
            return -abi.EINVAL
        deadline = resumed_deadline(k, sec + nsec / NSEC)
    mask = None
    if sig:
        ptr, size = struct.unpack(">II", k.mem.read(sig, 8))
        if ptr:
            if size != abi.SIGSET_SIZE:
                return -abi.EINVAL
            lo, hi = struct.unpack(">II", k.mem.read(ptr, 8))
            mask = lo | (hi << 32)
    res = do_select(k, nfds, rd, wr, ex, deadline, mask)
    if ts:
        ns = int(max(0.0, deadline - time.monotonic()) * NSEC)
        try:
            write_timespec(k, ts, ns // NSEC, ns % NSEC, t64)
        except Exception:
            pass
    return res


@syscall(273, "pselect6", "nfds:int", "readfds:fdset", "writefds:fdset", "exceptfds:fdset",
         "timeout:timespec", "sigmask:ptr")
def sys_pselect6(k, nfds, rd, wr, ex, ts, sig):
    return _pselect(k, nfds, rd, wr, ex, ts, sig, False)


@syscall(413, "pselect6_time64", "nfds:int", "readfds:fdset", "writefds:fdset",
         "exceptfds:fdset", "timeout:timespec64", "sigmask:ptr")
def sys_pselect6_time64(k, nfds, rd, wr, ex, ts, sig):
    return _pselect(k, nfds, rd, wr, ex, ts, sig, True)
