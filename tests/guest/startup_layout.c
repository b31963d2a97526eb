/* startup_layout.c: print what the kernel left on the initial (upward-growing) stack, so a
 * test can compare it with Linux/parisc's create_elf_tables() layout: addresses of argc,
 * argv[] and the strings, the auxv entries in order, and glibc's __libc_stack_end
 * (= the initial %r30 + 64, because _start opens a 64-byte frame). */
#include <elf.h>
#include <stdio.h>
#include <string.h>

extern void *__libc_stack_end;
extern char **environ;
extern void _start(void);

int main(int argc, char **argv)
{
    char **e = environ;
    int envc = 0;
    while (e[envc]) envc++;
    Elf32_auxv_t *av = (Elf32_auxv_t *)(e + envc + 1);
    printf("argc %d at %#lx\n", argc, (unsigned long)((int *)argv - 1));
    printf("argv %#lx\n", (unsigned long)argv);
    for (int i = 0; i < argc; i++) printf("argv[%d] %#lx %s\n", i, (unsigned long)argv[i], argv[i]);
    printf("envc %d\n", envc);
    if (envc) printf("env[0] %#lx\n", (unsigned long)e[0]);
    printf("auxv %#lx\n", (unsigned long)av);
    for (; av->a_type != AT_NULL; av++) {
        unsigned long v = av->a_un.a_val;
        switch (av->a_type) {
        case AT_PLATFORM: printf("aux %d %#lx \"%s\"\n", (int)av->a_type, v, (char *)v); break;
        case AT_EXECFN: printf("aux %d %#lx \"%s\"\n", (int)av->a_type, v, (char *)v); break;
        case AT_ENTRY: printf("aux %d %s\n", (int)av->a_type, v == ((unsigned long)&_start & ~3ul) ||
                              v == (unsigned long)&_start ? "=_start" : "?"); break;
        default: printf("aux %d %#lx\n", (int)av->a_type, v);
        }
    }
    printf("auxv_end %#lx\n", (unsigned long)(av + 1));
    printf("stack_end %#lx\n", (unsigned long)__libc_stack_end);
    int local;
    printf("grows_up %s\n", (unsigned long)&local > (unsigned long)__libc_stack_end ? "yes" : "no");
    return 0;
}
