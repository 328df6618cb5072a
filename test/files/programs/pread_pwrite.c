/* pread/pwrite at offsets leave the file offset where it was. */
#include <fcntl.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int fd = open("p.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    put(fd, "abcdefghij");
    SHOW(lseek(fd, 4, SEEK_SET));
    char buf[16] = { 0 };
    SHOW(pread(fd, buf, 3, 1));
    printf("pread(1,3) \"%s\"\n", buf);
    SHOW(lseek(fd, 0, SEEK_CUR));
    SHOW(pwrite(fd, "XYZ", 3, 7));
    SHOW(lseek(fd, 0, SEEK_CUR));
    SHOW(pwrite(fd, "++", 2, 14)); /* past the end: a hole, size 16 */
    SHOW(lseek(fd, 0, SEEK_END));
    memset(buf, 0, sizeof buf);
    SHOW(pread(fd, buf, 15, 0));
    for (int i = 0; i < 16; i++)
        putchar(buf[i] ? buf[i] : '.');
    putchar('\n');
    SHOW(pread(fd, buf, 4, 100));
    SHOW(pread(fd, buf, 4, -1));
    dump("read at the end", fd, 3);
    SHOW(close(fd));

    int p[2];
    MUST(pipe(p) == 0);
    SHOW(pwrite(p[1], "x", 1, 0));
    SHOW(pread(p[0], buf, 1, 0));
    close(p[0]);
    close(p[1]);
    return 0;
}
