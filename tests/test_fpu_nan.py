"""PA-RISC NaN rules in the FPU, worked out by hand (tests/cpu_harness.py style).

PA-RISC's NaN convention is the reverse of x86's: a fraction MSB of 1 means *signalling*.
Quieting a signalling NaN (an operand of an arithmetic operation or a conversion) writes 01
into the two top fraction bits -- MSB clear, the next bit set -- and keeps the sign and the
rest of the payload: HP's FP emulation, which Linux runs (arch/parisc/math-emu:
``Dbl_set_quiet``/``Sgl_set_quiet`` = ``Deposit_*high2mantissa(x, 1)``), and qemu-hppa's NaN
silencing agree.  A double->single conversion keeps the top 23 fraction bits; when they are
all zero the single is quieted the same way (fcnvff.c: ``if (Sgl_iszero_mantissa(result))
Sgl_set_quiet(result)``), sign kept -- there qemu-hppa 7.2 returns an infinity, and Linux
wins (tests/test_fp_libm.py checks that line by hand against qemu's too).

Regression for csmith/fp_convert findings: quieting used to clear only the MSB (fff8...01 ->
fff0...01), and an empty single fraction became the positive default NaN.

Runtime: < 1 s.
"""
import pytest

from cpu_harness import CODE, Cpu
from hppa_user import hostarray

M32 = 0xFFFFFFFF
V_FLAG = 1 << 63          # fr0 high word = status; flag V is its bit 31 (from the LSB)


@pytest.fixture(scope="module")
def cpu():
    return Cpu()


def run_fp(cpu, src, **fr):
    hostarray.fill(cpu.fr, 0)
    for name, bits in fr.items():
        cpu.fr[int(name[2:])] = bits - (1 << 64) if bits >> 63 else bits   # int64 bit pattern
    cpu.run(src)
    assert cpu.fault[0] == 5 and cpu.pc == CODE + 4 * (src.count("\n") + 1), "did not reach the break"


def left(cpu, n):
    return (int(cpu.fr[n]) >> 32) & M32


@pytest.mark.parametrize("src,dst", [
    # signalling double (MSB set) with payload 1 and the sign set: top bits 10 -> 01
    (0xFFF8000000000001, 0xFFF4000000000001),
    # bare MSB: quieting gives exactly PA's default NaN
    (0x7FF8000000000000, 0x7FF4000000000000),
    # MSB and next bit both set: the next bit stays set, the MSB goes
    (0x7FFC000000000123, 0x7FF4000000000123),
])
def test_arith_quiets_signalling_nan_double(cpu, src, dst):
    run_fp(cpu, "fadd,dbl %fr4,%fr5,%fr6", fr4=src, fr5=0x3FF0000000000000)
    assert int(cpu.fr[6]) & 0xFFFFFFFFFFFFFFFF == dst
    assert int(cpu.fr[0]) & V_FLAG                 # invalid: a signalling operand


def test_arith_passes_quiet_nan_unchanged(cpu):
    run_fp(cpu, "fmpy,dbl %fr4,%fr5,%fr6", fr4=0x3FF0000000000000, fr5=0xFFF0000000000001)
    assert int(cpu.fr[6]) & 0xFFFFFFFFFFFFFFFF == 0xFFF0000000000001
    assert not int(cpu.fr[0]) & V_FLAG


def test_arith_quiets_signalling_nan_single(cpu):
    # fr4L = 7fc00003 (signalling: fraction MSB bit 22 set) -> 7fa00003
    run_fp(cpu, "fadd,sgl %fr4L,%fr5L,%fr6L", fr4=0x7FC00003 << 32, fr5=0x3F800000 << 32)
    assert left(cpu, 6) == 0x7FA00003
    assert int(cpu.fr[0]) & V_FLAG


@pytest.mark.parametrize("src,dst,invalid", [
    # signalling, sign set: quiet -> fff4000000000001; top 23 fraction bits 0x200000 -> ffa00000
    (0xFFF8000000000001, 0xFFA00000, True),
    # quiet, payload in the kept bits: fraction 0x123 << 32, >> 29 = 0x918
    (0x7FF0012300000000, 0x7F800918, False),
    # quiet, payload only in the 29 dropped bits: the empty single is quieted, sign kept
    (0x7FF0000000000001, 0x7FA00000, False),
    (0xFFF000001FFFFFFF, 0xFFA00000, False),
])
def test_fcnvff_double_to_single_nan(cpu, src, dst, invalid):
    run_fp(cpu, "fcnvff,dbl,sgl %fr4,%fr5L", fr4=src)
    assert left(cpu, 5) == dst
    assert bool(int(cpu.fr[0]) & V_FLAG) == invalid


@pytest.mark.parametrize("src,dst,invalid", [
    # signalling ffc00001: fraction 0x400001 -> 0x200001, << 29 -> 0x4000020000000
    (0xFFC00001, 0xFFF4000020000000, True),
    # quiet 7f800918 widens exactly
    (0x7F800918, 0x7FF0012300000000, False),
])
def test_fcnvff_single_to_double_nan(cpu, src, dst, invalid):
    run_fp(cpu, "fcnvff,sgl,dbl %fr4L,%fr5", fr4=src << 32)
    assert int(cpu.fr[5]) & 0xFFFFFFFFFFFFFFFF == dst
    assert bool(int(cpu.fr[0]) & V_FLAG) == invalid
