"""The interpreter at run time: the core's object code loaded and bound to one CPU's arrays.

The core is generated (coregen.py) and compiled by LLVM once per version of its sources
and host, by the first process that finds no copy in the cache directory (jitcache.py);
every other process only loads the object code (objcode.py).  So this module, which
every run imports, imports neither LLVM nor the generators: a process imports them
only when it compiles (compile_core).
"""
from __future__ import annotations

import ctypes
import fcntl
import marshal
import os

from hppa_user import hostarray, jitcache, objcode
from hppa_user import state as S


# Where the core is mapped when that range is free (its two parts: code, data): its
# relocated image is then kept beside its object code, and the next process maps that
# instead (objcode.Loaded.from_image_file: its file mapped, not relocated again).  Far from
# where Linux puts mappings of its own (just below the stack) and the heap, and below
# 2 GiB wherever it goes (objcode.Loaded, low): a decode-cache record holds its arm's
# address in 32 bits (state.DC_FIELDS), so that the interpreter's dispatch is one load.
CORE_AT = (0x4A00_0000, 0x4E00_0000)


class Library:
    """The core's object code loaded into this process (once): entry points by address."""
    _inst: "Library | None" = None

    def __init__(self, loaded: objcode.Loaded):
        self.loaded = loaded
        # no argument, and the interpreter lock kept: the cheapest foreign call ctypes has
        # (the region compiler runs in another process, no thread waits for the lock)
        self.run = ctypes.PYFUNCTYPE(ctypes.c_int64)(loaded.function("hppa_run"))
        self.sysret = ctypes.PYFUNCTYPE(ctypes.c_int64)(loaded.function("hppa_sysret"))
        self.env_slot = loaded.global_address("hppa_env")
        self.helpers = []                 # the ENV_HELPERS words: the core's table of them
        table = loaded.global_address("hppa_helpers")
        while helper := ctypes.c_uint64.from_address(table + 8 * len(self.helpers)).value:
            self.helpers.append(helper)
        # a record's first word (state.DC_FIELDS): not decoded yet, and a breakpoint
        self.refetch_word = loaded.function("hppa_refetch")
        self.breakpoint_word = loaded.function("hppa_breakpoint")
        if max(self.refetch_word, self.breakpoint_word) >= 1 << 31:
            raise objcode.ObjectError("the core is not mapped below 2 GiB")
        # the template tier's builder (chainbuild.py): i64 (ptr job)
        self.chain_build = ctypes.PYFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)(
            loaded.function("hppa_chain_build"))
        self.decoded_bitmap = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)(
            loaded.function("hppa_decoded_bitmap"))
        # The cr16 source (coregen.build_host_ns), read once as a core is made: its first
        # reading is the baseline of the TSC's rate, which is measured once the baseline
        # is 8 anchors (~6.5 ms) old.  Until then every cr16 read also reads the host
        # clock (~65 ns instead of ~21): counted from the guest's first clock read, a
        # program's first 6.5 ms of them; counted from here, mostly its start-up.
        self.host_ns = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p)(
            loaded.function("hppa_host_ns"))
        self.current_env = 0

    compiled_here = False                 # this process compiled the core (cache was cold)

    @classmethod
    def get(cls) -> "Library":
        if cls._inst is None:
            cls._inst = cls(cls.load())
        return cls._inst

    @staticmethod
    def key() -> str:
        return jitcache.digest(f"{jitcache.source_hash()}|{objcode.host_id()}".encode(), 64)

    @classmethod
    def load(cls) -> objcode.Loaded:
        """The core in this process: its kept image mapped at CORE_AT, or (none kept, or
        that range in use here) its object code loaded, and its image kept when that
        load went to CORE_AT.  A damaged image fails unseal() and is made again."""
        key, d = cls.key(), jitcache.directory()
        image_path = None if d is None else os.path.join(d, f"core-{key[:16]}.img")
        if image_path is not None:
            loaded = objcode.Loaded.from_image_file(image_path, key)
            if loaded is not None:
                return loaded
        loaded = objcode.Loaded(cls.object_code(key, d), at=CORE_AT, low=True)
        if image_path is not None and loaded.image is not None:
            jitcache.write_atomic(image_path, objcode.image_file(loaded.image, key))
        loaded.image = None                     # (kept on disk: not for the process's life)
        return loaded

    @classmethod
    def object_code(cls, key: str, d: str | None) -> bytes:
        """The core's object code (``key``: Library.key(); ``d``: the cache directory, or
        None): from the cache, or compiled now (once, under a lock, so several first runs
        at the same time compile it once)."""
        obj, made = kept(d, f"core-{key[:16]}.o", key, compile_core)
        cls.compiled_here |= made
        return bytes(obj)


