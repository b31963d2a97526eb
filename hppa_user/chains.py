"""The template tier: straight runs of decoded instructions as patched copies of stencils.

A *chain* starts at a branch target the interpreter reports warm (its first report,
jit.FIRST_REPORT entries) and runs along its page, in address order, over the
instructions decoded so far: a copy of the guard stencil, one copy of each instruction's
stencil (stencilgen.py) with its fields and address patched in, the way out to the
instruction after the last (and past it, when the last nullifies it), and a copy of each
branch's delay slot for when it is taken.  Each copy jumps straight to the next one, or
past it when it nullifies it; a loop's back edge to the first instruction goes to the
first copy.  A chain that reaches its page's end starts another at the next page.  A
stencil is its variant's arm with the record and the IAOQ known, so a chain does what the
interpreter does, instruction by instruction: the same budget, traps, nullification and
branch targets, each rare way leaving for the interpreter as the arm would.  The core
lays chains out and patches them (chainbuild.py); this module gives it the stencil table
and the room, and keeps track of the chains.

A chain is entered through its first record, whose first word (the arm that runs it:
state.DC_FIELDS) becomes the guard's address; the only other way in is from a chain
built later on the same page, which stops at its first instruction and goes on in its
first copy.  So a chain is dropped by having that record decoded again (its word: the
re-fetch arm's), and one whose first record was decoded again anyway (its page's code
dropped, the cache flushed) is out of reach already (a page's records go together, and
with them the chains that run into each other there).  Where chains are built is
jit.RegionCompiler.chain's to decide (after CHAINS_AFTER instructions, at the targets no
region was installed for).  The arena is reused only once every chain has been dropped
(drop_all: at a decode-cache flush or a breakpoint); the core is never running then.
"""
from __future__ import annotations

import ctypes
import os
import struct
from _weakref import ref            # (start-up rule: cli.py; the weakref module costs ~0.8 ms)

from hppa_user import core, hostarray, objcode
from hppa_user import state as S

# The chains' code stops growing at CODE_BYTES: past what the host's caches hold, copies
# evict each other and the arms.  Measured on the Jim Tcl suite, whose code is wide and
# each path of it warm.  With regions off, against the interpreter: when a copy kept its
# rare ways inline (~230 bytes), 512 KB of chains ran it in 0.98x the time, 2 MB 1.16x,
# no bound (12 MB) 1.39x; with a copy's usual path only (~90 bytes), 512 KB 0.86x, 1 MB
# 0.81x, 2 MB 0.83x.  With regions on (cold), against 512 KB: 2 MB 0.95x, 16 MB 1.00x;
# cold bc pi-300 0.92x, bzip2 -9 1.00x.
CODE_BYTES = int(os.environ.get("HPPA_USER_CHAIN_BYTES", str(2 << 20)))
ARENA = CODE_BYTES + (256 << 10)   # (mapped below 2 GiB: a record holds 32 bits)
PERF_MAP = bool(os.environ.get("HPPA_USER_PERF_MAP"))


class Stencils:
    """The stencil table (core.stencil_table) in memory, as the builder reads it."""

    def __init__(self, table: dict):
        # the builder only reads these: the table's own bytes, not copies (~90 pages each
        # of fresh memory, a fault apiece)
        self._keep = [table[k] for k in ("code", "desc", "patches", "kinds", "targets")]
        self.code, self.desc, self.patches, self.kinds, self.targets = (
            hostarray.bytes_address(b) for b in self._keep)
        self.data = table["data"]
        self.nv = table["nv"]
        self._desc = memoryview(table["desc"]).cast("i")
        self._patches = memoryview(table["patches"]).cast("i")
        self._link_patches: dict[int, list] = {}

    def link_patches(self, sid: int) -> list:
        """(offset, source, addend, relative) of stencil ``sid``'s patches that make a
        delay slot's copy go on in the chain at its branch's target."""
        got = self._link_patches.get(sid)
        if got is None:
            d, w = sid * S.CHAIN_DESC_WORDS, S.CHAIN_PATCH_WORDS
            first = self._desc[d + S.CHAIN_DESC_PATCHES]
            got = [tuple(self._patches[q * w:(q + 1) * w])
                   for q in range(first, first + self._desc[d + S.CHAIN_DESC_NPATCHES])]
            got = self._link_patches[sid] = [
                p for p in got if p[S.PATCH_SOURCE] in (S.HOLE_LINK_PC, S.JUMP_LINK)]
        return got


