/* Constants and macros shared by the hppa-user vDSO sources (assembler only).
 *
 * Numbers are the parisc 32-bit ABI values (arch/parisc/kernel/syscalls/syscall.tbl,
 * include/uapi/linux/time.h); see /work/shared/reference/linux-parisc-abi.md.
 */
#ifndef HPPA_USER_VDSO_ASM_H
#define HPPA_USER_VDSO_ASM_H

/* syscall numbers */
#define NR_restart_syscall	0
#define NR_time			13
#define NR_gettimeofday		78
#define NR_rt_sigreturn		173
#define NR_clock_gettime	256	/* time32: struct old_timespec32 */
#define NR_clock_getres		257	/* time32: struct old_timespec32 */
#define NR_getcpu		296
#define NR_clock_gettime64	403	/* struct __kernel_timespec */

#define NSEC_PER_SEC		1000000000

/* Native 32-bit kernel signal frame: sizeof(struct rt_sigframe) = 584, FUNCTIONCALLFRAME 96,
 * SIGFRAME 128 -> frame size ((584 + 96) + 128) & -128 = 768; uc.uc_mcontext sits at
 * frame + 160, i.e. at handler sp + (160 - 768). The kernel model (kernel_model/abi.py) uses
 * the same numbers: its rt_sigreturn finds the frame at sp - 768. */
#define SIGFRAME_SIZE32		768
#define SIGFRAME_CONTEXT_REGS32	(160 - SIGFRAME_SIZE32)	/* -608 */

/* A syscall through the gateway page: `ble 0x100(%sr2,%r0)` with the number loaded in the
 * delay slot (the kernel's restart logic looks for exactly `ldi NR,%r20` there). %r31 and
 * %sr0 are clobbered; the kernel restores %r2 and %r19..%r27; the result is in %r28. */
#define GATEWAY_SYSCALL(nr)		\
	ble	0x100(%sr2, %r0) !	\
	ldi	nr, %r20

/* Return from a leaf function, result already in %r28. */
#define RETURN				\
	bv	%r0(%rp) !		\
	nop

/* A global function symbol. */
#define VDSO_FUNC(name)			\
	.globl	name !			\
	.type	name, @function !	\
	.balign	4 !			\
name:

#define VDSO_END(name)			\
	.size	name, . - name

#endif
