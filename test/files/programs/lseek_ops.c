/* lseek: SEEK_SET/CUR/END, a hole past the end, negative offsets, a pipe. */
#include <fcntl.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int fd = open("seek.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    put(fd, "0123456789");
    SHOW(lseek(fd, 0, SEEK_CUR));
    SHOW(lseek(fd, 3, SEEK_SET));
    dump("from 3", fd, 4);
    SHOW(lseek(fd, -2, SEEK_CUR));
    dump("back 2", fd, 3);
    SHOW(lseek(fd, -4, SEEK_END));
    dump("end-4", fd, 100);
    SHOW(lseek(fd, -1, SEEK_SET));
    SHOW(lseek(fd, 0, 7));
    SHOW(lseek(fd, 0, SEEK_CUR));

    /* a hole: write past the end, the gap reads as zeros */
    SHOW(lseek(fd, 20, SEEK_SET));
    put(fd, "Z");
    SHOW(lseek(fd, 0, SEEK_END));
    MUST(lseek(fd, 8, SEEK_SET) == 8);
    char buf[16];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read %zd:", n);
    for (ssize_t i = 0; i < n; i++)
        printf(" %02x", (unsigned char)buf[i]);
    printf("\n");

    /* overwrite in the middle */
    SHOW(lseek(fd, 2, SEEK_SET));
    put(fd, "ab");
    SHOW(lseek(fd, 0, SEEK_SET));
    dump("now", fd, 11);
    SHOW(close(fd));
    SHOW(lseek(fd, 0, SEEK_SET));

    int p[2];
    MUST(pipe(p) == 0);
    SHOW(lseek(p[0], 0, SEEK_CUR));
    SHOW(lseek(p[1], 0, SEEK_SET));
    close(p[0]);
    close(p[1]);
    return 0;
}
