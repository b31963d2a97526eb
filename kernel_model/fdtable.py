"""The guest's file-descriptor table: guest fd numbers -> open file descriptions over host fds.

* Guest fd numbers are the guest's own (lowest free number first, limited by RLIMIT_NOFILE);
  they never leak host fd numbers and the guest can never name a host fd it did not open.
* An :class:`OpenFile` is an open file description (shared by dup'ed fds: one file offset, one
  set of status flags) wrapping one host fd. The host fd is closed when the last guest fd
  referring to it is closed, except for the emulator's own stdin/stdout/stderr, which guest
  fds 0/1/2 refer to at start and which are never closed by the guest.
* FD_CLOEXEC lives with the guest fd, as in Linux.
* Directories keep a snapshot of their entries so ``getdents64`` can hand out small,
  32-bit-safe ``d_off`` cookies (entry index + 1), as Linux does for 32-bit callers; the
  host's own 64-bit hash cookies never reach the guest.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import stat as statmod

from kernel_model import abi
from kernel_model.errors import SyscallError


class OpenFile:
    __slots__ = ("host_fd", "kind", "path", "flags", "refs", "owned", "dir_entries", "dir_pos",
                 "is_tty", "synthetic", "may_block", "read_errno", "write_errno")

    def __init__(self, host_fd: int, path: bytes = b"", flags: int = 0, owned: bool = True,
                 synthetic: bool = False):
        self.host_fd = host_fd
        self.path = path          # guest-visible path (for /proc/self/fd, strace)
        self.flags = flags        # parisc open flags as given (O_ACCMODE, O_LARGEFILE, ...)
        self.refs = 0
        self.owned = owned
        self.dir_entries = None
        self.dir_pos = 0
        self.synthetic = synthetic
        self.kind = "file"
        self.is_tty = False
        try:
            st = os.fstat(host_fd)
            mode = st.st_mode
            if statmod.S_ISDIR(mode):
                self.kind = "dir"
            elif statmod.S_ISFIFO(mode):
                self.kind = "pipe"
            elif statmod.S_ISSOCK(mode):
                self.kind = "sock"
            elif statmod.S_ISCHR(mode):
                self.kind = "chr"
                self.is_tty = os.isatty(host_fd)
        except OSError:
            pass
        # What read(2) and write(2) need of the description, worked out once: its access
        # mode and type never change (F_SETFL changes neither), and these are read on
        # every call.  may_block: I/O on it can wait (common.wait_fd); *_errno: what a
        # read or a write on it gives, 0 when it may go on.
        self.may_block = self.kind in ("pipe", "sock") or self.is_tty
        path_only, access = flags & abi.O_PATH, flags & abi.O_ACCMODE
        self.read_errno = (abi.EBADF if path_only or access == abi.O_WRONLY
                           else abi.EISDIR if self.kind == "dir" else 0)
        self.write_errno = abi.EBADF if path_only or access == abi.O_RDONLY else 0

    def close_host(self) -> None:
        if self.owned:
            try:
                os.close(self.host_fd)
            except OSError:
                pass


class FdTable:
    def __init__(self, k):
        self.k = k
        self.fds: dict[int, list] = {}   # guest fd -> [OpenFile, cloexec]
        for fd in (0, 1, 2):
            try:
                os.fstat(fd)
            except OSError:
                continue
            try:
                acc = abi.open_flags_from_host(fcntl.fcntl(fd, fcntl.F_GETFL))
            except OSError:
                acc = abi.O_RDWR
            self.install(OpenFile(fd, f"/dev/fd/{fd}".encode(), acc, owned=False), fd)
        try:  # the host's fds 0-2 path names, for /proc/self/fd
            for fd, entry in self.fds.items():
                entry[0].path = os.fsencode(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass

    # -- limits / lookup -------------------------------------------------------------------
    @property
    def limit(self) -> int:
        return min(int(self.k.info.rlimits[abi.RLIMIT_NOFILE][0]), 65536)

    def get(self, fd: int) -> OpenFile:
        entry = self.fds.get(fd)
        if entry is None:
            raise SyscallError(abi.EBADF)
        return entry[0]

    def host(self, fd: int) -> int:
        return self.get(fd).host_fd

    def cloexec(self, fd: int) -> bool:
        entry = self.fds.get(fd)
        if entry is None:
            raise SyscallError(abi.EBADF)
        return entry[1]

    def set_cloexec(self, fd: int, value: bool) -> None:
        entry = self.fds.get(fd)
        if entry is None:
            raise SyscallError(abi.EBADF)
        entry[1] = bool(value)

    # -- allocation ------------------------------------------------------------------------
    def lowest_free(self, minfd: int = 0) -> int:
        fd = max(minfd, 0)
        while fd in self.fds:
            fd += 1
        if fd >= self.limit:
            raise SyscallError(abi.EMFILE)
        return fd

    def install(self, of: OpenFile, fd: int, cloexec: bool = False) -> int:
        old = self.fds.get(fd)
        of.refs += 1
        self.fds[fd] = [of, bool(cloexec)]
        if old is not None:
            self._drop(old[0])
        return fd

    def add(self, of: OpenFile, cloexec: bool = False, minfd: int = 0) -> int:
        """Install a fresh description at the lowest free fd; closes it on EMFILE."""
        try:
            fd = self.lowest_free(minfd)
        except SyscallError:
            if of.refs == 0:
                of.close_host()
            raise
        return self.install(of, fd, cloexec)

    def add_host_fd(self, host_fd: int, path: bytes, flags: int, cloexec: bool = False) -> int:
        return self.add(OpenFile(host_fd, path, flags), cloexec)

    def dup(self, fd: int, minfd: int = 0, cloexec: bool = False) -> int:
        of = self.get(fd)
        return self.install(of, self.lowest_free(minfd), cloexec)

    def dup_to(self, fd: int, newfd: int, cloexec: bool = False) -> int:
        of = self.get(fd)
        if newfd < 0 or newfd >= self.limit:
            raise SyscallError(abi.EBADF)
        if newfd == fd:
            return newfd
        return self.install(of, newfd, cloexec)

    def close(self, fd: int) -> None:
        entry = self.fds.pop(fd, None)
        if entry is None:
            raise SyscallError(abi.EBADF)
        self._drop(entry[0])

    def _drop(self, of: OpenFile) -> None:
        of.refs -= 1
        if of.refs <= 0:
            of.close_host()

    def close_on_exec(self) -> None:
        """execve closes the descriptors marked FD_CLOEXEC."""
        for fd in [fd for fd, entry in self.fds.items() if entry[1]]:
            self.close(fd)

    def close_all(self) -> None:
        for fd in list(self.fds):
            self.close(fd)


# ---------------------------------------------------------------------------------------
# Directory listing in host order (host getdents64), with 32-bit-safe guest cookies
# ---------------------------------------------------------------------------------------
_GETDENTS64_NR = {"x86_64": 217, "amd64": 217, "aarch64": 61, "arm64": 61, "riscv64": 61,
                  "ppc64le": 202, "s390x": 220}.get(os.uname().machine.lower())
_libc = None


def _host_getdents64(fd: int):
    global _libc
    if _GETDENTS64_NR is None:
        return None
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
    buf = ctypes.create_string_buffer(65536)
    out = []
    while True:
        n = _libc.syscall(_GETDENTS64_NR, ctypes.c_int(fd), buf, ctypes.c_uint(len(buf)))
        if n < 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
        if n == 0:
            return out
        raw = buf.raw[:n]
        pos = 0
        while pos < n:
            ino = int.from_bytes(raw[pos:pos + 8], "little")
            reclen = int.from_bytes(raw[pos + 16:pos + 18], "little")
            dtype = raw[pos + 18]
            name = raw[pos + 19:pos + reclen].split(b"\0", 1)[0]
            out.append((ino, dtype, name))
            pos += reclen


def fold_ino(ino: int) -> int:
    """A 32-bit kernel's inode number: 64-bit host numbers folded to 32 bits."""
    if ino <= 0xFFFFFFFF:
        return ino
    return (ino ^ (ino >> 32)) & 0xFFFFFFFF


