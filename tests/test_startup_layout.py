"""The initial stack is laid out as Linux/parisc's create_elf_tables() does it with
CONFIG_STACK_GROWSUP and an 8 MiB stack limit; the expected addresses are computed here from
the kernel's rules (fs/exec.c + fs/binfmt_elf.c, see shared/reference/linux-parisc-abi.md §2)."""
from __future__ import annotations

import os
import re

import pytest

from conftest import guest_env

STACK_BASE = 0xFFF00000 - (8 << 20)                  # stack_top - 8 MiB limit
AUXV_ORDER = [16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 31, 15]


def expected_layout(argv: list[str], env: dict[str, str], execfn: str, vdso: bool) -> dict:
    strings = [a.encode() + b"\0" for a in argv] + [f"{k}={v}".encode() + b"\0" for k, v in env.items()]
    blob = b"".join(strings) + execfn.encode() + b"\0"
    top = STACK_BASE + ((len(blob) + 4 + 4095) // 4096) * 4096     # bprm->p after setup_arg_pages
    first = top - 4 - len(blob)                                    # strings end one pointer below
    n_aux = len(AUXV_ORDER) + (1 if vdso else 0) + 1               # + AT_NULL
    p = top + 7 + 16                                               # "PARISC\0", 16 random bytes
    items = (len(argv) + 1) + (len(env) + 1) + 1
    bprm_p = (15 + p + 4 * 2 * n_aux + 4 * items) & ~15
    table = bprm_p - 4 * items - 4 * 2 * n_aux
    sp = (bprm_p + 63) & ~63
    return {"argc_at": table, "argv": table + 4, "argv0": first, "platform": top, "random": top + 7,
            "execfn": top - 4 - len(execfn) - 1, "auxv_end": bprm_p, "stack_end": sp + 64}


@pytest.mark.parametrize("profile", ("none", "vvar"))
def test_initial_stack_matches_linux(guest, run_emu, profile):
    binary = guest("startup_layout")
    argv_extra = ["one", "two words", ""]
    env = guest_env({"HPPA_LAYOUT": "x" * 5000})                 # forces a second argument page
    res = run_emu(binary, argv_extra, env={"HPPA_LAYOUT": "x" * 5000}, options=["--kernel", profile])
    out = res.stdout.decode()
    assert res.returncode == 0, res.stderr.decode()
    exp = expected_layout([str(binary)] + argv_extra, env, str(binary), vdso=profile != "none")
    got = {k: int(v, 16) for k, v in re.findall(r"^(\w+) (0x[0-9a-f]+)$", out, re.M)}
    assert int(re.search(r"argc \d+ at (0x[0-9a-f]+)", out).group(1), 16) == exp["argc_at"]
    assert got["argv"] == exp["argv"]
    assert int(re.search(r"argv\[0\] (0x[0-9a-f]+)", out).group(1), 16) == exp["argv0"]
    assert got["auxv_end"] == exp["auxv_end"]
    assert got["stack_end"] == exp["stack_end"]
    aux = re.findall(r"^aux (\d+) (.*)$", out, re.M)
    types = [int(t) for t, _ in aux]
    assert types == ([33] if profile != "none" else []) + AUXV_ORDER
    vals = {int(t): v for t, v in aux}
    assert vals[16] == "0" and vals[6] == "0x1000" and vals[17] == "0x64" and vals[4] == "0x20"
    assert vals[9] == "=_start"
    assert vals[15] == f'{exp["platform"]:#x} "PARISC"'
    assert vals[31] == f'{exp["execfn"]:#x} "{binary}"'
    assert int(vals[25], 16) == exp["random"]
    assert int(vals[11], 16) == os.getuid() and int(vals[12], 16) == os.geteuid()
    assert "grows_up yes" in out
