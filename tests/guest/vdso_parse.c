/* vdso_parse.c: look at the vDSO the kernel gave this process, the way the kernel
 * selftests' parse_vdso does (written anew for hppa-user):
 *
 *  1. find it through getauxval(AT_SYSINFO_EHDR) ("vdso: absent" and exit 0 if there is none);
 *  2. list every exported symbol with its version, sorted ("symbol NAME@VERSION" lines and a
 *     "symbols: N" line) - the set a profile exports, to be compared exactly by the test;
 *  3. resolve the known entry points through the System V hash table with a version check
 *     and make sure the lookup agrees with the listing;
 *  4. call every time function found, by raw code address and once more through a function
 *     descriptor with a garbage gp (as glibc does), and compare with the syscall.
 *
 * Output has no raw times: "OK what" / "FAIL what: why" lines. Exit status 0 iff no FAIL.
 *
 * Test hook: with VDSO_PARSE_IMAGE=FILE in the environment the program maps FILE itself (with
 * an all-zero vvar page below it, so every vvar function takes its syscall path) instead of
 * using AT_SYSINFO_EHDR; this lets the test suite check the program under qemu-hppa.
 *
 * Build: hppa-linux-gnu-gcc -static -O2 -o vdso_parse vdso_parse.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../vdso_image/vsyscall/vdso_elf.h"
#include "vdso_map_file.h"
#include "vdso_checks.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *const versions[] = { "LINUX_6.11", "LINUX_5.18" };

int main(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	const char *image = getenv("VDSO_PARSE_IMAGE");
	if (image && *image) {
		base = vdso_map_file(image, NULL);
		if (!base) {
			printf("FAIL cannot map %s\n", image);
			return 1;
		}
	}
	if (!base) {
		printf("vdso: absent\nsymbols: 0\n");
		return 0;
	}
	printf("vdso: present\n");
	struct vdso_info vi;
	int err = vdso_init(&vi, base);
	if (err) {
		printf("FAIL vdso_init: error %d\n", err);
		return 1;
	}
	printf("soname: %s\n", vi.soname ? vi.soname : "(none)");

	/* 2: the exported set */
	static char names[64][96];
	char *list[64];
	int n = 0;
	for (Elf32_Word i = 1; i < vi.nchain && n < 64; i++) {
		if (!vdso_sym_exported(&vi, i))
			continue;
		const char *v = vdso_sym_version(&vi, i, NULL);
		snprintf(names[n], sizeof names[n], "%s@%s", vi.strtab + vi.symtab[i].st_name, v ? v : "");
		list[n] = names[n];
		n++;
	}
	qsort(list, n, sizeof list[0], cmp_str);
	for (int i = 0; i < n; i++)
		printf("symbol %s\n", list[i]);
	printf("symbols: %d\n", n);

	/* 3 and 4 */
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		for (size_t j = 0; j < sizeof versions / sizeof versions[0]; j++) {
			char full[96], what[128];
			snprintf(full, sizeof full, "%s@%s", known[k].name, versions[j]);
			void *code = vdso_sym(&vi, known[k].name, versions[j]);
			int listed = 0;
			for (int i = 0; i < n; i++)
				listed |= strcmp(list[i], full) == 0;
			snprintf(what, sizeof what, "lookup %s", full);
			if (!!code != listed) {
				fail(what, code ? "resolved but not listed" : "listed but not resolved");
				continue;
			}
			if (!code)
				continue;
			ok(what);
			if (known[k].test) {
				known[k].test(code, "raw");
				known[k].test(via_descriptor(code), "fdesc");
			}
		}
	}
	printf("failures: %d\n", failures);
	return failures ? 1 : 0;
}
