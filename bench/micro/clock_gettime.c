/* Benchmark kernel: N x clock_gettime(CLOCK_MONOTONIC).
 * glibc 2.36: each call is a real syscall through the gateway page (no hppa vDSO use).
 * glibc 2.41: glibc calls __vdso_clock_gettime64 when the kernel's vDSO exports it.
 *
 *   clock_gettime [N]      (default 100000)
 * stdout is deterministic (call count, monotonicity); the guest-measured cost per
 * call goes to stderr.  Exit status 1 if the clock went backwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000L;
    if (n < 1) n = 1;
    struct timespec t0, prev, now;
    long backwards = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    prev = t0;
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < prev.tv_sec || (now.tv_sec == prev.tv_sec && now.tv_nsec < prev.tv_nsec))
            backwards++;
        prev = now;
    }
    long long ns = (long long)(prev.tv_sec - t0.tv_sec) * 1000000000LL + (prev.tv_nsec - t0.tv_nsec);
    printf("clock_gettime calls: %ld, monotonic: %s\n", n, backwards ? "NO" : "yes");
    fprintf(stderr, "guest-measured: %.1f ns per call\n", (double)ns / (double)n);
    return backwards ? 1 : 0;
}
