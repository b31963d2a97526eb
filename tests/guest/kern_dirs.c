/* Directories in a 32-bit program built WITHOUT _FILE_OFFSET_BITS=64: readdir() must list
   the directory (Linux hands 32-bit processes 32-bit-safe d_off cookies; qemu-hppa passes the
   host's 64-bit hashes and glibc's readdir then fails with EOVERFLOW), telldir/seekdir,
   rewinddir after creating a file, readdir64, fdopendir and empty-buffer getdents. */
#define _LARGEFILE64_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list(const char *path, int show)
{
    DIR *d = opendir(path);
    if (!d) { printf("opendir: errno=%d\n", errno); return -1; }
    char *names[512];
    int n = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL && n < 512) {
        names[n++] = strdup(e->d_name);
        if (strcmp(e->d_name, "sub") == 0 && e->d_type != DT_DIR) printf("bad d_type\n");
    }
    int err = errno;
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    if (show) {
        printf("readdir: %d entries, errno=%s:", n, err == 0 ? "0" : err == EOVERFLOW ? "EOVERFLOW" : "other");
        for (int i = 0; i < n; i++) printf(" %s", names[i]);
        printf("\n");
    }
    for (int i = 0; i < n; i++) free(names[i]);
    return n;
}

int main(void)
{
    char name[64];
    mkdir("dir", 0755);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "dir/file%02d", i);
        close(open(name, O_CREAT | O_WRONLY, 0644));
    }
    mkdir("dir/sub", 0755);
    list("dir", 1);

    /* telldir/seekdir */
    DIR *d = opendir("dir");
    struct dirent *e;
    for (int i = 0; i < 10; i++) e = readdir(d);
    long pos = telldir(d);
    e = readdir(d);
    char saved[256];
    strcpy(saved, e ? e->d_name : "(null)");
    for (int i = 0; i < 5; i++) readdir(d);
    seekdir(d, pos);
    e = readdir(d);
    printf("seekdir resumes: %d\n", e && strcmp(e->d_name, saved) == 0);
    printf("telldir fits 32 bits: %d\n", pos >= 0);
    /* rewinddir sees a new file */
    close(open("dir/late", O_CREAT | O_WRONLY, 0644));
    rewinddir(d);
    int n = 0, late = 0;
    while ((e = readdir(d)) != NULL) { n++; if (!strcmp(e->d_name, "late")) late = 1; }
    printf("after rewind: %d entries, late=%d\n", n, late);
    closedir(d);

    /* readdir64 works everywhere */
    d = opendir("dir");
    struct dirent64 *e64;
    n = 0;
    while ((e64 = readdir64(d)) != NULL) n++;
    printf("readdir64: %d entries\n", n);
    closedir(d);

    /* fdopendir + errors */
    int fd = open("dir", O_RDONLY | O_DIRECTORY);
    d = fdopendir(fd);
    n = 0;
    while ((e = readdir(d)) != NULL) n++;
    printf("fdopendir: %d entries\n", n);
    closedir(d);
    printf("opendir file: %p errno=%d\n", (void *)opendir("dir/file00"), errno == ENOTDIR);
    printf("opendir missing: %p errno=%d\n", (void *)opendir("nope"), errno == ENOENT);

    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "dir/file%02d", i);
        unlink(name);
    }
    unlink("dir/late");
    rmdir("dir/sub");
    printf("rmdir: %d\n", rmdir("dir"));
    return 0;
}
