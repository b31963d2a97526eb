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

/* rounds n, n - 1, ..., 1 of: the word at sp - 4 = the round, and in round far the word at
 * sp + 4 too, with sp (r30) moved to top for the loop: a region at the loop's head is
 * entered with that sp, so its sp-relative accesses are checked once, before its entry,
 * for all its rounds -- and before the far round when that store faults */
__attribute__((noinline)) static void sp_stores(char *top, int n, int far)
{
    asm volatile("copy %%sp,%%r22\n\t"
                 "copy %1,%%sp\n"
                 "1:\tstw %0,-4(%%sp)\n\t"
                 "comb,<>,n %0,%2,2f\n\t"
                 "stw %0,4(%%sp)\n"
                 "2:\taddib,> -1,%0,1b\n\t"
                 "nop\n\t"
                 "copy %%r22,%%sp\n\t"
                 : "+r"(n) : "r"(top), "r"(far) : "r22", "memory");
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
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;     /* (sp_stores moves sp) */
    sigaction(SIGSEGV, &sa, 0);
    static char altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, 0);

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
    /* a stack whose next page is inaccessible: the loop hot with sp well inside, then sp
     * at the page's end, where only the far stores fault */
    char *stk = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stk == MAP_FAILED)
        return 1;
    mprotect(stk + page, page, PROT_NONE);
    for (int i = 0; i < 400; i++)
        sp_stores(stk + page - 64, 20, i & 7);
    int *below = (int *)(stk + page - 8);
    for (int far = 0; far <= 3; far += 3) {     /* none; round 3 of 5 */
        *below = -1;
        fault_addr = 0;
        if (sigsetjmp(env, 1) == 0)
            sp_stores(stk + page - 4, 5, far);
        printf("sp stores at end-4, far round %d: %d, fault at end%+ld\n", far, *below,
               fault_addr ? (long)(fault_addr - (stk + page)) : 9999L);
    }
    return 0;
}
