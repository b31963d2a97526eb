"""The template tier's stencils: every micro-op variant's arm again, with holes for a copy.

A stencil does what its variant's arm does (coregen.ArmGen, the same semantics), for an
instruction known when it is copied (chains.py): the record's fields and the
instruction's address are *holes* -- external symbols whose values the copy patches into
the code as immediates and displacements -- so the arm's loads of its record, its
run-time register numbers and its IAOQ bookkeeping become constants.  What follows the
instruction is known too:

  * in order (the usual way): a jump to the hole ``hppa_hole_next``, the next copy;
  * the next instruction nullified: ``hppa_hole_skip``, the copy after it;
  * a taken branch: ``hppa_hole_taken``, the copy of its delay slot for that case
    (``hppa_stencil_ds_<variant>``: the IAOQ back is the branch's target, and it
    dispatches as the arm does; when the target is the chain's first instruction, a
    loop, it goes on at the chain's check, counting that entry as the arm counts a
    branch target's); a taken branch that nullifies its delay slot (b,n, a forward
    cmpb,n) goes there too, with N in the front's bit 0: the copy runs nothing then and
    goes on at the target the same way (in the interpreter's loop before: a cold bzip2
    -9 took 1.4 % of its chains-only time in hppa_nullified, 0.1 % now);
  * a store that dropped decoded code leaves for the core's loop head (hppa_slow) with
    the state an arm would give it;
  * a rare way taken before the instruction has changed anything (a misaligned or not
    permitted access, a trap) runs it again in its own arm (``hppa_hole_own_arm``): a
    copy keeps only its usual path, ~40 % less code (rare_ways_to).  An in-order copy
    goes there through ``hppa_hole_rare``, a copy of ``hppa_stencil_rare`` laid out
    apart, with the arguments it came with: a conditional jump, and no code of its own.

So a copy is the arm's work without its dispatch, and without the budget's test: a
chain starts with a copy of ``hppa_stencil_guard`` (entered from the chain's first
record, as an arm: the IAOQ back may be a branch's target there, when the next copy
would assume front + 4) and one of ``hppa_stencil_check``, where a loop comes back and
another chain comes in too: with fewer instructions left than the chain runs before it
comes back there or leaves (hole ``hppa_hole_run``), the first instruction runs in its
arm, the interpreter, which tests the budget at each.  Nor does a copy count on its
usual path: it passes on the count the check had, and what leaves it adds the
instructions counted since (``hppa_hole_counted``).  A chain ends with one of
``hppa_stencil_out`` (the record after the chain, dispatched), or of
``hppa_stencil_onward`` (where another chain starts: that one's check), and one of
``hppa_stencil_skip_out`` (the last copy nullified the next instruction).  A copy that
ends with its jump to the next one is laid out without it.

The module is compiled for the small code model: a hole is a 32-bit immediate or
displacement (R_X86_64_32 / 32S), a jump hole a 32-bit relative jump (PC32 / PLT32).
The core's functions are called through the environment block (coregen.STENCIL_CALLS),
so the holes are a copy's only words that depend on where it is and what it runs.
Compiled once per version of these sources (core.stencil_table); only that process
imports this module.
"""
from __future__ import annotations

import struct

import llvmlite.binding as llvm
from llvmlite import ir

from hppa_user import encoding as enc
from hppa_user import native, objcode
from hppa_user import state as S
from hppa_user.coregen import (ARM_CC, ARM_FN, HELPER_INDEX, HELPER_NAMES, I32, I64, I8, PTR,
                               STENCIL_CALLS, ArmGen, ICtx, Mem, env_slot, helper_type)
from hppa_user.loader import elf_sections, elf_symbols
from hppa_user.ssa import RARE, V, if_else, select, unlikely

# the holes' names, by their patch source (state.HOLE_*, state.JUMP_*)
VALUE_HOLES = (["hppa_hole_pc"] + [f"hppa_hole_f{j}" for j in range(enc.NFIELDS)] +
               [f"hppa_hole_r{j}" for j in range(enc.NFIELDS)] +
               [f"hppa_hole_w{j}" for j in range(enc.NFIELDS)] +
               ["hppa_hole_idx", "hppa_hole_link_pc", "hppa_hole_link_idx", "hppa_hole_run",
                "hppa_hole_counted", "hppa_hole_target"])
JUMP_HOLES = ("hppa_hole_next", "hppa_hole_skip", "hppa_hole_arm", "hppa_hole_taken",
              "hppa_hole_link", "hppa_hole_own_arm", "hppa_hole_rare")
