/* create, write, read back, lseek in every direction */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], buf[64];
    f_umask(022);
    f_path(p, argv[1], "data.txt");
    int fd = f_open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
    f_show("open", fd);
    f_show("write", f_write(fd, "hello, file system\n", 19));
    f_show("lseek set 7", f_lseek(fd, 7, SEEK_SET));
    long n = f_read(fd, buf, sizeof buf);
    f_show("read", n);
    f_write(1, buf, n);
    f_show("lseek cur -3", f_lseek(fd, -3, SEEK_CUR));
    f_show("lseek end 5", f_lseek(fd, 5, SEEK_END));
    f_show("write past end", f_write(fd, "!", 1));
    f_show("lseek set 0", f_lseek(fd, 0, SEEK_SET));
    n = f_read(fd, buf, sizeof buf);
    f_show("read all", n);
    for (long k = 0; k < n; k++) printf("%02x", (unsigned char)buf[k]);
    printf("\n");
    f_show("lseek neg", f_lseek(fd, -100, SEEK_SET));
    f_show("close", f_close(fd));
    f_show("read closed", f_read(fd, buf, 1));
    return 0;
}
