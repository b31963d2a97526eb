"""Identity: user/group ids (the host user's; changes are virtual), process groups and
sessions (virtual; shared by the run's guest processes through proctree), priority, uname,
hostname."""
from __future__ import annotations

import os
import struct

from kernel_model import abi
from kernel_model.proctree import FLAG_EXECED, FLAGS, PGID, SID
from kernel_model.syscalls.registry import syscall

M32 = 0xFFFFFFFF
UNAME_RELEASE = "6.12.0"
UNAME_VERSION = "#1 SMP PREEMPT hppa-user"
UNAME_MACHINE = "parisc"


@syscall(24, "getuid")
def sys_getuid(k):
    return k.info.ruid


@syscall(49, "geteuid")
def sys_geteuid(k):
    return k.info.euid


@syscall(47, "getgid")
def sys_getgid(k):
    return k.info.rgid


@syscall(50, "getegid")
def sys_getegid(k):
    return k.info.egid


def _unset(v):
    return v & M32 == M32


class _Ids:
    """The real/effective/saved/fs ids of one kind ("u" or "g") of a ProcessInfo, so the uid
    and gid calls share one implementation of kernel/sys.c's rules."""

    def __init__(self, info, kind: str):
        self.info, self.kind = info, kind

    def __getattr__(self, name):          # r, e, s, fs
        return getattr(self.info, f"{name}{self.kind}id")

    def set(self, name, value):
        setattr(self.info, f"{name}{self.kind}id", value)


def _setid(k, kind: str, value: int) -> int:
    i = _Ids(k.info, kind)
    if k.info.capable():
        for name in ("r", "e", "s", "fs"):
            i.set(name, value)
    elif value in (i.r, i.s):
        i.set("e", value)
        i.set("fs", value)
    else:
        return -abi.EPERM
    return 0


def _setreid(k, kind: str, r: int, e: int) -> int:
    i = _Ids(k.info, kind)
    cap = k.info.capable()
    if not _unset(r) and not cap and r not in (i.r, i.e):
        return -abi.EPERM
    if not _unset(e) and not cap and e not in (i.r, i.e, i.s):
        return -abi.EPERM
    old_r = i.r
    if not _unset(r):
        i.set("r", r)
    if not _unset(e):
        i.set("e", e)
    if not _unset(r) or (not _unset(e) and e != old_r):
        i.set("s", i.e)
    i.set("fs", i.e)                        # kernel/sys.c: new->fsuid = new->euid
    return 0


@syscall(23, "setuid", "uid:uint")
def sys_setuid(k, uid):
    return _setid(k, "u", uid)


@syscall(46, "setgid", "gid:uint")
def sys_setgid(k, gid):
    return _setid(k, "g", gid)


@syscall(70, "setreuid", "ruid:uint", "euid:uint")
def sys_setreuid(k, ruid, euid):
    return _setreid(k, "u", ruid, euid)


@syscall(71, "setregid", "rgid:uint", "egid:uint")
def sys_setregid(k, rgid, egid):
    return _setreid(k, "g", rgid, egid)


def _setresid(k, kind: str, r: int, e: int, s: int) -> int:
    i = _Ids(k.info, kind)
    allowed = (i.r, i.e, i.s)
    if not k.info.capable() and any(not _unset(v) and v not in allowed for v in (r, e, s)):
        return -abi.EPERM
    for name, v in (("r", r), ("e", e), ("s", s)):
        if not _unset(v):
            i.set(name, v)
    i.set("fs", i.e)                        # kernel/sys.c: new->fsuid = new->euid
    return 0


@syscall(164, "setresuid", "ruid:uint", "euid:uint", "suid:uint")
def sys_setresuid(k, r, e, s):
    return _setresid(k, "u", r, e, s)


@syscall(170, "setresgid", "rgid:uint", "egid:uint", "sgid:uint")
def sys_setresgid(k, r, e, s):
    return _setresid(k, "g", r, e, s)


