"""Dynamic executables (issue 9): ld.so.1, shared libraries and the vDSO in the link map.

Every program here is built dynamically for glibc 2.36 and 2.41 and runs under qemu-hppa
with ``-L <the glibc's runtime>`` (the reference) and under ``hppa-user run`` with *no*
root option: the emulator must choose the same runtime by itself.  Expected values that do
not come from qemu are computed here from the ELF files and Linux's rules
(fs/binfmt_elf.c, arch/parisc/include/asm/elf.h) or from glibc's own link map.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from conftest import emulator_command, toolchain
from test_guest_programs import CASES, _args
from test_startup_layout import AUXV_ORDER
from test_vdso_profiles import EXPECTED_SYMBOLS

PROFILES = ("none", "5.18", "6.11", "vvar")
GLIBCS = ("2.36", "2.41")
STACK_BASE = 0xFFF00000 - (8 << 20)          # mmap_base: the 8 MiB stack reservation's start
ELF_ET_DYN_BASE = 0x40000000 + 0x01000000    # TASK_UNMAPPED_BASE (32-bit) + 16 MiB
VDSO = "linux-vdso32.so.1"


def root(glibc: str):
    return toolchain.runtime_root(glibc)


def dyn(guest, name, glibc, **kw):
    return guest(name, glibc=glibc, dynamic=True, **kw)


def total_mapping_size(path) -> int:
    """total_mapping_size() of an ELF file: first PT_LOAD's page to the last one's end."""
    with open(path, "rb") as fh:
        loads = [s.header for s in ELFFile(fh).iter_segments() if s["p_type"] == "PT_LOAD"]
    first = loads[0]["p_vaddr"] & ~0xFFF
    last = max(s["p_vaddr"] + s["p_memsz"] for s in loads)
    return ((last + 0xFFF) & ~0xFFF) - first


def vdso_area(profile: str) -> int:
    """Bytes the profile's vDSO occupies below the interpreter (text, plus the vvar page)."""
    from kernel_model import vdso
    img = vdso.load_image(profile)
    return 0 if img is None else img.map_size + (4096 if img.uses_vvar else 0)


def vdso_text(profile: str) -> int:
    from kernel_model import vdso
    img = vdso.load_image(profile)
    return 0 if img is None else img.map_size


def lib_dir(tmp_path, glibc, guest, name, soname, extra=()):
    """Build tests/guest/NAME as a shared library with SONAME, copied into a fresh dir."""
    lib = dyn(guest, name, glibc, extra=["-shared", "-fPIC", f"-Wl,-soname,{soname}", *extra])
    d = tmp_path / f"lib-{glibc}"
    d.mkdir(exist_ok=True)
    shutil.copy(lib, d / soname)
    return d


def expected_names(profile: str) -> set[str]:
    syms = EXPECTED_SYMBOLS[profile]
    return set() if syms is None else {s.split("@")[0] for s in syms}


# ---------------------------------------------------------------------------------------
# The guest corpus, built dynamically, under every profile.

def _corpus():
    seen, out = set(), []
    for case in CASES:
        if "-O2" not in case.opts or case.id in seen:
            continue
        seen.add(case.id)
        for glibc in GLIBCS:
            out.append(pytest.param(case, glibc, id=f"{case.id}-glibc{glibc}"))
    return out


@pytest.mark.parametrize("case,glibc", _corpus())
def test_dynamic_corpus_matches_qemu(case, glibc, guest, run_qemu, run_emu, tmp_path):
    """Same stdout and status as qemu-hppa -L under all four profiles (qemu 7.2 has no
    vDSO, so under `none` the two processes are alike down to the link map)."""
    binary = dyn(guest, case.program, glibc)
    env = dict(case.env)
    ref = run_qemu(binary, _args(case, "-O2", tmp_path, "qemu"), env=env, stdin=case.stdin,
                   root=root(glibc))
    assert ref.returncode == case.status, ref.stderr.decode(errors="replace")
    for s in case.stdout_has:
        assert s.encode() in ref.stdout
    for profile in PROFILES:
        got = run_emu(binary, _args(case, "-O2", tmp_path, f"emu-{profile}"), env=env,
                      stdin=case.stdin, options=["--kernel", profile])
        assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), (
            f"--kernel {profile}: exit {got.returncode}\n{got.stderr.decode(errors='replace')[-3000:]}")


