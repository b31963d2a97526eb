"""The vDSO faults (kernel_model/vdso_fault.py) behind `startup-check --faults` and
`hppa-user run --vdso-fault`: each broken image is checked with pyelftools and the cross
objdump, the auxiliary-vector faults by a guest looking at its own auxv and maps."""
from __future__ import annotations

import io
import subprocess

import pytest
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.hash import ELFHashTable

from conftest import emulator_command, guest_env
from bench import toolchain
from kernel_model import vdso, vdso_fault

PROFILES = ("6.11", "vvar")


def tags(data: bytes) -> list[str]:
    elf = ELFFile(io.BytesIO(data))
    sec = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
    return [t.entry.d_tag for t in sec.iter_tags()]


def verdefs(data: bytes) -> list[tuple[str, int]]:
    sec = ELFFile(io.BytesIO(data)).get_section_by_name(".gnu.version_d")
    return [(next(iter(aux)).name, vd["vd_hash"]) for vd, aux in sec.iter_versions()]


@pytest.mark.parametrize("profile", PROFILES)
def test_no_hash_drops_only_dt_hash(profile):
    img = vdso.load_image(profile)
    broken = vdso_fault.FAULTS["no-hash"].image_bytes(img)
    assert "DT_HASH" in tags(img.data)
    assert tags(broken) == [t for t in tags(img.data) if t != "DT_HASH"]


@pytest.mark.parametrize("profile", PROFILES)
def test_version_node_renamed_with_its_hash(profile):
    broken = vdso_fault.FAULTS["version-node"].image_bytes(vdso.load_image(profile))
    nodes = verdefs(broken)
    assert [n for n, _ in nodes] == ["linux-vdso32.so.1", "LINUX_5.18"]
    assert nodes[1][1] == ELFHashTable.elf_hash("LINUX_5.18")


@pytest.mark.parametrize("profile", PROFILES)
def test_enosys_functions_disassemble_as_return_minus_enosys(profile, tmp_path):
    img = vdso.load_image(profile)
    path = tmp_path / "broken.so"
    path.write_bytes(vdso_fault.FAULTS["enosys"].image_bytes(img))
    out = subprocess.run([toolchain.cross_tool("objdump"), "-d", str(path)], capture_output=True,
                         text=True, check=True).stdout
    funcs = [n for n, s in img.exports.items() if n.startswith("__vdso_") and s.type == "STT_FUNC"]
    assert funcs
    for name in funcs:
        body = out.split(f"<{name}>:\n", 1)[1].splitlines()[:2]
        assert [l.split("\t")[-1].strip() for l in body] == ["bv r0(rp)", "ldi -fb,ret0"], name


def test_truncated_keeps_the_first_half():
    img = vdso.load_image("6.11")
    load = next(p for p in img.program_headers if p[0] == "PT_LOAD")
    broken = vdso_fault.FAULTS["truncated"].image_bytes(img)
    assert len(broken) == (load[3] // 2) & ~3 and img.data.startswith(broken)
    dyn = next(p for p in img.program_headers if p[0] == "PT_DYNAMIC")
    assert dyn[1] >= len(broken)                       # .dynamic is gone


AUXV_PROBE = r"""
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
int main(void) {
    char line[256]; int vdso = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && fgets(line, sizeof line, f)) vdso |= strstr(line, "[vdso]") != 0;
    printf("ehdr %#lx vdso-mapped %d\n", getauxval(AT_SYSINFO_EHDR), vdso);
    return 0;
}
"""


def test_no_ehdr_leaves_the_vdso_mapped(guest):
    r = subprocess.run([*emulator_command(), "run", "--kernel", "6.11", "--vdso-fault", "no-ehdr",
                        str(guest(AUXV_PROBE))], env=guest_env(), capture_output=True, text=True,
                       timeout=600)
    assert (r.returncode, r.stdout) == (0, "ehdr 0 vdso-mapped 1\n"), r.stderr


def test_ehdr_unmapped_kills_glibc_before_main(guest):
    r = subprocess.run([*emulator_command(), "run", "--kernel", "vvar", "--vdso-fault", "ehdr-unmapped",
                        str(guest(AUXV_PROBE))], env=guest_env(), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 128 + 11 and r.stdout == ""
    assert "killed by SIGSEGV" in r.stderr


@pytest.mark.parametrize("args", [["--vdso-fault", "bogus"], ["--kernel", "none", "--vdso-fault", "enosys"]])
def test_bad_fault_is_one_line(args):
    r = subprocess.run([*emulator_command(), "run", *args, "/bin/true"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "fault" in r.stderr


def test_vdso_dump_fault(tmp_path):
    out = tmp_path / "v.so"
    r = subprocess.run([*emulator_command(), "vdso", "dump", "--kernel", "6.11", "--fault", "no-hash",
                        "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == vdso_fault.FAULTS["no-hash"].image_bytes(vdso.load_image("6.11"))
