/* Thread costs: argv[1] = create (create+join per second), pingpong (futex round trip in
   ns), mutex (4 threads contending for a mutex: ns per lock/unlock), argv[2] = count. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *nothing(void *a) { return a; }

static volatile int turn;
static long rounds;

static void fwait(volatile int *a, int v) { syscall(SYS_futex, a, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0); }
static void fwake(volatile int *a) { syscall(SYS_futex, a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

static void *pong(void *a)
{
    (void)a;
    for (long i = 0; i < rounds; i++) {
        while (turn != 1) fwait(&turn, 0);
        turn = 0;
        fwake(&turn);
    }
    return NULL;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long counter, per;
static void *contend(void *a)
{
    (void)a;
    for (long i = 0; i < per; i++) {
        pthread_mutex_lock(&m);
        counter++;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "create";
    long n = argc > 2 ? atol(argv[2]) : 1000;
    double t0 = now();
    if (!strcmp(mode, "create")) {
        for (long i = 0; i < n; i++) {
            pthread_t t;
            pthread_create(&t, NULL, nothing, NULL);
            pthread_join(t, NULL);
        }
        double s = now() - t0;
        printf("create+join: %ld in %.3f s = %.0f per second\n", n, s, n / s);
    } else if (!strcmp(mode, "pingpong")) {
        rounds = n;
        pthread_t t;
        pthread_create(&t, NULL, pong, NULL);
        t0 = now();
        for (long i = 0; i < n; i++) {
            turn = 1;
            fwake(&turn);
            while (turn != 0) fwait(&turn, 1);
        }
        double s = now() - t0;
        pthread_join(t, NULL);
        printf("futex ping-pong: %ld round trips in %.3f s = %.0f ns each\n", n, s, s / n * 1e9);
    } else {
        per = n;
        pthread_t t[4];
        for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, contend, NULL);
        for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
        double s = now() - t0;
        printf("contended mutex: 4x%ld lock/unlock in %.3f s = %.0f ns each, counter %s\n", n, s,
               s / (4 * n) * 1e9, counter == 4 * n ? "right" : "WRONG");
    }
    return 0;
}
