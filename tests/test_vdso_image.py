"""The vDSO images: reproducible build, ELF structure glibc relies on, exact export sets,
the vvar layout header, the kernel-model view (kernel_model.vdso / kernel_model.vvar), and
the real vvar code run under qemu-hppa by a hand-mapping harness.

The hppa cross toolchain and qemu-hppa are part of `make toolchain` (and present in CI):
these tests do not skip without them, they fail.
"""
from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

from hppa_user import objcode
from kernel_model import timekeeping, vdso, vvar
from vdso_image import IMAGE_PROFILES

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "vdso_image"
GUEST = ROOT / "tests" / "guest"
CROSS = os.environ.get("CROSS", "hppa-linux-gnu-")
QEMU = os.environ.get("QEMU_HPPA", "qemu-hppa")

VERSION_CODE = {"5.18": 0x051200, "6.11": 0x060B00, "vvar": 0x060B00}
NODE = {"5.18": "LINUX_5.18", "6.11": "LINUX_6.11", "vvar": "LINUX_6.11"}

NOP = 0x08000240
BLE_GATEWAY = 0xE4008200        # be,l 0x100(%sr2,%r0),%sr0,%r31
BV_RP = 0xE840C000              # bv %r0(%rp)


def ldi(imm: int, reg: int) -> int:
    """ldi imm,%reg (= ldo imm(%r0),%reg) for a small non-negative imm."""
    return 0x34000000 | (reg << 16) | ((imm << 1) & 0x3FFF)


def tool(name: str) -> str:
    path = shutil.which(CROSS + name)
    assert path, f"{CROSS}{name} not found: run `make toolchain` (the hppa cross toolchain is required)"
    return path


def image_bytes(profile: str) -> bytes:
    return (SRC / "images" / f"vdso-{profile}.so").read_bytes()


def elf_of(profile: str) -> ELFFile:
    return ELFFile(io.BytesIO(image_bytes(profile)))


def words(data: bytes, off: int, n: int) -> list[int]:
    return list(struct.unpack_from(f">{n}I", data, off))


