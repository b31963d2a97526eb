"""A run's Python modules from one file: the compiled code of the modules ``hppa-user run``
imports (the project's and the standard library's pure-Python ones), kept together in the
cache directory and found there before the usual search of sys.path.

Why: a static hello imports ~63 such modules, and the usual import looks for each along
sys.path, checks its source against its .pyc and reads that into fresh memory: with one
mapped file and a stat of each module's source instead, the hello takes 30.3 against 34.2
ms.  What is loaded is what the usual import would load: an entry is used only while its
source has the size and modification time recorded with it (the test .pyc files make), and
the file is keyed by sys.path, the interpreter and the bytecode's magic number.  A run that
imported any kept module the usual way (a source changed, or one the file has not got)
writes the file again as it ends.  A file or entry that cannot be parsed is ignored.
"""
from __future__ import annotations

import _frozen_importlib     # ModuleSpec, without importlib (the start-up rule, cli.py)
import _frozen_importlib_external
import _imp
import marshal
import mmap
import os
import sys
from time import time as _time

from hppa_user import jitcache   # (imported the usual way, before the file is read)

FORMAT = 1
# A file not written for this long is another sys.path's that has gone (a removed venv or
# checkout; each has its own file, 1-4 MB): save() removes it.  One still in use is only
# written again, its next run importing the usual way once.
STALE_SECONDS = 14 * 86400
MAGIC = _frozen_importlib_external.MAGIC_NUMBER
CODE = type((lambda: None).__code__)     # (not compile()'s: its first call costs ~1 ms)
# where the kept modules come from: the project's tree and the standard library (neither's
# site-packages below them, the venv's or the interpreter's: a run that compiles the core
# loads numba)
ROOTS = (os.path.dirname(os.path.abspath(__file__)) + os.sep, os.path.dirname(os.__file__) + os.sep)


def path() -> str:
    """This interpreter's and sys.path's file, in the cache directory."""
    key = marshal.dumps((FORMAT, MAGIC, sys.version, sys.executable, tuple(sys.path)))
    return os.path.join(jitcache.root(), f"modules-{_imp.source_hash(0, key).hex()}.bundle")


class Bundle:
    """The meta-path finder and loader of the file's modules.

    The file: 8 bytes, the length of the index (little-endian); the index, marshal data
    (FORMAT, MAGIC, {name: (source, is a package, its mtime_ns, its size, offset, length)});
    then each module's marshalled code at its offset past the index.  It is mapped, not
    read: only the code of the modules a run imports is touched (reading the ~1 MB file
    into fresh memory cost ~0.5 ms)."""

    def __init__(self, file: str, entries: dict, data=b"", roots: tuple = ()):
        self.file, self.entries, self.data = file, entries, memoryview(data)
        self.code: dict = {}                   # name -> its code, found and not yet run
        self.pid = os.getpid()
        self.before = set(sys.modules)         # imported before it (cli, itself): not missing
        self.roots = roots or ROOTS

    def find_spec(self, name, _path=None, _target=None):
        e = self.entries.get(name)
        if e is None:
            return None
        origin, is_package = e[0], e[1]
        try:
            st = os.stat(origin)
        except OSError:
            return None
        if st.st_mtime_ns != e[2] or st.st_size != e[3]:
            return None                   # changed: the usual import, and the file written again
        try:
            code = marshal.loads(self.data[e[4]:e[4] + e[5]])
        except (ValueError, EOFError, TypeError):
            return None
        if type(code) is not CODE:
            return None
        self.code[name] = code
        spec = _frozen_importlib.ModuleSpec(name, self, origin=origin, is_package=is_package)
        spec.has_location = True
        if is_package:
            spec.submodule_search_locations = [os.path.dirname(origin)]
        return spec

    def create_module(self, _spec):
        return None

    def exec_module(self, module) -> None:
        exec(self.code.pop(module.__spec__.name), module.__dict__)

    # -- writing ---------------------------------------------------------------------------
    def kept(self, module) -> bool:
        """Is a loaded module one to keep: pure Python, under one of ``roots`` and not in a
        site-packages below it."""
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        if not isinstance(origin, str) or not origin.endswith(".py"):
            return False
        return any(origin.startswith(r) and "site-packages" not in origin[len(r):]
                   for r in self.roots)

    def missing(self) -> list:
        """The kept modules this run imported the usual way."""
        return [name for name, m in list(sys.modules.items())
                if name not in self.before and self.kept(m) and m.__spec__.loader is not self]

    def save(self) -> None:
        """Write the file again if this run imported a kept module the usual way (only in
        the process that read it: not in a guest's forked copy), keeping the file's other
        entries whose sources are unchanged: programs importing different modules do not
        take turns writing it.  Never fails the run."""
        if os.getpid() != self.pid or not self.missing():
            return
        entries = {}
        for name, e in self.entries.items():         # the file's others (another program's)
            try:
                st = os.stat(e[0])
            except OSError:
                continue
            if (st.st_mtime_ns, st.st_size) == e[2:4]:
                entries[name] = e[:4] + (bytes(self.data[e[4]:e[4] + e[5]]),)
        for name, m in list(sys.modules.items()):
            if name in self.before or not self.kept(m) or m.__spec__.loader is self:
                continue
            e = entry(name, m.__spec__.origin, m.__spec__.submodule_search_locations is not None)
            if e is not None:
                entries[name] = e
        # this run's modules first, in the order it imported them: a run like it touches
        # one stretch of the file (a page fault maps the file's pages around it too, so
        # another program's modules among them only add to the resident size)
        ran = [name for name in sys.modules if name in entries]
        first = set(ran)
        order = ran + [name for name in entries if name not in first]
        index, code, at = {}, [], 0
        for name in order:
            origin, is_package, mtime_ns, size, data = entries[name]
            index[name] = (origin, is_package, mtime_ns, size, at, len(data))
            code.append(data)
            at += len(data)
        head = marshal.dumps((FORMAT, MAGIC, index))
        tmp = f"{self.file}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.file), exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(len(head).to_bytes(8, "little") + head + b"".join(code))
            os.replace(tmp, self.file)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        remove_stale(os.path.dirname(self.file), self.file)


