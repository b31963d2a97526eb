/* vsyscall_check.c: the vsyscall dispatcher (vsyscall.h) against the raw syscalls.
 *
 * Build: hppa-user cc [--glibc V] --vsyscall -o vsyscall_check vsyscall_check.c
 * Usage: vsyscall_check [REPS]   (default 3 calls of each case)
 *
 * Output, no raw times except one "realtime SEC" line (checked against the host clock):
 *   path FN vdso|syscall       what vsyscall_path(FN) says, for the six functions
 *   OK what / FAIL what: why   each dispatched call bracketed by two syscalls: the same
 *                              return value and errno, a value between the two readings
 *                              (within the clock's slack), equal resolutions / cpu / timezone
 *   calls FN N                 how many times this program called vsyscall_FN
 * Exit status 0 iff no FAIL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vsyscall.h"

#define NR_clock_gettime32 256
#define NR_clock_getres32 257
#define NR_clock_gettime64 403
#define NR_gettimeofday 78
#define NR_time 13
#define NR_getcpu 296

enum { F_CLOCK_GETTIME, F_CLOCK_GETTIME64, F_GETTIMEOFDAY, F_TIME, F_CLOCK_GETRES, F_GETCPU, NF };
static const char *const fnames[NF] = {
	"clock_gettime", "clock_gettime64", "gettimeofday", "time", "clock_getres", "getcpu",
};
static int calls[NF];
static int failures;

static void check(int good, const char *fmt, int arg, const char *why)
{
	char what[96];
	snprintf(what, sizeof what, fmt, arg);
	if (good)
		printf("OK %s\n", what);
	else {
		printf("FAIL %s: %s\n", what, why);
		failures++;
	}
}

/* libc result + errno of a dispatched call, and the same for the raw syscall */
struct outcome { long ret; int err; };
static struct outcome sys_outcome(long r) { return (struct outcome){ r, r == -1 ? errno : 0 }; }
static int same(struct outcome a, struct outcome b) { return a.ret == b.ret && a.err == b.err; }

static const int clocks[] = { 0, 1, 4, 7, 11, 5, 6, 2, 3, 100, -1 };
#define NCLOCKS (int)(sizeof clocks / sizeof clocks[0])

/* how far a reading may lie outside its syscall bracket, ns (-1: not comparable) */
static int64_t slack_ns(int clk)
{
	struct timespec r;
	switch (clk) {
	case 1: return 0;					/* MONOTONIC */
	case 0: case 4: case 7: case 11: return 1000000;	/* other fine clocks: 1 ms */
	case 5: case 6:						/* coarse: one tick */
		return syscall(NR_clock_getres32, clk, &r) == 0 ? r.tv_nsec : 10000000;
	default: return -1;					/* CPU time, invalid */
	}
}

/* clock_gettime or clock_gettime64 (FN, syscall NR, timespec type TS) for every clock id */
#define CLOCK_CASES(name, fn, nr, TS, counter)						\
static void name(void)									\
{											\
	for (int i = 0; i < NCLOCKS; i++) {						\
		int c = clocks[i];							\
		TS s1, v, s2;								\
		struct outcome r1 = sys_outcome(syscall(nr, c, &s1));			\
		errno = 0;								\
		struct outcome rv = { fn(c, &v), 0 };					\
		rv.err = rv.ret == -1 ? errno : 0;					\
		calls[counter]++;							\
		syscall(nr, c, &s2);							\
		int64_t a = s1.tv_sec * 1000000000LL + s1.tv_nsec,			\
			b = v.tv_sec * 1000000000LL + v.tv_nsec,			\
			d = s2.tv_sec * 1000000000LL + s2.tv_nsec, slack = slack_ns(c);	\
		check(same(rv, r1) && (rv.ret != 0 || slack < 0 ||			\
				       (b >= a - slack && b <= d + slack)),		\
		      #fn "(%d)", c, "differs from the syscall");			\
	}										\
}
CLOCK_CASES(clock_gettime_cases, vsyscall_clock_gettime, NR_clock_gettime32, struct timespec,
	    F_CLOCK_GETTIME)
CLOCK_CASES(clock_gettime64_cases, vsyscall_clock_gettime64, NR_clock_gettime64,
	    struct vsyscall_timespec64, F_CLOCK_GETTIME64)

static void other_cases(void)
{
	struct timeval t1, tv, t2;
	struct timezone z1, zv;
	syscall(NR_gettimeofday, &t1, &z1);
	memset(&zv, 0x55, sizeof zv);
	int r = vsyscall_gettimeofday(&tv, &zv);
	calls[F_GETTIMEOFDAY]++;
	syscall(NR_gettimeofday, &t2, NULL);
	int64_t a = t1.tv_sec * 1000000LL + t1.tv_usec, b = tv.tv_sec * 1000000LL + tv.tv_usec,
		d = t2.tv_sec * 1000000LL + t2.tv_usec;
	check(r == 0 && b >= a - 1000 && b <= d + 1000 && zv.tz_minuteswest == z1.tz_minuteswest &&
	      zv.tz_dsttime == z1.tz_dsttime, "vsyscall_gettimeofday%.0d", 0, "differs from the syscall");

	time_t tt = 0x55555555;
	long s1 = syscall(NR_time, NULL);
	time_t v = vsyscall_time(&tt);
	calls[F_TIME]++;
	long s2 = syscall(NR_time, NULL);
	check(v == tt && v >= s1 && v <= s2, "vsyscall_time%.0d", 0, "outside the syscall bracket");

	for (int i = 0; i < NCLOCKS; i++) {
		struct timespec rs = { 0, 0 }, rv = { -1, -1 };
		struct outcome o1 = sys_outcome(syscall(NR_clock_getres32, clocks[i], &rs));
		errno = 0;
		struct outcome ov = { vsyscall_clock_getres(clocks[i], &rv), 0 };
		ov.err = ov.ret == -1 ? errno : 0;
		calls[F_CLOCK_GETRES]++;
		check(same(ov, o1) && (ov.ret != 0 || (rv.tv_sec == rs.tv_sec && rv.tv_nsec == rs.tv_nsec)),
		      "vsyscall_clock_getres(%d)", clocks[i], "differs from the syscall");
	}

	unsigned sc = 77, sn = 77, vc = 99, vn = 99;
	long rs = syscall(NR_getcpu, &sc, &sn, NULL);
	r = vsyscall_getcpu(&vc, &vn);
	calls[F_GETCPU]++;
	check(r == rs && vc == sc && vn == sn, "vsyscall_getcpu%.0d", 0, "differs from the syscall");
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 3;

	for (int f = 0; f < NF; f++) {
		const char *p = vsyscall_path(fnames[f]);
		printf("path %s %s\n", fnames[f], p ? p : "(null)");
	}
	errno = 0;
	check(vsyscall_path("no_such_function") == NULL && errno == EINVAL,
	      "vsyscall_path(unknown)%.0d", 0, "not NULL/EINVAL");
	check(vsyscall_path("vsyscall_time") == vsyscall_path("time"),
	      "vsyscall_path(vsyscall_time)%.0d", 0, "differs from vsyscall_path(time)");

	for (int i = 0; i < reps; i++) {
		clock_gettime_cases();
		clock_gettime64_cases();
		other_cases();
	}
	struct vsyscall_timespec64 now;
	vsyscall_clock_gettime64(0, &now);
	calls[F_CLOCK_GETTIME64]++;
	printf("realtime %lld\n", now.tv_sec);
	for (int f = 0; f < NF; f++)
		printf("calls %s %d\n", fnames[f], calls[f]);
	return failures != 0;
}
