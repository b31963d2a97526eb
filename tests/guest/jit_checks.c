/* Merged access checks (jit.Emitter.access_plan): loads or stores through one base
 * register in code with one way in are checked once, at the first, for the whole byte
 * range they touch.  When that range reaches a page that faults, the compiled code must
 * leave before the first access and the interpreter fault at exactly the access that
 * does: the accesses before it done, those after it not, si_addr the faulting address
 * -- as on qemu-hppa.  Each case runs after the code is hot (the tests' threshold is 2).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static char *fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    fault_addr = si->si_addr;
    siglongjmp(env, 1);
}

/* words at p, p + 4 and, through a base moved by ldo, p + 8, each copied to out[] */
__attribute__((noinline)) static void loads(int *p, int *out)
{
    asm volatile("ldw 0(%0),%%r19\n\t"
                 "stw %%r19,0(%1)\n\t"
                 "ldw 4(%0),%%r19\n\t"
                 "stw %%r19,4(%1)\n\t"
                 "ldo 8(%0),%%r20\n\t"
                 "ldw 0(%%r20),%%r19\n\t"
                 "stw %%r19,8(%1)\n\t"
                 : : "r"(p), "r"(out) : "r19", "r20", "memory");
}

/* v to q, q + 4 and q + 8 */
__attribute__((noinline)) static void stores(int *q, int v)
{
    asm volatile("stw %1,0(%0)\n\t"
                 "stw %1,4(%0)\n\t"
                 "stw %1,8(%0)\n\t"
                 : : "r"(q), "r"(v) : "memory");
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    /* loads: a readable page, then an inaccessible one; stores: a writable page, then a
     * read-only one */
    char *rd = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *wr = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rd == MAP_FAILED || wr == MAP_FAILED)
        return 1;
    for (int i = 0; i < page / 4; i++)
        ((int *)rd)[i] = 3 * i + 1;
    mprotect(rd + page, page, PROT_NONE);
    mprotect(wr + page, page, PROT_READ);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);

    int out[3];
    long sum = 0;
    for (int i = 0; i < 4000; i++) {             /* hot: compiled */
        loads((int *)(rd + 4 * (i & 255)), out);
        stores((int *)(wr + 4 * (i & 255)), i);
        sum += out[0] + out[1] + out[2];
    }
    printf("warm sum %ld\n", sum);

    for (int round = 0; round < 3; round++) {
        for (int k = -16; k <= 0; k += 4) {
            out[0] = out[1] = out[2] = -1;
            fault_addr = 0;
            if (sigsetjmp(env, 1) == 0)
                loads((int *)(rd + page + k), out);
            printf("loads at end%+d: %d %d %d, fault at end%+ld\n", k, out[0], out[1], out[2],
                   fault_addr ? (long)(fault_addr - (rd + page)) : 9999L);

            memset(wr + page - 16, 0, 16);
            fault_addr = 0;
            if (sigsetjmp(env, 1) == 0)
                stores((int *)(wr + page + k), 7 + round);
            int *w = (int *)(wr + page - 16);
            printf("stores at end%+d: %d %d %d %d, fault at end%+ld\n", k, w[0], w[1], w[2], w[3],
                   fault_addr ? (long)(fault_addr - (wr + page)) : 9999L);
        }
    }
    return 0;
}