def kept(d: str | None, name: str, key: str, make) -> tuple[bytes | memoryview, bool]:
    """The sealed payload ``name`` of the cache directory ``d`` (None: no directory; a
    view of the file mapped), or ``make()`` now, kept there: under one lock, so that
    several first runs at the same time make it once.  Also whether it was made here."""
    if d is None:
        return make(), True
    path = os.path.join(d, name)
    with open(os.path.join(d, "core.lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = None
            if os.path.exists(path):
                data = objcode.unseal(jitcache.mapped_bytes(path), key)
            if data is not None:
                return data, False
            data = make()
            jitcache.write_atomic(path, objcode.sealed(data, key))
            return data, True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def stencil_table() -> dict:
    """The template tier's stencils (stencilgen.table), compiled once per version of
    their sources and host like the core, and kept beside it."""
    key = jitcache.digest(f"{jitcache.source_hash(jitcache.STENCIL_SOURCES)}|"
                          f"{objcode.host_id()}".encode(), 64)
    data, _made = kept(jitcache.directory(), f"stencils-{key[:16]}.bin", key,
                       _compile_stencils)
    return marshal.loads(data)


def _compile_stencils() -> bytes:
    import hppa_user.stencilgen as stencilgen
    return marshal.dumps(stencilgen.compile_table())


def compile_core() -> bytes:
    # LLVM and the generators are loaded only by a process that compiles
    import hppa_user.coregen as coregen
    import hppa_user.native as native
    return native.compile_ir(str(coregen.build_module()), opt=3, speed_level=3)


def invariant_tsc() -> bool:
    """Does the host's TSC tick at a constant rate through every power state (so that it
    can stand in for CLOCK_MONOTONIC between two readings of it)?  HPPA_USER_TSC=0 says no."""
    if os.environ.get("HPPA_USER_TSC") == "0" or os.uname().machine not in ("x86_64", "AMD64"):
        return False
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = line.split()
                    return "constant_tsc" in flags and "nonstop_tsc" in flags
    except OSError:
        pass
    return False


class Core:
    """The native core bound to one CPU's arrays: ``run(budget)`` executes until an event
    and returns the status (state.ST_*).  Calling it is one foreign call with no
    arguments: the budget and the arrays are in the environment block."""

    def __init__(self, regs, mem, dc, native_table, hooks, slot_page):
        self.lib = Library.get()
        self.env = e = hostarray.zeros(S.ENV_HELPERS + len(self.lib.helpers), "q")
        self._keep = (regs, mem, dc, native_table, hooks, slot_page)
        e[S.ENV_REGS] = hostarray.address(regs)
        e[S.ENV_MEM] = mem.base
        e[S.ENV_PERM] = hostarray.address(mem.perm)
        e[S.ENV_PAGE_SLOT] = hostarray.address(mem.page_slot)
        e[S.ENV_DC] = hostarray.address(dc)
        e[S.ENV_NATIVE] = hostarray.address(native_table)
        e[S.ENV_SLOT_PAGE] = hostarray.address(slot_page)
        e[S.ENV_HOOKS] = hostarray.address(hooks)
        e[S.ENV_NHOOKS] = len(hooks) // S.HOOK_FIELDS
        e[S.ENV_CLOCK] = objcode.clock_gettime_address()
        e[S.ENV_TSC_ON] = int(invariant_tsc())
        e[S.ENV_TSC_ANCHOR] = -S.TSC_FAR         # (2^63 as an int64: no rate yet)
        for i, helper in enumerate(self.lib.helpers):
            e[S.ENV_HELPERS + i] = helper
        self.address = hostarray.address(e)
        self._slot = (ctypes.c_int64).from_address(self.lib.env_slot)
        if e[S.ENV_TSC_ON]:
            self.lib.host_ns(self.address)

    def run(self, budget: int) -> int:
        self.env[S.ENV_BUDGET] = budget
        lib = self.lib
        if lib.current_env != self.address:
            self.bind()
        return lib.run()

    def bind(self) -> "callable":
        """Make this core the one the library's entry point runs; return the entry point
        (a caller that binds before every call may then call it directly)."""
        self._slot.value = self.address
        self.lib.current_env = self.address
        return self.lib.run
