"""Timekeeping: the guest's clocks, the interval timer %cr16 and the vvar page, in one place.

* **Clock mode.** ``host``: every clock is the host's, cr16 is host CLOCK_MONOTONIC ns
  mod 2^32. ``virtual`` (``--clock virtual``): one nanosecond per guest instruction on every
  clock, from fixed starting points, so runs are reproducible; cr16 is then the low word of
  the virtual monotonic clock (the CPU counts it, see ``Cpu(virtual_clock=...)``).
* **The vvar page** (profile ``vvar``; layout in ``vvar.py``): the vDSO computes fine clocks
  from cr16 and the page's bases, so the page only needs fresh bases for slow drift and the
  coarse clocks. Policy (``tick``, on every core return): republish at once when the kernel
  has returned a coarse clock newer than the page's (``clock_ns`` notes it: a COARSE read
  through the vDSO is then never older than what the kernel returned before it); besides,
  host time -- every ``VVAR_LOOK_NS`` look whether the host's coarse clock has ticked
  and republish if so (bases at most a host tick and a look old: cr16 deltas never wrap;
  one perf_counter_ns per return, none on a syscall's native return: hppa_sysret reads
  the due time itself); virtual time -- republish on every budget return (a fixed
  instruction count).
"""
from __future__ import annotations

import time

from hppa_user import state as S
from kernel_model import abi
from kernel_model import vvar as V

VIRTUAL_MONOTONIC_BASE = 1_000_000_000_000         # 1000 s of uptime at the first instruction
VIRTUAL_REALTIME_BASE = 1_735_689_600_000_000_000  # 2025-01-01T00:00:00Z
TAI_OFFSET_NS = 37_000_000_000

_REALTIME_LIKE = {abi.CLOCK_REALTIME: 0, abi.CLOCK_REALTIME_COARSE: 0, abi.CLOCK_TAI: TAI_OFFSET_NS,
                  abi.CLOCK_REALTIME_ALARM: 0}
_MONOTONIC_LIKE = (abi.CLOCK_MONOTONIC, abi.CLOCK_MONOTONIC_RAW, abi.CLOCK_MONOTONIC_COARSE,
                   abi.CLOCK_BOOTTIME, abi.CLOCK_BOOTTIME_ALARM)
CPU_CLOCKS = (abi.CLOCK_PROCESS_CPUTIME_ID, abi.CLOCK_THREAD_CPUTIME_ID)

# the host clock behind each guest clock id (Linux numbers them the same; Python may lack names)
_H_RAW = getattr(time, "CLOCK_MONOTONIC_RAW", time.CLOCK_MONOTONIC)
_H_BOOT = getattr(time, "CLOCK_BOOTTIME", 7)
HOST_CLOCK = {
    abi.CLOCK_REALTIME: time.CLOCK_REALTIME,
    abi.CLOCK_MONOTONIC: time.CLOCK_MONOTONIC,
    abi.CLOCK_PROCESS_CPUTIME_ID: time.CLOCK_PROCESS_CPUTIME_ID,
    abi.CLOCK_THREAD_CPUTIME_ID: time.CLOCK_PROCESS_CPUTIME_ID,   # one thread
    abi.CLOCK_MONOTONIC_RAW: _H_RAW,
    abi.CLOCK_REALTIME_COARSE: 5,
    abi.CLOCK_MONOTONIC_COARSE: 6,
    abi.CLOCK_BOOTTIME: _H_BOOT,
    abi.CLOCK_REALTIME_ALARM: time.CLOCK_REALTIME,
    abi.CLOCK_BOOTTIME_ALARM: _H_BOOT,
    abi.CLOCK_TAI: getattr(time, "CLOCK_TAI", 11),
}


VVAR_LOOK_NS = 500_000    # ns between looks at the host's coarse clock (host time)

