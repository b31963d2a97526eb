/* Traps from single instructions (tests/test_asm_corner.py): conditional traps (addi,tc /
 * sub,tc / uaddcm,tc -> SIGFPE), overflow traps (add,tsv / addi,tsv / sub,tsv / shladd,tsv ->
 * SIGFPE), break (SIGTRAP), privileged operations and registers (SIGILL).
 * A SA_SIGINFO handler prints the signal, si_code and where si_addr points (relative to a
 * label on the trapping instruction; its low two bits -- the privilege level Linux leaves in
 * regs->iaoq[0] -- separately as low=), then siglongjmps to the next case.  A trap whose
 * condition is false must fall through ("no trap").
 *
 *   asm_traps             the cases above
 *   asm_traps unaligned   unaligned ldw/ldh/stw: Linux emulates them by default
 *                         (arch/parisc/kernel/unaligned.c), so they must not trap either
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile uintptr_t label;         /* address of the instruction expected to trap */
static volatile int result;
static unsigned char buf[16] __attribute__((aligned(8)));

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr;
    if (sig == SIGBUS || sig == SIGSEGV)
        printf("  signal %d si_code %d si_addr buf%+ld\n", sig, si->si_code, (long)(a - (uintptr_t)buf));
    else
        printf("  signal %d si_code %d si_addr insn%+ld low=%d\n", sig, si->si_code,
               (long)((a & ~(uintptr_t)3) - label), (int)(a & 3));
    siglongjmp(env, 1);
}

/* Each case is an asm block whose trapping instruction carries a global label. */
#define CASE(name, insns, ...)                                                   \
    __attribute__((noinline, noclone)) static void name(void)                    \
    {                                                                            \
        extern char name##_at[];                                                 \
        label = (uintptr_t)name##_at;                                            \
        int r;                                                                   \
        __asm__ volatile(insns : "=&r"(r) : __VA_ARGS__);                        \
        result = r;                                                              \
    }

#define AT(name) "\t.globl " #name "_at\n" #name "_at:\n\t"

CASE(addi_tc_true, "copy %%r0,%0\n" AT(addi_tc_true) "addi,tc,= 0,%1,%0", "r"(0))
CASE(addi_tc_false, "copy %%r0,%0\n" AT(addi_tc_false) "addi,tc,<> 0,%1,%0", "r"(0))
CASE(sub_tc_true, "copy %%r0,%0\n" AT(sub_tc_true) "sub,tc,<> %1,%2,%0", "r"(5), "r"(3))
CASE(sub_tc_false, "copy %%r0,%0\n" AT(sub_tc_false) "sub,tc,= %1,%2,%0", "r"(5), "r"(3))
CASE(uaddcm_tc, "copy %%r0,%0\n" AT(uaddcm_tc) "uaddcm,tc,sbz %1,%%r0,%0", "r"(0x12340001))
CASE(add_tsv, "copy %%r0,%0\n" AT(add_tsv) "add,tsv %1,%2,%0", "r"(0x7fffffff), "r"(1))
CASE(add_tsv_ok, "copy %%r0,%0\n" AT(add_tsv_ok) "add,tsv %1,%2,%0", "r"(0x7ffffffe), "r"(1))
CASE(addi_tsv, "copy %%r0,%0\n" AT(addi_tsv) "addi,tsv -1,%1,%0", "r"(0x80000000))
CASE(sub_tsv, "copy %%r0,%0\n" AT(sub_tsv) "sub,tsv %1,%2,%0", "r"(0x80000000), "r"(1))
CASE(shladd_tsv, "copy %%r0,%0\n" AT(shladd_tsv) "shladd,tsv %1,2,%2,%0", "r"(0x20000000), "r"(0))
CASE(break_0, "copy %%r0,%0\n" AT(break_0) "break 0,0", "r"(0))
CASE(break_gdb, "copy %%r0,%0\n" AT(break_gdb) "break 4,8", "r"(0))
CASE(mtctl_priv, "copy %%r0,%0\n" AT(mtctl_priv) "mtctl %1,%%cr8", "r"(0))
CASE(mfctl_priv, "copy %%r0,%0\n" AT(mfctl_priv) "mfctl %%cr9,%0", "r"(0))
CASE(rsm_priv, "copy %%r0,%0\n" AT(rsm_priv) "rsm 0,%0", "r"(0))
CASE(mtsp_priv, "copy %%r0,%0\n" AT(mtsp_priv) "mtsp %1,%%sr5", "r"(0))
CASE(ldw_unaligned, "copy %%r0,%0\n" AT(ldw_unaligned) "ldw 2(%1),%0", "r"(buf))
CASE(ldh_unaligned, "copy %%r0,%0\n" AT(ldh_unaligned) "ldh 1(%1),%0", "r"(buf))
CASE(stw_unaligned, "copy %%r0,%0\n" AT(stw_unaligned) "stw %1,1(%1)", "r"(buf))
CASE(ldw_ok, "copy %%r0,%0\n" AT(ldw_ok) "ldw 4(%1),%0", "r"(buf))

static const struct { const char *name; void (*fn)(void); } cases[] = {
#define C(n) {#n, n}
    C(addi_tc_true), C(addi_tc_false), C(sub_tc_true), C(sub_tc_false), C(uaddcm_tc),
    C(add_tsv), C(add_tsv_ok), C(addi_tsv), C(sub_tsv), C(shladd_tsv), C(break_0), C(break_gdb),
    C(mtctl_priv), C(mfctl_priv), C(rsm_priv), C(mtsp_priv), C(ldw_ok),
};
static const struct { const char *name; void (*fn)(void); } unaligned[] = {
    C(ldw_unaligned), C(ldh_unaligned), C(stw_unaligned), C(ldw_ok),
};

int main(int argc, char **argv)
{
    int una = argc > 1 && !strcmp(argv[1], "unaligned");
    for (int i = 0; i < 16; i++) buf[i] = (unsigned char)(0x10 + i);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    for (int s = 1; s < 32; s++)
        sigaction(s, &sa, NULL);
    unsigned n = una ? sizeof unaligned / sizeof unaligned[0] : sizeof cases / sizeof cases[0];
    for (unsigned i = 0; i < n; i++) {
        const char *name = una ? unaligned[i].name : cases[i].name;
        printf("%s:\n", name);
        fflush(stdout);
        result = -1;
        if (sigsetjmp(env, 1) == 0) {
            (una ? unaligned[i].fn : cases[i].fn)();
            printf("  no trap, result %#x\n", (unsigned)result);
        }
        fflush(stdout);
    }
    if (una) {
        printf("buf:");
        for (int i = 0; i < 8; i++) printf(" %02x", buf[i]);
        printf("\n");
    }
    return 0;
}