def remove_stale(directory: str, keep: str) -> None:
    """Remove the bundle files in ``directory`` (but ``keep``) last written STALE_SECONDS
    ago or more.  Never fails."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    cutoff = _time() - STALE_SECONDS
    for name in names:
        file = os.path.join(directory, name)
        if name.startswith("modules-") and name.endswith(".bundle") and file != keep:
            try:
                if os.stat(file).st_mtime < cutoff:
                    os.unlink(file)
            except OSError:
                pass


def entry(name: str, origin: str, is_package: bool):
    """A module's entry: its source's size and mtime and its code, as the usual import gets
    it (SourceFileLoader: from its .pyc when that was made from this source, else
    compiled); None if the source changes meanwhile or cannot be read or compiled."""
    try:
        st = os.stat(origin)
        code = _frozen_importlib_external.SourceFileLoader(name, origin).get_code(name)
        again = os.stat(origin)
        if (again.st_mtime_ns, again.st_size) != (st.st_mtime_ns, st.st_size):
            return None
    except (OSError, ImportError, SyntaxError, ValueError):
        return None
    return (origin, is_package, st.st_mtime_ns, st.st_size, marshal.dumps(code))


def well_formed(e) -> bool:
    return isinstance(e, tuple) and len(e) == 6 and isinstance(e[0], str) and \
        all(isinstance(v, int) for v in e[2:])


def install(file: str | None = None, roots: tuple = ()) -> Bundle:
    """Put the finder of ``file`` (default: path()) first on sys.meta_path, keeping modules
    from ``roots`` (default: ROOTS); with no entries if there is no usable file (it then
    only writes one at the end)."""
    file = file or path()
    entries, data = {}, b""
    try:
        with open(file, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        n = int.from_bytes(data[:8], "little")
        fmt, magic, got = marshal.loads(data[8:8 + n])
        if fmt == FORMAT and magic == MAGIC and isinstance(got, dict):
            entries = {name: e[:4] + (e[4] + 8 + n, e[5])
                       for name, e in got.items() if well_formed(e)}
    except (OSError, ValueError, EOFError, TypeError):
        pass
    bundle = Bundle(file, entries, data, roots)
    sys.meta_path.insert(0, bundle)
    return bundle
