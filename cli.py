"""hppa-user command line: run, cc, disasm, vdso, bench, startup-check."""
from __future__ import annotations

import atexit
import gc
import json
import os
import sys
from typing import List, Optional

# Start-up creates ~30 000 objects that live as long as the process (modules, classes,
# the syscall and encoding tables): collecting while they are made only walks them again
# and again (~5 ms).  ``run`` collects from when the guest starts, the other commands
# from when they start (_main).
gc.disable()

import typer  # noqa: E402
import typer.core  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="PA-RISC (hppa) Linux user-mode emulator focused on the syscall path and the vDSO.")

@app.callback()
def _main(ctx: typer.Context) -> None:
    """hppa-user: run, measure and trace hppa Linux binaries."""
    if ctx.invoked_subcommand != "run":
        gc.enable()


def fail(msg: str, status: int = 1):
    typer.echo(f"hppa-user: {msg}", err=True)
    raise typer.Exit(status)


def leave(status: int):
    """End a run's process now, without the interpreter's teardown: freeing every object
    costs ~5 ms, and more when a compile worker forked from this process is still at work
    (each page the teardown writes is then copied for it)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


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


def _announce_compile() -> None:
    """Say so when the core is about to be compiled (seconds), so nobody thinks it hung."""
    from hppa_user import jitcache
    if not jitcache.is_warm():
        typer.echo("hppa-user: compiling the CPU core (first run only, about ten seconds)...",
                   err=True)


class _RunCommand(typer.core.TyperCommand):
    """``run`` with GNU-style optional option values: a bare ``--trace`` (before the program)
    means ``--trace=-`` (standard error); ``--trace=FILE`` writes FILE.  ``--trace FILE`` is
    not accepted as a file name -- FILE would be taken for the program, as with ``ls
    --color WHEN``."""

    OPTIONAL_VALUE = {"--trace": "-"}

    def parse_args(self, ctx, args):
        options = [p for p in self.params if p.param_type_name == "option"]
        takes_value = {o for p in options if not getattr(p, "is_flag", False) for o in p.opts}
        known = {o for p in options for o in p.opts + p.secondary_opts} | {"--help"}
        out, i = [], 0
        while i < len(args):
            a = args[i]
            if a == "--" or not a.startswith("-") or a == "-":
                out.extend(args[i:])             # the program and its arguments: untouched
                break
            attached = a[1] != "-" and a[:2] in takes_value          # -g1234
            if a.split("=", 1)[0] not in known and not attached:
                # guest options only come after the program
                raise typer.BadParameter.__mro__[1](f"No such option: {a}", ctx=ctx)
            if a in self.OPTIONAL_VALUE:
                out.append(f"{a}={self.OPTIONAL_VALUE[a]}")
            elif a in takes_value and i + 1 < len(args):
                out.extend(args[i:i + 2])
                i += 1
            else:
                out.append(a)
            i += 1
        return super().parse_args(ctx, out)


@app.command(cls=_RunCommand,
             context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def run(
    program: str = typer.Argument(..., help="hppa Linux executable (static or dynamic)"),
    args: Optional[List[str]] = typer.Argument(None, help="guest arguments"),
    kernel: str = typer.Option("vvar", "--kernel", help="kernel profile: none, 5.18, 6.11, vvar"),
    root: Optional[str] = typer.Option(
        None, "-L", "--sysroot", metavar="DIR",
        help="guest file-system root, as qemu-user's -L: absolute paths (the ELF interpreter, "
             "open, stat, readlink, execve) are looked up in DIR first (default: "
             "$QEMU_LD_PREFIX, else the hppa runtime of a dynamic program's glibc)"),
    strace: bool = typer.Option(False, "--strace", help="print each syscall, strace style, to stderr"),
    stats: bool = typer.Option(False, "--stats", help="print a summary to stderr at exit"),
    stats_json: Optional[str] = typer.Option(None, "--stats-json", help="write run statistics as JSON"),
    max_insns: int = typer.Option(0, "--max-insns", help="stop the guest after N instructions"),
    clock: str = typer.Option("host", "--clock", help="host: cr16 and time from the host; virtual: from the instruction count"),
    setenv: Optional[List[str]] = typer.Option(None, "-E", help="set VAR=VAL in the guest environment"),
    unsetenv: Optional[List[str]] = typer.Option(None, "-U", help="remove VAR from the guest environment"),
    jit: bool = typer.Option(True, "--jit/--no-jit",
                             help="compile hot guest code to native code (off: interpret only)"),
    jit_threshold: Optional[int] = typer.Option(
        None, "--jit-threshold", metavar="N",
        help="entries of a branch target before it is compiled (default: once its code has "
             "run about as long as compiling it takes)"),
    trace: Optional[str] = typer.Option(
        None, "--trace", metavar="[=FILE]",
        help="trace every executed instruction (address, disassembly, nullified or not) to stderr, "
             "or to FILE with --trace=FILE"),
    trace_from: Optional[str] = typer.Option(
        None, "--trace-from", metavar="ADDR|SYMBOL",
        help="start the trace when this address (0x...) or .symtab symbol is first executed "
             "(implies --trace)"),
    gdb_port: Optional[int] = typer.Option(
        None, "-g", "--gdb", metavar="PORT",
        help="wait for gdb on 127.0.0.1:PORT before the first instruction "
             "(gdb-multiarch PROGRAM -ex 'target remote :PORT', or hppa-user gdb)"),
    vdso_fault: Optional[str] = typer.Option(
        None, "--vdso-fault", metavar="NAME",
        help="break the vDSO on purpose (as startup-check --faults does): no-ehdr, no-hash, "
             "version-node, enosys, truncated, ehdr-unmapped"),
):
    """Run an hppa Linux binary (static or dynamic), like qemu-hppa."""
    from hppa_user.errors import LoaderError, TraceError

    _check_profile(kernel)
    if clock not in ("host", "virtual"):
        fail(f"unknown clock {clock!r} (choose host or virtual)", 2)
    if jit_threshold is not None and jit_threshold < 1:
        fail("--jit-threshold expects a positive count (use --no-jit to interpret only)", 2)
    if vdso_fault is not None:
        _check_fault(vdso_fault, kernel)
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
    _announce_compile()
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
        pc = info.pc
        name = abi.signal_name(m.term_signal)
        why = info.reason or ""
        core = " (core dumped)" if info.core else ""
        typer.echo(f"hppa-user: {program}: killed by {name} at pc {pc:#010x}{core}"
                   + (f": {why}" if why else ""), err=True)
    st = m.stats()
    if stats:
        def top(d):
            return ", ".join(f"{k} {v}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) or "none"
        typer.echo(f"hppa-user: {st['instructions']} instructions in {st['wall_seconds']:.3f} s "
                   f"({st['mips']:.1f} MIPS), kernel {st['kernel_profile']}", err=True)
        typer.echo(f"hppa-user: syscalls: {top(st['syscalls'])}", err=True)
        typer.echo(f"hppa-user: vdso calls: {top(st['vdso_calls'])}; lws: {top(st['lws_calls'])}", err=True)
        j = st["jit"]
        typer.echo(f"hppa-user: jit: {j['regions']} regions ({j['instructions']} instructions) "
                   f"compiled in {j['compile_seconds']:.3f} s", err=True)
        if "children" in st:
            c = st["children"]
            typer.echo(f"hppa-user: other processes: {c['processes']}, {c['instructions']} "
                       f"instructions, syscalls: {top(c['syscalls'])}", err=True)
    if stats_json:
        with open(stats_json, "w") as fh:
            json.dump(st, fh, indent=1)
    leave(status)


@app.command(context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True,
                                "allow_extra_args": True})
def cc(
    ctx: typer.Context,
    glibc: str = typer.Option("2.36", "--glibc", help="C library: 2.36 (Debian 12) or 2.41 (Debian 13 sysroot)"),
    dynamic: bool = typer.Option(False, "--dynamic",
                                 help="link against the glibc's shared libraries (implied by -shared)"),
    vsyscall: bool = typer.Option(False, "--vsyscall",
                                  help="compile and link against the vsyscall dispatcher (vsyscall.h)"),
):
    """Build an hppa program with the cross toolchain: cc [--glibc V] [--dynamic] [--vsyscall] -o OUT SRC... [gcc args].

    Static unless --dynamic (or -shared for a library); a dynamic result runs with `hppa-user
    run` as it is: the run-time tree of its glibc is its default root. Everything after the
    hppa-user options goes to gcc as it is (``-o OUT`` included: a short option here would
    make click split gcc flags such as ``-Wformat`` apart)."""
    from bench import toolchain
    if glibc not in toolchain.GLIBC_VERSIONS:
        fail(f"unknown glibc {glibc!r} (choose {', '.join(toolchain.GLIBC_VERSIONS)})", 2)
    raise typer.Exit(toolchain.cc_main(glibc, None, list(ctx.args), dynamic=dynamic,
                                       vsyscall=vsyscall))


vdso_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Inspect the vDSO images.")
app.add_typer(vdso_app, name="vdso")


def _check_profile(kernel: str) -> None:
    from kernel_model.vdso import PROFILES
    if kernel not in PROFILES:
        fail(f"unknown kernel profile {kernel!r} (choose {', '.join(PROFILES)})", 2)


def _check_fault(fault: str, kernel: str) -> None:
    from kernel_model import vdso_fault
    if fault not in vdso_fault.FAULTS:
        fail(f"unknown vDSO fault {fault!r} (choose {', '.join(vdso_fault.FAULTS)})", 2)
    if kernel == "none":
        fail("--vdso-fault needs a kernel profile with a vDSO (5.18, 6.11 or vvar)", 2)


@vdso_app.command("info")
def vdso_info(kernel: str = typer.Option("vvar", "--kernel", help="kernel profile")):
    """Program headers, dynamic entries, symbols with versions, and the vvar layout."""
    _check_profile(kernel)
    from kernel_model import vdso
    typer.echo(vdso.describe(kernel))


@vdso_app.command("dump")
def vdso_dump(kernel: str = typer.Option("vvar", "--kernel", help="kernel profile"),
              output: str = typer.Option(..., "-o", help="file to write the image to"),
              fault: Optional[str] = typer.Option(None, "--fault", metavar="NAME",
                                                  help="the image as --vdso-fault NAME maps it")):
    """Write a profile's vDSO image to a file (for readelf/objdump)."""
    _check_profile(kernel)
    from kernel_model import vdso
    if kernel == "none":
        fail("profile 'none' has no vDSO (Linux <= 5.17)", 1)
    if fault is not None:
        _check_fault(fault, kernel)
    try:
        if fault is None:
            n = vdso.dump(kernel, output)
        else:
            from kernel_model import vdso_fault
            data = vdso_fault.get(fault).image_bytes(vdso.load_image(kernel))
            with open(output, "wb") as fh:
                n = fh.write(data)
    except OSError as e:
        fail(f"{output}: {e.strerror}", 1)
    typer.echo(f"wrote {n} bytes to {output}")


