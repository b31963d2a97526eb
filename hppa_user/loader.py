"""ELF parsing for exec: ELF32 big-endian EM_PARISC executables and shared objects.

This module only reads and validates; placing the segments in an address space (with the
interpreter, the PIE bias, the stack and the auxiliary vector) is exec's business, done by
``kernel_model.binfmt_elf`` as Linux's ``load_elf_binary`` does it.

Every malformed input becomes a LoaderError with a one-line message; nothing else escapes.
"""
from __future__ import annotations

import mmap
import os
import stat
import struct

from hppa_user.errors import LoaderError
from hppa_user.memory import PAGE_MASK
from hppa_user.records import record

EM_PARISC = 15
ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR, PT_TLS = 1, 2, 3, 6, 7
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
TASK_SIZE = 0xFFF00000       # DEFAULT_TASK_SIZE32: user addresses end here
MIN_ADDR = 0x1000            # page zero is the gateway page
PATH_MAX = 4096
EHDR_SIZE = 52
PHDR_SIZE = 32
_EHDR = struct.Struct(">16sHHIIIIIHHHHHH")
_PHDR = struct.Struct(">IIIIIIII")


@record
class Segment:
    """One PT_LOAD program header (addresses before any load bias)."""
    vaddr: int
    memsz: int
    offset: int
    filesz: int
    flags: int


@record
class ElfImage:
    """What exec needs from an ELF file's headers."""
    e_type: int                       # ET_EXEC or ET_DYN
    entry: int
    phoff: int
    phnum: int
    loads: tuple                      # Segment, in program-header order
    interp: bytes | None              # PT_INTERP path (without its NUL), or None
    exec_stack: bool                  # PT_GNU_STACK asks for (or, absent, implies) PF_X
    phdr_vaddr: int                   # where the program headers are once loaded (0: not)

    @property
    def is_dyn(self) -> bool:
        return self.e_type == ET_DYN

    @property
    def first_page(self) -> int:
        return self.loads[0].vaddr & ~PAGE_MASK

    @property
    def total_size(self) -> int:
        """total_mapping_size(): from the first PT_LOAD's page to the end of the last one."""
        last = max(s.vaddr + s.memsz for s in self.loads)
        return ((last + PAGE_MASK) & ~PAGE_MASK) - self.first_page

    @property
    def end(self) -> int:
        """End of the highest segment's memory (the break starts on the page after it)."""
        return max(s.vaddr + s.memsz for s in self.loads)


