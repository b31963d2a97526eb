/* vdso_map_file.h: map a vDSO image file by hand, for guest tests that run an image
 * without the kernel's help (under qemu-hppa). Test use only. */
#ifndef HPPA_USER_VDSO_MAP_FILE_H
#define HPPA_USER_VDSO_MAP_FILE_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Map an image file by hand the way the kernel model does: one zero page (the vvar page,
 * left writable for the caller) directly below the image, the image read-only + exec.
 * Returns the image base or 0; *vvar_out gets the vvar page. (Test use only.) */
static uintptr_t vdso_map_file(const char *path, unsigned char **vvar_out)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return 0;
	size_t img = ((size_t)st.st_size + 4095) & ~(size_t)4095;
	unsigned char *m = mmap(NULL, 4096 + img, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	for (size_t done = 0; done < (size_t)st.st_size;) {
		ssize_t r = read(fd, m + 4096 + done, st.st_size - done);
		if (r <= 0)
			return 0;
		done += r;
	}
	close(fd);
	if (mprotect(m + 4096, img, PROT_READ | PROT_EXEC) < 0)
		return 0;
	if (vvar_out)
		*vvar_out = m;
	return (uintptr_t)(m + 4096);
}

#endif
