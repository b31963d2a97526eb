"""Signals: dispositions, masks, queueing, delivery with the parisc rt_sigframe, sigreturn,
syscall restart, and the interval/POSIX timers that generate signals.

Delivery follows ``arch/parisc/kernel/signal.c`` of a native 32-bit kernel:

* The frame is built at the current stack pointer (the stack grows up) or on the alternate
  stack (``(ss_sp + 0x7f) & ~0x3f``) with SA_ONSTACK; the handler runs with
  ``r30 = frame + 768`` (PARISC_RT_SIGFRAME_SIZE), r26 = signal, r25 = &frame->info,
  r24 = &frame->uc, r2 = the return trampoline; a function-descriptor handler (plabel bit 2)
  supplies the entry address and r19.
* ``struct rt_sigframe { u32 tramp[2]; siginfo info (128); ucontext uc; }`` with
  ``uc.uc_mcontext`` (the sigcontext) at frame + 160 = handler sp - 608 and ``uc_sigmask`` at
  frame + 576. In a syscall ``sc_iaoq = {r31, r31 + 4}`` and PARISC_SC_FLAG_IN_SYSCALL is set.
* Return goes through the vDSO's ``__kernel_sigtramp_rt`` (+16 when interrupted in a syscall)
  when ``Kernel.vdso_sigtramp`` is set; otherwise (profile ``none``) through the pre-5.18
  on-stack trampoline with that kernel's frame: ``u32 tramp[9]`` first, the four instruction
  words (``ldi in_syscall,%r25; ldi 173,%r20; ble 0x100(%sr2,%r0); nop``) in tramp[5..8] at
  frame + 20, siginfo at + 36, the ucontext at + 168 (uc_mcontext at handler sp - 576), as
  gdb's and libgcc's signal-frame recognisers expect. If the stack page is not executable
  the words go to a kernel-owned ``[sigpage]`` instead (one R-X page mapped on first use).
* ``rt_sigreturn`` finds the frame at ``(r30 & ~1) - 768`` and restores the mask, r1-r31,
  fr0-fr31, SAR, the PSW's N, V and C/B, the IAOQ and the altstack.
* Everything the CPU holds is read and written through the CPU context (``k.ctx``).
* Interrupted syscalls: -ERESTARTSYS restarts with SA_RESTART (else -EINTR),
  -ERESTARTNOINTR always restarts, -ERESTARTNOHAND gives -EINTR when a handler runs. A restart
  re-executes the ``ble`` (r31 - 8), honouring the delay-slot rule for ``copy %rX,%r20``.
"""
from __future__ import annotations

import os
import _signal as signal    # (start-up rule: cli.py)
import struct
import time

from hppa_user.errors import GuestFault
from hppa_user.memory import PAGE_SIZE, PERM_R, PERM_X
from kernel_model import abi
from kernel_model.errors import ProcessKilled
from kernel_model.sched import THREAD_SIGNAL_FIELDS

M32 = 0xFFFFFFFF
ALL_SIGS = (1 << abi.NSIG) - 1
UNBLOCKABLE_MASK = (1 << (abi.SIGKILL - 1)) | (1 << (abi.SIGSTOP - 1))
SYNC_MASK = 0
for _s in abi.SYNCHRONOUS_SIGNALS:
    SYNC_MASK |= 1 << (_s - 1)


def bit(sig: int) -> int:
    return 1 << (sig - 1)


def host_group(pid: int) -> tuple[int, int]:
    """(process group, session) of host process ``pid`` (the parent of a run's first
    process is the host's); (0, 0) when it is gone."""
    try:
        return os.getpgid(pid), os.getsid(pid)
    except OSError:
        return 0, 0

class SigInfo:
    """A queued siginfo: signal, code and the union fields as (offset, value, size)."""
    __slots__ = ("signo", "code", "errno", "fields", "timer")

    def __init__(self, signo, code=abi.SI_USER, fields=(), errno=0, timer=None):
        self.signo, self.code, self.errno = signo, code, errno
        self.fields = list(fields)
        self.timer = timer

    def pack(self) -> bytes:
        buf = bytearray(abi.SIGINFO_SIZE)
        struct.pack_into(">iii", buf, 0, self.signo, self.errno, self.code)
        for off, value, size in self.fields:
            if size == 4:
                struct.pack_into(">I", buf, off, value & M32)
            elif size == 8:
                struct.pack_into(">Q", buf, off, value & 0xFFFFFFFFFFFFFFFF)
        return bytes(buf)


