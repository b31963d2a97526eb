/* vdso_vvar_harness.c: run the `vvar` profile's vDSO code on any hppa Linux (qemu-hppa in
 * the tests) by mapping the image by hand with a vvar page below it, as the kernel model
 * does, writing the page from here, and checking what each function returns.
 *
 *   usage: vdso_vvar_harness IMAGE.so
 *
 * The page is filled through vvar_layout.h, the header generated from kernel_model/vvar.py.
 * %cr16 need not count nanoseconds here (qemu-hppa counts host TSC ticks): every expected
 * value is bracketed by %cr16 readings taken just before and after the call.
 *
 * Output: "OK what" / "FAIL what: why" lines and "failures: N"; exit status 0 iff N == 0.
 *
 * Build: hppa-linux-gnu-gcc -static -O2 -I vdso_image -o harness vdso_vvar_harness.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../vdso_image/vsyscall/vdso_elf.h"
#include "vdso_map_file.h"
#include "vvar_layout.h"

#include "vdso_types.h"

static cgt64_fn cgt64;
static cgt32_fn cgt32;
static gtod_fn gtod;
static time_fn vtime;
static getres_fn getres;
static getcpu_fn getcpu;

static volatile unsigned char *vvar;
#define VV(off) (*(volatile uint32_t *)(vvar + (off)))
#define CLK(c, field) VV(VVAR_CLOCKS + ((c) << VVAR_CLOCK_SHIFT) + (field))

static int failures;
static char what[160];
#define CHECK(cond, ...) do {						\
	snprintf(what, sizeof what, __VA_ARGS__);			\
	if (cond) printf("OK %s\n", what);				\
	else { printf("FAIL %s\n", what); failures++; }			\
} while (0)

static inline uint32_t cr16(void)
{
	uint32_t v;
	__asm__ volatile("mfctl %%cr16, %0" : "=r"(v));
	return v;
}

static long raw(long r) { return r == -1 ? -errno : r; }

static void set_clock(int c, uint64_t sec, uint32_t nsec, uint32_t c16)
{
	CLK(c, VVAR_CLK_SEC_HI) = (uint32_t)(sec >> 32);
	CLK(c, VVAR_CLK_SEC_LO) = (uint32_t)sec;
	CLK(c, VVAR_CLK_NSEC) = nsec;
	CLK(c, VVAR_CLK_CR16) = c16;
}

static void fill_page(void)
{
	memset((void *)vvar, 0, VVAR_PAGE_SIZE);
	VV(VVAR_SEQ) = 2;
	VV(VVAR_LAYOUT_VERSION) = VVAR_LAYOUT_VERSION_VALUE;
	VV(VVAR_HRES_MASK) = (1u << 0) | (1u << 1) | (1u << 4) | (1u << 7) | (1u << 11);
	VV(VVAR_COARSE_MASK) = (1u << 5) | (1u << 6);
	VV(VVAR_HRES_RES) = 1;
	VV(VVAR_COARSE_RES) = 4000000;
	VV(VVAR_TZ_MINUTESWEST) = (uint32_t)-60;
	VV(VVAR_TZ_DSTTIME) = 1;
	VV(VVAR_CPU) = 3;
	VV(VVAR_NODE) = 1;
	VV(VVAR_FLAGS) = VVAR_FLAG_TZ_VALID | VVAR_FLAG_CPU_VALID;
}

static volatile int alarm_fired;
static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
	VV(VVAR_SEQ) = VV(VVAR_SEQ) + 1;	/* finish the "update": seq even again */
}

static void *map_image(const char *path)
{
	unsigned char *page = NULL;
	uintptr_t base = vdso_map_file(path, &page);
	if (!base) {
		perror(path);
		exit(2);
	}
	vvar = page;
	return (void *)base;
}

struct fdesc { uintptr_t addr, gp; };
static struct fdesc fd_cgt64;

