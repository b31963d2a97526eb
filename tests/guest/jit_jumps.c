/* Indirect branches a compiled region follows (jit.RegionCompiler.note_jump): calls
 * through a function pointer and a switch's jump table.  The first loop makes their
 * targets hot (each is noted as the target of a jump through its register); the second,
 * compiled after that, goes on at them; in the third the targets change, so the guess
 * is mostly wrong and the region must leave for the real target.  Output and
 * instruction counts must not depend on any of it. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) unsigned f0(unsigned x) { return x * 3 + 1; }
__attribute__((noinline)) unsigned f1(unsigned x) { return x ^ (x >> 3); }
__attribute__((noinline)) unsigned f2(unsigned x) { return x + 0x9E3779B9u; }
__attribute__((noinline)) unsigned f3(unsigned x) { return (x << 5) | (x >> 27); }

static unsigned (*volatile table[4])(unsigned) = {f0, f1, f2, f3};

__attribute__((noinline)) static unsigned step(unsigned acc, int k)
{
    switch (k) {                         /* dense: a jump table (bv through a register) */
    case 0: return acc + 11;
    case 1: return acc * 5;
    case 2: return acc - 7;
    case 3: return acc ^ 0x5555;
    case 4: return acc + (acc >> 4);
    case 5: return acc * 9 + 2;
    case 6: return ~acc;
    default: return acc;
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    unsigned acc = 1;
    for (int i = 0; i < n / 4; i++)                 /* the targets become hot */
        acc = step(table[0](acc), 1);
    printf("first %08x\n", acc);
    for (int i = 0; i < n / 4; i++)                 /* compiled going on at them */
        acc = step(table[0](acc), 1) + (unsigned)i;
    printf("second %08x\n", acc);
    for (int i = 0; i < n / 2; i++) {               /* other targets, mostly */
        acc = step(table[(i * 7) & 3](acc), i % 7);
        if ((i & 4095) == 0)
            printf("%d %08x\n", i, acc);
    }
    printf("acc %08x\n", acc);
    return 0;
}
