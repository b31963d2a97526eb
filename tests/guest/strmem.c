/* String and memory functions over many lengths and alignments: memcpy, memmove
 * (both overlap directions), memset, memcmp, memchr, strlen, strcpy, strncpy, strcat,
 * strcmp, strncmp, strchr, strrchr, strstr, strspn/strcspn.  Results are compared
 * with byte-at-a-time reference implementations and folded into a checksum.
 *
 *   strmem [MAXLEN]     lengths 0..32, then every 7th up to MAXLEN (default 200)
 * Exit status: 0 if every result matched the reference, else 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF 512
static unsigned char src_buf[BUF + 64], dst_buf[BUF + 64], ref_buf[BUF + 64];
static uint32_t sum = 0;
static int failures = 0;
static uint32_t seed = 1;

static uint32_t rnd(void) { seed = seed * 1664525u + 1013904223u; return seed >> 8; }
static void mix(uint32_t v) { sum = (sum << 5 | sum >> 27) ^ v; sum *= 0x9e3779b1u; }
static void fail(const char *what, int len, int a1, int a2)
{
    if (++failures <= 20)
        printf("MISMATCH %s len=%d align=%d/%d\n", what, len, a1, a2);
}
static void fill(unsigned char *p, int n, int nonzero)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++) {
        if ((i & 3) == 0) r = rnd();
        unsigned char c = (unsigned char)r;
        r >>= 8;
        p[i] = nonzero ? (unsigned char)((c & 63) + 48) : c;     /* '0'..'o' */
    }
}
static uint32_t hashbuf(const unsigned char *p, int n)
{
    uint32_t h = 0;
    for (int i = 0; i < n; i++) h = h * 31 + p[i];
    return h;
}
static int ref_sign(int x) { return x < 0 ? -1 : x > 0; }

