/* qsort on ints (several distributions) and strings, bsearch, with a stability-free
 * order check and checksums of the sorted data.
 *
 *   qsort_test [N]    (default 3000)
 * Exit status: 0 if every array came out sorted, else 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t seed = 7;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 1; }
static long cmp_calls = 0;

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    cmp_calls++;
    return (x > y) - (x < y);
}
static int cmp_int_desc(const void *a, const void *b) { return cmp_int(b, a); }
static int cmp_str(const void *a, const void *b)
{
    cmp_calls++;
    return strcmp(*(char *const *)a, *(char *const *)b);
}
static uint32_t fold(const int *v, int n)
{
    uint32_t h = 0;
    for (int i = 0; i < n; i++) h = h * 16777619u ^ (uint32_t)v[i];
    return h;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3000;
    int failures = 0;
    int *v = malloc(sizeof(int) * (size_t)n);
    static const char *names[] = {"random", "sorted", "reversed", "few-distinct", "organ-pipe", "negatives"};
    for (int kind = 0; kind < 6; kind++) {
        for (int i = 0; i < n; i++) {
            switch (kind) {
            case 0: v[i] = (int)rnd(); break;
            case 1: v[i] = i * 3; break;
            case 2: v[i] = n - i; break;
            case 3: v[i] = (int)(rnd() % 5); break;
            case 4: v[i] = i < n / 2 ? i : n - i; break;
            default: v[i] = (int)(rnd() % 20001) - 10000; break;
            }
        }
        cmp_calls = 0;
        qsort(v, (size_t)n, sizeof(int), cmp_int);
        int ok = 1;
        for (int i = 1; i < n; i++) if (v[i - 1] > v[i]) ok = 0;
        failures += !ok;
        int key = v[n / 3];
        int *hit = bsearch(&key, v, (size_t)n, sizeof(int), cmp_int);
        if (!hit || *hit != key) failures++;
        printf("%-12s sorted=%d min=%d max=%d median=%d fold=%08x\n", names[kind], ok, v[0],
               v[n - 1], v[n / 2], fold(v, n));
        qsort(v, (size_t)n, sizeof(int), cmp_int_desc);
        for (int i = 1; i < n; i++) if (v[i - 1] < v[i]) { failures++; break; }
    }

    int ns = n / 4 + 1;
    char **s = malloc(sizeof(char *) * (size_t)ns);
    for (int i = 0; i < ns; i++) {
        int len = 1 + (int)(rnd() % 12);
        s[i] = malloc((size_t)len + 1);
        for (int k = 0; k < len; k++) s[i][k] = (char)('a' + rnd() % ((k & 1) ? 3 : 26));
        s[i][len] = 0;
    }
    qsort(s, (size_t)ns, sizeof(char *), cmp_str);
    int ok = 1;
    uint32_t h = 0;
    for (int i = 0; i < ns; i++) {
        if (i && strcmp(s[i - 1], s[i]) > 0) ok = 0;
        for (const char *p = s[i]; *p; p++) h = h * 31 + (unsigned char)*p;
    }
    failures += !ok;
    printf("strings n=%d sorted=%d first=%s last=%s hash=%08x\n", ns, ok, s[0], s[ns - 1], h);
    for (int i = 0; i < ns; i += ns / 8 + 1) printf("  s[%d]=%s\n", i, s[i]);
    for (int i = 0; i < ns; i++) free(s[i]);
    free(s);
    free(v);
    printf("failures %d\n", failures);
    return failures ? 1 : 0;
}
