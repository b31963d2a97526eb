"""The template tier (hppa_user/chains.py): chains of patched stencil copies.

A chain must be indistinguishable from the interpreter it stands in for: the same
registers, memory, instruction counts and stops (the budget, a breakpoint, a fault) at
every instruction.  The snippets here are assembled with the real cross assembler and run
twice on the real core, interpreted and through a chain built at their first
instruction; the programs are real glibc programs compared with qemu-hppa, with chains
built at every branch target entered twice and no region ever compiled.
"""
from __future__ import annotations

import json
import struct

import pytest

from hppa_user import core
from hppa_user import encoding as enc
from hppa_user.chains import stencils
from hppa_user.memory import PERM_R, PERM_X
from hppa_user import state as S
from cpu_harness import CODE, DATA, Cpu
from test_jit import PROGRAMS

# a loop with the ways out of a chain's order: nullification (comclr, or,ev, addib,n), a
# taken and a not-taken conditional branch with its delay slot, loads and stores, a carry
LOOP = """
    ldi 40,%r4
    ldil L%0x20000,%r6
    ldo 0x100(%r6),%r6
1:  ldw 0(%r6),%r7
    add %r7,%r4,%r7
    comclr,= %r4,%r7,%r8
    addi 3,%r8,%r8
    stw %r7,4(%r6)
    addc %r8,%r5,%r5
    extru %r5,31,4,%r9
    or,ev %r9,%r7,%r12
    cmpib,<>,n 0,%r9,2f
    addi 1,%r10,%r10
    ldo 8(%r6),%r6
2:  addib,<> -1,%r4,1b
    xor %r5,%r7,%r5
    sh1add %r5,%r10,%r11
"""


def state(h: Cpu) -> tuple:
    return (h.ctx.insns, h.pc, [h.r(n) for n in range(1, 32)],
            bytes(h.mem.mem[DATA:DATA + 0x800]))


def chain_heads(h: Cpu) -> list[int]:
    """The addresses where chains start (the snippet's code is on one page)."""
    return sorted(CODE + 4 * (i & 1023) for i in h.cpu.chains.heads)


def run(chained: bool, budget: int = 100_000, src: str = LOOP,
        heads: tuple = (CODE, CODE + 12), counted: tuple = ()) -> tuple[Cpu, int]:
    """The snippet on a fresh CPU: decoded by a first run, then run again from the
    start, through chains built at ``heads`` in that order (the first instruction and
    the loop's head) if ``chained``.  ``counted``: addresses whose executions are counted
    (their records hooked).  (The code page's next one is mapped too.)"""
    h = Cpu()
    h.mem.map(CODE + 0x1000, 0x1000, PERM_R | PERM_X)
    if counted:
        h.cpu.count_executions(list(counted))
    h.mem.poke(DATA, bytes(range(256)) * 8)
    h.run(src, budget=100_000)                     # decodes every record it reaches
    h.mem.poke(DATA, bytes(range(256)) * 8)
    for r in range(1, 32):
        h.gr[r] = 0
    h.ctx.ctl[S.CTL_INSNS] = 0
    # branch-target entries counted (as with regions on, never reported): a taken branch
    # to where a chain starts goes on there when the count is not a power of two
    h.ctx.ctl[S.CTL_JIT_THRESHOLD] = h.ctx.ctl[S.CTL_JIT_HOT] = 1 << 40
    h.ctx.ctl[S.CTL_LINK_CAP] = 1 << 40
    if chained:
        for a in heads:                     # (or built already, going on from another)
            assert h.cpu.chains.build(a) or a in chain_heads(h)
    h.ctx.jump(CODE)
    return h, h.cpu.run(budget)


def test_chain_runs_as_the_interpreter():
    h0, st0 = run(False)
    h1, st1 = run(True)
    assert h1.cpu.chains.built == 2 and h1.cpu.chains.insns >= 14
    assert st1 == st0 and state(h1) == state(h0)


def test_budget_stops_at_every_instruction_of_a_chain():
    """Stopped after each count of instructions, a chain leaves the state the interpreter
    leaves (the budget is checked as each copy runs)."""
    for budget in range(1, 60):
        h0, st0 = run(False, budget)
        h1, st1 = run(True, budget)
        assert (st1, state(h1)) == (st0, state(h0)), budget


