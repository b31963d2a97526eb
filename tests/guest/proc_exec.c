/* execve and friends. The program execs itself ("report" mode) to show what the new image
   sees; the files it execs are prepared in the working directory by the test:
     text.sh     executable text without "#!"     empty       executable, empty
     noexec      a copy of this program, mode 0644  subdir/     a directory
     badmach     an ELF header for another machine  badload     an hppa ELF whose segment
     script      "#!<this program> one-arg"                    lies above the user space
     script2     "#!<cwd>/script"                   loop        "#!<cwd>/loop"
     nointerp    "#!/nonexistent/interp"
   Expected output: Linux's (execve(2), fs/binfmt_script.c, posix_spawn(3)). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char self[PATH_MAX];

static void show(const char *what, int st)
{
    if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
}

static int report(int argc, char **argv)
{
    /* argv[0] is whatever the exec gave; print the rest relative to known names */
    char cwd[PATH_MAX];
    getcwd(cwd, sizeof cwd);
    printf("  argc %d:", argc);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, self) == 0) a = "<self>";
        else if (strncmp(a, cwd, strlen(cwd)) == 0 && a[strlen(cwd)] == '/') {
            static char rel[PATH_MAX];
            snprintf(rel, sizeof rel, "<cwd>%s", a + strlen(cwd));
            a = rel;
        }
        printf(" [%s]", a);
    }
    printf("\n");
    return 0;
}