@app.command()
def disasm(program: str = typer.Argument(..., help="hppa ELF file")):
    """Disassemble every executable section, one line per instruction, spelled like objdump."""
    from hppa_user import disasm as dis
    from hppa_user.errors import LoaderError
    try:
        for line in dis.disassemble_file(program):
            typer.echo(line)
    except LoaderError as e:
        fail(f"{program}: {e}", 1)
    except BrokenPipeError:
        pass


@app.command("bench")
def bench_cmd(
    quick: bool = typer.Option(False, "--quick", help="one function, the main paths, one process per row: under a minute"),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="PATH", help="write the rows as JSON"),
    plot: Optional[str] = typer.Option(None, "--plot", metavar="PATH",
                                       help="bar chart, log scale, by function (.png or .svg; needs hppa-user[plot])"),
    qemu10: bool = typer.Option(True, "--qemu10/--no-qemu10", help="include Debian 13's qemu-hppa when fetched"),
):
    """What each time function costs: raw syscall, glibc 2.36, glibc 2.41 under 6.11 and vvar, vs qemu-hppa.

    Per row: host ns per call (timed in the guest), guest instructions and gateway traps per
    call, syscalls and vDSO calls per call (bench/report.py)."""
    from bench import report
    raise typer.Exit(report.main(quick=quick, json_path=json_out, plot_path=plot, qemu10=qemu10))


