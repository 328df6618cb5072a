/* O_CLOEXEC and FD_CLOEXEC are per handle; F_GETFL keeps the status flags */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256];
    f_umask(022);
    int fd = f_open(f_path(p, argv[1], "ce"), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    f_show("GETFD", f_fcntl(fd, F_GETFD, 0));
    int d = f_dup(fd);
    f_show("GETFD dup", f_fcntl(d, F_GETFD, 0));
    f_show("SETFD", f_fcntl(d, F_SETFD, 1));
    f_show("GETFD dup", f_fcntl(d, F_GETFD, 0));
    f_show("GETFD orig", f_fcntl(fd, F_GETFD, 0));
    int e = f_fcntl(fd, F_DUPFD_CLOEXEC, 0);
    f_show("DUPFD_CLOEXEC", e);
    f_show("GETFD", f_fcntl(e, F_GETFD, 0));
    int g = f_dup3(fd, 30, O_CLOEXEC);
    f_show("GETFD dup3", f_fcntl(g, F_GETFD, 0));
    /* rv32 Linux adds O_LARGEFILE to every open file (force_o_largefile); qemu-riscv32 does not: masked. */
    f_show("GETFL", f_fcntl(fd, F_GETFL, 0) & ~0100000);
    f_show("SETFL nonblock", f_fcntl(fd, F_SETFL, O_NONBLOCK | O_RDONLY));
    f_show("GETFL shared", f_fcntl(d, F_GETFL, 0) & ~0100000);
    f_show("GETFD bad", f_fcntl(55, F_GETFD, 0));
    f_show("bad cmd", f_fcntl(fd, 12345, 0));
    return 0;
}
