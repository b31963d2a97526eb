"""Files: open/close, read/write and their vector/positional forms, seeking, dup, fcntl,
pipes, ioctl."""
from __future__ import annotations

import fcntl as hfcntl
import os
import stat
import struct
import termios
import time

from kernel_model import abi, procfs
from kernel_model.errors import SyscallError
from kernel_model.fdtable import OpenFile
from kernel_model.guestroot import lookup
from kernel_model.sched import Block
from kernel_model.syscalls.common import (M32, at_args, guest_path, rw_count, sandbox_check,
                                          wait_fd, writable_extent)
from kernel_model.syscalls.registry import syscall

_WRITE_FLAGS = abi.O_CREAT | abi.O_TRUNC | abi.O_APPEND


# ---------------------------------------------------------------------------------------
# open / close
# ---------------------------------------------------------------------------------------
def do_open(k, dirfd: int, path_addr: int, flags: int, mode: int) -> int:
    flags &= M32
    path = guest_path(k, path_addr)
    if flags & abi.__O_TMPFILE and not flags & abi.O_DIRECTORY:
        return -abi.EINVAL
    if flags & abi.O_TMPFILE == abi.O_TMPFILE and flags & abi.O_ACCMODE == abi.O_RDONLY:
        return -abi.EINVAL
    host_fd = procfs.open_special(k, path, flags)
    if host_fd is None:
        host = lookup(k, path)
        kw = at_args(k, dirfd, host)
        if flags & (abi.O_CREAT | abi.O_TRUNC | abi.__O_TMPFILE) or \
                flags & abi.O_ACCMODE in (abi.O_WRONLY, abi.O_RDWR):
            sandbox_check(k, host, dirfd, kw)
        hflags = abi.open_flags_to_host(flags) | os.O_CLOEXEC
        if flags & abi.O_ACCMODE == abi.O_WRONLY and not flags & abi.O_NONBLOCK \
                and _is_fifo(host, kw):
            host_fd = _open_fifo_writer(k, host, hflags, kw)
        else:
            host_fd = os.open(host, hflags, mode & 0o7777, **kw)
    cloexec = bool(flags & abi.O_CLOEXEC)
    return k.files.add(OpenFile(host_fd, path, flags), cloexec)


def poll_again(k, seconds: float) -> None:
    """Something the host cannot wait for (a FIFO's reader, a lock): sleep ``seconds``,
    then the handler tries again -- unless a signal ends the wait."""
    if k.signals.interrupted():
        raise SyscallError(abi.ERESTARTSYS)
    raise Block(deadline=time.monotonic() + seconds)


def _is_fifo(path, kw) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path, **kw).st_mode)
    except OSError:
        return False


def _open_fifo_writer(k, path, hflags, kw) -> int:
    """Opening a FIFO for writing waits for a reader (as Linux does), but interruptibly:
    a deliverable signal ends the wait with -ERESTARTSYS instead of hanging the emulator."""
    try:
        fd = os.open(path, hflags | os.O_NONBLOCK, **kw)
    except OSError as e:
        if e.errno != 6:              # ENXIO: no reader yet
            raise
        poll_again(k, 0.02)
    os.set_blocking(fd, True)
    return fd


@syscall(5, "open", "pathname:path", "flags:open_flags", "mode:mode")
def sys_open(k, path, flags, mode):
    return do_open(k, abi.AT_FDCWD, path, flags, mode)


@syscall(8, "creat", "pathname:path", "mode:mode")
def sys_creat(k, path, mode):
    return do_open(k, abi.AT_FDCWD, path, abi.O_CREAT | abi.O_WRONLY | abi.O_TRUNC, mode)


@syscall(275, "openat", "dirfd:dirfd", "pathname:path", "flags:open_flags", "mode:mode")
def sys_openat(k, dirfd, path, flags, mode):
    return do_open(k, dirfd, path, flags, mode)


@syscall(437, "openat2", "dirfd:dirfd", "pathname:path", "how:ptr", "size:size")
def sys_openat2(k, dirfd, path, how, size):
    if size < 24:
        return -abi.EINVAL
    flags, mode, resolve = struct.unpack(">QQQ", k.mem.read(how, 24))
    if size > 24 and any(k.mem.read(how + 24, min(size - 24, 4096))):
        return -abi.E2BIG
    if flags >> 32 or mode >> 12 or resolve:
        return -abi.EINVAL
    return do_open(k, dirfd, path, flags, mode)


