#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000L;
    struct timespec a, b;
    long s = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) s += syscall(SYS_getpid) > 0;
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("getpid calls: %ld ok: %ld\n", n, s);
    fprintf(stderr, "guest-measured: %.1f ns per call\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    return 0;
}
