/* errno for common misuse of paths and handles */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], q[256], buf[4];
    f_umask(022);
    f_show("missing", f_open(f_path(p, argv[1], "nope"), O_RDONLY, 0));
    int fd = f_open(f_path(p, argv[1], "f"), O_CREAT | O_WRONLY, 0644);
    f_show("excl", f_open(p, O_CREAT | O_EXCL | O_WRONLY, 0644));
    f_show("notdir", f_open(f_path(q, p, "x"), O_RDONLY, 0));
    f_show("dir flag", f_open(p, O_RDONLY | O_DIRECTORY, 0));
    f_show("write dir", f_open(argv[1], O_WRONLY, 0));
    f_show("read wronly", f_read(fd, buf, 1));
    f_show("mkdir", f_mkdir(f_path(q, argv[1], "d"), 0755));
    f_show("mkdir again", f_mkdir(q, 0755));
    f_close(f_open(f_path(p, q, "inner"), O_CREAT | O_WRONLY, 0644));
    f_show("rmdir full", f_rmdir(q));
    f_show("unlink dir", f_unlink(q));
    f_show("rmdir file", f_rmdir(p));
    f_show("unlink inner", f_unlink(p));
    f_show("rmdir", f_rmdir(q));
    int fds[2];
    f_pipe2(fds, O_NONBLOCK);
    f_show("lseek pipe", f_lseek(fds[0], 0, SEEK_SET));
    f_show("empty nonblock", f_read(fds[0], buf, 1));
    f_show("write read end", f_write(fds[0], "x", 1));
    f_show("close bad", f_close(77));
    f_show("pipe2 flags", f_pipe2(fds, 1));
    return 0;
}
