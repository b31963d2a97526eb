"""hppa-user's gdb extension: backtraces through parisc signal frames (``hppa-user gdb``).

gdb-multiarch 13 cannot unwind through a signal handler's return trampoline when that
trampoline lives in the vDSO (Linux >= 5.18, and every hppa-user profile but ``none``):

* ``hppa-tdep.c`` appends no DWARF CFI unwinder for hppa, so the vDSO's ``.eh_frame`` (which
  describes the signal frame exactly) is never consulted;
* ``hppa-linux-tdep.c``'s signal-frame sniffer recognises the trampoline's four instructions,
  but then looks for the ``rt_sigframe`` next to the *trampoline* (its address rounded down
  to 64 bytes, else the trampoline address itself): it assumes the pre-5.18 trampoline
  written into the frame on the stack, and with the vDSO reads the "saved registers" from
  the vDSO's own text: the frame after ``<signal handler called>`` is garbage.

The unwinder below claims exactly those frames: a vDSO trampoline is recognised by its
four instructions preceded by the vDSO's ``.word SIGFRAME_CONTEXT_REGS32; nop`` (the offset
from the handler's stack pointer to ``uc_mcontext``, published by the kernel "for gdb"), and
the interrupted frame's registers come from that ``struct sigcontext``: r1-r31, the PSW,
SAR, the instruction address queue and space queue, the FP registers. Trampolines on the
stack (profile ``none``, Linux <= 5.17) are left to gdb's own sniffer, which handles them.

Python unwinders are always "normal" frames to gdb, so a frame filter restores what gdb
prints for a signal frame (``<signal handler called>``) and looks the interrupted frame's
function and line up at its exact pc (gdb would use pc - 1 below a normal frame, which is
the previous function when the signal arrived at a function's first instruction).
"""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import gdb
from gdb.FrameDecorator import FrameDecorator
from gdb.unwinder import Unwinder, register_unwinder

# The frame layout and trampoline words come from kernel_model.abi, handed over by
# `hppa-user gdb` (gdb's own Python has no numpy to import the project with).
if "HPPA_USER_GDB_ABI" not in os.environ:
    raise gdb.GdbError("hppa-user's gdb extension: start gdb with `hppa-user gdb`")
abi = SimpleNamespace(**json.loads(os.environ["HPPA_USER_GDB_ABI"]))

TRAMPOLINE_TAIL = (abi.INSN_LDI_R20, abi.INSN_BLE_SR2_R0, abi.INSN_NOP)
TRAMPOLINE_HEADS = (abi.INSN_LDI_R25_0, abi.INSN_LDI_R25_1)
IN_SYSCALL_ENTRY = 16          # __kernel_sigtramp_rt + 16: the in-syscall copy (ldi 1,%r25)
# gdb's 32-bit hppa register numbers (hppa-tdep.h)
REG_FLAGS, REG_SAR, REG_PCOQH, REG_PCSQH, REG_PCOQT, REG_PCSQT, REG_IPSW = 0, 32, 33, 34, 35, 36, 41
REG_FR0 = 64
REG_PRESERVED = list(range(37, 41)) + list(range(42, 64))   # control and space registers


def _u32(addr: int) -> int:
    return int.from_bytes(bytes(gdb.selected_inferior().read_memory(addr, 4)), "big")


def vdso_trampoline(pc: int, sp: int):
    """(trampoline start, sigcontext address) when ``pc`` is a vDSO signal trampoline
    reached from a handler whose stack pointer was ``sp``; None otherwise."""
    try:
        head = _u32(pc)
        if head not in TRAMPOLINE_HEADS or \
                tuple(_u32(pc + 4 * i) for i in (1, 2, 3)) != TRAMPOLINE_TAIL:
            return None
        start = pc - IN_SYSCALL_ENTRY if head == abi.INSN_LDI_R25_1 else pc
        if _u32(start) != abi.INSN_LDI_R25_0 or _u32(start - 4) != abi.INSN_NOP:
            return None                          # on the stack: gdb's own sniffer's case
        offset = _u32(start - 8)
    except gdb.MemoryError:
        return None
    offset -= (offset & 0x80000000) << 1
    if not -4096 < offset < 0 or offset % 4:
        return None
    if sp - abi.RT_SIGFRAME_SIZE <= pc < sp:
        return None                              # a trampoline inside the frame itself
    return start, (sp + offset) & 0xFFFFFFFF