_clock_gettime_ns, _perf_counter_ns = time.clock_gettime_ns, time.perf_counter_ns
_NEVER = (1 << 63) - 1      # a due time that never comes
_COARSE = frozenset(V.COARSE_CLOCKS)
_HOST_COARSE = HOST_CLOCK[abi.CLOCK_MONOTONIC_COARSE]


def virtual_clock_ns(clockid: int, insns: int) -> int | None:
    """A clock's value after ``insns`` instructions, or None for ids it does not model."""
    if clockid in _REALTIME_LIKE:
        return VIRTUAL_REALTIME_BASE + _REALTIME_LIKE[clockid] + insns
    if clockid in _MONOTONIC_LIKE:
        return VIRTUAL_MONOTONIC_BASE + insns
    if clockid in CPU_CLOCKS or clockid < 0:
        return insns
    return None


class HostClocks:
    """Clock bases from the host clocks, anchored on one CLOCK_MONOTONIC reading.

    ``sample()`` returns ``(clocks, cr16)`` for :meth:`vvar.VvarWriter.update`. MONOTONIC's base
    is exactly the monotonic reading ``m`` and ``cr16 = m mod 2^32``, so the vDSO's MONOTONIC
    is exactly host CLOCK_MONOTONIC (the counter ``mfctl %cr16`` reads). The other fine clocks
    are ``m + offset``, with the host's offset of each clock to MONOTONIC re-measured every
    ``refresh_ns`` (default 20 ms; NTP slewing moves it by microseconds per second at most,
    a clock step shows within that time); the offsets of MONOTONIC_RAW and BOOTTIME never
    decrease, so those clocks never go backwards either. The coarse clocks are the host's own
    coarse clocks read at each sample (never ahead of what the syscall path returns).
    """

    FINE = {abi.CLOCK_REALTIME: time.CLOCK_REALTIME, abi.CLOCK_MONOTONIC_RAW: _H_RAW,
            abi.CLOCK_BOOTTIME: _H_BOOT, abi.CLOCK_TAI: HOST_CLOCK[abi.CLOCK_TAI]}
    COARSE = {abi.CLOCK_REALTIME_COARSE: 5, abi.CLOCK_MONOTONIC_COARSE: 6}

    def __init__(self, refresh_ns: int = 20_000_000):
        self.refresh_ns = refresh_ns
        self._off: dict[int, int] = {}
        self._measured_at: int | None = None

    def _measure(self) -> None:
        cg = time.clock_gettime_ns
        mono = time.CLOCK_MONOTONIC
        for cid, host in self.FINE.items():
            a = cg(mono)
            v = cg(host)
            b = cg(mono)
            off = v - ((a + b) >> 1)
            if cid in (abi.CLOCK_MONOTONIC_RAW, abi.CLOCK_BOOTTIME) and cid in self._off:
                off = max(off, self._off[cid])
            self._off[cid] = off

    def sample(self) -> tuple[dict, int]:
        cg = time.clock_gettime_ns
        m = cg(time.CLOCK_MONOTONIC)
        if self._measured_at is None or m - self._measured_at >= self.refresh_ns:
            self._measure()
            self._measured_at = m
        clocks = {abi.CLOCK_MONOTONIC: m}
        for cid, off in self._off.items():
            clocks[cid] = m + off
        for cid, host in self.COARSE.items():
            try:
                clocks[cid] = cg(host)
            except OSError:
                pass
        return clocks, m & 0xFFFFFFFF


def host_resolutions() -> tuple[int, int]:
    """(hres_res, coarse_res) in ns as the host reports them (1 ns and the tick length)."""
    def res(cid, default):
        try:
            r = time.clock_getres(cid)
            return max(1, round(r * V.NSEC_PER_SEC))
        except OSError:
            return default
    return res(time.CLOCK_MONOTONIC, 1), res(HostClocks.COARSE[abi.CLOCK_MONOTONIC_COARSE], 4_000_000)


