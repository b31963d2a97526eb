"""Compiled code on this host without LLVM: load an object file, seal a cache entry.

The core and every region batch are x86-64 relocatable objects that LLVM emitted with the
large code model (native.py compiles them; only a process that compiles imports LLVM).
Loading one is a linker's smallest job, done here: the allocated sections are laid out in
two fresh mappings (read-only and code: read+execute; writable: read+write), the
relocations applied, and the symbols named.  Large-model code addresses everything through
64-bit absolute or PC-relative words, so two relocation types are all LLVM writes; anything
else (or an undefined symbol the C library lacks) is refused with :class:`ObjectError`,
never loaded half-relocated.  Unwinding tables are not loaded: nothing unwinds through
generated code (it never raises, never faults, never longjmps).  An object loaded at fixed
addresses also gives an *image*, the relocated result, which a later process maps at the
same addresses without relocating again (the core: core.Library.load).
"""
from __future__ import annotations

import _imp
import ctypes
import mmap
import os
import struct
import sys
from _thread import allocate_lock    # (start-up rule: cli.py)

from hppa_user.hostarray import (MAP_32BIT, MAP_ANONYMOUS, MAP_FAILED, MAP_FIXED_NOREPLACE,
                                 MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE, libc_function,
                                 libc_mmap, libc_mprotect, libc_munmap)
from hppa_user.jitcache import digest, read_bytes
from hppa_user.loader import SHN_UNDEF, elf_sections, elf_symbols

PAGE = 4096

# ELF: what an x86-64 relocatable object is made of
ET_REL, EM_X86_64 = 1, 62
SHT_RELA, SHT_NOBITS, SHT_X86_64_UNWIND = 4, 8, 0x70000001
SHF_WRITE, SHF_ALLOC = 0x1, 0x2
SHN_ABS = 0xFFF1
RELA = struct.Struct("<QQq")              # offset info addend
R_X86_64_64, R_X86_64_PC64 = 1, 24        # S + A, S + A - P: 64-bit words
M64 = (1 << 64) - 1


class ObjectError(RuntimeError):
    """An object file this loader cannot (or must not) load."""


def llvm_id() -> str:
    """Which LLVM compiles here: llvmlite's version file and the size of its LLVM library,
    read without importing llvmlite (a run that compiles nothing never loads it)."""
    for entry in sys.path:                   # (start-up rule: cli.py)
        home = os.path.join(entry or ".", "llvmlite")
        if os.path.isfile(os.path.join(home, "__init__.py")):
            break
    else:
        return "none"
    try:
        version = read_bytes(os.path.join(home, "_version.py"))
        size = os.stat(os.path.join(home, "binding", "libllvmlite.so")).st_size
    except OSError:
        return "none"
    return f"{digest(version, 16)}:{size}"


def host_id() -> str:
    """What compiled code depends on besides its source: LLVM (llvm_id) and the host CPU
    (LLVM compiles for the host's model and features, which /proc/cpuinfo names)."""
    global _host
    if _host is None:
        cpu = ""
        try:
            with open("/proc/cpuinfo") as fh:
                for line in fh:
                    if line.startswith(("model name", "flags", "cpu family", "model\t")):
                        cpu += line
                    elif not line.strip() and cpu:        # the first processor only
                        break
        except OSError:
            pass
        _host = f"{llvm_id()}|{os.uname().machine}|" \
                f"{digest(cpu.encode(), 16)}"
    return _host


_host: str | None = None


def _map(size: int, at: int | None = None, low: bool = False, fd: int = -1,
         offset: int = 0) -> int | None:
    """A fresh read+write mapping of ``size`` bytes, private: zero pages, or host file
    ``fd``'s from ``offset`` (copy-on-write); ``at``: exactly there, or None when that range
    is in use (or the kernel, older than MAP_FIXED_NOREPLACE, put it elsewhere); ``low``
    (``at`` None): below 2 GiB."""
    flags = MAP_PRIVATE | (MAP_ANONYMOUS if fd < 0 else 0) \
        | (0 if at is None else MAP_FIXED_NOREPLACE) | (MAP_32BIT if low and at is None else 0)
    addr = libc_mmap(at, size, PROT_READ | PROT_WRITE, flags, fd, offset)
    if addr in (None, MAP_FAILED):
        if at is not None:
            return None
        raise ObjectError(f"cannot map {size} bytes: {os.strerror(ctypes.get_errno())}")
    if at is not None and addr != at:
        libc_munmap(addr, size)
        return None
    return addr


