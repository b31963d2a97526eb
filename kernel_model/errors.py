"""Exceptions shared by the kernel model's layers (handlers, signals, the machine)."""


class SyscallError(Exception):
    """Raised by a helper to make the current syscall return ``-errno`` (parisc value).
    Made by its base's C constructor, without one of its own: failing calls are common
    (a path search's ENOENTs, isatty's ENOTTY), and a Python ``__init__`` calling its
    base's made raising and catching one cost ~0.2 us more (0.59 against 0.38 us)."""

    @property
    def errno(self) -> int:
        return self.args[0]


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


class ThreadExit(Exception):
    """One thread of several called exit(): it is gone, the process goes on."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status