class Timekeeping:
    """One process's clocks: ``mode`` is ``host`` or ``virtual``; ``ctx`` the CPU context
    (its instruction count is virtual time)."""

    def __init__(self, mode: str, ctx):
        if mode not in ("host", "virtual"):
            raise ValueError(f"unknown clock {mode!r} (choose host or virtual)")
        self.mode = mode
        self.virtual = mode == "virtual"
        self.ctx = ctx
        self.vvar: V.VvarWriter | None = None
        self._host = HostClocks()
        self._published: dict[int, int] = {}   # the page's coarse clocks (id -> ns)
        self._stale = False       # the kernel returned a coarse clock newer than the page's
        self.set_due(_NEVER)

    def set_due(self, ns: int) -> None:
        """The perf_counter_ns() time (CLOCK_MONOTONIC) from which tick() has work: 0 when
        the page must follow now, _NEVER while nothing is due.  Kept in the CPU's context
        (CTL_TICK_DUE), where Kernel.tick and a syscall's native return (hppa_sysret) both
        look at it."""
        self.ctx.ctl[S.CTL_TICK_DUE] = ns

    @property
    def cr16_bias(self) -> int:
        """What the CPU adds to its cr16 source: under virtual time the instruction count
        becomes the low word of the virtual monotonic clock."""
        return VIRTUAL_MONOTONIC_BASE if self.virtual else 0

    # -- reading clocks --------------------------------------------------------------------
    def clock_ns(self, clockid: int, host_clock: int) -> int:
        """Guest clock ``clockid`` (already validated; ``host_clock`` is its host clock). A
        coarse clock newer than the vvar page's makes the page follow on this tick."""
        v = virtual_clock_ns(clockid, self.ctx.insns) if self.virtual else None
        if v is None:
            try:
                v = _clock_gettime_ns(host_clock)
            except OSError:
                v = _clock_gettime_ns(time.CLOCK_MONOTONIC if clockid else time.CLOCK_REALTIME)
        if clockid in _COARSE and v != self._published.get(clockid):
            self._stale = True
            self.set_due(0)
        return v

    def monotonic_ns(self) -> int:
        return self.clock_ns(abi.CLOCK_MONOTONIC, time.CLOCK_MONOTONIC)

    # -- the vvar page ---------------------------------------------------------------------
    def attach_vvar(self, mem, address: int) -> None:
        """Own the vvar page mapped at ``address`` and fill it."""
        self.vvar = V.VvarWriter(mem.mem, address)
        self.vvar.setup(tz=(0, 0), res=host_resolutions(), cpu=0)
        self.refresh()

    def refresh(self) -> None:
        """Publish fresh clock bases (seqlock-protected) for the vDSO's time functions."""
        if self.virtual:
            insns = self.ctx.insns
            ids = tuple(V.HRES_CLOCKS) + tuple(V.COARSE_CLOCKS)
            clocks = {cid: virtual_clock_ns(cid, insns) for cid in ids}
            cr16 = (VIRTUAL_MONOTONIC_BASE + insns) & 0xFFFFFFFF
        else:
            clocks, cr16 = self._host.sample()
        self.vvar.update(clocks, cr16)
        self._published = {cid: clocks[cid] for cid in _COARSE if cid in clocks}
        self._stale = False
        self.set_due(_NEVER if self.virtual else _perf_counter_ns() + VVAR_LOOK_NS)

    def tick(self, budget_return: bool) -> None:
        """The kernel's tick, once ``due`` or on a budget return."""
        if self.vvar is None:
            self.set_due(_NEVER)             # (a coarse read without a page to follow it)
            return
        if self.virtual:
            if budget_return or self._stale:
                self.refresh()
        elif self._stale or _clock_gettime_ns(_HOST_COARSE) != self._published.get(
                abi.CLOCK_MONOTONIC_COARSE):
            self.refresh()
        else:
            self.set_due(_perf_counter_ns() + VVAR_LOOK_NS)
