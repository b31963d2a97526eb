/* Self-modifying code: a tiny function written into an RWX page, called until the JIT
 * compiles it, then rewritten in place (and in a page the caller also stores data to).
 * Every round must see the code as it is now, as on a real CPU after a cache flush.
 *
 *   f(x) = x + k:   bv r0(rp)  ;  ldo k(r26),r28   (the add sits in the delay slot)
 */
#include <stdio.h>
#include <sys/mman.h>

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
    return 0;
}