def open_program(path: str) -> tuple[int, bytes | mmap.mmap]:
    """A host fd on an executable file and its bytes (OSError as the host raises it; the
    caller owns the fd).  A regular file's bytes are the file mapped read-only, not a copy:
    exec reads its headers and maps its segments from the fd, so the rest is never read."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_size:
            return fd, mmap.mmap(fd, st.st_size, access=mmap.ACCESS_READ)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return fd, b"".join(chunks)
    except OSError:
        os.close(fd)
        raise


def program_error(e: OSError) -> LoaderError:
    """The one-line refusal for a file exec cannot read."""
    if isinstance(e, IsADirectoryError):
        return LoaderError("is a directory")
    if isinstance(e, FileNotFoundError):
        return LoaderError("no such file")
    if isinstance(e, PermissionError):
        return LoaderError("permission denied")
    return LoaderError(e.strerror or str(e))


def read_program(path: str) -> bytes:
    try:
        fd, data = open_program(path)
    except OSError as e:
        raise program_error(e) from None
    os.close(fd)
    return bytes(data)


def check_ident(data: bytes) -> None:
    """The e_ident checks every hppa ELF file must pass (elf_check_arch and friends)."""
    if len(data) < 4 or data[:4] != b"\x7fELF":
        if data[:2] == b"#!":
            raise LoaderError("scripts are not supported; run the interpreter on the script")
        raise LoaderError("not an ELF file")
    if len(data) < EHDR_SIZE:
        raise LoaderError("truncated ELF header")
    if data[4] != 1:
        raise LoaderError("not a 32-bit ELF file (ELFCLASS64)" if data[4] == 2 else "bad ELF class")
    if data[5] != 2:
        raise LoaderError("not a big-endian ELF file")
    machine = int.from_bytes(data[18:20], "big")
    if machine != EM_PARISC:
        raise LoaderError(f"not a PA-RISC executable (e_machine {machine})")


def parse_elf(data: bytes) -> ElfImage:
    """Validate ``data`` as an hppa executable or shared object and read its program headers."""
    check_ident(data)
    (_, e_type, _, _, entry, phoff, _, _, _, phentsize, phnum, _, _, _) = _EHDR.unpack_from(data)
    if e_type not in (ET_EXEC, ET_DYN):
        names = {0: "ET_NONE", 1: "ET_REL", 4: "ET_CORE"}
        raise LoaderError(f"not an executable ({names.get(e_type, f'e_type {e_type}')})")
    if phnum == 0:
        raise LoaderError("no program headers")
    if phentsize != PHDR_SIZE or phoff + phnum * PHDR_SIZE > len(data):
        raise LoaderError("truncated or malformed program headers")
    phdrs = [_PHDR.unpack_from(data, phoff + i * PHDR_SIZE) for i in range(phnum)]

    loads, interp, exec_stack, phdr_vaddr = [], None, True, None
    for p_type, off, va, _pa, fsz, msz, flags, _align in phdrs:
        if p_type == PT_LOAD:
            if fsz > msz:
                raise LoaderError("segment file size exceeds its memory size")
            if off + fsz > len(data):
                raise LoaderError("truncated file: a segment extends past its end")
            if (va - off) & PAGE_MASK:
                raise LoaderError("segment address and file offset are not congruent modulo the page size")
            # (where it lands -- inside TASK_SIZE? -- is checked while mapping it, as
            # load_elf_binary() does after the point of no return: binfmt_elf._check_range)
            loads.append(Segment(va, msz, off, fsz, flags))
        elif p_type == PT_INTERP:
            # load_elf_binary: 2 <= p_filesz <= PATH_MAX and NUL-terminated, else ENOEXEC
            if interp is not None or not 2 <= fsz <= PATH_MAX or off + fsz > len(data) \
                    or data[off + fsz - 1] != 0:
                raise LoaderError("malformed PT_INTERP (the interpreter's path)")
            interp = bytes(data[off:off + fsz - 1]).split(b"\0", 1)[0]
        elif p_type == PT_GNU_STACK:
            exec_stack = bool(flags & PF_X)
        elif p_type == PT_PHDR:
            phdr_vaddr = va
    if not loads:
        raise LoaderError("no loadable segments")
    if phdr_vaddr is None:
        phdr_vaddr = 0
        for s in loads:
            if s.offset <= phoff < s.offset + s.filesz:
                phdr_vaddr = s.vaddr + phoff - s.offset
    # (an entry point outside the executable segments is refused once mapped, as Linux's
    # BAD_ADDR(e_entry) is: binfmt_elf.check_entry)
    return ElfImage(e_type=e_type, entry=entry, phoff=phoff, phnum=phnum, loads=tuple(loads),
                    interp=interp, exec_stack=exec_stack, phdr_vaddr=phdr_vaddr)


# ELF section headers and symbols, either class (1: 32-bit, 2: 64-bit) and byte order:
# symtab_symbols reads guest programs with them, objcode.py the host objects LLVM emits
_SHDR = {1: "IIIIIIIIII", 2: "IIQQQQIIQQ"}
_SYM = {1: "IIIBBH", 2: "IBBHQQ"}                 # name value size info other shndx (32)
_SHOFF = {1: (0x20, "I", 0x30), 2: (0x28, "Q", 0x3C)}
SHT_SYMTAB, STT_FUNC = 2, 2
SHN_UNDEF = 0


@record
class Symbol:
    name: str
    value: int
    info: int
    shndx: int
    size: int = 0


def elf_sections(data: bytes) -> tuple[int, str, list[tuple]]:
    """(class, struct byte order, section headers: (name, type, flags, addr, offset,
    size, link, info, addralign, entsize)).  ValueError (struct.error, IndexError) on
    what is not ELF or runs past the data."""
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise ValueError("not ELF")
    cls, order = data[4], ">" if data[5] == 2 else "<"
    at, kind, num_at = _SHOFF[cls]
    shoff = struct.unpack_from(order + kind, data, at)[0]
    shnum = struct.unpack_from(order + "H", data, num_at)[0]
    shdr = struct.Struct(order + _SHDR[cls])
    return cls, order, [shdr.unpack_from(data, shoff + k * shdr.size) for k in range(shnum)]


def elf_symbols(data: bytes, cls: int, order: str, sections: list[tuple],
                named=None) -> list[Symbol] | None:
    """The symbols of the SHT_SYMTAB section in table order (index 0 included), or None
    when there is none (a stripped file).  ``named``: only the symbols with one of these
    names (table indices are then lost); the others' names are not even read."""
    symtab = next((sh for sh in sections if sh[1] == SHT_SYMTAB), None)
    if symtab is None:
        return None
    strtab = sections[symtab[6]]
    names = data[strtab[4]:strtab[4] + strtab[5]]
    table = data[symtab[4]:symtab[4] + symtab[5]]
    sym = struct.Struct(order + _SYM[cls])
    at = None if named is None else _name_offsets(names, named)
    if at == set():
        return []
    out = []
    for fields in sym.iter_unpack(table[:len(table) - len(table) % sym.size]):
        if cls == 1:
            name, value, size, info, _other, shndx = fields
        else:
            name, info, _other, shndx, value, size = fields
        if at is not None and name not in at:
            continue
        text = names[name:names.index(b"\0", name)].decode("utf-8", "replace") if name else ""
        out.append(Symbol(text, value, info, shndx, size))
    return out


def _name_offsets(strtab: bytes, named) -> set[int]:
    """Where each of the strings ``named`` starts in a string table (also as the tail of
    a longer string, which a linker may share)."""
    at = set()
    for name in named:
        key = name.encode() + b"\0"
        i = strtab.find(key)
        while i >= 0:
            at.add(i)
            i = strtab.find(key, i + 1)
    return at


def symtab_symbols(path: str, named=None) -> dict[str, int]:
    """The defined symbols of the ELF ``.symtab`` of the file ``path``: name -> value;
    ``named``: only these names.

    Where a name is defined more than once a function wins, then the lowest value. Empty
    for a stripped file; LoaderError if the file cannot be read as ELF.  (Read with
    struct: --stats and the tracer look symbols up at every start, and pyelftools took
    ~60 ms over a static glibc program's table; all of its names, ~2000 in bzip2, took
    ~3 ms of every --stats run, which wants a few.)"""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise LoaderError(e.strerror or str(e)) from None
    found: dict[str, tuple[bool, int]] = {}
    try:
        cls, order, sections = elf_sections(data)
        for sym in elf_symbols(data, cls, order, sections, named) or ():
            if sym.shndx == SHN_UNDEF or not sym.name:
                continue
            key = ((sym.info & 0xF) != STT_FUNC, sym.value)
            if sym.name not in found or key < found[sym.name]:
                found[sym.name] = key
    except (struct.error, IndexError, ValueError) as e:
        raise LoaderError(f"malformed ELF file ({e})") from None
    return {name: value for name, (_, value) in found.items()}
