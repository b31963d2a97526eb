"""The guest's process tree: every guest process of one run, each one a host process.

fork() forks the emulator, so guest pids are host pids and what the host kernel does for
processes -- copy-on-write memory, inherited descriptors, exit statuses, zombies, reaping,
stopping and continuing -- is Linux's own. What one host process cannot see of another
lives here, created by the run's first fork:

* a table in shared memory (a memfd every process of the run maps): per process its pid,
  parent, process group, session, state and, once it has ended, its *guest* wait status
  (a guest signal is not the host's: the host only sees the emulator exit);
* a mailbox per process (an abstract AF_UNIX datagram socket named after the run and the
  pid): kill() from another guest process posts the signal with its siginfo there and
  rings the ``DOORBELL`` host signal, whose handler queues it for the next tick. SIGKILL,
  SIGSTOP and SIGCONT act on the host process itself;
* the first process is the host's child subreaper of the others: a guest orphan is adopted
  by init (pid 1) as the guest sees it, and reaped by the emulator. When the first process
  ends, every guest process still alive is killed and reaped: nothing outlives the run.

Process groups and sessions are the guest's own (virtual, as for a single process): the
host's are never changed, and kill() reaches guest processes of this run only.
"""
from __future__ import annotations

# the socket module's C half: a mailbox needs only bind, sendto and recv, and the Python
# half (selectors, its enum classes) costs every run's start-up ~1.5 ms
import _socket
import ctypes
import errno
import fcntl
import mmap
import os
import resource
import select
import _signal as signal    # (start-up rule: cli.py)
import struct
import time

from hppa_user import hostarray
from hppa_user.frames import Frames, frame
from kernel_model import abi, wakeup
from kernel_model.errors import ProcessKilled, SyscallError
from kernel_model.signals import SigInfo, host_group

# table columns (int32)
PID, PPID, PGID, SID, STATE, STATUS, FLAGS, EXIT_SIGNAL, STOP_SIGNAL = range(9)
NCOLS = 9
FREE, ALIVE, DEAD = 0, 1, 2          # DEAD: ended, STATUS valid, not reaped yet (a zombie)
FLAG_EXECED = 1                      # setpgid() on it fails with EACCES
MAX_SLOTS = 1024
# What one more emulator process costs the host, for the cap on processes per run (a fork
# bomb must end with EAGAIN, not with a machine out of memory)
PROCESS_COST = 192 << 20
INIT_PID = 1
MAILBOX_BIND_WAIT = 2.0               # seconds a row's address may stay held (open_mailbox)

# the host signal that says "your mailbox has a guest signal"; SIGRTMAX-2 is not a
# signal glibc or Python use
DOORBELL = signal.SIGRTMAX - 2
HELD_OVER_FORK = {DOORBELL, signal.SIGCHLD}   # blocked while fork() sets up each side
_MSG_HEAD = ">iiiiI"          # target pid, signo, errno, code, number of (offset, value) fields
_MSG_FIELD = ">iQ"

_PEEK = os.WEXITED | os.WSTOPPED | os.WCONTINUED | os.WNOHANG | os.WNOWAIT
_SUBREAPER = 36                      # PR_SET_CHILD_SUBREAPER


