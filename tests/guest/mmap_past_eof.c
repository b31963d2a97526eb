/* A private file mapping longer than its file: the tail of the last file page reads as
   zeros, a page wholly past the end of the file raises SIGBUS (BUS_ADRERR) at the address
   touched, after mprotect too; write() from such a page fails with EFAULT. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf back;
static char *base;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("  signal %d si_code %d at base+%ld\n", sig, si->si_code,
           (long)((char *)si->si_addr - base));
    siglongjmp(back, 1);
}

static void touch(const char *what, volatile char *p)
{
    if (sigsetjmp(back, 1) == 0) {
        char c = *p;
        printf("%s: read %d\n", what, c);
    } else {
        printf("%s: faulted\n", what);
    }
}

int main(void)
{
    char path[] = "/tmp/hppa-past-eofXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "hello", 5) != 5)
        return 2;
    base = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    unlink(path);
    if (base == MAP_FAILED)
        return 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    printf("first byte %c\n", base[0]);
    touch("tail of the last file page", base + 100);
    touch("second page", base + 4096 + 8);
    touch("third page", base + 2 * 4096);
    mprotect(base, 3 * 4096, PROT_READ | PROT_WRITE);
    touch("second page after mprotect", base + 4096 + 16);
    errno = 0;
    long n = write(1, base + 4096, 4);
    printf("write from past the end: %ld errno %s\n", n, errno == EFAULT ? "EFAULT" : strerror(errno));
    return 0;
}
