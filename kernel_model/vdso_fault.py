"""Broken vDSOs, on purpose: the fault cells of ``hppa-user startup-check --faults`` and
``hppa-user run --vdso-fault NAME``.

Each fault is what a buggy or mismatched kernel could hand a process: the image it maps, or
the AT_SYSINFO_EHDR it puts in the auxiliary vector, differs from the profile's. Everything
else stays as the profile has it (the mapping's place and size, [vdso]/[vvar] in
/proc/self/maps, the kernel's own use of the signal trampolines, which the kernel finds in
its copy of the image, not in the process's). So a fault cell shows what glibc alone does
with a bad vDSO: falls back to syscalls, fails a call, or dies before ``main``.

Applied by :func:`kernel_model.process.map_vdso` (``image_bytes``) and the stack set-up
(``auxv_ehdr``); a fault needs a profile with a vDSO image (5.18, 6.11, vvar).
"""
from __future__ import annotations

import struct
from _collections_abc import Callable   # (start-up rule: cli.py)

from hppa_user.records import record
from kernel_model import abi
from kernel_model.vdso import VdsoImage

# ELF constants used here (elf.h)
PT_DYNAMIC = 2
DT_NULL, DT_HASH, DT_STRTAB = 0, 4, 5
DT_GNU_HASH, DT_VERDEF, DT_VERDEFNUM = 0x6FFFFEF5, 0x6FFFFFFC, 0x6FFFFFFD
VER_FLG_BASE = 1

#: the version node glibc (>= 2.40 on hppa) and the vsyscall dispatcher look symbols up in
EXPECTED_NODE = "LINUX_6.11"
#: what the version-node fault calls it instead: the 5.18 image's node, same length
WRONG_NODE = "LINUX_5.18"
#: AT_SYSINFO_EHDR of the unmapped-ehdr fault: below mmap_min_addr (64 KiB), where Linux
#: never maps anything, and above page zero (the gateway page)
UNMAPPED_EHDR = 0x8000

# `bv %r0(%rp)` / `ldi -ENOSYS,%r28` (= ldo -ENOSYS(%r0),%r28: opcode 0x0d, t = 28,
# low-sign-extended im14): return -ENOSYS at once
BV_R0_RP = 0xE840C000
LDI_MINUS_ENOSYS_R28 = (0x0D << 26) | (28 << 16) | (((-abi.ENOSYS) & 0x1FFF) << 1) | 1


@record
class VdsoFault:
    name: str
    doc: str
    image: Callable[[VdsoImage], bytes] | None = None     # the bytes mapped instead
    ehdr: Callable[[int], int | None] | None = None       # AT_SYSINFO_EHDR for the base

    def image_bytes(self, img: VdsoImage) -> bytes:
        """What is mapped at the vDSO base (padded to the image's pages by the caller)."""
        return self.image(img) if self.image else img.data

    def auxv_ehdr(self, base: int) -> int | None:
        """AT_SYSINFO_EHDR for a vDSO mapped at ``base``; None: the entry is left out."""
        return self.ehdr(base) if self.ehdr else base


def _u32(data, off: int) -> int:
    return struct.unpack_from(">I", data, off)[0]


def _dynamic(img: VdsoImage) -> tuple[int, list[tuple[int, int]]]:
    """File offset of the dynamic section and its (tag, value) entries up to DT_NULL."""
    off = next(p[1] for p in img.program_headers if p[0] in ("PT_DYNAMIC", PT_DYNAMIC))
    entries = []
    for pos in range(off, len(img.data) - 7, 8):
        tag, val = struct.unpack_from(">iI", img.data, pos)
        if tag == DT_NULL:
            break
        entries.append((tag, val))
    return off, entries


def without_hash(img: VdsoImage) -> bytes:
    """The dynamic section without DT_HASH (nor DT_GNU_HASH): no symbol can be looked up."""
    data = bytearray(img.data)
    off, entries = _dynamic(img)
    kept = [(t, v) for t, v in entries if t not in (DT_HASH, DT_GNU_HASH)]
    kept += [(DT_NULL, 0)] * (len(entries) + 1 - len(kept))
    for i, (t, v) in enumerate(kept):
        struct.pack_into(">iI", data, off + 8 * i, t, v)
    return bytes(data)


def elf_hash(name: bytes) -> int:
    """The System V ABI hash (the vd_hash of a version definition)."""
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def renamed_node(img: VdsoImage) -> bytes:
    """The LINUX_6.11 version definition renamed WRONG_NODE (name and vd_hash): a consistent
    image whose symbols are all defined at another node. The image is linked at 0, so the
    DT_VERDEF and DT_STRTAB values are file offsets."""
    data = bytearray(img.data)
    dyn = dict(_dynamic(img)[1])
    strtab, vd, count = dyn[DT_STRTAB], dyn[DT_VERDEF], dyn[DT_VERDEFNUM]
    old, new = EXPECTED_NODE.encode(), WRONG_NODE.encode()
    assert len(old) == len(new)
    for _ in range(count):
        flags, = struct.unpack_from(">H", data, vd + 2)
        aux = vd + _u32(data, vd + 12)
        name = strtab + _u32(data, aux)
        if not flags & VER_FLG_BASE and data[name:name + len(old) + 1] == old + b"\0":
            data[name:name + len(new)] = new
            struct.pack_into(">I", data, vd + 8, elf_hash(new))
        vd += _u32(data, vd + 16)
    return bytes(data)


def enosys_functions(img: VdsoImage) -> bytes:
    """Every exported __vdso_* function returns -ENOSYS at once."""
    data = bytearray(img.data)
    for sym in img.exports.values():
        if sym.type == "STT_FUNC" and sym.name.startswith("__vdso_"):
            struct.pack_into(">II", data, sym.offset, BV_R0_RP, LDI_MINUS_ENOSYS_R28)
    return bytes(data)


def truncated(img: VdsoImage) -> bytes:
    """Only the first half of the loaded part: the headers and the symbol and version tables
    survive; the rest of the page (the code's end, .eh_frame, and .dynamic, which Linux's
    linker script also puts last) reads as zeros."""
    load = next(p for p in img.program_headers if p[0] == "PT_LOAD")
    cut = (load[3] // 2) & ~3
    return img.data[:cut]


FAULTS: dict[str, VdsoFault] = {f.name: f for f in (
    VdsoFault("no-ehdr", "a vDSO is mapped, but the auxiliary vector has no AT_SYSINFO_EHDR",
              ehdr=lambda base: None),
    VdsoFault("no-hash", "the image has no DT_HASH (and no DT_GNU_HASH)", image=without_hash),
    VdsoFault("version-node", f"the image's version node is {WRONG_NODE}, not {EXPECTED_NODE}",
              image=renamed_node),
    VdsoFault("enosys", "every exported __vdso_* function returns -ENOSYS", image=enosys_functions),
    VdsoFault("truncated", "the image is cut after its symbol tables (the rest of the page, "
              ".dynamic included, reads as zeros)", image=truncated),
    VdsoFault("ehdr-unmapped", f"AT_SYSINFO_EHDR points at unmapped memory ({UNMAPPED_EHDR:#x})",
              ehdr=lambda base: UNMAPPED_EHDR),
)}


def get(name: str) -> VdsoFault:
    try:
        return FAULTS[name]
    except KeyError:
        raise ValueError(f"unknown vDSO fault {name!r} (choose {', '.join(FAULTS)})") from None