def process_limit() -> int:
    """Guest processes one run may have at once: the table size, the host user's limit and
    what the free memory holds at PROCESS_COST each (Linux also derives its default
    RLIMIT_NPROC from memory)."""
    avail = 8 << 30
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    host = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    cap = min(MAX_SLOTS, max(16, avail // PROCESS_COST))
    return cap if host == resource.RLIM_INFINITY else max(1, min(cap, host))


def _root_ended():
    raise ProcessKilled(abi.SIGKILL, 0, reason="the run's first process has ended")


def guest_signal(hsig: int) -> int:
    """A host signal number as the guest numbers it (real-time signals coincide)."""
    return abi.HOST_TO_GUEST_SIGNAL.get(hsig, hsig)


class _Locked:
    """``with tree.lock():`` the table's lock held for the block (not contextlib: the
    start-up rule, cli.py)."""
    __slots__ = ("fd",)

    def __init__(self, fd: int):
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN)


class ProcessTree:
    """This host process's handle on the run's process tree (shared table and mailboxes)
    plus what only it knows: its table row and its guest children."""

    def __init__(self, k):
        self.limit = process_limit()
        size = MAX_SLOTS * NCOLS * 4
        self._fd = os.memfd_create("hppa-user-procs", os.MFD_CLOEXEC)
        os.ftruncate(self._fd, size)
        self._map = mmap.mmap(self._fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._flat = memoryview(self._map).cast("i")
        self.table = self._flat.cast("B").cast("i", (MAX_SLOTS, NCOLS))     # table[row, col]
        self.root = k.pid
        self._name = f"hppa-user-{k.pid}-{os.urandom(6).hex()}-"
        # the root holds the only write end: its end (however it dies) is EOF for all
        self._root_alive_r, self._root_alive_w = os.pipe2(os.O_CLOEXEC)
        # statistics of ended processes, one JSON line each, summed by the root
        self._stats = os.memfd_create("hppa-user-stats", os.MFD_CLOEXEC)
        fcntl.fcntl(self._stats, fcntl.F_SETFL, fcntl.fcntl(self._stats, fcntl.F_GETFL) | os.O_APPEND)
        self.children: dict[int, int] = {}       # guest child pid -> table row
        info = k.info
        with self.lock():
            self.row = self._alloc_row()
            self._fill(self.row, k.pid, info.ppid, info.pgid, info.sid)
        self._sender = None
        self.mailbox = self.open_mailbox(self.row)
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        self._install_handlers(k)

    # -- the table -------------------------------------------------------------------------
    def lock(self) -> _Locked:
        return _Locked(self._fd)

    def _rows(self) -> list[tuple[int, list[int]]]:
        """(row, its columns) of each row in use, from one read of the table."""
        flat = self._flat.tolist()
        return [(r, flat[r * NCOLS:(r + 1) * NCOLS]) for r in range(MAX_SLOTS)
                if flat[r * NCOLS + STATE] != FREE]

    def _alloc_row(self) -> int:
        try:
            return self._flat[STATE::NCOLS].tolist().index(FREE)
        except ValueError:
            raise SyscallError(abi.EAGAIN) from None

    def _fill(self, row, pid, ppid, pgid, sid, state=ALIVE, flags=0):
        self._flat[row * NCOLS:(row + 1) * NCOLS] = hostarray.items(
            "i", (pid, ppid, pgid, sid, state, 0, flags, abi.SIGCHLD, 0))

    def find(self, pid: int) -> int:
        """The row of guest process ``pid`` (alive or a zombie), or -1."""
        if pid <= 0:
            return -1
        return next((r for r, cols in self._rows() if cols[PID] == pid), -1)

    def live_count(self) -> int:
        return MAX_SLOTS - self._flat[STATE::NCOLS].tolist().count(FREE)

    def field(self, pid: int, col: int) -> int | None:
        row = self.find(pid)
        return None if row < 0 else int(self.table[row, col])

    def set_field(self, row: int, col: int, value: int) -> None:
        self.table[row, col] = value

    def members(self, pgid: int | None = None) -> list[int]:
        """Pids of the run's processes (alive or zombies), of process group ``pgid``."""
        return [cols[PID] for _, cols in self._rows()
                if cols[PID] > 0 and (pgid is None or cols[PGID] == pgid)]   # (> 0: not reserved for a fork)

    def pgid_exists_in_session(self, pgid: int, sid: int) -> bool:
        return any(cols[STATE] == ALIVE and cols[PGID] == pgid and cols[SID] == sid
                   for _, cols in self._rows())

    def member_parents(self, pgid: int):
        """(process group, session) of the parent of each live member of group ``pgid`` (a
        parent outside the run is the host's; init is in no session of ours)."""
        t = self.table
        for _, cols in self._rows():
            if cols[STATE] != ALIVE or cols[PGID] != pgid:
                continue
            ppid = cols[PPID]
            prow = self.find(ppid)
            if prow >= 0:
                if t[prow, STATE] == ALIVE:
                    yield int(t[prow, PGID]), int(t[prow, SID])
            elif ppid > INIT_PID:
                yield host_group(ppid)

    def record_stop(self, sig: int) -> None:
        """This process stops for guest ``sig`` (by the host's SIGSTOP, which the host never
        discards): the parent's wait reports ``sig``."""
        self.table[self.row, STOP_SIGNAL] = sig

    def is_group_leader_anywhere(self, pid: int) -> bool:
        return any(cols[PGID] == pid for _, cols in self._rows())

    # -- fork ------------------------------------------------------------------------------
    def reserve(self):
        """A table row and a mailbox for a child about to be forked (the mailbox exists
        before the child runs: a signal sent to it at once is not lost). EAGAIN at the
        process limit."""
        with self.lock():
            if self.live_count() >= self.limit:
                raise SyscallError(abi.EAGAIN)
            row = self._alloc_row()
            t, me = self.table, self.row
            self._fill(row, 0, t[me, PID], t[me, PGID], t[me, SID])
        try:
            return row, self.open_mailbox(row)
        except OSError:
            self.release(row)
            raise SyscallError(abi.EAGAIN) from None

    def release(self, row: int, mailbox=None) -> None:
        self.table[row, STATE] = FREE
        if mailbox is not None:
            mailbox.close()

    def forked_parent(self, row: int, mailbox, pid: int, exit_signal: int) -> None:
        mailbox.close()                          # the child's now
        self.table[row, PID] = pid
        self.table[row, EXIT_SIGNAL] = exit_signal
        self.children[pid] = row

    def exit_signal(self, pid: int) -> int:
        """The signal child ``pid`` sends its parent when it ends (clone's CSIGNAL)."""
        row = self.children.get(pid, -1)
        return int(self.table[row, EXIT_SIGNAL]) if row >= 0 else abi.SIGCHLD

    def execed(self) -> None:
        self.table[self.row, FLAGS] |= FLAG_EXECED

    def forked_child(self, k, row: int, mailbox) -> None:
        """In the new process: take its row, its own mailbox, no children yet."""
        self.table[row, PID] = k.pid
        self.row = row
        self.children = {}
        if self._root_alive_w is not None:
            os.close(self._root_alive_w)
            self._root_alive_w = None
        self.mailbox.close()                     # the parent's
        self.mailbox = mailbox
        wakeup.watch(self._root_alive_r, _root_ended)    # blocked waits notice it too

    @property
    def is_root(self) -> bool:
        return self._root_alive_w is not None

    def root_gone(self) -> bool:
        """The run's first process has ended (only ever true in the others)."""
        if self.is_root:
            return False
        try:
            return bool(select.select([self._root_alive_r], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    # -- the end of a process -------------------------------------------------------------
    def exited(self, status: int, stats: dict | None) -> None:
        """This process has ended with guest wait ``status``: record it for the parent's
        wait, give its children to init, leave its statistics for the root."""
        t = self.table
        with self.lock():
            me = os.getpid()
            for row, cols in self._rows():
                if cols[PPID] == me:
                    t[row, PPID] = INIT_PID
            t[self.row, STATUS] = status
            t[self.row, STATE] = DEAD
        if stats is not None:
            try:
                os.write(self._stats, frame(stats))      # (one write: O_APPEND keeps it whole)
            except OSError:
                pass

    def reaped(self, pid: int) -> None:
        row = self.children.pop(pid, -1)
        if row < 0:
            row = self.find(pid)
        if row >= 0 and int(self.table[row, PID]) == pid:
            self.table[row, STATE] = FREE

    def recorded_status(self, pid: int) -> int | None:
        row = self.children.get(pid, -1)
        if row < 0 or int(self.table[row, PID]) != pid or self.table[row, STATE] != DEAD:
            return None
        return int(self.table[row, STATUS])

    def reap_orphans(self) -> None:
        """The root reaps the run's orphans (as init would)."""
        t = self.table
        for row, cols in self._rows():
            pid = cols[PID]
            if cols[PPID] != INIT_PID or pid <= 0:
                continue
            try:
                got, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue                 # not adopted by us yet: its SIGCHLD comes later
            if got == pid:
                t[row, STATE] = FREE

    def end_of_run(self) -> list[dict]:
        """The root has ended: kill what is left of the run, reap everything, return the
        statistics the others left."""
        me = os.getpid()
        with self.lock():
            left = [p for p in self.members() if p != me and p > 0]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 10.0
        pending = set(left) | set(self.children)
        while pending and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid:
                pending.discard(pid)
                continue
            for p in list(pending):
                try:
                    os.kill(p, 0)
                except ProcessLookupError:
                    pending.discard(p)
                except OSError:
                    pass
            if pending:
                time.sleep(0.002)
        hostarray.fill(self._flat[STATE::NCOLS], FREE)
        try:
            with open(self._stats, "rb", closefd=False) as fh:
                fh.seek(0)
                data = fh.read()
        except OSError:
            data = b""
        try:
            return Frames().feed(data)
        except (ValueError, EOFError, TypeError):     # (damaged: no statistics)
            return []

    # -- signals between processes ----------------------------------------------------------
    def _address(self, row: int) -> bytes:
        return b"\0" + f"{self._name}{row}".encode()

    def open_mailbox(self, row: int):
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
        # A host process forked from the row's last owner (the region compiler's worker,
        # jit.py) holds that owner's socket, and so its address, until it has closed what
        # it inherited: moments after the owner's end. Nothing is sent to a row meanwhile.
        deadline = time.monotonic() + MAILBOX_BIND_WAIT
        while True:
            try:
                s.bind(self._address(row))
                break
            except OSError as e:
                if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                    s.close()
                    raise
                time.sleep(0.001)
        s.setblocking(False)
        return s

    def post(self, pid: int, sig: int, info) -> int:
        """Deliver guest signal ``sig`` to guest process ``pid`` of this run; 0 or -errno."""
        hsig = {abi.SIGKILL: signal.SIGKILL, abi.SIGSTOP: signal.SIGSTOP}.get(sig)
        if pid <= 0:
            return -abi.ESRCH                    # never a host process group
        try:
            if hsig is not None:
                os.kill(pid, hsig)
                return 0
            row = self.find(pid)
            if row < 0 or self.table[row, STATE] != ALIVE:
                return 0                         # a zombie: the signal is lost
            if sig == abi.SIGCONT:
                os.kill(pid, signal.SIGCONT)
            msg = struct.pack(_MSG_HEAD, pid, info.signo, info.errno, info.code, len(info.fields))
            msg += b"".join(struct.pack(_MSG_FIELD, off, value & 0xFFFFFFFFFFFFFFFF)
                            for off, value, size in info.fields if size in (4, 8))
            if self._sender is None:
                self._sender = _socket.socket(_socket.AF_UNIX,
                                              _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
                self._sender.setblocking(False)
            self._sender.sendto(msg, self._address(row))
            os.kill(pid, DOORBELL)
        except (ConnectionRefusedError, FileNotFoundError, ProcessLookupError):
            return 0                            # it is ending: a signal to a zombie is lost
        except BlockingIOError:
            return -abi.EAGAIN
        except OSError as e:
            return abi.neg_errno(e)
        return 0

    def drain(self, k) -> None:
        """Queue the guest signals posted to this process (from the DOORBELL handler)."""
        while True:
            try:
                msg = self.mailbox.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            try:
                pid, signo, err, code, n = struct.unpack_from(_MSG_HEAD, msg)
                if pid != k.pid:
                    continue                     # for a previous owner of this row
                head = struct.calcsize(_MSG_HEAD)
                step = struct.calcsize(_MSG_FIELD)
                fields = []
                for i in range(n):
                    off, value = struct.unpack_from(_MSG_FIELD, msg, head + i * step)
                    fields.append((off, value & 0xFFFFFFFF, 4))
            except struct.error:
                continue
            k.signals.send(signo, SigInfo(signo, code, fields, err))

    # -- host signals: SIGCHLD and the doorbell ----------------------------------------------
    def _install_handlers(self, k) -> None:
        def on_doorbell(hsig, frame):
            self.drain(k)

        def on_sigchld(hsig, frame):
            self.child_event(k)

        signal.signal(DOORBELL, on_doorbell)
        signal.signal(signal.SIGCHLD, on_sigchld)

    def decode_event(self, pid: int, r) -> tuple[int, int]:
        """A host waitid() result for child ``pid`` as the guest sees it: (CLD_* code, exit
        code or guest signal). A guest signal that ended it is in its table row."""
        code = r.si_code
        if code == abi.CLD_EXITED:
            recorded = self.recorded_status(pid)
            if recorded is None:
                return code, r.si_status
            if recorded & 0x7F:
                return (abi.CLD_DUMPED if recorded & 0x80 else abi.CLD_KILLED), recorded & 0x7F
            return code, (recorded >> 8) & 0xFF
        if code == abi.CLD_STOPPED and r.si_status == signal.SIGSTOP:
            row = self.children.get(pid, -1)
            if row >= 0 and int(self.table[row, PID]) == pid and self.table[row, STOP_SIGNAL]:
                return code, int(self.table[row, STOP_SIGNAL])
        return code, guest_signal(r.si_status)

    def child_event(self, k) -> None:
        """A host child changed state: reap orphans (the root), auto-reap children when the
        guest ignores SIGCHLD or set SA_NOCLDWAIT, and signal the guest parent."""
        if self.is_root:
            self.reap_orphans()
        handler, flags, _ = k.signals.actions[abi.SIGCHLD]
        autoreap = handler == abi.SIG_IGN or flags & abi.SA_NOCLDWAIT
        for pid in list(self.children):
            try:
                r = os.waitid(os.P_PID, pid, _PEEK)
            except ChildProcessError:
                self.children.pop(pid, None)
                continue
            if r is None:
                continue
            code, value = self.decode_event(pid, r)
            stopcont = code in (abi.CLD_STOPPED, abi.CLD_CONTINUED)
            sig = abi.SIGCHLD if stopcont else self.exit_signal(pid)
            if not stopcont and autoreap:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                self.reaped(pid)
            if stopcont and flags & abi.SA_NOCLDSTOP or not sig:
                continue
            k.signals.send(sig, SigInfo(sig, code, [(12, pid, 4), (16, r.si_uid, 4),
                                                    (20, value, 4), (24, 0, 4), (28, 0, 4)]))