def test_chain_goes_on_in_the_chain_built_before_it():
    """Built after the loop's chain, the chain at the first instruction stops at the
    loop's head and goes on in that chain's first copy (3 instructions of its own), with
    the interpreter's state at every count of instructions."""
    h0, st0 = run(False)
    h1, st1 = run(True, heads=(CODE + 12, CODE))
    chains = h1.cpu.chains
    assert chains.built == 2 and chains.linked == 1
    assert st1 == st0 and state(h1) == state(h0)
    # the loop's chain was not linked, the later one was: the opposite order links none
    assert run(True)[0].cpu.chains.linked == 0
    for budget in range(1, 60):
        h0, st0 = run(False, budget)
        h1, st1 = run(True, budget, heads=(CODE + 12, CODE))
        assert (st1, state(h1)) == (st0, state(h0)), budget


# branches with and without ,n each way (their copies with n 0 are stencils of their own),
# delay slots with a condition (a copy that nullifies what follows it) and without, and an
# indexed byte load with ,s (whose index is never shifted)
NULLIFY = """
    ldil L%0x20000,%r6
    ldo 0x100(%r6),%r6
    ldi 3,%r3
    ldi 2,%r5
0:  ldi 30,%r4
1:  ldbx,s %r4(%r6),%r7
    extru %r7,31,3,%r7
    cmpb,<< %r7,%r3,2f
    addi 5,%r8,%r8
    cmpb,<<,n %r3,%r7,3f
    addi 7,%r9,%r9
    addi 11,%r9,%r9
2:  cmpib,=,n 0,%r7,3f
    comclr,< %r7,%r5,%r0
    addi 13,%r10,%r10
3:  extru %r7,31,2,%r11
    addib,>,n -1,%r4,1b
    comiclr,= 7,%r4,%r12
    addib,> -1,%r5,0b
    or,ev %r7,%r11,%r13
    add %r8,%r9,%r14
"""


def test_nullify_bits_and_delay_slot_conditions_run_as_the_interpreter():
    heads = (CODE + 16, CODE + 20)
    h0, st0 = run(False, src=NULLIFY, heads=heads)
    h1, st1 = run(True, src=NULLIFY, heads=heads)
    assert h1.cpu.chains.insns >= 20
    assert st1 == st0 and state(h1) == state(h0)
    assert all(h0.r(n) for n in (8, 9, 10, 13)) and h0.ctx.insns >= 600
    for budget in range(1, 200, 3):
        h0, st0 = run(False, budget, src=NULLIFY, heads=heads)
        h1, st1 = run(True, budget, src=NULLIFY, heads=heads)
        assert (st1, state(h1)) == (st0, state(h0)), budget


# a loop whose branch is its page's last word: its delay slot, on the next page, has no
# copy in the loop's chain, and the taken branch finds that record through the page's slot
PAGE_END = """
    ldi 20,%r4
    b 1f
    nop
    .rept 1018
    nop
    .endr
1:  addi 1,%r5,%r5
    addi 3,%r8,%r8
    addib,> -1,%r4,1b
    addi 2,%r6,%r6
    add %r5,%r6,%r7
"""


def test_taken_branch_at_a_pages_end_runs_its_delay_slot_on_the_next():
    loop = CODE + 12 + 4 * 1018
    assert loop + 8 == CODE + 0xFFC
    h0, st0 = run(False, src=PAGE_END, heads=(loop,))
    h1, st1 = run(True, src=PAGE_END, heads=(loop,))
    assert h1.cpu.chains.insns >= 3 and loop in chain_heads(h1)
    assert st1 == st0 and state(h1) == state(h0)
    assert (h0.r(5), h0.r(6), h0.r(7)) == (20, 40, 60)
    for budget in range(1020, 1100):
        h0, st0 = run(False, budget, src=PAGE_END, heads=(loop,))
        h1, st1 = run(True, budget, src=PAGE_END, heads=(loop,))
        assert (st1, state(h1)) == (st0, state(h0)), budget


# writes to r0 (a prefetching load, an add, a load that modifies its base, an ldo), each
# read back at once: a copy sends a field 0's write to a sink, not to regs[0]
WRITES_TO_R0 = """
    ldi 6,%r4
    ldil L%0x20000,%r6
    ldo 0x40(%r6),%r6
1:  ldw 0(%r6),%r0
    copy %r0,%r7
    add %r4,%r6,%r0
    add %r0,%r4,%r8
    ldo 9(%r4),%r0
    or %r0,%r9,%r9
    ldw,mb 4(%r6),%r0
    add %r0,%r7,%r7
    addib,<> -1,%r4,1b
    addi 1,%r0,%r10
"""


