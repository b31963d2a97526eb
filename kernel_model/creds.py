"""Process identity and limits: credentials, process group/session, comm, rlimits.

The guest answers as the host user (uids/gids are the emulator's), but every *change*
(setuid, setsid, setpriority, setrlimit, ...) is virtual: it alters what the guest sees,
never the emulator process's own credentials, session or priority.
"""
from __future__ import annotations

import os

from kernel_model import abi
from kernel_model.proctree import PGID, PPID, SID, process_limit

MIB = 1 << 20
INF = abi.RLIM64_INFINITY


def _default_rlimits() -> list[list[int]]:
    """A default Linux process's limits (what a login shell usually has).

    RLIMIT_STACK is 8 MiB soft *and* hard: the kernel sizes the grows-up stack reservation
    from the hard limit, and the process set-up places the stack at the addresses Linux uses
    for an 8 MiB limit (VMA start 0xFF700000), so the limit reported matches the layout.
    """
    lim = [[INF, INF] for _ in range(abi.RLIM_NLIMITS)]
    lim[abi.RLIMIT_STACK] = [8 * MIB, 8 * MIB]
    lim[abi.RLIMIT_CORE] = [0, INF]
    lim[abi.RLIMIT_NOFILE] = [1024, 4096]
    nproc = process_limit()             # Linux derives its default from memory too
    lim[abi.RLIMIT_NPROC] = [nproc, nproc]
    lim[abi.RLIMIT_MEMLOCK] = [8 * MIB, 8 * MIB]
    lim[abi.RLIMIT_SIGPENDING] = [63204, 63204]
    lim[abi.RLIMIT_MSGQUEUE] = [819200, 819200]
    lim[abi.RLIMIT_NICE] = [0, 0]
    lim[abi.RLIMIT_RTPRIO] = [0, 0]
    return lim


class ProcessInfo:
    def __init__(self, k):
        self.k = k
        self.pid = k.pid
        self._ppid = os.getppid()
        uid, gid = os.getuid(), os.getgid()
        euid, egid = os.geteuid(), os.getegid()
        self.ruid, self.euid, self.suid, self.fsuid = uid, euid, euid, euid
        self.rgid, self.egid, self.sgid, self.fsgid = gid, egid, egid, egid
        try:
            self.groups = list(os.getgroups())
        except OSError:
            self.groups = []
        try:
            self._pgid = os.getpgrp()
            self._sid = os.getsid(0)
        except OSError:
            self._pgid = self._sid = self.pid
        self.umask = os.umask(0)
        os.umask(self.umask)
        self.nice = 0
        try:
            self.nice = os.getpriority(os.PRIO_PROCESS, 0)
        except (OSError, AttributeError):
            pass
        base = os.path.basename(k.exe_path) if k.exe_path else "a.out"
        self.comm = base.encode()[:15]
        self.rlimits = _default_rlimits()
        self.dumpable = 1
        self.no_new_privs = 0
        self.pdeathsig = 0
        self.personality = 0
        self.timerslack = 50000

    # parent, process group and session: once the process is part of a tree of guest
    # processes, its row in the shared table (others may change them: setpgid, orphaning)
    def _get(self, col: int, own: int) -> int:
        tree = self.k.tree
        if tree is None:
            return own
        return int(tree.table[tree.row, col])

    def _set(self, col: int, value: int) -> None:
        tree = self.k.tree
        if tree is not None:
            tree.table[tree.row, col] = value

    @property
    def ppid(self) -> int:
        return self._get(PPID, self._ppid)

    @property
    def pgid(self) -> int:
        return self._get(PGID, self._pgid)

    @pgid.setter
    def pgid(self, value: int) -> None:
        self._pgid = value
        self._set(PGID, value)

    @property
    def sid(self) -> int:
        return self._get(SID, self._sid)

    @sid.setter
    def sid(self, value: int) -> None:
        self._sid = value
        self._set(SID, value)

    def capable(self) -> bool:
        """CAP_SETUID and friends: only a (virtual) root has them."""
        return self.euid == 0
