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


# ---- run's command line: the reader without typer (cli_run.parse_run) against click's -----
PROG = "prog"
TAKEN_WHOLE = [
    [PROG],
    [PROG, "a", "--b", "-c", "--help"],                  # from the program on: the guest's
    ["--kernel", "5.18", PROG],
    ["--kernel=6.11", "--strace", "--stats", PROG, "x"],
    ["--kernel", "vvar", "--kernel", "none", PROG],      # the last one counts
    ["-L", "/tmp", PROG], ["-L/tmp", PROG], ["--sysroot=/tmp", PROG], ["--sysroot", "/", PROG],
    ["-E", "A=1", "-E", "B=2", "-U", "C", "-UD", PROG], ["-EA=1", "-E=B=2", PROG],
    ["--no-jit", "--jit", PROG], ["--jit", "--no-jit", PROG],
    ["--jit-threshold", "5", "--max-insns=100", PROG],
    ["--trace", PROG], ["--trace=/tmp/t", PROG], ["--trace=", PROG],
    ["--trace-from", "main", "--trace", PROG],
    ["-g", "1234", PROG], ["-g1234", PROG], ["--gdb=1234", PROG], ["--gdb", "0", PROG],
    ["--vdso-fault", "no-hash", "--stats-json", "/tmp/s.json", PROG],
    ["--clock", "virtual", PROG],
    ["--", PROG, "--kernel"], ["--strace", "--", "-prog", "x"],
]
LEFT_TO_CLICK = [
    [], ["--help"], ["--strace"], ["--no-such", PROG], ["--kernel"], ["--kernel", "-x", PROG],
    ["--max-insns", "lots", PROG], ["--max-insns", "+5", PROG], ["--max-insns", "٣", PROG],
    ["--strace=1", PROG], ["--no-jit=1", PROG], ["-g", "-5", PROG], ["-x", PROG], ["--"],
]


def _click_reading(argv, monkeypatch):
    """The keyword arguments typer's ``run`` hands to run_program for ``run ARGV``."""
    import cli_app
    got = []
    monkeypatch.setattr(cli_app, "run_program", lambda **kw: got.append(kw))
    cli_app.app(["run", *argv], standalone_mode=False)
    assert len(got) == 1
    return got[0]


@pytest.mark.parametrize("argv", TAKEN_WHOLE, ids=" ".join)
def test_run_reader_agrees_with_click(argv, monkeypatch):
    import cli_run
    fast = cli_run.parse_run(argv)
    assert fast is not None, "the reader should take this command line itself"
    assert fast == _click_reading(argv, monkeypatch)


@pytest.mark.parametrize("argv", LEFT_TO_CLICK, ids=" ".join)
def test_run_reader_leaves_the_odd_to_click(argv):
    import cli_run
    assert cli_run.parse_run(argv) is None


def test_run_options_are_one_table():
    """typer's ``run`` declares exactly the options of cli_run.RUN_OPTIONS, flags and
    defaults included (a row missing from run's signature, or an option added to the
    signature alone, fails here)."""
    import typer.main
    import cli_app
    import cli_run
    command = typer.main.get_command(cli_app.app).commands["run"]
    declared = {p.name: (tuple(p.opts + p.secondary_opts), p.default)
                for p in command.params if p.param_type_name == "option"}
    table = {name: (flags, default) for name, flags, _k, default, _m, _h in cli_run.RUN_OPTIONS}
    assert declared == table
