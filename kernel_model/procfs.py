"""The parts of /proc that must describe the *guest*, not the emulator's Python process.

``/proc/self`` (and ``/proc/<pid>``, ``/proc/thread-self``) paths are intercepted:
``exe`` (readlink -> the guest program's absolute path, open -> the program file),
``maps`` (the guest's mappings in Linux's format), ``auxv`` (what exec wrote), ``cmdline``,
``comm``, ``status``, ``stat``, ``fd/N`` (readlink -> what guest fd N refers to, open ->
reopen it), ``cwd``.
Synthetic files are memfds filled at open time. Everything else passes through to the host.
"""
from __future__ import annotations

import os
import struct

from kernel_model import abi
from kernel_model.errors import SyscallError

# (paths are matched without re: the start-up rule, cli.py)

def _norm(path: bytes) -> bytes:
    # collapse "//" and "/./" so that "/proc//self/exe" is recognised too
    parts = [p for p in path.split(b"/") if p not in (b"", b".")]
    return b"/" + b"/".join(parts) if path.startswith(b"/") else path


def split_self(k, path: bytes):
    """(rest) if ``path`` names something under the guest's own /proc/<pid>, else None."""
    if not path.startswith(b"/proc"):
        return None
    parts = _norm(path).split(b"/", 3)             # "", "proc", who[, the rest]
    if len(parts) < 3 or parts[1] != b"proc":
        return None
    who = parts[2]
    if who not in (b"self", b"thread-self") and not who.isdigit():
        return None
    if who.isdigit() and int(who) != k.pid and int(who) not in k.sched.threads:
        return None
    return b"/" + parts[3] if len(parts) == 4 else b""


def _fd_number(rest: bytes) -> int | None:
    """N of "/fd/N", else None."""
    return int(rest[4:]) if rest.startswith(b"/fd/") and rest[4:].isdigit() else None


def _in_task(rest: bytes) -> bytes | None:
    """What follows "/task" in "/task" or "/task/...", else None."""
    return rest[5:] if rest == b"/task" or rest.startswith(b"/task/") else None


def readlink(k, path: bytes):
    """Target bytes for intercepted links, or None to let the host answer."""
    rest = split_self(k, path)
    if rest is None:
        if _norm(path) == b"/proc/self":
            return str(k.pid).encode()
        return None
    if rest == b"":
        if _norm(path) in (b"/proc/self", b"/proc/thread-self"):
            return str(k.pid).encode()
        return None
    if rest == b"/exe":
        if not k.exe_path:
            raise SyscallError(abi.ENOENT)
        return os.fsencode(k.exe_path)
    if rest == b"/cwd":
        return os.fsencode(os.getcwd())
    fd = _fd_number(rest)
    if fd is not None:
        if fd not in k.files.fds:
            raise SyscallError(abi.ENOENT)
        of = k.files.get(fd)
        try:
            return os.fsencode(os.readlink(f"/proc/self/fd/{of.host_fd}"))
        except OSError:
            return of.path or b"anon_inode:[unknown]"
    return None


def _status(k) -> bytes:
    i = k.info
    sig = k.signals
    return (f"Name:\t{i.comm.decode(errors='replace')}\nUmask:\t{i.umask:04o}\n"
            f"State:\tR (running)\nTgid:\t{k.pid}\nNgid:\t0\nPid:\t{k.pid}\nPPid:\t{i.ppid}\n"
            f"TracerPid:\t0\nUid:\t{i.ruid}\t{i.euid}\t{i.suid}\t{i.fsuid}\n"
            f"Gid:\t{i.rgid}\t{i.egid}\t{i.sgid}\t{i.fsgid}\nFDSize:\t64\n"
            f"Groups:\t{' '.join(str(g) for g in i.groups)}\nThreads:\t{len(k.sched.threads)}\n"
            f"SigPnd:\t{sig.private_mask:016x}\nShdPnd:\t{sig.shared_mask:016x}\n"
            f"SigBlk:\t{sig.blocked:016x}\n"
            f"SigIgn:\t{sum(1 << (s - 1) for s in range(1, 65) if sig.actions[s][0] == abi.SIG_IGN):016x}\n"
            f"SigCgt:\t{sum(1 << (s - 1) for s in range(1, 65) if sig.actions[s][0] > 1):016x}\n"
            ).encode()


