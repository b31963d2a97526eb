/* File I/O in a directory given on argv: fopen/fprintf/fwrite/fread/fseek/ftell/
 * fgets/rename/remove, plus open/read/write/lseek/stat/unlink.  Nothing printed
 * depends on the directory name.
 *
 *   fileio DIR
 * Exit status: 0 if everything read back as written, 2 on usage error, else 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { failures++; printf("FAILED line %d: %s\n", __LINE__, #cond); } } while (0)

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: fileio DIR\n"); return 2; }
    char path[4096], path2[4096];
    snprintf(path, sizeof path, "%s/data.txt", argv[1]);
    snprintf(path2, sizeof path2, "%s/renamed.txt", argv[1]);

    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return 1;
    long expect_len = 0;
    for (int i = 0; i < 500; i++)
        expect_len += fprintf(f, "line %04d: %d %x %s\n", i, i * i, i * 2654435761u, i % 3 ? "abc" : "xyz");
    CHECK(ftell(f) == expect_len);
    CHECK(fclose(f) == 0);
    printf("wrote %ld bytes of text\n", expect_len);

    f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return 1;
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long len = ftell(f);
    printf("ftell at end = %ld\n", len);
    CHECK(len == expect_len);
    CHECK(fseek(f, 0, SEEK_SET) == 0);
    char line[128];
    int nlines = 0;
    unsigned h = 0;
    while (fgets(line, sizeof line, f)) {
        nlines++;
        for (char *p = line; *p; p++) h = h * 31 + (unsigned char)*p;
    }
    printf("read %d lines, hash %08x\n", nlines, h);
    CHECK(nlines == 500);
    CHECK(fseek(f, 11 * 37, SEEK_SET) == 0);
    CHECK(fgets(line, sizeof line, f) != NULL);
    printf("at offset %d: %s", 11 * 37, line);
    CHECK(fseek(f, -20, SEEK_END) == 0);
    size_t n = fread(line, 1, 100, f);
    line[n] = 0;
    printf("last %u bytes: %s", (unsigned)n, line);
    CHECK(n == 20);
    CHECK(feof(f));
    fclose(f);

    /* binary data through fwrite/fread, appended with "a" */
    unsigned char blob[10000];
    for (int i = 0; i < (int)sizeof blob; i++) blob[i] = (unsigned char)(i * 131 + (i >> 8));
    f = fopen(path, "ab");
    CHECK(f != NULL);
    if (!f) return 1;
    CHECK(fwrite(blob, 1, sizeof blob, f) == sizeof blob);
    fclose(f);
    f = fopen(path, "rb");
    CHECK(fseek(f, len, SEEK_SET) == 0);
    static unsigned char back[10000];
    CHECK(fread(back, 1, sizeof back, f) == sizeof back);
    CHECK(memcmp(blob, back, sizeof blob) == 0);
    CHECK(fread(back, 1, 1, f) == 0 && feof(f));
    fclose(f);

    struct stat st;
    CHECK(stat(path, &st) == 0);
    printf("stat size = %lld, regular = %d\n", (long long)st.st_size, S_ISREG(st.st_mode) ? 1 : 0);
    CHECK(st.st_size == len + (long)sizeof blob);

    /* raw fd I/O */
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    CHECK(lseek(fd, 5, SEEK_SET) == 5);
    CHECK(write(fd, "XXXX", 4) == 4);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    char head[16] = {0};
    CHECK(read(fd, head, 15) == 15);
    printf("patched head: %s\n", head);
    CHECK(lseek(fd, 0, SEEK_END) == st.st_size);
    CHECK(ftruncate(fd, 100) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 100);
    close(fd);

    CHECK(rename(path, path2) == 0);
    CHECK(access(path, F_OK) != 0 && errno == ENOENT);
    f = fopen(path, "r");
    CHECK(f == NULL && errno == ENOENT);
    printf("fopen of missing file: %s\n", f == NULL ? strerror(errno) : "opened?!");
    CHECK(remove(path2) == 0);
    CHECK(remove(path2) != 0 && errno == ENOENT);
    CHECK(unlink(path2) == -1 && errno == ENOENT);

    /* directories */
    snprintf(path, sizeof path, "%s/sub", argv[1]);
    CHECK(mkdir(path, 0755) == 0);
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(rmdir(path) == 0);
    printf("failures %d\n", failures);
    return failures ? 1 : 0;
}
