/* <fenv.h> on hppa (tests/test_fp_libm.py): rounding modes (fesetround) seen by arithmetic,
 * conversions, rint/lrint/llrint/nearbyint and printf; exception flags raised by each kind
 * of operation (feclearexcept/fetestexcept, fegetexceptflag, feholdexcept/feupdateenv);
 * and every comparison, ordered and unordered, with the INVALID flag each one leaves.
 * Exit status 0.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static void flags(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%-22s %s%s%s%s%s%s\n", what, f & FE_INVALID ? " INVALID" : "",
           f & FE_DIVBYZERO ? " DIVBYZERO" : "", f & FE_OVERFLOW ? " OVERFLOW" : "",
           f & FE_UNDERFLOW ? " UNDERFLOW" : "", f & FE_INEXACT ? " INEXACT" : "", f ? "" : " -");
}

volatile double vz = 0.0, v1 = 1.0, v3 = 3.0, vmax = DBL_MAX, vmin = DBL_MIN, vneg = -1.0;
volatile float fz = 0.0f, f1 = 1.0f, f3 = 3.0f, fmax_ = FLT_MAX, fmin_ = FLT_MIN;
volatile double vnan, vinf;
volatile double sink;
volatile float fsink;
volatile int isink;

int main(void)
{
    static const struct { int mode; const char *name; } modes[] = {
        {FE_TONEAREST, "nearest"}, {FE_UPWARD, "upward"}, {FE_DOWNWARD, "downward"},
        {FE_TOWARDZERO, "towardzero"},
    };
    static const double rv[] = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.7, -3.7, 1e15 + 0.5,
                                4503599627370495.5, -0.0, 2147483647.5};
    printf("default mode %d (nearest %d)\n", fegetround(), FE_TONEAREST);
    for (unsigned m = 0; m < 4; m++) {
        if (fesetround(modes[m].mode) != 0) printf("fesetround failed\n");
        printf("mode %s: fegetround=%d\n", modes[m].name, fegetround() == modes[m].mode);
        double third = v1 / v3, mthird = vneg / v3;
        float fthird = f1 / f3;
        printf("  1/3=%a -1/3=%a f1/3=%a sqrt2=%a 1e308*10=%a min/3=%a\n", third, mthird,
               (double)fthird, sqrt(2.0 * v1), vmax * 10 * v1, vmin / v3);
        printf("  (float)(1/3)=%08x (float)0.1=%08x (double)(int)1e9+1/3=%a i2f=%08x\n",
               fbits((float)third), fbits((float)(v1 / 10)), (double)1000000001 + third,
               fbits((float)(int)(16777217 * (int)v1)));
        printf("  exp(1)=%a log(10)=%a sin(1)=%a pow(1.1,10)=%a\n", exp(v1), log(10 * v1),
               sin(v1), pow(1.1 * v1, 10.0));
        for (unsigned i = 0; i < sizeof rv / sizeof rv[0]; i++) {
            volatile double x = rv[i];
            printf("  rint(%g)=%g nearbyint=%g lrint=%ld llrint=%lld rintf=%g (int)=%d lround=%ld\n",
                   x, rint(x), nearbyint(x), lrint(x), llrint(x), (double)rintf((float)x), (int)x,
                   lround(x));
        }
        printf("  printf %.3f %.0f %.0f %.2e %.20f\n", 2.0005, 0.5 * v1, 2.5 * v1, 12345.0 * v1, third);
    }
    fesetround(FE_TONEAREST);

    /* exception flags */
    vnan = vz / vz;
    vinf = v1 / vz;
    feclearexcept(FE_ALL_EXCEPT); flags("nothing");
    feclearexcept(FE_ALL_EXCEPT); sink = v1 / vz; flags("1/0");
    feclearexcept(FE_ALL_EXCEPT); sink = vz / vz; flags("0/0");
    feclearexcept(FE_ALL_EXCEPT); sink = vinf - vinf; flags("inf-inf");
    feclearexcept(FE_ALL_EXCEPT); sink = vinf * vz; flags("inf*0");
    feclearexcept(FE_ALL_EXCEPT); sink = vmax * 2; flags("max*2");
    feclearexcept(FE_ALL_EXCEPT); sink = vmin / 3; flags("min/3");
    feclearexcept(FE_ALL_EXCEPT); sink = vmin / 2; flags("min/2 (exact)");
    feclearexcept(FE_ALL_EXCEPT); sink = v1 / v3; flags("1/3");
    feclearexcept(FE_ALL_EXCEPT); sink = v1 + v3; flags("1+3");
    feclearexcept(FE_ALL_EXCEPT); sink = sqrt(vneg); flags("sqrt(-1)");
    feclearexcept(FE_ALL_EXCEPT); sink = sqrt(v3); flags("sqrt(3)");
    feclearexcept(FE_ALL_EXCEPT); sink = log(vz); flags("log(0)");
    feclearexcept(FE_ALL_EXCEPT); sink = exp(1000 * v1); flags("exp(1000)");
    feclearexcept(FE_ALL_EXCEPT); sink = vnan + v1; flags("qnan+1");
    feclearexcept(FE_ALL_EXCEPT); isink = (int)vnan; flags("(int)nan");
    feclearexcept(FE_ALL_EXCEPT); isink = (int)(vmax); flags("(int)max");
    feclearexcept(FE_ALL_EXCEPT); isink = (int)(v1 / v3 * 10); flags("(int)3.33");
    feclearexcept(FE_ALL_EXCEPT); fsink = (float)vmax; flags("(float)max");
    feclearexcept(FE_ALL_EXCEPT); fsink = (float)(v1 / v3); flags("(float)(1/3)");
    feclearexcept(FE_ALL_EXCEPT); fsink = (float)vmin; flags("(float)min");
    feclearexcept(FE_ALL_EXCEPT); fsink = f1 / fz; flags("1f/0f");
    feclearexcept(FE_ALL_EXCEPT); fsink = fmax_ * 2; flags("fmax*2");
    feclearexcept(FE_ALL_EXCEPT); fsink = fmin_ / 3; flags("fmin/3");
    feclearexcept(FE_ALL_EXCEPT); sink = (double)16777217; fsink = (float)(int)(16777217 * (int)v1);
    flags("(float)16777217");
    feclearexcept(FE_ALL_EXCEPT); feraiseexcept(FE_OVERFLOW | FE_INEXACT); flags("raise O|I");
    fexcept_t saved;
    fegetexceptflag(&saved, FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT); flags("cleared");
    fesetexceptflag(&saved, FE_OVERFLOW); flags("restored O");
    fenv_t env;
    feclearexcept(FE_ALL_EXCEPT);
    sink = v1 / v3;
    feholdexcept(&env); flags("held");
    sink = v1 / vz; flags("1/0 while held");
    feupdateenv(&env); flags("updated");
    fesetround(FE_UPWARD);
    fegetenv(&env);
    fesetround(FE_TONEAREST);
    fesetenv(&env);
    printf("fesetenv restores mode: %d\n", fegetround() == FE_UPWARD);
    fesetenv(FE_DFL_ENV);
    printf("FE_DFL_ENV mode: %d\n", fegetround() == FE_TONEAREST);

    /* comparisons, ordered and unordered, with the INVALID flag they leave */
    const double cv[] = {vnan, -vinf, -1.0, -0.0, 0.0, 1.0, vinf};
    const char *cn[] = {"nan", "-inf", "-1", "-0", "0", "1", "inf"};
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            volatile double a = cv[i], b = cv[j];
            char r[64], *p = r;
            int inv = 0;
