/* Guest forks while the region compiler's worker is busy (run with --jit-threshold 1):
 * each child must run on with none of its parent's compiler state (the worker, its pipe)
 * and compute the same values as the parent would. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned work(unsigned seed, int n)
{
    unsigned h = seed;
    for (int i = 0; i < n; i++) {
        h = h * 1103515245u + 12345u;
        h ^= h >> 7;
        if (h & 1)
            h += i;
        else
            h -= i >> 1;
    }
    return h;
}

int main(void)
{
    unsigned total = 0;
    for (int round = 0; round < 8; round++) {
        total += work(round, 20000 + round * 1000);
        pid_t p = fork();
        if (p == 0) {
            unsigned v = work(total, 30000);
            if (round & 1 && fork() == 0)           /* a grandchild too */
                _exit(work(v, 5000) & 0x7f);
            int st = 0;
            wait(&st);
            _exit((v + WEXITSTATUS(st)) & 0x7f);
        }
        int st;
        waitpid(p, &st, 0);
        printf("round %d: %u child %d\n", round, total, WEXITSTATUS(st));
    }
    return 0;
}
