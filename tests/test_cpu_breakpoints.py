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
