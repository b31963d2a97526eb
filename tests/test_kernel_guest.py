"""Kernel-model behaviour of real glibc guest programs (tests/guest/kern_*.c).

Most programs are differential: stdout and exit status under ``hppa-user run`` must equal
qemu-hppa's. Where Linux and qemu-hppa differ, Linux wins and the test says so, checking the
emulator against the output Linux gives instead:

* ``kern_dirs`` -- a 32-bit program's ``readdir()`` (no _FILE_OFFSET_BITS=64). Linux gives a
  32-bit process 32-bit-safe ``d_off`` cookies; qemu-hppa passes the host's 64-bit ext4 hashes
  through and glibc's readdir then fails with EOVERFLOW, listing nothing.
* ``kern_mmap`` -- qemu-hppa 7.2 ignores MAP_FIXED_NOREPLACE and crashes after an mremap grow;
  the expected output is Linux's.
* ``kern_kill`` -- kill()/tkill()/tgkill() aimed at other processes. qemu-hppa would signal real
  host processes (its process group, or everything with kill(-1)); it must never run there.
"""
from __future__ import annotations

import pytest

OPTS = ("-O2",)


def _both(guest, run_qemu, run_emu, tmp_path, name, args=(), opt="-O2"):
    binary = guest(name, opt=opt)
    qdir, edir = tmp_path / "qemu", tmp_path / "emu"
    qdir.mkdir()
    edir.mkdir()
    q = run_qemu(binary, args, cwd=qdir)
    e = run_emu(binary, args, cwd=edir)
    return q, e


@pytest.mark.parametrize("opt", ("-O0", "-O2"))
@pytest.mark.parametrize("name,status", [("kern_files", 0), ("kern_signals", 143),
                                         ("kern_timers", 142), ("kern_time_ids", 0),
                                         ("kern_sigstress", 0)])
def test_differential(guest, run_qemu, run_emu, tmp_path, name, status, opt):
    q, e = _both(guest, run_qemu, run_emu, tmp_path, name, opt=opt)
    assert q.returncode == status, q.stderr.decode(errors="replace")[-2000:]
    assert e.stdout.decode(errors="replace") == q.stdout.decode(errors="replace"), \
        e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == q.returncode


def test_vdso_coarse_clock_follows_back_to_back_syscalls(guest, run_qemu, run_emu, tmp_path):
    """glibc 2.41 reads the coarse clock through the vDSO (the vvar page): never older than
    what a syscall returned just before it, and moving on while the program makes nothing
    but syscalls -- which return through Cpu.return_and_run, whose look at the kernel's
    tick is native (CTL_TICK_DUE).  Linux's answers, and qemu-hppa's (whose vDSO makes the
    syscall)."""
    binary = guest("kern_coarse_follow", glibc="2.41")
    expected = ("coarse reads older than the syscall's before them: 0\n"
                "coarse clock moved on 30 ms during getpid calls: yes\n")
    q, e = run_qemu(binary, cwd=tmp_path), run_emu(binary, options=("--stats",), cwd=tmp_path)
    assert q.stdout.decode() == expected
    assert e.stdout.decode() == expected, e.stderr.decode(errors="replace")[-2000:]
    assert b"__vdso_clock_gettime64 " in e.stderr        # the vDSO path was the one taken


@pytest.mark.parametrize("what,status", [
    ("segv", 139), ("null", 139), ("ro", 139), ("jump0", 139), ("ill", 132), ("abort", 134),
    ("break", 133), ("ovf", 136), ("term", 143), ("chld", 3), ("pipe", 141),
])
def test_default_signal_actions(guest, run_qemu, run_emu, tmp_path, what, status):
    q, e = _both(guest, run_qemu, run_emu, tmp_path, "kern_faults", (what,))
    assert q.returncode == status
    assert e.returncode == status, e.stderr.decode(errors="replace")[-2000:]
    assert e.stdout == q.stdout
    if status > 128:
        # one line on stderr naming the signal and the pc
        assert b"pc" in e.stderr.lower() or b"0x" in e.stderr


def test_default_action_parisc_signal_number(guest, run_qemu, run_emu, tmp_path):
    """SIGUSR1 is 16 on parisc (10 on x86): the emulator reports 128+16. qemu-hppa re-raises
    the host's SIGUSR1 and so exits 128+10 -- the numbers differ by design."""
    q, e = _both(guest, run_qemu, run_emu, tmp_path, "kern_faults", ("usr1",))
    assert e.returncode == 128 + 16
    assert q.returncode in (128 + 10, 128 + 16)
    assert e.stdout == q.stdout


KERN_DIRS_LINUX = """\
readdir: 43 entries, errno=0: . .. {files} sub
seekdir resumes: 1
telldir fits 32 bits: 1
after rewind: 44 entries, late=1
readdir64: 44 entries
fdopendir: 44 entries
opendir file: (nil) errno=1
opendir missing: (nil) errno=1
rmdir: 0
""".replace("{files}", " ".join(f"file{i:02d}" for i in range(40)))