_stencils: Stencils | None = None


def stencils() -> Stencils:
    global _stencils
    if _stencils is None:
        _stencils = Stencils(core.stencil_table())
    return _stencils


class Chains:
    """One CPU's chains: built at warm branch targets, dropped all at once."""

    def __init__(self, cpu):
        self._cpu = ref(cpu)              # (no cycle: the arena goes with the CPU, __del__)
        self.arena = 0
        self.start = self.used = 0
        self.heads: dict[int, int] = {}        # first record -> its chain (the guard)
        self.built = 0
        self.insns = 0
        self.linked = 0                         # chains that go on in another
        self.relinked = 0                       # delay slots' copies linked later
        self.job = None
        # a branch target -> the delay slots' copies (address, stencil) of branches there
        # built before a chain was: linked to it when one is (relink)
        self.unlinked: dict[int, list[tuple[int, int]]] = {}

    def _map(self, st: Stencils) -> bool:
        prot = hostarray.PROT_READ | hostarray.PROT_WRITE | hostarray.PROT_EXEC
        addr = hostarray.libc_mmap(None, ARENA, prot, hostarray.MAP_PRIVATE |
                                   hostarray.MAP_ANONYMOUS | hostarray.MAP_32BIT, -1, 0)
        if addr in (None, hostarray.MAP_FAILED) or addr >= 1 << 31:
            return False
        self.arena = addr
        ctypes.memmove(addr, st.data, len(st.data))       # the stencils' data first
        self.start = self.used = -(-len(st.data) // 64) * 64
        core = self.cpu.load_core()
        self.job = job = hostarray.zeros(S.CHAIN_JOB_WORDS, "q")
        self._items = hostarray.zeros((S.CHAIN_MAX + 1) * S.DC_FIELDS, "i")
        self._pieces = hostarray.zeros(S.CHAIN_MAX_PIECES * S.CHAIN_PIECE_WORDS, "i")
        self._unlinked = hostarray.zeros(2 * S.CHAIN_MAX, "i")
        self._code = (ctypes.c_char * ARENA).from_address(addr)
        for k, v in ((S.CHAIN_JOB_CODE, st.code), (S.CHAIN_JOB_DESC, st.desc),
                     (S.CHAIN_JOB_PATCHES, st.patches), (S.CHAIN_JOB_KINDS, st.kinds),
                     (S.CHAIN_JOB_TARGETS, st.targets),
                     (S.CHAIN_JOB_DATA, addr), (S.CHAIN_JOB_ARENA_END, addr + ARENA),
                     (S.CHAIN_JOB_NV, st.nv),
                     (S.CHAIN_JOB_ITEMS, hostarray.address(self._items)),
                     (S.CHAIN_JOB_PIECES, hostarray.address(self._pieces)),
                     (S.CHAIN_JOB_UNLINKED, hostarray.address(self._unlinked))):
            job[k] = v
        self._build = core.lib.chain_build
        return True

    def build(self, entry: int) -> bool:
        """A chain from the branch target ``entry`` over the instructions decoded after it."""
        cpu = self.cpu
        slot = int(cpu.mem.page_slot[entry >> 12])
        if slot < 0:
            return False
        first = (slot << 10) | ((entry >> 2) & 1023)
        if first in self.heads:
            return False
        if not self.arena and not self._map(stencils()):
            return False
        if self.used >= CODE_BYTES:
            return False
        job = self.job
        job[S.CHAIN_JOB_ENV] = cpu.load_core().address
        job[S.CHAIN_JOB_ENTRY] = entry
        job[S.CHAIN_JOB_FIRST] = first
        job[S.CHAIN_JOB_END] = (slot + 1) << 10
        if PERF_MAP:
            # (names this chain's pieces only: the table holds the last longer one's after them)
            ctypes.memset(hostarray.address(self._pieces), 0, self._pieces.nbytes)
        for _ in range(2):
            job[S.CHAIN_JOB_DST] = self.arena + self.used
            job[S.CHAIN_JOB_ROOM] = ARENA - self.used
            size = self._build(hostarray.address(job))
            if size >= 0:
                break
            self.drop_all()                              # full: start again
        if size <= 0:
            return False
        guard = self.arena + self.used
        self.used += -(-size // 64) * 64
        dc = cpu.dc
        self.heads[first] = guard
        dc[first * S.DC_FIELDS] = guard
        self.built += 1
        n = job[S.CHAIN_JOB_N]
        self.insns += n
        self.linked += job[S.CHAIN_JOB_LINK] != 0
        self.note_unlinked(guard, job[S.CHAIN_JOB_NUNLINKED])
        if entry in self.unlinked:
            self.relink(entry, job[S.CHAIN_JOB_CHECK])
        if PERF_MAP:
            names, nv, pieces = {}, stencils().nv, self._pieces
            for p in range(S.CHAIN_MAX_PIECES):
                sid = pieces[p * S.CHAIN_PIECE_WORDS + S.PIECE_SID]
                off = pieces[p * S.CHAIN_PIECE_WORDS + S.PIECE_OFFSET]
                if p and not off:
                    break
                kind = S.stencil_name(sid, nv)
                names[f"c{self.built}.{p}:{kind}"] = guard + off
            objcode._perf_map(names, guard + size)
        after = entry + 4 * n
        if not after & 0xFFF or n == S.CHAIN_MAX:
            # it ran to its page's end, or as far as a chain goes: the instruction after
            # it, reached in order and maybe no branch target, starts a chain too (when it
            # has been decoded)
            self.build(after)
        elif (after + 4) & 0xFFF and not job[S.CHAIN_JOB_LINK] and \
                dc[(first + n) * S.DC_FIELDS] == cpu.load_core().lib.refetch_word:
            # it stopped at a word never decoded (one its last copy nullifies, mostly: a
            # cmpclr and the branch it skips), so the instruction after that starts a chain
            # too; else it runs in the interpreter, reached in order (cold bzip2 -d: a
            # third of what it interpreted; 0.98-0.99x)
            self.build(after + 4)
        return True

    def counters(self) -> dict[str, int]:
        """What --stats reports (machine.Machine.stats)."""
        return {"chains": self.built, "chain_instructions": self.insns,
                "chains_linked": self.linked, "chain_copies_linked_later": self.relinked}

    def note_unlinked(self, guard: int, count: int) -> None:
        """The delay slots' copies the builder found no chain for at their branch's target
        (on their page), by target."""
        pairs, pieces, w = self._unlinked, self._pieces, S.CHAIN_PIECE_WORDS
        for k in range(count):
            target, p = pairs[2 * k], pairs[2 * k + 1]
            self.unlinked.setdefault(target & 0xFFFFFFFF, []).append(
                (guard + pieces[p * w + S.PIECE_OFFSET], pieces[p * w + S.PIECE_SID]))

    def relink(self, entry: int, check: int) -> None:
        """Patch the delay slots' copies of branches to ``entry``, whose chain (its check at
        ``check``) was built after them, to go on there as a copy built later would.  (The
        patch is the builder's, chainbuild.emit_body, for the two link sources.)  (On the
        same page: a page's chains go together.  No copy runs meanwhile: the core is not
        running.)  In bzip2 -9, with chains only, half the taken branches' delay slots
        went on by a dispatch, and 15.9 of their 25.6 million to where a chain had been
        built after theirs; linking those: 0.95x (cold too), bzip2 -d 0.97x."""
        st, code = stencils(), self._code
        for addr, sid in self.unlinked.pop(entry):
            for off, source, addend, relative in st.link_patches(sid):
                where = addr + off
                v = (entry if source == S.HOLE_LINK_PC else check) + addend - relative * where
                struct.pack_into("<I", code, where - self.arena, v & 0xFFFFFFFF)
            self.relinked += 1

    @property
    def cpu(self):
        return self._cpu()

    def __del__(self):
        # given back with the CPU: a process may make many (one an exec, one a test), and
        # the first 2 GiB hold a few thousand arenas
        if self.arena:
            hostarray.libc_munmap(self.arena, ARENA)

    def drop_all(self) -> None:
        """Every chain's first record back to be decoded again (those still naming their
        chain: the next fetch decodes it, and puts its arm there)."""
        dc = self.cpu.dc
        refetch = self.cpu.load_core().lib.refetch_word if self.heads else 0
        for idx, guard in self.heads.items():
            if dc[idx * S.DC_FIELDS] == guard:
                dc[idx * S.DC_FIELDS] = refetch
        self.heads.clear()
        self.unlinked.clear()
        self.used = self.start
