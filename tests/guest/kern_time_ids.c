/* Time and identity: every clock, resolutions, gettimeofday/time consistency, times,
   getrusage, uname, sysinfo, ids, process groups, priority, affinity, prctl names, rlimits. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    static const struct { clockid_t id; const char *name; } clocks[] = {
        { CLOCK_REALTIME, "REALTIME" }, { CLOCK_MONOTONIC, "MONOTONIC" },
        { CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME" }, { CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME" },
        { CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" }, { CLOCK_REALTIME_COARSE, "REALTIME_COARSE" },
        { CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" }, { CLOCK_BOOTTIME, "BOOTTIME" },
        { CLOCK_TAI, "TAI" }, { 10, "invalid10" }, { 99, "invalid99" },
    };
    for (unsigned i = 0; i < sizeof clocks / sizeof *clocks; i++) {
        struct timespec a, b, r;
        errno = 0;
        int ra = clock_gettime(clocks[i].id, &a);
        int rb = clock_gettime(clocks[i].id, &b);
        int rr = clock_getres(clocks[i].id, &r);
        int mono = ra == 0 && (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
        printf("%-17s get=%d res=%d monotone=%d nsec_ok=%d res_ok=%d errno=%d\n", clocks[i].name, ra, rr,
               mono, ra == 0 ? (a.tv_nsec >= 0 && a.tv_nsec < 1000000000) : -1,
               rr == 0 ? (r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000) : -1, errno);
    }
    struct timespec rt;
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &rt);
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    /* time() reads Linux's coarse clock, which may be a tick behind: a second boundary
       between the calls can put it one second below clock_gettime's */
    printf("realtime consistent: %d %d\n", tv.tv_sec - rt.tv_sec <= 1 && tv.tv_sec >= rt.tv_sec,
           t - rt.tv_sec <= 1 && t >= rt.tv_sec - 1);
    printf("year ok: %d\n", rt.tv_sec > 1700000000);

    /* CPU time advances with work */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 3000000; i++) x += i;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("cpu time advanced: %d\n", c1.tv_sec > c0.tv_sec || c1.tv_nsec > c0.tv_nsec);
    struct tms tm;
    clock_t ct = times(&tm);
    printf("times: ok=%d\n", ct != (clock_t)-1);
    struct rusage ru;
    printf("getrusage: %d maxrss>0=%d bad=%d\n", getrusage(RUSAGE_SELF, &ru), ru.ru_maxrss > 0,
           getrusage(42, &ru) == -1 && errno == EINVAL);

    struct utsname u;
    uname(&u);
    printf("uname: sysname=%s machine=%s\n", u.sysname, u.machine);
    struct sysinfo si;
    printf("sysinfo: %d ram>0=%d unit>0=%d\n", sysinfo(&si), si.totalram > 0, si.mem_unit > 0);

    printf("ids: uid=%d euid=%d gid=%d egid=%d\n", getuid() == geteuid(), 1, getgid() == getegid(), 1);
    printf("pid>1: %d ppid>0: %d tid==pid: %d\n", getpid() > 1, getppid() > 0, gettid() == getpid());
    printf("getpgrp==getpgid(0): %d getsid(0)>0: %d\n", getpgrp() == getpgid(0), getsid(0) > 0);
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: %d errno=%d\n", prio, errno);
    cpu_set_t set;
    CPU_ZERO(&set);
    printf("sched_getaffinity: %d count>0=%d\n", sched_getaffinity(0, sizeof set, &set), CPU_COUNT(&set) > 0);
    printf("sched_getscheduler: %d\n", sched_getscheduler(0));
    printf("sched_yield: %d\n", sched_yield());

    char name[17] = {0};
    printf("prctl set: %d\n", prctl(PR_SET_NAME, "hppa-test-name", 0, 0, 0));
    prctl(PR_GET_NAME, name, 0, 0, 0);
    printf("prctl get: %s\n", name);
    prctl(PR_SET_NAME, "a-very-long-process-name-here", 0, 0, 0);
    prctl(PR_GET_NAME, name, 0, 0, 0);
    printf("prctl truncated: %s\n", name);
    unsigned cpu = 99, node = 99;
    printf("getcpu: %d cpu_ok=%d\n", getcpu(&cpu, &node), cpu < 4096);

    struct rlimit rl;
    printf("getrlimit NOFILE: %d soft>0=%d\n", getrlimit(RLIMIT_NOFILE, &rl), rl.rlim_cur > 0);
    struct rlimit nl = { 64, rl.rlim_max };
    printf("setrlimit NOFILE 64: %d\n", setrlimit(RLIMIT_NOFILE, &nl));
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("now: %ld\n", (long)rl.rlim_cur);
    nl.rlim_cur = nl.rlim_max + 1;
    printf("soft>hard: %d errno=%d\n", setrlimit(RLIMIT_NOFILE, &nl), errno == EINVAL);
    printf("bad resource: %d\n", getrlimit(99, &rl) == -1 && errno == EINVAL);
    return 0;
}
