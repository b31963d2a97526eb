/* dyn_linkmap.c: the dynamic linker's view of the process (build dynamically).
 *
 *  - every object dl_iterate_phdr reports, in order ("object NAME"), and for the vDSO
 *    whether its load address is getauxval(AT_SYSINFO_EHDR);
 *  - the vDSO by soname with RTLD_NOLOAD (it is never loaded from a file) and dlvsym of the
 *    known exports (only "found" lines: their set differs per kernel profile);
 *  - dlopen("libm.so.6") and calls through dlsym (the values are printed to 17 digits for
 *    an independent check), then dlclose: libm must be gone from the link map and from
 *    /proc/self/maps;
 *  - dlopen of a missing library: dlerror()'s text.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

static int show(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *tag = data;
	printf("%s \"%s\" phnum %d", tag, info->dlpi_name, info->dlpi_phnum);
	if (strcmp(info->dlpi_name, "linux-vdso32.so.1") == 0)
		printf(" at_sysinfo_ehdr %s",
		       info->dlpi_addr == getauxval(AT_SYSINFO_EHDR) ? "yes" : "no");
	printf("\n");
	return 0;
}

static int maps_mention(const char *what)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

static const char *const vdso_names[] = {
	"__vdso_clock_gettime64", "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
	"__vdso_clock_getres", "__vdso_getcpu", "__kernel_sigtramp_rt32",
	"__kernel_restart_syscall32",
};

int main(void)
{
	dl_iterate_phdr(show, "object");

	void *v = dlopen("linux-vdso32.so.1", RTLD_NOW | RTLD_NOLOAD);
	printf("vdso handle %s\n", v ? "yes" : "no");
	if (v) {
		for (size_t i = 0; i < sizeof vdso_names / sizeof vdso_names[0]; i++)
			if (dlvsym(v, vdso_names[i], "LINUX_6.11"))
				printf("vdso symbol %s@LINUX_6.11\n", vdso_names[i]);
		dlclose(v);
	}

	void *m = dlopen("libm.so.6", RTLD_NOW);
	if (!m) {
		printf("dlopen libm.so.6: %s\n", dlerror());
		return 1;
	}
	double (*cosp)(double) = (double (*)(double))dlsym(m, "cos");
	double (*powp)(double, double) = (double (*)(double, double))dlsym(m, "pow");
	if (!cosp || !powp) {
		printf("dlsym: %s\n", dlerror());
		return 1;
	}
	printf("cos(0.5) %.17g\n", cosp(0.5));
	printf("pow(2.5, 3.25) %.17g\n", powp(2.5, 3.25));
	printf("libm in maps while open %s\n", maps_mention("libm.so.6") > 0 ? "yes" : "no");
	dlclose(m);
	dl_iterate_phdr(show, "after-dlclose");
	printf("libm in maps after dlclose %s\n", maps_mention("libm.so.6") > 0 ? "yes" : "no");

	void *missing = dlopen("libdoes-not-exist.so.7", RTLD_NOW);
	printf("missing %s: %s\n", missing ? "loaded" : "refused", missing ? "" : dlerror());
	return 0;
}
