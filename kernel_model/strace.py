"""strace-style formatting of syscalls (``hppa-user run --strace``).

Lines look like strace's default output::

    openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
    read(3, "root:x:0:0:root:/root:/bin/bash\\n"..., 4096) = 1234
    fstat64(1, {st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0x1), ...}) = 0
    mmap2(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x40000000
    open("/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)

Strings are quoted and escaped like strace (octal escapes for non-printables) and cut at 32
bytes with ``...`` (file names are never cut); flags print by name with the parisc values;
common structs are decoded; results that are errors print as ``-1 ENAME (message)``.

Entry points used by the dispatcher: :func:`format_call` (the call before it runs, used for
calls that never return), :func:`format_line` (the complete line after the call; output
arguments are decoded then), :func:`format_result`, :func:`format_unknown`.
"""
from __future__ import annotations

import struct

from kernel_model import abi

M32 = 0xFFFFFFFF
STRSIZE = 32


# ---------------------------------------------------------------------------------------
# primitives
# ---------------------------------------------------------------------------------------
def quote(data: bytes, limit: int | None = STRSIZE, cut: bool = False, hexall: bool = False) -> str:
    """strace string quoting; ``cut`` marks data that was itself truncated."""
    more = cut
    if limit is not None and len(data) > limit:
        data, more = data[:limit], True
    if hexall:
        return '"' + "".join(f"\\x{c:02x}" for c in data) + '"' + ("..." if more else "")
    out = ['"']
    n = len(data)
    for i, c in enumerate(data):
        if c == 0x22:
            out.append('\\"')
        elif c == 0x5C:
            out.append("\\\\")
        elif c == 0x0A:
            out.append("\\n")
        elif c == 0x09:
            out.append("\\t")
        elif c == 0x0D:
            out.append("\\r")
        elif c == 0x0B:
            out.append("\\v")
        elif c == 0x0C:
            out.append("\\f")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            nxt = data[i + 1] if i + 1 < n else None
            if nxt is not None and 0x30 <= nxt <= 0x37:
                out.append(f"\\{c:03o}")
            else:
                out.append(f"\\{c:o}")
    out.append('"')
    s = "".join(out)
    return s + "..." if more else s


def ptr(v: int) -> str:
    return "NULL" if v == 0 else f"{v & M32:#x}"


def flags(value: int, names, zero: str = "0") -> str:
    value &= M32
    if value == 0:
        return zero
    parts = []
    rest = value
    for name, bit in names:
        if bit and value & bit == bit and rest & bit:
            parts.append(name)
            rest &= ~bit
    if rest:
        parts.append(f"{rest:#x}")
    return "|".join(parts)


def s32(v: int) -> int:
    v &= M32
    return v - (1 << 32) if v & 0x80000000 else v


def _read(k, addr, n):
    try:
        return k.mem.read(addr, n)
    except Exception:
        return None


def _cstr(k, addr, limit=None):
    if addr == 0:
        return "NULL"
    try:
        s = k.mem.read_cstr(addr, 4096 if limit is None else limit + 1)
    except Exception:
        return ptr(addr)
    if limit is not None and len(s) > limit:
        return quote(s[:limit], None, cut=True)
    return quote(s, None)


# ---------------------------------------------------------------------------------------
# flag and value names
# ---------------------------------------------------------------------------------------
def open_flags(v: int) -> str:
    acc = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR", 3: "O_ACCMODE"}[v & 3]
    rest = v & ~3 & M32
    if rest & abi.O_TMPFILE == abi.O_TMPFILE:
        rest_names = [n for n in abi.OPEN_FLAG_NAMES if n[0] != "O_DIRECTORY"]
    else:
        rest_names = [n for n in abi.OPEN_FLAG_NAMES if n[0] != "O_TMPFILE"]
    if rest & abi.O_SYNC == abi.O_SYNC:
        rest_names = [n for n in rest_names if n[0] != "O_DSYNC"]
    tail = flags(rest, rest_names, "")
    return acc + ("|" + tail if tail else "")


