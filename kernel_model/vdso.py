"""The vDSO images, as the kernel model maps them, and `hppa-user vdso info|dump`.

Profiles (``--kernel``):

* ``none``  - Linux <= 5.17: no vDSO, no AT_SYSINFO_EHDR; signal handlers return through the
  on-stack trampoline. :func:`load_image` returns ``None``.
* ``5.18``  - the trampoline-only vDSO (version node LINUX_5.18, exports nothing).
* ``6.11``  - LINUX_6.11 exporting ``__vdso_gettimeofday``, ``__vdso_clock_gettime``,
  ``__vdso_clock_gettime64``, each a plain syscall; trampolines internal as in 5.18.
* ``vvar``  - LINUX_6.11 exporting the six time functions that read the vvar page (see
  :mod:`kernel_model.vvar`) plus ``__kernel_sigtramp_rt32``/``__kernel_restart_syscall32``.

What the kernel model does with an image (``img = load_image(profile)``):

1. Choose ``base`` page aligned (Linux: ``get_unmapped_area`` at the mmap base, just below
   the stack). Map ``img.mapped_bytes()`` (``img.map_size`` bytes) at ``base`` read+execute,
   shown as ``[vdso]``.
2. ``vvar`` profile only (``img.uses_vvar``): map one read-only zero page at
   ``base - 4096`` (``img.vvar_address(base)``), shown as ``[vvar]``, and keep it current
   with :class:`kernel_model.vvar.VvarWriter` (``VvarWriter(mem, base - 4096)``).
   The image's code finds the page pc-relatively; it must be exactly there.
3. Put ``AT_SYSINFO_EHDR = base`` first in the auxiliary vector.
4. Signal delivery: handler ``%r2 = base + img.sigtramp`` (``img.sigtramp_return(base,
   in_syscall)`` adds 16 when the signal interrupted a syscall). The frame size must match
   ``img.sigframe_context_regs32`` (-608: frame 768 bytes, uc_mcontext at sp - 608).
5. ``-ERESTART_RESTARTBLOCK`` without a handler: store the original ``%r31`` at ``*(u32 *)sp``
   and set ``%r31 = base + img.restart_syscall``.

The offsets come from the image's own ``.symtab`` (kept in the image on purpose): the
trampolines are internal symbols in 5.18/6.11, exactly as upstream.
"""
from __future__ import annotations

import io
import marshal
import os

from hppa_user import jitcache, objcode
from hppa_user.records import record
from kernel_model import vvar as _vvar
from vdso_image import IMAGE_PROFILES, IMAGES_DIR

#: every kernel profile: "none" (Linux <= 5.17, no vDSO) and those with an image
PROFILES = ("none",) + IMAGE_PROFILES
DEFAULT_PROFILE = "vvar"
PAGE_SIZE = 4096
SIGTRAMP_IN_SYSCALL_DELTA = 16     # second trampoline entry: 4 instructions further on
SIGTRAMP_SYMBOL = "__kernel_sigtramp_rt"
RESTART_SYSCALL_SYMBOL = "__kernel_restart_syscall"
SONAME = "linux-vdso32.so.1"

#: the exact export set of each profile (name -> version node)
EXPECTED_EXPORTS: dict[str, dict[str, str]] = {
    "none": {},
    "5.18": {},
    "6.11": {n: "LINUX_6.11" for n in (
        "__vdso_gettimeofday", "__vdso_clock_gettime", "__vdso_clock_gettime64")},
    "vvar": {n: "LINUX_6.11" for n in (
        "__vdso_clock_gettime64", "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
        "__vdso_clock_getres", "__vdso_getcpu",
        "__kernel_sigtramp_rt32", "__kernel_restart_syscall32")},
}


def images_dir() -> str:
    return IMAGES_DIR


