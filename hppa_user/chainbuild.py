"""The template tier's builder, native: ``i64 hppa_chain_build(ptr job)`` (chains.py).

Python would take ~5 us an instruction to lay a chain out and patch its copies (a short
program builds ~1500 of them); this takes ~0.1 us.  It runs in the core, which it is
generated into (coregen.CoreGen), and works from the stencil table laid out by chains.py
(state.CHAIN_* names the job's words and the table's shape):

  1. the walk: from the first record on, each record decoded so far (not the re-fetch,
     hooked or breakpoint arm's) is decoded again from guest memory (hppa_decode) into the
     job's items, until a variant with no stencil, one after which the chain ends
     (CHAIN_KIND_*), MAX_CHAIN instructions, the job's end, or another chain's first
     record (its word in the arena): this one then goes on at that one's check
     instead of copies of its own;
  2. the pieces: the guard, the check, a stencil per instruction, the way out for the
     two instructions after the last, and the delay-slot copy of each branch (or the
     taken-way-out when that record is not decoded);
  3. each piece copied to the job's destination (without its last jump when that goes
     to the piece laid out next: CHAIN_DESC_TRIM) and its patch list applied.

Returns the bytes written (the guard first), 0 for no chain (fewer than two
instructions), or -1 when the room given is too small.
"""
from __future__ import annotations

from llvmlite import ir

from hppa_user import state as S

I8, I32, I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
PTR = ir.PointerType()


