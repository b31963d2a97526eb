"""PA-RISC rules in the core (conditions, nullification, carry/borrow, branches, delay slots,
loads/stores, faults) checked against values worked out by hand from the architecture."""
import pytest

from cpu_harness import CODE, DATA, Cpu
from hppa_user import state as S

M = 0xFFFFFFFF
SIGILL, SIGTRAP, SIGFPE, SIGBUS, SIGSEGV = 4, 5, 8, 10, 11


@pytest.fixture(scope="module")
def cpu():
    return Cpu()


def ends_at_break(cpu, n_insns):
    """The snippet ran to its trailing break: SIGTRAP at CODE + 4 * n_insns."""
    assert cpu.fault[0] == SIGTRAP
    assert cpu.pc == CODE + 4 * n_insns


def test_add_carry_chain(cpu):
    # 64-bit add: (1:0xffffffff) + (0:1) = (2:0)
    cpu.run("add %r4,%r6,%r8\n\taddc %r3,%r5,%r7", r3=1, r4=M, r5=0, r6=1)
    ends_at_break(cpu, 2)
    assert (cpu.r(7), cpu.r(8)) == (2, 0)


def test_sub_borrow_chain(cpu):
    # (2:0) - (0:1) = (1:0xffffffff): the low sub borrows (carry 0), subb takes it
    cpu.run("sub %r4,%r6,%r8\n\tsubb %r3,%r5,%r7", r3=2, r4=0, r5=0, r6=1)
    assert (cpu.r(7), cpu.r(8)) == (1, M)
    assert cpu.carry == 1          # 2 - 0 - 1 borrowed nothing


def test_addl_leaves_carry(cpu):
    cpu.run("add %r3,%r3,%r4\n\taddl %r5,%r5,%r6\n\taddc %r0,%r0,%r7", r3=0x80000000, r5=0x80000000)
    assert cpu.r(4) == 0 and cpu.r(6) == 0
    assert cpu.r(7) == 1           # carry from the add, untouched by addl


@pytest.mark.parametrize("cond,a,b,nullified", [
    ("=", 5, 5, True), ("=", 5, 6, False), ("<>", 5, 6, True),
    ("<", -1, 0, True), ("<", 0, -1, False), (">=", 0, -1, True),
    ("<<", 0, -1, True), ("<<", -1, 0, False), (">>", -1, 0, True),
    ("<=", 7, 7, True), (">", 7, 7, False), ("<<=", 3, 3, True), ("<<=", 4, 3, False),
    ("sv", 0x80000000, 1, True), ("nsv", 0x80000000, 1, False), ("od", 9, 2, True), ("ev", 9, 2, False),
])
def test_comclr_conditions(cpu, cond, a, b, nullified):
    # comclr,cond a,b,r0 nullifies the ldi when (a - b) satisfies cond
    cpu.run(f"comclr,{cond} %r3,%r4,%r0\n\tldi 1,%r5", r3=a, r4=b, r5=0)
    assert cpu.r(5) == (0 if nullified else 1)


@pytest.mark.parametrize("cond,a,b,nullified", [
    ("=", 1, M, True), ("nuv", 1, 2, True), ("nuv", 1, M, False), ("uv", 1, M, True),
    ("<", 0x7FFFFFFF, 1, False), ("sv", 0x7FFFFFFF, 1, True), ("od", 1, 2, True),
    ("znv", 1, M, True), ("vnz", 2, M, True),
])
def test_add_conditions(cpu, cond, a, b, nullified):
    cpu.run(f"add,{cond} %r3,%r4,%r6\n\tldi 1,%r5", r3=a, r4=b, r5=0)
    assert cpu.r(6) == (a + b) & M
    assert cpu.r(5) == (0 if nullified else 1)


@pytest.mark.parametrize("cond,v,nullified", [
    ("=", 0, True), ("<>", 3, True), ("<", 0x80000000, True), (">=", 0x80000000, False),
    ("od", 3, True), ("ev", 3, False), ("<=", 0, True), (">", 1, True),
])
def test_logical_conditions(cpu, cond, v, nullified):
    cpu.run(f"or,{cond} %r3,%r0,%r4\n\tldi 1,%r5", r3=v, r5=0)
    assert cpu.r(4) == v
    assert cpu.r(5) == (0 if nullified else 1)