def mode(v: int) -> str:
    return f"0{v & 0o7777:o}" if v & 0o7777 else "000"


_FILE_TYPES = [(abi.S_IFSOCK, "S_IFSOCK"), (abi.S_IFLNK, "S_IFLNK"), (abi.S_IFREG, "S_IFREG"),
               (abi.S_IFBLK, "S_IFBLK"), (abi.S_IFDIR, "S_IFDIR"), (abi.S_IFCHR, "S_IFCHR"),
               (abi.S_IFIFO, "S_IFIFO")]


def st_mode(v: int) -> str:
    fmt = v & abi.S_IFMT
    name = next((n for b, n in _FILE_TYPES if b == fmt), None)
    perm = f"0{v & 0o7777:o}" if v & 0o7777 else "000"
    return f"{name}|{perm}" if name else perm


def sig_name(n: int) -> str:
    return abi.signal_name(n) if 1 <= n <= abi.NSIG else str(n)


def sigset(mask: int) -> str:
    sigs = [i for i in range(1, abi.NSIG + 1) if mask >> (i - 1) & 1]
    if len(sigs) > abi.NSIG // 2:
        unset = [i for i in range(1, abi.NSIG + 1) if not mask >> (i - 1) & 1]
        return "~[" + " ".join(sig_name(i)[3:] if sig_name(i).startswith("SIG") else sig_name(i)
                               for i in unset) + "]"
    return "[" + " ".join(sig_name(i)[3:] if sig_name(i).startswith("SIG") else sig_name(i)
                          for i in sigs) + "]"


def rlim(v: int, infinity: int) -> str:
    if v >= infinity:
        return "RLIM_INFINITY" if infinity == abi.RLIM_INFINITY32 else "RLIM64_INFINITY"
    if v > 1024 and v % 1024 == 0:
        return f"{v // 1024}*1024"
    return str(v)


_FUTEX_OPS = {0: "FUTEX_WAIT", 1: "FUTEX_WAKE", 2: "FUTEX_FD", 3: "FUTEX_REQUEUE",
              4: "FUTEX_CMP_REQUEUE", 5: "FUTEX_WAKE_OP", 6: "FUTEX_LOCK_PI",
              7: "FUTEX_UNLOCK_PI", 8: "FUTEX_TRYLOCK_PI", 9: "FUTEX_WAIT_BITSET",
              10: "FUTEX_WAKE_BITSET", 11: "FUTEX_WAIT_REQUEUE_PI", 12: "FUTEX_CMP_REQUEUE_PI"}
_PRCTL = {1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 3: "PR_GET_DUMPABLE",
          4: "PR_SET_DUMPABLE", 5: "PR_GET_UNALIGN", 6: "PR_SET_UNALIGN", 15: "PR_SET_NAME",
          16: "PR_GET_NAME", 29: "PR_SET_TIMERSLACK", 30: "PR_GET_TIMERSLACK",
          38: "PR_SET_NO_NEW_PRIVS", 39: "PR_GET_NO_NEW_PRIVS", 0x53564D41: "PR_SET_VMA"}


# ---------------------------------------------------------------------------------------
# structs
# ---------------------------------------------------------------------------------------
def fmt_stat64(k, addr):
    raw = _read(k, addr, abi.STAT64_SIZE)
    if raw is None:
        return ptr(addr)
    v = struct.unpack(abi.STAT64_FMT, raw)
    m, size, rdev = v[3], v[9], v[7]
    if m & abi.S_IFMT in (abi.S_IFCHR, abi.S_IFBLK):
        major = (rdev >> 8) & 0xFFF
        minor = (rdev & 0xFF) | ((rdev >> 12) & 0xFFF00)
        return f"{{st_mode={st_mode(m)}, st_rdev=makedev({major:#x}, {minor:#x}), ...}}"
    return f"{{st_mode={st_mode(m)}, st_size={size}, ...}}"


