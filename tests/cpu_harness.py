"""Run a few assembled PA-RISC instructions on the jitted core and look at the registers.

The snippet is assembled with the real cross assembler (hppa-linux-gnu-as), placed at
CODE, followed by ``break 0,0`` so the core stops (the kernel would send SIGTRAP) when the
snippet ends. Faults are reported as the kernel model's traps.py turns the CPU's
interruption into a signal.
"""
from __future__ import annotations

import os
import subprocess
import tempfile

from hppa_user import state as S
from hppa_user.cpu import Cpu as RealCpu
from hppa_user.memory import PERM_R, PERM_W, PERM_X
from kernel_model import abi, traps

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
    """A real :class:`hppa_user.cpu.Cpu` (interpreter only) with CODE and DATA mapped."""

    def __init__(self):
        self.cpu = RealCpu()
        self.mem, self.ctx = self.cpu.mem, self.cpu.ctx
        self.mem.map(CODE, 0x1000, PERM_R | PERM_X)
        self.mem.map(DATA, 0x2000, PERM_R | PERM_W)
        self.gr, self.fr, self.cr, self.ctl = self.ctx.gr, self.ctx.fr, self.ctx.cr, self.ctx.ctl
        self.ctx.set_gateway_errnos(abi.EFAULT, abi.ENOSYS)

    def run(self, src: str, budget: int = 10_000, **regs) -> int:
        words = assemble(src)
        self.cpu.flush_decode_cache()
        self.mem.poke(CODE, b"".join(w.to_bytes(4, "big") for w in words))
        for name, value in regs.items():
            if name == "sar":
                self.ctx.sar = value
            elif name == "cb":
                self.ctl[S.CTL_CB] = value
            else:
                self.gr[int(name[1:])] = value & 0xFFFFFFFF
        self.ctx.jump(CODE)
        return self.cpu.run(budget)

    def r(self, n: int) -> int:
        return int(self.gr[n])

    @property
    def fault(self) -> tuple[int, int, int]:
        """(signal, si_code, si_addr) the kernel makes of the CPU's last interruption."""
        return traps.signal_for(self.mem, *self.ctx.trap)

    @property
    def pc(self) -> int:
        return self.ctx.pc

    @property
    def carry(self) -> int:
        return (int(self.ctl[S.CTL_CB]) >> 32) & 1
