/* vdso_types.h: the 32-bit hppa time structures and the vDSO functions' signatures, as the
 * vDSO guest programs call them. */
#ifndef VDSO_TYPES_H
#define VDSO_TYPES_H
#include <stdint.h>

struct ts32 { int32_t sec, nsec; };
struct ts64 { int64_t sec, nsec; };
struct tv32 { int32_t sec, usec; };
struct tz32 { int32_t minuteswest, dsttime; };

typedef int (*cgt64_fn)(int, struct ts64 *);
typedef int (*cgt32_fn)(int, struct ts32 *);
typedef int (*gtod_fn)(struct tv32 *, struct tz32 *);
typedef int32_t (*time_fn)(int32_t *);
typedef int (*getres_fn)(int, struct ts32 *);
typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);

#endif
