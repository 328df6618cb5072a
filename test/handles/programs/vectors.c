/* readv and writev gather and scatter in order */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], a[4], b[6], c[20];
    f_umask(022);
    int fd = f_open(f_path(p, argv[1], "vec"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    struct iovec out[3] = { { "one ", 4 }, { "", 0 }, { "two three", 9 } };
    f_show("writev", f_call(SYS_writev, fd, (long)out, 3, 0, 0));
    f_lseek(fd, 0, SEEK_SET);
    struct iovec in[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
    long n = f_call(SYS_readv, fd, (long)in, 3, 0, 0);
    f_show("readv", n);
    f_write(1, a, 4); f_puts(1, "|"); f_write(1, b, 6); f_puts(1, "|"); f_write(1, c, n - 10); f_puts(1, "\n");
    f_show("writev stdout", f_call(SYS_writev, 1, (long)out, 3, 0, 0));
    f_puts(1, "\n");
    f_show("readv count 0", f_call(SYS_readv, fd, (long)in, 0, 0, 0));
    f_show("readv too many", f_call(SYS_readv, fd, (long)in, 1025, 0, 0));
    return 0;
}
