"""Machine: one emulated process — guest memory, CPU state, the jitted core and the kernel.

The run loop alternates between the compiled core (which runs until an event) and Python:
syscalls go to the kernel model, faults become signals, and every return gives the kernel a
tick (timers, pending signals, the vDSO data page).
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from hppa_user import state as S
from hppa_user.loader import load_elf, read_program
from hppa_user.memory import PERM_CODE, GuestMemory, page_align_up

# Instructions per core entry. The core must return about every millisecond (timers,
# signals, the vDSO data page), and each return costs tens of microseconds of Python, so the
# budget follows the speed: it starts at what the interpreter runs in ~1 ms and doubles or
# halves while a budget-limited run takes less than half or more than one millisecond
# (compiled regions run several times faster than the interpreter). Under --clock virtual
# the budget stays fixed, so the core returns at the same instructions on every run.
BUDGET = 100_000
BUDGET_MAX = 4_000_000
BUDGET_SLICE = 0.001      # seconds
# The vDSO computes fine clocks from cr16, so its data page only needs fresh bases for slow
# drift and the coarse clocks: refresh on every budget return, and on other returns (syscalls,
# faults) once this many seconds have passed.
VVAR_REFRESH = 0.0005
# After a time syscall the page is refreshed at once, so a coarse clock read through the
# vDSO is never older than what the guest just got from the kernel (as on Linux, where both
# read the same timekeeper): time, gettimeofday, clock_gettime, clock_gettime64.
TIME_SYSCALLS = frozenset({13, 78, 256, 403})
DECODE_SLOTS = 4096       # decoded pages held at once (16 MiB of code)
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
        self.mem = GuestMemory()
        self.regs = np.zeros(S.REGS_SIZE, dtype=np.int64)
        self.gr = self.regs[S.REGS_GR]
        self.fr = self.regs[S.REGS_FR]
        self.sr = self.regs[S.REGS_SR]
        self.cr = self.regs[S.REGS_CR]
        self.ctl = self.regs[S.REGS_CTL:]
        self.ctl[S.CTL_NSLOTS] = DECODE_SLOTS
        self.ctl[S.CTL_CLOCK_MODE] = 1 if clock == "virtual" else 0
        if clock == "virtual":   # cr16 then reads the low word of the virtual monotonic clock
            from kernel_model.clock import VIRTUAL_MONOTONIC_BASE
            self.ctl[S.CTL_CR16_BIAS] = VIRTUAL_MONOTONIC_BASE
        self.dc = np.zeros(DECODE_SLOTS * S.SLOT_WORDS * S.DC_FIELDS, dtype=np.int32)
        self.native = np.zeros(DECODE_SLOTS * S.SLOT_WORDS, dtype=np.int64)
        # tracing single-steps the interpreter: no compiled regions then
        from hppa_user.jit import RegionCompiler
        self.jit = RegionCompiler(self, 0 if trace is not None else max(0, jit_threshold))

        data = read_program(program)
        self.image = load_elf(data, self.mem)

        from kernel_model.kernel import Kernel
        from kernel_model import process
        self.clock = clock
        self.kernel = Kernel(self, strace=strace, strace_file=strace_file)
        # load_elf_binary: mm->start_brk = mm->brk = ELF_PAGEALIGN(end of bss)
        self.kernel.brk_start = self.kernel.brk = page_align_up(self.image.brk_start)
        self.kernel.mmap_base = process.STACK_BASE
        self.vdso = process.map_vdso(self.mem, kernel_profile, process.STACK_BASE)
        self.kernel.vdso = self.vdso
        if self.vdso:
            self.kernel.vdso_sigtramp = self.vdso.sigtramp_return(False)
        self.hooks = np.zeros((0, 3), dtype=np.int64)
        if self.vdso and count_vdso:
            names = {addr: name for addr, name in self.vdso.entry_points().items()}
            self.hook_names = list(names.values())
            self.hooks = np.zeros((len(names), 3), dtype=np.int64)
            self.hooks[:, S.HOOK_ADDR] = list(names.keys())
        from hppa_user.core import Core
        self.core = Core(self.regs, self.mem, self.dc, self.native, self.hooks)
        envp = [f"{k}={v}".encode() for k, v in self.env.items()]
        # Linux ≤ 5.17 returned from signals through an on-stack trampoline: executable stack
        exec_stack = self.image.exec_stack or kernel_profile == "none"
        sp, argv_addr, argc, self.auxv = process.setup_stack(
            self.mem, self.image, [a.encode() for a in self.argv], envp, program.encode(),
            vdso_base=self.vdso.base if self.vdso else 0, exec_stack=exec_stack)
        process.initial_registers(self, self.image.entry, sp, argc, argv_addr)
        process.describe_mappings(self.kernel, self.image, os.path.abspath(program), self.vdso,
                                  exec_stack)
        self.tracer = None
        if trace is not None:
            from hppa_user.trace import Tracer
            self.tracer = Tracer(self, trace)

    # -- register-file views used by the kernel model ------------------------------------
    @property
    def iaoq_f(self) -> int:
        return int(self.ctl[S.CTL_IAOQF])

    @iaoq_f.setter
    def iaoq_f(self, v: int) -> None:
        self.ctl[S.CTL_IAOQF] = v & 0xFFFFFFFC

    @property
    def iaoq_b(self) -> int:
        return int(self.ctl[S.CTL_IAOQB])

    @iaoq_b.setter
    def iaoq_b(self, v: int) -> None:
        self.ctl[S.CTL_IAOQB] = v & 0xFFFFFFFC

    @property
    def psw_n(self) -> int:
        return int(self.ctl[S.CTL_PSWN])

    @psw_n.setter
    def psw_n(self, v: int) -> None:
        self.ctl[S.CTL_PSWN] = 1 if v else 0

    @property
    def pc(self) -> int:
        return self.iaoq_f

    @property
    def insn_count(self) -> int:
        return int(self.ctl[S.CTL_INSNS])

    def monotonic_ns(self) -> int:
        """The guest's CLOCK_MONOTONIC: the host's, or one ns per instruction (--clock virtual)."""
        if self.clock == "virtual":
            from kernel_model.clock import virtual_clock_ns
            return virtual_clock_ns(1, int(self.ctl[S.CTL_INSNS]))
        return time.clock_gettime_ns(time.CLOCK_MONOTONIC)

    # -- execution -----------------------------------------------------------------------
    def flush_decode_cache(self) -> None:
        used = self.mem.page_slot >= 0
        self.mem.page_slot[used] = -1
        self.mem.perm[used] &= ~np.uint8(PERM_CODE)
        self.ctl[S.CTL_NEXT_SLOT] = 0
        self.native[:] = 0       # regions may span pages: none survives its slots' reuse
        self.jit.flushed()

    def run(self) -> int:
        """Run to completion; return the exit status (128 + signal when killed)."""
        from kernel_model.kernel import ProcessExit, ProcessKilled

        mem, k, ctl, gr = self.mem, self.kernel, self.ctl, self.gr
        vdso = self.vdso if (self.vdso and self.vdso.vvar) else None
        tracer = self.tracer                   # None unless --trace: one test per core entry
        core_run = self.core.run
        jit = self.jit
        import gc
        gc.freeze()        # the big, long-lived heap (Numba, LLVM) is never worth rescanning
        self.t_start = time.perf_counter()
        from kernel_model import hostsig
        restore_host_signals = hostsig.install(k)   # Ctrl-C and kill reach the guest
        slice_budget = BUDGET
        try:
            while True:
                budget = slice_budget
                if self.max_insns:
                    left = self.max_insns - int(ctl[S.CTL_INSNS])
                    if left <= 0:
                        raise ProcessKilled(9, self.pc, reason="instruction limit reached")
                    budget = min(budget, left)
                if tracer is not None:
                    budget = tracer.prepare(budget)   # 1 while tracing
                t_run = time.perf_counter()
                st = core_run(budget)
                if jit.active:
                    jit.poll()                  # install regions the compiler finished
                if st == S.ST_BUDGET and budget == slice_budget and self.clock != "virtual":
                    took = time.perf_counter() - t_run
                    if took < BUDGET_SLICE / 2 and slice_budget < BUDGET_MAX:
                        slice_budget *= 2
                    elif took > BUDGET_SLICE and slice_budget > BUDGET:
                        slice_budget //= 2
                if tracer is not None and tracer.finish(st):
                    continue                           # the tracer's --trace-from breakpoint
                fresh_time = False
                if st == S.ST_SYSCALL:
                    fresh_time = int(gr[20]) in TIME_SYSCALLS
                    k.handle_syscall()
                    if not k.skip_return:
                        ret = int(gr[31]) & ~3            # gateway return: be,n 0(%sr3,%r31)
                        ctl[S.CTL_IAOQF] = ret
                        ctl[S.CTL_IAOQB] = (ret + 4) & 0xFFFFFFFF
                        ctl[S.CTL_PSWN] = 0
                elif st == S.ST_FAULT:
                    k.handle_fault(int(ctl[S.CTL_FAULT_SIG]), int(ctl[S.CTL_FAULT_CODE]),
                                   int(ctl[S.CTL_FAULT_ADDR]))
                elif st == S.ST_CACHE_FULL:
                    self.flush_decode_cache()
                elif st == S.ST_JIT:
                    jit.request(int(ctl[S.CTL_JIT_ENTRY]))
                if vdso is not None and ((st == S.ST_BUDGET and budget > 1) or fresh_time or
                                         time.perf_counter() - vdso.refreshed >= VVAR_REFRESH):
                    vdso.refresh(self)
                    vdso.refreshed = time.perf_counter()
                k.tick()
        except ProcessExit as e:
            self.exit_status, self.term_signal = e.status, 0
        except ProcessKilled as e:
            self.exit_status, self.term_signal = 128 + e.signum, e.signum
            self.kill_info = e
        finally:
            jit.close()
            restore_host_signals()
            if tracer is not None:
                tracer.close()
        k.exit_cleanup()                          # shared file mappings reach their files
        self.wall_seconds = time.perf_counter() - self.t_start
        return self.exit_status

    def stats(self) -> dict:
        k = self.kernel
        insns = self.insn_count
        wall = getattr(self, "wall_seconds", 0.0)
        return {
            "exit_status": self.exit_status,
            "signal": self.term_signal,
            "instructions": insns,
            "wall_seconds": wall,
            "mips": insns / wall / 1e6 if wall > 0 else 0.0,
            "kernel_profile": self.kernel_profile,
            "syscalls": dict(sorted(k.syscall_counts.items())),
            "vdso_calls": {name: int(n) for name, n in zip(getattr(self, "hook_names", []),
                                                          self.hooks[:, S.HOOK_COUNT]) if n},
            "jit": {"regions": self.jit.regions, "failures": self.jit.failures,
                    "instructions": self.jit.insns, "from_cache": self.jit.cached,
                    "compile_seconds": round(self.jit.seconds, 3)},
            "lws_calls": {str(op): int(self.ctl[S.CTL_LWS + op]) for op in range(6)
                          if self.ctl[S.CTL_LWS + op]},
        }
