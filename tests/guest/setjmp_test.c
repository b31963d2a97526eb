/* setjmp/longjmp: non-local exits from deep call chains, values 0 -> 1 mapping,
 * callee-saved registers and volatile locals across longjmp, sigsetjmp/siglongjmp.
 *
 * Exit status: 0 if all checks passed, else 1.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf env;
static sigjmp_buf senv;
static int depth_reached;

__attribute__((noinline)) static void dive(int depth, int target, int code)
{
    volatile char pad[32];
    pad[depth & 31] = (char)depth;
    depth_reached = depth + pad[depth & 31] - (char)depth;
    if (depth >= target)
        longjmp(env, code);
    if (depth > 100000)
        return;
    dive(depth + 1, target, code);
}

__attribute__((noinline)) static long work(long x)
{
    /* keep many values live in callee-saved registers */
    long a = x * 3, b = x + 11, c = x ^ 0x55, d = x - 7, e = x * x, f = x / 3 + 1;
    for (int i = 0; i < 10; i++) { a += b; b ^= c; c += d; d -= e; e += f; f ^= a; }
    return a ^ b ^ c ^ d ^ e ^ f;
}

int main(void)
{
    static int failures = 0;
    static int t;
    static const int targets[] = {0, 1, 5, 50, 500};
    static const int codes[] = {1, 0, 42, -1, 255};
    for (t = 0; t < 5; t++) {
        volatile int counter = 100 + t;
        long r1 = work(t), r2 = work(t + 100), r3 = work(t * 7);
        int rc = setjmp(env);
        if (rc == 0) {
            counter++;
            dive(0, targets[t], codes[t]);
            puts("not reached");
            failures++;
        } else {
            int expect = codes[t] == 0 ? 1 : codes[t];
            int ok = rc == expect && counter == 101 + t && depth_reached == targets[t] &&
                     r1 == work(t) && r2 == work(t + 100) && r3 == work(t * 7);
            printf("longjmp from depth %d with %d -> setjmp returned %d counter=%d ok=%d\n",
                   targets[t], codes[t], rc, counter, ok);
            failures += !ok;
        }
    }

    volatile int rounds = 0;
    int v = sigsetjmp(senv, 1);
    if (v < 10) {
        rounds++;
        siglongjmp(senv, v + 1);
    }
    printf("sigsetjmp loop: v=%d rounds=%d\n", v, rounds);
    if (v != 10 || rounds != 10) failures++;

    /* nested jmp_bufs */
    jmp_buf outer;
    volatile int stage = 0;
    if (setjmp(outer) == 0) {
        stage = 1;
        if (setjmp(env) == 0) {
            stage = 2;
            longjmp(env, 7);
        }
        stage = 3;
        longjmp(outer, 9);
    }
    printf("nested: stage=%d\n", stage);
    if (stage != 3) failures++;
    printf("failures %d\n", failures);
    return failures ? 1 : 0;
}
