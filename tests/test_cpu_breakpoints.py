"""CPU breakpoints (hppa_user.cpu.Cpu) shared by several users: the tracer, the gdb stub and
the start-up probe may all stop at one address; each clears only its own use."""
from __future__ import annotations

from hppa_user import state as S
from cpu_harness import CODE, Cpu

SNIPPET = "ldi 1,%r3\n ldi 2,%r4\n ldi 3,%r5\n ldi 4,%r6"


def test_shared_breakpoint_stays_until_every_user_cleared_it():
    h = Cpu()
    cpu = h.cpu
    target = CODE + 8                                   # ldi 3,%r5
    h.run("nop", budget=1)                              # code page decoded once before
    cpu.set_breakpoint(target)
    cpu.set_breakpoint(target)                          # a second user
    before = h.ctx.insns
    st = h.run(SNIPPET)
    assert cpu.breakpoint_hit(st) == target and cpu.breakpoint_hit(st) == target
    assert h.ctx.insns - before == 2 and h.r(4) == 2 and h.r(5) == 0   # the stop itself is uncounted
    cpu.clear_breakpoint(target)                        # first user done: still planted
    h.ctx.jump(CODE)
    st = cpu.run(100)
    assert cpu.breakpoint_hit(st) == target
    st = cpu.step_over_breakpoint(target)               # runs the real ldi 3
    assert st == S.ST_BUDGET and h.r(5) == 3 and cpu.breakpoint_hit(st) is None
    cpu.clear_breakpoint(target)                        # last user: gone
    h.ctx.jump(CODE)
    st = cpu.run(100)
    assert cpu.breakpoint_hit(st) is None and h.r(6) == 4


def test_counted_addresses_run_and_count_up_to_the_last_hook():
    """Hooked records (whose arm is the hooked arm) reach the loop head, which finds their
    hook by address, whichever it is: the last of MAX_HOOKS included.  Each is counted
    once per execution and still runs; one more hook than that is refused."""
    import pytest
    h = Cpu()
    cpu = h.cpu
    loop = "ldi 3,%r4\n1: addi -1,%r4,%r4\n cmpib,<> 0,%r4,1b\n addi 1,%r5,%r5"
    far = [0x7000_0000 + 4 * i for i in range(S.MAX_HOOKS - 2)]      # never run
    cpu.count_executions(far + [CODE + 4, CODE + 12])    # hooks MAX_HOOKS - 2 and - 1
    h.run(loop, r5=0)
    counts = cpu.execution_counts()
    assert h.r(4) == 0 and h.r(5) == 3                   # the hooked addi ran 3 times
    assert counts[CODE + 4] == 3 and counts[CODE + 12] == 3
    assert not any(counts[a] for a in far)
    with pytest.raises(ValueError):
        cpu.count_executions(far + [CODE, CODE + 4, CODE + 8])