def test_readdir_32bit_offsets_linux_not_qemu(guest, run_qemu, run_emu, tmp_path):
    """Linux lists the directory; qemu-hppa (7.2, 10.0) fails with EOVERFLOW. Linux wins."""
    q, e = _both(guest, run_qemu, run_emu, tmp_path, "kern_dirs")
    assert e.returncode == 0, e.stderr.decode(errors="replace")[-2000:]
    assert e.stdout.decode() == KERN_DIRS_LINUX
    # documents the qemu-hppa difference (not a requirement on qemu)
    if q.stdout.startswith(b"readdir: 0 entries, errno=EOVERFLOW"):
        assert q.stdout.decode() != KERN_DIRS_LINUX


KERN_MMAP_LINUX = """\
pagesize 4096
anon ok=1 aligned=1 zero=1
top-down: 1
mprotect ro: 0
write ro -> code 2
write rw -> code 0
mprotect none: 0
read none -> code 2
mprotect unaligned: -1 errno=1
munmap middle: 0
read unmapped -> code 1 addr_ok=1
munmap bad: -1 errno=1
mmap len 0: 0xffffffff errno=1
mmap bad fd: errno=1
fixed: same=1 zeroed=1
fixed_noreplace busy: 1 errno=1
mremap grow: ok=1 kept=remap me tail_zero=1
mremap shrink: same=1
madvise: 0 now=0
private file: abcde opq
shared sees file not private write: a
msync: 0
file after msync: SHARED
file after munmap: UNMAP
offset map: UNMAP
unaligned offset: 1
shared writable on O_RDONLY: 1
mprotect write on ro shared: -1 errno=1
sbrk: grew=1
sbrk back: 1
maps: lines>3=1 stack=1 exe=1
"""


@pytest.mark.parametrize("opt", ("-O0", "-O2"))
def test_mmap_linux_semantics(guest, run_emu, tmp_path, opt):
    """Checked against Linux's output: qemu-hppa 7.2 ignores MAP_FIXED_NOREPLACE and
    crashes after mremap, so it cannot be the oracle here."""
    e = run_emu(guest("kern_mmap", opt=opt), cwd=tmp_path)
    assert e.returncode == 0, e.stderr.decode(errors="replace")[-2000:]
    assert e.stdout.decode() == KERN_MMAP_LINUX


KERN_KILL_EXPECTED = """\
kill(self,0)=0
kill(1,0)=ESRCH
kill(1,SIGTERM)=ESRCH
kill(0,SIGUSR1)=EPERM
kill(-1,SIGUSR1)=EPERM
kill(-me,SIGUSR1)=EPERM
kill(self,99)=EINVAL
tkill(1,SIGUSR1)=ESRCH
tgkill(self,1,SIGUSR1)=ESRCH
tgkill(1,1,SIGUSR1)=ESRCH
tkill(0,SIGUSR1)=EINVAL
"""


def test_kill_never_reaches_other_processes(guest, run_emu, tmp_path):
    """Never run under qemu-hppa: it would really signal the process group / every process."""
    e = run_emu(guest("kern_kill"), cwd=tmp_path)
    assert e.returncode == 0
    assert e.stdout.decode() == KERN_KILL_EXPECTED


def test_strace_output(guest, run_emu, tmp_path):
    e = run_emu(guest("hello"), options=("--strace",), cwd=tmp_path)
    assert e.returncode == 0
    err = e.stderr.decode(errors="replace").splitlines()
    text = "\n".join(err)
    assert "brk(NULL)" in text
    assert any(ln.startswith("set_robust_list(0x") and ln.endswith("= 0") for ln in err)
    assert any(ln.startswith("getrlimit(RLIMIT_STACK, {rlim_cur=8192*1024, rlim_max=8192*1024})")
               for ln in err)
    assert any(ln.startswith('readlink("/proc/self/exe", "') for ln in err)
    assert any(ln.startswith('write(1, "Hello from hppa-user!\\nthe answer"..., 39)') and
               ln.endswith("= 39") for ln in err)
    assert any(ln.startswith("exit_group(0)") and ln.endswith("= ?") for ln in err)
    assert err[-1] == "+++ exited with 0 +++" or "+++ exited with 0 +++" in err


_HOSTSIG_RUNNER = r"""
import sys
sys.path.insert(0, {root!r})
from kernel_model.machine import Machine
from kernel_model import hostsig
m = Machine(sys.argv[1], sys.argv[1:])
hostsig.install(m.kernel)
rc = m.run()
sys.stdout.flush()
sys.exit(rc)
"""


@pytest.mark.parametrize("catch,hostsig,status,out", [
    (False, "SIGINT", 130, b""), (True, "SIGTERM", 0, b"caught 15\n"),
    (True, "SIGINT", 0, b"caught 2\n")])
def test_host_signals_reach_guest(guest, repo_root, tmp_path, catch, hostsig, status, out):
    """kernel_model.hostsig: Ctrl-C / kill to the emulator become guest signals."""
    import signal
    import subprocess
    import sys
    import time
    runner = tmp_path / "runner.py"
    runner.write_text(_HOSTSIG_RUNNER.format(root=str(repo_root)))
    args = [sys.executable, str(runner), str(guest("kern_spin"))] + (["catch"] if catch else [])
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"ready\n"        # the guest runs: handlers are installed
    time.sleep(0.2)
    p.send_signal(getattr(signal, hostsig))
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == status, stderr.decode(errors="replace")[-2000:]
    assert stdout == out
