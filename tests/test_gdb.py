"""gdb-multiarch against `hppa-user run -g PORT`, directly and through `hppa-user gdb`.

Each test starts the emulator waiting for gdb and runs gdb-multiarch in batch mode on
tests/guest/gdb_target.c (-O0 -g): breakpoints at main and in functions, next/step/finish,
locals and globals, registers, gdb's own disassembly of guest memory, a watchpoint that
fires (also in code the region compiler translated), a guest that segfaults (the stop pc
compared with qemu-hppa -g under the same gdb script), the exit code, and `bt` from a signal
handler under every kernel profile.  Expected values come from the C source, objdump and
qemu-hppa, never from the emulator.

Threads and fork: tests/guest/gdb_threads.c (three workers, each in worker_fn(N); a fork
whose child gdb does not follow); thread ids are checked against the guest's own gettid().

Runtime: ~2 minutes (about twenty-five emulator + gdb pairs).
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import emulator_command, guest_env, qemu_command, toolchain

GDB = shutil.which("gdb-multiarch") or "gdb-multiarch"   # make toolchain installs it
TIMEOUT = 300


@pytest.fixture(scope="module")
def target(guest):
    return guest("gdb_target", opt="-O0", extra=["-g"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Debugged:
    """gdb's output and the emulator's (returncode, stdout, stderr) of one session."""

    def __init__(self, gdb_out: str, emu: subprocess.CompletedProcess, pid: int):
        self.out, self.emu, self.pid = gdb_out, emu, pid


def start_waiting(cmd: list[str]) -> tuple[subprocess.Popen, int]:
    """Start a gdb server command (PORT placeholder) on a free port; retry when another
    process took the port between our probe and its bind."""
    for _attempt in range(5):
        port = free_port()
        proc = subprocess.Popen([str(c).replace("PORT", str(port)) for c in cmd],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=guest_env())
        time.sleep(0.2)
        if proc.poll() is None:
            return proc, port
        out, err = proc.communicate()
        if b"cannot listen" not in err and b"Address already in use" not in err:
            raise AssertionError(f"server did not start: {err.decode(errors='replace')}")
    raise AssertionError("no free port")


def debug(binary, commands: list[str], args=(), options=(), via: str = "gdb-multiarch",
          server: str = "hppa-user") -> Debugged:
    """Run gdb in batch mode against ``hppa-user run -g`` (or qemu-hppa -g)."""
    if server == "hppa-user":
        cmd = [*emulator_command(), "run", *options, "-g", "PORT", binary, *args]
    else:
        cmd = [*qemu_command(), "-g", "PORT", binary, *args]
    proc, port = start_waiting(cmd)
    gdb = [GDB] if via == "gdb-multiarch" else [*emulator_command(), "gdb"]
    gdb += ["-batch", "-nx", "-ex", "set tcp connect-timeout 120",
            "-ex", f"file {binary}", "-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        gdb += ["-ex", c]
    try:
        res = subprocess.run(gdb, capture_output=True, text=True, timeout=TIMEOUT,
                             stdin=subprocess.DEVNULL)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    emu = subprocess.CompletedProcess(cmd, proc.returncode, out.decode(errors="replace"),
                                      err.decode(errors="replace"))
    assert "Traceback" not in emu.stderr
    assert not re.search(r"Traceback|Python Exception|Error while executing Python|"
                         r"ModuleNotFoundError|GdbError", res.stdout + res.stderr)
    return Debugged(res.stdout + res.stderr, emu, proc.pid)


def objdump_words(binary) -> dict[int, str]:
    out = subprocess.run([toolchain.cross_tool("objdump"), "-d", str(binary)], capture_output=True,
                         text=True, check=True).stdout
    return {int(m.group(1), 16): re.sub(r"\s+", " ", re.sub(r" <[^>]*>", "", m.group(2))).strip()
            for m in re.finditer(r"^\s*([0-9a-f]+):\t(?:[0-9a-f]{2} ){4}\t(.*)$", out, re.M)}


def line_of(text: str, source: str = "gdb_target.c") -> int:
    from conftest import GUEST_DIR
    lines = (GUEST_DIR / source).read_text().splitlines()
    return next(i + 1 for i, l in enumerate(lines) if text in l)


def test_breakpoints_next_step_finish_and_values(target):
    d = debug(target, ["break main", "break square", "continue", "next", "print local",
                       "print global_counter", "step", "bt", "finish", "next",
                       "print sq", "continue"])
    out = d.out
    assert re.search(r"Breakpoint 1, main \(argc=1, argv=0x[0-9a-f]+\) at .*gdb_target.c:"
                     + str(line_of("int local = 5;")), out)
    assert "$1 = 5" in out and "$2 = 7" in out                     # local, global
    assert re.search(r"Breakpoint 2, square \(x=5\) at .*:" + str(line_of("int y = x * x")),
                     out)
    assert re.search(r"#1  0x[0-9a-f]+ in main \(argc=1", out)
    assert "Value returned is $3 = 25" in out                      # finish
    assert "$4 = 25" in out                                        # sq after the call
    assert f"[Inferior 1 (process {d.pid}) exited with code 03]" in out
    assert d.emu.returncode == 3 and d.emu.stdout == "25 26 0 0\n"


def test_registers_and_disassembly_of_guest_memory(target):
    """info registers at square's breakpoint; x/8i there with the breakpoint kept inserted
    (the code gdb reads is the file's, not a breakpoint), checked against objdump."""
    d = debug(target, ["set breakpoint always-inserted on", "break square", "continue",
                       "info registers r26 pcoqh pcoqt", "print $pc", "x/8i $pc",
                       "print $sp % 64", "kill"])
    out = d.out
    assert re.search(r"^r26\s+0x5\s+5$", out, re.M)                 # the argument
    pc = int(re.search(r"\$1 = \(void \(\*\)\(\)\) 0x([0-9a-f]+) <square\+\d+>", out).group(1), 16)
    assert int(re.search(r"^pcoqh\s+0x([0-9a-f]+)", out, re.M).group(1), 16) == pc | 3
    assert int(re.search(r"^pcoqt\s+0x([0-9a-f]+)", out, re.M).group(1), 16) == (pc + 4) | 3
    words = objdump_words(target)
    shown = re.findall(r"^(?:=> )?\s*0x([0-9a-f]+) <square\+\d+>:\t(.*)$", out, re.M)
    assert len(shown) == 8 and int(shown[0][0], 16) == pc
    for addr, text in shown:
        assert re.sub(r"\s+", " ", re.sub(r" <[^>]*>", "", text)).strip() == words[int(addr, 16)]
    assert "$2 = 0" in out                                         # the ABI's 64-byte frames
    assert d.emu.returncode == 137 and "killed by gdb" in d.emu.stderr


def test_stepi_follows_delay_slots(target):
    """stepi from main's call of square: the b,l, then its delay slot, then square."""
    words = objdump_words(target)
    syms = {m.group(2): int(m.group(1), 16) for m in re.finditer(
        r"^([0-9a-f]+) <(\w+)>:", subprocess.run([toolchain.cross_tool("objdump"), "-d",
                                                   str(target)], capture_output=True, text=True).stdout,
        re.M)}
    call = next(a for a in sorted(words) if syms["main"] <= a < syms["main"] + 256
                and words[a].startswith("b,l") and f"{syms['square']:x}" in words[a])
    d = debug(target, [f"break *{call:#x}", "continue", "stepi", "print/x $pc", "stepi",
                       "print/x $pc", "kill"])
    assert f"$1 = {call + 4:#x}" in d.out                           # the delay slot
    assert f"$2 = {syms['square']:#x}" in d.out                     # then the target


def test_watchpoint_fires(target):
    d = debug(target, ["break main", "continue", "watch watched", "continue", "continue"])
    out = d.out
    assert re.search(r"Hardware watchpoint 2: watched\s+Old value = 0\s+New value = 26", out)
    assert re.search(r"main \(argc=1, argv=0x[0-9a-f]+\) at .*:"
                     + str(line_of("const char *mode")), out)
    assert d.emu.returncode == 3


def test_breakpoint_and_watchpoint_in_compiled_code(target, monkeypatch):
    """phase(20000) makes phase/body hot enough to be compiled (threshold 50); a breakpoint
    set in body afterwards must still stop there, and a watchpoint fire there."""
    monkeypatch.setenv("HPPA_USER_JIT_SYNC", "1")     # regions installed before phase ends
    d = debug(target, ["break marker", "continue", "print acc", "break body", "continue",
                       "print i", "continue", "print i", "delete", "watch acc", "continue",
                       "delete", "continue"],
              args=["hot"], options=["--jit-threshold", "50", "--stats"])
    out = d.out
    total = 3 * sum(range(20000))
    assert f"$1 = {total}" in out
    assert re.search(r"Breakpoint 2, body \(i=0\)", out) and "$2 = 0" in out
    assert re.search(r"Breakpoint 2, body \(i=1\)", out) and "$3 = 1" in out
    assert re.search(rf"Old value = {total}\s+New value = {total + 3}", out)
    regions = int(re.search(r"jit: (\d+) regions", d.emu.stderr).group(1))
    assert regions > 0
    assert d.emu.returncode == 3 and d.emu.stdout == f"25 26 0 {total + 3 * 6}\n"


def test_breakpoint_set_before_its_loop_is_compiled(target, monkeypatch):
    """A breakpoint on a path the loop takes only on its last iteration: the loop is
    compiled (threshold 50) while the breakpoint is set, and must not run through it."""
    monkeypatch.setenv("HPPA_USER_JIT_SYNC", "1")     # regions installed before the loop ends
    line = line_of("acc += 1000;")
    d = debug(target, [f"break gdb_target.c:{line}", "continue", "print i", "delete",
                       "continue"], args=["rare"], options=["--jit-threshold", "50", "--stats"])
    assert re.search(rf"Breakpoint 1, rare_path \(n=20000\) at .*:{line}", d.out)
    assert "$1 = 19999" in d.out
    assert int(re.search(r"jit: (\d+) regions", d.emu.stderr).group(1)) > 0
    assert d.emu.returncode == 3 and d.emu.stdout == f"25 26 0 {sum(range(20000)) + 1000}\n"


def test_segfault_stops_at_the_faulting_store_like_qemu(target):
    script = ["continue", "print/x $pc", "info symbol $pc", "continue"]
    emu = debug(target, script, args=["crash"])
    qemu = debug(target, script, args=["crash"], server="qemu")
    for d in (emu, qemu):
        assert "Program received signal SIGSEGV, Segmentation fault." in d.out
        assert re.search(r"in crash \(p=0x0\) at .*:" + str(line_of("*p = 42")), d.out)
        assert "Program terminated with signal SIGSEGV, Segmentation fault." in d.out
    pc = re.search(r"\$1 = (0x[0-9a-f]+)", emu.out).group(1)
    assert pc == re.search(r"\$1 = (0x[0-9a-f]+)", qemu.out).group(1)
    assert objdump_words(target)[int(pc, 16)].startswith("stw ")
    assert emu.emu.returncode == 128 + 11


SIGNAL_BT = ["break handler", "continue", "bt", "continue"]


def check_signal_bt(out: str) -> None:
    bt = out[out.index("#0  handler"):]
    frames = re.findall(r"^#(\d+)\s+(.*)$", bt, re.M)
    names = [f for _n, f in frames]
    assert names[0].startswith("handler (sig=14)")
    assert "<signal handler called>" in names[1]
    assert re.search(r"spin \(\) at .*gdb_target.c:\d+", names[2])
    assert re.search(r"main \(argc=2, argv=0x[0-9a-f]+\) at .*gdb_target.c:"
                     + r"\d+", names[3])
    assert len(frames) == 4


@pytest.mark.parametrize("profile", ["none", "5.18", "6.11", "vvar"])
def test_backtrace_from_signal_handler_reaches_main(target, profile):
    """Through the vDSO trampoline (hppa-user gdb's unwinder) or, without a vDSO, through
    the trampoline in the frame on the stack (gdb's own hppa-linux sniffer)."""
    d = debug(target, SIGNAL_BT[:-1] + ["info symbol $rp", "continue"], args=["signal"],
              options=["--kernel", profile], via="hppa-user gdb")
    check_signal_bt(d.out)
    if profile != "none":     # gdb read the vDSO's symbols from guest memory (auxv, maps)
        assert re.search(r"__kernel_sigtramp_rt(32)? in section \.text of system-supplied "
                         r"DSO at 0x[0-9a-f]+", d.out)
    assert d.emu.returncode == 3 and d.emu.stdout == "25 26 1 0\n"


def test_plain_gdb_unwinds_the_on_stack_trampoline(target):
    d = debug(target, SIGNAL_BT, args=["signal"], options=["--kernel", "none"])
    check_signal_bt(d.out)
    assert re.search(r"^#1  <signal handler called>$", d.out, re.M)   # gdb's own signal frame


def test_signal_stop_and_suppression(target):
    """gdb stops for SIGSEGV before delivery; `signal 0` discards it (the store runs again
    and faults again); then passing it kills the guest."""
    d = debug(target, ["continue", "signal 0", "print/x $pc", "continue"], args=["crash"])
    assert d.out.count("Program received signal SIGSEGV") == 2
    assert "Program terminated with signal SIGSEGV" in d.out
    assert d.emu.returncode == 139


def test_dynamic_program_libraries_through_the_guest_root(guest):
    """A dynamic program: gdb walks the link map itself (r_debug through DT_DEBUG) and reads
    each library over vFile; those guest paths (/lib/libc.so.6) resolve under the guest
    root, so gdb gets hppa's libc and can stop in it and unwind back to main."""
    binary = guest("gdb_target", opt="-O0", extra=["-g"], dynamic=True)
    d = debug(binary, ["break main", "continue", "info sharedlibrary", "break printf",
                       "continue", "bt", "kill"])
    out = d.out
    assert re.search(r"^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes.*\s+target:/lib/libc\.so\.6$", out, re.M)
    assert re.search(r"^0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes.*\s+target:/lib/ld\.so\.1$", out, re.M)
    assert re.search(r"Breakpoint 2, 0x[0-9a-f]+ in printf \(\) from target:/lib/libc\.so\.6", out)
    assert re.search(r"#1  0x[0-9a-f]+ in main \(argc=1, argv=0x[0-9a-f]+\) at .*gdb_target\.c:\d+",
                     out)


# -- threads and fork (tests/guest/gdb_threads.c) --------------------------------------------
@pytest.fixture(scope="module")
def threads_target(guest):
    return guest("gdb_threads", opt="-O0", extra=["-g", "-pthread"])


def thread_rows(out: str) -> list[tuple[int, int, int]]:
    """`info threads` rows: (gdb's number, pid, tid)."""
    return [(int(n), int(p), int(t)) for n, p, t in
            re.findall(r"^\*?\s+(\d+)\s+Thread (\d+)\.(\d+) ", out, re.M)]


def test_threads_listed_selected_and_reported(threads_target):
    """At checkpoint() every worker is inside worker_fn(N): `info threads` lists the four,
    `thread K` + `bt` reads that thread's saved registers (its frame and argument), and
    the guest's own gettid() values (tids[N-1]) name the same threads. A breakpoint in
    report() is hit by each worker in turn, reported with a switch to that thread; the
    run ends with the sum of the workers' results."""
    d = debug(threads_target,
              ["break checkpoint", "continue", "info threads",
               "thread 2", "bt", "print arg", "thread 3", "bt", "print arg",
               "thread 4", "bt", "print arg", "print tids", "thread 1",
               "break report", "continue", "bt 2", "continue", "continue", "delete",
               "continue"])
    out = d.out
    assert re.search(r"Thread 1 hit Breakpoint 1, checkpoint \(\) at .*gdb_threads\.c:", out)
    rows = thread_rows(out)
    assert [n for n, _p, _t in rows] == [1, 2, 3, 4]
    assert all(p == d.pid for _n, p, _t in rows) and rows[0][2] == d.pid
    tids = [int(x) for x in re.search(r"= \{(\d+), (\d+), (\d+)\}", out).groups()]
    assert sorted(t for _n, _p, t in rows[1:]) == sorted(tids)
    # thread K's bt and `print arg`: worker_fn(N) for the thread whose gettid() is tids[N-1]
    seen = re.findall(r"\[Switching to thread (\d) \(Thread \d+\.(\d+)\)\]\n"
                      r"#0\s+(?:0x[0-9a-f]+ in )?worker_fn \(arg=(\d)\) at .*\n.*\n"
                      r"#0 .*worker_fn \(arg=\3\).*\n#1\s+0x[0-9a-f]+ in start \(p=0x\3\)"
                      r"(?:.*\n)*?\$\d+ = \3\n", out)
    assert [int(n) for n, _t, _a in seen] == [2, 3, 4]
    assert {int(t): int(a) for _n, t, a in seen} == {tids[i]: i + 1 for i in range(3)}
    # each worker hits report(N), and gdb switches to it
    hits = re.findall(r"\[Switching to Thread (\d+)\.(\d+)\]\n\nThread (\d) hit Breakpoint 2, "
                      r"report \(n=(\d)\)", out)
    assert len(hits) == 3
    assert all(int(p) == d.pid and int(t) == tids[int(n) - 1] for p, t, _k, n in hits)
    assert sorted(int(n) for *_x, n in hits) == [1, 2, 3]
    assert re.search(r"#0\s+report \(n=(\d)\) at .*\n#1\s+0x[0-9a-f]+ in worker_fn "
                     r"\(arg=\1\)", out)
    assert f"[Inferior 1 (process {d.pid}) exited with code 074]" in out      # 60
    assert d.emu.returncode == 60 and d.emu.stdout == "sum 60\n"


def test_stepping_a_selected_thread(threads_target):
    """With scheduler-locking on, `stepi` in worker thread 3 runs that thread only (it is
    switched to; main stays at checkpoint); with it off, `next` in the worker's spin loop
    lets main run on and set `go`, so the worker leaves the loop."""
    d = debug(threads_target,
              ["break checkpoint", "continue", "print/x $pc",
               "set scheduler-locking on", "thread 3", "print/x $pc", "stepi",
               "print/x $pc", "info line *$pc", "thread 1", "print/x $pc", "print go",
               "set scheduler-locking off", "thread 3", "next", "print go", "print arg",
               "delete", "continue"])
    out = d.out
    pcs = [int(x, 16) for x in re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)]
    main_pc, before, after, main_after = pcs
    assert main_after == main_pc                         # main did not run during stepi
    assert after != before
    spin = line_of("while (!go)", "gdb_threads.c")
    assert re.search(rf'^Line {spin} of ".*gdb_threads\.c" starts at address 0x[0-9a-f]+ '
                     r"<worker_fn\+\d+>", out, re.M)     # stepi kept it in the spin loop
    assert re.search(r"^\$\d+ = 0$", out, re.M)          # go, while main was held
    assert re.search(rf"^{spin + 2}\s+return report\(arg\);$", out, re.M)   # out of the loop
    assert re.search(r"^\$\d+ = 1\n\$\d+ = 2$", out, re.M)   # go set by main; arg of thread 3
    assert d.emu.returncode == 60 and d.emu.stdout == "sum 60\n"


def test_fork_follows_the_parent(threads_target):
    """gdb follows the parent (follow-fork-mode parent): the child runs free of the
    breakpoints -- its _exit(5) does not stop -- and its output appears; the parent stops
    in after_fork(5) and at its own _exit(4), then exits 4."""
    d = debug(threads_target,
              ["break after_fork", "break _exit", "continue", "print code", "info threads",
               "continue", "info registers r26", "continue"], args=["fork"])
    out = d.out
    assert re.search(r"Breakpoint 1, after_fork \(code=5\) at .*gdb_threads\.c:", out)
    assert "$1 = 5" in out
    assert out.count("Breakpoint 2, ") == 1 and \
        out.index("Breakpoint 1, after_fork") < out.index("Breakpoint 2, ")
    assert thread_rows(out) == [(1, d.pid, d.pid)]
    assert re.search(r"^r26\s+0x4\s+4$", out, re.M)     # the parent's _exit(4)
    assert f"[Inferior 1 (process {d.pid}) exited with code 04]" in out
    assert d.emu.returncode == 4
    assert d.emu.stdout == "child says hello\nparent saw 5\n"
