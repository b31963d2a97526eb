/* Self-modifying code: a tiny function written into an RWX page, called until the JIT
 * compiles it, then rewritten in place (and in a page the caller also stores data to).
 * Every round must see the code as it is now, as on a real CPU after a cache flush.
 *
 *   f(x) = x + k:   bv r0(rp)  ;  ldo k(r26),r28   (the add sits in the delay slot)
 *
 * Part two patches a function of the program's own text, alone on its page and called
 * directly (b,l) from a hot loop on another page, so a compiled region of the loop
 * carries the callee's code inside it.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

__attribute__((noinline, noclone, aligned(4096))) int add_k(int x)
{
    return x + 5;
}

typedef int (*fn_t)(int);

static unsigned ldo(int k, int b, int t)    /* ldo k(b),t with a 14-bit low-sign immediate */
{
    unsigned im14 = ((unsigned)k << 1) & 0x3FFF;
    if (k < 0)
        im14 |= 1;
    return 0x34000000u | (unsigned)b << 21 | (unsigned)t << 16 | im14;
}

int main(void)
{
    unsigned *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    volatile unsigned *data = code + 512;      /* data in the same page as the code */
    long total = 0;
    for (int round = 0; round < 6; round++) {
        code[0] = 0xE840C000u;                 /* bv r0(rp) */
        code[1] = ldo(round * 7 - 3, 26, 28);  /* delay slot: ret0 = arg0 + k */
        __builtin___clear_cache((char *)code, (char *)(code + 2));
        fn_t f = (fn_t)code;
        long sum = 0;
        for (int i = 0; i < 3000; i++) {
            sum += f(i);
            if (round & 1)
                data[i & 255] = (unsigned)i;    /* stores beside compiled code */
        }
        total += sum;
        printf("round %d: k=%d sum=%ld\n", round, round * 7 - 3, sum);
    }
    printf("total %ld\n", total);

    /* part two: the ldo k(r26),r28 of add_k, found and patched in place */
    unsigned *fn = (unsigned *)((uintptr_t)add_k & ~(uintptr_t)3);
    int at = -1;
    for (int i = 0; i < 8 && at < 0; i++)
        if ((fn[i] & 0xFFFF0000u) == 0x375C0000u)
            at = i;
    if (at < 0) {
        printf("add_k: no ldo k(r26),r28 found\n");
        return 1;
    }
    if (mprotect((void *)((uintptr_t)fn & ~(uintptr_t)4095), 4096,
                 PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
        perror("mprotect");
        return 1;
    }
    for (int round = 0; round < 4; round++) {
        long sum = 0;
        for (int i = 0; i < 20000; i++)
            sum += add_k(i);
        printf("direct round %d: sum=%ld\n", round, sum);
        fn[at] = ldo(10 * round + 7, 26, 28);
        __builtin___clear_cache((char *)(fn + at), (char *)(fn + at + 1));
    }
    return 0;
}