def test_extract_deposit_shift(cpu):
    cpu.run("extrw,u %r3,23,8,%r4\n\textrw,s %r3,23,8,%r5\n\tdepw %r6,15,8,%r7\n\t"
            "depwi,z -1,31,4,%r8\n\tshrpw %r3,%r6,8,%r9\n\tzdep %r6,27,28,%r10",
            r3=0x1234F678, r6=0xAB, r7=0xFFFFFFFF)
    assert cpu.r(4) == 0xF6
    assert cpu.r(5) == 0xFFFFFFF6
    assert cpu.r(7) == 0xFFABFFFF
    assert cpu.r(8) == 0xF
    assert cpu.r(9) == 0x78000000                 # low word of (r3:r6) >> 8
    assert cpu.r(10) == 0xAB0


def test_variable_shift_uses_sar(cpu):
    cpu.run("mtsar %r4\n\tvshd %r3,%r0,%r5\n\tvextru %r3,4,%r6", r3=0x80000001, r4=4)
    assert cpu.r(5) == 0x10000000                 # low word of (r3:0) >> 4
    assert cpu.r(6) == 0x0          # bits 1..4 (big-endian) of 0x80000001


def test_unconditional_branch_delay_slot_runs(cpu):
    cpu.run("b .+12\n\tldi 1,%r3\n\tldi 2,%r4\n\tldi 3,%r5", r3=0, r4=0, r5=0)
    assert (cpu.r(3), cpu.r(4), cpu.r(5)) == (1, 0, 3)


def test_branch_nullify_skips_delay_slot(cpu):
    cpu.run("b,n .+12\n\tldi 1,%r3\n\tldi 2,%r4\n\tldi 3,%r5", r3=0, r4=0, r5=0)
    assert (cpu.r(3), cpu.r(4), cpu.r(5)) == (0, 0, 3)


def test_conditional_branch_nullification_forward_taken(cpu):
    # forward taken with ,n: delay slot nullified
    cpu.run("comb,=,n %r3,%r3,.+12\n\tldi 1,%r4\n\tldi 2,%r5\n\tldi 3,%r6", r4=0, r5=0, r6=0)
    assert (cpu.r(4), cpu.r(5), cpu.r(6)) == (0, 0, 3)


def test_conditional_branch_nullification_forward_not_taken(cpu):
    # forward not taken with ,n: delay slot executes
    cpu.run("comb,<>,n %r3,%r3,.+12\n\tldi 1,%r4\n\tldi 2,%r5\n\tldi 3,%r6", r4=0, r5=0, r6=0)
    assert (cpu.r(4), cpu.r(5), cpu.r(6)) == (1, 2, 3)


def test_backward_loop_addib(cpu):
    # count r3 down from 5; the delay slot runs on every taken iteration (backward taken)
    cpu.run("ldi 5,%r3\n\tldi 0,%r4\n1:\taddib,<> -1,%r3,1b\n\taddi 1,%r4,%r4", r3=0, r4=0)
    assert cpu.r(3) == 0 and cpu.r(4) == 5


def test_backward_not_taken_nullifies(cpu):
    # backward branch with ,n that falls through: the following instruction is nullified
    cpu.run("ldi 1,%r3\n1:\taddib,<>,n -1,%r3,1b\n\tldi 7,%r4\n\tldi 9,%r5", r3=0, r4=0, r5=0)
    assert cpu.r(4) == 0 and cpu.r(5) == 9


def test_bl_link_and_bv_return(cpu):
    # bl sets rp = return address | 3 (privilege 3); bv r0(rp) returns past the delay slot
    cpu.run("bl 1f,%r2\n\tnop\n\tb,n 2f\n1:\tbv %r0(%r2)\n\tldi 4,%r6\n2:\tldi 5,%r7", r6=0, r7=0)
    assert cpu.r(2) == (CODE + 8) | 3
    assert cpu.r(6) == 4 and cpu.r(7) == 5


