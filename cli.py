"""hppa-user's console script.

``run`` is read by cli_run without importing typer (the start-up every guest pays); anything
it leaves, and every other command, goes to the typer app in cli_app.

The start-up rule: a static program's run imports only the standard modules it cannot do
without.  Among those it leaves out (tests/test_objcode.py, NOT_AT_START, checks the list)
are re (with enum and functools), json, pickle, signal, threading, contextlib and importlib:
~9 ms of a 36 ms hello; and collections, array and operator, ~2 ms more (records.py makes
named tuples without collections).  The run path uses their C halves instead (``_signal``,
``_thread``, ``_functools``, ``_collections``, ``_operator``), marshal, and plain string
matching; where it does, a comment points here.
"""
from __future__ import annotations

import gc
import sys

# Start-up creates ~30 000 objects that live as long as the process (modules, classes,
# the syscall and encoding tables): collecting while they are made only walks them again
# and again (~5 ms).  ``run`` collects from when the guest starts, the other commands
# from when they start (cli_app._main).
gc.disable()


def main() -> None:
    """The console script.  A run imports its modules from cli_bundle's file when it can."""
    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        import cli_bundle
        bundle = cli_bundle.install()
        import cli_run
        cli_run.BUNDLE = bundle
        opts = cli_run.parse_run(argv[1:])
        if opts is not None:
            cli_run.run_program(**opts)          # never returns
    import cli_app
    cli_app.main()


if __name__ == "__main__":
    main()
