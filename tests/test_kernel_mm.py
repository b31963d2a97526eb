"""Memory syscalls of the kernel model with a plain CPU context (real GuestMemory)."""
import os

import pytest

from hppa_user.errors import GuestFault
from hppa_user.memory import PERM_MAPPED, PERM_R, PERM_W, PERM_X
from kernel_model import abi
from kfake import DATA, STACK, cstr, make_kernel, sc

PG = 4096
ANON = abi.MAP_PRIVATE | abi.MAP_ANONYMOUS
RW = abi.PROT_READ | abi.PROT_WRITE


@pytest.fixture
def k():
    return make_kernel()


def u(v):
    return v & 0xFFFFFFFF


def test_brk_linux_semantics(k):
    start = k.brk_start
    assert sc(k, 45, 0) == start
    assert sc(k, 45, start + 10000) == start + 10000
    assert k.mem.is_mapped(start, 10000)
    k.mem.write(start + 9999, b"x")
    # shrinking unmaps whole pages past the new break
    assert sc(k, 45, start + 100) == start + 100
    assert not k.mem.is_mapped(start + PG, 1)
    # below the start: unchanged
    assert sc(k, 45, start - 4) == start + 100
    # into another mapping: refused, break unchanged
    sc(k, 90, start + 0x10000, PG, RW, ANON | abi.MAP_FIXED, -1, 0)
    assert sc(k, 45, start + 0x20000) == start + 100


def test_mmap_anonymous_top_down(k):
    a = u(sc(k, 90, 0, 3 * PG, RW, ANON, -1, 0))
    b = u(sc(k, 89, 0, PG, RW, ANON, -1, 0))
    assert a % PG == 0 and b % PG == 0
    assert a + 3 * PG <= STACK and b < a
    assert k.mem.read(a, 3 * PG) == bytes(3 * PG)
    assert k.mem.perm[a >> 12] & (PERM_R | PERM_W) == PERM_R | PERM_W


def test_mmap_errors(k):
    assert sc(k, 90, 0, 0, RW, ANON, -1, 0) == -abi.EINVAL
    assert sc(k, 90, 0, PG, RW, abi.MAP_ANONYMOUS, -1, 0) == -abi.EINVAL      # no type
    assert sc(k, 90, 0, PG, RW, abi.MAP_PRIVATE, 77, 0) == -abi.EBADF
    assert sc(k, 90, 0, PG, RW, ANON, -1, 100) == -abi.EINVAL                # mmap: bytes
    assert sc(k, 90, 0x1001, PG, RW, ANON | abi.MAP_FIXED, -1, 0) == -abi.EINVAL
    assert sc(k, 90, 0x1000, PG, RW, ANON | abi.MAP_FIXED, -1, 0) == -abi.EPERM
    assert sc(k, 90, 0, 0xFFFFF000, RW, ANON, -1, 0) == -abi.ENOMEM
    a = u(sc(k, 90, 0, PG, RW, ANON, -1, 0))
    assert sc(k, 90, a, PG, RW, ANON | abi.MAP_FIXED_NOREPLACE, -1, 0) == -abi.EEXIST
    # x86 flag values mean something else on parisc
    assert sc(k, 90, 0, PG, RW, 0x22, -1, 0) == -abi.EINVAL


def test_mmap_fixed_replaces_and_hint(k):
    a = u(sc(k, 90, 0, 2 * PG, RW, ANON, -1, 0))
    k.mem.write(a, b"old")
    assert u(sc(k, 90, a, PG, abi.PROT_READ, ANON | abi.MAP_FIXED, -1, 0)) == a
    assert k.mem.read(a, 3) == b"\0\0\0"
    assert not k.mem.perm[a >> 12] & PERM_W
    hint = 0x30000000
    assert u(sc(k, 90, hint, PG, RW, ANON, -1, 0)) == hint


def test_munmap_mprotect(k):
    a = u(sc(k, 90, 0, 4 * PG, RW, ANON, -1, 0))
    assert sc(k, 91, a + PG, PG) == 0
    assert not k.mem.is_mapped(a + PG)
    assert sc(k, 91, a + 1, PG) == -abi.EINVAL
    assert sc(k, 125, a, PG, abi.PROT_READ) == 0
    with pytest.raises(GuestFault):
        k.mem.write(a, b"x")
    assert sc(k, 125, a + PG, PG, abi.PROT_READ) == -abi.ENOMEM     # hole
    assert sc(k, 125, a + 1, PG, abi.PROT_READ) == -abi.EINVAL
    assert sc(k, 125, a + 2 * PG, PG, abi.PROT_NONE) == 0
    assert k.mem.perm[(a >> 12) + 2] == PERM_MAPPED
    assert sc(k, 125, a + 3 * PG, PG, abi.PROT_EXEC) == 0
    assert k.mem.perm[(a >> 12) + 3] & PERM_X


