"""objcode.py: LLVM's object files loaded without LLVM, and a run that never loads LLVM.

The loader is checked on code LLVM compiled here (functions, a writable global, a table of
addresses in read-only data, a call into the C library), with results computed in Python;
on objects it must refuse (not ELF, truncated, small-code-model relocations); and on the
property it exists for: running a program with a warm core cache imports neither llvmlite
nor the IR generators nor pyelftools.
"""
from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

import llvmlite.binding as llvm
import pytest

from conftest import REPO_ROOT, emulator_command, guest_env
from hppa_user import native, objcode

IR = r"""
@counter = global i64 0
@table = constant [3 x ptr] [ptr @triple, ptr @square, ptr @negate]

define i64 @triple(i64 %x) { %r = mul i64 %x, 3  ret i64 %r }
define i64 @square(i64 %x) { %r = mul i64 %x, %x  ret i64 %r }
define i64 @negate(i64 %x) { %r = sub i64 0, %x  ret i64 %r }

; table[i](x) + counter, and counter += 1: absolute addresses in data, PC-relative code
define i64 @apply(i64 %i, i64 %x) {
  %p = getelementptr [3 x ptr], ptr @table, i64 0, i64 %i
  %f = load volatile ptr, ptr %p
  %v = call i64 %f(i64 %x)
  %c = load i64, ptr @counter
  %c1 = add i64 %c, 1
  store i64 %c1, ptr @counter
  %r = add i64 %v, %c
  ret i64 %r
}

declare ptr @memset(ptr, i32, i64)
; a C library call: an undefined symbol the loader resolves
define void @fill(ptr %buf, i64 %n) {
  call ptr @memset(ptr %buf, i32 90, i64 %n)
  ret void
}
"""


@pytest.fixture(scope="module")
def obj() -> bytes:
    return native.compile_ir(IR, opt=2, speed_level=0)


def test_loaded_code_runs_as_compiled(obj):
    code = objcode.Loaded(obj)
    apply = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)(code.function("apply"))
    ops = (lambda x: 3 * x, lambda x: x * x, lambda x: -x)
    for n, (i, x) in enumerate([(0, 7), (1, 9), (2, 5), (1, -4), (0, 1 << 40)]):
        assert apply(i, x) == ops[i](x) + n
    counter = ctypes.c_int64.from_address(code.global_address("counter"))
    assert counter.value == 5
    buf = ctypes.create_string_buffer(300)
    ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(code.function("fill"))(buf, 257)
    assert buf.raw == b"Z" * 257 + b"\0" * 43
    assert code.function("no_such_symbol") == 0


def test_two_loads_are_independent(obj):
    """Each load has its own writable data (a region batch's globals are its own)."""
    a, b = objcode.Loaded(obj), objcode.Loaded(obj)
    assert a.function("apply") != b.function("apply")
    ctypes.c_int64.from_address(a.global_address("counter")).value = 41
    assert ctypes.c_int64.from_address(b.global_address("counter")).value == 0


def test_code_is_not_writable(obj):
    code = objcode.Loaded(obj)
    fn = code.function("apply")
    with open("/proc/self/maps") as fh:
        for line in fh:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= fn < hi:
                assert line.split()[1] == "r-xp", line
                break
        else:
            pytest.fail("the loaded code is in no mapping")


