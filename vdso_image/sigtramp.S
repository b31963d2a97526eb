/* The rt_sigreturn trampoline of the hppa-user vDSO (as Linux >= 5.18 has it).
 *
 * The kernel sets a signal handler's return pointer %r2 to __kernel_sigtramp_rt, or to
 * __kernel_sigtramp_rt + 16 when the signal interrupted a syscall. The two entries differ
 * only in the in_syscall flag passed to rt_sigreturn in %r25.
 *
 * Layout contract (debuggers and unwinders rely on it):
 *   64-byte boundary + 0: .word SIGFRAME_CONTEXT_REGS32  (handler sp -> uc_mcontext)
 *                    + 4: nop  (unwinders look up "return address - 1"; this puts that
 *                                address inside the FDE below)
 *                    + 8: __kernel_sigtramp_rt: ldi 0,%r25; ldi 173,%r20; ble; nop
 *                   + 24: second entry:         ldi 1,%r25; ldi 173,%r20; ble; nop
 *
 * The unwind data is written by hand: a CIE with augmentation "zRS" (S = signal frame),
 * CFA = %r30 + SIGFRAME_CONTEXT_REGS32 = &uc_mcontext (a struct sigcontext), return
 * address column 89 (GCC's pa32 "alternate return column", here iaoq[0]), and an FDE that
 * says where every register was saved inside the sigcontext:
 *   %r1..%r31   -> sc_gr[n]            (word n + 1)
 *   DWARF 32..87 (fr4..fr31, two halves each) -> sc_fr[4..31] (words 42..97)
 *   SAR (88)    -> sc_sar              (word 102)
 *   iaoq[0] (89)-> sc_iaoq[0]          (word 100)
 * (data alignment factor 4, so a factored offset is a word index.)
 */
#include "vdso_asm.h"

	.level	1.1
	.text

	.balign	64
	.word	SIGFRAME_CONTEXT_REGS32
.Lsigtramp_cfi_start:
	nop

	.globl	__kernel_sigtramp_rt
	.type	__kernel_sigtramp_rt, @function
__kernel_sigtramp_rt:
	ldi	0, %r25			/* in_syscall = 0 */
	ldi	NR_rt_sigreturn, %r20
	ble	0x100(%sr2, %r0)
	nop
	/* __kernel_sigtramp_rt + 16: the signal interrupted a syscall */
	ldi	1, %r25			/* in_syscall = 1 */
	ldi	NR_rt_sigreturn, %r20
	ble	0x100(%sr2, %r0)
	nop
.Lsigtramp_cfi_end:
	.size	__kernel_sigtramp_rt, . - __kernel_sigtramp_rt

#ifdef VDSO_EXPORT_TRAMPOLINES
	.globl	__kernel_sigtramp_rt32
	.type	__kernel_sigtramp_rt32, @function
	.set	__kernel_sigtramp_rt32, __kernel_sigtramp_rt
	.size	__kernel_sigtramp_rt32, 32
#endif

/* ---- unwind information --------------------------------------------------------------- */
#define DW_CFA_offset_extended	0x05
#define DW_CFA_def_cfa_expression 0x0f
#define DW_OP_breg30		0x8e
#define DW_EH_PE_pcrel_sdata4	0x1b

	.section .eh_frame, "a", @progbits

.Lcie:
	.long	.Lcie_end - .Lcie_body		/* length */
.Lcie_body:
	.long	0				/* CIE id */
	.byte	1				/* version */
	.asciz	"zRS"				/* augmentation: size, FDE encoding, signal frame */
	.uleb128 4				/* code alignment factor */
	.sleb128 4				/* data alignment factor */
	.byte	89				/* return address column */
	.uleb128 1				/* augmentation data length */
	.byte	DW_EH_PE_pcrel_sdata4		/* FDE pointer encoding */
	.byte	DW_CFA_def_cfa_expression	/* CFA = %r30 + SIGFRAME_CONTEXT_REGS32 */
	.uleb128 .Lcfa_expr_end - .Lcfa_expr
.Lcfa_expr:
	.byte	DW_OP_breg30
	.sleb128 SIGFRAME_CONTEXT_REGS32
.Lcfa_expr_end:
	.balign	4
.Lcie_end:

	.long	.Lfde_end - .Lfde_body		/* length */
.Lfde_body:
	.long	.Lfde_body - .Lcie		/* CIE pointer */
	.long	.Lsigtramp_cfi_start - .	/* initial location (pc-relative) */
	.long	.Lsigtramp_cfi_end - .Lsigtramp_cfi_start	/* address range */
	.uleb128 0				/* augmentation data length */

	/* general registers r1..r31: word n + 1 of the sigcontext */
	.set	.Lreg, 1
	.rept	31
	.byte	DW_CFA_offset_extended
	.uleb128 .Lreg
	.uleb128 .Lreg + 1
	.set	.Lreg, .Lreg + 1
	.endr
	/* floating-point registers: DWARF 32..87 at words 42..97 */
	.set	.Lreg, 32
	.rept	56
	.byte	DW_CFA_offset_extended
	.uleb128 .Lreg
	.uleb128 .Lreg + 10
	.set	.Lreg, .Lreg + 1
	.endr
	/* SAR */
	.byte	DW_CFA_offset_extended
	.uleb128 88
	.uleb128 102
	/* iaoq[0], the return column */
	.byte	DW_CFA_offset_extended
	.uleb128 89
	.uleb128 100
	.balign	4
.Lfde_end:
