/* Faults without handlers: the default action kills with 128+signal. argv[1] picks one. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "segv";
    printf("about to %s\n", what);
    fflush(stdout);
    if (!strcmp(what, "segv")) *(volatile int *)0x20000000 = 1;
    if (!strcmp(what, "null")) *(volatile int *)0 = 1;
    if (!strcmp(what, "ro")) { static const int c = 1; *(volatile int *)&c = 2; }
    if (!strcmp(what, "jump0")) ((void (*)(void))0x2000)();
    if (!strcmp(what, "ill")) asm volatile("iitlbp %%r0,(%%sr0,%%r0)" ::: "memory");
    if (!strcmp(what, "abort")) abort();
    if (!strcmp(what, "break")) asm volatile("break 0,0");
    if (!strcmp(what, "trap")) { volatile int a = 5, b = 6; asm volatile("comclr,<> %0,%1,%%r0\n\tnop\n\tcomiclr,= 0,%%r0,%%r0" :: "r"(a), "r"(b)); asm volatile("addit,= 0,%%r0,%%r0" ::); }
    if (!strcmp(what, "ovf")) { volatile int a = 0x7fffffff; int r; asm volatile("addo %1,%1,%0" : "=r"(r) : "r"(a)); printf("%d\n", r); }
    if (!strcmp(what, "term")) raise(SIGTERM);
    if (!strcmp(what, "usr1")) raise(SIGUSR1);
    if (!strcmp(what, "chld")) { raise(SIGCHLD); raise(SIGWINCH); raise(SIGURG); return 3; }
    if (!strcmp(what, "pipe")) { int p[2]; pipe(p); close(p[0]); write(p[1], "x", 1); }
    printf("survived\n");
    return 0;
}
