/* 32- and 64-bit integer arithmetic, mostly through gcc's hppa millicode ($$mulI,
 * $$divI, $$divU, $$remI, $$remU, $$divI_N constants) and libgcc (__divdi3, __udivdi3,
 * __moddi3, __umoddi3, __muldi3).  Operands come from an LCG; every result is folded
 * into checksums and the first iterations are printed in full.
 *
 *   intarith [N]        N iterations (default 3000)
 * Exit status: 0 if all self-checks ((a/b)*b + a%b == a, ...) passed, else 1.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t lcg_state = 12345u;
static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lcg_state;
}
static uint64_t lcg64(void)
{
    uint64_t hi = lcg(), lo = lcg();
    return (hi << 32) ^ lo ^ (lo << 13);
}
/* Interesting operand: mix of small, large, negative and edge values. */
static uint32_t operand(void)
{
    uint32_t r = lcg();
    switch ((r >> 28) & 7) {
    case 0: return r & 0xff;
    case 1: return (uint32_t)-(int32_t)(r & 0xfff);
    case 2: return r >> (r & 31);
    case 3: return (r & 1) ? 0x80000000u : 0x7fffffffu;
    case 4: return (r & 3) + 1;
    default: return lcg();
    }
}

static uint32_t sum32 = 0, sum32b = 0;
static uint64_t sum64 = 0;
static int failures = 0;

static void mix32(uint32_t v) { sum32 = (sum32 ^ v) * 0x01000193u + (v >> 7); sum32b += v; }
static void mix64(uint64_t v) { sum64 = (sum64 ^ v) * 0x100000001b3ull; }

static void check(int ok, const char *what, long long a, long long b)
{
    if (!ok) {
        failures++;
        if (failures < 20)
            printf("CHECK FAILED: %s a=%lld b=%lld\n", what, a, b);
    }
}