def _getresid(k, kind: str, r: int, e: int, s: int) -> int:
    i = _Ids(k.info, kind)
    for addr in (r, e, s):
        k.mem.check(addr, 4, 2)
    for addr, v in ((r, i.r), (e, i.e), (s, i.s)):
        k.mem.write_u32(addr, v)
    return 0


@syscall(165, "getresuid", "ruid:ptr", "euid:ptr", "suid:ptr")
def sys_getresuid(k, r, e, s):
    return _getresid(k, "u", r, e, s)


@syscall(171, "getresgid", "rgid:ptr", "egid:ptr", "sgid:ptr")
def sys_getresgid(k, r, e, s):
    return _getresid(k, "g", r, e, s)


@syscall(138, "setfsuid", "fsuid:uint")
def sys_setfsuid(k, uid):
    i = k.info
    old = i.fsuid
    if i.capable() or uid in (i.ruid, i.euid, i.suid, i.fsuid):
        i.fsuid = uid
    return old


@syscall(139, "setfsgid", "fsgid:uint")
def sys_setfsgid(k, gid):
    i = k.info
    old = i.fsgid
    if i.capable() or gid in (i.rgid, i.egid, i.sgid, i.fsgid):
        i.fsgid = gid
    return old


@syscall(80, "getgroups", "size:int", "list:ptr")
def sys_getgroups(k, size, lst):
    groups = k.info.groups
    if size < 0:
        return -abi.EINVAL
    if size == 0:
        return len(groups)
    if size < len(groups):
        return -abi.EINVAL
    if groups:
        k.mem.write(lst, struct.pack(f">{len(groups)}I", *groups))
    return len(groups)


@syscall(81, "setgroups", "size:int", "list:ptr")
def sys_setgroups(k, size, lst):
    if size < 0 or size > 65536:
        return -abi.EINVAL
    groups = list(struct.unpack(f">{size}I", k.mem.read(lst, 4 * size))) if size else []
    if not k.info.capable():
        return -abi.EPERM
    k.info.groups = groups
    return 0


@syscall(106, "capget", "hdrp:ptr", "datap:ptr")
def sys_capget(k, hdr, data):
    version, pid = struct.unpack(">Ii", k.mem.read(hdr, 8))
    if version not in (0x19980330, 0x20071026, 0x20080522):
        k.mem.write_u32(hdr, 0x20080522)
        return -abi.EINVAL if data else 0
    if pid not in (0, k.pid):
        return -abi.ESRCH
    if data:
        caps = 0xFFFFFFFF if k.info.euid == 0 else 0
        n = 1 if version == 0x19980330 else 2
        k.mem.write(data, struct.pack(">III", caps, caps, 0) * n)
    return 0


@syscall(107, "capset", "hdrp:ptr", "datap:ptr")
def sys_capset(k, hdr, data):
    k.mem.read(hdr, 8)
    return -abi.EPERM


# -- process groups and sessions (virtual: the emulator's own are never changed) ------------
def _other(k, pid: int, col: int) -> int:
    """Process group or session of another guest process of the run (ESRCH if none)."""
    value = k.tree.field(pid, col) if k.tree is not None else None
    return -abi.ESRCH if value is None else value


@syscall(65, "getpgrp")
def sys_getpgrp(k):
    return k.info.pgid


@syscall(132, "getpgid", "pid:pid")
def sys_getpgid(k, pid):
    if pid in (0, k.pid):
        return k.info.pgid
    return _other(k, pid, PGID)


