/* printf of integers and strings: widths, precision, flags, length modifiers,
 * limits.  No %p, no floating point, no addresses. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

int main(void)
{
    static const int ints[] = {0, 1, -1, 7, -7, 42, -42, 255, 256, -256, 1000, 65535, 65536,
                               -65536, 123456789, -123456789, INT_MAX, INT_MIN, INT_MAX - 1,
                               INT_MIN + 1};
    static const char *fmts_d[] = {"%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%8.3d",
                                   "%-8.3d|", "%+08d", "%x", "%X", "%#x", "%#o", "%o", "%u",
                                   "%10u", "%-10x|", "%#10X", "%hd", "%hhd", "%hu", "%hhx", "%ld",
                                   "%lu", "%lx", "%i", "%.0d", "%#.0o", "%*d"};
    int nf = sizeof fmts_d / sizeof fmts_d[0];
    int total = 0;
    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int v = ints[i];
        printf("v=%d:", v);
        for (int f = 0; f < nf; f++) {
            putchar(' ');
            if (strcmp(fmts_d[f], "%*d") == 0)
                total += printf(fmts_d[f], 9, v);
            else if (strchr(fmts_d[f], 'l'))
                total += printf(fmts_d[f], (long)v);
            else
                total += printf(fmts_d[f], v);
        }
        putchar('\n');
    }

    static const long long lls[] = {0LL, 1LL, -1LL, 4294967295LL, 4294967296LL, -4294967296LL,
                                    1234567890123456789LL, -1234567890123456789LL, LLONG_MAX,
                                    LLONG_MIN, 0x0123456789abcdefLL, 1000000000000LL};
    for (unsigned i = 0; i < sizeof lls / sizeof lls[0]; i++) {
        long long v = lls[i];
        unsigned long long u = (unsigned long long)v;
        total += printf("ll: %lld %llu %llx %llX %#llo %25lld|%-25lld| %+lld %020llu %.22lld\n",
                        v, u, u, u, u, v, v, v, u, v);
    }
    total += printf("ULLONG_MAX=%llu %llx %llo\n", ULLONG_MAX, ULLONG_MAX, ULLONG_MAX);
    total += printf("UINT_MAX=%u %x %o INT_MIN=%d INT_MAX=%d\n", UINT_MAX, UINT_MAX, UINT_MAX,
                    INT_MIN, INT_MAX);
    total += printf("int64: %jd %ju size_t: %zu %zd ptrdiff: %td\n", (intmax_t)INT64_MIN,
                    (uintmax_t)UINT64_MAX, (size_t)4294967295u, (ssize_t)-5, (ptrdiff_t)-12345);

    static const char *strs[] = {"", "a", "hello", "PA-RISC", "a somewhat longer string!",
                                 "tab\there", "quote\"s"};
    for (unsigned i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const char *s = strs[i];
        total += printf("s: [%s] [%10s] [%-10s] [%.3s] [%10.2s] [%-*s] [%.*s]\n", s, s, s, s, s,
                        12, s, 4, s);
    }
    for (int c = 32; c < 127; c += 5)
        total += printf("[%c|%3c|%-3c]", c, c, c);
    putchar('\n');
    total += printf("percent: %% %%|\n");

    char buf[64];
    int n = snprintf(buf, sizeof buf, "%d-%s-%x", -99, "snp", 0xbeef);
    total += printf("snprintf -> %d \"%s\"\n", n, buf);
    n = snprintf(buf, 8, "%s", "truncated string here");
    total += printf("snprintf trunc -> %d \"%s\"\n", n, buf);
    n = sprintf(buf, "%8.3x|%-+6d|% 05d", 0x1f, 17, 42);
    total += printf("sprintf -> %d \"%s\"\n", n, buf);

    unsigned long long count_check = 0;
    for (int i = -1000; i <= 1000; i += 37) {
        n = snprintf(buf, sizeof buf, "%d %x %o", i * 7919, (unsigned)(i * 104729), (unsigned)i);
        for (int k = 0; k < n; k++)
            count_check = count_check * 31 + (unsigned char)buf[k];
    }
    total += printf("snprintf loop checksum=%llu\n", count_check);
    printf("total chars printed=%d\n", total);
    return 0;
}
