"""Name-space operations: mkdir/unlink/rename/link/symlink, chmod/chown, times, truncate,
cwd, umask, sync, mknod, sendfile/copy_file_range."""
from __future__ import annotations

import ctypes
import os
import stat as statmod
import struct
import time

from kernel_model import abi
from kernel_model.errors import SyscallError
from kernel_model.fdtable import OpenFile
from kernel_model.syscalls.common import (M32, NSEC, at_args, guest_path, read_timespec,
                                          sandbox_check, sandbox_check_fd)
from kernel_model.syscalls.fs import host_write
from kernel_model.syscalls.registry import syscall


def _p(k, dirfd, addr, allow_empty=False):
    path = guest_path(k, addr, allow_empty)
    kw = at_args(k, dirfd, path)
    return path, kw


# -- directories ------------------------------------------------------------------------
def do_mkdir(k, dirfd, addr, mode):
    path, kw = _p(k, dirfd, addr)
    sandbox_check(k, path, dirfd, kw)
    os.mkdir(path, mode & 0o7777, **kw)
    return 0


@syscall(39, "mkdir", "pathname:path", "mode:mode")
def sys_mkdir(k, path, mode):
    return do_mkdir(k, abi.AT_FDCWD, path, mode)


@syscall(276, "mkdirat", "dirfd:dirfd", "pathname:path", "mode:mode")
def sys_mkdirat(k, dirfd, path, mode):
    return do_mkdir(k, dirfd, path, mode)


@syscall(40, "rmdir", "pathname:path")
def sys_rmdir(k, addr):
    path, kw = _p(k, abi.AT_FDCWD, addr)
    sandbox_check(k, path, abi.AT_FDCWD, kw)
    os.rmdir(path, **kw)
    return 0


def do_unlink(k, dirfd, addr, flags):
    if flags & ~abi.AT_REMOVEDIR:
        return -abi.EINVAL
    path, kw = _p(k, dirfd, addr)
    sandbox_check(k, path, dirfd, kw)
    if flags & abi.AT_REMOVEDIR:
        os.rmdir(path, **kw)
    else:
        os.unlink(path, **kw)
    return 0


@syscall(10, "unlink", "pathname:path")
def sys_unlink(k, path):
    return do_unlink(k, abi.AT_FDCWD, path, 0)


@syscall(281, "unlinkat", "dirfd:dirfd", "pathname:path", "flags:at_flags")
def sys_unlinkat(k, dirfd, path, flags):
    return do_unlink(k, dirfd, path, flags)


_libc = None


def _host_renameat2(olddir, old, newdir, new, flags):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    r = _libc.renameat2(ctypes.c_int(olddir), ctypes.c_char_p(old), ctypes.c_int(newdir),
                        ctypes.c_char_p(new), ctypes.c_uint(flags))
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def do_rename(k, olddir, oldaddr, newdir, newaddr, flags=0):
    if flags & ~(abi.RENAME_NOREPLACE | abi.RENAME_EXCHANGE | abi.RENAME_WHITEOUT):
        return -abi.EINVAL
    if flags & abi.RENAME_NOREPLACE and flags & abi.RENAME_EXCHANGE:
        return -abi.EINVAL
    old, okw = _p(k, olddir, oldaddr)
    new, nkw = _p(k, newdir, newaddr)
    sandbox_check(k, old, olddir, okw)
    sandbox_check(k, new, newdir, nkw)
    if flags:
        hod = okw.get("dir_fd", -100)
        hnd = nkw.get("dir_fd", -100)
        _host_renameat2(hod, old, hnd, new, flags)
        return 0
    os.rename(old, new, src_dir_fd=okw.get("dir_fd"), dst_dir_fd=nkw.get("dir_fd"))
    return 0


@syscall(38, "rename", "oldpath:path", "newpath:path")
def sys_rename(k, old, new):
    return do_rename(k, abi.AT_FDCWD, old, abi.AT_FDCWD, new)


@syscall(282, "renameat", "olddirfd:dirfd", "oldpath:path", "newdirfd:dirfd", "newpath:path")
def sys_renameat(k, od, old, nd, new):
    return do_rename(k, od, old, nd, new)


