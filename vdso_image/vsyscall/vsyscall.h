/* vsyscall.h -- the hppa-user vsyscall dispatcher: each time function through the vDSO when
 * the kernel exports it, otherwise through the raw syscall.
 *
 * The functions have the C library's signatures and its errno convention (0 or the value on
 * success; -1 with errno set on failure). At the first call the library finds the vDSO
 * through getauxval(AT_SYSINFO_EHDR), looks each entry point up by System V hash and
 * version node (LINUX_6.11, as glibc 2.41 does on hppa), and binds every function either
 * to that entry point or to the syscall. VSYSCALL=syscall in the environment binds all of
 * them to the syscall, so one binary measures both paths. A vDSO entry that answers
 * -ENOSYS falls back to the syscall for that call (glibc's INLINE_VSYSCALL rule).
 *
 *     hppa-user cc [--glibc 2.36|2.41] --vsyscall -o prog prog.c
 *
 * The 32-bit time functions use the 32-bit time_t of the default hppa ABI; build without
 * _TIME_BITS=64 (vsyscall_clock_gettime64 gives 64-bit seconds either way).
 */
#ifndef HPPA_USER_VSYSCALL_H
#define HPPA_USER_VSYSCALL_H

#include <sys/time.h>
#include <time.h>

#if defined __USE_TIME_BITS64
#error "vsyscall.h: the 32-bit time functions need the default 32-bit time_t (drop _TIME_BITS=64); use vsyscall_clock_gettime64 for 64-bit seconds"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's struct __kernel_timespec. On big-endian hppa it has the layout of glibc's
 * struct timespec under _TIME_BITS=64 (64-bit tv_sec, then 32 bits of padding and a 32-bit
 * tv_nsec): the kernel writes the padding as zero. */
struct vsyscall_timespec64 {
	long long tv_sec;
	long long tv_nsec;
};

int vsyscall_clock_gettime(clockid_t clock, struct timespec *ts);
int vsyscall_clock_gettime64(clockid_t clock, struct vsyscall_timespec64 *ts);
int vsyscall_gettimeofday(struct timeval *tv, void *tz);
time_t vsyscall_time(time_t *t);
int vsyscall_clock_getres(clockid_t clock, struct timespec *res);
int vsyscall_getcpu(unsigned int *cpu, unsigned int *node);

/* "vdso" or "syscall": the path FUNCTION ("clock_gettime" or "vsyscall_clock_gettime", ...)
 * is bound to (binding it first if needed). NULL with errno EINVAL for an unknown name. */
const char *vsyscall_path(const char *function);

#ifdef __cplusplus
}
#endif

#endif
