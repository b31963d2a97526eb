/* Signals landing anywhere: a 1 ms interval timer interrupts a loop of divisions (millicode
   divide steps use PSW V and carries), 64-bit arithmetic (carry/borrow), and branches with
   delay slots and nullification, while the handler clobbers all of that state too. The
   results must equal those of the same work done with the timer signal blocked. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t hits;
static volatile unsigned sink;

static void handler(int s)
{
    (void)s;
    volatile unsigned x = 0xdeadbeef, y = 7;
    unsigned long long a = 0xfffffffffffffff0ULL;
    for (int i = 0; i < 20; i++) {
        x = x / y + (unsigned)i * 1000003u;
        a += x;
        y = (y * 3) | 1;
    }
    sink = x ^ (unsigned)(a >> 32);
    hits++;
}

static unsigned work(unsigned seed, int rounds)
{
    unsigned h = seed;
    unsigned long long acc = 0;
    for (int i = 1; i < rounds; i++) {
        unsigned d = (unsigned)i * 2654435761u;
        h ^= d / (unsigned)(i | 1);
        h += (unsigned)((long long)(int)d % (i + 7));
        acc += ((unsigned long long)h << 17) + d;
        acc -= (acc >> 3) ^ (unsigned long long)(i & 1 ? h : ~h);
        if ((h & 3) == 1) h = h * 33 + 5;
        else if ((h & 3) == 2) h = (h >> 3) | (h << 29);
    }
    return h ^ (unsigned)acc ^ (unsigned)(acc >> 32);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    const int rounds = 60000;
    unsigned want[4];
    for (int k = 0; k < 4; k++) want[k] = work(12345u + k, rounds);

    struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    int ok = 1, passes = 0;
    while (hits < 30 && passes < 2000) {
        for (int k = 0; k < 4; k++)
            if (work(12345u + k, rounds) != want[k]) ok = 0;
        passes++;
    }
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    printf("results equal: %d, signals: %s\n", ok, hits >= 30 ? ">=30" : "too few");
    return ok ? 0 : 1;
}
