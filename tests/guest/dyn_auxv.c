/* dyn_auxv.c: what exec told a dynamic program, checked against the dynamic linker's own
 * link map: AT_PHDR/AT_PHNUM are the main program's program headers, AT_ENTRY is its ELF
 * header's e_entry plus its load bias, AT_BASE is ld.so.1's load address, AT_SYSINFO_EHDR is
 * the vDSO's; /proc/self/auxv holds the same pairs. Prints the auxv types in order and the
 * load addresses. Build dynamically (also as a PIE). */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

struct seen { ElfW(Addr) main_addr, ldso_addr, vdso_addr; const ElfW(Phdr) *main_phdr;
	      int main_phnum, have_vdso; };

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
	struct seen *s = data;
	if (info->dlpi_name[0] == 0 && !s->main_phdr) {
		s->main_addr = info->dlpi_addr;
		s->main_phdr = info->dlpi_phdr;
		s->main_phnum = info->dlpi_phnum;
	} else if (strstr(info->dlpi_name, "ld.so.1")) {
		s->ldso_addr = info->dlpi_addr;
	} else if (strcmp(info->dlpi_name, "linux-vdso32.so.1") == 0) {
		s->vdso_addr = info->dlpi_addr;
		s->have_vdso = 1;
	}
	return 0;
}

int main(void)
{
	char **e = environ;
	while (*e) e++;
	ElfW(auxv_t) *auxv = (ElfW(auxv_t) *)(e + 1), *av;
	printf("auxv_types");
	for (av = auxv; av->a_type != AT_NULL; av++)
		printf(" %d", (int)av->a_type);
	printf("\n");
	/* /proc/self/auxv holds the same pairs, AT_NULL included */
	char buf[1024];
	FILE *f = fopen("/proc/self/auxv", "rb");
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	size_t want = (size_t)((char *)(av + 1) - (char *)auxv);
	printf("proc_auxv %s\n", n == want && memcmp(buf, auxv, n) == 0 ? "same" : "differs");

	struct seen s = { 0 };
	dl_iterate_phdr(visit, &s);
	/* the main program's ELF header is at the start of its first PT_LOAD */
	const ElfW(Ehdr) *eh = NULL;
	for (int i = 0; i < s.main_phnum; i++)
		if (s.main_phdr[i].p_type == PT_LOAD) {
			eh = (const ElfW(Ehdr) *)(s.main_addr + s.main_phdr[i].p_vaddr);
			break;
		}
	printf("main_type %s\n", eh->e_type == ET_DYN ? "ET_DYN" : "ET_EXEC");
	printf("main_bias %#lx\n", (unsigned long)s.main_addr);
	printf("ldso_base %#lx\n", (unsigned long)s.ldso_addr);
	printf("at_phdr %s\n", getauxval(AT_PHDR) == (unsigned long)s.main_phdr ? "ok" : "wrong");
	printf("at_phnum %s\n", getauxval(AT_PHNUM) == (unsigned long)s.main_phnum ? "ok" : "wrong");
	printf("at_phent %lu\n", getauxval(AT_PHENT));
	printf("at_entry %s\n", getauxval(AT_ENTRY) == s.main_addr + eh->e_entry ? "ok" : "wrong");
	printf("at_base %s\n", getauxval(AT_BASE) == s.ldso_addr ? "ok" : "wrong");
	printf("at_execfn %s\n", (char *)getauxval(AT_EXECFN));
	if (s.have_vdso)
		printf("vdso_base %#lx at_sysinfo_ehdr %s\n", (unsigned long)s.vdso_addr,
		       getauxval(AT_SYSINFO_EHDR) == s.vdso_addr ? "ok" : "wrong");
	return 0;
}
