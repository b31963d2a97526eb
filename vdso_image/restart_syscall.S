/* __kernel_restart_syscall: where the kernel sends a task whose syscall returned
 * -ERESTART_RESTARTBLOCK and that had no handler to run: the kernel has stored the
 * original return address (%r31) at 0(%sp) and pointed %r31 here. We reload it and issue
 * restart_syscall (nr 0) through the gateway, which then returns to the original caller.
 *
 * Internal to the kernel (found through the image's .symtab). The `vvar` profile also
 * exports it as __kernel_restart_syscall32, the name upstream's version script lists.
 */
#include "vdso_asm.h"

	.level	1.1
	.text

VDSO_FUNC(__kernel_restart_syscall)
	.cfi_startproc
	ldw	0(%sp), %r31
	be	0x100(%sr2, %r0)
	ldi	NR_restart_syscall, %r20
	.cfi_endproc
VDSO_END(__kernel_restart_syscall)

#ifdef VDSO_EXPORT_TRAMPOLINES
	.globl	__kernel_restart_syscall32
	.type	__kernel_restart_syscall32, @function
	.set	__kernel_restart_syscall32, __kernel_restart_syscall
	.size	__kernel_restart_syscall32, 12
#endif
