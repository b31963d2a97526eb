/* Demo: the cost of clock_gettime(CLOCK_MONOTONIC).  With glibc 2.36 on hppa every
 * call is a real syscall through the gateway page (2.36 has no hppa vDSO support), so
 * this measures the syscall path.  Built into hppa_user/examples/clock_loop.
 *
 *   clock_loop [N]     N calls (default 100000), after N/4 untimed warm-up calls
 * Prints the call count and the average elapsed nanoseconds per timed call as seen by
 * the guest's own clock: the steady state, once an emulator with a JIT has compiled the
 * path (and, on any machine, once caches are warm).  Exit status 1 if the clock ever
 * went backwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000L;
    if (n < 1) n = 1;
    struct timespec start, prev, now;
    int backwards = 0;
    for (long i = 0; i < n / 4; i++)
        clock_gettime(CLOCK_MONOTONIC, &now);
    clock_gettime(CLOCK_MONOTONIC, &start);
    prev = start;
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < prev.tv_sec || (now.tv_sec == prev.tv_sec && now.tv_nsec < prev.tv_nsec))
            backwards++;
        prev = now;
    }
    long long ns = (long long)(prev.tv_sec - start.tv_sec) * 1000000000LL + (prev.tv_nsec - start.tv_nsec);
    printf("calls: %ld\n", n);
    printf("elapsed-ns per call: %.1f\n", (double)ns / (double)n);
    if (backwards)
        printf("clock went backwards %d times\n", backwards);
    return backwards ? 1 : 0;
}
