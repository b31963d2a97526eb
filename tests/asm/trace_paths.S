/* Control-flow corners for the instruction trace (tests/test_trace.py): nullified delay
 * slots after taken/untaken branches in both directions, a nullifying compare, a loop
 * and a branch in a delay slot.  Exits with status %r9 (0) through the gateway page. */
	.text
	.globl _start
_start:
	ldi 5,%r3
	cmpb,=,n %r3,%r3,1f	/* forward, taken, ,n: the slot is nullified */
	ldi 7,%r4
1:	ldi 1,%r6
	cmpb,<>,n %r3,%r3,1b	/* backward, not taken, ,n: the slot is nullified */
	ldi 8,%r5
	cmpb,= %r3,%r3,2f	/* forward, taken, no ,n: the slot runs */
	ldi 9,%r7
	ldi 10,%r7
2:	b,n 3f			/* unconditional ,n: the slot is nullified */
	ldi 11,%r8
3:	cmpclr,= %r3,%r3,%r0	/* condition true: nullifies the next instruction */
	ldi 12,%r9
	ldi 2,%r3
4:	addib,<>,n -1,%r3,4b	/* backward, taken once (slot runs), then falls through (nullified) */
	ldo 1(%r6),%r6
	b 5f
	b 6f			/* a branch in a delay slot: one instruction at 5f, then 6f */
5:	ldi 13,%r10
	ldi 14,%r10
6:	copy %r0,%r26
	ldi 1,%r20
	ble 0x100(%sr2,%r0)
	nop
