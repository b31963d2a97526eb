/* Timers and interrupted syscalls: alarm, setitimer (real and virtual), POSIX timers,
   nanosleep interrupted (EINTR + remaining time), SA_RESTART vs not on a blocking read,
   sigsuspend, sigtimedwait, pause, timer signals during a pure compute loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_alrm, got_vt, got_usr1, got_timer;
static volatile int timer_val;

static void h_alrm(int s) { (void)s; got_alrm++; }
static int wpipe = -1;
static void h_alrm_write(int s) { (void)s; if (++got_alrm == 3) write(wpipe, "R", 1); }
static void h_vt(int s) { (void)s; got_vt++; }
static void h_usr1(int s) { (void)s; got_usr1++; }
static void h_timer(int s, siginfo_t *si, void *uc) { (void)s; (void)uc; got_timer++; timer_val = si->si_value.sival_int; }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_alrm;
    sigaction(SIGALRM, &sa, NULL);

    /* alarm interrupts nanosleep: EINTR with time left */
    alarm(1);
    struct timespec req = { 5, 0 }, rem = { 0, 0 };
    int r = nanosleep(&req, &rem);
    printf("nanosleep: r=%d errno=%s alrm=%d rem_ok=%d\n", r, errno == EINTR ? "EINTR" : "?",
           got_alrm, rem.tv_sec >= 3 && rem.tv_sec <= 4);
    printf("alarm left: %u\n", alarm(0));

    /* setitimer ITIMER_REAL periodic, counted in a busy loop (no syscalls) */
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
    got_alrm = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    volatile unsigned long spin = 0;
    while (got_alrm < 3) spin++;
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);
    printf("itimer real fired in compute loop: %d\n", got_alrm >= 3);

    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    printf("itimer disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);

    /* ITIMER_VIRTUAL counts CPU time */
    sa.sa_handler = h_vt;
    sigaction(SIGVTALRM, &sa, NULL);
    struct itimerval vt = { { 0, 0 }, { 0, 50000 } };
    setitimer(ITIMER_VIRTUAL, &vt, NULL);
    while (!got_vt) spin++;
    printf("itimer virtual fired: %d\n", got_vt);

    /* POSIX timer with SIGEV_SIGNAL and a value */
    sa.sa_sigaction = h_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR2;
    sev.sigev_value.sival_int = 4242;
    timer_t tid;
    printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &tid));
    struct itimerspec its = { { 0, 0 }, { 0, 30000000 } };
    timer_settime(tid, 0, &its, NULL);
    struct timespec ts = { 0, 200000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
    printf("posix timer: fired=%d value=%d\n", got_timer, timer_val);
    struct itimerspec gts;
    timer_gettime(tid, &gts);
    printf("timer disarmed: %ld\n", (long)gts.it_value.tv_nsec);
    printf("timer_delete: %d\n", timer_delete(tid));

    /* blocking read on a pipe: SA_RESTART restarts it, without it EINTR */
    int p[2];
    pipe(p);
    sa.sa_handler = h_alrm;
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    char c;
    alarm(1);
    r = read(p[0], &c, 1);
    printf("read without SA_RESTART: r=%d errno=%s\n", r, errno == EINTR ? "EINTR" : "?");
    /* with SA_RESTART the read is restarted after each handler; the third handler run
       writes a byte into the pipe, which the restarted read then returns */
    wpipe = p[1];
    sa.sa_handler = h_alrm_write;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    got_alrm = 0;
    struct itimerval two = { { 0, 50000 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &two, NULL);
    r = read(p[0], &c, 1);
    memset(&two, 0, sizeof two);
    setitimer(ITIMER_REAL, &two, NULL);
    printf("read with SA_RESTART: r=%d c=%c handler_runs=%d\n", r, c, got_alrm);

    /* sigsuspend waits for a blocked signal */
    sigset_t block, old, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sa.sa_handler = h_usr1;
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR1);
    sigemptyset(&waitmask);
    r = sigsuspend(&waitmask);
    printf("sigsuspend: r=%d errno=%s usr1=%d\n", r, errno == EINTR ? "EINTR" : "?", got_usr1);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR1));

    /* sigtimedwait: a pending blocked signal is taken without running the handler */
    raise(SIGUSR1);
    siginfo_t si;
    struct timespec zero = { 0, 0 };
    r = sigtimedwait(&block, &si, &zero);
    printf("sigtimedwait: r=%d code=%d usr1=%d\n", r, si.si_code, got_usr1);
    struct timespec shortwait = { 0, 50000000 };
    r = sigtimedwait(&block, &si, &shortwait);
    printf("sigtimedwait timeout: r=%d errno=%s\n", r, errno == EAGAIN ? "EAGAIN" : "?");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* clock_nanosleep absolute */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct timespec until = t0;
    until.tv_nsec += 100000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("clock_nanosleep abs: r=%d slept_ok=%d\n", r, ms >= 99 && ms < 1000);

    /* alarm default action kills */
    signal(SIGALRM, SIG_DFL);
    alarm(1);
    for (;;) spin++;
    return 0;
}
