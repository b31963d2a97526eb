/* gdb_target.c: the program tests/test_gdb.py debugs with gdb-multiarch over `hppa-user run -g`.
 * Built with -O0 -g.  Modes (argv[1]): none (the plain path), "signal" (a timer signal
 * interrupts spin(); the handler is where bt must reach main from), "crash" (a store through
 * NULL in crash()), "hot" (phase() runs hot enough to be compiled before a breakpoint in
 * body() is set), "rare" (a breakpoint on the last iteration's path of a loop that gets
 * compiled after it was set).  Exit status 3 on the plain paths. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

int global_counter = 7;
volatile int watched;
volatile int hits;
int acc;

static int square(int x)
{
    int y = x * x;
    return y;
}

static void handler(int sig)
{
    hits++;
    global_counter += sig;
}

__attribute__((noinline)) static void spin(void)
{
    while (!hits)
        global_counter++;
}

__attribute__((noinline)) static void crash(int *p)
{
    *p = 42;
}

__attribute__((noinline)) void body(int i)
{
    acc += 3 * i;
}

__attribute__((noinline)) void phase(int n)
{
    for (int i = 0; i < n; i++)
        body(i);
}

__attribute__((noinline)) void rare_path(int n)
{
    for (int i = 0; i < n; i++) {
        if (i == n - 1)
            acc += 1000;                  /* only on the last iteration */
        acc += i;
    }
}

__attribute__((noinline)) void marker(void)
{
    hits = 0;
}

int main(int argc, char **argv)
{
    int local = 5;
    int sq = square(local);
    watched = sq + 1;
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "signal") == 0) {
        struct itimerval it = {{0, 0}, {0, 10000}};
        signal(SIGALRM, handler);
        setitimer(ITIMER_REAL, &it, 0);
        spin();
    }
    if (strcmp(mode, "crash") == 0)
        crash(0);
    if (strcmp(mode, "hot") == 0) {
        phase(20000);
        marker();
        phase(4);
    }
    if (strcmp(mode, "rare") == 0)
        rare_path(20000);
    printf("%d %d %d %d\n", sq, watched, hits, acc);
    return 3;
}