@syscall(337, "renameat2", "olddirfd:dirfd", "oldpath:path", "newdirfd:dirfd",
         "newpath:path", "flags:hex")
def sys_renameat2(k, od, old, nd, new, flags):
    return do_rename(k, od, old, nd, new, flags)


def do_link(k, olddir, oldaddr, newdir, newaddr, flags):
    if flags & ~(abi.AT_SYMLINK_FOLLOW | abi.AT_EMPTY_PATH):
        return -abi.EINVAL
    old, okw = _p(k, olddir, oldaddr, allow_empty=bool(flags & abi.AT_EMPTY_PATH))
    new, nkw = _p(k, newdir, newaddr)
    sandbox_check(k, new, newdir, nkw)
    if old == b"":
        return -abi.ENOENT
    os.link(old, new, src_dir_fd=okw.get("dir_fd"), dst_dir_fd=nkw.get("dir_fd"),
            follow_symlinks=bool(flags & abi.AT_SYMLINK_FOLLOW))
    return 0


@syscall(9, "link", "oldpath:path", "newpath:path")
def sys_link(k, old, new):
    return do_link(k, abi.AT_FDCWD, old, abi.AT_FDCWD, new, 0)


@syscall(283, "linkat", "olddirfd:dirfd", "oldpath:path", "newdirfd:dirfd", "newpath:path",
         "flags:at_flags")
def sys_linkat(k, od, old, nd, new, flags):
    return do_link(k, od, old, nd, new, flags)


def do_symlink(k, target_addr, newdir, newaddr):
    target = guest_path(k, target_addr)
    new, nkw = _p(k, newdir, newaddr)
    sandbox_check(k, new, newdir, nkw)
    os.symlink(target, new, **nkw)
    return 0


@syscall(83, "symlink", "target:path", "linkpath:path")
def sys_symlink(k, target, new):
    return do_symlink(k, target, abi.AT_FDCWD, new)


@syscall(284, "symlinkat", "target:path", "newdirfd:dirfd", "linkpath:path")
def sys_symlinkat(k, target, nd, new):
    return do_symlink(k, target, nd, new)


def do_mknod(k, dirfd, addr, mode, dev):
    path, kw = _p(k, dirfd, addr)
    fmt = statmod.S_IFMT(mode)
    if fmt not in (0, statmod.S_IFREG, statmod.S_IFIFO, statmod.S_IFSOCK, statmod.S_IFCHR,
                   statmod.S_IFBLK):
        return -abi.EINVAL
    if fmt in (statmod.S_IFCHR, statmod.S_IFBLK):
        return -abi.EPERM     # device nodes are never created on the host
    sandbox_check(k, path, dirfd, kw)
    os.mknod(path, (mode & 0o7777) | (fmt or statmod.S_IFREG), 0, **kw)
    return 0


@syscall(14, "mknod", "pathname:path", "mode:mode", "dev:hex")
def sys_mknod(k, path, mode, dev):
    return do_mknod(k, abi.AT_FDCWD, path, mode, dev)


@syscall(277, "mknodat", "dirfd:dirfd", "pathname:path", "mode:mode", "dev:hex")
def sys_mknodat(k, dirfd, path, mode, dev):
    return do_mknod(k, dirfd, path, mode, dev)


# -- permissions and owners -----------------------------------------------------------------
def do_chmod(k, dirfd, addr, mode, flags=0):
    if flags & ~(abi.AT_SYMLINK_NOFOLLOW | abi.AT_EMPTY_PATH):
        return -abi.EINVAL
    path, kw = _p(k, dirfd, addr, allow_empty=bool(flags & abi.AT_EMPTY_PATH))
    if path == b"":
        return do_fchmod(k, dirfd, mode) if dirfd != abi.AT_FDCWD else -abi.ENOENT
    sandbox_check(k, path, dirfd, kw)
    if flags & abi.AT_SYMLINK_NOFOLLOW:
        st = os.stat(path, follow_symlinks=False, **kw)
        if statmod.S_ISLNK(st.st_mode):
            return -abi.EOPNOTSUPP
    os.chmod(path, mode & 0o7777, **kw)
    return 0