def test_writes_to_r0_vanish_in_a_chain():
    h0, st0 = run(False, src=WRITES_TO_R0, heads=(CODE,))
    h1, st1 = run(True, src=WRITES_TO_R0, heads=(CODE, CODE + 12))
    assert st1 == st0 and state(h1) == state(h0)
    assert h1.cpu.chains.insns >= 10
    # (r0 read as 0 throughout: r7, r9 stay 0, r8 is the last r4, r10 is 1)
    assert [h1.r(n) for n in (0, 7, 8, 9, 10)] == [0, 0, 1, 0, 1]
    for budget in range(1, 40):
        h0, st0 = run(False, budget, src=WRITES_TO_R0, heads=(CODE,))
        h1, st1 = run(True, budget, src=WRITES_TO_R0, heads=(CODE, CODE + 12))
        assert (st1, state(h1), h1.r(0)) == (st0, state(h0), 0), budget


# chains that end where an instruction was never decoded: a taken branch's nullified
# delay slot (the way out for a taken branch: taken_out) and a word every pass nullifies
# (past it: skip_out)
NEVER_DECODED = """
    ldi 5,%r4
1:  addi 1,%r5,%r5
    cmpib,=,n 0,%r0,2f
    addi 7,%r6,%r6
2:  addi 2,%r7,%r7
    comclr,= %r0,%r0,%r0
    addi 9,%r8,%r8
    addib,<> -1,%r4,1b
    addi 3,%r9,%r9
"""


def test_ways_out_past_words_never_decoded_count_as_the_interpreter():
    """The ways out count what the copies before them ran (the copies pass the count of
    their check on): stopped after each count of instructions, the interpreter's state."""
    heads = (CODE, CODE + 4, CODE + 16)
    h0, st0 = run(False, src=NEVER_DECODED, heads=heads)
    h1, st1 = run(True, src=NEVER_DECODED, heads=heads)
    assert st1 == st0 and state(h1) == state(h0)
    # (and one after the word the comclr nullifies, where the chain before it stopped)
    assert chain_heads(h1) == [*heads, CODE + 28]
    assert [h1.r(n) for n in (5, 6, 7, 8, 9)] == [5, 0, 10, 0, 15]
    for budget in range(1, 45):
        h0, st0 = run(False, budget, src=NEVER_DECODED, heads=heads)
        h1, st1 = run(True, budget, src=NEVER_DECODED, heads=heads)
        assert (st1, state(h1)) == (st0, state(h0)), budget


# a loop whose delay slot's executions are counted (a hooked record, as a vDSO entry's
# under --stats): a chain has no copy of it, and its taken branch leaves by the way out
# for that (taken_out)
DELAY_SLOT_COUNTED = """
    ldi 3,%r4
1:  addi 1,%r5,%r5
    addib,<> -1,%r4,1b
    addi 4,%r8,%r8
    addi 5,%r9,%r9
"""


def test_taken_way_out_to_a_delay_slot_counts_as_the_interpreter():
    ds = CODE + 12
    kw = dict(src=DELAY_SLOT_COUNTED, heads=(CODE, CODE + 4), counted=(ds,))
    h0, st0 = run(False, **kw)
    h1, st1 = run(True, **kw)
    assert st1 == st0 and state(h1) == state(h0)
    assert h1.cpu.chains.insns == 5                 # (2 + 3: neither has the delay slot)
    assert h0.cpu.execution_counts() == h1.cpu.execution_counts() == {ds: 2 * 3}  # (two runs)
    assert [h1.r(n) for n in (5, 8, 9)] == [3, 12, 5]
    for budget in range(1, 16):
        h0, st0 = run(False, budget, **kw)
        h1, st1 = run(True, budget, **kw)
        assert (st1, state(h1)) == (st0, state(h0)), budget


def test_breakpoint_inside_a_chain_stops_there():
    h, _ = run(True, budget=0)
    target = CODE + 32                             # addc, inside the loop's chain
    h.cpu.set_breakpoint(target)                   # (drops every chain)
    assert not h.cpu.chains.heads
    st = h.cpu.run(100_000)
    assert h.cpu.breakpoint_hit(st) == target and h.r(4) == 40
    h.cpu.step_over_breakpoint(target)
    st = h.cpu.run(100_000)                        # (the loop's head decoded again)
    assert h.cpu.breakpoint_hit(st) == target and h.r(4) == 39
    assert h.cpu.chains.build(CODE + 12)           # built again: up to the breakpoint
    h.cpu.step_over_breakpoint(target)
    st = h.cpu.run(100_000)
    assert h.cpu.breakpoint_hit(st) == target and h.r(4) == 38