assert len(VALUE_HOLES) == S.JUMP_NEXT and S.JUMP_NEXT + len(JUMP_HOLES) == S.CHAIN_DATA_SOURCE
ALWAYS_BRANCHES = ("BL", "BLR", "BV", "BE")   # the sequential way: only the delay slot
# fields whose 0 means no condition (nothing nullified, no trap); nearly every copy of an
# instruction that has one has it 0, and gets a stencil made with it 0: without the code
# that evaluates the condition (the compare-and-branch ops have a variant per value).  A
# branch with no such field gets one made with its n 0 (no_condition_fields): without
# the nullification that depends on its direction.
NO_CONDITION = ("cf", "sed")
# the branches whose taken target is their address + 8 + a displacement field (w12, w17;
# not BE's: a register's + it): the builder looks for a chain there (a copy still tests
# that its branch went there, StencilArm.link)
PC_RELATIVE_BRANCHES = ("CMPB", "CMPIB", "ADDB", "ADDIB", "BB", "MOVB", "MOVIB", "BL")
STOPS = ("BREAK", "ILLEGAL", "PRIV")          # the interpreter stops there


class SCtx(ICtx):
    """A stencil's context: a field used as a register number is a displacement hole."""

    def __init__(self, gen: "StencilArm", f: V, back: V, count: V, regs_at: dict):
        super().__init__(gen, f, back, count)
        self.regs_at = regs_at                # id of a field's V -> its (read, write) holes
        self.taken = None                     # a conditional branch: i1, taken

    def cond_branch(self, taken: V, disp: V, nflag) -> None:
        super().cond_branch(taken, disp, nflag)
        self.taken = taken
        # the target, front + 8 + the displacement, is a hole of its own: one immediate,
        # not the sum of two the copy would add when the branch is taken
        self.nb = select(taken, self.gen.hole(S.HOLE_TARGET), self.back + 4)

    def set_gr(self, r: V, v: V) -> None:
        """A register field's write goes where its write hole says: its register, or a
        sink when the field is 0 (so no copy stores regs[0] back to zero after it)."""
        holes = self.regs_at.get(id(r))
        if holes is None:
            return super().set_gr(r, v)
        self.b.store(v.zext(64).ir, self._at(holes[1]))

    def reg_ptr(self, index):
        holes = self.regs_at.get(id(index)) if isinstance(index, V) else None
        return super().reg_ptr(index) if holes is None else self._at(holes[0])

    def _at(self, hole):
        """&regs at a byte-offset hole."""
        b = self.b
        return b.gep(self.regs, [b.ptrtoint(hole, I64)], source_etype=I8)


