"""File-system syscalls of the kernel model with a plain CPU context."""
import os
import struct

import pytest

from kernel_model import abi
from kfake import DATA, cstr, make_kernel, sc

AT = abi.AT_FDCWD & 0xFFFFFFFF


@pytest.fixture
def k(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return make_kernel(program="/bin/true")


def openp(k, path, flags, mode=0o644):
    return sc(k, 275, AT, cstr(k, DATA + 0x80000, path), flags, mode)


def test_open_write_read_seek(k, tmp_path):
    fd = openp(k, "a.txt", abi.O_CREAT | abi.O_EXCL | abi.O_RDWR | abi.O_LARGEFILE)
    assert fd == 3
    assert openp(k, "a.txt", abi.O_CREAT | abi.O_EXCL | abi.O_RDWR) == -abi.EEXIST
    k.mem.write(DATA, b"hello world")
    assert sc(k, 4, fd, DATA, 11) == 11
    assert (tmp_path / "a.txt").read_bytes() == b"hello world"
    assert sc(k, 19, fd, 6, abi.SEEK_SET) == 6
    assert sc(k, 3, fd, DATA + 100, 50) == 5
    assert k.mem.read(DATA + 100, 5) == b"world"
    # _llseek: (fd, high, low, result*, whence)
    assert sc(k, 140, fd, 0, 2, DATA + 200, abi.SEEK_SET) == 0
    assert struct.unpack(">q", k.mem.read(DATA + 200, 8))[0] == 2
    # pread64 / pwrite64 take the offset high word first
    assert sc(k, 109, fd, DATA, 5, 0, 6) == 5
    assert sc(k, 108, fd, DATA + 300, 11, 0, 0) == 11
    assert k.mem.read(DATA + 300, 11) == b"hello hello"
    assert sc(k, 108, fd, DATA + 300, 11, 0x80000000, 0) == -abi.EINVAL
    assert sc(k, 19, fd, -1 & 0xFFFFFFFF, abi.SEEK_SET) == -abi.EINVAL
    assert sc(k, 19, fd, 0, 7) == -abi.EINVAL


def test_lseek_overflow_32bit(k, tmp_path):
    fd = openp(k, "big", abi.O_CREAT | abi.O_RDWR)
    os.truncate(tmp_path / "big", 3 << 30)
    assert sc(k, 19, fd, 0, abi.SEEK_END) == -abi.EOVERFLOW
    assert sc(k, 140, fd, 0, 0, DATA, abi.SEEK_END) == 0
    assert struct.unpack(">q", k.mem.read(DATA, 8))[0] == 3 << 30


def test_open_flag_translation(k, tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    os.symlink("f", tmp_path / "link")
    fd = openp(k, "f", abi.O_WRONLY | abi.O_APPEND)
    k.mem.write(DATA, b"def")
    sc(k, 4, fd, DATA, 3)
    assert (tmp_path / "f").read_bytes() == b"abcdef"
    assert openp(k, "link", abi.O_RDONLY | abi.O_NOFOLLOW) == -abi.ELOOP
    assert openp(k, "f", abi.O_RDONLY | abi.O_DIRECTORY) == -abi.ENOTDIR
    assert openp(k, "nope", abi.O_RDONLY) == -abi.ENOENT
    fd = openp(k, "f", abi.O_RDONLY | abi.O_CLOEXEC | abi.O_NONBLOCK)
    assert sc(k, 55, fd, abi.F_GETFD, 0) == abi.FD_CLOEXEC
    assert sc(k, 55, fd, abi.F_GETFL, 0) & abi.O_NONBLOCK
    fd = openp(k, "g", abi.O_CREAT | abi.O_TRUNC | abi.O_WRONLY, 0o600)
    assert (os.stat(tmp_path / "g").st_mode & 0o777) == 0o600 & ~k.info.umask
    assert sc(k, 3, fd, DATA, 1) == -abi.EBADF             # write-only
    assert openp(k, "x" * 5000, abi.O_RDONLY) == -abi.ENAMETOOLONG


def test_read_and_write_refused_by_the_description(k, tmp_path):
    """What read(2) and write(2) give on each kind of description (Linux: EBADF unless
    the access mode allows it, O_PATH allows neither; EISDIR reading a directory)."""
    (tmp_path / "f").write_bytes(b"abc")
    (tmp_path / "d").mkdir()
    k.mem.write(DATA, b"xyz")
    cases = [("f", abi.O_RDONLY, 1, -abi.EBADF), ("f", abi.O_WRONLY, -abi.EBADF, 1),
             ("f", abi.O_RDWR, 1, 1), ("f", abi.O_PATH, -abi.EBADF, -abi.EBADF),
             ("d", abi.O_RDONLY | abi.O_DIRECTORY, -abi.EISDIR, -abi.EBADF),
             ("d", abi.O_PATH, -abi.EBADF, -abi.EBADF)]
    for name, flags, read, write in cases:
        fd = openp(k, name, flags)
        assert fd >= 0, (name, flags)
        assert sc(k, 3, fd, DATA + 16, 1) == read, (name, flags)
        assert sc(k, 4, fd, DATA, 1) == write, (name, flags)
        assert sc(k, 108, fd, DATA + 16, 1, 0, 0) == read, (name, flags)     # pread64
        assert sc(k, 6, fd) == 0


def test_read_into_decoded_code_drops_it(k, tmp_path):
    """read(2) and pread64 store into guest memory as the CPU does: a page whose
    instructions were decoded (PERM_CODE, a decode-cache slot) loses them, on every page
    the bytes reach and on no other."""
    from hppa_user.memory import PERM_CODE
    (tmp_path / "f").write_bytes(bytes(range(256)) * 40)        # 10240 bytes
    fd = openp(k, "f", abi.O_RDONLY)
    pages = [(DATA >> 12) + i for i in range(4)]

    def decoded():
        for p in pages:
            k.mem.perm[p] |= PERM_CODE
            k.mem.page_slot[p] = 7

    def still_decoded():
        return [bool(k.mem.perm[p] & PERM_CODE) and k.mem.page_slot[p] == 7 for p in pages]

    decoded()
    assert sc(k, 3, fd, DATA + 0x1FF0, 0x20) == 0x20             # pages 1 and 2
    assert k.mem.read(DATA + 0x1FF0, 0x20) == bytes(range(0x20))
    assert still_decoded() == [True, False, False, True]
    decoded()
    assert sc(k, 108, fd, DATA + 0x3000, 0x10, 0, 0x100) == 0x10  # page 3, at offset 256
    assert k.mem.read(DATA + 0x3000, 0x10) == bytes(range(0x10))
    assert still_decoded() == [True, True, True, False]
    decoded()
    sc(k, 19, fd, 0, abi.SEEK_END)
    assert sc(k, 3, fd, DATA, 0x100) == 0                         # at the end: nothing stored
    assert still_decoded() == [True] * 4


def test_fd_table(k):
    fd = openp(k, "t", abi.O_CREAT | abi.O_RDWR)
    assert sc(k, 63, fd, 10) == 10
    assert sc(k, 55, 10, abi.F_GETFD, 0) == 0
    assert sc(k, 312, fd, 11, abi.O_CLOEXEC) == 11
    assert sc(k, 55, 11, abi.F_GETFD, 0) == 1
    assert sc(k, 312, fd, fd, 0) == -abi.EINVAL
    assert sc(k, 63, fd, fd) == fd
    assert sc(k, 41, fd) == 4
    assert sc(k, 55, fd, abi.F_DUPFD, 20) == 20
    assert sc(k, 55, fd, abi.F_DUPFD_CLOEXEC, 20) == 21
    assert sc(k, 6, 20) == 0 and sc(k, 6, 20) == -abi.EBADF
    assert sc(k, 63, fd, 5000) == -abi.EBADF
    assert sc(k, 6, -1 & 0xFFFFFFFF) == -abi.EBADF
    # shared offset between dups
    k.mem.write(DATA, b"0123456789")
    sc(k, 4, fd, DATA, 10)
    sc(k, 19, 4, 3, abi.SEEK_SET)
    assert sc(k, 19, fd, 0, abi.SEEK_CUR) == 3
    # the guest never reaches a host fd it did not open
    assert sc(k, 3, 200, DATA, 1) == -abi.EBADF


def test_emfile(k):
    k.info.rlimits[abi.RLIMIT_NOFILE] = [8, 8]
    fds = [openp(k, "/dev/null", abi.O_RDONLY) for _ in range(6)]
    assert fds[-1] == -abi.EMFILE
    assert sc(k, 63, 0, 8) == -abi.EBADF


def test_pipes_and_poll(k):
    assert sc(k, 42, DATA) == 0
    r, w = struct.unpack(">ii", k.mem.read(DATA, 8))
    k.mem.write(DATA + 16, b"xyz")
    assert sc(k, 4, w, DATA + 16, 3) == 3
    # poll: r readable, w writable
    k.mem.write(DATA + 32, struct.pack(">ihhihh", r, abi.POLLIN, 0, w, abi.POLLOUT, 0))
    assert sc(k, 168, DATA + 32, 2, 0) == 2
    _, _, rev0, _, _, rev1 = struct.unpack(">ihhihh", k.mem.read(DATA + 32, 16))
    assert rev0 == abi.POLLIN and rev1 == abi.POLLOUT
    assert sc(k, 3, r, DATA + 64, 10) == 3
    assert sc(k, 19, r, 0, 1) == -abi.ESPIPE
    # nothing to read: poll times out, select too
    k.mem.write(DATA + 32, struct.pack(">ihh", r, abi.POLLIN, 0))
    assert sc(k, 168, DATA + 32, 1, 10) == 0
    # invalid fd in poll -> POLLNVAL
    k.mem.write(DATA + 32, struct.pack(">ihh", 99, abi.POLLIN, 0))
    assert sc(k, 168, DATA + 32, 1, 0) == 1
    assert struct.unpack(">ihh", k.mem.read(DATA + 32, 8))[2] == abi.POLLNVAL
    # select: fd_set words are big-endian 32-bit
    k.mem.write(DATA + 96, struct.pack(">I", 1 << w))
    k.mem.write(DATA + 128, struct.pack(">ii", 0, 0))
    assert sc(k, 142, w + 1, 0, DATA + 96, 0, DATA + 128) == 1
    assert sc(k, 142, 1, 0, 0, 0, DATA + 128) == 0
    k.mem.write(DATA + 96, struct.pack(">I", 1 << 30))
    assert sc(k, 142, 31, DATA + 96, 0, 0, DATA + 128) == -abi.EBADF
    # EOF after closing the writer
    sc(k, 6, w)
    assert sc(k, 3, r, DATA, 1) == 0
    assert sc(k, 313, DATA, abi.O_NONBLOCK | abi.O_CLOEXEC) == 0
    r2, w2 = struct.unpack(">ii", k.mem.read(DATA, 8))
    assert sc(k, 3, r2, DATA, 1) == -abi.EAGAIN
    assert sc(k, 313, DATA, 0x40) == -abi.EINVAL


def test_epipe_raises_sigpipe(k):
    from kernel_model.errors import ProcessKilled
    sc(k, 42, DATA)
    r, w = struct.unpack(">ii", k.mem.read(DATA, 8))
    sc(k, 6, r)
    with pytest.raises(ProcessKilled) as e:
        sc(k, 4, w, DATA, 1)
    assert e.value.signum == abi.SIGPIPE
    k2 = make_kernel()
    sc(k2, 42, DATA)
    r, w = struct.unpack(">ii", k2.mem.read(DATA, 8))
    sc(k2, 6, r)
    k2.signals.set_action(abi.SIGPIPE, abi.SIG_IGN, 0, 0)
    assert sc(k2, 4, w, DATA, 1) == -abi.EPIPE


def test_readv_writev(k, tmp_path):
    fd = openp(k, "v", abi.O_CREAT | abi.O_RDWR)
    k.mem.write(DATA, b"abcdef")
    k.mem.write(DATA + 64, struct.pack(">IIIIII", DATA, 2, 0, 0, DATA + 2, 4))
    assert sc(k, 146, fd, DATA + 64, 3) == 6
    assert (tmp_path / "v").read_bytes() == b"abcdef"
    sc(k, 19, fd, 0, 0)
    k.mem.write(DATA + 64, struct.pack(">IIII", DATA + 200, 3, DATA + 300, 10))
    assert sc(k, 145, fd, DATA + 64, 2) == 6
    assert k.mem.read(DATA + 200, 3) == b"abc" and k.mem.read(DATA + 300, 3) == b"def"
    assert sc(k, 146, fd, DATA + 64, 2000) == -abi.EINVAL
    k.mem.write(DATA + 64, struct.pack(">II", DATA, 0x80000000))
    assert sc(k, 146, fd, DATA + 64, 1) == -abi.EINVAL


def test_bad_pointers_give_efault(k):
    fd = openp(k, "/dev/zero", abi.O_RDONLY)
    assert sc(k, 3, fd, 0, 10) == -abi.EFAULT
    assert sc(k, 3, fd, 0x10000, 10) == -abi.EFAULT        # read-only text
    assert sc(k, 4, 1, 0x20000000, 10) == -abi.EFAULT
    assert sc(k, 275, AT, 0, 0, 0) == -abi.EFAULT
    assert sc(k, 275, AT, 0x20000000, 0, 0) == -abi.EFAULT
    assert sc(k, 112, fd, 0x10000) == -abi.EFAULT
    # a read into a buffer that ends early is short, not lost
    n = sc(k, 3, fd, DATA + 0x100000 - 10, 100)
    assert n == 10


def test_stat64_layout(k, tmp_path):
    p = tmp_path / "s"
    p.write_bytes(b"x" * 1234)
    os.utime(p, ns=(1_000_000_005, 1_100_000_007))
    assert sc(k, 101, cstr(k, DATA, str(p)), DATA + 0x100) == 0
    raw = k.mem.read(DATA + 0x100, 104)
    st = os.stat(p)
    (dev, _, _, mode, nlink, uid, gid, rdev, _, size, blksize, blocks, at, atn, mt, mtn, ct, ctn,
     ino) = struct.unpack(abi.STAT64_FMT, raw)
    assert mode == st.st_mode and size == 1234 and nlink == 1
    assert uid == st.st_uid and gid == st.st_gid and blksize == st.st_blksize
    assert (at, atn, mt, mtn) == (1, 5, 1, 100_000_007)
    assert ino == st.st_ino & 0xFFFFFFFF or st.st_ino > 0xFFFFFFFF
    assert struct.unpack_from(">q", raw, 48)[0] == 1234
    assert struct.unpack_from(">Q", raw, 96)[0] == ino
    # lstat64 of a symlink, fstatat64 with AT_EMPTY_PATH, fstat64
    os.symlink("s", tmp_path / "l")
    assert sc(k, 198, cstr(k, DATA, str(tmp_path / "l")), DATA + 0x100) == 0
    assert struct.unpack_from(">I", k.mem.read(DATA + 0x100, 104), 16)[0] & abi.S_IFMT == abi.S_IFLNK
    fd = openp(k, str(p), abi.O_RDONLY)
    assert sc(k, 280, fd, cstr(k, DATA, ""), DATA + 0x200, abi.AT_EMPTY_PATH) == 0
    assert sc(k, 280, fd, cstr(k, DATA, ""), DATA + 0x200, 0) == -abi.ENOENT
    assert sc(k, 280, fd, cstr(k, DATA, ""), DATA + 0x200, 0x8000000) == -abi.EINVAL
    assert sc(k, 112, fd, DATA + 0x300) == 0
    assert k.mem.read(DATA + 0x200, 104) == k.mem.read(DATA + 0x300, 104)


def test_statx(k, tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"y" * 77)
    assert sc(k, 349, AT, cstr(k, DATA, str(p)), 0, abi.STATX_BASIC_STATS, DATA + 0x100) == 0
    raw = k.mem.read(DATA + 0x100, 256)
    mask = struct.unpack_from(">I", raw, 0)[0]
    assert mask & abi.STATX_BASIC_STATS == abi.STATX_BASIC_STATS
    assert struct.unpack_from(">Q", raw, 40)[0] == 77
    assert struct.unpack_from(">H", raw, 28)[0] == os.stat(p).st_mode
    assert struct.unpack_from(">q", raw, 112)[0] == int(os.stat(p).st_mtime)
    fd = openp(k, str(p), abi.O_RDONLY)
    assert sc(k, 349, fd, cstr(k, DATA, ""), abi.AT_EMPTY_PATH, 0x7FF, DATA + 0x200) == 0
    assert struct.unpack_from(">Q", k.mem.read(DATA + 0x200, 256), 40)[0] == 77
    assert sc(k, 349, AT, cstr(k, DATA, str(p)), 0x6000, 0x7FF, DATA) == -abi.EINVAL
    assert sc(k, 349, AT, cstr(k, DATA, str(p)), 0, 0x80000000, DATA) == -abi.EINVAL


def test_getdents64_32bit_safe_offsets(k, tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    names = {f"file{i:03d}" for i in range(300)}
    for n in names:
        (d / n).write_bytes(b"")
    fd = openp(k, str(d), abi.O_RDONLY | abi.O_DIRECTORY)
    seen, offs = [], []
    while True:
        n = sc(k, 201, fd, DATA, 4096)
        assert n >= 0
        if n == 0:
            break
        raw = k.mem.read(DATA, n)
        pos = 0
        while pos < n:
            ino, off, reclen, dtype = struct.unpack_from(">QqHB", raw, pos)
            name = raw[pos + 19:pos + reclen].split(b"\0")[0].decode()
            assert reclen % 8 == 0
            seen.append(name)
            offs.append(off)
            pos += reclen
    assert set(seen) == names | {".", ".."}
    assert all(0 < o < 2 ** 31 for o in offs)
    # lseek to a cookie resumes after that entry; offset 0 rewinds
    assert sc(k, 19, fd, offs[9], abi.SEEK_SET) == offs[9]
    n = sc(k, 201, fd, DATA, 4096)
    first = k.mem.read(DATA + 19, 40).split(b"\0")[0].decode()
    assert first == seen[10]
    assert sc(k, 201, fd, DATA, 10) in (-abi.EINVAL,)
    assert sc(k, 201, fd, 0x10000, 4096) == -abi.EFAULT
    f = openp(k, str(d / "file000"), abi.O_RDONLY)
    assert sc(k, 201, f, DATA, 4096) == -abi.ENOTDIR


def test_readlink_proc_self_exe_and_fd(k, tmp_path):
    n = sc(k, 85, cstr(k, DATA, "/proc/self/exe"), DATA + 0x100, 4096)
    assert k.mem.read(DATA + 0x100, n) == os.path.realpath("/bin/true").encode()
    n = sc(k, 285, AT, cstr(k, DATA, f"/proc/{k.pid}/exe"), DATA + 0x100, 4)
    assert n == 4 and k.mem.read(DATA + 0x100, 4) == os.path.realpath("/bin/true").encode()[:4]
    fd = openp(k, str(tmp_path / "q"), abi.O_CREAT | abi.O_RDWR)
    n = sc(k, 85, cstr(k, DATA, f"/proc/self/fd/{fd}"), DATA + 0x100, 4096)
    assert k.mem.read(DATA + 0x100, n) == str(tmp_path / "q").encode()
    assert sc(k, 85, cstr(k, DATA, "/proc/self/fd/99"), DATA + 0x100, 4096) == -abi.ENOENT
    assert sc(k, 85, cstr(k, DATA, "/proc/self/exe"), DATA + 0x100, 0) == -abi.EINVAL
    # stat of /proc/self/exe is the program's
    assert sc(k, 101, cstr(k, DATA, "/proc/self/exe"), DATA + 0x200) == 0
    size = struct.unpack_from(">q", k.mem.read(DATA + 0x200, 104), 48)[0]
    assert size == os.stat("/bin/true").st_size


def test_namespace_ops(k, tmp_path):
    sc(k, 39, cstr(k, DATA, "d"), 0o755)
    assert (tmp_path / "d").is_dir()
    assert sc(k, 39, cstr(k, DATA, "d"), 0o755) == -abi.EEXIST
    fd = openp(k, "d/f", abi.O_CREAT | abi.O_WRONLY)
    assert fd >= 0
    assert sc(k, 40, cstr(k, DATA, "d")) == -abi.ENOTEMPTY
    assert sc(k, 38, cstr(k, DATA, "d/f"), cstr(k, DATA + 64, "d/g")) == 0
    assert sc(k, 83, cstr(k, DATA, "g"), cstr(k, DATA + 64, "d/s")) == 0
    assert os.readlink(tmp_path / "d/s") == "g"
    assert sc(k, 9, cstr(k, DATA, "d/g"), cstr(k, DATA + 64, "d/h")) == 0
    assert os.stat(tmp_path / "d/g").st_nlink == 2
    assert sc(k, 15, cstr(k, DATA, "d/g"), 0o600) == 0
    assert os.stat(tmp_path / "d/g").st_mode & 0o777 == 0o600
    assert sc(k, 281, AT, cstr(k, DATA, "d"), abi.AT_REMOVEDIR) == -abi.ENOTEMPTY
    for n in ("d/g", "d/h", "d/s"):
        assert sc(k, 10, cstr(k, DATA, n)) == 0
    assert sc(k, 281, AT, cstr(k, DATA, "d"), abi.AT_REMOVEDIR) == 0
    assert sc(k, 10, cstr(k, DATA, "d")) == -abi.ENOENT
    assert sc(k, 33, cstr(k, DATA, "nope"), 0) == -abi.ENOENT
    assert sc(k, 33, cstr(k, DATA, "/bin/true"), 1) == 0
    assert sc(k, 33, cstr(k, DATA, "/bin/true"), 8) == -abi.EINVAL
    # getcwd / chdir
    n = sc(k, 110, DATA, 4096)
    assert k.mem.read(DATA, n) == str(tmp_path).encode() + b"\0"
    assert sc(k, 110, DATA, 2) == -abi.ERANGE
    # umask
    old = sc(k, 60, 0o077)
    assert sc(k, 60, old) == 0o077


def test_sandbox_refuses_outside_writes(tmp_path, monkeypatch):
    import importlib
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HPPA_USER_SANDBOX", str(tmp_path))
    from kernel_model.syscalls import common
    importlib.reload(common)
    try:
        k = make_kernel()
        outside = tmp_path.parent / "outside-sandbox-test"
        assert openp(k, str(outside), abi.O_CREAT | abi.O_WRONLY) == -abi.EACCES
        assert not outside.exists()
        assert openp(k, "inside", abi.O_CREAT | abi.O_WRONLY) >= 0
        assert sc(k, 10, cstr(k, DATA, "/etc/hostname")) == -abi.EACCES
        assert openp(k, "/dev/null", abi.O_WRONLY) >= 0
    finally:
        monkeypatch.delenv("HPPA_USER_SANDBOX")
        importlib.reload(common)


def test_ioctl(k):
    fd = openp(k, "/dev/null", abi.O_RDONLY)
    assert sc(k, 54, fd, abi.TCGETS, DATA) == -abi.ENOTTY
    assert sc(k, 54, fd, abi.TIOCGWINSZ, DATA) == -abi.ENOTTY
    assert sc(k, 54, fd, abi.FIOCLEX, 0) == 0
    assert sc(k, 55, fd, abi.F_GETFD, 0) == 1
    sc(k, 42, DATA)
    r, w = struct.unpack(">ii", k.mem.read(DATA, 8))
    k.mem.write(DATA + 16, b"abcd")
    sc(k, 4, w, DATA + 16, 4)
    assert sc(k, 54, r, abi.FIONREAD, DATA + 32) == 0
    assert k.mem.read_u32(DATA + 32) == 4


def test_ioctl_tty_termios():
    import pty
    master, slave = pty.openpty()
    try:
        k = make_kernel()
        from kernel_model.fdtable import OpenFile
        fd = k.files.add(OpenFile(os.dup(slave), b"/dev/pts/x", abi.O_RDWR))
        assert sc(k, 54, fd, abi.TCGETS, DATA) == 0
        i, o, c, l, line, cc = struct.unpack(abi.KTERMIOS_FMT, k.mem.read(DATA, 36))
        import termios
        attrs = termios.tcgetattr(slave)
        assert l == attrs[3] and o == attrs[1]
        # switch off ECHO through TCSETS and read it back on the host
        k.mem.write(DATA, struct.pack(abi.KTERMIOS_FMT, i, o, c, l & ~termios.ECHO, line, cc))
        assert sc(k, 54, fd, abi.TCSETS, DATA) == 0
        assert not termios.tcgetattr(slave)[3] & termios.ECHO
        assert sc(k, 54, fd, abi.TIOCGWINSZ, DATA) == 0
    finally:
        os.close(master)
        os.close(slave)