# a forward branch always taken, over an instruction, to where a chain is built first
FORWARD = """
    ldi 40,%r4
1:  addi 1,%r5,%r5
    cmpib,<> 0,%r4,2f
    addi 3,%r7,%r7
    addi 100,%r6,%r6
2:  addib,<> -1,%r4,1b
    addi 1,%r7,%r7
    sh1add %r5,%r7,%r8
"""


def test_taken_branch_goes_on_in_the_chain_at_its_target():
    """With a chain at the forward branch's target (2:) built first, the loop's chain
    stops there, and its taken branch goes on in that chain from the delay slot's copy
    (the builder found the chain: the piece names it); with the chains built the other
    way round, the delay slot's copy is linked to the chain at 2: once that is built
    (its branch target patched in).  Either way the back edge, in the chain at 2:, is
    linked to the loop's chain once that is there.  The interpreter's state at every
    count of instructions, either way."""
    target = CODE + 20                              # 2: addib
    h, _ = run(True, budget=0, src=FORWARD, heads=(target, CODE + 4))
    w = S.CHAIN_PIECE_WORDS
    pieces = h.cpu.chains._pieces
    assert any(pieces[p * w + S.PIECE_PC] == CODE + 12 and
               pieces[p * w + S.PIECE_LINK_PC] == target for p in range(S.CHAIN_MAX_PIECES))
    for heads in ((target, CODE + 4), (CODE + 4, target)):
        chains = run(True, budget=0, src=FORWARD, heads=heads)[0].cpu.chains
        assert chains.relinked == 1 and not chains.unlinked, heads
    # the back edge's copy, built first: its branch target patched in where the builder
    # put 1 (no chain there)
    h, _ = run(True, budget=0, src=FORWARD, heads=(target,))
    chains = h.cpu.chains
    [(addr, sid)] = chains.unlinked[CODE + 4]
    sites = [addr + off for off, source, _a, _r in stencils().link_patches(sid)
             if source == S.HOLE_LINK_PC]

    def holes():
        return [struct.unpack_from("<I", chains._code, at - chains.arena)[0] for at in sites]
    before = holes()
    assert sites and chains.build(CODE + 4) and chains.relinked == 1
    assert [v - b for v, b in zip(holes(), before)] == [CODE + 4 - 1] * len(sites)
    for heads in ((target, CODE + 4), (CODE + 4, target)):
        for budget in list(range(1, 60)) + [100_000]:
            h0, st0 = run(False, budget, src=FORWARD)
            h1, st1 = run(True, budget, src=FORWARD, heads=heads)
            assert (st1, state(h1)) == (st0, state(h0)), (heads, budget)
    assert h0.r(6) == 0 and h0.r(7) == 40 * (3 + 1)      # (both delay slots run)


# a loop of one chain, its back edge's delay-slot copy linked to the chain's own check
COUNTED = """
    ldi 3000,%r3
1:  addib,<> -1,%r3,1b
    addi 1,%r4,%r4
"""


