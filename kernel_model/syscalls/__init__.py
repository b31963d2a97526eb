"""Syscall handlers grouped by family; importing a family registers its handlers.

fs (descriptors and I/O), fsstat (metadata, directories), fspath (name-space operations),
poll (waiting on descriptors), net (socketpair), mm (memory), time, signal, process, identity.
"""
FAMILIES = ("fs", "fsstat", "fspath", "poll", "net", "mm", "time", "signal", "process",
            "identity")
_loaded = False


def load_families() -> None:
    global _loaded
    if _loaded:
        return
    for fam in FAMILIES:
        __import__(f"kernel_model.syscalls.{fam}")     # (start-up rule: cli.py)
    _loaded = True
