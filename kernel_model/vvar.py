"""The vvar data page: its layout (defined here, once) and the kernel-side writer.

The ``vvar`` kernel profile maps one read-only page directly below the vDSO text
(``vvar = vdso_base - 4096``). The vDSO time functions (``vdso_image/vdso32_vvar.S``) read it
together with the interval timer ``%cr16`` and never trap for the clocks marked here as
served. This module is the single definition of the layout: ``vdso_image/vvar_layout.h``,
which the assembly includes, is generated from :data:`FIELDS` by
``python -m kernel_model.vvar --header`` (``make -C vdso_image layout``), and a test checks that
the committed header equals the generated text.

Layout (all fields big-endian, 32-bit words, naturally aligned; the page is 4096 bytes and
everything past :data:`VVAR_USED` is zero)::

    0x000 seq             u32  seqlock sequence: odd while the writer is updating
    0x004 layout_version  u32  VVAR_LAYOUT_VERSION once written (0: page never written)
    0x008 hres_mask       u32  bit c: clock c = base + ((cr16_now - cr16_base) mod 2^32) ns
    0x00c coarse_mask     u32  bit c: clock c = base (no interpolation)
    0x010 hres_res        u32  clock_getres() of the hres clocks, ns (< 1 s)
    0x014 coarse_res      u32  clock_getres() of the coarse clocks, ns (< 1 s)
    0x018 tz_minuteswest  s32  struct timezone for gettimeofday()
    0x01c tz_dsttime      s32
    0x020 cpu             u32  getcpu(): CPU number
    0x024 node            u32  getcpu(): NUMA node
    0x028 flags           u32  bit 0: tz valid, bit 1: cpu/node valid
    0x02c..0x03f          reserved (zero)
    0x040 clocks[16]           one 16-byte record per clock id 0..15 (record = 0x40 + 16*id):
          +0 sec_hi u32, +4 sec_lo u32   base seconds (u64 as two words, high first)
          +8 nsec   u32                  base nanoseconds, 0 <= nsec < 10^9
          +12 cr16  u32                  %cr16 when the base was taken
    0x140 end (VVAR_USED)

A clock whose bit is in neither mask (CPU-time clocks 2 and 3, the alarm clocks, unused ids)
and every id outside 0..15 (negative dynamic/CPU clock ids, invalid ids) is not served: the
vDSO makes the real syscall, so an all-zero page simply means "always syscall".

Seqlock protocol (both sides):

* writer: ``seq += 1`` (now odd), write the data, ``seq += 1`` (even again);
* reader: ``s1 = seq``; retry while ``s1`` is odd; read the data and ``%cr16``;
  ``s2 = seq``; retry if ``s2 != s1``.

In this emulator the writer runs only while the guest is stopped (between two runs of the
jitted loop), so a guest never observes an odd sequence; the protocol is kept so the page
means the same thing it would on a real SMP kernel.

Clock model: at each update the kernel model records, for each served clock, the clock's value
at the instant it also records ``cr16`` (the 1 GHz interval timer = monotonic ns mod 2^32).
A reader computes ``base + (cr16_now - cr16_base) mod 2^32``, so the gap between two updates
must stay well below 2^32 ns (4.29 s); the jitted loop returns every ~1 ms of guest run time.
"""
from __future__ import annotations

import struct
import sys

from hppa_user.records import record
from kernel_model.abi import (CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
                              CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME,
                              CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID)

PAGE_SIZE = 4096
VVAR_LAYOUT_VERSION = 1
NSEC_PER_SEC = 1_000_000_000

#: clocks the vDSO interpolates with cr16
HRES_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME, CLOCK_TAI)
#: clocks the vDSO returns as the stored base (the "last tick")
COARSE_CLOCKS = (CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE)
CLOCK_NAMES = {
    CLOCK_REALTIME: "REALTIME", CLOCK_MONOTONIC: "MONOTONIC",
    CLOCK_PROCESS_CPUTIME_ID: "PROCESS_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID: "THREAD_CPUTIME_ID",
    CLOCK_MONOTONIC_RAW: "MONOTONIC_RAW", CLOCK_REALTIME_COARSE: "REALTIME_COARSE",
    CLOCK_MONOTONIC_COARSE: "MONOTONIC_COARSE", CLOCK_BOOTTIME: "BOOTTIME",
    8: "REALTIME_ALARM", 9: "BOOTTIME_ALARM", CLOCK_TAI: "TAI",
}

