/* Floating point through the PA-RISC FPU (and libgcc/libm soft paths): double and
 * float add/sub/mul/div/sqrt, int<->float conversions, comparisons, printf("%f/%e/%g")
 * and strtod.  Output is printed both with printf and as raw bit patterns.
 *
 *   fp_arith [N]   (default 400)
 * Exit status: 0 if the self-checks passed, else 1.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t seed = 99;
static uint32_t rnd(void) { seed = seed * 1664525u + 1013904223u; return seed; }
static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 400;
    int failures = 0;
    uint64_t h = 0;
    double acc = 0.0;
    float facc = 0.0f;
    for (int i = 0; i < n; i++) {
        int32_t ia = (int32_t)rnd() >> (rnd() & 15);
        int32_t ib = (int32_t)(rnd() % 2000) - 1000;
        double a = (double)ia / 7.0, b = (double)ib + 0.5;
        float fa = (float)ia * 0.25f, fb = (float)ib - 0.25f;
        double s = a + b, d = a - b, m = a * b, q = a / b, r = sqrt(fabs(a));
        float fs = fa + fb, fm = fa * fb, fq = fa / fb;
        int32_t back = (int32_t)fmod(m, 2147483648.0);             /* in range: no UB */
        uint32_t uback = (uint32_t)fmod(fabs(q * 1000.0), 4294967296.0);
        long long ll = (long long)(a * 1024.0);
        h = h * 1099511628211ull ^ dbits(s) ^ dbits(d) ^ dbits(m) ^ dbits(q) ^ dbits(r);
        h = h * 1099511628211ull ^ fbits(fs) ^ fbits(fm) ^ fbits(fq) ^ (uint32_t)back ^ uback ^ (uint64_t)ll;
        h ^= (uint64_t)((a < b) + 2 * (a == b) + 4 * (fa > fb) + 8 * (s >= d));
        acc += q;
        facc += fq;
        if (r * r > fabs(a) * (1 + 1e-15) + 1e-300 || r * r < fabs(a) * (1 - 1e-15)) failures++;
        if (i < 16)
            printf("%2d: a=%.6f b=%.1f s=%.6f m=%.6e q=%.9g r=%.10f back=%d ll=%lld fs=%g fq=%.6g\n",
                   i, a, b, s, m, q, r, back, ll, (double)fs, (double)fq);
    }
    printf("acc=%.12g facc=%.6g hash=%016llx\n", acc, (double)facc, (unsigned long long)h);
    printf("bits: acc=%016llx facc=%08x\n", (unsigned long long)dbits(acc), fbits(facc));

    static const char *nums[] = {"0", "-0.0", "1e10", "3.14159265358979", "-2.5e-7", "1e308", "4.9e-324", "0x1.8p3"};
    for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        double v = strtod(nums[i], NULL);
        printf("strtod(%s) = %.17g = %a bits=%016llx\n", nums[i], v, v, (unsigned long long)dbits(v));
    }
    printf("limits: %g %g %e %.3f %d %d\n", 1.0 / 3.0, 2.0 / 3.0, 1e-5, 2.0005, (int)-3.99, (int)3.99);
    printf("rounding: %.0f %.0f %.0f %.0f %.2f\n", 0.5, 1.5, 2.5, -0.5, 1.005);
    volatile double zero = 0.0;
    double inf = 1.0 / zero, nan = zero / zero;
    printf("special: %f %f %d %d\n", inf, -inf, nan != nan, isinf(inf) != 0);
    printf("failures %d\n", failures);
    return failures ? 1 : 0;
}