# ---------------------------------------------------------------------------------------
# The link map: dl_iterate_phdr, the vDSO by soname, dlopen/dlsym/dlclose of libm.

def _objects(out: str, tag: str = "object") -> list[str]:
    return re.findall(rf'^{tag} "([^"]*)"', out, re.M)


@pytest.mark.parametrize("glibc", GLIBCS)
@pytest.mark.parametrize("profile", PROFILES)
def test_link_map(glibc, profile, guest, run_qemu, run_emu):
    binary = dyn(guest, "dyn_linkmap", glibc)
    ref = run_qemu(binary, root=root(glibc))
    got = run_emu(binary, options=["--kernel", profile])
    assert ref.returncode == 0 and got.returncode == 0, got.stderr.decode()
    out, qout = got.stdout.decode(), ref.stdout.decode()
    names, qnames = _objects(out), _objects(qout)
    # the vDSO is in the link map (right after the program, where rtld's setup_vdso puts
    # it) exactly when the kernel maps one, at AT_SYSINFO_EHDR; the rest is qemu's list
    if profile == "none":
        assert names == qnames and VDSO not in out
    else:
        assert names == [qnames[0], VDSO, *qnames[1:]]
        assert f'object "{VDSO}" phnum 4 at_sysinfo_ehdr yes' in out
    assert _objects(out, "after-dlclose") == names
    # the vDSO by soname (never from a file: RTLD_NOLOAD), and its versioned exports
    assert ("vdso handle yes" in out) == (profile != "none")
    found = set(re.findall(r"^vdso symbol (\S+)@LINUX_6.11$", out, re.M))
    assert found == expected_names(profile)
    # libm through dlopen/dlsym: the values are the host's libm's (both correctly rounded)
    assert f"cos(0.5) {float.__format__(math.cos(0.5), '.17g')}" in out
    assert f"pow(2.5, 3.25) {float.__format__(math.pow(2.5, 3.25), '.17g')}" in out
    assert "libm in maps while open yes" in out and "libm in maps after dlclose no" in out
    # everything that does not depend on the vDSO is what qemu printed
    strip = re.compile(rf'^.*({VDSO}|^vdso ).*\n', re.M)
    assert strip.sub("", out) == strip.sub("", qout)


@pytest.mark.parametrize("glibc,profile", [("2.36", "none"), ("2.36", "vvar"), ("2.41", "6.11"),
                                           ("2.41", "vvar")])
def test_ld_trace_loaded_objects(glibc, profile, guest, run_qemu, run_emu):
    """ldd's view (LD_TRACE_LOADED_OBJECTS=1, and ld.so.1 --list run as a program): the
    vDSO is listed as on a real kernel, at the address load_elf_binary gives it: below the
    interpreter, which is the highest mapping below the stack reservation."""
    binary = dyn(guest, "hello", glibc)
    ref = run_qemu(binary, root=root(glibc), options=["-E", "LD_TRACE_LOADED_OBJECTS=1"])
    got = run_emu(binary, options=["-E", "LD_TRACE_LOADED_OBJECTS=1", "--kernel", profile])
    assert got.returncode == 0 == ref.returncode, got.stderr.decode()
    addr = re.compile(r"\(0x[0-9a-f]+\)")
    lines = got.stdout.decode().splitlines()
    qlines = ref.stdout.decode().splitlines()
    ldso_base = STACK_BASE - total_mapping_size(root(glibc) / "lib" / "ld.so.1")
    assert f"\t/lib/ld.so.1 ({ldso_base:#x})" in lines
    if profile == "none":
        assert [addr.sub("", x) for x in lines] == [addr.sub("", x) for x in qlines]
    else:
        assert lines[0] == f"\t{VDSO} ({ldso_base - vdso_text(profile):#x})"
        assert [addr.sub("", x) for x in lines[1:]] == [addr.sub("", x) for x in qlines]
    # ld.so.1 as the program: --list, ET_DYN without PT_INTERP, placed by mmap
    listed = run_emu(root(glibc) / "lib" / "ld.so.1", ["--list", binary],
                     options=["--kernel", profile])
    assert listed.returncode == 0, listed.stderr.decode()
    assert [addr.sub("", x) for x in listed.stdout.decode().splitlines() if "ld.so.1" not in x] \
        == [addr.sub("", x) for x in lines if "ld.so.1" not in x]