class StencilArm(ArmGen):
    """Builds one stencil (or the guard, or the chain's way out).

    Guest memory and the permission table are carried from piece to piece in registers
    (coregen.ARM_FN's last two arguments): the guard, entered as an arm is, loads them
    from the environment, and the pieces after it pass them on, so a copy's access
    loads neither.  (Arms pass nothing there: a chain entered from an arm is entered at
    its guard.)  Measured against loading them
    from the environment at each access: bzip2 -9 with chains only 0.93x, cold 0.97x,
    bc pi-300 0.95x; the interpreter as fast."""

    def __init__(self, gen, fn: ir.Function, carried: bool = True):
        self.own_record = False           # (a delay slot's copy: rec is hole HOLE_IDX's - 1)
        super().__init__(gen, fn)
        if carried:
            self.mem_p, self.perm = fn.args[6:8]
            self.m = self.ctx0.m = Mem(self.b, self.mem_p, self.perm, lambda: self.page_slot)

    @property
    def rec(self):
        """The record's address: the argument, or (own_record) worked out where it is used,
        on the rare ways that need it, not at the copy's start."""
        return self.dc_record(-1) if self.own_record else self._rec

    @rec.setter
    def rec(self, value) -> None:
        self._rec = value

    def args(self, fs: V, back: V, count: V, rec) -> list:
        return [self.regs, self.env, fs.ir, back.ir, count.ir, rec, self.mem_p, self.perm]

    def _env_function(self, index: int, fnty: ir.FunctionType):
        b = self.b
        word = b.load(env_slot(b, self.env, S.ENV_HELPERS + index), typ=I64)
        return b.inttoptr(word, fnty.as_pointer())

    def callee(self, name: str):
        fnty = ARM_FN if name in ("slow", "nullified") else \
            ir.FunctionType(I64, [PTR, I32, I64] if name.startswith("store") else [PTR, I32, PTR])
        return self._env_function(len(HELPER_NAMES) + STENCIL_CALLS.index(name), fnty)

    def helper(self, name: str):
        return self._env_function(HELPER_INDEX[name], helper_type(name))

    def hole(self, i: int) -> V:
        b = self.b
        return V.of(b, b.trunc(b.ptrtoint(self.gen.holes[i], I64), I32))

    def hole64(self, i: int) -> V:
        """Hole ``i`` as a 64-bit value (a count or an index, below 2^31): its immediate is
        used as it is, with no move to widen a 32-bit one."""
        return V.of(self.b, self.b.ptrtoint(self.gen.holes[i], I64))

    def jump(self, i: int, count: V) -> None:
        """Go on in the copy a jump hole names (only ``count`` is live)."""
        undef32 = V(self.b, ir.Constant(I32, ir.Undefined), None, 32)
        self.tail(self.gen.jumps[i], undef32, undef32, count, ir.Constant(PTR, ir.Undefined))

    def field(self, j: int) -> V:
        """Field ``j``: a hole, and (used as a register number) its byte-offset hole."""
        v = self.hole(S.HOLE_FIELD + j)
        self.regs_at[id(v)] = (self.gen.holes[S.HOLE_REG + j], self.gen.holes[S.HOLE_REG_W + j])
        return v

    def context(self) -> "SCtx":
        return SCtx(self, self.f, self.back, self.count1, self.regs_at)

    def count_from_check(self) -> None:
        """In a chain the count (the argument) is the one at the chain's check: the copies
        in order pass it on as it came, and whatever leaves them (a way out, a trap, a
        helper, a delay slot's dispatch) adds the instructions counted since, which the
        builder patches in (hole HOLE_COUNTED).  So a copy counts nothing on its usual path.
        Measured against a count kept by each copy: bzip2 -9 cold 0.95-0.97x (chains only
        0.97-0.99x), bzip2 -d and bc pi-300 unchanged."""
        self.at_check = self.count_in
        self.count_in = self.count_in + self.hole64(S.HOLE_COUNTED)

    def stencil(self, variant, delay_slot: bool = False) -> None:
        """``delay_slot``: the copy that runs after a taken branch (the IAOQ back is the
        branch's target, an argument; its record is the one before hole HOLE_IDX's, not
        passed: a taken branch's copy computes nothing for it) and dispatches as an arm
        does; else the copy in the chain's order (back = front + 4)."""
        opname, consts = variant
        pc = self.hole(S.HOLE_PC)
        self.own_record = delay_slot
        self.count_from_check()
        self.f, self.count1 = pc, self.count_in + 1
        self.back = back = self.back_in if delay_slot else pc + 4
        self.regs_at = {}                  # id of a field's V -> its (read, write) offset holes
        b = self.b
        if delay_slot:
            # the branch may have nullified it (N, the front's bit 0: go_on): then it only
            # takes its slot, and the branch's target follows as it would after it
            skipped = []

            def run():
                ctx, nb = self.execute(opname, consts)
                return nb, ctx.n_next, ctx.dropped

            def nullified():
                skipped.append(b.block)
                return back + 4, V.const(0, 1), V.const(0, 1)
            nb, n, dropped = if_else(b, (self.fs & 1).ne(0), nullified, run)
        else:
            ctx, nb = self.execute(opname, consts)
        rare_to_arm = self.fn.append_basic_block("rare_to_arm")
        if delay_slot:
            self.link(nb, n, dropped)
            self.dispatch(self.back, nb, n, self.back.ne(self.f + 4), self.count1, dropped)
        else:
            # a conditional branch goes on in order when not taken (taken to front + 8,
            # it goes on right too, through the delay slot's copy)
            in_order = nb.eq(self.back + 4) if ctx.taken is None else ~ctx.taken
            self.go_on(nb, ctx.n_next, ctx.dropped, in_order)
        self.b.position_at_end(rare_to_arm)
        if delay_slot:
            self.own_arm(pc, back)
        else:
            # the arguments as they came (a conditional jump, no code of its own): the
            # copy of hppa_stencil_rare laid out apart makes the arm's
            self.tail(self.gen.jumps[S.JUMP_RARE], self.fs, self.back_in, self.at_check,
                      self.rec)
        if not rare_ways_to(self.fn, rare_to_arm, skipped if delay_slot else ()):
            self.fn.blocks.remove(rare_to_arm)

    def own_arm(self, pc: V, back: V) -> None:
        """Run the instruction at ``pc`` (its record: the one before hole HOLE_IDX's) in
        its own arm, from the start."""
        own = self.dc_record(-1)
        self.tail(self.gen.jumps[S.JUMP_OWN_ARM], pc, back, self.count_in, own)

    def dc_record(self, delta: int = 0):
        """The address of the record ``delta`` after the one at hole HOLE_IDX's index."""
        return self.b.gep(self.dc, [((self.hole64(S.HOLE_IDX) + delta) << 5).ir],
                          source_etype=I8)

    def link(self, nb: V, n: V, dropped: V) -> None:
        """A delay slot's copy whose branch went to where a chain starts (hole
        HOLE_LINK_PC: the branch's target when the builder found a chain there, this one
        in a loop) goes on at that chain's check, that entry counted as the interpreter's
        dispatch counts a branch target's (state.NATIVE_NEVER): unless a region is
        installed there, or the count reaches a power of two (a report), which the
        dispatch that follows handles.  Past CTL_LINK_CAP entries (and left to the
        interpreter) it goes on without a count: the dispatch has reported the cap."""
        b, fn = self.b, self.fn
        f, count = self.back, self.count1
        head = self.hole(S.HOLE_LINK_PC)
        ok = f.eq(head) & nb.eq(f + 4) & ~n & ~dropped & count.slt(0)
        look, link, other = (fn.append_basic_block(x) for x in ("head", "link", "other"))
        b.cbranch(ok.ir, look, other)
        b.position_at_end(look)
        native = self.ctx0.env_ptr(S.ENV_NATIVE)
        self.count_entry(b.gep(native, [self.hole64(S.HOLE_LINK_IDX).ir], source_etype=I64),
                         other, link, self.ctx0.ctl(S.CTL_LINK_CAP))
        b.position_at_end(link)
        self.jump(S.JUMP_LINK, count)
        b.position_at_end(other)

    def go_on(self, nb: V, n: V, dropped: V, in_order: V) -> None:
        """The stencil's dispatch: the next instruction is ``self.back`` (front + 4), with
        ``nb`` behind it, nullified if ``n``; ``in_order``: whether nb is front + 8."""
        b, fn = self.b, self.fn
        f, count = self.back, self.count1
        if dropped.known != 0:
            slow = fn.append_basic_block("to_slow")
            go = fn.append_basic_block("go")
            unlikely(b.cbranch(dropped.ir, slow, go))
            b.position_at_end(slow)
            self.tail(self.callee("slow"), f | n.zext(32), nb, count)
            b.position_at_end(go)
        if n.known != 0:
            skip, plain = fn.append_basic_block("skip"), fn.append_basic_block("plain")
            b.cbranch(n.ir, skip, plain)
            b.position_at_end(skip)
            # the next one only takes its slot: counted here, then the copy after it
            if in_order.known != 1:
                # a taken branch that nullifies its delay slot: on in the slot's piece all
                # the same, told so (N in the front's bit 0), not through its own arm and
                # the interpreter's loop (not a rare way: a forward b,n or cmpb,n)
                later = fn.append_basic_block("later")
                there = fn.append_basic_block("nullified")
                b.cbranch((~in_order).ir, there, later)
                b.position_at_end(there)
                self.record_after(f | 1, nb, count, self.gen.jumps[S.JUMP_TAKEN])
                b.position_at_end(later)
            self.jump(S.JUMP_SKIP, self.at_check)
            b.position_at_end(plain)
        if in_order.known == 1:
            self.jump(S.JUMP_NEXT, self.at_check)
            return
        seq, taken = fn.append_basic_block("in_order"), fn.append_basic_block("taken")
        b.cbranch(in_order.ir, seq, taken)
        b.position_at_end(seq)
        self.jump(S.JUMP_NEXT, self.at_check)
        b.position_at_end(taken)
        self.record_after(f, nb, count, self.gen.jumps[S.JUMP_TAKEN])

    def record_after(self, f: V, back: V, count: V, to=None) -> None:
        """Run the record at ``f`` (hole S.HOLE_IDX: its index) with ``back`` behind it: in
        ``to`` (the copy of its delay slot, with the count at the check: it knows its
        record, and a taken branch whose delay slot has no copy looks it up, taken_out),
        else as an arm's sequential dispatch would (at a page's start, through the page's
        slot)."""
        b, fn = self.b, self.fn
        if to is not None:
            self.tail(to, f, back, self.at_check, ir.Constant(PTR, ir.Undefined))
            return
        other, go = fn.append_basic_block("page_start"), fn.append_basic_block("record")
        unlikely(b.cbranch((f & 0xFFF).eq(0).ir, other, go))
        b.position_at_end(other)
        self.record_of(f, back, count)
        b.position_at_end(go)
        self.to_arm(self.dc_record(), f, back, count)

    def record_of(self, f: V, back: V, count: V) -> None:
        """Run the record of ``f``, found through its page's slot (the loop head's when the
        page has none: it fetches)."""
        b, fn = self.b, self.fn
        slot = V.of(b, b.load(b.gep(self.page_slot, [(f >> 12).zext(64).ir], source_etype=I32),
                              typ=I32))
        slow, found = fn.append_basic_block("no_slot"), fn.append_basic_block("slot")
        unlikely(b.cbranch(slot.slt(0).ir, slow, found))
        b.position_at_end(slow)
        self.tail(self.callee("slow"), f, back, count)
        b.position_at_end(found)
        at = (slot.zext(64) << 15) | ((f & 0xFFC).zext(64) << 3)
        self.to_arm(b.gep(self.dc, [at.ir], source_etype=I8), f, back, count)

    def guard(self) -> None:
        """A chain's entry, its first record's arm: with the IAOQ in order the check and
        the first copy (which assumes back = front + 4), else the arm the record had
        (hole JUMP_ARM)."""
        b, fn = self.b, self.fn
        go, arm = fn.append_basic_block("chain"), fn.append_basic_block("arm")
        unlikely(b.cbranch(self.back_in.ne(self.fs + 4).ir, arm, go))
        b.position_at_end(arm)
        self.tail(self.gen.jumps[S.JUMP_ARM], self.fs, self.back_in, self.count_in, self.rec)
        b.position_at_end(go)
        self.jump(S.JUMP_NEXT, self.count_in)

    def check(self) -> None:
        """Where a chain's first copy is entered (after the guard, from a loop's back
        edge, from another chain): with fewer than ``hppa_hole_run`` instructions left,
        the first record's arm; else the first copy."""
        b, fn = self.b, self.fn
        go, arm = fn.append_basic_block("chain"), fn.append_basic_block("arm")
        run = self.hole64(S.HOLE_RUN)
        unlikely(b.cbranch((self.count_in + run).sge(0).ir, arm, go))
        b.position_at_end(arm)
        # (the first copy's rare ways: the arguments as they came, to its first record's arm)
        self.tail(self.gen.jumps[S.JUMP_RARE], self.fs, self.back_in, self.count_in, self.rec)
        b.position_at_end(go)
        self.jump(S.JUMP_NEXT, self.count_in)

    def rare(self) -> None:
        """An in-order copy's rare ways (its instruction not run yet): its own arm."""
        self.count_from_check()
        pc = self.hole(S.HOLE_PC)
        self.own_arm(pc, pc + 4)

    def out(self) -> None:
        """After a chain's last copy: the next instruction (hole S.HOLE_PC), in order."""
        self.count_from_check()
        pc = self.hole(S.HOLE_PC)
        self.record_after(pc, pc + 4, self.count_in)

    def skip_out(self) -> None:
        """After a chain's last copy, which nullified the next instruction (hole S.HOLE_PC;
        maybe on the next page): that one as the interpreter skips it (counted there)."""
        self.count_from_check()
        pc = self.hole(S.HOLE_PC)
        self.tail(self.callee("nullified"), pc, pc + 4, self.count_in - 1)

    def taken_out(self) -> None:
        """A taken branch whose delay slot (``fs``, maybe on the next page) has no copy:
        its record, as an arm would; or, the branch nullified it (``fs``'s bit 0: go_on),
        the branch's target, as the dispatch after an arm, that slot counted."""
        self.count_from_check()
        b, fn = self.b, self.fn
        run, skipped = fn.append_basic_block("slot"), fn.append_basic_block("nullified_slot")
        b.cbranch((self.fs & 1).ne(0).ir, skipped, run)
        b.position_at_end(run)
        self.record_of(self.fs, self.back_in, self.count_in)
        b.position_at_end(skipped)
        target = self.back_in
        self.dispatch(target, target + 4, V.const(0, 1), target.ne((self.fs & 0xFFFFFFFE) + 4),
                      self.count_in + 1)

    def onward(self) -> None:
        """After a chain's last copy, where another chain starts: that one's check."""
        self.count_from_check()
        self.jump(S.JUMP_LINK, self.count_in)


