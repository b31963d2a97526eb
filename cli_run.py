"""``hppa-user run`` without typer: the command every guest start pays for.

Its command line is read from the option table (RUN_OPTIONS) here: typer and the standard
modules it pulls in are ~18 ms of a 0.09 s hello.  Anything this reader does not take whole
(``--help``, an unknown option, a missing or odd value, no program) goes to the typer app
(cli_app.py), which declares ``run`` from the same table and says what is wrong in click's
words; both end in run_program.
"""
from __future__ import annotations

import _json      # (json's C half: the start-up rule, cli.py)
import atexit
import gc
import os
import sys

# run's options: (parameter, flags, kind, default, metavar, help).  Kinds: "text" and "int"
# take a value (--opt V, --opt=V, -oV), "list" one value per use, "flag" none, "switch" is
# a --x/--no-x pair, "optional" takes a value only as --opt=V (bare: OPTIONAL_VALUE).
RUN_OPTIONS = (
    ("kernel", ("--kernel",), "text", "vvar", None, "kernel profile: none, 5.18, 6.11, vvar"),
    ("root", ("-L", "--sysroot"), "text", None, "DIR",
     "guest file-system root, as qemu-user's -L: absolute paths (the ELF interpreter, open, "
     "stat, readlink, execve) are looked up in DIR first (default: $QEMU_LD_PREFIX, else "
     "the hppa runtime of a dynamic program's glibc)"),
    ("strace", ("--strace",), "flag", False, None, "print each syscall, strace style, to stderr"),
    ("stats", ("--stats",), "flag", False, None, "print a summary to stderr at exit"),
    ("stats_json", ("--stats-json",), "text", None, None, "write run statistics as JSON"),
    ("max_insns", ("--max-insns",), "int", 0, None, "stop the guest after N instructions"),
    ("clock", ("--clock",), "text", "host", None,
     "host: cr16 and time from the host; virtual: from the instruction count"),
    ("setenv", ("-E",), "list", None, None, "set VAR=VAL in the guest environment"),
    ("unsetenv", ("-U",), "list", None, None, "remove VAR from the guest environment"),
    ("jit", ("--jit", "--no-jit"), "switch", True, None,
     "compile hot guest code to native code (off: interpret only)"),
    ("jit_threshold", ("--jit-threshold",), "int", None, "N",
     "entries of a branch target before it is compiled (default: once its code has run "
     "about as long as compiling it takes)"),
    ("trace", ("--trace",), "optional", None, "[=FILE]",
     "trace every executed instruction (address, disassembly, nullified or not) to stderr, "
     "or to FILE with --trace=FILE"),
    ("trace_from", ("--trace-from",), "text", None, "ADDR|SYMBOL",
     "start the trace when this address (0x...) or .symtab symbol is first executed "
     "(implies --trace)"),
    ("gdb_port", ("-g", "--gdb"), "int", None, "PORT",
     "wait for gdb on 127.0.0.1:PORT before the first instruction "
     "(gdb-multiarch PROGRAM -ex 'target remote :PORT', or hppa-user gdb)"),
    ("vdso_fault", ("--vdso-fault",), "text", None, "NAME",
     "break the vDSO on purpose (as startup-check --faults does): no-ehdr, no-hash, "
     "version-node, enosys, truncated, ehdr-unmapped"),
)
# A bare optional-value option means this value: --trace alone traces to standard error.
OPTIONAL_VALUE = {"--trace": "-"}
TAKES_VALUE = ("text", "int", "list")
BUNDLE = None      # cli_bundle.Bundle: the run's modules came from its file (cli.main)


def _flag_table() -> dict:
    """flag -> (parameter, kind, value a bare flag sets)."""
    table = {}
    for name, flags, kind, _default, _metavar, _help in RUN_OPTIONS:
        if kind == "switch":
            table[flags[0]], table[flags[1]] = (name, kind, True), (name, kind, False)
        else:
            for flag in flags:
                table[flag] = (name, kind, OPTIONAL_VALUE.get(flag, True))
    return table


