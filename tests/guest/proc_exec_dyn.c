/* A static program runs a dynamic one: fork + execve, posix_spawn, an execve whose
 * PT_INTERP names no file (ENOENT: the caller's image goes on), then an execve of the
 * dynamic program in this process itself.
 *
 *   proc_exec_dyn DYNAMIC [NO_INTERP]
 *
 * DYNAMIC is tests/guest/args_env.c built dynamically: its output is compared with
 * qemu-hppa running it directly (qemu-hppa cannot exec a guest program).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *child_argv[] = {"args_env", "exit", "7", "two words", "", NULL};
static char *child_envp[] = {"HPPA_TEST_VAR=from the parent", "HPPA_TEST_OTHER=1", NULL};

static void report(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
}

int main(int argc, char **argv)
{
    int st;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: proc_exec_dyn DYNAMIC [NO_INTERP]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid == 0) {
        execve(argv[1], child_argv, child_envp);
        printf("execve: %s\n", strerror(errno));
        _exit(127);
    }
    waitpid(pid, &st, 0);
    report("fork+execve", st);

    int rc = posix_spawn(&pid, argv[1], NULL, NULL, child_argv, child_envp);
    printf("posix_spawn: %d\n", rc);
    if (rc == 0) {
        waitpid(pid, &st, 0);
        report("posix_spawn", st);
    }

    if (argc > 2) {
        errno = 0;
        execve(argv[2], child_argv, child_envp);
        printf("execve of a program without its interpreter: %s, still here\n",
               errno == ENOENT ? "ENOENT" : strerror(errno));
    }
    execve(argv[1], child_argv, child_envp);
    printf("execve: %s\n", strerror(errno));
    return 1;
}
