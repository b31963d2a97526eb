/* Spins until SIGINT/SIGTERM (caught when an argument is given): host signals reach the guest. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile int got;
static void h(int s) { got = s; }
int main(int argc, char **argv) {
    if (argc > 1) { signal(SIGINT, h); signal(SIGTERM, h); }
    volatile unsigned long x = 0;
    printf("ready\n");
    fflush(stdout);
    while (!got) x++;
    printf("caught %d\n", got);
    return 0;
}