@syscall(57, "setpgid", "pid:pid", "pgid:pid")
def sys_setpgid(k, pid, pgid):
    """kernel/sys.c: a process may move itself or a child that has not exec'd yet, within
    its session, to its own group or to an existing group of that session."""
    if pgid < 0:
        return -abi.EINVAL
    pid = pid or k.pid
    pgid = pgid or pid
    tree = k.tree
    if pid != k.pid:
        if tree is None or pid not in tree.children:
            return -abi.ESRCH
        row = tree.children[pid]
        if int(tree.table[row, SID]) != k.info.sid:
            return -abi.EPERM
        if tree.table[row, FLAGS] & FLAG_EXECED:
            return -abi.EACCES
        target_sid, target_leader = int(tree.table[row, SID]), int(tree.table[row, SID]) == pid
    else:
        row = -1
        target_sid, target_leader = k.info.sid, k.info.sid == k.pid
    if target_leader:
        return -abi.EPERM          # a session leader cannot change its group
    if pgid != pid:
        exists = pgid == k.info.pgid if tree is None else tree.pgid_exists_in_session(pgid, target_sid)
        if not exists:
            return -abi.EPERM
    if row < 0:
        k.info.pgid = pgid
    else:
        tree.set_field(row, PGID, pgid)
    return 0


@syscall(147, "getsid", "pid:pid")
def sys_getsid(k, pid):
    if pid in (0, k.pid):
        return k.info.sid
    return _other(k, pid, SID)


@syscall(66, "setsid")
def sys_setsid(k):
    i = k.info
    leader = i.pgid == k.pid if k.tree is None else k.tree.is_group_leader_anywhere(k.pid)
    if leader:
        return -abi.EPERM
    i.sid = i.pgid = k.pid
    return k.pid


# -- priority ---------------------------------------------------------------------------------
@syscall(96, "getpriority", "which:prio_which", "who:int")
def sys_getpriority(k, which, who):
    if which not in (abi.PRIO_PROCESS, abi.PRIO_PGRP, abi.PRIO_USER):
        return -abi.EINVAL
    i = k.info
    mine = {abi.PRIO_PROCESS: (0, k.pid), abi.PRIO_PGRP: (0, i.pgid),
            abi.PRIO_USER: (0, i.ruid)}[which]
    if who not in mine:
        return -abi.ESRCH
    return 20 - i.nice


@syscall(97, "setpriority", "which:prio_which", "who:int", "prio:int")
def sys_setpriority(k, which, who, prio):
    if which not in (abi.PRIO_PROCESS, abi.PRIO_PGRP, abi.PRIO_USER):
        return -abi.EINVAL
    i = k.info
    mine = {abi.PRIO_PROCESS: (0, k.pid), abi.PRIO_PGRP: (0, i.pgid),
            abi.PRIO_USER: (0, i.ruid)}[which]
    if who not in mine:
        return -abi.ESRCH
    prio = max(-20, min(19, prio))
    if prio < i.nice and not i.capable():
        return -abi.EACCES
    i.nice = prio
    return 0


@syscall(34, "nice", "inc:int")
def sys_nice(k, inc):
    i = k.info
    new = max(-20, min(19, i.nice + inc))
    if new < i.nice and not i.capable():
        return -abi.EPERM
    i.nice = new
    return 0


# -- uname ------------------------------------------------------------------------------------
def utsname_fields(k):
    node = getattr(k, "hostname", None) or os.uname().nodename
    dom = getattr(k, "domainname", None) or "(none)"
    return ["Linux", node, UNAME_RELEASE, UNAME_VERSION, UNAME_MACHINE, dom]


@syscall(59, "uname", "buf:utsname_out")
def sys_uname(k, buf):
    data = b"".join(f.encode()[:64].ljust(abi.UTSNAME_FIELD, b"\0") for f in utsname_fields(k))
    k.mem.write(buf, data)
    return 0


@syscall(74, "sethostname", "name:str", "len:size")
def sys_sethostname(k, name, length):
    if length > 64:
        return -abi.EINVAL
    k.mem.read(name, length)
    return -abi.EPERM


@syscall(121, "setdomainname", "name:str", "len:size")
def sys_setdomainname(k, name, length):
    if length > 64:
        return -abi.EINVAL
    k.mem.read(name, length)
    return -abi.EPERM

