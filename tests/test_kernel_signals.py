"""Signal bookkeeping, frame layout, delivery, sigreturn and restarts with a plain CPU context."""
import struct
import time

import pytest

from kernel_model import abi
from kernel_model.errors import ProcessKilled
from kfake import DATA, RET, STACK, make_kernel, sc

HANDLER = 0x10400
# struct rt_sigframe offsets: Linux >= 5.18 (u32 tramp[2], trampoline in the vDSO) and
# Linux <= 5.17 (u32 tramp[9], trampoline words in tramp[5..8], ucontext 8-byte aligned)
VDSO_FRAME = {"info": 8, "uc": 136, "mcontext": 160}
STACK_FRAME = {"tramp": 20, "info": 36, "uc": 168, "mcontext": 192}


def frame_of(k):
    return int(k.ctx.gr[30]) - 768


def sigcontext_of(k):
    return frame_of(k) + (VDSO_FRAME if k.vdso_sigtramp else STACK_FRAME)["mcontext"]


def set_action(k, sig, handler, flags=0, mask=0):
    k.mem.write(DATA, struct.pack(">IIII", handler, flags, mask & 0xFFFFFFFF, mask >> 32))
    assert sc(k, 174, sig, DATA, 0, 8) == 0


def test_rt_sigaction_bookkeeping():
    k = make_kernel()
    set_action(k, abi.SIGUSR1, HANDLER, abi.SA_RESTART | abi.SA_SIGINFO, 1 << (abi.SIGINT - 1))
    assert sc(k, 174, abi.SIGUSR1, 0, DATA + 64, 8) == 0
    h, f, lo, hi = struct.unpack(">IIII", k.mem.read(DATA + 64, 16))
    assert (h, f, lo, hi) == (HANDLER, abi.SA_RESTART | abi.SA_SIGINFO, 2, 0)
    assert sc(k, 174, abi.SIGKILL, DATA, 0, 8) == -abi.EINVAL
    assert sc(k, 174, abi.SIGSTOP, DATA, 0, 8) == -abi.EINVAL
    assert sc(k, 174, 0, DATA, 0, 8) == -abi.EINVAL
    assert sc(k, 174, 65, DATA, 0, 8) == -abi.EINVAL
    assert sc(k, 174, abi.SIGUSR1, DATA, 0, 4) == -abi.EINVAL
    assert sc(k, 174, abi.SIGUSR1, 0x20000000, 0, 8) == -abi.EFAULT


def test_rt_sigprocmask():
    k = make_kernel()
    k.mem.write(DATA, struct.pack(">II", (1 << 15) | (1 << 8), 1))   # SIGUSR1(16), SIGKILL(9), sig 33
    assert sc(k, 175, abi.SIG_BLOCK, DATA, DATA + 16, 8) == 0
    assert k.mem.read(DATA + 16, 8) == bytes(8)
    assert k.signals.blocked == (1 << 15) | (1 << 32)               # SIGKILL never blocked
    assert sc(k, 175, abi.SIG_UNBLOCK, DATA, DATA + 16, 8) == 0
    assert struct.unpack(">II", k.mem.read(DATA + 16, 8)) == (1 << 15, 1)
    assert k.signals.blocked == 0
    assert sc(k, 175, 7, DATA, 0, 8) == -abi.EINVAL
    assert sc(k, 175, 7, 0, 0, 8) == 0                              # how ignored without set
    assert sc(k, 175, 0, DATA, 0, 16) == -abi.EINVAL


def test_kill_targets():
    k = make_kernel()
    assert sc(k, 37, 1, 0) == -abi.ESRCH
    assert sc(k, 37, 0, abi.SIGTERM) == -abi.EPERM
    assert sc(k, 37, -1 & 0xFFFFFFFF, abi.SIGTERM) == -abi.EPERM
    assert sc(k, 37, -2 & 0xFFFFFFFF, abi.SIGTERM) == -abi.EPERM
    assert sc(k, 37, k.pid + 1, 0) == -abi.ESRCH
    assert sc(k, 37, k.pid, 0) == 0
    assert sc(k, 37, k.pid, 99) == -abi.EINVAL
    assert sc(k, 208, 1, abi.SIGTERM) == -abi.ESRCH
    assert sc(k, 208, 0, abi.SIGTERM) == -abi.EINVAL
    assert sc(k, 259, k.pid, 1, abi.SIGTERM) == -abi.ESRCH
    assert sc(k, 259, 1, k.pid, abi.SIGTERM) == -abi.ESRCH


