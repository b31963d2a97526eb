"""The Kernel: one guest process as the kernel sees it, and its entry points.

The kernel touches the CPU only through the CPU context (``hppa_user.context.CpuContext``,
the pt_regs of this project) and guest memory. Entry points (the machine calls them when
the CPU stops):

* ``syscall()`` -- the CPU reached gateway offset 0x100. The registered handler runs with
  the argument registers; the syscall exit then writes r28 and leaves the gateway to r31
  (``be,n 0(%sr3,%r31)``), and does the signal work of the way back to user space, which
  may redirect the context to a handler or back to the ``ble`` (restart). A handler
  registered ``own_return=True`` (rt_sigreturn) returns through the context it set.
  ``handle_syscall()`` is the same but for a plain return, which it leaves to its caller
  (the machine makes it and the next run one foreign call: ``Cpu.return_and_run``);
  ``resume()`` goes on with a call whose thread waited.
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

from hppa_user import state as S
from hppa_user.context import SYSCALL_ARG_READERS, SYSCALL_NR_REG
from hppa_user.errors import GuestFault
from kernel_model import abi, procfs, traps, vfork
from kernel_model.creds import ProcessInfo
from kernel_model.errors import ProcessExit, ProcessKilled, SyscallError, ThreadExit
from kernel_model.fdtable import FdTable
from kernel_model.futex import FutexTable
from kernel_model.sched import Block, Scheduler
from kernel_model.signals import SignalState
from kernel_model.syscalls import load_family_of
from kernel_model.syscalls.registry import DISPATCH, SYSCALLS, signed_args
from kernel_model.timekeeping import Timekeeping
from kernel_model.vm import VmMap

M32 = 0xFFFFFFFF
_perf_counter_ns = time.perf_counter_ns
_TICK_DUE = S.CTL_TICK_DUE            # Timekeeping.set_due: when the tick has work
_NO_RETURN = object()     # a handler's outcome with no return to user space (yet)
_RESTART_CODES = frozenset({-abi.ERESTARTSYS, -abi.ERESTARTNOINTR, -abi.ERESTARTNOHAND,
                            -abi.ERESTART_RESTARTBLOCK})


class Kernel:
    """One guest process: its context, memory, files, signals, clocks and identity."""

    def __init__(self, ctx, mem, exe_path: str = "", argv=(), clock: str = "host",
                 strace: bool = False, strace_file=None, profile: str = "vvar"):
        self.ctx = ctx
        self.mem = mem
        ctx.set_gateway_errnos(abi.EFAULT, abi.ENOSYS)
        self.strace = strace
        self.strace_text = None     # how calls are written: only asked for (start-up rule: cli.py)
        if strace:
            import kernel_model.strace as strace_text
            self.strace_text = strace_text
        self.strace_file = strace_file or sys.stderr
        self._calls = [0] * abi.NR_SYSCALLS          # by number (those with a handler)
        self._unknown_calls: dict[str, int] = {}    # by name (syscall_counts)
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
        self.profile = profile                  # the kernel profile exec maps the vDSO of
        self.vdso_fault = None                  # ... and how it is broken (vdso_fault.py)
        # the guest's process tree once this process has forked or was forked (proctree.py)
        self.tree = None
        self.vfork_done = None       # a vfork child: (fd its parent waits on, shares memory)
        self.insns_base = 0                     # instructions executed before this process
        # called after a successful execve with the new image (the machine flushes the CPU's
        # caches of the old program)
        self.on_exec = None
        self.on_fork = None          # called in a forked child (the machine's per-process stats)
        self.proc_snapshot = None    # (pid, temporary directory) of /proc/self/task (procfs.py)
        self.start_time = time.monotonic()
        self.time = Timekeeping(clock, ctx)
        self.info = ProcessInfo(self)
        self.files = FdTable(self)
        self.vm = VmMap()
        self.sched = Scheduler(self)            # its threads (one to begin with)
        self.futex = FutexTable(self.sched)
        self.retry = None                       # the Block a handler runs again after
        self.signals = SignalState(self)

    # -- syscalls -------------------------------------------------------------------------
    def syscall(self) -> None:
        """The CPU is at the gateway: run the handler and return to user space."""
        value = self.handle_syscall()
        if value is not None:
            self.ctx.syscall_return(value)

    def handle_syscall(self) -> int | None:
        """The CPU is at the gateway: run the handler.  Returns r28's value when all that
        is left is the plain return (CpuContext.syscall_return) and running on -- the
        machine then makes both one foreign call (Cpu.return_and_run) --, None when the
        return is made: with signal work, a restart, a handler's own return, a wait, or
        the scheduler or a timer to see to before the thread runs on.  The round trip
        every syscall makes, so its common case (no strace) is written for few bytecodes:
        the handler and how to call it come from one exact tuple (registry.DISPATCH)."""
        regs = self.ctx.regs
        nr = regs[SYSCALL_NR_REG]
        entry = DISPATCH.get(nr)
        if entry is None:
            if load_family_of(nr):              # (its family's first call)
                entry = DISPATCH.get(nr)
            if entry is None:
                self._unknown_syscall(nr, SYSCALL_ARG_READERS[6](regs))
                return None
        sc, handler, read_args, signed, own_return = entry
        self._calls[nr] += 1
        args = () if read_args is None else read_args(regs)
        if signed:
            args = signed_args(args, signed)
        if self.strace:
            self._run(sc, args, self._trace_call(sc, args), None)
            return None
        try:
            # (without arguments: a plain call, cheaper than one with *args)
            result = handler(self, *args) if args else handler(self)
        except SyscallError as e:
            result = -e.args[0]             # (the usual failure, without _handler_raised)
        except Exception as e:
            result = self._handler_raised(e, sc, args, None)
            if result is _NO_RETURN:
                return None
        if own_return:
            return None                     # the context it set is the return
        if result is None:
            result = 0
        sig = self.signals
        if sig.pending_mask & ~sig.blocked or result in _RESTART_CODES:
            self.syscall_exit(result)       # with signal work
            return None
        sched = self.sched
        if sched.resched or sched.check_signals or sig.timers_armed:
            self.ctx.syscall_return(result)     # (the machine schedules and ticks next)
            return None
        return result

    def resume(self, resumed: Block) -> None:
        """The running thread's wait is over (sched.schedule): a completion wait returns its
        result, any other runs the handler again with ``self.retry`` = ``resumed``."""
        self._run(resumed.sc, resumed.call_args, resumed.pre, resumed)

    def _run(self, sc, args, pre, resumed: Block | None) -> None:
        """A syscall's handler run (or its completion taken) and its return, traced under
        strace: ``pre`` is the call's text."""
        if resumed is not None and resumed.complete is not None:
            result = resumed.result
        else:
            self.retry = resumed                    # (None unless a wait is over)
            try:
                result = sc.handler(self, *args)
            except Exception as e:
                result = self._handler_raised(e, sc, args, pre)
                if result is _NO_RETURN:
                    return
            finally:
                self.retry = None
        if result is None:
            result = 0
        if self.strace:
            try:
                line = self.strace_text.format_line(self, sc, args, result, pre)
            except Exception:
                line = f"{pre} = {result}"
            self._trace_line(line)
        if not sc.own_return:
            self.syscall_exit(result)

    @property
    def syscall_counts(self) -> dict[str, int]:
        """Syscalls made so far, by name (unknown numbers as ``syscall_0x...``)."""
        counts = dict(self._unknown_calls)
        for nr, n in enumerate(self._calls):
            if n:
                counts[SYSCALLS[nr].name] = n
        return counts

    def reset_syscall_counts(self) -> None:
        """Count from zero (a forked child counts its own)."""
        self._calls = [0] * len(self._calls)
        self._unknown_calls = {}

    def _handler_raised(self, e: Exception, sc, args, pre):
        """What the guest gets when a handler raised ``e``: a result, or ``_NO_RETURN``
        (the thread sleeps, or it ended); process ends propagate."""
        if isinstance(e, Block):            # the thread sleeps (sched.py); no return yet
            e.sc, e.call_args, e.pre = sc, args, pre
            self.sched.block(e)
            return _NO_RETURN
        if isinstance(e, GuestFault):
            return -abi.EFAULT
        if isinstance(e, SyscallError):
            return -e.errno
        if isinstance(e, (ProcessExit, ThreadExit, ProcessKilled)):
            if self.strace:
                self._trace_line(self.strace_text.align(pre, "?"))
                if not isinstance(e, ProcessKilled):
                    self._trace_line(f"+++ exited with {e.status} +++")
            if isinstance(e, ThreadExit):
                return _NO_RETURN
            raise e
        if isinstance(e, OSError):
            return abi.neg_errno(e)
        if isinstance(e, (OverflowError, ValueError)):
            return -abi.EINVAL
        # a kernel-model bug: the guest sees EINVAL, never a traceback
        self.internal_errors += 1
        if self.debug:
            import traceback
            traceback.print_exc()
        return -abi.EINVAL

    def syscall_exit(self, result: int) -> None:
        """Return to user space: r28, the gateway return, then signal work (which may run a
        handler, or rewind to the ``ble`` to restart; it also turns the internal -ERESTART*
        codes into -EINTR)."""
        sig = self.signals
        if sig.pending_mask & ~sig.blocked or result in _RESTART_CODES:
            ctx = self.ctx
            ctx.gateway_return()
            ctx.set_return(sig.syscall_exit(result))
        else:
            self.ctx.syscall_return(result)

    def _unknown_syscall(self, nr: int, args: tuple) -> None:
        """A number no handler is registered for: -ENOSYS, counted and traced by its name
        in syscall.tbl (or its number)."""
        name = abi.SYSCALL_NAMES.get(nr, f"syscall_{nr:#x}")
        self._unknown_calls[name] = self._unknown_calls.get(name, 0) + 1
        result = -abi.ENOSYS
        if self.strace:
            self._trace_line(self.strace_text.format_unknown(self, nr, name, args, result))
        self.syscall_exit(result)

    def _trace_call(self, sc, args) -> str:
        try:
            return self.strace_text.format_call(self, sc, args)
        except Exception:  # strace must never break the guest
            return f"{sc.name}(...)"

    @property
    def thread(self):
        """The running thread (sched.Thread)."""
        return self.sched.current

    def _trace_line(self, text: str) -> None:
        if self.sched.multi or self.tree is not None and self.tree.live_count() > 1:
            # strace -f, once there are several processes or threads
            text = f"[pid {self.sched.current.tid:5d}] {text}"
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
        if budget_return or _perf_counter_ns() >= self.ctx.ctl[_TICK_DUE]:
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

    def vfork_release(self) -> None:
        """A vfork child execs or ends: its parent goes on (mm_release()), with what the
        child wrote to the memory they share."""
        if self.vfork_done is None:
            return
        fd, shared_vm = self.vfork_done
        self.vfork_done = None
        try:
            if shared_vm:
                vfork.send_pages(self.mem, fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def exit_cleanup(self) -> None:
        """Write back shared file mappings (exit or death); drop /proc snapshots."""
        try:
            self.vm.sync_all(self)
        except Exception:
            pass
        procfs.cleanup(self)