@syscall(6, "close", "fd:fd")
def sys_close(k, fd):
    k.files.close(fd)
    return 0


@syscall(436, "close_range", "first:uint", "last:uint", "flags:hex")
def sys_close_range(k, first, last, flags):
    if flags & ~6 or first > last:
        return -abi.EINVAL
    for fd in sorted(k.files.fds):
        if first <= fd <= last:
            if flags & 4:                      # CLOSE_RANGE_CLOEXEC
                k.files.set_cloexec(fd, True)
            else:
                k.files.close(fd)
    return 0


# ---------------------------------------------------------------------------------------
# read / write
# ---------------------------------------------------------------------------------------
def _readable(of):
    if of.read_errno:
        raise SyscallError(of.read_errno)


def _writable(of):
    if of.write_errno:
        raise SyscallError(of.write_errno)


def host_write(k, of, data: bytes) -> int:
    """write(2) to a host fd. Writes to blocking pipes/ttys/sockets go in PIPE_BUF pieces
    after a readiness wait, so a full pipe blocks interruptibly (signals, Ctrl-C) and an
    interrupted write returns what was written, as Linux does."""
    try:
        if not of.may_block or not os.get_blocking(of.host_fd) or len(data) <= 4096:
            return os.write(of.host_fd, data)
        # a sleep in the middle resumes where it stopped: the guest's buffer is unchanged
        done = k.retry.state if k.retry is not None and k.retry.state else 0
        while done < len(data):
            try:
                wait_fd(k, of, write=True)
            except SyscallError:
                if done:
                    return done
                raise
            except Block as b:
                b.state = done
                raise
            done += os.write(of.host_fd, data[done:done + 4096])
        return done
    except BrokenPipeError:
        k.signals.send_user(abi.SIGPIPE, abi.SI_USER, k.thread)
        return -abi.EPIPE


def do_read(k, fd: int, buf: int, count: int) -> int:
    of = k.files.get(fd)
    _readable(of)
    n = writable_extent(k, buf, rw_count(count))
    if n == 0:
        return 0
    wait_fd(k, of)
    return k.mem.read_from_host(of.host_fd, buf, n)


@syscall(3, "read", "fd:fd", "buf:outbuf", "count:size")
def sys_read(k, fd, buf, count):
    return do_read(k, fd, buf, count)


@syscall(4, "write", "fd:fd", "buf:inbuf", "count:size")
def sys_write(k, fd, buf, count):
    of = k.files.get(fd)
    _writable(of)
    n = rw_count(count)
    data = k.mem.read(buf, n)
    if n == 0:
        return 0
    wait_fd(k, of, write=True)
    return host_write(k, of, data)


def read_iovec(k, iov: int, iovcnt: int) -> list[tuple[int, int]]:
    if iovcnt < 0 or iovcnt > abi.IOV_MAX:
        raise SyscallError(abi.EINVAL)
    if iovcnt == 0:
        return []
    raw = k.mem.read(iov, 8 * iovcnt)
    vec = [struct.unpack_from(">II", raw, 8 * i) for i in range(iovcnt)]
    total = 0
    for base, length in vec:
        if length & 0x80000000:
            raise SyscallError(abi.EINVAL)
        total += length
        if total > 0x7FFFFFFF:
            raise SyscallError(abi.EINVAL)
    return vec


def _scatter(k, vec, data: bytes) -> None:
    pos = 0
    for base, length in vec:
        if pos >= len(data):
            break
        chunk = data[pos:pos + length]
        k.mem.write(base, chunk)
        pos += len(chunk)


def _check_vec_writable(k, vec):
    for base, length in vec:
        k.mem.check(base, length, 2)


def _gather(k, vec) -> bytes:
    return b"".join(k.mem.read(base, length) for base, length in vec)


