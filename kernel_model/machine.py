"""Machine: one emulated process -- a CPU, the kernel that runs it, and the process image.

The kernel runs the CPU, as Linux runs a process on a processor: the CPU executes until
it stops (a syscall at the gateway, an interruption, its budget, ...), the kernel handles
the stop through the CPU context, and every stop is a kernel tick (clocks and the vDSO
data page, timers, pending signals).
"""
from __future__ import annotations

import gc
import os
import time

from hppa_user import state as S
from hppa_user.cpu import Cpu
from hppa_user.errors import LoaderError
from hppa_user.jit import JIT_AUTO
from hppa_user.loader import symtab_symbols
from hppa_user.trace import Tracer
from kernel_model import binfmt_elf, guestroot, hostsig, process, timekeeping, traps
from kernel_model.errors import ProcessExit, ProcessKilled
from kernel_model.kernel import Kernel
from vdso_image import vsyscall

# Instructions per CPU run. The CPU must return about every millisecond (timers, signals,
# the vDSO data page), and each return costs microseconds of Python, so the budget follows
# the speed: it starts at what the interpreter runs in ~1 ms and doubles or halves while a
# budget-limited run takes less than half or more than one millisecond (compiled regions
# run several times faster than the interpreter). Under --clock virtual the budget stays
# fixed, so the CPU returns at the same instructions on every run.
BUDGET = 100_000
BUDGET_MAX = 4_000_000
BUDGET_SLICE = 0.001      # seconds
# Entries of a branch target before it is compiled to native code (jit.py); by default
# (JIT_AUTO) when its code has done about as much work as compiling it costs. 2: stress
# the compiler.
JIT_THRESHOLD = int(os.environ.get("HPPA_USER_JIT_THRESHOLD", str(JIT_AUTO)))