def test_branch_in_delay_slot(cpu):
    # a branch in the delay slot of a taken branch: one instruction at the first target runs,
    # then control goes to the second target (IAOQ back was already the second target)
    cpu.run("b .+16\n\tb .+24\n\tldi 1,%r3\n\tldi 2,%r4\n\tldi 3,%r5\n\tldi 4,%r6\n\tldi 5,%r7\n\tldi 6,%r8",
            r3=0, r4=0, r5=0, r6=0, r7=0, r8=0)
    # executes: b, b, [ldi 3 at +16], then +28: ldi 6 at +28? (+4 + 24 = +28)
    assert (cpu.r(3), cpu.r(4), cpu.r(5), cpu.r(6), cpu.r(7), cpu.r(8)) == (0, 0, 3, 0, 0, 6)


def test_loads_stores_and_modify(cpu):
    cpu.run("stw %r3,0(%r10)\n\tstwm %r4,8(%r10)\n\tldw -8(%r10),%r5\n\tldh 0(%r11),%r6\n\tldb 1(%r11),%r7\n\t"
            "ldw,mb 4(%r11),%r8\n\tsth %r3,2(%r12)\n\tldw 0(%r12),%r9",
            r3=0x11223344, r4=0x55667788, r10=DATA, r11=DATA, r12=DATA + 0x100)
    assert cpu.r(10) == DATA + 8                  # stwm with positive disp: modify after
    assert cpu.r(5) == 0x55667788
    assert cpu.r(6) == 0x5566 and cpu.r(7) == 0x66
    assert cpu.r(11) == DATA + 4 and cpu.r(8) == 0
    assert cpu.r(9) == 0x3344


def test_indexed_scaled_load(cpu):
    cpu.run("stw %r3,12(%r10)\n\tldwx,s %r4(%r10),%r5", r3=0xCAFE, r4=3, r10=DATA + 0x200)
    assert cpu.r(5) == 0xCAFE


def test_misaligned_load_is_emulated(cpu):
    # Linux emulates unaligned user accesses (arch/parisc/kernel/unaligned.c)
    cpu.mem.write(DATA, bytes(range(0x10, 0x20)))
    cpu.run("ldw 2(%r10),%r3\n\tldh 5(%r10),%r4", r10=DATA)
    ends_at_break(cpu, 2)
    assert cpu.r(3) == 0x12131415 and cpu.r(4) == 0x1516


def test_misaligned_load_is_sigbus_after_pr_set_unalign(cpu):
    cpu.ctl[S.CTL_UNALIGN] = 2                     # PR_UNALIGN_SIGBUS
    try:
        cpu.run("ldw 2(%r10),%r3", r10=DATA)
    finally:
        cpu.ctl[S.CTL_UNALIGN] = 0
    assert cpu.fault == (SIGBUS, 1, DATA + 2)      # BUS_ADRALN at the address
    assert cpu.pc == CODE


def test_unmapped_store_is_sigsegv(cpu):
    cpu.run("stw %r3,0(%r10)", r10=0x900000)
    assert cpu.fault == (SIGSEGV, 1, 0x900000)    # SEGV_MAPERR


def test_store_to_code_is_accerr(cpu):
    cpu.run("stw %r3,0(%r10)", r10=CODE)
    assert cpu.fault == (SIGSEGV, 2, CODE)        # SEGV_ACCERR: mapped read/execute only


def test_page_zero_data_access_faults(cpu):
    cpu.run("ldw 0x100(%r0),%r3")
    assert cpu.fault[0] == SIGSEGV


def test_overflow_trap(cpu):
    cpu.run("addo %r3,%r3,%r4", r3=0x40000000, r4=7)
    assert cpu.fault == (SIGFPE, 2, CODE | 3) and cpu.r(4) == 7   # FPE_INTOVF at iaoq[0]; target untouched


def test_privileged_instruction_sigill(cpu):
    cpu.run("iitlbp %r0,(%sr0,%r0)")
    assert cpu.fault == (SIGILL, 5, CODE | 3)     # ILL_PRVOPC at iaoq[0] (privilege 3), glibc's abort


