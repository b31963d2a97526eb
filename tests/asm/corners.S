/* Integer corners C rarely reaches (tests/test_asm_corner.py): nullification after taken and
 * untaken branches in both directions, a branch (and a bl) in a delay slot, 96-bit carry and
 * borrow chains, a full 32-bit unsigned divide by divide steps, decimal arithmetic
 * (dcor/idcor/uaddcm), shladd carries, stby,b/e and ldcw.
 *
 * A static program with its own _start: every result is stored (big-endian word) into `out`
 * with OUT, in the order the test lists them; at the end one write(1, out, n) and exit(0).
 */
	.macro OUT reg
	stw,ma \reg,4(%r3)
	.endm

	.macro LI32 value, reg
	ldil L%\value,\reg
	ldo R%\value(\reg),\reg
	.endm

	/* 32-bit unsigned divide by divide steps (divisor < 2^31):
	 * %r26 / %r25 -> quotient %r29, remainder %r1 */
	.macro DIVU
	sub %r0,%r25,%r1		/* negate the divisor */
	ds %r0,%r1,%r0			/* set PSW[V] */
	add %r26,%r26,%r29		/* dividend MSB into the carry */
	ds %r0,%r25,%r1			/* step 1 */
	addc %r29,%r29,%r29		/* quotient bit in, next dividend bit to the carry */
	.rept 31
	ds %r1,%r25,%r1
	addc %r29,%r29,%r29
	.endr
	comclr,<= %r0,%r1,%r0		/* a negative partial remainder needs the divisor back */
	add %r1,%r25,%r1
	.endm

	.data
	.align 16
sem:	.word 5, 0, 0, 0
scratch: .word 0
	.align 4
out:	.space 4 * 128

	.text
	.globl _start
_start:
	LI32 out, %r3

/* ---- A. nullification ------------------------------------------------------------ */
	ldi 1,%r6
	ldi 0,%r5			/* A1 forward taken ,n: slot nullified -> 0 */
	cmpb,=,n %r6,%r6,1f
	ldi 1,%r5
1:	OUT %r5
	ldi 0,%r5			/* A2 forward not taken ,n: slot runs -> 2 */
	cmpb,<>,n %r6,%r6,1f
	ldi 2,%r5
1:	OUT %r5
	ldi 0,%r5			/* A3 backward ,n: taken once (slot runs), then not taken */
	ldi 0,%r7			/*    (slot nullified): body 2, slot 1 */
	ldi 2,%r8
2:	addi 1,%r5,%r5
	addib,<>,n -1,%r8,2b
	addi 1,%r7,%r7
	OUT %r5
	OUT %r7
	ldi 0,%r5			/* A4 backward not taken ,n (cmpb): slot nullified -> 0 */
3:	cmpb,=,n %r0,%r6,3b
	ldi 4,%r5
	OUT %r5
	ldi 0,%r5			/* A5 forward taken, no ,n: slot runs -> 5 */
	cmpb,= %r6,%r6,4f
	ldi 5,%r5
	ldi 99,%r5
4:	OUT %r5
	ldi 0,%r5			/* A6 b,n: slot nullified -> 0 */
	b,n 5f
	ldi 6,%r5
5:	OUT %r5
	LI32 0x04000000, %r9		/* A7 bb on bit 5 (big-endian numbering) of r9 */
	ldi 0,%r5
	bb,<,n %r9,5,6f			/*    bit set: taken forward: slot nullified -> 0 */
	ldi 7,%r5
6:	ldi 0,%r10
	bb,>=,n %r9,5,7f		/*    not taken forward: slot runs -> 8 */
	ldi 8,%r10
7:	OUT %r5
	OUT %r10
	ldi 0,%r5			/* A8 movib,<,n -1: taken forward: slot nullified */
	movib,<,n -1,%r11,8f
	ldi 9,%r5
8:	OUT %r11
	OUT %r5
	ldi 0,%r5			/* A9 a nullified b,n does not branch: its slot runs -> 10 */
	cmpclr,= %r0,%r0,%r0
	b,n 9f
	ldi 10,%r5
9:	OUT %r5
	ldi 0,%r5			/* A10 a nullified cmpclr nullifies nothing -> 11 */
	cmpclr,= %r0,%r0,%r0
	cmpclr,= %r0,%r0,%r0
	ldi 11,%r5
	OUT %r5
	ldi 0,%r5			/* A11 addb,nuv,n backward not taken: nullified -> 0; sum */
	ldi -1,%r12
1:	addb,nuv,n %r6,%r12,1b		/*    -1 + 1 carries out: NUV false: falls through */
	ldi 12,%r5
	OUT %r5
	OUT %r12

/* ---- B. a branch in a delay slot -------------------------------------------------- */
	ldi 0,%r12
	ldi 0,%r5
	b bds1
	b bds2				/* runs in the slot: one instruction at bds1, then bds2 */
	ldi 1,%r5
bds1:	addi 1,%r12,%r12
	addi 16,%r12,%r12
