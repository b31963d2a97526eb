/* kill/tkill/tgkill aimed anywhere but the process itself: Linux semantics in a sandboxed
   single process. The emulator must never signal a host process; it answers ESRCH for other
   pids and EPERM for process groups / broadcast. (qemu-hppa passes these through to the
   host kernel, so this program is checked against expected output, not against qemu.)
   NEVER RUN THIS UNDER qemu-hppa OR NATIVELY: kill(0)/kill(-1) would signal real processes
   (the process group, or as root every process on the machine). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *e(int r) { return r == 0 ? "0" : strerrorname_np(errno); }

int main(void)
{
    pid_t me = getpid();
    printf("kill(self,0)=%s\n", e(kill(me, 0)));
    printf("kill(1,0)=%s\n", e(kill(1, 0)));
    printf("kill(1,SIGTERM)=%s\n", e(kill(1, SIGTERM)));
    printf("kill(0,SIGUSR1)=%s\n", e(kill(0, SIGUSR1)));
    printf("kill(-1,SIGUSR1)=%s\n", e(kill(-1, SIGUSR1)));
    printf("kill(-me,SIGUSR1)=%s\n", e(kill(-me, SIGUSR1)));
    printf("kill(self,99)=%s\n", e(kill(me, 99)));
    printf("tkill(1,SIGUSR1)=%s\n", e(syscall(SYS_tkill, 1, SIGUSR1)));
    printf("tgkill(self,1,SIGUSR1)=%s\n", e(syscall(SYS_tgkill, me, 1, SIGUSR1)));
    printf("tgkill(1,1,SIGUSR1)=%s\n", e(syscall(SYS_tgkill, 1, 1, SIGUSR1)));
    printf("tkill(0,SIGUSR1)=%s\n", e(syscall(SYS_tkill, 0, SIGUSR1)));
    return 0;
}
