"""LLVM, for the processes that compile: IR text to object code for this host.

The core (coregen.py) is compiled once per version of the CPU sources and its object code
kept in the cache directory (jitcache.py); compiled regions (regiongen.py) go through the same
step with cheaper settings, in the compile worker.  Loading object code needs no LLVM
(objcode.py): a process that only runs code never imports this module.  Objects are
emitted for the large code model (``jit=True``), the one objcode.py loads.
"""
from __future__ import annotations

import threading

import llvmlite.binding as llvm

_lock = threading.Lock()
_ready = False


def init() -> None:
    global _ready
    with _lock:
        if not _ready:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            _ready = True


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
