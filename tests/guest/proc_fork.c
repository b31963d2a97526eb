/* fork, exit statuses, death by signal, stop/continue, wait variants, SIGCHLD, process
   groups and sessions. Output names relations, never pid values, so it is the same under
   qemu-hppa (which forks real host processes too) and under Linux. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by %s%s\n", what, strsignal(WTERMSIG(st)), WCOREDUMP(st) ? " (core)" : "");
    else if (WIFSTOPPED(st))
        printf("%s: stopped by %s\n", what, strsignal(WSTOPSIG(st)));
    else if (WIFCONTINUED(st))
        printf("%s: continued\n", what);
    else
        printf("%s: status %#x\n", what, st);
}

static pid_t child_exit(int code) { pid_t p = fork(); if (p == 0) _exit(code); return p; }

static volatile sig_atomic_t chld_count, chld_code, chld_status, chld_pid_ok;
static pid_t expect_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    chld_count++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == expect_pid;
}

int main(void)
{
    int st;
    pid_t me = getpid(), p, w;
    fflush(stdout);
    setvbuf(stdout, NULL, _IONBF, 0);

    /* exit statuses */
    int codes[] = {0, 3, 255, 256 + 7};
    for (int i = 0; i < 4; i++) {
        p = child_exit(codes[i]);
        w = waitpid(p, &st, 0);
        printf("[%d] waitpid==pid %d ", i, w == p);
        show("child", st);
    }

    /* getpid / getppid in the child */
    p = fork();
    if (p == 0) {
        int ok = getppid() == me && getpid() != me;
        _exit(ok ? 10 : 11);
    }
    waitpid(p, &st, 0);
    show("ids in child (10 = ok)", st);

    /* death by signal: a real fault, abort, kill from the parent, raise */
    p = fork();
    if (p == 0) { *(volatile int *)16 = 1; _exit(0); }
    waitpid(p, &st, 0);
    show("null store", st);
    p = fork();
    if (p == 0) { abort(); }
    waitpid(p, &st, 0);
    show("abort", st);
    p = fork();
    if (p == 0) { struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY}; (void)rl; raise(SIGTERM); _exit(0); }
    waitpid(p, &st, 0);
    show("raise SIGTERM", st);
    p = fork();
    if (p == 0) { for (;;) pause(); }
    printf("kill SIGKILL: %d\n", kill(p, SIGKILL));
    waitpid(p, &st, 0);
    show("kill -9", st);
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGUSR1);
    waitpid(p, &st, 0);
    show("kill USR1", st);

    /* stop and continue */
    p = fork();
    if (p == 0) { for (;;) pause(); }
    kill(p, SIGSTOP);
    w = waitpid(p, &st, WUNTRACED);
    printf("stopped: same pid %d ", w == p);
    show("child", st);
    kill(p, SIGCONT);
    w = waitpid(p, &st, WCONTINUED);
    printf("continued: same pid %d ", w == p);
    show("child", st);
    kill(p, SIGTERM);
    waitpid(p, &st, 0);
    show("then", st);

    /* job-control stops: SIGTSTP from the parent, SIGTTOU raised by the child itself.
       Each child gets a process group of its own, as a shell's job does: Linux discards
       these three stop signals in an orphaned process group, and ours may be one (a test
       runner whose parent has gone), the child's never is (its parent is in our session). */
    p = fork();
    if (p == 0) { setpgid(0, 0); for (;;) pause(); }
    setpgid(p, p);
    kill(p, SIGTSTP);
    waitpid(p, &st, WUNTRACED);
    show("SIGTSTP", st);
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    p = fork();
    if (p == 0) { setpgid(0, 0); raise(SIGTTOU); _exit(44); }
    setpgid(p, p);
    waitpid(p, &st, WUNTRACED);
    show("raise SIGTTOU", st);
    kill(p, SIGCONT);
    waitpid(p, &st, 0);
    show("continued, then", st);
    /* ... discarded in an orphaned group: a new session's group has no parent in it */
    p = fork();
    if (p == 0) { setsid(); raise(SIGTSTP); raise(SIGTTIN); _exit(45); }
    waitpid(p, &st, WUNTRACED);
    show("SIGTSTP, SIGTTIN in an orphaned group", st);

    /* WNOHANG, waitid, WNOWAIT */
    int pfd[2];
    pipe(pfd);
    p = fork();
    if (p == 0) { char c; close(pfd[1]); read(pfd[0], &c, 1); _exit(42); }
    close(pfd[0]);
    printf("WNOHANG before exit: %d\n", waitpid(p, &st, WNOHANG));
    siginfo_t si;
    memset(&si, 0xff, sizeof si);
    int r = waitid(P_PID, p, &si, WEXITED | WNOHANG);
    printf("waitid WNOHANG: %d si_pid %d\n", r, si.si_pid);
    close(pfd[1]);
    r = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    printf("waitid WNOWAIT: %d signo %d code %d status %d pid ok %d\n", r, si.si_signo == SIGCHLD,
           si.si_code == CLD_EXITED, si.si_status, si.si_pid == p);
    r = waitid(P_ALL, 0, &si, WEXITED);
    printf("waitid again: %d code %d status %d pid ok %d\n", r, si.si_code == CLD_EXITED,
           si.si_status, si.si_pid == p);
    errno = 0;
    printf("waitpid reaped one: %d errno %s\n", waitpid(p, &st, 0), strerror(errno));

    /* eight children, reaped in whatever order, then ECHILD */
    pid_t kids[8];
    for (int i = 0; i < 8; i++) {
        kids[i] = fork();
        if (kids[i] == 0) { usleep((8 - i) * 3000); _exit(20 + i); }
    }
    int seen = 0;
    for (int i = 0; i < 8; i++) {
        w = wait(&st);
        for (int j = 0; j < 8; j++)
            if (kids[j] == w && WIFEXITED(st) && WEXITSTATUS(st) == 20 + j)
                seen |= 1 << j;
    }
    errno = 0;
    w = wait(&st);
    printf("eight children: mask %#x, then %d %s\n", seen, w, strerror(errno));

    /* waiting for a process that is not our child */
    errno = 0;
    printf("waitpid(1): %d %s\n", waitpid(1, &st, 0), strerror(errno));
    errno = 0;
    printf("waitpid(getppid): %d %s\n", waitpid(getppid(), &st, WNOHANG), strerror(errno));

    /* SIGCHLD with siginfo */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    expect_pid = p = child_exit(5);
    waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGCHLD: count %d code exited %d status %d pid ok %d\n", chld_count,
           chld_code == CLD_EXITED, chld_status, chld_pid_ok);
    waitpid(p, &st, 0);
    chld_count = 0;
    sigprocmask(SIG_BLOCK, &block, &old);
    expect_pid = p = fork();
    if (p == 0) raise(SIGKILL);
    waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGCHLD: count %d code killed %d status %d pid ok %d\n", chld_count,
           chld_code == CLD_KILLED, chld_status == SIGKILL, chld_pid_ok);
    waitpid(p, &st, 0);

    /* SIGCHLD ignored: children are reaped by the kernel, wait sees ECHILD */
    signal(SIGCHLD, SIG_IGN);
    p = child_exit(1);
    errno = 0;
    w = waitpid(p, &st, 0);
    printf("SIG_IGN: waitpid %d %s\n", w, strerror(errno));
    signal(SIGCHLD, SIG_DFL);

    /* process groups and sessions */
    pipe(pfd);
    p = fork();
    if (p == 0) {
        char c;
        close(pfd[1]);
        read(pfd[0], &c, 1);
        _exit(getpgrp() == getpid() ? 30 : 31);
    }
    close(pfd[0]);
    printf("setpgid(child): %d\n", setpgid(p, p));
    printf("getpgid(child) is child: %d, mine unchanged: %d\n", getpgid(p) == p, getpgrp() != p);
    printf("getsid(child)==getsid(0): %d\n", getsid(p) == getsid(0));
    errno = 0;
    printf("setpgid(child, foreign group): %d %s\n", setpgid(p, 1), strerror(errno));
    write(pfd[1], "x", 1);
    close(pfd[1]);
    waitpid(p, &st, 0);
    show("group leader child (30 = ok)", st);

    p = fork();
    if (p == 0) {
        pid_t s = setsid();
        int ok = s == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
        errno = 0;
        int again = setsid();
        _exit(ok && again == -1 && errno == EPERM ? 40 : 41);
    }
    waitpid(p, &st, 0);
    show("setsid child (40 = ok)", st);

    /* kill() to a process group of children */
    pid_t g1 = fork();
    if (g1 == 0) { setpgid(0, 0); for (;;) pause(); }
    setpgid(g1, g1);
    pid_t g2 = fork();
    if (g2 == 0) { for (;;) pause(); }
    setpgid(g2, g1);
    printf("kill(-group, SIGTERM): %d\n", kill(-g1, SIGTERM));
    int n = 0;
    for (int i = 0; i < 2; i++) {
        w = wait(&st);
        if ((w == g1 || w == g2) && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
            n++;
    }
    printf("both killed by SIGTERM: %d\n", n == 2);
    errno = 0;
    printf("kill(-group) gone: %d %s\n", kill(-g1, SIGTERM), strerror(errno));
    printf("done\n");
    return 0;
}