@record
class VdsoSymbol:
    name: str
    version: str | None     # version node (None: unversioned)
    offset: int             # st_value = offset from the image base (linked at 0)
    size: int
    type: str               # STT_FUNC, ...

    @property
    def qualified(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name


@record
class VdsoImage:
    profile: str
    data: bytes
    path: str
    soname: str
    version_node: str
    linux_version_code: int
    exports: dict[str, VdsoSymbol]          # dynamic symbols a loader can find
    internal: dict[str, int]                # every function symbol of .symtab -> offset
    sigtramp: int                           # __kernel_sigtramp_rt (in_syscall = 0)
    sigtramp_in_syscall: int                # __kernel_sigtramp_rt + 16
    restart_syscall: int                    # __kernel_restart_syscall
    sigframe_context_regs32: int            # the signed word 8 bytes before sigtramp
    uses_vvar: bool
    program_headers: tuple = ()
    dynamic: tuple = ()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def pages(self) -> int:
        return (len(self.data) + PAGE_SIZE - 1) // PAGE_SIZE

    @property
    def map_size(self) -> int:
        return self.pages * PAGE_SIZE

    def mapped_bytes(self) -> bytes:
        """The image padded with zeros to whole pages, as it is mapped."""
        return self.data + bytes(self.map_size - len(self.data))

    def sigtramp_return(self, base: int, in_syscall: bool) -> int:
        """The handler's return pointer (%r2) for a vDSO mapped at ``base``."""
        return base + (self.sigtramp_in_syscall if in_syscall else self.sigtramp)

    def restart_address(self, base: int) -> int:
        return base + self.restart_syscall

    def vvar_address(self, base: int) -> int | None:
        return base - PAGE_SIZE if self.uses_vvar else None

    def entry_points(self) -> dict[int, str]:
        """Offset -> exported function name (for counting vDSO calls per symbol)."""
        return {s.offset: s.name for s in sorted(self.exports.values(), key=lambda s: s.name)
                if s.type == "STT_FUNC"}

    @property
    def sha256(self) -> str:
        import hashlib                      # (for `vdso info`: a run needs none of it)
        return hashlib.sha256(self.data).hexdigest()


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"unknown kernel profile {profile!r} (choose from {', '.join(PROFILES)})")


def _version_names(elf) -> dict[int, tuple[str, bool]]:
    """verdef index -> (name, is_base)."""
    out: dict[int, tuple[str, bool]] = {}
    verdef = elf.get_section_by_name(".gnu.version_d")
    if verdef is None:
        return out
    for vd, auxs in verdef.iter_versions():
        names = [a.name for a in auxs]
        out[vd["vd_ndx"]] = (names[0] if names else "", bool(vd["vd_flags"] & 1))
    return out