def fmt_statx(k, addr):
    raw = _read(k, addr, 256)
    if raw is None:
        return ptr(addr)
    mask, blksize, attrs = struct.unpack_from(">IIQ", raw, 0)
    m = struct.unpack_from(">H", raw, 28)[0]
    size = struct.unpack_from(">Q", raw, 40)[0]
    return (f"{{stx_mask={statx_mask(mask)}, stx_attributes={attrs:#x}"
            if attrs else f"{{stx_mask={statx_mask(mask)}, stx_attributes=0") + \
        f", stx_mode={st_mode(m)}, stx_size={size}, ...}}"


def statx_mask(v: int) -> str:
    rest = v & M32
    parts = []
    if rest & abi.STATX_BASIC_STATS == abi.STATX_BASIC_STATS:
        parts.append("STATX_BASIC_STATS")
        rest &= ~abi.STATX_BASIC_STATS
    tail = flags(rest, abi.STATX_MASK_NAMES, "")
    if tail:
        parts.append(tail)
    return "|".join(parts) or "0"


def fmt_timespec(k, addr, t64):
    if addr == 0:
        return "NULL"
    raw = _read(k, addr, 16 if t64 else 8)
    if raw is None:
        return ptr(addr)
    sec, nsec = struct.unpack(">qq" if t64 else ">ii", raw)
    if t64:
        nsec = s32(nsec)
    return f"{{tv_sec={sec}, tv_nsec={nsec}}}"


def fmt_timeval(k, addr):
    if addr == 0:
        return "NULL"
    raw = _read(k, addr, 8)
    if raw is None:
        return ptr(addr)
    sec, usec = struct.unpack(">ii", raw)
    return f"{{tv_sec={sec}, tv_usec={usec}}}"


def fmt_sigaction(k, addr):
    if addr == 0:
        return "NULL"
    raw = _read(k, addr, 16)
    if raw is None:
        return ptr(addr)
    h, fl, lo, hi = struct.unpack(">IIII", raw)
    hs = {0: "SIG_DFL", 1: "SIG_IGN"}.get(h, f"{h:#x}")
    return f"{{sa_handler={hs}, sa_mask={sigset(lo | hi << 32)}, " \
           f"sa_flags={flags(fl, abi.SA_FLAG_NAMES)}}}"


def fmt_sigset(k, addr):
    if addr == 0:
        return "NULL"
    raw = _read(k, addr, 8)
    if raw is None:
        return ptr(addr)
    lo, hi = struct.unpack(">II", raw)
    return sigset(lo | hi << 32)


def fmt_rlimit(k, addr, wide):
    if addr == 0:
        return "NULL"
    raw = _read(k, addr, 16 if wide else 8)
    if raw is None:
        return ptr(addr)
    cur, mx = struct.unpack(">QQ" if wide else ">II", raw)
    inf = abi.RLIM64_INFINITY if wide else abi.RLIM_INFINITY32
    return f"{{rlim_cur={rlim(cur, inf)}, rlim_max={rlim(mx, inf)}}}"


def fmt_utsname(k, addr):
    raw = _read(k, addr, abi.UTSNAME_SIZE)
    if raw is None:
        return ptr(addr)
    f = [raw[i * 65:(i + 1) * 65].split(b"\0", 1)[0] for i in range(6)]
    return (f"{{sysname={quote(f[0], None)}, nodename={quote(f[1], None)}, "
            f"release={quote(f[2], None)}, version={quote(f[3], None)}, "
            f"machine={quote(f[4], None)}, domainname={quote(f[5], None)}}}")


def fmt_iovec(k, addr, cnt, total=None):
    if not 0 <= cnt <= abi.IOV_MAX:
        return ptr(addr)
    raw = _read(k, addr, 8 * cnt)
    if raw is None:
        return ptr(addr)
    parts = []
    left = total
    for i in range(cnt):
        base, length = struct.unpack_from(">II", raw, 8 * i)
        show = length if left is None else max(0, min(length, left))
        data = _read(k, base, min(show, STRSIZE + 1))
        b = quote(data, STRSIZE, cut=show > STRSIZE) if data is not None else ptr(base)
        parts.append(f"{{iov_base={b}, iov_len={length}}}")
        if left is not None:
            left -= show
        if len(parts) >= 32:
            parts.append("...")
            break
    return "[" + ", ".join(parts) + "]"


