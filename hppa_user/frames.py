"""Length-framed marshal records: the compile worker's messages on its pipes (jitworker.py)
and each guest process's statistics for the root of its tree (kernel_model/proctree.py).

A record is marshal data -- plain dicts, lists, tuples, bytes, strings and numbers; not
pickle, for the start-up rule (cli.py) -- after its length, 8 bytes little-endian.
"""
from __future__ import annotations

import marshal
import struct

FRAME = struct.Struct("<Q")


def frame(obj) -> bytes:
    """``obj`` as one record."""
    data = marshal.dumps(obj)
    return FRAME.pack(len(data)) + data


class Frames:
    """Complete records out of the bytes read so far."""

    def __init__(self):
        self.buf = bytearray()

    def feed(self, data: bytes) -> list:
        self.buf += data
        out = []
        while len(self.buf) >= FRAME.size:
            (n,) = FRAME.unpack_from(self.buf)
            if len(self.buf) < FRAME.size + n:
                break
            out.append(marshal.loads(self.buf[FRAME.size:FRAME.size + n]))
            del self.buf[:FRAME.size + n]
        return out