def test_gateway_set_thread_pointer(cpu):
    # ble 0xe0(%sr2,%r0) with copy in the delay slot: cr27 = r26, back to r31
    cpu.run("ble 0xe0(%sr2,%r0)\n\tcopy %r3,%r26\n\tldi 7,%r4", r3=0x1234, r4=0)
    assert cpu.cr[27] == 0x1234 and cpu.r(4) == 7


def test_gateway_syscall_stops(cpu):
    cpu.run("ble 0x100(%sr2,%r0)\n\tldi 20,%r20")
    assert cpu.ctl[S.CTL_IAOQF] == 0x100 and cpu.r(20) == 20
    assert cpu.r(31) == (CODE + 8) | 3


def test_syscall_return_and_run_is_the_kernels_return_then_run(cpu):
    # Cpu.return_and_run (hppa_sysret, native) against CpuContext.syscall_return and
    # Cpu.run (Python): the same registers after a syscall that returns to a second one,
    # for results that need the 32-bit truncation and for a return address with its
    # privilege bits set.  And once CTL_TICK_DUE has passed: the return made, nothing run.
    src = "ble 0x100(%sr2,%r0)\n\tldi 20,%r20\n\tcopy %r28,%r5\n\tble 0x100(%sr2,%r0)\n\tldi 21,%r20"
    for value in (0, 42, -38, 0x7FFFFFFF, -1):
        states = []
        for native in (False, True):
            assert cpu.run(src, r5=0) == S.ST_SYSCALL
            cpu.ctx.psw_n = 1                      # a stale N, which the return clears
            cpu.ctl[S.CTL_TICK_DUE] = (1 << 63) - 1
            before = cpu.ctx.insns
            if native:
                st = cpu.cpu.return_and_run(value, 10_000)
            else:
                cpu.ctx.syscall_return(value)
                st = cpu.cpu.run(10_000)
            assert st == S.ST_SYSCALL and cpu.r(20) == 21
            states.append((cpu.r(5), cpu.r(28), cpu.r(31), cpu.ctx.insns - before,
                           cpu.ctl[S.CTL_IAOQF]))
        assert states[0] == states[1] and states[0][0] == value & M
    assert cpu.run(src, r5=0) == S.ST_SYSCALL
    insns = cpu.ctx.insns
    cpu.ctl[S.CTL_TICK_DUE] = 0
    assert cpu.cpu.return_and_run(-38, 10_000) == S.ST_TICK
    assert (cpu.r(28), cpu.ctx.insns) == (-38 & M, insns)
    assert (cpu.ctl[S.CTL_IAOQF], cpu.ctl[S.CTL_IAOQB], cpu.ctx.psw_n) == (CODE + 8, CODE + 12, 0)


def test_lws_cas(cpu):
    cpu.mem.write_u32(DATA + 0x40, 5)
    cpu.run("ble 0xb0(%sr2,%r0)\n\tldi 0,%r20", r26=DATA + 0x40, r25=5, r24=9)
    assert cpu.r(28) == 5 and cpu.r(21) == 0 and cpu.mem.read_u32(DATA + 0x40) == 9
    cpu.run("ble 0xb0(%sr2,%r0)\n\tldi 0,%r20", r26=DATA + 0x40, r25=5, r24=11)
    assert cpu.r(28) == 9 and cpu.mem.read_u32(DATA + 0x40) == 9     # no swap: old != 5
    cpu.run("ble 0xb0(%sr2,%r0)\n\tldi 0,%r20", r26=0x900000, r25=5, r24=11)
    assert cpu.r(21) == (-14) & M                                      # EFAULT
    cpu.run("ble 0xb0(%sr2,%r0)\n\tldi 7,%r20")
    assert cpu.r(21) == (-251) & M                                     # ENOSYS


def test_self_modifying_store_invalidates_decoded_code(cpu):
    # the snippet overwrites an instruction it will execute later in the same page
    cpu.mem.protect(CODE, 0x1000, 7)
    try:
        cpu.run("stw %r3,16(%r10)\n\tnop\n\tnop\n\tnop\n\tldi 1,%r4", r3=0x34040004, r10=CODE, r4=0)
        # 0x34040004 is ldi 2,%r4
        assert cpu.r(4) == 2
    finally:
        cpu.mem.protect(CODE, 0x1000, 5)