PURE_OPS = {"add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl", "lshr", "ashr",
            "and", "or", "xor", "icmp", "fcmp", "select", "trunc", "zext", "sext", "bitcast",
            "ptrtoint", "inttoptr", "getelementptr", "load", "phi", "br", "alloca",
            "extractvalue", "insertvalue", "freeze"}
PURE_CALLS = ("llvm.bswap", "llvm.ctlz", "llvm.cttz", "llvm.ctpop", "llvm.fshl", "llvm.fshr",
              "llvm.umul.with", "llvm.smul.with", "llvm.uadd.with", "llvm.sadd.with",
              "llvm.usub.with", "llvm.ssub.with", "llvm.umin", "llvm.umax", "llvm.smin",
              "llvm.smax", "llvm.abs")


def _successors(block) -> list:
    term = block.instructions[-1] if block.instructions else None
    if isinstance(term, ir.instructions.ConditionalBranch):
        return [term.operands[1], term.operands[2]]
    if isinstance(term, ir.instructions.Branch):
        return [term.operands[0]]
    assert term is None or term.opname in ("ret", "unreachable"), term.opname
    return []


def _predecessors(blocks) -> dict[int, list]:
    """id(block) -> the blocks of ``blocks`` that branch to it."""
    preds = {}
    for blk in blocks:
        for succ in _successors(blk):
            preds.setdefault(id(succ), []).append(blk)
    return preds


