/* Demo: the cost of clock_gettime(CLOCK_MONOTONIC).  With glibc 2.36 on hppa every
 * call is a real syscall through the gateway page (2.36 has no hppa vDSO support), so
 * this measures the syscall path.  Built into hppa_user/examples/clock_loop (and, with
 * glibc 2.41, which calls __vdso_clock_gettime64, into clock_loop_241).
 *
 *   clock_loop [N]     N timed calls (default 100000), after N/4 untimed warm-up calls
 * The timed calls run in 10 batches; the report is the best batch's average elapsed
 * nanoseconds per call as seen by the guest's own clock (the steady state: an emulator's
 * JIT compiling code, or the host scheduling something else, spoils a batch, not the
 * figure), then the average over all batches.  Exit status 1 if the clock ever went
 * backwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCHES 10

static long long ns_between(struct timespec a, struct timespec b)
{
    return (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000L;
    if (n < BATCHES) n = BATCHES;
    long per_batch = n / BATCHES;
    struct timespec start, prev, now;
    int backwards = 0;
    for (long i = 0; i < n / 4; i++)
        clock_gettime(CLOCK_MONOTONIC, &now);
    clock_gettime(CLOCK_MONOTONIC, &start);
    prev = start;
    double best = -1.0;
    for (int batch = 0; batch < BATCHES; batch++) {
        struct timespec batch_start = prev;
        for (long i = 0; i < per_batch; i++) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec < prev.tv_sec || (now.tv_sec == prev.tv_sec && now.tv_nsec < prev.tv_nsec))
                backwards++;
            prev = now;
        }
        double ns = (double)ns_between(batch_start, prev) / (double)per_batch;
        if (best < 0 || ns < best)
            best = ns;
    }
    printf("calls: %ld\n", per_batch * BATCHES);
    printf("elapsed-ns per call: %.1f\n", best);
    printf("mean-ns per call: %.1f\n", (double)ns_between(start, prev) / (double)(per_batch * BATCHES));
    if (backwards)
        printf("clock went backwards %d times\n", backwards);
    return backwards ? 1 : 0;
}