def test_default_actions():
    k = make_kernel()
    sc(k, 37, k.pid, abi.SIGCHLD)       # ignored by default
    sc(k, 37, k.pid, abi.SIGWINCH)
    sc(k, 37, k.pid, abi.SIGURG)
    with pytest.raises(ProcessKilled) as e:
        sc(k, 37, k.pid, abi.SIGTERM)
    assert e.value.signum == abi.SIGTERM and not e.value.core
    assert e.value.pc == RET                # where the syscall would have returned
    k = make_kernel()
    with pytest.raises(ProcessKilled) as e:
        sc(k, 259, k.pid, k.pid, abi.SIGABRT)
    assert e.value.core


def test_blocked_signal_stays_pending():
    k = make_kernel()
    set_action(k, abi.SIGUSR1, HANDLER)
    k.mem.write(DATA + 32, struct.pack(">II", 1 << 15, 0))
    sc(k, 175, abi.SIG_BLOCK, DATA + 32, 0, 8)
    sc(k, 37, k.pid, abi.SIGUSR1)
    assert k.ctx.iaoq_f & ~3 == RET          # not delivered: plain return
    assert sc(k, 176, DATA + 48, 8) == 0
    assert struct.unpack(">II", k.mem.read(DATA + 48, 8)) == (1 << 15, 0)


def _regs(k):
    return [int(x) & 0xFFFFFFFF for x in k.ctx.gr]


@pytest.mark.parametrize("vdso", [False, True])
def test_async_delivery_frame_and_sigreturn(vdso):
    k = make_kernel()
    if vdso:
        k.vdso_sigtramp = 0xFF6FF100
    lay = VDSO_FRAME if vdso else STACK_FRAME
    m = k.ctx
    set_action(k, abi.SIGUSR2, HANDLER, abi.SA_SIGINFO)
    for i in range(1, 32):
        m.gr[i] = 0x1000 * i + i
    sp = STACK + 0x2000
    m.gr[30] = sp
    m.fr[5] = 0x4000000000000001
    m.cr[11] = 17
    m.iaoq_f, m.iaoq_b, m.psw_n = 0x10040, 0x10100, 1   # in a taken branch's delay slot
    before = _regs(k)
    k.signals.send_user(abi.SIGUSR2)
    k.tick()
    frame = sp
    assert m.iaoq_f & ~3 == HANDLER and m.iaoq_b & ~3 == HANDLER + 4 and m.psw_n == 0
    assert int(m.gr[30]) == frame + 768
    assert int(m.gr[26]) == abi.SIGUSR2
    assert int(m.gr[25]) == frame + lay["info"] and int(m.gr[24]) == frame + lay["uc"]
    tramp = int(m.gr[2])
    if vdso:
        assert tramp == 0xFF6FF100
    else:
        assert tramp == frame + 20
        assert struct.unpack(">IIII", k.mem.read(tramp, 16)) == (
            abi.INSN_LDI_R25_0, abi.INSN_LDI_R20, abi.INSN_BLE_SR2_R0, abi.INSN_NOP)
    # siginfo
    signo, errno_, code, pid = struct.unpack(">iiii", k.mem.read(frame + lay["info"], 16))
    assert (signo, code, pid) == (abi.SIGUSR2, abi.SI_USER, k.pid)
    # sigcontext at sp - 608 (vDSO) / sp - 576 (on-stack trampoline)
    sc_base = int(m.gr[30]) - (608 if vdso else 576)
    assert sc_base == frame + lay["mcontext"]
    flags = k.mem.read_u32(sc_base)
    assert flags == 0
    gr = struct.unpack(">32I", k.mem.read(sc_base + 4, 128))
    assert gr[0] & abi.PSW_N and gr[0] & abi.USER_PSW == abi.USER_PSW
    assert list(gr[1:]) == before[1:]
    assert struct.unpack(">Q", k.mem.read(sc_base + 136 + 40, 8))[0] == 0x4000000000000001
    assert struct.unpack(">II", k.mem.read(sc_base + 400, 8)) == (0x10040, 0x10100)
    assert k.mem.read_u32(sc_base + 408) == 17
    # the handler's mask includes the signal
    assert k.signals.blocked & (1 << (abi.SIGUSR2 - 1))
    # the handler clobbers registers, then returns through the trampoline: rt_sigreturn(0)
    for i in (1, 5, 19, 25, 28):
        m.gr[i] = 0xDEAD
    m.fr[5] = 0
    m.cr[11] = 0
    sc(k, 173, abi.SIGUSR2, 0)       # the trampoline: r26 = sig (untouched), ldi 0,%r25
    assert _regs(k)[1:] == before[1:]
    assert int(m.fr[5]) == 0x4000000000000001 and int(m.cr[11]) == 17
    assert (m.iaoq_f & ~3, m.iaoq_b & ~3, m.psw_n) == (0x10040, 0x10100, 1)
    assert k.signals.blocked == 0


