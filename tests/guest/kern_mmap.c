/* Memory: anonymous and file mappings (private and shared), mprotect enforced (faults caught
   with SIGSEGV handlers), munmap, mremap, madvise(DONTNEED) zeroing, msync write-back, brk via
   sbrk, MAP_FIXED / MAP_FIXED_NOREPLACE, and /proc/self/maps. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int fault_code;
static volatile void *fault_addr;
static void h(int s, siginfo_t *si, void *uc) { (void)s; (void)uc; fault_code = si->si_code; fault_addr = si->si_addr; siglongjmp(jb, 1); }

static int try_write(volatile char *p)
{
    fault_code = 0;
    if (sigsetjmp(jb, 1) == 0) { *p = 1; return 0; }
    return fault_code;
}

static int try_read(volatile char *p)
{
    fault_code = 0;
    if (sigsetjmp(jb, 1) == 0) { (void)*p; return 0; }
    return fault_code;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    long pg = sysconf(_SC_PAGESIZE);
    printf("pagesize %ld\n", pg);

    char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("anon ok=%d aligned=%d zero=%d\n", a != MAP_FAILED, ((long)a & (pg - 1)) == 0, a[100] == 0);
    memset(a, 'A', 4 * pg);
    char *b = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("top-down: %d\n", b < a);

    printf("mprotect ro: %d\n", mprotect(a + pg, pg, PROT_READ));
    printf("write ro -> code %d\n", try_write(a + pg + 5));
    printf("write rw -> code %d\n", try_write(a + 5));
    printf("mprotect none: %d\n", mprotect(a + 2 * pg, pg, PROT_NONE));
    printf("read none -> code %d\n", try_read(a + 2 * pg));
    printf("mprotect unaligned: %d errno=%d\n", mprotect(a + 1, pg, PROT_READ), errno == EINVAL);
    printf("munmap middle: %d\n", munmap(a + 3 * pg, pg));
    printf("read unmapped -> code %d addr_ok=%d\n", try_read(a + 3 * pg + 8), fault_addr == a + 3 * pg + 8);
    printf("munmap bad: %d errno=%d\n", munmap(a + 1, pg), errno == EINVAL);
    printf("mmap len 0: %p errno=%d\n", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), errno == EINVAL);
    printf("mmap bad fd: errno=%d\n", mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED && errno == EBADF);

    /* MAP_FIXED and MAP_FIXED_NOREPLACE */
    char *f = mmap(a, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("fixed: same=%d zeroed=%d\n", f == a, a[0] == 0);
    char *nr = mmap(a, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("fixed_noreplace busy: %d errno=%d\n", nr == MAP_FAILED, errno == EEXIST);

    /* mremap */
    char *m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(m, "remap me");
    char *m2 = mremap(m, pg, 64 * pg, MREMAP_MAYMOVE);
    printf("mremap grow: ok=%d kept=%s tail_zero=%d\n", m2 != MAP_FAILED, m2, m2[63 * pg] == 0);
    m2[63 * pg] = 1;
    char *m3 = mremap(m2, 64 * pg, pg, 0);
    printf("mremap shrink: same=%d\n", m3 == m2);

    /* madvise DONTNEED zeroes private anonymous memory */
    memset(m3, 'z', pg);
    printf("madvise: %d now=%d\n", madvise(m3, pg, MADV_DONTNEED), m3[10]);

    /* file mappings */
    int fd = open("mapfile", O_CREAT | O_RDWR | O_TRUNC, 0644);
    char data[8192];
    for (int i = 0; i < 8192; i++) data[i] = 'a' + i % 26;
    write(fd, data, sizeof data);
    char *pm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private file: %.5s %.3s\n", pm, pm + 4096);
    pm[0] = 'X';
    char *sm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096 * 0);
    printf("shared sees file not private write: %c\n", sm[0]);
    memcpy(sm + 10, "SHARED", 6);
    printf("msync: %d\n", msync(sm, 8192, MS_SYNC));
    char rb[16] = {0};
    pread(fd, rb, 6, 10);
    printf("file after msync: %s\n", rb);
    memcpy(sm + 4096, "UNMAP", 5);
    munmap(sm, 8192);
    pread(fd, rb, 5, 4096);
    printf("file after munmap: %.5s\n", rb);
    char *off = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096);
    printf("offset map: %.5s\n", off);
    printf("unaligned offset: %d\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL);
    int rofd = open("mapfile", O_RDONLY);
    printf("shared writable on O_RDONLY: %d\n", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rofd, 0) == MAP_FAILED && errno == EACCES);
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rofd, 0);
    printf("mprotect write on ro shared: %d errno=%d\n", mprotect(ro, 4096, PROT_READ | PROT_WRITE), errno == EACCES);
    close(rofd);
    close(fd);
    unlink("mapfile");

    /* brk */
    void *cur = sbrk(0);
    void *nb = sbrk(100000);
    printf("sbrk: grew=%d\n", nb == cur && sbrk(0) == (char *)cur + 100000);
    memset(nb, 1, 100000);
    sbrk(-100000);
    printf("sbrk back: %d\n", sbrk(0) == cur);

    /* /proc/self/maps */
    FILE *mf = fopen("/proc/self/maps", "r");
    char line[512];
    int stack = 0, heap = 0, exe = 0, lines = 0;
    while (mf && fgets(line, sizeof line, mf)) {
        lines++;
        if (strstr(line, "[stack]")) stack = 1;
        if (strstr(line, "[heap]")) heap = 1;
        if (strstr(line, "kern_mmap")) exe = 1;
    }
    if (mf) fclose(mf);
    printf("maps: lines>3=%d stack=%d exe=%d\n", lines > 3, stack, exe);
    (void)heap;
    return 0;
}
