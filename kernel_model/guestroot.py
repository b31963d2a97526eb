"""The guest's file-system root: qemu-user's ``-L DIR`` (also ``--sysroot DIR`` and the
``QEMU_LD_PREFIX`` environment variable), and the default one for dynamic programs.

qemu-user's rule (util/path.c ``path()``): an *absolute* guest path names ``DIR/path`` when
that exists on the host, otherwise the host's own ``path``; relative paths are untouched.
It applies to the lookups a dynamic program's start-up makes -- the ELF interpreter, open,
the stat family, access, readlink, statfs and execve -- and nothing else (mkdir, unlink,
rename... act on the host path as given). /proc/self is intercepted before the rule.

The guest sees DIR as "/": /proc/self/maps names a library mapped from DIR/lib/libc.so.6
``/lib/libc.so.6``, as a chroot would.

Without an explicit root a dynamic program gets the Debian cross runtime of the glibc it
was linked with (:func:`default_root`): ``/usr/hppa-linux-gnu`` for 2.36 (Debian 12's
``libc6-hppa-cross``) and the 2.41 tree ``make toolchain`` extracts from Debian 13's.
"""
from __future__ import annotations

import io
import os

from hppa_user.errors import LoaderError
from hppa_user.loader import open_program, parse_elf

# FDO_PACKAGING_METADATA notes (https://systemd.io/ELF_PACKAGE_METADATA/): Debian 13's glibc
# start files carry one naming their package, which a program linked with them keeps.
_PACKAGE_NOTE = rb'\{"type":"[^"]*","os":"[^"]*","name":"[^"]*","version":"[^"]*"[^}]*\}'


def _package_notes(data: bytes) -> set[bytes]:
    """The packaging notes in ``data`` (re imported here, for dynamic programs only: the
    start-up rule, cli.py)."""
    import re
    return set(re.findall(_PACKAGE_NOTE, data))


class GuestRoot:
    """One guest root directory and qemu-user's lookup rule for it."""

    def __init__(self, prefix: str | os.PathLike):
        self.prefix = os.fsencode(os.path.abspath(prefix)).rstrip(b"/")
        self.real = os.fsencode(os.path.realpath(prefix)).rstrip(b"/")

    def __repr__(self) -> str:
        return f"GuestRoot({os.fsdecode(self.prefix)!r})"

    def lookup(self, path: bytes) -> bytes:
        """The host path a guest path names (qemu's path(): DIR/path if it exists)."""
        if not path.startswith(b"/") or not self.prefix:
            return path
        full = self.prefix + path
        return full if os.access(full, os.F_OK) else path

    def guest_view(self, host_path: bytes) -> bytes:
        """How the guest names a host file: DIR/x is /x."""
        for pre in (self.real, self.prefix):
            if pre and (host_path == pre or host_path.startswith(pre + b"/")):
                return host_path[len(pre):] or b"/"
        return host_path


def lookup(k, path: bytes) -> bytes:
    """``path`` under the process's guest root (unchanged when there is none)."""
    root = k.root
    return path if root is None else root.lookup(path)


def guest_view(k, host_path: bytes) -> bytes:
    root = k.root
    return host_path if root is None else root.guest_view(host_path)


# -- the hppa run-time trees and the default root -------------------------------------------
GLIBC_VERSIONS = ("2.36", "2.41")
TRIPLET = "hppa-linux-gnu"


def sysroot_dir(glibc: str) -> str | None:
    """Where ``make toolchain`` extracts the Debian 13 cross packages of ``glibc`` (None for
    2.36, the system's own Debian 12 packages): ``sysroot/glibc-V/`` in the source tree, or
    ``$HPPA_USER_SYSROOT_2_41``.  (Paths here are strings: pathlib costs every run ~3 ms.)"""
    if glibc == GLIBC_VERSIONS[0]:
        return None
    env = os.environ.get("HPPA_USER_SYSROOT_" + glibc.replace(".", "_"))
    tree = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    return env or os.path.join(tree, "sysroot", f"glibc-{glibc}")


def runtime_root(glibc: str) -> str:
    """The hppa run-time tree of ``glibc`` (``lib/ld.so.1``, ``lib/libc.so.6``, ...): what a
    dynamic program built for it runs with, as qemu-user's ``-L`` directory."""
    root = sysroot_dir(glibc)
    return os.path.join("/usr" if root is None else os.path.join(root, "usr"), TRIPLET)


def _runtimes() -> list[tuple[str, str]]:
    """(glibc version, runtime tree) for every installed Debian cross runtime, oldest first."""
    out = []
    for glibc in GLIBC_VERSIONS:
        root = runtime_root(glibc)
        if os.path.isfile(os.path.join(root, "lib", "ld.so.1")):
            out.append((glibc, root))
    return out


def _start_file_notes(root: str) -> set[bytes]:
    """The packaging notes of a runtime's program start files (crt1.o, Scrt1.o)."""
    notes = set()
    for name in ("crt1.o", "Scrt1.o"):
        try:
            with open(os.path.join(root, "lib", name), "rb") as fh:
                notes.update(_package_notes(fh.read()))
        except OSError:
            pass
    return notes


def _needed_glibc_minor(data: bytes) -> int:
    """The newest GLIBC_2.N symbol version the program asks for (0 when none is named)."""
    try:
        from elftools.elf.elffile import ELFFile
        elf = ELFFile(io.BytesIO(data))
        sec = elf.get_section_by_name(".gnu.version_r")
        if sec is None:
            return 0
        best = 0
        for _verneed, auxs in sec.iter_versions():
            for aux in auxs:
                name = aux.name                          # GLIBC_2.N
                if name.startswith("GLIBC_2.") and name[8:].isdigit():
                    best = max(best, int(name[8:]))
        return best
    except Exception:  # pyelftools raises assorted errors on hostile input: no opinion then
        return 0


def default_root(program: str) -> GuestRoot | None:
    """The runtime a dynamic ``program`` was linked against, or None (static, unknown).

    In order: a file inside a runtime tree belongs to it (``ld.so.1`` run directly); a
    program containing a runtime's start-file packaging note was linked with that runtime's
    crt1.o; otherwise the oldest runtime new enough for every GLIBC_2.N version the program
    needs (2.36 when it needs nothing newer)."""
    runtimes = _runtimes()
    if not runtimes:
        return None
    real = os.path.realpath(program)
    for _glibc, root in runtimes:
        if real.startswith(os.path.realpath(root) + os.sep):
            return GuestRoot(root)
    try:
        fd, data = open_program(program)         # (mapped, not read: a static program's
        os.close(fd)                             # 0.5 MB would be ~0.5 ms of its start-up)
        image = parse_elf(data)
    except (OSError, LoaderError):
        return None
    if image.interp is None:
        return None
    notes = _package_notes(data)
    if notes:
        for _glibc, root in runtimes:
            if notes & _start_file_notes(root):
                return GuestRoot(root)
    need = _needed_glibc_minor(data)
    for glibc, root in runtimes:
        if int(glibc.split(".")[1]) >= need:
            return GuestRoot(root)
    return GuestRoot(runtimes[-1][1])
