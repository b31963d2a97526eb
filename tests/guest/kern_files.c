/* Files: open flags, read/write, lseek, pread/pwrite, readv/writev, dup/dup2/dup3, fcntl
   (flags, FD_CLOEXEC, locks), pipes, ftruncate, rename, link/symlink/readlink, chmod,
   access, stat/fstat/lstat, utimensat, getcwd/chdir, umask, unlink, errors. Runs in the
   current directory (tests give it a fresh temporary one). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/time.h>
#include <unistd.h>

#define CHECK(x) printf("%-40s -> %ld%s%s\n", #x, (long)(x), errno ? " errno=" : "", errno ? strerrorname_np(errno) : ""), errno = 0

int main(void)
{
    char buf[256];
    int fd, fd2, r;
    struct stat st;
    errno = 0;
    umask(022);

    CHECK(fd = open("f1.txt", O_CREAT | O_EXCL | O_RDWR, 0640));
    CHECK(open("f1.txt", O_CREAT | O_EXCL | O_RDWR, 0640));
    CHECK(write(fd, "hello, world\n", 13));
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, 7, SEEK_SET));
    CHECK(read(fd, buf, 5));
    buf[5] = 0; printf("read: %s\n", buf);
    CHECK(lseek(fd, -3, SEEK_END));
    CHECK(lseek(fd, -100, SEEK_SET));
    CHECK(pwrite(fd, "HELLO", 5, 0));
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 100, 0));
    printf("pread: %s", buf);
    CHECK(fstat(fd, &st));
    printf("mode=%o size=%ld nlink=%ld blksize_ok=%d\n", st.st_mode, (long)st.st_size,
           (long)st.st_nlink, st.st_blksize > 0);

    struct iovec iov[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };
    CHECK(lseek(fd, 0, SEEK_END));
    CHECK(writev(fd, iov, 3));
    char a[3] = {0}, b[8] = {0};
    struct iovec riov[2] = { { a, 2 }, { b, 7 } };
    CHECK(lseek(fd, 11, SEEK_SET));
    CHECK(readv(fd, riov, 2));
    printf("readv: [%s] [%s]\n", a, b);

    /* O_APPEND */
    CHECK(fd2 = open("f1.txt", O_WRONLY | O_APPEND));
    CHECK(write(fd2, "++", 2));
    CHECK(fstat(fd, &st));
    printf("size after append: %ld\n", (long)st.st_size);
    CHECK(close(fd2));

    /* dup family and fcntl */
    CHECK(fd2 = dup(fd));
    CHECK(lseek(fd2, 1, SEEK_SET));
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(dup2(fd, 50));
    CHECK(fcntl(50, F_GETFD));
    CHECK(dup3(fd, 51, O_CLOEXEC));
    CHECK(fcntl(51, F_GETFD));
    CHECK(dup3(fd, fd, 0));
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    CHECK(fcntl(fd, F_GETFD));
    CHECK(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    CHECK(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
    CHECK(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    CHECK(fcntl(fd, F_DUPFD, 60));
    CHECK(fcntl(fd, F_DUPFD_CLOEXEC, 60));
    CHECK(close(50));
    CHECK(close(50));
    CHECK(close(-1));
    CHECK(read(1000, buf, 1));

    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    CHECK(fcntl(fd, F_SETLK, &fl));
    fl.l_type = F_RDLCK;
    CHECK(fcntl(fd, F_GETLK, &fl));
    printf("getlk type unlck: %d\n", fl.l_type == F_UNLCK);
    fl.l_type = F_UNLCK;
    CHECK(fcntl(fd, F_SETLK, &fl));

    /* truncate */
    CHECK(ftruncate(fd, 4));
    CHECK(fstat(fd, &st));
    printf("size after ftruncate: %ld\n", (long)st.st_size);
    CHECK(truncate("f1.txt", 100));
    CHECK(stat("f1.txt", &st));
    printf("size after truncate: %ld blocks_ok=%d\n", (long)st.st_size, st.st_blocks >= 0);

    /* pipes */
    int p[2];
    CHECK(pipe(p));
    CHECK(write(p[1], "pipe data", 9));
    memset(buf, 0, sizeof buf);
    CHECK(read(p[0], buf, sizeof buf));
    printf("pipe: %s\n", buf);
    CHECK(lseek(p[0], 0, SEEK_CUR));
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK));
    CHECK(read(p[0], buf, 1));
    CHECK(close(p[1]));
    CHECK(read(p[0], buf, 1));
    CHECK(close(p[0]));
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
    CHECK(fcntl(p[0], F_GETFD));
    CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
    CHECK(read(p[0], buf, 1));
    close(p[0]); close(p[1]);

    /* names */
    CHECK(rename("f1.txt", "f2.txt"));
    CHECK(access("f1.txt", F_OK));
    CHECK(access("f2.txt", R_OK | W_OK));
    CHECK(link("f2.txt", "f3.txt"));
    CHECK(stat("f2.txt", &st));
    printf("nlink=%ld\n", (long)st.st_nlink);
    CHECK(symlink("f2.txt", "sl"));
    memset(buf, 0, sizeof buf);
    CHECK(readlink("sl", buf, sizeof buf));
    printf("readlink: %s\n", buf);
    CHECK(readlink("f2.txt", buf, sizeof buf));
    CHECK(lstat("sl", &st));
    printf("lstat is link: %d\n", S_ISLNK(st.st_mode));
    CHECK(stat("sl", &st));
    printf("stat is reg: %d\n", S_ISREG(st.st_mode));
    CHECK(chmod("f2.txt", 0600));
    CHECK(stat("f2.txt", &st));
    printf("mode=%o\n", st.st_mode & 07777);
    CHECK(fchmod(fd, 0644));
    struct timespec times[2] = { { 1000000000, 5 }, { 1100000000, 7 } };
    CHECK(utimensat(AT_FDCWD, "f2.txt", times, 0));
    CHECK(stat("f2.txt", &st));
    printf("atime=%ld.%09ld mtime=%ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = 1200000000;
    CHECK(utimensat(AT_FDCWD, "f2.txt", times, 0));
    CHECK(stat("f2.txt", &st));
    printf("atime=%ld mtime=%ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);

    CHECK(mkdir("d1", 0755));
    CHECK(mkdir("d1", 0755));
    CHECK(open("d1", O_RDONLY | O_DIRECTORY) >= 0);
    CHECK(open("f2.txt", O_RDONLY | O_DIRECTORY));
    CHECK(open("sl", O_RDONLY | O_NOFOLLOW));
    CHECK(read(fd2 = open("d1", O_RDONLY), buf, 1));
    close(fd2);
    CHECK(rmdir("f2.txt"));
    CHECK(unlink("d1"));
    CHECK(chdir("d1"));
    memset(buf, 0, sizeof buf);
    CHECK(getcwd(buf, sizeof buf) != NULL);
    printf("cwd ends with /d1: %d\n", strlen(buf) > 3 && strcmp(buf + strlen(buf) - 3, "/d1") == 0);
    CHECK(getcwd(buf, 2) == NULL);
    CHECK(chdir(".."));
    CHECK(rmdir("d1"));
    CHECK(unlink("f3.txt"));
    CHECK(unlink("sl"));
    CHECK(unlink("nonexistent"));
    CHECK(open("nonexistent/x", O_RDONLY));
    CHECK(open("f2.txt/x", O_RDONLY));
    CHECK(umask(077));
    CHECK(fd2 = open("f4", O_CREAT | O_WRONLY | O_TRUNC, 0666));
    CHECK(fstat(fd2, &st));
    printf("umask applied: %o\n", st.st_mode & 0777);
    CHECK(write(fd2, buf, 0));
    CHECK(read(fd2, buf, 1));
    close(fd2);
    CHECK(unlink("f4"));
    CHECK(unlink("f2.txt"));
    CHECK(write(fd, "x", 1));
    CHECK(close(fd));
    return 0;
}
