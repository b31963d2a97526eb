#!/usr/bin/env python3
"""Malformed-executable fuzzing: mutate a real static hppa binary and make sure every mutant
either loads and runs (bounded by --max-insns) or is refused with a LoaderError -- never a
Python traceback, never a hang.

    scripts/fuzz_exec.py [-n N] [--seed S] [--program PATH] [--max-insns M]

Each mutant runs in a child forked from this process (the Numba core is loaded once here),
with fds 0/1/2 redirected, and is killed if it outlives --timeout. Mutations: bit flips and
random bytes in the ELF and program headers, random field values, truncation, random data,
foreign headers (x86-64, little-endian, scripts), shuffled or duplicated program headers.
Prints counts per outcome; exit status 1 if any traceback or hang was seen.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import struct
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_PROGRAM = REPO / "hppa_user" / "examples" / "hello"
ELF_FIELDS = [(16, ">H"), (18, ">H"), (20, ">I"), (24, ">I"), (28, ">I"), (32, ">I"), (36, ">I"),
              (40, ">H"), (42, ">H"), (44, ">H"), (46, ">H"), (48, ">H"), (50, ">H")]
PHDR_FIELDS = [(0, ">I"), (4, ">I"), (8, ">I"), (12, ">I"), (16, ">I"), (20, ">I"), (24, ">I"), (28, ">I")]
INTERESTING = [0, 1, 2, 3, 4, 0x20, 0x1000, 0xFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFF00000,
               0xFFFFF000, 0x10000, 0x100]


def mutate(data: bytes, rng: random.Random) -> bytes:
    d = bytearray(data)
    phoff = struct.unpack_from(">I", d, 28)[0]
    phnum = struct.unpack_from(">H", d, 44)[0]
    kind = rng.randrange(10)
    if kind == 0:                                   # flip bits in the headers
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(min(len(d), phoff + 32 * phnum))
            d[i] ^= 1 << rng.randrange(8)
    elif kind == 1:                                 # an ELF header field gets a boundary value
        off, fmt = rng.choice(ELF_FIELDS)
        v = rng.choice(INTERESTING) & (0xFFFF if fmt == ">H" else 0xFFFFFFFF)
        struct.pack_into(fmt, d, off, v)
    elif kind == 2:                                 # a program header field gets one
        off, fmt = rng.choice(PHDR_FIELDS)
        struct.pack_into(fmt, d, phoff + 32 * rng.randrange(phnum) + off, rng.choice(INTERESTING))
    elif kind == 3:                                 # truncation
        d = d[:rng.randrange(len(d))]
    elif kind == 4:                                 # random bytes, sometimes behind an ELF magic
        d = bytearray(os.urandom(rng.randrange(1, 4096)))
        if rng.random() < 0.5:
            d[:4] = b"\x7fELF"
    elif kind == 5:                                 # foreign formats
        d[4:6] = rng.choice([b"\x02\x02", b"\x01\x01", b"\x02\x01"])
        if rng.random() < 0.5:
            struct.pack_into(">H", d, 18, rng.choice([3, 62, 40, 8]))
    elif kind == 6:
        d = bytearray(rng.choice([b"#!/bin/sh\necho hi\n", b"", b"\x7fEL", b"MZ\x90\x00" + os.urandom(60)]))
    elif kind == 7:                                 # duplicate / shuffle program headers
        phs = [bytes(d[phoff + 32 * i: phoff + 32 * (i + 1)]) for i in range(phnum)]
        rng.shuffle(phs)
        if phs and rng.random() < 0.5:
            phs[rng.randrange(len(phs))] = phs[0]
        for i, ph in enumerate(phs):
            d[phoff + 32 * i: phoff + 32 * (i + 1)] = ph
    elif kind == 8:                                 # random bytes inside the text segment
        for _ in range(rng.randint(1, 64)):
            i = rng.randrange(0x1000, min(len(d), 0x40000))
            d[i] = rng.randrange(256)
    else:                                           # random bytes anywhere
        for _ in range(rng.randint(1, 32)):
            i = rng.randrange(len(d))
            d[i] = rng.randrange(256)
    return bytes(d)


def run_one(path: str, max_insns: int, timeout: float) -> str:
    """'refused', 'ran', 'blocked', 'traceback' or 'hang' for one mutant.

    --max-insns bounds computation, not waiting: a mutant can block for ever in a syscall,
    as it would on Linux (say FUTEX_WAIT with no other thread). After ``timeout`` it gets a
    SIGTERM; ending cleanly then is 'blocked' (the emulator stayed responsive); not ending is
    a 'hang'."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1):
                os.dup2(null, fd)
            err = os.open(path + ".stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(err, 2)
            from hppa_user.errors import LoaderError
            from kernel_model.machine import Machine
            try:
                m = Machine(path, [path], env={"PATH": "/usr/bin"}, max_insns=max_insns)
            except LoaderError:
                os._exit(10)
            m.run()
            code = 11
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 12
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGTERM)
            for _ in range(500):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return "blocked" if os.waitstatus_to_exitcode(status) == 11 else "traceback"
                time.sleep(0.01)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "hang"
        time.sleep(0.002)
    code = os.waitstatus_to_exitcode(status)
    return {10: "refused", 11: "ran"}.get(code, "traceback")


def fuzz(n: int, seed: int, program=DEFAULT_PROGRAM, max_insns: int = 200_000,
         timeout: float = 10.0, keep: str | None = None) -> dict:
    from kernel_model.machine import Machine
    m = Machine(str(program), [str(program)])          # load the compiled core once, before forking
    m.cpu.load_core()
    del m
    data = Path(program).read_bytes()
    rng = random.Random(seed)
    counts = {"refused": 0, "ran": 0, "blocked": 0, "traceback": 0, "hang": 0}
    bad = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(n):
            path = os.path.join(d, f"mutant{i}")
            Path(path).write_bytes(mutate(data, rng))
            outcome = run_one(path, max_insns, timeout)
            counts[outcome] += 1
            if outcome in ("traceback", "hang"):
                bad.append((i, outcome, Path(path + ".stderr").read_text(errors="replace")[-2000:]))
                if keep:
                    os.makedirs(keep, exist_ok=True)
                    Path(keep, f"mutant{i}").write_bytes(Path(path).read_bytes())
    counts["bad"] = bad
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--program", default=str(DEFAULT_PROGRAM))
    ap.add_argument("--max-insns", type=int, default=200_000)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--keep", default="fuzz-failures", help="directory for failing mutants")
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    c = fuzz(a.n, a.seed, a.program, a.max_insns, a.timeout, a.keep)
    for i, outcome, err in c["bad"]:
        print(f"mutant {i}: {outcome}\n{err}")
    print(f"fuzz_exec: {a.n} mutants of {a.program} (seed {a.seed}) in {time.monotonic() - t0:.0f} s: "
          f"refused {c['refused']}, ran {c['ran']}, blocked in a syscall then ended by SIGTERM "
          f"{c['blocked']}, tracebacks {c['traceback']}, hangs {c['hang']}")
    return 1 if c["traceback"] or c["hang"] else 0


if __name__ == "__main__":
    sys.exit(main())