def _pure(instr) -> bool:
    if instr.opname == "call":
        callee = instr.callee
        return isinstance(callee, ir.Function) and callee.name.startswith(PURE_CALLS)
    return instr.opname in PURE_OPS or (instr.opname.startswith("f") and
                                        instr.opname != "fence")


def _rare(branch) -> bool:
    """A branch marked unlikely (coregen.unlikely: taken rarely)."""
    prof = branch.metadata.get("prof") if isinstance(
        branch, ir.instructions.ConditionalBranch) else None
    return prof is not None and [op.constant for op in prof.operands[1:]] == [1, RARE]


def rare_ways_to(fn: ir.Function, target, not_run=()) -> int:
    """Send every rare way out of ``fn`` taken before the instruction has changed any
    state (no store or call yet on any way there: a misaligned or not permitted access,
    a trap) to ``target`` (which runs the instruction again, as the interpreter), and
    drop the blocks only they reached: a copy keeps its usual path and little else.
    Not on the ways through a block of ``not_run``, where the instruction is not to run
    at all (a nullified delay slot's).  Returns how many ways were sent."""
    blocks = [blk for blk in fn.blocks if blk is not target]
    preds = _predecessors(blocks)
    clean_out = {id(blk): True for blk in blocks}
    not_run = {id(blk) for blk in not_run}
    changed = True
    while changed:                   # all ways from the entry clean (a greatest fixpoint)
        changed = False
        for k, blk in enumerate(blocks):
            ok = (k == 0 or all(clean_out[id(p)] for p in preds.get(id(blk), ()))) and \
                all(_pure(i) for i in blk.instructions[:-1]) and id(blk) not in not_run
            if ok != clean_out[id(blk)]:
                clean_out[id(blk)], changed = ok, True
    sent = 0
    for blk in blocks:
        term = blk.instructions[-1]
        if clean_out[id(blk)] and _rare(term):
            term.operands[1] = target
            sent += 1
    if sent:                         # drop what is no longer reached, and its phi entries
        reached, todo = set(), [fn.blocks[0]]
        while todo:
            blk = todo.pop()
            if id(blk) not in reached:
                reached.add(id(blk))
                todo += _successors(blk)
        fn.blocks[:] = [blk for blk in fn.blocks if id(blk) in reached]
        preds = _predecessors(fn.blocks)
        for blk in fn.blocks:
            kept = {id(p) for p in preds.get(id(blk), ())}
            for instr in blk.instructions:
                if isinstance(instr, ir.instructions.PhiInstr):
                    instr.incomings = [(v, p) for v, p in instr.incomings if id(p) in kept]
    return sent


