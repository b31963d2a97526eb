/* Enabled floating-point exceptions trap (tests/test_fp_libm.py).
 *
 *   fp_trap kill               feenableexcept(FE_DIVBYZERO); 1.0/0.0: killed by SIGFPE (136)
 *   fp_trap handler EXC        a SA_SIGINFO handler reports si_signo and si_code, then _exit(0);
 *                              EXC: divbyzero (FPE_FLTDIV), invalid (FPE_FLTINV),
 *                              overflow (FPE_FLTOVF), underflow (FPE_FLTUND), inexact (FPE_FLTRES),
 *                              float (1.0f/0.0f, FPE_FLTDIV), convert ((int)NaN, FPE_FLTINV),
 *                              compare (NaN < 1, FPE_FLTINV)
 *   fp_trap masked             the same operations with nothing enabled: no signal, flags only
 * fegetexcept() before the operation is printed too.
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile double vz = 0.0, v1 = 1.0, v3 = 3.0, vmax = DBL_MAX, vmin = DBL_MIN, vnan;
volatile float fz = 0.0f, f1 = 1.0f;
volatile double sink;
volatile float fsink;
volatile int isink;

static const char *code_name(int c)
{
    switch (c) {
    case FPE_INTDIV: return "FPE_INTDIV";
    case FPE_INTOVF: return "FPE_INTOVF";
    case FPE_FLTDIV: return "FPE_FLTDIV";
    case FPE_FLTOVF: return "FPE_FLTOVF";
    case FPE_FLTUND: return "FPE_FLTUND";
    case FPE_FLTRES: return "FPE_FLTRES";
    case FPE_FLTINV: return "FPE_FLTINV";
    case FPE_FLTSUB: return "FPE_FLTSUB";
    default: return "?";
    }
}

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char buf[160];
    int n = snprintf(buf, sizeof buf, "handler: signal %d si_signo %d si_code %d (%s) si_addr %s\n",
                     sig, si->si_signo, si->si_code, code_name(si->si_code),
                     si->si_addr ? "nonzero" : "NULL");
    write(1, buf, n);
    _exit(0);
}

static int operation(const char *what)
{
    if (!strcmp(what, "divbyzero")) { sink = v1 / vz; return FE_DIVBYZERO; }
    if (!strcmp(what, "invalid")) { sink = vz / vz; return FE_INVALID; }
    if (!strcmp(what, "overflow")) { sink = vmax * 2.0; return FE_OVERFLOW; }
    if (!strcmp(what, "underflow")) { sink = vmin / 3.0; return FE_UNDERFLOW; }
    if (!strcmp(what, "inexact")) { sink = v1 / v3; return FE_INEXACT; }
    if (!strcmp(what, "float")) { fsink = f1 / fz; return FE_DIVBYZERO; }
    if (!strcmp(what, "convert")) { isink = (int)vnan; return FE_INVALID; }
    if (!strcmp(what, "compare")) { isink = vnan < v1; return FE_INVALID; }
    return -1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "kill";
    vnan = vz / vz;                                  /* before anything is enabled */
    feclearexcept(FE_ALL_EXCEPT);
    if (!strcmp(mode, "kill")) {
        int prev = feenableexcept(FE_DIVBYZERO);
        printf("previously enabled %#x, now %#x\n", prev, fegetexcept());
        fflush(stdout);
        sink = v1 / vz;
        printf("not reached: %g\n", sink);
        return 1;
    }
    if (!strcmp(mode, "handler") && argc > 2) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGFPE, &sa, NULL);
        feclearexcept(FE_ALL_EXCEPT);
        int exc = operation(argv[2]);                /* first with the trap disabled: flags */
        printf("%s disabled: flags %#x (expected %#x)\n", argv[2], fetestexcept(FE_ALL_EXCEPT) & exc, exc);
        feclearexcept(FE_ALL_EXCEPT);
        feenableexcept(exc);
        printf("%s enabled %#x\n", argv[2], fegetexcept());
        fflush(stdout);
        operation(argv[2]);
        /* PA-RISC traps on the next FP instruction after the excepting one at the latest */
        sink = sink + 1.0;
        printf("not reached\n");
        return 1;
    }
    if (!strcmp(mode, "masked")) {
        static const char *ops[] = {"divbyzero", "invalid", "overflow", "underflow", "inexact",
                                    "float", "convert", "compare"};
        for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
            feclearexcept(FE_ALL_EXCEPT);
            int exc = operation(ops[i]);
            printf("%-10s flags %#04x expected %#04x\n", ops[i], fetestexcept(FE_ALL_EXCEPT), exc);
        }
        return 0;
    }
    fprintf(stderr, "usage: fp_trap kill | handler EXC | masked\n");
    return 2;
}
