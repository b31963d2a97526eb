"""Guest time sources: the host's clocks, or (``--clock virtual``) the instruction count.

Virtual time makes runs reproducible: one nanosecond per guest instruction, on every clock,
from fixed starting points. cr16 (the interval timer the core reads) follows the virtual
monotonic clock too, so the vDSO and the syscalls agree.
"""
from __future__ import annotations

VIRTUAL_MONOTONIC_BASE = 1_000_000_000_000         # 1000 s of uptime at the first instruction
VIRTUAL_REALTIME_BASE = 1_735_689_600_000_000_000  # 2025-01-01T00:00:00Z
TAI_OFFSET_NS = 37_000_000_000

_REALTIME_LIKE = {0: 0, 5: 0, 11: TAI_OFFSET_NS}   # REALTIME, REALTIME_COARSE, TAI
_MONOTONIC_LIKE = (1, 4, 6, 7)                     # MONOTONIC, _RAW, _COARSE, BOOTTIME
_CPUTIME = (2, 3)                                  # PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID


def virtual_clock_ns(clockid: int, insns: int) -> int | None:
    """A clock's value after ``insns`` instructions, or None for ids it does not model."""
    if clockid in _REALTIME_LIKE:
        return VIRTUAL_REALTIME_BASE + _REALTIME_LIKE[clockid] + insns
    if clockid in _MONOTONIC_LIKE:
        return VIRTUAL_MONOTONIC_BASE + insns
    if clockid in _CPUTIME or clockid < 0:
        return insns
    return None


def virtual_clocks(insns: int, ids) -> dict[int, int]:
    return {cid: virtual_clock_ns(cid, insns) for cid in ids}
