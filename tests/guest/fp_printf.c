/* printf %f %e %g %a of edge values, and strtod/strtof round trips (tests/test_fp_libm.py).
 *
 *   fp_printf [N]    N random round trips per type (default 300)
 * Output: every formatted value, and for the parses the bits, errno and end offset.
 * Exit status: 0 if every round trip reproduced its bits, else 1.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double bitsd(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd64(void)
{
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return state;
}

static const char *const DFMT[] = {
    "%f", "%.0f", "%.1f", "%.3f", "%.20f", "%e", "%.0e", "%.3e", "%.16e", "%E", "%g", "%.0g",
    "%.3g", "%.17g", "%#g", "%#.0f", "%a", "%.0a", "%.3a", "%.13a", "%A", "%+f", "% e",
    "%12.4f|", "%-14.3e|", "%014.5g|", "%Lf", "%La",
};

static void show(const char *label, double v)
{
    printf("%s bits=%016llx\n", label, (unsigned long long)dbits(v));
    for (unsigned i = 0; i < sizeof DFMT / sizeof DFMT[0]; i++) {
        char buf[512];
        if (strchr(DFMT[i], 'L'))
            snprintf(buf, sizeof buf, DFMT[i], (long double)v);
        else
            snprintf(buf, sizeof buf, DFMT[i], v);
        /* %f of 1e300 is 300+ digits: print a digest of long ones */
        size_t n = strlen(buf);
        if (n > 60) {
            uint32_t h = 2166136261u;
            for (size_t k = 0; k < n; k++) h = (h ^ (unsigned char)buf[k]) * 16777619u;
            printf("  %-8s len=%zu head=%.24s tail=%s fnv=%08x\n", DFMT[i], n, buf, buf + n - 24, h);
        } else {
            printf("  %-8s %s\n", DFMT[i], buf);
        }
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300;
    int failures = 0;
    volatile double zero = 0.0;
    const double dv[] = {
        0.0, -0.0, 1.0, -1.0, 0.1, -0.1, 1.0 / 3, 2.0 / 3, 0.5, 1.5, 2.5, -2.5, 0.125, 1.005,
        123456789.125, 1e-5, 1e-300, 1e300, 1e22, 1e23, DBL_MAX, -DBL_MAX, DBL_MIN, DBL_EPSILON,
        0x1p-1074, 0x1.fffffffffffffp-1023, 0x1p-1023, 9007199254740993.0, 4294967296.0,
        2147483648.0, M_PI, M_E, 6.02214076e23, 1.0 / zero, -1.0 / zero, zero / zero,
        -(zero / zero), FLT_MAX, FLT_MIN, FLT_TRUE_MIN, (double)0.1f, (double)(1.0f / 3),
        999.9999999, 0.000999, 9.5, 99.5, 1e15 + 0.3, 5e-324 * 3,
    };
    for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++) {
        char label[32];
        snprintf(label, sizeof label, "v%u", i);
        show(label, dv[i]);
    }
    const float fv[] = {0.1f, 1.0f / 3, 16777217.0f, FLT_MAX, FLT_MIN, FLT_TRUE_MIN, -0.0f, 3.4e38f};
    for (unsigned i = 0; i < sizeof fv / sizeof fv[0]; i++)
        printf("f%u %08x %.9g %a %e %f\n", i, fbits(fv[i]), fv[i], fv[i], fv[i], fv[i]);

    /* strtod / strtof of hard cases: bits, errno, characters consumed */
    static const char *const ds[] = {
        "0", "-0", "0.1", "1e-320", "2.2250738585072011e-308", "2.2250738585072012e-308",
        "2.2250738585072014e-308", "1.7976931348623157e308", "1.7976931348623158e308",
        "1.7976931348623159e308", "4.9406564584124654e-324", "2.4703282292062327e-324",
        "2.4703282292062328e-324", "0x1.fffffffffffffp1023", "0x1p-1074", "0x1.8p-1074", "nan",
        "-nan", "NAN(123)", "inf", "-Infinity", "infinit", "1e400", "-1e-400", "123.456e-7",
        "9007199254740993", "9007199254740995", "0.000000000000000000000000000001", "  +12.5xyz",
        "1e", ".e1", "0x", "1.5e+308", "7.2057594037927933e16", "1e23", "8.589973e9",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791.9999999999",
    };
    for (unsigned i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        char *end;
        errno = 0;
        double d = strtod(ds[i], &end);
        int e1 = errno;
        errno = 0;
        float f = strtof(ds[i], NULL);
        int e2 = errno;
        printf("strtod[%u] bits=%016llx errno=%d end=%d %.17g | strtof bits=%08x errno=%d %.9g\n", i,
               (unsigned long long)dbits(d), e1, (int)(end - ds[i]), d, fbits(f), e2, (double)f);
    }
    static const char *const fs[] = {
        "3.4028235e38", "3.4028236e38", "3.40282357e38", "1.17549435e-38", "1.4e-45", "7.0e-46",
        "7.1e-46", "16777217", "16777219", "0.1", "1e-50", "0x1.fffffep127", "0x1.ffffffp127",
    };
    for (unsigned i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        errno = 0;
        float f = strtof(fs[i], NULL);
        printf("strtof[%u] %s -> %08x errno=%d %a\n", i, fs[i], fbits(f), errno, (double)f);
    }

    /* random round trips: %.17g and %a for doubles, %.9g for floats */
    uint64_t h = 0;
    for (int i = 0; i < n; i++) {
        uint64_t u = rnd64();
        if ((u >> 52 & 0x7ff) == 0x7ff) u ^= 1ull << 62;           /* no NaN/Inf here */
        double d = bitsd(u);
        char buf[64], buf2[64];
        snprintf(buf, sizeof buf, "%.17g", d);
        snprintf(buf2, sizeof buf2, "%a", d);
        double back = strtod(buf, NULL), back2 = strtod(buf2, NULL);
        if (dbits(back) != u || dbits(back2) != u) {
            failures++;
            printf("round trip failed: %016llx %s %s\n", (unsigned long long)u, buf, buf2);
        }
        uint32_t w = (uint32_t)rnd64();
        if ((w >> 23 & 0xff) == 0xff) w ^= 1u << 30;
        float f = bitsf(w);
        snprintf(buf, sizeof buf, "%.9g", (double)f);
        if (fbits(strtof(buf, NULL)) != w) {
            failures++;
            printf("float round trip failed: %08x %s\n", w, buf);
        }
        for (const char *p = buf; *p; p++) h = h * 131 + (unsigned char)*p;
        snprintf(buf, sizeof buf, "%.6e|%g", d, d);
        for (const char *p = buf; *p; p++) h = h * 131 + (unsigned char)*p;
        if (i < 8) printf("rt%d %s %s\n", i, buf, buf2);
    }
    printf("round trips %d hash=%016llx\n", n, (unsigned long long)h);
    printf("failures %d\n", failures);
    return failures ? 1 : 0;
}
