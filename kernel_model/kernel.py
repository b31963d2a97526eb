"""The Kernel: per-process state and the syscall/fault entry points the Machine calls.

Contract with the Machine (hppa_user.machine):
  * ``handle_syscall()`` runs when the core reaches gateway offset 0x100. It reads r20 and
    the argument registers, runs the handler, writes r28. Unless the handler set
    ``self.skip_return`` (rt_sigreturn, restarts, signal delivery on syscall exit), the
    Machine then returns to r31 as the gateway does. When ``skip_return`` is set the kernel
    has already set ``machine.iaoq_f``/``iaoq_b`` (and every register it wanted).
  * ``handle_fault(signum, code, addr)`` runs when the core stops on a fault/trap, with the
    IAOQ still at the faulting instruction. It delivers the signal (sets up a handler frame)
    or raises ProcessKilled.
  * ``tick()`` runs every time the core returns to Python (timers, pending signals).
  * Process end is signalled by raising ProcessExit / ProcessKilled.

Per-process state lives in the Kernel; syscall handlers live in the family modules under
``kernel_model.syscalls`` and register through ``registry.syscall``. Handlers return a value
or a parisc ``-errno``; they may also raise :class:`SyscallError` (a helper deep down wants
to fail with an errno), ``GuestFault`` (-> ``-EFAULT``) or ``OSError`` (host errno translated
to parisc). Any other exception escaping a handler is a bug in the kernel model: the guest
gets ``-EINVAL`` (never a traceback), the event is counted in ``internal_errors`` and
printed when ``HPPA_USER_DEBUG`` is set in the emulator's environment.
"""
from __future__ import annotations

import os
import sys
import time
import traceback

from hppa_user.memory import GuestFault
from kernel_model import abi
from kernel_model.errors import SyscallError
from kernel_model.syscalls import load_families
from kernel_model.syscalls.registry import SYSCALLS

ARG_REGS = (26, 25, 24, 23, 22, 21)
M32 = 0xFFFFFFFF

_RESTART_CODES = frozenset({-abi.ERESTARTSYS, -abi.ERESTARTNOINTR, -abi.ERESTARTNOHAND,
                            -abi.ERESTART_RESTARTBLOCK})


