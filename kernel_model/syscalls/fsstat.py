"""File metadata: the stat family (parisc stat64 layout, statx), getdents64 with 32-bit-safe
offsets, readlink, access, statfs, xattrs (read-only)."""
from __future__ import annotations

import ctypes
import os
import struct

from kernel_model import abi, procfs
from kernel_model.errors import SyscallError
from kernel_model.fdtable import fold_ino, read_dir_entries
from kernel_model.guestroot import lookup
from kernel_model.syscalls.common import M32, at_args, guest_path
from kernel_model.syscalls.registry import syscall


def encode_dev(dev: int) -> int:
    """new_encode_dev() of a host dev_t (what a 32-bit kernel puts in st_dev/st_rdev)."""
    major, minor = os.major(dev), os.minor(dev)
    return ((minor & 0xFF) | ((major & 0xFFF) << 8) | ((minor & ~0xFF) << 12)) & M32


def _clamp32(v: int) -> int:
    return max(-(1 << 31), min(v, (1 << 31) - 1))


def pack_stat64(st: os.stat_result) -> bytes:
    return struct.pack(
        abi.STAT64_FMT,
        encode_dev(st.st_dev), 0, 0, st.st_mode & M32, min(st.st_nlink, M32), st.st_uid & M32,
        st.st_gid & M32, encode_dev(st.st_rdev), 0, st.st_size, st.st_blksize, st.st_blocks,
        _clamp32(int(st.st_atime_ns // 1_000_000_000)), st.st_atime_ns % 1_000_000_000,
        _clamp32(int(st.st_mtime_ns // 1_000_000_000)), st.st_mtime_ns % 1_000_000_000,
        _clamp32(int(st.st_ctime_ns // 1_000_000_000)), st.st_ctime_ns % 1_000_000_000,
        fold_ino(st.st_ino))


def do_stat(k, dirfd: int, path: bytes, follow: bool, empty_ok: bool = False):
    """os.stat for a guest (dirfd, path) with /proc/self interception."""
    if path == b"":
        if not empty_ok:
            raise SyscallError(abi.ENOENT)
        if dirfd == abi.AT_FDCWD:
            return os.stat(".")
        return os.fstat(k.files.get(dirfd).host_fd)
    target = procfs.stat_target(k, path)
    if target is not None:
        return os.stat(target) if follow or not path.endswith(b"/exe") else os.lstat(path)
    path = lookup(k, path)
    return os.stat(path, follow_symlinks=follow, **at_args(k, dirfd, path))


@syscall(101, "stat64", "pathname:path", "statbuf:stat64")
def sys_stat64(k, path, buf):
    st = do_stat(k, abi.AT_FDCWD, guest_path(k, path), True)
    k.mem.write(buf, pack_stat64(st))
    return 0


@syscall(198, "lstat64", "pathname:path", "statbuf:stat64")
def sys_lstat64(k, path, buf):
    st = do_stat(k, abi.AT_FDCWD, guest_path(k, path), False)
    k.mem.write(buf, pack_stat64(st))
    return 0


@syscall(112, "fstat64", "fd:fd", "statbuf:stat64")
def sys_fstat64(k, fd, buf):
    st = os.fstat(k.files.get(fd).host_fd)
    k.mem.write(buf, pack_stat64(st))
    return 0


@syscall(280, "fstatat64", "dirfd:dirfd", "pathname:path", "statbuf:stat64", "flags:at_flags")
def sys_fstatat64(k, dirfd, path, buf, flags):
    if flags & ~(abi.AT_SYMLINK_NOFOLLOW | abi.AT_NO_AUTOMOUNT | abi.AT_EMPTY_PATH):
        return -abi.EINVAL
    p = guest_path(k, path, allow_empty=bool(flags & abi.AT_EMPTY_PATH))
    st = do_stat(k, dirfd, p, not flags & abi.AT_SYMLINK_NOFOLLOW, bool(flags & abi.AT_EMPTY_PATH))
    k.mem.write(buf, pack_stat64(st))
    return 0


# -- old struct stat (parisc's HP-UX-like layout, 32-bit fields) --------------------------
_OLDSTAT_FMT = ">IIHHHHIiiIiIiIii16xHhIHHII12x"


def _pack_oldstat(st) -> bytes:
    ino = fold_ino(st.st_ino)
    if st.st_size > 0x7FFFFFFF or st.st_nlink > 0xFFFF or st.st_blocks > 0x7FFFFFFF:
        raise SyscallError(abi.EOVERFLOW)
    return struct.pack(_OLDSTAT_FMT, encode_dev(st.st_dev), ino, st.st_mode & 0xFFFF,
                       st.st_nlink, 0, 0, encode_dev(st.st_rdev), st.st_size,
                       _clamp32(int(st.st_atime)), st.st_atime_ns % 1_000_000_000,
                       _clamp32(int(st.st_mtime)), st.st_mtime_ns % 1_000_000_000,
                       _clamp32(int(st.st_ctime)), st.st_ctime_ns % 1_000_000_000,
                       st.st_blksize, st.st_blocks, 0, 0, 0, 0, 0, st.st_uid & M32,
                       st.st_gid & M32)


@syscall(18, "stat", "pathname:path", "statbuf:ptr")
def sys_stat(k, path, buf):
    k.mem.write(buf, _pack_oldstat(do_stat(k, abi.AT_FDCWD, guest_path(k, path), True)))
    return 0


@syscall(84, "lstat", "pathname:path", "statbuf:ptr")
def sys_lstat(k, path, buf):
    k.mem.write(buf, _pack_oldstat(do_stat(k, abi.AT_FDCWD, guest_path(k, path), False)))
    return 0


@syscall(28, "fstat", "fd:fd", "statbuf:ptr")
def sys_fstat(k, fd, buf):
    k.mem.write(buf, _pack_oldstat(os.fstat(k.files.get(fd).host_fd)))
    return 0


# -- statx ----------------------------------------------------------------------------------
_libc = None


def _host_statx(dirfd, path: bytes, flags: int, mask: int):
    """The host's raw struct statx (native byte order) or None if unavailable."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        fn = _libc.statx
    except (OSError, AttributeError):
        return None
    buf = ctypes.create_string_buffer(256)
    r = fn(ctypes.c_int(dirfd), ctypes.c_char_p(path), ctypes.c_int(flags),
           ctypes.c_uint(mask), buf)
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return buf.raw


_STATX_NATIVE = "=IIQIIIHHQQQQ" + "qI4x" * 4 + "IIII" + "QII"


def _statx_from_stat(st) -> bytes:
    def ts(ns):
        return (ns // 1_000_000_000, ns % 1_000_000_000)
    vals = [abi.STATX_BASIC_STATS, st.st_blksize, 0, st.st_nlink, st.st_uid, st.st_gid,
            st.st_mode, 0, st.st_ino, st.st_size, st.st_blocks, 0]
    for ns in (st.st_atime_ns, 0, st.st_ctime_ns, st.st_mtime_ns):
        vals += list(ts(ns))
    vals += [os.major(st.st_rdev), os.minor(st.st_rdev), os.major(st.st_dev), os.minor(st.st_dev),
             0, 0, 0]
    return struct.pack(_STATX_NATIVE, *vals).ljust(256, b"\0")


@syscall(349, "statx", "dirfd:dirfd", "pathname:path", "flags:at_flags", "mask:statx_mask",
         "statxbuf:statx")
def sys_statx(k, dirfd, path, flags, mask, buf):
    valid = (abi.AT_SYMLINK_NOFOLLOW | abi.AT_NO_AUTOMOUNT | abi.AT_EMPTY_PATH
             | abi.AT_STATX_SYNC_TYPE)
    if flags & ~valid or flags & abi.AT_STATX_SYNC_TYPE == abi.AT_STATX_SYNC_TYPE:
        return -abi.EINVAL
    if mask & abi.STATX__RESERVED:
        return -abi.EINVAL
    p = guest_path(k, path, allow_empty=bool(flags & abi.AT_EMPTY_PATH))
    k.mem.check(buf, abi.STATX_SIZE, 2)
    target = procfs.stat_target(k, p) if p else None
    raw = None
    if target is not None:
        raw = _statx_from_stat(os.stat(target))
    else:
        p = lookup(k, p)
        if p == b"":
            hdir = -100 if dirfd == abi.AT_FDCWD else k.files.get(dirfd).host_fd
        elif p.startswith(b"/") or dirfd == abi.AT_FDCWD:
            hdir = -100
        else:
            hdir = k.files.get(dirfd).host_fd
        hflags = 0
        if flags & abi.AT_SYMLINK_NOFOLLOW:
            hflags |= 0x100
        if flags & abi.AT_EMPTY_PATH:
            hflags |= 0x1000
        if flags & abi.AT_NO_AUTOMOUNT:
            hflags |= 0x800
        raw = _host_statx(hdir, p, hflags, mask & 0xFFF)
        if raw is None:
            raw = _statx_from_stat(do_stat(k, dirfd, p, not flags & abi.AT_SYMLINK_NOFOLLOW,
                                           bool(flags & abi.AT_EMPTY_PATH)))
    f = list(struct.unpack_from(_STATX_NATIVE, raw))
    f[8] = fold_ino(f[8])                    # stx_ino
    f[0] &= 0x3FFF                           # mask: only fields a 6.x kernel knows
    out = struct.pack(">IIQIIIHHQQQQ" + "qI4x" * 4 + "IIII" + "QII", *f).ljust(256, b"\0")
    k.mem.write(buf, out)
    return 0


# -- directories -----------------------------------------------------------------------------
def _fill_dirents(k, fd: int, buf: int, count: int, wide: bool) -> int:
    of = k.files.get(fd)
    if of.kind != "dir":
        return -abi.ENOTDIR
    if of.dir_entries is None:
        of.dir_entries = read_dir_entries(of)
    out = bytearray()
    entries = of.dir_entries
    pos = of.dir_pos
    while pos < len(entries):
        ino, dtype, name = entries[pos]
        if wide:
            reclen = (abi.DIRENT64_HDR_SIZE + len(name) + 1 + 7) & ~7
            rec = struct.pack(abi.DIRENT64_HDR_FMT, ino, pos + 1, reclen, dtype) + name
        else:
            reclen = (abi.DIRENT32_HDR_SIZE + len(name) + 2 + 3) & ~3
            rec = struct.pack(abi.DIRENT32_HDR_FMT, ino, pos + 1, reclen) + name
            rec = rec.ljust(reclen - 1, b"\0") + bytes([dtype])
        rec = rec.ljust(reclen, b"\0")
        if len(out) + reclen > count:
            break
        out += rec
        pos += 1
    if not out and pos < len(entries):
        return -abi.EINVAL
    k.mem.write(buf, bytes(out))
    of.dir_pos = pos
    return len(out)


@syscall(201, "getdents64", "fd:fd", "dirp:dirents", "count:size")
def sys_getdents64(k, fd, buf, count):
    return _fill_dirents(k, fd, buf, count, True)


@syscall(141, "getdents", "fd:fd", "dirp:ptr", "count:size")
def sys_getdents(k, fd, buf, count):
    return _fill_dirents(k, fd, buf, count, False)


# -- links --------------------------------------------------------------------------------------
def do_readlink(k, dirfd: int, path_addr: int, buf: int, size: int) -> int:
    if size <= 0 or size & 0x80000000:
        return -abi.EINVAL
    path = guest_path(k, path_addr)
    target = procfs.readlink(k, path)
    if target is None:
        path = lookup(k, path)
        target = os.readlink(path, **at_args(k, dirfd, path))
    data = target[:size]
    k.mem.write(buf, data)
    return len(data)


@syscall(85, "readlink", "pathname:path", "buf:outstr", "bufsiz:size")
def sys_readlink(k, path, buf, size):
    return do_readlink(k, abi.AT_FDCWD, path, buf, size)


@syscall(285, "readlinkat", "dirfd:dirfd", "pathname:path", "buf:outstr", "bufsiz:size")
def sys_readlinkat(k, dirfd, path, buf, size):
    return do_readlink(k, dirfd, path, buf, size)


# -- access ---------------------------------------------------------------------------------
def do_access(k, dirfd: int, path_addr: int, mode: int, flags: int) -> int:
    if mode & ~7:
        return -abi.EINVAL
    if flags & ~(abi.AT_EACCESS | abi.AT_SYMLINK_NOFOLLOW | abi.AT_EMPTY_PATH):
        return -abi.EINVAL
    path = guest_path(k, path_addr, allow_empty=bool(flags & abi.AT_EMPTY_PATH))
    follow = not flags & abi.AT_SYMLINK_NOFOLLOW
    do_stat(k, dirfd, path, follow, bool(flags & abi.AT_EMPTY_PATH))
    if mode == 0:
        return 0
    target = procfs.stat_target(k, path) if path else None
    if target is not None:
        ok = os.access(target, mode)
    elif path == b"":
        ok = os.access(f"/proc/self/fd/{k.files.get(dirfd).host_fd}", mode) \
            if dirfd != abi.AT_FDCWD else os.access(".", mode)
    else:
        path = lookup(k, path)
        kw = at_args(k, dirfd, path)
        ok = os.access(path, mode, effective_ids=bool(flags & abi.AT_EACCESS) and
                       os.access in os.supports_effective_ids, follow_symlinks=follow, **kw)
    if not ok:
        return -abi.EACCES
    return 0


@syscall(33, "access", "pathname:path", "mode:access_mode")
def sys_access(k, path, mode):
    return do_access(k, abi.AT_FDCWD, path, mode, 0)


@syscall(287, "faccessat", "dirfd:dirfd", "pathname:path", "mode:access_mode")
def sys_faccessat(k, dirfd, path, mode):
    return do_access(k, dirfd, path, mode, 0)


@syscall(439, "faccessat2", "dirfd:dirfd", "pathname:path", "mode:access_mode", "flags:at_flags")
def sys_faccessat2(k, dirfd, path, mode, flags):
    return do_access(k, dirfd, path, mode, flags)


# -- statfs -----------------------------------------------------------------------------------
class _HostStatfs(ctypes.Structure):
    _fields_ = [("f_type", ctypes.c_long), ("f_bsize", ctypes.c_long),
                ("f_blocks", ctypes.c_ulong), ("f_bfree", ctypes.c_ulong),
                ("f_bavail", ctypes.c_ulong), ("f_files", ctypes.c_ulong),
                ("f_ffree", ctypes.c_ulong), ("f_fsid", ctypes.c_int * 2),
                ("f_namelen", ctypes.c_long), ("f_frsize", ctypes.c_long),
                ("f_flags", ctypes.c_long), ("f_spare", ctypes.c_long * 4)]


def _host_statfs(path=None, fd=None) -> _HostStatfs:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    sf = _HostStatfs()
    r = _libc.fstatfs(fd, ctypes.byref(sf)) if fd is not None else \
        _libc.statfs(ctypes.c_char_p(path), ctypes.byref(sf))
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return sf


def _pack_statfs(sf: _HostStatfs, wide: bool) -> bytes:
    vals = [sf.f_blocks, sf.f_bfree, sf.f_bavail, sf.f_files, sf.f_ffree]
    if wide:
        return struct.pack(abi.STATFS64_FMT, sf.f_type & M32, sf.f_bsize & M32, *vals,
                           sf.f_fsid[0], sf.f_fsid[1], sf.f_namelen & M32, sf.f_frsize & M32,
                           sf.f_flags & M32)
    if any(v > M32 for v in vals):
        # 32-bit struct statfs: the kernel reports EOVERFLOW for huge counts, except for
        # f_files/f_ffree, which it caps (statfs_word overflow of unknown counts)
        if any(v > M32 for v in vals[:3]):
            raise SyscallError(abi.EOVERFLOW)
        vals = vals[:3] + [min(v, M32) for v in vals[3:]]
    return struct.pack(abi.STATFS_FMT, sf.f_type & M32, sf.f_bsize & M32, *vals, sf.f_fsid[0],
                       sf.f_fsid[1], sf.f_namelen & M32, sf.f_frsize & M32, sf.f_flags & M32)


def _statfs_path(k, path_addr):
    path = guest_path(k, path_addr)
    target = procfs.stat_target(k, path)
    return _host_statfs(path=target or lookup(k, path))


@syscall(99, "statfs", "path:path", "buf:ptr")
def sys_statfs(k, path, buf):
    k.mem.write(buf, _pack_statfs(_statfs_path(k, path), False))
    return 0


@syscall(100, "fstatfs", "fd:fd", "buf:ptr")
def sys_fstatfs(k, fd, buf):
    k.mem.write(buf, _pack_statfs(_host_statfs(fd=k.files.get(fd).host_fd), False))
    return 0


@syscall(298, "statfs64", "path:path", "sz:size", "buf:ptr")
def sys_statfs64(k, path, sz, buf):
    if sz != abi.STATFS64_SIZE and sz != 84:
        return -abi.EINVAL
    k.mem.write(buf, _pack_statfs(_statfs_path(k, path), True)[:sz])
    return 0


@syscall(299, "fstatfs64", "fd:fd", "sz:size", "buf:ptr")
def sys_fstatfs64(k, fd, sz, buf):
    if sz != abi.STATFS64_SIZE and sz != 84:
        return -abi.EINVAL
    k.mem.write(buf, _pack_statfs(_host_statfs(fd=k.files.get(fd).host_fd), True)[:sz])
    return 0


# -- xattrs (read side from the host; changes are refused) ---------------------------------
def _xattr_get(k, target, name_addr, value, size, follow=True):
    name = k.mem.read_cstr(name_addr, 256)
    if not name or len(name) > 255:
        return -abi.ERANGE
    data = os.getxattr(target, name, follow_symlinks=follow)
    if size == 0:
        return len(data)
    if len(data) > size:
        return -abi.ERANGE
    k.mem.write(value, data)
    return len(data)


def _xattr_list(k, target, lst, size, follow=True):
    names = b"".join(os.fsencode(n) + b"\0" for n in os.listxattr(target, follow_symlinks=follow))
    if size == 0:
        return len(names)
    if len(names) > size:
        return -abi.ERANGE
    k.mem.write(lst, names)
    return len(names)


@syscall(241, "getxattr", "path:path", "name:str", "value:ptr", "size:size")
def sys_getxattr(k, path, name, value, size):
    return _xattr_get(k, guest_path(k, path), name, value, size)


@syscall(242, "lgetxattr", "path:path", "name:str", "value:ptr", "size:size")
def sys_lgetxattr(k, path, name, value, size):
    return _xattr_get(k, guest_path(k, path), name, value, size, follow=False)


@syscall(243, "fgetxattr", "fd:fd", "name:str", "value:ptr", "size:size")
def sys_fgetxattr(k, fd, name, value, size):
    return _xattr_get(k, k.files.get(fd).host_fd, name, value, size)


@syscall(244, "listxattr", "path:path", "list:ptr", "size:size")
def sys_listxattr(k, path, lst, size):
    return _xattr_list(k, guest_path(k, path), lst, size)


@syscall(245, "llistxattr", "path:path", "list:ptr", "size:size")
def sys_llistxattr(k, path, lst, size):
    return _xattr_list(k, guest_path(k, path), lst, size, follow=False)


@syscall(246, "flistxattr", "fd:fd", "list:ptr", "size:size")
def sys_flistxattr(k, fd, lst, size):
    return _xattr_list(k, k.files.get(fd).host_fd, lst, size)


def _xattr_refuse(k, *args):
    return -abi.EOPNOTSUPP


for _nr, _name, _first in ((238, "setxattr", "path:path"), (239, "lsetxattr", "path:path"),
                           (240, "fsetxattr", "fd:fd"), (247, "removexattr", "path:path"),
                           (248, "lremovexattr", "path:path"), (249, "fremovexattr", "fd:fd")):
    syscall(_nr, _name, _first, "name:str", "value:ptr", "size:size", "flags:hex")(_xattr_refuse)
