"""Layout of the CPU state shared by the native core (coregen.py), compiled regions and Python.

All registers live in one int64 array ``regs``: ``gr`` [32], ``fr`` [32] (raw IEEE bits;
single halves are the high (left) and low (right) words), ``sr`` [8], ``cr`` [32] and
``ctl`` below; Python works on numpy views of it, native code on its address.  A GR's
slot holds its 32-bit value zero-extended: compiled regions read and write only its low
word (the host is little-endian: regiongen.state_type).  The native code finds every
array through the *environment block* ``env`` (int64, ENV_* below).
"""
REGS_GR = slice(0, 32)
REGS_FR = slice(32, 64)
REGS_SR = slice(64, 72)
REGS_CR = slice(72, 104)
REGS_CTL = 104
CTL_IAOQF = 0        # IA offset queue front: the instruction executing next
CTL_IAOQB = 1        # IA offset queue back: the one after it (differs after a branch)
CTL_PSWN = 2         # PSW[N]: nullify the instruction at the front
CTL_CB = 3           # PSW[C/B] as a carry vector: bit i = carry into bit i of the last add
CTL_PSWV = 4         # PSW[V], used only by the divide step
CTL_INSNS = 5        # instructions executed (nullified ones included)
CTL_NEXT_SLOT = 6    # next free decode-cache slot
CTL_TRAP = 7         # on ST_FAULT: the interruption number (traps.py), its detail word,
CTL_TRAP_DETAIL = 8  # and the address (IOR of a data access, else the instruction's IAOQ)
CTL_TRAP_ADDR = 9
CTL_NSLOTS = 10      # decode-cache capacity in pages
CTL_CLOCK_MODE = 11  # 0: cr16 from the host monotonic clock; 1: from the instruction count
CTL_CR16_BIAS = 12   # added to the instruction count when it is cr16's source
CTL_JIT_THRESHOLD = 13  # entries of a branch target before it is compiled (0: never)
CTL_JIT_ENTRY = 14   # on ST_JIT: the address to compile
CTL_UNALIGN = 15     # prctl(PR_SET_UNALIGN) flags: PR_UNALIGN_SIGBUS (2) sends SIGBUS
CTL_LWS = 16         # CTL_LWS + op: light-weight syscalls by op (0-4; 5 counts bad ops)
CTL_LWS_EFAULT = 22  # the errno values the gateway page's LWS code returns (set by the
CTL_LWS_ENOSYS = 23  # kernel: the gateway page is kernel code)
CTL_JIT_HOT = 24     # entries from which a branch target is reported at every power of two
CTL_JIT_FROM = 25    # ... once this many instructions have run (its first report comes anyway)
# where a chain's copy writes a register field that is 0, never read.  Measured, against
# storing regs[0] back to zero after each copy that writes a register: bzip2 -9 with chains
# only 0.94x, cold 0.95x; bzip2 -d 0.99x.
CTL_SINK = 26
# the host CLOCK_MONOTONIC ns from which the kernel's tick has work (timekeeping.py's due
# time, kept only here): hppa_sysret, a syscall's return, stops with ST_TICK from then on
CTL_TICK_DUE = 27
# entries past which a chain's link to another chain stops counting them (jit.LINK_CAP):
# reported when the count reaches it, then the link goes on without a count
CTL_LINK_CAP = 28
CTL_SIZE = 29
REGS_SIZE = REGS_CTL + CTL_SIZE

# hooks array (int64, HOOK_FIELDS per hook): instruction addresses whose execution is
# counted (vDSO entry points under --stats); the decoder marks their records, so an empty
# array costs nothing
HOOK_ADDR = 0
HOOK_ARM = 1         # the arm of the hooked record (its first word: DC_FIELDS)
HOOK_COUNT = 2
HOOK_FIELDS = 3
MAX_HOOKS = 512

# run() status codes
ST_BUDGET = 0        # the instruction budget ran out (a chance to tick timers and signals)
ST_SYSCALL = 1       # IAOQ front reached gateway offset 0x100
ST_FAULT = 2         # an interruption: CTL_TRAP* say which (traps.py)
ST_CACHE_FULL = 3    # no free decode-cache slot: flush and re-enter
ST_JIT = 4           # a branch target became hot: compile CTL_JIT_ENTRY (jit.py) and re-enter
ST_TICK = 5          # hppa_sysret: the syscall has returned, the kernel's tick is due (none run)

# A compiled region returns one word (regiongen.Emitter.exit_block, read by the core's
# call): the IAOQ front in bits 0-31 -- a word address, so its low two bits carry these
# two flags -- and the IAOQ back in bits 32-63.
RET_NULLIFY = 1      # PSW[N]: the front is nullified
RET_INTERPRET = 2    # the interpreter must run the instruction at the front itself (else it
                     # may dispatch the front again: a control transfer)

