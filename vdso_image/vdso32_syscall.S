/* The Linux 6.11 time functions: each is nothing but the syscall, made through the gateway
 * page (upstream writes them in C as syscall2(); these are the same three instructions of
 * work without the PIC register shuffling, so they touch neither %r19 nor a stack frame).
 *
 *   int __vdso_gettimeofday(struct __kernel_old_timeval *tv, struct timezone *tz);
 *   int __vdso_clock_gettime(clockid_t clock, struct old_timespec32 *ts);
 *   int __vdso_clock_gettime64(clockid_t clock, struct __kernel_timespec *ts);
 *
 * Arguments are already in %r26/%r25 where the syscall wants them; %r2 survives the syscall,
 * and the result (0 or -errno) comes back in %r28.
 */
#include "vdso_asm.h"

	.level	1.1
	.text

VDSO_FUNC(__vdso_gettimeofday)
	.cfi_startproc
	GATEWAY_SYSCALL(NR_gettimeofday)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_gettimeofday)

VDSO_FUNC(__vdso_clock_gettime)
	.cfi_startproc
	GATEWAY_SYSCALL(NR_clock_gettime)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_clock_gettime)

VDSO_FUNC(__vdso_clock_gettime64)
	.cfi_startproc
	GATEWAY_SYSCALL(NR_clock_gettime64)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_clock_gettime64)
