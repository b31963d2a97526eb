"""ELF loader: static ELF32 big-endian EM_PARISC executables into guest memory.

Every malformed input becomes a LoaderError with a one-line message; nothing else escapes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from hppa_user.errors import LoaderError
from hppa_user.memory import PAGE_MASK, PERM_R, PERM_W, PERM_X, GuestMemory

EM_PARISC = 15
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR, PT_TLS = 1, 2, 3, 6, 7
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
TASK_SIZE = 0xFFF00000       # DEFAULT_TASK_SIZE32: user addresses end here
MIN_ADDR = 0x1000            # page zero is the gateway page


@dataclass
class LoadedProgram:
    entry: int
    phdr_addr: int
    phent: int
    phnum: int
    brk_start: int
    exec_stack: bool
    segments: list = field(default_factory=list)   # (vaddr, memsz, flags, file offset)


def _prot(flags: int) -> int:
    return (PERM_R if flags & PF_R else 0) | (PERM_W if flags & PF_W else 0) | (PERM_X if flags & PF_X else 0)


def read_program(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except IsADirectoryError:
        raise LoaderError("is a directory") from None
    except FileNotFoundError:
        raise LoaderError("no such file") from None
    except PermissionError:
        raise LoaderError("permission denied") from None
    except OSError as e:
        raise LoaderError(e.strerror or str(e)) from None


def load_elf(data: bytes, mem: GuestMemory) -> LoadedProgram:
    """Validate ``data`` and map its PT_LOAD segments into ``mem``."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    if len(data) < 4 or data[:4] != b"\x7fELF":
        if data[:2] == b"#!":
            raise LoaderError("scripts are not supported; run the interpreter on the script")
        raise LoaderError("not an ELF file")
    if len(data) < 52:
        raise LoaderError("truncated ELF header")
    if data[4] != 1:
        raise LoaderError("not a 32-bit ELF file (ELFCLASS64)" if data[4] == 2 else "bad ELF class")
    if data[5] != 2:
        raise LoaderError("not a big-endian ELF file")
    try:
        elf = ELFFile(io.BytesIO(data))
        hdr = elf.header
        machine = int.from_bytes(data[18:20], "big")
        if machine != EM_PARISC:
            raise LoaderError(f"not a PA-RISC executable (e_machine {machine})")
        if hdr["e_type"] not in ("ET_EXEC", "ET_DYN"):
            raise LoaderError(f"not an executable ({hdr['e_type']})")
        phoff, phnum, phentsize = hdr["e_phoff"], hdr["e_phnum"], hdr["e_phentsize"]
        if phnum == 0:
            raise LoaderError("no program headers")
        if phentsize != 32 or phoff + phnum * 32 > len(data):
            raise LoaderError("truncated or malformed program headers")
        segs = [elf.get_segment(i).header for i in range(phnum)]
    except LoaderError:
        raise
    except (ELFError, ValueError, KeyError, IndexError, AssertionError, OSError) as e:
        raise LoaderError(f"malformed ELF file ({e.__class__.__name__})") from None
    except Exception as e:  # pyelftools raises assorted errors on hostile input
        raise LoaderError(f"malformed ELF file ({e.__class__.__name__})") from None

    types = [s["p_type"] for s in segs]
    if "PT_INTERP" in types or "PT_DYNAMIC" in types:
        raise LoaderError("dynamically linked programs are not supported yet; link with -static")
    if hdr["e_type"] == "ET_DYN":
        raise LoaderError("position-independent executables are not supported; link with -static")
    loads = [s for s in segs if s["p_type"] == "PT_LOAD"]
    if not loads:
        raise LoaderError("no loadable segments")
    exec_stack = True
    for s in segs:
        if s["p_type"] == "PT_GNU_STACK":
            exec_stack = bool(s["p_flags"] & PF_X)

    # validate every segment before mapping any
    for s in loads:
        va, msz, off, fsz = s["p_vaddr"], s["p_memsz"], s["p_offset"], s["p_filesz"]
        if fsz > msz:
            raise LoaderError("segment file size exceeds its memory size")
        if off + fsz > len(data):
            raise LoaderError("truncated file: a segment extends past its end")
        if va < MIN_ADDR or va + msz > TASK_SIZE:
            raise LoaderError(f"segment at {va:#x}+{msz:#x} lies outside the user address space")
        if (va - off) & PAGE_MASK:
            raise LoaderError("segment address and file offset are not congruent modulo the page size")

    segments = []
    brk = 0
    for s in loads:
        va, msz, off, fsz, flags = s["p_vaddr"], s["p_memsz"], s["p_offset"], s["p_filesz"], s["p_flags"]
        start = va & ~PAGE_MASK
        end = (va + msz + PAGE_MASK) & ~PAGE_MASK
        mem.map(start, end - start, _prot(flags))
        mem.poke(va, data[off:off + fsz])        # the rest of the mapping stays zero: bss
        segments.append((va, msz, flags, off))
        brk = max(brk, va + msz)

    entry = hdr["e_entry"]
    phdr_addr = 0
    for s in segs:
        if s["p_type"] == "PT_PHDR":
            phdr_addr = s["p_vaddr"]
    if not phdr_addr:
        for s in loads:
            if s["p_offset"] <= phoff < s["p_offset"] + s["p_filesz"]:
                phdr_addr = s["p_vaddr"] + phoff - s["p_offset"]
    if not any(va <= entry < va + msz and fl & PF_X for va, msz, fl, _ in segments):
        raise LoaderError(f"entry point {entry:#x} is not in an executable segment")
    return LoadedProgram(entry=entry, phdr_addr=phdr_addr, phent=32, phnum=phnum,
                         brk_start=brk, exec_stack=exec_stack, segments=segments)


def symtab_symbols(path: str) -> dict[str, int]:
    """The defined symbols of the ELF ``.symtab`` of the file ``path``: name -> value.

    Where a name is defined more than once a function wins, then the lowest value. Empty
    for a stripped file; LoaderError if the file cannot be read as ELF."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    found: dict[str, tuple[bool, int]] = {}
    try:
        with open(path, "rb") as fh:
            sec = ELFFile(fh).get_section_by_name(".symtab")
            if not isinstance(sec, SymbolTableSection):
                return {}
            for sym in sec.iter_symbols():
                if sym["st_shndx"] == "SHN_UNDEF" or not sym.name:
                    continue
                key = (sym["st_info"]["type"] != "STT_FUNC", sym["st_value"])
                if sym.name not in found or key < found[sym.name]:
                    found[sym.name] = key
    except OSError as e:
        raise LoaderError(e.strerror or str(e)) from None
    except Exception as e:  # pyelftools raises assorted errors on bad input
        raise LoaderError(f"malformed ELF file ({e.__class__.__name__})") from None
    return {name: value for name, (_, value) in found.items()}