SLOT_WORDS = 1024    # decoded records per 4 KiB page
# A record's first word is the address of the interpreter's arm that runs it (the core is
# mapped below 2 GiB: core.CORE_AT), then 7 operand fields.  Not decoded yet: the re-fetch
# arm's; counted (a hook): the hooked arm's; a breakpoint: the breakpoint arm's, which stops
# as an illegal instruction (core.Library has the first and the last).
DC_FIELDS = 8
# native table (int64[slots * SLOT_WORDS], indexed like the decode cache): > 0 the address
# of the compiled region entered there (jit.py), <= 0 minus the number of entries so far;
# NATIVE_NEVER marks an entry left to the interpreter (or being compiled): the core goes on
# counting entries down from there, so anything at or below NATIVE_NEVER // 2 carries it
NATIVE_NEVER = -(1 << 40)

# environment block (int64 array): where native code finds everything
ENV_REGS = 0         # address of regs
ENV_MEM = 1          # guest memory (4 GiB)
ENV_PERM = 2         # page permissions (uint8 per page)
ENV_PAGE_SLOT = 3    # page -> decode-cache slot (int32)
ENV_DC = 4           # decode cache (int32 records)
ENV_NATIVE = 5       # native table (int64)
ENV_SLOT_PAGE = 6    # decode-cache slot -> the page it was given to (int32; see Cpu.code_slots)
ENV_HOOKS = 8        # hooks array
ENV_NHOOKS = 9
ENV_BUDGET = 10      # instructions to run in this core entry
ENV_CLOCK = 11       # host clock_gettime()
ENV_LIMIT = 12       # the instruction count at which this core entry stops
ENV_TSC_ON = 13      # 1: cr16 extrapolated from an invariant TSC (coregen.build_host_ns)
ENV_SYSRET = 14      # hppa_sysret: the syscall's result, for r28
ENV_TSC_BASE = 16    # TSC and CLOCK_MONOTONIC at the first reading (the rate's baseline)
ENV_NS_BASE = 17
ENV_TSC_ANCHOR = 18  # ... and at the latest reading (TSC_FAR past it while no rate: tsc_estimate)
ENV_NS_ANCHOR = 19
ENV_TSC_RATE = 20    # ns per TSC tick in 2^-32 units (coregen.TSC_RATE_SHIFT; 0 until measured)
ENV_NS_LAST = 21     # the last time returned
TSC_REANCHOR = 1 << 21   # ticks between host clock readings (~1 ms at 2-3 GHz)
TSC_BRACKET = 1 << 13    # the most ticks around a host clock reading taken as an anchor (~3 us)
TSC_FAR = 1 << 63        # ENV_TSC_ANCHOR's distance from the TSC while there is no rate
ENV_HELPERS = 24     # addresses of the shared helper functions (coregen.HELPER_INDEX order)

# ---- the template tier (chains.py; stencilgen.py writes the stencils, chainbuild.py the
# native builder) --------------------------------------------------------------------------
# A copy's patch sources: value holes (the instruction's address, its record's 7 fields,
# the same times 8: a register number as a displacement into regs, the same for a write
# (CTL_SINK's for field 0: no copy stores regs[0] back to zero after it), the index of the
# record a copy dispatches to, a taken branch's target and its record when a chain starts
# there, the most instructions a chain runs from its check, the instructions counted
# from the check to where the piece starts, and a PC-relative branch's target), jump holes (the next
# copy, the copy after it, the arm of the chain's first record, a branch's delay-slot
# copy, the check of the chain at a taken branch's target,
# the copied instruction's own arm, and a copy's rare ways: the piece that goes there),
# and the stencil table's read-only data.
HOLE_PC, HOLE_FIELD, HOLE_REG, HOLE_REG_W, HOLE_IDX, HOLE_LINK_PC, HOLE_LINK_IDX, HOLE_RUN, \
    HOLE_COUNTED, HOLE_TARGET = 0, 1, 8, 15, 22, 23, 24, 25, 26, 27