def _map_both(spans: list[int], at, low: bool = False, fd: int = -1,
              offsets: tuple[int, int] = (0, 0)) -> list[int] | None:
    """The two mappings of a load (of ``fd`` from ``offsets``, or zero pages): at ``at``
    (both, or None), or (``at`` None) anywhere (``low``: below 2 GiB)."""
    if at is None:
        return [_map(spans[0], low=low), _map(spans[1], low=low)]
    first = _map(spans[0], at[0], fd=fd, offset=offsets[0])
    second = None if first is None else _map(spans[1], at[1], fd=fd, offset=offsets[1])
    if second is None:
        if first is not None:
            libc_munmap(first, spans[0])
        return None
    return [first, second]


class Loaded:
    """Object code loaded into this process for good (its code may run at any time):
    symbol -> address.

    ``at``: the addresses to place its two mappings at if they are free here (``low``:
    else anywhere below 2 GiB, as they must be); ``image``
    (None otherwise, and for one mapped from_image_file) is then what a later process may
    map at the same ones instead, kept as a file (image_file, from_image_file): the
    sections relocated, with the C library's addresses, which move from process to
    process, patched at each load.  The core's 2700 relocations cost ~1.5 ms of every
    run's start-up (core.Library); its image read and copied in, ~560 page faults and
    ~3.3 ms; mapped from its file, ~45 and ~1.5 ms."""

    def __init__(self, obj: bytes, at: tuple[int, int] | None = None, low: bool = False):
        try:
            self.symbols, self.image = _load(obj, at, low)
        except (struct.error, IndexError, ValueError) as e:
            raise ObjectError(f"malformed object file: {e}") from None
        self.mapped_from_image = False
        if os.environ.get("HPPA_USER_PERF_MAP"):
            _perf_map(self.symbols)

    @classmethod
    def from_image_file(cls, path: str, key: str) -> "Loaded | None":
        """The object whose image a load at fixed addresses made, kept at ``path`` under
        ``key`` (image_file), mapped at the same addresses from the file; None when there
        is no such file, it is another key's or damaged (its digest), or the addresses
        are in use here."""
        try:
            symbols = _map_image_file(path, key)
        except (OSError, struct.error, IndexError, ValueError, ObjectError):
            return None
        if symbols is None:
            return None
        self = cls.__new__(cls)
        self.symbols, self.image, self.mapped_from_image = symbols, None, True
        if os.environ.get("HPPA_USER_PERF_MAP"):
            _perf_map(self.symbols)
        return self

    def function(self, name: str) -> int:
        """The address of ``name`` (0: no such symbol, as LLVM's engines answer)."""
        return self.symbols.get(name, 0)

    global_address = function


def _c_function(name: str) -> int:
    """The address of a C library function an object calls (memset)."""
    address = libc_function(name)
    if address is None:
        raise ObjectError(f"undefined symbol {name}")
    return address


def _finish(base: list[int], spans: list[int], image: list) -> None:
    """Copy the two relocated parts in and make the first read+execute."""
    for m in (0, 1):
        ctypes.memmove(base[m], bytes(image[m]), len(image[m]))
    _make_code(base, spans)


def _make_code(base: list[int], spans: list[int]) -> None:
    """The first part of a load becomes read+execute (its code and read-only data)."""
    if libc_mprotect(base[0], spans[0], PROT_READ | PROT_EXEC) != 0:
        raise ObjectError(f"mprotect: {os.strerror(ctypes.get_errno())}")


# An image (Loaded.image) is what a later process needs to map the object where this one
# loaded it: its three lines -- "base0 base1 size0 size1", the C library words to patch
# ("part:offset:name:addend" each) and the symbols ("name=address" each) -- and the two
# relocated parts.  Kept, it is a file the process maps rather than reads (image_file):
# a line with its key and the check (seal_check) of the rest, the three lines, then each part
# from a page boundary of the file, mapped copy-on-write -- only the pages the process
# touches are read, and only those the C library words are in are copied.
IMAGE_MAGIC = "hppa-user-image"
SEAL_KEY = int.from_bytes(b"hppa-usr", "little")
SEAL_CHARS = 16
SEAL_HEAD = 256           # a sealed entry's header line is shorter (sealed: key, check, size)


def seal_check(data) -> str:
    """What a sealed file's header holds of its payload, to tell a damaged or truncated
    file (hex): CPython's keyed SipHash-1-3 (its hash-based .pyc files' check), 64 bits.
    Not BLAKE2b, which took 0.41 ms over the core's 369 KB image, read by every run,
    against 0.09 ms; it guards against damage, not against whoever can write the cache
    (who could write a matching BLAKE2b digest as well)."""
    return _imp.source_hash(SEAL_KEY, data).hex()


