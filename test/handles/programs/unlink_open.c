/* a file unlinked while open stays readable and writable; nlink drops to 0 */
#include "files.h"
int main(int argc, char **argv)
{
    (void)argc;
    char p[256], buf[32];
    struct stat64 st;
    f_umask(022);
    f_path(p, argv[1], "ghost");
    int fd = f_open(p, O_CREAT | O_RDWR, 0644);
    f_write(fd, "still here", 10);
    f_fstat(fd, &st);
    f_show("nlink", st.st_nlink);
    f_show("unlink", f_unlink(p));
    f_show("unlink again", f_unlink(p));
    f_show("open again", f_open(p, O_RDONLY, 0));
    f_fstat(fd, &st);
    f_show("nlink after", st.st_nlink);
    f_show("size", (long)st.st_size);
    f_show("write", f_write(fd, "!", 1));
    long n = f_pread(fd, buf, sizeof buf, 0);
    f_write(1, buf, n);
    f_puts(1, "\n");
    int again = f_open(p, O_CREAT | O_RDWR | O_EXCL, 0644);
    f_show("new file fd", again);
    f_fstat(again, &st);
    f_show("new size", (long)st.st_size);
    return 0;
}