bds2:	OUT %r12			/* 1 */
	OUT %r5				/* 0 */
	ldi 0,%r12
	b bds3
	bl bds4,%r13			/* link = IAOQ back + 4 = bds3 + 4 (| 3: user privilege) */
	nop
bds3:	addi 1,%r12,%r12
	addi 16,%r12,%r12
bds4:	LI32 bds3, %r14
	OUT %r12			/* 1 */
	OUT %r13			/* bds3 + 4 | 3 */
	OUT %r14			/* bds3 */

/* ---- C. carry / borrow chains ----------------------------------------------------- */
	ldi 1,%r4			/* 0x1_ffffffff_ffffffff + 1 */
	ldi -1,%r5
	ldi -1,%r6
	ldi 1,%r9
	add %r6,%r9,%r10
	addc %r5,%r0,%r11
	addc %r4,%r0,%r12
	addc %r0,%r0,%r13
	OUT %r12
	OUT %r11
	OUT %r10
	OUT %r13
	ldi -1,%r4			/* 0xffffffff_ffffffff_ffffffff + 1: all zero, carry 1 */
	add %r6,%r9,%r10
	addc %r5,%r0,%r11
	addc %r4,%r0,%r12
	addc %r0,%r0,%r13
	OUT %r12
	OUT %r11
	OUT %r10
	OUT %r13
	LI32 0x12345678, %r4		/* 0x12345678_9abcdef0_0fedcba9 +/- 0x0fedcba9_87654321_f0000001 */
	LI32 0x9abcdef0, %r5
	LI32 0x0fedcba9, %r6
	LI32 0x0fedcba9, %r7
	LI32 0x87654321, %r8
	LI32 0xf0000001, %r9
	add %r6,%r9,%r10
	addc %r5,%r8,%r11
	addc %r4,%r7,%r12
	addc %r0,%r0,%r13
	OUT %r12
	OUT %r11
	OUT %r10
	OUT %r13
	sub %r6,%r9,%r10
	subb %r5,%r8,%r11
	subb %r4,%r7,%r12
	addc %r0,%r0,%r13		/* carry = no borrow out */
	OUT %r12
	OUT %r11
	OUT %r10
	OUT %r13
	sub %r9,%r6,%r10		/* the other way round: borrows out */
	subb %r8,%r5,%r11
	subb %r7,%r4,%r12
	addc %r0,%r0,%r13
	OUT %r12
	OUT %r11
	OUT %r10
	OUT %r13

/* ---- D. unsigned divide by 32 divide steps ---------------------------------------- */
	LI32 100, %r26
	ldi 7,%r25
	DIVU
	OUT %r29
	OUT %r1
	LI32 0xffffffff, %r26
	ldi 3,%r25
	DIVU
	OUT %r29
	OUT %r1
	LI32 0x80000000, %r26
	LI32 0x7fffffff, %r25
	DIVU
	OUT %r29
	OUT %r1
	LI32 12345678, %r26
	ldi 1,%r25
	DIVU
	OUT %r29
	OUT %r1
	ldi 0,%r26
	ldi 5,%r25
	DIVU
	OUT %r29
	OUT %r1
	LI32 0xfffffffe, %r26
	LI32 0x10000, %r25
	DIVU
	OUT %r29
	OUT %r1
	LI32 1000000007, %r26
	ldi 97,%r25
	DIVU
	OUT %r29
	OUT %r1
	LI32 0x7fffffff, %r26
	LI32 0x7fffffff, %r25
	DIVU
	OUT %r29
	OUT %r1
	LI32 0xdeadbeef, %r26
	LI32 0x1234, %r25
	DIVU
	OUT %r29
	OUT %r1

/* ---- E. decimal arithmetic ---------------------------------------------------------- */
	LI32 0x66666666, %r1
	LI32 0x1234, %r4		/* BCD 1234 + 5678 = 6912: pre-bias, add, dcor */
	LI32 0x5678, %r5
	add %r4,%r1,%r6
	add %r6,%r5,%r6
	dcor %r6,%r7
	OUT %r6				/* 0x6666cf12 */
	OUT %r7				/* 0x00006912 */
	LI32 0x99999999, %r4		/* 99999999 + 1 = (1)00000000 */
	ldi 1,%r5
	add %r4,%r1,%r6
	add %r6,%r5,%r6
	dcor %r6,%r7
	addc %r0,%r0,%r8		/* dcor leaves the carry: 1 */
	OUT %r7
	OUT %r8
	LI32 0x1234, %r4		/* BCD 1234 - 0567 = 0667: sub, dcor */
	LI32 0x0567, %r5
	sub %r4,%r5,%r6
	dcor %r6,%r7
	OUT %r6				/* 0x00000ccd */
	OUT %r7				/* 0x00000667 */
	ldi 0x48,%r4			/* idcor after a plain add: 48 + 39 = 87 */
	ldi 0x39,%r5
	add %r4,%r5,%r6
	idcor %r6,%r7
	OUT %r6				/* 0x81 */
	OUT %r7				/* 0x87 */
	ldi 0x10,%r4			/* uaddcm: x + ~y */
	ldi 3,%r5
	uaddcm %r4,%r5,%r6
	uaddcm %r0,%r5,%r7
	OUT %r6				/* 0x0000000c */
	OUT %r7				/* 0xfffffffc */
	LI32 0x12340001, %r4		/* uaddcm,sbz: x - 1 = 0x12340000 has a zero byte */
	ldi 0,%r8
	uaddcm,sbz %r4,%r0,%r6
	ldi 1,%r8
	OUT %r6
	OUT %r8				/* 0: nullified */
	ldi 0xa,%r4			/* uaddcm,sdc: 0xa + 0xffffffff carries out of every digit */
	ldi 0,%r8
	uaddcm,sdc %r4,%r0,%r6
	ldi 1,%r8
	ldi 0,%r9			/* 0 + 0xffffffff: no digit carry */
	uaddcm,sdc %r0,%r0,%r7
	ldi 1,%r9
	OUT %r8				/* 0 */
	OUT %r9				/* 1 */

