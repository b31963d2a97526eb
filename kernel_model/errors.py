"""Exceptions shared by the kernel model's layers (handlers, signals, the machine)."""


class SyscallError(Exception):
    """Raised by a helper to make the current syscall return ``-errno`` (parisc value)."""

    def __init__(self, errno: int):
        super().__init__(errno)
        self.errno = errno


class ProcessExit(Exception):
    """The process called exit/exit_group with ``status``."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class ProcessKilled(Exception):
    """The process died of signal ``signum`` at ``pc``. ``core``: a core-dumping signal.
    ``reason``: optional text for the emulator's own kills (instruction limit, ...)."""

    def __init__(self, signum: int, pc: int, core: bool = False, reason: str | None = None):
        super().__init__(signum)
        self.signum = signum
        self.pc = pc
        self.core = core
        self.reason = reason
