/* gdb_threads.c: the threaded and forking program tests/test_gdb.py debugs with gdb over
 * `hppa-user run -g` (-O0 -g -pthread).
 *
 * No argument: main starts three workers; worker N calls worker_fn(N), which records the
 * thread's id in tids[N-1], says it is ready and spins until main, having seen all three
 * ready, has passed checkpoint(); then it returns report(N) = N * 10. main exits with the
 * sum of the joined values, 60.  While main is at checkpoint() every worker is inside
 * worker_fn (spinning, or between its ready store and the loop).
 *
 * "fork": the child prints a line and exits 5; the parent waits for it, passes the child's
 * exit code to after_fork() and exits 4. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 3

volatile int tids[WORKERS];
static volatile int ready[WORKERS];
static volatile int go;

__attribute__((noinline)) int report(int n)
{
    return n * 10;
}

__attribute__((noinline)) int worker_fn(int arg)
{
    tids[arg - 1] = gettid();
    ready[arg - 1] = 1;
    while (!go)
        ;
    return report(arg);
}

static void *start(void *p)
{
    return (void *)(long)worker_fn((int)(long)p);
}

__attribute__((noinline)) void checkpoint(void)
{
    go = 1;
}

__attribute__((noinline)) int after_fork(int code)
{
    return code + 1;
}

static int forking(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child says hello\n");
        fflush(stdout);
        _exit(5);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    int seen = after_fork(WEXITSTATUS(st));
    printf("parent saw %d\n", seen - 1);
    return 4;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "fork") == 0)
        return forking();
    pthread_t th[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        pthread_create(&th[i], NULL, start, (void *)(i + 1));
    while (!(ready[0] && ready[1] && ready[2]))
        sched_yield();
    checkpoint();
    int sum = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *r;
        pthread_join(th[i], &r);
        sum += (int)(long)r;
    }
    printf("sum %d\n", sum);
    return sum;
}