def _frame_regs(frame):
    pc = int(frame.read_register("pc")) & 0xFFFFFFFF
    sp = int(frame.read_register("sp")) & 0xFFFFFFFF
    return pc, sp


class FrameId:
    def __init__(self, sp: int, pc: int):
        self.sp, self.pc = gdb.Value(sp), gdb.Value(pc)


class SignalFrameUnwinder(Unwinder):
    """The vDSO signal trampoline's frame: its caller is the interrupted context."""

    def __init__(self):
        super().__init__("hppa-user-sigframe")
        self.types: dict[int, gdb.Type] = {}

    def __call__(self, pending_frame):
        try:
            return self._unwind(pending_frame)
        except (gdb.error, gdb.MemoryError):    # registers or memory unavailable: not ours
            return None

    def _unwind(self, pending_frame):
        pc, sp = _frame_regs(pending_frame)
        found = vdso_trampoline(pc, sp)
        if found is None:
            return None
        start, sc = found
        info = pending_frame.create_unwind_info(FrameId(sp, start))
        saved = {REG_FLAGS: sc + abi.SC_GR, REG_IPSW: sc + abi.SC_GR,
                 REG_SAR: sc + abi.SC_SAR,
                 REG_PCOQH: sc + abi.SC_IAOQ, REG_PCOQT: sc + abi.SC_IAOQ + 4,
                 REG_PCSQH: sc + abi.SC_IASQ, REG_PCSQT: sc + abi.SC_IASQ + 4}
        saved.update({n: sc + abi.SC_GR + 4 * n for n in range(1, 32)})
        saved.update({REG_FR0 + i: sc + abi.SC_FR + 4 * i for i in range(64)})
        inferior = gdb.selected_inferior()
        for n, addr in saved.items():
            raw = bytes(inferior.read_memory(addr, 4))
            info.add_saved_register(n, gdb.Value(raw, self._type(pending_frame, n)))
        for n in REG_PRESERVED:                  # what a signal does not change
            info.add_saved_register(n, pending_frame.read_register(n))
        return info

    def _type(self, frame, n: int):
        t = self.types.get(n)
        if t is None:
            t = self.types[n] = frame.read_register(n).type
        return t


class SignalHandlerCalled(FrameDecorator):
    """Prints the trampoline frame as gdb prints a signal frame."""

    def function(self):
        return "<signal handler called>"

    def frame_args(self):
        return None

    def filename(self):
        return None

    def line(self):
        return None


class Interrupted(FrameDecorator):
    """The frame a signal interrupted: its pc is the instruction to resume, not a return
    address, so its function and line are those of the pc itself."""

    def function(self):
        pc = self.inferior_frame().pc()
        block = gdb.block_for_pc(pc)
        while block is not None and block.function is None:
            block = block.superblock
        if block is not None:
            return str(block.function)
        return pc                                # gdb finds the minimal symbol

    def address(self):
        """None (not printed) at the start of a line, as gdb prints such frames."""
        pc = self.inferior_frame().pc()
        sal = gdb.find_pc_line(pc)
        return None if sal.symtab and sal.pc == pc else pc

    def line(self):
        sal = gdb.find_pc_line(self.inferior_frame().pc())
        return sal.line if sal.symtab else None

    def filename(self):
        sal = gdb.find_pc_line(self.inferior_frame().pc())
        if sal.symtab:
            return sal.symtab.filename
        return super().filename()


def _is_signal_frame(frame) -> bool:
    try:
        pc, sp = _frame_regs(frame)
        return vdso_trampoline(pc, sp) is not None
    except gdb.error:
        return False


class SignalFrameFilter:
    name = "hppa-user-sigframes"
    priority = 100
    enabled = True

    def filter(self, frames):
        for d in frames:
            frame = d.inferior_frame()
            if _is_signal_frame(frame):
                yield SignalHandlerCalled(d)
                continue
            newer = frame.newer()
            if newer is not None and _is_signal_frame(newer):
                yield Interrupted(d)
            else:
                yield d


register_unwinder(None, SignalFrameUnwinder(), replace=True)
gdb.frame_filters[SignalFrameFilter.name] = SignalFrameFilter()
