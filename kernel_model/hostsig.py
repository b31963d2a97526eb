"""Host signals to the emulator become guest signals (Ctrl-C, kill, window changes).

``install(kernel)`` routes SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH
sent to the emulator process to the guest (translated to parisc numbers), where they are
delivered at the next tick like any other signal: a guest without a handler dies of it
(Ctrl-C -> status 130). A guest that catches or blocks SIGINT cannot make the emulator
unkillable: the third Ctrl-C that finds the previous one still undelivered ends the process
with SIGINT. A blocked guest wakes at once (wakeup.py). Returns a function restoring the
previous host handlers.
"""
from __future__ import annotations

import _signal as signal    # (start-up rule: cli.py)

from kernel_model import abi, wakeup
from kernel_model.errors import ProcessKilled
from kernel_model.signals import SigInfo

FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")


def install(kernel):
    old = {}

    def handler(hsig, frame):
        gsig = abi.HOST_TO_GUEST_SIGNAL.get(hsig)
        if gsig is None:
            return
        s = kernel.signals
        if gsig == abi.SIGINT:
            if s.pending_mask & (1 << (abi.SIGINT - 1)) or s.is_ignored(abi.SIGINT):
                s.host_sigint_count += 1
            else:
                s.host_sigint_count = 0
            if s.host_sigint_count >= 2:
                raise ProcessKilled(abi.SIGINT, kernel.ctx.pc, False,
                                    reason="interrupted (repeated Ctrl-C)")
        s.send(gsig, SigInfo(gsig, abi.SI_USER, [(12, 0, 4), (16, 0, 4)]))

    for name in FORWARDED:
        hs = getattr(signal, name, None)
        if hs is None:
            continue
        try:
            old[hs] = signal.signal(hs, handler)
        except (ValueError, OSError):     # not the main thread, or not allowed
            pass

    wakeup.install()

    def restore():
        wakeup.close()
        for hs, h in old.items():
            try:
                signal.signal(hs, h)
            except (ValueError, OSError, TypeError):
                pass
    return restore
