/* Pipes and descriptors across processes: both directions, dup2, socketpair, poll/select on
   pipes, O_NONBLOCK, EPIPE/SIGPIPE, fcntl flags, inheritance over fork. Output names
   relations only (same under qemu-hppa and Linux). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int st)
{
    if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
}

static ssize_t readall(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) break;
        got += r;
    }
    return got;
}

int main(void)
{
    int st, p2c[2], c2p[2];
    char buf[256];
    setvbuf(stdout, NULL, _IONBF, 0);

    /* both directions: the child upper-cases what it reads */
    pipe(p2c);
    pipe(c2p);
    pid_t p = fork();
    if (p == 0) {
        close(p2c[1]);
        close(c2p[0]);
        ssize_t n;
        while ((n = read(p2c[0], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
            write(c2p[1], buf, n);
        }
        _exit(n == 0 ? 0 : 1);
    }
    close(p2c[0]);
    close(c2p[1]);
    write(p2c[1], "hello, pipes", 12);
    close(p2c[1]);
    ssize_t n = readall(c2p[0], buf, sizeof buf);
    printf("round trip: %.*s (%zd)\n", (int)n, buf, n);
    printf("eof after child: %zd\n", read(c2p[0], buf, 1));
    close(c2p[0]);
    waitpid(p, &st, 0);
    show("upper", st);

    /* a big transfer through a pipe (more than the pipe holds) */
    pipe(c2p);
    p = fork();
    if (p == 0) {
        close(c2p[0]);
        static char big[300000];
        for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
        size_t done = 0;
        while (done < sizeof big) {
            ssize_t w = write(c2p[1], big + done, sizeof big - done);
            if (w <= 0) _exit(2);
            done += w;
        }
        _exit(0);
    }
    close(c2p[1]);
    static char got[300000];
    n = readall(c2p[0], got, sizeof got);
    int ok = n == (ssize_t)sizeof got;
    for (size_t i = 0; ok && i < sizeof got; i++) ok = got[i] == (char)(i * 7);
    printf("300000 bytes intact: %d\n", ok);
    close(c2p[0]);
    waitpid(p, &st, 0);
    show("writer", st);

    /* dup2 onto stdout in the child */
    pipe(c2p);
    p = fork();
    if (p == 0) {
        dup2(c2p[1], 1);
        close(c2p[0]);
        close(c2p[1]);
        printf("through stdout\n");
        fflush(stdout);
        _exit(0);
    }
    close(c2p[1]);
    n = readall(c2p[0], buf, sizeof buf);
    printf("child stdout: %.*s", (int)n, buf);
    close(c2p[0]);
    waitpid(p, &st, 0);

    /* socketpair both ways */
    int sv[2];
    printf("socketpair: %d\n", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    p = fork();
    if (p == 0) {
        close(sv[0]);
        n = read(sv[1], buf, sizeof buf);
        write(sv[1], buf, n);
        write(sv[1], "!", 1);
        _exit(0);
    }
    close(sv[1]);
    write(sv[0], "ping", 4);
    n = readall(sv[0], buf, 5);
    printf("socketpair echo: %.*s\n", (int)n, buf);
    close(sv[0]);
    waitpid(p, &st, 0);

    /* poll and select on a pipe the child writes later */
    pipe(c2p);
    p = fork();
    if (p == 0) { close(c2p[0]); usleep(20000); write(c2p[1], "z", 1); usleep(20000); _exit(0); }
    close(c2p[1]);
    struct pollfd pf = {c2p[0], POLLIN, 0};
    printf("poll now: %d\n", poll(&pf, 1, 0));
    int r = poll(&pf, 1, 5000);
    printf("poll later: %d revents POLLIN %d\n", r, !!(pf.revents & POLLIN));
    read(c2p[0], buf, 1);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(c2p[0], &rs);
    struct timeval tv = {5, 0};
    r = select(c2p[0] + 1, &rs, NULL, NULL, &tv);
    printf("select at eof: %d set %d\n", r, FD_ISSET(c2p[0], &rs));
    pf.revents = 0;
    r = poll(&pf, 1, 5000);
    printf("poll at eof: %d POLLHUP %d\n", r, !!(pf.revents & POLLHUP));
    close(c2p[0]);
    waitpid(p, &st, 0);

    /* O_NONBLOCK and fcntl flags */
    pipe2(c2p, O_NONBLOCK | O_CLOEXEC);
    printf("F_GETFL nonblock %d, F_GETFD cloexec %d\n", !!(fcntl(c2p[0], F_GETFL) & O_NONBLOCK),
           fcntl(c2p[0], F_GETFD) == FD_CLOEXEC);
    errno = 0;
    printf("empty read: %zd %s\n", read(c2p[0], buf, 1), strerror(errno));
    fcntl(c2p[0], F_SETFL, 0);
    fcntl(c2p[0], F_SETFD, 0);
    printf("after F_SETFL 0: nonblock %d, cloexec %d\n", !!(fcntl(c2p[0], F_GETFL) & O_NONBLOCK),
           fcntl(c2p[0], F_GETFD));
    /* a full non-blocking pipe */
    long total = 0;
    for (;;) {
        static char chunk[4096];
        ssize_t w = write(c2p[1], chunk, sizeof chunk);
        if (w < 0) break;
        total += w;
    }
    printf("full pipe: EAGAIN %d, holds >= 4096: %d\n", errno == EAGAIN, total >= 4096);
    /* the status flags are shared by the child (one open file description) */
    p = fork();
    if (p == 0) { fcntl(c2p[1], F_SETFL, 0); _exit(0); }
    waitpid(p, &st, 0);
    printf("child cleared O_NONBLOCK for both: %d\n", !(fcntl(c2p[1], F_GETFL) & O_NONBLOCK));
    close(c2p[0]);
    close(c2p[1]);

    /* EPIPE and SIGPIPE */
    pipe(c2p);
    close(c2p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    printf("write to closed pipe, SIGPIPE ignored: %zd %s\n", write(c2p[1], "x", 1), strerror(errno));
    signal(SIGPIPE, SIG_DFL);
    p = fork();
    if (p == 0) { write(c2p[1], "x", 1); _exit(0); }
    waitpid(p, &st, 0);
    show("writer without reader", st);
    close(c2p[1]);

    /* descriptors inherited over fork share the offset */
    FILE *tmp = tmpfile();
    int fd = fileno(tmp);
    p = fork();
    if (p == 0) { write(fd, "abc", 3); _exit(0); }
    waitpid(p, &st, 0);
    write(fd, "def", 3);
    lseek(fd, 0, SEEK_SET);
    n = read(fd, buf, sizeof buf);
    printf("shared offset: %.*s\n", (int)n, buf);
    printf("done\n");
    return 0;
}