/* ---- F. shladd ------------------------------------------------------------------------ */
	LI32 0x7fffffff, %r4
	LI32 0x80000000, %r5
	sh1add %r4,%r5,%r6		/* 0xfffffffe + 0x80000000: carry */
	addc %r0,%r0,%r7
	sh2add %r4,%r5,%r8		/* 0xfffffffc + 0x80000000: carry */
	addc %r0,%r0,%r9
	sh3add %r5,%r4,%r10		/* 0 + 0x7fffffff: no carry */
	addc %r0,%r0,%r11
	OUT %r6
	OUT %r7
	OUT %r8
	OUT %r9
	OUT %r10
	OUT %r11
	add %r5,%r5,%r0			/* carry 1 ... */
	sh3addl %r4,%r4,%r6		/* ... which the ,l form leaves alone */
	addc %r0,%r0,%r7
	OUT %r6
	OUT %r7

/* ---- G. stby ----------------------------------------------------------------------- */
	LI32 scratch, %r20
	LI32 0xaaaaaaaa, %r21
	LI32 0x11223344, %r22
	.irp form, "stby,b %r22,0(%r20)", "stby,b %r22,1(%r20)", "stby,b %r22,3(%r20)", "stby,e %r22,0(%r20)", "stby,e %r22,1(%r20)", "stby,e %r22,3(%r20)"
	stw %r21,0(%r20)
	\form
	ldw 0(%r20),%r23
	OUT %r23
	.endr
	stw %r21,0(%r20)		/* ,m: the base becomes the word address */
	copy %r20,%r24
	stby,b,m %r22,2(%r24)
	sub %r24,%r20,%r25
	ldw 0(%r20),%r23
	OUT %r23
	OUT %r25
	copy %r20,%r24
	stby,e,m %r22,7(%r24)
	sub %r24,%r20,%r25
	ldw 4(%r20),%r23
	OUT %r23
	OUT %r25

/* ---- H. ldcw ----------------------------------------------------------------------- */
	LI32 sem, %r20
	ldcw 0(%r20),%r23		/* 5, and the word becomes 0 */
	ldw 0(%r20),%r24
	ldcw 0(%r20),%r25		/* 0 */
	OUT %r23
	OUT %r24
	OUT %r25

/* ---- conditional traps whose condition is false do nothing ------------------------- */
	ldi 5,%r4
	LI32 0x11111112, %r5
	addi,tc,<> 0,%r0,%r6		/* 0 <> 0 is false: r6 = 0 */
	sub,tc,= %r4,%r6,%r7		/* 5 = 0 is false: r7 = 5 */
	uaddcm,tc,sbz %r5,%r0,%r8	/* 0x11111111 has no zero byte: r8 = 0x11111111 */
	OUT %r6
	OUT %r7
	OUT %r8

/* ---- I. fields from SAR reaching past bit 31 (len > pos + 1): cut at bit 31 --------- */
	ldi 2,%r4
	mtsar %r4			/* the field begins 29 bits up: bits 29-31 */
	LI32 0xA0000000, %r5
	LI32 0x60000000, %r6
	ldi 0xAB,%r7
	vextrs %r5,8,%r8		/* 0b101 from bit 31: -3 */
	vextru %r5,8,%r9		/* 5 */
	vextrs %r6,8,%r10		/* 0b011: 3 */
	ldi -1,%r11
	vdep %r7,8,%r11			/* 0xAB's low 3 bits in bits 29-31, the rest kept */
	zvdep %r7,8,%r12
	copy %r0,%r13
	vdepi -1,8,%r13
	OUT %r8
	OUT %r9
	OUT %r10
	OUT %r11
	OUT %r12
	OUT %r13

/* ---- write(1, out, n); exit(0) ------------------------------------------------------- */
	LI32 out, %r25
	sub %r3,%r25,%r24
	ldi 1,%r26
	ble 0x100(%sr2,%r0)
	ldi 4,%r20
	ldi 0,%r26
	ble 0x100(%sr2,%r0)
	ldi 1,%r20