def test_ld_so_runs_a_program(guest, run_qemu, run_emu):
    """`hppa-user run ld.so.1 PROGRAM ARGS`: the dynamic linker loads the program itself
    (the program then sees the same arguments as when started directly)."""
    binary = dyn(guest, "args_env", "2.36")
    ref = run_qemu(binary, ["alpha", "beta"], root=root("2.36"))
    got = run_emu(root("2.36") / "lib" / "ld.so.1", [binary, "alpha", "beta"])
    assert (got.returncode, got.stdout) == (0, ref.stdout), got.stderr.decode()
    assert b'argv[2]="beta"' in got.stdout


# ---------------------------------------------------------------------------------------
# The kernel-selftest-style check of the vDSO through dlsym.

@pytest.mark.parametrize("glibc", GLIBCS)
@pytest.mark.parametrize("profile", PROFILES)
def test_vdso_functions_from_dlsym(glibc, profile, guest, run_emu):
    binary = dyn(guest, "vdso_dlsym", glibc)
    got = run_emu(binary, options=["--kernel", profile])
    out = got.stdout.decode()
    assert got.returncode == 0 and "FAIL" not in out, out + got.stderr.decode()
    if profile == "none":
        assert "vdso: absent" in out
        return
    found = set(re.findall(r"^dlsym (\S+): found$", out, re.M))
    assert found == expected_names(profile)
    clock_fns = found & {"__vdso_clock_gettime64", "__vdso_clock_gettime", "__vdso_clock_getres"}
    einval = re.findall(r"^OK (\S+)\((-?\d+)\) = -EINVAL$", out, re.M)
    assert len(einval) == 5 * len(clock_fns)
    assert {f for f, _ in einval} == clock_fns
    # every clock id of the selftest loop was compared with the syscall (19 ids)
    for fn in clock_fns:
        assert len(re.findall(rf"^OK {fn}\(-?\d+\) dlsym$", out, re.M)) == 19


# ---------------------------------------------------------------------------------------
# exec's placement and auxv, checked against the link map (and PIE).

@pytest.mark.parametrize("glibc", GLIBCS)
@pytest.mark.parametrize("pie", [False, True], ids=["exec", "pie"])
@pytest.mark.parametrize("profile", ["none", "vvar"])
def test_exec_layout_and_auxv(glibc, pie, profile, guest, run_emu, run_qemu):
    binary = dyn(guest, "dyn_auxv", glibc, extra=["-fPIE", "-pie"] if pie else [])
    got = run_emu(binary, options=["--kernel", profile])
    assert got.returncode == 0, got.stderr.decode()
    out = got.stdout.decode()
    vals = dict(re.findall(r"^(\w+) (.*)$", out, re.M))
    types = [int(t) for t in vals["auxv_types"].split()]
    assert types == ([33] if profile != "none" else []) + AUXV_ORDER     # AT_SYSINFO_EHDR first
    for key in ("at_phdr", "at_phnum", "at_entry", "at_base"):
        assert vals[key] == "ok", key
    assert vals["proc_auxv"] == "same"
    assert vals["at_phent"] == "32" and vals["at_execfn"] == str(binary)
    assert vals["main_type"] == ("ET_DYN" if pie else "ET_EXEC")
    assert int(vals["main_bias"], 16) == (ELF_ET_DYN_BASE if pie else 0)
    ldso_base = STACK_BASE - total_mapping_size(root(glibc) / "lib" / "ld.so.1")
    assert int(vals["ldso_base"], 16) == ldso_base
    if profile != "none":
        assert vals["vdso_base"] == f"{ldso_base - vdso_text(profile):#x} at_sysinfo_ehdr ok"
    # qemu-hppa agrees on everything that is not an address
    ref = run_qemu(binary, root=root(glibc))
    qvals = dict(re.findall(r"^(\w+) (.*)$", ref.stdout.decode(), re.M))
    for key in ("main_type", "at_phdr", "at_phnum", "at_phent", "at_entry", "at_base"):
        assert qvals[key] == vals[key], key


