/* Nullification in a hot loop, for counting instructions against qemu-hppa's own count.
 * The loop is one asm block: conditional nullification of both outcomes (cmpclr,
 * addi,cond, an LCG deciding), a word that is always nullified and so never executed
 * (nor decoded: a compiled region's skip block counts it), a b,n whose delay slot is
 * nullified, ftest after fcmp, and a backward addib.  Output has a fixed width, so the
 * printing (no printf) costs the same instructions whatever the values: the count grows by exactly
 * the loop's instructions per iteration.  (The loop's conditional branches have no ,n:
 * qemu-hppa jumps over the delay slot such a branch nullifies -- its "nullify skip" -- and
 * so does not count it, where hppa-user, like the architecture, counts every nullified
 * instruction; compiler-generated code is full of them, hence the asm.)
 *
 *   nullify ITERATIONS
 */
#include <stdlib.h>
#include <unistd.h>

static void hex8(char *out, unsigned v)   /* the same instructions whatever the value */
{
    for (int i = 7; i >= 0; i--, v >>= 4)
        out[i] = "0123456789abcdef"[v & 15];
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atol(argv[1]) : 1000;
    unsigned acc = 0, x = 1, a, b;
    double d = 0.5, one = 1.0, limit = 64.0;
    if (n == 0)
        return 1;
    __asm__ volatile(
        "0:\tzdep %1,27,28,%2\n\t"          /* x = x * 17 + 4321 */
        "add %2,%1,%1\n\t"
        "ldo 4321(%1),%1\n\t"
        "extru %1,15,16,%2\n\t"             /* a = x >> 16, b = x & 0xffff */
        "extru %1,31,16,%3\n\t"
        "cmpclr,<< %2,%3,%%r0\n\t"          /* nullify when a < b */
        "copy %3,%2\n\t"
        "add %2,%0,%0\n\t"
        "cmpclr,= %%r0,%%r0,%%r0\n\t"       /* always nullifies the next word ... */
        "ldi 77,%0\n\t"                     /* ... which never runs */
        "addi,od 1,%1,%%r0\n\t"             /* nullify when x + 1 is odd */
        "addi 3,%0,%0\n\t"
        "b,n 1f\n\t"                        /* its delay slot is nullified */
        "addi 5,%0,%0\n"
        "1:\textru,= %1,31,2,%3\n\t"        /* k = x & 3; skip the loop when 0 */
        "b,n 3f\n\t"
        "b,n 4f\n"
        "3:\taddib,<> -1,%3,3b\n\t"         /* a loop of k */
        "addi 1,%0,%0\n"
        "4:\tfadd,dbl %4,%5,%4\n\t"
        "fcmp,dbl,< %4,%6\n\t"
        "ftest\n\t"                         /* nullify the next word when d < limit */
        "fcpy,dbl %%fr0,%4\n\t"             /* else d = 0 */
        "addib,<> -1,%7,0b\n\t"
        "nop\n"
        : "+r"(acc), "+r"(x), "=&r"(a), "=&r"(b), "+f"(d), "+f"(one), "+f"(limit), "+r"(n));
    char line[18];
    hex8(line, acc);
    line[8] = ' ';
    hex8(line + 9, (unsigned)(d * 16));
    line[17] = '\n';
    return write(1, line, sizeof line) != sizeof line;
}
