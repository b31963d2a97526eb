"""Building hppa guest programs (static, or dynamic with ``dynamic=True`` / ``cc --dynamic``)
with the Debian cross toolchain.

Two C libraries are supported:

* ``glibc='2.36'`` -- Debian 12's ``libc6-dev-hppa-cross``, the cross compiler's
  own default (headers and libraries under ``/usr/hppa-linux-gnu``).  glibc 2.36
  makes every ``clock_gettime`` a real syscall (no hppa vDSO support yet).
* ``glibc='2.41'`` -- Debian 13 ("trixie") cross packages extracted by
  ``make toolchain`` (``scripts/toolchain.sh``) into ``sysroot/glibc-2.41/`` at the
  repository root.  2.41 looks up ``__vdso_clock_gettime64`` in the vDSO.

Debian's ``hppa-linux-gnu-gcc`` 12 is configured with ``--with-sysroot=/`` and finds
its C library through paths relative to its own install directory, so ``--sysroot``
alone does not switch it to another glibc.  For 2.41 the driver is given:

``-nostdinc -isystem <gcc's own include dir> -isystem SYSROOT/usr/hppa-linux-gnu/include``
    headers: gcc's freestanding headers (stddef.h, stdarg.h, ...) first, then the
    2.41 glibc + Linux 6.12 UAPI headers -- and never the 2.36 ones.
``-B SYSROOT/usr/hppa-linux-gnu/lib/``
    start files: crt1.o, crti.o, crtn.o of 2.41 (gcc's crtbeginT.o/crtend.o and
    libgcc still come from gcc's own directory, as they must).
``-L SYSROOT/usr/hppa-linux-gnu/lib`` and ``--sysroot=SYSROOT``
    libc.a/libm.a of 2.41 are found before the 2.36 ones; ``=``-relative linker
    search paths point into the 2.41 tree instead of the host's ``/``.

The combination is checked by the test suite (``gnu_get_libc_version()`` and
``__GLIBC_MINOR__`` both report 2.41 under qemu-hppa).

Compiled guests are cached in ``.guest-cache/`` at the repository root (or
``$HPPA_USER_GUEST_CACHE``), keyed on the source bytes (plus any local
``#include "..."`` headers), the flags, the glibc choice and the compiler's
version, so test runs compile each program once.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from kernel_model import guestroot
from vdso_image import vsyscall as vsyscall_lib

__all__ = [
    "GLIBC_VERSIONS",
    "DEFAULT_GLIBC",
    "ToolchainError",
    "repo_root",
    "cross_tool",
    "find_gcc",
    "compiler_version",
    "sysroot_dir",
    "runtime_root",
    "glibc_flags",
    "gcc_command",
    "find_gxx",
    "is_cxx_source",
    "compile_guest",
    "cache_dir",
    "cc_main",
    "qemu_hppa",
]

GLIBC_VERSIONS = guestroot.GLIBC_VERSIONS
DEFAULT_GLIBC = "2.36"
CROSS_PREFIX = os.environ.get("HPPA_CROSS_PREFIX", "hppa-linux-gnu-")
TRIPLET = guestroot.TRIPLET
# gcc options that stop before linking: no archive to add then
_COMPILE_ONLY = frozenset({"-c", "-S", "-E", "-M", "-MM"})
# Bump when the way binaries are built changes, to invalidate old cache entries.
_CACHE_FORMAT = "1"

_INSTALL_HINT = (
    "run `make toolchain` in the hppa-user repository (Debian: apt-get install "
    "gcc-hppa-linux-gnu binutils-hppa-linux-gnu libc6-dev-hppa-cross qemu-user)"
)


class ToolchainError(RuntimeError):
    """The cross toolchain is missing or a guest program failed to build."""


def repo_root() -> Path:
    """The source tree this module lives in (the parent of ``bench/``)."""
    return Path(__file__).resolve().parent.parent


def cross_tool(name: str) -> str:
    """Full path of ``hppa-linux-gnu-NAME``; ToolchainError if it is not installed."""
    exe = CROSS_PREFIX + name
    path = shutil.which(exe)
    if path is None:
        raise ToolchainError(f"{exe} not found on PATH; {_INSTALL_HINT}")
    return path


def find_gcc() -> str:
    return cross_tool("gcc")


def qemu_hppa() -> str:
    """Path of qemu-hppa (the reference emulator used by tests and `bench`)."""
    path = shutil.which("qemu-hppa")
    if path is None:
        raise ToolchainError(f"qemu-hppa not found on PATH; {_INSTALL_HINT}")
    return path


@functools.lru_cache(maxsize=None)
def _gcc_identity(gcc: str) -> str:
    try:
        out = subprocess.run([gcc, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolchainError(f"cannot run {gcc} --version: {exc}") from exc
    st = os.stat(os.path.realpath(gcc))
    return f"{out.splitlines()[0] if out else '?'}|{st.st_size}|{st.st_mtime_ns}"


def compiler_version() -> str:
    """First line of ``hppa-linux-gnu-gcc --version``."""
    return _gcc_identity(find_gcc()).split("|", 1)[0]


def _check_glibc(glibc: str) -> str:
    glibc = str(glibc)
    if glibc not in GLIBC_VERSIONS:
        raise ToolchainError(f"unsupported glibc {glibc!r}; choose one of {', '.join(GLIBC_VERSIONS)}")
    return glibc


def sysroot_dir(glibc: str = DEFAULT_GLIBC) -> Path | None:
    """The extracted sysroot for ``glibc`` (None for 2.36: the compiler's default).

    ``$HPPA_USER_SYSROOT_2_41`` overrides the location of the 2.41 tree.
    """
    root = guestroot.sysroot_dir(_check_glibc(glibc))
    return None if root is None else Path(root)


def runtime_root(glibc: str = DEFAULT_GLIBC) -> Path:
    """The hppa run-time tree of ``glibc``, a dynamic program's root (kernel_model.guestroot)."""
    return Path(guestroot.runtime_root(_check_glibc(glibc)))


def _libc_a(glibc: str) -> Path:
    root = sysroot_dir(glibc)
    if root is None:
        return Path("/usr") / TRIPLET / "lib" / "libc.a"
    return root / "usr" / TRIPLET / "lib" / "libc.a"


def find_gxx() -> str:
    return cross_tool("g++")


CXX_SUFFIXES = (".cc", ".cpp", ".cxx", ".c++", ".C")


def is_cxx_source(name: str | os.PathLike) -> bool:
    return os.fspath(name).endswith(CXX_SUFFIXES)


@functools.lru_cache(maxsize=None)
def _cxx_include_dirs(gxx: str) -> tuple[str, ...]:
    """g++'s own C++ header directories (libstdc++), in its search order."""
    proc = subprocess.run([gxx, "-x", "c++", "-v", "-E", os.devnull], capture_output=True,
                          text=True)
    dirs, inside = [], False
    for line in proc.stderr.splitlines():
        if line.startswith("#include <...> search starts here"):
            inside = True
        elif line.startswith("End of search list"):
            break
        elif inside and "/c++/" in line:
            dirs.append(os.path.normpath(line.strip()))
    return tuple(dirs)


def glibc_flags(glibc: str = DEFAULT_GLIBC, cxx: bool = False) -> list[str]:
    """Compiler-driver flags selecting ``glibc`` (empty for the default 2.36).

    ``cxx``: for g++, whose libstdc++ header directories must come first (they
    ``#include_next`` the C library's)."""
    glibc = _check_glibc(glibc)
    gcc = find_gcc()
    libc_a = _libc_a(glibc)
    if not libc_a.is_file():
        if glibc == "2.36":
            raise ToolchainError(f"{libc_a} not found (package libc6-dev-hppa-cross); {_INSTALL_HINT}")
        raise ToolchainError(
            f"glibc {glibc} sysroot not found ({libc_a} is missing); run `make toolchain` "
            f"(scripts/toolchain.sh builds sysroot/glibc-{glibc}/ from Debian 13 cross packages)"
        )
    root = sysroot_dir(glibc)
    if root is None:
        return []
    gcc_include = subprocess.run(
        [gcc, "-print-file-name=include"], capture_output=True, text=True, check=True
    ).stdout.strip()
    usr = root / "usr" / TRIPLET
    cxx_dirs = [a for d in _cxx_include_dirs(find_gxx()) for a in ("-isystem", d)] if cxx else []
    return [
        f"--sysroot={root}",
        "-nostdinc",
        *cxx_dirs,
        "-isystem", gcc_include,
        "-isystem", str(usr / "include"),
        f"-B{usr / 'lib'}/",
        f"-L{usr / 'lib'}",
    ]


def gcc_command(glibc: str = DEFAULT_GLIBC, dynamic: bool = False, cxx: bool = False) -> list[str]:
    """``[gcc, <glibc flags>..., -static]`` -- append sources, ``-o OUT`` and options.

    ``dynamic``: no ``-static``; the program gets PT_INTERP /lib/ld.so.1 and runs with the
    glibc's run-time tree (:func:`runtime_root`) as its root. ``cxx``: the g++ driver."""
    driver = find_gxx() if cxx else find_gcc()
    return [driver, *glibc_flags(glibc, cxx=cxx), *([] if dynamic else ["-static"])]


def cache_dir() -> Path:
    env = os.environ.get("HPPA_USER_GUEST_CACHE")
    if env:
        return Path(env)
    root = repo_root()
    if (root / "pyproject.toml").is_file():
        return root / ".guest-cache"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hppa-user" / "guest"


_INCLUDE_RE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


def _local_headers(path: Path, seen: set[Path]) -> None:
    """Collect ``#include "..."`` files reachable from ``path`` (same directory)."""
    try:
        data = path.read_bytes()
    except OSError:
        return
    for m in _INCLUDE_RE.finditer(data):
        hdr = (path.parent / m.group(1).decode(errors="replace")).resolve()
        if hdr not in seen and hdr.is_file():
            seen.add(hdr)
            _local_headers(hdr, seen)


def _cache_key(sources: Sequence[Path], flags: Sequence[str], glibc: str) -> str:
    h = hashlib.sha256()
    h.update(f"format={_CACHE_FORMAT}\0glibc={glibc}\0".encode())
    h.update(_gcc_identity(find_gcc()).encode() + b"\0")
    try:
        st = _libc_a(glibc).stat()
        h.update(f"libc={st.st_size}:{st.st_mtime_ns}\0".encode())
    except OSError:
        pass
    for f in flags:
        h.update(b"flag\0" + f.encode() + b"\0")
        if f.endswith((".a", ".o")) and os.path.isfile(f):   # an archive or object linked in
            h.update(Path(f).read_bytes())
    headers: set[Path] = set()
    for src in sources:
        h.update(b"src\0" + src.name.encode() + b"\0" + src.read_bytes() + b"\0")
        _local_headers(src, headers)
    for hdr in sorted(headers):
        h.update(b"hdr\0" + hdr.name.encode() + b"\0" + hdr.read_bytes() + b"\0")
    return h.hexdigest()[:24]


def compile_guest(
    sources: str | os.PathLike | Iterable[str | os.PathLike],
    out: str | os.PathLike | None = None,
    opt: str = "-O2",
    glibc: str = DEFAULT_GLIBC,
    extra: Sequence[str] = (),
    dynamic: bool = False,
) -> Path:
    """Build an hppa binary from C (or C++) ``sources`` and return its path.

    Static unless ``dynamic`` (then also ``-shared`` libraries, with ``extra``).
    The binary is cached under :func:`cache_dir` keyed on source bytes, flags,
    ``glibc`` and the compiler version; the cached path is returned.  If ``out``
    is given, the binary is also copied there and ``Path(out)`` is returned.
    ``extra`` flags go after the sources (so ``-lm`` works).
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    srcs = [Path(s).resolve() for s in sources]
    if not srcs:
        raise ToolchainError("compile_guest: no sources given")
    for s in srcs:
        if not s.is_file():
            raise ToolchainError(f"compile_guest: source not found: {s}")
    glibc = _check_glibc(glibc)
    opt_flags = opt.split() if opt else []
    cxx = any(is_cxx_source(s) for s in srcs)
    flags = [*opt_flags, *extra, "-dynamic" if dynamic else "-static"]
    key = _cache_key(srcs, flags, glibc)
    cdir = cache_dir()
    link = "-dyn" if dynamic else ""
    cached = cdir / f"{srcs[0].stem}{('-' + opt.strip('-').replace(' ', '')) if opt else ''}-glibc{glibc}{link}-{key}"
    if not cached.is_file():
        cdir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=cached.name + ".", suffix=".tmp", dir=cdir)
        os.close(fd)
        cmd = [*gcc_command(glibc, dynamic=dynamic, cxx=cxx), *opt_flags, "-o", tmp,
               *map(str, srcs), *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            Path(tmp).unlink(missing_ok=True)
            raise ToolchainError(
                f"guest build failed (exit {proc.returncode}):\n  {' '.join(cmd)}\n{proc.stderr}"
            )
        os.chmod(tmp, 0o755)
        os.replace(tmp, cached)           # atomic: concurrent builders agree
    if out is None:
        return cached
    out = Path(out)
    if out.parent != Path(""):
        out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(cached, out)
    return out


def cc_main(glibc: str | None, output: str | os.PathLike | None, args: Sequence[str],
            dynamic: bool = False, vsyscall: bool = False) -> int:
    """``hppa-user cc [--glibc 2.36|2.41] [--dynamic] [--vsyscall] -o OUT SRC... [gcc args]``.

    Runs the cross gcc (g++ when a source is C++) with the flags for ``glibc`` and
    ``-static``, unless ``dynamic`` or ``-shared`` is given: then the result is linked
    against that glibc's shared libraries and runs with its run-time tree as its root.
    Sources and any other gcc arguments are passed through in order.  ``vsyscall``: the
    dispatcher's header directory, and its prebuilt archive for ``glibc`` after everything
    else when linking (see :mod:`vdso_image.vsyscall`).  gcc's diagnostics go to the host's
    stderr.  Returns the exit status (gcc's, or 2 on a toolchain problem).  No caching:
    this is a compiler driver.
    """
    glibc = glibc or DEFAULT_GLIBC
    dynamic = dynamic or "-shared" in args
    try:
        cmd = gcc_command(glibc, dynamic=dynamic,
                          cxx=any(is_cxx_source(a) for a in args if not a.startswith("-")))
    except ToolchainError as exc:
        print(f"hppa-user cc: {exc}", file=sys.stderr)
        return 2
    if output is not None:
        cmd += ["-o", os.fspath(output)]
    cmd += list(args)
    if vsyscall:
        cmd += vsyscall_lib.cc_flags(glibc, link=not _COMPILE_ONLY.intersection(args))
    try:
        return subprocess.run(cmd).returncode
    except OSError as exc:
        print(f"hppa-user cc: cannot run {cmd[0]}: {exc}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.toolchain [--glibc V] [--dynamic] [--vsyscall] -o OUT SRC... [gcc args]``
    (same as `hppa-user cc`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    glibc, output, rest, dynamic, vsyscall = None, None, [], False, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--glibc" and i + 1 < len(argv):
            glibc = argv[i + 1]
            i += 2
        elif a.startswith("--glibc="):
            glibc = a.split("=", 1)[1]
            i += 1
        elif a == "--dynamic":
            dynamic = True
            i += 1
        elif a == "--vsyscall":
            vsyscall = True
            i += 1
        elif a == "-o" and i + 1 < len(argv):
            output = argv[i + 1]
            i += 2
        else:
            rest.append(a)
            i += 1
    return cc_main(glibc, output, rest, dynamic=dynamic, vsyscall=vsyscall)


if __name__ == "__main__":
    sys.exit(main())
