"""Process start as Linux/parisc does it: stack, argument tables, auxv, initial registers.

The parisc stack grows *upward*. With an 8 MiB stack limit the stack VMA starts at
STACK_TOP - 8 MiB = 0xFF700000; exec's argument pages (argv strings, env strings, the
filename, then a pointer-size gap) end on a page boundary there, and create_elf_tables
builds upward from that boundary (fs/binfmt_elf.c with CONFIG_STACK_GROWSUP):

    "PARISC\\0", 16 AT_RANDOM bytes, padding, argc, argv[], NULL, envp[], NULL, auxv (ends
    16-byte aligned at bprm->p), then r30 = bprm->p rounded up to 64.
"""
from __future__ import annotations

import os
import struct

from hppa_user import hostarray
from hppa_user.memory import PAGE_SIZE, PERM_R, PERM_X, page_align_up
from kernel_model import abi, vdso as vdso_images, vdso_fault
from kernel_model.abi import (AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN,
                              AT_FLAGS, AT_GID, AT_HWCAP, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT,
                              AT_PHNUM, AT_PLATFORM, AT_RANDOM, AT_SECURE, AT_SYSINFO_EHDR,
                              AT_UID)
from kernel_model.syscalls.mm import get_unmapped_area
from kernel_model.vm import prot_to_perm

STACK_TOP = 0xFFF00000
STACK_LIMIT = 8 << 20
STACK_BASE = STACK_TOP - STACK_LIMIT      # 0xFF700000: also mmap_base (mmap_upper_limit)
SPACE_ID = 0x0A5C                          # the process's space id (sr4-sr7)


def setup_stack(mem, argv: list[bytes], envp: list[bytes], execfn: bytes, *, phdr: int,
                phnum: int, entry: int, interp_base: int = 0, vdso_base: int = 0,
                random_bytes: bytes | None = None):
    """Write the argument strings and create_elf_tables()' tables into the stack VMA (mapped
    by the caller); return (sp, argv_addr, argc, auxv list).

    ``phdr``/``phnum``/``entry`` describe the program (AT_PHDR, AT_PHNUM, AT_ENTRY, all
    relocated); ``interp_base`` is the interpreter's load address (AT_BASE, 0 without one)."""

    # argument pages: argv strings, env strings, filename, ending 4 bytes below the top
    blob = b"".join(a + b"\0" for a in argv) + b"".join(e + b"\0" for e in envp) + execfn + b"\0"
    pages = page_align_up(len(blob) + 4) // PAGE_SIZE
    top = STACK_BASE + pages * PAGE_SIZE      # bprm->p after setup_arg_pages
    strings = top - 4 - len(blob)
    mem.poke(strings, blob)
    argv_addrs, p = [], strings
    for a in argv:
        argv_addrs.append(p)
        p += len(a) + 1
    env_addrs = []
    for e in envp:
        env_addrs.append(p)
        p += len(e) + 1
    execfn_addr = p

    # create_elf_tables, growing up from bprm->p
    p = top
    platform_addr = p
    mem.poke(p, b"PARISC\0")
    p += 7
    random_addr = p
    mem.poke(p, random_bytes if random_bytes is not None else os.urandom(16))
    p += 16

    auxv = []
    if vdso_base:
        auxv.append((AT_SYSINFO_EHDR, vdso_base))
    auxv += [
        (AT_HWCAP, 0), (AT_PAGESZ, PAGE_SIZE), (AT_CLKTCK, 100),
        (AT_PHDR, phdr), (AT_PHENT, 32), (AT_PHNUM, phnum),
        (AT_BASE, interp_base), (AT_FLAGS, 0), (AT_ENTRY, entry),
        (AT_UID, os.getuid()), (AT_EUID, os.geteuid()), (AT_GID, os.getgid()), (AT_EGID, os.getegid()),
        (AT_SECURE, 0), (AT_RANDOM, random_addr), (AT_EXECFN, execfn_addr),
        (AT_PLATFORM, platform_addr), (AT_NULL, 0),
    ]
    ei_words = 2 * len(auxv)
    items = (len(argv) + 1) + (len(envp) + 1) + 1
    sp_words = p + 4 * ei_words
    bprm_p = (15 + sp_words + 4 * items) & ~15
    table = bprm_p - 4 * items - 4 * ei_words     # argc lives here (bprm->exec)
    words = [len(argv)] + argv_addrs + [0] + env_addrs + [0]
    for k, v in auxv:
        words += [k, v]
    mem.poke(table, struct.pack(f">{len(words)}I", *[w & 0xFFFFFFFF for w in words]))
    sp = (bprm_p + 63) & ~63
    return sp, table + 4, len(argv), auxv


