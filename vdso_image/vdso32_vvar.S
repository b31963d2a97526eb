/* Time functions of the `vvar` profile: they read the vvar data page and the interval
 * timer %cr16 and do not trap, for the clocks the page serves; everything else (CPU-time
 * clocks, alarm clocks, dynamic/negative and invalid clock ids, a page that serves nothing,
 * a NULL result pointer where the syscall would say -EFAULT) goes to the real syscall, so
 * every function returns exactly what the syscall would: 0 or -errno (time() returns the
 * seconds).
 *
 *   int    __vdso_clock_gettime64(clockid_t, struct __kernel_timespec *)   (nr 403)
 *   int    __vdso_clock_gettime(clockid_t, struct old_timespec32 *)        (nr 256)
 *   int    __vdso_gettimeofday(struct __kernel_old_timeval *, struct timezone *) (nr 78)
 *   time_t __vdso_time(time_t *)                                          (nr 13)
 *   int    __vdso_clock_getres(clockid_t, struct old_timespec32 *)         (nr 257)
 *   int    __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)      (nr 296)
 *
 * Rules this code keeps:
 *  - No %r19, no %r27, no GOT, no relocations: glibc calls us through a function
 *    descriptor whose gp is the unrelocated link-time GOT address, raw-address callers
 *    pass their own %r19. The vvar page is found pc-relatively: `bl .+8,%r1` yields the
 *    address of the next instruction (plus the privilege level in the low two bits, which
 *    `depi` clears), and a link-time pc-relative offset to __vvar_page (defined by the
 *    linker script as image base - 4096) completes it. ld resolves that pair of
 *    PCREL21L/PCREL14R fixups itself; nothing is left for a dynamic loader.
 *  - Leaf functions, no stack frame: only caller-saved registers are used (%r1, %r20-%r26,
 *    %r28, %r29, %r31, SAR); %r2 holds the return address throughout, which is all the
 *    (assembler-generated) CFI says. The time functions' rare cases share one local
 *    routine, vvar_read, reached with `bl` linking %r31 (%r2 untouched).
 *  - Results are written with word stores; a bad non-NULL pointer faults (SIGSEGV/SIGBUS)
 *    in the vDSO, as on other architectures, instead of returning -EFAULT.
 *  - PA-RISC 1.1 only (.level 1.1): no mfia, no 64-bit registers.
 *
 * The page layout comes from vvar_layout.h, generated from kernel_model/vvar.py, which also
 * documents the seqlock protocol; the reader side is READ_CLOCK below.
 */
#include "vdso_asm.h"
#include "vvar_layout.h"

	.level	1.1
	.text

/* \reg = address of the vvar page. Clobbers %r1. */
	.macro	VVAR_ADDR reg
	bl	.+8, %r1
	depi	0, 31, 2, %r1		/* %r1 = address of the addil */
	addil	L%__vvar_page - $PIC_pcrel$0 + 8, %r1
	ldo	R%__vvar_page - $PIC_pcrel$0 + 12(%r1), \reg
	.endm

/* The record at %r24 and %cr16: %r28:%r29 = base seconds, %r23 = base nanoseconds,
 * \delta = (cr16_now - cr16_base) mod 2^32. Clobbers %r1. */
	.macro	READ_RECORD delta
	ldw	VVAR_CLOCKS + VVAR_CLK_SEC_HI(%r24), %r28
	ldw	VVAR_CLOCKS + VVAR_CLK_SEC_LO(%r24), %r29
	ldw	VVAR_CLOCKS + VVAR_CLK_NSEC(%r24), %r23
	ldw	VVAR_CLOCKS + VVAR_CLK_CR16(%r24), %r1
	mfctl	%cr16, \delta
	sub	\delta, %r1, \delta
	.endm

