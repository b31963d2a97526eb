/* One time function, through the C library or as a raw syscall, timed inside the guest:
 * the program behind `hppa-user bench` (bench/report.py).
 *
 *   vdso_calls FUNCTION PATH CALLS BATCHES
 *
 * FUNCTION  clock_gettime:CLOCK (CLOCK: realtime, monotonic, realtime_coarse,
 *           monotonic_coarse, process_cputime), gettimeofday, time, clock_getres (of
 *           CLOCK_MONOTONIC), getcpu; and for scale, syscalls no vDSO serves: getpid (the
 *           trap and return alone), read (1 byte of /dev/zero), write (1 byte to /dev/null)
 * PATH      libc     the C library's function (glibc chooses the vDSO or the syscall)
 *           syscall  syscall(2) with the time64 syscall glibc itself would use
 *           vsyscall the dispatcher of vdso_image/vsyscall/ (built with -DWITH_VSYSCALL)
 *
 * It makes CALLS/4 untimed calls (warm-up: the compiled tier or qemu's translation is in
 * place), then BATCHES batches of CALLS/BATCHES calls, reading CLOCK_MONOTONIC (through
 * the C library) before and after each batch, and prints the best batch's time.  The same binary, CALLS and BATCHES run under every runner.  Instruction
 * counts per call come from outside: the difference between a run with CALLS and one with
 * 0 calls and the same BATCHES, over 5*CALLS/4 calls.
 *
 * stdout: "calls N" (all calls made), "batch_calls P", "best_batch_ns T": P calls took T ns.  Exit status 3 if a call fails (errno on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#ifdef WITH_VSYSCALL
#include <vsyscall.h>
#endif

struct ts64 { long long tv_sec; long long tv_nsec; };   /* the kernel's __kernel_timespec */

enum path { LIBC, SYSCALL, VSYSCALL };
enum func { NONE, CLOCK_GETTIME, GETTIMEOFDAY, TIME, CLOCK_GETRES, GETCPU, GETPID, READ, WRITE };

static enum func func;
static enum path path;
static clockid_t clk = CLOCK_MONOTONIC;
static volatile long long sink;
static int zero_fd = -1, null_fd = -1;     /* read's /dev/zero, write's /dev/null */

static const struct { const char *name; clockid_t id; } clocks[] = {
    {"realtime", CLOCK_REALTIME}, {"monotonic", CLOCK_MONOTONIC},
    {"realtime_coarse", CLOCK_REALTIME_COARSE}, {"monotonic_coarse", CLOCK_MONOTONIC_COARSE},
    {"process_cputime", CLOCK_PROCESS_CPUTIME_ID},
};

