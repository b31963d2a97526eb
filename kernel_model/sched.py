"""Guest threads on one emulated CPU: the scheduler of one process's threads.

The CPU has one live register file (the CPU context); each thread keeps its own registers
in a CpuContext of its own while another runs, and a switch saves one and loads the other
(``CpuContext.save_thread``/``load_thread``: the machine-wide parts stay). The signal
state a thread owns -- its mask, its pending signals, its alternate stack -- is switched
with it (``SignalState.save_thread``/``load_thread``).

A thread runs until its time slice ends (the CPU's instruction budget), it blocks, yields
or exits; the next runnable thread, in FIFO order, runs then. Nothing runs concurrently, so
the gateway's LWS compare-and-swap is atomic by construction, and with the instruction
count as the clock (``--clock virtual``) a run is the same every time.

Blocking: a syscall handler that cannot complete raises :class:`Block` with what it waits
for. The thread sleeps, with its context still at the gateway, until a condition holds.
Then either the handler runs again from the start (a *retry*: ``k.retry`` is the old Block
then, with what the first attempt decided, such as its deadline), or -- for a *completion*
wait such as a futex -- the waker or the timeout supplies the result. Only when every
thread of the process sleeps does the emulator block in the host, on all their conditions
at once (wakeup.wait), and only until the first one holds.
"""
from __future__ import annotations

import time
from _collections import deque    # (start-up rule: cli.py)

from hppa_user.context import CpuContext
from kernel_model import abi, wakeup

M32 = 0xFFFFFFFF


class Block(Exception):
    """A syscall that must wait. ``rfds``/``wfds``: host fds to become readable/writable;
    ``deadline``: time.monotonic() seconds; ``sigmask``: the mask that decides which
    signals interrupt the wait (default: the thread's); ``host_event``: any host signal
    (a child's SIGCHLD, say) ends the wait; ``complete(reason)`` -> result, reason being
    "timeout", "signal" or "woken": a completion wait (not retried); ``state``: anything the
    handler wants back when it runs again."""

    def __init__(self, rfds=(), wfds=(), deadline=None, *, sigmask=None, host_event=False,
                 complete=None, state=None):
        super().__init__()
        self.rfds, self.wfds, self.deadline = tuple(rfds), tuple(wfds), deadline
        self.sigmask = sigmask
        self.host_event = host_event
        self.complete = complete
        self.state = state
        self.result = None           # set by a waker (completion waits)
        self.reason = None
        # the syscall it interrupts, for the retry and strace
        self.sc = self.call_args = self.pre = None
        self.futex = None            # (key, bitset) while queued on a futex


# the fields of a thread's own signal state (SignalState keeps the running thread's)
THREAD_SIGNAL_FIELDS = ("blocked", "private_mask", "queues", "altstack", "saved_mask")


class Thread:
    """One guest thread: its id, its saved registers and signal state, what it waits for."""

    __slots__ = ("tid", "ctx", "blocked", "private_mask", "queues", "altstack", "saved_mask",
                 "clear_child_tid", "robust_list", "wait", "exited", "insns", "comm")

    def __init__(self, tid: int):
        self.tid = tid
        self.ctx = CpuContext()
        self.blocked = 0
        self.private_mask = 0
        self.queues: dict = {}
        self.altstack = [0, abi.SS_DISABLE, 0]
        self.saved_mask = None
        self.clear_child_tid = 0
        self.robust_list = 0
        self.wait: Block | None = None
        self.exited = False
        self.insns = 0              # instructions run, up to its last switch-out
        self.comm = b""