def do_fchmod(k, fd, mode):
    of = k.files.get(fd)
    if of.flags & abi.O_PATH:
        return -abi.EBADF
    sandbox_check_fd(k, of)
    os.fchmod(of.host_fd, mode & 0o7777)
    return 0


@syscall(15, "chmod", "pathname:path", "mode:mode")
def sys_chmod(k, path, mode):
    return do_chmod(k, abi.AT_FDCWD, path, mode)


@syscall(94, "fchmod", "fd:fd", "mode:mode")
def sys_fchmod(k, fd, mode):
    return do_fchmod(k, fd, mode)


@syscall(286, "fchmodat", "dirfd:dirfd", "pathname:path", "mode:mode")
def sys_fchmodat(k, dirfd, path, mode):
    return do_chmod(k, dirfd, path, mode)


@syscall(452, "fchmodat2", "dirfd:dirfd", "pathname:path", "mode:mode", "flags:at_flags")
def sys_fchmodat2(k, dirfd, path, mode, flags):
    return do_chmod(k, dirfd, path, mode, flags)


def _id(v: int) -> int:
    return -1 if v & M32 == M32 else v & M32


def do_chown(k, dirfd, addr, uid, gid, flags):
    if flags & ~(abi.AT_SYMLINK_NOFOLLOW | abi.AT_EMPTY_PATH):
        return -abi.EINVAL
    path, kw = _p(k, dirfd, addr, allow_empty=bool(flags & abi.AT_EMPTY_PATH))
    if path == b"":
        return do_fchown(k, dirfd, uid, gid) if dirfd != abi.AT_FDCWD else -abi.ENOENT
    sandbox_check(k, path, dirfd, kw)
    os.chown(path, _id(uid), _id(gid), follow_symlinks=not flags & abi.AT_SYMLINK_NOFOLLOW, **kw)
    return 0


def do_fchown(k, fd, uid, gid):
    of = k.files.get(fd)
    if of.flags & abi.O_PATH:
        return -abi.EBADF
    sandbox_check_fd(k, of)
    os.fchown(of.host_fd, _id(uid), _id(gid))
    return 0


@syscall(180, "chown", "pathname:path", "owner:uint", "group:uint")
def sys_chown(k, path, uid, gid):
    return do_chown(k, abi.AT_FDCWD, path, uid, gid, 0)


@syscall(16, "lchown", "pathname:path", "owner:uint", "group:uint")
def sys_lchown(k, path, uid, gid):
    return do_chown(k, abi.AT_FDCWD, path, uid, gid, abi.AT_SYMLINK_NOFOLLOW)


@syscall(95, "fchown", "fd:fd", "owner:uint", "group:uint")
def sys_fchown(k, fd, uid, gid):
    return do_fchown(k, fd, uid, gid)


@syscall(278, "fchownat", "dirfd:dirfd", "pathname:path", "owner:uint", "group:uint",
         "flags:at_flags")
def sys_fchownat(k, dirfd, path, uid, gid, flags):
    return do_chown(k, dirfd, path, uid, gid, flags)


# -- times ----------------------------------------------------------------------------------------
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2


def _apply_utimes(k, dirfd, path, kw, times, follow, of=None):
    """times: None (now) or [(sec, nsec) | 'now' | 'omit'] * 2."""
    if times is not None and times[0] == "omit" and times[1] == "omit":
        return 0
    target = of.host_fd if of is not None else path
    if of is not None:
        sandbox_check_fd(k, of)
    else:
        sandbox_check(k, path, dirfd, kw)
    if times is None:
        if of is not None:
            os.utime(target)
        else:
            os.utime(target, follow_symlinks=follow, **kw)
        return 0
    cur = os.stat(target) if of is not None else os.stat(target, follow_symlinks=follow, **kw)
    now = time.time_ns()
    ns = []
    for i, t in enumerate(times):
        if t == "now":
            ns.append(now)
        elif t == "omit":
            ns.append(cur.st_atime_ns if i == 0 else cur.st_mtime_ns)
        else:
            ns.append(t[0] * NSEC + t[1])
    if of is not None:
        os.utime(target, ns=tuple(ns))
    else:
        os.utime(target, ns=tuple(ns), follow_symlinks=follow, **kw)
    return 0


