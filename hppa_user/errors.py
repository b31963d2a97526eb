"""Exceptions the CPU package raises to its users (the kernel model, the CLI)."""
from __future__ import annotations


class GuestFault(Exception):
    """A guest address the access may not touch (the kernel turns it into EFAULT or SIGSEGV)."""

    def __init__(self, addr: int, mapped: bool):
        super().__init__(f"guest fault at {addr:#010x}")
        self.addr = addr
        self.mapped = mapped


class LoaderError(Exception):
    """A program that cannot be executed; the message is the whole story.

    ``status`` is the exit status the command line reports (126: found but cannot be
    executed, as a shell says it)."""

    status = 126


class InterpreterNotFound(LoaderError):
    """The program's PT_INTERP names a file that does not exist (a shell's "not found")."""

    status = 127


class TraceError(Exception):
    """A --trace-from that names no address or symbol of the program."""