def test_delivery_in_syscall_and_restart():
    k = make_kernel()
    m = k.ctx
    set_action(k, abi.SIGALRM, HANDLER, abi.SA_RESTART)
    # a blocking read on a pipe interrupted by an alarm: SA_RESTART rewinds r31 by 8
    sc(k, 42, DATA + 512)
    r, w = struct.unpack(">ii", k.mem.read(DATA + 512, 8))
    k.mem.poke(RET - 8 + 4, struct.pack(">I", 0x34140006))           # ldi 3,%r20 in the slot
    sc(k, 27, 1)                                                     # alarm(1)
    t0 = time.monotonic()
    sc(k, 3, r, DATA, 10)                                            # blocks ~1 s, interrupted
    assert 0.5 < time.monotonic() - t0 < 5
    assert m.iaoq_f & ~3 == HANDLER
    sc_base = sigcontext_of(k)
    flags = k.mem.read_u32(sc_base)
    assert flags == abi.PARISC_SC_FLAG_IN_SYSCALL
    iaoq = struct.unpack(">II", k.mem.read(sc_base + 400, 8))
    assert iaoq[0] & ~3 == RET - 8                                   # back at the ble
    assert iaoq[1] & ~3 == RET - 4
    tramp = int(m.gr[2])
    assert k.mem.read_u32(tramp) == abi.INSN_LDI_R25_1
    sc(k, 173, abi.SIGALRM, 1)                                       # ldi 1,%r25
    assert m.iaoq_f & ~3 == RET - 8 and int(m.gr[31]) & ~3 == RET - 8


def test_delivery_in_syscall_eintr_without_sa_restart():
    k = make_kernel()
    m = k.ctx
    set_action(k, abi.SIGALRM, HANDLER, 0)
    sc(k, 42, DATA + 512)
    r, w = struct.unpack(">ii", k.mem.read(DATA + 512, 8))
    k.mem.write(DATA + 600, struct.pack(">IIII", 0, 0, 0, 200000))   # it_value 0.2 s
    sc(k, 104, abi.ITIMER_REAL, DATA + 600, 0)
    sc(k, 3, r, DATA, 10)
    sc_base = sigcontext_of(k)
    gr28 = k.mem.read_u32(sc_base + 4 + 28 * 4)
    assert gr28 == (-abi.EINTR) & 0xFFFFFFFF
    iaoq = struct.unpack(">II", k.mem.read(sc_base + 400, 8))
    assert iaoq[0] & ~3 == RET
    r28 = sc(k, 173, abi.SIGALRM, 1)
    assert r28 == -abi.EINTR and m.iaoq_f & ~3 == RET