def emit(gen) -> ir.Function:
    """The builder, in the core module of ``gen`` (coregen.CoreGen)."""
    m = gen.module
    fn = ir.Function(m, ir.FunctionType(I64, [PTR]), name="hppa_chain_build")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    job = fn.args[0]
    c64 = lambda x: ir.Constant(I64, x)                                  # noqa: E731

    def word(p, i, ty=I64):
        return b.load(b.gep(p, [c64(i) if isinstance(i, int) else i], source_etype=ty), typ=ty)

    def put(p, i, v, ty=I64):
        b.store(v, b.gep(p, [c64(i) if isinstance(i, int) else i], source_etype=ty))

    def ptr(i):
        return b.inttoptr(word(job, i), PTR)

    env = ptr(S.CHAIN_JOB_ENV)
    dc = b.inttoptr(word(env, S.ENV_DC), PTR)
    mem = b.inttoptr(word(env, S.ENV_MEM), PTR)
    entry, first, end = (word(job, i) for i in (S.CHAIN_JOB_ENTRY, S.CHAIN_JOB_FIRST,
                                                  S.CHAIN_JOB_END))
    dst, room = word(job, S.CHAIN_JOB_DST), word(job, S.CHAIN_JOB_ROOM)
    code, desc, patches, kinds = (ptr(i) for i in (S.CHAIN_JOB_CODE, S.CHAIN_JOB_DESC,
                                                   S.CHAIN_JOB_PATCHES, S.CHAIN_JOB_KINDS))
    data, nv = word(job, S.CHAIN_JOB_DATA), word(job, S.CHAIN_JOB_NV)
    arena_end = word(job, S.CHAIN_JOB_ARENA_END)
    targets = ptr(S.CHAIN_JOB_TARGETS)
    items = ptr(S.CHAIN_JOB_ITEMS)          # i32 [MAX_CHAIN + 1][8]: decoded records
    pieces = ptr(S.CHAIN_JOB_PIECES)        # i32 [CHAIN_MAX_PIECES][CHAIN_PIECE_WORDS]
    unlinked = ptr(S.CHAIN_JOB_UNLINKED)    # i32 [CHAIN_MAX][2]: (target, piece)
    specials = [b.trunc(b.ptrtoint(f, I64), I32)
                for f in (gen.refetch_fn, gen.hooked_fn, gen.breakpoint_fn)]

    def loop(name, init, cond, body):
        """for (i = init; cond(i); i = body(i)): body returns the next i, or None to leave
        (then it has branched away itself).  Returns the exit block's i phi."""
        head, body_bb, done = (fn.append_basic_block(f"{name}_{x}")
                               for x in ("head", "body", "done"))
        start = b.block
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(init, start)
        b.cbranch(cond(i), body_bb, done)
        b.position_at_end(body_bb)
        nxt = body(i, done)
        if nxt is not None:
            i.add_incoming(nxt, b.block)
            b.branch(head)
        b.position_at_end(done)
        return i

    def desc_of(sid, k):
        return b.zext(word(desc, b.add(b.mul(sid, c64(S.CHAIN_DESC_WORDS)), c64(k)), I32), I64)

    def item(i, k=0):
        """Word ``k`` of item ``i`` (0: its variant, 1 + j: field j), zero-extended."""
        return b.zext(word(items, b.add(b.mul(i, c64(S.DC_FIELDS)),
                                        c64(k) if isinstance(k, int) else k), I32), I64)

    def kind_of(v):
        return b.zext(word(kinds, v, I8), I64)

    def has(v, flag):
        """i1: variant ``v``'s kind byte has ``flag`` (state.CHAIN_HAS_*)."""
        return b.icmp_unsigned("!=", b.and_(kind_of(v), c64(flag)), c64(0))

    def set_piece(p, k, v):
        put(pieces, b.add(b.mul(p, c64(S.CHAIN_PIECE_WORDS)), c64(k)), b.trunc(v, I32), I32)

    def piece_word(p, k):
        return b.zext(word(pieces, b.add(b.mul(p, c64(S.CHAIN_PIECE_WORDS)), c64(k)), I32), I64)

    def decoded(idx):
        """i1: the record at index ``idx`` has been decoded (an arm or a chain names it)."""
        w = word(dc, b.mul(idx, c64(S.DC_FIELDS)), I32)
        bad = b.or_(b.or_(b.icmp_unsigned("==", w, specials[0]),
                          b.icmp_unsigned("==", w, specials[1])),
                    b.icmp_unsigned("==", w, specials[2]))
        return b.not_(bad)

    def decode(i):
        """Decode instruction ``i`` of the chain into item i; its variant (i64)."""
        pc = b.trunc(b.add(entry, b.shl(i, c64(2))), I32)
        p = b.gep(mem, [b.zext(pc, I64)], source_etype=I8)
        raw = b.load(p, typ=I32)
        bswap = m.declare_intrinsic("llvm.bswap", [I32])
        insn = b.call(bswap, [raw])
        rec = b.gep(items, [b.mul(i, c64(S.DC_FIELDS))], source_etype=I32)
        return b.zext(b.call(gen.decode_fn, [insn, rec]), I64)

    # ---- 1. the walk ----
    leave_bb = fn.append_basic_block("leave")

    def walk_body(i, done):
        go0, go1, go2, go3, stop, link = (
            fn.append_basic_block(x) for x in ("w_no_head", "w_decoded", "w_stencil",
                                               "w_goes_on", "w_last", "w_link"))
        # another chain's first instruction: this one ends there, going on in that one's
        # check (after its guard: the IAOQ is in order)
        w = b.zext(word(dc, b.mul(b.add(first, i), c64(S.DC_FIELDS)), I32), I64)
        head = b.and_(b.icmp_unsigned("!=", i, c64(0)),
                      b.and_(b.icmp_unsigned(">=", w, data), b.icmp_unsigned("<", w, arena_end)))
        b.cbranch(head, link, go0)
        b.position_at_end(link)
        b.store(b.add(w, guard_len), link_p)
        b.branch(done)
        b.position_at_end(go0)
        b.cbranch(decoded(b.add(first, i)), go1, done)
        b.position_at_end(go1)
        v = decode(i)
        b.cbranch(b.icmp_unsigned("!=", desc_of(v, S.CHAIN_DESC_LEN), c64(0)), go2, done)
        b.position_at_end(go2)
        kind = kind_of(v)
        nxt = b.add(i, c64(1))
        cont = b.icmp_unsigned("==", b.and_(kind, c64(S.CHAIN_KIND_MASK)),
                               c64(S.CHAIN_GOES_ON))
        b.cbranch(cont, go3, stop)
        b.position_at_end(stop)
        last.append((nxt, b.block))
        b.branch(walked)
        b.position_at_end(go3)
        return nxt

    last = []
    guard_sid, out_sid, taken_out_sid, skip_out_sid, check_sid, rare_sid, onward_sid = (
        b.add(b.mul(nv, c64(2)), c64(1 + S.CHAIN_FIXED.index(name)))
        for name in ("guard", "out", "taken_out", "skip_out", "check", "rare", "onward"))
    link_p = b.alloca(I64)                 # the check of the chain this one runs into
    # (a guard's laid-out length: a chain's check is that far from its first record's word)
    guard_len = b.sub(desc_of(guard_sid, S.CHAIN_DESC_LEN), desc_of(guard_sid, S.CHAIN_DESC_TRIM))
    b.store(c64(0), link_p)
    walked = fn.append_basic_block("walked")
    n_loop = loop("walk", c64(0), lambda i: b.and_(
        b.icmp_unsigned("<", i, c64(S.CHAIN_MAX)),
        b.icmp_unsigned("<", b.add(first, i), end)), walk_body)
    done_end = b.block
    b.branch(walked)
    b.position_at_end(walked)
    n = b.phi(I64)
    n.add_incoming(n_loop, done_end)
    for v, blk in last:
        n.add_incoming(v, blk)
    enough = fn.append_basic_block("enough")
    b.cbranch(b.icmp_unsigned("<", n, c64(2)), leave_bb, enough)
    b.position_at_end(leave_bb)
    b.ret(c64(0))
    b.position_at_end(enough)

    # ---- 2. the pieces: (sid, pc, hole-idx record, item, next, skip, taken, offset) ----
    # (PIECE_COUNTED: the instructions counted from the check to where the piece starts,
    # its item's, but for the ways out)
    def piece(p, sid, pc, rec, it, nxt, skip, counted=None):
        for k, v in ((S.PIECE_SID, sid), (S.PIECE_PC, pc), (S.PIECE_REC, rec),
                     (S.PIECE_COUNTED, it if counted is None else counted),
                     (S.PIECE_ITEM, it), (S.PIECE_NEXT, nxt), (S.PIECE_SKIP, skip),
                     (S.PIECE_TAKEN, c64(0)), (S.PIECE_RARE, c64(0)), (S.PIECE_LINK_PC, c64(1)),
                     (S.PIECE_LINK_IDX, c64(0)), (S.PIECE_LINK, c64(0))):
            set_piece(p, k, v)

    piece(c64(0), guard_sid, c64(0), c64(0), c64(0), c64(1), c64(0))
    piece(c64(1), check_sid, c64(0), c64(0), c64(0), c64(2), c64(0))

    def stencil_of(i, sid, zero_first):
        """Item ``i``'s stencil ``sid`` (its variant's, or its delay-slot copy's), or the one
        made with its no-condition field 0 (ids from ``zero_first`` + 1) when that field
        is 0 in its record and the table has that stencil."""
        v = item(i)
        j = b.lshr(kind_of(v), c64(S.CHAIN_NO_CONDITION))
        zsid = b.add(zero_first, v)
        none = b.and_(b.and_(b.icmp_unsigned("!=", j, c64(0)),
                             b.icmp_unsigned("==", item(i, j), c64(0))),
                      b.icmp_unsigned("!=", desc_of(zsid, S.CHAIN_DESC_LEN), c64(0)))
        return b.select(none, zsid, sid)

    zero_sids = b.add(b.mul(nv, c64(2)), c64(len(S.CHAIN_FIXED)))
    zero_ds_sids = b.add(zero_sids, nv)

    def stencil_piece(i, _done):
        piece(b.add(i, c64(2)), stencil_of(i, item(i), zero_sids), b.add(entry, b.shl(i, c64(2))),
              b.add(b.add(first, i), c64(1)), i, b.add(i, c64(3)), b.add(i, c64(4)))
        return b.add(i, c64(1))
    loop("stencils", c64(0), lambda i: b.icmp_unsigned("<", i, n), stencil_piece)
    # after the last: the next in order, and (the last nullified it) the one after that
    after = b.add(entry, b.shl(n, c64(2)))
    link_to = b.load(link_p, typ=I64)
    linked = b.icmp_unsigned("!=", link_to, c64(0))
    # (linked: the way on into the check of the chain it runs into)
    piece(b.add(n, c64(2)), b.select(linked, onward_sid, out_sid), after, b.add(first, n),
          c64(0), c64(0), c64(0), n)
    set_piece(b.add(n, c64(2)), S.PIECE_LINK, link_to)
    piece(b.add(n, c64(3)), skip_out_sid, after, c64(0), c64(0), c64(0), c64(0),
          b.add(n, c64(1)))
    # the delay slots of the branches (a kind with CHAIN_HAS_TAKEN): the last one's
    # record, past the chain, is decoded into item n if it can be
    count_p = b.alloca(I64)
    b.store(b.add(n, c64(4)), count_p)
    nunlinked_p = b.alloca(I64)
    b.store(c64(0), nunlinked_p)

    def new_piece():
        """The next piece's index (after the ways out: delay slots, then rare ways)."""
        p = b.load(count_p, typ=I64)
        b.store(b.add(p, c64(1)), count_p)
        return p

    def if_has(i, flag, name, body):
        """body() if item ``i``'s variant has ``flag``."""
        yes, after = fn.append_basic_block(name), fn.append_basic_block(name + "_after")
        b.cbranch(has(item(i), flag), yes, after)
        b.position_at_end(yes)
        body()
        b.branch(after)
        b.position_at_end(after)

    def ds_piece(i, _done):
        if_has(i, S.CHAIN_HAS_TAKEN, "ds", lambda: delay_slot(i))
        return b.add(i, c64(1))

    def delay_slot(i):
        j = b.add(i, c64(1))
        inside, beyond, make = (fn.append_basic_block(x) for x in ("ds_in", "ds_beyond", "ds_make"))
        b.cbranch(b.icmp_unsigned("<", j, n), inside, beyond)
        b.position_at_end(beyond)
        idx_j = b.add(first, j)
        ok = b.and_(b.icmp_unsigned("<", idx_j, end), decoded(idx_j))
        dec_bb, none_bb = fn.append_basic_block("ds_decode"), fn.append_basic_block("ds_none")
        b.cbranch(ok, dec_bb, none_bb)
        b.position_at_end(dec_bb)
        decode(j)
        b.branch(inside)
        b.position_at_end(inside)
        ds_sid = stencil_of(j, b.add(nv, item(j)), zero_ds_sids)
        usable = b.icmp_unsigned("!=", desc_of(ds_sid, S.CHAIN_DESC_LEN), c64(0))
        b.cbranch(usable, make, none_bb)
        b.position_at_end(make)
        p = new_piece()
        piece(p, ds_sid, b.add(entry, b.shl(j, c64(2))), b.add(b.add(first, j), c64(1)), j,
              c64(0), c64(0))
        # the branch's target, when its displacement is a field (PC_RELATIVE_BRANCHES):
        # a chain there (this one, or one whose first record's word is in the arena), on
        # this page, is gone on in from the delay slot's copy
        tf = b.zext(word(targets, item(i), I8), I64)
        disp = b.sext(b.trunc(item(i, tf), I32), I64)
        target = b.and_(b.add(b.add(entry, b.shl(i, c64(2))), b.add(disp, c64(8))),
                        c64(0xFFFFFFFF))
        idx_t = b.add(b.sub(first, b.and_(b.lshr(entry, c64(2)), c64(1023))),
                      b.and_(b.lshr(target, c64(2)), c64(1023)))
        w = b.zext(word(dc, b.mul(idx_t, c64(S.DC_FIELDS)), I32), I64)
        own = b.icmp_unsigned("==", idx_t, first)
        there = b.or_(own, b.and_(b.icmp_unsigned(">=", w, data),
                                  b.icmp_unsigned("<", w, arena_end)))
        linkable = b.and_(b.icmp_unsigned("!=", tf, c64(0)),
                          b.icmp_unsigned("==", b.lshr(target, c64(12)), b.lshr(entry, c64(12))))
        linked = b.and_(linkable, there)
        set_piece(p, S.PIECE_LINK_PC, b.select(linked, target, c64(1)))
        # (no chain there yet: the pair for chains.py, which links it once there is one)
        later, noted = fn.append_basic_block("ds_later"), fn.append_basic_block("ds_noted")
        b.cbranch(b.and_(linkable, b.not_(there)), later, noted)
        b.position_at_end(later)
        k = b.load(nunlinked_p, typ=I64)
        put(unlinked, b.mul(k, c64(2)), b.trunc(target, I32), I32)
        put(unlinked, b.add(b.mul(k, c64(2)), c64(1)), b.trunc(p, I32), I32)
        b.store(b.add(k, c64(1)), nunlinked_p)
        b.branch(noted)
        b.position_at_end(noted)
        set_piece(p, S.PIECE_LINK_IDX, idx_t)
        set_piece(p, S.PIECE_LINK, b.select(own, c64(0), b.add(w, guard_len)))
        make_end = b.block
        b.branch(after_set := fn.append_basic_block("ds_set"))
        b.position_at_end(none_bb)
        p2 = new_piece()
        piece(p2, taken_out_sid, c64(0), c64(0), c64(0), c64(0), c64(0), j)
        none_end = b.block
        b.branch(after_set)
        b.position_at_end(after_set)
        pp = b.phi(I64)
        pp.add_incoming(p, make_end)
        pp.add_incoming(p2, none_end)
        set_piece(b.add(i, c64(2)), S.PIECE_TAKEN, pp)

    loop("delay_slots", c64(0), lambda i: b.icmp_unsigned("<", i, n), ds_piece)

    # the rare ways of the copies that have them, after everything else
    def rare_piece(i, _done):
        if_has(i, S.CHAIN_HAS_RARE, "rare", lambda: rare_way(i, b.add(i, c64(2))))
        return b.add(i, c64(1))

    def rare_way(i, of):
        """The rare ways of instruction ``i``, for piece ``of`` (its copy, or the check)."""
        p = new_piece()
        piece(p, rare_sid, b.add(entry, b.shl(i, c64(2))), b.add(b.add(first, i), c64(1)), i,
              c64(0), c64(0))
        set_piece(of, S.PIECE_RARE, p)
    loop("rare_ways", c64(0), lambda i: b.icmp_unsigned("<", i, n), rare_piece)
    rare_way(c64(0), c64(1))                 # the check's (too few left): the first one's
    npieces = b.load(count_p, typ=I64)

    # offsets and lengths: a copy whose last instruction is its jump to the next one,
    # laid out right after it, goes without that jump (falls through)
    def offset_body(p, _done):
        sid = piece_word(p, S.PIECE_SID)
        falls = b.icmp_unsigned("==", piece_word(p, S.PIECE_NEXT), b.add(p, c64(1)))
        length = b.sub(desc_of(sid, S.CHAIN_DESC_LEN),
                       b.select(falls, desc_of(sid, S.CHAIN_DESC_TRIM), c64(0)))
        at = b.load(size_p, typ=I64)
        set_piece(p, S.PIECE_OFFSET, at)
        set_piece(p, S.PIECE_LEN, length)
        b.store(b.add(at, length), size_p)
        return b.add(p, c64(1))
    size_p = b.alloca(I64)
    b.store(c64(0), size_p)
    loop("offsets", c64(0), lambda p: b.icmp_unsigned("<", p, npieces), offset_body)
    size = b.load(size_p, typ=I64)
    fits, small = fn.append_basic_block("fits"), fn.append_basic_block("small")
    b.cbranch(b.icmp_unsigned(">", size, room), small, fits)
    b.position_at_end(small)
    b.ret(c64(-1))
    b.position_at_end(fits)

    # ---- 3. copy and patch ----
    old = b.zext(word(dc, b.mul(first, c64(S.DC_FIELDS)), I32), I64)
    values = b.alloca(I64, size=c64(S.CHAIN_SOURCES))
    memcpy = m.declare_intrinsic("llvm.memcpy", [PTR, PTR, I64])

    def address_of(p):
        """(a linked chain's check may be before this one: the offset is signed)"""
        offset = word(pieces, b.add(b.mul(p, c64(S.CHAIN_PIECE_WORDS)), c64(S.PIECE_OFFSET)), I32)
        return b.add(dst, b.sext(offset, I64))

    def emit_body(p, _done):
        sid = piece_word(p, S.PIECE_SID)
        at = address_of(p)
        length = piece_word(p, S.PIECE_LEN)
        b.call(memcpy, [b.inttoptr(at, PTR),
                        b.gep(code, [desc_of(sid, S.CHAIN_DESC_CODE)], source_etype=I8),
                        length, ir.Constant(ir.IntType(1), 0)])

        def val(k, v):
            put(values, k, v)
        it = piece_word(p, S.PIECE_ITEM)
        pc = piece_word(p, S.PIECE_PC)
        val(S.HOLE_PC, pc)
        # a PC-relative branch's target: front + 8 + its displacement field (else unused)
        tf = b.zext(word(targets, item(it), I8), I64)
        disp = b.sext(b.trunc(item(it, tf), I32), I64)
        val(S.HOLE_TARGET, b.and_(b.add(pc, b.add(disp, c64(8))), c64(0xFFFFFFFF)))
        for j in range(S.DC_FIELDS - 1):
            f = item(it, 1 + j)
            val(S.HOLE_FIELD + j, f)
            val(S.HOLE_REG + j, b.shl(f, c64(3)))
            val(S.HOLE_REG_W + j, b.select(b.icmp_unsigned("==", f, c64(0)),
                                           c64(8 * (S.REGS_CTL + S.CTL_SINK)), b.shl(f, c64(3))))
        val(S.HOLE_IDX, piece_word(p, S.PIECE_REC))
        val(S.HOLE_LINK_PC, piece_word(p, S.PIECE_LINK_PC))
        val(S.HOLE_LINK_IDX, piece_word(p, S.PIECE_LINK_IDX))
        val(S.HOLE_RUN, b.add(n, c64(1)))            # its copies, and a delay slot
        val(S.HOLE_COUNTED, piece_word(p, S.PIECE_COUNTED))
        link = piece_word(p, S.PIECE_LINK)
        val(S.JUMP_LINK, b.select(b.icmp_unsigned("==", link, c64(0)), address_of(c64(1)), link))
        val(S.JUMP_NEXT, address_of(piece_word(p, S.PIECE_NEXT)))
        val(S.JUMP_SKIP, address_of(piece_word(p, S.PIECE_SKIP)))
        val(S.JUMP_ARM, old)
        val(S.JUMP_TAKEN, address_of(piece_word(p, S.PIECE_TAKEN)))
        val(S.JUMP_RARE, address_of(piece_word(p, S.PIECE_RARE)))
        # a copy's own record (the one before HOLE_IDX's; a guard or a way out has none)
        rec = piece_word(p, S.PIECE_REC)
        own = b.select(b.icmp_unsigned("==", rec, c64(0)), c64(0), b.sub(rec, c64(1)))
        val(S.JUMP_OWN_ARM, b.zext(word(dc, b.mul(own, c64(S.DC_FIELDS)), I32), I64))
        val(S.CHAIN_DATA_SOURCE, data)
        first_patch = desc_of(sid, S.CHAIN_DESC_PATCHES)
        last_patch = b.add(first_patch, desc_of(sid, S.CHAIN_DESC_NPATCHES))

        def patch_body(q, _d):
            base = b.mul(q, c64(S.CHAIN_PATCH_WORDS))
            off = b.zext(word(patches, b.add(base, c64(S.PATCH_OFFSET)), I32), I64)
            src = b.zext(word(patches, b.add(base, c64(S.PATCH_SOURCE)), I32), I64)
            addend = b.sext(word(patches, b.add(base, c64(S.PATCH_ADDEND)), I32), I64)
            rel = b.zext(word(patches, b.add(base, c64(S.PATCH_RELATIVE)), I32), I64)
            s = word(values, src)
            where = b.add(at, off)
            v = b.sub(b.add(s, addend), b.mul(rel, where))
            inside, done = fn.append_basic_block("patch_in"), fn.append_basic_block("patch_done")
            b.cbranch(b.icmp_unsigned("<", off, length), inside, done)   # (not a trimmed jump)
            b.position_at_end(inside)
            st = b.store(b.trunc(v, I32), b.inttoptr(where, PTR))
            st.align = 1
            b.branch(done)
            b.position_at_end(done)
            return b.add(q, c64(1))
        loop("patch", first_patch, lambda q: b.icmp_unsigned("<", q, last_patch), patch_body)
        return b.add(p, c64(1))
    loop("emit", c64(0), lambda p: b.icmp_unsigned("<", p, npieces), emit_body)
    put(job, S.CHAIN_JOB_N, n)
    put(job, S.CHAIN_JOB_LINK, link_to)
    put(job, S.CHAIN_JOB_NUNLINKED, b.load(nunlinked_p, typ=I64))
    put(job, S.CHAIN_JOB_CHECK, address_of(c64(1)))
    b.ret(size)
    return fn