def parse_run(argv: list[str]) -> dict | None:
    """``run``'s arguments (after the word run) as the keyword arguments of run_program, or
    None for typer to read them: this reader only takes command lines it understands whole.
    Options come before the program; everything from the program on is the guest's."""
    flags = _flag_table()
    got = {name: default for name, _f, _k, default, _m, _h in RUN_OPTIONS}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a == "-" or not a.startswith("-"):
            break
        if a.startswith("--"):
            flag, eq, value = a.partition("=")                   # --opt=VALUE
        else:
            flag, eq, value = a[:2], "=" * (len(a) > 2), a[2:]  # -g1234, -LDIR (-E=X: "=X")
        if flag not in flags:
            return None
        name, kind, bare = flags[flag]
        if kind in TAKES_VALUE:
            if not eq:
                i += 1
                if i == len(argv):
                    return None
                value = argv[i]
            if value.startswith("-"):
                return None                                      # click's reading decides
            if kind == "int":
                if not (value.isascii() and value.isdigit()):
                    return None
                value = int(value)
            if kind == "list":
                value = (got[name] or []) + [value]
        elif kind == "optional":
            value = value if eq else bare
        elif eq:
            return None                                          # --strace=x
        else:
            value = bare
        got[name] = value
        i += 1
    if i == len(argv):
        return None                                              # no program
    got["program"], got["args"] = argv[i], argv[i + 1:] or None
    return got


def fail(msg: str, status: int = 1):
    """One line on standard error and the exit status: the project's answer to bad input."""
    sys.stdout.flush()
    print(f"hppa-user: {msg}", file=sys.stderr, flush=True)
    raise SystemExit(status)