class Machine:
    def __init__(self, program: str, argv: list[str], env: dict[str, str] | None = None,
                 strace: bool = False, max_insns: int = 0, clock: str = "host",
                 kernel_profile: str = "vvar", strace_file=None, count_vdso: bool = False,
                 trace=None, jit_threshold: int = JIT_THRESHOLD, root: str | None = None,
                 vdso_fault: str | None = None):
        """``trace``: a :class:`hppa_user.trace.TraceOptions` (or None: no tracing, no cost).
        ``jit_threshold``: entries of a branch target before it is compiled (JIT_AUTO: when
        its code has run about as long as compiling it costs); 0 interprets only.
        ``root``: the guest file-system root directory (-L); None: the default for the
        program (kernel_model.guestroot.default_root).
        ``vdso_fault``: a :mod:`kernel_model.vdso_fault` name (the vDSO broken on purpose).
        ``count_vdso``: count executions of the vDSO's exported functions and of the vsyscall
        dispatcher's paths (``stats()["vdso_calls"]``, ``["vsyscall"]``)."""
        self.program = program
        self.argv = list(argv)
        self.env = dict(os.environ if env is None else env)
        self.max_insns = max_insns
        self.kernel_profile = kernel_profile
        self.virtual_clock = clock == "virtual"
        # tracing single-steps the interpreter: no compiled regions then
        self.cpu = cpu = Cpu(jit_threshold=0 if trace is not None else jit_threshold,
                             virtual_clock=self.virtual_clock,
                             cr16_bias=timekeeping.VIRTUAL_MONOTONIC_BASE if self.virtual_clock else 0)
        self.mem, self.ctx = mem, ctx = cpu.mem, cpu.ctx

        self.kernel = k = Kernel(ctx, mem, exe_path=program, argv=self.argv, clock=clock,
                                 strace=strace, strace_file=strace_file)
        k.root = guestroot.GuestRoot(root) if root else guestroot.default_root(program)
        envp = [f"{key}={v}".encode() for key, v in self.env.items()]
        self.image = binfmt_elf.exec_binary(k, program, [a.encode() for a in self.argv], envp,
                                            profile=kernel_profile, vdso_fault=vdso_fault)
        self.vdso = self.image.vdso
        self.auxv = self.image.auxv
        self.vdso_names: dict[int, str] = {}
        self.vsyscall_paths: dict[int, tuple[str, str]] = {}
        if count_vdso:
            if self.vdso:
                self.vdso_names = self.vdso.entry_points()
            try:
                bias = self.image.program.bias           # a PIE's symbols move with it
                self.vsyscall_paths = vsyscall.path_hooks(
                    {name: value + bias for name, value in symtab_symbols(program).items()})
            except LoaderError:             # an unreadable .symtab: nothing of it is counted
                pass
            if self.vdso_names or self.vsyscall_paths:
                cpu.count_executions([*self.vdso_names, *self.vsyscall_paths])
        process.initial_registers(ctx, self.image.entry, self.image.sp, self.image.argc,
                                  self.image.argv_addr)
        # what watches the run loop: the --trace tracer, or the gdb stub (gdbstub.py), set
        # by its creator. prepare(budget) -> budget before each CPU run; finish(status) ->
        # True when the stop was the monitor's own (the loop runs the CPU again); close()
        self.monitor = None
        if trace is not None:
            self.monitor = Tracer(cpu, program, trace,
                                  lambda: traps.describe(mem, *ctx.trap, vm=self.kernel.vm),
                                  symbol_bias=self.image.program.bias)
        self.reach: dict[int, object] = {}      # when_reached(): address -> callback
        self.exit_status = 0
        self.term_signal = 0
        self.kill_info: ProcessKilled | None = None
        self.wall_seconds = 0.0

    @property
    def pc(self) -> int:
        return self.ctx.pc

    def when_reached(self, addr: int, callback) -> None:
        """Call ``callback()`` when the guest first reaches ``addr``, before the instruction
        there runs (a CPU breakpoint, invisible to the guest), e.g. the start-up probe's
        "main reached"."""
        self.reach[addr & ~3] = callback
        self.cpu.set_breakpoint(addr)

    def run(self) -> int:
        """Run to completion; return the exit status (128 + signal when killed)."""
        cpu, k, ctx, monitor = self.cpu, self.kernel, self.ctx, self.monitor
        cpu.load_core()                        # compile or load the core before timing
        gc.freeze()        # the big, long-lived heap (Numba, LLVM) is never worth rescanning
        self.t_start = time.perf_counter()
        restore_host_signals = hostsig.install(k)   # Ctrl-C and kill reach the guest
        slice_budget = BUDGET
        adapt = not self.virtual_clock
        try:
            while True:
                budget = slice_budget
                if self.max_insns:
                    left = self.max_insns - ctx.insns
                    if left <= 0:
                        raise ProcessKilled(9, ctx.pc, reason="instruction limit reached")
                    budget = min(budget, left)
                if monitor is not None:
                    budget = monitor.prepare(budget)  # 1 while tracing or stepping
                t_run = time.perf_counter()
                st = cpu.run(budget)
                if adapt and st == S.ST_BUDGET and budget == slice_budget:
                    took = time.perf_counter() - t_run
                    if took < BUDGET_SLICE / 2 and slice_budget < BUDGET_MAX:
                        slice_budget *= 2
                    elif took > BUDGET_SLICE and slice_budget > BUDGET:
                        slice_budget //= 2
                if monitor is not None and monitor.finish(st):
                    continue                           # its breakpoint or watchpoint
                if self.reach and self._reached(st):
                    continue                           # a when_reached() callback ran
                if st == S.ST_SYSCALL:
                    k.syscall()
                elif st == S.ST_FAULT:
                    k.trap()
                k.tick(st == S.ST_BUDGET and budget > 1)
        except ProcessExit as e:
            self.exit_status, self.term_signal = e.status, 0
        except ProcessKilled as e:
            self.exit_status, self.term_signal = 128 + e.signum, e.signum
            self.kill_info = e
        finally:
            cpu.close()
            restore_host_signals()
            if monitor is not None:
                monitor.close()
        k.exit_cleanup()                          # shared file mappings reach their files
        self.wall_seconds = time.perf_counter() - self.t_start
        return self.exit_status

    def _reached(self, st: int) -> bool:
        addr = self.cpu.breakpoint_hit(st)
        if addr is None or addr not in self.reach:
            return False
        self.cpu.clear_breakpoint(addr)
        self.reach.pop(addr)()
        return True

    def stats(self) -> dict:
        k, jit = self.kernel, self.cpu.jit
        insns = self.ctx.insns
        wall = self.wall_seconds
        counts = self.cpu.execution_counts()
        return {
            "exit_status": self.exit_status,
            "signal": self.term_signal,
            "instructions": insns,
            "wall_seconds": wall,
            "mips": insns / wall / 1e6 if wall > 0 else 0.0,
            "kernel_profile": self.kernel_profile,
            "syscalls": dict(sorted(k.syscall_counts.items())),
            "vdso_calls": {name: counts[a] for a, name in self.vdso_names.items() if counts.get(a)},
            "vsyscall": vsyscall.path_counts({fp: counts.get(a, 0)
                                              for a, fp in self.vsyscall_paths.items()}),
            "jit": {"regions": jit.regions, "failures": jit.failures, "instructions": jit.insns,
                    "from_cache": jit.cached,
                    "compile_seconds": round(jit.seconds, 3)},
            "lws_calls": {str(op): n for op, n in self.ctx.lws_counts().items()},
        }
