/* libm on hppa (glibc's generic C code, so every result rests on the FPU's IEEE arithmetic):
 * one- and two-argument functions over special and ordinary inputs, printed exactly (%a),
 * plus float and double accumulations (tests/test_fp_libm.py).
 *
 *   fp_libm [N]     N random inputs per function (default 40)
 * Exit status 0.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t s = 0x853c49e6748fea9bull;
static double urand(void)           /* [0, 1) */
{
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(s >> 11) * 0x1p-53;
}

typedef double (*f1)(double);
typedef double (*f2)(double, double);
typedef float (*g1)(float);

struct fn1 { const char *name; f1 f; double lo, hi; };
struct fn2 { const char *name; f2 f; double lo, hi; };
struct gn1 { const char *name; g1 f; float lo, hi; };

static double my_ldexp(double x, double e) { return ldexp(x, (int)e); }
static double my_frexp(double x) { int e; double m = frexp(x, &e); return m + e; }
static double my_modf(double x) { double ip; double fp = modf(x, &ip); return fp * 1e6 + ip; }
static double my_lgamma(double x) { return lgamma(x); }

static const struct fn1 F1[] = {
    {"sin", sin, -10, 10}, {"cos", cos, -10, 10}, {"tan", tan, -3, 3}, {"asin", asin, -1, 1},
    {"acos", acos, -1, 1}, {"atan", atan, -50, 50}, {"sinh", sinh, -20, 20}, {"cosh", cosh, -20, 20},
    {"tanh", tanh, -5, 5}, {"asinh", asinh, -100, 100}, {"acosh", acosh, 1, 100},
    {"atanh", atanh, -1, 1}, {"exp", exp, -700, 700}, {"exp2", exp2, -1000, 1000},
    {"expm1", expm1, -5, 5}, {"log", log, 0, 1e6}, {"log2", log2, 0, 1e6},
    {"log10", log10, 0, 1e6}, {"log1p", log1p, -1, 10}, {"sqrt", sqrt, 0, 1e10},
    {"cbrt", cbrt, -1e6, 1e6}, {"floor", floor, -1e6, 1e6}, {"ceil", ceil, -1e6, 1e6},
    {"round", round, -100, 100}, {"trunc", trunc, -1e6, 1e6}, {"rint", rint, -100, 100},
    {"erf", erf, -4, 4}, {"erfc", erfc, -4, 10}, {"tgamma", tgamma, -5, 30},
    {"lgamma", my_lgamma, -5, 100}, {"fabs", fabs, -1, 1}, {"frexp", my_frexp, -1e10, 1e10},
    {"modf", my_modf, -1e3, 1e3}, {"j0", j0, 0, 30}, {"y1", y1, 0.1, 30},
};
static const struct fn2 F2[] = {
    {"pow", pow, -10, 10}, {"atan2", atan2, -5, 5}, {"fmod", fmod, -1e4, 1e4},
    {"remainder", remainder, -1e4, 1e4}, {"hypot", hypot, -1e5, 1e5}, {"fmax", fmax, -1, 1},
    {"fmin", fmin, -1, 1}, {"fdim", fdim, -10, 10}, {"copysign", copysign, -1, 1},
    {"nextafter", nextafter, -1, 1}, {"ldexp", my_ldexp, -60, 60}, {"fma1", NULL, -10, 10},
};
static const struct gn1 G1[] = {
    {"sinf", sinf, -10, 10}, {"cosf", cosf, -10, 10}, {"expf", expf, -80, 80},
    {"logf", logf, 0, 1e6}, {"sqrtf", sqrtf, 0, 1e6}, {"cbrtf", cbrtf, -1e3, 1e3},
    {"atanf", atanf, -10, 10}, {"tanhf", tanhf, -5, 5}, {"exp2f", exp2f, -100, 100},
    {"log2f", log2f, 0, 1e4}, {"erff", erff, -3, 3},
};

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 40;
    volatile double zero = 0.0;
    const double special[] = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-310, -1e-310, 1e308,
                              -1e308, 1.0 / zero, -1.0 / zero, zero / zero, M_PI, M_PI_2,
                              710.0, -745.2, 1e-8, 3.0};
    int ns = sizeof special / sizeof special[0];

    for (unsigned k = 0; k < sizeof F1 / sizeof F1[0]; k++) {
        uint64_t h = 0;
        printf("%s:", F1[k].name);
        for (int i = 0; i < ns; i++) {
            double r = F1[k].f(special[i]);
            printf(" %a", r);
        }
        for (int i = 0; i < n; i++) {
            double x = F1[k].lo + (F1[k].hi - F1[k].lo) * urand();
            double r = F1[k].f(x);
            h = h * 1000003u ^ dbits(r);
            if (i < 3) printf(" [%a]=%a", x, r);
        }
        printf(" h=%016llx\n", (unsigned long long)h);
    }
    for (unsigned k = 0; k < sizeof F2 / sizeof F2[0]; k++) {
        uint64_t h = 0;
        printf("%s:", F2[k].name);
        for (int i = 0; i < ns; i += 2)
            for (int j = 1; j < ns; j += 3) {
                double r = F2[k].f ? F2[k].f(special[i], special[j])
                                   : fma(special[i], special[j], special[(i + j) % ns]);
                h = h * 1000003u ^ dbits(r);
            }
        printf(" specials h=%016llx", (unsigned long long)h);
        for (int i = 0; i < n; i++) {
            double x = F2[k].lo + (F2[k].hi - F2[k].lo) * urand();
            double y = F2[k].lo + (F2[k].hi - F2[k].lo) * urand();
            if (!strcmp(F2[k].name, "pow") && i % 2) x = fabs(x);
            double r = F2[k].f ? F2[k].f(x, y) : fma(x, y, x * 0.25);
            h = h * 1000003u ^ dbits(r);
            if (i < 3) printf(" [%a,%a]=%a", x, y, r);
        }
        printf(" h=%016llx\n", (unsigned long long)h);
    }
    for (unsigned k = 0; k < sizeof G1 / sizeof G1[0]; k++) {
        uint32_t h = 0;
        printf("%s:", G1[k].name);
        for (int i = 0; i < ns; i++)
            printf(" %08x", fbits(G1[k].f((float)special[i])));
        for (int i = 0; i < n; i++) {
            float x = G1[k].lo + (G1[k].hi - G1[k].lo) * (float)urand();
            float r = G1[k].f(x);
            h = h * 1000003u ^ fbits(r);
            if (i < 2) printf(" [%a]=%a", (double)x, (double)r);
        }
        printf(" h=%08x\n", h);
    }
    printf("powf %a %a %a hypotf %a atan2f %a fmodf %a\n", (double)powf(2.5f, 3.3f),
           (double)powf(-2.0f, 3.0f), (double)powf(0.0f, -1.0f), (double)hypotf(3e30f, 4e30f),
           (double)atan2f(-1.0f, -0.0f), (double)fmodf(1e10f, 3.3f));

    /* accumulations: naive, Kahan, float, mixed; harmonic and alternating series */
    double sum = 0, c = 0, ksum = 0, alt = 0, prod = 1;
    float fsum = 0, fharm = 0;
    for (int i = 1; i <= 20000; i++) {
        double t = 1.0 / i;
        sum += t;
        double y = t - c, u = ksum + y;
        c = (u - ksum) - y;
        ksum = u;
        alt += (i & 1 ? 1.0 : -1.0) / (2 * i - 1);
        prod *= 1.0 + 1e-5 / i;
        fsum += 0.1f;
        fharm += 1.0f / (float)i;
    }
    printf("harmonic %a kahan %a leibniz %a prod %a fsum %a fharm %a\n", sum, ksum, 4 * alt, prod,
           (double)fsum, (double)fharm);
    double dot = 0;
    for (int i = 0; i < 1000; i++) dot += sin(i * 0.01) * cos(i * 0.02);
    printf("dot %.17g %a\n", dot, dot);
    return 0;
}
