"""strace formatting: expected lines for common calls (strace's own layout and names)."""
import io
import struct

import pytest

from kernel_model import abi
from kernel_model.strace import quote
from kfake import DATA, cstr, make_kernel, sc

AT = abi.AT_FDCWD & 0xFFFFFFFF


@pytest.fixture
def kt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    k = make_kernel(strace=True, strace_file=out)
    return k, out


def lines(out):
    return out.getvalue().splitlines()


def test_quote():
    assert quote(b"hello\n") == '"hello\\n"'
    assert quote(b"a\0b") == '"a\\0b"'
    assert quote(b"\0" + b"1") == '"\\0001"'
    assert quote(b"\x7f\xff\"\\") == '"\\177\\377\\"\\\\"'
    assert quote(b"x" * 40) == '"' + "x" * 32 + '"...'
    assert quote(b"\t\r\v\f") == '"\\t\\r\\v\\f"'


def test_open_read_close_lines(kt, tmp_path):
    k, out = kt
    (tmp_path / "f").write_bytes(b"0123456789" * 5)
    fd = sc(k, 275, AT, cstr(k, DATA, "f"), abi.O_RDONLY | abi.O_CLOEXEC | abi.O_LARGEFILE, 0)
    sc(k, 3, fd, DATA + 64, 100)
    sc(k, 6, fd)
    sc(k, 6, fd)
    sc(k, 5, cstr(k, DATA, "nonexistent"), abi.O_WRONLY | abi.O_CREAT | abi.O_EXCL, 0o640)
    sc(k, 5, cstr(k, DATA, "missing/x"), abi.O_RDONLY, 0)
    got = lines(out)
    assert got[0] == 'openat(AT_FDCWD, "f", O_RDONLY|O_LARGEFILE|O_CLOEXEC) = 3'
    assert got[1] == 'read(3, "01234567890123456789012345678901"..., 100) = 50'
    assert got[2] == "close(3)                                = 0"
    assert got[3] == "close(3)                                = -1 EBADF (Bad file descriptor)"
    assert got[4] == 'open("nonexistent", O_WRONLY|O_CREAT|O_EXCL, 0640) = 3'
    assert got[5] == 'open("missing/x", O_RDONLY)             = -1 ENOENT (No such file or directory)'


def test_mm_and_signal_lines(kt):
    k, out = kt
    sc(k, 45, 0)
    a = sc(k, 89, 0, 8192, 3, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS, -1 & 0xFFFFFFFF, 0) & 0xFFFFFFFF
    sc(k, 125, a, 4096, abi.PROT_READ)
    k.mem.write(DATA, struct.pack(">IIII", 0x10400, abi.SA_RESTART | abi.SA_SIGINFO, 1 << 1, 0))
    sc(k, 174, abi.SIGUSR1, DATA, 0, 8)
    k.mem.write(DATA + 32, struct.pack(">II", (1 << 1) | (1 << 13), 0))
    sc(k, 175, abi.SIG_BLOCK, DATA + 32, DATA + 48, 8)
    got = lines(out)
    assert got[0] == f"brk(NULL)                               = {k.brk_start:#x}"
    assert got[1] == f"mmap2(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = {a:#x}"
    assert got[2] == f"mprotect({a:#x}, 4096, PROT_READ)".ljust(39) + " = 0"
    assert got[3] == "rt_sigaction(SIGUSR1, {sa_handler=0x10400, sa_mask=[INT], " \
                     "sa_flags=SA_SIGINFO|SA_RESTART}, NULL, 8) = 0"
    assert got[4] == "rt_sigprocmask(SIG_BLOCK, [INT ALRM], [], 8) = 0"


def test_struct_lines(kt, tmp_path):
    k, out = kt
    (tmp_path / "s").write_bytes(b"x" * 1234)
    (tmp_path / "s").chmod(0o644)
    sc(k, 101, cstr(k, DATA, "s"), DATA + 256)
    sc(k, 76, abi.RLIMIT_NOFILE, DATA + 512)
    sc(k, 321, 0, abi.RLIMIT_CORE, 0, DATA + 600)
    sc(k, 42, DATA + 700)
    sc(k, 256, 99, DATA)
    sc(k, 999, 1, 2)
    sc(k, 201 - 200 + 450, 0)                   # 451 cachestat: unimplemented, named
    got = lines(out)
    assert got[0] == 'stat64("s", {st_mode=S_IFREG|0644, st_size=1234, ...}) = 0'
    assert got[1] == "getrlimit(RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}) = 0"
    assert got[2] == "prlimit64(0, RLIMIT_CORE, NULL, {rlim_cur=0, rlim_max=RLIM64_INFINITY}) = 0"
    assert got[3] == "pipe([3, 4])                            = 0"
    assert got[4] == "clock_gettime(99, 0x100000)             = -1 EINVAL (Invalid argument)"
    assert got[5].startswith("syscall_0x3e7(0x1, 0x2, ") and \
        got[5].endswith("= -1 ENOSYS (Function not implemented)")
    assert got[6].startswith("cachestat(0x0") and got[6].endswith("ENOSYS (Function not implemented)")
    assert k.syscall_counts["cachestat"] == 1 and k.syscall_counts["syscall_0x3e7"] == 1


def test_exit_and_signal_lines(kt):
    from kernel_model.errors import ProcessExit, ProcessKilled
    k, out = kt
    with pytest.raises(ProcessExit):
        sc(k, 222, 3)
    assert lines(out)[-2:] == ["exit_group(3)                           = ?",
                               "+++ exited with 3 +++"]
    k2out = io.StringIO()
    k2 = make_kernel(strace=True, strace_file=k2out)
    with pytest.raises(ProcessKilled):
        sc(k2, 37, k2.pid, abi.SIGTERM)
    got = lines(k2out)
    assert got[-3] == f"kill({k2.pid}, SIGTERM)".ljust(39) + " = 0"
    assert got[-2] == f"--- SIGTERM {{si_signo=SIGTERM, si_code=SI_USER, si_pid={k2.pid}, si_uid={k2.info.ruid}}} ---"
    assert got[-1] == "+++ killed by SIGTERM +++"
