"""Where Numba keeps the compiled core, keyed by the core's own sources.

Numba's cache does not notice changes in other modules a jitted function depends on (the
op numbers in encoding.py, the state layout), so the cache directory name is a hash of
every source the core is built from: a changed source means a fresh directory.
Must run before numba is first imported.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

_SOURCES = ("core.py", "decode.py", "encoding.py", "state.py", "memory.py", "fpu.py", "jit.py",
            "traps.py")
_dir: Path | None = None


def source_hash() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in _SOURCES:
        p = here / name
        if p.exists():
            h.update(name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def configure() -> None:
    global _dir
    if "NUMBA_CACHE_DIR" in os.environ:
        _dir = Path(os.environ["NUMBA_CACHE_DIR"])
        return
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hppa-user"
    _dir = base / source_hash()
    try:
        _dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(_dir)


def is_warm() -> bool:
    """True when a compiled core.run is already cached."""
    if _dir is None or not _dir.exists():
        return False
    return any(p.name.startswith("core.run") and p.suffix == ".nbi" for p in _dir.rglob("*.nbi"))


@contextmanager
def first_compile_lock():
    """Held around loading the core while the cache is cold, so several hppa-user processes
    started at once compile it once: the others wait, then load what the first wrote."""
    if _dir is None or is_warm():
        yield
        return
    try:
        fh = open(_dir / ".compile.lock", "w")
    except OSError:
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield
