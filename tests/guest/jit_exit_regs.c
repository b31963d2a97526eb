/* The registers a compiled region leaves behind when it leaves mid-way.  A region keeps
 * a value it sets in a host register, not in the register file, when the code after it
 * sets that register again (regiongen.Emitter.write_back_state), and stores it only in
 * the ways out the value may reach: a fault's among them.  Here a loop sets scratch
 * registers and the carries on every round, some before and some after a load that
 * faults once the pointer runs into an inaccessible page.  The SIGSEGV handler records
 * the general registers and SAR of the signal frame, which must be those of the round
 * cut short -- the writes before the load done, those after it from the round before --
 * then makes the load's target register a known word, steps over the load and lets the
 * loop end after that round: the carries the fault left (set before the load, set again
 * after it) reach the add-with-carry after the load, so the returned value shows them.
 * All as on qemu-hppa.  The loop is hot (compiled at the tests' threshold of 2) long
 * before it faults, and faults at several rounds.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static volatile unsigned long seen[32], seen_sar;
static char *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    struct sigcontext *sc = &((ucontext_t *)ucv)->uc_mcontext;
    (void)sig;
    for (int i = 0; i < 32; i++)
        seen[i] = sc->sc_gr[i];
    seen_sar = sc->sc_sar;
    fault_addr = si->si_addr;
    sc->sc_gr[22] = 0x80000123;              /* the "loaded" word */
    sc->sc_gr[23] = 1;                       /* the last round */
    sc->sc_iaoq[0] = sc->sc_iaoq[1];         /* over the load */
    sc->sc_iaoq[1] += 4;
}

/* n rounds over the words from p on; returns r29, a value of every register it sets */
__attribute__((noinline)) static unsigned long rounds(int *p, long n, unsigned long seed)
{
    register long left asm("r23") = n;
    register int *at asm("r24") = p;
    unsigned long out;
    asm volatile("copy %3,%%r19\n\t"
                 "copy %3,%%r20\n\t"
                 "ldi 0,%%r21\n\t"
                 "ldi 0,%%r22\n\t"
                 "ldi 0,%%r28\n\t"
                 "ldi 0,%%r29\n\t"
                 "ldi 0,%%r31\n"
                 "1:\tldo 1(%%r19),%%r19\n\t"           /* before the load: this round's */
                 "add %%r20,%%r19,%%r20\n\t"           /* (carries) */
                 "copy %%r20,%%r21\n\t"
                 "addil L%%0x92345000,%%r21\n\t"
                 "ldw 0(%1),%%r22\n\t"                 /* faults past the page */
                 "addc %%r22,%%r1,%%r28\n\t"           /* after it: the round before's */
                 "add %%r28,%%r20,%%r29\n\t"
                 "mtsar %%r28\n\t"
                 "xor %%r29,%%r19,%%r31\n\t"
                 "vshd %%r31,%%r29,%%r31\n\t"
                 "ldo 4(%1),%1\n\t"
                 "addib,> -1,%2,1b\n\t"
                 "add %%r31,%%r29,%%r29\n\t"           /* (the delay slot) */
                 "copy %%r29,%0\n\t"
                 : "=r"(out), "+r"(at), "+r"(left)
                 : "r"(seed)
                 : "r1", "r19", "r20", "r21", "r22", "r28", "r29", "r31", "memory");
    return out;
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *mem = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 1;
    for (int i = 0; i < page / 4; i++)
        ((int *)mem)[i] = 0x9e3779b9 * (unsigned)i;
    mprotect(mem + page, page, PROT_NONE);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);

    unsigned long sum = 0;
    for (int i = 0; i < 2000; i++)                   /* hot: compiled */
        sum += rounds((int *)mem + (i & 63), 200, i);
    printf("warm sum %lu\n", sum);

    static const int left[] = {1, 2, 3, 5, 40, 1000};
    for (int round = 0; round < 3; round++) {
        for (unsigned k = 0; k < sizeof left / sizeof left[0]; k++) {
            fault_addr = 0;
            for (int i = 0; i < 32; i++)
                seen[i] = 0;
            unsigned long r = rounds((int *)(mem + page) - left[k], 2000, 0x7ffffff0 + round);
            printf("%d words left: returned %08lx, fault at end%+ld\n", left[k], r,
                   fault_addr ? (long)(fault_addr - (mem + page)) : 9999L);
            printf("  r1 %08lx r19 %08lx r20 %08lx r21 %08lx r22 %08lx r23 %ld\n",
                   seen[1], seen[19], seen[20], seen[21], seen[22], (long)seen[23]);
            printf("  r28 %08lx r29 %08lx r31 %08lx sar %lu\n",
                   seen[28], seen[29], seen[31], seen_sar);
        }
    }
    return 0;
}