class StencilGen:
    """The stencil module: hppa_stencil_<variant> and hppa_stencil_ds_<variant> for each
    micro-op variant, hppa_stencil_z_<variant> and hppa_stencil_dz_<variant> for those with
    a no-condition field (made with it 0), and the guard and the ways out."""

    def __init__(self):
        self.module = m = ir.Module(name="hppa_stencils")
        m.triple = ""
        self.holes = []
        for name in VALUE_HOLES:
            g = ir.GlobalVariable(m, I8, name=name)
            g.linkage = "extern_weak"        # not assumed non-null: a field may be 0
            g.align = 1                      # nor aligned
            self.holes.append(g)
        self.jumps = {}
        for i, name in enumerate(JUMP_HOLES, S.JUMP_NEXT):
            fn = ir.Function(m, ARM_FN, name=name)
            fn.calling_convention = ARM_CC
            self.jumps[i] = fn
        for v, variant in enumerate(enc.VARIANTS, 1):
            StencilArm(self, self.new(f"hppa_stencil_{v}")).stencil(variant)
        for v, variant in enumerate(enc.VARIANTS, 1):
            StencilArm(self, self.new(f"hppa_stencil_ds_{v}")).stencil(variant, True)
        for v, j in enumerate(no_condition_fields()):
            if j >= 0:                   # (and its delay-slot copy's, both with that field 0)
                opname, consts = enc.VARIANTS[v - 1]
                zeroed = (opname, consts[:j] + (0,) + consts[j + 1:])
                StencilArm(self, self.new(f"hppa_stencil_z_{v}")).stencil(zeroed)
                StencilArm(self, self.new(f"hppa_stencil_dz_{v}")).stencil(zeroed, True)
        for name in S.CHAIN_FIXED:
            getattr(StencilArm(self, self.new(f"hppa_stencil_{name}"), name != "guard"), name)()

    def new(self, name: str) -> ir.Function:
        fn = ir.Function(self.module, ARM_FN, name=name)
        fn.calling_convention = ARM_CC
        fn.attributes.add("nounwind")
        set.add(fn.attributes, '"no-jump-tables"="true"')   # (a copy has no table)
        return fn