@app.command("gdb", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                       "allow_interspersed_args": False, "help_option_names": []})
def gdb_cmd(ctx: typer.Context):
    """gdb-multiarch with hppa-user's extension (bt through parisc signal frames): GDB ARGS..."""
    import shutil
    import kernel_model
    from kernel_model.gdbstub import gdb_extension_environment
    extension = os.path.join(os.path.dirname(kernel_model.__file__), "gdbext.py")
    exe = shutil.which("gdb-multiarch")
    if exe is None:
        fail("gdb-multiarch not found (Debian: apt-get install gdb-multiarch)", 127)
    try:
        os.execve(exe, [exe, "-iex", f"source {extension}", *ctx.args],
                  gdb_extension_environment())
    except OSError as e:
        fail(f"cannot run {exe}: {e.strerror}", 126)


@app.command("startup-check")
def startup_check_cmd(
    glibc: str = typer.Option("2.36,2.41", "--glibc", help="C libraries (comma-separated)"),
    link: str = typer.Option("static,dynamic", "--link", help="static, dynamic (comma-separated)"),
    kernel: str = typer.Option("none,5.18,6.11,vvar", "--kernel",
                               help="kernel profiles (comma-separated)"),
    faults: bool = typer.Option(False, "--faults",
                                help="add the vDSO fault cells (under the 6.11 and vvar profiles)"),
    jobs: int = typer.Option(0, "-j", "--jobs", help="cells run at once (default: the CPUs)"),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="PATH", help="write the cells as JSON"),
    junit_out: Optional[str] = typer.Option(None, "--junit", metavar="PATH",
                                            help="write a JUnit XML report (one testcase per cell)"),
    update_goldens: bool = typer.Option(False, "--update-goldens",
                                        help="write this run's records as the goldens"),
    goldens: Optional[str] = typer.Option(None, "--goldens", metavar="DIR",
                                          help="golden directory (default tests/goldens/startup)"),
):
    """glibc start-up under each kernel profile, compared with goldens; exit 0 iff all cells ok."""
    from bench import startup_check
    _announce_compile()
    try:
        status = startup_check.main(glibc, link, kernel, faults, jobs, json_out, junit_out,
                                    update_goldens, goldens)
    except startup_check.UsageError as e:
        fail(str(e), 2)
    raise typer.Exit(status)


def main() -> None:
    """The console script: click's errors about the command line become one line."""
    # click's exception classes, whether typer uses click or its own copy of it
    usage_error = typer.BadParameter.__mro__[1]
    click_exception = usage_error.__mro__[1]
    try:
        status = app(standalone_mode=False)
    except usage_error as e:
        where = e.ctx.command_path if e.ctx is not None else "hppa-user"
        msg = e.format_message().replace("\n", " ")
        typer.echo(f"{where}: {msg} (see {where} --help)", err=True)
        sys.exit(2)
    except click_exception as e:
        typer.echo(f"hppa-user: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except typer.Abort:
        typer.echo("hppa-user: aborted", err=True)
        sys.exit(130)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
