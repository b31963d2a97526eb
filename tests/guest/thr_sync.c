/* Threads and their synchronisation, printing only what does not depend on the order the
   threads ran in (the same under qemu-hppa, where they are host threads, and Linux):
   mutex/condvar/barrier/rwlock/semaphore stress, thread-local storage, join values,
   cancellation, pthread_kill to one thread, a thread exiting while others wait, a robust
   mutex whose owner dies, timed waits that time out. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define N 6
#define ITERS 3000

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* -- mutex + condvar: a bounded queue, N producers and N consumers ---------------------- */
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static int queue[8], qhead, qlen;
static long consumed_sum;

static void *producer(void *arg)
{
    long base = (long)arg * ITERS;
    for (long i = 0; i < ITERS / 10; i++) {
        pthread_mutex_lock(&qm);
        while (qlen == 8) pthread_cond_wait(&not_full, &qm);
        queue[(qhead + qlen++) % 8] = (int)(base + i);
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qm);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    long sum = 0;
    for (long i = 0; i < ITERS / 10; i++) {
        pthread_mutex_lock(&qm);
        while (qlen == 0) pthread_cond_wait(&not_empty, &qm);
        sum += queue[qhead];
        qhead = (qhead + 1) % 8;
        qlen--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qm);
    }
    pthread_mutex_lock(&qm);
    consumed_sum += sum;
    pthread_mutex_unlock(&qm);
    return NULL;
}

/* -- barrier, rwlock, semaphore, TLS ----------------------------------------------------- */
static pthread_barrier_t bar;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;
static long shared_value, rw_errors, sem_max, sem_inside;
static pthread_mutex_t sm = PTHREAD_MUTEX_INITIALIZER;
static __thread long tls_counter;
static pthread_key_t key;
static int destructor_calls;

static void destructor(void *p)
{
    pthread_mutex_lock(&sm);
    destructor_calls += (long)p > 0;
    pthread_mutex_unlock(&sm);
}

static void *mixed(void *arg)
{
    long id = (long)arg;
    pthread_setspecific(key, (void *)(id + 1));
    for (int round = 0; round < 3; round++) {
        pthread_barrier_wait(&bar);
        for (int i = 0; i < 200; i++) {
            tls_counter++;
            if (i % 10 == 0) {
                pthread_rwlock_wrlock(&rw);
                long v = shared_value;
                sched_yield();
                shared_value = v + 1;
                pthread_rwlock_unlock(&rw);
            } else {
                pthread_rwlock_rdlock(&rw);
                long a = shared_value;
                sched_yield();
                if (a != shared_value) rw_errors++;
                pthread_rwlock_unlock(&rw);
            }
            if (i % 50 == 0) {
                sem_wait(&sem);
                pthread_mutex_lock(&sm);
                if (++sem_inside > sem_max) sem_max = sem_inside;
                pthread_mutex_unlock(&sm);
                sched_yield();
                pthread_mutex_lock(&sm);
                sem_inside--;
                pthread_mutex_unlock(&sm);
                sem_post(&sem);
            }
        }
    }
    return (void *)(tls_counter * 100 + (long)pthread_getspecific(key));
}

/* -- cancellation ------------------------------------------------------------------------- */
static void *cancellable(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&qm);
    for (;;) pthread_cond_wait(&not_full, &qm);     /* a cancellation point */
    return NULL;
}

static void unlock_on_cancel(void *m) { pthread_mutex_unlock(m); }

static void *cancellable2(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&qm);
    pthread_cleanup_push(unlock_on_cancel, &qm);
    for (;;) pthread_cond_wait(&not_full, &qm);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *sleeper(void *arg) { (void)arg; for (;;) sleep(10); return NULL; }

/* -- pthread_kill to one thread ----------------------------------------------------------- */
static volatile pid_t got_signal_in;
static void on_usr1(int sig) { (void)sig; got_signal_in = gettid_(); }
static volatile pid_t target_tid;
static volatile int stop_waiting;

static void *signal_target(void *arg)
{
    (void)arg;
    target_tid = gettid_();
    while (!stop_waiting) usleep(1000);
    return NULL;
}

/* -- robust mutex ------------------------------------------------------------------------ */
static pthread_mutex_t robust;

static void *dies_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust);
    return NULL;                                   /* exits with the mutex locked */
}

