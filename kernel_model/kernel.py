"""The Kernel: one guest process as the kernel sees it, and its entry points.

The kernel touches the CPU only through the CPU context (``hppa_user.context.CpuContext``,
the pt_regs of this project) and guest memory. Entry points (the machine calls them when
the CPU stops):

* ``syscall()`` -- the CPU reached gateway offset 0x100. The registered handler runs with
  the argument registers; the syscall exit then writes r28 and leaves the gateway to r31
  (``be,n 0(%sr3,%r31)``), and does the signal work of the way back to user space, which
  may redirect the context to a handler or back to the ``ble`` (restart). A handler
  registered ``own_return=True`` (rt_sigreturn) returns through the context it set.
* ``trap()`` -- the CPU stopped on an interruption: ``traps.py`` turns it into a signal.
* ``tick()`` -- every CPU return: timekeeping, timers, pending signals.
* Process end is signalled by raising ``ProcessExit`` / ``ProcessKilled`` (errors.py).

Per-process state lives here; handlers live in the family modules under
``kernel_model.syscalls`` and register through ``registry.syscall``. They return a value or
a parisc ``-errno``; they may also raise :class:`SyscallError` (a helper deep down wants to
fail with an errno), ``GuestFault`` (-> ``-EFAULT``) or ``OSError`` (host errno translated
to parisc). Any other exception escaping a handler is a bug in the kernel model: the guest
gets ``-EINVAL`` (never a traceback), the event is counted in ``internal_errors`` and
printed when ``HPPA_USER_DEBUG`` is set in the emulator's environment.
"""
from __future__ import annotations

import os
import sys
import time
import traceback

from hppa_user.errors import GuestFault
from kernel_model import abi, strace as st, traps
from kernel_model.creds import ProcessInfo
from kernel_model.errors import ProcessExit, ProcessKilled, SyscallError
from kernel_model.fdtable import FdTable
from kernel_model.signals import SignalState
from kernel_model.syscalls import load_families
from kernel_model.syscalls.registry import SYSCALLS
from kernel_model.timekeeping import Timekeeping
from kernel_model.vm import VmMap

M32 = 0xFFFFFFFF
_RESTART_CODES = frozenset({-abi.ERESTARTSYS, -abi.ERESTARTNOINTR, -abi.ERESTARTNOHAND,
                            -abi.ERESTART_RESTARTBLOCK})


class Kernel:
    """One guest process: its context, memory, files, signals, clocks and identity."""

    def __init__(self, ctx, mem, exe_path: str = "", argv=(), clock: str = "host",
                 strace: bool = False, strace_file=None):
        load_families()
        self.ctx = ctx
        self.mem = mem
        ctx.set_gateway_errnos(abi.EFAULT, abi.ENOSYS)
        self.strace = strace
        self.strace_file = strace_file or sys.stderr
        self.syscall_counts: dict[str, int] = {}
        self.internal_errors = 0
        self.debug = bool(os.environ.get("HPPA_USER_DEBUG"))
        self.pid = os.getpid()
        # /proc/self/exe names the file itself (symlinks resolved), as Linux's d_path does
        self.exe_path = os.path.realpath(exe_path) if exe_path else ""
        self.argv = list(argv) or [self.exe_path]
        # memory layout (set by the process set-up code)
        self.brk_start = 0
        self.brk = 0
        self.mmap_base = 0
        # the guest file-system root (-L DIR), a kernel_model.guestroot.GuestRoot, or None
        self.root = None
        self.auxv: list[tuple[int, int]] = []     # what exec put on the stack (/proc/self/auxv)
        # signal return trampoline in the vDSO (address of __kernel_sigtramp_rt), or None:
        # then the pre-5.18 on-stack trampoline is written into each frame
        self.vdso_sigtramp = None
        self.start_time = time.monotonic()
        self.time = Timekeeping(clock, ctx)
        self.info = ProcessInfo(self)
        self.files = FdTable(self)
        self.vm = VmMap()
        self.signals = SignalState(self)

    # -- syscalls -------------------------------------------------------------------------
    def syscall(self) -> None:
        ctx = self.ctx
        nr = ctx.syscall_nr
        sc = SYSCALLS.get(nr)
        if sc is None:
            name = abi.SYSCALL_NAMES.get(nr, f"syscall_{nr:#x}")
            self.syscall_counts[name] = self.syscall_counts.get(name, 0) + 1
            result = -abi.ENOSYS
            if self.strace:
                self._trace_line(st.format_unknown(self, nr, name, ctx.syscall_args(), result))
        else:
            counts = self.syscall_counts
            counts[sc.name] = counts.get(sc.name, 0) + 1
            signed = sc.signed
            args = ctx.syscall_args(len(signed))
            if True in signed:
                args = [v - 0x100000000 if s and v & 0x80000000 else v
                        for v, s in zip(args, signed)]
            pre = self._trace_call(sc, args) if self.strace else None
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
                    self._trace_line(st.align(pre, "?"))
                    self._trace_line(f"+++ exited with {e.status} +++")
                raise
            except ProcessKilled:
                if self.strace:
                    self._trace_line(st.align(pre, "?"))
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
            if sc.time:
                self.time.time_syscall_done()
            if sc.own_return:
                return                          # the context it set is the return
        self.syscall_exit(result)

    def syscall_exit(self, result: int) -> None:
        """Return to user space: r28, the gateway return, then signal work (which may run a
        handler, or rewind to the ``ble`` to restart; it also turns the internal -ERESTART*
        codes into -EINTR)."""
        ctx = self.ctx
        sig = self.signals
        if sig.pending_mask & ~sig.blocked or result in _RESTART_CODES:
            ctx.gateway_return()
            result = sig.syscall_exit(result)
            ctx.set_return(result)
            return
        ctx.set_return(result)
        ctx.gateway_return()

    def _trace_call(self, sc, args) -> str:
        try:
            return st.format_call(self, sc, args)
        except Exception:  # strace must never break the guest
            return f"{sc.name}(...)"

    def _trace_line(self, text: str) -> None:
        try:
            self.strace_file.write(text + "\n")
            self.strace_file.flush()
        except (OSError, ValueError):
            pass

    # -- interruptions --------------------------------------------------------------------
    def trap(self) -> None:
        """The CPU stopped on an interruption at the current IAOQ: deliver its signal like
        force_sig_fault()."""
        signum, code, si_addr = traps.signal_for(self.mem, *self.ctx.trap, vm=self.vm)
        self.signals.force_fault(signum, code, si_addr)

    def tick(self, budget_return: bool = False) -> None:
        """Called whenever the CPU returns to the kernel: clocks, timers, pending signals."""
        self.time.tick(budget_return)
        sig = self.signals
        if sig.timers_armed:
            sig.run_timers()
        if sig.pending_mask and sig.pending_mask & ~sig.blocked:
            sig.deliver_async()

    # -- helpers for handlers --------------------------------------------------------------
    def read_path(self, addr: int) -> bytes:
        """A path argument: EFAULT on a bad pointer, ENAMETOOLONG past PATH_MAX."""
        s = self.mem.read_cstr(addr, 4097)
        if len(s) >= 4096:
            raise SyscallError(abi.ENAMETOOLONG)
        return s

    def exit_cleanup(self) -> None:
        """Write back shared file mappings (exit or death)."""
        try:
            self.vm.sync_all(self)
        except Exception:
            pass
