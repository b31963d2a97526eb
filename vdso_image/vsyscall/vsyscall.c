/* vsyscall.c -- the hppa-user vsyscall dispatcher (see vsyscall.h).
 *
 * Binding happens once, at the first call of any function: VSYSCALL=syscall binds every
 * function to its syscall; otherwise the vDSO named by AT_SYSINFO_EHDR is parsed
 * (vdso_elf.h: first PT_LOAD for the bias, PT_DYNAMIC, DT_HASH/DT_SYMTAB/DT_STRTAB,
 * DT_VERSYM/DT_VERDEF) and each __vdso_FN found as a global function of version node
 * LINUX_6.11 becomes FN's vDSO entry. A vDSO without a System V hash table, or whose symbols
 * carry another version node, leaves the functions on their syscalls.
 *
 * The two paths of FN are the assembly functions __vsyscall_vdso_FN and __vsyscall_syscall_FN
 * (paths.S); the emulator's statistics count how often each is entered.
 *
 * Two threads binding at once compute and store the same entries. A thread that sees `bound`
 * before an entry (no barrier: none is needed) makes that one call through the syscall.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "vdso_elf.h"
#include "vsyscall.h"

#define VSYSCALL_VERSION_NODE "LINUX_6.11"

/* The functions, in this order everywhere. */
#define VSYSCALL_FUNCTIONS(X) \
	X(clock_gettime) X(clock_gettime64) X(gettimeofday) X(time) X(clock_getres) X(getcpu)

enum {
#define X(fn) VS_##fn,
	VSYSCALL_FUNCTIONS(X)
#undef X
	VS_COUNT
};

static const char *const function_names[VS_COUNT] = {
#define X(fn) #fn,
	VSYSCALL_FUNCTIONS(X)
#undef X
};

static const char *const vdso_symbols[VS_COUNT] = {
#define X(fn) "__vdso_" #fn,
	VSYSCALL_FUNCTIONS(X)
#undef X
};

/* paths.S */
#define X(fn)									\
	long __vsyscall_vdso_##fn(long a, long b, long c, unsigned long entry);	\
	long __vsyscall_syscall_##fn(long a, long b, long c, unsigned long unused);
VSYSCALL_FUNCTIONS(X)
#undef X

static unsigned long entries[VS_COUNT];	/* vDSO entry point, 0: the syscall */
static int bound;

static void bind(void)
{
	const char *force = getenv("VSYSCALL");
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	struct vdso_info vi;

	if (!(force && strcmp(force, "syscall") == 0) && base && vdso_init(&vi, base) == 0)
		for (int f = 0; f < VS_COUNT; f++)
			entries[f] = (unsigned long)vdso_sym(&vi, vdso_symbols[f],
							     VSYSCALL_VERSION_NODE);
	bound = 1;
}

static inline unsigned long entry_of(int f)
{
	if (!bound)
		bind();
	return entries[f];
}

/* One call of FN: its vDSO entry when bound to one, the syscall otherwise or when the vDSO
 * answers -ENOSYS. The raw result: 0 or a value, or -errno. */
#define DISPATCH(fn, a, b, c) ({						\
	unsigned long entry_ = entry_of(VS_##fn);				\
	long r_ = -ENOSYS;							\
	if (entry_)								\
		r_ = __vsyscall_vdso_##fn((long)(a), (long)(b), (long)(c), entry_);	\
	if (r_ == -ENOSYS)							\
		r_ = __vsyscall_syscall_##fn((long)(a), (long)(b), (long)(c), 0);	\
	r_; })

/* The C library's convention: a raw result in [-4095, -1] is -errno. */
static long libc_result(long r)
{
	if ((unsigned long)r > -4096UL) {
		errno = -r;
		return -1;
	}
	return r;
}

int vsyscall_clock_gettime(clockid_t clock, struct timespec *ts)
{
	return libc_result(DISPATCH(clock_gettime, clock, ts, 0));
}

int vsyscall_clock_gettime64(clockid_t clock, struct vsyscall_timespec64 *ts)
{
	return libc_result(DISPATCH(clock_gettime64, clock, ts, 0));
}

int vsyscall_gettimeofday(struct timeval *tv, void *tz)
{
	return libc_result(DISPATCH(gettimeofday, tv, tz, 0));
}

time_t vsyscall_time(time_t *t)
{
	return libc_result(DISPATCH(time, t, 0, 0));
}

int vsyscall_clock_getres(clockid_t clock, struct timespec *res)
{
	return libc_result(DISPATCH(clock_getres, clock, res, 0));
}

int vsyscall_getcpu(unsigned int *cpu, unsigned int *node)
{
	return libc_result(DISPATCH(getcpu, cpu, node, 0));
}

const char *vsyscall_path(const char *function)
{
	if (function) {
		if (strncmp(function, "vsyscall_", 9) == 0)
			function += 9;
		for (int f = 0; f < VS_COUNT; f++)
			if (strcmp(function, function_names[f]) == 0)
				return entry_of(f) ? "vdso" : "syscall";
	}
	errno = EINVAL;
	return NULL;
}
