"""Processes (issue 13): fork/vfork/clone, execve, wait, pipes and descriptors across
processes, process groups and sessions, signals between guest processes, limits, cleanup.

Programs that do not exec a guest program are differential against qemu-hppa (which forks
real host processes too). qemu-hppa cannot exec a guest program without binfmt_misc, so
the exec programs are checked against the output Linux's documented behaviour gives
(execve(2), fs/binfmt_script.c, posix_spawn(3)).
"""
from __future__ import annotations

import pytest


def _both(guest, run_qemu, run_emu, tmp_path, name, args=()):
    binary = guest(name)
    qdir, edir = tmp_path / "qemu", tmp_path / "emu"
    qdir.mkdir()
    edir.mkdir()
    return run_qemu(binary, args, cwd=qdir), run_emu(binary, args, cwd=edir)


@pytest.mark.parametrize("name", ["proc_fork", "proc_pipes"])
def test_differential(guest, run_qemu, run_emu, tmp_path, name):
    q, e = _both(guest, run_qemu, run_emu, tmp_path, name)
    assert q.returncode == 0, q.stderr.decode(errors="replace")[-2000:]
    assert e.stdout.decode(errors="replace") == q.stdout.decode(errors="replace"), \
        e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == q.returncode
    assert q.stdout.endswith(b"done\n")


def _elf_header(machine: int, e_type: int = 2) -> bytes:
    """An ELF32 big-endian header (and one PT_LOAD) for ``machine``."""
    import struct
    ehdr = b"\x7fELF" + bytes([1, 2, 1]) + bytes(9)
    ehdr += struct.pack(">HHIIIIIHHHHHH", e_type, machine, 1, 0x10054, 52, 0, 0, 52, 32, 1,
                        40, 0, 0)
    return ehdr


def _bad_load_elf() -> bytes:
    """An hppa executable whose only segment lies above the user address space
    (TASK_SIZE 0xfff00000): load_elf_binary() fails after the point of no return."""
    import struct
    ehdr = _elf_header(15)[:24] + struct.pack(">IIIIHHHHHH", 0xFFF10000, 52, 0, 0, 52, 32, 1,
                                              40, 0, 0)
    phdr = struct.pack(">IIIIIIII", 1, 0, 0xFFF10000, 0xFFF10000, 0x100, 0x1000, 5, 0x1000)
    return (ehdr + phdr).ljust(0x100, b"\0")


def prepare_exec_files(d, binary):
    import os
    (d / "text.sh").write_text("echo not a script\n")
    (d / "empty").write_bytes(b"")
    (d / "noexec").write_bytes(binary.read_bytes())
    (d / "subdir").mkdir()
    (d / "badmach").write_bytes(_elf_header(3).ljust(0x100, b"\0"))
    (d / "badload").write_bytes(_bad_load_elf())
    (d / "script").write_text(f"#!{os.path.realpath(binary)} report\nignored\n")
    (d / "script2").write_text(f"#!{d}/script\n")
    (d / "loop").write_text(f"#!{d}/loop\n")
    (d / "nointerp").write_text("#!/nonexistent/interp\n")
    for name in ("text.sh", "empty", "badmach", "badload", "script", "script2", "loop",
                 "nointerp"):
        os.chmod(d / name, 0o755)
    os.chmod(d / "noexec", 0o644)


