/* The vDSO's coarse clock against the kernel's, in programs that make syscalls back to back
 * (the emulator's syscall round trip, which looks whether its tick is due in native code):
 * a coarse time read through the C library (the vDSO, where there is one) is never older
 * than one a syscall returned just before, and it moves on while the program does nothing
 * but syscalls. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static long long ns(const struct timespec *t)
{
    return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
    struct timespec a, b;
    int older = 0;
    for (int i = 0; i < 20000; i++) {
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, &a);
        clock_gettime(CLOCK_MONOTONIC_COARSE, &b);
        if (ns(&b) < ns(&a))
            older++;
    }
    printf("coarse reads older than the syscall's before them: %d\n", older);

    long rounds = 0;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, &a);
    do {
        for (int i = 0; i < 100; i++)
            syscall(SYS_getpid);
        rounds++;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &b);
    } while (ns(&b) - ns(&a) < 30000000LL && rounds < 2000);
    printf("coarse clock moved on 30 ms during getpid calls: %s\n",
           ns(&b) - ns(&a) >= 30000000LL ? "yes" : "no");
    return 0;
}