def test_exec_binary_replaces_an_image(guest, tmp_path):
    """The exec entry point as execve will use it, on a kernel that already has an image:
    a refused program (missing interpreter) leaves the process untouched; a good one
    replaces every mapping, the break and the auxv."""
    from hppa_user.context import CpuContext
    from hppa_user.errors import InterpreterNotFound
    from hppa_user.memory import GuestMemory
    from kernel_model import binfmt_elf, guestroot
    from kernel_model.kernel import Kernel

    dynamic, static = dyn(guest, "hello", "2.36"), guest("hello")
    broken = dyn(guest, "hello", "2.36", extra=["-Wl,--dynamic-linker=/no/such/ld.so.1"])
    k = Kernel(CpuContext(), GuestMemory(), exe_path=str(dynamic), argv=[str(dynamic)])
    k.root = guestroot.default_root(str(dynamic))
    first = binfmt_elf.exec_binary(k, str(dynamic), [b"hello"], [], profile="vvar")
    maps = k.vm.render_maps(k).decode()
    assert "/lib/libc.so.6" not in maps and "/lib/ld.so.1" in maps and "[vdso]" in maps
    assert first.entry == first.interp.entry and first.interp.base == \
        STACK_BASE - total_mapping_size(root("2.36") / "lib" / "ld.so.1")
    with pytest.raises(InterpreterNotFound):
        binfmt_elf.exec_binary(k, str(broken), [b"x"], [], profile="none")
    assert k.vm.render_maps(k).decode() == maps and k.auxv == first.auxv
    second = binfmt_elf.exec_binary(k, str(static), [b"hello"], [b"A=1"], profile="none")
    maps2 = k.vm.render_maps(k).decode()
    assert "ld.so.1" not in maps2 and "[vdso]" not in maps2 and str(static) in maps2
    assert second.interp is None and second.entry == second.program.entry
    assert dict(second.auxv)[7] == 0 and 33 not in dict(second.auxv)     # AT_BASE, no vDSO
    assert k.brk == k.brk_start == (second.program.image.end + 0xFFF) & ~0xFFF


# ---------------------------------------------------------------------------------------
# Shared libraries for real: TLS, C++ exceptions, LD_* variables, /proc/self/maps.

@pytest.mark.parametrize("glibc", GLIBCS)
def test_tls_in_shared_libraries(glibc, guest, run_qemu, run_emu, tmp_path):
    libs = lib_dir(tmp_path, glibc, guest, "dyn_tls_lib", "libdyntls.so")
    second = lib_dir(tmp_path, glibc, guest, "dyn_tls_lib", "libdyntls-dl.so")
    binary = dyn(guest, "dyn_tls", glibc, extra=[str(libs / "libdyntls.so")])
    args = [str(second / "libdyntls-dl.so")]
    ref = run_qemu(binary, args, root=root(glibc), options=["-E", f"LD_LIBRARY_PATH={libs}"])
    # The linked copy's block is static TLS, set up by ld.so before main: tls_bump adds to
    # tls_counter (from 5) and to the static tls_hidden[63]. The dlopen'ed copy gets a
    # dynamic block of its own (its tls_counter still reads 5), but its tls_bump's
    # references to the preemptible tls_counter bind to the first definition, the linked
    # copy's, while tls_hidden is its own.
    assert ref.stdout.decode().splitlines() == [
        "linked: 6001 16011 lib-tls counter=16", "main tls 1122334455667788",
        "dlopened: 18002 21005 counter=5", "linked again: 121111"], ref
    got = run_emu(binary, args, options=["-E", f"LD_LIBRARY_PATH={libs}"])
    assert (got.returncode, got.stdout) == (0, ref.stdout), got.stderr.decode()