def _read_utimens(k, addr, t64):
    if addr == 0:
        return None
    out = []
    for i in range(2):
        sec, nsec = read_timespec(k, addr + i * (16 if t64 else 8), t64)
        if nsec == UTIME_NOW:
            out.append("now")
        elif nsec == UTIME_OMIT:
            out.append("omit")
        elif not 0 <= nsec < NSEC:
            raise SyscallError(abi.EINVAL)
        else:
            out.append((sec, nsec))
    return out


def do_utimensat(k, dirfd, path_addr, times_addr, flags, t64):
    if flags & ~(abi.AT_SYMLINK_NOFOLLOW | abi.AT_EMPTY_PATH):
        return -abi.EINVAL
    times = _read_utimens(k, times_addr, t64)
    follow = not flags & abi.AT_SYMLINK_NOFOLLOW
    if path_addr == 0:
        if dirfd == abi.AT_FDCWD:
            return -abi.EFAULT
        return _apply_utimes(k, dirfd, None, {}, times, True, of=k.files.get(dirfd))
    path, kw = _p(k, dirfd, path_addr, allow_empty=bool(flags & abi.AT_EMPTY_PATH))
    if path == b"":
        if dirfd == abi.AT_FDCWD:
            return _apply_utimes(k, dirfd, b".", {}, times, follow)
        return _apply_utimes(k, dirfd, None, {}, times, True, of=k.files.get(dirfd))
    return _apply_utimes(k, dirfd, path, kw, times, follow)


@syscall(301, "utimensat", "dirfd:dirfd", "pathname:path", "times:ptr", "flags:at_flags")
def sys_utimensat(k, dirfd, path, times, flags):
    return do_utimensat(k, dirfd, path, times, flags, False)


@syscall(412, "utimensat_time64", "dirfd:dirfd", "pathname:path", "times:ptr", "flags:at_flags")
def sys_utimensat_time64(k, dirfd, path, times, flags):
    return do_utimensat(k, dirfd, path, times, flags, True)


def _read_timevals(k, addr):
    if addr == 0:
        return None
    a, au, m, mu = struct.unpack(">iiii", k.mem.read(addr, 16))
    if not (0 <= au < 1_000_000 and 0 <= mu < 1_000_000):
        raise SyscallError(abi.EINVAL)
    return [(a, au * 1000), (m, mu * 1000)]


@syscall(336, "utimes", "filename:path", "times:ptr")
def sys_utimes(k, path_addr, times):
    path, kw = _p(k, abi.AT_FDCWD, path_addr)
    return _apply_utimes(k, abi.AT_FDCWD, path, kw, _read_timevals(k, times), True)


@syscall(279, "futimesat", "dirfd:dirfd", "pathname:path", "times:ptr")
def sys_futimesat(k, dirfd, path_addr, times):
    tv = _read_timevals(k, times)
    if path_addr == 0:
        return _apply_utimes(k, dirfd, None, {}, tv, True, of=k.files.get(dirfd))
    path, kw = _p(k, dirfd, path_addr)
    return _apply_utimes(k, dirfd, path, kw, tv, True)


@syscall(30, "utime", "filename:path", "times:ptr")
def sys_utime(k, path_addr, times):
    path, kw = _p(k, abi.AT_FDCWD, path_addr)
    tv = None
    if times:
        a, m = struct.unpack(">ii", k.mem.read(times, 8))
        tv = [(a, 0), (m, 0)]
    return _apply_utimes(k, abi.AT_FDCWD, path, kw, tv, True)


# -- sizes ---------------------------------------------------------------------------------------
def _truncate_path(k, addr, length):
    if length < 0:
        return -abi.EINVAL
    path, kw = _p(k, abi.AT_FDCWD, addr)
    sandbox_check(k, path, abi.AT_FDCWD, kw)
    st = os.stat(path)
    if statmod.S_ISDIR(st.st_mode):
        return -abi.EISDIR
    os.truncate(path, length)
    return 0


def _truncate_fd(k, fd, length):
    if length < 0:
        return -abi.EINVAL
    of = k.files.get(fd)
    if of.kind != "file" or of.flags & abi.O_ACCMODE == abi.O_RDONLY:
        return -abi.EINVAL if of.kind != "file" or of.owned else -abi.EBADF
    sandbox_check_fd(k, of)
    os.ftruncate(of.host_fd, length)
    return 0