def test_nanosleep_interrupted_writes_remaining():
    k = make_kernel()
    set_action(k, abi.SIGALRM, HANDLER, abi.SA_RESTART)
    sc(k, 27, 1)
    k.mem.write(DATA, struct.pack(">ii", 5, 0))
    sc(k, 162, DATA, DATA + 8)
    sec, nsec = struct.unpack(">ii", k.mem.read(DATA + 8, 8))
    assert 3 <= sec <= 4
    gr28 = k.mem.read_u32(sigcontext_of(k) + 4 + 28 * 4)
    assert gr28 == (-abi.EINTR) & 0xFFFFFFFF                           # never restarted


def test_fault_delivery_plabel_and_kill():
    k = make_kernel()
    m = k.ctx
    # function descriptor: {entry, gp}; handler address has the plabel bit 2 set
    k.mem.write(DATA + 0x800, struct.pack(">II", HANDLER, 0x77770))
    set_action(k, abi.SIGSEGV, (DATA + 0x800) | 2, abi.SA_SIGINFO)
    m.iaoq_f, m.iaoq_b = 0x10010, 0x10014
    k.signals.force_fault(abi.SIGSEGV, abi.SEGV_ACCERR, 0x1234)
    assert m.iaoq_f & ~3 == HANDLER and int(m.gr[19]) == 0x77770
    frame = frame_of(k)
    signo, _, code, addr = struct.unpack(">iiiI", k.mem.read(frame + STACK_FRAME["info"], 16))
    assert (signo, code, addr) == (abi.SIGSEGV, abi.SEGV_ACCERR, 0x1234)
    # the same fault again while SIGSEGV is blocked (inside the handler): fatal
    with pytest.raises(ProcessKilled) as e:
        k.signals.force_fault(abi.SIGSEGV, abi.SEGV_MAPERR, 0)
    assert e.value.signum == abi.SIGSEGV and e.value.core


def test_fault_without_handler_kills_with_pc():
    k = make_kernel()
    k.ctx.iaoq_f = 0x10020
    with pytest.raises(ProcessKilled) as e:
        k.signals.force_fault(abi.SIGILL, abi.ILL_ILLOPC, 0x10020)
    assert e.value.signum == abi.SIGILL and e.value.pc == 0x10020


def test_bad_frame_kills_with_sigsegv():
    k = make_kernel()
    set_action(k, abi.SIGUSR1, HANDLER)
    k.ctx.gr[30] = 0x30000000       # unmapped stack pointer
    k.signals.send_user(abi.SIGUSR1)
    with pytest.raises(ProcessKilled) as e:
        k.tick()
    assert e.value.signum == abi.SIGSEGV
    k = make_kernel()
    k.ctx.gr[30] = 0x300           # rt_sigreturn with garbage sp
    with pytest.raises(ProcessKilled):
        sc(k, 173, 0)


def test_sa_resethand_nodefer_onstack():
    k = make_kernel()
    m = k.ctx
    alt = DATA + 0x40000
    k.mem.write(DATA + 0x100, struct.pack(">IiI", alt, 0, 0x10000))
    assert sc(k, 166, DATA + 0x100, 0) == 0
    set_action(k, abi.SIGUSR1, HANDLER, abi.SA_RESETHAND | abi.SA_NODEFER | abi.SA_ONSTACK)
    k.signals.send_user(abi.SIGUSR1)
    k.tick()
    frame = int(m.gr[30]) - 768
    assert frame == (alt + 0x7F) & ~0x3F
    assert k.signals.actions[abi.SIGUSR1][0] == abi.SIG_DFL
    assert not k.signals.blocked & (1 << 15)
    # on the alternate stack now: sigaltstack reports SS_ONSTACK and refuses changes
    assert sc(k, 166, 0, DATA + 0x200) == 0
    assert struct.unpack(">IiI", k.mem.read(DATA + 0x200, 12))[1] == abi.SS_ONSTACK
    assert sc(k, 166, DATA + 0x100, 0) == -abi.EPERM
    k.mem.write(DATA + 0x100, struct.pack(">IiI", alt, 0, 100))
    m.gr[30] = STACK + 0x3000
    assert sc(k, 166, DATA + 0x100, 0) == -abi.ENOMEM


