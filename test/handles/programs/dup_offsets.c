/* dup, dup3 and F_DUPFD share one offset; numbers are the lowest free */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], buf[8];
    f_umask(022);
    int fd = f_open(f_path(p, argv[1], "shared"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    f_write(fd, "abcdefghij", 10);
    f_lseek(fd, 0, SEEK_SET);
    int a = f_dup(fd);
    f_show("dup", a);
    int b = f_dup3(fd, 10, 0);
    f_show("dup3", b);
    int c = f_fcntl(fd, F_DUPFD, 6);
    f_show("F_DUPFD 6", c);
    f_read(a, buf, 2);
    f_read(b, buf + 2, 2);
    f_read(c, buf + 4, 2);
    f_write(1, buf, 6);
    f_puts(1, "\n");
    f_show("offset via fd", f_lseek(fd, 0, SEEK_CUR));
    f_close(a);
    f_show("reuse", f_dup(b));
    f_show("dup3 same", f_dup3(b, b, 0));
    f_show("dup3 bad flags", f_dup3(b, 20, 1));
    f_show("dup3 over open", f_dup3(1, b, 0));
    f_show("write via replaced", f_write(b, "(stdout via dup3)\n", 18));
    f_show("dup bad", f_dup(99));
    f_show("F_DUPFD bad", f_fcntl(fd, F_DUPFD, -1));
    return 0;
}