@syscall(92, "truncate", "path:path", "length:off")
def sys_truncate(k, path, length):
    return _truncate_path(k, path, length)


@syscall(93, "ftruncate", "fd:fd", "length:off")
def sys_ftruncate(k, fd, length):
    return _truncate_fd(k, fd, length)


def _off64(hi, lo):
    v = ((hi & M32) << 32) | (lo & M32)
    return v - (1 << 64) if v & (1 << 63) else v


@syscall(199, "truncate64", "path:path", "len_hi:uint", "len_lo:uint")
def sys_truncate64(k, path, hi, lo):
    return _truncate_path(k, path, _off64(hi, lo))


@syscall(200, "ftruncate64", "fd:fd", "len_hi:uint", "len_lo:uint")
def sys_ftruncate64(k, fd, hi, lo):
    return _truncate_fd(k, fd, _off64(hi, lo))


@syscall(305, "fallocate", "fd:fd", "mode:int", "off_hi:uint", "off_lo:uint", "len_hi:uint",
         "len_lo:uint")
def sys_fallocate(k, fd, mode, ohi, olo, lhi, llo):
    of = k.files.get(fd)
    off, length = _off64(ohi, olo), _off64(lhi, llo)
    if off < 0 or length <= 0:
        return -abi.EINVAL
    if mode != 0:
        return -abi.EOPNOTSUPP
    if of.flags & abi.O_ACCMODE == abi.O_RDONLY and of.owned:
        return -abi.EBADF
    if of.kind in ("pipe",):
        return -abi.ESPIPE
    if of.kind != "file":
        return -abi.ENODEV
    sandbox_check_fd(k, of)
    os.posix_fallocate(of.host_fd, off, length)
    return 0


@syscall(236, "fadvise64_64", "fd:fd", "off_hi:uint", "off_lo:uint", "len_hi:uint",
         "len_lo:uint", "advice:int")
def sys_fadvise64_64(k, fd, ohi, olo, lhi, llo, advice):
    of = k.files.get(fd)
    if of.kind == "pipe":
        return -abi.ESPIPE
    if not 0 <= advice <= 5 or _off64(lhi, llo) < 0:
        return -abi.EINVAL
    return 0


@syscall(207, "readahead", "fd:fd", "off_hi:uint", "off_lo:uint", "count:size")
def sys_readahead(k, fd, hi, lo, count):
    of = k.files.get(fd)
    if of.kind != "file":
        return -abi.EINVAL
    return 0


# -- cwd, umask, sync --------------------------------------------------------------------------
@syscall(110, "getcwd", "buf:outstr", "size:size")
def sys_getcwd(k, buf, size):
    cwd = os.fsencode(os.getcwd()) + b"\0"
    if size < len(cwd):
        return -abi.ERANGE
    k.mem.write(buf, cwd)
    return len(cwd)


@syscall(12, "chdir", "path:path")
def sys_chdir(k, addr):
    os.chdir(guest_path(k, addr))
    return 0


@syscall(133, "fchdir", "fd:fd")
def sys_fchdir(k, fd):
    of = k.files.get(fd)
    if of.kind != "dir":
        return -abi.ENOTDIR
    os.fchdir(of.host_fd)
    return 0


@syscall(61, "chroot", "path:path")
def sys_chroot(k, addr):
    guest_path(k, addr)
    return -abi.EPERM


@syscall(60, "umask", "mask:mode", ret="octal")
def sys_umask(k, mask):
    old = k.info.umask
    k.info.umask = mask & 0o777
    os.umask(k.info.umask)
    return old


@syscall(118, "fsync", "fd:fd")
def sys_fsync(k, fd):
    of = k.files.get(fd)
    if of.kind in ("pipe", "sock") or of.is_tty:
        return -abi.EINVAL
    if of.kind == "file":
        os.fsync(of.host_fd)
    return 0


@syscall(148, "fdatasync", "fd:fd")
def sys_fdatasync(k, fd):
    of = k.files.get(fd)
    if of.kind in ("pipe", "sock") or of.is_tty:
        return -abi.EINVAL
    if of.kind == "file":
        os.fdatasync(of.host_fd)
    return 0


