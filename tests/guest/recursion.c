/* Deep recursion on the up-growing hppa stack: a 100000-deep chain with a small
 * frame, Ackermann, and mutual recursion.  Deterministic results only.
 *
 *   recursion [DEPTH [ACK_M ACK_N]]     (default 100000 2 300)
 * Exit status: 0 if all results equal the closed forms, else 1.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned long long chain(int n, unsigned long long acc)
{
    volatile int guard = n;             /* keep a real frame at every level */
    if (n == 0) return acc;
    unsigned long long r = chain(n - 1, acc + (unsigned)n);
    return r + (guard - n);             /* not a tail call */
}

__attribute__((noinline)) static unsigned ack(unsigned m, unsigned n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static int is_odd(unsigned n);
__attribute__((noinline)) static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
__attribute__((noinline)) static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

__attribute__((noinline)) static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv)
{
    int depth = argc > 1 ? atoi(argv[1]) : 100000;
    unsigned m = argc > 3 ? (unsigned)atoi(argv[2]) : 2, n = argc > 3 ? (unsigned)atoi(argv[3]) : 300;
    int failures = 0;

    unsigned long long s = chain(depth, 0);
    unsigned long long expect = (unsigned long long)depth * (depth + 1) / 2;
    printf("chain(%d) = %llu (expect %llu)\n", depth, s, expect);
    failures += s != expect;

    unsigned a = ack(m, n);
    unsigned ea = m == 0 ? n + 1 : m == 1 ? n + 2 : m == 2 ? 2 * n + 3 : (8u << n) - 3;
    printf("ack(%u, %u) = %u (expect %u)\n", m, n, a, ea);
    failures += a != ea;
    unsigned a3 = ack(3, 5);
    printf("ack(3, 5) = %u\n", a3);
    failures += a3 != 253;

    int e = is_even(20001), o = is_odd(20001);
    printf("is_even(20001) = %d, is_odd(20001) = %d\n", e, o);
    failures += e != 0 || o != 1;

    unsigned f = fib(20);
    printf("fib(20) = %u\n", f);
    failures += f != 6765;
    printf("failures %d\n", failures);
    return failures ? 1 : 0;
}