def test_link_counts_entries_up_to_the_cap_and_then_goes_on(monkeypatch):
    """The back edge's link counts the loop head's entries as the interpreter's dispatch
    would, up to CTL_LINK_CAP, which the dispatch reports (whatever the instructions run
    so far); the report sets the count back to half the cap, the entries taken off kept,
    so the region compiler's total is every entry.  A count at the cap or past it (or
    left to the interpreter) the link leaves as it is, with the interpreter's results."""
    from hppa_user import jit as J

    monkeypatch.setenv("HPPA_USER_CODE_CACHE", "off")
    monkeypatch.setattr(J, "LINK_CAP", 256)
    head = CODE + 4
    h = Cpu()
    cpu = h.cpu
    cpu.jit_threshold = J.JIT_AUTO
    assert h.ctl[S.CTL_LINK_CAP] == 256
    st = h.run(COUNTED, budget=100_000)                # decodes it (interpreted)
    while st == S.ST_JIT:
        st = cpu.run(100_000)
    assert h.r(4) == 3000
    interpreted = (st, h.ctx.insns, h.pc)
    rc = cpu.jit
    seen = []
    request = rc.request
    monkeypatch.setattr(rc, "request",
                        lambda e: seen.append((e, rc.counted(e)[1])) or request(e))

    def again(count: int) -> tuple[int, int]:
        """The loop from the start through its chain, the head's count set to ``count``:
        (the count after, the status)."""
        idx = rc.slot_index(head)
        cpu.native[idx] = count
        rc.recounted.clear()
        seen.clear()
        h.gr[4] = 0
        h.ctx.ctl[S.CTL_INSNS] = 0
        assert cpu.chains.build(head) or head in chain_heads(h)
        h.ctx.jump(CODE)
        st = cpu.run(100_000)
        while st == S.ST_JIT:
            st = cpu.run(100_000)
        assert h.r(3) == 0 and h.r(4) == 3000 and (st, h.ctx.insns, h.pc) == interpreted
        return int(cpu.native[idx]), st

    # counted from 0: 2999 entries (the taken back edges), reported at the first report
    # and at the cap, then every half cap
    count, _ = again(0)
    assert [n for e, n in seen if e == head] == [64] + list(range(256, 2999 + 1, 128))
    assert rc.counted(head)[1] == 2999 == -count + rc.recounted[head]
    # at the cap, and left to the interpreter: not counted, nothing reported
    for mark in (-256, -1000, S.NATIVE_NEVER):
        assert again(mark)[0] == mark and seen == []


# misaligned loads and stores (emulated, as Linux does) every other pass, then a store
# past the data's end: the copies' rare ways, which run the instruction in the interpreter
RARE = """
    ldi 200,%r4
    ldil L%0x21000,%r6
    ldo 0xe00(%r6),%r6
1:  ldw 0(%r6),%r7
    add %r7,%r5,%r5
    stw %r5,8(%r6)
    addib,<> -1,%r4,1b
    ldo 6(%r6),%r6
"""


def test_rare_ways_of_a_chain_leave_as_the_interpreter():
    """A chained loop whose accesses are misaligned every other pass, then fault: at every
    budget around the fault and run to it, the state and the fault are the interpreter's."""
    def end_state(chained: bool, budget: int):
        h = Cpu()
        h.run(RARE, budget=100_000)                # decodes the loop (and faults)
        for r in range(1, 32):
            h.gr[r] = 0
        h.mem.poke(0x21E00, bytes(range(256)) * 2)
        h.ctx.ctl[S.CTL_INSNS] = 0
        if chained:
            assert h.cpu.chains.build(CODE + 12)
        h.ctx.jump(CODE)
        st = h.cpu.run(budget)
        return (st, h.ctx.insns, h.pc, [h.r(n) for n in range(1, 32)],
                bytes(h.mem.mem[0x21E00:0x22000]), h.fault if st == S.ST_FAULT else None)
    ran = end_state(False, 100_000)
    assert ran[0] == S.ST_FAULT and ran[5][0] == 11 and 300 < ran[1] < 600   # SIGSEGV
    assert end_state(True, 100_000) == ran
    for budget in list(range(1, 40)) + list(range(ran[1] - 12, ran[1] + 2)):
        assert end_state(True, budget) == end_state(False, budget), budget


SMC = """
    ldi 3,%r4
    ldil L%0x10000,%r6
    ldw 0x2c(%r6),%r7
    ldil L%0x20000,%r8
1:  stw %r7,0(%r8)
    addi 1,%r5,%r5
    ldo 0x14(%r6),%r8
    addib,<> -1,%r4,1b
    nop
    nop
    nop
    addi 2,%r5,%r5
"""


def test_store_into_a_chains_own_code_is_seen():
    """The loop's store goes to data on the first pass, then over the addi after it (with
    an addi 2): the chain's copy of the store leaves the chain, and the next instruction
    is the new one, as interpreted."""
    from hppa_user.memory import PERM_R, PERM_W, PERM_X
    results = []
    for chained in (False, True):
        h = Cpu()
        h.mem.map(CODE, 0x1000, PERM_R | PERM_W | PERM_X)
        h.run(SMC, budget=9)                       # decodes the loop, stores into data
        if chained:
            assert h.cpu.chains.build(CODE + 0x10)
        st = h.cpu.run(100_000)
        results.append((h.r(5), h.ctx.insns, st))
    assert results[0] == results[1] and results[0][0] == 1 + 2 + 2 + 2


