/* Limits and the end of a run:
     bomb   -- as an ordinary user with RLIMIT_NPROC 12, every process forks until EAGAIN
     hang   -- three children (one ignoring SIGINT/SIGTERM) that never end; prints their pids
     spin   -- a child that never ends (--max-insns stops it), then a normal exit
     chain  -- a grandchild outliving its parent (adopted by init, reaped by the emulator) */
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
    if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
}

static int bomb(void)
{
    if (setresuid(1000, 1000, 1000) != 0) { perror("setresuid"); return 1; }
    struct rlimit rl = {12, 12};
    setrlimit(RLIMIT_NPROC, &rl);
    int pfd[2];
    pipe(pfd);
    pid_t leader = fork();
    if (leader == 0) {
        close(pfd[0]);
        setpgid(0, 0);
        for (;;) {
            pid_t p = fork();
            if (p < 0) {
                char c = errno == EAGAIN ? 'E' : '?';
                write(pfd[1], &c, 1);
                for (;;) pause();
            }
            if (p == 0) { write(pfd[1], "P", 1); continue; }
        }
    }
    close(pfd[1]);
    setpgid(leader, leader);
    int forks = 0, eagain = 0, other = 0;
    char c;
    while (!eagain && read(pfd[0], &c, 1) == 1) {
        if (c == 'P') forks++;
        else if (c == 'E') eagain++;
        else other++;
    }
    printf("bomb: EAGAIN %d, other errors %d, forks below the limit: %d\n", eagain, other,
           forks >= 1 && forks <= 11);
    printf("kill the group: %d\n", kill(-leader, SIGKILL));
    int st;
    waitpid(leader, &st, 0);
    show("leader", st);
    return 0;
}

static int hang(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < 3; i++) {
        pid_t p = fork();
        if (p == 0) {
            if (i == 2) { signal(SIGINT, SIG_IGN); signal(SIGTERM, SIG_IGN); }
            for (;;) pause();
        }
        printf("child %d\n", p);
    }
    printf("ready\n");
    for (;;) pause();
}

static int spin(void)
{
    pid_t p = fork();
    if (p == 0) { for (volatile long i = 0;; i++) ; }
    int st;
    waitpid(p, &st, 0);
    show("spinning child", st);
    return 0;
}

static int chain(void)
{
    int pfd[2];
    pipe(pfd);
    pid_t p = fork();
    if (p == 0) {
        pid_t g = fork();
        if (g == 0) {
            close(pfd[1]);
            char c;
            read(pfd[0], &c, 1);        /* until the parent is gone */
            usleep(50000);
            _exit(getppid() == 1 ? 0 : 1);
        }
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    show("middle", st);
    close(pfd[1]);                      /* the grandchild goes on */
    close(pfd[0]);
    usleep(300000);
    errno = 0;
    printf("grandchild is not ours: %d %s\n", wait(&st), strerror(errno));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "bomb")) return bomb();
    if (argc > 1 && !strcmp(argv[1], "hang")) return hang();
    if (argc > 1 && !strcmp(argv[1], "spin")) return spin();
    if (argc > 1 && !strcmp(argv[1], "chain")) return chain();
    return 2;
}