def leave(status: int):
    """End a run's process now, without the interpreter's teardown: freeing every object
    costs ~5 ms, and more when a compile worker forked from this process is still at work
    (each page the teardown writes is then copied for it)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    if BUNDLE is not None:
        BUNDLE.save()
    from hppa_user import jitworker         # (loaded with the machine)
    jitworker.end_process(status)


def host_environment() -> dict:
    """The environment this process was started with, in its order.

    os.environ is not it: Python may add LC_CTYPE (PEP 538 locale coercion). /proc/self/environ
    still holds the block execve passed."""
    try:
        with open("/proc/self/environ", "rb") as fh:
            block = fh.read()
        env = {}
        for item in block.split(b"\0"):
            if b"=" in item:
                k, v = item.split(b"=", 1)
                env[os.fsdecode(k)] = os.fsdecode(v)
        return env
    except OSError:
        return dict(os.environ)


def announce_compile() -> None:
    """Say so when the core is about to be compiled (seconds), so nobody thinks it hung."""
    from hppa_user import jitcache
    if not jitcache.is_warm():
        print("hppa-user: compiling the CPU core (first run only, about ten seconds)...",
              file=sys.stderr, flush=True)


def check_profile(kernel: str) -> None:
    from kernel_model.vdso import PROFILES
    if kernel not in PROFILES:
        fail(f"unknown kernel profile {kernel!r} (choose {', '.join(PROFILES)})", 2)


def check_fault(fault: str, kernel: str) -> None:
    from kernel_model import vdso_fault
    if fault not in vdso_fault.FAULTS:
        fail(f"unknown vDSO fault {fault!r} (choose {', '.join(vdso_fault.FAULTS)})", 2)
    if kernel == "none":
        fail("--vdso-fault needs a kernel profile with a vDSO (5.18, 6.11 or vvar)", 2)


def run_program(program: str, args, kernel, root, strace, stats, stats_json, max_insns, clock,
                setenv, unsetenv, jit, jit_threshold, trace, trace_from, gdb_port, vdso_fault):
    """Run an hppa Linux binary (static or dynamic), like qemu-hppa; never returns."""
    from hppa_user.errors import LoaderError, TraceError

    check_profile(kernel)
    if clock not in ("host", "virtual"):
        fail(f"unknown clock {clock!r} (choose host or virtual)", 2)
    if jit_threshold is not None and jit_threshold < 1:
        fail("--jit-threshold expects a positive count (use --no-jit to interpret only)", 2)
    if vdso_fault is not None:
        check_fault(vdso_fault, kernel)
    env = host_environment()
    for item in setenv or []:
        if "=" not in item:
            fail(f"-E expects VAR=VAL, got {item!r}", 2)
        k, v = item.split("=", 1)
        env[k] = v
    for k in unsetenv or []:
        env.pop(k, None)
    root = root or os.environ.get("QEMU_LD_PREFIX") or None
    if root is not None and not os.path.isdir(root):
        fail(f"-L {root}: not a directory", 2)
    if gdb_port is not None and (trace is not None or trace_from is not None):
        fail("-g/--gdb and --trace cannot be combined", 2)
    announce_compile()
    topts = None
    if trace is not None or trace_from is not None:
        from hppa_user.trace import TraceOptions     # with the disassembler: only when asked
        topts = TraceOptions(file=trace or "-", start=trace_from)
    from kernel_model import abi
    from kernel_model.machine import JIT_THRESHOLD, Machine
    threshold = 0 if not jit else (jit_threshold or JIT_THRESHOLD)
    try:
        m = Machine(program, [program] + list(args or []), env=env, strace=strace,
                    max_insns=max_insns, clock=clock, kernel_profile=kernel,
                    count_vdso=stats or bool(stats_json), trace=topts, jit_threshold=threshold,
                    root=root, vdso_fault=vdso_fault)
    except LoaderError as e:
        fail(f"{program}: {e}", e.status)
    except TraceError as e:
        fail(str(e), 2)
    if gdb_port is not None:
        from kernel_model.gdbstub import GdbStub, GdbStubError
        try:
            m.monitor = GdbStub(m, gdb_port)
        except GdbStubError as e:
            fail(str(e), 1)
    gc.freeze()                  # what start-up made is never collected, nor walked again
    gc.enable()
    status = m.run()
    if m.term_signal:
        info = m.kill_info
        name = abi.signal_name(m.term_signal)
        why = info.reason or ""
        core = " (core dumped)" if info.core else ""
        print(f"hppa-user: {program}: killed by {name} at pc {info.pc:#010x}{core}"
              + (f": {why}" if why else ""), file=sys.stderr)
    st = m.stats()
    if stats:
        _print_stats(st)
    if stats_json:
        with open(stats_json, "w") as fh:
            fh.write(json_text(st))
    leave(status)


def json_text(v, indent: str = "\n") -> str:
    """``v`` (dicts with str or int keys, lists, strings, numbers, booleans, None) as
    ``json.dumps(v, indent=1)`` writes it, without the json module: it imports re, ~7 ms
    of every --stats-json run (the start-up rule: cli.py)."""
    if isinstance(v, str):
        return _json.encode_basestring_ascii(v)
    if v is None or isinstance(v, bool):
        return {None: "null", True: "true", False: "false"}[v]
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(repr(v), repr(v))
    inner = indent + " "
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = (json_text(str(k)) + ": " + json_text(x, inner) for k, x in v.items())
        return "{" + inner + ("," + inner).join(items) + indent + "}"
    if not v:
        return "[]"
    return "[" + inner + ("," + inner).join(json_text(x, inner) for x in v) + indent + "]"


def _print_stats(st: dict) -> None:
    def top(d):
        return ", ".join(f"{k} {v}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) or "none"
    say = lambda line: print(f"hppa-user: {line}", file=sys.stderr)  # noqa: E731
    say(f"{st['instructions']} instructions in {st['wall_seconds']:.3f} s "
        f"({st['mips']:.1f} MIPS), kernel {st['kernel_profile']}")
    say(f"syscalls: {top(st['syscalls'])}")
    say(f"vdso calls: {top(st['vdso_calls'])}; lws: {top(st['lws_calls'])}")
    j = st["jit"]
    say(f"jit: {j['regions']} regions installed, {j['from_cache']} of them from the code cache, "
        f"entered at {j['other_entries']} other targets too; {j['regions'] - j['from_cache']} "
        f"compiled ({j['instructions']} instructions) in {j['compile_seconds']:.3f} s; "
        f"{j['chains']} chains of stencils ({j['chain_instructions']} instructions; "
        f"{j['chains_linked']} going on in another; "
        f"{j['chain_copies_linked_later']} delay slots' copies linked later)")
    if "children" in st:
        c = st["children"]
        say(f"other processes: {c['processes']}, {c['instructions']} "
            f"instructions, syscalls: {top(c['syscalls'])}")