def _dtype_from_mode(mode: int) -> int:
    fmt = statmod.S_IFMT(mode)
    return {statmod.S_IFDIR: abi.DT_DIR, statmod.S_IFREG: abi.DT_REG, statmod.S_IFLNK: abi.DT_LNK,
            statmod.S_IFCHR: abi.DT_CHR, statmod.S_IFBLK: abi.DT_BLK, statmod.S_IFIFO: abi.DT_FIFO,
            statmod.S_IFSOCK: abi.DT_SOCK}.get(fmt, abi.DT_UNKNOWN)


def read_dir_entries(of: OpenFile) -> list:
    """Snapshot of a directory: [(ino, d_type, name), ...] in the host's readdir order."""
    entries = None
    try:
        os.lseek(of.host_fd, 0, os.SEEK_SET)
        entries = _host_getdents64(of.host_fd)
    except OSError as e:
        if e.errno not in (None, 38):  # ENOSYS on the host: fall back
            raise
        entries = None
    if entries is None:
        entries = []
        for name in (b".", b".."):
            try:
                st = os.stat(name, dir_fd=of.host_fd)
                entries.append((st.st_ino, abi.DT_DIR, name))
            except OSError:
                pass
        with os.scandir(of.host_fd) as it:
            for ent in it:
                try:
                    dt = _dtype_from_mode(ent.stat(follow_symlinks=False).st_mode)
                except OSError:
                    dt = abi.DT_UNKNOWN
                entries.append((ent.inode(), dt, os.fsencode(ent.name)))
    return [(fold_ino(ino), dt, name) for ino, dt, name in entries]