static int state(char **argv)
{
    /* argv: self state PID FD_CLOEXEC FD_KEPT */
    int cloexec_fd = atoi(argv[3]), kept_fd = atoi(argv[4]);
    printf("  same pid: %d\n", getpid() == atoi(argv[2]));
    printf("  O_CLOEXEC fd open: %d, plain fd open: %d\n", fcntl(cloexec_fd, F_GETFD) != -1,
           fcntl(kept_fd, F_GETFD) != -1);
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    printf("  caught SIGUSR1 now default: %d\n", sa.sa_handler == SIG_DFL);
    sigaction(SIGUSR2, NULL, &sa);
    printf("  ignored SIGUSR2 still ignored: %d\n", sa.sa_handler == SIG_IGN);
    sigset_t m;
    sigprocmask(SIG_SETMASK, NULL, &m);
    printf("  SIGINT still blocked: %d, SIGTERM not: %d\n", sigismember(&m, SIGINT),
           !sigismember(&m, SIGTERM));
    sigpending(&m);
    printf("  pending SIGINT kept: %d\n", sigismember(&m, SIGINT));
    char exe[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = 0;
    printf("  /proc/self/exe is the program: %d\n", strcmp(exe, self) == 0);
    char comm[32] = "";
    int fd = open("/proc/self/comm", O_RDONLY);
    n = read(fd, comm, sizeof comm - 1);
    if (n > 0) comm[n - 1] = 0;
    char expect[16];
    snprintf(expect, sizeof expect, "%s", strrchr(self, '/') + 1);
    printf("  comm is the file name (15 chars): %d\n", strcmp(comm, expect) == 0);
    printf("  FOO=%s\n", getenv("FOO") ? getenv("FOO") : "(unset)");
    return 0;
}

/* exec in a child; print how it went */
static void try_exec(const char *what, const char *path, char *const argv[], char *const envp[])
{
    int pfd[2];
    pipe2(pfd, O_CLOEXEC);
    pid_t p = fork();
    if (p == 0) {
        close(pfd[0]);
        execve(path, argv, envp ? envp : environ);
        int e = errno;
        write(pfd[1], &e, sizeof e);
        _exit(127);
    }
    close(pfd[1]);
    int e = 0, st;
    ssize_t got = read(pfd[0], &e, sizeof e);
    close(pfd[0]);
    waitpid(p, &st, 0);
    if (got == sizeof e)
        printf("%s: %s\n", what, strerrorname_np(e));
    else
        show(what, st);
}

static volatile int vfork_value;

static int vfork_child(void *arg)
{
    (void)arg;
    vfork_value = 3;
    return 6;
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) self[n] = 0;
    if (argc > 1 && strcmp(argv[1], "report") == 0) return report(argc, argv);
    if (argc > 1 && strcmp(argv[1], "state") == 0) return state(argv);
    if (argc > 1 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
    setvbuf(stdout, NULL, _IONBF, 0);
    char cwd[PATH_MAX], path[PATH_MAX + 16];
    getcwd(cwd, sizeof cwd);

    char *rep[] = {"argv0", "report", "a b", "", "c", NULL};
    try_exec("exec self", self, rep, NULL);

    /* what survives the exec */
    int pfd[2];
    pipe2(pfd, O_CLOEXEC);
    int kept = dup(0);
    pid_t p = fork();
    if (p == 0) {
        char pid[16], a[16], b[16];
        snprintf(pid, sizeof pid, "%d", getpid());
        snprintf(a, sizeof a, "%d", pfd[0]);
        snprintf(b, sizeof b, "%d", kept);
        signal(SIGUSR1, (void (*)(int))exit);
        signal(SIGUSR2, SIG_IGN);
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGINT);
        sigprocmask(SIG_BLOCK, &m, NULL);
        raise(SIGINT);
        char *st[] = {"renamed", "state", pid, a, b, NULL};
        char *env[] = {"FOO=bar", NULL};
        execve(self, st, env);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    show("state", st);
    close(pfd[0]);
    close(pfd[1]);
    close(kept);

    /* failures before the point of no return: the caller goes on */
    char *noargs[] = {"x", NULL};
    try_exec("missing", "./no-such-file", noargs, NULL);
    try_exec("missing dir component", "./no-such-dir/x", noargs, NULL);
    try_exec("directory", "./subdir", noargs, NULL);
    try_exec("no execute permission", "./noexec", noargs, NULL);
    try_exec("text without #!", "./text.sh", noargs, NULL);
    try_exec("empty file", "./empty", noargs, NULL);
    try_exec("ELF for another machine", "./badmach", noargs, NULL);
    try_exec("#! with a missing interpreter", "./nointerp", noargs, NULL);
    try_exec("#! loop", "./loop", noargs, NULL);
    static char huge[200000];
    memset(huge, 'x', sizeof huge - 1);
    char *big[] = {"x", huge, NULL};
    try_exec("argument over 128 KiB", self, big, NULL);

    /* #! scripts */
    char *sargs[] = {"ignored-argv0", "x", "y", NULL};
    try_exec("script", "./script", sargs, NULL);
    snprintf(path, sizeof path, "%s/script2", cwd);
    try_exec("script of a script", path, sargs, NULL);

    /* execveat / fexecve */
    int fd = open(self, O_RDONLY | O_CLOEXEC);
    p = fork();
    if (p == 0) { fexecve(fd, rep, environ); printf("fexecve: %s\n", strerrorname_np(errno)); _exit(1); }
    waitpid(p, &st, 0);
    show("fexecve", st);
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    p = fork();
    if (p == 0) { syscall(SYS_execveat, dfd, "script", sargs, environ, 0); _exit(1); }
    waitpid(p, &st, 0);
    show("execveat(dirfd, script)", st);
    p = fork();
    if (p == 0) {
        syscall(SYS_execveat, dfd, "", sargs, environ, 0);
        printf("execveat empty path without AT_EMPTY_PATH: %s\n", strerrorname_np(errno));
        _exit(0);
    }
    waitpid(p, &st, 0);

    /* a load failure after the point of no return */
    try_exec("segment above user space", "./badload", noargs, NULL);

    /* vfork: glibc for hppa makes vfork() a fork(), so the child's write stays its own;
       clone(CLONE_VM|CLONE_VFORK) shares the memory and the parent waits for exec or exit */
    vfork_value = 1;
    p = vfork();
    if (p == 0) { vfork_value = 2; _exit(5); }
    waitpid(p, &st, 0);
    printf("vfork: parent sees the child's write: %d, ", vfork_value == 2);
    show("child", st);
    static char stack[65536] __attribute__((aligned(64)));
    vfork_value = 1;
    p = clone(vfork_child, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    printf("clone(CLONE_VM|CLONE_VFORK): parent sees the child's write: %d, ", vfork_value == 3);
    waitpid(p, &st, 0);
    show("child", st);
    p = vfork();
    if (p == 0) { execve(self, rep, environ); _exit(127); }
    waitpid(p, &st, 0);
    show("vfork+exec", st);

    /* posix_spawn: file actions, an error reported to the caller */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    int out[2];
    pipe(out);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, out[1]);
    pid_t sp;
    int r = posix_spawn(&sp, self, &fa, NULL, rep, environ);
    close(out[1]);
    char buf[256];
    ssize_t got = read(out[0], buf, sizeof buf);
    close(out[0]);
    printf("posix_spawn: %d, output %.*s", r, (int)(got > 0 ? got : 0), buf);
    waitpid(sp, &st, 0);
    show("spawned", st);
    r = posix_spawn(&sp, "./no-such-file", NULL, NULL, noargs, environ);
    printf("posix_spawn missing: %s\n", strerrorname_np(r));
    char *ex[] = {"x", "exit", "7", NULL};
    setenv("PATH", cwd, 1);
    r = posix_spawnp(&sp, "noexec", NULL, NULL, ex, environ);
    printf("posix_spawnp noexec: %s\n", strerrorname_np(r));
    char *ex2[] = {"x", "exit", "9", NULL};
    snprintf(path, sizeof path, "%s", self);
    *strrchr(path, '/') = 0;
    setenv("PATH", path, 1);
    r = posix_spawnp(&sp, strrchr(self, '/') + 1, NULL, NULL, ex2, environ);
    waitpid(sp, &st, 0);
    printf("posix_spawnp through PATH: %d, ", r);
    show("status", st);
    errno = 0;
    printf("wait after all: %d %s\n", wait(&st), strerrorname_np(errno));
    printf("done\n");
    return 0;
}