@syscall(145, "readv", "fd:fd", "iov:iovec_out", "iovcnt:int")
def sys_readv(k, fd, iov, iovcnt):
    of = k.files.get(fd)
    _readable(of)
    vec = read_iovec(k, iov, iovcnt)
    _check_vec_writable(k, vec)
    total = min(sum(length for _, length in vec), rw_count(M32))
    if total == 0:
        return 0
    wait_fd(k, of)
    data = os.read(of.host_fd, total)
    _scatter(k, vec, data)
    return len(data)


@syscall(146, "writev", "fd:fd", "iov:iovec_in", "iovcnt:int")
def sys_writev(k, fd, iov, iovcnt):
    of = k.files.get(fd)
    _writable(of)
    vec = read_iovec(k, iov, iovcnt)
    data = _gather(k, vec)
    if not data:
        return 0
    wait_fd(k, of, write=True)
    return host_write(k, of, data)


def _off64(hi: int, lo: int) -> int:
    v = ((hi & M32) << 32) | (lo & M32)
    return v - (1 << 64) if v & (1 << 63) else v


@syscall(108, "pread64", "fd:fd", "buf:outbuf", "count:size", "off_hi:uint", "off_lo:uint")
def sys_pread64(k, fd, buf, count, hi, lo):
    of = k.files.get(fd)
    _readable(of)
    off = _off64(hi, lo)
    if off < 0:
        return -abi.EINVAL
    n = writable_extent(k, buf, rw_count(count))
    if n == 0:
        return 0
    return k.mem.read_from_host(of.host_fd, buf, n, off)


@syscall(109, "pwrite64", "fd:fd", "buf:inbuf", "count:size", "off_hi:uint", "off_lo:uint")
def sys_pwrite64(k, fd, buf, count, hi, lo):
    of = k.files.get(fd)
    _writable(of)
    off = _off64(hi, lo)
    if off < 0:
        return -abi.EINVAL
    data = k.mem.read(buf, rw_count(count))
    try:
        return os.pwrite(of.host_fd, data, off)
    except BrokenPipeError:
        k.signals.send_user(abi.SIGPIPE, abi.SI_USER, k.thread)
        return -abi.EPIPE


def _preadv(k, fd, iov, iovcnt, pos_l, pos_h, flags=0):
    of = k.files.get(fd)
    _readable(of)
    if flags & ~0x1F:
        return -abi.EOPNOTSUPP
    vec = read_iovec(k, iov, iovcnt)
    _check_vec_writable(k, vec)
    off = _off64(pos_h, pos_l)
    total = sum(length for _, length in vec)
    if off == -1:
        wait_fd(k, of)
        data = os.read(of.host_fd, total) if total else b""
    else:
        if off < 0:
            return -abi.EINVAL
        data = os.pread(of.host_fd, total, off) if total else b""
    _scatter(k, vec, data)
    return len(data)


def _pwritev(k, fd, iov, iovcnt, pos_l, pos_h, flags=0):
    of = k.files.get(fd)
    _writable(of)
    if flags & ~0x1F:
        return -abi.EOPNOTSUPP
    vec = read_iovec(k, iov, iovcnt)
    data = _gather(k, vec)
    off = _off64(pos_h, pos_l)
    if off == -1:
        return host_write(k, of, data) if data else 0
    if off < 0:
        return -abi.EINVAL
    return os.pwrite(of.host_fd, data, off) if data else 0


@syscall(315, "preadv", "fd:fd", "iov:iovec_out", "iovcnt:int", "pos_l:uint", "pos_h:uint")
def sys_preadv(k, fd, iov, iovcnt, pos_l, pos_h):
    return _preadv(k, fd, iov, iovcnt, pos_l, pos_h)


@syscall(316, "pwritev", "fd:fd", "iov:iovec_in", "iovcnt:int", "pos_l:uint", "pos_h:uint")
def sys_pwritev(k, fd, iov, iovcnt, pos_l, pos_h):
    return _pwritev(k, fd, iov, iovcnt, pos_l, pos_h)


@syscall(347, "preadv2", "fd:fd", "iov:iovec_out", "iovcnt:int", "pos_l:uint", "pos_h:uint",
         "flags:hex")
def sys_preadv2(k, fd, iov, iovcnt, pos_l, pos_h, flags):
    return _preadv(k, fd, iov, iovcnt, pos_l, pos_h, flags)


