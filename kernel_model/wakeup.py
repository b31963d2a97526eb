"""The emulator's wake-up pipe: a blocked guest wakes as soon as a host signal arrives.

Host signals reach the emulator as Python signal handlers (Ctrl-C, a child's SIGCHLD, the
doorbell of a signal posted by another guest process); they run only between bytecodes, and
a sleeping host call is simply resumed after them. So every blocking wait of the kernel
model also watches this pipe, which the host signal handler writes a byte into
(``signal.set_wakeup_fd``): the wait returns, the loop around it sees what the handler did.
"""
from __future__ import annotations

import os
import select
import _signal as signal    # (start-up rule: cli.py)
import time

_fds: tuple[int, int] | None = None
_watched: dict = {}


def install() -> None:
    """Create the pipe (again, in a forked child: the parent's is not ours) and hand its
    write end to the host signal machinery. Only the main thread may do this."""
    global _fds
    close()
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except ValueError:                   # not the main thread: waits poll instead
        os.close(r)
        os.close(w)
        return
    _fds = (r, w)


def close() -> None:
    global _fds
    if _fds is None:
        return
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:
        pass
    for fd in _fds:
        try:
            os.close(fd)
        except OSError:
            pass
    _fds = None


def watch(fd: int, on_ready) -> None:
    """Also watch ``fd`` in every wait: when it becomes readable, ``on_ready()`` runs (and
    may raise to end the wait: the end of the run's first process, for the others)."""
    _watched[fd] = on_ready


def fds() -> list[int]:
    """The fds every blocking wait adds to its read set."""
    out = [_fds[0]] if _fds is not None else []
    return out + list(_watched)


def handle(ready) -> tuple[list, bool]:
    """Deal with the wake-up fds among ``ready`` (drain, run watchers); return the rest and
    whether a host signal came."""
    woke = _fds is not None and _fds[0] in ready
    if woke:
        drain()
    for fd in ready:
        if fd in _watched:
            _watched[fd]()
    return [x for x in ready if x not in _watched and (_fds is None or x != _fds[0])], woke


def drain() -> None:
    if _fds is None:
        return
    try:
        while os.read(_fds[0], 512):
            pass
    except OSError:
        pass


def wait(rfds=(), wfds=(), timeout: float | None = None):
    """select() on ``rfds``/``wfds`` plus the wake-up fds; returns the ready (r, w) lists of
    the caller's fds and whether a host signal ended the wait."""
    extra = fds()
    if not extra and not rfds and not wfds:
        time.sleep(max(timeout, 0.0) if timeout is not None else 0.05)
        return [], [], False
    try:
        r, w, _ = select.select(list(rfds) + extra, list(wfds), [],
                                None if timeout is None else max(timeout, 0.0))
    except (OSError, ValueError):
        return [], [], False
    r, woke = handle(r)
    return r, w, woke