def no_condition_fields() -> list[int]:
    """Each variant's decoded field whose 0 means no condition (NO_CONDITION), else its
    nullify bit (a branch's n: 0 nullifies nothing), or -1 (index: the variant; 0 unused)."""
    out = [-1] * (len(enc.VARIANTS) + 1)
    nullify = {}
    for e in enc.TABLE:
        split = enc.split_field(e)
        for j, spec in enumerate(e.fields):
            if spec[0] not in NO_CONDITION and spec != enc.N1:
                continue
            for value in range(1 if split is None else enc.FIELD_VALUES[e.fields[split][0]]):
                v = enc.VARIANT[enc.variant_key(e, value)]
                if enc.VARIANTS[v - 1][1][j] is not None:
                    continue
                if spec == enc.N1:
                    nullify[v] = j
                else:
                    assert out[v] in (-1, j), (e, v)
                    out[v] = j
    return [nullify.get(v, -1) if j < 0 else j for v, j in enumerate(out)]


def target_fields() -> list[int]:
    """Each variant's displacement field + 1 when it is one of PC_RELATIVE_BRANCHES's,
    else 0."""
    out = [0] * (len(enc.VARIANTS) + 1)
    for e in enc.TABLE:
        if e.op not in PC_RELATIVE_BRANCHES:
            continue
        split = enc.split_field(e)
        j = next(j for j, spec in enumerate(e.fields) if spec[0] in ("w12", "w17"))
        for value in range(1 if split is None else enc.FIELD_VALUES[e.fields[split][0]]):
            out[enc.VARIANT[enc.variant_key(e, value)]] = j + 1
    return out


def kinds() -> list[int]:
    """How a chain goes on after each variant, and its no-condition field (index: the
    variant; 0 unused)."""
    out = [S.CHAIN_ENDS]
    for name, _ in enc.VARIANTS:
        out.append(S.CHAIN_AFTER_DELAY_SLOT if name in ALWAYS_BRANCHES else
                   S.CHAIN_ENDS if name in STOPS else S.CHAIN_GOES_ON)
    for v, j in enumerate(no_condition_fields()):
        out[v] |= (j + 1) << S.CHAIN_NO_CONDITION
    return out


# ---- the compiled stencils as a table (core.stencil_table keeps it beside the core) --------

R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_32, R_X86_64_32S = 2, 4, 10, 11
PC_RELATIVE = (R_X86_64_PC32, R_X86_64_PLT32)
SHF_EXECINSTR = 0x4        # (the rest of ELF's numbers: objcode's)
STT_SECTION = 3