def _image(base, size, libc_words, exported, image) -> tuple[bytes, list[bytes]] | None:
    if any(not n.isprintable() or " " in n or "=" in n for n in exported):
        return None                              # (names the image could not spell)
    lines = b"".join(line + b"\n" for line in [
        f"{base[0]} {base[1]} {size[0]} {size[1]}".encode(),
        " ".join(f"{m}:{off}:{name}:{addend}" for m, off, name, addend in libc_words).encode(),
        " ".join(f"{n}={a}" for n, a in exported.items()).encode()])
    return lines, [bytes(image[0]), bytes(image[1])]


def image_file(image: tuple[bytes, list[bytes]], key: str) -> bytes:
    """The file keeping ``image`` (Loaded.image) for the processes asking for ``key``."""
    lines, (part0, part1) = image
    seal = len(f"{IMAGE_MAGIC} {key} ") + SEAL_CHARS + 1
    rest = lines + bytes(-(seal + len(lines)) % PAGE) + part0 + bytes(-len(part0) % PAGE) + part1
    return f"{IMAGE_MAGIC} {key} {seal_check(rest)}\n".encode() + rest


def _map_image_file(path: str, key: str) -> dict[str, int] | None:
    """Map the image kept at ``path`` (ValueError if malformed): its symbols, or None if
    it is not ``key``'s or its place is taken."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as m:
            view = memoryview(m)
            try:
                nl = m.find(b"\n")
                magic, k, named = bytes(view[:nl]).decode().split(" ")
                if magic != IMAGE_MAGIC or k != key or seal_check(view[nl + 1:]) != named:
                    return None
                ends = [nl]
                for _ in range(3):
                    ends.append(m.find(b"\n", ends[-1] + 1))
                head, libc_line, symbol_line = (bytes(view[a + 1:b]).decode()
                                                for a, b in zip(ends, ends[1:]))
            finally:
                view.release()
            size_of_file = len(m)
        base0, base1, size0, size1 = map(int, head.split())
        offsets = [-(-(ends[-1] + 1) // PAGE) * PAGE]
        offsets.append(offsets[0] + -(-size0 // PAGE) * PAGE)
        if not size0 or not size1 or offsets[1] + size1 != size_of_file:
            raise ValueError("image sizes")
        spans = [-(-s // PAGE) * PAGE for s in (size0, size1)]
        base = _map_both(spans, (base0, base1), fd=fd, offsets=tuple(offsets))
        if base is None:
            return None
    finally:
        os.close(fd)
    for word in libc_line.split():
        m, off, name, addend = word.split(":")
        value = (_c_function(name) + int(addend)) & M64
        ctypes.memmove(base[int(m)] + int(off), struct.pack("<Q", value), 8)
    _make_code(base, spans)
    return dict((n, int(a)) for n, a in (s.split("=") for s in symbol_line.split()))


def _load(obj: bytes, at: tuple[int, int] | None,
          low: bool = False) -> tuple[dict[str, int], bytes | None]:
    if obj[:4] != b"\x7fELF" or obj[4:6] != b"\x02\x01":
        raise ObjectError("not a little-endian ELF64 object")
    e_type, e_machine = struct.unpack_from("<HH", obj, 16)
    if e_type != ET_REL or e_machine != EM_X86_64:
        raise ObjectError("not an x86-64 relocatable object")
    cls, order, sections = elf_sections(obj)
    symbols = elf_symbols(obj, cls, order, sections)
    if symbols is None:
        raise ObjectError("no symbol table")

    # lay out the allocated sections: [0] read-only and code, [1] writable
    place: dict[int, tuple[int, int]] = {}         # section -> (mapping, offset)
    size = [0, 0]
    for i, (_n, kind, flags, _a, _o, sz, _l, _i, align, _e) in enumerate(sections):
        if flags & SHF_ALLOC and kind != SHT_X86_64_UNWIND:
            m = 1 if flags & SHF_WRITE else 0
            off = -(-size[m] // max(align, 1)) * max(align, 1)
            place[i] = (m, off)
            size[m] = off + sz
    image = [bytearray(s) for s in size]
    for i, (m, off) in place.items():
        _n, kind, _f, _a, offset, sz, *_ = sections[i]
        if kind != SHT_NOBITS:
            if offset + sz > len(obj):
                raise ObjectError("a section runs past the end of the file")
            image[m][off:off + sz] = obj[offset:offset + sz]
    spans = [-(-s // PAGE) * PAGE or PAGE for s in size]
    base = _map_both(spans, at)
    fixed = base is not None and at is not None
    if base is None:
        base = _map_both(spans, None, low)
    start = {i: base[m] + off for i, (m, off) in place.items()}

    addresses: list[int | None] = []
    exported: dict[str, int] = {}
    for sym in symbols:
        if sym.shndx == SHN_UNDEF:
            if not sym.name:
                addresses.append(0)
                continue
            addr = _c_function(sym.name)           # a C library function (memset)
        elif sym.shndx == SHN_ABS:
            addr = sym.value
        elif sym.shndx in start:
            addr = start[sym.shndx] + sym.value
        else:
            addr = None                            # in a section not loaded (unwind tables)
        addresses.append(addr)
        if sym.name and addr is not None and sym.shndx != SHN_UNDEF:
            exported[sym.name] = addr

    libc_words = []                                # (part, offset, name, addend)
    for (_n, kind, _f, _a, offset, sz, _l, target, _al, _e) in sections:
        if kind != SHT_RELA or target not in place:
            continue
        m, off = place[target]
        for (where, info, addend) in RELA.iter_unpack(obj[offset:offset + sz]):
            s = addresses[info >> 32]
            if s is None:
                raise ObjectError("a relocation refers to a section that is not loaded")
            rtype = info & 0xFFFFFFFF
            if rtype == R_X86_64_64:
                value = s + addend
                if symbols[info >> 32].shndx == SHN_UNDEF:
                    libc_words.append((m, off + where, symbols[info >> 32].name, addend))
            elif rtype == R_X86_64_PC64:
                if symbols[info >> 32].shndx == SHN_UNDEF:
                    raise ObjectError("a PC-relative word refers to the C library")
                value = s + addend - (start[target] + where)
            else:
                raise ObjectError(f"relocation type {rtype} (only large-model code is loaded)")
            struct.pack_into("<Q", image[m], off + where, value & M64)

    _finish(base, spans, image)
    return exported, (_image(base, size, libc_words, exported, image) if fixed else None)


_perf_lock = allocate_lock()
_perf_pid = 0          # the process that has begun its map (a forked child begins its own)


def _perf_map(symbols: dict[str, int], end: int | None = None) -> None:
    """HPPA_USER_PERF_MAP=1 (a profiling aid): name the functions just loaded (an object's,
    a chain's pieces) for ``perf report``, appended to /tmp/perf-<pid>.map: each runs up to
    the next one of ``symbols``, the last one up to ``end`` (None: 4 KiB).  Appended, not
    the whole map written again at each load: that cost the run more than its guest code
    (a cold bzip2 -9: ~360 chains, ~14 000 names).  A process's first names start its file
    afresh (one left by an earlier process of the same pid is not this one's), from its
    parent's when it is a forked copy: the code it inherited runs there too."""
    global _perf_pid
    ordered = sorted((a, n) for n, a in symbols.items() if a)      # (0: not loaded)
    ends = [a for a, _ in ordered[1:]] + [end]
    lines = [f"{a:x} {(e - a) if e is not None and e > a else 4096:x} {name}\n"
             for (a, name), e in zip(ordered, ends)]
    pid = os.getpid()
    with _perf_lock, open(f"/tmp/perf-{pid}.map", "a" if _perf_pid == pid else "w") as fh:
        if _perf_pid not in (0, pid):
            try:
                with open(f"/tmp/perf-{_perf_pid}.map") as parent:
                    fh.write(parent.read())
            except OSError:
                pass
        _perf_pid = pid
        fh.write("".join(lines))


def sealed(obj: bytes, key: str) -> bytes:
    """An on-disk entry: a header line with the key and the payload's check (seal_check), then
    the payload (object code, or a kept vDSO parse: kernel_model/vdso.py).  A truncated or
    altered file fails unseal() and is never loaded."""
    return f"hppa-user-object {key} {seal_check(obj)} {len(obj)}\n".encode() + obj


def unseal(data, key: str):
    """The payload of a sealed entry ``data`` (bytes, or a memoryview: then a view of it,
    not a copy), or None if it is not ``key``'s or is damaged."""
    nl = bytes(data[:SEAL_HEAD]).find(b"\n")
    if nl < 0:
        return None
    try:
        magic, k, named, size = bytes(data[:nl]).decode().split(" ")
    except (ValueError, UnicodeDecodeError):
        return None
    obj = data[nl + 1:]
    if magic != "hppa-user-object" or k != key or int(size) != len(obj) or \
            seal_check(obj) != named:
        return None
    return obj


def clock_gettime_address() -> int:
    return libc_function("clock_gettime")