# -- build ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    """The images rebuilt from a copy of the sources in a scratch directory."""
    tool("gcc")
    tool("ld")
    work = tmp_path_factory.mktemp("vdso-build") / "vdso_image"
    shutil.copytree(SRC, work, ignore=shutil.ignore_patterns("images", "build", "__pycache__", "*.py"))
    r = subprocess.run(["make", "-C", str(work), "all"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return work / "images"


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_rebuild_is_bit_identical(rebuilt, profile):
    new = (rebuilt / f"vdso-{profile}.so").read_bytes()
    assert new == image_bytes(profile), (
        f"vdso-{profile}.so does not reproduce: run `make -C vdso_image` and commit the images")


def test_vvar_header_is_generated_from_vvar_py():
    committed = (SRC / "vvar_layout.h").read_text()
    assert committed == vvar.generate_header(), (
        "vdso_image/vvar_layout.h is stale: run `make -C vdso_image layout` and rebuild")


def test_profiles():
    assert vdso.PROFILES == ("none", "5.18", "6.11", "vvar")
    assert vdso.load_image("none") is None
    with pytest.raises(ValueError):
        vdso.load_image("4.19")


# -- structure glibc's setup_vdso / _dl_make_fptr rely on ---------------------------------

@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_elf_structure(profile):
    data = image_bytes(profile)
    elf = elf_of(profile)
    h = elf.header
    assert elf.elfclass == 32 and not elf.little_endian
    assert h["e_machine"] == "EM_PARISC" and h["e_type"] == "ET_DYN"
    assert h["e_flags"] == 0x210, "PA-RISC 1.1, like the glibc objects"

    segs = list(elf.iter_segments())
    types = [s["p_type"] for s in segs]
    loads = [s for s in segs if s["p_type"] == "PT_LOAD"]
    assert len(loads) == 1, "exactly one PT_LOAD (glibc takes the first one's p_vaddr as the bias base)"
    load = loads[0]
    assert load["p_offset"] == 0 and load["p_vaddr"] == 0, "linked at 0, ELF header at the start of the load"
    assert load["p_filesz"] == load["p_memsz"]
    assert load["p_filesz"] >= h["e_phoff"] + h["e_phnum"] * h["e_phentsize"], "program headers inside the load"
    assert load["p_flags"] == 5, "PF_R|PF_X, nothing writable"
    for t in ("PT_DYNAMIC", "PT_NOTE", "PT_GNU_EH_FRAME"):
        assert types.count(t) == 1, t
    assert "PT_TLS" not in types and "PT_INTERP" not in types
    end = load["p_filesz"]
    for s in segs:
        assert s["p_offset"] == s["p_vaddr"] and s["p_vaddr"] + s["p_memsz"] <= end, s["p_type"]
    dyn_seg = next(s for s in segs if s["p_type"] == "PT_DYNAMIC")
    assert not dyn_seg["p_flags"] & 2, "read-only PT_DYNAMIC: glibc then leaves the entries unrelocated"

    # no relocations of any kind
    for sec in elf.iter_sections():
        assert sec["sh_type"] not in ("SHT_REL", "SHT_RELA"), sec.name
    dyn = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
    tags = {t.entry.d_tag: t for t in dyn.iter_tags()}
    for bad in ("DT_REL", "DT_RELA", "DT_JMPREL", "DT_TEXTREL", "DT_RELR", "DT_NEEDED", "DT_FLAGS_1"):
        assert bad not in tags, bad
    for need in ("DT_HASH", "DT_SYMTAB", "DT_STRTAB", "DT_STRSZ", "DT_SYMENT", "DT_PLTGOT",
                 "DT_VERSYM", "DT_VERDEF", "DT_VERDEFNUM", "DT_SONAME"):
        assert need in tags, need
    assert tags["DT_SYMENT"].entry.d_val == 16
    assert tags["DT_SONAME"].soname == "linux-vdso32.so.1"
    for ptr in ("DT_HASH", "DT_SYMTAB", "DT_STRTAB", "DT_VERSYM", "DT_VERDEF", "DT_PLTGOT"):
        assert 0 < tags[ptr].entry.d_ptr <= end, ptr
    assert elf.get_section_by_name(".symtab") is not None, "keep .symtab: the kernel model reads internal offsets"

    # the sysv hash table covers all dynamic symbols
    nbucket, nchain = struct.unpack_from(">II", data, tags["DT_HASH"].entry.d_ptr)
    assert nbucket >= 1 and nchain == elf.get_section_by_name(".dynsym").num_symbols()

    # version definitions: the base (file) version and the one node of the profile
    verdef = elf.get_section_by_name(".gnu.version_d")
    nodes = [([a.name for a in auxs][0], vd["vd_flags"]) for vd, auxs in verdef.iter_versions()]
    assert nodes == [("linux-vdso32.so.1", 1), (NODE[profile], 0)]

    # the note: name "Linux", type 0, the version code
    note_seg = next(s for s in segs if s["p_type"] == "PT_NOTE")
    namesz, descsz, ntype = struct.unpack_from(">III", data, note_seg["p_offset"])
    assert (namesz, descsz, ntype) == (6, 4, 0)
    assert data[note_seg["p_offset"] + 12: note_seg["p_offset"] + 18] == b"Linux\0"
    assert struct.unpack_from(">I", data, note_seg["p_offset"] + 20)[0] == VERSION_CODE[profile]


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_exact_export_set(profile):
    img = vdso.load_image(profile)
    got = {s.name: s.version for s in img.exports.values()}
    assert got == vdso.EXPECTED_EXPORTS[profile]
    for s in img.exports.values():
        assert s.type == "STT_FUNC" and s.size > 0
    # what glibc 2.41 looks up
    has = "__vdso_clock_gettime64" in img.exports
    assert has == (profile != "5.18")


# -- code ----------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_trampolines(profile):
    from kernel_model import abi
    img = vdso.load_image(profile)
    data = img.data
    t = img.sigtramp
    assert (t - 8) % 64 == 0, "context word + nop start on a 64-byte boundary"
    assert img.sigtramp_in_syscall == t + 16
    assert img.sigframe_context_regs32 == -608 == abi.SIGFRAME_CONTEXT_REGS32
    assert words(data, t - 8, 10) == [
        0xFFFFFDA0, NOP,
        ldi(0, 25), ldi(173, 20), BLE_GATEWAY, NOP,
        ldi(1, 25), ldi(173, 20), BLE_GATEWAY, NOP,
    ]
    # ldw 0(%sp),%r31 ; be 0x100(%sr2,%r0) ; ldi 0,%r20
    assert words(data, img.restart_syscall, 3) == [0x0FC0109F, 0xE0008200, ldi(0, 20)]
    if profile == "vvar":
        assert img.exports["__kernel_sigtramp_rt32"].offset == t
        assert img.exports["__kernel_restart_syscall32"].offset == img.restart_syscall
    else:
        assert not any(n.startswith("__kernel") for n in img.exports)


def test_611_functions_are_plain_syscalls():
    img = vdso.load_image("6.11")
    for name, nr in (("__vdso_gettimeofday", 78), ("__vdso_clock_gettime", 256),
                     ("__vdso_clock_gettime64", 403)):
        s = img.exports[name]
        assert words(img.data, s.offset, 4) == [BLE_GATEWAY, ldi(nr, 20), BV_RP, NOP], name


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_unwind_info(profile):
    """.eh_frame: an FDE for every function; the sigtramp FDE is the signal-frame one."""
    img = vdso.load_image(profile)
    elf = elf_of(profile)
    dwarf = elf.get_dwarf_info()
    assert dwarf.has_EH_CFI()
    fdes = [e for e in dwarf.EH_CFI_entries() if type(e).__name__ == "FDE"]
    ranges = [(f.header["initial_location"], f.header["initial_location"] + f.header["address_range"], f)
              for f in fdes]
    for name, off in img.internal.items():
        assert any(lo <= off < hi for lo, hi, _ in ranges), f"no FDE covers {name}"
    t = img.sigtramp
    sig = [f for lo, hi, f in ranges if lo <= t < hi]
    assert len(sig) == 1
    lo, hi, fde = next(r for r in ranges if r[2] is sig[0])
    assert lo == t - 4 and hi == t + 32, "covers the leading nop (pc-1) and both entries"
    cie = fde.cie
    assert cie.header["augmentation"] == b"zRS"
    assert cie.header["return_address_register"] == 89
    assert cie.header["data_alignment_factor"] == 4
    (op, args), = [(i.opcode, i.args) for i in cie.instructions if i.opcode != 0]
    assert op == 0x0F and bytes(args[0]) == bytes([0x8E, 0xA0, 0x7B])   # DW_OP_breg30 -608
    rules = {i.args[0]: i.args[1] for i in fde.instructions if i.opcode == 0x05}
    assert {r: rules[r] for r in range(1, 32)} == {r: r + 1 for r in range(1, 32)}
    assert {r: rules[r] for r in range(32, 88)} == {r: r + 10 for r in range(32, 88)}
    assert rules[88] == 102 and rules[89] == 100
    hdr = elf.get_section_by_name(".eh_frame_hdr").data()
    version, _, _, table_enc = hdr[:4]
    assert version == 1 and table_enc == 0x3B
    assert struct.unpack_from(">I", hdr, 8)[0] == len(fdes), "binary search table lists every FDE"


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_code_register_discipline(profile):
    """No %r19 (glibc's descriptor gp is garbage), no %dp, no callee-saved registers, and
    only %sp in restart_syscall; PA-RISC 1.1 instructions only."""
    img = vdso.load_image(profile)
    r = subprocess.run([tool("objdump"), "-d", img.path], capture_output=True, text=True, check=True)
    import re
    bad = re.compile(r"\b(r19|r27|dp|r[3-9]|r1[0-8]|mfia|ldd|std)\b")
    for line in r.stdout.splitlines():
        if not re.match(r"\s+[0-9a-f]+:\t", line):
            continue
        insn = line.split("\t", 2)[-1]
        if "ldw 0(sp),r31" in insn:
            continue
        assert not bad.search(insn), line


# -- the kernel-model view -------------------------------------------------------------------

def test_load_image_offsets():
    for profile in IMAGE_PROFILES:
        img = vdso.load_image(profile)
        assert img.pages == 1 and img.map_size == 4096 and len(img.mapped_bytes()) == 4096
        assert img.linux_version_code == VERSION_CODE[profile]
        assert img.version_node == NODE[profile]
        assert img.soname == "linux-vdso32.so.1"
        assert img.uses_vvar == (profile == "vvar")
        base = 0xF9AFF000
        assert img.sigtramp_return(base, False) == base + img.sigtramp
        assert img.sigtramp_return(base, True) == base + img.sigtramp + 16
        assert img.restart_address(base) == base + img.restart_syscall
        assert img.vvar_address(base) == (base - 4096 if profile == "vvar" else None)
    assert set(vdso.load_image("vvar").entry_points().values()) == set(vdso.EXPECTED_EXPORTS["vvar"])


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_kept_parse_is_the_parse(tmp_path, monkeypatch, profile):
    """load_image keeps each image's parse on disk: the kept one equals a fresh parse of the
    image file, and a damaged or foreign entry is ignored (parsed again), never used."""
    monkeypatch.setenv("HPPA_USER_CACHE_DIR", str(tmp_path))
    path = Path(vdso.images_dir()) / f"vdso-{profile}.so"
    fresh = vdso.parse_image(path.read_bytes(), profile, str(path))

    def load():
        vdso.forget_loaded()
        return vdso.load_image(profile)

    assert load() == fresh                                  # parsed, then kept
    kept = list((tmp_path / "vdso").glob("*.parsed"))
    assert len(kept) == 1
    assert load() == fresh                                  # from the kept entry
    kept[0].write_bytes(kept[0].read_bytes()[:40])          # truncated
    assert load() == fresh
    other = "6.11" if profile != "6.11" else "vvar"
    kept[0].write_bytes(vdso.kept_form(vdso.parse_image((Path(vdso.images_dir()) / f"vdso-{other}.so")
                                                        .read_bytes(), other)))
    assert load() == fresh                                  # another image's parse
    good = vdso.kept_form(fresh)
    kept[0].write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # a bit flipped
    assert load() == fresh
    vdso.forget_loaded()


def test_kept_parses_of_another_seal_format_are_other_files(tmp_path, monkeypatch):
    """A version of the emulator that seals its files another way (objcode.seal_check,
    here another key) keeps its vDSO parses under other names: two versions run by turns (two checkouts)
    each find their own, instead of each finding the other's damaged and parsing again
    (~35 ms a run)."""
    monkeypatch.setenv("HPPA_USER_CACHE_DIR", str(tmp_path))
    vdso.forget_loaded()
    vdso.load_image("vvar")
    monkeypatch.setattr(objcode, "SEAL_KEY", objcode.SEAL_KEY + 1)
    vdso.forget_loaded()
    vdso.load_image("vvar")
    assert len(list((tmp_path / "vdso").glob("*.parsed"))) == 2
    vdso.forget_loaded()


def test_describe_and_dump(tmp_path):
    assert "no vDSO" in vdso.describe("none")
    text = vdso.describe("vvar", base=0xF9AFF000)
    for s in ("PT_GNU_EH_FRAME", "DT_PLTGOT", "__vdso_clock_gettime64@LINUX_6.11",
              "__kernel_sigtramp_rt+16", "[vvar]", "seqlock", "hres_mask", "0xf9afe000"):
        assert s in text, s
    assert "Exported symbols: none" in vdso.describe("5.18")
    out = tmp_path / "v.so"
    assert vdso.dump("6.11", out) == len(image_bytes("6.11"))
    assert out.read_bytes() == image_bytes("6.11")
    with pytest.raises(ValueError):
        vdso.dump("none", tmp_path / "x.so")


# -- vvar.py --------------------------------------------------------------------------------

def test_vvar_layout_consistency():
    L = vvar.VvarLayout
    offs = sorted((f.offset, f.name) for f in vvar.FIELDS)
    for (a, _), (b, _) in zip(offs, offs[1:]):
        assert b - a >= 4 and a % 4 == 0
    assert L.CLOCKS % 16 == 0 and L.CLOCK_SIZE == 16 and L.clock(11) == 0x40 + 11 * 16
    assert L.USED <= vvar.PAGE_SIZE
    assert all(c < L.NCLOCKS for c in vvar.HRES_CLOCKS + vvar.COARSE_CLOCKS)


def test_encode_decode_and_model():
    page = vvar.encode_vvar(4, {0: (1700000000, 5), 1: 123_456_789_012, 5: 7_000_000_001, 6: (3, 2)},
                            cr16=0xFFFFFF00, tz=(-60, 0), res=(1, 4_000_000), cpu=(2, 0))
    assert len(page) == 4096
    d = vvar.decode_vvar(page)
    assert d["seq"] == 4 and d["layout_version"] == 1
    assert d["hres_mask"] == 0b11 and d["coarse_mask"] == 0b1100000
    assert d["tz"] == (-60, 0) and d["cpu"] == 2 and d["flags"] == 3
    assert d["clocks"][1] == {"sec": 123, "nsec": 456_789_012, "cr16": 0xFFFFFF00, "mode": "hres"}
    # the reader's arithmetic, modelled: cr16 wrapped past 2^32
    assert vvar.read_clock(page, 1, 0x100) == 123_456_789_012 + 0x200
    assert vvar.read_clock(page, 5, 0x100) == 7_000_000_001
    assert vvar.read_clock(page, 2, 0) is None and vvar.read_clock(page, 16, 0) is None
    assert vvar.decode_vvar(vvar.encode_vvar(0, {}, 0, tz=None, cpu=None))["flags"] == 0
    with pytest.raises(ValueError):
        vvar.encode_vvar(0, {2: 5}, 0)


def test_writer_seqlock_protocol():
    import numpy as np
    mem = np.zeros(3 * 4096, dtype=np.uint8)
    w = vvar.VvarWriter(mem, 4096)
    w.setup(tz=(0, 0), res=(1, 4_000_000), cpu=0)
    assert w.seq == 2
    host = timekeeping.HostClocks()
    clocks, c16 = host.sample()
    w.update(clocks, c16)
    assert w.seq == 4 and w.seq % 2 == 0
    snap = w.snapshot()
    assert set(snap["clocks"]) == set(vvar.HRES_CLOCKS + vvar.COARSE_CLOCKS)
    assert snap["clocks"][1]["cr16"] == clocks[1] & 0xFFFFFFFF
    assert snap["hres_res"] == 1 and snap["cpu"] == 0 and snap["flags"] == 3
    assert mem[:4096].sum() == 0 and mem[8192:].sum() == 0, "writes stay inside the page"
    # MONOTONIC as the vDSO computes it equals host monotonic (cr16 = monotonic ns mod 2^32)
    import time
    page = bytes(mem[4096:8192])
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    assert vvar.read_clock(page, 1, now & 0xFFFFFFFF) == now
    w.disable()
    assert w.seq == 6 and vvar.read_clock(bytes(mem[4096:8192]), 1, 0) is None
    # fine clocks that must not go backwards never do across updates
    last = {}
    for _ in range(200):
        clocks, c16 = host.sample()
        for cid in (1, 4, 7):
            assert clocks[cid] >= last.get(cid, 0)
            last[cid] = clocks[cid]


# -- guest programs ---------------------------------------------------------------------------

def build_guest(tmp_path: Path, src: str, *extra: str) -> Path:
    out = tmp_path / Path(src).stem
    r = subprocess.run([tool("gcc"), "-static", "-O2", "-Wall", "-Wextra", "-Werror", *extra,
                        "-o", str(out), str(GUEST / src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def qemu() -> str:
    path = shutil.which(QEMU)
    assert path, f"{QEMU} not found: run `make toolchain` (qemu-user is required)"
    return path


def test_vdso_parse_compiles_and_runs_without_exports(tmp_path):
    """qemu-hppa has no vDSO (7.x) or an export-free one (8.2+): an empty symbol set."""
    exe = build_guest(tmp_path, "vdso_parse.c")
    r = subprocess.run([qemu(), str(exe)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert "symbols: 0" in lines
    assert not any(l.startswith(("symbol ", "FAIL")) for l in lines)


def test_vvar_code_under_qemu(tmp_path):
    """The real vvar-profile code, mapped by hand above a vvar page and run by qemu-hppa."""
    exe = build_guest(tmp_path, "vdso_vvar_harness.c", "-I", str(SRC))
    r = subprocess.run([qemu(), str(exe), str(SRC / "images" / "vdso-vvar.so")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "failures: 0" in r.stdout, r.stdout + r.stderr
    assert not any(l.startswith("FAIL") for l in r.stdout.splitlines())


@pytest.fixture(scope="module")
def vdso_parse_exe(tmp_path_factory) -> Path:
    return build_guest(tmp_path_factory.mktemp("vdso-parse"), "vdso_parse.c")


@pytest.mark.parametrize("profile", IMAGE_PROFILES)
def test_vdso_parse_on_each_image_under_qemu(vdso_parse_exe, profile):
    """vdso_parse.c's own test hook maps each image by hand (zero vvar page: every function
    takes its syscall path), so its symbol listing, hash/verdef lookup and the raw-address and
    descriptor calls are exercised before the emulator can run it."""
    env = dict(os.environ, VDSO_PARSE_IMAGE=str(SRC / "images" / f"vdso-{profile}.so"))
    r = subprocess.run([qemu(), str(vdso_parse_exe)], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert not any(l.startswith("FAIL") for l in lines), r.stdout
    want = sorted(f"{n}@{v}" for n, v in vdso.EXPECTED_EXPORTS[profile].items())
    assert [l[len("symbol "):] for l in lines if l.startswith("symbol ")] == want
    assert f"symbols: {len(want)}" in lines
    assert "soname: linux-vdso32.so.1" in lines
    for name in vdso.EXPECTED_EXPORTS[profile]:
        assert f"OK lookup {name}@LINUX_6.11" in lines
