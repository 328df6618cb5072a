/* O_APPEND writes at the end; F_SETFL turns it off */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], buf[64];
    f_umask(022);
    f_path(p, argv[1], "log.txt");
    int w = f_open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    f_write(w, "first\n", 6);
    f_close(w);
    int fd = f_open(p, O_RDWR | O_APPEND, 0);
    f_show("flags", f_fcntl(fd, F_GETFL, 0) & ~0100000);
    f_lseek(fd, 0, SEEK_SET);
    f_write(fd, "second\n", 7);
    f_show("offset after append", f_lseek(fd, 0, SEEK_CUR));
    f_show("pwrite with append", f_pwrite(fd, "[p]", 3, 1));
    f_show("offset after pwrite", f_lseek(fd, 0, SEEK_CUR));
    f_show("setfl", f_fcntl(fd, F_SETFL, 0));
    f_lseek(fd, 0, SEEK_SET);
    f_write(fd, "FIRST", 5);
    f_show("pwrite with append off", f_pwrite(fd, "!", 1, 2));
    long n = f_pread(fd, buf, sizeof buf, 0);
    f_write(1, buf, n);
    return 0;
}
