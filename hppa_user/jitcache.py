"""Where compiled code is kept: the core's object code and the region code cache (and,
beside them, the parsed vDSO images: kernel_model/vdso.py).

Both live in a directory named after a hash of every source the CPU tiers are generated
from, so a changed source means a fresh directory and nothing stale is ever looked at;
inside it, entries also carry the host (LLVM version, CPU) they were compiled for.  The
root is ``$HPPA_USER_CACHE_DIR``, else ``$XDG_CACHE_HOME/hppa-user`` (``~/.cache``).
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

# what the core is generated from (and the run time that loads it); compiled regions also
# depend on the region generator and the run time that installs them
CORE_SOURCES = ("core.py", "coregen.py", "decode.py", "encoding.py", "state.py", "memory.py",
                "fpu.py", "semantics.py", "ssa.py", "native.py", "objcode.py", "traps.py")
REGION_SOURCES = CORE_SOURCES + ("jit.py", "regiongen.py", "irtext.py")
_file_digests: dict[str, bytes] = {}


def source_hash(sources: tuple = CORE_SOURCES) -> str:
    """A name for these sources' contents (each file read once per process: the region
    sources include the core's)."""
    h = hashlib.sha256()
    for name in sources:
        if name not in _file_digests:
            try:
                data = (Path(__file__).parent / name).read_bytes()
                _file_digests[name] = hashlib.sha256(data).digest()
            except OSError:
                _file_digests[name] = b""
        h.update(name.encode() + b"\0" + _file_digests[name])
    return h.hexdigest()[:16]


def root() -> Path:
    if os.environ.get("HPPA_USER_CACHE_DIR"):
        return Path(os.environ["HPPA_USER_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hppa-user"


def directory() -> Path | None:
    """This version's cache directory (created), or None when it cannot be."""
    d = root() / source_hash()
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return d


def is_warm() -> bool:
    """True when the compiled core of this version is cached (for some host)."""
    d = root() / source_hash()
    return d.is_dir() and any(d.glob("core-*.o"))


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
