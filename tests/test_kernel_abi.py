"""kernel_model.abi against the parisc uapi headers of the hppa cross toolchain (installed by
`make toolchain`, so always present in CI) and against struct sizes the hppa compiler computes."""
import os
import re
import struct

import pytest

from kernel_model import abi

ASM = "/usr/hppa-linux-gnu/include/asm"
GENERIC = "/usr/hppa-linux-gnu/include/asm-generic"


def _defines(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\b", line)
            if m:
                txt = m.group(2)
                out[m.group(1)] = int(txt, 16) if txt.startswith("0x") else \
                    int(txt, 8) if txt.startswith("0") and len(txt) > 1 else int(txt)
    return out


def test_errno_matches_parisc_header():
    d = _defines(f"{ASM}/errno.h")
    d.update(_defines(f"{GENERIC}/errno-base.h"))
    for name, value in d.items():
        if name.startswith("E") and name in abi.ERRNO:
            assert abi.ERRNO[name] == value, name
    assert abi.ENOSYS == 251 and abi.EOPNOTSUPP == 223 and abi.ENOTSUP == 252


def test_syscall_numbers_match_unistd_32():
    d = _defines(f"{ASM}/unistd_32.h")
    for name, nr in d.items():
        if name.startswith("__NR_"):
            assert abi.SYSCALL_NAMES[nr] == name[5:]


def test_syscall_index_is_the_registrations():
    """kernel_model/syscalls/index.py (which family to import at a number's first call) is
    what ``python -m kernel_model.syscalls --write-index`` writes from the registrations."""
    from kernel_model import syscalls
    with open(os.path.join(os.path.dirname(syscalls.__file__), "index.py")) as fh:
        assert fh.read() == syscalls.index_source()


def test_registered_names_are_the_tables():
    from kernel_model.syscalls import load_families
    from kernel_model.syscalls.registry import SYSCALLS
    load_families()
    for nr, sc in SYSCALLS.items():
        assert abi.SYSCALL_NAMES[nr] == sc.name


def test_each_syscall_reads_its_arguments_as_their_kinds_say():
    """What a handler is given: each argument register as a signed 32-bit value where its
    kind is signed (fd, clockid, ...), else unsigned -- through whichever reader the
    dispatch entry holds (the first-signed readers or signed_args)."""
    from hppa_user.context import CpuContext
    from kernel_model.syscalls import load_families
    from kernel_model.syscalls.registry import DISPATCH, SIGNED_KINDS, SYSCALLS, signed_args
    load_families()
    ctx = CpuContext()
    for values in ((0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 1, 0xFFFFFF9C, 0x80000001),
                   (0x80000000, 5, 0xFFFFFFFE, 0x90000000, 0, 0xFFFFFFFF)):
        for reg, v in zip((26, 25, 24, 23, 22, 21), values):
            ctx.gr[reg] = v
        for nr, sc in SYSCALLS.items():
            _sc, _handler, read_args, signed, _own = DISPATCH[nr]
            got = () if read_args is None else read_args(ctx.regs)
            if signed:
                got = signed_args(got, signed)
            want = [v - (1 << 32) if kind in SIGNED_KINDS and v & 0x80000000 else v
                    for v, kind in zip(values, sc.kinds)]
            assert list(got) == want, sc.name


def test_open_mmap_signal_flags():
    f = _defines(f"{ASM}/fcntl.h")
    octal = {}
    with open(f"{ASM}/fcntl.h") as fh:
        for line in fh:
            m = re.match(r"#define\s+(\w+)\s+(0[0-7]+)\b", line)
            if m:
                octal[m.group(1)] = int(m.group(2), 8)
    for name in ("O_APPEND", "O_CREAT", "O_EXCL", "O_LARGEFILE", "O_NONBLOCK", "O_NOCTTY",
                 "O_DSYNC", "O_NOATIME", "O_CLOEXEC", "O_DIRECTORY", "O_NOFOLLOW", "O_PATH"):
        assert getattr(abi, name) == octal[name], name
    assert (abi.F_GETLK64, abi.F_SETLK64, abi.F_SETLKW64) == (f["F_GETLK64"], f["F_SETLK64"], f["F_SETLKW64"])
    assert (abi.F_RDLCK, abi.F_WRLCK, abi.F_UNLCK) == (1, 2, 3)
    m = _defines(f"{ASM}/mman.h")
    for name in ("MAP_FIXED", "MAP_ANONYMOUS", "MAP_NORESERVE", "MAP_GROWSDOWN", "MAP_POPULATE",
                 "MAP_NONBLOCK", "MAP_STACK", "MAP_FIXED_NOREPLACE", "MAP_DENYWRITE"):
        assert getattr(abi, name) == m[name], name
    s = _defines(f"{ASM}/signal.h")
    for name, v in abi.SIGNALS.items():
        assert s[name] == v, name
    for name, v in abi.SA_FLAG_NAMES:
        assert s[name] == v, name


def test_struct_sizes():
    assert struct.calcsize(abi.STAT64_FMT) == abi.STAT64_SIZE == 104
    assert struct.calcsize(abi.SYSINFO_FMT) == abi.SYSINFO_SIZE == 64
    assert struct.calcsize(abi.STATFS64_FMT) == abi.STATFS64_SIZE == 88
    assert struct.calcsize(abi.RUSAGE_FMT) == 72
    assert struct.calcsize(abi.FLOCK_FMT) == 16 and struct.calcsize(abi.FLOCK64_FMT) == 32
    assert struct.calcsize(abi.KTERMIOS_FMT) == abi.KTERMIOS_SIZE == 36
    assert abi.TCGETS >> 16 & 0x3FFF == abi.KTERMIOS_SIZE
    # signal frame of a native 32-bit kernel
    assert abi.RT_SIGFRAME_SIZE == 768
    assert abi.SIGFRAME_CONTEXT_REGS32 == -608
    assert abi.RT_SIGFRAME_UC + abi.UC_MCONTEXT == 160
    assert abi.RT_SIGFRAME_UC + abi.UC_SIGMASK == 576
    # Linux <= 5.17: u32 tramp[9] (trampoline in tramp[5..8]), siginfo, 8-aligned ucontext
    assert abi.OLD_RT_SIGFRAME_TRAMP == 5 * 4 and abi.OLD_RT_SIGFRAME_INFO == 9 * 4
    assert abi.OLD_RT_SIGFRAME_UC == (9 * 4 + 128 + 7) & ~7 == 168
    assert abi.OLD_RT_SIGFRAME_STRUCT_SIZE == 168 + 448
    assert ((abi.OLD_RT_SIGFRAME_STRUCT_SIZE + 96) + 128) & -128 == abi.RT_SIGFRAME_SIZE


def test_host_errno_translation():
    import errno
    assert abi.guest_errno(errno.ENOENT) == 2
    assert abi.guest_errno(errno.ENOSYS) == 251
    assert abi.guest_errno(errno.ENAMETOOLONG) == 248
    assert abi.guest_errno(errno.ELOOP) == 249
    assert abi.guest_errno(errno.ENOTEMPTY) == 247
    assert abi.guest_errno(errno.EOPNOTSUPP) == 223
    assert abi.guest_errno(errno.ETIMEDOUT) == 238
    assert abi.guest_errno(errno.EOVERFLOW) == 72
    assert abi.guest_errno(None) == abi.EIO


def test_open_flag_translation_roundtrip():
    import os as _os
    g = abi.O_WRONLY | abi.O_CREAT | abi.O_EXCL | abi.O_APPEND | abi.O_NONBLOCK | abi.O_CLOEXEC
    h = abi.open_flags_to_host(g)
    assert h == (_os.O_WRONLY | _os.O_CREAT | _os.O_EXCL | _os.O_APPEND | _os.O_NONBLOCK
                 | _os.O_CLOEXEC)
    assert abi.open_flags_from_host(h) == g


def test_termios_iflag_translation():
    assert abi.iflag_to_host(abi.PARISC_IUTF8 | 0x400) == abi.GENERIC_IUTF8 | 0x400
    assert abi.iflag_from_host(abi.GENERIC_IMAXBEL) == abi.PARISC_IMAXBEL


def test_setresuid_setresgid_rules():
    """Linux's setres[ug]id: unprivileged callers may only pick among their own ids; -1 keeps."""
    from kfake import make_kernel, sc
    k = make_kernel()
    i = k.info
    i.ruid, i.euid, i.suid = 1000, 1000, 2000
    i.rgid, i.egid, i.sgid = 100, 100, 200
    i.capable = lambda: False
    assert sc(k, 164, 2000, 0xFFFFFFFF, 1000) == 0
    assert (i.ruid, i.euid, i.suid, i.fsuid) == (2000, 1000, 1000, 1000)
    assert sc(k, 164, 0, 0xFFFFFFFF, 0xFFFFFFFF) == -1       # -EPERM: 0 is none of its ids
    assert i.ruid == 2000
    assert sc(k, 170, 0xFFFFFFFF, 200, 0xFFFFFFFF) == 0
    assert (i.rgid, i.egid, i.sgid, i.fsgid) == (100, 200, 200, 200)


def test_setuid_setreuid_rules():
    from kfake import make_kernel, sc
    k = make_kernel()
    i = k.info
    i.ruid, i.euid, i.suid, i.fsuid = 1000, 1000, 2000, 1000
    i.capable = lambda: False
    assert sc(k, 23, 2000) == 0 and (i.ruid, i.euid, i.suid, i.fsuid) == (1000, 2000, 2000, 2000)
    assert sc(k, 23, 5) == -1                                   # EPERM
    assert sc(k, 70, 0xFFFFFFFF, 1000) == 0                     # euid back to the real id
    assert (i.ruid, i.euid, i.suid, i.fsuid) == (1000, 1000, 2000, 1000)
    assert sc(k, 70, 2000, 0xFFFFFFFF) == -1                    # ruid only from real/effective
    i.capable = lambda: True
    assert sc(k, 46, 7) == 0 and (i.rgid, i.egid, i.sgid, i.fsgid) == (7, 7, 7, 7)
