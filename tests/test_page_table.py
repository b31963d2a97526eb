"""Guest memory's page-table queries and the host arrays the core shares with Python,
checked against plain loops over the same tables (they scan at C speed with
bytes.translate, regular expressions and big integers, where a slip shifts a page)."""
import random

import pytest

from hppa_user import hostarray, state as S
from hppa_user.cpu import Cpu
from hppa_user.memory import NPAGES, PAGE_SHIFT, PERM_CODE, PERM_MAPPED, PERM_R, PERM_W, PERM_X, GuestMemory

RIGHTS = PERM_MAPPED | PERM_R | PERM_W | PERM_X


@pytest.fixture(scope="module")
def mem():
    """Random permissions in a few windows of the table (clusters, so runs exist)."""
    m = GuestMemory()
    rnd = random.Random(7)
    for base in (0, 0x400, 0x7F000, NPAGES - 0x200):
        for p in range(base, base + 0x200):
            m.perm[p] = rnd.choice((0, 0, PERM_MAPPED | PERM_R, PERM_MAPPED | PERM_R | PERM_W,
                                    PERM_MAPPED | PERM_R | PERM_X, PERM_MAPPED | PERM_R | PERM_X | PERM_CODE,
                                    PERM_MAPPED | PERM_R | PERM_W | PERM_CODE))
    return m


def windows():
    return [(0, 0x200), (0x3F0, 0x610), (0x7F000, 0x7F001), (0x7F100, 0x7F100), (NPAGES - 0x200, NPAGES),
            (0, NPAGES)]


def test_range_queries_agree_with_a_loop(mem):
    perm = mem.perm.tolist()
    for first, last in windows():
        pages = perm[first:last]
        for mask in (PERM_MAPPED, PERM_W | PERM_MAPPED, PERM_CODE, PERM_X):
            assert mem.all_pages(first, last, mask) == all(p & mask == mask for p in pages)
            assert mem.any_page(first, last, mask) == any(p & mask for p in pages)
            lacking = [first + i for i, p in enumerate(pages) if p & mask != mask]
            assert mem.first_without(first, last, mask) == (lacking[0] if lacking else -1)
            having = [first + i for i, p in enumerate(pages) if p & mask == mask]
            assert [p for a, b in mem.page_runs(first, last, mask) for p in range(a, b)] == having
        assert mem.mapping_perms(first, last) == bytes(p & ~PERM_CODE for p in pages)


def test_mappings_are_the_runs_of_equal_rights(mem):
    perm = mem.perm.tolist()
    want, run = [], None
    for page, p in enumerate(perm):
        rights = p & RIGHTS if p & PERM_MAPPED else 0
        if run and rights == run[2] and page == run[1]:
            run[1] = page + 1
            continue
        if run:
            want.append(tuple(run))
        run = [page, page + 1, rights] if rights else None
    if run:
        want.append(tuple(run))
    assert mem.mappings() == want


def test_find_free_is_the_highest_hole(mem):
    perm = mem.perm.tolist()
    for npages in (1, 2, 3, 5, 40, 0x300):
        for below in (0x200, 0x610, 0x7F200, NPAGES):
            top = below
            want = -1
            for start in range(top - npages, 0x10 - 1, -1):
                if not any(p & PERM_MAPPED for p in perm[start:start + npages]):
                    want = start << PAGE_SHIFT
                    break
            assert mem.find_free(npages << PAGE_SHIFT, below << PAGE_SHIFT) == want, (npages, below)


def test_invalidating_code_clears_the_mark_and_the_slot():
    m = GuestMemory()
    for p in (10, 11, 12, 20):
        m.perm[p] = PERM_MAPPED | PERM_R | PERM_X | PERM_CODE
        m.page_slot[p] = p
    m.invalidate_code(11, 21)
    assert [p for p in range(30) if m.perm[p] & PERM_CODE] == [10]
    assert [m.page_slot[p] for p in (10, 11, 12, 20)] == [10, -1, -1, -1]
    assert [m.perm[p] for p in (11, 12, 20)] == [PERM_MAPPED | PERM_R | PERM_X] * 3
    m.invalidate_code(10, 11)                      # one page: the store path
    assert not m.perm[10] & PERM_CODE and m.page_slot[10] == -1


def test_host_arrays():
    a = hostarray.zeros(1000, "q")
    assert len(a) == 1000 and a.tolist() == [0] * 1000
    rnd = random.Random(3)
    values = [rnd.choice((0, 5, -1, -(1 << 40), 1 << 62, -7)) for _ in range(1000)]
    for i, v in enumerate(values):
        a[i] = v
    assert hostarray.negative_items(a) == [i for i, v in enumerate(values) if v < 0]
    hostarray.fill(a[10:400:7], 3)
    assert a.tolist() == [3 if 10 <= i < 400 and (i - 10) % 7 == 0 else v for i, v in enumerate(values)]
    b = hostarray.copy(a)
    b[0] = 99
    assert a[0] != 99 and b.tolist()[1:] == a.tolist()[1:]
    assert hostarray.address(a[1:]) == hostarray.address(a) + 8
    assert list(hostarray.runs(b"\0\1\1\0\0\1")) == [(1, 3), (5, 6)]
    assert list(hostarray.runs(b"\1\0\1\1")) == [(0, 1), (2, 4)] and list(hostarray.runs(b"\0\0")) == []


