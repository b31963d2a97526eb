"""Every kind of bad executable gets one clear line on stderr and a non-zero status:
no traceback, no hang (issue 2, item 3)."""
from __future__ import annotations

import struct
import subprocess

import pytest

from conftest import emulator_command

HELLO = "hppa_user/examples/hello"


def run(path, repo_root, timeout=60):
    p = subprocess.run([*emulator_command(), "run", str(path)], capture_output=True,
                       timeout=timeout, cwd=repo_root)
    return p.returncode, p.stderr.decode()


def elf_header(data: bytearray, **fields) -> bytearray:
    """Patch ELF32 big-endian header fields of ``data``."""
    fmt = {"e_type": (16, ">H"), "e_machine": (18, ">H"), "e_entry": (24, ">I"),
           "e_phoff": (28, ">I"), "e_phentsize": (42, ">H"), "e_phnum": (44, ">H")}
    for name, value in fields.items():
        off, f = fmt[name]
        struct.pack_into(f, data, off, value)
    return data


def first_load_offset(data: bytes) -> int:
    phoff = struct.unpack_from(">I", data, 28)[0]
    for i in range(struct.unpack_from(">H", data, 44)[0]):
        off = phoff + 32 * i
        if struct.unpack_from(">I", data, off)[0] == 1:
            return off
    raise AssertionError("no PT_LOAD")


CASES = {
    "empty": lambda d: bytearray(),
    "text": lambda d: bytearray(b"hello, I am not a program\n"),
    "script": lambda d: bytearray(b"#!/bin/sh\necho hi\n"),
    "truncated-header": lambda d: d[:30],
    "truncated-segments": lambda d: d[:4096],
    "elf64": lambda d: bytearray(d[:4] + b"\x02" + d[5:]),
    "little-endian": lambda d: bytearray(d[:5] + b"\x01" + d[6:]),
    "x86-machine": lambda d: elf_header(bytearray(d), e_machine=3),
    "not-executable": lambda d: elf_header(bytearray(d), e_type=1),
    "no-program-headers": lambda d: elf_header(bytearray(d), e_phnum=0),
    "bad-phentsize": lambda d: elf_header(bytearray(d), e_phentsize=7),
    "phoff-past-end": lambda d: elf_header(bytearray(d), e_phoff=0x7FFFFFF0),
    "entry-outside-text": lambda d: elf_header(bytearray(d), e_entry=0x100),
}

EXPECTED = {
    "empty": "not an ELF file", "text": "not an ELF file", "script": "scripts are not supported",
    "truncated-header": "truncated ELF header", "truncated-segments": "truncated file",
    "elf64": "not a 32-bit ELF file", "little-endian": "not a big-endian ELF file",
    "x86-machine": "not a PA-RISC executable", "not-executable": "not an executable",
    "no-program-headers": "no program headers", "bad-phentsize": "malformed program headers",
    "phoff-past-end": "malformed program headers", "entry-outside-text": "entry point",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_executable(tmp_path, repo_root, case):
    data = bytearray((repo_root / HELLO).read_bytes())
    path = tmp_path / case
    path.write_bytes(bytes(CASES[case](data)))
    status, err = run(path, repo_root)
    assert status != 0
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if not ln.startswith("hppa-user: compiling")]
    assert len(lines) == 1, err
    assert EXPECTED[case] in lines[0], lines[0]


def test_segment_outside_address_space(tmp_path, repo_root):
    data = bytearray((repo_root / HELLO).read_bytes())
    off = first_load_offset(data)
    struct.pack_into(">I", data, off + 8, 0xFFFF0000)      # p_vaddr near the top
    path = tmp_path / "high"
    path.write_bytes(bytes(data))
    status, err = run(path, repo_root)
    assert status != 0 and "outside the user address space" in err and "Traceback" not in err


def test_missing_file_and_directory(tmp_path, repo_root):
    for path, text in ((tmp_path / "nope", "no such file"), (tmp_path, "is a directory")):
        status, err = run(path, repo_root)
        assert status != 0 and text in err and "Traceback" not in err
