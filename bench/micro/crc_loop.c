/* Benchmark kernel: a tight integer loop -- CRC-32 (bitwise, reflected 0xEDB88320)
 * over bytes produced by an LCG.  No syscalls inside the loop, so the time is pure
 * CPU emulation; the CRC is printed so the run can be checked.
 *
 *   crc_loop [ITERATIONS]    bytes to hash (default 1000000)
 * About 60 guest instructions per byte at -O2.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 1000000L;
    uint32_t crc = 0xffffffffu, x = 1u;
    for (long i = 0; i < iters; i++) {
        x = x * 1664525u + 1013904223u;            /* LCG */
        crc ^= x >> 24;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    crc = ~crc;
    printf("crc32 of %ld LCG bytes = %08x\n", iters, (unsigned)crc);
    return 0;
}
