"""Run emulator work in forked children of a process that has loaded the CPU core once.

A child costs the guest's run, not an emulator start-up (importing Numba and loading the
compiled core take about a second), and whatever the guest does to its process (signal
dispositions, standard file descriptors, memory) stays in the child. A hang is killed.

* :class:`Child` -- ``fn(*args)`` in a child; poll it, collect its (picklable) result;
* :func:`call` -- the same, waiting for it;
* :class:`captured_stdio` -- fds 0-2 on /dev/null and two temporary files meanwhile.
"""
from __future__ import annotations

import os
import pickle
import signal
import sys
import tempfile
import time
import traceback


class Child:
    """``fn(*args, **kwargs)`` running in a forked child. ``poll()`` until it returns True;
    then ``result`` holds the return value, or ``error`` says why there is none (an
    exception in the child, its death, or ``kill()``)."""

    def __init__(self, fn, *args, **kwargs):
        rfd, wfd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.started = time.monotonic()
        self.pid = os.fork()
        if self.pid == 0:                                  # the child
            code = 0
            try:
                os.close(rfd)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                try:
                    payload = (True, fn(*args, **kwargs))
                except BaseException as e:                 # reported to the parent, not raised
                    payload = (False, f"{e.__class__.__name__}: {e}\n{traceback.format_exc()}")
                    code = 1
                with os.fdopen(wfd, "wb") as fh:
                    fh.write(pickle.dumps(payload))
            finally:
                os._exit(code)
        os.close(wfd)
        os.set_blocking(rfd, False)
        self._fd = rfd
        self._chunks: list[bytes] = []
        self.result = None
        self.error: str | None = None
        self.seconds = 0.0
        self.done = False

    def _drain(self) -> None:
        while True:
            try:
                b = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                return
            if not b:
                return
            self._chunks.append(b)

    def poll(self) -> bool:
        """True once the child has ended (and its result is collected)."""
        if self.done:
            return True
        self._drain()
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if not pid:
            return False
        os.set_blocking(self._fd, True)
        self._drain()
        self._finish(f"the child process ended with wait status {status:#x}")
        return True

    def kill(self, why: str = "killed") -> None:
        if self.done:
            return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self._chunks = []
        self._finish(why)

    def _finish(self, why: str) -> None:
        os.close(self._fd)
        self.done = True
        self.seconds = time.monotonic() - self.started
        data = b"".join(self._chunks)
        if not data:
            self.error = why
            return
        ok, value = pickle.loads(data)
        if ok:
            self.result = value
        else:
            self.error = value


def call(fn, *args, timeout: float = 600.0, **kwargs):
    """``fn(*args, **kwargs)`` in a child; its result, or RuntimeError/TimeoutError."""
    child = Child(fn, *args, **kwargs)
    deadline = time.monotonic() + timeout
    while not child.poll():
        if time.monotonic() > deadline:
            child.kill()
            raise TimeoutError(f"still running after {timeout:g} s")
        time.sleep(0.005)
    if child.error is not None:
        raise RuntimeError(child.error)
    return child.result


class captured_stdio:
    """fds 0-2 of this process on /dev/null and two temporary files while in the block;
    ``.stdout``/``.stderr`` (bytes) afterwards."""

    def __enter__(self):
        sys.stdout.flush()
        sys.stderr.flush()
        self._saved = [os.dup(fd) for fd in (0, 1, 2)]
        self._files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(self._files[0].fileno(), 1)
        os.dup2(self._files[1].fileno(), 2)
        self.stdout = self.stderr = b""
        return self

    def __exit__(self, *exc):
        for fd, saved in zip((0, 1, 2), self._saved):
            os.dup2(saved, fd)
            os.close(saved)
        out = []
        for f in self._files:
            f.seek(0)
            out.append(f.read())
            f.close()
        self.stdout, self.stderr = out
        return False