JUMP_NEXT, JUMP_SKIP, JUMP_ARM, JUMP_TAKEN, JUMP_LINK, JUMP_OWN_ARM, JUMP_RARE = range(28, 35)
CHAIN_DATA_SOURCE = 35
CHAIN_SOURCES = 36
CHAIN_MAX = 64            # instructions in one chain
CHAIN_MAX_PIECES = 3 * CHAIN_MAX + 5
# a variant's kind byte: how a chain goes on after it, and whether it may branch
CHAIN_KIND_MASK = 3
CHAIN_GOES_ON, CHAIN_AFTER_DELAY_SLOT, CHAIN_ENDS = 0, 1, 2
CHAIN_HAS_TAKEN = 4       # (its stencil has a jump to its delay slot's copy)
CHAIN_HAS_RARE = 8        # (its stencil has rare ways: JUMP_RARE)
CHAIN_NO_CONDITION = 4    # (bits 4-7: 1 + the field whose 0 means no condition, or 0)
# the stencils of a chain's own pieces (StencilArm's methods of these names): the guard,
# the way out, the taken branch's way out when its delay slot has no copy, the way out
# past a nullified instruction, the check, a copy's rare ways, and the way on into the
# check of the chain this one runs into
CHAIN_FIXED = ("guard", "out", "taken_out", "skip_out", "check", "rare", "onward")
# the table: a stencil's descriptor (i32 words; stencil ids: variant v, its delay-slot
# copy NV + v, CHAIN_FIXED's from 2 NV + 1 on, variant v's with its no-condition field 0
# 2 NV + len(CHAIN_FIXED) + v, and its delay-slot copy 3 NV + len(CHAIN_FIXED) + v;
# CHAIN_DESC_TRIM: the bytes of its last instruction when that is the jump to the next
# copy, else 0)
CHAIN_DESC_WORDS = 5
CHAIN_DESC_CODE, CHAIN_DESC_LEN, CHAIN_DESC_PATCHES, CHAIN_DESC_NPATCHES, \
    CHAIN_DESC_TRIM = range(5)
CHAIN_PATCH_WORDS = 4
PATCH_OFFSET, PATCH_SOURCE, PATCH_ADDEND, PATCH_RELATIVE = 0, 1, 2, 3


def stencil_name(sid: int, nv: int) -> str:
    """Stencil id ``sid``'s name in the table's layout (above: ``nv`` variants): "<v>", "ds_<v>", a
    CHAIN_FIXED name, "z_<v>" or "dz_<v>" (its function: hppa_stencil_<name>)."""
    fixed = len(CHAIN_FIXED)
    if sid > 3 * nv + fixed:
        return f"dz_{sid - 3 * nv - fixed}"
    if sid > 2 * nv + fixed:
        return f"z_{sid - 2 * nv - fixed}"
    if sid > 2 * nv:
        return CHAIN_FIXED[sid - 2 * nv - 1]
    return f"ds_{sid - nv}" if sid > nv else str(sid)


def stencil_ids(nv: int) -> int:
    """How many stencil ids the table's layout has (``nv`` variants; id 0 is none)."""
    return 4 * nv + len(CHAIN_FIXED) + 1


# the builder's pieces (i32 words each; in the chain's order: the guard, the check, a
# copy an instruction, the two ways out, the delay-slot copies, the copies' rare ways)
# (a delay slot's: PIECE_LINK_PC, its branch's target when a chain starts there, else 1;
# PIECE_LINK_IDX, its record; PIECE_LINK, that chain's check, 0: this one's;
# PIECE_COUNTED: HOLE_COUNTED's value)
CHAIN_PIECE_WORDS = 14
PIECE_SID, PIECE_PC, PIECE_REC, PIECE_ITEM, PIECE_NEXT, PIECE_SKIP, PIECE_TAKEN, \
    PIECE_OFFSET, PIECE_LEN, PIECE_RARE, PIECE_LINK_PC, PIECE_LINK_IDX, PIECE_LINK, \
    PIECE_COUNTED = range(14)
# the builder's job (i64 words)
# (CHAIN_JOB_DATA: the arena's start, where the stencils' data is; CHAIN_JOB_ARENA_END;
# CHAIN_JOB_TARGETS: the table's "targets";
# CHAIN_JOB_UNLINKED: i32 pairs, the target and the piece of each delay slot's copy whose
# branch goes to its page with no chain there yet;
# out: CHAIN_JOB_N, the instructions copied, CHAIN_JOB_LINK, the first copy of the
# chain this one goes on in, or 0, CHAIN_JOB_NUNLINKED, the pairs written, and
# CHAIN_JOB_CHECK, this chain's check)
CHAIN_JOB_ENV, CHAIN_JOB_ENTRY, CHAIN_JOB_FIRST, CHAIN_JOB_END, CHAIN_JOB_DST, \
    CHAIN_JOB_ROOM, CHAIN_JOB_CODE, CHAIN_JOB_DESC, CHAIN_JOB_PATCHES, CHAIN_JOB_KINDS, \
    CHAIN_JOB_DATA, CHAIN_JOB_NV, CHAIN_JOB_ITEMS, CHAIN_JOB_PIECES, CHAIN_JOB_N, \
    CHAIN_JOB_ARENA_END, CHAIN_JOB_LINK, CHAIN_JOB_TARGETS, CHAIN_JOB_UNLINKED, \
    CHAIN_JOB_NUNLINKED, CHAIN_JOB_CHECK = range(21)
CHAIN_JOB_WORDS = 21
