"""Table-driven decoder: turns one instruction word into a micro-op record.

It interprets the field extractors of ``encoding.TABLE`` (passed in as arrays, so a table
change never leaves a stale compiled decoder behind). The core calls it once per
instruction address and caches the record; the disassembler calls it for every word.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from hppa_user import encoding as enc

K_NONE, K_U, K_S, K_LSE, K_K, K_IM21, K_W12, K_W17, K_CF, K_SED, K_SUB, K_SAR, K_MX, K_MS, \
    K_SCALE, K_FRW, K_FRS, K_SR3 = range(18)
assert [K_U, K_SR3] == [enc.KINDS["u"], enc.KINDS["sr3"]]
OP_ILLEGAL = enc.OP["ILLEGAL"]

# shift/extract/deposit conditions (never = < OD TR <> >= EV) as (c << 1) | f
_SED_TO_CF = (0, 2, 4, 14, 1, 3, 5, 15)


@njit(cache=True, inline="always")
def low_sign_ext(x, n):
    return (x >> 1) - ((x & 1) << (n - 1))


@njit(cache=True, inline="always")
def sign_ext(x, n):
    return x - ((x >> (n - 1)) & 1) * (1 << n)


@njit(cache=True)
def extract(w, kind, a, b, c):
    if kind == K_U:
        return (w >> a) & ((1 << b) - 1)
    if kind == K_S:
        return sign_ext((w >> a) & ((1 << b) - 1), b)
    if kind == K_LSE:
        return low_sign_ext((w >> a) & ((1 << b) - 1), b)
    if kind == K_K:
        return a
    if kind == K_IM21:
        x = w & 0x1FFFFF
        v = ((x & 1) << 20) | (((x >> 1) & 0x7FF) << 9) | (((x >> 14) & 3) << 7) \
            | (((x >> 16) & 0x1F) << 2) | ((x >> 12) & 3)
        return sign_ext((v << 11) & 0xFFFFFFFF, 32)
    if kind == K_W12:
        w1 = (w >> 2) & 0x7FF
        v = ((w & 1) << 11) | ((w1 & 1) << 10) | (w1 >> 1)
        return sign_ext(v, 12) * 4
    if kind == K_W17:
        w1 = (w >> 16) & 0x1F
        w2 = (w >> 2) & 0x7FF
        v = ((w & 1) << 16) | (w1 << 11) | ((w2 & 1) << 10) | (w2 >> 1)
        return sign_ext(v, 17) * 4
    if kind == K_CF:
        c3 = (w >> a) & 7
        if b == -1:
            f = 0
        elif b == -2:
            f = 1
        else:
            f = (w >> b) & 1
        return (c3 << 1) | f
    if kind == K_SED:
        return _SED_TO_CF[(w >> a) & 7]
    if kind == K_SUB:
        return a - ((w >> b) & ((1 << c) - 1))
    if kind == K_SAR:
        return -1
    if kind == K_MX:          # indexed forms: ,m is a post-modify
        return 2 if (w >> a) & 1 else 0
    if kind == K_MS:          # short forms: ,m with a=1 before, a=0 after
        if (w >> a) & 1:
            return 1 if (w >> b) & 1 else 2
        return 0
    if kind == K_SCALE:       # ,s scales the index by the access size
        if (w >> a) & 1:
            return 0 if b == 1 else (1 if b == 2 else (2 if b == 4 else 3))
        return 0
    if kind == K_FRW:         # single-word FP register: 2 * t + right-half bit
        return ((w & 31) << 1) | ((w >> 6) & 1)
    if kind == K_FRS:
        return (((w >> a) & 31) << 1) | ((w >> b) & 1)
    if kind == K_SR3:         # assemble_3: the space register number
        x = (w >> a) & 7
        return ((x & 1) << 2) | (x >> 1)
    return 0


# packed table rows (int64): match, mask, op, then 7 field extractors of 4 numbers each
T_MATCH, T_MASK, T_OP, T_FIELDS = 0, 1, 2, 3


@njit(cache=True)
def decode_into(w, tab, out):
    """Fill ``out`` (int32[8]: op + 7 fields) for word ``w``; return the table row or -1."""
    for i in range(tab.shape[0]):
        if (w & tab[i, T_MASK]) == tab[i, T_MATCH]:
            out[0] = tab[i, T_OP]
            for j in range(7):
                k = T_FIELDS + 4 * j
                out[1 + j] = extract(w, tab[i, k], tab[i, k + 1], tab[i, k + 2], tab[i, k + 3])
            return i
    out[0] = OP_ILLEGAL
    for j in range(7):
        out[1 + j] = 0
    return -1


class Table:
    """The encoding table in array form, built once per process."""
    _inst = None

    def __init__(self):
        self.rows, match, mask, op, fields = enc.build_arrays()
        n = len(self.rows)
        self.packed = np.zeros((n, T_FIELDS + 4 * enc.NFIELDS), dtype=np.int64)
        self.packed[:, T_MATCH] = match
        self.packed[:, T_MASK] = mask
        self.packed[:, T_OP] = op
        self.packed[:, T_FIELDS:] = fields.reshape(n, -1)

    @classmethod
    def get(cls) -> "Table":
        if cls._inst is None:
            cls._inst = Table()
        return cls._inst

    def decode(self, word: int):
        """(row Enc or None, int32[8] record) for one word: the disassembler's entry point."""
        out = np.zeros(8, dtype=np.int32)
        i = decode_into(np.int64(word), self.packed, out)
        return (self.rows[i] if i >= 0 else None), out
