/* malloc/free/realloc/calloc stress: random sizes from tiny to beyond the mmap
 * threshold, random frees, content checks.  Exercises brk and mmap/munmap/mremap.
 *
 *   malloc_stress [ROUNDS]   (default 3000)
 * Exit status: 0 if every block kept its contents, else 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256
static unsigned char *blk[SLOTS];
static size_t blen[SLOTS];
static unsigned char btag[SLOTS];
static uint32_t seed = 42;
static int failures = 0;

static uint32_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5; return seed; }

static size_t pick_size(void)
{
    uint32_t r = rnd();
    unsigned k = r & 31;
    if (k == 0) return 0;
    if (k < 12) return 1 + (r >> 8) % 24;
    if (k < 22) return 1 + (r >> 8) % 256;
    if (k < 28) return 1 + (r >> 8) % 4096;
    if (k < 31) return 1 + (r >> 8) % 40000;
    return 140000 + (r >> 8) % 300000;     /* above the default mmap threshold */
}
/* Touch every byte of the first 64 and a sample of the rest, to bound the
 * instruction count; the sampled positions do not depend on the block size. */
static size_t next_pos(size_t i) { return i < 64 ? i + 1 : i + 61 + (i >> 5); }
static void pattern(unsigned char *p, size_t n, unsigned char tag)
{
    for (size_t i = 0; i < n; i = next_pos(i)) p[i] = (unsigned char)(tag + i * 7);
    if (n) p[n - 1] = (unsigned char)(tag ^ 0xa5);
}
static int verify(const unsigned char *p, size_t n, unsigned char tag)
{
    for (size_t i = 0; i + 1 < n; i = next_pos(i))
        if (p[i] != (unsigned char)(tag + i * 7)) return 0;
    return n == 0 || p[n - 1] == (unsigned char)(tag ^ 0xa5);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3000;
    unsigned long long total_alloc = 0;
    uint32_t sum = 0;
    int n_malloc = 0, n_free = 0, n_realloc = 0, n_calloc = 0;

    for (int r = 0; r < rounds; r++) {
        int s = (int)(rnd() % SLOTS);
        uint32_t op = rnd() % 10;
        if (blk[s] && !verify(blk[s], blen[s], btag[s])) {
            if (++failures < 10) printf("corrupt block slot=%d len=%u round=%d\n", s, (unsigned)blen[s], r);
        }
        if (op < 4 || blk[s] == NULL) {
            free(blk[s]); if (blk[s]) n_free++;
            size_t n = pick_size();
            if (op == 3) {
                size_t cnt = 1 + n / 8;
                blk[s] = calloc(cnt, 8);
                n = cnt * 8;
                n_calloc++;
                if (blk[s]) {
                    for (size_t i = 0; i < n; i = next_pos(i))
                        if (blk[s][i]) { if (++failures < 10) printf("calloc not zero\n"); break; }
                }
            } else {
                blk[s] = malloc(n);
                n_malloc++;
            }
            if (!blk[s] && n) { printf("allocation of %u failed\n", (unsigned)n); return 2; }
            blen[s] = n;
            btag[s] = (unsigned char)rnd();
            pattern(blk[s], n, btag[s]);
            total_alloc += n;
        } else if (op < 7) {
            size_t n = pick_size() + 1;
            unsigned char *p = realloc(blk[s], n);
            n_realloc++;
            if (!p) { printf("realloc to %u failed\n", (unsigned)n); return 2; }
            size_t keep = n < blen[s] ? n : blen[s];
            /* the kept prefix must survive (checked on the sampled positions) */
            for (size_t i = 0; i + 1 < keep; i = next_pos(i))
                if (p[i] != (unsigned char)(btag[s] + i * 7)) {
                    if (++failures < 10) printf("realloc lost data slot=%d\n", s);
                    break;
                }
            blk[s] = p;
            blen[s] = n;
            pattern(p, n, btag[s]);
            total_alloc += n;
        } else {
            free(blk[s]);
            n_free++;
            blk[s] = NULL;
            blen[s] = 0;
        }
        if ((r + 1) % 250 == 0) {
            size_t live = 0;
            for (int i = 0; i < SLOTS; i++) live += blen[i];
            printf("round %d: live bytes %u total %llu\n", r + 1, (unsigned)live, total_alloc);
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (blk[i]) {
            if (!verify(blk[i], blen[i], btag[i])) failures++;
            sum = sum * 33 + (uint32_t)blen[i] + btag[i];
            free(blk[i]);
        }
    }
    /* many small blocks, freed in an interleaved order */
    enum { MANY = 2000 };
    static void *many[MANY];
    for (int i = 0; i < MANY; i++) { many[i] = malloc(16 + (i % 48)); memset(many[i], i & 0xff, 16); }
    for (int i = 0; i < MANY; i += 2) free(many[i]);
    for (int i = 1; i < MANY; i += 2) {
        unsigned char *p = many[i];
        if (p[0] != (unsigned char)(i & 0xff) || p[15] != (unsigned char)(i & 0xff)) failures++;
        free(p);
    }
    printf("ops: malloc %d calloc %d realloc %d free %d\n", n_malloc, n_calloc, n_realloc, n_free);
    printf("total allocated %llu, checksum %08x, failures %d\n", total_alloc, sum, failures);
    return failures ? 1 : 0;
}
