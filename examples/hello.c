/* Demo: the smallest static hppa program.  Built by `make examples` into
 * hppa_user/examples/hello (glibc 2.36, -O2, static, stripped). */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello, PA-RISC world! (argc=%d)\n", argc);
    for (int i = 1; i < argc; i++)
        printf("  arg %d: %s\n", i, argv[i]);
    return 0;
}
