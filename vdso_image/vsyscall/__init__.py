"""The vsyscall dispatcher: a guest library that calls each time function through the vDSO
when the kernel exports it and through the raw syscall otherwise (``vsyscall.h``).

Sources here (``vsyscall.c``, ``paths.S``, the shared ``vdso_elf.h`` lookup); the archives
``lib/glibc-<V>/libvsyscall.a`` are built by ``make -C vdso_image/vsyscall`` and committed,
so ``hppa-user cc --vsyscall`` links them without a build step.

The emulator side: every function FN has two entry points in the guest, the global
functions ``__vsyscall_vdso_FN`` and ``__vsyscall_syscall_FN``; ``hppa-user run --stats``
counts how often each is entered (:func:`path_hooks`), which gives the ``vsyscall`` entry
of the statistics, ``{FN: {"vdso": n, "syscall": n}}``.
"""
from __future__ import annotations

import os

SOURCE_DIR = os.path.dirname(os.path.realpath(__file__))     # (a string: see vdso_image)
#: the dispatched functions (vsyscall_FN in C; __vdso_FN in the vDSO)
FUNCTIONS = ("clock_gettime", "clock_gettime64", "gettimeofday", "time", "clock_getres", "getcpu")
PATHS = ("vdso", "syscall")
VERSION_NODE = "LINUX_6.11"
#: VSYSCALL=syscall in the guest environment binds every function to its syscall
FORCE_ENV = ("VSYSCALL", "syscall")
SYMBOL_PREFIX = "__vsyscall_"


def include_dir() -> str:
    return SOURCE_DIR


def library(glibc: str) -> str:
    """The prebuilt archive for a C library version ("2.36" or "2.41")."""
    return os.path.join(SOURCE_DIR, "lib", f"glibc-{glibc}", "libvsyscall.a")


def cc_flags(glibc: str, link: bool = True) -> list[str]:
    """gcc arguments that add the dispatcher: its header directory, and the archive (to be
    placed after the objects that use it) when linking."""
    return ["-I", str(include_dir())] + ([str(library(glibc))] if link else [])


def path_symbol(function: str, path: str) -> str:
    """The guest symbol entered when ``function`` takes ``path`` ("vdso"/"syscall")."""
    return f"{SYMBOL_PREFIX}{path}_{function}"


_BY_SYMBOL = {path_symbol(f, p): (f, p) for f in FUNCTIONS for p in PATHS}
PATH_SYMBOLS = tuple(_BY_SYMBOL)          # the names path_hooks looks for


def path_hooks(symbols: dict[str, int]) -> dict[int, tuple[str, str]]:
    """Guest address -> (function, path) for the dispatcher paths among ``symbols``
    (name -> address, e.g. a program's .symtab); empty for a program without the library."""
    return {addr: _BY_SYMBOL[name] for name, addr in symbols.items() if name in _BY_SYMBOL}


def path_counts(counts: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    """``{(function, path): n}`` -> the stats shape ``{function: {"vdso": n, "syscall": n}}``,
    for the functions entered at least once."""
    out: dict[str, dict[str, int]] = {}
    for f in FUNCTIONS:
        per = {p: int(counts.get((f, p), 0)) for p in PATHS}
        if any(per.values()):
            out[f] = per
    return out