FLAG_TZ_VALID = 1 << 0
FLAG_CPU_VALID = 1 << 1


@record
class Field:
    name: str       # C macro suffix: VVAR_<name>
    offset: int
    ctype: str      # u32 / s32 / record
    doc: str


# The layout table: the one place the offsets are written down.
FIELDS: tuple[Field, ...] = (
    Field("SEQ", 0x000, "u32", "seqlock sequence, odd while the writer updates"),
    Field("LAYOUT_VERSION", 0x004, "u32", "VVAR_LAYOUT_VERSION once written, 0 = never written"),
    Field("HRES_MASK", 0x008, "u32", "bit c: clock c = base + (cr16 - cr16_base) ns"),
    Field("COARSE_MASK", 0x00C, "u32", "bit c: clock c = base, no interpolation"),
    Field("HRES_RES", 0x010, "u32", "clock_getres of hres clocks, ns"),
    Field("COARSE_RES", 0x014, "u32", "clock_getres of coarse clocks, ns"),
    Field("TZ_MINUTESWEST", 0x018, "s32", "struct timezone tz_minuteswest"),
    Field("TZ_DSTTIME", 0x01C, "s32", "struct timezone tz_dsttime"),
    Field("CPU", 0x020, "u32", "getcpu cpu number"),
    Field("NODE", 0x024, "u32", "getcpu node number"),
    Field("FLAGS", 0x028, "u32", "bit 0: tz valid, bit 1: cpu valid"),
    Field("CLOCKS", 0x040, "record", "clock records, VVAR_CLOCK_SIZE bytes per clock id"),
)
# Per-clock record (offsets inside one record).
CLOCK_FIELDS: tuple[Field, ...] = (
    Field("CLK_SEC_HI", 0, "u32", "base seconds, high word"),
    Field("CLK_SEC_LO", 4, "u32", "base seconds, low word"),
    Field("CLK_NSEC", 8, "u32", "base nanoseconds (< 1e9)"),
    Field("CLK_CR16", 12, "u32", "cr16 when the base was taken"),
)
CLOCK_SHIFT = 4
CLOCK_SIZE = 1 << CLOCK_SHIFT
NCLOCKS = 16

_OFF = {f.name: f.offset for f in FIELDS}
_COFF = {f.name: f.offset for f in CLOCK_FIELDS}
VVAR_USED = _OFF["CLOCKS"] + NCLOCKS * CLOCK_SIZE   # 0x140


class VvarLayout:
    """Byte offsets inside the vvar page (see the module docstring)."""

    PAGE_SIZE = PAGE_SIZE
    VERSION = VVAR_LAYOUT_VERSION
    SEQ = _OFF["SEQ"]
    LAYOUT_VERSION = _OFF["LAYOUT_VERSION"]
    HRES_MASK = _OFF["HRES_MASK"]
    COARSE_MASK = _OFF["COARSE_MASK"]
    HRES_RES = _OFF["HRES_RES"]
    COARSE_RES = _OFF["COARSE_RES"]
    TZ_MINUTESWEST = _OFF["TZ_MINUTESWEST"]
    TZ_DSTTIME = _OFF["TZ_DSTTIME"]
    CPU = _OFF["CPU"]
    NODE = _OFF["NODE"]
    FLAGS = _OFF["FLAGS"]
    CLOCKS = _OFF["CLOCKS"]
    CLOCK_SHIFT = CLOCK_SHIFT
    CLOCK_SIZE = CLOCK_SIZE
    NCLOCKS = NCLOCKS
    CLK_SEC_HI = _COFF["CLK_SEC_HI"]
    CLK_SEC_LO = _COFF["CLK_SEC_LO"]
    CLK_NSEC = _COFF["CLK_NSEC"]
    CLK_CR16 = _COFF["CLK_CR16"]
    USED = VVAR_USED
    FLAG_TZ_VALID = FLAG_TZ_VALID
    FLAG_CPU_VALID = FLAG_CPU_VALID

    @staticmethod
    def clock(clock_id: int) -> int:
        """Offset of the record of ``clock_id`` inside the page."""
        if not 0 <= clock_id < NCLOCKS:
            raise ValueError(f"clock id {clock_id} has no vvar record")
        return _OFF["CLOCKS"] + (clock_id << CLOCK_SHIFT)


