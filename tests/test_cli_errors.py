"""A bad command line gets one line on stderr and status 2 (never click's boxed usage
text, never a traceback), whatever the option."""
from __future__ import annotations

import subprocess

import pytest

from conftest import emulator_command

HELLO = "hppa_user/examples/hello"


@pytest.mark.parametrize("args,fragment", [
    (["run", "-g", "abc", HELLO], "'-g' / '--gdb'"),
    (["run", "--max-insns", "lots", HELLO], "'--max-insns'"),
    (["run"], "Missing argument 'program'"),
    (["run", "--no-such-option", HELLO], "--no-such-option"),
    (["no-such-command"], "no-such-command"),
    (["run", "--kernel", "4.19", HELLO], "unknown kernel profile '4.19'"),
    (["run", "--clock", "sundial", HELLO], "unknown clock 'sundial'"),
])
def test_bad_command_line_is_one_line(repo_root, args, fragment):
    p = subprocess.run(emulator_command() + args, capture_output=True, text=True,
                       cwd=repo_root, timeout=120)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], p.stderr
    assert lines[0].startswith("hppa-user"), lines
    assert p.stdout == ""
