"""Exceptions shared by the kernel model's helpers."""


class SyscallError(Exception):
    """Raised by a helper to make the current syscall return ``-errno`` (parisc value)."""

    def __init__(self, errno: int):
        super().__init__(errno)
        self.errno = errno
