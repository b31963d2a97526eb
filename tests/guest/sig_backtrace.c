/* sig_backtrace.c: backtrace() inside a signal handler must unwind through the signal
 * trampoline back to main. With a vDSO (Linux >= 5.18) the trampoline lives in the vDSO and
 * its .eh_frame CFI describes the signal frame; without one (Linux <= 5.17) libgcc recognises
 * the trampoline written into the frame. Build with -funwind-tables. */
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static volatile int reached_main = -1, depth;

__attribute__((noinline)) static void handler(int sig)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    extern int main(void);
    uintptr_t m = (uintptr_t)&main;
    /* main is called through a function descriptor on hppa: plabel bit 2 */
    if (m & 2) m = *(uintptr_t *)(m & ~3u);
    reached_main = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t pc = (uintptr_t)frames[i] & ~3u;
        if (pc >= m && pc < m + 512) reached_main = 1;
    }
    depth = n;
    (void)sig;
}

__attribute__((noinline)) static int work(int k)
{
    volatile int x = 0;
    for (int i = 0; i < k; i++) x += i;
    raise(SIGUSR1);
    return x;
}

int main(void)
{
    signal(SIGUSR1, handler);
    int r = work(10);
    printf("handler ran: %s\n", reached_main >= 0 ? "yes" : "no");
    printf("backtrace reached main: %s\n", reached_main == 1 ? "yes" : "no");
    printf("frames>2: %s (%d)\n", depth > 2 ? "yes" : "no", depth);
    return r == 45 ? 0 : 1;
}
