/* argv / environment / exit status / stdin / fatal signals.
 *
 *   args_env [WORD...]          echo argc and argv[1..], HPPA_TEST_VAR, return 0
 *   args_env exit N [WORD...]   ... then exit(N)            (status N & 255)
 *   args_env return N           ... then return N from main (status N & 255)
 *   args_env _exit N            ... fflush, then _exit(N)
 *   args_env cat                copy stdin to stdout, then print byte count and checksum
 *   args_env abort              ... fflush, then abort()     (SIGABRT: status 134)
 *   args_env segv               ... fflush, then store to NULL (SIGSEGV: status 139)
 *
 * argv[0] is never printed (it differs between runners).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static unsigned checksum(const unsigned char *p, size_t n)
{
    unsigned h = 2166136261u;               /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\" len=%u\n", i, argv[i], (unsigned)strlen(argv[i]));
    printf("argv[argc]=%s\n", argv[argc] == NULL ? "NULL" : "non-NULL");

    const char *v = getenv("HPPA_TEST_VAR");
    printf("HPPA_TEST_VAR=%s\n", v ? v : "(unset)");
    const char *u = getenv("HPPA_TEST_UNSET_VAR");
    printf("HPPA_TEST_UNSET_VAR=%s\n", u ? u : "(unset)");
    printf("envp==environ: %s\n", envp == environ ? "yes" : "no");
    int n_test = 0;
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "HPPA_TEST_", 10) == 0)
            n_test++;
    printf("HPPA_TEST_* variables: %d\n", n_test);

    if (argc >= 2 && strcmp(argv[1], "cat") == 0) {
        static unsigned char buf[1 << 16];
        size_t total = 0, n;
        unsigned h = 2166136261u;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
            fwrite(buf, 1, n, stdout);
            for (size_t i = 0; i < n; i++)
                h = (h ^ buf[i]) * 16777619u;
            total += n;
        }
        printf("\nstdin bytes=%u fnv=%08x\n", (unsigned)total, h);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "abort") == 0) {
        puts("aborting");
        fflush(stdout);
        abort();
    }
    if (argc >= 2 && strcmp(argv[1], "segv") == 0) {
        puts("storing to NULL");
        fflush(stdout);
        *(volatile int *)0 = 1;
        puts("still alive?!");
        return 3;
    }
    if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
        int code = atoi(argv[2]);
        printf("exit(%d)\n", code);
        exit(code);
    }
    if (argc >= 3 && strcmp(argv[1], "return") == 0) {
        int code = atoi(argv[2]);
        printf("return %d\n", code);
        return code;
    }
    if (argc >= 3 && strcmp(argv[1], "_exit") == 0) {
        int code = atoi(argv[2]);
        printf("_exit(%d)\n", code);
        fflush(stdout);
        _exit(code);
    }
    printf("args checksum=%08x\n", argc > 1 ? checksum((const unsigned char *)argv[1], strlen(argv[1])) : 0u);
    return 0;
}