static int call(void)
{
    struct timespec ts;
    struct ts64 t64;
    struct timeval tv;
    unsigned cpu = 0, node = 0;
    char byte = 0;                  /* read's and write's */
    long r = 0;

    switch (func) {
    case NONE:
        sink++;
        break;
    case CLOCK_GETTIME:
        if (path == LIBC) { r = clock_gettime(clk, &ts); sink += ts.tv_nsec; }
        else if (path == SYSCALL) { r = syscall(SYS_clock_gettime64, clk, &t64); sink += t64.tv_nsec; }
#ifdef WITH_VSYSCALL
        else { r = vsyscall_clock_gettime(clk, &ts); sink += ts.tv_nsec; }
#endif
        break;
    case GETTIMEOFDAY:
        if (path == LIBC) r = gettimeofday(&tv, NULL);
        else if (path == SYSCALL) r = syscall(SYS_gettimeofday, &tv, NULL);
#ifdef WITH_VSYSCALL
        else r = vsyscall_gettimeofday(&tv, NULL);
#endif
        sink += tv.tv_usec;
        break;
    case TIME:
        if (path == LIBC) r = time(NULL);
        else if (path == SYSCALL) r = syscall(SYS_time, NULL);
#ifdef WITH_VSYSCALL
        else r = vsyscall_time(NULL);
#endif
        sink += r;
        r = r == (time_t)-1 ? -1 : 0;
        break;
    case CLOCK_GETRES:
        if (path == LIBC) { r = clock_getres(clk, &ts); sink += ts.tv_nsec; }
        else if (path == SYSCALL) { r = syscall(SYS_clock_getres_time64, clk, &t64); sink += t64.tv_nsec; }
#ifdef WITH_VSYSCALL
        else { r = vsyscall_clock_getres(clk, &ts); sink += ts.tv_nsec; }
#endif
        break;
    case GETCPU:
        if (path == LIBC) r = getcpu(&cpu, &node);
        else if (path == SYSCALL) r = syscall(SYS_getcpu, &cpu, &node, NULL);
#ifdef WITH_VSYSCALL
        else r = vsyscall_getcpu(&cpu, &node);
#endif
        sink += cpu;
        break;
    case GETPID:                 /* (the raw syscall on every path: nothing else serves it) */
        sink += syscall(SYS_getpid);
        break;
    case READ:
        r = path == LIBC ? read(zero_fd, &byte, 1) : syscall(SYS_read, zero_fd, &byte, 1);
        r = r == 1 ? 0 : -1;
        break;
    case WRITE:
        r = path == LIBC ? write(null_fd, &byte, 1) : syscall(SYS_write, null_fd, &byte, 1);
        r = r == 1 ? 0 : -1;
        break;
    }
    return (int)r;
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr, "usage: vdso_calls FUNCTION libc|syscall|vsyscall CALLS BATCHES\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return usage();
    const char *f = argv[1];
    if (strncmp(f, "clock_gettime:", 14) == 0) {
        func = CLOCK_GETTIME;
        size_t i;
        for (i = 0; i < sizeof clocks / sizeof clocks[0]; i++)
            if (strcmp(f + 14, clocks[i].name) == 0)
                break;
        if (i == sizeof clocks / sizeof clocks[0])
            return usage();
        clk = clocks[i].id;
    } else if (strcmp(f, "gettimeofday") == 0) func = GETTIMEOFDAY;
    else if (strcmp(f, "time") == 0) func = TIME;
    else if (strcmp(f, "clock_getres") == 0) func = CLOCK_GETRES;
    else if (strcmp(f, "getcpu") == 0) func = GETCPU;
    else if (strcmp(f, "getpid") == 0) func = GETPID;
    else if (strcmp(f, "read") == 0) func = READ;
    else if (strcmp(f, "write") == 0) func = WRITE;
    else if (strcmp(f, "none") == 0) func = NONE;
    else return usage();
    if (strcmp(argv[2], "libc") == 0) path = LIBC;
    else if (strcmp(argv[2], "syscall") == 0) path = SYSCALL;
#ifdef WITH_VSYSCALL
    else if (strcmp(argv[2], "vsyscall") == 0) path = VSYSCALL;
#endif
    else return usage();
    long calls = atol(argv[3]), batches = atol(argv[4]);
    if (calls < 0 || batches < 1)
        return usage();
    long per_batch = calls / batches;
    /* (opened whatever the function, so that a run with 0 calls makes the same syscalls) */
    zero_fd = open("/dev/zero", O_RDONLY);
    null_fd = open("/dev/null", O_WRONLY);
    if (zero_fd < 0 || null_fd < 0)
        goto failed;

    for (long i = 0; i < calls / 4; i++)
        if (call() != 0) goto failed;
    /* The loop of each batch is the only thing that grows with CALLS: no division here
     * (64-bit division is a millicode loop whose length depends on the operands), and
     * integers only in the output -- the host divides. */
    long long best = -1;
    for (long b = 0; b < batches; b++) {
        long long t0 = now_ns();
        for (long i = 0; i < per_batch; i++)
            if (call() != 0) goto failed;
        long long t = now_ns() - t0;
        if (best < 0 || t < best)
            best = t;
    }
    printf("calls %ld\nbatch_calls %ld\nbest_batch_ns %lld\n", calls / 4 + per_batch * batches,
           per_batch, best);
    return 0;
failed:
    fprintf(stderr, "vdso_calls: %s failed: %s\n", f, strerror(errno));
    return 3;
}