@syscall(348, "pwritev2", "fd:fd", "iov:iovec_in", "iovcnt:int", "pos_l:uint", "pos_h:uint",
         "flags:hex")
def sys_pwritev2(k, fd, iov, iovcnt, pos_l, pos_h, flags):
    return _pwritev(k, fd, iov, iovcnt, pos_l, pos_h, flags)


# ---------------------------------------------------------------------------------------
# seeking
# ---------------------------------------------------------------------------------------
def do_seek(of, off: int, whence: int) -> int:
    """lseek(2) on a description the caller has looked up (its EBADF comes first)."""
    if whence < 0 or whence > abi.SEEK_HOLE:
        return -abi.EINVAL
    if of.kind == "dir":
        if whence == abi.SEEK_SET:
            pos = off
        elif whence == abi.SEEK_CUR:
            pos = of.dir_pos + off
        else:
            return -abi.EINVAL
        if pos < 0:
            return -abi.EINVAL
        if pos == 0:
            of.dir_entries = None      # rewinddir: list afresh
        of.dir_pos = pos
        return pos
    if of.kind in ("pipe", "sock") or of.is_tty:
        return -abi.ESPIPE
    return os.lseek(of.host_fd, off, whence)


@syscall(19, "lseek", "fd:fd", "offset:off", "whence:whence")
def sys_lseek(k, fd, off, whence):
    pos = do_seek(k.files.get(fd), off, whence)
    if pos > 0x7FFFFFFF:
        return -abi.EOVERFLOW
    return pos


@syscall(140, "_llseek", "fd:fd", "offset_high:uint", "offset_low:uint", "result:ptr",
         "whence:whence")
def sys_llseek(k, fd, hi, lo, result, whence):
    of = k.files.get(fd)
    k.mem.check(result, 8, 2)
    pos = do_seek(of, _off64(hi, lo), whence)
    if pos < 0:
        return pos
    k.mem.write(result, struct.pack(">q", pos))
    return 0


# ---------------------------------------------------------------------------------------
# dup, pipes, fcntl
# ---------------------------------------------------------------------------------------
@syscall(41, "dup", "oldfd:fd")
def sys_dup(k, fd):
    return k.files.dup(fd)


@syscall(63, "dup2", "oldfd:fd", "newfd:fd")
def sys_dup2(k, old, new):
    k.files.get(old)
    if new < 0 or new >= k.files.limit:
        return -abi.EBADF
    return k.files.dup_to(old, new)


@syscall(312, "dup3", "oldfd:fd", "newfd:fd", "flags:open_flags")
def sys_dup3(k, old, new, flags):
    if flags & ~abi.O_CLOEXEC:
        return -abi.EINVAL
    if old == new:
        return -abi.EINVAL
    k.files.get(old)
    if new < 0 or new >= k.files.limit:
        return -abi.EBADF
    return k.files.dup_to(old, new, bool(flags & abi.O_CLOEXEC))


def do_pipe(k, fds_addr: int, flags: int) -> int:
    if flags & ~(abi.O_CLOEXEC | abi.O_NONBLOCK | abi.O_DIRECT | 0x80000000 * 0):
        return -abi.EINVAL
    k.mem.check(fds_addr, 8, 2)
    hflags = os.O_CLOEXEC
    if flags & abi.O_NONBLOCK:
        hflags |= os.O_NONBLOCK
    if flags & abi.O_DIRECT:
        hflags |= os.O_DIRECT
    r, w = os.pipe2(hflags)
    cloexec = bool(flags & abi.O_CLOEXEC)
    st = flags & abi.O_NONBLOCK
    try:
        rfd = k.files.add(OpenFile(r, b"pipe:", abi.O_RDONLY | st), cloexec)
    except SyscallError:
        os.close(w)
        raise
    try:
        wfd = k.files.add(OpenFile(w, b"pipe:", abi.O_WRONLY | st), cloexec)
    except SyscallError:
        k.files.close(rfd)
        raise
    k.mem.write(fds_addr, struct.pack(">ii", rfd, wfd))
    return 0


@syscall(42, "pipe", "pipefd:pipefd")
def sys_pipe(k, fds):
    return do_pipe(k, fds, 0)


