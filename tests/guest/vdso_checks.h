/* vdso_checks.h: the kernel-selftest-style checks shared by the vDSO guest programs: each
 * test_*() calls one vDSO function (by code address or through a function descriptor, as
 * the caller got it) for every clock id, valid and invalid, and compares result and return
 * value with the syscall. Output: "OK what" / "FAIL what: why" lines; ``failures`` counts. */
#ifndef VDSO_CHECKS_H
#define VDSO_CHECKS_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clock_gettime64
#define SYS_clock_gettime64 403
#endif
#define NR_clock_gettime32 256
#define NR_clock_getres32 257
#define NR_gettimeofday 78
#define NR_time 13
#define NR_getcpu 296

#include "vdso_types.h"

static int failures;

static void ok(const char *what) { printf("OK %s\n", what); }
static void fail(const char *what, const char *why)
{
	printf("FAIL %s: %s\n", what, why);
	failures++;
}

/* A raw syscall result: 0/positive, or -errno. */
static long raw(long r) { return r == -1 ? -errno : r; }

/* Call through a function descriptor (plabel with bit 1 set) whose gp is garbage, like
 * glibc's _dl_make_fptr descriptors for the vDSO; the function must not use %r19. */
struct fdesc { uintptr_t addr, gp; };
static struct fdesc descs[16];
static int ndescs;
static void *via_descriptor(void *code)
{
	struct fdesc *d = &descs[ndescs++ % 16];
	d->addr = (uintptr_t)code;
	d->gp = 0xdead0000u;
	return (void *)((uintptr_t)d | 2);
}

static int64_t ns64(const struct ts64 *t) { return t->sec * 1000000000LL + t->nsec; }

static const int clocks[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 10, 12, 15, 16, 100, -1, -6, -14 };
#define NCLK (int)(sizeof clocks / sizeof clocks[0])

/* Fine clocks other than MONOTONIC may differ from the syscall by a little (the kernel model
 * derives them from MONOTONIC plus a measured offset); coarse clocks by their resolution. */
static int64_t slack_ns(int clk)
{
	switch (clk) {
	case 1: return 0;				/* MONOTONIC: exact */
	case 0: case 4: case 7: case 11: return 1000000;	/* 1 ms */
	case 5: case 6: {
		struct ts32 r;
		if (syscall(NR_clock_getres32, clk, &r) == 0)
			return (int64_t)r.sec * 1000000000LL + r.nsec;
		return 10000000;
	}
	default: return -1;				/* not comparable (CPU time, alarm) */
	}
}

static void test_clock_gettime64(void *code, const char *how)
{
	char what[128];
	cgt64_fn f = (cgt64_fn)code;
	for (int i = 0; i < NCLK; i++) {
		int c = clocks[i];
		struct ts64 s1, v, s2;
		long r1 = raw(syscall(SYS_clock_gettime64, c, &s1));
		memset(&v, 0x55, sizeof v);
		long rv = f(c, &v);
		long r2 = raw(syscall(SYS_clock_gettime64, c, &s2));
		snprintf(what, sizeof what, "__vdso_clock_gettime64(%d) %s", c, how);
		if (rv != r1 || rv != r2) { fail(what, "return value differs from the syscall"); continue; }
		if (rv != 0) { ok(what); continue; }
		if (v.nsec < 0 || v.nsec >= 1000000000) { fail(what, "tv_nsec out of range"); continue; }
		int64_t slack = slack_ns(c);
		if (slack >= 0 && (ns64(&v) < ns64(&s1) - slack || ns64(&v) > ns64(&s2) + slack)) {
			fail(what, "time outside the syscall bracket");
			continue;
		}
		ok(what);
	}
	snprintf(what, sizeof what, "__vdso_clock_gettime64(1, NULL) %s", how);
	if (f(1, NULL) == raw(syscall(SYS_clock_gettime64, 1, NULL))) ok(what);
	else fail(what, "differs from the syscall");
}

static void test_clock_gettime32(void *code, const char *how)
{
	char what[128];
	cgt32_fn f = (cgt32_fn)code;
	for (int i = 0; i < NCLK; i++) {
		int c = clocks[i];
		struct ts32 s1, v, s2;
		long r1 = raw(syscall(NR_clock_gettime32, c, &s1));
		memset(&v, 0x55, sizeof v);
		long rv = f(c, &v);
		long r2 = raw(syscall(NR_clock_gettime32, c, &s2));
		snprintf(what, sizeof what, "__vdso_clock_gettime(%d) %s", c, how);
		if (rv != r1 || rv != r2) { fail(what, "return value differs from the syscall"); continue; }
		if (rv != 0) { ok(what); continue; }
		struct ts64 a = { s1.sec, s1.nsec }, b = { v.sec, v.nsec }, d = { s2.sec, s2.nsec };
		int64_t slack = slack_ns(c);
		if (v.nsec < 0 || v.nsec >= 1000000000) { fail(what, "tv_nsec out of range"); continue; }
		if (slack >= 0 && (ns64(&b) < ns64(&a) - slack || ns64(&b) > ns64(&d) + slack)) {
			fail(what, "time outside the syscall bracket");
			continue;
		}
		ok(what);
	}
}

