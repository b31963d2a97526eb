"""Machine: one emulated process -- a CPU, the kernel that runs it, and the process image.

The kernel runs the CPU, as Linux runs a process on a processor: the CPU executes until
it stops (a syscall at the gateway, an interruption, its budget, ...), the kernel handles
the stop through the CPU context, and every stop is a kernel tick (clocks and the vDSO
data page, timers, pending signals).
"""
from __future__ import annotations

import gc
import os
import sys
import time

from hppa_user import jitworker, state as S
from hppa_user.cpu import Cpu
from hppa_user.errors import LoaderError
from hppa_user.jit import JIT_AUTO
from hppa_user.loader import symtab_symbols
from kernel_model import abi, binfmt_elf, exec as execmod, guestroot, hostsig, timekeeping, traps
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
                                 strace=strace, strace_file=strace_file, profile=kernel_profile)
        k.root = guestroot.GuestRoot(root) if root else guestroot.default_root(program)
        k.vdso_fault = vdso_fault
        envp = [f"{key}={v}".encode() for key, v in self.env.items()]
        self.image = binfmt_elf.exec_binary(k, program, [a.encode() for a in self.argv], envp,
                                            profile=kernel_profile, vdso_fault=vdso_fault)
        execmod.start_thread(ctx, self.image)
        self.count_vdso = count_vdso
        self.vdso_names: dict[int, str] = {}
        self.vsyscall_paths: dict[int, tuple[str, str]] = {}
        self.vdso_counts: dict[str, int] = {}    # of the programs before the last execve
        self._count_vdso_calls()
        k.on_exec = self._on_exec
        k.on_fork = self._on_fork
        # what watches the run loop: the --trace tracer, or the gdb stub (gdbstub.py), set
        # by its creator. prepare(budget) -> budget before each CPU run; finish(status) ->
        # True when the stop was the monitor's own (the loop runs the CPU again); close()
        self.monitor = None
        if trace is not None:
            from hppa_user.trace import Tracer     # with the disassembler: only when asked
            self.monitor = Tracer(cpu, program, trace,
                                  lambda: traps.describe(mem, *ctx.trap, vm=self.kernel.vm),
                                  symbol_bias=self.image.program.bias)
        self.reach: dict[int, object] = {}      # when_reached(): address -> callback
        # (a forked process counts from its fork)
        self.jit_base = (0, 0, 0, 0, 0, 0.0)
        self.chains_base: dict[str, int] = {}
        self.lws_base: dict[int, int] = {}
        self.children_stats: list[dict] = []      # the run's other processes (the first's)
        self.exit_status = 0
        self.term_signal = 0
        self.kill_info: ProcessKilled | None = None
        self.wall_seconds = 0.0

    @property
    def pc(self) -> int:
        return self.ctx.pc

    @property
    def vdso(self):
        return self.image.vdso

    @property
    def auxv(self) -> list:
        return self.image.auxv

    def _count_vdso_calls(self) -> None:
        """Count the vDSO's exported functions and the program's vsyscall dispatcher paths
        (again after an execve: other addresses)."""
        if not self.count_vdso:
            return
        self.vdso_names = self.image.vdso.entry_points() if self.image.vdso else {}
        try:
            bias = self.image.program.bias           # a PIE's symbols move with it
            self.vsyscall_paths = vsyscall.path_hooks(
                {name: value + bias for name, value in
                 symtab_symbols(self.program, vsyscall.PATH_SYMBOLS).items()})
        except LoaderError:             # an unreadable .symtab: nothing of it is counted
            self.vsyscall_paths = {}
        if self.vdso_names or self.vsyscall_paths:
            self.cpu.count_executions([*self.vdso_names, *self.vsyscall_paths])

    def when_reached(self, addr: int, callback) -> None:
        """Call ``callback()`` when the guest first reaches ``addr``, before the instruction
        there runs (a CPU breakpoint, invisible to the guest), e.g. the start-up probe's
        "main reached"."""
        self.reach[addr & ~3] = callback
        self.cpu.set_breakpoint(addr)

    def _on_exec(self, image) -> None:
        """execve replaced the image: nothing the CPU decoded or compiled of the old
        program may run again."""
        for name, n in self._vdso_calls().items():
            self.vdso_counts[name] = self.vdso_counts.get(name, 0) + n
        self.image = image
        self.program = self.kernel.exe_path
        self.cpu.flush_decode_cache()
        self.cpu.jit.return_points.clear()
        self._count_vdso_calls()

    def _on_fork(self) -> None:
        """In a forked child: statistics and time are its own from here."""
        self.t_start = time.perf_counter()
        self.vdso_counts = {}
        if self.vdso_names or self.vsyscall_paths:
            self.cpu.count_executions([*self.vdso_names, *self.vsyscall_paths])
        jit = self.cpu.jit
        jit.forked()
        self.jit_base = (jit.regions, jit.failures, jit.insns, jit.cached, jit.other_entries,
                         jit.seconds)
        self.chains_base = self.cpu.chains.counters()
        self.lws_base = self.ctx.lws_counts()
        if self.kernel.signals.ptracer is not None:
            # gdb follows the parent (follow-fork-mode parent, detach-on-fork): the child
            # runs free of its breakpoints and of the connection
            self.kernel.signals.ptracer.forked()
            self.monitor = None

    def run(self) -> int:
        """Run to completion; return the exit status (128 + signal when killed)."""
        cpu, k, ctx = self.cpu, self.kernel, self.ctx
        sched = k.sched
        # (the syscall round trip's names, bound once)
        cpu_run, syscall, tick, perf_counter = cpu.run, k.handle_syscall, k.tick, time.perf_counter
        return_and_run = cpu.return_and_run
        ST_SYSCALL = S.ST_SYSCALL
        cpu.load_core()                        # compile or load the core before timing
        gc.freeze()        # the big, long-lived heap (Numba, LLVM) is never worth rescanning
        self.t_start = time.perf_counter()
        restore_host_signals = hostsig.install(k)   # Ctrl-C and kill reach the guest
        slice_budget = BUDGET
        adapt = not self.virtual_clock
        next_tree_check = 0.0
        # Under --clock virtual a thread's time slice is counted in its instructions, across
        # the CPU's other stops (syscalls, compile requests, ...): it ends at the same
        # instruction on every run, whatever code is compiled when.
        slice_start = ctx.insns
        try:
            monitor = self.monitor
            while True:
                budget = slice_budget
                if not adapt:
                    used = ctx.insns - slice_start
                    if used >= slice_budget:
                        slice_start, used = ctx.insns, 0
                    budget -= used
                if self.max_insns:
                    left = self.max_insns - (ctx.insns - k.insns_base)
                    if left <= 0:
                        raise ProcessKilled(9, ctx.pc, reason="instruction limit reached")
                    budget = min(budget, left)
                if monitor is not None:
                    monitor = self.monitor             # (a forked child drops a debugger)
                    if monitor is not None:
                        budget = monitor.prepare(budget)   # 1 while tracing or stepping
                t_run = perf_counter()
                st = cpu_run(budget)
                if st == ST_SYSCALL and adapt and monitor is None and not self.max_insns \
                        and not self.reach:
                    # the common case, nothing watching the loop and the budget fixed: syscall
                    # round trips straight back into the CPU until it stops for another reason
                    # (those runs are not timed: the budget adapts on the others).  A plain
                    # return and the run after it are one foreign call, which also looks
                    # whether the tick is due (then ST_TICK: the general loop below ticks,
                    # nothing has run)
                    while st == ST_SYSCALL:
                        value = syscall()
                        if value is not None:
                            st = return_and_run(value, budget)
                            continue
                        if sched.resched or sched.check_signals:
                            sched.schedule()           # another thread, or a wait's end
                        tick(False)
                        st = cpu_run(budget)
                    t_run = None
                if adapt and st == S.ST_BUDGET and budget == slice_budget and t_run is not None:
                    took = perf_counter() - t_run
                    if took < BUDGET_SLICE / 2 and slice_budget < BUDGET_MAX:
                        slice_budget *= 2
                    elif took > BUDGET_SLICE and slice_budget > BUDGET:
                        slice_budget //= 2
                if monitor is not None and monitor.finish(st):
                    continue                           # its breakpoint or watchpoint
                if self.reach and self._reached(st):
                    continue                           # a when_reached() callback ran
                if st == ST_SYSCALL:
                    k.syscall()
                elif st == S.ST_FAULT:
                    k.trap()
                elif st == S.ST_BUDGET:
                    if sched.runq or sched.polled:
                        sched.preempt()                # the time slice is over
                    now = perf_counter()
                    if k.tree is not None and now > next_tree_check:
                        next_tree_check = now + 0.2
                        if k.tree.root_gone():
                            raise ProcessKilled(9, ctx.pc,
                                                reason="the run's first process has ended")
                if sched.resched or sched.check_signals:
                    running = sched.current
                    sched.schedule()                   # another thread, or a wait's end
                    if sched.current is not running:
                        slice_start = ctx.insns        # a new slice for the next thread
                k.tick(st == S.ST_BUDGET and budget > 1)
        except ProcessExit as e:
            self.exit_status, self.term_signal = e.status, 0
        except ProcessKilled as e:
            self.exit_status, self.term_signal = 128 + e.signum, e.signum
            self.kill_info = e
        finally:
            cpu.close()
            restore_host_signals()
            if self.monitor is not None:
                self.monitor.close()
        k.exit_cleanup()                          # shared file mappings reach their files
        self.wall_seconds = time.perf_counter() - self.t_start
        if k.tree is not None:
            if not k.tree.is_root:
                self._end_forked_process()        # never returns
            self.children_stats = k.tree.end_of_run()
        return self.exit_status

    def _reached(self, st: int) -> bool:
        addr = self.cpu.breakpoint_hit(st)
        if addr is None or addr not in self.reach:
            return False
        self.cpu.clear_breakpoint(addr)
        self.reach.pop(addr)()
        return True

    def _guest_wait_status(self) -> int:
        """How this process ended, as its parent's wait() sees it."""
        sig = self.term_signal
        if not sig:
            return (self.exit_status & 0xFF) << 8
        core = self.kill_info is not None and self.kill_info.core \
            and self.kernel.info.rlimits[abi.RLIMIT_CORE][0] > 0
        return sig | (0x80 if core else 0)

    def _end_forked_process(self) -> None:
        """A forked guest process has ended: leave the status for its parent and the
        statistics for the root, and end the host process (never returning into the code
        that started the run)."""
        k = self.kernel
        try:
            k.vfork_release()
            k.tree.exited(self._guest_wait_status(), self.stats())
            for f in (sys.stdout, sys.stderr):
                f.flush()
        finally:
            jitworker.end_process(self.exit_status & 0xFF)

    def _vdso_calls(self) -> dict[str, int]:
        counts = self.cpu.execution_counts()
        return {name: counts[a] for a, name in self.vdso_names.items() if counts.get(a)}

    def stats(self) -> dict:
        """This process's statistics (a forked process counts from its fork); the first
        process's also sum up the others of the run under ``children``."""
        k, jit = self.kernel, self.cpu.jit
        insns = self.ctx.insns - k.insns_base
        wall = self.wall_seconds
        vdso = dict(self.vdso_counts)
        for name, n in self._vdso_calls().items():
            vdso[name] = vdso.get(name, 0) + n
        regions, failures, jit_insns, cached, other_entries, jit_seconds = self.jit_base
        counts = self.cpu.execution_counts()
        lws = {op: n - self.lws_base.get(op, 0) for op, n in self.ctx.lws_counts().items()}
        out = {
            "exit_status": self.exit_status,
            "signal": self.term_signal,
            "instructions": insns,
            "wall_seconds": wall,
            "mips": insns / wall / 1e6 if wall > 0 else 0.0,
            "kernel_profile": self.kernel_profile,
            "syscalls": dict(sorted(k.syscall_counts.items())),
            "vdso_calls": vdso,
            "vsyscall": vsyscall.path_counts({fp: counts.get(a, 0)
                                              for a, fp in self.vsyscall_paths.items()}),
            "jit": {"regions": jit.regions - regions, "failures": jit.failures - failures,
                    "instructions": jit.insns - jit_insns, "from_cache": jit.cached - cached,
                    "other_entries": jit.other_entries - other_entries,
                    "compile_seconds": round(jit.seconds - jit_seconds, 3),
                    **{k: n - self.chains_base.get(k, 0)
                       for k, n in self.cpu.chains.counters().items()}},
            "lws_calls": {str(op): n for op, n in lws.items() if n},
            "threads_created": k.sched.created,
        }
        if self.children_stats:
            out["children"] = summed(self.children_stats)
        return out


def summed(stats: list[dict]) -> dict:
    """The statistics of several processes added up."""
    syscalls: dict[str, int] = {}
    for st in stats:
        for name, n in st.get("syscalls", {}).items():
            syscalls[name] = syscalls.get(name, 0) + n
    return {
        "processes": len(stats),
        "instructions": sum(st.get("instructions", 0) for st in stats),
        "wall_seconds": sum(st.get("wall_seconds", 0.0) for st in stats),
        "syscalls": dict(sorted(syscalls.items())),
        "jit_regions": sum(st.get("jit", {}).get("regions", 0) for st in stats),
        "signals": sum(1 for st in stats if st.get("signal")),
    }