@syscall(313, "pipe2", "pipefd:pipefd", "flags:open_flags")
def sys_pipe2(k, fds, flags):
    return do_pipe(k, fds, flags)


_SETFL_MASK = abi.O_APPEND | abi.O_NONBLOCK | abi.O_ASYNC | abi.O_DIRECT | abi.O_NOATIME
_HOST_LOCK = {abi.F_RDLCK: hfcntl.F_RDLCK, abi.F_WRLCK: hfcntl.F_WRLCK, abi.F_UNLCK: hfcntl.F_UNLCK}
_GUEST_LOCK = {v: kk for kk, v in _HOST_LOCK.items()}
_HOST_FLOCK_FMT = "hhqqi4x"     # x86-64/aarch64 struct flock


def _do_lock(k, of, cmd: int, arg: int) -> int:
    wide = cmd in (abi.F_GETLK64, abi.F_SETLK64, abi.F_SETLKW64, abi.F_OFD_GETLK,
                   abi.F_OFD_SETLK, abi.F_OFD_SETLKW)
    fmt = abi.FLOCK64_FMT if wide else abi.FLOCK_FMT
    size = struct.calcsize(fmt)
    ltype, whence, start, length, pid = struct.unpack(fmt, k.mem.read(arg, size))
    if ltype not in _HOST_LOCK or whence not in (0, 1, 2):
        return -abi.EINVAL
    if cmd in (abi.F_OFD_GETLK, abi.F_OFD_SETLK, abi.F_OFD_SETLKW) and pid != 0:
        return -abi.EINVAL
    base = {abi.F_GETLK: hfcntl.F_GETLK, abi.F_SETLK: hfcntl.F_SETLK, abi.F_SETLKW: hfcntl.F_SETLKW,
            abi.F_GETLK64: hfcntl.F_GETLK, abi.F_SETLK64: hfcntl.F_SETLK,
            abi.F_SETLKW64: hfcntl.F_SETLKW, abi.F_OFD_GETLK: getattr(hfcntl, "F_OFD_GETLK", 36),
            abi.F_OFD_SETLK: getattr(hfcntl, "F_OFD_SETLK", 37),
            abi.F_OFD_SETLKW: getattr(hfcntl, "F_OFD_SETLKW", 38)}[cmd]
    if base in (hfcntl.F_SETLKW, getattr(hfcntl, "F_OFD_SETLKW", 38)):
        # never block the emulator forever: poll with the non-blocking form
        base = hfcntl.F_SETLK if base == hfcntl.F_SETLKW else getattr(hfcntl, "F_OFD_SETLK", 37)
        try:
            hfcntl.fcntl(of.host_fd, base, struct.pack(_HOST_FLOCK_FMT, _HOST_LOCK[ltype],
                                                       whence, start, length, 0))
            return 0
        except OSError as e:
            if e.errno not in (11, 13):
                raise
        poll_again(k, 0.01)
    res = hfcntl.fcntl(of.host_fd, base, struct.pack(_HOST_FLOCK_FMT, _HOST_LOCK[ltype], whence,
                                                     start, length, 0))
    if base in (hfcntl.F_GETLK, getattr(hfcntl, "F_OFD_GETLK", 36)):
        htype, hwhence, hstart, hlen, hpid = struct.unpack(_HOST_FLOCK_FMT, res)
        gtype = _GUEST_LOCK.get(htype, abi.F_UNLCK)
        if gtype == abi.F_UNLCK:
            hstart, hlen, hpid = start, length, pid
        if not wide and (hstart > 0x7FFFFFFF or hlen > 0x7FFFFFFF):
            return -abi.EOVERFLOW
        k.mem.write(arg, struct.pack(fmt, gtype, hwhence, hstart, hlen, hpid))
    return 0