def parse_image(data: bytes, profile: str = "?", path: str = "") -> VdsoImage:
    """Read everything the kernel model and `vdso info` need out of an image."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.dynamic import DynamicSection

    elf = ELFFile(io.BytesIO(data))
    versions = _version_names(elf)
    versym = elf.get_section_by_name(".gnu.version")

    exports: dict[str, VdsoSymbol] = {}
    dynsym = elf.get_section_by_name(".dynsym")
    for i, sym in enumerate(dynsym.iter_symbols() if dynsym else ()):
        if i == 0 or sym["st_shndx"] in ("SHN_UNDEF", "SHN_ABS"):
            continue
        if sym["st_info"]["bind"] not in ("STB_GLOBAL", "STB_WEAK"):
            continue
        if sym["st_other"]["visibility"] != "STV_DEFAULT":
            continue
        version = None
        if versym is not None:
            ndx = versym.get_symbol(i)["ndx"]
            if isinstance(ndx, int):
                vname, is_base = versions.get(ndx & 0x7FFF, ("", True))
                version = None if is_base else vname
        exports[sym.name] = VdsoSymbol(sym.name, version, sym["st_value"], sym["st_size"],
                                       sym["st_info"]["type"])

    internal: dict[str, int] = {}
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        raise ValueError("vDSO image has no .symtab (the build must not strip it)")
    for sym in symtab.iter_symbols():
        if sym["st_info"]["type"] == "STT_FUNC":
            internal.setdefault(sym.name, sym["st_value"])
    if SIGTRAMP_SYMBOL not in internal or RESTART_SYSCALL_SYMBOL not in internal:
        raise ValueError("vDSO image lacks __kernel_sigtramp_rt / __kernel_restart_syscall")
    sigtramp = internal[SIGTRAMP_SYMBOL]
    ctx_word = int.from_bytes(data[sigtramp - 8: sigtramp - 4], "big", signed=True)

    soname = ""
    dynamic = []
    for sec in elf.iter_sections():
        if isinstance(sec, DynamicSection):
            for tag in sec.iter_tags():
                if tag.entry.d_tag == "DT_SONAME":
                    soname = tag.soname
                dynamic.append((tag.entry.d_tag, tag.entry.d_val))
    node = sorted(n for n, base in versions.values() if not base)
    version_code = 0
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_NOTE":
            for note in seg.iter_notes():
                if note["n_name"] == "Linux" and note["n_type"] in (0, "NT_GNU_ABI_TAG"):
                    desc = note["n_desc"]
                    raw = desc if isinstance(desc, (bytes, bytearray)) else desc.encode("latin-1")
                    version_code = int.from_bytes(raw[:4], "big")
    phdrs = tuple((s["p_type"], s["p_offset"], s["p_vaddr"], s["p_filesz"], s["p_memsz"],
                   s["p_flags"], s["p_align"]) for s in elf.iter_segments())
    return VdsoImage(
        profile=profile, data=bytes(data), path=path, soname=soname,
        version_node=node[0] if node else "", linux_version_code=version_code,
        exports=exports, internal=internal, sigtramp=sigtramp,
        sigtramp_in_syscall=sigtramp + SIGTRAMP_IN_SYSCALL_DELTA,
        restart_syscall=internal[RESTART_SYSCALL_SYMBOL], sigframe_context_regs32=ctx_word,
        uses_vvar=profile == "vvar" or "__vdso_time" in exports,
        program_headers=phdrs, dynamic=tuple(dynamic),
    )


_loaded: dict[str, VdsoImage | None] = {}        # load_image's, per profile


def load_image(profile: str) -> VdsoImage | None:
    """The committed image of a kernel profile (``None`` for profile ``none``), read once
    per process."""
    if profile not in _loaded:
        _check_profile(profile)
        _loaded[profile] = None if profile == "none" else _read_image(profile)
    return _loaded[profile]


def forget_loaded() -> None:
    """Make load_image read the images again (tests of the kept parses)."""
    _loaded.clear()


def _read_image(profile: str) -> VdsoImage:
    path = os.path.join(images_dir(), f"vdso-{profile}.so")
    data = jitcache.read_bytes(path)
    return _parsed(data, profile, path) or _parse_and_keep(data, profile, path)


# Parsing an image with pyelftools costs every run ~35 ms (most of it importing it), so the
# result is kept beside the compiled code, named after the image's bytes and this parser:
# marshal data of the record's fields (not pickle: the start-up rule, cli.py), sealed as the
# code caches' entries are (objcode.sealed), so a damaged file is parsed again, never
# unmarshalled.
def _parsed_path(data: bytes) -> str:
    # (and the seal's check of a fixed payload, which names how entries are sealed: a
    # version sealing another way has files of its own, not the same ones each version
    # finds damaged and parses again)
    name = jitcache.digest(data + jitcache.read_bytes(__file__) +
                           objcode.seal_check(b"hppa-user").encode())
    return os.path.join(jitcache.root(), "vdso", f"{name}.parsed")


def kept_form(img: VdsoImage) -> bytes:
    """What _parse_and_keep writes of ``img``: a sealed entry (objcode.sealed) keyed by its
    profile."""
    fields = marshal.dumps(tuple(img._replace(
        exports={name: tuple(sym) for name, sym in img.exports.items()})))
    return objcode.sealed(fields, f"vdso-{img.profile}")


def _parsed(data: bytes, profile: str, path: str) -> VdsoImage | None:
    try:
        fields = objcode.unseal(jitcache.read_bytes(_parsed_path(data)), f"vdso-{profile}")
        if fields is None:
            return None
        img = VdsoImage(*marshal.loads(fields))
        img = img._replace(exports={name: VdsoSymbol(*sym) for name, sym in img.exports.items()})
    except Exception:                  # absent, unreadable or damaged: parse it again
        return None
    ok = img.data == data and img.profile == profile
    return img._replace(path=path) if ok else None


def _parse_and_keep(data: bytes, profile: str, path: str) -> VdsoImage:
    img = parse_image(data, profile, path)
    keep = _parsed_path(data)
    try:
        os.makedirs(os.path.dirname(keep), exist_ok=True)
    except OSError:
        return img
    jitcache.write_atomic(keep, kept_form(img))
    return img


def dump(profile: str, path) -> int:
    """Write the image of ``profile`` to ``path`` (for readelf/objdump); returns its size."""
    img = load_image(profile)
    if img is None:
        raise ValueError("kernel profile 'none' has no vDSO image")
    data = img.data
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def _flags(f: int) -> str:
    return "".join(c if f & b else " " for c, b in (("R", 4), ("W", 2), ("E", 1)))


def _version_str(code: int) -> str:
    return f"{code >> 16}.{(code >> 8) & 0xFF}.{code & 0xFF}"


def describe_vvar_layout() -> str:
    v = _vvar
    lines = [f"vvar page layout (version {v.VVAR_LAYOUT_VERSION}, {v.VVAR_USED:#x} bytes used of "
             f"{v.PAGE_SIZE}; big-endian 32-bit words):"]
    for f in v.FIELDS:
        if f.name == "CLOCKS":
            continue
        lines.append(f"  {f.offset:#05x}  {f.ctype:<4} {f.name.lower():<16} {f.doc}")
    lines.append(f"  {v.VvarLayout.CLOCKS:#05x}  clock records, {v.CLOCK_SIZE} bytes each, "
                 f"record of clock c at {v.VvarLayout.CLOCKS:#x} + {v.CLOCK_SIZE}*c (c = 0..{v.NCLOCKS - 1}):")
    for f in v.CLOCK_FIELDS:
        lines.append(f"         +{f.offset:<3} {f.ctype:<4} {f.name[4:].lower():<9} {f.doc}")
    hres = ", ".join(f"{v.CLOCK_NAMES[c]}({c})" for c in v.HRES_CLOCKS)
    coarse = ", ".join(f"{v.CLOCK_NAMES[c]}({c})" for c in v.COARSE_CLOCKS)
    lines += [
        f"  hres clocks (base + cr16 delta): {hres}",
        f"  coarse clocks (base only): {coarse}",
        "  any other clock id, and clocks whose mask bit is clear: the real syscall",
        "  seqlock: writer seq++ (odd), data, seq++ (even); reader retries while seq is odd or changed",
    ]
    return "\n".join(lines)


def describe(profile: str, base: int | None = None) -> str:
    """The text of `hppa-user vdso info --kernel PROFILE`."""
    _check_profile(profile)
    if profile == "none":
        return ("kernel profile none: no vDSO (as Linux <= 5.17): no AT_SYSINFO_EHDR, no [vdso] or\n"
                "[vvar] mapping; signal handlers return through the pre-5.18 on-stack trampoline.\n")
    img = load_image(profile)
    addr = (lambda off: f"{off:#07x}") if base is None else (lambda off: f"{base + off:#010x}")
    out = [
        f"vDSO image of kernel profile {profile}: {img.path}",
        f"  {img.size} bytes, mapped as {img.pages} page(s) r-x; sha256 {img.sha256}",
        f"  soname {img.soname}, version node {img.version_node}, "
        f"Linux version note {_version_str(img.linux_version_code)} ({img.linux_version_code:#08x})",
        "",
        "Program headers:",
        "  Type             Offset   VirtAddr   FileSiz  MemSiz   Flg Align",
    ]
    for (ptype, off, vaddr, filesz, memsz, flags, align) in img.program_headers:
        out.append(f"  {str(ptype):<16} {off:#08x} {vaddr:#010x} {filesz:#07x}  {memsz:#07x}  "
                   f"{_flags(flags)} {align:#x}")
    out += ["", "Dynamic section:"]
    for tag, val in img.dynamic:
        extra = f"  [{img.soname}]" if tag == "DT_SONAME" else ""
        out.append(f"  {tag:<16} {val:#x}{extra}")
    out += ["", f"Exported symbols ({len(img.exports)}):" if img.exports else
            "Exported symbols: none (the version script names symbols that do not exist)"]
    for s in sorted(img.exports.values(), key=lambda s: s.offset):
        out.append(f"  {addr(s.offset)}  {s.size:4d}  {s.qualified}")
    out += ["", "Kernel-internal entry points (from .symtab):",
            f"  {addr(img.sigtramp)}  __kernel_sigtramp_rt      signal return, in_syscall = 0",
            f"  {addr(img.sigtramp_in_syscall)}  __kernel_sigtramp_rt+16   signal return, in_syscall = 1",
            f"  {addr(img.restart_syscall)}  __kernel_restart_syscall  -ERESTART_RESTARTBLOCK restart",
            f"  SIGFRAME_CONTEXT_REGS32 word at sigtramp-8: {img.sigframe_context_regs32}",
            "",
            "Mapping:"]
    if img.uses_vvar:
        out.append(f"  [vvar] 1 page r-- at base - 0x1000{'' if base is None else f' = {base - PAGE_SIZE:#010x}'}")
    out.append(f"  [vdso] {img.pages} page(s) r-x at base{'' if base is None else f' = {base:#010x}'}"
               "; AT_SYSINFO_EHDR = base")
    if img.uses_vvar:
        out += ["", describe_vvar_layout()]
    return "\n".join(out) + "\n"