#define T(expr) do { feclearexcept(FE_ALL_EXCEPT); *p++ = (expr) ? '1' : '0'; \
                     inv = inv * 2 + (fetestexcept(FE_INVALID) != 0); } while (0)
            T(a < b); T(a <= b); T(a == b); T(a != b); T(a > b); T(a >= b);
            T(isless(a, b)); T(islessequal(a, b)); T(isgreater(a, b)); T(isgreaterequal(a, b));
            T(islessgreater(a, b)); T(isunordered(a, b));
            volatile float fa = (float)a, fb = (float)b;
            T(fa < fb); T(fa == fb); T(isgreater(fa, fb)); T(isunordered(fa, fb));
            *p = 0;
            printf("cmp %4s %4s %s invalid=%04x\n", cn[i], cn[j], r, inv);
        }
    printf("fpclassify %d %d %d %d %d signbit %d %d\n", fpclassify(vnan), fpclassify(vinf),
           fpclassify(vz), fpclassify(1e-310 * v1), fpclassify(v1), signbit(-vz) != 0,
           signbit(vnan) != 0);
    printf("bits nan=%016llx -nan=%016llx nanf=%08x NAN=%08x\n", (unsigned long long)dbits(vnan),
           (unsigned long long)dbits(-vnan), fbits((float)vnan), fbits(NAN));
    return 0;
}