def compile_table() -> dict:
    """Generate and compile the stencils; the table the builder reads (see table)."""
    native.init()
    target = llvm.Target.from_default_triple()
    tm = target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                      features=llvm.get_host_cpu_features().flatten(),
                                      opt=3, reloc="static", codemodel="small")
    # dso_local (which llvmlite does not write): a hole is addressed directly, as an
    # immediate or a displacement, not through a global offset table
    text = str(StencilGen().module).replace(" = extern_weak global ",
                                            " = extern_weak dso_local global ")
    return table(native.compile_ir(text, opt=3, speed_level=3, tm=tm))


def table(obj: bytes) -> dict:
    """The stencils of a compiled module as chainbuild.py reads them: "code" (the bodies
    end to end), "desc" (i32 x CHAIN_DESC_WORDS a stencil id), "patches" (i32 x
    CHAIN_PATCH_WORDS each), "kinds" (a byte a variant), "targets" (a byte a variant:
    target_fields), "data" (the read-only data the
    code addresses), "nv".  A stencil whose code refers to anything else (a C library
    function, another function, a relocation of another type) is left out (length 0):
    a chain stops before it."""
    cls, order, sections = elf_sections(obj)
    symbols = [(sym.name, sym.info & 15, sym.shndx, sym.value, sym.size)
               for sym in elf_symbols(obj, cls, order, sections)]
    data, data_at = bytearray(), {}          # every allocated section that is not code
    for i, (_n, kind, flags, _a, offset, size, _l, _i, align, _e) in enumerate(sections):
        if flags & objcode.SHF_ALLOC and not flags & SHF_EXECINSTR and size:
            data += bytes(-len(data) % max(align, 1))
            data_at[i] = len(data)
            data += bytes(size) if kind == objcode.SHT_NOBITS else obj[offset:offset + size]
    relocs: dict[int, list] = {}             # code section -> (offset, type, symbol, addend)
    for (_n, kind, _f, _a, offset, size, _l, target, _al, _e) in sections:
        if kind == objcode.SHT_RELA:
            for where, info, addend in objcode.RELA.iter_unpack(obj[offset:offset + size]):
                relocs.setdefault(target, []).append((where, info & 0xFFFFFFFF, info >> 32,
                                                      addend))
    bodies = {}
    for name, _typ, shndx, value, size in symbols:
        if not name.startswith("hppa_stencil_") or not size:
            continue
        offset = sections[shndx][4]
        plist = []
        for where, rtype, sym, addend in relocs.get(shndx, ()):
            if not value <= where < value + size:
                continue
            sname, styp, sshndx, svalue, _size = symbols[sym]
            if rtype not in PC_RELATIVE + (R_X86_64_32, R_X86_64_32S):
                plist = None
            elif sname in VALUE_HOLES:
                source = VALUE_HOLES.index(sname)
            elif sname in JUMP_HOLES:
                source = S.JUMP_NEXT + JUMP_HOLES.index(sname)
            elif sshndx in data_at:
                source = S.CHAIN_DATA_SOURCE
                addend += data_at[sshndx] + (0 if styp == STT_SECTION else svalue)
            else:
                plist = None
            if plist is None:
                break
            plist.append((where - value, source, addend, int(rtype in PC_RELATIVE)))
        if plist is not None:
            bodies[name] = (obj[offset + value:offset + value + size], plist)
    nv = len(enc.VARIANTS)
    ids = [f"hppa_stencil_{S.stencil_name(sid, nv)}"
           for sid in range(S.stencil_ids(nv))]
    code, desc, patches = bytearray(), [], []
    for name in ids:
        body, plist = bodies.get(name, (b"", []))
        # its last instruction the jump to the next copy: jmp rel32, the next one's hole
        trim = 5 if (len(body) >= 5 and body[-5] == 0xE9 and
                     (len(body) - 4, S.JUMP_NEXT, -4, 1) in plist) else 0
        desc += [len(code), len(body), len(patches) // S.CHAIN_PATCH_WORDS, len(plist), trim]
        code += body
        for p in plist:
            patches += p
    kind = kinds()
    for v in range(1, nv + 1):
        plist = bodies.get(f"hppa_stencil_{v}", (b"", []))[1]
        if any(source == S.JUMP_TAKEN for _o, source, _a, _r in plist):
            kind[v] |= S.CHAIN_HAS_TAKEN
        if any(source == S.JUMP_RARE for _o, source, _a, _r in plist):
            kind[v] |= S.CHAIN_HAS_RARE
    return {"code": bytes(code), "desc": struct.pack(f"<{len(desc)}i", *desc),
            "patches": struct.pack(f"<{len(patches)}i", *patches), "kinds": bytes(kind),
            "targets": bytes(target_fields()),
            "data": bytes(data), "nv": nv}
