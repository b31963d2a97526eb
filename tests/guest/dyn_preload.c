/* dyn_preload.c: a library for LD_PRELOAD: interposes getpid() (the program then prints
 * 4242) and announces itself from a constructor. */
#include <stdio.h>
#include <sys/types.h>

__attribute__((constructor)) static void hello(void) { fputs("preload constructor ran\n", stdout); }

pid_t getpid(void) { return 4242; }
