/* Signals: handlers, masks, SA_SIGINFO, SA_RESETHAND, SA_NODEFER, nesting, sigaltstack,
   raise/kill on itself, sigsuspend, sigpending, and fault signals recovered with siglongjmp. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t count_usr1, count_usr2, last_sig, nested_depth, max_depth;
static volatile int info_code, info_pid_ok;
static sigjmp_buf jb;
static volatile void *fault_addr;

static void h_simple(int sig) { last_sig = sig; if (sig == SIGUSR1) count_usr1++; else count_usr2++; }

static void h_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    last_sig = sig;
    info_code = si->si_code;
    info_pid_ok = (si->si_pid == getpid());
}

static void h_nested(int sig)
{
    nested_depth++;
    if (nested_depth > max_depth) max_depth = nested_depth;
    if (sig == SIGUSR1) raise(SIGUSR2);   /* delivered inside this handler unless masked */
    nested_depth--;
}

static void h_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    last_sig = sig;
    info_code = si->si_code;
    fault_addr = si->si_addr;
    siglongjmp(jb, 1);
}

static char altstack[65536];
static volatile int on_alt;
static void h_alt(int sig)
{
    char here;
    (void)sig;
    on_alt = (&here >= altstack && &here < altstack + sizeof altstack);
}

static int regs_check(void)
{
    /* callee-saved registers must survive a signal */
    register long a asm("r5") = 0x12345678;
    register long b asm("r6") = 0x0badf00d;
    register long c asm("r17") = 0x5a5a5a5a;
    asm volatile("" : "+r"(a), "+r"(b), "+r"(c));
    raise(SIGUSR1);
    asm volatile("" : "+r"(a), "+r"(b), "+r"(c));
    return a == 0x12345678 && b == 0x0badf00d && c == 0x5a5a5a5a;
}

int main(void)
{
    struct sigaction sa;
    sigset_t set, old, pend;
    setvbuf(stdout, NULL, _IOLBF, 0);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_simple;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR1);
    kill(getpid(), SIGUSR2);
    printf("simple: usr1=%d usr2=%d last=%d\n", count_usr1, count_usr2, last_sig);
    printf("regs preserved: %d\n", regs_check());

    /* blocking and pending */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("blocked: delivered=%d pending=%d\n", count_usr1, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: delivered=%d\n", count_usr1);

    /* SA_SIGINFO */
    sa.sa_sigaction = h_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("siginfo: sig=%d code=%d pid_ok=%d\n", last_sig, info_code, info_pid_ok);
    union sigval v = { .sival_int = 7 };
    sigqueue(getpid(), SIGUSR1, v);
    printf("sigqueue: code=%d\n", info_code);

    /* SA_RESETHAND */
    sa.sa_handler = h_simple;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    sigaction(SIGUSR2, NULL, &sa);
    printf("resethand: now default=%d\n", sa.sa_handler == SIG_DFL);

    /* nesting: without SA_NODEFER USR2 nests inside USR1's handler */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_nested;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR1);
    printf("nested depth: %d\n", max_depth);
    max_depth = 0;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("masked nested depth: %d\n", max_depth);

    /* ignored signals */
    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    signal(SIGCHLD, SIG_DFL);
    raise(SIGCHLD);
    raise(SIGWINCH);
    printf("ignored ok\n");

    /* sigaltstack */
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_alt;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("on altstack: %d\n", on_alt);
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("without SA_ONSTACK on altstack: %d\n", on_alt);

    /* faults */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0) { *(volatile int *)0x20000010 = 1; }
    printf("segv: sig=%d code=%d addr=%p\n", last_sig, info_code, (void *)fault_addr);
    if (sigsetjmp(jb, 1) == 0) { asm volatile("iitlbp %%r0,(%%sr0,%%r0)" ::: "memory"); }
    printf("ill: sig=%d\n", last_sig);
    static const int ro = 5;
    if (sigsetjmp(jb, 1) == 0) { *(volatile int *)&ro = 6; }
    printf("segv ro: sig=%d code=%d\n", last_sig, info_code);

    /* errno survives a handler */
    errno = 1234;
    raise(SIGUSR1);
    printf("errno kept: %d\n", errno == 1234);

    /* default action: SIGTERM kills */
    signal(SIGTERM, SIG_DFL);
    fflush(stdout);
    raise(SIGTERM);
    printf("not reached\n");
    return 0;
}