static void test_gettimeofday(void *code, const char *how)
{
	char what[128];
	gtod_fn f = (gtod_fn)code;
	struct tv32 s1, v, s2;
	struct tz32 zs, zv;
	snprintf(what, sizeof what, "__vdso_gettimeofday(tv, tz) %s", how);
	long r1 = raw(syscall(NR_gettimeofday, &s1, &zs));
	memset(&zv, 0x55, sizeof zv);
	long rv = f(&v, &zv);
	long r2 = raw(syscall(NR_gettimeofday, &s2, NULL));
	int64_t a = s1.sec * 1000000LL + s1.usec, b = v.sec * 1000000LL + v.usec,
		c = s2.sec * 1000000LL + s2.usec;
	if (rv != r1 || rv != r2) fail(what, "return value differs from the syscall");
	else if (v.usec < 0 || v.usec >= 1000000) fail(what, "tv_usec out of range");
	else if (b < a - 1000 || b > c + 1000) fail(what, "time outside the syscall bracket");
	else if (zv.minuteswest != zs.minuteswest || zv.dsttime != zs.dsttime) fail(what, "timezone differs");
	else ok(what);

	snprintf(what, sizeof what, "__vdso_gettimeofday(NULL, NULL) %s", how);
	if (f(NULL, NULL) == raw(syscall(NR_gettimeofday, NULL, NULL))) ok(what);
	else fail(what, "differs from the syscall");
	snprintf(what, sizeof what, "__vdso_gettimeofday(NULL, tz) %s", how);
	memset(&zv, 0x55, sizeof zv);
	if (f(NULL, &zv) == 0 && zv.minuteswest == zs.minuteswest && zv.dsttime == zs.dsttime) ok(what);
	else fail(what, "differs from the syscall");
}

static void test_time(void *code, const char *how)
{
	char what[128];
	time_fn f = (time_fn)code;
	int32_t t = 0x55555555;
	snprintf(what, sizeof what, "__vdso_time(&t) %s", how);
	long s1 = raw(syscall(NR_time, NULL));
	int32_t v = f(&t);
	long s2 = raw(syscall(NR_time, NULL));
	if (v != t) fail(what, "return value and *t differ");
	else if (v < s1 || v > s2) fail(what, "time outside the syscall bracket");
	else ok(what);
	snprintf(what, sizeof what, "__vdso_time(NULL) %s", how);
	s1 = raw(syscall(NR_time, NULL));
	v = f(NULL);
	s2 = raw(syscall(NR_time, NULL));
	if (v < s1 || v > s2) fail(what, "time outside the syscall bracket");
	else ok(what);
}

static void test_clock_getres(void *code, const char *how)
{
	char what[128];
	getres_fn f = (getres_fn)code;
	for (int i = 0; i < NCLK; i++) {
		int c = clocks[i];
		struct ts32 s = { 0, 0 }, v;
		memset(&v, 0x55, sizeof v);
		long rs = raw(syscall(NR_clock_getres32, c, &s));
		long rv = f(c, &v);
		snprintf(what, sizeof what, "__vdso_clock_getres(%d) %s", c, how);
		if (rv != rs) fail(what, "return value differs from the syscall");
		else if (rv == 0 && (v.sec != s.sec || v.nsec != s.nsec)) fail(what, "resolution differs");
		else ok(what);
	}
	snprintf(what, sizeof what, "__vdso_clock_getres(1, NULL) %s", how);
	if (f(1, NULL) == raw(syscall(NR_clock_getres32, 1, NULL))) ok(what);
	else fail(what, "differs from the syscall");
}

static void test_getcpu(void *code, const char *how)
{
	char what[128];
	getcpu_fn f = (getcpu_fn)code;
	unsigned sc = 77, sn = 77, vc = 99, vn = 99;
	long rs = raw(syscall(NR_getcpu, &sc, &sn, NULL));
	long rv = f(&vc, &vn, NULL);
	snprintf(what, sizeof what, "__vdso_getcpu %s", how);
	if (rv != rs) fail(what, "return value differs from the syscall");
	else if (rv == 0 && (vc != sc || vn != sn)) fail(what, "cpu/node differ");
	else ok(what);
	snprintf(what, sizeof what, "__vdso_getcpu(NULL, NULL) %s", how);
	if (f(NULL, NULL, NULL) == raw(syscall(NR_getcpu, NULL, NULL, NULL))) ok(what);
	else fail(what, "differs from the syscall");
}

struct known {
	const char *name;
	void (*test)(void *, const char *);
};
static const struct known known[] = {
	{ "__vdso_clock_gettime64", test_clock_gettime64 },
	{ "__vdso_clock_gettime", test_clock_gettime32 },
	{ "__vdso_gettimeofday", test_gettimeofday },
	{ "__vdso_time", test_time },
	{ "__vdso_clock_getres", test_clock_getres },
	{ "__vdso_getcpu", test_getcpu },
	{ "__kernel_sigtramp_rt32", NULL },
	{ "__kernel_restart_syscall32", NULL },
};
#endif