EXEC_LINUX = """\
  argc 5: [argv0] [report] [a b] [] [c]
exec self: exited 0
  same pid: 1
  O_CLOEXEC fd open: 0, plain fd open: 1
  caught SIGUSR1 now default: 1
  ignored SIGUSR2 still ignored: 1
  SIGINT still blocked: 1, SIGTERM not: 1
  pending SIGINT kept: 1
  /proc/self/exe is the program: 1
  comm is the file name (15 chars): 1
  FOO=bar
state: exited 0
missing: ENOENT
missing dir component: ENOENT
directory: EACCES
no execute permission: EACCES
text without #!: ENOEXEC
empty file: ENOEXEC
ELF for another machine: ENOEXEC
#! with a missing interpreter: ENOENT
#! loop: ELOOP
argument over 128 KiB: E2BIG
  argc 5: [<self>] [report] [./script] [x] [y]
script: exited 0
  argc 6: [<self>] [report] [<cwd>/script] [<cwd>/script2] [x] [y]
script of a script: exited 0
  argc 5: [argv0] [report] [a b] [] [c]
fexecve: exited 0
  argc 5: [<self>] [report] [/dev/fd/4/script] [x] [y]
execveat(dirfd, script): exited 0
execveat empty path without AT_EMPTY_PATH: ENOENT
segment above user space: killed by Segmentation fault
vfork: parent sees the child's write: 0, child: exited 5
clone(CLONE_VM|CLONE_VFORK): parent sees the child's write: 1, child: exited 6
  argc 5: [argv0] [report] [a b] [] [c]
vfork+exec: exited 0
posix_spawn: 0, output   argc 5: [argv0] [report] [a b] [] [c]
spawned: exited 0
posix_spawn missing: ENOENT
posix_spawnp noexec: EACCES
posix_spawnp through PATH: 0, status: exited 9
wait after all: -1 ECHILD
done
"""


def test_exec(guest, run_emu, tmp_path):
    """execve(2)'s rules as Linux applies them (qemu-hppa cannot exec a guest program)."""
    binary = guest("proc_exec")
    prepare_exec_files(tmp_path, binary)
    e = run_emu(binary, cwd=tmp_path)
    assert e.stdout.decode(errors="replace") == EXEC_LINUX, e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == 0


def _gone(pid: int) -> bool:
    import os
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_fork_bomb_ends_with_eagain(guest, run_emu, tmp_path):
    """RLIMIT_NPROC (an ordinary user's, 12): the bomb gets EAGAIN, the machine survives,
    and no process outlives the run."""
    e = run_emu(guest("proc_tree"), ("bomb",), cwd=tmp_path, timeout=300)
    assert e.stdout.decode() == ("bomb: EAGAIN 1, other errors 0, forks below the limit: 1\n"
                                 "kill the group: 0\nleader: killed by Killed\n"), \
        e.stderr.decode(errors="replace")[-2000:]
    assert e.returncode == 0


def test_orphan_is_adopted_by_init(guest, run_emu, tmp_path):
    e = run_emu(guest("proc_tree"), ("chain",), cwd=tmp_path)
    assert e.stdout.decode() == "middle: exited 0\ngrandchild is not ours: -1 No child processes\n"
    assert e.returncode == 0