@syscall(36, "sync")
def sys_sync(k):
    return 0


@syscall(327, "syncfs", "fd:fd")
def sys_syncfs(k, fd):
    k.files.get(fd)
    return 0


@syscall(292, "sync_file_range", "fd:fd", "off_hi:uint", "off_lo:uint", "n_hi:uint",
         "n_lo:uint", "flags:hex")
def sys_sync_file_range(k, fd, ohi, olo, nhi, nlo, flags):
    of = k.files.get(fd)
    if flags & ~7 or _off64(ohi, olo) < 0 or _off64(nhi, nlo) < 0:
        return -abi.EINVAL
    if of.kind == "pipe":
        return -abi.ESPIPE
    return 0


# -- copying between fds ------------------------------------------------------------------
def _copy(k, out_fd, in_fd, off_addr, count, wide):
    src = k.files.get(in_fd)
    dst = k.files.get(out_fd)
    if src.kind == "dir" or dst.kind == "dir":
        return -abi.EINVAL if src.kind == "dir" else -abi.EBADF
    count = min(count & M32, 0x7FFFF000, 1 << 24)
    if off_addr:
        if wide:
            off = struct.unpack(">q", k.mem.read(off_addr, 8))[0]
        else:
            off = k.mem.read_s32(off_addr)
        if off < 0:
            return -abi.EINVAL
        data = os.pread(src.host_fd, count, off)
    else:
        data = os.read(src.host_fd, count)
    if not data:
        return 0
    n = host_write(k, dst, data)
    if n < 0:
        return n
    if off_addr:
        if wide:
            k.mem.write(off_addr, struct.pack(">q", off + n))
        else:
            k.mem.write_u32(off_addr, off + n)
    elif n < len(data) and src.kind == "file":
        os.lseek(src.host_fd, n - len(data), os.SEEK_CUR)
    return n


@syscall(122, "sendfile", "out_fd:fd", "in_fd:fd", "offset:ptr", "count:size")
def sys_sendfile(k, out_fd, in_fd, off, count):
    return _copy(k, out_fd, in_fd, off, count, False)


@syscall(209, "sendfile64", "out_fd:fd", "in_fd:fd", "offset:ptr", "count:size")
def sys_sendfile64(k, out_fd, in_fd, off, count):
    return _copy(k, out_fd, in_fd, off, count, True)


@syscall(346, "copy_file_range", "fd_in:fd", "off_in:ptr", "fd_out:fd", "off_out:ptr",
         "len:size", "flags:hex")
def sys_copy_file_range(k, fd_in, off_in, fd_out, off_out, length, flags):
    if flags:
        return -abi.EINVAL
    src, dst = k.files.get(fd_in), k.files.get(fd_out)
    if src.kind != "file" or dst.kind != "file":
        return -abi.EINVAL
    sandbox_check_fd(k, dst)
    length = min(length & M32, 1 << 24)
    if off_in:
        oin = struct.unpack(">q", k.mem.read(off_in, 8))[0]
        data = os.pread(src.host_fd, length, oin)
    else:
        data = os.read(src.host_fd, length)
    if off_out:
        oout = struct.unpack(">q", k.mem.read(off_out, 8))[0]
        n = os.pwrite(dst.host_fd, data, oout) if data else 0
        k.mem.write(off_out, struct.pack(">q", oout + n))
    else:
        n = os.write(dst.host_fd, data) if data else 0
    if off_in:
        k.mem.write(off_in, struct.pack(">q", oin + n))
    return n


@syscall(340, "memfd_create", "name:str", "flags:hex")
def sys_memfd_create(k, name_addr, flags):
    name = k.mem.read_cstr(name_addr, 250)
    if len(name) > 249 or flags & ~0x7:
        return -abi.EINVAL
    hfl = os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if flags & 2 else 0)
    hfd = os.memfd_create(os.fsdecode(name) or "memfd", hfl)
    return k.files.add(OpenFile(hfd, b"/memfd:" + name, abi.O_RDWR | abi.O_LARGEFILE),
                       bool(flags & 1))

