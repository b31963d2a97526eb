/* Hostile thread programs: as many threads as the address space holds (pthread_create
   then fails with EAGAIN), 10,000 small threads at once, a futex on an unmapped address,
   and a thread spinning forever while another must still run. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int released;
static long started;

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    started++;
    while (!released) pthread_cond_wait(&go, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static int many(size_t stack, int limit, int *err)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    if (stack) pthread_attr_setstacksize(&a, stack);
    pthread_t *t = calloc(limit, sizeof *t);
    int n = 0;
    *err = 0;
    released = 0;
    started = 0;
    while (n < limit) {
        int e = pthread_create(&t[n], &a, waiter, NULL);
        if (e) { *err = e; break; }
        n++;
    }
    pthread_mutex_lock(&m);
    released = 1;
    pthread_cond_broadcast(&go);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
    free(t);
    return n;
}

static volatile int stop;
static volatile long spins;
static void *spinner(void *arg) { (void)arg; while (!stop) spins++; return NULL; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int err;
    int n = many(0, 100000, &err);          /* default 8 MiB stacks: the address space ends */
    printf("default stacks: %s after more than 100: %d, all ran: %d\n", strerrorname_np(err),
           n > 100, started == n);
    n = many(PTHREAD_STACK_MIN, 10000, &err);
    printf("10000 small threads: created %d, error %d, all ran %d\n", n, err, started == n);

    errno = 0;
    long r = syscall(SYS_futex, (int *)0x2000, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    printf("futex on unmapped memory: %ld %s\n", r, strerrorname_np(errno));
    errno = 0;
    r = syscall(SYS_futex, (int *)0x2001, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    printf("futex on a misaligned address: %ld %s\n", r, strerrorname_np(errno));

    pthread_t s;
    pthread_create(&s, NULL, spinner, NULL);
    usleep(50000);                          /* the spinner must not keep us from running */
    stop = 1;
    pthread_join(s, NULL);
    printf("spinner stopped, it ran: %d\n", spins > 0);
    printf("done\n");
    return 0;
}