@pytest.mark.parametrize("glibc", GLIBCS)
def test_cxx_exceptions_across_shared_libraries(glibc, guest, run_qemu, run_emu, tmp_path):
    libs = lib_dir(tmp_path, glibc, guest, "cxx_thrower", "libcxxthrower.so")
    binary = dyn(guest, "cxx_throw", glibc, extra=[str(libs / "libcxxthrower.so")])
    ref = run_qemu(binary, root=root(glibc), options=["-E", f"LD_LIBRARY_PATH={libs}"])
    assert ref.returncode == 0 and b"caught 3" in ref.stdout, ref
    assert b"2: runtime_error boom from the library" in ref.stdout
    for profile in ("none", "vvar"):
        got = run_emu(binary, options=["-E", f"LD_LIBRARY_PATH={libs}", "--kernel", profile])
        assert (got.returncode, got.stdout) == (0, ref.stdout), got.stderr.decode()


PID_PROBE = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("pid %s\n", getpid() == 4242 ? "interposed" : "real"); return 0; }
"""


@pytest.mark.parametrize("glibc", GLIBCS)
def test_ld_preload_bind_now_and_debug(glibc, guest, run_qemu, run_emu, tmp_path):
    pre = lib_dir(tmp_path, glibc, guest, "dyn_preload", "libpreload.so") / "libpreload.so"
    binary = dyn(guest, PID_PROBE, glibc)
    got = run_emu(binary, options=["-E", f"LD_PRELOAD={pre}", "-E", "LD_BIND_NOW=1"])
    assert got.stdout == b"preload constructor ran\npid interposed\n", got.stderr.decode()
    plain = run_emu(binary)
    assert plain.stdout == b"pid real\n"
    # LD_DEBUG=libs: ld.so's own report on stderr, as under qemu (pids and addresses aside)
    norm = re.compile(r"^[ \t]*\d+:[ \t]*|0x[0-9a-f]+", re.M)
    ref = run_qemu(binary, root=root(glibc), options=["-E", "LD_DEBUG=libs"])
    dbg = run_emu(binary, options=["-E", "LD_DEBUG=libs", "--kernel", "none"])
    assert dbg.stdout == ref.stdout
    assert norm.sub("", dbg.stderr.decode()) == norm.sub("", ref.stderr.decode())
    assert "calling init: /lib/libc.so.6" in dbg.stderr.decode()


def _maps_rows(text: str, path_suffix: str) -> list[tuple[str, int, int]]:
    """(perms, offset, size) of the lines naming a file, adjacent pieces of one mapping
    merged (qemu shows host-page pieces separately)."""
    rows = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 6 or not f[5].endswith(path_suffix):
            continue
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        off = int(f[2], 16)
        if rows and rows[-1][0] == f[1] and rows[-1][2] == lo and rows[-1][3] + rows[-1][2] - rows[-1][1] == off:
            rows[-1][2] = hi
            continue
        rows.append([f[1], lo, hi, off])
    return [(p, off, hi - lo) for p, lo, hi, off in rows]


@pytest.mark.parametrize("glibc", GLIBCS)
def test_proc_self_maps_lists_libraries(glibc, guest, run_qemu, run_emu):
    binary = dyn(guest, "proc_maps", glibc)
    got = run_emu(binary, options=["--kernel", "vvar"])
    ref = run_qemu(binary, root=root(glibc))
    assert got.returncode == 0 == ref.returncode
    out = got.stdout.decode()
    # the guest sees its root as "/": libraries by their guest paths
    for lib in ("/lib/libc.so.6", "/lib/ld.so.1"):
        rows = _maps_rows(out, " " + lib) or _maps_rows(out, lib)
        assert rows == _maps_rows(ref.stdout.decode(), lib), lib
        assert {p for p, _, _ in rows} >= {"r-xp", "r--p"}      # text and RELRO
    names = {line.split()[-1] for line in out.splitlines() if len(line.split()) == 6}
    assert {"[vdso]", "[vvar]", "[stack]", "[heap]", str(binary)} <= names


# ---------------------------------------------------------------------------------------
# The start-up's syscalls, compared with qemu-hppa -strace.

PATH_CALLS = {"open", "openat", "access", "faccessat", "statx", "stat64", "lstat64", "fstatat64",
              "readlink", "readlinkat", "execve"}


def _calls(stderr: str, line_re: str) -> list[str]:
    """Syscall names in order, with the path argument of the path-taking ones."""
    calls = []
    for line in stderr.splitlines():
        m = re.match(line_re, line)
        if m:
            path = re.match(r'(?:AT_FDCWD, ?|\d+, ?)?"([^"]*)"', m.group(2))
            calls.append(m.group(1) + (f" {path.group(1)}" if path and m.group(1) in PATH_CALLS
                                       else ""))
    return calls


def _qemu_calls(stderr: str) -> list[str]:
    return _calls(stderr, r"^\d+ (\w+)\((.*)")


def _emu_calls(stderr: str) -> list[str]:
    return _calls(stderr, r"^(\w+)\((.*)")


@pytest.mark.parametrize("glibc", GLIBCS)
def test_startup_syscalls_match_qemu_strace(glibc, guest, run_qemu, run_emu):
    """Without a vDSO (--kernel none; qemu 7.2 has none) the dynamic start-up makes exactly
    qemu's calls on the same paths. With one, the differences are only the vDSO's: rtld's
    link-map entry for it is allocated earlier (its first anonymous mmap2 moves up), and
    glibc 2.41 maps a function-descriptor table for the vDSO function it looked up."""
    binary = dyn(guest, "hello", glibc)
    ref = _qemu_calls(run_qemu(binary, root=root(glibc), options=["-strace"]).stderr.decode())
    none = run_emu(binary, options=["--strace", "--kernel", "none"])
    assert _emu_calls(none.stderr.decode()) == ref
    for profile in ("5.18", "vvar"):
        calls = _emu_calls(run_emu(binary, options=["--strace", "--kernel", profile]).stderr.decode())
        extra = list(calls)
        for c in ref:
            extra.remove(c)          # every qemu call is there...
        assert set(extra) <= {"mmap2"}, extra      # ...plus anonymous mmap2s only
        others = [c for c in calls if c != "mmap2"]
        assert others == [c for c in ref if c != "mmap2"]
        expect_fptr = glibc == "2.41" and profile == "vvar"
        assert len(extra) == (1 if expect_fptr else 0), extra


# ---------------------------------------------------------------------------------------
# Bad input.

def _run(path, *args, options=()):
    """Guest LD_* variables go through -E: in the environment they would reach the host's
    own dynamic linker too."""
    p = subprocess.run([*emulator_command(), "run", *options, str(path), *map(str, args)],
                       capture_output=True, timeout=120)
    lines = [ln for ln in p.stderr.decode().splitlines() if not ln.startswith("hppa-user: compiling")]
    return p.returncode, lines, p.stdout


def test_missing_interpreter(guest):
    binary = dyn(guest, "hello", "2.36", extra=["-Wl,--dynamic-linker=/no/such/ld.so.1"])
    status, lines, _ = _run(binary)
    assert status == 127 and len(lines) == 1, lines
    assert "/no/such/ld.so.1" in lines[0] and "not found" in lines[0]


def test_interpreter_that_is_not_hppa(guest, tmp_path):
    binary = dyn(guest, "hello", "2.36", extra=["-Wl,--dynamic-linker=/bin/true"])
    status, lines, _ = _run(binary)
    assert status == 126 and len(lines) == 1, lines
    assert "interpreter /bin/true" in lines[0] and "Traceback" not in lines[0]


def test_segment_over_the_stack(repo_root, tmp_path):
    """exec maps with MAP_FIXED_NOREPLACE: a segment over the stack is refused in one line."""
    import struct
    data = bytearray((repo_root / "hppa_user/examples/hello").read_bytes())
    phoff, phnum = struct.unpack_from(">I", data, 28)[0], struct.unpack_from(">H", data, 44)[0]
    last = [phoff + 32 * i for i in range(phnum) if struct.unpack_from(">I", data, phoff + 32 * i)[0] == 1][-1]
    offset = struct.unpack_from(">I", data, last + 4)[0]
    struct.pack_into(">I", data, last + 8, STACK_BASE + 0x100000 + (offset & 0xFFF))
    path = tmp_path / "over-stack"
    path.write_bytes(bytes(data))
    status, lines, _ = _run(path)
    assert status == 126 and len(lines) == 1 and "overlaps a mapping" in lines[0], lines


@pytest.mark.parametrize("damage", ["short", "truncated-headers", "garbage"])
def test_corrupt_shared_library(damage, guest, run_qemu, tmp_path):
    """ld.so.1 itself reports a broken library, exactly as under qemu-hppa. (A library cut
    inside its segments is mapped anyway and faults later, on Linux with SIGBUS; qemu-hppa
    itself dies of the host's SIGBUS then, so that case has no oracle here.)"""
    libs = lib_dir(tmp_path, "2.36", guest, "dyn_tls_lib", "libdyntls.so")
    binary = dyn(guest, "dyn_tls", "2.36", extra=[str(libs / "libdyntls.so")])
    lib = libs / "libdyntls.so"
    data = lib.read_bytes()
    lib.write_bytes({"short": data[:40], "truncated-headers": data[:200],
                     "garbage": data[:64] + bytes(range(256)) * 8}[damage])
    ref = run_qemu(binary, root=root("2.36"), options=["-E", f"LD_LIBRARY_PATH={libs}"])
    status, lines, out = _run(binary, options=["-E", f"LD_LIBRARY_PATH={libs}"])
    assert ref.returncode == 127 and status == 127
    assert lines == ref.stderr.decode().splitlines() and len(lines) == 1
    assert "error while loading shared libraries: " in lines[0] and "libdyntls.so: " in lines[0]


# ---------------------------------------------------------------------------------------
# The guest root: -L / --sysroot / QEMU_LD_PREFIX and the default choice.

ROOT_PROBE = r"""
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char buf[128] = "";
        struct stat st;
        int fd = open(argv[i], O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (n > 0) buf[n] = 0;
        char link[128] = "";
        ssize_t l = readlink(argv[i], link, sizeof link - 1);
        if (l > 0) link[l] = 0;
        printf("%s: open %s [%.20s] stat %s size %ld readlink %s access %d\n", argv[i],
               fd >= 0 ? "ok" : "fails", buf, stat(argv[i], &st) == 0 ? "ok" : "fails",
               stat(argv[i], &st) == 0 ? (long)st.st_size : -1L, l > 0 ? link : "-",
               access(argv[i], R_OK));
    }
    return 0;
}
"""


@pytest.mark.parametrize("how", ["-L", "--sysroot", "QEMU_LD_PREFIX"])
def test_guest_root_lookups_like_qemu(how, guest, run_qemu, run_emu, tmp_path):
    """Absolute paths resolve under the root first, then on the host; relative ones never.
    qemu-hppa 7.2 agrees for open, readlink and access; its statx (glibc's stat) ignores -L,
    so the stat column is checked against the expected values only."""
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "hppa-root-probe").write_text("inside the guest root\n")
    os.symlink("hppa-root-probe", r / "etc" / "probe-link")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hppa-root-probe").write_text("relative: the host's\n")
    binary = guest(ROOT_PROBE)
    passwd = open("/etc/passwd").read()
    expected = [
        "/etc/hppa-root-probe: open ok [inside the guest roo] stat ok size 22 readlink - access 0",
        "/etc/probe-link: open ok [inside the guest roo] stat ok size 22 readlink hppa-root-probe access 0",
        f"/etc/passwd: open ok [{passwd[:20]}] stat ok size {len(passwd)} readlink - access 0",
        "etc/hppa-root-probe: open ok [relative: the host's] stat ok size 21 readlink - access 0",
        "/no/such/file: open fails [] stat fails size -1 readlink - access -1",
    ]
    args = [line.split(":")[0] for line in expected]
    ref = run_qemu(binary, args, root=r, cwd=tmp_path)
    no_stat = re.compile(r" stat \w+ size -?\d+")
    assert [no_stat.sub("", x) for x in ref.stdout.decode().splitlines()] == \
        [no_stat.sub("", x) for x in expected]
    if how == "QEMU_LD_PREFIX":
        got = run_emu(binary, args, env={"QEMU_LD_PREFIX": str(r)}, cwd=tmp_path)
    else:
        got = run_emu(binary, args, options=[how, r], cwd=tmp_path)
    assert got.returncode == 0 and got.stdout.decode().splitlines() == expected, got