def test_decoded_records_are_the_records_with_an_arm():
    """A record is decoded once its first word names an arm other than the re-fetch arm
    (state.DC_FIELDS): a decoded instruction's, the hooked arm's or a breakpoint's."""
    cpu = Cpu()
    cpu.ctx.ctl[S.CTL_NEXT_SLOT] = 3
    lib = cpu.load_core().lib
    rnd = random.Random(5)
    records = 3 * S.SLOT_WORDS
    for i in range(records):
        cpu.dc[i * S.DC_FIELDS] = lib.refetch_word
    decoded = sorted(rnd.sample(range(records), 500)) + [records - 1]
    arms = [lib.loaded.function(f"hppa_arm_{v}") for v in (1, 17, 200)]
    for i in decoded:
        cpu.dc[i * S.DC_FIELDS] = rnd.choice(arms + [lib.breakpoint_word,
                                                     lib.loaded.function("hppa_hooked")])
    cpu.dc[records * S.DC_FIELDS] = arms[0]          # the next slot is not in use
    bits = cpu.decoded_records()
    assert len(bits) == records // 8
    assert [i for i in range(8 * len(bits)) if bits[i >> 3] >> (i & 7) & 1] == sorted(set(decoded))


def test_code_slots_are_the_pages_holding_decoded_code():
    """Cpu.code_slots (the slots handed out since the last flush, kept by the core and by
    breakpoint planting as each is given) is the plain scan of the page table: every page
    marked PERM_CODE with its slot -- after the core decodes pages, after a breakpoint is
    planted on a page never run, after a store takes a page's slot away and the page is
    decoded again, and after a flush (the invariant that lets a flush with no slot given
    since the last one skip its scan of the page table)."""
    from cpu_harness import CODE, Cpu as Harness

    def scanned(cpu):
        return {p: cpu.mem.page_slot[p] for p in range(NPAGES) if cpu.mem.perm[p] & PERM_CODE}

    h = Harness()
    cpu, page = h.cpu, CODE >> PAGE_SHIFT
    h.mem.map(CODE + 0x1000, 0x2000, PERM_R | PERM_X)
    h.run("b,n .+0x1000\n nop")                  # two pages decoded by the core
    assert cpu.code_slots() == scanned(cpu) and set(cpu.code_slots()) == {page, page + 1}
    cpu.set_breakpoint(CODE + 0x2000)            # planted on a page not run: a slot given here
    assert cpu.code_slots() == scanned(cpu) and page + 2 in cpu.code_slots()
    before = cpu.code_slots()[page]
    cpu.mem.invalidate_code(page, page + 1)      # a store into its code
    assert cpu.code_slots() == scanned(cpu) and page not in cpu.code_slots()
    h.ctx.jump(CODE)
    cpu.run(1)                                   # decoded again: a new slot
    assert cpu.code_slots() == scanned(cpu) and cpu.code_slots()[page] != before
    cpu.flush_decode_cache()
    assert cpu.code_slots() == {} == scanned(cpu)
    # no slot given since: a mapping and a store mark no page, and a flush now skips its
    # scan of the page table; pages are decoded (and the breakpoint planted) afresh
    h.mem.map(CODE + 0x3000, 0x1000, PERM_R | PERM_X)
    cpu.mem.invalidate_code(page, page + 4)
    assert scanned(cpu) == {}
    cpu.flush_decode_cache()
    h.ctx.jump(CODE)
    cpu.run(1)
    assert cpu.code_slots() == scanned(cpu) and set(cpu.code_slots()) == {page, page + 2}


def test_all_ones_maps_a_kept_file_privately(tmp_path):
    """hostarray.all_ones: every item -1, from a kept file of 0xFF bytes mapped privately
    (a write changes this array only, never the file or the next array), or filled when
    there is no file to be had (no directory, or one it cannot write in); a damaged file
    is written again."""
    for keep in (str(tmp_path / "keep"), None, "/proc/no-such-dir"):
        a = hostarray.all_ones(5000, "i", keep)
        assert len(a) == 5000 and a.tolist() == [-1] * 5000
        a[7] = 3
        b = hostarray.all_ones(5000, "i", keep)
        assert b.tolist() == [-1] * 5000 and a[7] == 3
    (kept,) = (tmp_path / "keep").iterdir()
    assert kept.read_bytes() == b"\xff" * 20000
    kept.write_bytes(b"\xff" * 100)                     # damaged: written again
    assert hostarray.all_ones(5000, "i", str(tmp_path / "keep")).tolist() == [-1] * 5000
    assert kept.read_bytes() == b"\xff" * 20000
