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
from hppa_user.loader import load_elf, read_program
from hppa_user.memory import page_align_up
from hppa_user.trace import Tracer
from kernel_model import hostsig, process, timekeeping, traps
from kernel_model.errors import ProcessExit, ProcessKilled
from kernel_model.kernel import Kernel

# Instructions per CPU run. The CPU must return about every millisecond (timers, signals,
# the vDSO data page), and each return costs microseconds of Python, so the budget follows
# the speed: it starts at what the interpreter runs in ~1 ms and doubles or halves while a
# budget-limited run takes less than half or more than one millisecond (compiled regions
# run several times faster than the interpreter). Under --clock virtual the budget stays
# fixed, so the CPU returns at the same instructions on every run.
BUDGET = 100_000
BUDGET_MAX = 4_000_000
BUDGET_SLICE = 0.001      # seconds
# A branch target entered this many times is compiled to native code (jit.py). A region
# costs LLVM ~20-40 ms, what the interpreter does in 2-4 M instructions, so only code that
# has already run that long is likely to repay it; lower it to stress the compiler.
JIT_THRESHOLD = int(os.environ.get("HPPA_USER_JIT_THRESHOLD", "5000"))   # 1: stress the JIT


class Machine:
    def __init__(self, program: str, argv: list[str], env: dict[str, str] | None = None,
                 strace: bool = False, max_insns: int = 0, clock: str = "host",
                 kernel_profile: str = "vvar", strace_file=None, count_vdso: bool = False,
                 trace=None, jit_threshold: int = JIT_THRESHOLD):
        """``trace``: a :class:`hppa_user.trace.TraceOptions` (or None: no tracing, no cost).
        ``jit_threshold``: entries of a branch target before it is compiled; 0 interprets only."""
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

        self.image = load_elf(read_program(program), mem)
        self.kernel = k = Kernel(ctx, mem, exe_path=program, argv=self.argv, clock=clock,
                                 strace=strace, strace_file=strace_file)
        # load_elf_binary: mm->start_brk = mm->brk = ELF_PAGEALIGN(end of bss)
        k.brk_start = k.brk = page_align_up(self.image.brk_start)
        k.mmap_base = process.STACK_BASE
        self.vdso = process.map_vdso(mem, kernel_profile, process.STACK_BASE)
        self.vdso_names: dict[int, str] = {}
        if self.vdso:
            k.vdso_sigtramp = self.vdso.sigtramp_return(False)
            if self.vdso.vvar_base is not None:
                k.time.attach_vvar(mem, self.vdso.vvar_base)
            if count_vdso:
                self.vdso_names = self.vdso.entry_points()
                cpu.count_executions(list(self.vdso_names))
        envp = [f"{key}={v}".encode() for key, v in self.env.items()]
        # Linux <= 5.17 returned from signals through an on-stack trampoline: executable stack
        exec_stack = self.image.exec_stack or kernel_profile == "none"
        sp, argv_addr, argc, self.auxv = process.setup_stack(
            mem, self.image, [a.encode() for a in self.argv], envp, program.encode(),
            vdso_base=self.vdso.base if self.vdso else 0, exec_stack=exec_stack)
        process.initial_registers(ctx, self.image.entry, sp, argc, argv_addr)
        process.describe_mappings(k, self.image, os.path.abspath(program), self.vdso, exec_stack)
        self.tracer = None
        if trace is not None:
            self.tracer = Tracer(cpu, program, trace,
                                 lambda: traps.describe(mem, *ctx.trap))
        self.exit_status = 0
        self.term_signal = 0
        self.kill_info: ProcessKilled | None = None
        self.wall_seconds = 0.0

    @property
    def pc(self) -> int:
        return self.ctx.pc

    def run(self) -> int:
        """Run to completion; return the exit status (128 + signal when killed)."""
        cpu, k, ctx, tracer = self.cpu, self.kernel, self.ctx, self.tracer
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
                if tracer is not None:
                    budget = tracer.prepare(budget)   # 1 while tracing
                t_run = time.perf_counter()
                st = cpu.run(budget)
                if adapt and st == S.ST_BUDGET and budget == slice_budget:
                    took = time.perf_counter() - t_run
                    if took < BUDGET_SLICE / 2 and slice_budget < BUDGET_MAX:
                        slice_budget *= 2
                    elif took > BUDGET_SLICE and slice_budget > BUDGET:
                        slice_budget //= 2
                if tracer is not None and tracer.finish(st):
                    continue                           # the tracer's --trace-from breakpoint
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
            if tracer is not None:
                tracer.close()
        k.exit_cleanup()                          # shared file mappings reach their files
        self.wall_seconds = time.perf_counter() - self.t_start
        return self.exit_status

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
            "jit": {"regions": jit.regions, "failures": jit.failures, "instructions": jit.insns,
                    "from_cache": jit.cached, "optimised": jit.optimised,
                    "compile_seconds": round(jit.seconds, 3)},
            "lws_calls": {str(op): n for op, n in self.ctx.lws_counts().items()},
        }