/* -- a timed lock that times out ---------------------------------------------------------- */
static pthread_mutex_t timed = PTHREAD_MUTEX_INITIALIZER;

static void *timed_locker(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    return (void *)(long)pthread_mutex_timedlock(&timed, &ts);
}

/* -- a thread exiting while others wait for it ------------------------------------------- */
static void *short_lived(void *arg) { usleep(20000); return arg; }
static pthread_t joined_one;
static void *joiner(void *arg)
{
    (void)arg;
    void *r;
    int e = pthread_join(joined_one, &r);
    return (void *)(long)(e == 0 ? (long)r : -1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pthread_t t[2 * N];

    for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, producer, (void *)i);
    for (long i = 0; i < N; i++) pthread_create(&t[N + i], NULL, consumer, NULL);
    for (int i = 0; i < 2 * N; i++) pthread_join(t[i], NULL);
    long want = 0;
    for (long p = 0; p < N; p++)
        for (long i = 0; i < ITERS / 10; i++) want += p * ITERS + i;
    printf("queue: consumed sum right %d, left %d\n", consumed_sum == want, qlen);

    pthread_barrier_init(&bar, NULL, N);
    sem_init(&sem, 0, 2);
    pthread_key_create(&key, destructor);
    for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, mixed, (void *)i);
    long joined = 0;
    for (int i = 0; i < N; i++) { void *r; pthread_join(t[i], &r); joined += (long)r; }
    printf("mixed: writes %ld, read errors %ld, semaphore never over 2: %d, join values %ld, "
           "destructors %d, main's TLS %ld\n", shared_value, rw_errors, sem_max <= 2, joined,
           destructor_calls, tls_counter);

    /* ids */
    printf("ids: main tid is the pid %d\n", gettid_() == getpid());

    /* cancellation */
    pthread_t c;
    pthread_create(&c, NULL, cancellable2, NULL);
    usleep(20000);
    void *r;
    printf("cancel: %d, ", pthread_cancel(c));
    pthread_join(c, &r);
    printf("joined PTHREAD_CANCELED %d, mutex free %d\n", r == PTHREAD_CANCELED,
           pthread_mutex_trylock(&qm) == 0);
    pthread_mutex_unlock(&qm);
    pthread_create(&c, NULL, sleeper, NULL);
    usleep(20000);
    pthread_cancel(c);
    pthread_join(c, &r);
    printf("cancel in sleep: %d\n", r == PTHREAD_CANCELED);

    /* pthread_kill */
    signal(SIGUSR1, on_usr1);
    pthread_create(&c, NULL, signal_target, NULL);
    while (!target_tid) usleep(1000);
    pthread_kill(c, SIGUSR1);
    while (!got_signal_in) usleep(1000);
    printf("pthread_kill: handled in the target thread %d, not main %d\n",
           got_signal_in == target_tid, got_signal_in != gettid_());
    stop_waiting = 1;
    pthread_join(c, NULL);

    /* a thread ending while two others wait for it */
    pthread_t j1;
    pthread_create(&joined_one, NULL, short_lived, (void *)77);
    pthread_create(&j1, NULL, joiner, NULL);
    pthread_join(j1, &r);
    printf("join through another thread: %ld\n", (long)r);

    /* robust mutex */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &ma);
    pthread_create(&c, NULL, dies_holding, NULL);
    pthread_join(c, NULL);
    int e = pthread_mutex_lock(&robust);
    printf("robust: lock after owner died %s, ", strerrorname_np(e));
    printf("consistent %d, ", pthread_mutex_consistent(&robust));
    pthread_mutex_unlock(&robust);
    printf("relock %d\n", pthread_mutex_lock(&robust));
    pthread_mutex_unlock(&robust);

    /* timed waits that time out */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&qm);
    e = pthread_cond_timedwait(&not_full, &qm, &ts);
    pthread_mutex_unlock(&qm);
    printf("cond_timedwait: %s\n", strerrorname_np(e));
    sem_t s0;
    sem_init(&s0, 0, 0);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    printf("sem_timedwait: %d %s\n", sem_timedwait(&s0, &ts), strerrorname_np(errno));
    pthread_mutex_lock(&timed);
    pthread_create(&c, NULL, timed_locker, NULL);
    pthread_join(c, &r);
    pthread_mutex_unlock(&timed);
    printf("mutex_timedlock held by another thread: %s\n", strerrorname_np((int)(long)r));
    printf("done\n");
    return 0;
}