@pytest.mark.parametrize("how,status", [("SIGTERM", 143), ("SIGINT", 130), ("SIGKILL", -9)])
def test_end_of_run_ends_the_tree(guest, tmp_path, how, status):
    """SIGTERM to the emulator, Ctrl-C (SIGINT to its process group) or even SIGKILL: no
    guest process survives the first one, not even one ignoring SIGINT and SIGTERM."""
    import os
    import signal
    import subprocess
    import time
    from conftest import emulator_command, guest_env
    p = subprocess.Popen([*emulator_command(), "run", str(guest("proc_tree")), "hang"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=guest_env(), cwd=tmp_path,
                         start_new_session=True)
    pids = []
    for line in p.stdout:
        if line.startswith(b"child "):
            pids.append(int(line.split()[1]))
        if line == b"ready\n":
            break
    assert len(pids) == 3
    sig = getattr(signal, how)
    if how == "SIGINT":
        os.killpg(p.pid, sig)
    else:
        p.send_signal(sig)
    assert p.wait(timeout=60) == status
    deadline = time.monotonic() + 10
    while not all(_gone(q) for q in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [q for q in pids if not _gone(q)] == []


def test_max_insns_and_stats_per_process(guest, run_emu, tmp_path):
    import json
    stats = tmp_path / "stats.json"
    e = run_emu(guest("proc_tree"), ("spin",), cwd=tmp_path,
                options=("--max-insns", "3000000", "--stats-json", str(stats)))
    assert e.stdout.decode() == "spinning child: killed by Killed\n"
    assert e.returncode == 0
    st = json.loads(stats.read_text())
    assert st["exit_status"] == 0 and st["instructions"] < 3_000_000
    child = st["children"]
    assert child["processes"] == 1
    # the child ran from its fork up to the limit: every one of its instructions is its own
    assert child["instructions"] == 3_000_000
    assert child["signals"] == 1


def test_strace_names_processes(guest, run_emu, tmp_path):
    e = run_emu(guest("proc_tree"), ("chain",), cwd=tmp_path, options=("--strace",))
    assert e.returncode == 0
    lines = e.stderr.decode(errors="replace").splitlines()
    first = lines[0]
    assert not first.startswith("[pid")             # one process: no prefix, as strace -f
    import re
    pids = {int(m.group(1)) for line in lines for m in [re.match(r"\[pid +(\d+)\] ", line)] if m}
    assert len(pids) == 3                           # parent, child, grandchild
    assert any(re.match(r"\[pid +\d+\] \+\+\+ exited with 0 \+\+\+", line) for line in lines)
    assert any(line.startswith("wait4(") or "wait4(" in line for line in lines)


# -- a real shell: BusyBox ash (make toolchain builds it from Debian's source) --------------
SHELL_SCRIPT = r"""
echo start
x=$(echo hello | tr a-z A-Z); echo "subst: $x"
seq 1 10 | sort -r | head -3
(echo sub; exit 3); echo "subshell status $?"
false || echo "or works"
true && echo "and works"
for i in 1 2 3; do echo $i; done | wc -l
sleep 0.1 & pid=$!; wait $pid; echo "background status $?"
sh -c 'exit 7'; echo "nested shell $?"
echo redirected > f.txt; cat f.txt; cat < f.txt | wc -c
sh -c 'kill -TERM $$'; echo "killed $?"
trap 'echo trapped' USR1; kill -USR1 $$; echo after trap
printf '%s-%d\n' a 1 b 2
i=0; while [ $i -lt 5 ]; do i=$((i+1)); done; echo "loop $i"
echo $(echo a; echo b) "$(sh -c 'echo nested subst')"
exec 3>g.txt; echo to fd 3 >&3; exec 3>&-; cat g.txt
cat nonexistent-file 2>/dev/null || echo "cat failed $?"
echo done
"""


def busybox() -> "Path":
    from conftest import REPO_ROOT
    bb = REPO_ROOT / "sysroot" / "busybox" / "bin" / "busybox"
    assert bb.is_file(), "BusyBox for hppa is missing: run `make toolchain`"
    return bb


def test_busybox_shell_script(run_emu, tmp_path):
    """A shell script under BusyBox ash (forks, pipes, command substitution, subshells,
    background jobs, traps, kill, redirections) prints what the host's /bin/sh prints."""
    import os
    import subprocess
    (tmp_path / "h").mkdir()
    (tmp_path / "g").mkdir()
    script = tmp_path / "script.sh"
    script.write_text(SHELL_SCRIPT)
    host = subprocess.run(["sh", str(script)], capture_output=True, cwd=tmp_path / "h",
                          env={"PATH": os.environ["PATH"], "LC_ALL": "C"}, timeout=60)
    assert host.returncode == 0
    bb = busybox()
    e = run_emu(bb, ("sh", str(script)), cwd=tmp_path / "g",
                env={"PATH": str(bb.parent)})
    assert e.stdout.decode() == host.stdout.decode(), e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == 0


TINYSH_SCRIPT = r"""# comment
echo start
echo "a b" 'c  d' e\ f | tr a-z A-Z
seq 1 5 | sort -r | head -2 > out.txt; cat out.txt
cat < out.txt | wc -l
false || echo "or $?"
true && echo and
sh -c 'exit 5'; echo "status $?"
echo err 2>&1 1>/dev/null
echo appended >> out.txt; wc -l < out.txt
nonexistent-command 2>/dev/null; echo "not found $?"
export GREETING=hi; sh -c 'echo $GREETING from child'
echo $0 $# $1 ${2}
exit 3
"""


def test_tinysh_script(guest, run_emu, tmp_path):
    """The test tree's own small shell (tests/guest/tinysh.c) runs a script the way the
    host's /bin/sh does: pipelines, redirections, lists, statuses, exported variables."""
    import os
    import shutil
    import subprocess
    sh = guest("tinysh")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    bb = busybox()
    for tool in ("tr", "seq", "sort", "head", "cat", "wc"):
        os.symlink(bb, bindir / tool)
    shutil.copy(sh, bindir / "sh")
    (tmp_path / "h").mkdir()
    (tmp_path / "g").mkdir()
    script = tmp_path / "script.sh"
    script.write_text(TINYSH_SCRIPT)
    host = subprocess.run(["sh", str(script), "one", "two"], capture_output=True,
                          cwd=tmp_path / "h", env={"PATH": os.environ["PATH"], "LC_ALL": "C"},
                          timeout=60)
    assert host.returncode == 3
    e = run_emu(bindir / "sh", (str(script), "one", "two"), cwd=tmp_path / "g",
                env={"PATH": str(bindir)})
    assert e.stdout.decode() == host.stdout.decode(), e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == 3


# -- a static program runs a dynamic one (execve through binfmt_elf, under the guest root) --
@pytest.mark.parametrize("root_option", [True, False], ids=["L", "default-root"])
def test_static_program_execs_dynamic(guest, run_qemu, run_emu, tmp_path, root_option):
    """fork+execve, posix_spawn and a plain execve of a dynamic program from a static one.
    qemu-hppa cannot exec a guest program, so the reference for each child is qemu-hppa
    running that dynamic program directly with -L and the same argv and environment. With
    -L the emulator maps the interpreter's path as qemu does; without it the exec'd program
    gets the runtime ``run`` would choose for it. A PT_INTERP naming no file is ENOENT and
    the caller goes on."""
    from bench import toolchain
    root = toolchain.runtime_root("2.36")
    parent = guest("proc_exec_dyn")
    child = guest("args_env", dynamic=True)
    no_interp = guest("args_env", dynamic=True,
                      extra=["-Wl,--dynamic-linker=/nonexistent/ld.so.1"])
    q = run_qemu(child, ["exit", "7", "two words", ""], root=root,
                 env={"HPPA_TEST_VAR": "from the parent", "HPPA_TEST_OTHER": "1"}, cwd=tmp_path)
    assert q.returncode == 7, q.stderr.decode(errors="replace")
    out = q.stdout.decode()
    assert "HPPA_TEST_VAR=from the parent\n" in out and "argv[3]=\"two words\"" in out
    expected = (out + "fork+execve: exited 7\nposix_spawn: 0\n" + out
                + "posix_spawn: exited 7\n"
                + "execve of a program without its interpreter: ENOENT, still here\n" + out)
    e = run_emu(parent, [child, no_interp], cwd=tmp_path,
                options=["-L", str(root)] if root_option else ())
    assert e.stdout.decode(errors="replace") == expected, e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == 7


def test_fork_while_the_region_compiler_works(guest, run_qemu, run_emu, tmp_path):
    """With every branch target compiled (--jit-threshold 1) a compile is nearly always in
    flight when the guest forks: the child drops its parent's worker and requeues the batch
    (RegionCompiler.forked), and computes what qemu-hppa computes."""
    binary = guest("proc_fork_jit")
    q = run_qemu(binary, cwd=tmp_path)
    assert q.returncode == 0 and q.stdout.count(b"\n") == 8, q
    e = run_emu(binary, cwd=tmp_path, options=["--jit-threshold", "1", "--stats"])
    assert e.stdout == q.stdout, e.stderr.decode(errors="replace")[-3000:]
    assert e.returncode == 0
    assert b"Traceback" not in e.stderr