def do_fcntl(k, fd: int, cmd: int, arg: int) -> int:
    files = k.files
    of = files.get(fd)
    if cmd in (abi.F_DUPFD, abi.F_DUPFD_CLOEXEC):
        if arg < 0 or arg >= files.limit:
            return -abi.EINVAL
        return files.dup(fd, arg, cmd == abi.F_DUPFD_CLOEXEC)
    if cmd == abi.F_GETFD:
        return abi.FD_CLOEXEC if files.cloexec(fd) else 0
    if cmd == abi.F_SETFD:
        files.set_cloexec(fd, arg & abi.FD_CLOEXEC)
        return 0
    if cmd == abi.F_GETFL:
        if of.flags & abi.O_PATH:
            return abi.O_PATH | (of.flags & abi.O_ACCMODE)
        try:
            host = hfcntl.fcntl(of.host_fd, hfcntl.F_GETFL)
        except OSError:
            return of.flags & ~(abi.O_CLOEXEC | abi.O_CREAT | abi.O_EXCL | abi.O_TRUNC | abi.O_NOCTTY)
        flags = abi.open_flags_from_host(host) & ~(abi.O_CLOEXEC | abi.O_CREAT | abi.O_EXCL
                                                   | abi.O_TRUNC | abi.O_NOCTTY | abi.O_NOFOLLOW
                                                   | abi.O_DIRECTORY)
        if not of.owned:      # the emulator's stdio: what the host says
            return flags
        return (flags & ~abi.O_ACCMODE) | (of.flags & abi.O_ACCMODE) | (of.flags & abi.O_LARGEFILE)
    if cmd == abi.F_SETFL:
        if of.flags & abi.O_PATH:
            return -abi.EBADF
        host = hfcntl.fcntl(of.host_fd, hfcntl.F_GETFL)
        keep = host & ~abi.open_flags_to_host(_SETFL_MASK)
        new = keep | abi.open_flags_to_host(arg & _SETFL_MASK)
        hfcntl.fcntl(of.host_fd, hfcntl.F_SETFL, new & ~os.O_CLOEXEC)
        return 0
    if cmd in (abi.F_GETLK, abi.F_SETLK, abi.F_SETLKW, abi.F_GETLK64, abi.F_SETLK64,
               abi.F_SETLKW64, abi.F_OFD_GETLK, abi.F_OFD_SETLK, abi.F_OFD_SETLKW):
        return _do_lock(k, of, cmd, arg)
    if cmd == abi.F_GETOWN:
        return 0
    if cmd in (abi.F_SETOWN, abi.F_SETSIG):
        return 0
    if cmd == abi.F_GETSIG:
        return 0
    if cmd == abi.F_GETOWN_EX:
        k.mem.write(arg, struct.pack(">ii", 0, 0))
        return 0
    if cmd == abi.F_SETOWN_EX:
        k.mem.read(arg, 8)
        return 0
    if cmd == abi.F_GETPIPE_SZ:
        if of.kind != "pipe":
            return -abi.EBADF
        return hfcntl.fcntl(of.host_fd, 1032)
    if cmd == abi.F_SETPIPE_SZ:
        if of.kind != "pipe":
            return -abi.EBADF
        return hfcntl.fcntl(of.host_fd, 1031, arg)
    if cmd in (abi.F_GETLEASE,):
        return 2   # F_UNLCK (generic numbering for leases)
    if cmd in (abi.F_SETLEASE, abi.F_NOTIFY):
        return -abi.EINVAL
    if cmd == abi.F_GET_SEALS:
        try:
            return hfcntl.fcntl(of.host_fd, 1034)
        except OSError:
            return -abi.EINVAL
    if cmd == abi.F_ADD_SEALS:
        return hfcntl.fcntl(of.host_fd, 1033, arg & 0x1F)
    return -abi.EINVAL


@syscall(55, "fcntl", "fd:fd", "cmd:fcntl_cmd", "arg:fcntl_arg")
def sys_fcntl(k, fd, cmd, arg):
    return do_fcntl(k, fd, cmd, arg)


@syscall(202, "fcntl64", "fd:fd", "cmd:fcntl_cmd", "arg:fcntl_arg")
def sys_fcntl64(k, fd, cmd, arg):
    return do_fcntl(k, fd, cmd, arg)