def test_vdso_trampoline_used_when_present():
    k = make_kernel()
    k.vdso_sigtramp = 0xFF6FF100
    set_action(k, abi.SIGUSR1, HANDLER)
    k.signals.send_user(abi.SIGUSR1)
    k.tick()
    assert int(k.ctx.gr[2]) == 0xFF6FF100
    k.signals.set_blocked(0)
    sc(k, 37, k.pid, abi.SIGUSR1)              # in a syscall: the in_syscall=1 entry
    assert int(k.ctx.gr[2]) == 0xFF6FF110


def test_non_exec_stack_uses_sigpage():
    k = make_kernel(exec_stack=False)
    set_action(k, abi.SIGUSR1, HANDLER)
    k.signals.send_user(abi.SIGUSR1)
    k.tick()
    rp = int(k.ctx.gr[2])
    from hppa_user.memory import PERM_X
    assert k.mem.perm[rp >> 12] & PERM_X
    assert k.mem.read_u32(rp + 4) == abi.INSN_LDI_R20


def test_timers_fire_on_tick():
    k = make_kernel()
    set_action(k, abi.SIGALRM, HANDLER)
    k.mem.write(DATA + 600, struct.pack(">IIII", 0, 10000, 0, 10000))
    sc(k, 104, abi.ITIMER_REAL, DATA + 600, 0)
    t0 = time.monotonic()
    while k.ctx.iaoq_f & ~3 != HANDLER and time.monotonic() - t0 < 2:
        k.tick()
    assert k.ctx.iaoq_f & ~3 == HANDLER
    assert sc(k, 105, abi.ITIMER_REAL, DATA + 700) == 0
    assert struct.unpack(">IIII", k.mem.read(DATA + 700, 16))[:2] == (0, 10000)
    assert sc(k, 105, 5, DATA + 700) == -abi.EINVAL


def test_posix_timer_signal_value():
    k = make_kernel()
    set_action(k, abi.SIGUSR2, HANDLER, abi.SA_SIGINFO)
    k.mem.write(DATA, struct.pack(">iiii", 4242, abi.SIGUSR2, abi.SIGEV_SIGNAL, 0))
    assert sc(k, 250, abi.CLOCK_MONOTONIC, DATA, DATA + 64) == 0
    tid = k.mem.read_u32(DATA + 64)
    k.mem.write(DATA + 128, struct.pack(">iiii", 0, 0, 0, 1000000))
    assert sc(k, 251, tid, 0, DATA + 128, 0) == 0
    t0 = time.monotonic()
    while k.ctx.iaoq_f & ~3 != HANDLER and time.monotonic() - t0 < 2:
        k.tick()
    frame = frame_of(k)
    signo, _, code, timerid, overrun, value = struct.unpack(
        ">iiiiii", k.mem.read(frame + STACK_FRAME["info"], 24))
    assert (signo, code, timerid, value) == (abi.SIGUSR2, abi.SI_TIMER, tid, 4242)
    assert sc(k, 254, tid) == 0 and sc(k, 254, tid) == -abi.EINVAL


def test_sigtimedwait_takes_pending():
    k = make_kernel()
    k.mem.write(DATA, struct.pack(">II", 1 << 15, 0))
    sc(k, 175, abi.SIG_BLOCK, DATA, 0, 8)
    sc(k, 37, k.pid, abi.SIGUSR1)
    k.mem.write(DATA + 16, struct.pack(">ii", 0, 0))
    assert sc(k, 177, DATA, DATA + 64, DATA + 16, 8) == abi.SIGUSR1
    assert sc(k, 177, DATA, DATA + 64, DATA + 16, 8) == -abi.EAGAIN


def test_restart_delay_slot_copy_rule():
    k = make_kernel()
    m = k.ctx
    # "copy %r5,%r20" in the delay slot: on restart the kernel copies r20 back into r5
    k.mem.poke(RET - 8 + 4, struct.pack(">I", 0x08050254))
    m.gr[31] = RET | 3
    m.gr[20] = 3
    m.gr[5] = 0
    k.signals._rewind_to_ble()
    assert int(m.gr[31]) == (RET - 8) | 3 and int(m.gr[5]) == 3