class Timer:
    """One armed timer: an itimer or a POSIX timer. Deadlines are in its clock's seconds."""
    __slots__ = ("clock", "deadline", "interval", "signo", "notify", "value", "overrun",
                 "queued", "tid", "kind", "clockid")

    def __init__(self, kind, clock, signo, notify=abi.SIGEV_SIGNAL, value=0, tid=0):
        self.kind, self.clock, self.signo, self.notify = kind, clock, signo, notify
        self.value, self.tid = value, tid
        self.deadline = None
        self.interval = 0.0
        self.overrun = 0
        self.queued = False
        self.clockid = 1


def clock_now(clock: str) -> float:
    if clock == "cpu":
        return time.process_time()
    return time.monotonic()


class SignalState:
    """The process's signal state, with the running thread's own part: its mask, the
    signals sent to it alone (``private_mask``/``queues``), its alternate stack. Signals sent
    to the process are ``shared_mask``/``shared_queues``; ``pending_mask`` is what the
    running thread sees pending, both together. A thread switch saves the thread's part
    into its Thread (same attribute names, sched.THREAD_SIGNAL_FIELDS) and loads the next's."""

    def __init__(self, k):
        self.k = k
        self.actions = [(abi.SIG_DFL, 0, 0)] * (abi.NSIG + 1)   # (handler, flags, mask)
        self.blocked = 0
        self.pending_mask = 0
        self.private_mask = 0
        self.queues: dict[int, list] = {}
        self.shared_mask = 0
        self.shared_queues: dict[int, list] = {}
        self.altstack = [0, abi.SS_DISABLE, 0]   # ss_sp, flags, size
        self.saved_mask = None                   # sigsuspend & co restore this after delivery
        self.itimers: dict[int, Timer] = {}
        self.posix_timers: dict[int, Timer] = {}
        self.timers_armed = False
        self.sigpage = None                      # address of the fallback trampoline page
        self.host_sigint_count = 0
        # the debugger (kernel_model.gdbstub), like a ptrace tracer: it sees every signal
        # before delivery and may discard it or deliver another (signal_stop(sig, info))
        self.ptracer = None

    # -- dispositions ----------------------------------------------------------------------
    def is_ignored(self, sig: int) -> bool:
        handler = self.actions[sig][0]
        if handler == abi.SIG_IGN:
            return True
        if handler == abi.SIG_DFL:
            return sig in abi.IGNORE_SIGNALS
        return False

    def set_action(self, sig: int, handler: int, flags: int, mask: int) -> None:
        self.actions[sig] = (handler, flags, mask & ~UNBLOCKABLE_MASK)
        if self.is_ignored(sig):      # POSIX: setting SIG_IGN discards pending instances
            self.discard(sig)

    # -- threads -----------------------------------------------------------------------------
    def save_thread(self, t) -> None:
        for f in THREAD_SIGNAL_FIELDS:
            setattr(t, f, getattr(self, f))

    def load_thread(self, t) -> None:
        for f in THREAD_SIGNAL_FIELDS:
            setattr(self, f, getattr(t, f))
        self.pending_mask = self.private_mask | self.shared_mask

    def _owners(self):
        """The running thread's state (self) and the other threads'."""
        return [self] + self.k.sched.others()

    def _recompute(self) -> None:
        self.pending_mask = self.private_mask | self.shared_mask

    def discard(self, sig: int) -> None:
        b = bit(sig)
        for owner, qname, mname in [(o, "queues", "private_mask") for o in self._owners()] \
                + [(self, "shared_queues", "shared_mask")]:
            q = getattr(owner, qname).pop(sig, None)
            if q:
                for info in q:
                    if info.timer is not None:
                        info.timer.queued = False
            setattr(owner, mname, getattr(owner, mname) & ~b)
        self._recompute()

    def discard_timer(self, t) -> None:
        """A deleted POSIX timer's queued signal goes away with it."""
        for owner, qname, mname in [(o, "queues", "private_mask") for o in self._owners()] \
                + [(self, "shared_queues", "shared_mask")]:
            queues = getattr(owner, qname)
            for sig, q in list(queues.items()):
                q[:] = [i for i in q if i.timer is not t]
                if not q:
                    del queues[sig]
                    setattr(owner, mname, getattr(owner, mname) & ~bit(sig))
        self._recompute()

    def exec_reset(self) -> None:
        """execve: caught signals go back to SIG_DFL (ignored ones stay ignored, the mask
        and pending signals stay); no alternate stack, no POSIX timers (itimers stay)."""
        for sig in range(1, abi.NSIG + 1):
            handler, flags, mask = self.actions[sig]
            if handler not in (abi.SIG_DFL, abi.SIG_IGN):
                self.actions[sig] = (abi.SIG_DFL, 0, 0)
        self.altstack = [0, abi.SS_DISABLE, 0]
        self.saved_mask = None
        for t in self.posix_timers.values():
            self.discard_timer(t)
        self.posix_timers.clear()
        self._update_armed()
        self.sigpage = None

    def fork_reset(self) -> None:
        """fork: the child starts with no pending signals and no timers (the handlers, the
        mask and the alternate stack are copied)."""
        self.pending_mask = self.private_mask = self.shared_mask = 0
        self.queues = {}
        self.shared_queues = {}
        self.itimers = {}
        self.posix_timers = {}
        self.timers_armed = False
        self.host_sigint_count = 0

    def set_blocked(self, mask: int) -> None:
        self.blocked = mask & ALL_SIGS & ~UNBLOCKABLE_MASK

    # -- generation ------------------------------------------------------------------------
    def send(self, sig: int, info: SigInfo | None = None, thread=None) -> None:
        """Generate ``sig`` for the process (kill, timers, host signals, SIGCHLD, ...) or,
        with ``thread`` (a sched.Thread, or the running one), for that thread alone
        (tgkill, SIGPIPE)."""
        if not 1 <= sig <= abi.NSIG:
            return
        if info is None:
            info = SigInfo(sig, abi.SI_KERNEL)
        target = self if thread is None or thread is self.k.sched.current else thread
        if self.is_ignored(sig) and not target.blocked & bit(sig):
            return
        queues = self.shared_queues if thread is None else target.queues
        q = queues.setdefault(sig, [])
        if sig < abi.SIGRTMIN and q:
            return                            # standard signals do not queue twice
        limit = self.k.info.rlimits[abi.RLIMIT_SIGPENDING][0]
        if sig >= abi.SIGRTMIN and len(q) >= min(limit, 1 << 16):
            return
        q.append(info)
        if thread is None:
            self.shared_mask |= bit(sig)
        else:
            target.private_mask |= bit(sig)
        self.pending_mask = self.private_mask | self.shared_mask
        sched = self.k.sched
        if sched.sleeping:
            sched.check_signals = True        # a sleeping thread may take it

    def send_user(self, sig: int, code: int = abi.SI_USER, thread=None) -> None:
        info = SigInfo(sig, code, [(12, self.k.pid, 4), (16, self.k.info.ruid, 4)])
        self.send(sig, info, thread)

    def has_deliverable(self) -> bool:
        return bool(self.pending_mask & ~self.blocked)

    def dequeue(self, mask: int):
        """Take the next pending signal in ``mask`` (synchronous ones first, then lowest)."""
        cand = self.pending_mask & mask
        if not cand:
            return None
        sync = cand & SYNC_MASK
        pick = sync if sync else cand
        sig = (pick & -pick).bit_length()
        b = bit(sig)
        private = bool(self.private_mask & b)     # the thread's own first, then the process's
        queues = self.queues if private else self.shared_queues
        q = queues.get(sig)
        info = q.pop(0) if q else SigInfo(sig, abi.SI_KERNEL)
        if not q:
            queues.pop(sig, None)
            if private:
                self.private_mask &= ~b
            else:
                self.shared_mask &= ~b
            self.pending_mask = self.private_mask | self.shared_mask
        if info.timer is not None:
            t = info.timer
            t.queued = False
            info.fields = [(12, t.tid, 4), (16, t.overrun, 4), (20, t.value, 4)]
            t.overrun = 0
        return sig, info

    # -- delivery --------------------------------------------------------------------------
    def _kill(self, sig: int, info: SigInfo | None = None):
        k = self.k
        k.exit_cleanup()
        core = sig in abi.CORE_SIGNALS
        if k.strace:
            if info is not None:
                self._trace_signal(sig, info)
            dumped = core and k.info.rlimits[abi.RLIMIT_CORE][0] > 0
            k._trace_line(f"+++ killed by {abi.signal_name(sig)}"
                          f"{' (core dumped)' if dumped else ''} +++")
        pc = k.ctx.pc
        if pc < 0x1000:      # died on the way out of a syscall: report where it returns to
            pc = int(k.ctx.gr[31]) & M32 & ~3
        raise ProcessKilled(sig, pc, core)

    def _stop(self, sig: int) -> None:
        """The default action of SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU: the host process stops;
        SIGCONT continues it.  As in Linux's get_signal(), the three job-control signals are
        discarded in an orphaned process group (no shell is left to continue it)."""
        k = self.k
        tree = k.tree
        if sig != abi.SIGSTOP and self._pgrp_orphaned():
            return
        if k.strace:
            k._trace_line(f"--- stopped by {abi.signal_name(sig)} ---")
        if tree is not None:
            # the guest's groups are not the host's: stop by SIGSTOP (never discarded by
            # the host) and tell the parent's wait which signal it was
            tree.record_stop(sig)
            os.kill(os.getpid(), signal.SIGSTOP)
            return
        hsig = abi.GUEST_TO_HOST_SIGNAL.get(sig)      # the parent is the host's: its signal
        if hsig is not None:
            os.kill(os.getpid(), hsig)

    def _pgrp_orphaned(self) -> bool:
        """Linux's will_become_orphaned_pgrp() for this process's group: no member has its
        parent in another group of the same session."""
        info, tree = self.k.info, self.k.tree
        parents = tree.member_parents(info.pgid) if tree is not None else [host_group(info.ppid)]
        return not any(ppgid != info.pgid and psid == info.sid for ppgid, psid in parents)

    def _next_action(self):
        """Dequeue until a signal needs action: returns (sig, info, action) or None.

        Default actions that terminate raise ProcessKilled here."""
        while self.pending_mask & ~self.blocked:
            sig, info = self.dequeue(~self.blocked & ALL_SIGS)
            if self.ptracer is not None:
                traced = self._ptrace_signal(sig, info)
                if traced is None:
                    continue
                sig, info = traced
            act = self._action(sig, info)
            if act is not None:
                return sig, info, act
        return None

    def _action(self, sig: int, info: SigInfo):
        """The handler (handler, flags, mask) for ``sig``; None when it is ignored. Default
        actions that terminate raise ProcessKilled here."""
        handler, flags, mask = self.actions[sig]
        if handler == abi.SIG_IGN:
            return None
        if handler == abi.SIG_DFL:
            if sig in abi.STOP_SIGNALS:
                self._stop(sig)
                return None
            if sig in abi.IGNORE_SIGNALS:
                return None
            self._kill(sig, info)
        return handler, flags, mask

    def _ptrace_signal(self, sig: int, info: SigInfo):
        """ptrace_signal(): the debugger stops the process on ``sig``, then discards it
        (None), lets it through, or names another signal (from the tracer: SI_USER),
        which is queued again when it is blocked. SIGKILL is never stopped for."""
        if sig == abi.SIGKILL:
            return sig, info
        new = self.ptracer.signal_stop(sig, info)
        if not new:
            return None
        if new != sig:
            sig = new
            info = SigInfo(sig, abi.SI_USER, [(12, self.k.pid, 4), (16, self.k.info.ruid, 4)])
        if self.blocked & bit(sig):
            self.send(sig, info)
            return None
        return sig, info

    def deliver_async(self) -> None:
        """Between instructions (tick): set up one handler frame if a signal is deliverable."""
        nxt = self._next_action()
        if nxt is None:
            return
        sig, info, act = nxt
        self.setup_frame(sig, info, act, in_syscall=False)

    def force_fault(self, sig: int, code: int, addr: int) -> None:
        """force_sig_fault(): blocked or ignored fault signals kill; else run the handler."""
        if self.blocked & bit(sig) or self.actions[sig][0] == abi.SIG_IGN:
            self.actions[sig] = (abi.SIG_DFL, 0, 0)
            self.blocked &= ~bit(sig)
        info = SigInfo(sig, code, [(12, addr & M32, 4)])
        if self.ptracer is not None:
            traced = self._ptrace_signal(sig, info)
            if traced is None:
                return                     # discarded: the instruction runs again
            sig, info = traced
        act = self._action(sig, info)
        if act is not None:
            self.setup_frame(sig, info, act, in_syscall=False)

    def syscall_exit(self, result: int) -> int:
        """Signal work on the way out of a syscall (the gateway return is done: IAOQ = r31);
        returns the r28 value to use. May redirect the context: to a handler, or back to the
        ``ble`` for a restart."""
        k = self.k
        restart = result in (-abi.ERESTARTSYS, -abi.ERESTARTNOINTR, -abi.ERESTARTNOHAND,
                             -abi.ERESTART_RESTARTBLOCK)
        nxt = self._next_action()
        if nxt is not None:
            sig, info, act = nxt
            do_restart = False
            if restart:
                if result == -abi.ERESTARTNOINTR:
                    do_restart = True
                elif result == -abi.ERESTARTSYS and act[1] & abi.SA_RESTART:
                    do_restart = True
                else:
                    result = -abi.EINTR
            if do_restart:
                self._rewind_to_ble()
            self.setup_frame(sig, info, act, in_syscall=True, result=result)
            return result
        if self.saved_mask is not None:
            self.set_blocked(self.saved_mask)
            self.saved_mask = None
        if restart:
            if result == -abi.ERESTART_RESTARTBLOCK:
                # no handler ran: Linux would go through restart_syscall(); nothing in this
                # model sleeps uninterrupted-then-restarts, so report the interruption.
                return -abi.EINTR
            self._rewind_to_ble()
            k.ctx.jump(int(k.ctx.gr[31]))
        return result

    def _rewind_to_ble(self) -> None:
        """regs->gr[31] -= 8, with check_syscallno_in_delay_branch()."""
        gr = self.k.ctx.gr
        r31 = (int(gr[31]) - 8) & M32
        gr[31] = r31
        try:
            insn = self.k.mem.read_u32((r31 & ~3) + 4)
        except GuestFault:
            return
        if insn & abi.INSN_COPY_R20_MASK == abi.INSN_COPY_R20_MATCH:
            src = (insn >> 16) & 31
            if src:
                gr[src] = gr[20]

    def _on_altstack(self, sp: int) -> bool:
        ss_sp, flags, size = self.altstack
        return size > 0 and ss_sp <= sp < ss_sp + size

    def _sas_flags(self, sp: int) -> int:
        if self.altstack[2] == 0:
            return abi.SS_DISABLE
        return abi.SS_ONSTACK if self._on_altstack(sp) else 0

    # -- frames ----------------------------------------------------------------------------
    def _psw(self) -> int:
        """regs->gr[0]: the kernel's user PSW with the CPU's N, V and C/B bits."""
        return abi.USER_PSW | self.k.ctx.psw

    def _layout(self) -> tuple[int, int, int]:
        """(siginfo, ucontext, struct size) offsets of the rt_sigframe: since 5.18 (vDSO
        trampoline), or before it (trampoline in the frame)."""
        if self.k.vdso_sigtramp:
            return abi.RT_SIGFRAME_INFO, abi.RT_SIGFRAME_UC, abi.RT_SIGFRAME_STRUCT_SIZE
        return abi.OLD_RT_SIGFRAME_INFO, abi.OLD_RT_SIGFRAME_UC, abi.OLD_RT_SIGFRAME_STRUCT_SIZE

    def _trampoline(self, frame: int, in_syscall: bool) -> int:
        k = self.k
        if k.vdso_sigtramp:
            return (k.vdso_sigtramp + (16 if in_syscall else 0)) & M32
        words = struct.pack(">IIII", abi.INSN_LDI_R25_1 if in_syscall else abi.INSN_LDI_R25_0,
                            abi.INSN_LDI_R20, abi.INSN_BLE_SR2_R0, abi.INSN_NOP)
        addr = frame + abi.OLD_RT_SIGFRAME_TRAMP
        mem = k.mem
        if mem.perm[addr >> 12] & PERM_X and mem.perm[(addr + 15) >> 12] & PERM_X:
            mem.write(addr, words)
            return addr
        # non-executable stack: use a kernel-owned trampoline page
        if self.sigpage is None:
            base = mem.find_free(PAGE_SIZE, k.mmap_base or abi.TASK_SIZE)
            if base < 0:
                raise GuestFault(addr, True)
            mem.map(base, PAGE_SIZE, PERM_R | PERM_X)
            page = struct.pack(">IIII", abi.INSN_LDI_R25_0, abi.INSN_LDI_R20,
                               abi.INSN_BLE_SR2_R0, abi.INSN_NOP)
            page += struct.pack(">IIII", abi.INSN_LDI_R25_1, abi.INSN_LDI_R20,
                                abi.INSN_BLE_SR2_R0, abi.INSN_NOP)
            mem.poke(base, page)
            k.vm.add(base, base + PAGE_SIZE, abi.PROT_READ | abi.PROT_EXEC, name="[sigpage]")
            self.sigpage = base
        return self.sigpage + (16 if in_syscall else 0)

    def setup_frame(self, sig: int, info: SigInfo, act, in_syscall: bool, result: int = 0):
        k = self.k
        ctx = k.ctx
        gr = ctx.gr
        handler, flags, mask = act
        usp = int(gr[30]) & M32 & ~1
        sp = usp
        if flags & abi.SA_ONSTACK and self._sas_flags(usp) == 0:
            sp = (self.altstack[0] + 0x7F) & ~0x3F
        frame = sp & M32
        old_mask = self.saved_mask if self.saved_mask is not None else self.blocked
        self.saved_mask = None
        regs = [int(x) & M32 for x in gr]
        try:
            info_at, uc, size = self._layout()
            buf = bytearray(size)
            buf[info_at:info_at + abi.SIGINFO_SIZE] = info.pack()
            struct.pack_into(">II", buf, uc, 0, 0)
            struct.pack_into(abi.STACK_T_FMT, buf, uc + abi.UC_STACK, self.altstack[0] & M32,
                             self._sas_flags(usp), self.altstack[2] & M32)
            sc = uc + abi.UC_MCONTEXT
            sc_flags = 0
            if self._on_altstack(frame + sc):
                sc_flags |= abi.PARISC_SC_FLAG_ONSTACK
            if in_syscall:
                sc_flags |= abi.PARISC_SC_FLAG_IN_SYSCALL
                regs[28] = result & M32
                iaoq = (regs[31], (regs[31] + 4) & M32)
                space = int(ctx.sr[3]) & M32
            else:
                iaoq = (ctx.iaoq_f, ctx.iaoq_b)
                space = int(ctx.sr[4]) & M32
            regs[0] = self._psw()
            struct.pack_into(">I", buf, sc + abi.SC_FLAGS, sc_flags)
            struct.pack_into(">32I", buf, sc + abi.SC_GR, *regs)
            struct.pack_into(">32Q", buf, sc + abi.SC_FR,
                             *[int(x) & 0xFFFFFFFFFFFFFFFF for x in ctx.fr])
            struct.pack_into(">II", buf, sc + abi.SC_IASQ, space, space)
            struct.pack_into(">II", buf, sc + abi.SC_IAOQ, *iaoq)
            struct.pack_into(">I", buf, sc + abi.SC_SAR, ctx.sar)
            struct.pack_into(">II", buf, uc + abi.UC_SIGMASK, old_mask & M32, old_mask >> 32)
            k.mem.write(frame, bytes(buf))
            rp = self._trampoline(frame, in_syscall)
            haddr = handler & M32
            if haddr & abi.PA_PLABEL_FDESC:
                fdesc = haddr & ~3
                haddr = k.mem.read_u32(fdesc)
                gr[19] = k.mem.read_u32(fdesc + 4)
        except GuestFault:
            # cannot build the frame: force SIGSEGV (fatal)
            self.actions[abi.SIGSEGV] = (abi.SIG_DFL, 0, 0)
            self._kill(abi.SIGSEGV)
        gr[2] = rp
        gr[26] = sig
        gr[25] = frame + info_at
        gr[24] = frame + uc
        gr[30] = (frame + abi.RT_SIGFRAME_SIZE) & M32
        entry = (haddr & ~3) & M32
        if in_syscall:
            gr[31] = entry | 3
        ctx.jump(entry)
        # the handler's mask
        new_blocked = self.blocked | mask
        if not flags & abi.SA_NODEFER:
            new_blocked |= bit(sig)
        self.set_blocked(new_blocked)
        if flags & abi.SA_RESETHAND:
            self.actions[sig] = (abi.SIG_DFL, flags & ~abi.SA_SIGINFO & ~abi.SA_RESETHAND, 0)
        if k.strace:
            self._trace_signal(sig, info)

    def _trace_signal(self, sig: int, info: SigInfo) -> None:
        self.k._trace_line(f"--- {abi.signal_name(sig)} {{si_signo={abi.signal_name(sig)}, "
                           f"si_code={_code_name(sig, info.code)}"
                           f"{_info_extra(sig, info)}}} ---")

    def sigreturn(self, in_syscall: int) -> int:
        """rt_sigreturn: restore the context saved by setup_frame()."""
        k = self.k
        ctx = k.ctx
        gr = ctx.gr
        usp = int(gr[30]) & M32 & ~1
        frame = (usp - abi.RT_SIGFRAME_SIZE) & M32
        try:
            _info, uc, size = self._layout()
            data = k.mem.read(frame, size)
        except GuestFault:
            self.actions[abi.SIGSEGV] = (abi.SIG_DFL, 0, 0)
            self._kill(abi.SIGSEGV)
        sc = uc + abi.UC_MCONTEXT
        lo, hi = struct.unpack_from(">II", data, uc + abi.UC_SIGMASK)
        self.set_blocked(lo | (hi << 32))
        regs = struct.unpack_from(">32I", data, sc + abi.SC_GR)
        frs = struct.unpack_from(">32Q", data, sc + abi.SC_FR)
        iaoq = struct.unpack_from(">II", data, sc + abi.SC_IAOQ)
        sar = struct.unpack_from(">I", data, sc + abi.SC_SAR)[0]
        for i in range(1, 32):
            gr[i] = regs[i]
        for i in range(32):
            v = frs[i]
            ctx.fr[i] = v - (1 << 64) if v & (1 << 63) else v
        ctx.sar = sar
        psw = regs[0]
        ctx.psw = psw & ~abi.PSW_N if in_syscall else psw
        # restore_altstack (errors ignored, like the kernel's)
        ss_sp, ss_flags, ss_size = struct.unpack_from(abi.STACK_T_FMT, data, uc + abi.UC_STACK)
        self._set_altstack(ss_sp, ss_flags, ss_size, check=False)
        if in_syscall:
            gr[31] = iaoq[0]
            ctx.jump(iaoq[0])
        else:
            ctx.iaoq_f = iaoq[0]
            ctx.iaoq_b = iaoq[1]
        return int(regs[28])

    # -- sigaltstack ---------------------------------------------------------------------
    def _set_altstack(self, ss_sp: int, ss_flags: int, ss_size: int, check: bool = True) -> int:
        sp = self.k.ctx.sp
        if self._on_altstack(sp):
            return -abi.EPERM
        mode = ss_flags & ~abi.SS_AUTODISARM & M32
        if mode not in (0, abi.SS_DISABLE, abi.SS_ONSTACK):
            return -abi.EINVAL
        if mode == abi.SS_DISABLE:
            self.altstack = [0, abi.SS_DISABLE, 0]
            return 0
        if check and ss_size < abi.MINSIGSTKSZ:
            return -abi.ENOMEM
        self.altstack = [ss_sp & M32, ss_flags & abi.SS_AUTODISARM, ss_size & M32]
        return 0

    # -- waiting ---------------------------------------------------------------------------
    def interrupted(self) -> bool:
        """Before a thread sleeps (or after it woke): is a signal deliverable to it? Timers
        that are due fire first."""
        if self.timers_armed:
            self.run_timers()
        return bool(self.pending_mask & ~self.blocked)

    # -- timers ----------------------------------------------------------------------------
    def _update_armed(self) -> None:
        self.timers_armed = any(t.deadline is not None for t in self.itimers.values()) or \
            any(t.deadline is not None for t in self.posix_timers.values())

    def arm(self, t: Timer, value: float, interval: float) -> None:
        """value: seconds from now (0 disarms); interval: reload seconds."""
        if value <= 0:
            t.deadline = None
            t.interval = 0.0
        else:
            t.deadline = clock_now(t.clock) + value
            t.interval = max(interval, 0.0)
        t.overrun = 0
        self._update_armed()

    def remaining(self, t: Timer) -> tuple[float, float]:
        if t.deadline is None:
            return 0.0, t.interval
        return max(t.deadline - clock_now(t.clock), 1e-9), t.interval

    def next_timer_in(self):
        best = None
        for t in list(self.itimers.values()) + list(self.posix_timers.values()):
            if t.deadline is None:
                continue
            d = t.deadline - clock_now(t.clock)
            if t.clock == "cpu":
                d = max(d, 0.001)   # CPU time does not advance while we sleep
            best = d if best is None else min(best, d)
        return best

    def run_timers(self) -> None:
        now_real = time.monotonic()
        now_cpu = None
        for t in list(self.itimers.values()) + list(self.posix_timers.values()):
            if t.deadline is None:
                continue
            if t.clock == "cpu":
                if now_cpu is None:
                    now_cpu = time.process_time()
                now = now_cpu
            else:
                now = now_real
            if now < t.deadline:
                continue
            if t.interval > 0:
                missed = int((now - t.deadline) / t.interval)
                t.deadline += (missed + 1) * t.interval
            else:
                missed = 0
                t.deadline = None
            self._fire(t, missed)
        self._update_armed()

    def _fire(self, t: Timer, missed: int) -> None:
        if t.kind == "itimer":
            self.send(t.signo, SigInfo(t.signo, abi.SI_KERNEL))
            return
        if t.notify == abi.SIGEV_NONE:
            return
        if t.queued:
            t.overrun += 1 + missed
            return
        t.overrun += missed
        t.queued = True
        info = SigInfo(t.signo, abi.SI_TIMER, timer=t)
        before = self.pending_mask
        self.send(t.signo, info)
        if self.pending_mask == before and not (before & bit(t.signo)):
            t.queued = False   # ignored


def _code_name(sig: int, code: int) -> str:
    if code > 0 and sig in abi.SI_CODE_NAMES and code in abi.SI_CODE_NAMES[sig] \
            and code != abi.SI_KERNEL:
        return abi.SI_CODE_NAMES[sig][code]
    return abi.SI_CODE_NAMES[None].get(code, str(code))


def _info_extra(sig: int, info: SigInfo) -> str:
    if info.code > 0 and info.code != abi.SI_KERNEL and sig in (abi.SIGSEGV, abi.SIGBUS,
                                                                abi.SIGILL, abi.SIGFPE,
                                                                abi.SIGTRAP):
        addr = next((v for off, v, s in info.fields if off == 12), 0)
        return f", si_addr={addr:#x}" if addr else ", si_addr=NULL"
    if info.code in (abi.SI_USER, abi.SI_TKILL, abi.SI_QUEUE):
        vals = {off: v for off, v, s in info.fields}
        return f", si_pid={vals.get(12, 0)}, si_uid={vals.get(16, 0)}"
    if info.code == abi.SI_TIMER:
        vals = {off: v for off, v, s in info.fields}
        return f", si_timerid={vals.get(12, 0)}, si_overrun={vals.get(16, 0)}"
    return ""