/* Read clock \cid (a register holding 0..15; left intact) from the page at %r20.
 * Out: %r28:%r29 = seconds (high:low word), %r23 = nanoseconds (0..999999999); goes on at
 * the instruction after the macro, which also runs as the delay slot of its last branch.
 * Goes to \fallback (the syscall) if the page serves the clock as neither hres nor coarse.
 * Clobbers %r1, %r21, %r22, %r24, %r31, SAR.
 *
 * The common case is inline and has no loop: an hres clock, the writer not met, no carry
 * of the nanoseconds into the seconds. The rest (a coarse clock, the writer met, a sum of
 * 1e9 ns or more) goes to READ_CLOCK_SLOW (placed out of line with the same \tag), which
 * reads the clock again with vvar_read (below).
 *
 * Seqlock reader: s1 = seq; read the record and %cr16; s2 = seq; the read stands if
 * s2 == s1 and s1 is even (an odd s1, cleared of its low bit, never equals s2: the writer
 * only ever increments); vvar_read waits while the sequence is odd and retries.
 * hres clocks: ns = base_ns + ((cr16_now - cr16_base) mod 2^32); coarse clocks: ns = base_ns;
 * the nanoseconds are carried into the seconds. */
	.macro	READ_CLOCK cid, fallback, tag
	mtsar	\cid
	zdep	\cid, 31 - VVAR_CLOCK_SHIFT, 32 - VVAR_CLOCK_SHIFT, %r24
	add	%r24, %r20, %r24	/* %r24 = page + cid * VVAR_CLOCK_SIZE */
	ldw	VVAR_SEQ(%r20), %r21
	ldw	VVAR_HRES_MASK(%r20), %r22
	vshd	%r0, %r22, %r22		/* hres_mask >> cid */
	bb,>=,n	%r22, 31, .Lslow_\tag	/* not an hres clock */
	READ_RECORD %r31
	ldw	VVAR_SEQ(%r20), %r1
	depi	0, 31, 1, %r21		/* s1 & ~1 */
	comb,<>,n %r1, %r21, .Lslow_\tag	/* the writer at work or was here */
	add,nuv	%r23, %r31, %r23	/* nsec += delta (the delay slot); a carry out of */
	b,n	.Lslow_\tag		/* 32 bits: the general reader */
	ldil	L%NSEC_PER_SEC, %r1
	ldo	R%NSEC_PER_SEC(%r1), %r1
	comb,<<=,n %r1, %r23, .Lslow_\tag	/* nsec >= 1e9 */
.Ldone_\tag:
	.endm

/* READ_CLOCK's rare cases, out of line: vvar_read answers, or the syscall. */
	.macro	READ_CLOCK_SLOW cid, fallback, tag
.Lslow_\tag:
	bl	.Lvvar_read, %r31
	nop
	comb,=	%r22, %r0, .Ldone_\tag
	nop
	b,n	\fallback
	.endm

/* vvar_read (local, shared by READ_CLOCK_SLOW): clock SAR (0..15) of the page at %r20,
 * coarse or hres, any carry, the seqlock read to the end (waiting while the sequence is
 * odd, again if it moved). Returns to %r31 with %r22 = 0 and the time in %r28:%r29 and
 * %r23 (as READ_CLOCK), or %r22 = 1: the syscall must answer (a clock the page does not
 * serve). Clobbers %r1, %r21, %r24. */
	.cfi_startproc
.Lvvar_read:
	mfctl	%cr11, %r24		/* SAR = cid */
	zdep	%r24, 31 - VVAR_CLOCK_SHIFT, 32 - VVAR_CLOCK_SHIFT, %r24
	add	%r24, %r20, %r24	/* %r24 = page + cid * VVAR_CLOCK_SIZE */
	ldw	VVAR_SEQ(%r20), %r21
	bb,<	%r21, 31, .Lvvar_read	/* odd: an update is in progress */
	nop
	ldw	VVAR_HRES_MASK(%r20), %r22
	ldw	VVAR_COARSE_MASK(%r20), %r1
	vshd	%r0, %r22, %r22		/* hres_mask >> cid */
	vshd	%r0, %r1, %r1		/* coarse_mask >> cid */
	or	%r22, %r1, %r1
	bb,>=,n	%r1, 31, .Lvr_fail	/* not served */
	READ_RECORD %r24
	extru	%r22, 31, 1, %r22	/* 1: hres, 0: coarse */
	sub	%r0, %r22, %r22		/* all ones: hres, 0: coarse */
	and	%r24, %r22, %r24	/* coarse clocks do not advance */
	ldw	VVAR_SEQ(%r20), %r1
	comb,<>	%r1, %r21, .Lvvar_read	/* the writer was here: read again */
	nop
	add	%r23, %r24, %r23	/* nsec += delta ... */
	addc	%r0, %r0, %r24		/* ... with its carry in %r24 */
	ldil	L%NSEC_PER_SEC, %r1
	ldo	R%NSEC_PER_SEC(%r1), %r1
