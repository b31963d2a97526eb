"""LLVM plumbing shared by the two tiers: compile a module to object code, load objects.

The core (core.py) is compiled once per version of the CPU sources and its object code
kept in the cache directory (jitcache.py); later runs load it in milliseconds with no
Numba-style compiler import.  Compiled regions (jit.py) go through the same two steps
with cheaper settings.  Objects are loaded into MCJIT engines; each engine lives as long
as the process (the code in it may run at any time).
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm

from hppa_user import jitcache

_lock = threading.Lock()
_ready = False
_engines: list = []           # every engine ever created: their code stays callable


def init() -> None:
    global _ready
    with _lock:
        if not _ready:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            _ready = True


def host_id() -> str:
    """What compiled code depends on besides its source: LLVM and the host CPU."""
    init()
    return f"{llvmlite.__version__}|{llvm.get_host_cpu_name()}|" \
           f"{llvm.get_host_cpu_features().flatten()}"


_options: set[str] = set()


def set_option(option: str) -> None:
    """Set an LLVM command-line option for this process (once: LLVM refuses repeats).
    Region compilation sets its own in the worker; the core is compiled before."""
    with _lock:
        if option not in _options:
            _options.add(option)
            llvm.set_option("", option)


def target_machine(opt: int):
    init()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=opt, jit=True)


def compile_ir(text: str, opt: int, speed_level: int, tm=None) -> bytes:
    """LLVM IR text -> optimised object code for this host."""
    tm = tm or target_machine(opt)
    mod = llvm.parse_assembly(text)
    mod.triple = tm.triple
    mod.verify()
    if speed_level > 0:
        pto = llvm.create_pipeline_tuning_options(speed_level=speed_level)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
    return tm.emit_object(mod)


def compile_passes(text: str, tm, passes) -> bytes:
    """LLVM IR text -> object code after the named module passes (e.g. "sroa")."""
    mod = llvm.parse_assembly(text)
    mod.triple = tm.triple
    pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(speed_level=1))
    mpm = llvm.create_new_module_pass_manager()
    for name in passes:
        getattr(mpm, f"add_{name}_pass")()
    mpm.run(mod, pb)
    return tm.emit_object(mod)


_loading_tm = None             # the target machine engines are made with (one: ~0.4 ms each)


class Loaded:
    """Object code loaded into an engine of its own: symbol -> address."""

    def __init__(self, obj: bytes):
        global _loading_tm
        if _loading_tm is None:
            _loading_tm = target_machine(0)
        self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), _loading_tm)
        self.engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self.engine.finalize_object()
        with _lock:
            _engines.append(self.engine)
        if os.environ.get("HPPA_USER_PERF_MAP"):
            _perf_map(self.engine, obj)

    def function(self, name: str) -> int:
        return self.engine.get_function_address(name)

    def global_address(self, name: str) -> int:
        return self.engine.get_global_value_address(name)


_perf_symbols: list[tuple[int, str]] = []


def _perf_map(engine, obj: bytes) -> None:
    """HPPA_USER_PERF_MAP=1 (a profiling aid): name the loaded functions for ``perf report``
    in /tmp/perf-<pid>.map, each running up to the next one."""
    import io

    from elftools.elf.elffile import ELFFile
    elf = ELFFile(io.BytesIO(obj))
    symtab = elf.get_section_by_name(".symtab")
    for sym in symtab.iter_symbols() if symtab else ():
        if sym["st_info"]["type"] == "STT_FUNC" and sym["st_shndx"] != "SHN_UNDEF":
            addr = engine.get_function_address(sym.name)
            if addr:
                _perf_symbols.append((addr, sym.name))
    _perf_symbols.sort()
    lines = [f"{a:x} {min(n - a, 1 << 16) if n else 4096:x} {name}\n"
             for (a, name), (n, _) in zip(_perf_symbols, _perf_symbols[1:] + [(0, "")])]
    Path(f"/tmp/perf-{os.getpid()}.map").write_text("".join(lines))


def sealed(obj: bytes, key: str) -> bytes:
    """An on-disk entry: a header line with the key and the payload's SHA-256, then the
    object.  A truncated or altered file fails unseal() and is never loaded."""
    digest = hashlib.sha256(obj).hexdigest()
    return f"hppa-user-object {key} {digest} {len(obj)}\n".encode() + obj


def unseal(data: bytes, key: str) -> bytes | None:
    nl = data.find(b"\n")
    if nl < 0:
        return None
    try:
        magic, k, digest, size = data[:nl].decode().split(" ")
    except ValueError:
        return None
    obj = data[nl + 1:]
    if magic != "hppa-user-object" or k != key or int(size) != len(obj) or \
            hashlib.sha256(obj).hexdigest() != digest:
        return None
    return obj


def write_atomic(path: Path, data: bytes) -> None:
    """Write a cache file so a concurrent reader sees either nothing or all of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def clock_gettime_address() -> int:
    return ctypes.cast(ctypes.CDLL(None).clock_gettime, ctypes.c_void_p).value


def cache_dir() -> Path | None:
    return jitcache.directory()