def test_mremap(k):
    a = u(sc(k, 90, 0, PG, RW, ANON, -1, 0))
    k.mem.write(a, b"keep")
    b = u(sc(k, 163, a, PG, 16 * PG, abi.MREMAP_MAYMOVE, 0))
    assert k.mem.read(b, 4) == b"keep"
    assert k.mem.is_mapped(b, 16 * PG)
    assert u(sc(k, 163, b, 16 * PG, 2 * PG, 0, 0)) == b
    assert not k.mem.is_mapped(b + 2 * PG)
    assert sc(k, 163, 0x12345000, PG, 2 * PG, 0, 0) == -abi.EFAULT


def test_madvise_dontneed_zeroes(k):
    a = u(sc(k, 90, 0, 2 * PG, RW, ANON, -1, 0))
    k.mem.write(a, b"z" * (2 * PG))
    assert sc(k, 119, a, 2 * PG, abi.MADV_DONTNEED) == 0
    assert k.mem.read(a, 2 * PG) == bytes(2 * PG)
    assert sc(k, 119, a, PG, 999) == -abi.EINVAL


def test_file_mappings(k, tmp_path):
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * 32)            # 8 KiB
    fd = sc(k, 5, cstr(k, DATA, str(path)), abi.O_RDWR, 0)
    p = u(sc(k, 90, 0, 2 * PG, RW, abi.MAP_PRIVATE, fd, 0))
    assert k.mem.read(p, 4) == bytes([0, 1, 2, 3])
    off = u(sc(k, 89, 0, PG, abi.PROT_READ, abi.MAP_PRIVATE, fd, 1))
    assert k.mem.read(off, 2) == bytes([0, 1])
    k.mem.write(p, b"PRIV")
    s = u(sc(k, 90, 0, 2 * PG, RW, abi.MAP_SHARED, fd, 0))
    assert k.mem.read(s, 4) == bytes([0, 1, 2, 3])
    k.mem.write(s + 8, b"SHARED")
    assert sc(k, 144, s, PG, abi.MS_SYNC) == 0
    assert path.read_bytes()[8:14] == b"SHARED"
    k.mem.write(s + PG, b"UNMAP")
    assert sc(k, 91, s, 2 * PG) == 0
    assert path.read_bytes()[PG:PG + 5] == b"UNMAP"
    assert path.read_bytes()[:4] == bytes([0, 1, 2, 3])    # private write stayed private
    # read-only file: no writable shared mapping
    ro = sc(k, 5, cstr(k, DATA, str(path)), abi.O_RDONLY, 0)
    assert sc(k, 90, 0, PG, RW, abi.MAP_SHARED, ro, 0) == -abi.EACCES
    m = u(sc(k, 90, 0, PG, abi.PROT_READ, abi.MAP_SHARED, ro, 0))
    assert sc(k, 125, m, PG, RW) == -abi.EACCES
    # directories and pipes cannot be mapped
    d = sc(k, 5, cstr(k, DATA, str(tmp_path)), abi.O_RDONLY | abi.O_DIRECTORY, 0)
    assert sc(k, 90, 0, PG, abi.PROT_READ, abi.MAP_PRIVATE, d, 0) == -abi.ENODEV


def _host_mapping_of(k, addr):
    """The path of the host mapping guest ``addr`` is in ('' for anonymous memory)."""
    host = k.mem.base + addr
    with open("/proc/self/maps") as fh:
        for line in fh:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= host < hi:
                return line.split(None, 5)[5].strip() if len(line.split()) > 5 else ""
    raise AssertionError("not mapped in this process")


@pytest.mark.parametrize("pages", [2, 70])       # (unmapping 64 pages or more maps fresh ones)
def test_private_file_pages_are_the_files_until_written(k, tmp_path, pages):
    """A private mapping of a regular file is the host file's pages, copy-on-write: read as
    the file, written privately; unmapped, its range reads as zero again (not the file's
    bytes, which dropping the pages of a file mapping would bring back)."""
    path = tmp_path / "f"
    data = os.urandom(pages * PG - 100)
    path.write_bytes(data)
    fd = sc(k, 5, cstr(k, DATA, str(path)), abi.O_RDONLY, 0)
    p = u(sc(k, 90, 0, pages * PG, RW, abi.MAP_PRIVATE, fd, 0))
    assert _host_mapping_of(k, p) == str(path)                # mapped, not copied
    assert k.mem.read(p, len(data)) == data and k.mem.read(p + len(data), 100) == bytes(100)
    k.mem.write(p + PG, b"PRIVATE")
    assert k.mem.read(p + PG, 7) == b"PRIVATE" and path.read_bytes() == data
    assert sc(k, 91, p, pages * PG) == 0
    q = u(sc(k, 90, p, pages * PG, RW, ANON | abi.MAP_FIXED, -1, 0))
    assert q == p and k.mem.read(p, pages * PG) == bytes(pages * PG)