def _stat(k) -> bytes:
    i = k.info
    comm = i.comm.decode(errors="replace")
    fields = [str(k.pid), f"({comm})", "R", str(i.ppid), str(i.pgid), str(i.sid)] + ["0"] * 46
    return (" ".join(fields) + "\n").encode()


def synthetic(k, rest: bytes):
    """Content of an intercepted regular file, or None."""
    if rest == b"/maps":
        return k.vm.render_maps(k)
    if rest == b"/cmdline":
        argv = k.argv
        return b"".join(os.fsencode(a) + b"\0" for a in argv)
    if rest == b"/comm":
        return k.info.comm + b"\n"
    if rest == b"/status":
        return _status(k)
    if rest == b"/stat":
        return _stat(k)
    if rest == b"/auxv":                 # mm->saved_auxv: the pairs exec wrote, AT_NULL included
        return b"".join(struct.pack(">II", t, v & 0xFFFFFFFF) for t, v in k.auxv)
    if rest in (b"/mem", b"/environ", b"/pagemap", b"/smaps", b"/syscall"):
        return b""
    return None


def task_snapshot(k) -> bytes:
    """``/proc/self/task`` as a directory of the process's threads, each with its ``comm``,
    ``stat`` and ``status``: a snapshot in a private temporary directory, made afresh at
    each lookup (removed with the process, see cleanup())."""
    import shutil                      # with tempfile, ~3 ms of every start: only when asked
    import tempfile
    if k.proc_snapshot is None or k.proc_snapshot[0] != k.pid:
        k.proc_snapshot = (k.pid, tempfile.mkdtemp(prefix=f"hppa-user-task-{k.pid}-"))
    base = os.path.join(k.proc_snapshot[1], "task")
    shutil.rmtree(base, ignore_errors=True)
    os.mkdir(base)
    threads = dict(k.sched.threads)
    if k.sched.leader_exited:
        threads[k.pid] = None                 # the main thread's zombie
    for tid, t in sorted(threads.items()):
        d = os.path.join(base, str(tid))
        os.mkdir(d)
        comm = (t.comm if t is not None else b"") or k.info.comm
        for name, data in ((b"comm", comm + b"\n"), (b"stat", _stat(k)),
                           (b"status", _status(k))):
            with open(os.path.join(os.fsencode(d), name), "wb") as fh:
                fh.write(data)
    return os.fsencode(base)


def cleanup(k) -> None:
    own = k.proc_snapshot
    if own is not None and own[0] == k.pid:         # a forked child's copy is not its own
        import shutil
        shutil.rmtree(own[1], ignore_errors=True)
        k.proc_snapshot = None


def open_special(k, path: bytes, flags: int):
    """An intercepted open: returns a host fd (owned by the caller) or None."""
    rest = split_self(k, path)
    if rest is None:
        return None
    under = _in_task(rest)
    if under is not None:
        host = task_snapshot(k) + under
        return os.open(host, abi.open_flags_to_host(flags) | os.O_CLOEXEC)
    if rest == b"/exe":
        return os.open(k.exe_path, os.O_RDONLY | os.O_CLOEXEC)
    fd = _fd_number(rest)
    if fd is not None:
        of = k.files.get(fd) if fd in k.files.fds else None
        if of is None:
            raise SyscallError(abi.ENOENT)
        return os.open(f"/proc/self/fd/{of.host_fd}",
                       abi.open_flags_to_host(flags) | os.O_CLOEXEC)
    data = synthetic(k, rest)
    if data is None:
        return None
    if flags & abi.O_ACCMODE != abi.O_RDONLY:
        raise SyscallError(abi.EACCES)
    fd = os.memfd_create("hppa-proc", os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def stat_target(k, path: bytes):
    """Host path to stat instead of an intercepted one (exe, fd/N), or None."""
    rest = split_self(k, path)
    if rest is None:
        return None
    under = _in_task(rest)
    if under is not None:
        return task_snapshot(k) + under
    if rest == b"/exe":
        return os.fsencode(k.exe_path)
    fd = _fd_number(rest)
    if fd is not None:
        if fd not in k.files.fds:
            raise SyscallError(abi.ENOENT)
        return f"/proc/self/fd/{k.files.get(fd).host_fd}".encode()
    return None
