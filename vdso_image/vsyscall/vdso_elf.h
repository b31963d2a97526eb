/* vdso_elf.h: find symbols in an in-memory vDSO image (32-bit ELF), the way a dynamic
 * loader does: program headers -> PT_LOAD bias and PT_DYNAMIC -> DT_HASH (System V hash),
 * DT_SYMTAB, DT_STRTAB, DT_VERSYM, DT_VERDEF -> symbol lookup with a version check.
 *
 * Header-only: the vsyscall dispatcher (vsyscall.c) resolves its vDSO entry points with it,
 * and the guest test programs tests/guest/vdso_parse.c (the vDSO seen through
 * AT_SYSINFO_EHDR) and vdso_vvar_harness.c (an image loaded by hand) list and look up
 * symbols with it. Written for hppa-user; no code copied.
 */
#ifndef HPPA_USER_VDSO_ELF_H
#define HPPA_USER_VDSO_ELF_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct vdso_info {
	uintptr_t base;			/* address of the ELF header */
	uintptr_t bias;			/* run-time address - link-time address */
	const Elf32_Sym *symtab;
	const char *strtab;
	const Elf32_Word *bucket, *chain;
	Elf32_Word nbucket, nchain;
	const Elf32_Half *versym;	/* NULL without DT_VERSYM + DT_VERDEF */
	const Elf32_Verdef *verdef;
	const char *soname;
};

/* The System V ABI symbol hash. */
static inline unsigned long vdso_elf_hash(const char *name)
{
	unsigned long h = 0, g;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h = (h << 4) + *p;
		g = h & 0xf0000000UL;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* Returns 0 on success, a negative number saying what is missing otherwise. */
static inline int vdso_init(struct vdso_info *vi, uintptr_t base)
{
	const Elf32_Ehdr *eh = (const Elf32_Ehdr *)base;
	const Elf32_Dyn *dyn = NULL;
	int have_load = 0;
	Elf32_Addr soname_off = 0;
	int have_soname = 0;

	memset(vi, 0, sizeof *vi);
	vi->base = base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS32)
		return -1;
	if (eh->e_machine != EM_PARISC)
		return -2;
	const Elf32_Phdr *ph = (const Elf32_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			vi->bias = base - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf32_Dyn *)ph[i].p_vaddr;	/* relocated below */
		}
	}
	if (!have_load)
		return -3;
	if (!dyn)
		return -4;
	dyn = (const Elf32_Dyn *)((uintptr_t)dyn + vi->bias);

	const Elf32_Word *hash = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = dyn->d_un.d_ptr + vi->bias;
		switch (dyn->d_tag) {
		case DT_STRTAB: vi->strtab = (const char *)p; break;
		case DT_SYMTAB: vi->symtab = (const Elf32_Sym *)p; break;
		case DT_HASH: hash = (const Elf32_Word *)p; break;
		case DT_VERSYM: vi->versym = (const Elf32_Half *)p; break;
		case DT_VERDEF: vi->verdef = (const Elf32_Verdef *)p; break;
		case DT_SONAME: soname_off = dyn->d_un.d_val; have_soname = 1; break;
		}
	}
	if (!vi->strtab || !vi->symtab || !hash)
		return -5;
	if (!vi->verdef)
		vi->versym = NULL;	/* versions are only meaningful with both */
	vi->nbucket = hash[0];
	vi->nchain = hash[1];
	vi->bucket = hash + 2;
	vi->chain = hash + 2 + vi->nbucket;
	if (have_soname)
		vi->soname = vi->strtab + soname_off;
	return 0;
}

/* The version-definition name of symbol index i (NULL: unversioned or base version). */
static inline const char *vdso_sym_version(const struct vdso_info *vi, Elf32_Word i, Elf32_Word *hash_out)
{
	if (!vi->versym)
		return NULL;
	Elf32_Half ndx = vi->versym[i] & 0x7fff;
	const Elf32_Verdef *vd = vi->verdef;
	for (;;) {
		if (vd->vd_ndx == ndx && !(vd->vd_flags & VER_FLG_BASE)) {
			const Elf32_Verdaux *aux = (const Elf32_Verdaux *)((const char *)vd + vd->vd_aux);
			if (hash_out)
				*hash_out = vd->vd_hash;
			return vi->strtab + aux->vda_name;
		}
		if (!vd->vd_next)
			return NULL;
		vd = (const Elf32_Verdef *)((const char *)vd + vd->vd_next);
	}
}

/* Is symbol index i a defined, global/weak, default-visibility function or object? */
static inline int vdso_sym_exported(const struct vdso_info *vi, Elf32_Word i)
{
	const Elf32_Sym *s = &vi->symtab[i];
	int type = ELF32_ST_TYPE(s->st_info), bind = ELF32_ST_BIND(s->st_info);
	if (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS)
		return 0;
	if (bind != STB_GLOBAL && bind != STB_WEAK)
		return 0;
	if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
		return 0;
	if (ELF32_ST_VISIBILITY(s->st_other) != STV_DEFAULT)
		return 0;
	return 1;
}

/* Look NAME@VERSION up through the hash table; the code address or NULL. */
static inline void *vdso_sym(const struct vdso_info *vi, const char *name, const char *version)
{
	if (!vi->symtab || vi->nbucket == 0)
		return NULL;
	Elf32_Word vhash_want = vdso_elf_hash(version);
	for (Elf32_Word i = vi->bucket[vdso_elf_hash(name) % vi->nbucket]; i != STN_UNDEF;
	     i = vi->chain[i]) {
		const Elf32_Sym *s = &vi->symtab[i];
		if (ELF32_ST_TYPE(s->st_info) != STT_FUNC || !vdso_sym_exported(vi, i))
			continue;
		if (strcmp(vi->strtab + s->st_name, name) != 0)
			continue;
		if (vi->versym) {
			Elf32_Word vh = 0;
			const char *v = vdso_sym_version(vi, i, &vh);
			if (!v || vh != vhash_want || strcmp(v, version) != 0)
				continue;
		}
		return (void *)(vi->bias + s->st_value);
	}
	return NULL;
}

#endif
