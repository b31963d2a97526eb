/* vdso_dlsym.c: the kernel selftests' vDSO checks (vdso_test_abi style), with every function
 * pointer taken from the dynamic linker: dlopen("linux-vdso32.so.1", RTLD_NOLOAD) and dlvsym
 * under LINUX_6.11. glibc hands out function descriptors for them (_dl_make_fptr); each is
 * called for every clock id, valid and invalid, and compared with the syscall. Invalid clock
 * ids must give -EINVAL from the vDSO as from the kernel. Build dynamically.
 * Output: "vdso: absent" (no vDSO: exit 0) or OK/FAIL lines; exit status 0 iff no FAIL. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "vdso_checks.h"

static const int invalid_clocks[] = { 12, 16, 100, 0x7fffffff, -1 };

int main(void)
{
	void *h = dlopen("linux-vdso32.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (!h) {
		printf("vdso: absent\nfailures: 0\n");
		return 0;
	}
	printf("vdso: present\n");
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		void *fn = dlvsym(h, known[k].name, "LINUX_6.11");
		printf("dlsym %s: %s\n", known[k].name, fn ? "found" : "absent");
		if (!fn || !known[k].test)
			continue;
		known[k].test(fn, "dlsym");
		/* clock functions: invalid ids give -EINVAL (not a fallback, not a crash) */
		int is_gettime64 = strcmp(known[k].name, "__vdso_clock_gettime64") == 0;
		int is_gettime32 = strcmp(known[k].name, "__vdso_clock_gettime") == 0;
		int is_getres = strcmp(known[k].name, "__vdso_clock_getres") == 0;
		if (!is_gettime64 && !is_gettime32 && !is_getres)
			continue;
		for (size_t i = 0; i < sizeof invalid_clocks / sizeof invalid_clocks[0]; i++) {
			struct ts64 t;
			char what[128];
			long r = is_gettime64 ? ((cgt64_fn)fn)(invalid_clocks[i], &t)
				 : is_gettime32 ? ((cgt32_fn)fn)(invalid_clocks[i], (struct ts32 *)&t)
				 : ((getres_fn)fn)(invalid_clocks[i], (struct ts32 *)&t);
			snprintf(what, sizeof what, "%s(%d) = -EINVAL", known[k].name, invalid_clocks[i]);
			if (r == -EINVAL)
				ok(what);
			else {
				char why[64];
				snprintf(why, sizeof why, "returned %ld", r);
				fail(what, why);
			}
		}
	}
	printf("failures: %d\n", failures);
	return failures ? 1 : 0;
}
