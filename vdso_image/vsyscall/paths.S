/* The two paths of every dispatched function, one small global function each, so that a
 * path is an address: `hppa-user run --stats` counts executions of these entry points
 * (found by name in the program's .symtab) exactly as it counts vDSO entry points, and
 * costs nothing when statistics are off.
 *
 *   long __vsyscall_vdso_FN(long a, long b, long c, unsigned long entry);
 *	jumps to the vDSO entry point in %r23 with %r26/%r25/%r24 and %rp untouched: the
 *	vDSO function returns straight to the caller with 0/-errno (or the value) in %r28.
 *   long __vsyscall_syscall_FN(long a, long b, long c, unsigned long unused);
 *	the raw syscall through the gateway page: 0/-errno (or the value) in %r28.
 *
 * Every argument the time syscalls take is already where the syscall ABI wants it
 * (%r26, %r25, %r24); %rp survives the gateway.
 */
#include "../vdso_asm.h"

	.level	1.1
	.text

#define VSYSCALL_PATHS(fn, nr)			\
VDSO_FUNC(__vsyscall_vdso_##fn) !		\
	.cfi_startproc !			\
	bv	%r0(%r23) !			\
	nop !					\
	.cfi_endproc !				\
VDSO_END(__vsyscall_vdso_##fn) !		\
VDSO_FUNC(__vsyscall_syscall_##fn) !		\
	.cfi_startproc !			\
	GATEWAY_SYSCALL(nr) !			\
	RETURN !				\
	.cfi_endproc !				\
VDSO_END(__vsyscall_syscall_##fn)

VSYSCALL_PATHS(clock_gettime, NR_clock_gettime)
VSYSCALL_PATHS(clock_gettime64, NR_clock_gettime64)
VSYSCALL_PATHS(gettimeofday, NR_gettimeofday)
VSYSCALL_PATHS(time, NR_time)
VSYSCALL_PATHS(clock_getres, NR_clock_getres)
VSYSCALL_PATHS(getcpu, NR_getcpu)

	.section .note.GNU-stack,"",@progbits
