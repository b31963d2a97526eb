"""Where compiled code is kept: the core's object code and the region code cache (and,
beside them, the parsed vDSO images: kernel_model/vdso.py).

Both live in a directory named after a hash of every source the CPU tiers are generated
from, so a changed source means a fresh directory and nothing stale is ever looked at;
inside it, entries also carry the host (LLVM version, CPU) they were compiled for.  The
root is ``$HPPA_USER_CACHE_DIR``, else ``$XDG_CACHE_HOME/hppa-user`` (``~/.cache``).
"""
from __future__ import annotations

import os
from _thread import get_ident    # (start-up rule: cli.py)

try:
    from _blake2 import blake2b    # hashlib's own BLAKE2: importing hashlib loads OpenSSL's
except ImportError:                # library (~2.5 ms of every run's start-up)
    from hashlib import blake2b

# what the core is generated from (and the run time that loads it); compiled regions also
# depend on the region generator and the run time that installs them
CORE_SOURCES = ("core.py", "coregen.py", "decode.py", "encoding.py", "state.py", "memory.py",
                "fpu.py", "semantics.py", "ssa.py", "native.py", "objcode.py", "traps.py")
REGION_SOURCES = CORE_SOURCES + ("jit.py", "regiongen.py", "irtext.py")
_file_digests: dict[str, bytes] = {}


def digest(data: bytes, chars: int = 32) -> str:
    """A name for ``data`` (hex, ``chars`` long): what the caches key their entries by."""
    return blake2b(data, digest_size=(chars + 1) // 2).hexdigest()[:chars]


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def source_hash(sources: tuple = CORE_SOURCES) -> str:
    """A name for these sources' contents (each file read once per process: the region
    sources include the core's)."""
    h = blake2b(digest_size=8)
    for name in sources:
        if name not in _file_digests:
            try:
                data = read_bytes(os.path.join(os.path.dirname(__file__), name))
                _file_digests[name] = blake2b(data).digest()
            except OSError:
                _file_digests[name] = b""
        h.update(name.encode() + b"\0" + _file_digests[name])
    return h.hexdigest()


def root() -> str:
    """(Paths here are strings: pathlib costs ~3 ms of every run's start-up.)"""
    if os.environ.get("HPPA_USER_CACHE_DIR"):
        return os.environ["HPPA_USER_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hppa-user")


def directory() -> str | None:
    """This version's cache directory (created), or None when it cannot be."""
    d = os.path.join(root(), source_hash())
    try:
        os.makedirs(d, exist_ok=True)
    except OSError:
        return None
    return d


def is_warm() -> bool:
    """True when the compiled core of this version is cached (for some host)."""
    try:
        names = os.listdir(os.path.join(root(), source_hash()))
    except OSError:
        return False
    return any(n.startswith("core-") and n.endswith(".o") for n in names)


def write_atomic(path: str, data: bytes) -> None:
    """Write a cache file so a concurrent reader sees either nothing or all of it."""
    head, name = os.path.split(path)
    tmp = os.path.join(head, f".{name}.{os.getpid()}.{get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