/* noinline wrappers so the divisor is really a variable at every -O level */
__attribute__((noinline)) static int32_t sdiv(int32_t a, int32_t b) { return a / b; }
__attribute__((noinline)) static int32_t smod(int32_t a, int32_t b) { return a % b; }
__attribute__((noinline)) static uint32_t udiv(uint32_t a, uint32_t b) { return a / b; }
__attribute__((noinline)) static uint32_t umod(uint32_t a, uint32_t b) { return a % b; }
__attribute__((noinline)) static int64_t sdiv64(int64_t a, int64_t b) { return a / b; }
__attribute__((noinline)) static int64_t smod64(int64_t a, int64_t b) { return a % b; }
__attribute__((noinline)) static uint64_t udiv64(uint64_t a, uint64_t b) { return a / b; }
__attribute__((noinline)) static uint64_t umod64(uint64_t a, uint64_t b) { return a % b; }
__attribute__((noinline)) static uint64_t mul64(uint64_t a, uint64_t b) { return a * b; }

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3000;
    for (int i = 0; i < n; i++) {
        uint32_t ua = operand(), ub = operand();
        int32_t a = (int32_t)ua, b = (int32_t)ub;
        unsigned sh = lcg() & 31;

        uint32_t mul = ua * ub;
        int32_t smul = (int32_t)((uint32_t)a * (uint32_t)(b | 1));
        int64_t wide = (int64_t)a * (int64_t)b;        /* 32x32->64 signed */
        uint64_t uwide = (uint64_t)ua * (uint64_t)ub;  /* 32x32->64 unsigned */
        mix32(mul); mix32((uint32_t)smul); mix64((uint64_t)wide); mix64(uwide);

        int32_t q = 0, r = 0;
        uint32_t uq = 0, ur = 0;
        if (b != 0 && !(a == INT_MIN && b == -1)) {
            q = sdiv(a, b);
            r = smod(a, b);
            check((int32_t)((uint32_t)q * (uint32_t)b + (uint32_t)r) == a, "sdiv/smod", a, b);
            check(r == 0 || ((r < 0) == (a < 0)), "smod sign", a, b);
            check((r < 0 ? -(int64_t)r : r) < (b < 0 ? -(int64_t)b : b), "smod range", a, b);
        }
        if (ub != 0) {
            uq = udiv(ua, ub);
            ur = umod(ua, ub);
            check(uq * ub + ur == ua && ur < ub, "udiv/umod", ua, ub);
        }
        mix32((uint32_t)q); mix32((uint32_t)r); mix32(uq); mix32(ur);

        /* division and multiplication by constants (magic-number / millicode paths) */
        mix32(ua / 3); mix32(ua / 7); mix32(ua / 10); mix32(ua % 10); mix32(ua / 1000);
        mix32((uint32_t)(a / 3)); mix32((uint32_t)(a / 5)); mix32((uint32_t)(a % 7));
        mix32((uint32_t)(a / 16)); mix32((uint32_t)(a % 16)); mix32((uint32_t)(a / -9));
        mix32(ua * 10u); mix32(ua * 1000003u); mix32(ua * 0x9e3779b9u); mix32(ua * 15u);
        mix32(ua / 12345u); mix32(ua % 65521u); mix32((uint32_t)(a / 100000));

        /* shifts by variable and constant counts */
        mix32(ua << sh); mix32(ua >> sh); mix32((uint32_t)(a >> sh));
        mix32((ua << sh) | (ua >> ((32 - sh) & 31)));   /* rotate */
        mix32(ua >> 31); mix32((uint32_t)(a >> 31)); mix32(ua << 1); mix32((uint32_t)(a >> 17));

        /* bit tricks */
        mix32((uint32_t)__builtin_popcount(ua)); mix32(ua ? (uint32_t)__builtin_clz(ua) : 32u);
        mix32(ua ? (uint32_t)__builtin_ctz(ua) : 32u); mix32(__builtin_bswap32(ua));

        /* 64-bit arithmetic */
        uint64_t x = lcg64(), y = lcg64();
        if ((i & 3) == 1) y >>= (lcg() & 63);
        if ((i & 7) == 2) y = (lcg() & 0xffff) + 1;
        unsigned sh64 = lcg() & 63;
        uint64_t m64 = mul64(x, y);
        mix64(m64); mix64(x + y); mix64(x - y); mix64(x << sh64); mix64(x >> sh64);
        mix64((uint64_t)((int64_t)x >> sh64));
        if (y != 0) {
            uint64_t q64 = udiv64(x, y), r64 = umod64(x, y);
            check(q64 * y + r64 == x && r64 < y, "udiv64", (long long)x, (long long)y);
            mix64(q64); mix64(r64);
            int64_t sx = (int64_t)x, sy = (int64_t)y;
            if (!(sx == INT64_MIN && sy == -1)) {
                int64_t sq = sdiv64(sx, sy), sr = smod64(sx, sy);
                check((int64_t)((uint64_t)sq * (uint64_t)sy + (uint64_t)sr) == sx, "sdiv64",
                      sx, sy);
                mix64((uint64_t)sq); mix64((uint64_t)sr);
            }
        }
        mix64(x / 10); mix64(x % 1000000007ull); mix64((uint64_t)((int64_t)x / -3));
        mix64(x * 1000003ull);
        mix32(x < y); mix32((int64_t)x < (int64_t)y); mix32(x == y);

        if (i < 24)
            printf("%3d: a=%d b=%d mul=%u smul=%d wide=%lld uwide=%llu q=%d r=%d uq=%u ur=%u "
                   "shl=%u shr=%u sar=%d | x=%llx y=%llx m=%llx\n",
                   i, a, b, mul, smul, (long long)wide, (unsigned long long)uwide, q, r, uq, ur,
                   ua << sh, ua >> sh, a >> sh, (unsigned long long)x, (unsigned long long)y,
                   (unsigned long long)m64);
        if ((i + 1) % 500 == 0)
            printf("after %d: sum32=%08x sum32b=%08x sum64=%016llx\n", i + 1, sum32, sum32b,
                   (unsigned long long)sum64);
    }
    /* fixed edge cases */
    printf("edges: %d %d %u %u %lld %lld %llu\n", sdiv(INT_MIN, 1), smod(INT_MIN, 3),
           udiv(0xffffffffu, 1), umod(0xffffffffu, 0x10000u), (long long)sdiv64(INT64_MIN, 1),
           (long long)smod64(INT64_MIN, 7), (unsigned long long)udiv64(~0ull, 3));
    printf("final: n=%d sum32=%08x sum32b=%08x sum64=%016llx failures=%d\n", n, sum32, sum32b,
           (unsigned long long)sum64, failures);
    return failures ? 1 : 0;
}