def test_private_mapping_of_a_file_the_host_cannot_map_is_copied(k):
    """A regular file whose host file system has no mmap (sysfs) is read into the range
    instead, as before files were mapped."""
    path = "/sys/kernel/uevent_seqnum"
    with open(path, "rb") as fh:
        text = fh.read()
    fd = sc(k, 5, cstr(k, DATA, path), abi.O_RDONLY, 0)
    p = u(sc(k, 90, 0, PG, abi.PROT_READ, abi.MAP_PRIVATE, fd, 0))
    assert _host_mapping_of(k, p) != path
    got = k.mem.read(p, PG)
    assert got[:len(text)] == text and got[len(text):] == bytes(PG - len(text))


def test_shared_mapping_written_back_at_exit(k, tmp_path):
    from kernel_model.errors import ProcessExit
    path = tmp_path / "g"
    path.write_bytes(b"." * PG)
    fd = sc(k, 5, cstr(k, DATA, str(path)), abi.O_RDWR, 0)
    s = u(sc(k, 90, 0, PG, RW, abi.MAP_SHARED, fd, 0))
    k.mem.write(s, b"EXIT")
    with pytest.raises(ProcessExit):
        sc(k, 222, 0)
    assert path.read_bytes()[:4] == b"EXIT"
    assert len(path.read_bytes()) == PG                  # never extended


def test_proc_self_maps_format(k, tmp_path):
    a = u(sc(k, 90, 0, 2 * PG, RW, ANON, -1, 0))
    path = tmp_path / "mapped"
    path.write_bytes(b"x" * PG)
    fd = sc(k, 5, cstr(k, DATA, str(path)), abi.O_RDONLY, 0)
    f = u(sc(k, 90, 0, PG, abi.PROT_READ, abi.MAP_PRIVATE, fd, 0))
    sc(k, 45, k.brk_start + 5000)
    fd2 = sc(k, 5, cstr(k, DATA, "/proc/self/maps"), abi.O_RDONLY, 0)
    assert fd2 >= 0
    n = sc(k, 3, fd2, DATA + 0x1000, 0x8000)
    text = k.mem.read(DATA + 0x1000, n).decode()
    lines = text.splitlines()
    assert f"{a:08x}-{a + 2 * PG:08x} rw-p 00000000 00:00 0" in lines
    st = os.stat(path)
    fl = [ln for ln in lines if ln.startswith(f"{f:08x}-")][0]
    assert fl.endswith(str(path)) and f" {st.st_ino} " in fl
    assert fl.index(str(path)) == 49                  # Linux pads to column 49 on 32-bit
    assert any(ln.endswith("[heap]") for ln in lines)
    assert any(ln.endswith("[stack]") for ln in lines)
    assert sc(k, 5, cstr(k, DATA, "/proc/self/maps"), abi.O_WRONLY, 0) == -abi.EACCES


def test_mlock_mincore(k):
    a = u(sc(k, 90, 0, 2 * PG, RW, ANON, -1, 0))
    assert sc(k, 150, a, 2 * PG) == 0
    assert sc(k, 72, a, 2 * PG, DATA) == 0
    assert k.mem.read(DATA, 2) == b"\x01\x01"
    assert sc(k, 72, 0x20000000, PG, DATA) == -abi.ENOMEM


def test_pages_past_the_end_of_a_file_raise_sigbus(guest, run_emu, run_qemu):
    """A page of a file mapping wholly past the end of the file: SIGBUS BUS_ADRERR (as Linux's
    filemap_fault()), also after mprotect; write() from it is EFAULT. qemu-hppa agrees on the
    signals and codes but reports si_addr from its own host mapping (7.2: a page too far,
    10.0: a host address), so si_addr is checked against the addresses the program touched."""
    binary = guest("mmap_past_eof")
    got, ref = run_emu(binary), run_qemu(binary)
    assert got.returncode == ref.returncode == 0, got.stderr
    strip = lambda out: [l.split(" at base+")[0] for l in out.decode().splitlines()]   # noqa: E731
    assert strip(got.stdout) == strip(ref.stdout)
    touched = [int(l.split("base+")[1]) for l in got.stdout.decode().splitlines() if "base+" in l]
    assert touched == [4096 + 8, 2 * 4096, 4096 + 16]
    assert b"signal 10 si_code 2" in got.stdout and b"write from past the end: -1 errno EFAULT" in got.stdout
