/* Smallest useful guest: stdio through write(2), exit status 0. */
#include <stdio.h>

int main(void)
{
    puts("Hello from hppa-user!");
    printf("%s %d\n", "the answer is", 42);
    return 0;
}
