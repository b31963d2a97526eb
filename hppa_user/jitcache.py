"""Where compiled code is kept: the core's object code and the region code cache (and,
beside them, the parsed vDSO images: kernel_model/vdso.py).

Both live in a directory named after a hash of every source the CPU tiers are generated
from, so a changed source means a fresh directory and nothing stale is ever looked at;
inside it, entries also carry the host (LLVM version, CPU) they were compiled for.  The
root is ``$HPPA_USER_CACHE_DIR``, else ``$XDG_CACHE_HOME/hppa-user`` (``~/.cache``).
"""
from __future__ import annotations

import mmap
import os
from _thread import get_ident    # (start-up rule: cli.py)

try:
    from _blake2 import blake2b    # hashlib's own BLAKE2: importing hashlib loads OpenSSL's
except ImportError:                # library (~2.5 ms of every run's start-up)
    from hashlib import blake2b

# what the core is generated from (and the run time that loads it); compiled regions also
# depend on the region generator and the run time that installs them
CORE_SOURCES = ("core.py", "coregen.py", "decode.py", "encoding.py", "state.py", "memory.py",
                "fpu.py", "semantics.py", "ssa.py", "native.py", "objcode.py", "traps.py",
                "interp_pairs.py", "chainbuild.py")
REGION_SOURCES = CORE_SOURCES + ("jit.py", "regiongen.py", "irtext.py")
STENCIL_SOURCES = CORE_SOURCES + ("stencilgen.py",)
_file_digests: dict[str, bytes] = {}


def digest(data: bytes, chars: int = 32) -> str:
    """A name for ``data`` (hex, ``chars`` long): what the caches key their entries by."""
    return blake2b(data, digest_size=(chars + 1) // 2).hexdigest()[:chars]


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def mapped_bytes(path: str) -> memoryview:
    """A file's bytes mapped read-only, not read: a cache entry read whole into fresh
    memory costs a page fault a page, then a copy for each slice taken of it (the ~360 KB
    stencil table: ~1 ms of every run that builds chains).  The mapping lives as long as a
    view of it; a file another process replaces is not changed under it (write_atomic)."""
    with open(path, "rb") as fh:
        if not os.fstat(fh.fileno()).st_size:
            return memoryview(b"")
        return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))


def source_hash(sources: tuple = CORE_SOURCES) -> str:
    """A name for these sources' contents (each file's digest found once per process: the
    region sources include the core's)."""
    h = blake2b(digest_size=8)
    fresh = False
    for name in sources:
        if name not in _file_digests:
            _file_digests[name], new = file_digest(os.path.join(os.path.dirname(__file__), name))
            fresh |= new
        h.update(name.encode() + b"\0" + _file_digests[name])
    if fresh:
        _save_stamps(os.path.dirname(__file__))
    return h.hexdigest()


# Source digests by file status, kept in root()/STAMPS as lines "path size:mtime_ns:inode
# digest": a file whose status is the one stamped is not read and hashed again (~0.5 ms of
# every run's start-up, for ~330 KB of sources).  Python keeps its .pyc files by the same
# rule (a source's size and modification time); writing a file changes its mtime_ns.
STAMPS = "source-stamps"
_stamps: dict[str, tuple[str, str]] | None = None      # path -> (status, digest hex)


def _status(path: str) -> str:
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _load_stamps() -> dict[str, tuple[str, str]]:
    global _stamps
    if _stamps is None:
        _stamps = {}
        try:
            for line in read_bytes(os.path.join(root(), STAMPS)).decode().split("\n"):
                path, status, dig = line.rsplit(" ", 2)
                _stamps[path] = (status, dig)
        except (OSError, ValueError):              # none yet, or damaged: hash again
            pass
    return _stamps


def _save_stamps(directory: str) -> None:
    """Write the stamps of the files in ``directory`` (only: the stamps of another checkout
    are dropped, so that a machine's many checkouts do not grow the file)."""
    text = "\n".join(f"{p} {st} {d}" for p, (st, d) in sorted(_load_stamps().items())
                     if os.path.dirname(p) == directory)
    try:
        os.makedirs(root(), exist_ok=True)
    except OSError:
        return
    write_atomic(os.path.join(root(), STAMPS), text.encode())


def file_digest(path: str) -> tuple[bytes, bool]:
    """(BLAKE2b digest of the file at ``path``, whether it was hashed now rather than taken
    from its stamp); b"" for a file that cannot be read."""
    stamps = _load_stamps()
    try:
        status = _status(path)
        stamped_status, stamped = stamps.get(path, ("", ""))
        if stamped_status == status and len(stamped) == 2 * blake2b().digest_size:
            try:
                return bytes.fromhex(stamped), False
            except ValueError:                     # a damaged stamp: hashed again
                pass
        data = read_bytes(path)
    except OSError:
        return b"", False
    digest_ = blake2b(data).digest()
    stamps[path] = (status, digest_.hex())
    return digest_, True


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
