/* startup_probe.c: the guest program of `hppa-user startup-check`.
 *
 * Everything interesting happens before main: the start-up the emulator records (syscalls,
 * the vDSO glibc found, the instruction count). main then uses each time function once, so
 * the record also shows which of them glibc sends through the vDSO, and prints only facts
 * that do not change from run to run:
 *
 *   AT_SYSINFO_EHDR present|absent
 *   clock_gettime(CLOCK_REALTIME) = 0 | -1 ENAME      (then "in range" checks below)
 *   ...
 *   realtime consistent|inconsistent    clock_gettime, gettimeofday and time agree (2 s),
 *                                      or "not compared" when a call failed
 *
 * Exit status 0 iff every call succeeded with values in range and they agree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

static int bad;

static void report(const char *what, long r, int err, int in_range)
{
	if (r == -1) {
		const char *name = strerrorname_np(err);
		printf("%s = -1 %s\n", what, name ? name : "?");
		bad = 1;
	} else {
		printf("%s = %s\n", what, in_range ? "ok" : "out of range");
		bad |= !in_range;
	}
}

static int ts_ok(const struct timespec *ts) { return ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000; }

int main(void)
{
	static const struct { clockid_t id; const char *name; } clocks[] = {
		{ CLOCK_REALTIME, "CLOCK_REALTIME" },
		{ CLOCK_MONOTONIC, "CLOCK_MONOTONIC" },
		{ CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE" },
		{ CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID" },
	};
	char what[64];
	struct timespec ts, rt = { 0, 0 };
	struct timeval tv = { 0, 0 };

	printf("AT_SYSINFO_EHDR %s\n", getauxval(AT_SYSINFO_EHDR) ? "present" : "absent");
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		errno = 0;
		int r = clock_gettime(clocks[i].id, &ts);
		snprintf(what, sizeof what, "clock_gettime(%s)", clocks[i].name);
		report(what, r, errno, ts_ok(&ts));
		if (i == 0 && r == 0)
			rt = ts;
	}
	errno = 0;
	int r = gettimeofday(&tv, NULL);
	report("gettimeofday", r, errno, tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	errno = 0;
	time_t t = time(NULL);
	report("time", t, errno, t > 0);
	errno = 0;
	r = clock_getres(CLOCK_MONOTONIC, &ts);
	report("clock_getres(CLOCK_MONOTONIC)", r, errno, ts_ok(&ts) && ts.tv_sec == 0 && ts.tv_nsec > 0);

	if (bad) {
		printf("realtime not compared (a call failed)\n");
		return 1;
	}
	long d1 = (long)(tv.tv_sec - rt.tv_sec), d2 = (long)(t - rt.tv_sec);
	int consistent = d1 >= -2 && d1 <= 2 && d2 >= -2 && d2 <= 2;
	printf("realtime %s\n", consistent ? "consistent" : "inconsistent");
	return !consistent;
}
