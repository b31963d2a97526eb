"""Programs nobody here wrote: pinned Debian source packages, built static for hppa.

Each package is fetched at bench time by ``scripts/toolchain.sh --source NAME=VERSION``
(``apt-get source --download-only`` through a private deb-src list: nothing is committed,
the system's apt configuration is not touched), unpacked with ``dpkg-source -x`` (Debian's
patches applied) and built by a short recipe with the cross compiler (glibc 2.36,
``-static``).  A build is cached under ``<guest cache>/bench/`` keyed on the package, its
version, the recipe and the compiler, so only the first ``make bench`` pays for it.

The qemu entry is different: only ``include/qemu/qemu-plugin.h`` is taken from qemu's
source package, to build ``bench/qemu/insn_count.c`` (our plugin) for the host, so that
guest instruction and gateway counts of qemu-hppa come from qemu itself.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import toolchain

BENCH_DIR = Path(__file__).resolve().parent
TOOLCHAIN_SH = toolchain.repo_root() / "scripts" / "toolchain.sh"
# Bump when the way packages are unpacked or built changes.
_FORMAT = "1"

# `make` without automake/autoconf/makeinfo: dpkg-source's patches leave Makefile.am newer
# than Makefile.in, and the release tarballs already carry the generated files.
_NO_REGEN = "AUTOMAKE=: ACLOCAL=: AUTOCONF=: AUTOHEADER=: MAKEINFO=:"


@dataclass(frozen=True)
class SourcePackage:
    """A Debian source package pinned by version and how to build the programs we run."""
    name: str
    version: str
    recipe: str                       # bash, run in the unpacked tree (see build())
    products: dict = field(default_factory=dict)   # name -> path relative to the tree
    unpack: str = "dpkg-source"       # or "plugin-header": only qemu-plugin.h is extracted

    @property
    def pin(self) -> str:
        return f"{self.name}={self.version}"


PACKAGES = {p.name: p for p in (
    # GNU bc: `scale=N; 4*a(1)` under `bc -l` is the classic one-line CPU benchmark.
    # Its build runs the freshly built compiler `fbc` to turn libmath.b into libmath.h;
    # for a cross build that step runs under qemu-hppa (the output is target-independent
    # bytecode text).
    SourcePackage(
        "bc", "1.07.1-3",
        f"""./configure --host=hppa-linux-gnu CC="$CROSS_CC" CFLAGS=-O2 LDFLAGS=-static >configure.log
            sed -i 's|\\./fbc -c|$(FBC_RUN) ./fbc -c|' bc/Makefile
            make {_NO_REGEN} -C lib >make.log
            make {_NO_REGEN} -C bc FBC_RUN="$QEMU_HPPA" bc >>make.log""",
        {"bc": "bc/bc"}),
    # Jim Tcl: a small Tcl interpreter with its own test suite (tests/*.test, tests/runall.tcl).
    # Left out: extensions that fork (exec), need signals/syslog/readline/dlopen, and
    # readdir/glob (qemu-hppa 7.2's getdents64 gives glibc entries it cannot read, so the
    # oracle would fail those tests).
    SourcePackage(
        "jimtcl", "0.81+dfsg0-2",
        """./configure --host=hppa-linux-gnu CC="$CROSS_CC" CFLAGS=-O2 LDFLAGS=-static \\
                --utf8 --math --disable-lineedit --disable-docs \\
                --without-ext=exec,signal,syslog,readline,load,history,readdir,glob >configure.log
           make -j2 jimsh >make.log""",
        {"jimsh": "jimsh", "tests": "tests", "tcltest.tcl": "tcltest.tcl",
         "UnicodeData.txt": "UnicodeData.txt", "jim_tcl.txt": "jim_tcl.txt"}),
    # bzip2: the program and library sources of the Makefile's `bzip2` target, compiled
    # directly (Debian's Makefile also links the shared library, which -static cannot).
    SourcePackage(
        "bzip2", "1.0.8-5",
        """"$CROSS_CC" -static -O2 -Wall -Winline -D_FILE_OFFSET_BITS=64 -o bzip2 \\
                blocksort.c huffman.c crctable.c randtable.c compress.c decompress.c bzlib.c bzip2.c""",
        {"bzip2": "bzip2"}),
    # qemu: the plugin API header only, for bench/qemu/insn_count.c (built for the host).
    SourcePackage(
        "qemu", "1:7.2+dfsg-7+deb12u18",
        """"$HOST_CC" -shared -fPIC -O2 -Wall -I include/qemu -o insn_count.so "$BENCH_DIR/qemu/insn_count.c" """,
        {"insn_count.so": "insn_count.so"}, unpack="plugin-header"),
)}


class BuildError(RuntimeError):
    """A source package could not be fetched or built (the message says which step)."""


def cache_root() -> Path:
    return toolchain.cache_dir() / "bench"


def _key(pkg: SourcePackage) -> str:
    h = hashlib.sha256()
    for part in (_FORMAT, pkg.pin, pkg.recipe, pkg.unpack, json.dumps(pkg.products, sort_keys=True)):
        h.update(part.encode() + b"\0")
    if pkg.unpack == "plugin-header":
        h.update((BENCH_DIR / "qemu" / "insn_count.c").read_bytes())
    else:
        h.update(toolchain.compiler_version().encode())
    return h.hexdigest()[:16]


def _run(cmd, what: str, cwd=None, env=None, log=None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise BuildError(f"{what} failed (exit {proc.returncode}):\n  " + "\n  ".join(tail))
    if log is not None:
        log.write(proc.stdout + proc.stderr)


def fetch(pkg: SourcePackage, dest: Path) -> Path:
    """Download the pinned source package into ``dest``; return the .dsc path."""
    _run(["bash", str(TOOLCHAIN_SH), "--source", pkg.pin, str(dest)], f"fetching {pkg.pin}")
    dsc = sorted(dest.glob("*.dsc"))
    if len(dsc) != 1:
        raise BuildError(f"fetching {pkg.pin}: expected one .dsc in {dest}, found {len(dsc)}")
    return dsc[0]


def _unpack(pkg: SourcePackage, dsc: Path, tree: Path) -> None:
    if pkg.unpack == "dpkg-source":
        _run(["dpkg-source", "--no-check", "-x", str(dsc), str(tree)], f"unpacking {pkg.pin}")
        return
    orig = sorted(dsc.parent.glob("*.orig.tar.*"))
    if not orig:
        raise BuildError(f"{pkg.pin}: no .orig tarball next to {dsc.name}")
    tree.mkdir(parents=True)
    _run(["tar", "-xf", str(orig[0]), "-C", str(tree), "--strip-components=1", "--wildcards",
          "*/include/qemu/qemu-plugin.h"], f"extracting qemu-plugin.h from {orig[0].name}")


def build(name: str, log=sys.stderr) -> dict[str, Path]:
    """The products of package ``name`` (fetching and building it on first use)."""
    pkg = PACKAGES[name]
    root = cache_root()
    done = root / f"{pkg.name}_{pkg.version.replace(':', '_')}-{_key(pkg)}"
    if not (done / ".built").is_file():
        if pkg.unpack == "dpkg-source":
            toolchain.find_gcc()          # a clear ToolchainError when the cross gcc is missing
        host_cc = shutil.which("gcc") or shutil.which("cc")
        if pkg.unpack == "plugin-header" and host_cc is None:
            raise BuildError("no host C compiler (gcc) to build the qemu plugin; run `make toolchain`")
        print(f"bench: fetching and building {pkg.pin} (once; cached in {root})", file=log, flush=True)
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=done.name + ".", dir=root))
        try:
            dsc = fetch(pkg, work / "dl")
            tree = work / "tree"
            _unpack(pkg, dsc, tree)
            env = dict(os.environ, CROSS_CC=toolchain.CROSS_PREFIX + "gcc",
                       CROSS_PREFIX=toolchain.CROSS_PREFIX, HOST_CC=host_cc or "gcc",
                       QEMU_HPPA=shutil.which("qemu-hppa") or "qemu-hppa",
                       BENCH_DIR=str(BENCH_DIR))
            _run(["bash", "-euo", "pipefail", "-c", pkg.recipe], f"building {pkg.pin}", cwd=tree, env=env)
            for rel in pkg.products.values():
                if not (tree / rel).exists():
                    raise BuildError(f"building {pkg.pin}: {rel} was not produced")
            shutil.rmtree(work / "dl", ignore_errors=True)
            (work / ".built").write_text(pkg.pin + "\n")
            shutil.rmtree(done, ignore_errors=True)
            os.replace(work, done)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return {k: done / "tree" / rel for k, rel in pkg.products.items()}