class Scheduler:
    """The threads of one process and which of them the CPU runs."""

    def __init__(self, k):
        self.k = k
        main = Thread(k.pid)
        self.threads: dict[int, Thread] = {k.pid: main}
        self.current = main
        self.runq: deque[Thread] = deque()
        # sleeping threads in the order they fell asleep; ``polled``: those whose wait has
        # something to look at (descriptors, a deadline, host events) -- the others (futex
        # waits without a timeout, sigsuspend) only wake by a waker or a signal
        self.sleeping: dict[Thread, None] = {}
        self.polled: dict[Thread, None] = {}
        self.resched = False          # the machine must call schedule() before running
        self.check_signals = False    # a signal was sent: a sleeper may have to wake
        self.switch_insns = 0         # the instruction count when current was switched in
        self.next_tid = 0             # allocate_tid()
        self.created = 0              # threads created (statistics)
        # the main thread ended before the others: it stays, a zombie, in /proc/self/task
        self.leader_exited = False
        # a debugger's step (or scheduler-locked continue): this thread keeps the CPU when
        # its time slice ends; it still gives way when it blocks (gdbstub.py)
        self.pinned: Thread | None = None

    # -- the thread set ----------------------------------------------------------------------
    @property
    def multi(self) -> bool:
        return len(self.threads) > 1

    def add(self, t: Thread) -> None:
        self.threads[t.tid] = t
        self.runq.append(t)
        self.created += 1

    def others(self):
        return [t for t in self.threads.values() if t is not self.current]

    def remove(self, t: Thread) -> None:
        """``t`` has exited: it never runs again (the running one is switched away from)."""
        t.exited = True
        self.threads.pop(t.tid, None)
        if t.tid == self.k.pid:
            self.leader_exited = True
        if t in self.runq:
            self.runq.remove(t)
        self.sleeping.pop(t, None)
        self.polled.pop(t, None)
        self.k.futex.cancel(t)
        if t is self.current:
            self.resched = True

    def only(self, tid: int) -> None:
        """fork (the child has the calling thread only) and execve (de_thread): the running
        thread is the process's one thread now, with id ``tid``."""
        t = self.current
        self.threads = {tid: t}
        t.tid = tid
        self.leader_exited = False
        self.runq.clear()
        self.sleeping.clear()
        self.polled.clear()
        self.k.futex.clear()

    # -- switching ---------------------------------------------------------------------------
    def switch_to(self, t: Thread) -> None:
        """Make ``t`` the running thread (its registers and signal state live)."""
        cur = self.current
        if t is cur:
            return
        k = self.k
        insns = k.ctx.insns
        if not cur.exited:
            k.ctx.save_thread(cur.ctx)
            k.signals.save_thread(cur)
        cur.insns += insns - self.switch_insns
        self.switch_insns = insns
        k.ctx.load_thread(t.ctx)
        k.signals.load_thread(t)
        self.current = t

    def preempt(self) -> None:
        """The time slice is over (or sched_yield): sleepers whose time has come wake up,
        and the next runnable thread runs."""
        if self.polled:
            self._host_wait(block=False)
        if self.runq and self.current is not self.pinned:
            self.runq.append(self.current)
            self.resched = True

    def run_first(self, t: Thread) -> None:
        """A debugger resumes ``t`` (steps it, say): when it is runnable it runs next, and
        the running thread after it. The switch is schedule()'s."""
        if t is self.current or t not in self.runq:
            return                    # running already, or asleep: it runs when it wakes
        self.runq.remove(t)
        cur = self.current
        if cur.wait is None and not cur.exited:
            self.runq.appendleft(cur)
        self.runq.appendleft(t)
        self.resched = True

    # -- sleeping ----------------------------------------------------------------------------
    def block(self, b: Block) -> None:
        """The running thread waits for ``b`` (from Kernel.syscall; Kernel.resume goes on)."""
        t = self.current
        t.wait = b
        self.sleeping[t] = None
        if b.rfds or b.wfds or b.deadline is not None or b.host_event:
            self.polled[t] = None
        self.resched = True

    def wake(self, t: Thread, reason: str, result=None) -> None:
        """End ``t``'s wait: a completion wait gets its result now."""
        b = t.wait
        if b is None or b.reason is not None:
            return
        b.reason = reason
        if b.complete is not None:
            b.result = b.complete(reason) if result is None else result
        self.sleeping.pop(t, None)
        self.polled.pop(t, None)
        if t is self.current and not self.runq:
            self.runq.appendleft(t)
        else:
            self.runq.append(t)

    def _signal_pending_for(self, t: Thread) -> bool:
        sig = self.k.signals
        b = t.wait
        mask = b.sigmask if b.sigmask is not None else (
            sig.blocked if t is self.current else t.blocked)
        own = sig.private_mask if t is self.current else t.private_mask
        return bool((own | sig.shared_mask) & ~mask)

    def poll_sleepers(self, ready_r=(), ready_w=(), host_event=False) -> None:
        """Wake the sleepers whose condition holds now (in the order they slept): the
        polled ones, and after a signal was sent all of them."""
        # a host signal (host_event) may have come with a guest signal its handler sent
        candidates = self.sleeping if self.check_signals or host_event else self.polled
        self.check_signals = False
        now = None
        for t in list(candidates):
            b = t.wait
            if b.futex is None and (any(fd in ready_r for fd in b.rfds)
                                    or any(fd in ready_w for fd in b.wfds)):
                self.wake(t, "ready")
            elif host_event and b.host_event:
                self.wake(t, "ready")
            elif self._signal_pending_for(t):
                self.k.futex.cancel(t)
                self.wake(t, "signal")
            elif b.deadline is not None:
                if now is None:
                    now = time.monotonic()
                if now >= b.deadline:
                    self.k.futex.cancel(t)
                    self.wake(t, "timeout")

    def _host_wait(self, block: bool = True) -> None:
        """Every thread sleeps: block the host on all their conditions at once (or, with
        ``block`` false, only look which of them hold now)."""
        k = self.k
        rfds, wfds, deadline = set(), set(), None
        for t in self.polled:
            b = t.wait
            rfds.update(b.rfds)
            wfds.update(b.wfds)
            if b.deadline is not None:
                deadline = b.deadline if deadline is None else min(deadline, b.deadline)
        sig = k.signals
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        nt = sig.next_timer_in()
        if nt is not None:
            timeout = max(nt, 0.0005) if timeout is None else min(timeout, max(nt, 0.0005))
        if not block:
            timeout = 0
        if rfds or wfds:
            # descriptors the host polls: check now before sleeping on them
            r, w, woke = wakeup.wait(rfds, wfds, 0)
            if not (r or w or woke):
                r, w, woke = wakeup.wait(rfds, wfds, timeout)
        else:
            r, w, woke = wakeup.wait((), (), timeout)
        if sig.timers_armed:
            sig.run_timers()
        self.poll_sleepers(r, w, woke)

    def schedule(self) -> None:
        """Before the CPU runs again: the running thread blocked, exited or gave up its
        slice -- pick the next one, finish or retry its syscall if it was sleeping in one,
        block the host while nothing can run. Also wakes sleepers a signal is for."""
        k = self.k
        switch = self.resched
        self.resched = False
        if not self.sleeping:
            self.check_signals = False
        while True:
            if self.check_signals and self.sleeping or switch and self.polled:
                self.poll_sleepers()
            cur = self.current
            cur_runs = cur.wait is None and not cur.exited
            if cur_runs and not switch:
                return
            if not self.runq:
                if cur_runs:
                    return
                self._host_wait()
                continue
            t = self.runq.popleft()
            self.switch_to(t)
            b = t.wait
            if b is None:
                return
            t.wait = None
            k.resume(b)
            if t.wait is None and not t.exited:
                return
            switch = True

    # -- thread ids ------------------------------------------------------------------------
    def allocate_tid(self) -> int:
        """A thread id no process of the host can have: above the host's pid_max."""
        if not self.next_tid:
            try:
                with open("/proc/sys/kernel/pid_max") as fh:
                    self.next_tid = int(fh.read()) + 1
            except (OSError, ValueError):
                self.next_tid = 4194304 + 1
        while self.next_tid in self.threads:
            self.next_tid += 1
        tid = self.next_tid
        self.next_tid += 1
        return tid & 0x3FFFFFFF
