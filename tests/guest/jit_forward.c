/* Loads that read back a word stored earlier in the same compiled region (regiongen's
 * forward_plan), and the stores in between that must stop them doing so: a store through a
 * pointer loaded from memory, a byte or halfword store into the word, a store through a
 * register whose value a loop sets again. Each case runs often enough to be compiled, and
 * every result is checked against a value computed in C.  Prints "failures N". */
#include <stdio.h>

static int slots[2];
static int *volatile where;         /* a pointer the guest code loads from memory */
static int *volatile pair[2];

/* a at 64(%sp), then b through a pointer to that word loaded from memory: reads b */
static int __attribute__((noinline)) through_pointer(int a, int b)
{
    int r;
    __asm__ volatile(
        "ldo 64(%%sp),%%r21\n\t"
        "stw %%r21,0(%3)\n\t"
        "stw %1,64(%%sp)\n\t"
        "ldw 0(%3),%%r20\n\t"
        "stw %2,0(%%r20)\n\t"
        "ldw 64(%%sp),%0\n\t"
        : "=&r"(r) : "r"(a), "r"(b), "r"(&where) : "r20", "r21", "memory");
    return r;
}

/* a at 64(%sp), the pointer loaded from memory points elsewhere: reads a */
static int __attribute__((noinline)) pointer_elsewhere(int a, int b)
{
    int r;
    where = &slots[0];
    __asm__ volatile(
        "stw %1,64(%%sp)\n\t"
        "ldw 0(%3),%%r20\n\t"
        "stw %2,0(%%r20)\n\t"
        "ldw 64(%%sp),%0\n\t"
        : "=&r"(r) : "r"(a), "r"(b), "r"(&where) : "r20", "memory");
    return r;
}

/* a at 64(%sp), then the byte at 65(%sp) and the halfword at 70(%sp) of a word at 68 */
static int __attribute__((noinline)) part_stores(int a, int c, int *second)
{
    int r, s;
    __asm__ volatile(
        "stw %2,64(%%sp)\n\t"
        "stw %2,68(%%sp)\n\t"
        "stb %3,65(%%sp)\n\t"
        "sth %3,70(%%sp)\n\t"
        "ldw 64(%%sp),%0\n\t"
        "ldw 68(%%sp),%1\n\t"
        : "=&r"(r), "=&r"(s) : "r"(a), "r"(c) : "memory");
    *second = s;
    return r;
}

/* a at 64(%sp), c at 68(%sp) and 60(%sp) (next to it, not over it): reads a */
static int __attribute__((noinline)) beside(int a, int c)
{
    int r;
    __asm__ volatile(
        "stw %1,64(%%sp)\n\t"
        "stw %2,68(%%sp)\n\t"
        "stw %2,60(%%sp)\n\t"
        "ldw 64(%%sp),%0\n\t"
        : "=&r"(r) : "r"(a), "r"(c) : "memory");
    return r;
}

/* n rounds of: %r20 = pair[i & 1] (loaded again each round), *%r20 += i + a, sum the word
 * read before the store; a round's store must not stand in for the next round's load,
 * which reads the other slot */
static int __attribute__((noinline)) rounds(int n, int a)
{
    int sum;
    __asm__ volatile(
        "copy %%r0,%0\n\t"
        "copy %%r0,%%r19\n"
        "1:\n\t"
        "extru %%r19,31,1,%%r22\n\t"
        "ldwx,s %%r22(%3),%%r20\n\t"
        "ldw 0(%%r20),%%r21\n\t"
        "add %0,%%r21,%0\n\t"
        "add %%r21,%%r19,%%r21\n\t"
        "add %%r21,%2,%%r21\n\t"
        "stw %%r21,0(%%r20)\n\t"
        "ldo 1(%%r19),%%r19\n\t"
        "comb,<> %%r19,%1,1b\n\t"
        "nop\n\t"
        : "=&r"(sum) : "r"(n), "r"(a), "r"(pair) : "r19", "r20", "r21", "r22", "memory");
    return sum;
}

int main(void)
{
    int failures = 0;
    pair[0] = &slots[0];
    pair[1] = &slots[1];
    for (int i = 0; i < 3000; i++) {
        int a = 0x10203040 + i, b = 0x55aa0000 + i, c = 0x7e + i, s;
        failures += through_pointer(a, b) != b;
        failures += pointer_elsewhere(a, b) != a;
        failures += slots[0] != b;
        int r = part_stores(a, c, &s);
        failures += r != (int)(((unsigned)a & 0xff00ffffu) | ((unsigned)(c & 0xff) << 16));
        failures += s != (int)(((unsigned)a & 0xffff0000u) | (unsigned)(c & 0xffff));
        failures += beside(a, c) != a;
    }
    for (int k = 0; k < 200; k++) {
        int s0 = slots[0], s1 = slots[1], want = 0;
        for (int i = 0; i < 50; i++) {
            int *slot = (i & 1) ? &s1 : &s0;
            want += *slot;
            *slot += i + k;
        }
        int got = rounds(50, k);
        failures += got != want || slots[0] != s0 || slots[1] != s1;
    }
    printf("failures %d\n", failures);
    return failures != 0;
}