def fmt_pollfd(k, addr, n, revents=False):
    if n > 64 or n < 0:
        return ptr(addr)
    raw = _read(k, addr, 8 * n)
    if raw is None:
        return ptr(addr)
    parts = []
    for i in range(n):
        fd, ev, rev = struct.unpack_from(">ihh", raw, 8 * i)
        if revents:
            if rev:
                parts.append(f"{{fd={fd}, revents={flags(rev & 0xFFFF, abi.POLL_NAMES)}}}")
        else:
            parts.append(f"{{fd={fd}, events={flags(ev & 0xFFFF, abi.POLL_NAMES)}}}")
    return "[" + ", ".join(parts) + "]"


def fmt_pipefd(k, addr):
    raw = _read(k, addr, 8)
    if raw is None:
        return ptr(addr)
    a, b = struct.unpack(">ii", raw)
    return f"[{a}, {b}]"


def fmt_fdset(k, addr, nfds):
    if addr == 0:
        return "NULL"
    nwords = (nfds + 31) // 32
    if nfds <= 0 or nfds > 1024:
        return ptr(addr)
    raw = _read(k, addr, 4 * nwords)
    if raw is None:
        return ptr(addr)
    words = struct.unpack(f">{nwords}I", raw)
    return "[" + " ".join(str(i) for i in range(nfds) if words[i // 32] >> (i % 32) & 1) + "]"


# ---------------------------------------------------------------------------------------
# one argument
# ---------------------------------------------------------------------------------------
_OUT_KINDS = {"outbuf", "outstr", "stat64", "statx", "timespec_out", "timespec64_out",
              "timeval_out", "sigaction_out", "sigset_out", "rlimit_out", "rlimit64_out",
              "utsname_out", "pipefd", "iovec_out", "dirents", "tms_out", "rusage_out",
              "sysinfo_out", "itimerval_out", "stack_t_out"}


def fmt_arg(k, sc, i, kind, v, args, result, done):
    """Format argument i of kind ``kind``; ``done``: the call has returned with ``result``."""
    ok = done and result is not None and 0 <= s32(result)
    if kind in ("timespec_out", "timespec64_out") and sc.name in (
            "nanosleep", "clock_nanosleep", "clock_nanosleep_time64"):
        # the remaining time is written only when the sleep was interrupted
        ok = done and result is not None and s32(result) in (
            -abi.EINTR, -abi.ERESTART_RESTARTBLOCK, -abi.ERESTARTNOHAND, -abi.ERESTARTSYS)
    if kind in _OUT_KINDS and not ok:
        if kind == "rlimit64_out" or kind == "sigaction_out" or kind == "sigset_out" or \
                kind == "stack_t_out":
            return "NULL" if v == 0 else ptr(v)
        return ptr(v)
    sv = s32(v)
    if kind in ("int", "pid", "off", "which_int"):
        return str(sv)
    if kind in ("uint", "size"):
        return str(v & M32)
    if kind == "hex":
        return f"{v & M32:#x}"
    if kind == "ptr":
        return ptr(v)
    if kind == "fd":
        return str(sv)
    if kind == "dirfd":
        return "AT_FDCWD" if sv == abi.AT_FDCWD else str(sv)
    if kind == "path":
        return _cstr(k, v)
    if kind == "str":
        return _cstr(k, v, STRSIZE)
    if kind == "inbuf":
        n = args[i + 1] & M32 if i + 1 < len(args) else 0
        data = _read(k, v, min(n, STRSIZE + 1))
        return quote(data, STRSIZE, cut=n > STRSIZE) if data is not None else ptr(v)
    if kind == "outbuf":
        n = s32(result)
        data = _read(k, v, min(n, STRSIZE + 1))
        return quote(data, STRSIZE, cut=n > STRSIZE, hexall=sc.name == "getrandom") \
            if data is not None else ptr(v)
    if kind == "outstr":
        n = s32(result)
        data = _read(k, v, n)
        if data is None:
            return ptr(v)
        if sc.name == "getcwd":
            return quote(data.rstrip(b"\0"), None)     # a path: never cut
        return quote(data, STRSIZE)
    if kind == "open_flags":
        if sc.name in ("dup3", "pipe2"):
            return flags(v, [n for n in abi.OPEN_FLAG_NAMES if n[0] in ("O_NONBLOCK", "O_DIRECT",
                                                                      "O_CLOEXEC")])
        return open_flags(v)
    if kind == "mode":
        if sc.name in ("open", "openat"):
            fl = args[i - 1] & M32
            if not fl & (abi.O_CREAT | abi.__O_TMPFILE):
                return None           # strace shows the mode only when it is used
        return mode(v)
    if kind == "offhex":
        return "0" if v == 0 else f"{v & M32:#x}"
    if kind == "access_mode":
        return "F_OK" if v == 0 else flags(v, [("R_OK", 4), ("W_OK", 2), ("X_OK", 1)])
    if kind == "prot":
        return flags(v, abi.PROT_NAMES, "PROT_NONE")
    if kind == "mmap_flags":
        t = abi.MAP_TYPE_NAMES.get(v & 3, f"{v & 3:#x}")
        rest = flags(v & ~3, abi.MAP_FLAG_NAMES, "")
        return t + ("|" + rest if rest else "")
    if kind == "msync_flags":
        return flags(v, [("MS_ASYNC", 2), ("MS_INVALIDATE", 4), ("MS_SYNC", 1)])
    if kind == "madv":
        return abi.MADV_NAMES.get(v, str(v))
    if kind == "at_flags":
        if sc.name == "statx":
            sync = {0: "AT_STATX_SYNC_AS_STAT", 0x2000: "AT_STATX_FORCE_SYNC",
                    0x4000: "AT_STATX_DONT_SYNC"}.get(v & 0x6000, "0x6000")
            rest = flags(v & ~0x6000, [n for n in abi.AT_FLAG_NAMES if n[1] not in (0x2000, 0x4000)], "")
            return sync + ("|" + rest if rest else "")
        if sc.name == "unlinkat":
            return flags(v, [("AT_REMOVEDIR", 0x200)])
        if sc.name in ("faccessat2",):
            return flags(v, [("AT_EACCESS", 0x200), ("AT_SYMLINK_NOFOLLOW", 0x100),
                             ("AT_EMPTY_PATH", 0x1000)])
        return flags(v, abi.AT_FLAG_NAMES)
    if kind == "statx_mask":
        return statx_mask(v)
    if kind == "whence":
        return abi.WHENCE_NAMES.get(sv, str(sv))
    if kind == "signum":
        return sig_name(sv) if 1 <= sv <= abi.NSIG else str(sv)
    if kind == "clockid":
        return abi.CLOCK_NAMES.get(sv, str(sv))
    if kind == "fcntl_cmd":
        return abi.FCNTL_CMD_NAMES.get(sv, str(sv))
    if kind == "fcntl_arg":
        cmd = s32(args[1])
        if cmd in (abi.F_GETFD, abi.F_GETFL, abi.F_GETOWN, abi.F_GETSIG, abi.F_GETLEASE,
                   abi.F_GETPIPE_SZ, abi.F_GET_SEALS):
            return None          # strace omits the unused third argument
        if cmd == abi.F_SETFD:
            return "FD_CLOEXEC" if v == 1 else str(v)
        if cmd == abi.F_SETFL:
            return open_flags(v)
        if cmd in (abi.F_DUPFD, abi.F_DUPFD_CLOEXEC, abi.F_SETOWN, abi.F_SETSIG):
            return str(sv)
        if cmd in (abi.F_GETLK, abi.F_SETLK, abi.F_SETLKW, abi.F_GETLK64, abi.F_SETLK64,
                   abi.F_SETLKW64, abi.F_OFD_GETLK, abi.F_OFD_SETLK, abi.F_OFD_SETLKW):
            wide = cmd not in (abi.F_GETLK, abi.F_SETLK, abi.F_SETLKW)
            fmt = abi.FLOCK64_FMT if wide else abi.FLOCK_FMT
            raw = _read(k, v, struct.calcsize(fmt))
            if raw is None:
                return ptr(v)
            lt, wh, st, ln, pid = struct.unpack(fmt, raw)
            out = (f"{{l_type={abi.LOCK_TYPE_NAMES.get(lt, str(lt))}, "
                   f"l_whence={abi.WHENCE_NAMES.get(wh, str(wh))}, l_start={st}, l_len={ln}")
            if cmd in (abi.F_GETLK, abi.F_GETLK64, abi.F_OFD_GETLK) and done:
                out += f", l_pid={pid}"
            return out + "}"
        return ptr(v)
    if kind == "ioctl_cmd":
        return abi.IOCTL_NAMES.get(v & M32, f"{v & M32:#x}")
    if kind == "sigprocmask_how":
        return abi.SIGPROCMASK_HOW_NAMES.get(v, str(v))
    if kind in ("sigset", "sigset_out"):
        return fmt_sigset(k, v)
    if kind in ("sigaction", "sigaction_out"):
        return fmt_sigaction(k, v)
    if kind == "stat64":
        return fmt_stat64(k, v)
    if kind == "statx":
        return fmt_statx(k, v)
    if kind in ("timespec", "timespec_out"):
        return fmt_timespec(k, v, False)
    if kind in ("timespec64", "timespec64_out"):
        return fmt_timespec(k, v, True)
    if kind in ("timeval", "timeval_out"):
        return fmt_timeval(k, v)
    if kind == "rlimit_res":
        return abi.RLIMIT_NAMES[sv] if 0 <= sv < len(abi.RLIMIT_NAMES) else str(sv)
    if kind in ("rlimit", "rlimit_out"):
        return fmt_rlimit(k, v, False)
    if kind in ("rlimit64", "rlimit64_out"):
        return fmt_rlimit(k, v, True)
    if kind == "utsname_out":
        return fmt_utsname(k, v)
    if kind == "pipefd":
        return fmt_pipefd(k, v)
    if kind == "iovec_in":
        return fmt_iovec(k, v, s32(args[i + 1]))
    if kind == "iovec_out":
        return fmt_iovec(k, v, s32(args[i + 1]), s32(result))
    if kind == "pollfd":
        return fmt_pollfd(k, v, s32(args[i + 1]))
    if kind == "fdset":
        return fmt_fdset(k, v, s32(args[0]))
    if kind == "dirents":
        return f"{ptr(v)} /* {_count_dirents(k, v, s32(result))} entries */"
    if kind == "grnd_flags":
        return flags(v, [("GRND_NONBLOCK", 1), ("GRND_RANDOM", 2), ("GRND_INSECURE", 4)])
    if kind == "timer_flags":
        return flags(v, [("TIMER_ABSTIME", 1)])
    if kind == "futex_op":
        base = _FUTEX_OPS.get(v & 0x7F, str(v & 0x7F))
        if v & abi.FUTEX_PRIVATE_FLAG:
            base += "_PRIVATE"
        if v & abi.FUTEX_CLOCK_REALTIME:
            base += "|FUTEX_CLOCK_REALTIME"
        return base
    if kind == "prctl_option":
        return _PRCTL.get(v, str(v))
    if kind == "which":
        return abi.ITIMER_NAMES.get(sv, str(sv))
    if kind == "prio_which":
        return {0: "PRIO_PROCESS", 1: "PRIO_PGRP", 2: "PRIO_USER"}.get(sv, str(sv))
    if kind in ("itimerval", "itimerval_out"):
        raw = _read(k, v, 16) if v else None
        if raw is None:
            return ptr(v)
        a, b, c, d = struct.unpack(">iiii", raw)
        return f"{{it_interval={{tv_sec={a}, tv_usec={b}}}, it_value={{tv_sec={c}, tv_usec={d}}}}}"
    if kind in ("stack_t", "stack_t_out"):
        raw = _read(k, v, 12) if v else None
        if raw is None:
            return ptr(v)
        sp, fl, size = struct.unpack(abi.STACK_T_FMT, raw)
        fls = flags(fl, [("SS_ONSTACK", 1), ("SS_DISABLE", 2), ("SS_AUTODISARM", 1 << 31)])
        return f"{{ss_sp={ptr(sp)}, ss_flags={fls}, ss_size={size}}}"
    if kind == "tms_out":
        raw = _read(k, v, 16) if v else None
        if raw is None:
            return ptr(v)
        a, b, c, d = struct.unpack(">IIII", raw)
        return f"{{tms_utime={a}, tms_stime={b}, tms_cutime={c}, tms_cstime={d}}}"
    if kind in ("argv", "envp"):
        return fmt_strings(k, v, kind == "envp")
    if kind == "clone_flags":
        low = v & abi.CSIGNAL
        text = flags(v & ~abi.CSIGNAL, list(abi.CLONE_NAMES.items()), "")
        if low:
            text += ("|" if text else "") + sig_name(low)
        return text or "0"
    if kind == "wait_options":
        return flags(v, abi.WAIT_FLAG_NAMES)
    if kind == "wstatus_out":
        if not v:
            return "NULL"
        raw = _read(k, v, 4) if done and result is not None and s32(result) > 0 else None
        return fmt_wstatus(struct.unpack(">i", raw)[0]) if raw is not None else ptr(v)
    if kind in ("rusage_out", "sysinfo_out", "sigevent", "itimerspec", "timerid"):
        return ptr(v) if kind != "timerid" else str(sv)
    return f"{v & M32:#x}" if v & M32 > 0xFFFF else str(v & M32)


def fmt_strings(k, addr, count_only: bool) -> str:
    """argv as strace shows it (``["sh", "-c", ...]``), envp as a count."""
    if not addr:
        return "NULL"
    items = []
    for i in range(4096):
        raw = _read(k, addr + 4 * i, 4)
        if raw is None:
            return ptr(addr)
        p = struct.unpack(">I", raw)[0]
        if p == 0:
            break
        items.append(p)
    if count_only:
        return f"{ptr(addr)} /* {len(items)} var{'s' if len(items) != 1 else ''} */"
    shown = [_cstr(k, p, STRSIZE) for p in items[:32]]
    return "[" + ", ".join(shown) + (", ..." if len(items) > 32 else "") + "]"


def fmt_wstatus(st: int) -> str:
    """A wait status the way strace decodes it."""
    sig = st & 0x7F
    if sig == 0:
        return f"[{{WIFEXITED(s) && WEXITSTATUS(s) == {(st >> 8) & 0xFF}}}]"
    if st & 0xFFFF == 0xFFFF:
        return "[{WIFCONTINUED(s)}]"
    if sig == 0x7F:
        return f"[{{WIFSTOPPED(s) && WSTOPSIG(s) == {sig_name((st >> 8) & 0xFF)}}}]"
    core = " && WCOREDUMP(s)" if st & 0x80 else ""
    return f"[{{WIFSIGNALED(s) && WTERMSIG(s) == {sig_name(sig)}{core}}}]"


def _count_dirents(k, addr, n):
    cnt = 0
    pos = 0
    while 0 <= pos < n:
        raw = _read(k, addr + pos + 16, 2)
        if raw is None:
            break
        reclen = struct.unpack(">H", raw)[0]
        if reclen == 0:
            break
        pos += reclen
        cnt += 1
    return cnt


# ---------------------------------------------------------------------------------------
# whole lines
# ---------------------------------------------------------------------------------------
def _args_text(k, sc, args, result, done):
    parts = []
    for i, (spec, v) in enumerate(zip(sc.args, args)):
        kind = spec.split(":", 1)[1] if ":" in spec else "int"
        try:
            s = fmt_arg(k, sc, i, kind, v, args, result, done)
        except Exception:
            s = ptr(v)
        if s is None:
            continue
        parts.append(s)
    return ", ".join(parts)


def format_call(k, sc, args) -> str:
    special = _special_call(k, sc, args, None, False)
    if special is not None:
        return special
    return f"{sc.name}({_args_text(k, sc, args, None, False)})"


def format_result(k, sc, args, result) -> str:
    r = s32(result)
    if -4095 <= r < 0:
        e = -r
        name = abi.ERRNO_NAMES.get(e)
        if e in (abi.ERESTARTSYS, abi.ERESTARTNOINTR, abi.ERESTARTNOHAND,
                 abi.ERESTART_RESTARTBLOCK):
            msg = {abi.ERESTARTSYS: "To be restarted if SA_RESTART is set",
                   abi.ERESTARTNOINTR: "To be restarted",
                   abi.ERESTARTNOHAND: "To be restarted if no handler",
                   abi.ERESTART_RESTARTBLOCK: "Interrupted by signal"}[e]
            return f"? {name} ({msg})"
        if name is None:
            return f"-1 errno {e} (Unknown error {e})"
        return f"-1 {name} ({abi.errno_message(e)})"
    if sc.ret == "hex":
        return f"{result & M32:#x}"
    if sc.ret == "octal":
        return f"0{r:o}" if r else "0"
    if sc.name in ("rt_sigreturn",):
        return str(r)
    if sc.name == "fcntl" or sc.name == "fcntl64":
        cmd = s32(args[1])
        if cmd == abi.F_GETFD:
            return "0x1 (flags FD_CLOEXEC)" if r == 1 else f"{r:#x}" if r else "0"
        if cmd == abi.F_GETFL:
            return f"{r:#x} (flags {open_flags(r)})"
    return str(r)


def align(call: str, result: str) -> str:
    """strace's layout: the "= result" part starts at column 40 when the call is short."""
    return (call + " ").ljust(40) + "= " + result


def _off64(hi, lo):
    v = ((hi & M32) << 32) | (lo & M32)
    return v - (1 << 64) if v & (1 << 63) else v


def _special_call(k, sc, args, result, done):
    """Calls whose strace rendering differs from their register arguments."""
    name = sc.name
    if name == "_llseek":
        fd, hi, lo, res, whence = args
        r = ptr(res)
        if done and s32(result) == 0:
            raw = _read(k, res, 8)
            if raw is not None:
                r = f"[{struct.unpack('>q', raw)[0]}]"
        return (f"_llseek({s32(fd)}, {_off64(hi, lo)}, {r}, "
                f"{abi.WHENCE_NAMES.get(s32(whence), str(s32(whence)))})")
    if name in ("pread64", "pwrite64"):
        fd, buf, count, hi, lo = args
        spec = "outbuf" if name == "pread64" else "inbuf"
        b = fmt_arg(k, sc, 1, spec, buf, args, result, done)
        return f"{name}({s32(fd)}, {b}, {count & M32}, {_off64(hi, lo)})"
    if name in ("truncate64", "ftruncate64"):
        first = _cstr(k, args[0]) if name == "truncate64" else str(s32(args[0]))
        return f"{name}({first}, {_off64(args[1], args[2])})"
    return None


def format_line(k, sc, args, result, pre=None) -> str:
    special = _special_call(k, sc, args, result, True)
    if special is not None:
        return align(special, format_result(k, sc, args, result))
    if sc.name == "rt_sigreturn":
        return align(f"rt_sigreturn({{mask={sigset(k.signals.blocked)}}})",
                     format_result(k, sc, args, result))
    if sc.name in ("execve", "execveat") and pre is not None:
        return align(pre, format_result(k, sc, args, result))   # the old memory is gone
    return align(f"{sc.name}({_args_text(k, sc, args, result, True)})",
                 format_result(k, sc, args, result))


def format_unknown(k, nr, name, raw, result) -> str:
    shown = name if not name.startswith("syscall_") else f"syscall_{nr:#x}"
    return align(f"{shown}({', '.join(f'{a:#x}' for a in raw)})",
                 f"-1 ENOSYS ({abi.errno_message(abi.ENOSYS)})")