.Lvr_norm:				/* while (%r24:%r23 >= 1e9) { -= 1e9; sec++ } */
	comb,<>,n %r24, %r0, .Lvr_sub
	comb,<<=,n %r1, %r23, .Lvr_sub
	bv	%r0(%r31)		/* done (the delay slot of a branch not taken) */
	copy	%r0, %r22
.Lvr_sub:
	sub	%r23, %r1, %r23
	subb	%r24, %r0, %r24
	addi	1, %r29, %r29
	b	.Lvr_norm
	addc	%r28, %r0, %r28
.Lvr_fail:
	bv	%r0(%r31)
	ldi	1, %r22
	.cfi_endproc

/* %r22 = %r23 / 1000 for any 32-bit %r23, with shifts and adds only (PA-RISC has no
 * integer multiply or divide instruction): repeatedly take q += r >> 10, r -= 1000 * (r >> 10)
 * (r shrinks about 40-fold a round: at most 6 rounds for r < 2^32), then one last
 * correction once r < 1024. Clobbers %r1, %r23, %r24. */
	.macro	DIV1000
	copy	%r0, %r22
.Ldiv\@:
	extru	%r23, 21, 22, %r1	/* t = r >> 10 */
	comb,=,n %r1, %r0, .Ldivend\@
	add	%r22, %r1, %r22		/* q += t */
	zdep	%r1, 21, 22, %r24
	sub	%r23, %r24, %r23	/* r -= t << 10 */
	zdep	%r1, 27, 28, %r24
	add	%r23, %r24, %r23	/* r += t << 4 */
	zdep	%r1, 28, 29, %r24
	b	.Ldiv\@
	add	%r23, %r24, %r23	/* r += t << 3  (delay slot; r -= 1000 t in all) */
.Ldivend\@:
	ldi	999, %r1
	comclr,>>= %r1, %r23, %r0	/* r <= 999: skip the increment */
	addi	1, %r22, %r22
	.endm

/* ---- int __vdso_clock_gettime64(clockid_t clock, struct __kernel_timespec *ts) ---------- */
VDSO_FUNC(__vdso_clock_gettime64)
	.cfi_startproc
	comib,=,n 0, %r25, .Lcgt64_sys			/* NULL: let the kernel say -EFAULT */
	comib,<<,n VVAR_NCLOCKS - 1, %r26, .Lcgt64_sys	/* id >= 16 unsigned (incl. negative) */
	VVAR_ADDR %r20
	READ_CLOCK %r26, .Lcgt64_sys, cgt64
	stw	%r28, 0(%r25)		/* tv_sec (64-bit, big-endian) */
	stw	%r29, 4(%r25)
	stw	%r0, 8(%r25)		/* tv_nsec (64-bit) */
	stw	%r23, 12(%r25)
	bv	%r0(%rp)
	copy	%r0, %r28
	READ_CLOCK_SLOW %r26, .Lcgt64_sys, cgt64
.Lcgt64_sys:
	GATEWAY_SYSCALL(NR_clock_gettime64)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_clock_gettime64)

/* ---- int __vdso_clock_gettime(clockid_t clock, struct old_timespec32 *ts) --------------- */
VDSO_FUNC(__vdso_clock_gettime)
	.cfi_startproc
	comib,=,n 0, %r25, .Lcgt_sys
	comib,<<,n VVAR_NCLOCKS - 1, %r26, .Lcgt_sys
	VVAR_ADDR %r20
	READ_CLOCK %r26, .Lcgt_sys, cgt
	stw	%r29, 0(%r25)		/* tv_sec, truncated to 32 bits as the kernel does */
	stw	%r23, 4(%r25)		/* tv_nsec */
	bv	%r0(%rp)
	copy	%r0, %r28
	READ_CLOCK_SLOW %r26, .Lcgt_sys, cgt
.Lcgt_sys:
	GATEWAY_SYSCALL(NR_clock_gettime)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_clock_gettime)

/* ---- int __vdso_gettimeofday(struct __kernel_old_timeval *tv, struct timezone *tz) ------- */
VDSO_FUNC(__vdso_gettimeofday)
	.cfi_startproc
	VVAR_ADDR %r20
	comib,=,n 0, %r25, .Lgtod_tv
