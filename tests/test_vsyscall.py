"""The vsyscall dispatcher (vdso_image/vsyscall/): path choice and results.

tests/guest/vsyscall_check.c brackets every dispatched call by two raw syscalls and checks
the result, errno and value against them (OK/FAIL lines), prints the path each function is
bound to and how many calls it made. Here:

* the expected path of each function is computed from the profile's image with pyelftools
  (exported at LINUX_6.11 -> "vdso"), never from the dispatcher's own code;
* under every kernel profile, with VSYSCALL=syscall, and on both glibc versions, the bound
  paths are those, no case fails, and the ``vsyscall`` statistics count exactly the calls the
  program made, all on that path;
* CLOCK_REALTIME read through the dispatcher lies within the host's clock around the run;
* qemu-hppa (no vDSO functions) runs the same binary on syscalls only;
* the committed archives rebuild bit for bit, and ``hppa-user cc --vsyscall`` builds a
  working program (gcc flags such as -Wformat pass through untouched).
"""
from __future__ import annotations

import io
import json
import subprocess
import time

import pytest
from elftools.elf.elffile import ELFFile

from conftest import REPO_ROOT, emulator_command, guest_env
from bench import toolchain
from vdso_image import vsyscall

PROFILES = ("none", "5.18", "6.11", "vvar")
GLIBCS = ("2.36", "2.41")
REPS = 2


def exported_at_version(profile: str) -> set[str]:
    """__vdso_* function names exported by the profile's image at LINUX_6.11 (pyelftools)."""
    if profile == "none":
        return set()
    elf = ELFFile(io.BytesIO((REPO_ROOT / "vdso_image" / "images" / f"vdso-{profile}.so").read_bytes()))
    names = {}
    for vd, auxs in elf.get_section_by_name(".gnu.version_d").iter_versions():
        names[vd["vd_ndx"]] = next(iter(auxs)).name
    versym = elf.get_section_by_name(".gnu.version")
    out = set()
    for i, sym in enumerate(elf.get_section_by_name(".dynsym").iter_symbols()):
        if sym["st_info"]["type"] == "STT_FUNC" and sym["st_shndx"] != "SHN_UNDEF":
            if names.get(versym.get_symbol(i)["ndx"]) == vsyscall.VERSION_NODE:
                out.add(sym.name)
    return out


def expected_paths(profile: str, forced: bool) -> dict[str, str]:
    exported = exported_at_version(profile)
    return {f: "vdso" if not forced and f"__vdso_{f}" in exported else "syscall"
            for f in vsyscall.FUNCTIONS}


@pytest.fixture(scope="module", params=GLIBCS)
def check_binary(request):
    glibc = request.param
    src = REPO_ROOT / "tests" / "guest" / "vsyscall_check.c"
    return glibc, toolchain.compile_guest([src], glibc=glibc, extra=vsyscall.cc_flags(glibc))


def parse(stdout: str):
    paths, calls, realtime, fails = {}, {}, None, []
    for line in stdout.splitlines():
        w = line.split()
        if w[0] == "path":
            paths[w[1]] = w[2]
        elif w[0] == "calls":
            calls[w[1]] = int(w[2])
        elif w[0] == "realtime":
            realtime = int(w[1])
        elif w[0] == "FAIL":
            fails.append(line)
    return paths, calls, realtime, fails


@pytest.mark.parametrize("profile,forced", [(p, False) for p in PROFILES] + [("vvar", True)])
def test_dispatcher_paths_and_results(check_binary, profile, forced, tmp_path):
    glibc, exe = check_binary
    stats = tmp_path / "stats.json"
    env = {vsyscall.FORCE_ENV[0]: vsyscall.FORCE_ENV[1]} if forced else {}
    before = time.time()
    r = subprocess.run([*emulator_command(), "run", "--kernel", profile, "--stats-json", str(stats),
                        str(exe), str(REPS)], env=guest_env(env), capture_output=True, text=True,
                       timeout=600)
    after = time.time()
    assert r.returncode == 0, r.stdout + r.stderr
    paths, calls, realtime, fails = parse(r.stdout)
    assert not fails, "\n".join(fails)
    want = expected_paths(profile, forced)
    assert paths == want
    if profile == "6.11" and not forced:      # the image's exports, spelled out once
        assert want == {"clock_gettime": "vdso", "clock_gettime64": "vdso", "gettimeofday": "vdso",
                        "time": "syscall", "clock_getres": "syscall", "getcpu": "syscall"}
    assert int(before) - 1 <= realtime <= after + 1
    st = json.loads(stats.read_text())
    assert set(st["vsyscall"]) == set(vsyscall.FUNCTIONS)
    for f in vsyscall.FUNCTIONS:
        other = "syscall" if want[f] == "vdso" else "vdso"
        assert st["vsyscall"][f] == {want[f]: calls[f], other: 0}, f
    # every dispatched vDSO call entered the vDSO symbol itself (2.36 never calls it on its own;
    # glibc 2.41 adds its own __vdso_clock_gettime64 calls only under the vDSO profiles)
    for f in vsyscall.FUNCTIONS:
        if want[f] == "vdso":
            assert st["vdso_calls"][f"__vdso_{f}"] >= calls[f]


