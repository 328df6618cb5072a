/* ftruncate: shrink, grow with zeros, offsets beyond the new end, errors. */
#include <fcntl.h>
#include <sys/stat.h>
#include "check.h"

static long long size_of(int fd)
{
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    return (long long)st.st_size;
}

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int fd = open("t.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    put(fd, "abcdefghijklmnopqrstuvwxyz");
    SHOW(ftruncate(fd, 10));
    printf("size %lld, offset %lld\n", size_of(fd), (long long)lseek(fd, 0, SEEK_CUR));
    put(fd, "!"); /* the offset (26) is past the end: a hole from 10 to 26 */
    printf("size %lld\n", size_of(fd));
    SHOW(ftruncate(fd, 30));
    printf("size %lld\n", size_of(fd));
    MUST(lseek(fd, 0, SEEK_SET) == 0);
    char buf[40];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read %zd:", n);
    for (ssize_t i = 0; i < n; i++)
        putchar(buf[i] ? buf[i] : '.');
    putchar('\n');
    SHOW(ftruncate(fd, 0));
    printf("size %lld\n", size_of(fd));
    SHOW(ftruncate(fd, -1));
    SHOW(ftruncate(99, 0));
    int ro = open("t.bin", O_RDONLY);
    SHOW(ftruncate(ro, 0));
    close(ro);
    int p[2];
    MUST(pipe(p) == 0);
    SHOW(ftruncate(p[1], 0));
    close(p[0]);
    close(p[1]);
    SHOW(ftruncate(fd, 5000));
    close(fd);

    /* a larger one that ends on an odd boundary */
    fd = open("grow.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    SHOW(ftruncate(fd, 12345));
    SHOW(pwrite(fd, "end", 3, 12345));
    printf("size %lld\n", size_of(fd));
    close(fd);
    return 0;
}