# The header words after seq (layout_version .. flags), packed in one go; the format is
# derived from FIELDS so that the table stays the only definition.
_HDR_FIELDS = tuple(sorted((f for f in FIELDS if f.ctype in ("u32", "s32") and f.name != "SEQ"),
                           key=lambda f: f.offset))
assert [f.offset for f in _HDR_FIELDS] == list(range(4, 4 + 4 * len(_HDR_FIELDS), 4))
_HDR = struct.Struct(">" + "".join("i" if f.ctype == "s32" else "I" for f in _HDR_FIELDS))
_U32 = struct.Struct(">I")
_CLOCKS = struct.Struct(">" + "I" * (NCLOCKS * 4))


def _split(value) -> tuple[int, int]:
    """(sec, nsec) from an int of nanoseconds or a (sec, nsec) pair."""
    if isinstance(value, int):
        sec, nsec = divmod(value, NSEC_PER_SEC)
    else:
        sec, nsec = value
        sec += nsec // NSEC_PER_SEC
        nsec %= NSEC_PER_SEC
    if sec < 0:
        raise ValueError("negative clock base")
    return sec, nsec


def _clock_words(clocks: dict, cr16: int) -> tuple[list[int], int, int]:
    words = [0] * (NCLOCKS * 4)
    hres = coarse = 0
    cr16 &= 0xFFFFFFFF
    for cid, value in clocks.items():
        if cid in HRES_CLOCKS:
            hres |= 1 << cid
        elif cid in COARSE_CLOCKS:
            coarse |= 1 << cid
        else:
            raise ValueError(f"clock {cid} cannot be served from the vvar page")
        sec, nsec = _split(value)
        i = cid * 4
        words[i] = (sec >> 32) & 0xFFFFFFFF
        words[i + 1] = sec & 0xFFFFFFFF
        words[i + 2] = nsec
        words[i + 3] = cr16
    return words, hres, coarse


def _header_words(hres: int, coarse: int, tz, res, cpu) -> tuple:
    tz_mw, tz_dst = tz if tz is not None else (0, 0)
    hres_res, coarse_res = res
    flags = (FLAG_TZ_VALID if tz is not None else 0) | (FLAG_CPU_VALID if cpu is not None else 0)
    if isinstance(cpu, tuple):
        cpu_n, node = cpu
    else:
        cpu_n, node = (cpu or 0), 0
    values = {"LAYOUT_VERSION": VVAR_LAYOUT_VERSION, "HRES_MASK": hres, "COARSE_MASK": coarse,
              "HRES_RES": hres_res, "COARSE_RES": coarse_res, "TZ_MINUTESWEST": tz_mw,
              "TZ_DSTTIME": tz_dst, "CPU": cpu_n, "NODE": node, "FLAGS": flags}
    return tuple(values[f.name] for f in _HDR_FIELDS)


def encode_vvar(seq: int, clocks: dict, cr16: int, tz=(0, 0), res=(1, 4_000_000), cpu=0) -> bytes:
    """The whole 4096-byte vvar page.

    ``clocks`` maps clock ids (those in :data:`HRES_CLOCKS` / :data:`COARSE_CLOCKS`) to the
    clock's value at the instant ``cr16`` was read, as nanoseconds (int) or ``(sec, nsec)``.
    Clocks left out are not served (syscall). ``tz`` = (minuteswest, dsttime) or None (then
    gettimeofday with a tz pointer takes the syscall); ``res`` = (hres_res_ns, coarse_res_ns);
    ``cpu`` = cpu number, (cpu, node), or None (getcpu takes the syscall).
    """
    page = bytearray(PAGE_SIZE)
    words, hres, coarse = _clock_words(clocks, cr16)
    _U32.pack_into(page, VvarLayout.SEQ, seq & 0xFFFFFFFF)
    _HDR.pack_into(page, VvarLayout.LAYOUT_VERSION, *_header_words(hres, coarse, tz, res, cpu))
    _CLOCKS.pack_into(page, VvarLayout.CLOCKS, *words)
    return bytes(page)


