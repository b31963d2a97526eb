/* How threads end and what they take with them: argv[1] names the case.
     main-exits   the main thread calls pthread_exit, a worker carries on
     exit-group   a worker calls exit() while main waits in pthread_join
     directed     a process-directed signal is taken by the thread that does not block it
     fork         a thread forks: the child has that one thread
     exec         a thread execs while another runs: the new program has one thread
     tasks        /proc/self/task lists the threads, and thread names */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static void *worker_after_main(void *arg)
{
    (void)arg;
    usleep(30000);
    printf("worker: still running after main's pthread_exit, tasks %d\n", count_tasks());
    fflush(stdout);
    return NULL;
}

static void *exiter(void *arg) { (void)arg; usleep(20000); exit(7); }

static volatile pid_t handled_by;
static void on_usr1(int s) { (void)s; handled_by = gettid_(); }
static volatile pid_t worker_tid;
static void *unblocked(void *arg)
{
    (void)arg;
    worker_tid = gettid_();
    while (!handled_by) pause();
    return NULL;
}

static void *forker(void *arg)
{
    (void)arg;
    pid_t p = fork();
    if (p == 0) _exit(count_tasks());
    int st;
    waitpid(p, &st, 0);
    return (void *)(long)WEXITSTATUS(st);
}

static char self[4096];
static void *spin(void *arg) { (void)arg; for (;;) usleep(1000); return NULL; }
static void *execer(void *arg)
{
    (void)arg;
    usleep(20000);
    execl(self, self, "after-exec", (char *)0);
    return NULL;
}

static void *named(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "worker-1");
    char name[16];
    pthread_getname_np(pthread_self(), name, sizeof name);
    printf("thread name: %s\n", name);
    usleep(50000);
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    const char *what = argc > 1 ? argv[1] : "";
    pthread_t t, t2;
    if (!strcmp(what, "main-exits")) {
        pthread_create(&t, NULL, worker_after_main, NULL);
        pthread_exit(NULL);
    }
    if (!strcmp(what, "exit-group")) {
        pthread_create(&t, NULL, exiter, NULL);
        pthread_join(t, NULL);
        printf("not reached\n");
        return 0;
    }
    if (!strcmp(what, "directed")) {
        signal(SIGUSR1, on_usr1);
        sigset_t m;
        sigemptyset(&m);
        sigaddset(&m, SIGUSR1);
        pthread_create(&t, NULL, unblocked, NULL);     /* created before main blocks it */
        pthread_sigmask(SIG_BLOCK, &m, NULL);
        while (!worker_tid) usleep(1000);
        kill(getpid(), SIGUSR1);
        pthread_join(t, NULL);
        printf("process-directed signal taken by the thread not blocking it: %d\n",
               handled_by == worker_tid);
        return 0;
    }
    if (!strcmp(what, "fork")) {
        pthread_create(&t2, NULL, spin, NULL);
        pthread_create(&t, NULL, forker, NULL);
        void *r;
        pthread_join(t, &r);
        printf("threads in the forked child: %ld\n", (long)r);
        return 0;
    }
    if (!strcmp(what, "exec")) {
        pthread_create(&t2, NULL, spin, NULL);
        pthread_create(&t, NULL, execer, NULL);
        pthread_join(t, NULL);
        printf("not reached\n");
        return 0;
    }
    if (!strcmp(what, "after-exec")) {
        printf("after exec: tasks %d, tid is the pid %d\n", count_tasks(), gettid_() == getpid());
        return 0;
    }
    if (!strcmp(what, "tasks")) {
        pthread_create(&t, NULL, named, NULL);
        pthread_create(&t2, NULL, spin, NULL);
        usleep(20000);
        printf("tasks %d\n", count_tasks());
        pthread_join(t, NULL);
        return 0;
    }
    return 2;
}