.Lgtod_tz:
	ldw	VVAR_SEQ(%r20), %r21
	bb,<	%r21, 31, .Lgtod_tz
	nop
	ldw	VVAR_FLAGS(%r20), %r22
	ldw	VVAR_TZ_MINUTESWEST(%r20), %r23
	ldw	VVAR_TZ_DSTTIME(%r20), %r24
	ldw	VVAR_SEQ(%r20), %r1
	comb,<>	%r1, %r21, .Lgtod_tz
	nop
	bb,>=,n	%r22, VVAR_FLAG_TZ_VALID_BB, .Lgtod_sys	/* no timezone published */
	stw	%r23, 0(%r25)
	stw	%r24, 4(%r25)
.Lgtod_tv:
	comib,=,n 0, %r26, .Lgtod_ok
	READ_CLOCK %r0, .Lgtod_sys, gtod	/* CLOCK_REALTIME */
	DIV1000				/* %r22 = usec */
	stw	%r29, 0(%r26)		/* tv_sec */
	stw	%r22, 4(%r26)		/* tv_usec */
.Lgtod_ok:
	bv	%r0(%rp)
	copy	%r0, %r28
	READ_CLOCK_SLOW %r0, .Lgtod_sys, gtod
.Lgtod_sys:
	GATEWAY_SYSCALL(NR_gettimeofday)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_gettimeofday)

/* ---- time_t __vdso_time(time_t *t) ------------------------------------------------------ */
VDSO_FUNC(__vdso_time)
	.cfi_startproc
	VVAR_ADDR %r20
	READ_CLOCK %r0, .Ltime_sys, time	/* CLOCK_REALTIME, truncated to seconds */
	comiclr,= 0, %r26, %r0
	stw	%r29, 0(%r26)
	bv	%r0(%rp)
	copy	%r29, %r28
	READ_CLOCK_SLOW %r0, .Ltime_sys, time
.Ltime_sys:
	GATEWAY_SYSCALL(NR_time)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_time)

/* ---- int __vdso_clock_getres(clockid_t clock, struct old_timespec32 *res) ---------------- */
VDSO_FUNC(__vdso_clock_getres)
	.cfi_startproc
	comib,<<,n VVAR_NCLOCKS - 1, %r26, .Lres_sys
	VVAR_ADDR %r20
	mtsar	%r26
.Lres_retry:
	ldw	VVAR_SEQ(%r20), %r21
	bb,<	%r21, 31, .Lres_retry
	nop
	ldw	VVAR_HRES_MASK(%r20), %r22
	ldw	VVAR_COARSE_MASK(%r20), %r1
	ldw	VVAR_HRES_RES(%r20), %r23
	ldw	VVAR_COARSE_RES(%r20), %r24
	ldw	VVAR_SEQ(%r20), %r28
	comb,<>	%r28, %r21, .Lres_retry
	nop
	vshd	%r0, %r22, %r22
	vshd	%r0, %r1, %r1
	bb,<,n	%r22, 31, .Lres_have	/* hres clock: %r23 */
	bb,>=,n	%r1, 31, .Lres_sys	/* not served */
	copy	%r24, %r23		/* coarse clock */
.Lres_have:
	comib,=,n 0, %r25, .Lres_ok	/* res may be NULL */
	stw	%r0, 0(%r25)		/* tv_sec = 0 (resolutions are below 1 s) */
	stw	%r23, 4(%r25)
.Lres_ok:
	bv	%r0(%rp)
	copy	%r0, %r28
.Lres_sys:
	GATEWAY_SYSCALL(NR_clock_getres)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_clock_getres)

/* ---- int __vdso_getcpu(unsigned *cpu, unsigned *node, void *tcache) -------------------- */
VDSO_FUNC(__vdso_getcpu)
	.cfi_startproc
	VVAR_ADDR %r20
.Lcpu_retry:
	ldw	VVAR_SEQ(%r20), %r21
	bb,<	%r21, 31, .Lcpu_retry
	nop
	ldw	VVAR_FLAGS(%r20), %r22
	ldw	VVAR_CPU(%r20), %r23
	ldw	VVAR_NODE(%r20), %r24
	ldw	VVAR_SEQ(%r20), %r1
	comb,<>	%r1, %r21, .Lcpu_retry
	nop
	bb,>=,n	%r22, VVAR_FLAG_CPU_VALID_BB, .Lcpu_sys
	comiclr,= 0, %r26, %r0
	stw	%r23, 0(%r26)
	comiclr,= 0, %r25, %r0
	stw	%r24, 0(%r25)
	bv	%r0(%rp)
	copy	%r0, %r28
.Lcpu_sys:
	GATEWAY_SYSCALL(NR_getcpu)
	RETURN
	.cfi_endproc
VDSO_END(__vdso_getcpu)