def decode_vvar(page) -> dict:
    """Parse a vvar page (bytes-like) back into a dict (for `vdso info`, tests, debugging)."""
    seq, = _U32.unpack_from(page, VvarLayout.SEQ)
    h = dict(zip((f.name for f in _HDR_FIELDS), _HDR.unpack_from(page, VvarLayout.LAYOUT_VERSION)))
    ver, hres, coarse = h["LAYOUT_VERSION"], h["HRES_MASK"], h["COARSE_MASK"]
    hres_res, coarse_res, tz_mw, tz_dst = h["HRES_RES"], h["COARSE_RES"], h["TZ_MINUTESWEST"], h["TZ_DSTTIME"]
    cpu, node, flags = h["CPU"], h["NODE"], h["FLAGS"]
    words = _CLOCKS.unpack_from(page, VvarLayout.CLOCKS)
    clocks = {}
    for cid in range(NCLOCKS):
        if (hres | coarse) >> cid & 1:
            hi, lo, nsec, c16 = words[cid * 4: cid * 4 + 4]
            clocks[cid] = {"sec": (hi << 32) | lo, "nsec": nsec, "cr16": c16,
                           "mode": "hres" if hres >> cid & 1 else "coarse"}
    return {"seq": seq, "layout_version": ver, "hres_mask": hres, "coarse_mask": coarse,
            "hres_res": hres_res, "coarse_res": coarse_res, "tz": (tz_mw, tz_dst),
            "cpu": cpu, "node": node, "flags": flags, "clocks": clocks}


def read_clock(page, clock_id: int, cr16_now: int):
    """What the vDSO computes for ``clock_id`` (nanoseconds), or None if it would syscall.

    A Python model of the assembly in ``vdso_image/vdso32_vvar.S``, for tests and tools.
    """
    if not 0 <= clock_id < NCLOCKS:
        return None
    d = decode_vvar(page)
    c = d["clocks"].get(clock_id)
    if c is None:
        return None
    base = c["sec"] * NSEC_PER_SEC + c["nsec"]
    if c["mode"] == "coarse":
        return base
    return base + ((cr16_now - c["cr16"]) & 0xFFFFFFFF)


_REC = struct.Struct(">IIII")     # one clock record, in CLOCK_FIELDS order
assert [(f.name, f.offset) for f in CLOCK_FIELDS] == [
    ("CLK_SEC_HI", 0), ("CLK_SEC_LO", 4), ("CLK_NSEC", 8), ("CLK_CR16", 12)]
assert _REC.size == CLOCK_SIZE
_HRES_BITS = {c: 1 << c for c in HRES_CLOCKS}
_COARSE_BITS = {c: 1 << c for c in COARSE_CLOCKS}


class VvarWriter:
    """Keeps a vvar page inside a writable byte buffer (e.g. guest memory) up to date.

    ``buf`` is anything exposing a writable buffer (a numpy uint8 array, a bytearray, a
    memoryview); ``offset`` is where the page starts in it (for the flat guest memory: the
    guest address of the vvar page, ``vdso_base - 4096``). The writer follows the seqlock
    protocol on every call; the sequence counter lives in the page itself. ``update`` is
    meant to run on every exit of the jitted loop and costs a few microseconds.
    """

    def __init__(self, buf, offset: int = 0):
        self.buf = buf
        self.offset = offset
        self.page = memoryview(buf).cast("B")[offset:offset + PAGE_SIZE]
        if len(self.page) != PAGE_SIZE or self.page.readonly:
            raise ValueError("the vvar page must be a writable 4096-byte range of buf")
        self._hres = 0
        self._coarse = 0
        self._static = ((0, 0), (1, 4_000_000), 0)   # tz, res, cpu

    # -- seqlock ----------------------------------------------------------------------
    @property
    def seq(self) -> int:
        return _U32.unpack_from(self.page, VvarLayout.SEQ)[0]

    def _begin(self) -> int:
        s = (_U32.unpack_from(self.page, VvarLayout.SEQ)[0] + 1) & 0xFFFFFFFF
        if not s & 1:                      # a previous writer died mid-update: stay odd
            s = (s + 1) & 0xFFFFFFFF
        _U32.pack_into(self.page, VvarLayout.SEQ, s)
        return s

    def _end(self, s: int) -> None:
        _U32.pack_into(self.page, VvarLayout.SEQ, (s + 1) & 0xFFFFFFFF)

    def _write_header(self) -> None:
        tz, res, cpu = self._static
        _HDR.pack_into(self.page, VvarLayout.LAYOUT_VERSION,
                       *_header_words(self._hres, self._coarse, tz, res, cpu))

    # -- updates ----------------------------------------------------------------------
    def setup(self, tz=(0, 0), res=(1, 4_000_000), cpu=0) -> None:
        """Write the slowly-changing fields: timezone (or None), (hres_res, coarse_res) in
        ns, cpu number or (cpu, node) (or None: getcpu takes the syscall)."""
        s = self._begin()
        self._static = (tz, res, cpu)
        self._write_header()
        self._end(s)

    def update(self, clocks: dict, cr16: int) -> None:
        """Publish clock bases taken at the instant ``cr16`` was read: ``clocks`` maps clock
        ids of :data:`HRES_CLOCKS`/:data:`COARSE_CLOCKS` to ns (int) or (sec, nsec).
        Clocks left out are no longer served (syscall)."""
        hres = coarse = 0
        for cid in clocks:
            bit = _HRES_BITS.get(cid)
            if bit:
                hres |= bit
            else:
                bit = _COARSE_BITS.get(cid)
                if not bit:
                    raise ValueError(f"clock {cid} cannot be served from the vvar page")
                coarse |= bit
        cr16 &= 0xFFFFFFFF
        page = self.page
        s = self._begin()
        if hres != self._hres or coarse != self._coarse:
            self._hres, self._coarse = hres, coarse
            self._write_header()
        base = VvarLayout.CLOCKS
        for cid, value in clocks.items():
            if value.__class__ is int and value >= 0:
                sec, nsec = divmod(value, NSEC_PER_SEC)
            else:
                sec, nsec = _split(value)
            _REC.pack_into(page, base + (cid << CLOCK_SHIFT), (sec >> 32) & 0xFFFFFFFF,
                           sec & 0xFFFFFFFF, nsec, cr16)
        self._end(s)

    def disable(self) -> None:
        """Serve nothing (every vDSO call takes the syscall)."""
        s = self._begin()
        self._hres = self._coarse = 0
        self._write_header()
        self._end(s)

    def snapshot(self) -> dict:
        return decode_vvar(bytes(self.page))


