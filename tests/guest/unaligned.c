/* Unaligned user loads and stores, as Linux handles them (arch/parisc/kernel/unaligned.c):
 * emulated by default -- the same value, the same base-register modification -- or SIGBUS
 * (BUS_ADRALN, si_addr = the address) after prctl(PR_SET_UNALIGN, PR_UNALIGN_SIGBUS);
 * an emulation that meets a page it may not touch is SIGSEGV, SEGV_MAPERR at the unaligned
 * address; ldcw is never emulated (SIGBUS).  One line per case: the values, or the signal.
 *
 *   unaligned [loops]    repeat the emulated cases (so compiled code meets them too)
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static sigjmp_buf env;
static unsigned char buf[32] __attribute__((aligned(16)));
static uintptr_t origin;                  /* si_addr is printed relative to this */

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("  signal %d si_code %d si_addr %+ld\n", sig, si->si_code,
           (long)((uintptr_t)si->si_addr - origin));
    siglongjmp(env, 1);
}

static void fill(void)
{
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)(0x10 + i);
}

static void dump(const char *what)
{
    printf("%s:", what);
    for (int i = 0; i < 12; i++)
        printf(" %02x", buf[i]);
    printf("\n");
}

#define TRY(name) if (sigsetjmp(env, 1) == 0)

static int loads(int quiet)
{
    unsigned v = 0, base;
    fill();
    origin = (uintptr_t)buf;
    TRY(ldw) {
        __asm__ volatile("ldw 2(%1),%0" : "=r"(v) : "r"(buf));
        if (!quiet) printf("ldw 2(buf) = %08x\n", v);
    }
    TRY(ldh) {
        __asm__ volatile("ldh 1(%1),%0" : "=r"(v) : "r"(buf));
        if (!quiet) printf("ldh 1(buf) = %04x\n", v);
    }
    TRY(ldw_mb) {                          /* short form, modify before: base += 5 */
        base = (unsigned)(uintptr_t)buf;
        __asm__ volatile("ldw,mb 5(%1),%0" : "=r"(v), "+r"(base));
        if (!quiet) printf("ldw,mb 5(b) = %08x, b = buf%+ld\n", v, (long)(base - (uintptr_t)buf));
    }
    TRY(ldwx_s) {                          /* indexed, scaled: buf + 1 + 2 * 4 */
        base = (unsigned)(uintptr_t)buf + 1;
        unsigned idx = 2;
        __asm__ volatile("ldwx,s %2(%1),%0" : "=r"(v) : "r"(base), "r"(idx));
        if (!quiet) printf("ldwx,s 2(buf+1) = %08x\n", v);
    }
    TRY(fldd) {
        double d;
        uint64_t bits;
        __asm__ volatile("fldd 4(%1),%0" : "=f"(d) : "r"(buf));
        memcpy(&bits, &d, 8);
        if (!quiet) printf("fldd 4(buf) = %016llx\n", (unsigned long long)bits);
    }
    return (int)v;
}

static void stores(void)
{
    fill();
    TRY(stw) {
        __asm__ volatile("stw %0,1(%1)" : : "r"(0xa1b2c3d4u), "r"(buf) : "memory");
        dump("stw 1(buf)");
    }
    fill();
    TRY(sth) {
        __asm__ volatile("sth %0,3(%1)" : : "r"(0xe5f6u), "r"(buf) : "memory");
        dump("sth 3(buf)");
    }
    fill();
    TRY(fstd) {
        double d;
        uint64_t bits = 0x0102030405060708ull;
        memcpy(&d, &bits, 8);
        __asm__ volatile("fstd %0,2(%1)" : : "f"(d), "r"(buf) : "memory");
        dump("fstd 2(buf)");
    }
    fill();
    TRY(stw_ma) {                          /* short form, modify after: stores at b, b += 6 */
        unsigned base = (unsigned)(uintptr_t)buf + 3;
        __asm__ volatile("stw,ma %1,6(%0)" : "+r"(base) : "r"(0x99887766u) : "memory");
        printf("stw,ma 6(buf+3): b = buf%+ld\n", (long)(base - (uintptr_t)buf));
        dump("  memory");
    }
}

int main(int argc, char **argv)
{
    long loops = argc > 1 ? atol(argv[1]) : 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    int flags = -1;
    prctl(PR_GET_UNALIGN, &flags);
    printf("PR_GET_UNALIGN = %d\n", flags);
    loads(0);
    stores();
    long sum = 0;
    for (long i = 0; i < loops; i++)          /* hot: compiled regions meet them too */
        sum += loads(1);
    if (loops)
        printf("loops %ld sum %lx\n", loops, (unsigned long)sum);

    /* the emulation reads whole aligned words: a word in an unmapped page is a fault */
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0);
    munmap(two + pg, pg);
    origin = (uintptr_t)two + pg;
    TRY(straddle) {
        unsigned v;
        __asm__ volatile("ldw -2(%1),%0" : "=r"(v) : "r"(two + pg));
        printf("ldw across into an unmapped page = %08x\n", v);
    }
    mprotect(two, pg, PROT_READ);
    origin = (uintptr_t)two;
    TRY(readonly) {
        __asm__ volatile("stw %0,9(%1)" : : "r"(1u), "r"(two) : "memory");
        printf("stw into a read-only page: no signal\n");
    }
    origin = (uintptr_t)buf;
    TRY(ldcw) {                            /* not emulated */
        unsigned v;
        __asm__ volatile("ldcw 4(%1),%0" : "=r"(v) : "r"(buf + 2) : "memory");
        printf("ldcw 6(buf) = %08x\n", v);
    }

    printf("PR_SET_UNALIGN SIGBUS = %d\n", prctl(PR_SET_UNALIGN, PR_UNALIGN_SIGBUS));
    prctl(PR_GET_UNALIGN, &flags);
    printf("PR_GET_UNALIGN = %d\n", flags);
    loads(0);
    stores();
    printf("PR_SET_UNALIGN NOPRINT = %d\n", prctl(PR_SET_UNALIGN, PR_UNALIGN_NOPRINT));
    prctl(PR_GET_UNALIGN, &flags);
    printf("PR_GET_UNALIGN = %d\n", flags);
    loads(0);
    return 0;
}
