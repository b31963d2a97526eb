"""csmith differential campaign (CI size): random C programs under hppa-user versus qemu-hppa.

A fixed seed list (reproducible) of csmith programs (scripts/difftest.py: CSMITH_ARGS keep
them small) is built at -O0, -O1, -O2 and -Os; each binary runs under qemu-hppa and under
hppa-user, and checksum output plus exit status must agree.  Seeds qemu-hppa cannot finish
within QEMU_TIMEOUT (csmith writes some very long loops) are skipped, not counted.

The guests run in-process (forked from this Python process, Numba core loaded once), so a
program costs its build (~0.2 s) plus ~20-50 ms of emulation.  About 300 programs are
counted; runtime ~1.5-3 min on two cores.  Disagreeing programs are saved under
difftest-failures/ (source, binary, both outputs, info.json) for minimisation; the
campaign summary (programs per optimisation level) is printed.

`make difftest N=...` runs a bigger campaign with the same machinery.
"""
from __future__ import annotations

import shutil

from conftest import REPO_ROOT
from inproc import difftest

SEEDS = range(1, 86)          # ~ 85 seeds x 4 levels; ~11 % are skipped as too slow for qemu
MIN_COUNTED = 250


def test_csmith_campaign():
    assert shutil.which("csmith"), "csmith is not installed (make toolchain installs it)"
    dt = difftest()
    save = REPO_ROOT / "difftest-failures"
    outcomes = dt.campaign(SEEDS, dt.OPTS, save=save)
    report = dt.summary(outcomes, dt.OPTS)
    print("\ncsmith campaign, seeds %d-%d:\n%s" % (SEEDS[0], SEEDS[-1], report))
    diffs = [o for o in outcomes if o.verdict == "DIFF"]
    assert not diffs, f"{len(diffs)} disagreement(s) with qemu-hppa, saved under {save}:\n{report}"
    counted = sum(o.counted for o in outcomes)
    assert counted >= MIN_COUNTED, f"only {counted} programs ran to completion under qemu-hppa:\n{report}"
