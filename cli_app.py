"""hppa-user's typer app: every command's help and click's reading of the command line.

``run`` normally never gets here: cli.main has cli_run read its command line without typer.
It comes here for ``--help`` and for what that reader leaves to click (an unknown option, a
missing or odd value), declared from the same table (cli_run.RUN_OPTIONS).
"""
from __future__ import annotations

import gc
import os
import sys
from typing import List, Optional

import typer
import typer.core

from cli_run import (OPTIONAL_VALUE, RUN_OPTIONS, announce_compile, check_fault, check_profile,
                     fail, run_program)

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="PA-RISC (hppa) Linux user-mode emulator focused on the syscall path and the vDSO.")

@app.callback()
def _main(ctx: typer.Context) -> None:
    """hppa-user: run, measure and trace hppa Linux binaries."""
    if ctx.invoked_subcommand != "run":
        gc.enable()


class _RunCommand(typer.core.TyperCommand):
    """``run`` with GNU-style optional option values: a bare ``--trace`` (before the program)
    means ``--trace=-`` (standard error); ``--trace=FILE`` writes FILE.  ``--trace FILE`` is
    not accepted as a file name -- FILE would be taken for the program, as with ``ls
    --color WHEN``."""

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
            if a in OPTIONAL_VALUE:
                out.append(f"{a}={OPTIONAL_VALUE[a]}")
            elif a in takes_value and i + 1 < len(args):
                out.extend(args[i:i + 2])
                i += 1
            else:
                out.append(a)
            i += 1
        return super().parse_args(ctx, out)


_RUN = {row[0]: row for row in RUN_OPTIONS}


def _run_option(name: str):
    """typer's declaration of run's option ``name``, from cli_run.RUN_OPTIONS."""
    _name, flags, kind, default, metavar, text = _RUN[name]
    decls = ("/".join(flags),) if kind == "switch" else flags
    return typer.Option(default, *decls, metavar=metavar, help=text)


@app.command(cls=_RunCommand,
             context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def run(
    program: str = typer.Argument(..., help="hppa Linux executable (static or dynamic)"),
    args: Optional[List[str]] = typer.Argument(None, help="guest arguments"),
    kernel: str = _run_option("kernel"),
    root: Optional[str] = _run_option("root"),
    strace: bool = _run_option("strace"),
    stats: bool = _run_option("stats"),
    stats_json: Optional[str] = _run_option("stats_json"),
    max_insns: int = _run_option("max_insns"),
    clock: str = _run_option("clock"),
    setenv: Optional[List[str]] = _run_option("setenv"),
    unsetenv: Optional[List[str]] = _run_option("unsetenv"),
    jit: bool = _run_option("jit"),
    jit_threshold: Optional[int] = _run_option("jit_threshold"),
    trace: Optional[str] = _run_option("trace"),
    trace_from: Optional[str] = _run_option("trace_from"),
    gdb_port: Optional[int] = _run_option("gdb_port"),
    vdso_fault: Optional[str] = _run_option("vdso_fault"),
):
    """Run an hppa Linux binary (static or dynamic), like qemu-hppa."""
    run_program(**locals())


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


@vdso_app.command("info")
def vdso_info(kernel: str = typer.Option("vvar", "--kernel", help="kernel profile")):
    """Program headers, dynamic entries, symbols with versions, and the vvar layout."""
    check_profile(kernel)
    from kernel_model import vdso
    typer.echo(vdso.describe(kernel))


@vdso_app.command("dump")
def vdso_dump(kernel: str = typer.Option("vvar", "--kernel", help="kernel profile"),
              output: str = typer.Option(..., "-o", help="file to write the image to"),
              fault: Optional[str] = typer.Option(None, "--fault", metavar="NAME",
                                                  help="the image as --vdso-fault NAME maps it")):
    """Write a profile's vDSO image to a file (for readelf/objdump)."""
    check_profile(kernel)
    from kernel_model import vdso
    if kernel == "none":
        fail("profile 'none' has no vDSO (Linux <= 5.17)", 1)
    if fault is not None:
        check_fault(fault, kernel)
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
    call, syscalls and vDSO calls per call (bench/report.py).  For scale, three syscalls no
    vDSO serves: getpid, a 1-byte read and a 1-byte write."""
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
    announce_compile()
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

