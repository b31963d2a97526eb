"""Run a few assembled PA-RISC instructions on the native core and look at the registers.

The snippet is assembled with the real cross assembler (hppa-linux-gnu-as), placed at
CODE, followed by ``break 0,0`` so the core stops with SIGTRAP when the snippet ends.
"""
from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np

from hppa_user import state as S
from hppa_user.core import Core
from hppa_user.memory import PERM_R, PERM_W, PERM_X, GuestMemory

CODE = 0x10000
DATA = 0x20000
AS = "hppa-linux-gnu-as"
OBJCOPY = "hppa-linux-gnu-objcopy"
_cache: dict[str, list[int]] = {}


def assemble(src: str) -> list[int]:
    """Instruction words of ``src`` (assembled at address 0, no relocations)."""
    if src in _cache:
        return _cache[src]
    with tempfile.TemporaryDirectory() as d:
        s, o, b = (os.path.join(d, n) for n in ("t.s", "t.o", "t.bin"))
        with open(s, "w") as fh:
            fh.write("\t.text\n" + src + "\n\tbreak 0,0\n\tnop\n")
        subprocess.run([AS, "-o", o, s], check=True, capture_output=True)
        subprocess.run([OBJCOPY, "-O", "binary", "-j", ".text", o, b], check=True, capture_output=True)
        data = open(b, "rb").read()
    words = [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data), 4)]
    _cache[src] = words
    return words


class Cpu:
    def __init__(self):
        self.mem = GuestMemory()
        self.mem.map(CODE, 0x1000, PERM_R | PERM_X)
        self.mem.map(DATA, 0x2000, PERM_R | PERM_W)
        self.regs = np.zeros(S.REGS_SIZE, np.int64)
        self.gr = self.regs[S.REGS_GR]
        self.fr = self.regs[S.REGS_FR]
        self.sr = self.regs[S.REGS_SR]
        self.cr = self.regs[S.REGS_CR]
        self.ctl = self.regs[S.REGS_CTL:]
        self.ctl[S.CTL_NSLOTS] = 16
        self.dc = np.zeros(16 * S.SLOT_WORDS * S.DC_FIELDS, np.int32)
        self.hooks = np.zeros((0, 3), np.int64)
        self.native = np.zeros(16 * S.SLOT_WORDS, np.int64)   # threshold 0: never compiled
        self.core = Core(self.regs, self.mem, self.dc, self.native, self.hooks)

    def run(self, src: str, budget: int = 10_000, **regs) -> int:
        words = assemble(src)
        used = self.mem.page_slot >= 0                # forget all decoded code
        self.mem.page_slot[used] = -1
        self.mem.perm[used] &= ~np.uint8(8)
        self.ctl[S.CTL_NEXT_SLOT] = 0
        self.mem.poke(CODE, b"".join(w.to_bytes(4, "big") for w in words))
        for name, value in regs.items():
            if name == "sar":
                self.cr[11] = value
            elif name == "cb":
                self.ctl[S.CTL_CB] = value
            else:
                self.gr[int(name[1:])] = value & 0xFFFFFFFF
        self.ctl[S.CTL_IAOQF] = CODE
        self.ctl[S.CTL_IAOQB] = CODE + 4
        self.ctl[S.CTL_PSWN] = 0
        return self.core.run(budget)

    def r(self, n: int) -> int:
        return int(self.gr[n])

    @property
    def fault(self) -> tuple[int, int, int]:
        return (int(self.ctl[S.CTL_FAULT_SIG]), int(self.ctl[S.CTL_FAULT_CODE]), int(self.ctl[S.CTL_FAULT_ADDR]))

    @property
    def pc(self) -> int:
        return int(self.ctl[S.CTL_IAOQF])

    @property
    def carry(self) -> int:
        return (int(self.ctl[S.CTL_CB]) >> 32) & 1
