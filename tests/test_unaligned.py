"""Unaligned user loads and stores against Linux's rules (arch/parisc/kernel/unaligned.c).

tests/guest/unaligned.c fills buf with 0x10, 0x11, ... and runs one instruction per case.
The expected lines are worked out by hand from the kernel's handler:
  * by default the access is emulated: the big-endian value at the unaligned address, the
    base register modified as the instruction says (ldw,mb 5: b += 5; stw,ma 6: the store
    at b, then b += 6); indexed ,s scales the index (buf+1 + 2*4);
  * the emulation reads (and for stores of 4 or 8 bytes writes back) the aligned words
    holding the bytes: a word in an unmapped page, or a store into a read-only page, is
    -EFAULT, i.e. SIGSEGV with SEGV_MAPERR (1) at the unaligned address;
  * ldcw is never emulated ("undefined, but lets kill them"): SIGBUS, BUS_ADRALN (1);
  * after prctl(PR_SET_UNALIGN, PR_UNALIGN_SIGBUS) every unaligned access is SIGBUS,
    BUS_ADRALN at the address, and PR_GET_UNALIGN says 2; PR_UNALIGN_NOPRINT (1) emulates
    again (Linux only stops logging).  A new process starts with 0.
qemu-hppa 7.2 differs (PR_GET_UNALIGN starts at 1, a store into a read-only page is not
refused the same way), so the reference here is Linux, by hand.
"""
from __future__ import annotations

EMULATED = """\
ldw 2(buf) = 12131415
ldh 1(buf) = 1112
ldw,mb 5(b) = 15161718, b = buf+5
ldwx,s 2(buf+1) = 191a1b1c
fldd 4(buf) = 1415161718191a1b
"""
STORES = """\
stw 1(buf): 10 a1 b2 c3 d4 15 16 17 18 19 1a 1b
sth 3(buf): 10 11 12 e5 f6 15 16 17 18 19 1a 1b
fstd 2(buf): 10 11 01 02 03 04 05 06 07 08 1a 1b
stw,ma 6(buf+3): b = buf+9
  memory: 10 11 12 99 88 77 66 17 18 19 1a 1b
"""
FAULTS = """\
  signal 11 si_code 1 si_addr -2
  signal 11 si_code 1 si_addr +9
  signal 10 si_code 1 si_addr +6
"""
SIGBUS = "".join(f"  signal 10 si_code 1 si_addr +{a}\n" for a in (2, 1, 5, 9, 4, 1, 3, 2, 3))


def expected(loops: int = 0) -> str:
    looped = ""
    if loops:               # loads() returns the ldwx,s value; a 32-bit long wraps
        looped = f"loops {loops} sum {(loops * 0x191a1b1c) & 0xFFFFFFFF:x}\n"
    return ("PR_GET_UNALIGN = 0\n" + EMULATED + STORES + looped + FAULTS
            + "PR_SET_UNALIGN SIGBUS = 0\nPR_GET_UNALIGN = 2\n" + SIGBUS
            + "PR_SET_UNALIGN NOPRINT = 0\nPR_GET_UNALIGN = 1\n" + EMULATED)


def test_unaligned_accesses_as_linux(guest, run_emu):
    binary = guest("unaligned", opt="-O2")
    got = run_emu(binary, [], options=["--no-jit"])
    assert got.returncode == 0, got.stderr
    assert got.stdout.decode() == expected()


def test_unaligned_accesses_in_compiled_code(guest, run_emu):
    """The same cases hot (compiled regions leave unaligned accesses to the interpreter)."""
    binary = guest("unaligned", opt="-O2")
    got = run_emu(binary, ["2000"], env={"HPPA_USER_JIT_SYNC": "1", "HPPA_USER_CODE_CACHE": "off"},
                  options=["--jit-threshold", "2", "--stats"])
    assert got.returncode == 0, got.stderr
    assert got.stdout.decode() == expected(2000)
    assert "jit: 0 regions" not in got.stderr.decode()
