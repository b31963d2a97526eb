"""The interpreter's pair arms (coregen.ArmGen.arm, hppa_user/interp_pairs.py): two
consecutive instructions run by one arm.  What they must not change: the results, the
instruction budget (a step of one stops between the two), breakpoints on the second
(planted after the pair was decoded) and counted (hooked) second instructions."""
from __future__ import annotations

from hppa_user import state as S
from hppa_user.decode import Table
from hppa_user.interp_pairs import INTERPRETER_PAIRS
from cpu_harness import CODE, DATA, Cpu, assemble

# ldw, ldw / ldo, ldo / stw, stw / copy, copy: four listed pairs, checked below
SNIPPET = ("ldw 0(%r1),%r2\n ldw 4(%r1),%r3\n ldo 8(%r1),%r1\n ldo 1(%r3),%r4\n"
           " stw %r4,0(%r1)\n stw %r2,4(%r1)\n copy %r2,%r5\n copy %r3,%r6")
PAIRED = (0, 8, 16, 24)                  # offsets of the pairs' first instructions


def first_word(h: Cpu, addr: int) -> int:
    """The first word of the decode-cache record of ``addr`` (its arm's address)."""
    slot = int(h.mem.page_slot[addr >> 12])
    return int(h.cpu.dc[h.cpu._record(slot, addr)])


def pair_arm(h: Cpu, offset: int) -> int:
    table = Table.get()
    words = assemble(SNIPPET)
    a, b = (table.record(words[(offset >> 2) + i])[0] for i in (0, 1))
    assert (a, b) in {(x, y) for x, _, y, _ in INTERPRETER_PAIRS}
    return h.cpu.load_core().lib.loaded.function(f"hppa_pair_{a}_{b}")


def start(h: Cpu) -> None:
    h.mem.poke(DATA, (0x1234).to_bytes(4, "big") + (41).to_bytes(4, "big"))
    h.gr[1] = DATA


def test_pairs_run_as_one_arm_with_the_results_of_two():
    h = Cpu()
    start(h)
    before = h.ctx.insns
    h.run(SNIPPET, r1=DATA)
    assert (h.r(2), h.r(3), h.r(4), h.r(5), h.r(6)) == (0x1234, 41, 42, 0x1234, 41)
    assert bytes(h.mem.mem[DATA + 8:DATA + 16]) == (42).to_bytes(4, "big") + (0x1234).to_bytes(4, "big")
    assert h.ctx.insns - before == 8 + 1                 # and the break that ends the snippet
    for off in PAIRED:
        assert first_word(h, CODE + off) == pair_arm(h, off)
    assert first_word(h, CODE + 4) != pair_arm(h, 4 - 4)


def test_a_step_of_one_stops_between_the_two():
    h = Cpu()
    start(h)
    h.run(SNIPPET, r1=DATA)                              # the pairs decoded
    h.gr[1], h.gr[2], h.gr[3] = DATA, 0, 0
    h.ctx.jump(CODE)
    assert h.cpu.run(1) == S.ST_BUDGET
    assert h.pc == CODE + 4 and h.r(2) == 0x1234 and h.r(3) == 0
    assert h.cpu.run(1) == S.ST_BUDGET
    assert h.pc == CODE + 8 and h.r(3) == 41


def test_a_breakpoint_on_the_second_instruction_stops_there():
    h = Cpu()
    start(h)
    h.run(SNIPPET, r1=DATA)
    assert first_word(h, CODE + 16) == pair_arm(h, 16)
    h.cpu.set_breakpoint(CODE + 20)                      # the second stw
    h.gr[1], h.gr[2] = DATA, 7
    h.mem.poke(DATA + 12, bytes(4))
    h.ctx.jump(CODE + 8)
    st = h.cpu.run(100)
    assert h.cpu.breakpoint_hit(st) == CODE + 20
    assert bytes(h.mem.mem[DATA + 8:DATA + 12]) == (42).to_bytes(4, "big")      # the first stw ran
    assert bytes(h.mem.mem[DATA + 12:DATA + 16]) == bytes(4)                      # the second did not


def test_a_counted_second_instruction_is_counted():
    h = Cpu()
    start(h)
    h.cpu.count_executions([CODE + 12])                  # the second ldo
    h.run(SNIPPET, r1=DATA)
    assert h.cpu.execution_counts()[CODE + 12] == 1 and h.r(4) == 42
    assert first_word(h, CODE + 8) != pair_arm(h, 8)     # its first runs alone
    assert first_word(h, CODE) == pair_arm(h, 0)