class ProcessExit(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class ProcessKilled(Exception):
    """The process died of signal ``signum`` at ``pc``. ``core``: a core-dumping signal.
    ``reason``: optional text for the emulator's own kills (instruction limit, ...)."""

    def __init__(self, signum: int, pc: int, core: bool = False, reason: str | None = None):
        super().__init__(signum)
        self.signum = signum
        self.pc = pc
        self.core = core
        self.reason = reason


class Kernel:
    """One guest process as the kernel sees it."""

    def __init__(self, machine, strace: bool = False, strace_file=None):
        load_families()
        self.machine = machine
        self.mem = machine.mem
        self.strace = strace
        self.strace_file = strace_file or sys.stderr
        self.syscall_counts: dict[str, int] = {}
        self.skip_return = False
        self.internal_errors = 0
        self.debug = bool(os.environ.get("HPPA_USER_DEBUG"))
        self.pid = os.getpid()
        prog = getattr(machine, "program", "") or ""
        # /proc/self/exe names the file itself (symlinks resolved), as Linux's d_path does
        self.exe_path = os.path.realpath(prog) if prog else ""
        # memory layout (set by the process set-up code)
        self.brk_start = 0
        self.brk = 0
        self.mmap_base = 0
        # the guest file-system root (-L DIR), a kernel_model.guestroot.GuestRoot, or None
        self.root = None
        # signal return trampoline in the vDSO (address of __kernel_sigtramp_rt), or None:
        # then the pre-5.18 on-stack trampoline is written into each frame
        self.vdso_sigtramp = None
        self.start_time = time.monotonic()
        from kernel_model.fdtable import FdTable
        from kernel_model.signals import SignalState
        from kernel_model.vm import VmMap
        from kernel_model.creds import ProcessInfo
        self.info = ProcessInfo(self)
        self.files = FdTable(self)
        self.vm = VmMap()
        self.signals = SignalState(self)
        for init in _INIT_HOOKS:
            init(self)

    # -- syscalls -----------------------------------------------------------------------
    def handle_syscall(self) -> None:
        machine = self.machine
        gr = machine.gr
        regs = gr.tolist()
        nr = regs[20] & M32
        self.skip_return = False
        sc = SYSCALLS.get(nr)
        if sc is None:
            name = abi.SYSCALL_NAMES.get(nr, f"syscall_{nr:#x}")
            counts = self.syscall_counts
            counts[name] = counts.get(name, 0) + 1
            result = -abi.ENOSYS
            if self.strace:
                from kernel_model import strace as st
                raw = [regs[r] & M32 for r in ARG_REGS]
                self._trace_line(st.format_unknown(self, nr, name, raw, result))
        else:
            counts = self.syscall_counts
            name = sc.name
            counts[name] = counts.get(name, 0) + 1
            args = []
            for reg, signed in zip(ARG_REGS, sc.signed):
                v = regs[reg] & M32
                if signed and v & 0x80000000:
                    v -= 0x100000000
                args.append(v)
            pre = None
            if self.strace:
                from kernel_model import strace as st
                try:
                    pre = st.format_call(self, sc, args)
                except Exception:  # strace must never break the guest
                    pre = f"{sc.name}(...)"
            try:
                result = sc.handler(self, *args)
                if result is None:
                    result = 0
            except GuestFault:
                result = -abi.EFAULT
            except SyscallError as e:
                result = -e.errno
            except ProcessExit as e:
                if self.strace:
                    self._trace_line(st.align(pre or sc.name + "(...)", "?"))
                    self._trace_line(f"+++ exited with {e.status} +++")
                raise
            except ProcessKilled:
                if self.strace:
                    self._trace_line(st.align(pre or sc.name + "(...)", "?"))
                raise
            except OSError as e:
                result = abi.neg_errno(e)
            except (OverflowError, ValueError):
                result = -abi.EINVAL
            except Exception:  # a kernel-model bug: the guest sees EINVAL, never a traceback
                self.internal_errors += 1
                if self.debug:
                    traceback.print_exc()
                result = -abi.EINVAL
            if self.strace:
                try:
                    line = st.format_line(self, sc, args, result, pre)
                except Exception:
                    line = f"{pre} = {result}"
                self._trace_line(line)
        if self.skip_return:
            return
        # signals are delivered on the way back to user space (also turns the internal
        # -ERESTART* codes into -EINTR or a restart)
        sig = self.signals
        if sig.pending_mask & ~sig.blocked or result in _RESTART_CODES:
            result = sig.syscall_exit(result)
            if self.skip_return:
                return
        gr[28] = result & M32

    def _trace_line(self, text: str) -> None:
        try:
            self.strace_file.write(text + "\n")
            self.strace_file.flush()
        except (OSError, ValueError):
            pass

    # -- faults -------------------------------------------------------------------------
    def handle_fault(self, signum: int, code: int, addr: int) -> None:
        """A synchronous fault at the current IAOQ: deliver like force_sig_fault()."""
        self.signals.force_fault(signum, code, addr)

    def tick(self) -> None:
        """Called whenever the core returns to Python: timers, then pending signals."""
        sig = self.signals
        if sig.timers_armed:
            sig.run_timers()
        if sig.pending_mask and sig.pending_mask & ~sig.blocked:
            sig.deliver_async()

    # -- helpers for handlers ------------------------------------------------------------
    def read_path(self, addr: int) -> bytes:
        """A path argument: EFAULT on a bad pointer, ENAMETOOLONG past PATH_MAX."""
        s = self.mem.read_cstr(addr, 4097)
        if len(s) >= 4096:
            raise SyscallError(abi.ENAMETOOLONG)
        return s

    def exit_cleanup(self) -> None:
        """Write back shared file mappings and close the fd table (exit or death)."""
        vm = getattr(self, "vm", None)
        if vm is not None:
            try:
                vm.sync_all(self)
            except Exception:
                pass


_INIT_HOOKS = []


def on_kernel_init(fn):
    """Family modules register per-process state initialisers here."""
    _INIT_HOOKS.append(fn)
    return fn
