/* pread64/pwrite64 leave the offset alone; ESPIPE on a pipe */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], buf[32];
    f_umask(022);
    int fd = f_open(f_path(p, argv[1], "pp.bin"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    f_write(fd, "0123456789abcdef", 16);
    f_show("offset", f_lseek(fd, 0, SEEK_CUR));
    f_show("pwrite", f_pwrite(fd, "XYZ", 3, 4));
    f_show("pwrite far", f_pwrite(fd, "END", 3, 30));
    f_show("offset", f_lseek(fd, 0, SEEK_CUR));
    long n = f_pread(fd, buf, 10, 2);
    f_show("pread", n);
    f_write(1, buf, n);
    f_puts(1, "\n");
    f_show("pread eof", f_pread(fd, buf, 10, 33));
    n = f_pread(fd, buf, 32, 14);
    f_show("pread hole", n);
    for (long k = 0; k < n; k++) printf("%d ", buf[k]);
    printf("\n");
    int fds[2];
    f_pipe2(fds, 0);
    f_show("pread pipe", f_pread(fds[0], buf, 1, 0));
    f_show("pwrite pipe", f_pwrite(fds[1], buf, 1, 0));
    f_show("pread neg", f_pread(fd, buf, 1, -1));
    return 0;
}