def test_dispatcher_under_qemu(check_binary):
    """qemu-hppa 7.2 gives no vDSO functions: every path is the syscall, every case agrees."""
    _, exe = check_binary
    r = subprocess.run([toolchain.qemu_hppa(), str(exe), "1"], env=guest_env(), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    paths, _, _, fails = parse(r.stdout)
    assert not fails
    assert set(paths.values()) == {"syscall"}


def test_stats_without_dispatcher_have_empty_vsyscall(tmp_path):
    stats = tmp_path / "stats.json"
    r = subprocess.run([*emulator_command(), "run", "--stats-json", str(stats),
                        str(REPO_ROOT / "hppa_user" / "examples" / "hello")],
                       env=guest_env(), capture_output=True, timeout=600)
    assert r.returncode == 0
    assert json.loads(stats.read_text())["vsyscall"] == {}


def test_archives_rebuild_bit_for_bit(tmp_path):
    r = subprocess.run(["make", "-C", str(REPO_ROOT / "vdso_image" / "vsyscall"), "check",
                        f"BUILD_DIR={tmp_path}", f"HPPA_USER={emulator_command()[0]}"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reproduces bit for bit" in r.stdout


@pytest.mark.parametrize("glibc", GLIBCS)
def test_cc_vsyscall(glibc, tmp_path):
    """`hppa-user cc --vsyscall` compiles and links for either glibc; -Wformat-style flags
    reach gcc whole (click used to split them around the letter o)."""
    out = tmp_path / "prog"
    src = tmp_path / "prog.c"
    src.write_text('#include <stdio.h>\n#include <vsyscall.h>\n'
                   'int main(void) { struct timespec ts;\n'
                   '  if (vsyscall_clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 1;\n'
                   '  printf("%s\\n", vsyscall_path("clock_gettime")); return 0; }\n')
    r = subprocess.run([*emulator_command(), "cc", "--glibc", glibc, "--vsyscall", "-O2", "-Wall",
                        "-Wformat", "-Werror", "-o", str(out), str(src)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([*emulator_command(), "run", "--kernel", "6.11", str(out)], env=guest_env(),
                       capture_output=True, text=True, timeout=600)
    assert (r.returncode, r.stdout) == (0, "vdso\n"), r.stderr


@pytest.mark.parametrize("fault", ["enosys", "version-node", "no-hash", "truncated"])
def test_dispatcher_under_vdso_faults(check_binary, fault, tmp_path):
    """A vDSO answering -ENOSYS: each call falls back to the syscall (both paths counted,
    results still right). Another version node, no hash table, a truncated image: nothing
    is found, every function is bound to its syscall."""
    _, exe = check_binary
    stats = tmp_path / "stats.json"
    r = subprocess.run([*emulator_command(), "run", "--kernel", "6.11", "--vdso-fault", fault,
                        "--stats-json", str(stats), str(exe), "1"], env=guest_env(),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    paths, calls, _, fails = parse(r.stdout)
    assert not fails, "\n".join(fails)
    st = json.loads(stats.read_text())["vsyscall"]
    if fault == "enosys":
        assert paths == expected_paths("6.11", False)
        for f in vsyscall.FUNCTIONS:
            n = calls[f]
            assert st[f] == ({"vdso": n, "syscall": n} if paths[f] == "vdso" else {"vdso": 0, "syscall": n})
    else:
        assert set(paths.values()) == {"syscall"}
        assert all(st[f] == {"vdso": 0, "syscall": calls[f]} for f in vsyscall.FUNCTIONS)