def test_perf_map_names_each_load_once(obj, monkeypatch):
    """HPPA_USER_PERF_MAP: every load appends its own names (each running up to the next
    one, the last up to the end given), the earlier ones stay; a process begins its own
    file, a forked copy from its parent's.  Read as ``perf report`` reads it: start, size,
    name."""
    monkeypatch.setenv("HPPA_USER_PERF_MAP", "1")
    monkeypatch.setattr(objcode, "_perf_pid", 0)
    path = f"/tmp/perf-{os.getpid()}.map"
    with open(path, "w") as fh:
        fh.write("1000 10 left_by_an_earlier_process\n")

    def read():
        with open(path) as fh:
            return [(int(a, 16), int(n, 16), name) for a, n, name in
                    (line.split() for line in fh)]
    try:
        code = objcode.Loaded(obj)
        first = read()
        names = {name for _a, _n, name in first}
        assert {"apply", "triple", "square", "negate", "fill"} <= names
        assert "left_by_an_earlier_process" not in names
        assert all(a > 0 for a, _n, _name in first)
        fn = {name: (a, n) for a, n, name in first}
        a, n = fn["apply"]
        assert a == code.function("apply") and 0 < n < 4096
        starts = sorted(a for a, _n, _name in first)
        for a, n, _name in first[:-1]:                  # up to the next name of the load
            later = [s for s in starts if s > a]
            assert not later or a + n == later[0]
        objcode._perf_map({"c1.0:guard": 0x5000, "c1.1:81": 0x5015}, 0x5040)
        assert read() == first + [(0x5000, 0x15, "c1.0:guard"), (0x5015, 0x2b, "c1.1:81")]
        child = os.fork()
        if child == 0:                                  # a forked copy: its parent's names too
            code = 1
            try:
                objcode._perf_map({"c2.0:guard": 0x6000}, 0x6010)
                with open(f"/tmp/perf-{os.getpid()}.map") as fh:
                    lines = fh.read().splitlines()
                os.unlink(f"/tmp/perf-{os.getpid()}.map")
                code = 0 if lines[-1] == "6000 10 c2.0:guard" and len(lines) == len(first) + 3 \
                    else 1
            finally:
                os._exit(code)
        assert os.waitpid(child, 0)[1] == 0
        assert len(read()) == len(first) + 2             # the parent's file, unchanged
    finally:
        os.unlink(path)