def test_explicit_root_overrides_the_default(guest, run_qemu, run_emu):
    """A 2.41 program forced onto the 2.36 runtime with -L runs on 2.36, as under qemu."""
    from test_guest_programs import GLIBC_PROBE
    binary = dyn(guest, GLIBC_PROBE, "2.41")
    assert run_emu(binary).stdout == b"runtime 2.41 headers 2.41\n"
    ref = run_qemu(binary, root=root("2.36"))
    assert ref.stdout == b"runtime 2.36 headers 2.41\n"
    assert run_emu(binary, options=["-L", root("2.36")]).stdout == ref.stdout


def test_default_root_choice(guest):
    from kernel_model import guestroot
    for glibc in GLIBCS:
        chosen = guestroot.default_root(str(dyn(guest, "hello", glibc)))
        assert chosen is not None and chosen.prefix == os.fsencode(root(glibc)), glibc
        ldso = guestroot.default_root(str(root(glibc) / "lib" / "ld.so.1"))
        assert ldso.prefix == os.fsencode(root(glibc))
    assert guestroot.default_root(str(guest("hello"))) is None        # static: no root


def test_guest_root_rule(tmp_path):
    from kernel_model.guestroot import GuestRoot
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "x.so").write_bytes(b"")
    g = GuestRoot(tmp_path)
    assert g.lookup(b"/lib/x.so") == os.fsencode(tmp_path) + b"/lib/x.so"
    assert g.lookup(b"/lib/y.so") == b"/lib/y.so"          # missing inside: the host's path
    assert g.lookup(b"lib/x.so") == b"lib/x.so"            # relative: untouched
    assert g.guest_view(os.fsencode(tmp_path) + b"/lib/x.so") == b"/lib/x.so"
    assert g.guest_view(b"/usr/lib/z") == b"/usr/lib/z"