@pytest.mark.parametrize("store,r3", [
    ("stw %r3,4(%r10)", 0x34040004),             # the next word: ldi 2,%r4
    ("sth %r3,6(%r10)", 0x0004),                 # its lower half: ldi 1 (0x34040002) -> ldi 2
    ("stby,e %r3,4(%r10)", 0),                   # stores no byte: ldi 1 stays
    ("stby,b %r3,7(%r10)", 0x34040004),          # its last byte: ldi 1 -> ldi 2
])
def test_store_into_the_next_instruction(cpu, store, r3):
    """An arm that stores goes on at the next record of its page unless the store
    dropped decoded code: the instruction right after a store into it, decoded on an
    earlier pass, runs as stored."""
    cpu.mem.protect(CODE, 0x1000, 7)
    try:
        cpu.run("\tb next\n\tnop\n"
                f"again:\t{store}\n"                 # CODE + 8, into CODE + 12 ...
                "next:\tldi 1,%r4\n"                  # ... run (decoded) before the store
                "\taddib,<> -1,%r5,again\n\tnop", r3=r3, r10=CODE + 8, r4=0, r5=2)
        assert cpu.r(4) == (1 if store.startswith("stby,e") else 2) and cpu.r(5) == 0
    finally:
        cpu.mem.protect(CODE, 0x1000, 5)


def test_store_in_a_delay_slot_into_the_branch_target(cpu):
    """A taken branch to its own page goes on at the target's record found from the
    delay slot's, unless the delay slot dropped decoded code: a target decoded on an
    earlier pass, overwritten by the delay slot, runs as stored."""
    cpu.mem.protect(CODE, 0x1000, 7)
    try:
        cpu.run("\tb tgt\n\tnop\n"
                "tgt:\tldi 1,%r4\n"                   # CODE + 8, run (decoded) first
                "\taddib,= -1,%r5,done\n\tnop\n"
                "\tb tgt\n"
                "\tstw %r3,0(%r9)\n"                 # the delay slot, into tgt
                "done:\tnop", r3=0x34040004, r9=CODE + 8, r4=0, r5=2)
        assert cpu.r(4) == 2 and cpu.r(5) == 0         # ldi 2,%r4
    finally:
        cpu.mem.protect(CODE, 0x1000, 5)


@pytest.mark.parametrize("insn,base_off,word,new_base_off", [
    # without ,m the bytes go to GR[b] + d (k = its byte offset): ,b stores bytes k..3
    ("stby,b %r3,1(%r10)", 0, 0xAA223344, 0),
    ("stby,e %r3,3(%r10)", 0, 0x112233AA, 0),
    # ,m post-modifies: the bytes go to GR[b] itself, then GR[b] <- (GR[b] + d) & ~3
    ("stby,b,m %r3,4(%r10)", 0, 0x11223344, 4),      # HP bcopy: stbys,b,m t1,4(dst)
    ("stby,b,m %r3,4(%r10)", 2, 0xAAAA3344, 4),      # (DATA+2+4) & ~3 = DATA+4
    ("stby,e,m %r3,7(%r10)", 1, 0x11AAAAAA, 8),      # k = 1 at DATA+1; base (DATA+8) & ~3
])
def test_stby_begin_end_and_post_modify(cpu, insn, base_off, word, new_base_off):
    # regression: ,m used to store at GR[b] + d (qemu-hppa and HP's millicode store at GR[b])
    cpu.mem.write_u32(DATA + 0x300, 0xAAAAAAAA)
    cpu.mem.write_u32(DATA + 0x304, 0xAAAAAAAA)
    cpu.run(insn, r3=0x11223344, r10=DATA + 0x300 + base_off)
    assert cpu.mem.read_u32(DATA + 0x300) == word
    assert cpu.mem.read_u32(DATA + 0x304) == 0xAAAAAAAA
    assert cpu.r(10) == DATA + 0x300 + new_base_off