def test_refuses_what_it_cannot_load(obj):
    with pytest.raises(objcode.ObjectError, match="ELF64"):
        objcode.Loaded(b"not an object file at all")
    with pytest.raises(objcode.ObjectError):
        objcode.Loaded(obj[:len(obj) // 2])
    # the default (small) code model relocates with 32-bit words: refused, never half-loaded
    native.init()
    tm = llvm.Target.from_default_triple().create_target_machine(opt=2, codemodel="small")
    mod = llvm.parse_assembly(IR)
    mod.triple = tm.triple
    with pytest.raises(objcode.ObjectError, match="relocation type"):
        objcode.Loaded(tm.emit_object(mod))


AT = (0x3B00_0000_0000, 0x3B00_4000_0000)       # (not the core's: core.CORE_AT)

MAPS_IMAGE = r"""
import ctypes, sys
sys.path.insert(0, {root!r})
from hppa_user import objcode
code = objcode.Loaded.from_image_file({path!r}, "k1")
apply = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)(code.function("apply"))
buf = ctypes.create_string_buffer(8)
ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64)(code.function("fill"))(buf, 3)
print(code.mapped_from_image, code.function("apply"), apply(1, 9), apply(2, 5), buf.raw)
"""


def test_image_of_a_load_at_fixed_addresses(obj, tmp_path):
    """An object loaded at fixed addresses gives an image another process maps at the
    same ones, its code and data as loaded, the C library's address its own; where the
    addresses are in use (a second load, the image in the same process) the object goes
    elsewhere, with no image, and the image is not mapped."""
    first = objcode.Loaded(obj, at=AT)
    assert AT[0] <= first.function("apply") < AT[1] and first.image is not None
    again = objcode.Loaded(obj, at=AT)                  # the range is taken: anywhere
    assert not AT[0] <= again.function("apply") < AT[1] + (1 << 30) and again.image is None
    apply = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)(again.function("apply"))
    assert apply(0, 7) == 21
    path = tmp_path / "image"
    kept = objcode.image_file(first.image, "k1")
    path.write_bytes(kept)
    assert objcode.Loaded.from_image_file(str(path), "k1") is None     # the addresses: in use
    # the parts start on page boundaries of the file, to be mapped from it
    lines, parts = first.image
    assert kept.endswith(parts[1]) and kept.index(parts[0]) % 4096 == 0
    assert (len(kept) - len(parts[1])) % 4096 == 0
    for bad in (kept[:-1], kept.replace(b"k1", b"k2", 1), b"1 2 3\n", b""):
        path.with_name("bad").write_bytes(bad)                      # never mapped
        assert objcode.Loaded.from_image_file(str(path.with_name("bad")), "k1") is None
    assert objcode.Loaded.from_image_file(str(tmp_path / "none"), "k1") is None
    proc = subprocess.run([sys.executable, "-c", MAPS_IMAGE.format(root=str(REPO_ROOT), path=str(path))],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", str(first.function("apply")), "81", "-4", "b'ZZZ\\x00\\x00\\x00\\x00\\x00'"]


LOADS_CORE = r"""
import sys
sys.path.insert(0, {root!r})
from hppa_user import core
lib = core.Library.get()
print(lib.loaded.mapped_from_image, lib.loaded.function("hppa_run") >> 30 == core.CORE_AT[0] >> 30)
"""


def test_core_image_is_kept_and_mapped(tmp_path):
    """The core loaded from its object code at CORE_AT leaves its image in the cache; the
    next process maps that; a damaged image is not mapped but made again."""
    import shutil
    from hppa_user import jitcache
    here = jitcache.directory()                         # (the core is compiled by now)
    root = tmp_path / "cache"
    shutil.copytree(here, root / os.path.basename(here), ignore=shutil.ignore_patterns("*.img", "regions"))
    env = dict(os.environ, HPPA_USER_CACHE_DIR=str(root))

    def load() -> list[str]:
        proc = subprocess.run([sys.executable, "-c", LOADS_CORE.format(root=str(REPO_ROOT))],
                              capture_output=True, text=True, timeout=120, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()
    assert load() == ["False", "True"]                  # from the object code, at CORE_AT
    (image,) = root.rglob("core-*.img")
    assert load() == ["True", "True"]
    data = bytearray(image.read_bytes())
    data[-100] ^= 1
    image.write_bytes(bytes(data))
    assert load() == ["False", "True"]                  # not mapped: loaded, kept again
    assert load() == ["True", "True"]


def test_sealed_entries_detect_damage(obj):
    data = objcode.sealed(obj, "k1")
    assert objcode.unseal(data, "k1") == obj
    assert objcode.unseal(data, "k2") is None
    assert objcode.unseal(data[:-1], "k1") is None
    flipped = bytearray(data)
    flipped[-10] ^= 1
    assert objcode.unseal(bytes(flipped), "k1") is None


def test_source_digests_follow_the_files_not_their_stamps(tmp_path, monkeypatch):
    """jitcache.file_digest: a stamped digest stands only while the file's size, mtime_ns
    and inode are the stamped ones; a changed file, a stamp that lies about the digest of
    a changed file, or a damaged digest in a stamp gives the digest of what the file now
    holds."""
    from hashlib import blake2b
    from hppa_user import jitcache
    monkeypatch.setenv("HPPA_USER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(jitcache, "_stamps", None)
    src = tmp_path / "src.py"
    src.write_bytes(b"first")
    assert jitcache.file_digest(str(src)) == (blake2b(b"first").digest(), True)
    jitcache._save_stamps(str(tmp_path))
    monkeypatch.setattr(jitcache, "_stamps", None)        # another process: reads the stamps
    assert jitcache.file_digest(str(src)) == (blake2b(b"first").digest(), False)
    src.write_bytes(b"second, longer")
    assert jitcache.file_digest(str(src)) == (blake2b(b"second, longer").digest(), True)
    stamps = tmp_path / "cache" / jitcache.STAMPS
    stamps.write_text(stamps.read_text().replace(blake2b(b"first").hexdigest(), "ab" * 64))
    monkeypatch.setattr(jitcache, "_stamps", None)
    assert jitcache.file_digest(str(src)) == (blake2b(b"second, longer").digest(), True)
    jitcache._save_stamps(str(tmp_path))
    for damage in ("zz" * 64, "ab" * 8):            # the current status, a damaged digest
        line = next(ln for ln in stamps.read_text().split("\n") if ln.startswith(str(src)))
        stamps.write_text(line.rsplit(" ", 1)[0] + " " + damage)
        monkeypatch.setattr(jitcache, "_stamps", None)
        assert jitcache.file_digest(str(src)) == (blake2b(b"second, longer").digest(), True)
    stamps.write_text("damaged")
    monkeypatch.setattr(jitcache, "_stamps", None)
    assert jitcache.file_digest(str(src))[0] == blake2b(b"second, longer").digest()
    assert jitcache.file_digest(str(tmp_path / "missing.py")) == (b"", False)
    other = tmp_path / "other"                      # another checkout's stamps are dropped
    other.mkdir()
    (other / "src.py").write_bytes(b"other")
    jitcache.file_digest(str(other / "src.py"))
    jitcache._save_stamps(str(other))
    assert str(src) not in stamps.read_text() and str(other / "src.py") in stamps.read_text()


# LLVM, the generators and what only other commands use
COMPILERS = ("llvmlite", "elftools", "numpy", "hppa_user.native", "hppa_user.trace",
             "hppa_user.encoding", "hppa_user.decode", "hppa_user.semantics", "hppa_user.fpu",
             "hppa_user.ssa", "hppa_user.irtext", "hppa_user.coregen", "hppa_user.regiongen",
             "typer", "click", "cli_app")
# standard modules a static program's run does without
NOT_AT_START = ("dataclasses", "inspect", "tempfile", "shutil", "platform", "typing", "socket",
                "pathlib", "hashlib", "importlib", "urllib", "re", "enum", "json", "pickle",
                "signal", "threading", "contextlib", "functools", "warnings", "collections",
                "array", "operator")


# Runs the emulator and writes which of the named modules (or their submodules) its process
# imported, one per line (itself importing none of them).
WHAT_LOADED = """
import atexit, sys
out = sys.argv.pop(1)
names = {names!r}
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(
    m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in names)))))
sys.path.insert(0, {root!r})
import cli
sys.argv[0] = "hppa-user"
cli.main()
"""


def test_running_a_program_loads_no_llvm(guest, tmp_path):
    """With the core compiled once (the first run), a run of a program needs neither LLVM
    (not even llvmlite's IR builder) nor the IR generators (the encoding table, the
    semantics, the core's and the regions' generators) nor pyelftools nor numpy nor the
    disassembler, nor typer (cli_run reads run's command line) nor the standard modules
    only a few paths need (dataclasses with inspect, tempfile, shutil, platform) or that
    cost more than the little a run wants of them (typing, socket, pathlib, hashlib,
    importlib; the editable install's import finder would bring the last three; re, enum,
    json, pickle, signal, threading, contextlib, functools, warnings): the start-up every
    short program pays.  Nor with --stats-json (make bench times its runs with it): the
    file is written without the json module, as json.dumps(indent=1) writes it."""
    binary = guest("hello")
    subprocess.run([*emulator_command(), "run", str(binary)], env=guest_env(None), capture_output=True,
                   check=True, timeout=1800)                    # the core is cached now
    out, stats = tmp_path / "loaded.json", tmp_path / "stats.json"
    for options in ([], ["--stats-json", str(stats)]):
        proc = subprocess.run([sys.executable, "-c", WHAT_LOADED.format(root=str(REPO_ROOT),
                                                                        names=COMPILERS + NOT_AT_START),
                               str(out), "run", *options, str(binary)], env=guest_env(None),
                              capture_output=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert b"Hello" in proc.stdout
        assert out.read_text().split() == [], options
    text = stats.read_text()
    st = json.loads(text)
    assert text == json.dumps(st, indent=1)
    assert st["syscalls"]["write"] == 1 and st["instructions"] > 1000 and st["exit_status"] == 0


def test_a_run_imports_only_the_syscall_families_it_calls(guest, tmp_path):
    """A family of syscall handlers is imported at its first syscall (its number's entry in
    kernel_model/syscalls/index.py), not all ten at start-up: a static hello calls into
    four (fs, fsstat, mm, process; process imports time) and imports none of the others,
    ~1.1 ms of its start-up."""
    from kernel_model.syscalls import FAMILIES, FAMILY_OF, load_families
    from kernel_model.syscalls.registry import SYSCALLS
    load_families()                                 # (this process's: the syscalls' names)
    binary = guest("hello")
    out, stats = tmp_path / "loaded.txt", tmp_path / "stats.json"
    families = tuple(f"kernel_model.syscalls.{f}" for f in FAMILIES)
    proc = subprocess.run([sys.executable, "-c", WHAT_LOADED.format(root=str(REPO_ROOT),
                                                                    names=families),
                           str(out), "run", "--stats-json", str(stats), str(binary)],
                          env=guest_env(None), capture_output=True, timeout=600)
    assert proc.returncode == 0 and b"Hello" in proc.stdout, proc.stderr
    called = {FAMILY_OF[nr] for nr, sc in SYSCALLS.items()
              if sc.name in json.loads(stats.read_text())["syscalls"]}
    loaded = {m.rsplit(".", 1)[1] for m in out.read_text().split()}
    assert called == {"fs", "fsstat", "mm", "process"}, called
    assert loaded == called | {"time"}, loaded


def test_compiling_while_running_loads_no_compiler_in_the_guests_process(guest, tmp_path):
    """Under the default (adaptive) threshold a long run compiles regions while it runs, and
    the guest's process still loads no LLVM and no generator: the worker loads them, and
    it weighs the branch targets too (their path lengths: the control-flow facts of
    instruction words come from the region generator)."""
    binary = guest("crc_loop", opt="-O2")
    args = ["20000000"]              # ~1.2 G instructions (~0.8 s): time for the worker on a busy machine
    env = guest_env({"HPPA_USER_CODE_CACHE": str(tmp_path / "cache")})
    out, stats = tmp_path / "loaded.json", tmp_path / "stats.json"
    proc = subprocess.run([sys.executable, "-c", WHAT_LOADED.format(root=str(REPO_ROOT), names=COMPILERS),
                           str(out),
                           "run", "--stats-json", str(stats), str(binary), *args],
                          env=env, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    jit = json.loads(stats.read_text())["jit"]
    assert jit["regions"] >= 1 and jit["from_cache"] == 0 and jit["failures"] == 0, jit
    assert out.read_text().split() == []


# Runs the emulator and writes whether the cyclic garbage collector was on: after cli's
# imports, when the guest starts (run) or when another command starts (vdso info).
GC_STATES = """
import atexit, gc, json, sys
out = sys.argv.pop(1)
sys.path.insert(0, {root!r})
import cli
from kernel_model.machine import Machine
seen = {{"after_import": gc.isenabled()}}
real_run = Machine.run
def run(self, *a, **k):
    seen["guest_start"] = [gc.isenabled(), gc.get_freeze_count() > 1000]
    return real_run(self, *a, **k)
Machine.run = run
def end():
    seen["end"] = gc.isenabled()
    open(out, "w").write(json.dumps(seen))
atexit.register(end)
sys.argv[0] = "hppa-user"
cli.main()
"""


def test_start_up_runs_without_the_garbage_collector(guest, tmp_path):
    """Start-up makes ~30 000 lasting objects without collecting over them; the guest
    runs with the collector on and those objects frozen, and other commands collect
    from their start."""
    binary = guest("hello")
    out = tmp_path / "gc.json"
    script = GC_STATES.format(root=str(REPO_ROOT))
    proc = subprocess.run([sys.executable, "-c", script, str(out), "run", str(binary)],
                          env=guest_env(None), capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text()) == {"after_import": False, "guest_start": [True, True],
                                           "end": True}
    proc = subprocess.run([sys.executable, "-c", script, str(out), "vdso", "info"],
                          env=guest_env(None), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text()) == {"after_import": False, "end": True}