# ---------------------------------------------------------------------------------------
# `hppa-user cc --dynamic` / `-shared`: the result runs with no flags.

CC_PROBE = r"""
#include <stdio.h>
#include <gnu/libc-version.h>
int lib_value(void);
int main(void)
{
    printf("runtime %s headers %d.%d lib %d\n", gnu_get_libc_version(), __GLIBC__,
           __GLIBC_MINOR__, lib_value());
    return 0;
}
"""


@pytest.mark.parametrize("glibc", GLIBCS)
def test_cc_dynamic_runs_without_flags(glibc, tmp_path, run_emu):
    (tmp_path / "probe.c").write_text(CC_PROBE)
    (tmp_path / "libv.c").write_text("int lib_value(void) { return 7; }\n")
    cc = [*emulator_command(), "cc", "--glibc", glibc]
    subprocess.run([*cc, "-o", str(tmp_path / "libv.so"), "-shared", "-fPIC",
                    str(tmp_path / "libv.c")], check=True, timeout=300)
    subprocess.run([*cc, "--dynamic", "-o", str(tmp_path / "probe"), str(tmp_path / "probe.c"),
                    "-O2", f"-L{tmp_path}", "-lv"], check=True, timeout=300)
    with open(tmp_path / "probe", "rb") as fh:
        assert ELFFile(fh).get_segment(1)["p_type"] == "PT_INTERP"
    with open(tmp_path / "libv.so", "rb") as fh:
        assert ELFFile(fh).header["e_type"] == "ET_DYN"
    got = run_emu(tmp_path / "probe", options=["-E", f"LD_LIBRARY_PATH={tmp_path}"])
    assert (got.returncode, got.stdout) == (0, f"runtime {glibc} headers {glibc} lib 7\n".encode())
