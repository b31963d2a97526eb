/* Hostile input: every syscall number 0..460 with random arguments drawn from nasty
   classes (NULL, page zero, unmapped, read-only text, the stack, huge lengths, negative and
   unopened fds, all-ones). The emulator must answer every call with a Linux error or
   success and stay standing. Calls that would legitimately end or stall this process
   (exit, signals to itself, blocking waits, unmapping its own memory, sigreturn) are
   skipped or defused. argv[1] = seed, argv[2] = rounds. Run it in a scratch directory. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv);
static unsigned long long rng;
static unsigned rnd(void) { rng = rng * 6364136223846793005ULL + 1442695040888963407ULL; return rng >> 33; }

static char scratch[65536];
static const char ro_data[64] = "read-only";

static long arg(void)
{
    switch (rnd() % 16) {
    case 0: return 0;
    case 1: return 16;                                   /* page zero */
    case 2: return 0x20000000 + (rnd() & 0xfff);         /* unmapped */
    case 3: return (long)ro_data;                        /* read-only data */
    case 4: return (long)main;                           /* text */
    case 5: return (long)scratch + (rnd() % 65000);      /* writable */
    case 6: return -1;
    case 7: return (long)(rnd() % 8);                    /* small fds */
    case 8: return -(long)(rnd() % 200);                 /* negative */
    case 9: return 0x7fffffff;
    case 10: return 0x80000000;
    case 11: return (long)rnd();
    case 12: return 4096;
    case 13: return (long)(rnd() % 70);                  /* signal numbers */
    case 14: return (long)scratch;
    default: return 0xfffff000;
    }
}

static int skip(long nr)
{
    switch (nr) {
    case SYS_exit: case SYS_exit_group: case SYS_pause: case SYS_rt_sigsuspend:
    case SYS_rt_sigreturn: case SYS_kill: case SYS_tkill: case SYS_tgkill:
    case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo: case SYS_rt_sigaction:
    case SYS_rt_sigprocmask: case SYS_sigaltstack: case SYS_alarm: case SYS_setitimer:
    case SYS_timer_create: case SYS_timer_settime: case 409:
    case SYS_munmap: case SYS_mprotect: case SYS_mremap: case SYS_brk: case SYS_madvise:
    case SYS_nanosleep: case SYS_clock_nanosleep: case 407:
    case SYS_poll: case SYS_ppoll: case 414: case SYS__newselect: case SYS_pselect6: case 413:
    case SYS_futex: case 422: case SYS_rt_sigtimedwait: case 421:
    case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv: case SYS_preadv2:
    case SYS_execve: case 342: case SYS_close: case SYS_dup2: case SYS_dup3: case 436:
    case SYS_chdir: case SYS_fchdir: case SYS_setrlimit: case SYS_prlimit64:
    case SYS_flock: case SYS_fcntl: case SYS_fcntl64: case SYS_ioctl: case SYS_sigprocmask:
    case SYS_ssetmask: case SYS_vfork: case SYS_fork: case SYS_clone: case 435:
    case SYS_wait4: case SYS_waitid: case SYS_waitpid:
    case SYS_mknod: case SYS_mknodat:   /* a FIFO would make later opens wait forever */
    case SYS_pipe: case SYS_pipe2:      /* writing a full pipe of our own blocks forever */
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    rng = argc > 1 ? strtoull(argv[1], 0, 0) : 1;
    long rounds = argc > 2 ? atol(argv[2]) : 20000;
    long done = 0;
    for (long i = 0; i < rounds; i++) {
        long nr = rnd() % 461;
        if (skip(nr)) continue;
        long a[6];
        for (int j = 0; j < 6; j++) a[j] = arg();
        if (nr == SYS_mmap || nr == SYS_mmap2) a[3] &= ~0x100004L;   /* no MAP_FIXED* */
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        done++;
    }
    printf("survived %ld calls\n", done);
    return 0;
}
