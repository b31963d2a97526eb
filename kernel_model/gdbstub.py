"""GDB remote serial protocol stub: ``hppa-user run -g PORT PROGRAM`` (also ``--gdb PORT``).

The stub is the kernel's ptrace, spoken over TCP: it listens on 127.0.0.1:PORT, waits for
gdb before the guest's first instruction and then answers gdb-multiarch's packets:
registers in gdb's 32-bit hppa numbering (``REGISTER_NAMES``), memory, software
breakpoints (``Z0``) and data watchpoints (``Z2``/``Z3``/``Z4``), single-step and continue
(``s``/``c``/``vCont``), signals, kill and detach, the guest's auxv (so gdb finds
AT_SYSINFO_EHDR and reads the vDSO's symbols from guest memory), the exec file, and host
I/O (``vFile``) for the guest's ``/proc/PID/maps``, which gdb reads to size the vDSO.

How the pieces fit (all of them cost nothing unless ``-g`` was given):

* ``Machine.run`` calls the stub around every CPU run (``prepare``/``finish``, the
  interface the ``--trace`` tracer uses). Breakpoints and watchpoints are the CPU's
  (``Cpu.set_breakpoint``: records in the decode cache that compiled regions never
  translate; :mod:`hppa_user.watchpoints`: permissions taken from the watched pages). A
  single step is a CPU run with a budget of one instruction, so the compiled regions and
  the interpreter keep their own delay-slot and nullification rules.
  A step that enters the gateway page finishes with the syscall: the next stop is at the
  return address, as stepping over a syscall does on Linux.
* Signals stop the guest before delivery, as a ptrace signal-delivery-stop does: the
  kernel's signal code calls :meth:`GdbStub.signal_stop` for every signal it dequeues (and
  for faults), and delivers the signal gdb answers with (``C sig``), or none (``c``).
* After a plain ``c`` (no breakpoint, watchpoint or step) the stub is idle: the run loop's
  two calls per core return find ``busy`` off and return at once. The socket is in async
  mode (O_ASYNC): the host sends SIGIO when gdb writes (its ^C, or a hang-up), and the
  handler turns ``busy`` on, so the stub looks at the socket only then.

The protocol's signal numbers are gdb's own (``GDB_SIGNALS``), not parisc's. Thread ids
are ``pPID.TID`` once gdb offers multiprocess (so it knows the real pid and can read
``/proc/PID/maps``), plain ``TID`` otherwise.

Threads (kernel_model/sched.py) share the one CPU, so the stub is all-stop by
construction: the thread that hit a breakpoint, a watchpoint or a signal is the running one
and the stop names it; ``qfThreadInfo`` lists the scheduler's threads; ``Hg`` picks whose
registers ``g``/``G``/``p``/``P`` see (a thread that is not running has them in its saved
CpuContext). Resuming, the thread a ``vCont`` action names runs first (the scheduler
switches to it at the next ``prepare``, a safe point); unless an action resumes all threads
it is *pinned* (``Scheduler.pinned``: not preempted when its slice ends), as gdb expects
when it steps one thread over a breakpoint or under ``scheduler-locking``; a pinned thread
that blocks still lets the others run. A step ends when the stepping thread has run an
instruction, whichever threads ran meanwhile. After a fork gdb follows the parent: the
child drops the stub (``forked``).

Bad input never costs a traceback: a malformed packet gets ``E01``, an unknown one the
empty reply, a bad checksum a NAK, an unmapped address ``E14``; when gdb goes away the
guest continues as after ``D``.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import traceback

from hppa_user import state as S
from hppa_user.memory import PAGE_SIZE, PERM_MAPPED
from hppa_user.traps import ILLEGAL_INSN
from hppa_user.watchpoints import WatchedPages
from kernel_model import abi, guestroot, procfs
from kernel_model.errors import ProcessKilled, SyscallError
from kernel_model.signals import SigInfo

M32 = 0xFFFFFFFF
PACKET_SIZE = 0x4000


class GdbStubError(Exception):
    """A one-line reason the stub cannot start (port in use, bad port)."""


# ---------------------------------------------------------------------------------------
# Packets: $payload#checksum, with '}' escapes (binary data) and '*' run-length encoding
# ---------------------------------------------------------------------------------------
INTERRUPT = object()      # gdb's ^C byte (0x03) outside a packet


def checksum(payload: bytes) -> int:
    return sum(payload) & 0xFF


def escape(data: bytes) -> bytes:
    """Binary data inside a packet: '#', '$', '}' and '*' become '}' + (byte ^ 0x20)."""
    out = bytearray()
    for b in data:
        if b in (0x23, 0x24, 0x7D, 0x2A):
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == 0x7D:
            b = next(it, 0x20) ^ 0x20
        out.append(b)
    return bytes(out)


def expand_rle(payload: bytes) -> bytes:
    """Undo run-length encoding: 'X*n' repeats X (ord(n) - 29) more times."""
    if b"*" not in payload:
        return payload
    out = bytearray()
    i = 0
    while i < len(payload):
        if payload[i] == 0x2A and out and i + 1 < len(payload):
            out += out[-1:] * (payload[i + 1] - 29)
            i += 2
        else:
            out.append(payload[i])
            i += 1
    return bytes(out)


def frame(payload: bytes) -> bytes:
    return b"$" + payload + b"#" + b"%02x" % checksum(payload)


class PacketReader:
    """Splits gdb's byte stream into events: packets (payload bytes, checksum checked),
    INTERRUPT, b"+" / b"-" acknowledgements, and ``None`` for a packet whose checksum is
    wrong (to be NAKed)."""

    def __init__(self):
        self.buf = bytearray()

    def feed(self, data: bytes) -> list:
        self.buf += data
        events = []
        while self.buf:
            c = self.buf[0]
            if c == 0x03:
                events.append(INTERRUPT)
                del self.buf[0]
            elif c in (0x2B, 0x2D):                      # '+', '-'
                events.append(bytes((c,)))
                del self.buf[0]
            elif c == 0x24:                              # '$'
                end = self.buf.find(b"#")
                if end < 0 or len(self.buf) < end + 3:
                    if len(self.buf) > 4 * PACKET_SIZE:   # no end in sight: drop it
                        self.buf.clear()
                        events.append(None)
                    break
                payload = bytes(self.buf[1:end])
                sent = bytes(self.buf[end + 1:end + 3])
                del self.buf[:end + 3]
                try:
                    ok = int(sent, 16) == checksum(payload)
                except ValueError:
                    ok = False
                events.append(expand_rle(payload) if ok else None)
            else:
                del self.buf[0]                          # noise between packets
        return events


class Connection:
    """One gdb on a TCP socket: acknowledgements (until QStartNoAckMode), NAK resends."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.reader = PacketReader()
        self.pending: list = []
        self.ack = True
        self.last_sent = b""
        self.interrupted = False
        self.closed = False

    def _read_events(self, block: bool) -> bool:
        """Read what the socket has (waiting for something if ``block``); False at EOF."""
        if not block:
            r, _, _ = select.select([self.sock], [], [], 0)
            if not r:
                return True
        try:
            data = self.sock.recv(65536)
        except (ConnectionError, OSError):
            data = b""
        if not data:
            self.closed = True
            return False
        for ev in self.reader.feed(data):
            if ev is INTERRUPT:
                self.interrupted = True
            elif ev == b"-":
                self._write(self.last_sent)              # gdb saw a bad checksum: resend
            elif ev == b"+":
                pass
            elif ev is None:
                if self.ack:
                    self._write(b"-")
            else:
                if self.ack:
                    self._write(b"+")
                self.pending.append(ev)
        return True

    def recv(self) -> bytes | None:
        """The next packet's payload; None when gdb has gone."""
        while not self.pending:
            if self.closed or not self._read_events(block=True):
                return None
        return self.pending.pop(0)

    def poll_interrupt(self) -> bool:
        """While the guest runs: has gdb sent ^C? (EOF counts as no.)"""
        if not self.closed:
            self._read_events(block=False)
        hit, self.interrupted = self.interrupted, False
        return hit

    def send(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            payload = payload.encode("latin-1")
        self.last_sent = frame(payload)
        self._write(self.last_sent)

    def _write(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------
# Registers: gdb's 32-bit hppa numbering (hppa-tdep.c hppa32_register_name), 4 bytes each
# ---------------------------------------------------------------------------------------
NUM_REGS = 128
REG_PSW, REG_SAR, REG_PCOQH, REG_PCSQH, REG_PCOQT, REG_PCSQT, REG_IPSW = 0, 32, 33, 34, 35, 36, 41
REG_FR0 = 64                   # fr0 high word (the FP status register); 64 + 2n + 1 = frN low
# control registers by gdb number: 37-40 eiem, iir, isr, ior; 51-63 cr0, cr8-cr10, cr12,
# cr13, cr24-cr30
CR_OF_REG = {37: 15, 38: 19, 39: 20, 40: 21, 51: 0, 52: 8, 53: 9, 54: 10, 55: 12, 56: 13,
             **{57 + i: 24 + i for i in range(7)}}
SR_OF_REG = {43: 4, 44: 0, 45: 1, 46: 2, 47: 3, 48: 5, 49: 6, 50: 7}
REGISTER_NAMES = (
    ["flags", "r1", "rp"] + [f"r{i}" for i in range(3, 27)] + ["dp", "ret0", "ret1", "sp", "r31"]
    + ["sar", "pcoqh", "pcsqh", "pcoqt", "pcsqt", "eiem", "iir", "isr", "ior", "ipsw", "goto",
       "sr4", "sr0", "sr1", "sr2", "sr3", "sr5", "sr6", "sr7", "cr0", "cr8", "cr9", "ccr",
       "cr12", "cr13", "cr24", "cr25", "cr26", "mpsfu_high", "mpsfu_low", "mpsfu_ovflo", "pad",
       "fpsr", "fpe1", "fpe2", "fpe3", "fpe4", "fpe5", "fpe6", "fpe7"]
    + [n for i in range(4, 32) for n in (f"fr{i}", f"fr{i}R")])
assert len(REGISTER_NAMES) == NUM_REGS


def read_register(ctx, n: int) -> int:
    """Register ``n`` of CPU context ``ctx`` as gdb numbers them. In the gateway page (a stop
    inside a syscall) the instruction address is the syscall's return address, as ptrace
    reports it; the PSW is the kernel's view (sc_gr[0] of a signal frame)."""
    if 1 <= n <= 31:
        return int(ctx.gr[n]) & M32
    if n in (REG_PSW, REG_IPSW):
        return abi.USER_PSW | ctx.psw
    if n == REG_SAR:
        return int(ctx.cr[11]) & M32
    if n in (REG_PCOQH, REG_PCOQT):
        f = ctx.iaoq_f
        if f < PAGE_SIZE:
            f = int(ctx.gr[31]) & M32
            return f if n == REG_PCOQH else (f + 4) & M32
        return (f if n == REG_PCOQH else ctx.iaoq_b) | 3
    if n in (REG_PCSQH, REG_PCSQT):
        return int(ctx.sr[4]) & M32
    if n in SR_OF_REG:
        return int(ctx.sr[SR_OF_REG[n]]) & M32
    if n in CR_OF_REG:
        return int(ctx.cr[CR_OF_REG[n]]) & M32
    if REG_FR0 <= n < NUM_REGS:
        v = int(ctx.fr[(n - REG_FR0) >> 1]) & 0xFFFFFFFFFFFFFFFF
        return v & M32 if (n - REG_FR0) & 1 else v >> 32
    return 0


def write_register(ctx, n: int, v: int) -> None:
    """What a debugger may change: r1-r31, SAR, the instruction address queue (gdb writes
    the pc as pcoqh and pcoqt), PSW N/C/B/V, the FP registers. Other writes are ignored,
    as Linux's ptrace ignores writes to privileged state."""
    v &= M32
    if 1 <= n <= 31:
        ctx.gr[n] = v
    elif n in (REG_PSW, REG_IPSW):
        ctx.psw = v
    elif n == REG_SAR:
        ctx.cr[11] = v & 31
    elif n == REG_PCOQH:
        if ctx.iaoq_f < PAGE_SIZE:
            ctx.gr[31] = v | 3                 # inside a syscall: where it returns to
        elif v & ~3 != ctx.iaoq_f:
            ctx.iaoq_f = v                     # resume there: nothing is nullified
            ctx.psw_n = 0
    elif n == REG_PCOQT:
        if ctx.iaoq_f >= PAGE_SIZE:
            ctx.iaoq_b = v
    elif REG_FR0 <= n < NUM_REGS:
        i, low = (n - REG_FR0) >> 1, (n - REG_FR0) & 1
        old = int(ctx.fr[i]) & 0xFFFFFFFFFFFFFFFF
        new = (old & ~M32) | v if low else (old & M32) | (v << 32)
        ctx.fr[i] = new - (1 << 64) if new >> 63 else new


def pack_registers(ctx) -> str:
    return "".join("%08x" % read_register(ctx, n) for n in range(NUM_REGS))


def unpack_registers(ctx, hexdata: str) -> None:
    if len(hexdata) < 8 * NUM_REGS:
        raise ValueError("short G packet")
    for n in range(NUM_REGS):
        write_register(ctx, n, int(hexdata[8 * n:8 * n + 8], 16))


# ---------------------------------------------------------------------------------------
# Signals: the protocol speaks gdb's numbers (include/gdb/signals.def), the guest parisc's
# ---------------------------------------------------------------------------------------
GDB_SIGNALS = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6,
    "SIGFPE": 8, "SIGKILL": 9, "SIGBUS": 10, "SIGSEGV": 11, "SIGSYS": 12, "SIGPIPE": 13,
    "SIGALRM": 14, "SIGTERM": 15, "SIGURG": 16, "SIGSTOP": 17, "SIGTSTP": 18, "SIGCONT": 19,
    "SIGCHLD": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGIO": 23, "SIGXCPU": 24, "SIGXFSZ": 25,
    "SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGUSR1": 30, "SIGUSR2": 31,
    "SIGPWR": 32,
}
GDB_SIGNAL_UNKNOWN = 143


def _gdb_realtime(n: int) -> int:
    """gdb's number for real-time signal n (32..64): SIG33..SIG63 are 45..75."""
    return {32: 77, 64: 78}.get(n, 45 + n - 33)


_TO_GDB = {sig: GDB_SIGNALS[name] for sig, name in abi.SIGNAL_NAMES.items() if name in GDB_SIGNALS}
_TO_GDB.update({n: _gdb_realtime(n) for n in range(abi.SIGRTMIN, abi.SIGRTMAX + 1)})
_FROM_GDB = {g: s for s, g in _TO_GDB.items()}


def to_gdb_signal(sig: int) -> int:
    return _TO_GDB.get(sig, GDB_SIGNAL_UNKNOWN) if sig else 0


def from_gdb_signal(gsig: int) -> int:
    """The parisc signal for gdb's number (0: none, or one parisc has not)."""
    return _FROM_GDB.get(gsig, 0)


# ---------------------------------------------------------------------------------------
# Host I/O (vFile): gdb reads the guest's files, /proc/PID/maps above all
# ---------------------------------------------------------------------------------------
# gdb's File-I/O errno values (gdb/doc "Errno Values")
FILEIO_ERRNO = {1: 1, 2: 2, 4: 4, 9: 9, 13: 13, 14: 14, 16: 16, 17: 17, 19: 19, 20: 20, 21: 21,
                22: 22, 23: 23, 24: 24, 27: 27, 28: 28, 29: 29, 30: 30, 36: 91}
FILEIO_EUNKNOWN = 9999
FILEIO_O_ACCMODE = 3


class HostFiles:
    """The guest's files as ``vFile:`` packets see them: read-only; /proc/PID/... answered by
    the kernel model's procfs (the guest's maps, not the emulator's)."""

    def __init__(self, kernel):
        self.k = kernel
        self.fds: dict[int, int] = {}       # our fd -> host fd
        self.next_fd = 1

    def _host_open(self, path: bytes) -> int:
        # /proc/PID/task/PID/X is the thread's view of /proc/PID/X (gdb asks for it first)
        m = re.match(rb"^/proc/(\d+)/task/(\d+)(/.*)$", path)
        if m and m.group(1) == m.group(2):
            path = b"/proc/" + m.group(1) + m.group(3)
        fd = procfs.open_special(self.k, path, abi.O_RDONLY)
        if fd is None:        # a guest path: the libraries gdb loads live under the guest root
            fd = os.open(guestroot.lookup(self.k, path), os.O_RDONLY | os.O_CLOEXEC)
        return fd

    def handle(self, cmd: str, args: str) -> bytes:
        try:
            if cmd == "setfs":
                return b"F0"
            if cmd == "open":
                hexpath, flags, _mode = args.split(",")
                if int(flags, 16) & FILEIO_O_ACCMODE:
                    return b"F-1,%x" % 30             # EROFS: read-only service
                hfd = self._host_open(bytes.fromhex(hexpath))
                fd = self.next_fd
                self.next_fd += 1
                self.fds[fd] = hfd
                return b"F%x" % fd
            if cmd == "close":
                hfd = self.fds.pop(int(args, 16))
                os.close(hfd)
                return b"F0"
            if cmd == "pread":
                fd, count, offset = (int(x, 16) for x in args.split(","))
                data = os.pread(self.fds[fd], min(count, PACKET_SIZE // 2), offset)
                return b"F%x;" % len(data) + escape(data)
            if cmd == "fstat":
                st = os.fstat(self.fds[int(args, 16)])
                return b"F%x;" % 64 + escape(fileio_stat(st))
            if cmd == "readlink":
                target = procfs.readlink(self.k, bytes.fromhex(args))
                if target is None:
                    target = os.readlink(guestroot.lookup(self.k, bytes.fromhex(args)))
                return b"F%x;" % len(target) + escape(target)
        except KeyError:
            return b"F-1,%x" % 9                       # EBADF
        except OSError as e:
            return b"F-1,%x" % FILEIO_ERRNO.get(e.errno or 0, FILEIO_EUNKNOWN)
        except SyscallError as e:                      # parisc errno: 1-30 are the generic ones
            return b"F-1,%x" % (FILEIO_ERRNO.get(e.errno, FILEIO_EUNKNOWN) if e.errno <= 30
                                else FILEIO_EUNKNOWN)
        except (ValueError, IndexError):
            return b"F-1,%x" % 22                      # EINVAL
        return b""

    def close(self) -> None:
        for hfd in self.fds.values():
            try:
                os.close(hfd)
            except OSError:
                pass
        self.fds.clear()


def fileio_stat(st) -> bytes:
    """struct stat in gdb's File-I/O layout (big-endian, 64 bytes)."""
    return struct.pack(">IIIIIIIQQQIII", st.st_dev & M32, st.st_ino & M32, st.st_mode & M32,
                       st.st_nlink & M32, st.st_uid & M32, st.st_gid & M32, st.st_rdev & M32,
                       st.st_size, st.st_blksize, st.st_blocks, int(st.st_atime) & M32,
                       int(st.st_mtime) & M32, int(st.st_ctime) & M32)


# ---------------------------------------------------------------------------------------
# The stub
# ---------------------------------------------------------------------------------------
THREAD_ID = re.compile(r"(?:p(-1|[0-9a-f]+)\.)?(-1|[0-9a-f]+)")


def parse_thread_id(spec: str) -> tuple[int | None, int]:
    """A thread-id from gdb: ``pPID.TID`` (multiprocess) or ``TID``, hex; -1 means all
    threads, 0 any thread. Returns (pid or None, tid); ValueError when malformed."""
    m = THREAD_ID.fullmatch(spec)
    if not m:
        raise ValueError(f"bad thread-id {spec!r}")
    pid = m.group(1)
    return (None if pid is None else int(pid, 16)), int(m.group(2), 16)


def thread_text(t, k) -> str:
    """qThreadExtraInfo: the thread's name and what it is doing."""
    name = (t.comm or k.info.comm).decode(errors="replace")
    if t is k.sched.current:
        state = "running"
    elif t.wait is not None and t.wait.sc is not None:
        state = f"in {t.wait.sc.name}"
    else:
        state = "runnable"
    return f"{name}, {state}"


class Resume:
    """How gdb lets the guest go on: action "continue", "step", "detach" or "kill", the
    (parisc) signal to deliver, 0 for none; ``thread`` the guest thread (sched.Thread) that
    runs first, None: the one that stopped; ``hold``: the other threads stay stopped (gdb
    resumed that one thread only), so it is not preempted."""
    __slots__ = ("action", "sig", "thread", "hold")

    def __init__(self, action: str, sig: int = 0, thread=None, hold: bool = False):
        self.action, self.sig, self.thread, self.hold = action, sig, thread, hold


class StepState:
    """A single step of one guest thread in progress."""
    __slots__ = ("thread", "insns", "f", "b")

    def __init__(self, thread, ctx, insns: int):
        self.thread = thread
        self.insns, self.f, self.b = insns, ctx.iaoq_f, ctx.iaoq_b

    def done(self, ctx, current) -> bool:
        """The stepping thread runs and one instruction of it ran, or the kernel moved its
        IAOQ (a syscall returned, a signal handler was entered); a step never ends inside
        the gateway page."""
        if current is not self.thread or ctx.iaoq_f < PAGE_SIZE:
            return False
        return ctx.insns != self.insns or (ctx.iaoq_f, ctx.iaoq_b) != (self.f, self.b)


class GdbStub:
    """One gdb connection debugging one Machine (the run loop's monitor, the kernel's
    ptracer)."""

    def __init__(self, machine, port: int, host: str = "127.0.0.1", log=None):
        if not 0 < port < 65536:
            raise GdbStubError(f"gdb port {port} is not a TCP port (1-65535)")
        self.m = machine
        self.k = machine.kernel
        self.cpu, self.ctx, self.mem = machine.cpu, machine.ctx, machine.mem
        self.log = log or sys.stderr
        self.host, self.port = host, port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.listener.bind((host, port))
        except OSError as e:
            self.listener.close()
            raise GdbStubError(f"cannot listen for gdb on {host}:{port}: {e.strerror}") from None
        self.conn: Connection | None = None
        self.attached = True            # False after D, a disconnect, or the end
        self.started = False
        self.sched = self.k.sched
        self.multiprocess = False       # gdb said multiprocess+: thread-ids are pPID.TID
        self.general = None             # Hg: whose registers g/G/p/P see (None: the current)
        self.cont_thread = None         # Hc: which thread s/c resume (None: any)
        self.resume_first = None        # a thread gdb resumed that must be switched to
        self.thread_list: list[str] = []    # qfThreadInfo's ids still to send (qsThreadInfo)
        self.breakpoints: set[int] = set()     # what gdb planted (Z0) among the CPU's
        self.watches = WatchedPages(machine.cpu)
        self.files = HostFiles(self.k)
        self.stepping: StepState | None = None
        self.waiting = False            # gdb waits for a stop reply (it resumed us)
        self.last_stop = (abi.SIGTRAP, "", None)    # signal, reason, thread (for "?")
        self.passing = 0                # a signal gdb injected: delivered without a stop
        self.pass_page: int | None = None   # a watched page one access may go through
        self.pass_insns = 0
        self.watch_stop: tuple[int, int] | None = None
        self.busy = True                # the run loop must call in (see _update_busy)
        self.gdb_spoke = False          # SIGIO: bytes from gdb while the guest runs
        self.poll_always = False        # no SIGIO for the socket: look on every return
        self.old_sigio = None
        self.internal_errors = 0
        self.k.signals.ptracer = self

    # -- the run loop's monitor interface ------------------------------------------------
    def prepare(self, budget: int) -> int:
        """Before a core entry: the first stop, a finished step, bytes from gdb (^C, or it
        went away); then plant the breakpoints and protect the watched pages. Returns the
        budget (1 while stepping). Nothing of that while ``busy`` is off."""
        if not self.busy:
            return budget
        sched = self.sched
        if not self.started:
            self._accept()
            self._stop(abi.SIGTRAP)
        elif self.stepping is not None and self.stepping.done(self.ctx, sched.current):
            self._stop(abi.SIGTRAP)
        elif self.gdb_spoke or self.poll_always:
            self.gdb_spoke = False
            if self.conn.poll_interrupt():
                self._stop(abi.SIGINT)
            elif self.conn.closed:
                self._gone()
        if self.resume_first is not None:     # gdb resumed a thread that is not running
            t, self.resume_first = self.resume_first, None
            sched.run_first(t)
            if sched.resched:
                sched.schedule()
            if self.stepping is not None and sched.current is self.stepping.thread:
                self.stepping.insns = self.ctx.insns
        if self.watches:
            self.watches.protect(self.pass_page)
        self._update_busy()
        if self.stepping is not None and self.stepping.thread is sched.current \
                or self.pass_page is not None:
            return 1
        return budget

    def finish(self, status: int) -> bool:
        """After a core return: was it a breakpoint or a watchpoint (True: the loop enters
        the core again) or something for the kernel?"""
        if not self.busy:
            return False
        trap = None
        if self.watches.taken:
            trap = self.watches.classify(status)
            self.watches.unprotect()
        if self.pass_page is not None and (self.ctx.insns != self.pass_insns or
                                           status in (S.ST_FAULT, S.ST_SYSCALL)):
            self.pass_page = None
        if status != S.ST_FAULT:
            return False
        if self._breakpoint_hit(status):
            self._stop(abi.SIGTRAP, "swbreak:;")
            return True
        if trap is None:
            return False
        here = (self.ctx.insns, self.ctx.iaoq_f)
        if trap.hit is None or self.watch_stop == here:
            # an unwatched byte of the page, or gdb resumed at the access it was shown:
            # let this one access through
            self.pass_page, self.pass_insns = trap.page, self.ctx.insns
            self.watch_stop = None
            self.busy = True
            return True
        w = trap.hit
        kind = {"write": "watch", "read": "rwatch"}.get(w.kind, "awatch")
        self.watch_stop = here
        self._stop(abi.SIGTRAP, f"{kind}:{max(trap.addr, w.addr):x};")
        return True

    def _breakpoint_hit(self, status: int) -> bool:
        """Was this stop one of gdb's breakpoints? (The CPU's others are not ours.)"""
        trap, _detail, addr = self.ctx.trap
        return trap == ILLEGAL_INSN and addr & ~3 in self.breakpoints \
            and self.cpu.breakpoint_hit(status) is not None

    def _update_busy(self) -> None:
        """Whether the run loop must call in before and after every core entry: while
        stepping or with breakpoints or watchpoints, not after a plain continue."""
        self.busy = self.attached and (
            not self.started or self.stepping is not None or self.pass_page is not None
            or self.resume_first is not None
            or bool(self.breakpoints) or bool(self.watches) or self.gdb_spoke
            or self.poll_always)
        if self.gdb_spoke and self.attached:   # SIGIO may have come while that was computed
            self.busy = True

    def _on_sigio(self, signum, frame) -> None:
        """gdb sent something while the guest runs (^C, or it hung up): look at the next
        core return."""
        self.gdb_spoke = True
        self.busy = self.attached

    def close(self) -> None:
        """The run is over: report the exit status or the killing signal, then hang up."""
        m = self.m
        if self.conn is not None and self.attached and hasattr(m, "exit_status"):
            process = f";process:{self.k.pid:x}" if self.multiprocess else ""
            if m.term_signal:
                self.conn.send(f"X{to_gdb_signal(m.term_signal):02x}{process}")
            else:
                self.conn.send(f"W{m.exit_status & 0xFF:02x}{process}")
        self._hang_up()
        try:
            self.listener.close()
        except OSError:
            pass

    # -- the kernel's ptracer interface ----------------------------------------------------
    def signal_stop(self, sig: int, info) -> int:
        """A signal is about to be delivered: stop and let gdb decide. Returns the signal to
        deliver (gdb may pick another one), 0 to discard it."""
        if not self.attached or sig == abi.SIGKILL:
            return sig
        if self.passing == sig:
            self.passing = 0
            return sig
        return self._stop(sig, in_signal=True)

    # -- stopping and resuming ---------------------------------------------------------------
    def _accept(self) -> None:
        self.started = True
        try:
            self.listener.listen(1)
            print(f"hppa-user: waiting for gdb on {self.host}:{self.port}", file=self.log,
                  flush=True)
            sock, _ = self.listener.accept()
        except OSError as e:
            print(f"hppa-user: gdb stub: {e.strerror}; running without it", file=self.log)
            self.attached = False
            return
        finally:
            self.listener.close()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = Connection(sock)
        try:                               # the kernel tells us when gdb sends something
            self.old_sigio = signal.signal(signal.SIGIO, self._on_sigio)
            fcntl.fcntl(sock, fcntl.F_SETOWN, os.getpid())
            fcntl.fcntl(sock, fcntl.F_SETFL, fcntl.fcntl(sock, fcntl.F_GETFL) | os.O_ASYNC)
        except (OSError, ValueError):
            self.poll_always = True

    def _stop(self, sig: int, reason: str = "", in_signal: bool = False) -> int:
        """Report a stop and serve gdb until it resumes us. Returns the signal gdb chose
        when ``in_signal`` (the kernel delivers it); otherwise injects it."""
        if not self.attached:
            return sig
        self.stepping = None
        sched = self.sched
        sched.pinned = None
        # all-stop: every thread stops with the one that reports; gdb takes that one as the
        # thread its register packets are for (Hg) until it selects another
        self.last_stop = (sig, reason, sched.current)
        self.general = None
        if self.waiting:
            self.conn.send(self._stop_reply())
            self.waiting = False
        resume = self._serve()
        if resume.action == "kill":
            self._hang_up()
            raise ProcessKilled(abi.SIGKILL, self.ctx.pc, reason="killed by gdb")
        if resume.action == "detach":
            self._detach()
            return sig if in_signal else 0
        t = resume.thread if resume.thread is not None and not resume.thread.exited \
            else sched.current
        if t is not sched.current:
            self.resume_first = t       # switched to at the next prepare(), a safe point
        if resume.hold:
            sched.pinned = t
        if resume.action == "step":
            self.stepping = StepState(t, self.ctx if t is sched.current else t.ctx,
                                      self.ctx.insns)
        self._update_busy()
        if self.k.time.vvar is not None:
            self.k.time.refresh()                # the clocks moved on while we were stopped
        if in_signal:
            return resume.sig
        if resume.sig:                           # "signal SIG" at a non-signal stop
            self.passing = resume.sig
            self.k.signals.send(resume.sig, SigInfo(resume.sig, abi.SI_USER,
                                                    [(12, self.k.pid, 4)]))
            self.k.signals.deliver_async()
        return 0

    def _detach(self) -> None:
        for addr in self.breakpoints:
            self.cpu.clear_breakpoint(addr)
        self.breakpoints.clear()
        self.watches.clear()
        self.stepping = None
        self.pass_page = None
        self.resume_first = None
        self.sched.pinned = None
        self._hang_up()

    def forked(self) -> None:
        """In a forked child: gdb follows the parent (follow-fork-mode parent, detach-on-fork),
        so the child runs free -- none of gdb's breakpoints, watchpoints or pinned thread --
        and closes its copy of the connection (the parent's) without a word to gdb."""
        self._detach()

    def _gone(self) -> None:
        print("hppa-user: gdb went away; the guest continues", file=self.log, flush=True)
        self._detach()

    def _hang_up(self) -> None:
        self.attached = False
        self.busy = False
        self.k.signals.ptracer = None
        self.files.close()
        if self.conn is not None:
            self.conn.close()
        if self.old_sigio is not None:
            try:
                signal.signal(signal.SIGIO, self.old_sigio)
            except (OSError, ValueError):
                pass
            self.old_sigio = None

    def _serve(self) -> Resume:
        """Answer packets until one resumes the guest."""
        while True:
            pkt = self.conn.recv()
            if pkt is None:
                self._gone()
                return Resume("detach")
            try:
                reply = self.handle(pkt)
            except ProcessKilled:
                raise
            except Exception:    # a stub bug: gdb gets an error reply, never a traceback
                self.internal_errors += 1
                if self.k.debug:
                    traceback.print_exc()
                reply = "E01"
            if isinstance(reply, Resume):
                if reply.action in ("continue", "step"):
                    self.waiting = True
                return reply
            if reply is not None:                     # None: answered already
                self.conn.send(reply)

    # -- packets -----------------------------------------------------------------------------
    def handle(self, pkt: bytes):
        """One packet's reply (str or bytes), or a Resume."""
        if not pkt:
            return ""
        head = chr(pkt[0])
        if head == "X":                                # binary memory write
            colon = pkt.find(b":")
            if colon < 0:
                return "E01"
            addr, length = (int(x, 16) for x in pkt[1:colon].decode().split(","))
            return self._write_memory(addr, unescape(pkt[colon + 1:])[:length])
        text = pkt.decode("latin-1")
        handler = _HANDLERS.get(head)
        if handler is None:
            return ""
        try:
            return handler(self, text)
        except (ValueError, IndexError, KeyError):
            return "E01"

    def _query(self, text: str):
        if text.startswith("qSupported"):
            self.multiprocess = "multiprocess+" in text.partition(":")[2].split(";")
            return (f"PacketSize={PACKET_SIZE:x};qXfer:auxv:read+;qXfer:exec-file:read+;"
                    "qXfer:features:read+;swbreak+;vContSupported+;multiprocess+;"
                    "QStartNoAckMode+")
        if text == "qC":
            return f"QC{self._id(self.sched.current)}"
        if text.startswith("qAttached"):
            return "0"                                 # we created the process
        if text == "qfThreadInfo":
            self.thread_list = [self._id(t) for t in self.sched.threads.values()]
            return self._thread_list_part()
        if text == "qsThreadInfo":
            return self._thread_list_part()
        if text.startswith("qThreadExtraInfo,"):
            t = self._find_thread(text[len("qThreadExtraInfo,"):])
            return thread_text(t, self.k).encode().hex() if t is not None else "E01"
        if text.startswith("qXfer:"):
            return self._xfer(text)
        if text.startswith("qSymbol"):
            return "OK"
        return ""

    def _thread_list_part(self) -> str:
        """The next part of the thread list (as many ids as fit a packet); "l": the end."""
        if not self.thread_list:
            return "l"
        n, size = 0, 1
        while n < len(self.thread_list) and size + len(self.thread_list[n]) + 1 < PACKET_SIZE:
            size += len(self.thread_list[n]) + 1
            n += 1
        part, self.thread_list = self.thread_list[:n], self.thread_list[n:]
        return "m" + ",".join(part)

    # -- threads -----------------------------------------------------------------------------
    def _id(self, t) -> str:
        """The protocol's name of guest thread ``t`` (a sched.Thread)."""
        return f"p{self.k.pid:x}.{t.tid:x}" if self.multiprocess else f"{t.tid:x}"

    def _find_thread(self, spec: str):
        """The live thread a specific thread-id names (None: no such thread); -1 and 0 (all,
        any) name the running one."""
        pid, tid = parse_thread_id(spec)
        if pid not in (None, -1, 0, self.k.pid):
            return None
        if tid in (-1, 0):
            return self.sched.current
        return self.sched.threads.get(tid)

    def _stop_reply(self) -> str:
        sig, reason, t = self.last_stop
        if t is None or t.exited:
            t = self.sched.current
        return f"T{to_gdb_signal(sig):02x}{reason}thread:{self._id(t)};"

    def _regs(self):
        """The CPU context whose registers g/G/p/P read and write: the live one for the
        running thread, the saved one of the thread Hg selected otherwise."""
        t = self.general
        if t is None or t is self.sched.current or t.exited:
            return self.ctx
        return t.ctx

    def _xfer(self, text: str):
        _q, obj, op, annex, span = text.split(":", 4)
        offset, length = (int(x, 16) for x in span.split(","))
        if op != "read":
            return ""
        if obj == "auxv":
            data = b"".join(struct.pack(">II", k & M32, v & M32) for k, v in self.m.auxv)
        elif obj == "exec-file":
            data = os.fsencode(self.k.exe_path)
        elif obj == "features" and annex == "target.xml":
            data = TARGET_XML
        else:
            return "E00"
        chunk = data[offset:offset + min(length, PACKET_SIZE // 2)]
        more = offset + len(chunk) < len(data)
        return (b"m" if more else b"l") + escape(chunk)

    def _set(self, text: str):
        if text == "QStartNoAckMode":
            self.conn.send("OK")
            self.conn.ack = False
            return None
        return ""

    def _v(self, text: str):
        if text == "vCont?":
            return "vCont;c;C;s;S"
        if text.startswith("vCont;"):
            return self._vcont(text[6:])
        if text.startswith("vKill"):
            self.conn.send("OK")
            return Resume("kill")
        if text.startswith("vFile:"):
            cmd, _, args = text[6:].partition(":")
            return self.files.handle(cmd, args)
        return ""

    def _vcont(self, spec: str):
        """vCont;ACTION[:THREAD]...: one CPU runs one thread at a time, so what matters is
        which thread runs first and whether the others may run too. The thread that runs
        first is the one an action names (a step before a continue: gdb steps one thread,
        over a breakpoint say, and may let the rest continue); with no thread named, the
        one that stopped. The others run (their turns on the CPU) only if an action is for
        all threads; otherwise the named thread is pinned: it is not preempted (gdb's
        scheduler-locking), though it gives way when it blocks."""
        named, default = [], None
        for part in spec.split(";"):
            action, _, tid = part.partition(":")
            if not action or action[0] not in "cCsS":
                return "E01"
            kind = "continue" if action[0] in "cC" else "step"
            sig = from_gdb_signal(int(action[1:3], 16)) if action[0] in "CS" else 0
            pid, t = parse_thread_id(tid) if tid else (None, -1)
            if t in (-1, 0):
                if pid in (None, -1, 0, self.k.pid) and default is None:
                    default = (kind, sig)
                continue
            thread = self._find_thread(tid)
            if thread is not None:
                named.append((kind, sig, thread))
        steps = [a for a in named if a[0] == "step"]
        if steps or named:
            kind, sig, thread = (steps or named)[0]
        elif default is not None:
            (kind, sig), thread = default, None
        else:
            return "E01"
        return Resume(kind, sig, thread, hold=default is None)

    def _resume(self, text: str):
        """c [addr], C sig[;addr], s [addr], S sig[;addr]."""
        kind = "continue" if text[0] in "cC" else "step"
        rest = text[1:]
        sig = 0
        if text[0] in "CS":
            sig_hex, _, rest = rest.partition(";")
            sig = from_gdb_signal(int(sig_hex, 16))
        t = self.cont_thread if self.cont_thread is not None and not self.cont_thread.exited \
            else None
        if rest:
            addr = int(rest, 16)
            ctx = self.ctx if t is None or t is self.sched.current else t.ctx
            write_register(ctx, REG_PCOQH, addr)
            write_register(ctx, REG_PCOQT, addr + 4)
        return Resume(kind, sig, t, hold=t is not None)

    def _registers(self, text: str):
        if text[0] == "g":
            return pack_registers(self._regs())
        unpack_registers(self._regs(), text[1:])
        return "OK"

    def _register(self, text: str):
        if text[0] == "p":
            n = int(text[1:], 16)
            return "%08x" % read_register(self._regs(), n) if n < NUM_REGS else "E01"
        n, _, value = text[1:].partition("=")
        n = int(n, 16)
        if n >= NUM_REGS or len(value) != 8:
            return "E01"
        write_register(self._regs(), n, int(value, 16))
        return "OK"

    def _read_memory_packet(self, text: str):
        addr, length = (int(x, 16) for x in text[1:].split(","))
        data = self.read_memory(addr, min(length, PACKET_SIZE // 2))
        return data.hex() if data else "E14"

    def _write_memory_packet(self, text: str):
        head, _, hexdata = text[1:].partition(":")
        addr, length = (int(x, 16) for x in head.split(","))
        return self._write_memory(addr, bytes.fromhex(hexdata)[:length])

    def read_memory(self, addr: int, length: int) -> bytes:
        """What ptrace's PEEKDATA would read: mapped pages, whatever their protection (the
        bytes in memory: breakpoints are in the decode cache, not here)."""
        mem = self.mem
        end = min(addr + length, 1 << 32)
        a = addr
        while a < end and mem.perm[a >> 12] & PERM_MAPPED:
            a = (a | (PAGE_SIZE - 1)) + 1
        a = min(a, end)
        return mem.mem[addr:a].tobytes() if a > addr else b""

    def _write_memory(self, addr: int, data: bytes):
        if not data:
            return "OK"
        if addr + len(data) > 1 << 32 or not self.mem.is_mapped(addr, len(data)):
            return "E14"
        self.mem.poke(addr, data)          # keeps decoded code coherent (breakpoints replant)
        return "OK"

    def _breakpoint(self, text: str):
        """Z/z type,addr,kind: 0 software breakpoint; 2/3/4 write/read/access watchpoint."""
        insert = text[0] == "Z"
        fields = text[1:].split(";")[0].split(",")
        kind, addr, length = int(fields[0]), int(fields[1], 16), int(fields[2], 16)
        if kind == 0:
            addr &= ~3
            if insert:
                self.breakpoints.add(addr)
                self.cpu.set_breakpoint(addr)
            elif addr in self.breakpoints:
                self.breakpoints.discard(addr)
                self.cpu.clear_breakpoint(addr)
            return "OK"
        if kind in (2, 3, 4):
            w = {2: "write", 3: "read", 4: "access"}[kind]
            if insert:
                if length <= 0 or addr + length > 1 << 32:
                    return "E01"
                self.watches.insert(w, addr, length)
            else:
                self.watches.remove(w, addr, length)
            return "OK"
        return ""                            # hardware breakpoints: gdb uses Z0

    def _detach_packet(self, text: str):
        self.conn.send("OK")
        return Resume("detach")

    def _kill_packet(self, text: str):
        return Resume("kill")

    def _thread_select(self, text: str):
        """Hg THREAD: the thread register packets are for; Hc THREAD: the thread s and c
        resume (-1 all, 0 any: the one that stopped)."""
        op, spec = text[1:2], text[2:]
        if op not in ("g", "c"):
            return "E01"
        _pid, tid = parse_thread_id(spec)
        t = None if tid in (-1, 0) else self._find_thread(spec)
        if tid not in (-1, 0) and t is None:
            return "E01"
        if op == "g":
            self.general = t
        else:
            self.cont_thread = t
        return "OK"

    def _thread_alive(self, text: str):
        pid, tid = parse_thread_id(text[1:])
        return "OK" if tid not in (-1, 0) and self._find_thread(text[1:]) is not None else "E01"

    def _status(self, text: str):
        return self._stop_reply()


# what hppa-user gdb's extension (gdbext.py) needs of the ABI: the signal frame's layout
# and the trampoline's instruction words
GDB_EXTENSION_ABI = ("INSN_LDI_R25_0", "INSN_LDI_R25_1", "INSN_LDI_R20", "INSN_BLE_SR2_R0",
                     "INSN_NOP", "SC_GR", "SC_FR", "SC_IASQ", "SC_IAOQ", "SC_SAR",
                     "RT_SIGFRAME_SIZE")


def gdb_extension_environment() -> dict[str, str]:
    """The environment `hppa-user gdb` starts gdb-multiarch with."""
    return {**os.environ,
            "HPPA_USER_GDB_ABI": json.dumps({n: getattr(abi, n) for n in GDB_EXTENSION_ABI})}


TARGET_XML = (b'<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
              b"<target><architecture>hppa1.1</architecture><osabi>GNU/Linux</osabi></target>\n")

_HANDLERS = {
    "?": GdbStub._status, "q": GdbStub._query, "Q": GdbStub._set, "v": GdbStub._v,
    "c": GdbStub._resume, "C": GdbStub._resume, "s": GdbStub._resume, "S": GdbStub._resume,
    "g": GdbStub._registers, "G": GdbStub._registers, "p": GdbStub._register,
    "P": GdbStub._register, "m": GdbStub._read_memory_packet, "M": GdbStub._write_memory_packet,
    "Z": GdbStub._breakpoint, "z": GdbStub._breakpoint, "D": GdbStub._detach_packet,
    "k": GdbStub._kill_packet, "H": GdbStub._thread_select, "T": GdbStub._thread_alive,
}