int main(int argc, char **argv)
{
    int maxlen = argc > 1 ? atoi(argv[1]) : 200;
    if (maxlen > BUF - 32) maxlen = BUF - 32;

    for (int len = 0; len <= maxlen; len += len < 32 ? 1 : 7) {
        int W = len + 24;               /* the part of the buffers a round touches */
        for (int sa = 0; sa < 4; sa++) {
            for (int da = 0; da < 4; da++) {
                /* memcpy */
                fill(src_buf, W, 0);
                fill(dst_buf, W, 0);
                memcpy(ref_buf, dst_buf, W);
                for (int i = 0; i < len; i++) ref_buf[da + i] = src_buf[sa + i];
                memcpy(dst_buf + da, src_buf + sa, (size_t)len);
                if (memcmp(dst_buf, ref_buf, W) != 0) fail("memcpy", len, sa, da);
                mix(hashbuf(dst_buf, len + 8));

                /* memmove, overlapping forwards and backwards inside one buffer */
                int d = (int)(rnd() % 9);
                memcpy(ref_buf, src_buf, W);
                for (int i = len - 1; i >= 0; i--) ref_buf[sa + d + 8 + i] = src_buf[sa + 8 + i];
                memmove(src_buf + sa + d + 8, src_buf + sa + 8, (size_t)len);
                if (memcmp(src_buf, ref_buf, W) != 0) fail("memmove fwd", len, sa, d);
                memcpy(ref_buf, src_buf, W);
                for (int i = 0; i < len; i++) ref_buf[da + 8 + i] = src_buf[da + 8 + d + i];
                memmove(src_buf + da + 8, src_buf + da + 8 + d, (size_t)len);
                if (memcmp(src_buf, ref_buf, W) != 0) fail("memmove back", len, da, d);
                mix(hashbuf(src_buf, len + 20));

                /* memset */
                int c = (int)(rnd() & 0xff);
                memcpy(ref_buf, dst_buf, W);
                for (int i = 0; i < len; i++) ref_buf[da + i] = (unsigned char)c;
                memset(dst_buf + da, c, (size_t)len);
                if (memcmp(dst_buf, ref_buf, W) != 0) fail("memset", len, da, c);

                /* memcmp: equal, then one differing byte */
                memcpy(dst_buf + da, src_buf + sa, (size_t)len);
                if (memcmp(dst_buf + da, src_buf + sa, (size_t)len) != 0) fail("memcmp eq", len, sa, da);
                if (len > 0) {
                    int pos = (int)(rnd() % (unsigned)len);
                    dst_buf[da + pos] ^= (unsigned char)(1u << (rnd() & 7));
                    int r = memcmp(dst_buf + da, src_buf + sa, (size_t)len);
                    int e = ref_sign((int)dst_buf[da + pos] - (int)src_buf[sa + pos]);
                    if (ref_sign(r) != e) fail("memcmp ne", len, sa, da);
                    mix((uint32_t)ref_sign(r) + 7);
                    unsigned char *hit = memchr(src_buf + sa, src_buf[sa + pos], (size_t)len);
                    int ref_hit = -1;
                    for (int i = 0; i < len; i++)
                        if (src_buf[sa + i] == src_buf[sa + pos]) { ref_hit = i; break; }
                    if (hit == NULL || hit - (src_buf + sa) != ref_hit) fail("memchr", len, sa, pos);
                }
            }
        }

        /* string functions on NUL-terminated, printable data, 4 alignment pairs */
        for (int sa = 0; sa < 4; sa++) {
            for (int da = 3 - sa; da == 3 - sa; da++) {
                char *s = (char *)src_buf + sa, *t = (char *)dst_buf + da;
                fill(src_buf, W, 1);
                s[len] = 0;
                if (strlen(s) != (size_t)len) fail("strlen", len, sa, 0);
                memset(dst_buf, 0x55, W);
                char *ret = strcpy(t, s);
                if (ret != t || memcmp(t, s, (size_t)len + 1) != 0 || dst_buf[da + len + 1] != 0x55)
                    fail("strcpy", len, sa, da);
                if (strcmp(t, s) != 0 || strncmp(t, s, (size_t)len + 3) != 0) fail("strcmp eq", len, sa, da);
                if (len > 0) {
                    int pos = (int)(rnd() % (unsigned)len);
                    t[pos] = (char)(t[pos] + ((rnd() & 1) ? 1 : -1));
                    int r = strcmp(t, s);
                    int e = ref_sign((int)(unsigned char)t[pos] - (int)(unsigned char)s[pos]);
                    if (ref_sign(r) != e) fail("strcmp ne", len, sa, pos);
                    if (ref_sign(strncmp(t, s, (size_t)pos + 1)) != e) fail("strncmp ne", len, sa, pos);
                    if (strncmp(t, s, (size_t)pos) != 0) fail("strncmp prefix", len, sa, pos);
                    mix((uint32_t)(e + 3));
                    char ch = s[pos];
                    char *p = strchr(s, ch), *q = strrchr(s, ch);
                    int rf = -1, rl = -1;
                    for (int i = 0; i < len; i++)
                        if (s[i] == ch) { if (rf < 0) rf = i; rl = i; }
                    if (p == NULL || p - s != rf) fail("strchr", len, sa, pos);
                    if (q == NULL || q - s != rl) fail("strrchr", len, sa, pos);
                    if (strchr(s, 0) != s + len) fail("strchr nul", len, sa, 0);
                    if (strchr(s, 1) != NULL) fail("strchr none", len, sa, 0);
                    /* strstr: needle taken from inside the haystack */
                    int nl = 1 + (int)(rnd() % 6);
                    if (pos + nl > len) nl = len - pos;
                    char needle[8];
                    memcpy(needle, s + pos, (size_t)nl);
                    needle[nl] = 0;
                    char *hit = strstr(s, needle);
                    int ref = -1;
                    for (int i = 0; i + nl <= len && ref < 0; i++)
                        if (memcmp(s + i, needle, (size_t)nl) == 0) ref = i;
                    if (hit == NULL || hit - s != ref) fail("strstr", len, sa, nl);
                    mix((uint32_t)ref);
                    size_t sp = strspn(s, "0123456789:;<=>?@");
                    size_t cs = strcspn(s, "jkJK");
                    mix((uint32_t)(sp * 131 + cs));
                }
                /* strncpy pads, strcat appends */
                memset(dst_buf, 0x55, W);
                strncpy(t, s, (size_t)len + 5);
                for (int i = len; i < len + 5; i++)
                    if (t[i] != 0) { fail("strncpy pad", len, sa, da); break; }
                strcat(t, "-tail");
                if (strlen(t) != (size_t)len + 5 || strcmp(t + len, "-tail") != 0) fail("strcat", len, sa, da);
                mix(hashbuf((unsigned char *)t, len + 6));
            }
        }
        if (len % 16 == 0 || len % 7 == 4)
            printf("len %3d: checksum %08x failures %d\n", len, sum, failures);
    }
    static const char hw[] = "hello world";
    printf("strstr misc: %d %d %d\n", (int)(strstr(hw, "o w") - hw),
           strstr("aaaaab", "aab") != NULL, strstr("abc", "abcd") == NULL);
    printf("final checksum %08x failures %d\n", sum, failures);
    return failures ? 1 : 0;
}