@syscall(143, "flock", "fd:fd", "operation:int")
def sys_flock(k, fd, op):
    of = k.files.get(fd)
    if op & ~(1 | 2 | 4 | 8) or (op & 0xB) not in (1, 2, 8):
        return -abi.EINVAL
    hop = {1: hfcntl.LOCK_SH, 2: hfcntl.LOCK_EX, 8: hfcntl.LOCK_UN}[op & 0xB]
    if op & 4 or hop == hfcntl.LOCK_UN:
        hfcntl.flock(of.host_fd, hop | (hfcntl.LOCK_NB if op & 4 else 0))
        return 0
    try:
        hfcntl.flock(of.host_fd, hop | hfcntl.LOCK_NB)
        return 0
    except BlockingIOError:
        poll_again(k, 0.01)


# ---------------------------------------------------------------------------------------
# ioctl
# ---------------------------------------------------------------------------------------
def _host_termios(of) -> bytes:
    """The host's kernel struct termios (36 bytes, native endianness)."""
    return hfcntl.ioctl(of.host_fd, termios.TCGETS, b"\0" * 36)


@syscall(54, "ioctl", "fd:fd", "request:ioctl_cmd", "arg:ptr")
def sys_ioctl(k, fd, req, arg):
    of = k.files.get(fd)
    if req in (abi.FIOCLEX, abi.FIONCLEX):
        k.files.set_cloexec(fd, req == abi.FIOCLEX)
        return 0
    if req == abi.FIONBIO:
        on = k.mem.read_u32(arg)
        os.set_blocking(of.host_fd, not on)
        return 0
    if req == abi.FIOASYNC:
        k.mem.read_u32(arg)
        return 0
    if req == abi.FIONREAD:
        if of.kind == "dir":
            return -abi.ENOTTY
        if of.kind == "file":
            st = os.fstat(of.host_fd)
            n = max(0, st.st_size - os.lseek(of.host_fd, 0, os.SEEK_CUR))
        else:
            n = struct.unpack("i", hfcntl.ioctl(of.host_fd, termios.FIONREAD, b"\0" * 4))[0]
        k.mem.write_u32(arg, min(n, 0x7FFFFFFF))
        return 0
    if not of.is_tty:
        return -abi.ENOTTY
    if req == abi.TCGETS:
        raw = _host_termios(of)
        i, o, c, l = struct.unpack("=IIII", raw[:16])
        k.mem.write(arg, struct.pack(abi.KTERMIOS_FMT, abi.iflag_from_host(i), o, c, l, raw[16],
                                     raw[17:36]))
        return 0
    if req in (abi.TCSETS, abi.TCSETSW, abi.TCSETSF):
        i, o, c, l, line, cc = struct.unpack(abi.KTERMIOS_FMT, k.mem.read(arg, abi.KTERMIOS_SIZE))
        raw = struct.pack("=IIII", abi.iflag_to_host(i), o, c, l) + bytes([line]) + cc
        hreq = {abi.TCSETS: termios.TCSETS, abi.TCSETSW: termios.TCSETSW,
                abi.TCSETSF: termios.TCSETSF}[req]
        hfcntl.ioctl(of.host_fd, hreq, raw)
        return 0
    if req == abi.TIOCGWINSZ:
        raw = hfcntl.ioctl(of.host_fd, termios.TIOCGWINSZ, b"\0" * 8)
        k.mem.write(arg, struct.pack(abi.WINSIZE_FMT, *struct.unpack("HHHH", raw)))
        return 0
    if req == abi.TIOCSWINSZ:
        vals = struct.unpack(abi.WINSIZE_FMT, k.mem.read(arg, 8))
        hfcntl.ioctl(of.host_fd, termios.TIOCSWINSZ, struct.pack("HHHH", *vals))
        return 0
    if req == abi.TIOCGPGRP:
        k.mem.write_u32(arg, os.tcgetpgrp(of.host_fd))
        return 0
    if req == abi.TIOCSPGRP:
        pg = k.mem.read_s32(arg)
        return 0 if pg == k.info.pgid else -abi.EPERM
    if req == abi.TIOCGSID:
        k.mem.write_u32(arg, k.info.sid)
        return 0
    if req in (abi.TCSBRK, abi.TCXONC, abi.TCFLSH):
        return 0
    if req == abi.TIOCOUTQ:
        k.mem.write_u32(arg, 0)
        return 0
    if req == abi.TIOCSCTTY:
        return -abi.EPERM
    return -abi.ENOTTY