def initial_registers(ctx, entry: int, sp: int, argc: int, argv_addr: int) -> None:
    """start_thread(): what the kernel leaves in the CPU context at the first instruction."""
    gr, sr = ctx.gr, ctx.sr
    hostarray.fill(gr, 0)
    gr[25] = argc
    gr[24] = argv_addr
    gr[23] = 0
    gr[30] = sp
    gr[31] = entry | 3
    hostarray.fill(sr, 0)
    sr[2] = 0                 # LINUX_GATEWAY_SPACE
    sr[3] = 0xFFFF
    hostarray.fill(sr[4:8], SPACE_ID)
    ctx.jump(entry)


class MappedVdso:
    """The vDSO of one process: its image, where it is mapped, and its vvar page.

    Placed as arch_setup_additional_pages() does: get_unmapped_area() with mmap_base as the
    hint, which the stack reservation above it occupies, so the area is the highest free one
    below mmap_base -- below the interpreter when exec mapped one. The vvar page, when the
    profile has one, sits directly below the text (timekeeping writes it).
    """

    def __init__(self, mem, image, base: int, fault=None):
        """``fault``: a :class:`kernel_model.vdso_fault.VdsoFault` whose bytes are mapped
        instead of the image's (the kernel keeps using ``image`` for its own needs)."""
        self.image = image
        self.fault = fault
        self.base = base
        mem.map(self.base, image.map_size, PERM_R | PERM_X)
        data = fault.image_bytes(image) if fault else image.data
        mem.poke(self.base, data + bytes(image.map_size - len(data)))
        self.vvar_base = image.vvar_address(self.base)
        if self.vvar_base is not None:
            mem.map(self.vvar_base, PAGE_SIZE, PERM_R)

    @property
    def text_range(self) -> tuple[int, int]:
        return self.base, self.base + self.image.map_size

    @property
    def auxv_ehdr(self) -> int:
        """AT_SYSINFO_EHDR (0: left out of the auxiliary vector)."""
        if self.fault is None:
            return self.base
        return self.fault.auxv_ehdr(self.base) or 0

    def entry_points(self) -> dict[int, str]:
        """Guest address -> exported function name."""
        return {self.base + off: name for off, name in self.image.entry_points().items()}

    def sigtramp_return(self, in_syscall: bool) -> int:
        return self.image.sigtramp_return(self.base, in_syscall)

    def restart_address(self) -> int:
        return self.image.restart_address(self.base)


def map_vdso(k, profile: str, fault: str | None = None):
    """Map the profile's vDSO (None for profile 'none', as Linux <= 5.17 had none) and
    describe it (and its vvar page) as [vdso] / [vvar].
    ``fault``: a :mod:`kernel_model.vdso_fault` name, the profile's vDSO broken that way."""
    image = vdso_images.load_image(profile)
    broken = vdso_fault.get(fault) if fault else None
    if image is None:
        if broken:
            raise ValueError(f"vDSO fault {fault!r} needs a kernel profile with a vDSO "
                             "(5.18, 6.11 or vvar)")
        return None
    below = PAGE_SIZE if image.uses_vvar else 0
    base = get_unmapped_area(k, image.map_size + below) + below
    mapped = MappedVdso(k.mem, image, base, broken)
    lo, hi = mapped.text_range
    k.vm.add(lo, hi, abi.PROT_READ | abi.PROT_EXEC, name="[vdso]")
    if mapped.vvar_base is not None:
        k.vm.add(mapped.vvar_base, mapped.vvar_base + PAGE_SIZE, abi.PROT_READ, name="[vvar]")
    return mapped


def map_stack(k, exec_stack: bool) -> None:
    """The stack VMA: [STACK_BASE, STACK_TOP), growing up (setup_arg_pages)."""
    prot = abi.PROT_READ | abi.PROT_WRITE | (abi.PROT_EXEC if exec_stack else 0)
    k.mem.map(STACK_BASE, STACK_TOP - STACK_BASE, prot_to_perm(prot))
    k.vm.add(STACK_BASE, STACK_TOP, prot, name="[stack]")
