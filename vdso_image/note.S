/* The .note section (PT_NOTE) of the vDSO: an ELF note named "Linux", type 0, whose
 * descriptor is the 32-bit LINUX_VERSION_CODE of the kernel the profile impersonates
 * (KERNEL_VERSION(a,b,c) = a<<16 | b<<8 | c; passed in by the Makefile per profile).
 */
#ifndef LINUX_VERSION_CODE
#error "LINUX_VERSION_CODE must be defined by the build"
#endif

	.level	1.1
	.section .note.Linux, "a", @note
	.balign	4
	.long	2f - 1f		/* namesz, including the NUL */
	.long	4f - 3f		/* descsz */
	.long	0		/* type */
1:	.asciz	"Linux"
2:	.balign	4
3:	.long	LINUX_VERSION_CODE
4:	.balign	4