def test_stencil_table_has_every_variant():
    """Every micro-op variant has its stencil and its delay-slot copy (none was left out
    for a relocation the builder does not patch), and both made with its no-condition
    field 0 when it has one (a branch's nullify bit when it has no condition field)."""
    from hppa_user.stencilgen import no_condition_fields
    t = core.stencil_table()
    nv = t["nv"]
    desc = struct.unpack(f"<{len(t['desc']) // 4}i", t["desc"])
    length = [desc[S.CHAIN_DESC_WORDS * i + S.CHAIN_DESC_LEN]
              for i in range(len(desc) // S.CHAIN_DESC_WORDS)]
    z = 2 * nv + len(S.CHAIN_FIXED) + 1              # the first made with a field 0
    assert len(length) == z + 2 * nv
    assert all(length[1:z])
    zero = no_condition_fields()
    assert sum(j >= 0 for j in zero) > 40
    assert [bool(n) for n in length[z:z + nv]] == [j >= 0 for j in zero[1:]]
    assert [bool(n) for n in length[z + nv:]] == [j >= 0 for j in zero[1:]]
    # the compare-and-branch ops have a variant per condition: theirs is the n bit
    cmpb = next(v for v, (name, _c) in enumerate(enc.VARIANTS, 1) if name == "CMPB")
    assert zero[cmpb] == 4


def test_damaged_stencil_table_is_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("HPPA_USER_CACHE_DIR", str(tmp_path))
    first = core.stencil_table()
    (path,) = tmp_path.rglob("stencils-*")
    path.write_bytes(path.read_bytes()[:-100] + b"x" * 100)
    assert core.stencil_table() == first
    assert core.stencil_table() == first


CHAINS_ONLY = {"HPPA_USER_FIRST_REPORT": "2", "HPPA_USER_CHAINS_AFTER": "0",
               "HPPA_USER_JIT_HEAT": str(1 << 62), "HPPA_USER_CODE_CACHE": "off"}


def test_short_program_builds_no_chain(repo_root, run_emu, tmp_path):
    """A program that ends before jit.CHAINS_AFTER instructions (a static hello) builds
    no chain, and so never loads the stencil table."""
    stats = tmp_path / "stats.json"
    got = run_emu(repo_root / "hppa_user" / "examples" / "hello",
                  env={"HPPA_USER_CODE_CACHE": "off"}, options=["--stats-json", str(stats)])
    st = json.loads(stats.read_text())
    assert got.returncode == 0 and st["jit"]["chains"] == 0, st["jit"]


def test_loop_reported_before_chains_after_is_chained_once_there(guest, run_qemu, run_emu,
                                                                 tmp_path):
    """A hot loop whose first report comes before jit.CHAINS_AFTER instructions (a program
    that goes straight into it, and meets no new branch target afterwards) is chained
    once the program has run that many, not left to the interpreter until a region comes:
    crc_loop of 20 000 bytes (1.27 M instructions) builds its chains, and they run as the
    interpreter does."""
    binary = guest("crc_loop", opt="-O2")
    ref = run_qemu(binary, ["20000"])
    assert ref.returncode == 0 and b"crc32 of 20000 LCG bytes" in ref.stdout, ref
    counts = []
    for opts in ([], ["--no-jit"]):
        stats = tmp_path / "stats.json"
        got = run_emu(binary, ["20000"], env={"HPPA_USER_CODE_CACHE": "off"},
                      options=[*opts, "--stats-json", str(stats)])
        assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr[-3000:]
        st = json.loads(stats.read_text())
        counts.append(st["instructions"])
        if opts == []:
            assert st["jit"]["chains"] >= 3, st["jit"]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("program,args,marker", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_chained_program_matches_qemu(program, args, marker, guest, run_qemu, run_emu,
                                      tmp_path):
    """Chains at every branch target entered twice, no region: qemu's output and status,
    the interpreter's instruction count."""
    binary = guest(program, opt="-O2")
    ref = run_qemu(binary, args)
    assert ref.returncode == 0 and marker.encode() in ref.stdout, ref
    counts = []
    for opts in ([], ["--no-jit"]):               # (one environment: the guest sees it)
        stats = tmp_path / "stats.json"
        got = run_emu(binary, args, env=CHAINS_ONLY, options=[*opts, "--stats-json", str(stats)])
        assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.stderr[-3000:]
        st = json.loads(stats.read_text())
        counts.append(st["instructions"])
        if opts == []:
            assert st["jit"]["chains"] >= 3 and st["jit"]["regions"] == 0, st["jit"]
    assert counts[0] == counts[1]