# -- generated C header ---------------------------------------------------------------------
HEADER_PATH = "vdso_image/vvar_layout.h"


def generate_header() -> str:
    """The text of ``vdso_image/vvar_layout.h`` (included by the vDSO assembly)."""
    lines = [
        "/* vvar page layout for the hppa-user vDSO.",
        " * GENERATED by `python -m kernel_model.vvar --header` from kernel_model/vvar.py:",
        " * do not edit; change the table there and regenerate (make -C vdso_image layout).",
        " * All fields are big-endian 32-bit words. The page lies at vdso_base - VVAR_PAGE_SIZE.",
        " */",
        "#ifndef HPPA_USER_VVAR_LAYOUT_H",
        "#define HPPA_USER_VVAR_LAYOUT_H",
        "",
        f"#define VVAR_PAGE_SIZE {PAGE_SIZE}",
        f"#define VVAR_LAYOUT_VERSION_VALUE {VVAR_LAYOUT_VERSION}",
        "",
    ]
    for f in FIELDS:
        lines.append(f"#define VVAR_{f.name:<16} 0x{f.offset:03x}  /* {f.ctype}: {f.doc} */")
    lines.append("")
    for f in CLOCK_FIELDS:
        lines.append(f"#define VVAR_{f.name:<16} {f.offset:<5}  /* {f.ctype}: {f.doc} */")
    lines += [
        f"#define VVAR_CLOCK_SHIFT     {CLOCK_SHIFT}",
        f"#define VVAR_CLOCK_SIZE      {CLOCK_SIZE}",
        f"#define VVAR_NCLOCKS         {NCLOCKS}",
        f"#define VVAR_USED            0x{VVAR_USED:03x}",
        "",
        f"#define VVAR_FLAG_TZ_VALID   {FLAG_TZ_VALID}",
        f"#define VVAR_FLAG_CPU_VALID  {FLAG_CPU_VALID}",
        "/* the same flags as PA-RISC bit numbers (bit 0 = MSB) for bb */",
        f"#define VVAR_FLAG_TZ_VALID_BB  {31 - FLAG_TZ_VALID.bit_length() + 1}",
        f"#define VVAR_FLAG_CPU_VALID_BB {31 - FLAG_CPU_VALID.bit_length() + 1}",
        "",
        "#endif",
        "",
    ]
    return "\n".join(lines)


def _main(argv: list[str]) -> int:
    if argv[:1] == ["--header"]:
        sys.stdout.write(generate_header())
        return 0
    if argv[:1] == ["--write-header"]:
        path = argv[1] if len(argv) > 1 else HEADER_PATH
        with open(path, "w") as f:
            f.write(generate_header())
        return 0
    sys.stderr.write("usage: python -m kernel_model.vvar --header | --write-header [PATH]\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