/* expected total nanoseconds of an hres clock read between cr16 values a and b */
static int in_bracket(const struct ts64 *v, uint64_t base_ns, uint32_t c16, uint32_t a, uint32_t b)
{
	uint64_t got = (uint64_t)v->sec * 1000000000ULL + (uint64_t)v->nsec;
	uint64_t lo = base_ns + (uint32_t)(a - c16), hi = base_ns + (uint32_t)(b - c16);
	return v->nsec >= 0 && v->nsec < 1000000000 && got >= lo && got <= hi;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s IMAGE.so\n", argv[0]);
		return 2;
	}
	void *base = map_image(argv[1]);
	struct vdso_info vi;
	int err = vdso_init(&vi, (uintptr_t)base);
	CHECK(err == 0, "vdso_init (%d)", err);
	if (err)
		return 1;
	const char *V = "LINUX_6.11";
	cgt64 = (cgt64_fn)vdso_sym(&vi, "__vdso_clock_gettime64", V);
	cgt32 = (cgt32_fn)vdso_sym(&vi, "__vdso_clock_gettime", V);
	gtod = (gtod_fn)vdso_sym(&vi, "__vdso_gettimeofday", V);
	vtime = (time_fn)vdso_sym(&vi, "__vdso_time", V);
	getres = (getres_fn)vdso_sym(&vi, "__vdso_clock_getres", V);
	getcpu = (getcpu_fn)vdso_sym(&vi, "__vdso_getcpu", V);
	uint32_t *tramp = vdso_sym(&vi, "__kernel_sigtramp_rt32", V);
	uint32_t *restart = vdso_sym(&vi, "__kernel_restart_syscall32", V);
	CHECK(cgt64 && cgt32 && gtod && vtime && getres && getcpu && tramp && restart,
	      "all eight exports resolve");
	if (!(cgt64 && cgt32 && gtod && vtime && getres && getcpu && tramp && restart))
		return 1;

	/* ---- trampolines: the exact words ---- */
	static const uint32_t want_tramp[] = {
		0xfffffda0, 0x08000240,					/* -608, nop */
		0x34190000, 0x3414015a, 0xe4008200, 0x08000240,		/* in_syscall = 0 */
		0x34190002, 0x3414015a, 0xe4008200, 0x08000240,		/* in_syscall = 1 */
	};
	CHECK(((uintptr_t)(tramp - 2) & 63) == 0, "sigtramp context word is 64-byte aligned");
	CHECK(memcmp(tramp - 2, want_tramp, sizeof want_tramp) == 0, "sigtramp words");
	static const uint32_t want_restart[] = { 0x0fc0109f, 0xe0008200, 0x34140000 };
	CHECK(memcmp(restart, want_restart, sizeof want_restart) == 0, "restart_syscall words");

	/* ---- an empty page: everything is the syscall ---- */
	memset((void *)vvar, 0, VVAR_PAGE_SIZE);
	{
		struct ts64 a, v, b;
		struct ts32 r32, s32;
		long ra = raw(syscall(403, 1, &a));
		long rv = cgt64(1, &v);
		long rb = raw(syscall(403, 1, &b));
		int64_t na = a.sec * 1000000000LL + a.nsec, nv = v.sec * 1000000000LL + v.nsec,
			nb = b.sec * 1000000000LL + b.nsec;
		CHECK(ra == 0 && rv == 0 && rb == 0 && na <= nv && nv <= nb, "empty page: clock_gettime64 = syscall");
		CHECK(cgt32(0, &r32) == 0 && raw(syscall(256, 0, &s32)) == 0 && s32.sec - r32.sec <= 1,
		      "empty page: clock_gettime = syscall");
		struct ts32 g1, g2;
		CHECK(getres(5, &g1) == raw(syscall(257, 5, &g2)) && g1.sec == g2.sec && g1.nsec == g2.nsec,
		      "empty page: clock_getres = syscall");
		int32_t t0 = raw(syscall(13, NULL)), t = vtime(NULL), t1 = raw(syscall(13, NULL));
		CHECK(t0 <= t && t <= t1, "empty page: time = syscall");
		struct tv32 tv;
		struct tz32 tz = { 99, 99 }, tzs = { 98, 98 };
		syscall(78, NULL, &tzs);
		CHECK(gtod(&tv, &tz) == 0 && tz.minuteswest == tzs.minuteswest && tz.dsttime == tzs.dsttime,
		      "empty page: gettimeofday = syscall");
		unsigned c = 77, n = 77, sc = 66, sn = 66;
		CHECK(getcpu(&c, &n, NULL) == raw(syscall(296, &sc, &sn, NULL)) && c == sc && n == sn,
		      "empty page: getcpu = syscall");
	}

	/* ---- a filled page ---- */
	fill_page();
	/* coarse clocks: the base, exactly, including a seconds value above 2^32 */
	set_clock(5, 0x123456789ULL, 999999999, 0);
	set_clock(6, 42, 7, 0);
	{
		struct ts64 v;
		struct ts32 w;
		CHECK(cgt64(5, &v) == 0 && v.sec == 0x123456789LL && v.nsec == 999999999,
		      "coarse REALTIME_COARSE via clock_gettime64");
		CHECK(cgt64(6, &v) == 0 && v.sec == 42 && v.nsec == 7, "coarse MONOTONIC_COARSE");
		CHECK(cgt32(5, &w) == 0 && w.sec == 0x23456789 && w.nsec == 999999999,
		      "coarse via clock_gettime (seconds truncated to 32 bits)");
		memset(&v, 0x55, sizeof v);
		cgt64(6, &v);
		CHECK(((uint32_t *)&v)[2] == 0, "clock_gettime64 writes tv_nsec as 64 bits (high word 0)");
	}
	/* hres clocks: base + (cr16 - cr16_base), with carries into nsec and seconds */
	{
		static const uint32_t deltas[] = { 0, 1000, 999999999, 1000000000, 0x80000000u,
						   0xee6b2800u, 0xf0000000u, 0xff000000u };
		static const struct { uint64_t sec; uint32_t nsec; } bases[] = {
			{ 0, 0 }, { 1000, 999999000 }, { 0xffffffffULL, 999999999 },
			{ 0x1ffffffffULL, 999999999 }, { 1700000000, 500000000 },
		};
		static const int ids[] = { 0, 1, 4, 7, 11 };
		int bad = 0, n = 0;
		for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
			for (size_t j = 0; j < sizeof deltas / sizeof deltas[0]; j++)
				for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
					int c = ids[k];
					uint32_t c16 = cr16() - deltas[j];
					set_clock(c, bases[i].sec, bases[i].nsec, c16);
					struct ts64 v;
					uint32_t a = cr16();
					int r = cgt64(c, &v);
					uint32_t b = cr16();
					uint64_t base_ns = bases[i].sec * 1000000000ULL + bases[i].nsec;
					n++;
					if (r != 0 || !in_bracket(&v, base_ns, c16, a, b)) {
						bad++;
						printf("  mismatch clock %d base %llu.%09u delta %#x\n", c,
						       (unsigned long long)bases[i].sec, bases[i].nsec, deltas[j]);
					}
				}
		CHECK(bad == 0, "hres clock_gettime64: %d cases (carry into nsec and seconds)", n);
	}
	/* the 32-bit clock_gettime over the same arithmetic */
	{
		uint32_t c16 = cr16() - 0xf0000000u;
		set_clock(1, 0x100000005ULL, 999999999, c16);
		struct ts32 w;
		uint32_t a = cr16();
		int r = cgt32(1, &w);
		uint32_t b = cr16();
		struct ts64 v = { (int64_t)0x100000000LL + (uint32_t)w.sec, w.nsec };
		CHECK(r == 0 && in_bracket(&v, 0x100000005ULL * 1000000000ULL + 999999999, c16, a, b),
		      "hres clock_gettime (32-bit result)");
	}
	/* unserved / invalid ids and bad pointers: exactly the syscall's answer */
	{
		static const int ids[] = { 2, 3, 8, 9, 10, 12, 15, 16, 31, 32, 100, -1, -6, -14 };
		for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
			struct ts64 v, s;
			struct ts32 w, t;
			long rv = cgt64(ids[i], &v), rs = raw(syscall(403, ids[i], &s));
			long rw = cgt32(ids[i], &w), rt = raw(syscall(256, ids[i], &t));
			long gv = getres(ids[i], &w), gs = raw(syscall(257, ids[i], &t));
			CHECK(rv == rs && rw == rt && gv == gs, "clock id %d: vDSO = syscall (%ld/%ld/%ld)",
			      ids[i], rv, rw, gv);
		}
		CHECK(cgt64(1, NULL) == -EFAULT && cgt32(1, NULL) == -EFAULT, "NULL timespec: -EFAULT");
	}
	/* clock_getres */
	{
		struct ts32 w;
		CHECK(getres(1, &w) == 0 && w.sec == 0 && w.nsec == 1, "clock_getres hres");
		CHECK(getres(6, &w) == 0 && w.sec == 0 && w.nsec == 4000000, "clock_getres coarse");
		CHECK(getres(0, NULL) == 0, "clock_getres NULL");
	}
	/* gettimeofday and time over a coarse REALTIME (exact values): usec = nsec / 1000 */
	{
		VV(VVAR_HRES_MASK) &= ~1u;
		VV(VVAR_COARSE_MASK) |= 1u;
		int bad = 0, n = 0;
		for (uint32_t ns = 0; ns < 1000000000u; ns += 99991) {
			static const uint32_t extra[] = { 0, 1, 999, 1000, 1001, 1023, 1024, 999999, 1000000 };
			for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++) {
				uint32_t x = ns + extra[e];
				if (x >= 1000000000u)
					continue;
				set_clock(0, 1234567, x, 0);
				struct tv32 tv;
				n++;
				if (gtod(&tv, NULL) != 0 || tv.sec != 1234567 || tv.usec != (int32_t)(x / 1000))
					bad++;
			}
		}
		set_clock(0, 1234567, 999999999, 0);
		struct tv32 tv;
		n++;
		if (gtod(&tv, NULL) != 0 || tv.usec != 999999)
			bad++;
		CHECK(bad == 0, "gettimeofday usec = nsec / 1000 (%d values)", n);
		struct tz32 tz = { 0, 0 };
		CHECK(gtod(&tv, &tz) == 0 && tz.minuteswest == -60 && tz.dsttime == 1 && tv.sec == 1234567,
		      "gettimeofday timezone from the page");
		CHECK(gtod(NULL, &tz) == 0 && gtod(NULL, NULL) == 0, "gettimeofday NULL arguments");
		VV(VVAR_FLAGS) &= ~VVAR_FLAG_TZ_VALID;
		struct tz32 tzs = { 98, 98 };
		syscall(78, NULL, &tzs);
		tz.minuteswest = 55;
		CHECK(gtod(&tv, &tz) == 0 && tz.minuteswest == tzs.minuteswest && tv.sec != 1234567,
		      "gettimeofday without a published timezone = syscall");
		VV(VVAR_FLAGS) |= VVAR_FLAG_TZ_VALID;
		int32_t t = 0;
		set_clock(0, 0x76543210, 999999999, 0);
		CHECK(vtime(&t) == 0x76543210 && t == 0x76543210 && vtime(NULL) == 0x76543210, "time");
	}
	/* getcpu */
	{
		unsigned c = 0, n = 0;
		CHECK(getcpu(&c, &n, NULL) == 0 && c == 3 && n == 1, "getcpu from the page");
		CHECK(getcpu(NULL, NULL, NULL) == 0, "getcpu NULL");
		VV(VVAR_FLAGS) &= ~VVAR_FLAG_CPU_VALID;
		unsigned sc = 66, sn = 66;
		long rs = raw(syscall(296, &sc, &sn, NULL));
		CHECK(getcpu(&c, &n, NULL) == rs && c == sc && n == sn, "getcpu without cpu = syscall");
	}
	/* through a function descriptor with a garbage gp, as glibc calls */
	{
		fd_cgt64.addr = (uintptr_t)cgt64;
		fd_cgt64.gp = 0xdead0000u;
		cgt64_fn via = (cgt64_fn)((uintptr_t)&fd_cgt64 | 2);
		struct ts64 v;
		set_clock(6, 777, 888, 0);
		CHECK(via(6, &v) == 0 && v.sec == 777 && v.nsec == 888, "call through a function descriptor");
	}
	/* seqlock: an odd sequence makes the reader wait for the writer */
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;
		sigaction(SIGALRM, &sa, NULL);
		set_clock(6, 4242, 1, 0);
		VV(VVAR_SEQ) = 7;			/* writer "in progress" */
		struct itimerval it = { { 0, 0 }, { 0, 20000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		struct ts64 v;
		int r = cgt64(6, &v);
		CHECK(r == 0 && alarm_fired && v.sec == 4242 && (VV(VVAR_SEQ) & 1) == 0,
		      "reader waits while the sequence is odd");
	}
	/* everything disabled again: syscall */
	{
		VV(VVAR_HRES_MASK) = 0;
		VV(VVAR_COARSE_MASK) = 0;
		struct ts64 v;
		CHECK(cgt64(6, &v) == 0 && v.sec != 4242, "masks cleared: syscall");
	}
	printf("failures: %d\n", failures);
	return failures ? 1 : 0;
}
